"""Fault injection (issue 8, point 11): a failure after the machine has moved the record and
before the commit leaves state, history, signatures and version exactly as stored — for sheets
and for bonus applications — and the next attempt succeeds as if nothing had happened."""
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from kaohe_flow.audit import service as audit
from kaohe_flow.audit.models import HistoryEntry
from kaohe_flow.bonus import service as bonus
from kaohe_flow.bonus.models import BonusApplication, BonusSignature
from kaohe_flow.extensions import db
from kaohe_flow.sheets import service as sheets
from kaohe_flow.sheets.models import Sheet, Signature
from kaohe_flow.workflow import steps
from test_workflow_service import application_in_gate_review, fire, sheet_in_gate_review, stored


class Injected(RuntimeError):
    """The fault: a bug, a lost connection, a full disk."""


@contextmanager
def history_step_fails(monkeypatch, seen):
    """The move's history step cannot be written (the machine has already moved the record)."""
    real = audit.record_step

    def record_step(kind, record, user, capacity, action, **kwargs):
        if action == "edit":  # the proposed points, written before the move
            return real(kind, record, user, capacity, action, **kwargs)
        seen.append(record.state)
        raise Injected("history")

    monkeypatch.setattr(audit, "record_step", record_step)
    yield


@contextmanager
def fails_after_flush(monkeypatch, seen):
    """Everything reached the database inside the transaction, then the commit is never made."""
    def commit(record, **_kw):
        db.session.flush()
        seen.append(record.state)
        raise Injected("before commit")

    monkeypatch.setattr(steps, "commit", commit)
    yield


@contextmanager
def database_refuses_the_commit(monkeypatch, seen):
    """The database fails at COMMIT itself."""
    def refuse(conn):
        last = sa.select(HistoryEntry.to_state).order_by(HistoryEntry.id.desc()).limit(1)
        seen.append(conn.execute(last).scalar())  # the move, inside the transaction
        raise Injected("at commit")

    sa.event.listen(db.engine, "commit", refuse)
    try:
        yield
    finally:
        sa.event.remove(db.engine, "commit", refuse)


FAULTS = {"history_step": history_step_fails, "after_flush": fails_after_flush,
          "at_commit": database_refuses_the_commit}


def _stored_everything(model, signature, record_id):
    """State, version, history steps, signatures and proposed points as the database holds them."""
    key = signature.sheet_id if signature is Signature else signature.application_id
    with db.engine.connect() as conn:
        signatures = conn.scalar(sa.select(sa.func.count()).select_from(signature.__table__)
                                 .where(key == record_id))
        table = model.__table__
        proposed = (conn.scalar(sa.select(table.c.points_proposed).where(table.c.id == record_id))
                    if model is BonusApplication else None)
    return stored(model, record_id) + (signatures, proposed)


@pytest.fixture(params=["sheet", "bonus"])
def kind(request):
    if request.param == "sheet":
        return sheets, Sheet, Signature, sheet_in_gate_review
    return bonus, BonusApplication, BonusSignature, application_in_gate_review


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failure_after_the_state_changed_and_before_commit_changes_nothing(app, monkeypatch, kind, fault):
    service, model, signature, given = kind
    with app.app_context():
        rid = given()
        before = _stored_everything(model, signature, rid)
        seen = []
        with monkeypatch.context() as patch, FAULTS[fault](patch, seen), pytest.raises(Injected):
            fire(service, rid, "rjk", "approve", points_proposed="2")
        assert seen == ["responsible_sign"]  # the fault struck after the machine had moved the record
        assert _stored_everything(model, signature, rid) == before
        assert not db.session.new and not db.session.dirty and not db.session.deleted
        record = db.session.get(model, rid)
        assert (record.state, record.version) == before[:2]  # the session shows what is stored

        fire(service, rid, "rjk", "approve", points_proposed="2")  # the same step, without the fault
        state, version, steps_count, signatures, _proposed = _stored_everything(model, signature, rid)
        assert (state, version, signatures) == ("responsible_sign", before[1] + 1, before[3] + 1)
        assert steps_count == before[2] + (2 if model is BonusApplication else 1)
