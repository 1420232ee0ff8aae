"""The admin's working-day calendar (工作日历): overrides of chinese_calendar, day by day.

An entry says whether one day is a working day, and wins over chinese_calendar. A year that
chinese_calendar does not know counts as entered once it has at least one entry: then weekends
rest and weekdays work, except for the entries (so the admin enters that year's holidays and
make-up working days, 调休). See `workcal` for the clock built on it.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..scheme.settings import settings_for
from .workcal import OfficeHours, WorkCalendar


class CalendarDay(db.Model):
    """One day the admin has declared a working day (调休上班) or a day off (节假日)."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(100), default="")

    def __repr__(self):
        return f"<CalendarDay {self.day} {'workday' if self.is_workday else 'day off'}>"


def load_overrides() -> dict[date, bool]:
    """All entries as ``{day: is_workday}``, the form `WorkCalendar` takes."""
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.is_workday))
    return {day: bool(working) for day, working in rows}


def office_hours(year: int) -> OfficeHours:
    """The office hours of a year (its settings)."""
    return OfficeHours(settings_for(year).office_hours_spec)


def build_calendar(year: int) -> WorkCalendar:
    """A calendar with the admin's entries and the year's settings (office hours, OA limits, the
    no-client clock). Build one per request or report run; it caches per-year arrays and does
    not see later edits."""
    s = settings_for(year)
    return WorkCalendar(load_overrides(), OfficeHours(s.office_hours_spec), dict(s.oa_limits_minutes),
                        s.no_client_minutes, s.oa_no_client_basis)
