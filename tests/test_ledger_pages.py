"""The pages of the deduction records, and "why did I lose this point?" on the sheet."""
import re

from test_ledger import record


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def test_an_office_records_through_the_page(client):
    login(client, "bgs.staff")
    html = client.get("/deductions?year=2018").get_data(as_text=True)
    assert "新增扣分记录" in html and "信息管理" in html and "队伍建设" not in html  # only its own items
    r = client.post("/deductions", data={"year": "2018", "unit": "szc", "rule": "hygiene-1", "count": "2",
                                         "date": "2018-05-08", "people": "李四", "note": "卫生检查不合格"})
    assert r.status_code == 302
    html = client.get("/deductions?year=2018").get_data(as_text=True)
    assert "已记录" in html and "市政处" in html and "平时检查发现卫生工作不到位" in html


def test_a_refused_record_keeps_what_was_typed(client):
    login(client, "bgs.staff")
    r = client.post("/deductions", data={"year": "2018", "unit": "szc", "rule": "hygiene-1", "count": "0",
                                         "date": "2018-05-08", "people": "李四", "note": "卫生检查不合格"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "次数" in html and "卫生检查不合格" in html and 'value="李四"' in html


def test_units_without_items_see_no_form(client):
    login(client, "szc")
    assert "新增扣分记录" not in client.get("/deductions").get_data(as_text=True)


def test_the_sheet_says_why_a_point_was_lost(client, api, sheet_id):
    record(api, count=2)
    login(client, "szc")
    html = client.get(f"/sheets/{sheet_id('szc')}").get_data(as_text=True)
    assert "为何扣分" in html and "2例，扣1分" in html


def test_the_gate_starts_empty_and_takes_a_suggestion_with_one_click(client, api, sheet_id):
    """Issue 10, 2: the 考评分 boxes are empty until the gate types or takes the suggestion; the
    suggestion and its reasons stay in view; a click takes one row, another every empty row,
    and what else was typed is saved with it."""
    from flow import Flow

    flow = Flow(api, sheet_id("szc"))
    flow.fill_self("szc")
    flow.ok(flow.act("szc", "submit"))
    record(api, count=2)
    login(client, "gysyk")
    html = client.get(f"/sheets/{sheet_id('szc')}").get_data(as_text=True)
    assert re.search(r'aria-label="信息管理考评分" value=""', html)
    assert "无故不登陆办公OA系统" in html and "采用建议分" in html
    form = {"kind": "review", "version": str(flow.version), "take": "info_mgmt",
            "code": ["team", "info_mgmt"], "score-team": "1.5", "reason-team": "班子不够团结",
            "shown-score-team": "", "shown-reason-team": "", "score-info_mgmt": "", "reason-info_mgmt": "",
            "shown-score-info_mgmt": "", "shown-reason-info_mgmt": ""}
    assert client.post(f"/sheets/{sheet_id('szc')}/rows", data=form).status_code == 302
    rows = {i["code"]: i for i in flow.get()["items"]}
    assert (rows["info_mgmt"]["review_score"], rows["team"]["review_score"]) == ("4", "1.5")
    assert "无故不登陆办公OA系统" in rows["info_mgmt"]["review_reason"]
    everything = {"kind": "review", "version": str(flow.version), "take": "*"}
    assert client.post(f"/sheets/{sheet_id('szc')}/rows", data=everything).status_code == 302
    rows = {i["code"]: i for i in flow.get()["items"]}
    assert all(i["review_score"] is not None for i in rows.values())
    assert rows["team"]["review_score"] == "1.5"  # a row already scored keeps its score


def test_saving_the_key_deduction_keeps_the_typed_review_scores(client, api, sheet_id):
    """Issue 10, 3: 保存扣分 saves the 考评分 typed on the same page too."""
    from flow import Flow

    flow = Flow(api, sheet_id("szc"))
    flow.fill_self("szc")
    flow.ok(flow.act("szc", "submit"))
    login(client, "gysyk")
    form = {"kind": "review", "version": str(flow.version), "code": ["team"], "score-team": "2",
            "reason-team": "", "shown-score-team": "", "shown-reason-team": "", "points": "1",
            "reason": "重点工作滞后"}
    r = client.post(f"/sheets/{sheet_id('szc')}/key-deduction", data=form, follow_redirects=True)
    assert "考评分和重点指标扣分已保存" in r.get_data(as_text=True)
    sheet = flow.get()
    assert sheet["key_deduction"] == "1" and next(i for i in sheet["items"] if i["code"] == "team")["review_score"] == "2"


def test_withdrawing_through_the_page_needs_a_reason(client, api):
    rid = record(api).get_json()["id"]
    login(client, "bgs")
    html = client.get(f"/deductions/{rid}").get_data(as_text=True)
    assert "撤销记录" in html and "更正记录" in html
    r = client.post(f"/deductions/{rid}/withdraw", data={"version": "1", "comment": ""})
    assert r.status_code == 422
    r = client.post(f"/deductions/{rid}/withdraw", data={"version": "1", "comment": "重复"})
    assert r.status_code == 302
    assert "已撤销" in client.get(f"/deductions/{rid}").get_data(as_text=True)
    client.post("/logout")
    login(client, "rgz")
    assert client.get(f"/deductions/{rid}").status_code == 404
