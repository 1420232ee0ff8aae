"""Writing and reading the history; written in the same transaction as the change."""
from ..extensions import db
from ..timeutil import utcnow
from ..uow import standing_in
from .models import HistoryEntry

#: The moves after which a record's next round begins.
NEW_ROUND = frozenset({"return", "reopen"})


def record_step(kind: str, record, user, capacity: str, action: str, *, from_state=None, to_state=None,
                comment: str = "", field=None, old=None, new=None, items=None) -> HistoryEntry:
    """Add one step to the session; the caller's commit makes it permanent with the change."""
    if record.id is None:
        db.session.flush()
    principal = standing_in()
    entry = HistoryEntry(
        record_kind=kind, record_id=record.id, at=utcnow(),
        user_id=getattr(user, "id", None), username=getattr(user, "username", "system"),
        capacity=capacity, action=action,
        from_state=from_state or getattr(record, "state", None),
        to_state=to_state or getattr(record, "state", None),
        comment=comment or "", field=field, old=old, new=new, items=items,
        on_behalf_of=getattr(principal, "username", None),
    )
    db.session.add(entry)
    return entry


def steps_of(kind: str, record_id: int) -> list[HistoryEntry]:
    """A record's history, oldest first, each step with its `round` (CONTRACT.md "The year's
    rhythm": 1, then one more after every return or reopen; read, never stored)."""
    entries = list(db.session.scalars(
        db.select(HistoryEntry).filter_by(record_kind=kind, record_id=record_id).order_by(HistoryEntry.id)
    ))
    current = 1
    for entry in entries:
        entry.round = current  # a plain attribute: the stored, hash-chained step is untouched
        if entry.action in NEW_ROUND:
            current += 1
    return entries


#: The history's record_kind of each model that moves (the workflow's records).
KIND_OF = {"Sheet": "sheet", "BonusApplication": "bonus"}


def round_steps_of(kind: str, record_id: int, username: str) -> list[HistoryEntry]:
    """The steps `username` took on a record since its last return or reopen (its current round)."""
    last = (db.select(db.func.coalesce(db.func.max(HistoryEntry.id), 0))
            .filter_by(record_kind=kind, record_id=record_id)
            .where(HistoryEntry.action.in_(NEW_ROUND)).scalar_subquery())
    query = (db.select(HistoryEntry).filter_by(record_kind=kind, record_id=record_id, username=username)
             .where(HistoryEntry.id > last))  # one statement: every write-time check asks it
    return list(db.session.scalars(query.order_by(HistoryEntry.id)))
