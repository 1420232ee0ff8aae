"""Each year's org chart (附件1): which units a year assesses, their names and aliases that
year, the gate unit that reviews each sheet and the leader who supervises each unit.

For reading, this process's snapshot (`snapshot.chart_view`: plain frozen `Place`s, read once per
process and version, shared across requests); writers that change a place or hang ORM rows on a
unit load the rows themselves (`chart_rows`). Every answer about a sheet's gate or leader asks
the sheet's own year, so a change to 2019's chart never moves a 2018 sheet.
"""
from flask import g

from ..extensions import db
from .models import User, YearUnit
from .snapshot import Place, UnitRef, chart_view, forget_request, years_view


def chart(year: int) -> dict[int, Place]:
    """unit id → that unit's place in the year's chart, in the chart's order (frozen values)."""
    return chart_view(year)


def chart_rows(year: int) -> dict[int, YearUnit]:
    """unit id → the ORM row of the unit's place, in the chart's order: for the admin's pages and
    the writers that change a place or hang a record on its unit (read once per request)."""
    cache = g.setdefault("_org_charts", {})
    if year not in cache:
        rows = db.session.scalars(db.select(YearUnit).filter_by(year=year)
                                  .order_by(YearUnit.position, YearUnit.unit_id))
        cache[year] = {row.unit_id: row for row in rows}
    return cache[year]


def forget() -> None:
    """Drop this request's charts and rows (after a change to one)."""
    g.pop("_units_by_name", None)
    forget_request()


def place(year: int, unit_id: int) -> Place | None:
    return chart(year).get(unit_id)


def prime(year: int, unit_ids) -> None:
    """Have the year's chart at hand for a list's records: with the chart held per process this
    reads nothing once warm, and at most the year's chart once (one statement)."""
    chart(year)


def gate_of(year: int, unit_id: int) -> int | None:
    """The id of the unit that reviews `unit_id`'s sheet of `year` (附件1), if any."""
    row = place(year, unit_id)
    return row.gate_unit_id if row is not None else None


def leader_of(year: int, unit_id: int):
    """The leader who supervises the unit in `year`, if any, as the chart shows one (`id`,
    `username`, `name`, `active`); `leader_user` for the account itself."""
    row = place(year, unit_id)
    return row.leader if row is not None else None


def leader_user(year: int, unit_id: int) -> User | None:
    """The `User` who supervises the unit in `year`, loaded by id (the session's own copy when it
    has one): for one record, never once per row of a list."""
    row = place(year, unit_id)
    return db.session.get(User, row.leader_id) if row is not None and row.leader_id is not None else None


def units_of(year: int) -> list[UnitRef]:
    """The units the year assesses, in the chart's order (frozen values: `id`, `code`, `name`,
    `position`, `aliases`)."""
    return [row.unit for row in chart(year).values()]


def chart_years() -> list[int]:
    """Every year that has an org chart, oldest first."""
    return list(years_view())


def default_year() -> int | None:
    """The year `GET /api/v1/units` answers without `year`: the latest year whose sheets exist,
    else the latest year with a chart (CONTRACT.md: "the latest opened year, as before")."""
    from ..sheets.models import Sheet

    opened = db.session.scalar(db.select(db.func.max(Sheet.year)))
    if opened is not None and chart(opened):
        return opened
    years = chart_years()
    return years[-1] if years else None
