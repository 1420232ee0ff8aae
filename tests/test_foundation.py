"""The foundations: the machine declared once, history that cannot be rewritten, versions
that lose a race with 409, points as decimals, and the flask commands."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from kaohe_flow.audit.models import AppendOnlyError, HistoryEntry
from kaohe_flow.errors import ServiceError
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.points import PointsError, fmt_points, parse_points
from kaohe_flow.scoring import Occurrence, suggested_score
from kaohe_flow.sheets import queries
from kaohe_flow.sheets import service as sheets
from kaohe_flow.sheets.models import Sheet
from kaohe_flow.workflow import machine
from kaohe_flow.workflow.permissions import ACTION_RULES, RecordFacts, allowed_actions, decide

# ------------------------------------------------------------------ the machine


def test_the_machine_is_one_shared_definition_with_the_contracts_states_and_actions():
    assert machine.MACHINE.models == []  # never attached to a record
    assert tuple(machine.MACHINE.states) == machine.STATES == (
        "draft", "gate_review", "responsible_sign", "leader_sign", "final")
    assert set(machine.MACHINE.events) == set(machine.ACTIONS)


class Record:
    def __init__(self, state):
        self.state = state


@pytest.mark.parametrize("state, action, facts, after", [
    ("draft", "submit", {}, "gate_review"),
    ("gate_review", "withdraw", {}, "draft"),
    ("gate_review", "approve", {}, "responsible_sign"),
    ("gate_review", "return", {}, "draft"),
    ("responsible_sign", "sign", {"all_signed": False}, "responsible_sign"),
    ("responsible_sign", "sign", {"all_signed": True}, "leader_sign"),
    ("responsible_sign", "return", {}, "gate_review"),
    ("leader_sign", "sign", {}, "final"),
    ("leader_sign", "return", {}, "gate_review"),
    ("final", "reopen", {}, "gate_review"),
])
def test_every_transition_of_the_contract(state, action, facts, after):
    record = Record(state)
    assert machine.fire(record, action, **facts) == (state, after)


@pytest.mark.parametrize("state, action", [
    ("draft", "approve"), ("draft", "sign"), ("draft", "return"), ("draft", "withdraw"),
    ("gate_review", "submit"), ("responsible_sign", "approve"), ("leader_sign", "withdraw"),
    ("final", "sign"), ("final", "return"), ("gate_review", "reopen"), ("draft", "nosuch"),
])
def test_moves_the_machine_does_not_have_are_refused_and_change_nothing(state, action):
    record = Record(state)
    with pytest.raises(machine.TransitionRefused):
        machine.fire(record, action)
    assert record.state == state


def test_every_firing_action_has_permission_rules():
    assert set(machine.ACTIONS) <= set(ACTION_RULES)
    for action in machine.ACTIONS:
        assert {g.state for g in ACTION_RULES[action]} <= machine.sources(action)


class Person:
    def __init__(self, unit_id=None, roles=("member",), id=1):
        self.unit_id, self.id, self._roles = unit_id, id, set(roles)
        self.is_head = "head" in self._roles

    def has_role(self, role):
        return role in self._roles


def test_no_unit_ever_acts_as_gate_on_its_own_sheet_even_if_the_data_said_so():
    facts = RecordFacts(unit_id=7, gate_unit_id=7, leader_id=None, state="gate_review")
    head = Person(unit_id=7, roles=("member", "head"))
    assert decide(head, "approve", facts).status == 403
    assert allowed_actions(head, facts) == ["withdraw"]


def test_never_is_403_and_not_now_is_409():
    facts = RecordFacts(unit_id=1, gate_unit_id=2, leader_id=9, state="draft")
    assert decide(Person(unit_id=3, roles=("member", "head")), "approve", facts).status == 403
    assert decide(Person(unit_id=2, roles=("member", "head")), "approve", facts).status == 409
    assert decide(Person(id=9, roles=("leader",)), "sign", facts).status == 409
    assert decide(Person(id=8, roles=("leader",)), "sign", facts).status == 403


# ------------------------------------------------------------------ history and versions


def test_history_is_append_only(app, api, sheet_id):
    api.as_("bgs").put(f"/api/v1/sheets/{sheet_id('bgs')}/items/team", json={"version": 1, "self_score": "2"})
    with app.app_context():
        entry = db.session.scalars(db.select(HistoryEntry)).first()
        entry.comment = "rewritten"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalars(db.select(HistoryEntry)).first())
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()


def test_a_refused_step_writes_nothing(app, api, sheet_id):
    sid = sheet_id("bgs")
    r = api.as_("bgs").post(f"/api/v1/sheets/{sid}/actions/submit", json={"version": 1})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(sa.func.count(HistoryEntry.id))) == 0
        assert db.session.get(Sheet, sid).version == 1


def test_a_write_racing_another_loses_with_409_and_changes_nothing(app, sheet_id):
    """Two requests read version N; the other commits first; ours must not overwrite it."""
    sid = sheet_id("bgs")
    with app.test_request_context():
        user = db.session.scalar(db.select(User).filter_by(username="bgs"))
        queries.get_visible(user, sid)  # our request has read the sheet at version 1 ...
        with db.engine.begin() as other:  # ... another commits in between
            other.execute(sa.text("UPDATE sheets SET version = version + 1 WHERE id = :id"), {"id": sid})
        with pytest.raises(ServiceError) as refused:
            sheets.update_rows(user, sid, "self", 1, {"team": {"score": "2"}})
        assert refused.value.status == 409 and refused.value.code == "stale_version"
    with app.app_context():
        sheet = db.session.get(Sheet, sid)
        assert sheet.version == 2 and sheet.row("team").self_score is None
        assert db.session.scalar(db.select(sa.func.count(HistoryEntry.id))) == 0


# ------------------------------------------------------------------ points


@pytest.mark.parametrize("raw, value", [("96.5", "96.5"), (96.5, "96.5"), (2, "2"), ("0.25", "0.25"),
                                        (" 1.50 ", "1.5"), (29.75, "29.75")])
def test_points_are_decimals_with_two_places(raw, value):
    assert fmt_points(parse_points(raw)) == value
    assert isinstance(parse_points(raw), Decimal)


@pytest.mark.parametrize("raw", ["1.255", "abc", "", None, True, "Infinity", "NaN", [1]])
def test_points_refuse_what_is_not_a_number_of_points(raw):
    with pytest.raises(PointsError):
        parse_points(raw)


def test_suggested_score_floors_at_zero_and_zeroing_wins():
    standard = Decimal("5")
    assert suggested_score(standard) == 5
    assert suggested_score(standard, [Occurrence("per_occurrence", Decimal("0.5"), 3)]) == Decimal("3.5")
    assert suggested_score(standard, [Occurrence("per_occurrence", Decimal("1"), 9)]) == 0  # 扣完为止
    assert suggested_score(standard, [Occurrence("per_occurrence", Decimal("1")),
                                      Occurrence("zeroing", Decimal("5"))]) == 0  # 不得分


# ------------------------------------------------------------------ flask commands


def test_seed_and_demo_commands_are_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0 and "新建 0 个" in result.output and "demo12345" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(sa.func.count(Sheet.id))) == 19
        assert db.session.scalar(db.select(sa.func.count(User.id))) == 19 * 2 + 6


def test_bootstrap_changes_nothing_on_a_database_with_data(app):
    result = app.test_cli_runner().invoke(args=["bootstrap"])
    assert result.exit_code == 0 and "保持不变" in result.output


def test_create_user_prompts_for_the_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "wang", "--name", "王科员", "--unit", "bgs"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="wang"))
        assert user.unit.code == "bgs" and user.roles == ["member"] and user.check_password("s3cret-pass")
        assert "s3cret-pass" not in user.password_hash
    again = runner.invoke(args=["create-user", "wang"], input="s3cret-pass\ns3cret-pass\n")
    assert again.exit_code != 0 and "已存在" in again.output
    unknown = runner.invoke(args=["create-user", "li", "--unit", "nosuch"], input="s3cret-pass\ns3cret-pass\n")
    assert unknown.exit_code != 0 and "nosuch" in unknown.output


def test_production_passwords_use_scrypt(app):
    user = User(username="x", name="x")
    user.set_password("long enough password")
    assert user.password_hash.startswith("scrypt:")


def test_trackers_sync_recomputes_the_derived_records(app, api):
    api.as_("bgs").post("/api/v1/oa-documents", json={
        "title": "通知", "kind": "meeting", "sent_at": "2018-03-05T09:00:00+08:00",
        "recipients": [{"username": "szc", "signed_at": None}]})
    result = app.test_cli_runner().invoke(args=["trackers-sync", "--year", "2018"])
    assert result.exit_code == 0, result.output
    assert "2018年度" in result.output
