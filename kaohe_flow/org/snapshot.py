"""Each year's org chart as plain frozen values, held per process and shared across requests
(issue 11, lean reads), as the scheme is (`scheme.snapshot`).

The chart changes only through the admin (a year's names, aliases, gates, leaders), yet every
request that asked about a sheet's gate or leader read `YearUnit` rows — and a list read the
whole chart. Here a year's chart is read once per process and version, in one statement (its
units, gate units and leaders joined): any flush that adds, changes or deletes a `YearUnit` or a
`Unit`, or changes what the chart shows of a person (a leader's name, username, active flag) or
deletes a person, bumps the row `cache_versions.org` in the same transaction. A request asks that
number together with the scheme's (`scheme.snapshot.versions`, one statement). A row of its own
rather than the scheme's: a leader's account changes far more often than a scheme, and the
scheme's copy (items, offices, rules) should not be read again for it.

The values are plain and frozen: no ORM object outlives its session. Writers (the admin's year
pages, opening a year) load the rows themselves (`chart.chart_rows`).
"""
from dataclasses import dataclass
from threading import Lock

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, aliased

from ..extensions import db
from ..scheme.models import CacheVersion
from ..scheme.snapshot import VERSIONS_KEY, UnitRef, flush_pending, versions
from .models import Unit, User, YearUnit

NAME = "org"
CHANGED = "kaohe_org_changed"
#: What a request keeps in `g` of the charts: the held views, the years, and the rows
#: `chart.chart_rows` read (a row added since would be missing from them).
_REQUEST_KEYS = ("_org_views", "_org_years", "_org_charts")
_lock = Lock()


@dataclass(frozen=True)
class PersonRef:
    """A supervising leader as the chart shows one; `chart.leader_user` loads the `User`."""

    id: int
    username: str
    name: str
    active: bool


@dataclass(frozen=True)
class Place:
    """A unit's place in one year's chart: what a `YearUnit` answers, without a session."""

    year: int
    unit_id: int
    name: str
    aliases: tuple
    position: int
    gate_unit_id: int | None
    leader_id: int | None
    unit: UnitRef
    gate_unit: UnitRef | None
    leader: PersonRef | None

    @property
    def code(self) -> str:
        return self.unit.code


def current_version() -> int:
    """The chart's version as the database has it (asked with the scheme's, once per request)."""
    return versions().get(NAME, 0)


def _store() -> dict:
    return current_app.extensions.setdefault("kaohe_org_snapshots", {})


def read_chart(session, year: int) -> dict[int, Place]:
    """unit id → place, in the chart's order: the whole year in one statement of columns (no ORM
    rows, so nothing this request loaded before can lend the copy older values)."""
    gate, leader = aliased(Unit), aliased(User)
    query = (sa.select(YearUnit.unit_id, YearUnit.name, YearUnit.aliases, YearUnit.position,
                       YearUnit.gate_unit_id, YearUnit.leader_id,
                       Unit.code, Unit.name, Unit.position, Unit.aliases,
                       gate.code, gate.name, gate.position,
                       leader.username, leader.name, leader.active)
             .join(Unit, Unit.id == YearUnit.unit_id)
             .outerjoin(gate, gate.id == YearUnit.gate_unit_id)
             .outerjoin(leader, leader.id == YearUnit.leader_id)
             .where(YearUnit.year == year)
             .order_by(YearUnit.position, YearUnit.unit_id))
    places = {}
    for (unit_id, name, aliases, position, gate_id, leader_id, code, unit_name, unit_position, unit_aliases,
         gate_code, gate_name, gate_position, username, leader_name, active) in session.execute(query):
        places[unit_id] = Place(
            year=year, unit_id=unit_id, name=name, aliases=tuple(aliases or ()), position=position,
            gate_unit_id=gate_id, leader_id=leader_id,
            unit=UnitRef(unit_id, code, unit_name, unit_position, tuple(unit_aliases or ())),
            gate_unit=UnitRef(gate_id, gate_code, gate_name, gate_position) if gate_code is not None else None,
            leader=PersonRef(leader_id, username, leader_name, bool(active)) if username is not None else None)
    return places


def _read_years(session) -> tuple[int, ...]:
    return tuple(session.scalars(sa.select(YearUnit.year).distinct().order_by(YearUnit.year)))


def _held(key, read):
    """What this process holds under `key` at the database's version, read once per version.
    A transaction that changed the chart reads its own rows and keeps them to the request (it
    may still roll back)."""
    session = db.session()
    version = current_version()  # first the version, then the rows: never older than it says
    flush_pending(session)  # a change not yet flushed marks this transaction, as a query would
    if session.info.get(CHANGED):
        return read(session)
    store = _store()
    held = store.get(key)
    if held is not None and held[0] == version:
        return held[1]
    value = read(session)
    if session.info.get(CHANGED):  # the read's own autoflush changed the chart: never shared
        return value
    with _lock:
        store[key] = (version, value)
    return value


def chart_view(year: int) -> dict[int, Place]:
    """The year's chart, from this process's snapshot when its version is the database's."""
    cache = g.setdefault("_org_views", {})
    if year not in cache:
        cache[year] = _held(("chart", year), lambda session: read_chart(session, year))
    return cache[year]


def years_view() -> tuple[int, ...]:
    """Every year that has a chart, oldest first (a new year's chart bumps the version too)."""
    if "_org_years" not in g:
        g._org_years = _held("years", _read_years)
    return g._org_years


def forget_request() -> None:
    """Drop what this request read of the charts (after a change to one)."""
    for key in _REQUEST_KEYS:
        g.pop(key, None)


def forget_all() -> None:
    """Drop this process's charts (tests restore a database under the same versions)."""
    try:
        _store().clear()
    except RuntimeError:  # outside an app
        pass
    try:
        forget_request()
    except RuntimeError:
        pass


# ------------------------------------------------------------------ the version every change bumps

#: What the chart shows of a person: a change to anything else (a password, roles) moves nothing.
PERSON_SHOWN = ("username", "name", "active")


def _watched(obj, deleted: bool) -> bool:
    if isinstance(obj, YearUnit | Unit):
        return True
    if isinstance(obj, User):
        if deleted:
            return True  # a leader's place empties (ON DELETE SET NULL): no YearUnit is flushed
        state = sa.inspect(obj)
        return not state.pending and any(state.attrs[key].history.has_changes() for key in PERSON_SHOWN)
    return False


def bump(session: Session) -> None:
    """Move the chart's version on, in the session's transaction (also for bulk writes that no
    flush sees: `benchdata`)."""
    conn = session.connection()
    table = CacheVersion.__table__
    done = conn.execute(table.update().where(table.c.name == NAME).values(version=table.c.version + 1))
    if done.rowcount == 0:
        conn.execute(table.insert().values(name=NAME, version=1))
    session.info[CHANGED] = True
    if has_app_context():
        forget_request()  # what this request read before the change
        g.pop(VERSIONS_KEY, None)  # after the commit, ask the new number


@event.listens_for(Session, "before_flush")
def _bump_on_change(session, _context, _instances):
    if session.info.get(CHANGED):
        return  # bumped once in this transaction already
    if any(_watched(obj, False) for obj in (*session.new, *session.dirty)) or \
            any(_watched(obj, True) for obj in session.deleted):
        bump(session)


@event.listens_for(Session, "after_commit")
def _committed(session):
    session.info.pop(CHANGED, None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    if session.info.pop(CHANGED, None) and has_app_context():
        forget_request()  # what this request read of the change
        g.pop(VERSIONS_KEY, None)
