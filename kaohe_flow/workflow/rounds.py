"""Rounds of a record's path (CONTRACT.md "The year's rhythm"): round 1 until the first return or
reopen, one more after each. A record is *returned* while its latest move is a return: it shows
a banner with the reason and the named rows, and its own line in the inbox."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from ..audit.models import HistoryEntry
from ..audit.service import NEW_ROUND
from ..extensions import db
from .machine import ACTIONS


@dataclass(frozen=True)
class Returned:
    """The return a record is waiting after: who sent it back, when, why, which rows."""

    record_id: int
    at: datetime
    username: str
    capacity: str
    from_state: str
    to_state: str
    comment: str
    items: list
    round: int  # the round that ended with this return
    on_behalf_of: str | None = None  # the delegator's username when a delegate returned it


def returned(kind: str, record_ids) -> dict[int, Returned]:
    """The records among `record_ids` whose latest move was a return, with that return (two
    statements whatever the number of records)."""
    ids = list(record_ids)
    if not ids:
        return {}
    last = (db.select(HistoryEntry.record_id, func.max(HistoryEntry.id).label("last_id"))
            .where(HistoryEntry.record_kind == kind, HistoryEntry.record_id.in_(ids),
                   HistoryEntry.action.in_(ACTIONS))
            .group_by(HistoryEntry.record_id).subquery())
    entries = db.session.scalars(db.select(HistoryEntry).join(last, HistoryEntry.id == last.c.last_id)
                                 .where(HistoryEntry.action == "return")).all()
    if not entries:
        return {}
    rounds = dict(db.session.execute(
        db.select(HistoryEntry.record_id, func.count())
        .where(HistoryEntry.record_kind == kind, HistoryEntry.record_id.in_([e.record_id for e in entries]),
               HistoryEntry.action.in_(NEW_ROUND))
        .group_by(HistoryEntry.record_id)).all())
    return {e.record_id: Returned(e.record_id, e.at, e.username, e.capacity, e.from_state, e.to_state,
                                  e.comment or "", list(e.items or []), rounds.get(e.record_id, 1), e.on_behalf_of)
            for e in entries}


@dataclass(frozen=True)
class Change:
    """A field's net change since the return: its value then, its value now, the last edit."""

    field: str
    old: str | None
    new: str | None
    at: datetime
    username: str
    on_behalf_of: str | None


@dataclass(frozen=True)
class SinceReturn:
    round: int  # the round in progress
    since: object | None  # the return or reopen step that began it (None in round 1)
    changes: list  # [Change], in the order first changed


def since_return(entries) -> SinceReturn:
    """What changed since the last return or reopen, from a record's history (oldest first):
    each edited field once, with its value before the return and now; a field changed back to
    what it was is no change."""
    start = max((i for i, e in enumerate(entries) if e.action in NEW_ROUND), default=None)
    if start is None:
        return SinceReturn(1, None, [])
    first: dict[str, object] = {}
    last: dict[str, object] = {}
    for entry in entries[start + 1:]:
        if entry.action != "edit" or not entry.field:
            continue
        first.setdefault(entry.field, entry)
        last[entry.field] = entry
    changes = [Change(name, first[name].old, last[name].new, last[name].at, last[name].username,
                      last[name].on_behalf_of)
               for name in first if first[name].old != last[name].new]
    round_now = 1 + sum(1 for e in entries if e.action in NEW_ROUND)
    return SinceReturn(round_now, entries[start], changes)
