"""The progress board (CONTRACT.md `GET /api/v1/years/{year}/progress`): a year's sheets by state,
and who holds how many since when, the overdue first.

Whose step a sheet waits for: its own unit in `draft`, its gate unit (that year's chart) in
`gate_review`, each responsible office that has not yet signed in `responsible_sign` (会签: one
sheet waits for several offices at once), its supervising leader in `leader_sign`. A sheet
entered its state at its latest move into it (the history); a draft that never moved has no
such moment.

Read lean: a handful of aggregate statements whatever the number of units or sheets.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_

from .. import access
from ..audit.models import HistoryEntry
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..org import chart
from ..scheme.queries import scheme_or_none
from ..scheme.settings import year_known
from ..sheets.models import Sheet, Signature
from ..timeutil import as_utc, local_iso, local_today
from ..workflow.machine import ACTIONS, STATES
from . import deadlines


_LATEST = datetime.max.replace(tzinfo=timezone.utc)


@dataclass
class Holder:
    """One holder of sheets at one step: a unit (draft, gate_review, responsible_sign) or a leader."""

    state: str
    unit_id: int | None
    leader: object | None  # a User, in leader_sign
    count: int = 0
    oldest_since: datetime | None = None
    overdue: int = 0

    def take(self, entered: datetime | None, overdue: bool) -> None:
        self.count += 1
        self.overdue += int(overdue)
        if entered is not None and (self.oldest_since is None or entered < self.oldest_since):
            self.oldest_since = entered


@dataclass
class Progress:
    year: int
    states: dict  # state → number of the year's sheets (every state, zeros included)
    waiting: list  # Holders: the overdue first, then the longest waiting
    deadlines: dict  # state → date or None
    units: dict  # unit id → the unit's place in the year's chart (names and codes for the page)

    def unit_code(self, unit_id):
        place = self.units.get(unit_id)
        return place.unit.code if place is not None else None

    def unit_name(self, unit_id):
        place = self.units.get(unit_id)
        return place.name if place is not None else None

    def json(self) -> dict:
        return {
            "year": self.year,
            "states": dict(self.states),
            "waiting": [{
                "unit": self.unit_code(h.unit_id), "state": h.state, "count": h.count,
                "oldest_since": local_iso(h.oldest_since), "overdue": h.overdue,
                **({"leader": h.leader.username if h.leader else None} if h.state == "leader_sign" else {}),
            } for h in self.waiting],
        }


def may_see(user) -> bool:
    """Leaders, viewers (the director) and the admin: those who see every unit's sheets."""
    return access.sees_everything(user)


def progress(user, year: int) -> Progress:
    """The board of `year` for those who oversee it: 403 for others, then 404 for no such year."""
    if not may_see(user):
        raise Forbidden("只有局领导、查看人员和管理员可以查看考核进度")
    if not year_known(year):
        raise NotFound(f"没有{year}年度")
    counts = dict(db.session.execute(
        db.select(Sheet.state, func.count()).where(Sheet.year == year).group_by(Sheet.state)).all())
    sheets = db.session.execute(
        db.select(Sheet.id, Sheet.unit_id, Sheet.state).where(Sheet.year == year, Sheet.state != "final")
        .order_by(Sheet.id)).all()
    entered = _entered(year)
    pending = _pending_offices(year, [sheet_id for sheet_id, _u, state in sheets if state == "responsible_sign"])
    due = deadlines.deadlines_of(year)
    today = local_today()
    places = chart.chart(year)
    holders: dict[tuple, Holder] = {}
    for sheet_id, unit_id, state in sheets:
        overdue = due.get(state) is not None and today > due[state]
        for key in _holders_of(state, unit_id, sheet_id, places, pending):
            holder = holders.get(key)
            if holder is None:
                holder = holders[key] = Holder(state, key[1], key[2])
            holder.take(entered.get(sheet_id), overdue)
    waiting = sorted(holders.values(), key=lambda h: (
        -h.overdue, h.oldest_since is None, h.oldest_since or _LATEST, STATES.index(h.state)))
    return Progress(year, {state: counts.get(state, 0) for state in STATES}, waiting, due, places)


def _holders_of(state, unit_id, sheet_id, places, pending) -> list[tuple]:
    """(state, unit id, leader) of everyone whose step the sheet waits for."""
    place = places.get(unit_id)
    if state == "draft":
        return [(state, unit_id, None)]
    if state == "gate_review":
        return [(state, place.gate_unit_id if place else None, None)]
    if state == "responsible_sign":
        return [(state, office, None) for office in sorted(pending.get(sheet_id, ()))]
    return [(state, None, place.leader if place else None)]


def _entered(year: int) -> dict[int, datetime]:
    """sheet id → when it entered its current state: its latest move into it (one statement)."""
    rows = db.session.execute(
        db.select(HistoryEntry.record_id, func.max(HistoryEntry.at))
        .join(Sheet, Sheet.id == HistoryEntry.record_id)
        .where(HistoryEntry.record_kind == "sheet", Sheet.year == year, HistoryEntry.action.in_(ACTIONS),
               HistoryEntry.to_state == Sheet.state,
               or_(HistoryEntry.from_state.is_(None), HistoryEntry.from_state != HistoryEntry.to_state))
        .group_by(HistoryEntry.record_id)).all()
    return {record_id: as_utc(at) for record_id, at in rows}


def _pending_offices(year: int, ids) -> dict[int, set]:
    """sheet id → the responsible offices that have not yet signed all their rows, for the year's
    sheets in `responsible_sign` (the scheme once, the signatures in one statement)."""
    scheme = scheme_or_none(year)
    if scheme is None or not ids:
        return {}
    rows = {(item.id, office.id) for item in scheme.items for office in item.responsible}
    signed: dict[int, set] = {}
    for sheet_id, item_id, office_id in db.session.execute(
            db.select(Signature.sheet_id, Signature.item_id, Signature.unit_id)
            .join(Sheet, Sheet.id == Signature.sheet_id)
            .where(Sheet.year == year, Sheet.state == "responsible_sign",
                   Signature.capacity == "responsible_office")).all():
        signed.setdefault(sheet_id, set()).add((item_id, office_id))
    return {sheet_id: {office for item_id, office in rows if (item_id, office) not in signed.get(sheet_id, set())}
            for sheet_id in ids}
