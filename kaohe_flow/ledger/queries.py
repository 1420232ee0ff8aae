"""Reading deduction records: who sees which, and what they suggest for a sheet's rows."""
from collections import defaultdict
from decimal import Decimal

from flask import g

from .. import access
from ..errors import NotFound
from ..extensions import db
from ..points import fmt_points
from ..scheme.queries import scheme_or_none
from ..scoring import Occurrence, suggested_score
from .models import DeductionRecord

NOT_FOUND = "没有找到这条考核记录"


def item_of_rule(year: int) -> dict[int, object]:
    """rule id → its scheme item, for the year."""
    scheme = scheme_or_none(year)
    return {rule.id: item for item in (scheme.items if scheme else []) for rule in item.rules}


def can_see(user, record: DeductionRecord) -> bool:
    """Whether `user` reads the record (see `access.can_read_records`)."""
    return access.can_read_records(user, record.unit, scheme_or_none(record.year))


def get_visible(user, record_id: int) -> DeductionRecord:
    record = db.session.get(DeductionRecord, record_id)
    if record is None or not can_see(user, record):
        raise NotFound(NOT_FOUND)
    return record


def list_visible(user, year: int | None = None, unit_id: int | None = None) -> list[DeductionRecord]:
    query = db.select(DeductionRecord).filter_by(withdrawn=False).order_by(DeductionRecord.day, DeductionRecord.id)
    if year is not None:
        query = query.filter(DeductionRecord.year == year)
    if unit_id is not None:
        query = query.filter(DeductionRecord.unit_id == unit_id)
    return [r for r in db.session.scalars(query) if can_see(user, r)]


def records_of(unit_id: int, year: int) -> dict[int, list[DeductionRecord]]:
    """A unit's standing records of the year by scheme item id (one query per request)."""
    cache = g.setdefault("_records_of", {})
    if (unit_id, year) not in cache:
        items = item_of_rule(year)
        found = defaultdict(list)
        for record in db.session.scalars(
            db.select(DeductionRecord).filter_by(unit_id=unit_id, year=year, withdrawn=False)
            .order_by(DeductionRecord.day, DeductionRecord.id)
        ):
            found[items[record.rule_id].id].append(record)
        cache[(unit_id, year)] = found
    return cache[(unit_id, year)]


def lost_points(record: DeductionRecord) -> Decimal:
    return record.rule.points * record.count


def suggestion(item, records: list[DeductionRecord]) -> tuple[Decimal, str]:
    """The score the records suggest for an item (附件2), and the reason text they give."""
    score = suggested_score(item.standard, [Occurrence(r.rule.kind, r.rule.points, r.count) for r in records])
    reasons = []
    for r in records:
        what = "不得分" if r.rule.kind in ("zeroing", "target") else f"{r.count}例，扣{fmt_points(lost_points(r))}分"
        reasons.append(f"{r.day:%m-%d} {r.rule.text}（{what}）")
    return score, "；".join(reasons)


def recordable_items(user, year: int) -> list:
    """The items of the year the user may record deductions under (the form's choices)."""
    scheme = scheme_or_none(year)
    return [item for item in (scheme.items if scheme else []) if access.can_record(user, item)]


def change_verdict(user, record: DeductionRecord) -> access.Verdict:
    """May the user correct, withdraw or add evidence to this record (see `access`)."""
    return access.can_change_record(user, record, item_of_rule(record.year)[record.rule_id])
