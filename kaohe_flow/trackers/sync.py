"""Bringing a year's derived deduction records in step with time (附件4 months that have
ended, 附件5 documents left unsigned past 48 hours): what `flask trackers-sync` runs daily.

Writes keep the records in step already; reports never store (they compute). Two syncs at
once, or a sync and a write, take turns on `ledger.sync.lock_derived`.
"""
from ..errors import Invalid
from ..extensions import db
from ..uow import operation
from . import oa
from .info_quotas import info_year
from .info_report import recompute


def bring_in_step(year: int, user=None, unknown_calendar_ok: bool = False) -> dict[str, dict]:
    """Recompute the year's `oa` and `info` records in the caller's transaction (a change of the
    year's settings calls it, with `unknown_calendar_ok`: a year whose holidays nobody has
    entered yet has no OA cases to judge, and its settings may still change); answers what
    changed."""
    try:
        stats = {"oa": oa.sync(year, user)}
    except Invalid as exc:
        if not (unknown_calendar_ok and exc.code == "calendar_unknown"):
            raise
        stats = {"oa": {}}
    iy = info_year(year)
    stats["info"] = recompute(iy, user) if iy is not None else {}
    return stats


@operation
def sync_year(year: int, user=None) -> dict[str, dict]:
    """Recompute the year's `oa` and `info` records; one commit. Answers what changed."""
    stats = bring_in_step(year, user)
    db.session.commit()
    return stats
