"""催办 (CONTRACT.md "The year's rhythm", issue 9): a leader, the admin, or the record's own unit while
someone else holds it urges the holders — a history step `urge` that changes neither the state
nor the version, and `urged` notifications to those who hold it. The same caller again within
24 hours is 429 `too_soon` and changes nothing; a final record has nobody to urge (409); who may
not see the record gets 404, who sees it but may not urge 403."""
from datetime import timedelta

import pytest

from flow import Flow
from test_notifications import kinds, notes, walk_to


def urge(api, who, sid, comment=None, kind="sheets"):
    body = {} if comment is None else {"comment": comment}
    return api.as_(who).post(f"/api/v1/{kind}/{sid}/urge", json=body)


def history(api, sid, kind="sheets"):
    return api.as_("admin").get(f"/api/v1/{kind}/{sid}/history").get_json()["items"]


def test_a_leader_urges_the_gate_a_history_step_and_urged_notes_to_the_holders(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "gate_review")
    version = flow.version
    r = urge(api, "leader1", sid, "请本周内审核")
    assert r.status_code == 201, r.get_json()
    step = r.get_json()
    assert {k: step[k] for k in ("who", "capacity", "action", "from_state", "to_state", "comment")} == {
        "who": "leader1", "capacity": "leader", "action": "urge", "from_state": "gate_review",
        "to_state": "gate_review", "comment": "请本周内审核"}
    assert history(api, sid)[-1]["action"] == "urge"
    sheet = flow.get()
    assert sheet["state"] == "gate_review" and sheet["version"] == version  # nothing of the record changed
    for who in ("rjk", "rjk.staff"):
        urged = [n for n in notes(api, who)["items"] if n["kind"] == "urged"]
        assert len(urged) == 1 and "请本周内审核" in urged[0]["text"] and "催办" in urged[0]["text"], who
    for who in ("bgs", "bgs.staff", "leader1", "dwb"):
        assert "urged" not in kinds(api, who), who


def test_urging_twice_within_a_day_is_429_too_soon_and_changes_nothing(api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    assert urge(api, "leader1", sid).status_code == 201
    steps, told = len(history(api, sid)), notes(api, "rjk")["items"]
    r = urge(api, "leader1", sid, "再催一次")
    assert r.status_code == 429
    assert r.get_json()["error"]["code"] == "too_soon"
    assert "每天只能催办一次" in r.get_json()["error"]["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 24 * 3600
    assert len(history(api, sid)) == steps and notes(api, "rjk")["items"] == told
    # another person may urge the same record the same day
    assert urge(api, "admin", sid).status_code == 201


def test_a_day_later_the_same_person_may_urge_again(api, sheet_id, monkeypatch):
    from kaohe_flow.notify import urge as urging

    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    assert urge(api, "leader1", sid).status_code == 201
    later = urging.utcnow() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(urging, "utcnow", lambda: later)
    assert urge(api, "leader1", sid).status_code == 201
    assert len([n for n in notes(api, "rjk")["items"] if n["kind"] == "urged"]) == 2  # one per urge


def test_the_unit_waiting_on_the_holder_may_urge_but_not_its_own_draft(api, sheet_id):
    sid = sheet_id("bgs")
    Flow(api, sid).fill_self("bgs.staff")
    r = urge(api, "bgs.staff", sid)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_waiting"
    assert Flow(api, sid).act("bgs", "submit").status_code == 200
    r = urge(api, "bgs.staff", sid)
    assert r.status_code == 201 and r.get_json()["capacity"] == "unit_member"


@pytest.mark.parametrize("who, status", [("szc", 404), ("director", 403), ("cjjcdd", 403), ("dwb.staff", 403)])
def test_who_may_not_urge_is_refused_and_nothing_changes(api, sheet_id, who, status):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    steps = len(history(api, sid))
    r = urge(api, who, sid)
    assert r.status_code == status, r.get_json()
    assert len(history(api, sid)) == steps
    assert "urged" not in kinds(api, "rjk")


def test_a_final_sheet_has_nobody_to_urge_and_the_holder_does_not_urge_themselves(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk_to(api, sid, "leader_sign")
    r = urge(api, "leader1", sid)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "own_turn"
    assert urge(api, "leader2", sid).status_code == 201  # any leader may urge
    assert flow.act("leader1", "sign").status_code == 200
    r = urge(api, "admin", sid)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "nobody_holds"
    assert "定稿" in r.get_json()["error"]["message"]


def test_a_comment_is_cleaned_and_a_bad_one_refused(api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    r = urge(api, "leader1", sid, "bad\x00text")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_text"
    r = urge(api, "leader1", sid, "  请尽快  ")
    assert r.status_code == 201 and r.get_json()["comment"] == "请尽快"
    assert api.as_("leader1").post(f"/api/v1/sheets/{sid}/urge", data="x",
                                   content_type="application/json").status_code == 400


def test_a_bonus_application_is_urged_the_same_way(api):
    from test_route_matrix import _bonus_draft

    bid, _aid = _bonus_draft(api)
    # a draft: the unit holds it; a leader may urge the unit, the unit does not urge itself
    assert urge(api, "leader1", bid, kind="bonus-applications").status_code == 201
    assert [n["kind"] for n in notes(api, "bgs")["items"]] == ["urged"]
    assert urge(api, "bgs", bid, kind="bonus-applications").status_code == 409
    version = api.as_("bgs").get(f"/api/v1/bonus-applications/{bid}").get_json()["version"]
    assert api.as_("bgs").post(f"/api/v1/bonus-applications/{bid}/actions/submit",
                               json={"version": version}).status_code == 200
    r = urge(api, "bgs", bid, "请审核附加分", kind="bonus-applications")
    assert r.status_code == 201 and r.get_json()["action"] == "urge"
    urged = [n for n in notes(api, "rjk")["items"] if n["kind"] == "urged"]
    assert len(urged) == 1 and urged[0]["record"] == {"kind": "bonus", "id": bid}
    assert urge(api, "szc", bid, kind="bonus-applications").status_code == 404


# ----------------------------------------------------------------------------- the page


def _sign_in(client, who):
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302


def test_the_sheet_page_shows_the_button_to_whoever_may_urge_and_says_so_in_chinese(app, api, sheet_id):
    sid = sheet_id("bgs")
    walk_to(api, sid, "gate_review")
    for who, shown in (("leader1", True), ("bgs.staff", True), ("director", False), ("rjk", False)):
        client = app.test_client()
        _sign_in(client, who)
        html = client.get(f"/sheets/{sid}").get_data(as_text=True)
        assert (f'action="/sheets/{sid}/urge"' in html) == shown, who
    client = app.test_client()
    _sign_in(client, "leader1")
    r = client.post(f"/sheets/{sid}/urge", data={"comment": "请尽快审核"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已催办" in html and "请尽快审核" in html  # the timeline shows it
    r = client.post(f"/sheets/{sid}/urge", data={"comment": "再催"})
    assert r.status_code == 429 and "每天只能催办一次" in r.get_data(as_text=True)
    assert len([e for e in history(api, sid) if e["action"] == "urge"]) == 1
    client = app.test_client()
    _sign_in(client, "director")
    assert client.post(f"/sheets/{sid}/urge", data={}).status_code == 403
    client = app.test_client()
    _sign_in(client, "szc")
    assert client.post(f"/sheets/{sid}/urge", data={}).status_code == 404


def test_the_bonus_page_urges_too(app, api):
    from test_route_matrix import _bonus_draft

    bid, _aid = _bonus_draft(api)
    version = api.as_("bgs").get(f"/api/v1/bonus-applications/{bid}").get_json()["version"]
    api.as_("bgs").post(f"/api/v1/bonus-applications/{bid}/actions/submit", json={"version": version})
    client = app.test_client()
    _sign_in(client, "admin")
    assert f'action="/bonus/{bid}/urge"' in client.get(f"/bonus/{bid}").get_data(as_text=True)
    r = client.post(f"/bonus/{bid}/urge", data={"comment": ""})
    assert r.status_code == 302
    assert history(api, bid, "bonus-applications")[-1]["action"] == "urge"
