"""Each year's org chart (附件1): which units a year assesses, their names and aliases that
year, the gate unit that reviews each sheet and the leader who supervises each unit.

Read once per request (`chart(year)`); every answer about a sheet's gate or leader asks the
sheet's own year, so a change to 2019's chart never moves a 2018 sheet.
"""
from flask import g

from ..extensions import db
from .models import Unit, YearUnit


def chart(year: int) -> dict[int, YearUnit]:
    """unit id → that unit's place in the year's chart, in the chart's order."""
    cache = g.setdefault("_org_charts", {})
    if year not in cache:
        rows = db.session.scalars(db.select(YearUnit).filter_by(year=year).order_by(YearUnit.position))
        cache[year] = {row.unit_id: row for row in rows}
    return cache[year]


def forget() -> None:
    """Drop this request's cached charts (after a change to one)."""
    g.pop("_org_charts", None)
    g.pop("_org_places", None)
    g.pop("_org_places_asked", None)
    g.pop("_units_by_name", None)


#: A request that asks about more units than this, one by one, reads the whole chart at once; one
#: that asks about a record's unit and its gate reads only those rows — a district's chart has a
#: thousand, and a sheet page or a signature needs one or two (issue 11).
FEW_PLACES = 3
#: A list primes the places of its records' units in one statement, up to this many.
PRIME_AT_MOST = 500


def place(year: int, unit_id: int) -> YearUnit | None:
    charts = g.get("_org_charts")
    if charts is not None and year in charts:
        return charts[year].get(unit_id)
    few = g.setdefault("_org_places", {})
    key = (year, unit_id)
    if key not in few:
        asked = g.setdefault("_org_places_asked", {})
        if asked.get(year, 0) >= FEW_PLACES:
            return chart(year).get(unit_id)
        asked[year] = asked.get(year, 0) + 1
        few[key] = db.session.scalar(db.select(YearUnit).filter_by(year=year, unit_id=unit_id))
    return few[key]


def prime(year: int, unit_ids) -> None:
    """Read the places of these units in one statement (a list's records), so that a list costs
    the same statements for two units as for a thousand."""
    charts = g.get("_org_charts")
    if charts is not None and year in charts:
        return
    few = g.setdefault("_org_places", {})
    wanted = {u for u in unit_ids if (year, u) not in few}
    if not wanted:
        return
    if len(wanted) > PRIME_AT_MOST:
        chart(year)
        return
    found = {row.unit_id: row for row in db.session.scalars(
        db.select(YearUnit).where(YearUnit.year == year, YearUnit.unit_id.in_(wanted)))}
    for unit_id in wanted:
        few[(year, unit_id)] = found.get(unit_id)


def gate_of(year: int, unit_id: int) -> int | None:
    """The id of the unit that reviews `unit_id`'s sheet of `year` (附件1), if any."""
    row = place(year, unit_id)
    return row.gate_unit_id if row is not None else None


def leader_of(year: int, unit_id: int):
    """The leader who supervises the unit in `year` (a User), if any."""
    row = place(year, unit_id)
    return row.leader if row is not None else None


def units_of(year: int) -> list[Unit]:
    """The units the year assesses, in the chart's order."""
    return [row.unit for row in chart(year).values()]


def chart_years() -> list[int]:
    """Every year that has an org chart, oldest first."""
    return list(db.session.scalars(db.select(YearUnit.year).distinct().order_by(YearUnit.year)))


def default_year() -> int | None:
    """The year `GET /api/v1/units` answers without `year`: the latest year whose sheets exist,
    else the latest year with a chart (CONTRACT.md: "the latest opened year, as before")."""
    from ..sheets.models import Sheet

    opened = db.session.scalar(db.select(db.func.max(Sheet.year)))
    if opened is not None and chart(opened):
        return opened
    years = chart_years()
    return years[-1] if years else None
