"""The admin's working-day calendar (工作日历): declaring a day a working day or a day off, and
taking a declaration back. Each change is a history step (record kind "calendar", the day as
the record id, e.g. 20180211) and brings the OA deduction records of that year in step in the
same commit, since the 附件5 clock runs on this calendar."""
from datetime import date
from types import SimpleNamespace

from .. import access
from ..audit.admin import record_change
from ..audit.service import record_step
from ..errors import BadRequest, Invalid, NotFound
from ..extensions import db
from ..uow import operation
from ..workflow import steps
from . import oa
from .calendar_models import CalendarDay

HISTORY_KIND = "calendar"


def list_days(year: int | None = None) -> list[CalendarDay]:
    days = db.session.scalars(db.select(CalendarDay).order_by(CalendarDay.day))
    return [d for d in days if year is None or d.day.year == year]


def _label(entry: CalendarDay | None) -> str | None:
    if entry is None:
        return None
    return ("上班" if entry.is_workday else "放假") + (f"（{entry.note}）" if entry.note else "")


def _step(user, day: date, old: str | None, new: str | None) -> None:
    record = SimpleNamespace(id=int(day.strftime("%Y%m%d")))  # the day is the record
    record_step(HISTORY_KIND, record, user, "admin", "edit", field=day.isoformat(), old=old, new=new)
    # An admin's change: it belongs to the admin's audit as well (CONTRACT.md `calendar_changed`).
    record_change(user, "calendar_changed", f"calendar:{day.isoformat()}", old, new)


def _resync(year: int, user) -> None:
    """The OA cases of the year follow the new calendar; a year nobody has entered yet cannot be
    judged, and the entry that makes it known must not be refused for that."""
    try:
        oa.sync(year, user)
    except Invalid as exc:
        if exc.code != "calendar_unknown":
            raise


def parse_day(raw) -> date:
    """A day named in a path or a form, YYYY-MM-DD; 404 for anything else (no such day)."""
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise NotFound("日期格式应为 YYYY-MM-DD") from None


@operation
def set_day(user, day, payload) -> CalendarDay:
    """Declare `day` a working day (调休上班) or a day off (admin): `{"is_workday", "note"}`.
    403 first, then the day (404), the body (400) and its fields (422)."""
    access.require(access.can_edit_calendar(user))
    day = parse_day(day)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    is_workday, note = payload.get("is_workday"), payload.get("note")
    if not isinstance(is_workday, bool):
        raise Invalid("is_workday 必须是 true（上班）或 false（放假）", "invalid_workday")
    note = steps.clean_text(note, "说明", limit=100)
    entry = db.session.get(CalendarDay, day)
    old = _label(entry)
    if entry is None:
        entry = CalendarDay(day=day)
        db.session.add(entry)
    entry.is_workday, entry.note = is_workday, note
    db.session.flush()
    if old != _label(entry):
        _step(user, day, old, _label(entry))
        _resync(day.year, user)
    db.session.commit()
    return entry


@operation
def clear_day(user, day) -> None:
    """Take a declaration back: the day follows the national calendar again (admin)."""
    access.require(access.can_edit_calendar(user))
    day = parse_day(day)
    entry = db.session.get(CalendarDay, day)
    if entry is None:
        raise NotFound("这一天没有设置")
    _step(user, day, _label(entry), None)
    db.session.delete(entry)
    db.session.flush()
    _resync(day.year, user)
    db.session.commit()
