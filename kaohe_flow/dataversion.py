"""One number that moves on with every committed change to the records (issue 11, lean reads).

A page a process keeps (`kaohe_flow.pagecache`) is good for as long as nothing it was drawn from has
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

Not counted, because no page a process keeps shows them and they come with reading: a page
session's bookkeeping (`user_sessions.last_seen_at`, once a minute), the API's tokens (the OA
system signs in for one as a person signs in for a page), the security log (a sign-in, a refusal)
and a background job's own row (its progress as it moves: only the job's page shows it, and that
page is never kept; what a job writes to the records counts). A page drawn from those must not be
kept.
"""
import re

from sqlalchemy import event
from sqlalchemy.engine import Engine

NAME = "data"
#: Tables whose writes do not move the version (see above).
NOT_COUNTED = frozenset({"user_sessions", "api_tokens", "security_events", "jobs", "cache_versions"})
_WROTE = "kaohe_data_written"
#: Statements that never write. Anything else counts as a write (DDL, MERGE, TRUNCATE, a
#: `WITH … UPDATE`): a spurious bump costs a page drawn again, a missed one a stale page.
_READS = frozenset({"SELECT", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SHOW",
                    "SET", "EXPLAIN", "VALUES", "RESET", "LISTEN"})
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/)+", re.DOTALL)


def _table_of(statement: str) -> str | None:
    """The table a statement writes ("" when it writes but names none plainly), or None for a read."""
    text = _COMMENTS.sub("", statement, count=1)
    words = text.split(None, 4)
    if not words:
        return None
    verb = words[0].upper()
    if verb == "WITH":
        return "" if _WRITE_WORD.search(text) else None
    if verb in _READS:
        return None
    if verb not in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
        return ""  # DDL, MERGE, TRUNCATE, …
    # INSERT [OR REPLACE] INTO t / UPDATE t / DELETE FROM t
    rest = [w for w in words[1:] if w.upper() not in ("OR", "REPLACE", "IGNORE", "INTO", "FROM")]
    return rest[0].strip('"`[]').split("(")[0].strip('"`[]').lower() if rest else ""


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
        except Exception as exc:
            if not _no_table(exc):
                raise  # a timeout, a serialization failure: the commit must not pass unseen
            if savepoint:  # no table yet: nothing holds pages of this database
                cursor.execute("ROLLBACK TO SAVEPOINT kaohe_data_version")
        if savepoint:
            cursor.execute("RELEASE SAVEPOINT kaohe_data_version")
    finally:
        cursor.close()


def _no_table(exc: Exception) -> bool:
    """The DBAPI's "no such table" (SQLite) or undefined_table (PostgreSQL, SQLSTATE 42P01)."""
    return getattr(exc, "sqlstate", None) == "42P01" or "no such table" in str(exc)


def mark_written(connection) -> None:
    """Count the connection's transaction as a write (its commit moves the data version on),
    though nothing it ran was one: `flask refresh-caches`, after a write made outside the app."""
    connection.info[_WROTE] = True


def current() -> int:
    """The data version as the database has it: read once per request, in the same statement as
    the scheme's and the org chart's (`scheme.snapshot.versions`)."""
    from .scheme import snapshot

    return snapshot.versions().get(NAME, 0)
