"""A database's rows, taken once and written back before each test that needs them.

Restoring ~1,000 rows of a seeded database costs tens of milliseconds on SQLite and on
PostgreSQL, against about a second to drop, recreate and re-seed it; so a seeded database (and
any shared "world" built on it) is built once per run and restored per test. The same code serves
both databases: every table of the models' metadata is emptied and refilled in one transaction,
and PostgreSQL's sequences are set past the restored ids.
"""
from dataclasses import dataclass, field

import sqlalchemy as sa

from kaohe_flow.extensions import db

_SCHEMA_READY: set[str] = set()


def _tables():
    return db.metadata.sorted_tables


def _ensure_schema(engine) -> None:
    """A database this run has not used yet gets the models' tables (tests only)."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _SCHEMA_READY:
        db.metadata.create_all(engine)
        _SCHEMA_READY.add(key)


@dataclass
class Snapshot:
    rows: dict[str, list[dict]]
    extra: object = None
    _sequence_sql: str | None = field(default=None, repr=False)

    @classmethod
    def take(cls, engine, extra=None) -> "Snapshot":
        """Every row of every table, as plain values."""
        _SCHEMA_READY.add(engine.url.render_as_string(hide_password=False))
        with engine.connect() as conn:
            rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in _tables()}
        return cls(rows, extra)

    def restore(self, engine) -> None:
        """Write the snapshot back: nothing else remains, ids continue after the restored ones."""
        _ensure_schema(engine)
        postgres = engine.dialect.name == "postgresql"
        with engine.begin() as conn:
            if postgres:
                # Foreign keys and the append-only triggers are triggers: a restore is neither
                # a rewrite of history nor a half-loaded graph once the transaction commits.
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in reversed(_tables()):
                conn.execute(table.delete())
            for table in _tables():
                data = self.rows.get(table.name)
                if data:
                    conn.execute(table.insert(), data)
            if postgres:
                conn.exec_driver_sql(self._sequences())

    def _sequences(self) -> str:
        """One statement that moves every serial sequence past its table's largest id."""
        if self._sequence_sql is None:
            parts = []
            for table in _tables():
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
                    t, c = table.name, pk[0].name
                    parts.append(f"setval(pg_get_serial_sequence('\"{t}\"', '{c}'), "
                                 f"COALESCE((SELECT MAX(\"{c}\") FROM \"{t}\"), 0) + 1, false)")
            self._sequence_sql = "SELECT " + ", ".join(parts) if parts else "SELECT 1"
        return self._sequence_sql
