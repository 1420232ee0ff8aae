"""The year's scheme as plain frozen values, held per process and shared across requests
(issue 11, lean reads).

A scheme changes only through the admin (附件2 as data: items, offices, rules; units' names), yet
every page read it whole from the database — the scheme with every item, office and rule, on every
request. Here it is read once per process and version: any flush that adds, changes or deletes a
scheme, item, office, rule or unit bumps the row `cache_versions.scheme` in the same transaction,
and each request asks that one number before it reads a scheme (two processes, or two machines,
see the same version). The values are plain and frozen: no ORM object ever outlives its session,
so nothing here can be attached to two sessions or changed in place by mistake. Writers that hang
ORM relationships on an item or a rule load the rows themselves (`queries.scheme_rows`).
"""
from dataclasses import dataclass, field
from decimal import Decimal
from threading import Lock

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from .models import scheme_graph, CacheVersion, ItemOffice, Rule, Scheme, SchemeItem

NAME = "scheme"
_lock = Lock()


@dataclass(frozen=True)
class UnitRef:
    """A unit as a held scheme or org chart names it (what `Unit` answers, without a session):
    an office of an item, the target office, a unit's place in a year's chart (with its aliases)."""

    id: int
    code: str
    name: str
    position: int = 0
    aliases: tuple = ()


@dataclass(frozen=True)
class OfficeRef:
    unit_id: int
    role: str  # responsible | cooperating
    position: int
    unit: UnitRef


@dataclass(frozen=True, eq=False)
class RuleView:
    id: int
    item_id: int
    code: str
    text: str
    kind: str
    points: Decimal
    position: int
    flat: bool
    item: "ItemView" = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class ItemView:
    id: int
    scheme_id: int
    code: str
    name: str
    sheet_label: str
    category: str
    standard: Decimal
    content: str
    method: str
    position: int
    cooperating_all: bool
    offices: tuple = ()
    rules: tuple = ()

    @property
    def responsible(self) -> list:
        return [o.unit for o in self.offices if o.role == "responsible"]

    @property
    def cooperating(self) -> list:
        return [o.unit for o in self.offices if o.role == "cooperating"]


@dataclass(frozen=True, eq=False)
class SchemeView:
    """What `models.Scheme` answers, without a session."""

    id: int
    year: int
    total: Decimal
    categories: tuple
    target_office_id: int | None
    target_office: UnitRef | None
    items: tuple
    _by_code: dict = field(default_factory=dict, repr=False, compare=False)
    _responsible: frozenset = frozenset()

    def item(self, code: str) -> ItemView | None:
        return self._by_code.get(code)

    def responsible_unit_ids(self) -> set[int]:
        """Every office that signs rows on this year's sheets (会签)."""
        return set(self._responsible)

    def category_name(self, code: str) -> str:
        return next((c["name"] for c in self.categories if c["code"] == code), code)

    def category_label(self, code: str) -> str:
        """The category as the score sheet (附件3) words it, e.g. 目标任务."""
        return next((c.get("sheet_label") or c["name"] for c in self.categories if c["code"] == code), code)


def _unit(unit) -> UnitRef | None:
    return None if unit is None else UnitRef(unit.id, unit.code, unit.name, unit.position)


def freeze(scheme: Scheme) -> SchemeView:
    """The plain values of a loaded scheme."""
    items = []
    for item in scheme.items:
        offices = tuple(OfficeRef(o.unit_id, o.role, o.position, _unit(o.unit)) for o in item.offices)
        rules = tuple(RuleView(r.id, r.item_id, r.code, r.text, r.kind, r.points, r.position, r.flat)
                      for r in item.rules)
        view = ItemView(item.id, item.scheme_id, item.code, item.name, item.sheet_label, item.category,
                        item.standard, item.content or "", item.method or "", item.position,
                        bool(item.cooperating_all), offices, rules)
        for rule in rules:
            object.__setattr__(rule, "item", view)  # a rule names its item, as the model's does
        items.append(view)
    items = tuple(items)
    return SchemeView(
        id=scheme.id, year=scheme.year, total=scheme.total,
        categories=tuple(dict(c) for c in (scheme.categories or [])),
        target_office_id=scheme.target_office_id, target_office=_unit(scheme.target_office), items=items,
        _by_code={i.code: i for i in items},
        _responsible=frozenset(o.unit_id for i in items for o in i.offices if o.role == "responsible"),
    )


def flush_pending(session) -> None:
    """Flush what the session holds unflushed, as an ORM query would (not inside `no_autoflush`):
    a change to the scheme or the chart then bumps its version and marks the transaction."""
    if session.autoflush and (session.new or session.deleted or session.dirty):
        session.flush()


#: Where a request keeps the versions it read (`versions`).
VERSIONS_KEY = "_cache_versions"


def versions() -> dict[str, int]:
    """Every held kind's version as the database has it (the scheme's, the org chart's), asked
    in one statement once per request."""
    if VERSIONS_KEY not in g:
        session = db.session()
        # Pending changes first, as an ORM query would autoflush them: a change to the scheme or
        # the chart bumps its version in the flush, and drops what this request held.
        flush_pending(session)
        # A Core statement on the session's connection (its transaction): every request asks it,
        # and the ORM's machinery for it cost as much as the session's own lookup.
        found = dict(session.connection().execute(_VERSIONS).all())
        setattr(g, VERSIONS_KEY, found)
    return getattr(g, VERSIONS_KEY)


_VERSIONS = sa.select(CacheVersion.__table__.c.name, CacheVersion.__table__.c.version)


def current_version() -> int:
    """The scheme's version as the database has it, asked once per request."""
    return versions().get(NAME, 0)


def _store() -> dict:
    return current_app.extensions.setdefault("kaohe_scheme_snapshots", {})


def _read(session, year: int) -> SchemeView | None:
    # populate_existing: an item, rule or unit this request loaded before (the user's unit, a
    # record's rule) must not lend its older values to the copy kept for every later request.
    found = session.scalar(sa.select(Scheme).filter_by(year=year).options(*scheme_graph())
                           .execution_options(populate_existing=True))
    return freeze(found) if found is not None else None


def scheme_view(year: int) -> SchemeView | None:
    """The year's scheme, from this process's snapshot when its version is the database's."""
    cache = g.setdefault("_scheme_views", {})
    if year in cache:
        return cache[year]
    session = db.session()
    version = current_version()  # first the version, then the rows: never older than it says
    flush_pending(session)  # a change not yet flushed marks this transaction, as a query would
    if session.info.get("kaohe_scheme_changed"):
        # This transaction changed the scheme (perhaps flushed by the question above): read what
        # it sees, but keep it to this request — it may still roll back.
        cache[year] = view = _read(session, year)
        return view
    store = _store()
    held = store.get(year)
    if held is not None and held[0] == version:
        view = held[1]
    else:
        view = _read(session, year)
        # Shared only if the read's own autoflush did not change the scheme (it may roll back).
        if view is not None and not session.info.get("kaohe_scheme_changed"):
            with _lock:
                store[year] = (version, view)
    cache[year] = view
    return view


def forget_all() -> None:
    """Drop this process's snapshots, the org chart's too (tests restore a database under the
    same versions)."""
    from ..org import snapshot as org_snapshot

    try:
        _store().clear()
    except RuntimeError:  # outside an app
        pass
    for key in ("_scheme_views", VERSIONS_KEY):
        try:
            g.pop(key, None)
        except RuntimeError:
            pass
    org_snapshot.forget_all()


# ------------------------------------------------------------------ the version every change bumps

_WATCHED = (Scheme, SchemeItem, ItemOffice, Rule)


def _watched(obj) -> bool:
    from ..org.models import Unit  # a unit's name is shown as an item's office

    return isinstance(obj, _WATCHED) or isinstance(obj, Unit)


def bump(session: Session) -> None:
    """Move the scheme's version on, in the session's transaction."""
    conn = session.connection()
    table = CacheVersion.__table__
    done = conn.execute(table.update().where(table.c.name == NAME).values(version=table.c.version + 1))
    if done.rowcount == 0:
        conn.execute(table.insert().values(name=NAME, version=1))
    session.info["kaohe_scheme_changed"] = True
    for key in ("_scheme_views", VERSIONS_KEY):  # what this request read before the change
        g.pop(key, None)


@event.listens_for(Session, "before_flush")
def _bump_on_change(session, _context, _instances):
    if session.info.get("kaohe_scheme_changed"):
        return  # bumped once in this transaction already
    if any(_watched(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        bump(session)


@event.listens_for(Session, "after_commit")
def _committed(session):
    session.info.pop("kaohe_scheme_changed", None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    if session.info.pop("kaohe_scheme_changed", None) and has_app_context():
        for key in ("_scheme_views", VERSIONS_KEY):  # what this request read of the change
            g.pop(key, None)
