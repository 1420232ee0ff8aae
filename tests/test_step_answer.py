"""The answer to a step is the sheet as stored (issue 11). A step answers from the objects its
unit of work wrote instead of loading the sheet again; what it answers must be what anyone who
asks next reads: the state, the version, every signature, the totals and what the actor may do
now."""
from datetime import timedelta
from decimal import Decimal

import pytest

from flow import Flow
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.rhythm.models import Delegation
from kaohe_flow.timeutil import local_today

OFFICES = ["rjk", "dwb", "cjjcdd", "bgs"]  # the 2018 responsible offices, who co-sign every sheet


@pytest.fixture
def bgs(api, sheet_id):
    """办公室's sheet: gate 人教科, leader leader1."""
    return Flow(api, sheet_id("bgs"))


def step(flow, who, action, **extra):
    """Take the step, and check its answer against the sheet read afresh by the same person."""
    answer = flow.ok(flow.act(who, action, **extra))
    stored = flow.ok(flow.api.as_(who).get(f"/api/v1/sheets/{flow.sid}"))
    assert answer == stored, f"{who} {action}: the answer differs from the sheet as stored"
    return answer


def test_every_step_of_the_path_answers_the_sheet_as_stored(bgs):
    bgs.fill_self("bgs.staff")
    assert step(bgs, "bgs", "submit")["state"] == "gate_review"
    bgs.fill_review("rjk", lose=Decimal("0.5"))
    assert step(bgs, "rjk", "approve")["state"] == "responsible_sign"
    step(bgs, "rjk", "sign")  # the office's own rows signed, the sheet still waits for the others
    # An office returns naming its row: its signatures on it go, the rest are kept (附件3).
    assert step(bgs, "dwb", "sign")["state"] == "responsible_sign"
    back = step(bgs, "rjk", "return", comment="目标分有误", items=["targets"])
    assert back["state"] == "gate_review"
    assert step(bgs, "rjk", "approve")["state"] == "responsible_sign"
    for office in ("rjk", "cjjcdd", "bgs"):  # 党委办's signatures stood through the return
        step(bgs, office, "sign")
    final = step(bgs, "leader1", "sign")
    assert final["state"] == "final"
    assert final["total"] == bgs.get()["total"]
    assert step(bgs, "admin", "reopen", comment="复核")["state"] == "gate_review"


def test_a_delegates_step_answers_the_sheet_as_stored(app, bgs):
    bgs.fill_self("bgs.staff")
    bgs.ok(bgs.act("bgs", "submit"))
    bgs.fill_review("rjk")
    bgs.ok(bgs.act("rjk", "approve"))
    for office in OFFICES:
        bgs.ok(bgs.act(office, "sign"))
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        db.session.add(Delegation(delegator=users["leader1"], delegate=users["leader2"],
                                  from_date=local_today() - timedelta(1), to_date=local_today() + timedelta(7)))
        db.session.commit()
    final = step(bgs, "leader2", "sign")  # leader2 代 leader1
    assert final["state"] == "final"


def test_a_refused_step_answers_nothing_it_did_not_store(bgs):
    bgs.fill_self("bgs.staff")
    version = bgs.version
    refused = bgs.act("bgs", "approve")  # the unit never approves its own sheet
    assert refused.status_code == 403
    assert bgs.get()["version"] == version and bgs.get()["state"] == "draft"
