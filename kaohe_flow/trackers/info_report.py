"""附件4 信息报送, the report: each unit's adopted items counted per month and stream, the months
(and years) short judged once they have ended, extras for special items, totals, points and the
award ranking; who reads which rows; and the deduction records the shortfalls become (`source`
"info"), recomputed from the items whenever they change.
"""
import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import g

from .. import access
from ..errors import NotFound
from ..extensions import db
from ..ledger.sync import Derived, lock_derived, replace_derived
from ..org.models import Unit
from ..org import chart
from ..org.queries import units_by_name
from ..scheme.settings import settings_for
from ..timeutil import LOCAL_TZ, utcnow
from .info_models import InfoItem
from .info_quotas import InfoYear, Quota, info_year

SOURCE = "info"


def today() -> date:
    """The bureau's date today; months and years are judged only once they have ended."""
    return utcnow().astimezone(LOCAL_TZ).date()


# ------------------------------------------------------------------------------ who reads

def visible_unit_ids(user, iy: InfoYear) -> set[int] | None:
    """None: every unit; else the units whose rows and items the user reads."""
    if access.reads_every_unit(user, iy.item):
        return None
    return {user.unit_id} if user.unit_id is not None else set()


# ------------------------------------------------------------------------------ the report

@dataclass
class StreamCounts:
    """One stream of one unit: counts per month and the shortfalls judged so far."""

    quota: Quota | None
    months: dict[int, int] = field(default_factory=lambda: {m: 0 for m in range(1, 13)})
    months_short: list[int] = field(default_factory=list)
    year_short: bool = False

    @property
    def count(self) -> int:
        return sum(self.months.values())

    @property
    def shortfalls(self) -> int:
        return len(self.months_short) + int(self.year_short)

    def judge(self, ended_months: list[int], year_ended: bool) -> None:
        if self.quota is None:
            return
        if self.quota.per_month is not None:
            self.months_short = [m for m in ended_months if self.months[m] < self.quota.per_month]
        else:
            self.year_short = year_ended and self.count < self.quota.per_year


@dataclass
class UnitInfo:
    """One unit's row of the report."""

    unit: Unit
    info: StreamCounts
    gov: StreamCounts
    extras: int = 0
    district_offices: int = 0
    district_offices_short: bool = False
    points: Decimal = Decimal(0)
    gov_points: Decimal = Decimal(0)
    met_quota: bool = False
    rank: int | None = None

    @property
    def total(self) -> int:
        return self.info.count + self.extras

    @property
    def gov_shortfalls(self) -> int:
        return self.gov.shortfalls + int(self.district_offices_short)


@dataclass
class Report:
    year: int
    iy: InfoYear
    rows: list[UnitInfo]  # every unit, in the org chart's order
    ended_months: list[int]
    year_ended: bool
    # A year in which nothing has been entered is not judged (DOMAIN.md): the tracker is not in
    # use yet, and 184 records of "nothing adopted" would zero every unit's 信息宣传.
    judged: bool = True
    not_counted: int = 0  # ordinary items another portal adopted, not the district's (附件4 备注1)

    @property
    def not_judged_reason(self) -> str | None:
        if self.judged:
            return None
        return f"{self.year}年度尚未录入任何信息，信息报送暂不考核；录入第一条信息后按月考核"

    def ranking(self) -> list[UnitInfo]:
        return sorted(self.rows, key=lambda r: (r.rank, r.unit.position))


def ended_months(year: int, on: date) -> list[int]:
    """The months of `year` that have ended by `on` (a month is judged the day after its end)."""
    return [m for m in range(1, 13) if date(year, m, calendar.monthrange(year, m)[1]) < on]


def compute(iy: InfoYear, on: date | None = None) -> Report:
    """Every unit's counts, shortfalls, extras, totals, points and award rank for the year."""
    on = on or today()
    quotas = iy.quotas
    months_done = ended_months(iy.year, on)
    year_done = date(iy.year, 12, 31) < on
    # The units the year assesses, in its chart's order (a year without a chart: every unit).
    units = chart.units_of(iy.year) or sorted(set(units_by_name().values()), key=lambda u: u.position)
    rows = {u.id: UnitInfo(u, StreamCounts(quotas.info.get(u.id)), StreamCounts(quotas.gov_quota(u.id)))
            for u in units}
    selected = db.select(InfoItem.unit_id, InfoItem.adopted_on, InfoItem.portal, InfoItem.special,
                         InfoItem.stream, InfoItem.district_offices).filter_by(year=iy.year)
    entered, not_counted = False, 0
    for unit_id, adopted_on, portal, special, stream, district_offices in db.session.execute(selected):
        entered = True
        row = rows.get(unit_id)
        if row is None:
            continue
        if stream == "gov_affairs":  # counted as submitted (报送, 附件4 备注4)
            row.gov.months[adopted_on.month] += 1
            row.district_offices += int(bool(district_offices))
        elif special:  # counts toward its month, plus the extra of the portal (备注3)
            row.info.months[adopted_on.month] += 1
            row.extras += quotas.extras[portal]
        elif portal == "district":  # an ordinary item counts only when the district adopted it (备注1)
            row.info.months[adopted_on.month] += 1
        else:
            not_counted += 1
    if not entered:
        months_done, year_done = [], False
    yearly_cases, _ = cases_per_shortfall(iy)
    for row in rows.values():
        row.info.judge(months_done, year_done)
        row.gov.judge(months_done, year_done)
        row.district_offices_short = year_done and row.district_offices < quotas.gov_district_offices
        row.points = iy.rule.points * (len(row.info.months_short) + yearly_cases * int(row.info.year_short))
        row.gov_points = settings_for(iy.year).gov_affairs_points * row.gov_shortfalls
        quota = row.info.quota
        row.met_quota = quota is not None and row.info.shortfalls == 0 and (
            quota.per_year is None or row.info.count >= quota.per_year)
    _rank(list(rows.values()))
    return Report(iy.year, iy, list(rows.values()), months_done, year_done, judged=entered, not_counted=not_counted)


def _rank(rows: list[UnitInfo]) -> None:
    """The award order (附件4 备注3): units that met their quota first, then by total; equal
    standing shares a rank (1, 2, 2, 4)."""
    ordered = sorted(rows, key=lambda r: (not r.met_quota, -r.total, r.unit.position))
    previous = None
    for position, row in enumerate(ordered, start=1):
        standing = (row.met_quota, row.total)
        if standing != previous:
            rank, previous = position, standing
        row.rank = rank


def cases_per_shortfall(iy: InfoYear) -> tuple[int, int]:
    """How many cases of its rule a missed yearly minimum and a 政务信息 shortfall count: the
    year's settings `info_yearly_minimum_points` and `gov_affairs_points` over the rule's points
    (the settings page checks they divide)."""
    settings = settings_for(iy.year)

    def cases(points, rule) -> int:
        if rule is None or points <= 0:
            return 0
        return int(points // rule.points) if rule.points > 0 else 1

    return cases(settings.info_yearly_minimum_points, iy.rule), cases(settings.gov_affairs_points, iy.gov_rule)


def derived_cases(report: Report) -> list[Derived]:
    """The deduction records the shortfalls stand for: one per unit per month short, one for a
    missed yearly minimum (and, when a gov_affairs rule is set, the 政务信息 shortfalls)."""
    iy, year = report.iy, report.year
    yearly_cases, gov_cases = cases_per_shortfall(iy)
    cases = []
    for row in report.rows:
        code, quota = row.unit.code, row.info.quota
        for month in row.info.months_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:{month:02d}", unit_id=row.unit.id, rule=iy.rule.code, count=1,
                day=date(year, month, calendar.monthrange(year, month)[1]),
                note=f"{year}年{month}月信息录用{row.info.months[month]}条，未达每月{quota.per_month}条（附件4）"))
        if row.info.year_short and yearly_cases:
            cases.append(Derived(
                key=f"info:{year}:{code}:year", unit_id=row.unit.id, rule=iy.rule.code, count=yearly_cases,
                day=date(year, 12, 31),
                note=f"{year}年全年信息录用{row.info.count}条，未达全年不低于{quota.per_year}条（附件4）"))
        if iy.gov_rule is None or not gov_cases:
            continue
        gov = row.gov
        for month in gov.months_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:{month:02d}", unit_id=row.unit.id, rule=iy.gov_rule.code, count=gov_cases,
                day=date(year, month, calendar.monthrange(year, month)[1]),
                note=f"{year}年{month}月政务信息报送{gov.months[month]}条，未达每月{gov.quota.per_month}条"))
        if gov.year_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:year", unit_id=row.unit.id, rule=iy.gov_rule.code, count=gov_cases,
                day=date(year, 12, 31),
                note=f"{year}年全年政务信息报送{gov.count}条，未达全年不低于{gov.quota.per_year}条"))
        if row.district_offices_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:district_offices", unit_id=row.unit.id, rule=iy.gov_rule.code,
                count=gov_cases, day=date(year, 12, 31),
                note=f"{year}年政务信息被区两办录用{row.district_offices}条，未达全年至少"
                     f"{iy.quotas.gov_district_offices}条"))
    return cases


def recompute(iy: InfoYear, user=None) -> dict[str, int]:
    """Bring the year's `info` deduction records in step with its items (caller commits; writes
    and `flask trackers-sync` call it, never a read)."""
    db.session.flush()
    lock_derived(SOURCE, iy.year)
    g.pop("_records_of", None)  # a sheet read later in this request sees the new records
    return replace_derived(SOURCE, iy.year, derived_cases(compute(iy)), user)


def report(user, year: int) -> Report:
    """The year's report with the rows the user reads (ranks over every unit); 404 without
    quotas for the year."""
    iy = info_year(year)
    if iy is None:
        raise NotFound(f"没有{year}年度的信息报送考核标准（附件4）或考核方案")
    # Computed as of today and never stored: a month that has just ended shows short here at
    # once; its deduction record follows at the next entry or `flask trackers-sync`.
    full = compute(iy)
    visible = visible_unit_ids(user, iy)
    if visible is not None:
        full.rows = [r for r in full.rows if r.unit.id in visible]
    return full
