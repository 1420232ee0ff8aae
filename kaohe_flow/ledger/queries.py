"""Reading deduction records: who sees which, and what they suggest for a sheet's rows."""
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import lazyload, selectinload

from .. import access
from ..bonus.models import Attachment
from ..errors import NotFound
from ..extensions import db
from ..org.models import Unit, User, YearUnit
from ..points import fmt_points
from ..scheme.models import Rule, Scheme
from ..scheme.queries import scheme_or_none
from ..scoring import Occurrence, suggested_score
from ..targets.models import Target
from .models import DeductionAppeal, DeductionRecord

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


def visible_clause(user, year: int | None = None):
    """The records `user` reads, as a SQL condition on `DeductionRecord` (None: every record).
    The same answer as `can_see` record by record (`access.can_read_records`): those who see
    everything read all; a unit reads its own records, and — in a year that has a scheme — those
    of the units it gates that year and, as a responsible office of the year, every record of the
    year. Asked once for a list instead of once per record (issue 11)."""
    user = access.subject(user)
    if access.sees_everything(user):
        return None
    mine = user.unit_id
    if mine is None:
        return sa.false()
    years = [year] if year is not None else list(db.session.scalars(sa.select(Scheme.year)))
    schemes = {y: scheme_or_none(y) for y in years}
    scheme_years = [y for y, s in schemes.items() if s is not None]
    office_years = [y for y in scheme_years if mine in schemes[y].responsible_unit_ids()]
    if year is not None and year in office_years:
        return None
    # The gate of the record's unit in the record's own year (附件1), as `chart.gate_of` reads it.
    gated = sa.exists().where(YearUnit.year == DeductionRecord.year, YearUnit.unit_id == DeductionRecord.unit_id,
                              YearUnit.gate_unit_id == mine)
    return sa.or_(DeductionRecord.unit_id == mine, sa.and_(DeductionRecord.year.in_(scheme_years), gated),
                  DeductionRecord.year.in_(office_years))


def _visible_query(user, year: int | None, unit_id: int | None):
    query = db.select(DeductionRecord).filter_by(withdrawn=False)
    if year is not None:
        query = query.filter(DeductionRecord.year == year)
    if unit_id is not None:
        query = query.filter(DeductionRecord.unit_id == unit_id)
    clause = visible_clause(user, year)
    return query if clause is None else query.filter(clause)


def _lean(query):
    """A list's loading: a district's thousand units, hundred rules and two thousand users are
    each read once by id (selectin) instead of joined onto every record's row, with none of the
    users' or targets' own units, which no list prints; no evidence, which no page of the list shows
    (all of it still loads on first use)."""
    return query.options(
        selectinload(DeductionRecord.unit), selectinload(DeductionRecord.rule),
        selectinload(DeductionRecord.recorded_by).lazyload(User.unit),
        selectinload(DeductionRecord.target).lazyload(Target.unit), lazyload(DeductionRecord.evidence),
    )


def list_visible(user, year: int | None = None, unit_id: int | None = None) -> list[DeductionRecord]:
    """The standing records the user reads, by date."""
    query = _visible_query(user, year, unit_id).order_by(DeductionRecord.day, DeductionRecord.id)
    return list(db.session.scalars(_lean(query)).unique())


_COLUMNS = tuple(c.key for c in sa.inspect(DeductionRecord).column_attrs)


def listed_records(user, year: int | None = None, unit_id: int | None = None) -> list[SimpleNamespace]:
    """`list_visible` as read-only snapshots for serializing a whole list (the API's, issue 11):
    each record's columns as plain values and its unit, rule, recorder, target, evidence and appeal
    from one query each — a district year's ten thousand records hydrated as ORM objects with
    their relations cost seconds. Nothing in a snapshot loads lazily or is ever written back."""
    query = _visible_query(user, year, unit_id)
    rows = db.session.execute(query.with_only_columns(*(getattr(DeductionRecord, k) for k in _COLUMNS))
                              .order_by(DeductionRecord.day, DeductionRecord.id)).all()
    if not rows:
        return []

    def referenced(model, column, *options):
        wanted = query.with_only_columns(column).where(column.is_not(None)).distinct()
        return {o.id: o for o in db.session.scalars(sa.select(model).where(model.id.in_(wanted)).options(*options))}

    units, rules = referenced(Unit, DeductionRecord.unit_id), referenced(Rule, DeductionRecord.rule_id)
    users = referenced(User, DeductionRecord.recorded_by_id, lazyload(User.unit))
    targets = referenced(Target, DeductionRecord.target_id, lazyload(Target.unit))
    ids = query.with_only_columns(DeductionRecord.id)
    evidence = defaultdict(list)
    for a in db.session.scalars(sa.select(Attachment).where(Attachment.record_id.in_(ids)).order_by(Attachment.id)):
        evidence[a.record_id].append(a)
    appeals = {a.record_id: a for a in db.session.scalars(
        sa.select(DeductionAppeal).where(DeductionAppeal.record_id.in_(ids)))}
    found = []
    for row in rows:
        r = SimpleNamespace(**dict(zip(_COLUMNS, row)))
        r.unit, r.rule = units[r.unit_id], rules[r.rule_id]
        r.recorded_by, r.target = users.get(r.recorded_by_id), targets.get(r.target_id)
        r.evidence, r.appeal = evidence.get(r.id, []), appeals.get(r.id)
        found.append(r)
    return found


def count_visible(user, year: int | None = None, unit_id: int | None = None) -> int:
    query = _visible_query(user, year, unit_id).with_only_columns(sa.func.count(DeductionRecord.id))
    return db.session.scalar(query.order_by(None))


def page_visible(user, year: int | None, unit_id: int | None, offset: int, limit: int) -> list[DeductionRecord]:
    """One page of `list_visible`, without the evidence (the list page does not show it)."""
    query = (_visible_query(user, year, unit_id).order_by(DeductionRecord.day, DeductionRecord.id)
             .offset(offset).limit(limit))
    return list(db.session.scalars(_lean(query)).unique())


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
