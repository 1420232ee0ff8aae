"""Bringing a year's derived deduction records in step with time (附件4 months that have
ended, 附件5 documents left unsigned past 48 hours): what `flask trackers-sync` runs daily.

Writes keep the records in step already; reports never store (they compute). Two syncs at
once, or a sync and a write, take turns on `ledger.sync.lock_derived`.
"""
from ..extensions import db
from ..uow import operation
from . import oa
from .info_quotas import info_year
from .info_report import recompute


@operation
def sync_year(year: int, user=None) -> dict[str, dict]:
    """Recompute the year's `oa` and `info` records; one commit. Answers what changed."""
    stats = {"oa": oa.sync(year, user)}
    iy = info_year(year)
    stats["info"] = recompute(iy, user) if iy is not None else {}
    db.session.commit()
    return stats
