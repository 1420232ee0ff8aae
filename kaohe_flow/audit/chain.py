"""Tamper-evident tables: every row is chained to the one before it by a SHA-256 hash.

Each chained table (history now, the admin audit of issue 7 later) has its own chain and its own
one-row head in `audit_chain_heads`. A row stores its position (`chain_seq`, 1, 2, …), the hash
of the row before it (`chain_prev`, sixty-four zeros for the first) and its own hash
(`chain_hash`): SHA-256 over the canonical JSON of every column except `chain_hash` (the id,
the position and the previous hash included), so a changed column, a swapped id, a deleted or an
inserted row all break a hash or a link. The head holds the number of entries, the last id and
the last hash, which is how a deleted *last* row shows.

Appending: a `before_flush` listener takes the chain's head with an UPDATE (a row lock on
PostgreSQL, the write lock on SQLite) before it reads the previous hash, draws the new rows'
ids under that lock (so id order is chain order), computes their hashes and moves the head, all
in the flush's transaction: two transactions never fork a chain, and a rollback takes the head
back with the rows. Cost: three small statements per flush that adds chained rows, however many.

Separate chains rather than one over every table: appenders to different tables do not wait on
each other, and each table is verified by one scan in id order. Heads are locked in name order.

A table joins with `@chained` on its model (which adds the ORM guard and, on PostgreSQL, the
trigger refusing UPDATE and DELETE) and a migration that adds the three columns and calls
`rebuild_chain` for rows it already holds.

Verifying (`verify_chains`, behind `flask verify-audit`): read the head, walk the rows in id
order a page at a time, recompute each hash and check each link and position; then compare the
count and last hash with the head. It stops at the first problem and names it (table, id, what).
Cost is linear: about 15–20 µs of CPU an entry, so 100,000 entries take about 2 s.

Canonical content: column name → value, NULL columns left out (so a nullable column added
later keeps old hashes; "" is kept, so None and "" differ); datetimes as UTC ISO 8601 with
microseconds (SQLite hands back naive UTC, PostgreSQL aware values); JSON as parsed; keys sorted.
A migration that adds a column with a value for existing rows must call `rebuild_chain`.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import DDL, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..timeutil import as_utc

GENESIS = "0" * 64
HEADS_TABLE = "audit_chain_heads"


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of a chained (append-only) table."""


class ChainedMixin:
    """The three chain columns; set by the chain at flush, never by callers."""

    chain_seq: Mapped[int] = mapped_column(unique=True)
    chain_prev: Mapped[str] = mapped_column(sa.String(64))
    chain_hash: Mapped[str] = mapped_column(sa.String(64))


class ChainHead(db.Model):
    """One row per chained table: how many entries it holds, the last one's id and hash."""

    __tablename__ = HEADS_TABLE
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    entries: Mapped[int] = mapped_column()
    last_id: Mapped[int | None] = mapped_column()
    last_hash: Mapped[str] = mapped_column(sa.String(64))


# table name → mapped class; every chained table, in the order verify-audit reports them
CHAINED: dict[str, type] = {}


# ------------------------------------------------------------------ the database refuses rewrites

_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION kaohe_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME || ' refused: the table is append-only '
                  || '(审计记录只能追加，不能修改或删除)';
END
$$
"""


def refuse_rewrite_ddl(table_name: str, operations: str = "UPDATE OR DELETE") -> list[str]:
    """The PostgreSQL statements that make a table refuse the given row operations (not TRUNCATE)."""
    return [
        _REFUSE_FUNCTION,
        f"CREATE TRIGGER {table_name}_append_only BEFORE {operations} ON {table_name} "
        f"FOR EACH ROW EXECUTE FUNCTION kaohe_refuse_rewrite()",
    ]


def _install_refusal(table: sa.Table, operations: str = "UPDATE OR DELETE") -> None:
    # Tests build the schema with create_all, production with the migrations: both get the trigger.
    for statement in refuse_rewrite_ddl(table.name, operations):
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


_install_refusal(ChainHead.__table__, "DELETE")  # a head is moved, never removed


def _refuse_orm_rewrite(mapper, connection, target):
    raise AppendOnlyError(f"{mapper.local_table.name} is append-only")


def chained(cls):
    """Class decorator: make a model's table an append-only hash chain."""
    table = cls.__table__
    for column in table.columns:
        if column.server_default is not None or (
                column.default is not None and not (column.default.is_scalar or column.default.is_callable)):
            raise TypeError(f"{table.name}.{column.name}: a chained column's default must be known in Python")
    CHAINED[table.name] = cls
    event.listen(cls, "before_update", _refuse_orm_rewrite)
    event.listen(cls, "before_delete", _refuse_orm_rewrite)
    _install_refusal(table)
    return cls


# ------------------------------------------------------------------ canonical content and its hash


def _utc_iso(value) -> str:
    return as_utc(value).isoformat(timespec="microseconds")


# One encoder, made once: json.dumps with options builds a new encoder on every call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _json_value(value):
    # As parsed: the encoder writes tuples as lists and int keys as strings, as the column stores them.
    return value


def _decimal_text(value) -> str:
    return format(Decimal(value).normalize(), "f")


def _hex(value) -> str:
    return bytes(value).hex()


def _converter(column_type):
    """How a column's non-NULL values become canonical JSON values, chosen once per column."""
    if isinstance(column_type, sa.DateTime):
        return _utc_iso
    if isinstance(column_type, sa.Date):
        return date.isoformat
    if isinstance(column_type, sa.JSON):
        return _json_value
    if isinstance(column_type, sa.Boolean):
        return bool
    if isinstance(column_type, sa.Integer):
        return int
    if isinstance(column_type, sa.Numeric):
        return _decimal_text
    if isinstance(column_type, sa.LargeBinary):
        return _hex
    if isinstance(column_type, sa.String):
        return str
    raise TypeError(f"no canonical form for {column_type!r}; extend chain._converter")


def canonical_value(column_type, value):
    """A column's value as the same JSON value whether it came from Python or from either database."""
    return None if value is None else _converter(column_type)(value)


_codecs: dict = {}


def _codec(table) -> list:
    """(position, name, converter) of every hashed column of a table, computed once."""
    codec = _codecs.get(table)
    if codec is None:
        codec = _codecs[table] = [(i, c.name, _converter(c.type)) for i, c in enumerate(table.columns)
                                  if c.name != "chain_hash"]
    return codec


def _row_hash(table, row) -> str:
    """The hash of a row given as a tuple in the order of `table.columns` (the verifier's path)."""
    columns = {}
    for i, name, convert in _codec(table):
        value = row[i]
        if value is not None:
            columns[name] = convert(value)
    content = _ENCODER.encode({"columns": columns, "table": table.name})
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _hash_matches(table, row, stored) -> bool:
    try:
        return _row_hash(table, row) == stored
    except (ValueError, TypeError):  # e.g. text in an integer column of SQLite
        return False


def canonical_content(table, values) -> str:
    """The text that is hashed: the table's name and every non-NULL column but the hash, sorted."""
    columns = {}
    for _, name, convert in _codec(table):
        value = values[name]
        if value is not None:
            columns[name] = convert(value)
    return _ENCODER.encode({"columns": columns, "table": table.name})


def entry_hash(table, values) -> str:
    """SHA-256 (hex) of a row's canonical content; `values` maps column names to values."""
    return hashlib.sha256(canonical_content(table, values).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ appending


def _heads():
    return ChainHead.__table__


@dataclass
class _Head:
    entries: int
    last_id: int | None
    last_hash: str


def _last_row(connection, table) -> _Head:
    """Where a chain stands by its rows alone (a head created late continues from there)."""
    row = connection.execute(
        sa.select(table.c.chain_seq, table.c.id, table.c.chain_hash).order_by(table.c.id.desc()).limit(1)
    ).first()
    if row is None or row.chain_seq is None:
        return _Head(0, None, GENESIS)
    return _Head(row.chain_seq, row.id, row.chain_hash)


def _insert_ignoring_conflict(connection, table, **values):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    connection.execute(insert(table).values(**values).on_conflict_do_nothing())


def lock_head(connection, table) -> _Head:
    """Take the chain's head for this transaction and read it; creates it on first use."""
    heads = _heads()
    take = (sa.update(heads).where(heads.c.name == table.name).values(entries=heads.c.entries)
            .returning(heads.c.entries, heads.c.last_id, heads.c.last_hash))
    row = connection.execute(take).first()
    if row is None:
        start = _last_row(connection, table)
        _insert_ignoring_conflict(connection, heads, name=table.name, entries=start.entries,
                                  last_id=start.last_id, last_hash=start.last_hash)
        row = connection.execute(take).first()
    return _Head(row.entries, row.last_id, row.last_hash)


def _next_ids(connection, table, count: int, last_id: int | None) -> list[int]:
    """Ids drawn under the head's lock, so that id order is chain order."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
            {"table": table.name, "n": count},
        )
        return sorted(r[0] for r in rows)
    # SQLite holds the database's write lock now; never reuse the id of a deleted last row.
    top = max(connection.scalar(sa.select(sa.func.max(table.c.id))) or 0, last_id or 0)
    return list(range(top + 1, top + count + 1))


def _prepare_values(obj, table) -> dict:
    """The values the INSERT will write: Python defaults applied, scalars coerced to the column type."""
    mapper = sa.inspect(type(obj))
    values = {}
    for column in table.columns:
        key = mapper.get_property_by_column(column).key
        value = getattr(obj, key)
        if value is None and column.default is not None:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
        if isinstance(value, datetime):
            value = as_utc(value)  # SQLite would drop any other offset, PostgreSQL guess a naive one's
        elif value is not None and isinstance(column.type, (sa.String, sa.Integer)) \
                and not isinstance(column.type, (sa.Enum, sa.Boolean)):
            value = canonical_value(column.type, value)
        if value is not None:
            setattr(obj, key, value)
        values[column.name] = value
    return values


def _append(connection, table, objs) -> None:
    head = lock_head(connection, table)
    ids = _next_ids(connection, table, len(objs), head.last_id)
    seq, prev = head.entries, head.last_hash
    for obj, new_id in zip(objs, ids):
        if obj.id is not None:
            raise ValueError(f"{table.name}: a chained row takes its id from the chain")
        obj.id = new_id
        seq += 1
        obj.chain_seq, obj.chain_prev = seq, prev
        values = _prepare_values(obj, table)
        obj.chain_hash = prev = entry_hash(table, values)
    heads = _heads()
    connection.execute(sa.update(heads).where(heads.c.name == table.name)
                       .values(entries=seq, last_id=ids[-1], last_hash=prev))


@event.listens_for(Session, "before_flush")
def _chain_new_rows(session, flush_context, instances):
    """Chain the rows this flush inserts, in the order they were added to the session."""
    pending: dict[str, list] = {}
    for obj in session.new:
        table = getattr(type(obj), "__table__", None)
        if table is not None and table.name in CHAINED:
            pending.setdefault(table.name, []).append(obj)
    for name in sorted(pending):  # one fixed order of heads: no deadlock between two chains
        objs = sorted(pending[name], key=lambda o: sa.inspect(o).insert_order)
        cls = CHAINED[name]
        connection = session.connection(bind_arguments={"mapper": sa.inspect(cls)})
        _append(connection, cls.__table__, objs)


def rebuild_chain(connection, table) -> int:
    """Chain every row of a table afresh in id order and set its head; for migrations only.

    It vouches for the rows as they are: run it on rows that verify (or have never been chained).
    `table` lists the table's columns as they are at that migration. Returns the number of rows.
    """
    postgresql = connection.dialect.name == "postgresql"
    trigger = f"{table.name}_append_only"
    has_trigger = postgresql and connection.scalar(
        sa.text("SELECT count(*) FROM pg_trigger WHERE tgname = :name"), {"name": trigger})
    if has_trigger:
        connection.execute(sa.text(f"ALTER TABLE {table.name} DISABLE TRIGGER {trigger}"))
    rows = connection.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    prev, updates = GENESIS, []
    for seq, row in enumerate(rows, start=1):
        values = dict(row, chain_seq=seq, chain_prev=prev)
        prev = entry_hash(table, values)
        updates.append({"row_id": row["id"], "seq": seq, "prev": values["chain_prev"], "hash": prev})
    if updates:
        connection.execute(
            sa.update(table).where(table.c.id == sa.bindparam("row_id"))
            .values(chain_seq=sa.bindparam("seq"), chain_prev=sa.bindparam("prev"), chain_hash=sa.bindparam("hash")),
            updates,
        )
    if has_trigger:
        connection.execute(sa.text(f"ALTER TABLE {table.name} ENABLE TRIGGER {trigger}"))
    heads = sa.table(HEADS_TABLE, sa.column("name"), sa.column("entries"), sa.column("last_id"),
                     sa.column("last_hash"))
    head = {"entries": len(rows), "last_id": rows[-1]["id"] if rows else None, "last_hash": prev}
    done = connection.execute(sa.update(heads).where(heads.c.name == table.name).values(**head)).rowcount
    if not done:
        connection.execute(sa.insert(heads).values(name=table.name, **head))
    return len(rows)


# ------------------------------------------------------------------ verifying


@dataclass
class Problem:
    """The first place a chain is broken: which table, which entry (id), what happened."""

    table: str
    entry_id: int | None
    kind: str  # changed | deleted | reordered | inserted
    zh: str
    en: str

    def message(self) -> str:
        where = f"{self.table} id {self.entry_id}" if self.entry_id is not None else self.table
        return f"{where}: {self.zh} / {self.en}"


@dataclass
class ChainResult:
    table: str
    entries: int = 0
    last_hash: str = GENESIS
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class VerifyResult:
    """What `verify_chains` found: one result per chained table, and how long it took."""

    chains: list[ChainResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def first_problem(self) -> Problem | None:
        return next((c.problem for c in self.chains if c.problem), None)

    def lines(self) -> list[str]:
        """A Chinese and English summary, for the command line and the admin."""
        if self.ok:
            out = ["审计链完好 / audit chains intact"]
            out += [f"  {c.table}: {c.entries} 条记录完好 / {c.entries} entries intact; "
                    f"链头 / head {c.last_hash}" for c in self.chains]
        else:
            first = self.first_problem
            where = first.table + (f" id {first.entry_id}" if first.entry_id is not None else "")
            out = [f"审计链被篡改 / audit chain broken: {where}"]
            out += ["  " + (c.problem.message() if c.problem else
                            f"{c.table}: {c.entries} 条记录完好 / {c.entries} entries intact")
                    for c in self.chains]
        out.append(f"用时 / took {self.seconds:.2f} s")
        return out


def _read_head(connection, table) -> _Head | None:
    heads = _heads()
    row = connection.execute(sa.select(heads.c.entries, heads.c.last_id, heads.c.last_hash)
                             .where(heads.c.name == table.name)).first()
    return _Head(*row) if row else None


def _missing(table, first_seq: int, last_seq: int, after_id, before_id) -> Problem:
    span = f"第 {first_seq} 条" if first_seq == last_seq else f"第 {first_seq}–{last_seq} 条"
    span_en = f"entry #{first_seq}" if first_seq == last_seq else f"entries #{first_seq}–#{last_seq}"
    after = f"id {after_id} 之后" if after_id is not None else "开头"
    after_en = f"after id {after_id}" if after_id is not None else "at the start"
    return Problem(table.name, before_id, "deleted", f"{after}缺少{span}（被删除）",
                   f"{span_en} {after_en} missing (deleted)")


@dataclass
class _Unreadable:
    """A row a column type cannot read back (SQLite stores whatever raw SQL writes)."""

    id: int


def _page(connection, table, page: int, after) -> list:
    where = table.c.id > after if after is not None else sa.true()
    try:
        return connection.execute(sa.select(table).where(where).order_by(table.c.id).limit(page)).all()
    except (ValueError, TypeError):
        # Row by row, so that the unreadable row is named and the ones before it still checked.
        ids = connection.scalars(sa.select(table.c.id).where(where).order_by(table.c.id).limit(page)).all()
        rows = []
        for row_id in ids:
            try:
                rows.append(connection.execute(sa.select(table).where(table.c.id == row_id)).one())
            except (ValueError, TypeError):
                rows.append(_Unreadable(row_id))
        return rows


def _rows_in_id_order(connection, table, page: int = 5000):
    """Every row, a page at a time by id: memory stays flat however long the history, and each
    page is one plain query (rows appended meanwhile only add to the end)."""
    after = None
    while True:
        rows = _page(connection, table, page, after)
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id


def _problem_at(connection, table, row, expected: int, prev: str, prev_id) -> Problem | None:
    """What is wrong with a row found where the entry at position `expected` should be."""
    if isinstance(row, _Unreadable):
        return Problem(table.name, row.id, "changed", "记录含有无法读取的值（被修改）",
                       "the entry holds a value its column cannot hold (changed)")
    seq, row_prev, row_hash = row.chain_seq, row.chain_prev, row.chain_hash
    if seq is None or row_prev is None or row_hash is None:
        return Problem(table.name, row.id, "inserted", "记录没有链值（在应用之外插入）",
                       "the entry has no chain values (inserted behind the app's back)")
    if not _hash_matches(table, row, row_hash):
        return Problem(table.name, row.id, "changed", "记录内容与其哈希不符（被修改、调换编号或伪造）",
                       "the entry does not match its hash (changed, renumbered or forged)")
    if seq > expected:
        # A row whose id was changed still claims its position: name it rather than the gap.
        moved = connection.scalar(sa.select(table.c.id).where(table.c.chain_seq == expected))
        if moved is not None:
            return Problem(table.name, moved, "changed", "记录的编号被改动（位置不符）",
                           "the entry's id was changed (it is out of place)")
        return _missing(table, expected, seq - 1, prev_id, row.id)
    if seq < expected:
        return Problem(table.name, row.id, "reordered",
                       f"记录属于第 {seq} 条，却排在 id {prev_id} 之后（顺序被改动或重复插入）",
                       f"the entry belongs at #{seq} but follows id {prev_id} (reordered or copied)")
    if row_prev != prev:
        return Problem(table.name, prev_id, "changed", "记录被改写并重算了哈希，与下一条记录不再衔接",
                       "the entry was rewritten with a recomputed hash; the next one no longer links to it")
    return None


def _scan(connection, table, head: _Head | None) -> ChainResult:
    """Walk the rows in id order; stop at the first broken hash or link."""
    result = ChainResult(table.name)
    expected, prev, prev_id = 1, GENESIS, None
    for row in _rows_in_id_order(connection, table):
        result.problem = _problem_at(connection, table, row, expected, prev, prev_id)
        if result.problem:
            return result
        if head is not None and row.chain_seq == head.entries and (row.id, row.chain_hash) != (
                head.last_id, head.last_hash):
            result.problem = Problem(table.name, head.last_id, "changed",
                                     "应用最后写入的记录已被替换", "the last entry the app wrote was replaced")
            return result
        expected, prev, prev_id = row.chain_seq + 1, row.chain_hash, row.id
    result.entries, result.last_hash = expected - 1, prev
    return result


def verify_chain(connection, table) -> ChainResult:
    """Check one chained table against its hashes and its head."""
    head = _read_head(connection, table)
    result = _scan(connection, table, head)
    if result.problem:
        return result
    if head is not None and result.entries < head.entries:
        lost = head.entries - result.entries
        result.problem = Problem(table.name, head.last_id, "deleted",
                                 f"最后 {lost} 条记录被删除（最后一条为 id {head.last_id}）",
                                 f"the last {lost} entries were deleted (the last was id {head.last_id})")
        return result
    # Read again: rows appended while we scanned are counted by now; anything beyond is not the app's.
    later = _read_head(connection, table)
    if later is None:
        if result.entries:
            result.problem = Problem(table.name, None, "deleted", "链头记录缺失", "the chain's head is missing")
        return result
    if result.entries > later.entries:
        extra = connection.scalar(sa.select(table.c.id).where(table.c.chain_seq == later.entries + 1))
        result.problem = Problem(table.name, extra, "inserted", "链头之外多出的记录（在应用之外插入）",
                                 "an entry beyond the chain's head (inserted behind the app's back)")
    return result


def verify_chains(connection=None) -> VerifyResult:
    """Check every chained table; used by `flask verify-audit` and the admin."""
    started = time.perf_counter()
    result = VerifyResult()
    own = connection is None
    connection = db.engine.connect() if own else connection
    try:
        for name, cls in CHAINED.items():
            result.chains.append(verify_chain(connection, cls.__table__))
    finally:
        if own:
            connection.close()
    result.seconds = time.perf_counter() - started
    return result
