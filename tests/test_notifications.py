"""Notifications (CONTRACT.md "The year's rhythm", issue 9): a step that puts a record in someone's
inbox tells everyone who may now take it (`todo`), once; a return tells the unit (`returned`) with
the reason and the named rows; a delegation tells the delegate. Everyone reads their own list,
newest first, and marks lines read; nobody reads another's, and reading never writes."""
from collections import Counter
from datetime import timedelta

from flow import Flow

OFFICES = ("rjk", "dwb", "cjjcdd", "bgs")  # the responsible offices that sign rows (会签) in 2018


def notes(api, who, **params):
    r = api.as_(who).get("/api/v1/notifications", query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def kinds(api, who, record=None):
    """The kinds of `who`'s notifications (about `record`, a (kind, id) pair), oldest first."""
    items = reversed(notes(api, who)["items"])
    return [n["kind"] for n in items if record is None or (n["record"]["kind"], n["record"]["id"]) == record]


def walk_to(api, sid, state):
    """Given: bgs's sheet walked to `state` through the API as the right people."""
    flow = Flow(api, sid)
    flow.fill_self("bgs.staff")
    assert flow.act("bgs", "submit").status_code == 200
    if state == "gate_review":
        return flow
    flow.fill_review("rjk")
    assert flow.act("rjk", "approve").status_code == 200
    if state == "responsible_sign":
        return flow
    for office in OFFICES:
        assert flow.act(office, "sign").status_code == 200, office
    if state == "leader_sign":
        return flow
    assert flow.act("leader1", "sign").status_code == 200
    return flow


# ----------------------------------------------------------------------------- todo


def test_a_submit_tells_the_gate_head_to_approve_and_its_members_to_score(api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    head = notes(api, "rjk")["items"]
    assert [(n["kind"], n["record"]) for n in head] == [("todo", {"kind": "sheet", "id": sid})]
    assert "办公室" in head[0]["text"] and "待您审核" in head[0]["text"] and "bgs" not in head[0]["text"]
    assert kinds(api, "rjk.staff") == ["todo"]
    assert "考评分" in notes(api, "rjk.staff")["items"][0]["text"]
    # the one who submitted, the unit's member, a unit outside and the leader are told nothing
    for who in ("bgs", "bgs.staff", "szc", "leader1", "dwb", "admin"):
        assert kinds(api, who) == [], who


def test_a_walked_path_tells_each_person_once_and_the_last_office_moves_it_to_the_leader(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "responsible_sign")
    for office in OFFICES:
        if office != "rjk":  # rjk approved: the actor is not told about its own step
            assert kinds(api, office, ("sheet", sid)) == ["todo"], office
    # 会签: after one office signs, the others are not told again
    assert flow.act("dwb", "sign").status_code == 200
    assert kinds(api, "cjjcdd", ("sheet", sid)) == ["todo"]
    assert kinds(api, "leader1") == []
    for office in ("cjjcdd", "bgs", "rjk"):
        assert flow.act(office, "sign").status_code == 200
    assert kinds(api, "leader1") == ["todo"]
    assert "待您签字" in notes(api, "leader1")["items"][0]["text"]
    assert flow.act("leader1", "sign").status_code == 200
    # final: nobody is told anything more, and nobody ever got the same notification twice
    everyone = ("bgs", "bgs.staff", "rjk", "rjk.staff", "dwb", "cjjcdd", "leader1", "leader2", "director", "admin")
    for who in everyone:
        items = notes(api, who)["items"]
        assert len({n["text"] for n in items}) == len(items), who
    assert kinds(api, "leader1") == ["todo"]


def test_members_of_the_unit_are_told_to_score_again_after_a_return_to_draft(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "gate_review")
    assert flow.act("rjk", "return", comment="自评依据不足").status_code == 200
    assert kinds(api, "bgs.staff") == ["returned", "todo"]
    assert kinds(api, "bgs") == ["returned", "todo"]
    assert "待您提交" in notes(api, "bgs")["items"][0]["text"]


# ----------------------------------------------------------------------------- returned


def test_a_return_tells_the_unit_the_reason_and_the_named_rows_and_the_gate_its_new_turn(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "responsible_sign")
    before = Counter(kinds(api, "rjk"))
    r = flow.act("dwb", "return", comment="队伍建设分值偏高", items=["team"])
    assert r.status_code == 200, r.get_json()
    for who in ("bgs", "bgs.staff"):
        returned = [n for n in notes(api, who)["items"] if n["kind"] == "returned"]
        assert len(returned) == 1, who
        text = returned[0]["text"]
        assert "队伍建设分值偏高" in text and "队伍建设" in text and "退回" in text and "办公室" in text, text
        assert "team" not in text  # the row by its name, not its code
    # the gate (round 2) is told it holds the sheet again
    assert Counter(kinds(api, "rjk")) - before == Counter({"todo": 1})
    # the office that returned is not told
    assert "returned" not in kinds(api, "dwb")


# ----------------------------------------------------------------------------- bonus and delegations


def test_a_bonus_application_submitted_tells_its_gate(api):
    from test_route_matrix import _bonus_draft

    bid, _aid = _bonus_draft(api)
    version = api.as_("bgs").get(f"/api/v1/bonus-applications/{bid}").get_json()["version"]
    r = api.as_("bgs").post(f"/api/v1/bonus-applications/{bid}/actions/submit", json={"version": version})
    assert r.status_code == 200, r.get_json()
    todo = [n for n in notes(api, "rjk")["items"] if n["record"] == {"kind": "bonus", "id": bid}]
    assert [n["kind"] for n in todo] == ["todo"] and "附加分申报" in todo[0]["text"]


def test_a_delegation_tells_the_delegate_and_the_delegate_is_told_what_the_principal_holds(app, api, sheet_id):
    from kaohe_flow.extensions import db
    from kaohe_flow.org.models import User
    from kaohe_flow.rhythm import delegations
    from kaohe_flow.timeutil import local_today

    with app.app_context():
        leader = db.session.scalar(db.select(User).filter_by(username="leader1"))
        today = local_today()
        made = delegations.create(leader, {"to": "leader2", "from_date": today.isoformat(),
                                           "to_date": (today + timedelta(days=3)).isoformat()})
        made_id = made.id
    told = notes(api, "leader2")["items"]
    assert [(n["kind"], n["record"]) for n in told] == [("delegated", {"kind": "delegation", "id": made_id})]
    assert "代为办理" in told[0]["text"]
    walk_to(api, sheet_id("bgs"), "leader_sign")
    todo = [n for n in notes(api, "leader2")["items"] if n["kind"] == "todo"]
    assert len(todo) == 1 and "待您签字" in todo[0]["text"] and "代" in todo[0]["text"]
    assert kinds(api, "leader1") == ["todo"]


# ----------------------------------------------------------------------------- reading and marking


def test_the_list_is_newest_first_counts_the_unread_and_marks_one_read(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "gate_review")
    assert flow.act("rjk", "return", comment="请补充").status_code == 200
    got = notes(api, "bgs")
    assert got["unread"] == 2 and [n["kind"] for n in got["items"]] == ["todo", "returned"]
    assert set(got["items"][0]) == {"id", "at", "kind", "record", "text", "read"}
    first = got["items"][0]["id"]
    r = api.as_("bgs").post(f"/api/v1/notifications/{first}/read")
    assert r.status_code == 200 and r.get_json()["read"] is True and r.get_json()["id"] == first
    assert api.as_("bgs").post(f"/api/v1/notifications/{first}/read").status_code == 200  # again: the same
    assert notes(api, "bgs")["unread"] == 1
    assert [n["kind"] for n in notes(api, "bgs", unread=1)["items"]] == ["returned"]


def test_another_persons_notification_is_not_found_and_stays_unread(api, sheet_id):
    walk_to(api, sheet_id("bgs"), "gate_review")
    mine = notes(api, "rjk")["items"][0]["id"]
    for who in ("bgs", "admin", "rjk.staff"):
        r = api.as_(who).post(f"/api/v1/notifications/{mine}/read")
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", who
    assert api.as_("rjk").post("/api/v1/notifications/9999999/read").status_code == 404
    assert notes(api, "rjk")["unread"] == 1


def _sign_in(client, who):
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302


def test_the_page_lists_them_links_each_to_its_record_and_the_nav_counts_the_unread(app, api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    client = app.test_client()
    _sign_in(client, "rjk")
    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "通知" in html and "待您审核" in html
    assert f'href="/sheets/{sid}"' in html
    assert 'class="badge">1<' in client.get("/inbox").get_data(as_text=True)
    # reading the page or the record marks nothing read (no writes on GET)
    client.get(f"/sheets/{sid}")
    assert notes(api, "rjk")["unread"] == 1
    note = notes(api, "rjk")["items"][0]["id"]
    r = client.post(f"/notifications/{note}/read")
    assert r.status_code == 302 and notes(api, "rjk")["unread"] == 0
    assert 'class="badge"' not in client.get("/inbox").get_data(as_text=True)


def test_mark_all_read_on_the_page_and_another_persons_line_is_404(app, api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "gate_review")
    assert flow.act("rjk", "return", comment="请补充").status_code == 200
    theirs = notes(api, "rjk")["items"][0]["id"]
    client = app.test_client()
    _sign_in(client, "bgs")
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    assert notes(api, "rjk")["items"][0]["read"] is False
    r = client.post("/notifications/read-all", follow_redirects=True)
    assert r.status_code == 200 and "已将 2 条通知标记为已读" in r.get_data(as_text=True)
    assert notes(api, "bgs")["unread"] == 0
    assert notes(api, "rjk")["unread"] == 1  # another's list is untouched


def test_a_refused_step_tells_nobody(api, sheet_id):
    sid = sheet_id("bgs")
    flow = Flow(api, sid)
    r = flow.act("bgs", "submit")  # no self scores yet: 422 incomplete
    assert r.status_code == 422
    for who in ("rjk", "rjk.staff", "bgs.staff"):
        assert kinds(api, who) == [], who


def test_an_account_may_carry_an_email_address(api):
    r = api.as_("admin").put("/api/v1/users/bgs", json={"email": "bgs@example.gov.cn"})
    assert r.status_code == 200 and r.get_json()["email"] == "bgs@example.gov.cn"
    r = api.as_("admin").put("/api/v1/users/bgs", json={"email": "not an address"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_email"
    users = {u["username"]: u for u in api.as_("admin").get("/api/v1/users").get_json()["items"]}
    assert users["bgs"]["email"] == "bgs@example.gov.cn"
    r = api.as_("admin").post("/api/v1/users", json={"username": "newcomer", "name": "新同事", "unit": "bgs",
                                                     "roles": ["member"], "password": "a long enough pass 7",
                                                     "email": "new@example.gov.cn"})
    assert r.status_code == 201 and r.get_json()["email"] == "new@example.gov.cn"
    changed = api.as_("admin").get("/api/v1/audit?action=user_changed").get_json()["items"]
    assert {"email": "bgs@example.gov.cn"} in [i["new"] for i in changed]


def test_the_admin_sets_an_email_address_on_the_user_form(app, api):
    client = app.test_client()
    _sign_in(client, "admin")
    assert 'name="email"' in client.get("/admin/users/szc.staff").get_data(as_text=True)
    r = client.post("/admin/users/szc.staff", data={"name": "市政处科员", "unit": "szc", "role-member": "1",
                                                    "active": "1", "email": "szc.staff@example.gov.cn"})
    assert r.status_code == 302
    users = {u["username"]: u for u in api.as_("admin").get("/api/v1/users").get_json()["items"]}
    assert users["szc.staff"]["email"] == "szc.staff@example.gov.cn"


def test_a_bad_unread_filter_is_400(api):
    for query in ("unread=yes", "unread=1&unread=1", "unread="):
        r = api.as_("bgs").get(f"/api/v1/notifications?{query}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_unread", query
    assert api.as_("bgs").get("/api/v1/notifications?unread=0").status_code == 200


def test_a_delegated_line_on_the_page_leads_to_the_delegations(app, api):
    from kaohe_flow.extensions import db
    from kaohe_flow.org.models import User
    from kaohe_flow.rhythm import delegations
    from kaohe_flow.timeutil import local_today

    with app.app_context():
        head = db.session.scalar(db.select(User).filter_by(username="bgs"))
        today = local_today().isoformat()
        delegations.create(head, {"to": "bgs.staff", "from_date": today, "to_date": today})
    client = app.test_client()
    _sign_in(client, "bgs.staff")
    html = client.get("/notifications").get_data(as_text=True)
    assert "委托" in html and 'href="/delegations"' in html


def test_a_draft_withdrawn_and_submitted_again_reaches_the_gate_again(api, sheet_id):
    from flow import Flow

    flow = Flow(api, sheet_id("bgs"))
    flow.fill_self("bgs.staff")
    flow.ok(flow.act("bgs", "submit"))
    flow.ok(flow.act("bgs", "withdraw"))
    flow.ok(flow.act("bgs", "submit"))
    todos = [n for n in api.as_("rjk").get("/api/v1/notifications").get_json()["items"]
             if n["kind"] == "todo" and n["record"] == {"kind": "sheet", "id": flow.sid}]
    assert len(todos) == 2
