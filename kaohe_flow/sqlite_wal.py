"""The embedded SQLite database in write-ahead-log mode (issue 11).

In SQLite's default rollback journal a commit syncs the journal and the database file several
times, and a writer blocks every reader of the file until it has committed. With the log a commit
appends to one file and syncs it once (`synchronous` stays FULL: a committed step survives a power
cut), and readers go on reading while one process writes — what several gunicorn workers on one
file need at the end of December. Measured in bench/RESULTS.md: the floor of a durable write
through the app went from 10–11 % to 19–23 % of the plaintext route, the workflow POST from 2.3 %
to 2.9–3.3 %.

The mode belongs to the file and persists; asking for it on every new connection is a no-op once
set. A file that cannot change its mode now (another process holds a lock, a read-only
directory) is left as it is: the log is a speed, not a condition. PostgreSQL is untouched.
"""
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _write_ahead_log(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # in-memory databases answer "memory" and stay so
    except sqlite3.OperationalError:
        pass
    finally:
        cursor.close()
