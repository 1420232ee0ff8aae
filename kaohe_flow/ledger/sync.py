"""Deduction records that trackers derive (附件4 `info`, 附件5 `oa`), kept in step with the
entries they come from: recomputing replaces exactly the derived records of that source and
year, so entering, correcting or re-importing never counts a case twice (DOMAIN.md).

Only writes bring them in step (an entry, a correction, an import, a calendar change, and
`flask trackers-sync` for time passing); a report computes what they would be and stores
nothing. Two of those at once (two syncs, or a sync and a write) take turns: `lock_derived`
holds one source's records of a year until the transaction ends, and what is read after it is
what the other one committed — so neither inserts a record the other has just inserted.
"""
import zlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..audit.service import record_step
from ..errors import Invalid
from ..extensions import db
from ..scheme.queries import scheme_or_none
from .models import DeductionRecord


@dataclass(frozen=True)
class Derived:
    """One case a tracker found: `key` names what it comes from, unique within the source."""

    key: str
    unit_id: int
    rule: str  # a rule id of the scheme, e.g. info_mgmt-3
    count: int
    day: date
    note: str
    people: str = ""


def lock_derived(source: str, year: int) -> None:
    """Hold the derived records of `source` and `year` until this transaction ends; call it
    before reading what they are computed from. PostgreSQL: a transaction advisory lock.
    SQLite: a write that changes nothing takes the database's single write lock (a transaction
    that has written already holds it)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"derived:{source}:{year}".encode())
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        db.session.execute(sa.update(DeductionRecord.__table__).where(sa.false()).values(source=source))


def replace_derived(source: str, year: int, cases: list[Derived], user=None) -> dict[str, int]:
    """Make the standing `source` records of `year` exactly `cases`; answers what changed.

    Runs in the caller's transaction (the caller commits once, with the entries themselves),
    after `lock_derived(source, year)`.
    """
    scheme = scheme_or_none(year)
    if scheme is None:
        raise Invalid(f"{year}年度的考核方案尚未导入", "unknown_year")
    rules = {rule.code: rule for item in scheme.items for rule in item.rules}
    wanted = {case.key: case for case in cases}
    existing = {r.source_key: r for r in db.session.scalars(
        db.select(DeductionRecord).filter_by(source=source, year=year)
        .execution_options(populate_existing=True))}
    stats = {"added": 0, "changed": 0, "removed": 0}
    for key, record in existing.items():
        case = wanted.get(key)
        if case is None:
            if not record.withdrawn:
                record.withdrawn = True
                record_step("deduction", record, user, "system", "edit", field="withdrawn", old="false",
                            new="true", comment="来源数据已更正，此记录不再成立")
                stats["removed"] += 1
            continue
        rule = rules[case.rule]
        new = (case.unit_id, rule.id, case.count, case.day, case.note, case.people, False)
        old = (record.unit_id, record.rule_id, record.count, record.day, record.note, record.people,
               record.withdrawn)
        if new != old:
            record.unit_id, record.rule_id, record.count, record.day, record.note, record.people, record.withdrawn = new
            record_step("deduction", record, user, "system", "edit", field="record",
                        old=_summary(old), new=_summary(new))
            stats["changed"] += 1
    for key, case in wanted.items():
        if key in existing:
            continue
        record = DeductionRecord(year=year, unit_id=case.unit_id, rule_id=rules[case.rule].id, count=case.count,
                                 day=case.day, note=case.note, people=case.people, source=source, source_key=key,
                                 recorded_by_id=getattr(user, "id", None))
        db.session.add(record)
        db.session.flush()
        record_step("deduction", record, user, "system", "edit", field="record",
                    new=_summary((case.unit_id, rules[case.rule].id, case.count, case.day, case.note, "", False)))
        stats["added"] += 1
    return stats


def _summary(values) -> str:
    unit_id, rule_id, count, day, note, _people, withdrawn = values
    return f"unit {unit_id} rule {rule_id} ×{count} {day.isoformat()} {note}{' (withdrawn)' if withdrawn else ''}"
