"""Deadlines per year and state (CONTRACT.md `GET/PUT /api/v1/years/{year}/deadlines`).

STUB: the interface other modules call; filled in by its owner."""
from datetime import date


def due_of(record) -> date | None:
    """The date by which `record` (a sheet or a bonus application) must leave its state."""
    return None


def is_overdue(record, today: date | None = None) -> bool:
    return False


def status(record, today: date | None = None) -> str | None:
    """None (no deadline), "ok", "due_soon" (within the year's due_soon_days) or "overdue"."""
    return None
