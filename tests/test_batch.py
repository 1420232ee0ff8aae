"""Batch steps (issue 9, 5): leaders and responsible offices pick several records in the inbox and
sign them at once — at most 100; each record is checked, versioned and recorded on its own, as
if fired alone, and the answer says what happened to each, in the order asked."""
import pytest

from flow import Flow
from test_bonus import Bonus
from test_sheet_path import to_gate_review, to_leader_sign, to_responsible_sign

BATCH = "/api/v1/batch/actions/{}"


def batch(api, who, records, action="sign", comment="同意"):
    return api.as_(who).post(BATCH.format(action), json={"records": records, "comment": comment})


def record(flow, version=None, kind="sheet"):
    return {"kind": kind, "id": flow.sid, "version": flow.version if version is None else version}


def at_leader_sign(api, sheet_id, *units):
    flows = []
    for unit in units:
        flow = Flow(api, sheet_id(unit))
        to_leader_sign(flow, unit=unit)
        flows.append(flow)
    return flows


def history(api, flow):
    return api.as_("admin").get(f"/api/v1/sheets/{flow.sid}/history").get_json()["items"]


def bonus_at_leader_sign(api, unit="bgs"):
    b = Bonus(api, unit=unit)
    b.ok(b.upload(), 201)
    b.ok(b.act(unit, "submit"))
    b.ok(b.act("rjk", "approve", points_proposed="1"))
    b.ok(b.act("rjk", "sign"))
    return b


def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302
    return client


# ----------------------------------------------------------------------------- the API


def test_a_leader_signs_several_sheets_at_once_each_as_if_alone(api, sheet_id):
    bgs, csk = at_leader_sign(api, sheet_id, "bgs", "csk")
    versions = [bgs.version, csk.version]
    r = batch(api, "leader1", [record(bgs), record(csk)], comment="同意定稿")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["items"] == [
        {"kind": "sheet", "id": bgs.sid, "status": 200, "state": "final", "version": versions[0] + 1, "error": None},
        {"kind": "sheet", "id": csk.sid, "status": 200, "state": "final", "version": versions[1] + 1, "error": None}]
    for flow in (bgs, csk):
        last = history(api, flow)[-1]
        assert (last["who"], last["action"], last["capacity"], last["to_state"], last["comment"]) == (
            "leader1", "sign", "leader", "final", "同意定稿")
        assert flow.get()["signoffs"]["leader"]["username"] == "leader1"


def test_each_record_answers_the_status_its_own_call_would_have_and_refusals_change_nothing(api, sheet_id):
    bgs, csk = at_leader_sign(api, sheet_id, "bgs", "csk")
    szc, fzglk = Flow(api, sheet_id("szc")), Flow(api, sheet_id("fzglk"))
    before = {f.sid: f.version for f in (csk, szc, fzglk)}
    records = [record(bgs), record(csk, version=csk.version - 1), record(szc), record(fzglk),
               {"kind": "sheet", "id": 9999999, "version": 1}, {"kind": "bonus", "id": bgs.sid, "version": 1}]
    r = batch(api, "leader1", records)
    assert r.status_code == 200
    got = [(i["id"], i["status"], i["state"], i["error"] and i["error"]["code"]) for i in r.get_json()["items"]]
    assert got == [
        (bgs.sid, 200, "final", None),
        (csk.sid, 409, "leader_sign", "stale_version"),  # an older version: someone moved it meanwhile
        (szc.sid, 403, "draft", "forbidden"),  # 市政处 is leader3's
        (fzglk.sid, 409, "draft", "wrong_state"),  # leader1's unit, not yet at the leader
        (9999999, 404, None, "not_found"),  # no such sheet: nothing revealed
        (bgs.sid, 404, None, "not_found")]  # no application with that id either
    items = r.get_json()["items"]
    assert items[1]["version"] == before[csk.sid] and items[4]["version"] is None
    assert all(i["error"]["message"] for i in items[1:])
    assert {f.sid: f.version for f in (csk, szc, fzglk)} == before
    # The same refusals as the single calls'.
    for flow, rec, item in ((csk, records[1], items[1]), (szc, records[2], items[2]), (fzglk, records[3], items[3])):
        alone = flow.act("leader1", "sign", comment="同意", version=rec["version"])
        assert (alone.status_code, alone.get_json()["error"]["code"]) == (item["status"], item["error"]["code"])


def test_the_same_record_twice_is_fired_twice_in_order(api, sheet_id):
    [bgs] = at_leader_sign(api, sheet_id, "bgs")
    items = batch(api, "leader1", [record(bgs), record(bgs)]).get_json()["items"]
    assert [(i["status"], i["error"] and i["error"]["code"]) for i in items] == [(200, None), (409, "stale_version")]


def test_responsible_offices_sign_a_batch_and_the_last_office_moves_each_sheet(api, sheet_id):
    bgs, csk = Flow(api, sheet_id("bgs")), Flow(api, sheet_id("csk"))
    to_responsible_sign(bgs)
    to_responsible_sign(csk, unit="csk")
    for office in ("rjk", "dwb", "cjjcdd"):
        items = batch(api, office, [record(bgs), record(csk)], comment="").get_json()["items"]
        assert [(i["status"], i["state"]) for i in items] == [(200, "responsible_sign")] * 2
    items = batch(api, "bgs", [record(bgs), record(csk)], comment="").get_json()["items"]
    assert [(i["status"], i["state"]) for i in items] == [(200, "leader_sign")] * 2
    again = batch(api, "bgs", [record(bgs)], comment="").get_json()["items"]
    assert again[0]["status"] == 409


def test_a_gate_approves_a_batch_and_an_incomplete_sheet_says_why(api, sheet_id):
    bgs, csk = Flow(api, sheet_id("bgs")), Flow(api, sheet_id("csk"))
    to_gate_review(bgs)
    to_gate_review(csk, "csk")
    bgs.fill_review("rjk")
    items = batch(api, "rjk", [record(bgs), record(csk)], action="approve").get_json()["items"]
    assert [(i["status"], i["state"]) for i in items] == [(200, "responsible_sign"), (422, "gate_review")]
    assert items[1]["error"]["code"] == "incomplete" and "尚未考评" in items[1]["error"]["message"]


def test_a_leader_signs_applications_with_the_batch_comment_as_the_opinion(api):
    first, second = bonus_at_leader_sign(api), bonus_at_leader_sign(api, "csk")
    records = [{"kind": "bonus", "id": b.id, "version": b.version} for b in (first, second)]
    refused = batch(api, "leader1", records, comment="").get_json()["items"]
    assert [(i["status"], i["error"]["code"]) for i in refused] == [(422, "opinion_required")] * 2
    assert [first.get()["state"], second.get()["state"]] == ["leader_sign", "leader_sign"]
    items = batch(api, "leader1", records, comment="同意加分").get_json()["items"]
    assert [(i["kind"], i["status"], i["state"]) for i in items] == [("bonus", 200, "final")] * 2
    got = first.get()
    assert (got["opinion"], got["points_granted"]) == ("同意加分", "1")


def test_a_batch_of_101_is_refused_whole_and_changes_nothing(api, sheet_id):
    [bgs] = at_leader_sign(api, sheet_id, "bgs")
    version = bgs.version
    records = [record(bgs)] + [{"kind": "sheet", "id": 9999999, "version": 1}] * 100
    r = batch(api, "leader1", records)
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "too_many" and "100" in error["message"] and "101" in error["message"]
    assert (bgs.get()["state"], bgs.version) == ("leader_sign", version)
    assert batch(api, "leader1", records[:100]).status_code == 200  # 100 is allowed


@pytest.mark.parametrize("body, status, code", [
    ({"comment": "同意"}, 400, "bad_records"),
    ({"records": "all"}, 400, "bad_records"),
    ({"records": []}, 422, "no_records"),
    ({"records": ["sheet"]}, 400, "bad_records"),
    ({"records": [{"kind": "ledger", "id": 1, "version": 1}]}, 422, "unknown_kind"),
    ({"records": [{"kind": "sheet", "id": "one", "version": 1}]}, 400, "bad_records"),
    ({"records": [{"kind": "sheet", "id": 1}]}, 400, "bad_version"),
    ({"records": [{"kind": "sheet", "id": 1, "version": 1}], "comment": 5}, 422, "invalid_text"),
])
def test_a_batch_that_is_not_one_is_refused_whole_before_anything_changes(api, sheet_id, body, status, code):
    [bgs] = at_leader_sign(api, sheet_id, "bgs")
    version = bgs.version
    records = body.get("records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        body = {**body, "records": [record(bgs)] + records}
    r = api.as_("leader1").post(BATCH.format("sign"), json=body)
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code)
    assert bgs.version == version


def test_a_body_that_is_not_json_is_400_and_an_unknown_action_404(api):
    r = api.as_("leader1").post(BATCH.format("sign"), data="x", content_type="application/json")
    assert r.status_code == 400
    r = api.as_("leader1").post(BATCH.format("bless"), json={"records": [{"kind": "sheet", "id": 1, "version": 1}]})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "unknown_action")
    assert api.client.post(BATCH.format("sign"), json={"records": []}).status_code == 401


def test_a_refused_record_of_a_batch_is_a_security_event_like_any_403(api, sheet_id):
    szc = Flow(api, sheet_id("szc"))
    batch(api, "leader1", [record(szc)])
    events = api.as_("admin").get("/api/v1/security-events?kind=forbidden").get_json()["items"]
    assert events[0]["username"] == "leader1" and f"sheet {szc.sid}" in events[0]["detail"]


# ----------------------------------------------------------------------------- the page


def test_the_inbox_offers_ticks_only_on_lines_that_sign_or_approve(client, api, sheet_id):
    bgs, csk = at_leader_sign(api, sheet_id, "bgs", "csk")
    html = login(client, "leader1").get("/inbox").get_data(as_text=True)
    assert html.count('form="batch-sign"') == 2 and 'id="batch-sign"' in html and "批量签字" in html
    assert f'value="sheet:{bgs.sid}:{bgs.version}"' in html
    assert '<label for="batch-sign-comment">' in html and "选择 办公室 2018年度考核计分表" in html
    client.post("/logout")
    html = login(client, "fzglk").get("/inbox").get_data(as_text=True)  # its own draft: submit, one by one
    assert "batch-" not in html and "批量" not in html


def test_the_gate_gets_a_batch_approve_button(client, api, sheet_id):
    to_gate_review(Flow(api, sheet_id("bgs")))
    html = login(client, "rjk").get("/inbox").get_data(as_text=True)
    assert 'id="batch-approve"' in html and "批量审核通过" in html and 'form="batch-approve"' in html


def test_signing_a_batch_on_the_page_lists_each_outcome_with_links(client, api, sheet_id):
    bgs, csk = at_leader_sign(api, sheet_id, "bgs", "csk")
    stale = csk.version - 1
    login(client, "leader1")
    r = client.post("/batch/actions/sign", data={
        "records": [f"sheet:{bgs.sid}:{bgs.version}", f"sheet:{csk.sid}:{stale}"], "comment": "同意"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "共 2 项：已签字 1 项，未办理 1 项" in html
    assert f'href="/sheets/{bgs.sid}"' in html and f'href="/sheets/{csk.sid}"' in html
    assert "此页面已被他人修改" in html and "定稿" in html
    assert (bgs.get()["state"], csk.get()["state"]) == ("final", "leader_sign")


def test_nothing_ticked_or_too_many_goes_back_to_the_inbox_saying_why(client, api, sheet_id):
    [bgs] = at_leader_sign(api, sheet_id, "bgs")
    version = bgs.version
    login(client, "leader1")
    r = client.post("/batch/actions/sign", data={"comment": "同意"}, follow_redirects=True)
    assert "请先勾选要处理的记录" in r.get_data(as_text=True)
    r = client.post("/batch/actions/sign", data={"records": [f"sheet:{bgs.sid}:{version}"] * 101},
                    follow_redirects=True)
    assert "一次最多处理 100 条记录" in r.get_data(as_text=True)
    assert bgs.version == version
    assert client.post("/batch/actions/bless", data={"records": [f"sheet:{bgs.sid}:{version}"]}).status_code == 404


def test_a_tampered_tick_is_refused_as_a_bad_batch(client, api, sheet_id):
    [bgs] = at_leader_sign(api, sheet_id, "bgs")
    login(client, "leader1")
    r = client.post("/batch/actions/sign", data={"records": [f"sheet:{bgs.sid}:x"]}, follow_redirects=True)
    assert "版本号" in r.get_data(as_text=True)
    assert bgs.get()["state"] == "leader_sign"
