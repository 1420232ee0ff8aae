"""The sheet's path (DOMAIN.md "The score sheet and its path"), every move and every refusal,
driven through the API as the bureau's people."""
from decimal import Decimal

import pytest

from flow import Flow

OFFICES = ["rjk", "dwb", "cjjcdd", "bgs"]  # the 2018 responsible offices, who co-sign every sheet


@pytest.fixture
def bgs(api, sheet_id):
    """办公室's sheet: gate 人教科, leader leader1."""
    return Flow(api, sheet_id("bgs"))


def to_gate_review(flow, unit="bgs"):
    flow.fill_self(f"{unit}.staff")
    flow.ok(flow.act(unit, "submit"))


def to_responsible_sign(flow, unit="bgs", gate="rjk"):
    to_gate_review(flow, unit)
    flow.fill_review(gate, lose=Decimal("0.5"))
    flow.ok(flow.act(gate, "approve"))


def to_leader_sign(flow, **kw):
    to_responsible_sign(flow, **kw)
    for office in OFFICES:
        flow.ok(flow.act(office, "sign"))


def to_final(flow):
    to_leader_sign(flow)
    flow.ok(flow.act("leader1", "sign"))


# ------------------------------------------------------------------ draft


def test_members_of_the_unit_edit_their_own_draft(bgs):
    r = bgs.put_row("bgs.staff", "team", self_score="1.5", self_reason="有一次不团结")
    sheet = bgs.ok(r)
    row = next(i for i in sheet["items"] if i["code"] == "team")
    assert (row["self_score"], row["self_reason"]) == ("1.5", "有一次不团结")


def test_a_reason_is_required_below_standard(bgs):
    r = bgs.put_row("bgs", "team", self_score="1.5")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reason_required"


def test_submit_needs_every_item_self_scored(bgs):
    bgs.put_row("bgs", "team", self_score="2")
    r = bgs.act("bgs", "submit")
    assert r.status_code == 422 and "尚未自评" in r.get_json()["error"]["message"]
    assert bgs.get()["state"] == "draft"


def test_unit_head_submits_a_complete_draft(bgs):
    to_gate_review(bgs)
    sheet = bgs.get("bgs")
    assert sheet["state"] == "gate_review" and sheet["subtotal"] == "100"
    assert sheet["signoffs"]["unit_head"]["username"] == "bgs"


def test_a_member_may_not_submit(bgs):
    bgs.fill_self("bgs.staff")
    assert bgs.act("bgs.staff", "submit").status_code == 403


def test_another_unit_does_not_see_the_sheet(bgs, api):
    assert api.as_("szc").get(f"/api/v1/sheets/{bgs.sid}").status_code == 404
    assert bgs.put_row("szc", "team", self_score="2").status_code == 404


def test_the_gate_cannot_score_a_draft(bgs):
    r = bgs.put_row("rjk", "team", review_score="2")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "wrong_state"


# ------------------------------------------------------------------ gate review


def test_renjiaoke_sheet_is_reviewed_by_dangweiban(api, sheet_id):
    rjk = Flow(api, sheet_id("rjk"))
    rjk.fill_self("rjk")
    rjk.ok(rjk.act("rjk", "submit"))
    assert rjk.put_row("rjk", "team", review_score="2").status_code == 403
    assert rjk.act("rjk", "approve").status_code == 403  # never its own gate
    assert "return" in rjk.get("dwb")["allowed_actions"]  # the gate decides (approve waits for scores)
    rjk.fill_review("dwb")
    assert rjk.ok(rjk.act("dwb", "approve"))["state"] == "responsible_sign"


def test_dangweiban_sheet_is_reviewed_by_renjiaoke(api, sheet_id):
    dwb = Flow(api, sheet_id("dwb"))
    to_gate_review(dwb, "dwb")
    assert dwb.act("dwb", "approve").status_code == 403
    dwb.fill_review("rjk")
    assert dwb.ok(dwb.act("rjk", "approve"))["state"] == "responsible_sign"


def test_the_gate_of_a_unit_is_its_attachment_1_gate(api, sheet_id):
    szc = Flow(api, sheet_id("szc"))
    to_gate_review(szc, "szc")
    assert szc.act("rjk", "approve").status_code == 403  # 人教科 sees it (it signs rows) but does not gate it
    assert szc.act("fcglk", "approve").status_code == 404  # 房产管理科 gates others, not 市政处: not even visible
    assert "return" in szc.get("gysyk")["allowed_actions"]


def test_unit_cannot_write_review_scores(bgs):
    to_gate_review(bgs)
    assert bgs.put_row("bgs", "team", review_score="2").status_code == 403


def test_approve_needs_every_item_review_scored(bgs):
    to_gate_review(bgs)
    bgs.put_row("rjk", "team", review_score="2")
    r = bgs.act("rjk", "approve")
    assert r.status_code == 422 and "尚未考评" in r.get_json()["error"]["message"]


def test_gate_members_score_but_only_the_head_decides(bgs):
    to_gate_review(bgs)
    assert bgs.put_row("rjk.staff", "team", review_score="1", review_reason="有一例").status_code == 200
    bgs.fill_review("rjk.staff")
    assert bgs.act("rjk.staff", "approve").status_code == 403
    assert bgs.act("rjk", "approve").status_code == 200


def test_key_deduction_by_the_gate_with_a_reason(bgs, api):
    to_gate_review(bgs)
    r = api.as_("rjk").put(f"/api/v1/sheets/{bgs.sid}/key-deduction", json={"version": bgs.version, "points": 2})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "reason_required"
    r = api.as_("rjk").put(f"/api/v1/sheets/{bgs.sid}/key-deduction",
                           json={"version": bgs.version, "points": "2.5", "reason": "重点工作滞后"})
    sheet = bgs.ok(r)
    assert (sheet["key_deduction"], sheet["key_deduction_reason"]) == ("2.5", "重点工作滞后")
    assert sheet["total"] == "97.5"
    r = api.as_("bgs").put(f"/api/v1/sheets/{bgs.sid}/key-deduction",
                           json={"version": bgs.version, "points": "1", "reason": "x"})
    assert r.status_code == 403


def test_withdraw_before_the_gate_acts(bgs):
    to_gate_review(bgs)
    sheet = bgs.ok(bgs.act("bgs", "withdraw"))
    assert sheet["state"] == "draft" and "unit_head" not in sheet["signoffs"]


def test_no_withdraw_after_the_gate_wrote_a_score(bgs):
    to_gate_review(bgs)
    bgs.put_row("rjk.staff", "team", review_score="2")
    r = bgs.act("bgs", "withdraw")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "gate_has_acted"
    assert "withdraw" not in bgs.get("bgs")["allowed_actions"]


def test_no_withdraw_after_the_gate_decided(bgs):
    to_responsible_sign(bgs)
    assert bgs.act("bgs", "withdraw").status_code == 409


def test_withdraw_is_the_heads(bgs):
    to_gate_review(bgs)
    assert bgs.act("bgs.staff", "withdraw").status_code == 403
    assert bgs.act("rjk", "withdraw").status_code == 403


def test_gate_return_needs_a_reason(bgs):
    to_gate_review(bgs)
    r = bgs.act("rjk", "return", comment="  ")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "comment_required"
    assert bgs.get()["state"] == "gate_review"


def test_gate_return_with_a_reason_goes_back_to_the_unit(bgs, api):
    to_gate_review(bgs)
    sheet = bgs.ok(bgs.act("rjk", "return", comment="自评依据不足"))
    assert sheet["state"] == "draft" and sheet["signoffs"] == {}
    last = api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"][-1]
    assert (last["action"], last["from_state"], last["to_state"], last["comment"], last["capacity"]) == (
        "return", "gate_review", "draft", "自评依据不足", "gate")
    bgs.ok(bgs.act("bgs", "submit"))  # resubmitted, and withdrawable again
    assert "withdraw" in bgs.get("bgs")["allowed_actions"]


# ------------------------------------------------------------------ responsible offices (会签)


def test_every_responsible_office_signs_and_the_last_moves_the_sheet(bgs):
    to_responsible_sign(bgs)
    for office in OFFICES[:-1]:
        assert bgs.ok(bgs.act(office, "sign"))["state"] == "responsible_sign"
    sheet = bgs.ok(bgs.act(OFFICES[-1], "sign"))
    assert sheet["state"] == "leader_sign"
    efficiency = next(i for i in sheet["items"] if i["code"] == "efficiency")
    assert [s["unit"] for s in efficiency["signatures"]] == ["dwb", "bgs", "cjjcdd"]
    assert all(s["at"] for s in efficiency["signatures"])


def test_an_office_signs_once(bgs):
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("dwb", "sign"))
    r = bgs.act("dwb", "sign")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_signed"
    assert "sign" not in bgs.get("dwb")["allowed_actions"]


def test_only_heads_of_responsible_offices_sign_rows(bgs):
    to_responsible_sign(bgs)
    assert bgs.act("dwb.staff", "sign").status_code == 403
    assert bgs.act("director", "sign").status_code == 403
    assert bgs.act("leader1", "sign").status_code == 409  # the leader's turn comes later


def test_an_office_signs_on_its_own_units_sheet(bgs):
    to_responsible_sign(bgs)
    assert "sign" in bgs.get("bgs")["allowed_actions"]


def test_a_responsible_office_returns_naming_its_rows(bgs, api):
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("rjk", "sign"))
    r = bgs.act("dwb", "return", comment="扣分不准确")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "items_required"
    r = bgs.act("dwb", "return", comment="扣分不准确", items=["website"])
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_items"
    r = bgs.act("dwb", "return", items=["team"])
    assert r.status_code == 422
    sheet = bgs.ok(bgs.act("dwb", "return", comment="队伍建设扣分不准确", items=["team", "charity"]))
    assert sheet["state"] == "gate_review"
    # The gate's signature goes; 人教科's signatures on its unchanged rows stay (CONTRACT.md
    # "The year's rhythm"): only rows the gate changes wait for their offices again.
    assert {i["code"] for i in sheet["items"] if i["signatures"]} == {
        i["code"] for i in sheet["items"] if "rjk" in i["responsible"]}
    assert "gate" not in sheet["signoffs"] and sheet["signoffs"]["unit_head"]["username"] == "bgs"
    last = api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"][-1]
    assert last["items"] == ["team", "charity"] and last["capacity"] == "responsible_office"


# ------------------------------------------------------------------ leader and final


def test_the_supervising_leader_signs_to_final(bgs):
    to_leader_sign(bgs)
    assert bgs.act("leader2", "sign").status_code == 403
    sheet = bgs.ok(bgs.act("leader1", "sign"))
    assert sheet["state"] == "final" and sheet["signoffs"]["leader"]["username"] == "leader1"
    assert sheet["allowed_actions"] == []


def test_the_leader_returns_to_the_gate_with_a_reason(bgs):
    to_leader_sign(bgs)
    assert bgs.act("leader1", "return").status_code == 422
    sheet = bgs.ok(bgs.act("leader1", "return", comment="请复核工作纪律"))
    assert sheet["state"] == "gate_review"


def test_a_final_sheet_is_locked(bgs):
    to_final(bgs)
    assert bgs.put_row("bgs", "team", self_score="2").status_code == 409
    assert bgs.put_row("rjk", "team", review_score="2").status_code == 409
    for who, action in [("bgs", "submit"), ("rjk", "approve"), ("leader1", "sign"), ("rjk", "return")]:
        assert bgs.act(who, action).status_code in (403, 409)


def test_only_an_admin_reopens_a_final_sheet_with_a_reason(bgs, api):
    to_final(bgs)
    assert bgs.act("leader1", "reopen", comment="x").status_code == 403
    assert bgs.act("director", "reopen", comment="x").status_code == 403
    assert bgs.act("admin", "reopen").status_code == 422
    sheet = bgs.ok(bgs.act("admin", "reopen", comment="发现计分错误"))
    assert sheet["state"] == "gate_review" and "leader" not in sheet["signoffs"]
    last = api.as_("admin").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"][-1]
    assert (last["action"], last["capacity"], last["from_state"], last["to_state"]) == (
        "reopen", "admin", "final", "gate_review")


def test_reopen_is_only_from_final(bgs):
    to_gate_review(bgs)
    assert bgs.act("admin", "reopen", comment="x").status_code == 409


def test_admin_never_scores(bgs):
    assert bgs.put_row("admin", "team", self_score="2").status_code == 403


def test_a_viewer_reads_everything_and_changes_nothing(bgs, api):
    items = api.as_("director").get("/api/v1/sheets?year=2018").get_json()["items"]
    assert len(items) == 19
    assert bgs.get("director")["allowed_actions"] == []
    assert bgs.put_row("director", "team", self_score="2").status_code == 403
    assert bgs.act("director", "submit").status_code == 403


# ------------------------------------------------------------------ totals and history


def test_subtotal_counts_review_else_self_else_zero(bgs):
    bgs.put_row("bgs", "targets", self_score="28", self_reason="一项目标未完成")
    bgs.put_row("bgs", "team", self_score="2")
    assert bgs.get()["subtotal"] == "30"
    bgs.fill_self("bgs")
    bgs.ok(bgs.act("bgs", "submit"))
    bgs.put_row("rjk", "targets", review_score="25.5", review_reason="两项目标未完成")
    sheet = bgs.get()
    assert sheet["subtotal"] == "95.5" and sheet["total"] == "95.5" and sheet["bonus"] == "0"


def test_every_change_is_a_step_with_old_and_new(bgs, api):
    bgs.put_row("bgs.staff", "team", self_score="1.5", self_reason="不团结")
    bgs.put_row("bgs.staff", "team", self_score="2", self_reason="")
    steps = api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"]
    edits = [(s["field"], s["old"], s["new"], s["capacity"]) for s in steps]
    assert edits == [("team.self_score", None, "1.5", "unit_member"), ("team.self_reason", "", "不团结", "unit_member"),
                     ("team.self_score", "1.5", "2", "unit_member"), ("team.self_reason", "不团结", "", "unit_member")]
    assert all(s["action"] == "edit" and s["at"].endswith("+08:00") for s in steps)


def test_an_unchanged_save_writes_no_step_and_keeps_the_version(bgs):
    bgs.put_row("bgs", "team", self_score="2")
    version = bgs.version
    bgs.ok(bgs.put_row("bgs", "team", self_score="2.00"))
    assert bgs.version == version


def test_every_state_change_is_in_the_history(bgs, api):
    to_final(bgs)
    steps = [s for s in api.as_("director").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"]
             if s["action"] != "edit"]
    assert [(s["who"], s["capacity"], s["action"], s["from_state"], s["to_state"]) for s in steps] == [
        ("bgs", "unit_head", "submit", "draft", "gate_review"),
        ("rjk", "gate", "approve", "gate_review", "responsible_sign"),
        ("rjk", "responsible_office", "sign", "responsible_sign", "responsible_sign"),
        ("dwb", "responsible_office", "sign", "responsible_sign", "responsible_sign"),
        ("cjjcdd", "responsible_office", "sign", "responsible_sign", "responsible_sign"),
        ("bgs", "responsible_office", "sign", "responsible_sign", "leader_sign"),
        ("leader1", "leader", "sign", "leader_sign", "final"),
    ]


# ------------------------------------------------------------------ stale pages and bad input


def test_a_stale_version_changes_nothing_and_is_409(bgs):
    old = bgs.version
    bgs.ok(bgs.put_row("bgs", "team", self_score="2"))
    r = bgs.api.as_("bgs.staff").put(f"/api/v1/sheets/{bgs.sid}/items/hygiene",
                                     json={"version": old, "self_score": "2"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "stale_version"
    assert next(i for i in bgs.get()["items"] if i["code"] == "hygiene")["self_score"] is None
    bgs.fill_self("bgs")
    assert bgs.act("bgs", "submit", version=old).status_code == 409


def test_every_change_bumps_the_version(bgs, api):
    v1 = bgs.version
    bgs.fill_self("bgs")
    v2 = bgs.version
    bgs.ok(bgs.act("bgs", "submit"))
    v3 = bgs.version
    assert v1 < v2 < v3


@pytest.mark.parametrize("payload, status, code", [
    ({"self_score": "2"}, 400, "bad_version"),
    ({"version": "1", "self_score": "2"}, 400, "bad_version"),
    ({"version": True, "self_score": "2"}, 400, "bad_version"),
    ({"version": 1, "self_score": "2.5"}, 422, "score_above_standard"),
    ({"version": 1, "self_score": -1}, 422, "invalid_score"),
    ({"version": 1, "self_score": "1.255", "self_reason": "x"}, 422, "invalid_score"),
    ({"version": 1, "self_score": "abc"}, 422, "invalid_score"),
    ({"version": 1, "self_score": "NaN"}, 422, "invalid_score"),
    ({"version": 1, "self_score": [1]}, 422, "invalid_score"),
    ({"version": 1, "self_score": 1, "self_reason": 5}, 422, "invalid_text"),
    ({"version": 1, "self_score": "2", "review_score": "2"}, 422, "invalid_fields"),
    ({"version": 1}, 422, "invalid_fields"),
])
def test_bad_row_input_is_refused_with_a_message(bgs, api, payload, status, code):
    r = api.as_("bgs").put(f"/api/v1/sheets/{bgs.sid}/items/team", json=payload)
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code and r.get_json()["error"]["message"]


def test_scores_accept_numbers_and_strings_with_two_decimals(bgs):
    sheet = bgs.ok(bgs.put_row("bgs", "targets", self_score=29.75, self_reason="小数"))
    assert sheet["items"][0]["self_score"] == "29.75"
    assert bgs.ok(bgs.put_row("bgs", "targets", self_score="30.00"))["items"][0]["self_score"] == "30"


def test_malformed_bodies_are_400(bgs, api):
    token = api.token("bgs")
    for data, ctype in [("not json", "application/json"), ("[1, 2]", "application/json"), ("x=1", "text/plain")]:
        r = api.client.put(f"/api/v1/sheets/{bgs.sid}/items/team", data=data, content_type=ctype,
                           headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "malformed_json"


def test_unknown_item_action_and_sheet_are_404(bgs, api):
    assert bgs.put_row("bgs", "nosuch", self_score="1").status_code == 404
    assert bgs.act("bgs", "promote").status_code == 404
    assert api.as_("bgs").get("/api/v1/sheets/99999").status_code == 404


def test_the_inbox_follows_the_sheet_along_its_path(bgs, api):
    def waiting(who):
        return [(i["unit"], i["action"]) for i in api.as_(who).get("/api/v1/inbox").get_json()["items"]
                if i["id"] == bgs.sid]

    assert waiting("bgs") == [("bgs", "submit")] and waiting("rjk") == []
    to_gate_review(bgs)
    assert waiting("bgs") == [] and waiting("rjk") == [("bgs", "approve")] and waiting("rjk.staff") == []
    bgs.fill_review("rjk")
    bgs.ok(bgs.act("rjk", "approve"))
    assert all(waiting(o) == [("bgs", "sign")] for o in OFFICES) and waiting("leader1") == []
    for office in OFFICES:
        bgs.ok(bgs.act(office, "sign"))
        assert waiting(office) == []
    assert waiting("leader1") == [("bgs", "sign")] and waiting("leader2") == []
    bgs.ok(bgs.act("leader1", "sign"))
    assert waiting("leader1") == [] and waiting("admin") == []


def test_allowed_actions_are_only_those_that_can_succeed_now(bgs, api):
    assert bgs.get("bgs")["allowed_actions"] == []  # nothing self-scored yet: submit would fail
    assert [i["action"] for i in api.as_("bgs").get("/api/v1/inbox").get_json()["items"]] == ["submit"]
    bgs.fill_self("bgs")
    assert bgs.get("bgs")["allowed_actions"] == ["submit"]
    bgs.ok(bgs.act("bgs", "submit"))
    assert bgs.get("rjk")["allowed_actions"] == ["return"]  # approve waits for every review score
    bgs.fill_review("rjk")
    assert bgs.get("rjk")["allowed_actions"] == ["approve", "return"]


def test_a_viewer_or_admin_who_belongs_to_a_unit_still_changes_nothing(app, bgs):
    runner = app.test_cli_runner()
    for name, role in [("disc", "viewer"), ("sysadm", "admin")]:
        result = runner.invoke(args=["create-user", name, "--unit", "bgs", "--role", role],
                               input="long-password\nlong-password\n")
        assert result.exit_code == 0, result.output
        token = bgs.api.client.post("/api/v1/tokens", json={"username": name, "password": "long-password"})
        bgs.api.tokens[name] = token.get_json()["token"]
        assert bgs.put_row(name, "team", self_score="2").status_code == 403
        assert bgs.get(name)["allowed_actions"] == []


def test_after_saving_a_member_is_told_who_moves_the_sheet_on(bgs, client):
    """Issue 10, 11: a member who has filled every row learns that the head submits."""
    client.post("/login", data={"username": "bgs.staff", "password": "demo12345"})
    sid = bgs.sid
    form = {"kind": "self", "version": str(bgs.version), "code": "team", "score-team": "2", "reason-team": ""}
    r = client.post(f"/sheets/{sid}/rows", data=form, follow_redirects=True)
    assert "还有 16 个项目未填自评分" in r.get_data(as_text=True)
    bgs.fill_self("bgs.staff")
    form = {"kind": "self", "version": str(bgs.version), "code": "team", "score-team": "1.5",
            "reason-team": "有一例"}
    r = client.post(f"/sheets/{sid}/rows", data=form, follow_redirects=True)
    assert "请告知本科室负责人核对后提交扎口科室审核" in r.get_data(as_text=True)
