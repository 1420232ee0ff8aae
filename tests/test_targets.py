"""Target letters (目标责任书): 附件2 scores 年度目标任务 target by target (逐项赋分考核，无特殊情况
未按要求完成不得分). A letter's points add up to the item's standard (30 in 2018); 人教科, the
item's responsible office, or the admin enters it while the unit's sheet is a draft; the unit and
its gate score each target; a deduction record under the target rule costs its target only; a
unit without a letter keeps one 年度目标任务 row as before."""
import io

from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from flow import Flow

YEAR = 2018
LETTER = [{"title": "完成老旧小区改造", "points": "12"}, {"title": "新建保障房500套", "points": "10.5"},
          {"title": "城建档案数字化", "points": 7.5}]


def letter_url(unit="bgs", year=YEAR):
    return f"/api/v1/years/{year}/targets/{unit}"


def put_letter(api, items=LETTER, who="rjk", unit="bgs"):
    return api.as_(who).put(letter_url(unit), json={"items": items})


def targets_item(sheet: dict) -> dict:
    return next(i for i in sheet["items"] if i["code"] == "targets")


def put_target(api, sid, code, who="bgs.staff", version=None, **fields):
    if version is None:
        version = api.as_("admin").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    return api.as_(who).put(f"/api/v1/sheets/{sid}/targets/{code}", json={"version": version, **fields})


def audit(api, action="targets_changed"):
    return api.as_("admin").get(f"/api/v1/audit?action={action}").get_json()["items"]


# ----------------------------------------------------------------------------- the letter


def test_renjiaoke_enters_a_letter_and_every_reader_of_the_sheet_reads_it(api):
    r = put_letter(api)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"year": YEAR, "unit": "bgs", "items": [
        {"code": "t1", "title": "完成老旧小区改造", "points": "12"},
        {"code": "t2", "title": "新建保障房500套", "points": "10.5"},
        {"code": "t3", "title": "城建档案数字化", "points": "7.5"}]}
    for who in ("bgs", "bgs.staff", "rjk", "leader1", "director", "admin"):
        got = api.as_(who).get(letter_url())
        assert got.status_code == 200 and got.get_json() == r.get_json(), who


def test_a_unit_without_a_letter_answers_an_empty_list(api):
    assert api.as_("szc").get(letter_url("szc")).get_json() == {"year": YEAR, "unit": "szc", "items": []}


def test_a_unit_outside_does_not_see_the_letter(api):
    put_letter(api)
    assert api.as_("szc").get(letter_url()).status_code == 404
    assert api.as_("bgs").get(letter_url("nosuchunit")).status_code == 404
    assert api.as_("bgs").get(letter_url(year=1990)).status_code == 404


def test_targets_adding_up_to_29_are_refused_and_nothing_changes(api):
    put_letter(api)
    before = audit(api)
    r = put_letter(api, [{"title": "完成老旧小区改造", "points": "12"}, {"title": "其他", "points": "17"}])
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "targets_total"
    assert "合计29分" in error["message"] and "应为30分" in error["message"]
    assert [t["code"] for t in api.as_("bgs").get(letter_url()).get_json()["items"]] == ["t1", "t2", "t3"]
    assert audit(api) == before


def test_titles_must_be_given_and_distinct_and_points_positive_with_two_decimals(api):
    bad = [
        [{"title": "", "points": "30"}],
        [{"title": "甲", "points": "15"}, {"title": "甲", "points": "15"}],
        [{"title": "甲", "points": "0"}, {"title": "乙", "points": "30"}],
        [{"title": "甲", "points": "-1"}, {"title": "乙", "points": "31"}],
        [{"title": "甲", "points": "10.005"}, {"title": "乙", "points": "19.995"}],
        "not a list",
    ]
    for items in bad:
        r = put_letter(api, items)
        assert r.status_code == 422, items
    assert api.as_("bgs").get(letter_url()).get_json()["items"] == []


def test_only_the_targets_office_or_the_admin_enters_a_letter(api):
    assert put_letter(api, who="admin").status_code == 200
    for who in ("szc", "bgs", "bgs.staff", "leader1", "director"):
        r = put_letter(api, who=who)
        assert r.status_code == 403, who
    assert put_letter(api, who="rjk.staff").status_code == 200


def test_a_letter_is_fixed_once_the_sheet_has_left_draft(api, sheet_id):
    put_letter(api)
    flow = Flow(api, sheet_id("bgs"))
    for code in ("t1", "t2", "t3"):
        assert put_target(api, flow.sid, code, self_score="5", self_reason="部分完成").status_code == 200
    _fill_basic(api, flow, "bgs", "self")
    flow.ok(flow.act("bgs", "submit"))
    r = put_letter(api, [{"title": "全年任务", "points": "30"}])
    assert r.status_code == 409
    assert len(api.as_("bgs").get(letter_url()).get_json()["items"]) == 3


def test_a_kept_title_keeps_its_code_and_its_scores_new_titles_get_new_codes(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    assert put_target(api, sid, "t2", self_score="10.5").status_code == 200
    r = put_letter(api, [{"title": "新建保障房500套", "points": "10.5"}, {"title": "河道整治", "points": "19.5"}])
    assert [(t["code"], t["title"]) for t in r.get_json()["items"]] == [("t2", "新建保障房500套"), ("t4", "河道整治")]
    targets = targets_item(api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json())["targets"]
    assert [(t["code"], t["self_score"]) for t in targets] == [("t2", "10.5"), ("t4", None)]


def test_an_empty_list_removes_the_letter_and_the_item_is_one_row_again(api, sheet_id):
    put_letter(api)
    r = put_letter(api, [])
    assert r.status_code == 200 and r.get_json()["items"] == []
    sid = sheet_id("bgs")
    assert "targets" not in targets_item(api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json())
    assert Flow(api, sid).put_row("bgs", "targets", self_score="30", self_reason="").status_code == 200


def test_a_letter_change_is_an_audit_entry_with_the_old_and_new_lists(api):
    put_letter(api, who="admin")
    put_letter(api, [{"title": "全年任务", "points": "30"}])
    latest, first = audit(api)[:2]
    assert latest["action"] == "targets_changed" and latest["object"] == f"targets:{YEAR}:bgs"
    assert latest["who"] == "rjk"
    assert latest["old"] == first["new"] and len(latest["old"]) == 3
    assert latest["new"] == [{"code": "t4", "title": "全年任务", "points": "30"}]
    assert first["old"] == [] and first["who"] == "admin"
    put_letter(api, [{"title": "全年任务", "points": "30"}])  # the same letter again changes nothing
    assert len(audit(api)) == 2


# ----------------------------------------------------------------------------- scoring by targets


def test_the_unit_scores_each_target_and_the_row_holds_their_sum_once_all_are_scored(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    assert put_target(api, sid, "t1", self_score="12").status_code == 200
    r = put_target(api, sid, "t2", self_score="8", self_reason="完成420套")
    assert r.status_code == 200, r.get_json()
    item = targets_item(r.get_json())
    assert item["self_score"] is None  # t3 not scored yet
    assert [t["self_score"] for t in item["targets"]] == ["12", "8", None]
    assert item["targets"][1] == {"code": "t2", "title": "新建保障房500套", "points": "10.5", "self_score": "8",
                                  "self_reason": "完成420套", "review_score": None, "review_reason": "",
                                  "suggested_score": "10.5", "suggested_reason": ""}
    item = targets_item(put_target(api, sid, "t3", self_score="7.5").get_json())
    assert item["self_score"] == "27.5"
    assert "新建保障房500套：完成420套" in item["self_reason"]


def test_target_edits_are_history_steps_naming_the_target(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    put_target(api, sid, "t2", self_score="8", self_reason="完成420套")
    steps = api.as_("bgs").get(f"/api/v1/sheets/{sid}/history").get_json()["items"]
    edits = {(s["field"], s["old"], s["new"]) for s in steps if s["action"] == "edit"}
    assert ("targets/t2.self_score", None, "8") in edits
    assert ("targets/t2.self_reason", "", "完成420套") in edits


def test_a_target_score_above_its_points_or_below_without_reason_is_refused(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    r = put_target(api, sid, "t2", self_score="11")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "score_above_standard"
    r = put_target(api, sid, "t2", self_score="10")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reason_required"
    assert put_target(api, sid, "t9", self_score="1").status_code == 404


def test_target_scores_follow_the_rights_states_and_versions_of_a_row(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    assert put_target(api, sid, "t1", who="szc", self_score="12").status_code == 404
    assert put_target(api, sid, "t1", who="rjk", self_score="12").status_code == 403  # the gate, in draft
    assert put_target(api, sid, "t1", who="rjk", review_score="12").status_code == 409
    assert put_target(api, sid, "t1", version=0, self_score="12").status_code == 409
    assert put_target(api, sid, "t1", self_score="12", review_score="12").status_code == 422


def test_a_unit_with_a_letter_cannot_score_the_targets_row_directly(api, sheet_id):
    put_letter(api)
    r = Flow(api, sheet_id("bgs")).put_row("bgs", "targets", self_score="30", self_reason="")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "scored_by_targets"


def test_the_gate_reviews_target_by_target_and_the_sheet_totals_follow(api, sheet_id):
    put_letter(api)
    flow = Flow(api, sheet_id("bgs"))
    for code, score in (("t1", "12"), ("t2", "10.5"), ("t3", "7.5")):
        assert put_target(api, flow.sid, code, self_score=score).status_code == 200
    _fill_basic(api, flow, "bgs", "self")
    flow.ok(flow.act("bgs", "submit"))
    for code, score, why in (("t1", "12", ""), ("t2", "6", "仅完成300套"), ("t3", "7.5", "")):
        r = put_target(api, flow.sid, code, who="rjk", review_score=score, review_reason=why)
        assert r.status_code == 200, r.get_json()
    _fill_basic(api, flow, "rjk", "review")
    sheet = flow.get()
    assert targets_item(sheet)["review_score"] == "25.5"
    assert sheet["subtotal"] == "95.5"
    flow.ok(flow.act("rjk", "approve"))


def _fill_basic(api, flow, who, kind):
    """Every row but 年度目标任务 at its standard."""
    sheet = flow.get()
    for item in sheet["items"]:
        if item["code"] != "targets":
            r = flow.put_row(who, item["code"], **{f"{kind}_score": item["standard"], f"{kind}_reason": ""})
            assert r.status_code == 200, r.get_json()


def test_a_unit_without_a_letter_keeps_one_targets_row(api, sheet_id):
    flow = Flow(api, sheet_id("szc"))
    r = flow.put_row("szc", "targets", self_score="28", self_reason="一项未完成")
    assert r.status_code == 200
    item = targets_item(r.get_json())
    assert item["self_score"] == "28" and "targets" not in item


# ----------------------------------------------------------------------------- deductions


def record(api, who="rjk", **fields):
    payload = {"year": YEAR, "unit": "bgs", "rule": "targets-1", "count": 1, "date": "2018-11-20", "note": "未完成"}
    payload.update(fields)
    return api.as_(who).post("/api/v1/deductions", json=payload)


def test_a_target_rule_record_names_its_target_and_zeroes_only_that_target(api, sheet_id):
    put_letter(api)
    r = record(api, target="t2")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["target"] == "t2"
    item = targets_item(api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json())
    assert [t["suggested_score"] for t in item["targets"]] == ["12", "0", "7.5"]
    assert item["suggested_score"] == "19.5"
    assert "新建保障房500套" in item["suggested_reason"]


def test_a_target_rule_record_for_a_unit_with_a_letter_must_name_a_known_target(api):
    put_letter(api)
    r = record(api)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "target_required"
    r = record(api, target="t9")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_target"


def test_a_target_rule_record_without_a_letter_zeroes_the_whole_item_as_before(api, sheet_id):
    r = record(api, unit="szc")
    assert r.status_code == 201 and r.get_json()["target"] is None
    item = targets_item(api.as_("szc").get(f"/api/v1/sheets/{sheet_id('szc')}").get_json())
    assert item["suggested_score"] == "0" and "targets" not in item


def test_a_target_named_by_a_standing_record_cannot_be_removed(api):
    put_letter(api)
    record(api, target="t2")
    r = put_letter(api, [{"title": "全年任务", "points": "30"}])
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "target_in_use"


# ----------------------------------------------------------------------------- exports and import


def test_the_print_page_and_the_workbook_show_the_targets_as_sub_rows(api, client, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    put_target(api, sid, "t2", self_score="8", self_reason="完成420套")
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    page = client.get(f"/sheets/{sid}/print").get_data(as_text=True)
    assert "新建保障房500套" in page and "完成420套" in page and "城建档案数字化" in page
    pdf = client.get(f"/sheets/{sid}/export.pdf")
    assert pdf.status_code == 200
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "新建保障房500套" in pdf_text.replace(" ", "").replace("\n", "")
    sheet_page = client.get(f"/sheets/{sid}").get_data(as_text=True)
    assert 'name="score-targets/t2"' in sheet_page and 'name="score-targets"' not in sheet_page
    book = load_workbook(io.BytesIO(api.as_("admin").get(f"/api/v1/years/{YEAR}/export.xlsx").get_data()))
    cells = [c for row in book["办公室"].iter_rows(values_only=True) for c in row if c is not None]
    assert any("新建保障房500套" in str(c) for c in cells) and "完成420套" in cells


def _xlsx(rows) -> io.BytesIO:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def _import(client, who, rows):
    client.post("/login", data={"username": who, "password": "demo12345"})
    return client.post(f"/years/{YEAR}/targets/import", data={"file": (_xlsx(rows), "targets.xlsx")},
                       content_type="multipart/form-data")


def test_an_import_sets_each_units_letter(api, client):
    r = _import(client, "rjk", [("单位", "目标任务", "分值"), ("办公室", "甲", 20), ("bgs", "乙", 10),
                                ("市政处", "全年任务", "30")])
    assert r.status_code == 302, r.get_data(as_text=True)
    assert [t["title"] for t in api.as_("admin").get(letter_url()).get_json()["items"]] == ["甲", "乙"]
    assert api.as_("admin").get(letter_url("szc")).get_json()["items"][0]["points"] == "30"


def test_an_import_with_bad_rows_changes_nothing_and_names_each_row(api, client):
    put_letter(api)
    r = _import(client, "rjk", [("单位", "目标任务", "分值"), ("办公室", "甲", 20), ("办公室", "乙", 9),
                                ("没有的科室", "丙", 30), ("市政处", "", 30)])
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "第 2 行" in text and "合计29分" in text and "第 4 行" in text and "第 5 行" in text
    assert len(api.as_("admin").get(letter_url()).get_json()["items"]) == 3
    assert api.as_("admin").get(letter_url("szc")).get_json()["items"] == []


def test_the_letter_page_refuses_a_wrong_total_and_shows_what_was_typed(client, api):
    client.post("/login", data={"username": "rjk", "password": "demo12345"})
    r = client.post(f"/years/{YEAR}/targets/bgs", data={"title-0": "甲任务", "points-0": "20",
                                                        "title-1": "乙任务", "points-1": "9"})
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "合计29分" in text and "甲任务" in text and 'value="9"' in text
    r = client.post(f"/years/{YEAR}/targets/bgs", data={"title-0": "甲任务", "points-0": "20",
                                                        "title-1": "乙任务", "points-1": "10"})
    assert r.status_code == 302
    assert [t["title"] for t in api.as_("bgs").get(letter_url()).get_json()["items"]] == ["甲任务", "乙任务"]
    listing = client.get(f"/years/{YEAR}/targets").get_data(as_text=True)
    assert "办公室" in listing


# ----------------------------------------------------------------------------- pages


def _login(client, who):
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302


def test_the_unit_scores_targets_on_the_sheet_page_and_the_targets_row_shows_the_sum(api, client, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    version = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    _login(client, "bgs.staff")
    form = {"kind": "self", "version": str(version), "code": ["targets/t1", "targets/t2", "targets/t3"]}
    for code, score, why in (("t1", "12", ""), ("t2", "10", "差20套"), ("t3", "7.5", "")):
        form[f"score-targets/{code}"], form[f"reason-targets/{code}"] = score, why
        form[f"shown-score-targets/{code}"], form[f"shown-reason-targets/{code}"] = "", ""
    r = client.post(f"/sheets/{sid}/rows", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    item = targets_item(api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json())
    assert item["self_score"] == "29.5"
    page = client.get(f"/sheets/{sid}").get_data(as_text=True)
    assert "按目标责任书逐项评分" in page and "差20套" in page


def test_the_sheet_page_refuses_a_whole_targets_score_for_a_unit_with_a_letter(api, client, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    version = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    _login(client, "bgs")
    r = client.post(f"/sheets/{sid}/rows", data={"kind": "self", "version": str(version), "code": "targets",
                                                 "score-targets": "30", "reason-targets": ""})
    assert r.status_code == 422
    assert "逐项目标评分" in r.get_data(as_text=True)


def test_the_gate_takes_each_targets_suggestion_with_one_click(api, client, sheet_id):
    put_letter(api)
    record(api, target="t2")
    flow = Flow(api, sheet_id("bgs"))
    for code, score in (("t1", "12"), ("t2", "10.5"), ("t3", "7.5")):
        put_target(api, flow.sid, code, self_score=score)
    _fill_basic(api, flow, "bgs", "self")
    flow.ok(flow.act("bgs", "submit"))
    _login(client, "rjk")
    page = client.get(f"/sheets/{flow.sid}").get_data(as_text=True)
    assert 'name="score-targets/t2"' in page
    start = page.split('name="score-targets/t2"', 1)[1].split(">", 1)[0]
    assert 'value=""' in start and 'name="take" value="targets/t2"' in page  # empty until taken
    r = client.post(f"/sheets/{flow.sid}/rows", data={"kind": "review", "version": str(flow.version),
                                                      "take": "targets/t2"})
    assert r.status_code == 302
    targets = next(i for i in flow.get()["items"] if i["code"] == "targets")["targets"]
    assert next(t for t in targets if t["code"] == "t2")["review_score"] == "0"


def test_the_ledger_form_offers_the_units_targets_and_records_one(api, client):
    put_letter(api)
    _login(client, "rjk")
    page = client.get(f"/deductions?year={YEAR}").get_data(as_text=True)
    assert 'name="target"' in page and "新建保障房500套" in page
    r = client.post("/deductions", data={"year": str(YEAR), "unit": "bgs", "rule": "targets-1", "target": "t2",
                                         "count": "1", "date": f"{YEAR}-11-20"})
    assert r.status_code == 302
    records = api.as_("admin").get(f"/api/v1/deductions?year={YEAR}&unit=bgs").get_json()["items"]
    assert [r["target"] for r in records] == ["t2"]
    r = client.post("/deductions", data={"year": str(YEAR), "unit": "bgs", "rule": "targets-1", "target": "",
                                         "count": "1", "date": f"{YEAR}-11-20"})
    assert r.status_code == 422


def test_the_letter_list_is_in_the_menu_of_renjiaoke_and_the_admin_only(client):
    for who, shown in (("rjk", True), ("admin", True), ("bgs", False), ("szc.staff", False)):
        client.post("/logout")
        _login(client, who)
        page = client.get("/inbox").get_data(as_text=True)
        assert (f"/years/{YEAR}/targets" in page) is shown, who


def test_a_letter_page_is_read_only_for_the_unit_and_not_found_outside(api, client):
    put_letter(api)
    _login(client, "bgs")
    page = client.get(f"/years/{YEAR}/targets/bgs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "新建保障房500套" in text and 'name="title-0"' not in text
    client.post("/logout")
    _login(client, "szc")
    assert client.get(f"/years/{YEAR}/targets/bgs").status_code == 404


def test_adding_lines_keeps_what_was_typed_and_saves_nothing(api, client):
    _login(client, "rjk")
    r = client.post(f"/years/{YEAR}/targets/bgs", data={"op": "add", "title-0": "甲任务", "points-0": "12.5"})
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert 'value="甲任务"' in text and 'name="title-6"' in text and ">12.5<" in text
    assert api.as_("bgs").get(letter_url()).get_json()["items"] == []


# ----------------------------------------------------------------------------- a letter changed in draft


def test_changing_a_targets_points_clears_a_score_above_them_and_bumps_the_sheet(api, sheet_id):
    put_letter(api)
    sid = sheet_id("bgs")
    put_target(api, sid, "t1", self_score="12")
    before = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()["version"]
    r = put_letter(api, [{"title": "完成老旧小区改造", "points": "10"}, {"title": "新建保障房500套", "points": "12.5"},
                         {"title": "城建档案数字化", "points": "7.5"}])
    assert r.status_code == 200
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert sheet["version"] > before
    assert [t["self_score"] for t in targets_item(sheet)["targets"]] == [None, None, None]
    steps = api.as_("bgs").get(f"/api/v1/sheets/{sid}/history").get_json()["items"]
    fields = [s["field"] for s in steps if s["action"] == "edit"]
    assert "targets.letter" in fields and fields.count("targets/t1.self_score") == 2


def test_a_new_year_gets_letters_before_it_opens(api):
    r = api.as_("admin").post("/api/v1/years", json={"year": 2019, "copy_from": YEAR})
    assert r.status_code == 201, r.get_json()
    r = api.as_("rjk").put("/api/v1/years/2019/targets/szc", json={"items": [{"title": "全年任务", "points": "30"}]})
    assert r.status_code == 200, r.get_json()
    assert api.as_("szc").get("/api/v1/years/2019/targets/szc").get_json()["items"][0]["code"] == "t1"
    assert api.as_("gysyk").get("/api/v1/years/2019/targets/szc").status_code == 200  # its gate in 2019
    assert api.as_("bgs").get("/api/v1/years/2019/targets/szc").status_code == 200  # a responsible office
    assert api.as_("rgz").get("/api/v1/years/2019/targets/szc").status_code == 404


def test_a_record_is_corrected_to_name_another_target(api, sheet_id):
    put_letter(api)
    rec = record(api, target="t2").get_json()
    r = api.as_("rjk").put(f"/api/v1/deductions/{rec['id']}", json={"version": rec["version"], "target": "t3"})
    assert r.status_code == 200 and r.get_json()["target"] == "t3"
    item = targets_item(api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json())
    assert [t["suggested_score"] for t in item["targets"]] == ["12", "10.5", "0"]
    steps = api.as_("rjk").get(f"/api/v1/deductions/{rec['id']}/history").get_json()["items"]
    assert any(s.get("field") == "target" and s["old"].startswith("t2 ") and s["new"].startswith("t3 ") for s in steps)
