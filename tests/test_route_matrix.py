"""Role × route: every route of the app answers each kind of person as DOMAIN.md says.

The matrix is checked against `app.url_map`, so a new route without a row fails the suite.
Each row runs on 办公室's (bgs) sheet in `draft` with its self scores filled in; the person who
may change something goes last, so the others meet the same state.
"""
import io
from typing import NamedTuple

import pytest

from conftest import YEAR
from files import tiny_png
from flow import Flow
from kaohe_flow.timeutil import local_today

# Personas towards bgs's sheet: its member and head, its gate (人教科, also a responsible office),
# an unrelated unit (市政处), its leader, a viewer and an admin.
PERSONAS = ["anon", "szc", "leader1", "director", "admin", "rjk", "bgs.staff", "bgs"]


# The bureau's today, read when the request is made: a run that crosses local midnight would
# otherwise ask for a delegation starting yesterday.
_TODAY = "<today>"


def _dated(body):
    return {k: local_today().isoformat() if v == _TODAY else v for k, v in body.items()}


class Row(NamedTuple):
    method: str
    path: str  # {sid} is bgs's sheet id
    expect: dict  # persona → status; "*" for everyone not named
    body: object = None  # a dict sent as JSON (api) or form data (web); {version} filled in


MATRIX = {
    # ---------------------------------------------------------------- pages
    "web.login": Row("GET", "/login", {"*": 200}),
    "web.logout": Row("POST", "/logout", {"*": 302}),
    "web.home": Row("GET", "/", {"*": 302}),
    "web.inbox": Row("GET", "/inbox", {"anon": 302, "*": 200}),
    "web.sheet_list": Row("GET", f"/sheets?year={YEAR}", {"anon": 302, "*": 200}),
    "web.sheet_page": Row("GET", "/sheets/{sid}", {"anon": 302, "szc": 404, "*": 200}),
    "web.save_rows": Row("POST", "/sheets/{sid}/rows",
                         {"anon": 302, "szc": 404, "bgs.staff": 302, "bgs": 302, "*": 403},
                         {"kind": "self", "code": "team", "score-team": "2"}),
    "web.save_key_deduction": Row("POST", "/sheets/{sid}/key-deduction",
                                  {"anon": 302, "szc": 404, "rjk": 409, "*": 403},
                                  {"points": "1", "reason": "x"}),
    "web.sheet_action": Row("POST", "/sheets/{sid}/actions/submit",
                            {"anon": 302, "szc": 404, "bgs": 302, "*": 403}, {}),
    "static": Row("GET", "/static/style.css", {"*": 200}),
    # ---------------------------------------------------------------- API
    "api.create_token": Row("POST", "/api/v1/tokens", {"anon": 401, "*": 201}),
    "api.revoke_token": Row("DELETE", "/api/v1/tokens/current", {"anon": 401, "*": 204}),
    "api.openapi": Row("GET", "/api/v1/openapi.json", {"*": 200}),
    "api.me": Row("GET", "/api/v1/me", {"anon": 401, "*": 200}),
    "api.units": Row("GET", "/api/v1/units", {"anon": 401, "*": 200}),
    "api.scheme": Row("GET", f"/api/v1/years/{YEAR}/scheme", {"anon": 401, "*": 200}),
    "api.sheet_list": Row("GET", f"/api/v1/sheets?year={YEAR}", {"anon": 401, "*": 200}),
    "api.sheet_detail": Row("GET", "/api/v1/sheets/{sid}", {"anon": 401, "szc": 404, "*": 200}),
    "api.sheet_item": Row("PUT", "/api/v1/sheets/{sid}/items/team",
                          {"anon": 401, "szc": 404, "bgs.staff": 200, "bgs": 200, "*": 403},
                          {"self_score": "2", "self_reason": ""}),
    "api.key_deduction": Row("PUT", "/api/v1/sheets/{sid}/key-deduction",
                             {"anon": 401, "szc": 404, "rjk": 409, "*": 403}, {"points": "1", "reason": "x"}),
    "api.sheet_action": Row("POST", "/api/v1/sheets/{sid}/actions/submit",
                            {"anon": 401, "szc": 404, "bgs": 200, "*": 403}, {}),
    "api.sheet_history": Row("GET", "/api/v1/sheets/{sid}/history", {"anon": 401, "szc": 404, "*": 200}),
    "api.inbox": Row("GET", "/api/v1/inbox", {"anon": 401, "*": 200}),
    # bonus applications (附件6): {bid} is a draft of bgs with one certificate {aid}
    "web.bonus_list": Row("GET", f"/bonus?year={YEAR}", {"anon": 302, "*": 200}),
    "web.bonus_create": Row("POST", "/bonus", {"anon": 302, "leader1": 403, "director": 403, "admin": 403, "*": 302},
                            {"year": str(YEAR), "project": "获奖", "points_requested": "1"}),
    "web.bonus_page": Row("GET", "/bonus/{bid}", {"anon": 302, "szc": 404, "*": 200}),
    "web.bonus_edit": Row("POST", "/bonus/{bid}/edit",
                          {"anon": 302, "szc": 404, "bgs.staff": 302, "bgs": 302, "*": 403}, {"project": "获奖"}),
    "web.bonus_attach": Row("POST", "/bonus/{bid}/attachments",
                            {"anon": 302, "szc": 404, "bgs.staff": 302, "bgs": 302, "*": 403}, "file"),
    "web.attachment_delete": Row("POST", "/attachments/{aid}/delete",
                                 {"anon": 302, "szc": 404, "bgs.staff": 302, "bgs": 404, "*": 403}, {}),
    "web.attachment_download": Row("GET", "/attachments/{aid}", {"anon": 302, "szc": 404, "*": 200}),
    "web.bonus_action": Row("POST", "/bonus/{bid}/actions/submit", {"anon": 302, "szc": 404, "bgs": 302, "*": 403},
                            {}),
    "api.bonus_list": Row("GET", f"/api/v1/bonus-applications?year={YEAR}", {"anon": 401, "*": 200}),
    "api.bonus_create": Row("POST", "/api/v1/bonus-applications",
                            {"anon": 401, "leader1": 403, "director": 403, "admin": 403, "*": 201},
                            {"year": YEAR, "project": "获奖", "points_requested": "1"}),
    "api.bonus_detail": Row("GET", "/api/v1/bonus-applications/{bid}", {"anon": 401, "szc": 404, "*": 200}),
    "api.bonus_update": Row("PUT", "/api/v1/bonus-applications/{bid}",
                            {"anon": 401, "szc": 404, "bgs.staff": 200, "bgs": 200, "*": 403}, {"project": "获奖"}),
    "api.bonus_attach": Row("POST", "/api/v1/bonus-applications/{bid}/attachments",
                            {"anon": 401, "szc": 404, "bgs.staff": 201, "bgs": 201, "*": 403}, "file"),
    "api.bonus_action": Row("POST", "/api/v1/bonus-applications/{bid}/actions/submit",
                            {"anon": 401, "szc": 404, "bgs": 200, "*": 403}, {}),
    "api.bonus_history": Row("GET", "/api/v1/bonus-applications/{bid}/history",
                             {"anon": 401, "szc": 404, "*": 200}),
    "web.bonus_print": Row("GET", "/bonus/{bid}/print", {"anon": 302, "szc": 404, "*": 200}),
    "web.bonus_pdf": Row("GET", "/bonus/{bid}/export.pdf", {"anon": 302, "szc": 404, "*": 200}),
    "api.bonus_pdf": Row("GET", "/api/v1/bonus-applications/{bid}/export.pdf", {"anon": 401, "szc": 404, "*": 200}),
    # deduction records: {did} is a record about bgs under hygiene-1 (办公室 answers for 环境卫生);
    # nobody changes a record about their own unit (403 own_unit), the admin may
    "web.deduction_list": Row("GET", f"/deductions?year={YEAR}", {"anon": 302, "*": 200}),
    "web.deduction_create": Row("POST", "/deductions", {"anon": 302, "bgs.staff": 302, "bgs": 302, "*": 403},
                                {"year": str(YEAR), "unit": "bgs", "rule": "hygiene-1", "count": "1",
                                 "date": f"{YEAR}-05-08"}),
    "web.deduction_page": Row("GET", "/deductions/{did}", {"anon": 302, "szc": 404, "*": 200}),
    "web.deduction_edit": Row("POST", "/deductions/{did}/edit",
                              {"anon": 302, "szc": 404, "admin": 302, "*": 403}, {"note": "更正"}),
    "web.deduction_withdraw": Row("POST", "/deductions/{did}/withdraw",
                                  {"anon": 302, "szc": 404, "admin": 302, "*": 403},
                                  {"comment": "重复"}),
    "web.deduction_evidence": Row("POST", "/deductions/{did}/evidence",
                                  {"anon": 302, "szc": 404, "admin": 302, "*": 403}, "file"),
    "api.deduction_list": Row("GET", f"/api/v1/deductions?year={YEAR}", {"anon": 401, "*": 200}),
    "api.deduction_create": Row("POST", "/api/v1/deductions", {"anon": 401, "bgs.staff": 201, "bgs": 201, "*": 403},
                                {"year": YEAR, "unit": "bgs", "rule": "hygiene-1", "count": 1,
                                 "date": f"{YEAR}-05-08"}),
    "api.deduction_detail": Row("GET", "/api/v1/deductions/{did}", {"anon": 401, "szc": 404, "*": 200}),
    "api.deduction_update": Row("PUT", "/api/v1/deductions/{did}",
                                {"anon": 401, "szc": 404, "admin": 200, "*": 403}, {"note": "更正"}),
    "api.deduction_withdraw": Row("POST", "/api/v1/deductions/{did}/withdraw",
                                  {"anon": 401, "szc": 404, "admin": 200, "*": 403},
                                  {"comment": "重复"}),
    "api.deduction_evidence": Row("POST", "/api/v1/deductions/{did}/evidence",
                                  {"anon": 401, "szc": 404, "admin": 201, "*": 403}, "file"),
    "api.deduction_history": Row("GET", "/api/v1/deductions/{did}/history", {"anon": 401, "szc": 404, "*": 200}),
    # appeals (issue 9): bgs's head appeals the record about bgs; nobody but the admin may decide one about
    # bgs under an item only bgs answers for, and there is no open appeal to decide
    "web.deduction_appeal": Row("POST", "/deductions/{did}/appeal", {"anon": 302, "szc": 404, "bgs": 302, "*": 403},
                                {"reason": "当日已整改"}),
    "web.deduction_appeal_decide": Row("POST", "/deductions/{did}/appeal/decide",
                                       {"anon": 302, "szc": 404, "admin": 409, "*": 403}, {"decision": "upheld"}),
    "api.deduction_appeal": Row("POST", "/api/v1/deductions/{did}/appeal",
                                {"anon": 401, "szc": 404, "bgs": 201, "*": 403}, {"reason": "当日已整改"}),
    "api.deduction_appeal_decide": Row("POST", "/api/v1/deductions/{did}/appeal/decide",
                                       {"anon": 401, "szc": 404, "admin": 409, "*": 403}, {"decision": "upheld"}),
    # information reporting (附件4): 办公室 (bgs) answers for 信息宣传 with 党委办; 9999999 is no item
    "web.info_report": Row("GET", f"/info?year={YEAR}", {"anon": 302, "*": 200}),
    "web.info_item_create": Row("POST", "/info/items", {"anon": 302, "bgs.staff": 302, "bgs": 409, "*": 403},
                                {"year": str(YEAR), "unit": "szc", "title": "市政处道路改造完工",
                                 "adopted_on": f"{YEAR}-03-05", "portal": "district", "stream": "info"}),
    "web.info_item_delete": Row("POST", "/info/items/9999999/delete", {"anon": 302, "*": 404}, {}),
    "web.info_import": Row("POST", "/info/import", {"anon": 302, "bgs.staff": 422, "bgs": 422, "*": 403}, "file"),
    "api.info_item_list": Row("GET", f"/api/v1/info-items?year={YEAR}", {"anon": 401, "*": 200}),
    "api.info_item_create": Row("POST", "/api/v1/info-items", {"anon": 401, "bgs.staff": 201, "bgs": 409, "*": 403},
                                {"unit": "市政处", "title": "市政处道路改造完工", "adopted_on": f"{YEAR}-03-05"}),
    "api.info_item_update": Row("PUT", "/api/v1/info-items/9999999", {"anon": 401, "*": 404}, {"title": "x"}),
    "api.info_item_delete": Row("DELETE", "/api/v1/info-items/9999999", {"anon": 401, "*": 404}),
    "api.info_import": Row("POST", "/api/v1/info-items/import", {"anon": 401, "bgs.staff": 422, "bgs": 422, "*": 403},
                           "file"),
    "api.info_report": Row("GET", f"/api/v1/info-report?year={YEAR}", {"anon": 401, "*": 200}),
    # OA sign-ins (附件5): {oid} is a document entered by 办公室; 2018-12-29 has a calendar entry
    "web.oa_report_page": Row("GET", f"/oa?year={YEAR}", {"anon": 302, "*": 200}),
    # bgs.staff enters it; bgs entering the same document again is 409 duplicate_document (issue 10)
    "web.oa_document_create": Row("POST", f"/oa?year={YEAR}", {"anon": 302, "bgs.staff": 302, "bgs": 409, "*": 403},
                                  {"title": "通知", "kind": "other", "sent_at": f"{YEAR}-03-05T09:00",
                                   "recipients": "szc"}),
    "web.oa_import": Row("POST", f"/oa/import?year={YEAR}", {"anon": 302, "bgs.staff": 422, "bgs": 422, "*": 403},
                         "file"),
    "web.calendar_set": Row("POST", f"/calendar?year={YEAR}", {"anon": 302, "admin": 302, "*": 403},
                            {"date": f"{YEAR}-03-05", "kind": "holiday", "note": "x"}),
    "api.oa_document_create": Row("POST", "/api/v1/oa-documents", {"anon": 401, "bgs.staff": 201, "bgs": 409, "*": 403},
                                  {"title": "通知", "kind": "other", "sent_at": f"{YEAR}-03-05T09:00:00+08:00",
                                   "recipients": [{"username": "szc", "signed_at": None}]}),
    "api.oa_document_list": Row("GET", f"/api/v1/oa-documents?year={YEAR}",
                                {"anon": 401, "szc": 403, "rjk": 403, "*": 200}),
    "api.oa_document_detail": Row("GET", "/api/v1/oa-documents/{oid}", {"anon": 401, "szc": 404, "rjk": 404, "*": 200}),
    "api.oa_document_update": Row("PUT", "/api/v1/oa-documents/{oid}",
                                  {"anon": 401, "szc": 404, "rjk": 404, "admin": 200, "bgs.staff": 200, "bgs": 200,
                                   "*": 403}, {"title": "更正后的标题"}),
    "api.oa_document_delete": Row("DELETE", "/api/v1/oa-documents/{oid}",  # the admin (before bgs) deletes it
                                  {"anon": 401, "szc": 404, "rjk": 404, "admin": 204, "bgs.staff": 404, "bgs": 404,
                                   "*": 403}),
    "api.oa_document_import": Row("POST", "/api/v1/oa-documents/import",
                                  {"anon": 401, "bgs.staff": 422, "bgs": 422, "*": 403}, "file"),
    # OA recipients without accounts and excused cases (issue 10, 5)
    "api.oa_document_excuse": Row("POST", "/api/v1/oa-documents/{oid}/excuse",
                                  {"anon": 401, "szc": 404, "rjk": 404, "admin": 200, "bgs.staff": 200, "bgs": 200,
                                   "*": 403}, {"recipient": "szc", "reason": "因公外出"}),
    "web.oa_excuse": Row("POST", f"/oa/documents/{{oid}}/excuse?year={YEAR}",
                         {"anon": 302, "szc": 404, "rjk": 404, "admin": 302, "bgs.staff": 302, "bgs": 302, "*": 403},
                         {"recipient": "szc", "reason": "因公外出"}),
    "api.staff_list": Row("GET", "/api/v1/staff", {"anon": 401, "*": 200}),
    "api.staff_add": Row("POST", "/api/v1/staff",  # szc adds; the others who may find the name taken
                         {"anon": 401, "szc": 201, "admin": 409, "bgs.staff": 409, "bgs": 409, "*": 403},
                         {"unit": "szc", "name": "新同事"}),
    "api.staff_remove": Row("DELETE", "/api/v1/staff/{stid}", {"anon": 401, "szc": 204, "*": 404}),
    "api.staff_import": Row("POST", "/api/v1/staff/import",
                            {"anon": 401, "leader1": 403, "director": 403, "*": 422}, "file"),
    "web.staff_page": Row("GET", "/staff", {"anon": 302, "*": 200}),
    "web.staff_add": Row("POST", "/staff", {"anon": 302, "szc": 302, "admin": 409, "bgs.staff": 409, "bgs": 409,
                                            "*": 403}, {"unit": "szc", "name": "新同事"}),
    "web.staff_remove": Row("POST", "/staff/{stid}/remove", {"anon": 302, "szc": 302, "*": 404}, {}),
    "web.staff_import": Row("POST", "/staff/import", {"anon": 302, "leader1": 403, "director": 403, "*": 422},
                            "file"),
    "api.oa_report": Row("GET", f"/api/v1/oa-report?year={YEAR}", {"anon": 401, "*": 200}),
    "api.calendar_list": Row("GET", f"/api/v1/calendar?year={YEAR}", {"anon": 401, "*": 200}),
    "api.calendar_set": Row("PUT", f"/api/v1/calendar/{YEAR}-03-05", {"anon": 401, "admin": 200, "*": 403},
                            {"is_workday": False}),
    "api.calendar_delete": Row("DELETE", f"/api/v1/calendar/{YEAR}-12-29", {"anon": 401, "admin": 204, "*": 403}),
    # a year's settings (issue 7): everyone signed in reads them, the admin changes them
    "web.year_settings_page": Row("GET", f"/years/{YEAR}/settings", {"anon": 302, "*": 200}),
    "web.year_settings_save": Row("POST", f"/years/{YEAR}/settings", {"anon": 302, "admin": 302, "*": 403},
                                  {"bonus_cap": "5"}),
    "api.year_settings": Row("GET", f"/api/v1/years/{YEAR}/settings", {"anon": 401, "*": 200}),
    "api.year_settings_update": Row("PUT", f"/api/v1/years/{YEAR}/settings", {"anon": 401, "admin": 200, "*": 403},
                                    {"bonus_cap": "5"}),
    # the year's rhythm (issue 9): everyone reads the deadlines, the admin sets them; a batch names no record
    # anyone may act on (each comes back 404 inside a 200); leaders, the director and the admin see the board
    "api.year_deadlines": Row("GET", f"/api/v1/years/{YEAR}/deadlines", {"anon": 401, "*": 200}),
    "api.year_deadlines_update": Row("PUT", f"/api/v1/years/{YEAR}/deadlines", {"anon": 401, "admin": 200, "*": 403},
                                     {"draft": f"{YEAR + 1}-01-10"}),
    "web.deadlines_page": Row("GET", f"/years/{YEAR}/deadlines", {"anon": 302, "*": 200}),
    "web.deadlines_save": Row("POST", f"/years/{YEAR}/deadlines", {"anon": 302, "admin": 302, "*": 403},
                              {"draft": f"{YEAR + 1}-01-10"}),
    "api.batch_action": Row("POST", "/api/v1/batch/actions/sign", {"anon": 401, "*": 200},
                            {"records": [{"kind": "sheet", "id": 9999999, "version": 1}], "comment": "同意"}),
    "web.batch_action": Row("POST", "/batch/actions/sign", {"anon": 302, "*": 302}, {"comment": "同意"}),
    "api.year_progress": Row("GET", f"/api/v1/years/{YEAR}/progress",
                             {"anon": 401, "leader1": 200, "director": 200, "admin": 200, "*": 403}),
    "web.progress_page": Row("GET", f"/years/{YEAR}/progress",
                             {"anon": 302, "leader1": 200, "director": 200, "admin": 200, "*": 403}),
    # years (issue 7): everyone signed in reads them; only the admin makes, edits and opens one
    "api.year_list": Row("GET", "/api/v1/years", {"anon": 401, "*": 200}),
    "api.year_create": Row("POST", "/api/v1/years", {"anon": 401, "admin": 201, "*": 403},
                           {"year": 2019, "copy_from": YEAR}),
    "api.year_unit_update": Row("PUT", f"/api/v1/years/{YEAR}/units/bgs", {"anon": 401, "admin": 200, "*": 403},
                                {"name": "办公室", "aliases": ["综合办"]}),
    "api.year_item_update": Row("PUT", f"/api/v1/years/{YEAR}/scheme/items/team",  # 2018 is open
                                {"anon": 401, "admin": 409, "*": 403}, {"standard": "3"}),
    "api.year_open": Row("POST", f"/api/v1/years/{YEAR}/open", {"anon": 401, "admin": 409, "*": 403}),
    "web.years": Row("GET", "/years", {"anon": 302, "*": 200}),
    "web.year_create": Row("POST", "/years", {"anon": 302, "admin": 302, "*": 403},
                           {"year": "2019", "copy_from": str(YEAR)}),
    "web.year_page": Row("GET", f"/years/{YEAR}", {"anon": 302, "*": 200}),
    "web.year_open": Row("POST", f"/years/{YEAR}/open", {"anon": 302, "admin": 409, "*": 403}, {}),  # 2018 is open
    "web.year_unit_page": Row("GET", f"/years/{YEAR}/units/bgs", {"anon": 302, "*": 200}),
    "web.year_unit_save": Row("POST", f"/years/{YEAR}/units/bgs", {"anon": 302, "admin": 302, "*": 403},
                              {"name": "办公室", "aliases": "综合办"}),
    "web.year_item_page": Row("GET", f"/years/{YEAR}/items/team", {"anon": 302, "*": 200}),
    "web.year_item_save": Row("POST", f"/years/{YEAR}/items/team",  # 2018 is open
                              {"anon": 302, "admin": 409, "*": 403}, {"standard": "3"}),
    # target letters (issue 7): whoever reads bgs's sheet reads its letter; 人教科 (the targets item's office) or
    # the admin sets it. bgs has no letter in this world, so its sheet has no target t1 to score
    "api.target_letter": Row("GET", f"/api/v1/years/{YEAR}/targets/bgs", {"anon": 401, "szc": 404, "*": 200}),
    "api.target_letter_update": Row("PUT", f"/api/v1/years/{YEAR}/targets/bgs",
                                    {"anon": 401, "admin": 200, "rjk": 200, "*": 403},
                                    {"items": [{"title": "全年目标任务", "points": "30"}]}),
    "api.sheet_target": Row("PUT", "/api/v1/sheets/{sid}/targets/t1", {"anon": 401, "*": 404},
                            {"self_score": "30", "self_reason": ""}),
    "web.targets_list": Row("GET", f"/years/{YEAR}/targets", {"anon": 302, "*": 200}),
    "web.targets_page": Row("GET", f"/years/{YEAR}/targets/bgs", {"anon": 302, "szc": 404, "*": 200}),
    "web.targets_save": Row("POST", f"/years/{YEAR}/targets/bgs", {"anon": 302, "admin": 302, "rjk": 302, "*": 403},
                            {"title-0": "全年目标任务", "points-0": "30"}),
    "web.targets_import": Row("POST", f"/years/{YEAR}/targets/import",
                              {"anon": 302, "admin": 422, "rjk": 422, "*": 403}, "file"),
    # a year's 附件4 quotas (issue 7): everyone reads them, the admin changes them
    "api.year_info_quotas": Row("GET", f"/api/v1/years/{YEAR}/info-quotas", {"anon": 401, "*": 200}),
    "api.year_info_quotas_update": Row("PUT", f"/api/v1/years/{YEAR}/info-quotas",
                                       {"anon": 401, "admin": 200, "*": 403}, {"units": {"szc": {"per_month": 3}}}),
    "web.info_quotas_page": Row("GET", f"/years/{YEAR}/info-quotas", {"anon": 302, "*": 200}),
    "web.info_quotas_save": Row("POST", f"/years/{YEAR}/info-quotas", {"anon": 302, "admin": 302, "*": 403},
                                {"info-szc-kind": "per_month", "info-szc-n": "3", "extras-district": "2",
                                 "extras-city": "5", "extras-province": "8", "district_offices_per_year": "1"}),
    "api.attachment_download": Row("GET", "/api/v1/attachments/{aid}", {"anon": 401, "szc": 404, "*": 200}),
    "api.attachment_delete": Row("DELETE", "/api/v1/attachments/{aid}",
                                 {"anon": 401, "szc": 404, "bgs.staff": 200, "bgs": 404, "*": 403}),
    # reports (issue 3)
    "web.ranking": Row("GET", f"/ranking?year={YEAR}", {"anon": 302, "*": 200}),
    "web.sheet_print": Row("GET", "/sheets/{sid}/print", {"anon": 302, "szc": 404, "*": 200}),
    "web.sheet_pdf": Row("GET", "/sheets/{sid}/export.pdf", {"anon": 302, "szc": 404, "*": 200}),
    "web.year_xlsx": Row("GET", f"/years/{YEAR}/export.xlsx", {"anon": 302, "*": 200}),
    "api.ranking": Row("GET", f"/api/v1/ranking?year={YEAR}", {"anon": 401, "*": 200}),
    "api.sheet_pdf": Row("GET", "/api/v1/sheets/{sid}/export.pdf", {"anon": 401, "szc": 404, "*": 200}),
    "api.year_xlsx": Row("GET", f"/api/v1/years/{YEAR}/export.xlsx", {"anon": 401, "*": 200}),
    # security events (issue 8): the admin's
    "web.security_events": Row("GET", "/admin/security-events", {"anon": 302, "admin": 200, "*": 403}),
    "api.security_events": Row("GET", "/api/v1/security-events", {"anon": 401, "admin": 200, "*": 403}),
    # accounts and the admin's audit (issue 7): szc.staff is the account the admin changes
    "web.admin_audit": Row("GET", "/admin/audit", {"anon": 302, "admin": 200, "*": 403}),
    "web.admin_users": Row("GET", "/admin/users", {"anon": 302, "admin": 200, "*": 403}),
    "web.admin_user_new": Row("GET", "/admin/users/new", {"anon": 302, "admin": 200, "*": 403}),
    "web.admin_user_create": Row("POST", "/admin/users", {"anon": 302, "admin": 302, "*": 403},
                                 {"username": "newcomer", "name": "新同事", "unit": "bgs", "role-member": "1",
                                  "password": "a long enough pass 7"}),
    "web.admin_user_edit": Row("GET", "/admin/users/szc.staff", {"anon": 302, "admin": 200, "*": 403}),
    "web.admin_user_update": Row("POST", "/admin/users/szc.staff", {"anon": 302, "admin": 302, "*": 403},
                                 {"name": "市政处科员", "unit": "szc", "role-member": "1", "active": "1"}),
    "web.admin_user_reset": Row("POST", "/admin/users/szc.staff/password-reset",
                                {"anon": 302, "admin": 200, "*": 403}, {}),
    "web.admin_user_import": Row("POST", "/admin/users/import", {"anon": 302, "admin": 422, "*": 403}, "file"),
    "web.my_password_page": Row("GET", "/me/password", {"anon": 302, "*": 200}),
    "web.my_password_change": Row("POST", "/me/password", {"anon": 302, "*": 302},
                                  {"current_password": "demo12345", "new_password": "a brand new pass 7",
                                   "confirm_password": "a brand new pass 7"}),
    "api.audit_list": Row("GET", "/api/v1/audit", {"anon": 401, "admin": 200, "*": 403}),
    "api.user_list": Row("GET", "/api/v1/users", {"anon": 401, "admin": 200, "*": 403}),
    "api.user_create": Row("POST", "/api/v1/users", {"anon": 401, "admin": 201, "*": 403},
                           {"username": "newcomer", "name": "新同事", "unit": "bgs", "roles": ["member"],
                            "password": "a long enough pass 7"}),
    "api.user_update": Row("PUT", "/api/v1/users/szc.staff", {"anon": 401, "admin": 200, "*": 403},
                           {"name": "市政处科员"}),
    "api.user_password_reset": Row("POST", "/api/v1/users/szc.staff/password-reset",
                                   {"anon": 401, "admin": 200, "*": 403}, {}),
    "api.user_import": Row("POST", "/api/v1/users/import", {"anon": 401, "admin": 422, "*": 403}, "file"),
    "api.my_password": Row("PUT", "/api/v1/me/password", {"anon": 401, "*": 200},
                           {"current_password": "demo12345", "new_password": "a brand new pass 7"}),
    # notifications and 催办 (issue 9): everyone reads their own list; 9999999 is nobody's notification. On
    # bgs's draft sheet and application a leader or the admin may urge the unit; the unit holds its own draft
    # (409 not_waiting); its gate and the director see it but never urge (403)
    "web.notifications": Row("GET", "/notifications", {"anon": 302, "*": 200}),
    "web.notification_read": Row("POST", "/notifications/9999999/read", {"anon": 302, "*": 404}, {}),
    "web.notifications_read_all": Row("POST", "/notifications/read-all", {"anon": 302, "*": 302}, {}),
    "api.notification_list": Row("GET", "/api/v1/notifications", {"anon": 401, "*": 200}),
    "api.notification_read": Row("POST", "/api/v1/notifications/9999999/read", {"anon": 401, "*": 404}),
    "web.sheet_urge": Row("POST", "/sheets/{sid}/urge",
                          {"anon": 302, "szc": 404, "leader1": 302, "admin": 302, "bgs.staff": 409, "bgs": 409,
                           "*": 403}, {"comment": "请尽快"}),
    "web.bonus_urge": Row("POST", "/bonus/{bid}/urge",
                          {"anon": 302, "szc": 404, "leader1": 302, "admin": 302, "bgs.staff": 409, "bgs": 409,
                           "*": 403}, {"comment": "请尽快"}),
    "api.sheet_urge": Row("POST", "/api/v1/sheets/{sid}/urge",
                          {"anon": 401, "szc": 404, "leader1": 201, "admin": 201, "bgs.staff": 409, "bgs": 409,
                           "*": 403}, {"comment": "请尽快"}),
    "api.bonus_urge": Row("POST", "/api/v1/bonus-applications/{bid}/urge",
                          {"anon": 401, "szc": 404, "leader1": 201, "admin": 201, "bgs.staff": 409, "bgs": 409,
                           "*": 403}, {"comment": "请尽快"}),
    # delegations and rounds (issue 9): heads and leaders hand their capacities on (to leader2, from
    # today); 9999999 is nobody's delegation; what changed since a return is read like the history
    "api.delegation_list": Row("GET", "/api/v1/delegations", {"anon": 401, "*": 200}),
    "api.delegation_create": Row("POST", "/api/v1/delegations",
                                 {"anon": 401, "szc": 201, "leader1": 201, "rjk": 201, "bgs": 201, "*": 403},
                                 {"to": "leader2", "from_date": _TODAY, "to_date": _TODAY}),
    "api.delegation_end": Row("DELETE", "/api/v1/delegations/9999999", {"anon": 401, "*": 404}),
    "web.delegations_page": Row("GET", "/delegations", {"anon": 302, "*": 200}),
    "web.delegation_add": Row("POST", "/delegations",
                              {"anon": 302, "szc": 302, "leader1": 302, "rjk": 302, "bgs": 302, "*": 403},
                              {"to": "leader2", "from_date": _TODAY, "to_date": _TODAY}),
    "web.delegation_end": Row("POST", "/delegations/9999999/end", {"anon": 302, "*": 404}, {}),
    "api.sheet_changes": Row("GET", "/api/v1/sheets/{sid}/changes", {"anon": 401, "szc": 404, "*": 200}),
    "web.sheet_changes": Row("GET", "/sheets/{sid}/changes", {"anon": 302, "szc": 404, "*": 200}),
    "api.bonus_changes": Row("GET", "/api/v1/bonus-applications/{bid}/changes", {"anon": 401, "szc": 404, "*": 200}),
    "web.bonus_changes": Row("GET", "/bonus/{bid}/changes", {"anon": 302, "szc": 404, "*": 200}),
    # background jobs (issue 11): the trackers' sync is the admin's (done in the request without a queue);
    # 9999999 is nobody's job
    "api.job_create": Row("POST", "/api/v1/jobs", {"anon": 401, "admin": 202, "*": 403},
                          {"kind": "tracker_sync", "year": YEAR}),
    "api.job_detail": Row("GET", "/api/v1/jobs/9999999", {"anon": 401, "*": 404}),
    "api.job_file": Row("GET", "/api/v1/jobs/9999999/file", {"anon": 401, "*": 404}),
    "web.job_create": Row("POST", "/jobs", {"anon": 302, "admin": 303, "*": 403},
                          {"kind": "tracker_sync", "year": str(YEAR)}),
    "web.job_page": Row("GET", "/jobs/9999999", {"anon": 302, "*": 404}),
    "web.job_file": Row("GET", "/jobs/9999999/file", {"anon": 302, "*": 404}),
}


def test_every_route_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(MATRIX) == set(), "routes without a row in the role × route matrix"
    assert set(MATRIX) - endpoints == set(), "rows for routes that no longer exist"


def test_every_method_of_a_route_is_in_its_row(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        assert MATRIX[rule.endpoint].method in methods, rule.endpoint


def _version(app, sid, bid, path, did=None):
    """The current version of the record the row's path is about (a record, an application, the sheet)."""
    from kaohe_flow.bonus.models import BonusApplication
    from kaohe_flow.extensions import db
    from kaohe_flow.ledger.models import DeductionRecord
    from kaohe_flow.sheets.models import Sheet

    with app.app_context():
        if "{did}" in path:
            model, key = DeductionRecord, did
        elif "{bid}" in path or "{aid}" in path:
            model, key = BonusApplication, bid
        else:
            model, key = Sheet, sid
        return db.session.scalar(db.select(model.version).where(model.id == key))


PNG = tiny_png()


def _bonus_draft(api):
    """A draft application of bgs with one certificate: (application id, attachment id)."""
    r = api.as_("bgs.staff").post("/api/v1/bonus-applications",
                                  json={"year": YEAR, "project": "获市级文明单位", "points_requested": "1"})
    bid = r.get_json()["id"]
    r = api.as_("bgs.staff").post(f"/api/v1/bonus-applications/{bid}/attachments",
                                  data={"file": (io.BytesIO(PNG), "证书.png")}, content_type="multipart/form-data")
    return bid, r.get_json()["id"]


def _world(app, api, sheet_id):
    """bgs's sheet self-scored, a draft application with a certificate, a deduction record, an
    OA document and a calendar entry: built once, restored before every row."""
    from conftest import restore_world

    def build():
        sid = sheet_id("bgs")
        Flow(api, sid).fill_self("bgs")
        bid, aid = _bonus_draft(api)
        did = api.as_("bgs.staff").post("/api/v1/deductions", json={
            "year": YEAR, "unit": "bgs", "rule": "hygiene-1", "count": 1, "date": f"{YEAR}-05-08"}).get_json()["id"]
        oid = api.as_("bgs").post("/api/v1/oa-documents", json={
            "title": "会议通知", "kind": "meeting", "sent_at": f"{YEAR}-03-05T09:00:00+08:00",
            "recipients": [{"username": "szc", "signed_at": None}]}).get_json()["id"]
        api.as_("admin").put(f"/api/v1/calendar/{YEAR}-12-29", json={"is_workday": True})
        stid = api.as_("szc").post("/api/v1/staff", json={"unit": "szc", "name": "名单同事"}).get_json()["id"]
        for persona in PERSONAS[1:]:
            api.token(persona)
        return {"ids": (sid, bid, aid, did, oid, stid), "tokens": dict(api.tokens)}

    with app.app_context():
        world = restore_world("route_matrix", build)
    api.tokens.update(world["tokens"])
    return world["ids"]


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_route_answers_each_role(app, api, sheet_id, endpoint):
    row = MATRIX[endpoint]
    sid, bid, aid, did, oid, stid = _world(app, api, sheet_id)
    path = row.path.format(sid=sid, bid=bid, aid=aid, did=did, oid=oid, stid=stid)
    for persona in PERSONAS:
        expected = row.expect.get(persona, row.expect["*"])
        client = app.test_client()
        kw = {}
        version = _version(app, sid, bid, row.path, did)
        if row.body == "file":
            kw["data"] = {"file": (io.BytesIO(PNG), "证书.png"), "version": str(version)}
            kw["content_type"] = "multipart/form-data"
        if endpoint.startswith("api."):
            if endpoint == "api.create_token":
                password = "wrong" if persona == "anon" else "demo12345"
                kw["json"] = {"username": "bgs" if persona == "anon" else persona, "password": password}
            elif persona != "anon":
                kw["headers"] = {"Authorization": "Bearer " + api.token(persona)}
            if isinstance(row.body, dict):
                kw["json"] = {**_dated(row.body), "version": version}
        else:
            if persona != "anon":
                assert client.post("/login", data={"username": persona, "password": "demo12345"}).status_code == 302
            if isinstance(row.body, dict):
                kw["data"] = {**_dated(row.body), "version": str(version)}
        response = client.open(path, method=row.method, **kw)
        assert response.status_code == expected, f"{persona} {row.method} {path}: {response.status_code}"
        if endpoint == "api.revoke_token":
            api.tokens.pop(persona, None)  # that token is gone now
