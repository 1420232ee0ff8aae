"""Deduction records (考核记录) and the scores they suggest (附件2: per occurrence, zeroing,
floored at 0 — 扣完为止)."""
import io

import pytest

from files import tiny_pdf
from flow import Flow


def record(api, who="bgs.staff", **fields):
    payload = {"year": 2018, "unit": "szc", "rule": "info_mgmt-3", "count": 1, "date": "2018-03-05",
               "people": "张三", "note": "OA流程未及时回复"}
    payload.update(fields)
    return api.as_(who).post("/api/v1/deductions", json=payload)


def suggested(api, sheet_id, unit, code, who="admin"):
    sheet = api.as_(who).get(f"/api/v1/sheets/{sheet_id(unit)}").get_json()
    item = next(i for i in sheet["items"] if i["code"] == code)
    return item["suggested_score"], item["suggested_reason"], item["deductions"]


def test_the_scheme_lists_every_rule_of_attachment_2(api):
    scheme = api.as_("bgs").get("/api/v1/years/2018/scheme").get_json()
    rules = [r for i in scheme["items"] for r in i["rules"]]
    assert len(rules) >= 55 and len({r["id"] for r in rules}) == len(rules)
    oa = next(r for r in rules if r["id"] == "info_mgmt-3")
    assert (oa["kind"], oa["points"]) == ("per_occurrence", "0.5")
    assert next(r for r in rules if r["id"] == "info_mgmt-1")["kind"] == "zeroing"


def test_a_responsible_office_records_an_incident(api):
    r = record(api, count=3)
    assert r.status_code == 201
    rec = r.get_json()
    assert {k: rec[k] for k in ("year", "unit", "item", "rule", "count", "date", "people", "note", "source",
                                "recorded_by")} == {
        "year": 2018, "unit": "szc", "item": "info_mgmt", "rule": "info_mgmt-3", "count": 3, "date": "2018-03-05",
        "people": "张三", "note": "OA流程未及时回复", "source": "manual", "recorded_by": "bgs.staff"}
    assert rec["points"] == "1.5"


def test_units_are_named_by_code_name_or_any_alias(api):
    for name, code in [("党办", "dwb"), ("财务科", "csk"), ("法规科", "cjjcdd"), ("城建监察大队（法规科）", "cjjcdd"),
                       ("档案馆", "cjdag"), ("房管处", "fgc")]:
        assert record(api, unit=name).get_json()["unit"] == code
    r = record(api, unit="不存在的科")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_unit"


def test_only_the_items_responsible_offices_record_it(api):
    assert record(api, who="dwb").status_code == 403  # 信息管理 is 办公室's alone
    assert record(api, who="dwb", rule="team-1").status_code == 201
    assert record(api, who="szc", rule="team-1").status_code == 403
    assert record(api, who="leader1", rule="team-1").status_code == 403
    assert record(api, who="director").status_code == 403


@pytest.mark.parametrize("fields, code", [
    ({"rule": "nosuch-1"}, "unknown_rule"), ({"count": 0}, "invalid_count"), ({"count": "2"}, "invalid_count"),
    ({"date": "2018-13-01"}, "invalid_date"), ({"date": "2019-01-01"}, "invalid_date"),
    ({"date": 20180101}, "invalid_date"), ({"note": "x\u0000"}, "invalid_text"),
])
def test_bad_records_are_422(api, fields, code):
    r = record(api, **fields)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == code


def test_a_unit_sees_the_records_about_itself_not_others(api):
    record(api, unit="szc")
    record(api, unit="rgz")
    def units(who):
        return sorted(r["unit"] for r in api.as_(who).get("/api/v1/deductions?year=2018").get_json()["items"])
    assert units("szc") == ["szc"] and units("rgz.staff") == ["rgz"]
    assert units("gysyk") == ["rgz", "szc"]  # their gate unit
    assert units("fcglk") == []
    assert units("dwb") == units("leader4") == units("director") == ["rgz", "szc"]
    rid = api.as_("szc").get("/api/v1/deductions?year=2018").get_json()["items"][0]["id"]
    assert api.as_("rgz").get(f"/api/v1/deductions/{rid}").status_code == 404
    assert api.as_("bgs").get("/api/v1/deductions?unit=市政处").get_json()["items"][0]["unit"] == "szc"
    assert api.as_("bgs").get("/api/v1/deductions?unit=nowhere").status_code == 422


def test_the_suggested_score_is_standard_less_the_records(api, sheet_id):
    assert suggested(api, sheet_id, "szc", "info_mgmt")[0] == "5"
    record(api, count=3)
    record(api, rule="info_mgmt-2", count=1, date="2018-04-01")
    score, reason, rows = suggested(api, sheet_id, "szc", "info_mgmt")
    assert score == "2.5" and "扣1.5分" in reason and "扣1分" in reason and len(rows) == 2


def test_deductions_are_floored_at_zero(api, sheet_id):
    record(api, rule="hygiene-1", count=9)  # 0.5 × 9 > 2
    assert suggested(api, sheet_id, "szc", "hygiene")[0] == "0"


def test_a_zeroing_rule_sets_the_item_to_zero(api, sheet_id):
    record(api, rule="info_mgmt-1", count=1)
    score, reason, _ = suggested(api, sheet_id, "szc", "info_mgmt")
    assert score == "0" and "不得分" in reason


def test_records_count_only_for_their_unit(api, sheet_id):
    record(api, unit="szc", count=2)
    assert suggested(api, sheet_id, "rgz", "info_mgmt")[0] == "5"


def test_correcting_and_withdrawing_are_steps(api, sheet_id):
    rid = record(api, count=2).get_json()["id"]
    r = api.as_("bgs").put(f"/api/v1/deductions/{rid}", json={"version": 1, "count": 4, "note": "核实为4例"})
    assert r.status_code == 200 and r.get_json()["count"] == 4
    assert suggested(api, sheet_id, "szc", "info_mgmt")[0] == "3"
    assert api.as_("bgs").put(f"/api/v1/deductions/{rid}", json={"version": 1, "count": 1}).status_code == 409
    assert api.as_("dwb").put(f"/api/v1/deductions/{rid}", json={"version": 2, "count": 1}).status_code == 403
    r = api.as_("bgs").post(f"/api/v1/deductions/{rid}/withdraw", json={"version": 2})
    assert r.status_code == 422
    r = api.as_("bgs").post(f"/api/v1/deductions/{rid}/withdraw", json={"version": 2, "comment": "重复记录"})
    assert r.status_code == 200 and r.get_json()["withdrawn"] is True
    assert suggested(api, sheet_id, "szc", "info_mgmt")[0] == "5"
    steps = api.as_("bgs").get(f"/api/v1/deductions/{rid}/history").get_json()["items"]
    assert [(s["field"], s["old"], s["new"]) for s in steps][1:] == [
        ("count", "2", "4"), ("note", "OA流程未及时回复", "核实为4例"), ("withdrawn", "false", "true")]


def test_evidence_follows_the_attachment_rules(api):
    rid = record(api).get_json()["id"]
    def upload(data, name, who="bgs"):
        return api.as_(who).post(f"/api/v1/deductions/{rid}/evidence", content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(data), name)})
    r = upload(tiny_pdf(), "督查通报.pdf")
    assert r.status_code == 201 and r.get_json()["content_type"] == "application/pdf"
    assert upload(b"<html>", "x.pdf").status_code == 422
    assert upload(tiny_pdf(), "x.pdf", who="dwb").status_code == 403
    aid = r.get_json()["id"]
    assert api.as_("szc").get(f"/api/v1/attachments/{aid}").status_code == 200
    assert api.as_("rgz").get(f"/api/v1/attachments/{aid}").status_code == 404


def test_the_gate_review_can_start_from_the_records(api, sheet_id):
    flow = Flow(api, sheet_id("szc"))
    flow.fill_self("szc")
    flow.ok(flow.act("szc", "submit"))
    record(api, count=2)
    score, reason, _ = suggested(api, sheet_id, "szc", "info_mgmt", who="gysyk")
    r = flow.put_row("gysyk", "info_mgmt", review_score=score, review_reason=reason)
    assert r.status_code == 200
    assert next(i for i in r.get_json()["items"] if i["code"] == "info_mgmt")["review_score"] == "4"


def test_a_flat_rule_takes_no_count_above_one(api):
    """附件2 无科室学习笔记扣2分 has no 每…: it is taken once (issue 10, 7)."""
    entry = {"year": 2018, "unit": "szc", "rule": "study-4", "date": "2018-05-08"}
    r = api.as_("dwb").post("/api/v1/deductions", json={**entry, "count": 3})
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "flat_rule")
    assert "只扣一次" in r.get_json()["error"]["message"]
    r = api.as_("dwb").post("/api/v1/deductions", json={**entry, "count": 1})
    assert r.status_code == 201, r.get_json()
    fix = api.as_("dwb").put(f"/api/v1/deductions/{r.get_json()['id']}", json={"version": r.get_json()["version"],
                                                                               "count": 2})
    assert (fix.status_code, fix.get_json()["error"]["code"]) == (422, "flat_rule")
    rules = {x["id"]: x for i in api.as_("szc").get("/api/v1/years/2018/scheme").get_json()["items"]
             for x in i["rules"]}
    assert rules["study-4"]["flat"] is True and rules["study-2"]["flat"] is False


def test_an_old_record_under_a_flat_rule_keeps_its_note_correctable(api, app):
    """A record made before the rule was marked flat (count 2) is corrected, not stuck."""
    r = api.as_("dwb").post("/api/v1/deductions", json={"year": 2018, "unit": "szc", "rule": "study-4",
                                                        "date": "2018-05-08"})
    rid = r.get_json()["id"]
    with app.app_context():
        from kaohe_flow.extensions import db
        from kaohe_flow.ledger.models import DeductionRecord

        db.session.execute(db.update(DeductionRecord).where(DeductionRecord.id == rid).values(count=2, version=9))
        db.session.commit()
    fix = api.as_("dwb").put(f"/api/v1/deductions/{rid}", json={"version": 9, "note": "补充说明"})
    assert fix.status_code == 200, fix.get_json()
