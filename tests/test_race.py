"""The race (issue 8, point 11): many gate heads approve one sheet at the same moment, all
with the same version. Exactly one wins (200); every other answers 409 and changes nothing;
the history gains one step and the version moves once. PostgreSQL only: SQLite serialises
writers for the whole file, so there is no race to lose there.

Figures are settings: KAOHE_RACE_ROUNDS (default 10; the issue's proof is 100),
KAOHE_RACE_THREADS (default 50) and KAOHE_RACE_POOL (connections the racers share, default 20,
so that a run leaves room on a shared server; set it to the number of threads to give every
racer its own). Each thread has its own app context, hence its own session and connection.
"""
import os
import threading
from collections import Counter

import pytest

from conftest import make_app
from kaohe_flow.errors import ServiceError
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User
from kaohe_flow.sheets import service as sheets
from kaohe_flow.sheets.models import Sheet
from kaohe_flow.workflow import steps
from test_workflow_service import fire, sheet_in_gate_review, stored, user

ROUNDS = int(os.environ.get("KAOHE_RACE_ROUNDS", "10"))
THREADS = int(os.environ.get("KAOHE_RACE_THREADS", "50"))
POOL = int(os.environ.get("KAOHE_RACE_POOL", "20"))


@pytest.fixture
def racers(app, db_url):
    """A second app on the same database whose pool the racing threads share."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the race is a PostgreSQL proof (KAOHE_TEST_DB=postgresql)")
    race_app = make_app(db_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_size": min(POOL, THREADS), "max_overflow": 0, "pool_timeout": 120})
    yield race_app
    with race_app.app_context():
        db.engine.dispose()


def _race(race_app, sheet_id: int, gate_head_id: int, version: int) -> list:
    """THREADS approvals released at once; each answer is 200 or (status, code)."""
    answers = [None] * THREADS
    start = threading.Barrier(THREADS)

    def approve(n):
        with race_app.app_context():
            start.wait()
            try:
                sheets.fire_action(db.session.get(User, gate_head_id), sheet_id, "approve",
                                   {"version": version, "comment": "同意"})
                answers[n] = 200
            except ServiceError as exc:
                answers[n] = (exc.status, exc.code)
            except Exception as exc:  # noqa: BLE001 — anything else is a failure to report
                answers[n] = repr(exc)

    threads = [threading.Thread(target=approve, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_of_many_simultaneous_approvals_with_one_version_exactly_one_wins(app, racers, monkeypatch):
    lost_at_commit = []
    real_commit, real_flush = steps.commit, steps.flush

    def counted(write):
        # Count the losers the database stopped (the row's version moved under them) when the
        # step is written, as against those that read the winner's version and were refused
        # before writing.
        def wrapper(record, **kw):
            try:
                write(record, **kw)
            except ServiceError:
                lost_at_commit.append(1)
                raise
        return wrapper

    monkeypatch.setattr(steps, "commit", counted(real_commit))
    monkeypatch.setattr(steps, "flush", counted(real_flush))
    with app.app_context():
        sid = sheet_in_gate_review("bgs")
        gate_head = user("rjk").id
    tally = Counter()
    for _round in range(ROUNDS):
        with app.app_context():
            state, version, history = stored(Sheet, sid)
            assert state == "gate_review"
        answers = _race(racers, sid, gate_head, version)
        tally.update(a if a == 200 else a[1] if isinstance(a, tuple) else "error" for a in answers)
        assert answers.count(200) == 1, Counter(map(str, answers))
        assert all(a == 200 or a == (409, "stale_version") for a in answers), Counter(map(str, answers))
        with app.app_context():
            assert stored(Sheet, sid) == ("responsible_sign", version + 1, history + 1)
            sheet = db.session.get(Sheet, sid)
            assert [s.capacity for s in sheet.signatures] == ["unit_head", "gate"]
            # Back to the gate for the next round, through the machine: an office returns it.
            fire(sheets, sid, "bgs", "return", comment="请重新审核", items=["info_mgmt"])
    print(f"\nrace: {ROUNDS} rounds × {THREADS} threads (pool {min(POOL, THREADS)}): {dict(tally)}; "
          f"{len(lost_at_commit)} lost at the commit, the rest at the version check")
    assert tally[200] == ROUNDS and tally["stale_version"] == ROUNDS * (THREADS - 1)
