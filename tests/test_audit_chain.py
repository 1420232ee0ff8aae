"""Tamper-evident history: every step is hash-chained to the one before it; `verify-audit` names
the first step changed, deleted, reordered or inserted behind the app's back, and PostgreSQL
refuses UPDATE and DELETE on history outright."""
import os
import random
import threading
from collections import Counter
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from conftest import make_app
from kaohe_flow.audit.chain import GENESIS, entry_hash, verify_chains
from kaohe_flow.audit.models import ChainHead, HistoryEntry
from kaohe_flow.audit.service import record_step
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User

POSTGRES = os.environ.get("KAOHE_TEST_DB") == "postgresql"
only_postgres = pytest.mark.skipif(not POSTGRES, reason="the trigger and row locks are PostgreSQL's")
HISTORY = HistoryEntry.__table__


def write_steps(count: int, seed: int = 8) -> None:
    """`count` varied steps through record_step, committed in batches (inside an app context)."""
    rng = random.Random(seed)
    users = list(db.session.scalars(db.select(User).order_by(User.id).limit(5))) + [None]
    for n in range(count):
        record = SimpleNamespace(id=rng.randint(1, 40))
        if rng.random() < 0.7:
            record.state = rng.choice(["draft", "gate_review", "final"])
        record_step(
            rng.choice(["sheet", "bonus", "deduction"]), record, rng.choice(users),
            rng.choice(["unit_member", "gate", "responsible_office", "system"]),
            rng.choice(["edit", "submit", "approve", "return"]),
            comment=rng.choice(["", "同意", f"第 {n} 条：请补充材料"]),
            field=rng.choice([None, "team.self_score", "withdrawn"]),
            old=rng.choice([None, "", "1.5"]), new=rng.choice([None, "", "2", "是"]),
            items=rng.choice([None, [], [{"code": "team", "reason": "扣分依据不足"}, {"code": "c2"}]]),
        )
        if rng.random() < 0.2:
            db.session.commit()
    db.session.commit()


@pytest.fixture
def chain(app):
    """A history of a few hundred steps; answers their ids, oldest first."""
    with app.app_context():
        write_steps(240)
        return list(db.session.scalars(db.select(HistoryEntry.id).order_by(HistoryEntry.id)))


@contextmanager
def behind_the_apps_back(app):
    """A raw connection whose changes are rolled back afterwards; the trigger is off on PostgreSQL."""
    with app.app_context():
        with db.engine.connect() as conn:
            trans = conn.begin()
            if POSTGRES:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            try:
                yield conn
            finally:
                trans.rollback()


def row_of(conn, entry_id) -> dict:
    return dict(conn.execute(HISTORY.select().where(HISTORY.c.id == entry_id)).mappings().one())


def other_value(column: str, value, rng, user_ids, top_id):
    """A value for the column that differs from `value` in what the step says."""
    if column == "id":
        return top_id + rng.randint(1, 50)
    if column == "record_id":
        return value + rng.choice([1, 100_000])
    if column == "chain_seq":
        return value + 100_000  # a neighbour's number would trip the unique constraint first
    if column == "at":
        return value + timedelta(microseconds=rng.choice([1, -1, 1_000_000]))
    if column == "user_id":
        return None if value is not None and rng.random() < 0.5 else rng.choice([u for u in user_ids if u != value])
    if column == "items":
        return [] if value is None else (None if not value else value + [{"code": "x"}])
    if column in ("chain_prev", "chain_hash"):
        i = rng.randrange(64)
        return value[:i] + ("0" if value[i] != "0" else "1") + value[i + 1:]
    if column in ("from_state", "to_state", "field", "old", "new", "on_behalf_of"):
        return "" if value is None else rng.choice([None, value + "1"])
    return value + rng.choice(["x", " ", "。"])  # record_kind, username, capacity, action, comment


# ------------------------------------------------------------------ written through the app


def test_steps_written_through_the_app_are_chained_and_verify(app, api, sheet_id):
    r = api.as_("bgs").put(f"/api/v1/sheets/{sheet_id('bgs')}/items/team", json={"version": 1, "self_score": "2"})
    assert r.status_code == 200, r.get_json()
    with app.app_context():
        write_steps(30)
        steps = list(db.session.scalars(db.select(HistoryEntry).order_by(HistoryEntry.id)))
        assert [s.chain_seq for s in steps] == list(range(1, len(steps) + 1))
        assert steps[0].chain_prev == GENESIS
        assert all(b.chain_prev == a.chain_hash for a, b in zip(steps, steps[1:]))
        head = db.session.get(ChainHead, "history")
        assert (head.entries, head.last_id, head.last_hash) == (len(steps), steps[-1].id, steps[-1].chain_hash)
        result = verify_chains()
    assert result.ok, result.lines()
    assert result.chains[0].entries == len(steps)


def test_the_history_api_does_not_show_the_chain(app, api, sheet_id):
    sid = sheet_id("bgs")
    api.as_("bgs").put(f"/api/v1/sheets/{sid}/items/team", json={"version": 1, "self_score": "2"})
    item = api.as_("bgs").get(f"/api/v1/sheets/{sid}/history").get_json()["items"][0]
    assert not any(key.startswith("chain") for key in item)


def test_a_rolled_back_step_leaves_the_chain_whole(app):
    with app.app_context():
        write_steps(5)
        record_step("sheet", SimpleNamespace(id=1, state="draft"), None, "system", "edit", comment="撤销")
        db.session.flush()
        db.session.rollback()
        write_steps(5, seed=9)
        assert verify_chains().ok


# ------------------------------------------------------------------ tampering is found


def test_every_one_of_1000_random_single_changes_is_detected(app, chain):
    rng = random.Random(2026)
    columns = [c.name for c in HISTORY.columns]
    missed, kinds = [], Counter()
    with behind_the_apps_back(app) as conn:
        rows = {r["id"]: r for r in conn.execute(HISTORY.select()).mappings()}
        user_ids = list(conn.scalars(sa.select(User.id).limit(5)))
        for _ in range(1000):
            entry_id, column = rng.choice(chain), rng.choice(columns)
            before = rows[entry_id][column]
            value = other_value(column, before, rng, user_ids, chain[-1])
            conn.execute(HISTORY.update().where(HISTORY.c.id == entry_id).values({column: value}))
            named = verify_chains(conn).first_problem
            kinds[column, named and named.kind] += 1
            if named is None or named.table != "history" or named.entry_id not in (
                    {entry_id, value} if column == "id" else {entry_id}):
                missed.append((entry_id, column, before, value, named))
            now_at = value if column == "id" else entry_id
            conn.execute(HISTORY.update().where(HISTORY.c.id == now_at).values({column: before}))
        assert verify_chains(conn).ok  # every change was put back exactly
    assert not missed, missed[:5]
    assert {column for column, _ in kinds} == set(columns), "every column was changed at least once"


def test_a_deleted_entry_in_the_middle_is_named_by_the_entry_after_it(app, chain):
    with behind_the_apps_back(app) as conn:
        conn.execute(HISTORY.delete().where(HISTORY.c.id == chain[100]))
        problem = verify_chains(conn).first_problem
    assert (problem.kind, problem.entry_id) == ("deleted", chain[101])
    assert f"id {chain[99]}" in problem.message() and "#101" in problem.message()


def test_deleted_last_entries_are_named_by_the_head(app, chain):
    with behind_the_apps_back(app) as conn:
        conn.execute(HISTORY.delete().where(HISTORY.c.id == chain[-1]))
        problem = verify_chains(conn).first_problem
        assert (problem.kind, problem.entry_id) == ("deleted", chain[-1])
        conn.execute(HISTORY.delete().where(HISTORY.c.id >= chain[-5]))
        problem = verify_chains(conn).first_problem
    assert (problem.kind, problem.entry_id) == ("deleted", chain[-1])
    assert "最后 5 条" in problem.message()


def test_swapped_ids_are_detected_at_the_first_of_the_two(app, chain):
    a, b = chain[50], chain[120]
    with behind_the_apps_back(app) as conn:
        for old, new in ((a, -1), (b, a), (-1, b)):
            conn.execute(HISTORY.update().where(HISTORY.c.id == old).values(id=new))
        problem = verify_chains(conn).first_problem
    assert (problem.table, problem.entry_id) == ("history", a)


def test_a_copied_entry_inserted_is_detected(app, chain):
    with behind_the_apps_back(app) as conn:
        copy = row_of(conn, chain[30]) | {"id": chain[-1] + 7}
        conn.execute(HISTORY.insert().values(copy | {"chain_seq": 999_999}))
        problem = verify_chains(conn).first_problem
    assert problem.entry_id == chain[-1] + 7


def test_a_forged_entry_appended_with_a_correct_hash_is_beyond_the_head(app, chain):
    with behind_the_apps_back(app) as conn:
        last = row_of(conn, chain[-1])
        forged = last | {"id": last["id"] + 1, "chain_seq": last["chain_seq"] + 1,
                         "chain_prev": last["chain_hash"], "comment": "伪造的同意"}
        forged["chain_hash"] = entry_hash(HISTORY, forged)
        conn.execute(HISTORY.insert().values(forged))
        problem = verify_chains(conn).first_problem
    assert (problem.kind, problem.entry_id) == ("inserted", last["id"] + 1)


def test_the_last_entry_replaced_by_a_forgery_is_named_by_the_head(app, chain):
    with behind_the_apps_back(app) as conn:
        forged = row_of(conn, chain[-1]) | {"comment": "伪造的最后一步"}
        forged["chain_hash"] = entry_hash(HISTORY, forged)
        conn.execute(HISTORY.delete().where(HISTORY.c.id == chain[-1]))
        conn.execute(HISTORY.insert().values(forged))
        problem = verify_chains(conn).first_problem
        assert (problem.kind, problem.entry_id) == ("changed", chain[-1])
        conn.execute(ChainHead.__table__.delete())
        problem = verify_chains(conn).first_problem
    assert problem.kind == "deleted" and "head" in problem.message()


def test_an_entry_rewritten_with_a_recomputed_hash_is_named(app, chain):
    with behind_the_apps_back(app) as conn:
        row = row_of(conn, chain[77])
        row["comment"] = "改写过的意见"
        conn.execute(HISTORY.update().where(HISTORY.c.id == chain[77])
                     .values(comment=row["comment"], chain_hash=entry_hash(HISTORY, row)))
        problem = verify_chains(conn).first_problem
    assert (problem.kind, problem.entry_id) == ("changed", chain[77])


@pytest.mark.skipif(POSTGRES, reason="PostgreSQL refuses such values itself")
@pytest.mark.parametrize("column, raw", [("items", "{not json"), ("at", "yesterday"), ("record_id", "abc")])
def test_a_value_its_column_cannot_hold_is_named_not_a_crash(app, chain, column, raw):
    with behind_the_apps_back(app) as conn:
        conn.exec_driver_sql(f"UPDATE history SET {column} = ? WHERE id = ?", (raw, chain[60]))
        problem = verify_chains(conn).first_problem
    assert (problem.kind, problem.entry_id) == ("changed", chain[60])


def test_verify_audit_command_exits_0_when_intact_and_1_naming_a_changed_entry(app, chain):
    runner = app.test_cli_runner()
    intact = runner.invoke(args=["verify-audit"])
    assert intact.exit_code == 0, intact.output
    assert "审计链完好" in intact.output and "audit chains intact" in intact.output
    assert f"{len(chain)} entries intact" in intact.output
    with app.app_context():
        with db.engine.begin() as conn:
            if POSTGRES:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(HISTORY.update().where(HISTORY.c.id == chain[12]).values(comment="事后改写"))
    broken = runner.invoke(args=["verify-audit"])
    assert broken.exit_code == 1
    assert "audit chain broken" in broken.output and f"history id {chain[12]}" in broken.output


# ------------------------------------------------------------------ PostgreSQL refuses rewrites


@only_postgres
@pytest.mark.parametrize("statement", ["UPDATE history SET comment = 'x'", "DELETE FROM history"])
def test_postgresql_refuses_update_and_delete_on_history(app, chain, statement):
    with app.app_context():
        with db.engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError) as refused:
                conn.exec_driver_sql(statement)
    assert "append-only" in str(refused.value) and "只能追加" in str(refused.value)


@only_postgres
def test_postgresql_refuses_a_bulk_orm_update_and_deleting_a_head(app, chain):
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.update(HistoryEntry).values(comment="x"))
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.delete(ChainHead))
        db.session.rollback()
        assert verify_chains().ok


@only_postgres
def test_postgresql_still_allows_truncate_for_restores(app, chain):
    with app.app_context():
        with db.engine.connect() as conn:
            trans = conn.begin()
            conn.exec_driver_sql("TRUNCATE history")
            assert conn.scalar(sa.select(sa.func.count()).select_from(HISTORY)) == 0
            trans.rollback()


# ------------------------------------------------------------------ concurrency


def test_concurrent_appenders_do_not_fork_the_chain(app):
    """Threads append at once: a row lock on PostgreSQL, the write lock on SQLite, one chain."""
    threads, steps = 8, 15
    start = threading.Barrier(threads)
    errors = []

    def append(n):
        try:
            with app.app_context():
                start.wait()
                for i in range(steps):
                    record_step("sheet", SimpleNamespace(id=n, state="draft"), None, "system", "edit",
                                comment=f"线程 {n} 第 {i} 步")
                    if i % 3 == 2:
                        db.session.commit()
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(HISTORY))
    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    with app.app_context():
        rows = db.session.execute(sa.select(HISTORY.c.id, HISTORY.c.chain_seq).order_by(HISTORY.c.id)).all()
        result = verify_chains()
    assert len(rows) == before + threads * steps
    assert [seq for _, seq in rows] == list(range(1, len(rows) + 1))
    assert result.ok, result.lines()


# ------------------------------------------------------------------ the migration


@pytest.fixture
def empty_database_url(tmp_path):
    if not POSTGRES:
        yield "sqlite:///" + str(tmp_path / "migrated.db")
        return
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"kaohe_chain_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_migration_chains_the_history_a_database_already_holds(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0005")
        old = sa.table("history", *(sa.column(c.name, c.type) for c in HISTORY.columns
                                    if not c.name.startswith("chain") and c.name != "id"))
        rng = random.Random(5)
        now = datetime.now(timezone.utc)
        with db.engine.begin() as conn:
            conn.execute(old.insert(), [
                {"record_kind": "sheet", "record_id": n, "at": now - timedelta(minutes=n, microseconds=n),
                 "user_id": None, "username": "bgs", "capacity": "unit_member", "action": "edit",
                 "from_state": rng.choice([None, "draft"]), "to_state": "draft",
                 "comment": rng.choice(["", "说明"]), "field": None, "old": rng.choice([None, ""]),
                 "new": "1", "items": rng.choice([None, [{"code": "team", "说明": "无"}]])}
                for n in range(1, 41)
            ])
        upgrade()
        result = verify_chains()
        assert result.ok, result.lines()
        assert result.chains[0].entries == 40
        record_step("sheet", SimpleNamespace(id=1, state="draft"), None, "system", "edit", comment="升级之后")
        db.session.commit()
        result = verify_chains()
        assert result.ok and result.chains[0].entries == 41
        db.session.remove()
        db.engine.dispose()
