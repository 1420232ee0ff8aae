"""One number that moves on with every committed change to the records (issue 11, lean reads).

A page a process keeps (`web.pagecache`) is good for as long as nothing it was drawn from has
changed. Rather than list, page by page, which tables feed it — a sheet page reads the sheet, its
rows, signatures, history, deductions, bonus, deadlines, the org chart and the scheme — every
transaction that writes to any table moves the row `cache_versions.data` on, in the same
transaction, just before it commits. A reader asks that one number first; a page kept under an
older number is never shown. Two app servers read the same row, so they agree.

The writes are seen on the connection, below the ORM (`before_cursor_execute`): a flush, a bulk
`update()`, a `text()` statement and a row written by a CLI command all count, with no list of
models to keep up to date. The bump is the last statement of the transaction, after every other
lock it took, so it cannot take part in a lock cycle on PostgreSQL; it holds its row lock only
while the commit runs.

Not counted, because no page a process keeps shows them and they are written on reads: a page
session's bookkeeping (`user_sessions.last_seen_at`, once a minute) and the security log (a
sign-in, a refusal). A page drawn from those must not be kept.
"""
import sqlalchemy as sa
from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Engine

NAME = "data"
#: Tables whose writes do not move the version (see above).
NOT_COUNTED = frozenset({"user_sessions", "security_events", "cache_versions"})
_WROTE = "kaohe_data_written"
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _table_of(statement: str) -> str | None:
    """The table a DML statement writes, or None when it is not one (a SELECT, DDL, PRAGMA)."""
    words = statement.lstrip().split(None, 4)
    if not words or words[0].upper() not in _DML:
        return None
    verb = words[0].upper()
    # INSERT [OR REPLACE] INTO t / UPDATE t / DELETE FROM t
    rest = [w for w in words[1:] if w.upper() not in ("OR", "REPLACE", "IGNORE", "INTO", "FROM")]
    if verb == "REPLACE" and rest and rest[0].upper() == "INTO":
        rest = rest[1:]
    return rest[0].strip('"`[]').split("(")[0].lower() if rest else ""


@event.listens_for(Engine, "before_cursor_execute")
def _seen(conn, _cursor, statement, _parameters, _context, _executemany):
    table = _table_of(statement)
    if table is not None and table not in NOT_COUNTED:
        conn.info[_WROTE] = True


@event.listens_for(Engine, "begin")
def _began(conn):
    conn.info.pop(_WROTE, None)  # a pooled connection may carry the flag of a reset transaction


@event.listens_for(Engine, "rollback")
def _rolled_back(conn):
    conn.info.pop(_WROTE, None)


@event.listens_for(Engine, "commit")
def _commit(conn):
    """Move the version on, on the same DBAPI connection, just before the real COMMIT."""
    if not conn.info.pop(_WROTE, False):
        return
    # The raw cursor: no event fires for it and no SQLAlchemy transaction state is touched while
    # the commit is under way. No parameters, so the DBAPI's paramstyle does not matter.
    cursor = conn.connection.cursor()
    try:
        # In a savepoint: a database older than the row's table (a migration under way) commits
        # as it would have, and PostgreSQL's transaction is not aborted by the failed statement.
        # On a connection in autocommit mode (no transaction block) the bump stands alone.
        try:
            cursor.execute("SAVEPOINT kaohe_data_version")
            savepoint = True
        except Exception:  # noqa: BLE001
            savepoint = False
        try:
            cursor.execute(f"UPDATE cache_versions SET version = version + 1 WHERE name = '{NAME}'")
            if cursor.rowcount == 0:  # a database made before the row existed
                cursor.execute(f"INSERT INTO cache_versions (name, version) VALUES ('{NAME}', 1) "
                               "ON CONFLICT (name) DO UPDATE SET version = cache_versions.version + 1")
        except Exception:  # noqa: BLE001 — no table yet: nothing holds pages of this database
            if savepoint:
                cursor.execute("ROLLBACK TO SAVEPOINT kaohe_data_version")
        if savepoint:
            cursor.execute("RELEASE SAVEPOINT kaohe_data_version")
    finally:
        cursor.close()


def current() -> int:
    """The data version as the database has it, asked once per request (a Core statement on the
    request's connection: this is most of what a kept page costs)."""
    if "_data_version" not in g:
        from .extensions import db
        from .scheme.models import CacheVersion

        table = CacheVersion.__table__
        found = db.session.connection().execute(
            sa.select(table.c.version).where(table.c.name == NAME)).scalar()
        g._data_version = found or 0
    return g._data_version
