"""The progress board (issue 9, 8): for leaders, the director and the admin — the year's sheets by
state, and who holds how many since when, the overdue first; a diagram of the path with the
counts on it. Whose step it is: the unit in draft, its gate in gate_review, each office still to
sign in responsible_sign, the supervising leader in leader_sign."""
import pytest

from flow import Flow
from test_deadlines import given_deadlines
from test_query_count import grow_to
from test_sheet_path import OFFICES, to_gate_review, to_leader_sign, to_responsible_sign

YEAR = 2018
URL = f"/api/v1/years/{YEAR}/progress"
ZERO = {"draft": 0, "gate_review": 0, "responsible_sign": 0, "leader_sign": 0, "final": 0}


def board(api, who="leader1"):
    r = api.as_(who).get(URL)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def holders(progress):
    return {(w["state"], w["unit"] or w.get("leader")): w for w in progress["waiting"]}


def moved_at(api, flow, action):
    """When the sheet's latest `action` step happened, as the history says."""
    steps = api.as_("admin").get(f"/api/v1/sheets/{flow.sid}/history").get_json()["items"]
    return [s["at"] for s in steps if s["action"] == action][-1]


def a_year_under_way(api, sheet_id):
    """办公室 at its gate (人教科), 财审科 being co-signed, 防震管理科 at leader1, 党委办 final."""
    flows = {unit: Flow(api, sheet_id(unit)) for unit in ("bgs", "csk", "fzglk", "dwb")}
    to_gate_review(flows["bgs"])
    to_responsible_sign(flows["csk"], unit="csk")
    flows["csk"].ok(flows["csk"].act("rjk", "sign"))
    to_leader_sign(flows["fzglk"], unit="fzglk")
    to_leader_sign(flows["dwb"], unit="dwb")
    flows["dwb"].ok(flows["dwb"].act("leader1", "sign"))
    return flows


def test_at_the_start_every_sheet_is_a_draft_and_every_unit_holds_its_own(api):
    got = board(api)
    assert got["states"] == {**ZERO, "draft": 19}
    assert len(got["waiting"]) == 19
    assert all((w["state"], w["count"], w["overdue"], w["oldest_since"]) == ("draft", 1, 0, None)
               for w in got["waiting"])


def test_counts_by_state_and_who_holds_what_since_when(api, sheet_id):
    flows = a_year_under_way(api, sheet_id)
    got = board(api, "director")
    assert got["states"] == {"draft": 15, "gate_review": 1, "responsible_sign": 1, "leader_sign": 1, "final": 1}
    held = holders(got)
    assert held[("gate_review", "rjk")]["count"] == 1
    assert held[("gate_review", "rjk")]["oldest_since"] == moved_at(api, flows["bgs"], "submit")
    # 会签: 财审科's sheet waits for every office but 人教科, which has signed.
    assert {unit for state, unit in held if state == "responsible_sign"} == set(OFFICES) - {"rjk"}
    assert held[("responsible_sign", "dwb")]["oldest_since"] == moved_at(api, flows["csk"], "approve")
    leader = held[("leader_sign", "leader1")]
    assert (leader["unit"], leader["leader"], leader["count"]) == (None, "leader1", 1)
    assert ("draft", "bgs") not in held and ("draft", "dwb") not in held and held[("draft", "szc")]["count"] == 1
    assert sum(w["count"] for w in got["waiting"] if w["state"] == "draft") == 15


def test_a_holder_of_several_sheets_counts_them_since_the_oldest(api, sheet_id):
    first, second = Flow(api, sheet_id("bgs")), Flow(api, sheet_id("csk"))
    to_gate_review(first)
    to_gate_review(second, "csk")
    rjk = holders(board(api))[("gate_review", "rjk")]
    assert rjk["count"] == 2 and rjk["oldest_since"] == moved_at(api, first, "submit")


def test_the_overdue_come_first_then_the_longest_waiting(app, api, sheet_id):
    flows = a_year_under_way(api, sheet_id)
    got = board(api, "admin")
    moved = [w for w in got["waiting"] if w["oldest_since"]]
    assert [w["oldest_since"] for w in moved] == sorted(w["oldest_since"] for w in moved)
    assert got["waiting"][0]["state"] == "gate_review"  # 办公室 was submitted first
    given_deadlines(app, leader_sign=-1, draft=5)
    got = board(api, "admin")
    assert (got["waiting"][0]["state"], got["waiting"][0]["leader"], got["waiting"][0]["overdue"]) == (
        "leader_sign", "leader1", 1)
    given_deadlines(app, draft=-2)
    got = board(api, "admin")
    assert [w["state"] for w in got["waiting"][:15]] == ["draft"] * 15 and got["waiting"][0]["overdue"] == 1
    assert flows  # the year stays as it was walked


@pytest.mark.parametrize("who", ["bgs", "bgs.staff", "rjk", "szc.staff"])
def test_units_do_not_see_the_board(api, who):
    r = api.as_(who).get(URL)
    assert (r.status_code, r.get_json()["error"]["code"]) == (403, "forbidden")
    assert api.as_(who).get("/api/v1/years/1990/progress").status_code == 403


def test_an_unknown_year_is_404_for_those_who_may_see_boards(api):
    for who in ("leader1", "director", "admin"):
        assert api.as_(who).get("/api/v1/years/1990/progress").status_code == 404


def test_the_board_reads_the_same_number_of_statements_for_200_units(app, api, count_queries):
    app.config["PAGE_CACHE"] = False  # what drawing the answer costs, not giving a kept one

    def statements():
        client = app.test_client()
        headers = {"Authorization": "Bearer " + api.token("director")}
        client.get(URL, headers=headers)
        with count_queries() as n:
            assert client.get(URL, headers=headers).status_code == 200
        return n()

    small = statements()
    grow_to(app, 200)
    assert statements() == small and small < 15


# ----------------------------------------------------------------------------- the page


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


def test_the_page_draws_the_path_with_its_counts_and_the_waiting_table(client, api, sheet_id, app):
    a_year_under_way(api, sheet_id)
    given_deadlines(app, gate_review=-1)
    r = login(client, "leader1").get(f"/years/{YEAR}/progress")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    path = html[html.index('<ol class="path"'):html.index("</ol>")]
    for label, count in (("自评", 15), ("扎口审核", 1), ("责任科室会签", 1), ("分管领导签字", 1), ("定稿", 1)):
        assert f'<span class="step-name">{label}</span>' in path
        assert f"<strong>{count}</strong> 张" in path.split(label, 1)[1].split("</li>", 1)[0]
    table = html[html.index('id="waiting"'):]
    assert '<th>待办方</th>' in table and "已逾期 1" in table
    assert table.index("人教科") < table.index("王建国")  # the overdue gate first, then the leader
    assert "尚未流转" in table


def test_leaders_the_director_and_the_admin_find_the_board_in_the_menu(client):
    for who in ("leader1", "director", "admin"):
        html = login(client, who).get("/inbox").get_data(as_text=True)
        assert f'href="/years/{YEAR}/progress">进度</a>' in html, who
        client.post("/logout")
    html = login(client, "bgs").get("/inbox").get_data(as_text=True)
    assert "进度</a>" not in html
    assert client.get(f"/years/{YEAR}/progress").status_code == 403


def test_the_year_page_links_its_deadlines_and_board(client):
    html = login(client, "admin").get(f"/years/{YEAR}").get_data(as_text=True)
    assert f'href="/years/{YEAR}/deadlines">办理期限</a>' in html
    assert f'href="/years/{YEAR}/progress">考核进度</a>' in html


def test_the_deadlines_page_sets_them_for_the_admin_and_shows_them_to_others(client, api):
    login(client, "admin")
    r = client.post(f"/years/{YEAR}/deadlines", data={"draft": "2019-01-10", "gate_review": "",
                                                     "responsible_sign": "2019-01-20", "leader_sign": ""})
    assert r.status_code == 302
    assert api.as_("bgs").get(f"/api/v1/years/{YEAR}/deadlines").get_json() == {
        "draft": "2019-01-10", "gate_review": None, "responsible_sign": "2019-01-20", "leader_sign": None}
    html = client.get(f"/years/{YEAR}/deadlines").get_data(as_text=True)
    assert 'id="due-draft" name="draft" value="2019-01-10"' in html and "已保存2018年度办理期限" in html
    bad = client.post(f"/years/{YEAR}/deadlines", data={"draft": "2019-01-30", "responsible_sign": "2019-01-20"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="error-responsible_sign"' in text and 'value="2019-01-30"' in text  # what was typed stays
    assert api.as_("bgs").get(f"/api/v1/years/{YEAR}/deadlines").get_json()["draft"] == "2019-01-10"
    client.post("/logout")
    login(client, "bgs")
    html = client.get(f"/years/{YEAR}/deadlines").get_data(as_text=True)
    assert "disabled" in html and "保存</button>" not in html
    assert client.post(f"/years/{YEAR}/deadlines", data={"draft": "2019-02-01"}).status_code == 403
    assert api.as_("bgs").get(f"/api/v1/years/{YEAR}/deadlines").get_json()["draft"] == "2019-01-10"
