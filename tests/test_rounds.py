"""Rounds and kept signatures (CONTRACT.md "The year's rhythm"): history numbered by round, a
return costs only the changed rows' signatures, a returned record says so everywhere, and what
changed since the return can be read on a page and through the API."""
from decimal import Decimal

import pytest

from flow import Flow
from test_bonus import Bonus
from test_sheet_path import OFFICES, to_final, to_leader_sign, to_responsible_sign


@pytest.fixture
def bgs(api, sheet_id):
    """办公室's sheet: gate 人教科, leader leader1, co-signed by 人教科, 党委办, 城建监察大队 and 办公室."""
    return Flow(api, sheet_id("bgs"))


def signatures(sheet):
    """row code → {office: signed at} as the API shows them."""
    return {i["code"]: {s["unit"]: s["at"] for s in i["signatures"]} for i in sheet["items"]}


def rows_of(sheet, office):
    return {i["code"] for i in sheet["items"] if office in i["responsible"]}


def review(flow, who, code, score, reason):
    return flow.put_row(who, code, review_score=score, review_reason=reason)


# ------------------------------------------------------------------ kept signatures


def test_a_leaders_return_costs_only_the_changed_rows_signatures(bgs):
    to_leader_sign(bgs)
    signed = signatures(bgs.get())
    bgs.ok(bgs.act("leader1", "return", comment="队伍建设的扣分请再核实"))
    sheet = bgs.get()
    assert sheet["state"] == "gate_review" and "gate" not in sheet["signoffs"] and "leader" not in sheet["signoffs"]
    assert signatures(sheet) == signed  # every office's row signatures stay while nothing changed

    team = next(i for i in sheet["items"] if i["code"] == "team")
    bgs.ok(review(bgs, "rjk", "team", str(Decimal(team["standard"]) - 1), "会议缺席一次"))
    sheet = bgs.get()
    assert signatures(sheet)["team"] == {}  # the changed row waits for its offices again
    assert {c: s for c, s in signatures(sheet).items() if c != "team"} == {
        c: s for c, s in signed.items() if c != "team"}

    sheet = bgs.ok(bgs.act("rjk", "approve"))
    assert sheet["state"] == "responsible_sign"
    offices_of_team = set(team["responsible"])
    for office in set(OFFICES) - offices_of_team:  # their rows are signed: nothing to sign again
        r = bgs.act(office, "sign")
        assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_signed"
    for office in offices_of_team:
        sheet = bgs.ok(bgs.act(office, "sign"))
    assert sheet["state"] == "leader_sign"
    again = signatures(sheet)
    assert {c: s for c, s in again.items() if c != "team"} == {c: s for c, s in signed.items() if c != "team"}
    assert set(again["team"]) == offices_of_team


def test_a_return_with_nothing_changed_goes_from_the_gate_straight_to_the_leader(bgs, api):
    to_leader_sign(bgs)
    bgs.ok(bgs.act("leader1", "return", comment="请再看一遍"))
    sheet = bgs.ok(bgs.act("rjk", "approve"))
    assert sheet["state"] == "leader_sign"  # every row kept its signatures: nobody is left to sign
    last = api.as_("admin").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"][-1]
    assert (last["action"], last["from_state"], last["to_state"]) == ("approve", "gate_review", "leader_sign")
    assert bgs.ok(bgs.act("leader1", "sign"))["state"] == "final"


def test_a_reopened_sheet_keeps_the_offices_signatures_of_unchanged_rows(bgs):
    to_final(bgs)
    signed = signatures(bgs.get())
    sheet = bgs.ok(bgs.act("admin", "reopen", comment="附加分补录"))
    assert sheet["state"] == "gate_review" and signatures(sheet) == signed
    assert "leader" not in sheet["signoffs"]


def test_a_return_to_the_unit_voids_every_signature(bgs):
    """Back in draft the unit rewrites its sheet: the offices will sign what comes back."""
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("dwb", "sign"))
    bgs.ok(bgs.act("cjjcdd", "return", comment="学习制度扣分有误", items=["study"]))
    bgs.ok(bgs.act("rjk", "return", comment="请单位重新自评"))
    sheet = bgs.get()
    assert sheet["state"] == "draft" and all(not s for s in signatures(sheet).values())


def test_an_office_that_signs_again_signs_only_its_unsigned_rows(bgs):
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("rjk", "sign"))
    first = signatures(bgs.get())
    bgs.ok(bgs.act("dwb", "return", comment="队伍建设扣分不准确", items=["team"]))
    rjk_rows = sorted(rows_of(bgs.get(), "rjk"))
    changed = rjk_rows[0]
    standard = next(i["standard"] for i in bgs.get()["items"] if i["code"] == changed)
    bgs.ok(review(bgs, "rjk", changed, str(Decimal(standard) - Decimal("0.5")), "复核后扣分"))
    waiting = signatures(bgs.get())
    assert "rjk" not in waiting[changed]
    assert all(waiting[c]["rjk"] == first[c]["rjk"] for c in rjk_rows if c != changed)
    bgs.ok(bgs.act("rjk", "approve"))
    bgs.ok(bgs.act("rjk", "sign"))  # 人教科 has a row to sign again: the changed one
    after = signatures(bgs.get())
    assert all("rjk" in after[c] for c in rjk_rows)


# ------------------------------------------------------------------ rounds and the returned record


def test_history_is_numbered_by_round(bgs, api):
    to_leader_sign(bgs)
    bgs.ok(bgs.act("leader1", "return", comment="请复核"))
    bgs.ok(bgs.act("rjk", "approve"))
    steps = api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"]
    back = next(i for i, s in enumerate(steps) if s["action"] == "return")
    assert {s["round"] for s in steps[:back + 1]} == {1}  # the return closes its round
    assert {s["round"] for s in steps[back + 1:]} == {2}


def test_what_changed_since_the_return(bgs, api):
    to_leader_sign(bgs)
    bgs.ok(bgs.act("leader1", "return", comment="队伍建设请再核实"))
    assert api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/changes").get_json()["items"] == []
    team = next(i for i in bgs.get()["items"] if i["code"] == "team")
    bgs.ok(review(bgs, "rjk", "team", "1", "会议缺席"))
    bgs.ok(review(bgs, "rjk", "team", "0.5", "会议缺席两次"))
    changes = api.as_("leader1").get(f"/api/v1/sheets/{bgs.sid}/changes").get_json()
    assert changes["round"] == 2
    assert changes["since"]["action"] == "return" and changes["since"]["who"] == "leader1"
    assert changes["since"]["comment"] == "队伍建设请再核实"
    by_field = {c["field"]: c for c in changes["items"]}
    assert set(by_field) == {"team.review_score", "team.review_reason"}
    assert (by_field["team.review_score"]["old"], by_field["team.review_score"]["new"]) == (
        format(Decimal(team["review_score"]).normalize(), "f"), "0.5")
    assert changes["unsigned_rows"] == ["team"]
    assert api.as_("szc").get(f"/api/v1/sheets/{bgs.sid}/changes").status_code == 404

    page = api.client
    page.post("/login", data={"username": "leader1", "password": "demo12345"})
    html = page.get(f"/sheets/{bgs.sid}/changes").get_data(as_text=True)
    assert "退回后的修改" in html and "队伍建设" in html and "会议缺席两次" in html and "需要重新签字的项目" in html


def test_a_returned_sheet_shows_a_banner_with_the_reason_and_the_named_rows(bgs, client):
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("dwb", "return", comment="队伍建设扣分不准确", items=["team"]))
    client.post("/login", data={"username": "rjk", "password": "demo12345"})
    html = client.get(f"/sheets/{bgs.sid}").get_data(as_text=True)
    assert 'id="returned-banner"' in html and "队伍建设扣分不准确" in html
    banner = html.split('id="returned-banner"')[1].split("</div>")[0]
    assert "队伍建设" in banner and "第 1 轮" in banner
    bgs.ok(bgs.act("rjk", "approve"))
    html = client.get(f"/sheets/{bgs.sid}").get_data(as_text=True)
    assert 'id="returned-banner"' not in html  # moved on: no longer returned
    assert "第2轮" in html  # the timeline shows rounds once there is a second


def test_a_returned_application_shows_a_banner_and_its_changes(api, client):
    b = Bonus(api)
    assert b.upload().status_code == 201
    b.ok(b.act("bgs", "submit"))
    b.ok(b.act("rjk", "approve", points_proposed="1"))
    b.ok(b.act("rjk", "return", comment="证书不清晰"))
    client.post("/login", data={"username": "rjk", "password": "demo12345"})
    html = client.get(f"/bonus/{b.id}").get_data(as_text=True)
    assert 'id="returned-banner"' in html and "证书不清晰" in html
    changes = api.as_("bgs").get(f"/api/v1/bonus-applications/{b.id}/changes").get_json()
    assert changes["round"] == 2 and changes["since"]["comment"] == "证书不清晰" and "unsigned_rows" not in changes
    assert client.get(f"/bonus/{b.id}/changes").status_code == 200


def test_an_office_that_signed_and_then_returns_naming_a_row_signs_that_row_again(bgs):
    """Its signature on the named row goes with its return: it disagrees with the row now."""
    to_responsible_sign(bgs)
    bgs.ok(bgs.act("dwb", "sign"))
    team_offices = next(i["responsible"] for i in bgs.get()["items"] if i["code"] == "team")
    assert "dwb" in team_offices
    bgs.ok(bgs.act("dwb", "return", comment="队伍建设扣分还是不对", items=["team"]))
    sheet = bgs.get()
    assert "dwb" not in signatures(sheet)["team"]
    assert all("dwb" in signatures(sheet)[c] for c in rows_of(sheet, "dwb") - {"team"})
    sheet = bgs.ok(bgs.act("rjk", "approve"))  # the gate keeps its score
    assert sheet["state"] == "responsible_sign"
    bgs.ok(bgs.act("dwb", "sign"))  # dwb must look at its row again
