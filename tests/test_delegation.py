"""Delegation (CONTRACT.md "The year's rhythm"): a head or a leader hands their capacities to
someone for a range of days; the delegate's inbox shows the records, every step they take says
"A 代 B", nobody acts on one record in two capacities, and it ends by itself."""
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from conftest import YEAR
from flow import Flow
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.rhythm.models import Delegation
from kaohe_flow.timeutil import local_today
from test_sheet_path import to_gate_review, to_leader_sign, to_responsible_sign


@pytest.fixture
def bgs(api, sheet_id):
    """办公室's sheet: gate 人教科, leader leader1."""
    return Flow(api, sheet_id("bgs"))


def days(n=0) -> str:
    return (local_today() + timedelta(days=n)).isoformat()


def delegate(api, who, to, first=0, last=7):
    return api.as_(who).post("/api/v1/delegations", json={"to": to, "from_date": days(first), "to_date": days(last)})


def given_delegation(app, who, to, first, last):
    """Given straight to the database (e.g. one that has already run out)."""
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User).where(User.username.in_([who, to])))}
        db.session.add(Delegation(delegator=users[who], delegate=users[to], from_date=local_today() + timedelta(first),
                                  to_date=local_today() + timedelta(last)))
        db.session.commit()


def inbox_ids(api, who):
    return {(i["kind"], i["id"]) for i in api.as_(who).get(f"/api/v1/inbox?year={YEAR}").get_json()["items"]}


# ------------------------------------------------------------------ the delegate acts, both names kept


def test_a_deputy_director_away_hands_his_signing_to_another_leader(bgs, api):
    to_leader_sign(bgs)
    assert ("sheet", bgs.sid) not in inbox_ids(api, "leader2")
    r = delegate(api, "leader1", "leader2")
    assert r.status_code == 201
    made = r.get_json()
    assert (made["from"], made["to"], made["status"]) == ("leader1", "leader2", "active")

    assert ("sheet", bgs.sid) in inbox_ids(api, "leader2")
    line = next(i for i in api.as_("leader2").get(f"/api/v1/inbox?year={YEAR}").get_json()["items"]
                if i["id"] == bgs.sid and i["kind"] == "sheet")
    assert (line["action"], line["on_behalf_of"]) == ("sign", "leader1")
    assert "sign" in bgs.get("leader2")["allowed_actions"]
    sheet = bgs.ok(bgs.act("leader2", "sign"))
    assert sheet["state"] == "final"
    assert sheet["signoffs"]["leader"]["username"] == "leader2"
    assert sheet["signoffs"]["leader"]["on_behalf_of"] == "leader1"
    last = api.as_("admin").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"][-1]
    assert (last["who"], last["on_behalf_of"], last["capacity"], last["action"]) == (
        "leader2", "leader1", "leader", "sign")


def test_the_delegates_step_reads_a_dai_b_on_the_page_and_the_print(bgs, api, client):
    to_leader_sign(bgs)
    assert delegate(api, "leader1", "leader2").status_code == 201
    bgs.ok(bgs.act("leader2", "sign"))
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    with client.application.app_context():
        names = {u.username: u.name for u in db.session.scalars(db.select(User))}
    both = f"{names['leader2']} 代 {names['leader1']}"
    page = client.get(f"/sheets/{bgs.sid}").get_data(as_text=True)
    assert both in page  # the signature place
    assert " 代 " in page.split("流转记录")[1]  # the timeline
    assert both in client.get(f"/sheets/{bgs.sid}/print").get_data(as_text=True)
    pdf = api.as_("bgs").get(f"/api/v1/sheets/{bgs.sid}/export.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).replace(" ", "")
    assert both.replace(" ", "") in text  # the PDF's signature place


def test_an_office_head_hands_his_rows_to_a_colleague(bgs, api):
    to_responsible_sign(bgs)
    assert delegate(api, "dwb", "dwb.staff").status_code == 201
    sheet = bgs.ok(bgs.act("dwb.staff", "sign"))  # a member signs in the head's place
    signed = [s for i in sheet["items"] for s in i["signatures"] if s["unit"] == "dwb"]
    assert signed and all((s["username"], s["on_behalf_of"]) == ("dwb.staff", "dwb") for s in signed)
    r = bgs.act("dwb", "sign")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_signed"


def test_nobody_acts_on_one_record_in_two_capacities(bgs, api):
    """办公室's head submitted his own sheet; standing in for its deputy director he may not sign
    it as the leader too."""
    to_leader_sign(bgs)
    assert delegate(api, "leader1", "bgs").status_code == 201
    r = bgs.act("bgs", "sign")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    assert ("sheet", bgs.sid) not in inbox_ids(api, "bgs")
    assert bgs.get()["state"] == "leader_sign"


def test_the_delegator_keeps_his_own_rights(bgs, api):
    to_leader_sign(bgs)
    assert delegate(api, "leader1", "leader2").status_code == 201
    assert bgs.ok(bgs.act("leader1", "sign"))["signoffs"]["leader"].get("on_behalf_of") is None


# ------------------------------------------------------------------ it ends


def test_a_delegation_ends_by_itself(app, bgs, api):
    to_leader_sign(bgs)
    given_delegation(app, "leader1", "leader2", -10, -1)  # ran out yesterday
    given_delegation(app, "leader1", "leader3", 1, 5)  # starts tomorrow
    for who in ("leader2", "leader3"):
        assert bgs.act(who, "sign").status_code == 403
        assert ("sheet", bgs.sid) not in inbox_ids(api, who)
    statuses = {d["to"]: d["status"] for d in api.as_("leader1").get("/api/v1/delegations").get_json()["items"]}
    assert statuses == {"leader2": "expired", "leader3": "planned"}


def test_the_delegator_ends_it_early(bgs, api):
    to_leader_sign(bgs)
    made = delegate(api, "leader1", "leader2").get_json()
    assert api.as_("leader2").delete(f"/api/v1/delegations/{made['id']}").status_code == 403  # not the delegate
    assert api.as_("leader3").delete(f"/api/v1/delegations/{made['id']}").status_code == 404  # not theirs to see
    r = api.as_("leader1").delete(f"/api/v1/delegations/{made['id']}")
    assert r.status_code == 200 and r.get_json()["status"] == "ended"
    assert bgs.act("leader2", "sign").status_code == 403
    again = api.as_("leader1").delete(f"/api/v1/delegations/{made['id']}")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "delegation_ended"
    actions = [e["action"] for e in api.as_("admin").get("/api/v1/audit").get_json()["items"]]
    assert "delegation_created" in actions and "delegation_ended" in actions


# ------------------------------------------------------------------ bad input changes nothing


@pytest.mark.parametrize("who, body, status, code", [
    ("leader1", {"to": "leader1", "from_date": 0, "to_date": 3}, 422, "self_delegation"),
    ("leader1", {"to": "leader2", "from_date": 5, "to_date": 1}, 422, "invalid_dates"),  # backwards
    ("leader1", {"to": "leader2", "from_date": -9, "to_date": -2}, 422, "invalid_dates"),  # all in the past
    ("leader1", {"to": "leader2", "from_date": "2018-13-01", "to_date": 3}, 422, "invalid_date"),
    ("leader1", {"to": "nobody", "from_date": 0, "to_date": 3}, 422, "unknown_user"),
    ("leader1", {"to": "leader2\u0000", "from_date": 0, "to_date": 3}, 422, "unknown_user"),  # PostgreSQL too
    ("leader1", {"to": "director", "from_date": 0, "to_date": 3}, 422, "invalid_delegate"),
    ("bgs.staff", {"to": "bgs", "from_date": 0, "to_date": 3}, 403, "forbidden"),  # a member has nothing to hand on
    ("director", {"to": "leader2", "from_date": 0, "to_date": 3}, 403, "forbidden"),
])
def test_bad_delegations_are_refused_in_plain_words(api, who, body, status, code):
    body = {k: days(v) if isinstance(v, int) else v for k, v in body.items()}
    r = api.as_(who).post("/api/v1/delegations", json=body)
    assert r.status_code == status and r.get_json()["error"]["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["error"]["message"])
    assert api.as_("admin").get("/api/v1/delegations").get_json()["items"] == []


def test_overlapping_delegations_are_refused(api):
    assert delegate(api, "leader1", "leader2", 0, 7).status_code == 201
    r = delegate(api, "leader1", "leader3", 5, 9)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "overlapping_delegation"
    assert delegate(api, "leader1", "leader3", 8, 9).status_code == 201  # after it: fine
    r = delegate(api, "leader2", "leader4", 0, 2)  # away himself? no: leader2 stands in, may still hand on
    assert r.status_code == 201
    r = delegate(api, "leader3", "leader2", 0, 1)  # leader2 has handed his own on for those days
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "delegate_away"


# ------------------------------------------------------------------ the page


def test_the_delegation_page(api, client):
    client.post("/login", data={"username": "leader1", "password": "demo12345"})
    page = client.get("/delegations").get_data(as_text=True)
    assert "新建委托" in page and "受托人" in page
    r = client.post("/delegations", data={"to": "leader1", "from_date": days(0), "to_date": days(3)})
    assert r.status_code == 422 and "不能委托给自己" in r.get_data(as_text=True)
    assert days(3) in r.get_data(as_text=True)  # what was typed stays
    r = client.post("/delegations", data={"to": "leader2", "from_date": days(0), "to_date": days(3)})
    assert r.status_code == 302
    page = client.get("/delegations").get_data(as_text=True)
    assert "生效中" in page and "结束委托" in page
    made = api.as_("leader1").get("/api/v1/delegations").get_json()["items"][0]
    assert client.post(f"/delegations/{made['id']}/end").status_code == 302
    assert "已结束" in client.get("/delegations").get_data(as_text=True)


# ------------------------------------------------------------------ never one's own unit, never two capacities


def test_a_member_never_stands_in_for_the_gate_of_his_own_units_sheet(bgs, api):
    assert delegate(api, "rjk", "bgs.staff").status_code == 201  # 人教科's head → a member of 办公室
    to_gate_review(bgs)
    r = bgs.put_row("bgs.staff", "team", review_score="2", review_reason="")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    bgs.fill_review("rjk")
    r = bgs.act("bgs.staff", "approve")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    assert bgs.get()["state"] == "gate_review"


def test_a_member_never_signs_his_own_units_sheet_as_its_leader(bgs, api):
    to_leader_sign(bgs)
    assert delegate(api, "leader1", "bgs.staff").status_code == 201
    r = bgs.act("bgs.staff", "sign")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    assert bgs.get()["state"] == "leader_sign"


def test_whoever_typed_for_the_unit_through_a_delegation_does_not_then_approve_as_gate(bgs, api):
    """人教科's head stands in for 办公室's head and types a self score: approving the same sheet
    as its gate afterwards would be a second capacity."""
    assert delegate(api, "bgs", "rjk").status_code == 201
    bgs.fill_self("bgs.staff")
    assert bgs.put_row("rjk", "team", self_score="2", self_reason="会议缺席一次").status_code == 200
    bgs.ok(bgs.act("bgs", "submit"))
    r = bgs.put_row("rjk", "team", review_score="2", review_reason="同意")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    r = bgs.act("rjk", "approve")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict_of_capacity"
    steps = api.as_("admin").get(f"/api/v1/sheets/{bgs.sid}/history").get_json()["items"]
    typed = [s for s in steps if s["who"] == "rjk"]
    assert typed and all(s.get("on_behalf_of") == "bgs" and s["capacity"] == "unit_head" for s in typed)


def test_a_gate_member_standing_in_for_his_own_head_acts_in_one_capacity(bgs, api):
    """The same capacity, through a delegation: no conflict."""
    to_gate_review(bgs)
    assert delegate(api, "rjk", "rjk.staff").status_code == 201
    bgs.fill_review("rjk.staff")
    sheet = bgs.ok(bgs.act("rjk.staff", "approve"))
    assert sheet["state"] == "responsible_sign"
    assert (sheet["signoffs"]["gate"]["username"], sheet["signoffs"]["gate"]["on_behalf_of"]) == ("rjk.staff", "rjk")
