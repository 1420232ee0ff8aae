"""Rounds of a record's path (CONTRACT.md "The year's rhythm"): round 1 until the first return or
reopen, one more after each. A record is *returned* while its latest move is a return: it shows
a banner with the reason and the named rows, and its own line in the inbox."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from ..audit.models import HistoryEntry
from ..extensions import db
from .machine import ACTIONS

#: The moves after which a new round begins.
NEW_ROUND = frozenset({"return", "reopen"})


def numbered(entries) -> list[tuple[int, object]]:
    """(round, entry) for a record's history in order: the return itself closes its round."""
    out, current = [], 1
    for entry in entries:
        out.append((current, entry))
        if entry.action in NEW_ROUND:
            current += 1
    return out


def current_round(entries) -> int:
    return 1 + sum(1 for e in entries if e.action in NEW_ROUND)


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
                                  e.comment or "", list(e.items or []), rounds.get(e.record_id, 1))
            for e in entries}
