"""Writing and reading the history; written in the same transaction as the change."""
from ..extensions import db
from ..timeutil import utcnow
from .models import HistoryEntry


def record_step(kind: str, record, user, capacity: str, action: str, *, from_state=None, to_state=None,
                comment: str = "", field=None, old=None, new=None, items=None) -> HistoryEntry:
    """Add one step to the session; the caller's commit makes it permanent with the change."""
    if record.id is None:
        db.session.flush()
    entry = HistoryEntry(
        record_kind=kind, record_id=record.id, at=utcnow(),
        user_id=getattr(user, "id", None), username=getattr(user, "username", "system"),
        capacity=capacity, action=action,
        from_state=from_state or getattr(record, "state", None),
        to_state=to_state or getattr(record, "state", None),
        comment=comment or "", field=field, old=old, new=new, items=items,
    )
    db.session.add(entry)
    return entry


def steps_of(kind: str, record_id: int) -> list[HistoryEntry]:
    """A record's history, oldest first."""
    return list(db.session.scalars(
        db.select(HistoryEntry).filter_by(record_kind=kind, record_id=record_id).order_by(HistoryEntry.id)
    ))
