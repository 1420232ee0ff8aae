"""The admin's working-day calendar (工作日历): overrides of chinese_calendar, day by day.

An entry says whether one day is a working day, and wins over chinese_calendar. A year that
chinese_calendar does not know counts as entered once it has at least one entry: then weekends
rest and weekdays work, except for the entries (so the admin enters that year's holidays and
make-up working days, 调休). See `workcal` for the clock built on it.
"""
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .workcal import DEFAULT_OFFICE_HOURS, OfficeHours, WorkCalendar

#: The app setting that holds the office hours, e.g. "08:30-12:00,13:30-17:30".
OFFICE_HOURS_SETTING = "OA_OFFICE_HOURS"


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


def office_hours() -> OfficeHours:
    """The office hours of the running app (setting `OA_OFFICE_HOURS`, else the default)."""
    return OfficeHours(current_app.config.get(OFFICE_HOURS_SETTING) or DEFAULT_OFFICE_HOURS)


def build_calendar() -> WorkCalendar:
    """A calendar with the admin's entries and the app's office hours (one query). Build one per
    request or report run; it caches per-year arrays and does not see later edits."""
    return WorkCalendar(load_overrides(), office_hours())
