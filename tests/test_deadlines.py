"""Deadlines (issue 9, 1): the admin sets, per year and state, the date by which a record must
leave that state; every sheet, application and 待办 line carries its `due` date and whether it is
`overdue` (today in Asia/Shanghai is after it); it turns amber `due_soon_days` (3) before; the
inbox sorts by it, the overdue first and those without a deadline last. A record that came back
(被退回) has its own line with the reason and the named rows."""
from datetime import timedelta

import pytest

from flow import Flow
from test_bonus import Bonus
from test_sheet_path import to_gate_review, to_responsible_sign

from kaohe_flow.extensions import db
from kaohe_flow.rhythm import deadlines
from kaohe_flow.rhythm.deadline_models import Deadline
from kaohe_flow.sheets.models import Sheet
from kaohe_flow.timeutil import local_today

YEAR = 2018
URL = f"/api/v1/years/{YEAR}/deadlines"
NONE_SET = {"draft": None, "gate_review": None, "responsible_sign": None, "leader_sign": None}


def today():
    return local_today()


def days(n: int) -> str:
    """The bureau's date n days from today, as the API writes it."""
    return (today() + timedelta(days=n)).isoformat()


def given_deadlines(app, **dues):
    """Given: the year's deadlines, written straight to the database (state → days from today)."""
    with app.app_context():
        db.session.execute(db.delete(Deadline).where(Deadline.year == YEAR))
        for state, n in dues.items():
            db.session.add(Deadline(year=YEAR, state=state, due=today() + timedelta(days=n)))
        db.session.commit()


def audit(api):
    return api.as_("admin").get("/api/v1/audit?action=deadlines_changed").get_json()["items"]


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


# ----------------------------------------------------------------------------- setting them


def test_everyone_signed_in_reads_the_deadlines_and_none_are_set_at_first(api):
    for who in ("bgs.staff", "rjk", "leader1", "director", "admin"):
        r = api.as_(who).get(URL)
        assert r.status_code == 200 and r.get_json() == NONE_SET, who
    assert api.as_("bgs").get("/api/v1/years/1990/deadlines").status_code == 404


def test_the_admin_sets_them_partially_and_every_change_is_audited(api):
    r = api.as_("admin").put(URL, json={"draft": "2019-01-10"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {**NONE_SET, "draft": "2019-01-10"}
    r = api.as_("admin").put(URL, json={"gate_review": "2019-01-15", "leader_sign": "2019-01-25"})
    assert r.get_json() == {"draft": "2019-01-10", "gate_review": "2019-01-15", "responsible_sign": None,
                            "leader_sign": "2019-01-25"}
    assert api.as_("bgs").get(URL).get_json() == r.get_json()
    latest, first = audit(api)
    assert (latest["who"], latest["old"], latest["new"]) == (
        "admin", {"gate_review": None, "leader_sign": None}, {"gate_review": "2019-01-15", "leader_sign": "2019-01-25"})
    assert (first["old"], first["new"]) == ({"draft": None}, {"draft": "2019-01-10"})
    assert "2018" in latest["object"]


def test_null_or_empty_clears_a_deadline_and_saving_the_same_writes_no_entry(api):
    api.as_("admin").put(URL, json={"draft": "2019-01-10", "gate_review": "2019-01-15"})
    assert api.as_("admin").put(URL, json={"draft": "2019-01-10"}).status_code == 200
    assert len(audit(api)) == 1
    assert api.as_("admin").put(URL, json={"draft": None, "gate_review": ""}).get_json() == NONE_SET
    assert audit(api)[0]["new"] == {"draft": None, "gate_review": None}


@pytest.mark.parametrize("who", ["bgs", "bgs.staff", "rjk", "leader1", "director"])
def test_only_the_admin_sets_deadlines_and_a_refusal_changes_nothing(api, who):
    r = api.as_(who).put(URL, json={"draft": "2019-01-10"})
    assert r.status_code == 403
    assert api.as_(who).put("/api/v1/years/1990/deadlines", json={"draft": "2019-01-10"}).status_code == 403
    assert api.as_("admin").get(URL).get_json() == NONE_SET
    assert audit(api) == []


@pytest.mark.parametrize("body, key, code", [
    ({"draft": "2019-13-01"}, "draft", "invalid_deadlines"),
    ({"gate_review": "2019-02-30"}, "gate_review", "invalid_deadlines"),
    ({"leader_sign": "10/01/2019"}, "leader_sign", "invalid_deadlines"),
    ({"draft": "2019-1-10"}, "draft", "invalid_deadlines"),
    ({"responsible_sign": 20190110}, "responsible_sign", "invalid_deadlines"),
    ({"final": "2019-01-10"}, "final", "invalid_deadlines"),
    ({"submitted": "2019-01-10"}, "submitted", "invalid_deadlines"),
])
def test_a_bad_date_or_an_unknown_state_is_refused_naming_it_and_nothing_changes(api, body, key, code):
    api.as_("admin").put(URL, json={"draft": "2019-01-10"})
    r = api.as_("admin").put(URL, json={"leader_sign": "2019-01-20", **body})
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == code and key in error["message"]
    assert api.as_("admin").get(URL).get_json() == {**NONE_SET, "draft": "2019-01-10"}
    assert len(audit(api)) == 1


def test_a_bad_date_is_explained_in_words_people_use(api):
    error = api.as_("admin").put(URL, json={"draft": "2019-13-01"}).get_json()["error"]
    assert "自评" in error["message"] and "年-月-日" in error["message"]


def test_a_later_state_due_before_an_earlier_one_is_refused_but_the_same_day_is_fine(api):
    r = api.as_("admin").put(URL, json={"draft": "2019-01-10", "gate_review": "2019-01-05"})
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "deadline_order"
    assert "扎口审核" in error["message"] and "2019-01-05" in error["message"] and "2019-01-10" in error["message"]
    assert api.as_("admin").get(URL).get_json() == NONE_SET
    ok = api.as_("admin").put(URL, json={"draft": "2019-01-10", "gate_review": "2019-01-10"})
    assert ok.status_code == 200
    # A state between the two may stay open: leader_sign is compared with gate_review.
    assert api.as_("admin").put(URL, json={"leader_sign": "2019-01-09"}).status_code == 422


def test_a_body_that_is_not_an_object_is_400_and_an_unknown_year_404(api):
    assert api.as_("admin").put(URL, data="x", content_type="application/json").status_code == 400
    assert api.as_("admin").put(URL, json=["draft"]).status_code == 400
    assert api.as_("admin").put("/api/v1/years/1990/deadlines", json={"draft": "2019-01-10"}).status_code == 404


def test_due_soon_days_is_a_setting_that_may_change_after_the_year_has_begun(api, sheet_id):
    settings = api.as_("bgs").get(f"/api/v1/years/{YEAR}/settings").get_json()
    assert settings["due_soon_days"] == 3
    to_gate_review(Flow(api, sheet_id("bgs")))  # the year's sheets have left draft
    r = api.as_("admin").put(f"/api/v1/years/{YEAR}/settings", json={"due_soon_days": 5})
    assert r.status_code == 200 and r.get_json()["due_soon_days"] == 5
    r = api.as_("admin").put(f"/api/v1/years/{YEAR}/settings", json={"due_soon_days": -1})
    assert r.status_code == 422 and "due_soon_days" in r.get_json()["error"]["message"]
    assert api.as_("bgs").put(f"/api/v1/years/{YEAR}/settings", json={"due_soon_days": 1}).status_code == 403


# ----------------------------------------------------------------------------- records carry them


def test_a_sheet_carries_the_deadline_of_its_state_and_whether_it_is_overdue(app, api, sheet_id):
    given_deadlines(app, draft=-1, gate_review=4)
    sid = sheet_id("bgs")
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert (sheet["due"], sheet["overdue"]) == (days(-1), True)
    listed = {s["id"]: s for s in api.as_("bgs").get(f"/api/v1/sheets?year={YEAR}").get_json()["items"]}
    assert (listed[sid]["due"], listed[sid]["overdue"]) == (days(-1), True)
    to_gate_review(Flow(api, sid))
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert (sheet["due"], sheet["overdue"]) == (days(4), False)


def test_a_state_without_a_deadline_and_a_final_record_are_due_never(app, api, sheet_id):
    given_deadlines(app, gate_review=-3)
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()
    assert (sheet["due"], sheet["overdue"]) == (None, False)


def test_the_deadline_day_itself_is_not_overdue(app, api, sheet_id):
    given_deadlines(app, draft=0)
    sheet = api.as_("bgs").get(f"/api/v1/sheets/{sheet_id('bgs')}").get_json()
    assert (sheet["due"], sheet["overdue"]) == (days(0), False)


def test_a_bonus_application_carries_its_due_date_too(app, api):
    given_deadlines(app, draft=-2)
    b = Bonus(api)
    got = b.get("bgs")
    assert (got["due"], got["overdue"]) == (days(-2), True)
    listed = api.as_("bgs").get(f"/api/v1/bonus-applications?year={YEAR}").get_json()["items"]
    assert [(a["due"], a["overdue"]) for a in listed] == [(days(-2), True)]


@pytest.mark.parametrize("offset, soon_days, expected", [
    (-1, 3, "overdue"), (0, 3, "due_soon"), (3, 3, "due_soon"), (4, 3, "ok"), (4, 5, "due_soon"), (0, 0, "due_soon"),
    (1, 0, "ok"),
])
def test_status_turns_amber_due_soon_days_before_and_red_after(app, api, sheet_id, offset, soon_days, expected):
    given_deadlines(app, draft=offset)
    api.as_("admin").put(f"/api/v1/years/{YEAR}/settings", json={"due_soon_days": soon_days})
    with app.test_request_context():
        sheet = db.session.get(Sheet, sheet_id("bgs"))
        assert deadlines.status(sheet) == expected
        assert deadlines.is_overdue(sheet) == (expected == "overdue")
        assert deadlines.due_of(sheet) == today() + timedelta(days=offset)
        assert deadlines.status(sheet, today=today() + timedelta(days=offset + 1)) == "overdue"


def test_no_deadline_no_status(app, sheet_id):
    with app.test_request_context():
        sheet = db.session.get(Sheet, sheet_id("bgs"))
        assert deadlines.status(sheet) is None and deadlines.due_of(sheet) is None
        assert deadlines.is_overdue(sheet) is False


# ----------------------------------------------------------------------------- the inbox


def rjk_with_three_lines(api, sheet_id):
    """人教科's 待办: its own draft (submit), 办公室's sheet to review (approve) and 财审科's to
    co-sign (sign)."""
    to_gate_review(Flow(api, sheet_id("bgs")))
    to_responsible_sign(Flow(api, sheet_id("csk")), unit="csk")


def test_the_inbox_is_sorted_by_due_date_overdue_first_and_no_deadline_last(app, api, sheet_id):
    rjk_with_three_lines(api, sheet_id)
    given_deadlines(app, gate_review=10, responsible_sign=-1)
    items = api.as_("rjk").get("/api/v1/inbox").get_json()["items"]
    assert [(i["unit"], i["action"], i["due"], i["overdue"]) for i in items] == [
        ("csk", "sign", days(-1), True), ("bgs", "approve", days(10), False), ("rjk", "submit", None, False)]
    assert all(i["returned"] is False for i in items)
    given_deadlines(app, draft=1, gate_review=10, responsible_sign=20)
    items = api.as_("rjk").get("/api/v1/inbox").get_json()["items"]
    assert [i["unit"] for i in items] == ["rjk", "bgs", "csk"]


def test_the_inbox_page_shows_each_due_date_in_words_and_sorted(app, client, api, sheet_id):
    rjk_with_three_lines(api, sheet_id)
    given_deadlines(app, draft=1, gate_review=10, responsible_sign=-1)
    html = login(client, "rjk").get("/inbox").get_data(as_text=True)
    assert f"已逾期 · 期限 {days(-1)}" in html
    assert f"即将到期 · 期限 {days(1)}" in html
    assert f"期限 {days(10)}" in html
    assert html.index("财审科 2018年度考核计分表") < html.index("人教科 2018年度考核计分表") \
        < html.index("办公室 2018年度考核计分表")
    assert 'class="line-overdue"' in html and 'class="line-due_soon"' in html


def test_an_application_and_a_sheet_share_one_sorted_inbox(app, api, sheet_id):
    b = Bonus(api)
    b.ok(b.upload(), 201)
    b.ok(b.act("bgs", "submit"))
    to_responsible_sign(Flow(api, sheet_id("csk")), unit="csk")
    given_deadlines(app, gate_review=-5, responsible_sign=2)
    items = api.as_("rjk").get("/api/v1/inbox").get_json()["items"]
    assert [(i["kind"], i["unit"], i["overdue"]) for i in items] == [
        ("bonus", "bgs", True), ("sheet", "csk", False), ("sheet", "rjk", False)]


def test_a_sheet_returned_by_its_gate_has_its_own_line_with_the_reason(app, client, api, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    to_gate_review(flow)
    flow.ok(flow.act("rjk", "return", comment="请补充队伍建设的佐证材料"))
    [item] = api.as_("bgs").get("/api/v1/inbox").get_json()["items"]
    assert (item["id"], item["action"], item["returned"]) == (flow.sid, "submit", True)
    html = login(client, "bgs").get("/inbox").get_data(as_text=True)
    returned = html[html.index("被退回"):html.index("等待我处理")]
    assert "办公室 2018年度考核计分表" in returned and "请补充队伍建设的佐证材料" in returned
    assert "人教科负责人" in returned  # who sent it back, by name
    # Once it moves on, it is no longer a returned record.
    flow.ok(flow.act("bgs", "submit"))
    assert [i["returned"] for i in api.as_("rjk").get("/api/v1/inbox").get_json()["items"]
            if i["unit"] == "bgs"] == [False]


def test_a_members_returned_draft_says_so_where_they_fill_it_in(client, api, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    to_gate_review(flow)
    flow.ok(flow.act("rjk", "return", comment="自评分偏高"))
    html = login(client, "bgs.staff").get("/inbox").get_data(as_text=True)
    fill = html[html.index("我可以填写的"):]
    assert "自评分偏高" in fill and "填写自评分" in fill


def test_an_office_return_names_its_rows_on_the_gates_line(client, api, sheet_id):
    flow = Flow(api, sheet_id("bgs"))
    to_responsible_sign(flow)
    flow.ok(flow.act("dwb", "return", comment="扣分依据不足", items=["team"]))
    [item] = [i for i in api.as_("rjk").get("/api/v1/inbox").get_json()["items"] if i["unit"] == "bgs"]
    assert (item["state"], item["action"], item["returned"]) == ("gate_review", "approve", True)
    html = login(client, "rjk").get("/inbox").get_data(as_text=True)
    returned = html[html.index("被退回"):html.index("等待我处理")]
    assert "扣分依据不足" in returned and "有异议的项目：队伍建设" in returned


def test_the_inbox_costs_no_statement_per_line(app, api, sheet_id, count_queries):
    """Due dates and returns are read once per request, not once per line."""
    given_deadlines(app, draft=1, gate_review=2)
    app.config["PAGE_CACHE"] = False  # what drawing the answer costs, not giving a kept one

    def statements():
        client = app.test_client()
        headers = {"Authorization": "Bearer " + api.token("rjk")}
        client.get("/api/v1/inbox", headers=headers)
        with count_queries() as n:
            assert client.get("/api/v1/inbox", headers=headers).status_code == 200
        return n()

    for unit in ("bgs", "csk", "jgk"):
        flow = Flow(api, sheet_id(unit))
        to_gate_review(flow, unit)
        if unit != "csk":
            flow.ok(flow.act("rjk", "return", comment="请补充"))
            flow.ok(flow.act(unit, "submit"))
        if unit == "bgs":
            before = statements()
    assert statements() == before


def test_the_admin_sets_due_soon_days_on_the_settings_page(client, api):
    login(client, "admin")
    html = client.get(f"/years/{YEAR}/settings").get_data(as_text=True)
    assert 'id="due_soon_days" name="due_soon_days" value="3"' in html and "即将到期" in html
    assert client.post(f"/years/{YEAR}/settings", data={"due_soon_days": "5"}).status_code == 302
    assert api.as_("bgs").get(f"/api/v1/years/{YEAR}/settings").get_json()["due_soon_days"] == 5
    refused = client.post(f"/years/{YEAR}/settings", data={"due_soon_days": "很多"})
    assert refused.status_code == 422 and "到期提醒提前天数" in refused.get_data(as_text=True)
    assert api.as_("bgs").get(f"/api/v1/years/{YEAR}/settings").get_json()["due_soon_days"] == 5


def test_the_sheet_and_application_pages_show_their_due_date_in_words(app, client, api, sheet_id):
    given_deadlines(app, draft=-2)
    page = login(client, "bgs").get(f"/sheets/{sheet_id('bgs')}").get_data(as_text=True)
    badge = page.split('id="due"')[1].split("</span>")[0]
    assert "已逾期" in badge and days(-2) in badge and "办理期限" in badge
    given_deadlines(app, draft=1)
    application = api.as_("bgs.staff").post("/api/v1/bonus-applications", json={
        "year": YEAR, "project": "获市级文明单位", "points_requested": "1"}).get_json()
    page = client.get(f"/bonus/{application['id']}").get_data(as_text=True)
    badge = page.split('id="due"')[1].split("</span>")[0]
    assert "即将到期" in badge and days(1) in badge
