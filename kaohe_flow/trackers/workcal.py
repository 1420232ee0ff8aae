"""The working-time clock of 附件5 (OA sign-in timeliness), on the real Chinese calendar.

Pure and fast: no database, no Flask. The admin's calendar overrides (model `CalendarDay`) are
passed in as a plain ``{date: is_workday}`` dict; `calendar_models.build_calendar()` does that.

Which days are working days
    An override decides first; otherwise ``chinese_calendar.is_workday``, which knows the public
    holidays *and* the make-up working days on weekends (调休: Sunday 2018-02-11 and Saturday
    2018-02-24 were working days, 2018-02-15..21 and 2018-10-01..07 were holidays). For a year
    chinese_calendar does not know, the year is usable only once the admin has entered it, i.e.
    at least one override falls in that year: then Monday–Friday work and weekends rest, except
    for the overrides. Otherwise `CalendarUnknown` is raised, with a message for people.

Times
    Aware datetimes are converted to Asia/Shanghai (``timeutil.LOCAL_TZ``); naive datetimes are
    taken as *local* time already. Values read back from SQLite are naive UTC: pass them through
    ``timeutil.as_utc`` first. Naive and aware values may be mixed. Both ends are truncated to the whole minute (seconds and
    microseconds dropped) *before* counting, so every count is a difference of two positions on
    a minute grid: 09:00:59 → 09:10:00 is 10 minutes, 09:00:00 → 09:00:59 is 0. This keeps the
    counts exactly additive (w(a, c) == w(a, b) + w(b, c) for a <= b <= c) and monotone. A start
    later than the end counts 0.

How it is fast
    Each end becomes an integer: whole local minutes since 0001-01-01 (for aware times after
    Shanghai's last summer time, in 1991, this is UTC minutes + 480, with no astimezone()). For
    each year (built lazily, once, cached per calendar) an array holds, for every day, the
    number of working days before it in the year. The office minutes before a moment are then
    ``working_days_before × minutes_per_office_day + office minutes of that day before the minute``
    (the last term is a lookup in a 1441-entry table built from the office hours). A count is the
    difference of two such positions — O(1) per call (plus one term per New Year crossed). The
    48-hour clock uses the same arrays with 1440 minutes per working day. Never minute stepping:
    `naive_working_minutes` does that, as the reference for tests and ``bench/oa_clock_bench.py``.

附件5 as DOMAIN.md reads it (`judge`), with 2018's settings — every number below (limits, the 48
hours and whether they count working days only) is a setting of the year, passed in by the app
    - Limits: 3 working hours (180 min) for a meeting notice ``"meeting"``, 8 (480 min) for any
      other document ``"other"`` and for test documents ``"test"``. A sign-in exactly at the limit
      is on time.
    - The 48 hours of "未签收将被视为未安装OA客户端" are counted on working days only (00:00–24:00
      of each working day), so they mean two full working days (2880 minutes); a seven-day
      holiday does not brand everyone "no client".
    - Precedence: a sign-in that came after those 48 hours is ``no_client`` (it costs double),
      even if — with unusually short office hours — it was within the working-hour limit. The
      48-hour rule is the harsher, later finding, and the seed says a document not signed
      within 48 hours *is* treated as "client not installed"; it does not say a later sign-in
      undoes that. A sign-in at exactly 48 hours is still within them (``late`` or ``on_time``).
    - Unsigned: ``pending`` while at most 48 hours have run at ``now``, then ``no_client``. This
      is the same boundary as for signed documents: unsigned at ``now`` is ``no_client`` exactly
      when a sign-in at ``now`` would be. While unsigned, ``working_minutes`` runs to ``now``.
    - A sign-in in an earlier minute than the sending is a data error (ValueError); in the same
      minute it counts 0 minutes.
"""
from __future__ import annotations

import calendar as _stdcal
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import chinese_calendar
import yaml

from ..timeutil import LOCAL_TZ

# The numbers of 附件5 are settings of the year (`scheme.settings`, table `year_settings`); the app
# passes them in (`calendar_models.build_calendar(year)`). A calendar built without them (tests,
# the benchmark) uses the seed's values, read from the seed's settings file — never from code.
_SEED = yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "settings_2018.yaml")
                       .read_text(encoding="utf-8"))
DEFAULT_OFFICE_HOURS = ",".join(f"{a}-{b}" for a, b in _SEED["office_hours"])
#: Working-minute limits per document kind (附件5 item 3; test documents per DOMAIN.md).
LIMIT_MINUTES = dict(_SEED["oa_limits_minutes"])
#: The no-client clock: minutes, and whether they run on working days only (DOMAIN.md's reading:
#: 48 hours are two full working days) or on the calendar.
NO_CLIENT_MINUTES = int(_SEED["oa_no_client_hours"]) * 60
NO_CLIENT_BASIS = _SEED["oa_no_client_basis"]
BASES = ("working", "calendar")

STATUSES = ("on_time", "late", "no_client", "pending")

_DAY = 24 * 60
_ONE_MINUTE = timedelta(minutes=1)


# --------------------------------------------------------------------------- office hours


class OfficeHoursError(ValueError):
    """An office-hours setting that cannot be read; the message is for the admin."""


def _parse_hhmm(raw: str, whole: str, part: str) -> int:
    """Minutes since midnight of "HH:MM" (00:00–24:00)."""
    hh, sep, mm = raw.partition(":")
    if not (sep and hh.isascii() and hh.isdigit() and 1 <= len(hh) <= 2
            and mm.isascii() and mm.isdigit() and len(mm) == 2):
        raise OfficeHoursError(
            f"办公时间设置“{whole}”有误：“{part}”中的“{raw}”不是“时:分”格式的时间（如 08:30）。"
        )
    h, m = int(hh), int(mm)
    if m >= 60 or h > 24 or (h == 24 and m != 0):
        raise OfficeHoursError(f"办公时间设置“{whole}”有误：“{raw}”不是有效的时间（00:00–24:00）。")
    return h * 60 + m


class OfficeHours:
    """The bureau's office hours, from a setting such as ``"08:30-12:00,13:30-17:30"``.

    Periods are separated by commas, each ``HH:MM-HH:MM`` with start < end (24:00 is allowed as an
    end); periods may come in any order but must not overlap (touching is fine). Full-width
    punctuation (，：－～) is accepted. Each period covers the minutes [start, end).
    Raises `OfficeHoursError` (a ValueError) with a message naming the faulty part.
    """

    __slots__ = ("_before", "intervals", "minutes_per_day")

    def __init__(self, spec: str = DEFAULT_OFFICE_HOURS):
        if not isinstance(spec, str):
            raise OfficeHoursError("办公时间设置应为文本，如 08:30-12:00,13:30-17:30。")
        whole = spec.strip()
        text = (whole.replace("，", ",").replace("；", ",").replace(";", ",").replace("：", ":")
                .replace("－", "-").replace("–", "-").replace("—", "-").replace("~", "-").replace("～", "-"))
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts:
            raise OfficeHoursError("办公时间设置为空，应如 08:30-12:00,13:30-17:30。")
        intervals = []
        for part in parts:
            pieces = [p.strip() for p in part.split("-")]
            if len(pieces) != 2:
                raise OfficeHoursError(
                    f"办公时间设置“{whole}”有误：“{part}”应为“开始-结束”，如 08:30-12:00。"
                )
            start = _parse_hhmm(pieces[0], whole, part)
            end = _parse_hhmm(pieces[1], whole, part)
            if start >= end:
                raise OfficeHoursError(
                    f"办公时间设置“{whole}”有误：“{part}”的开始时间应早于结束时间。"
                )
            intervals.append((start, end))
        intervals.sort()
        for (a0, a1), (b0, b1) in pairwise(intervals):
            if b0 < a1:
                raise OfficeHoursError(
                    f"办公时间设置“{whole}”有误：时段 {_fmt(a0)}-{_fmt(a1)} 与 {_fmt(b0)}-{_fmt(b1)} 重叠。"
                )
        self.intervals: tuple[tuple[int, int], ...] = tuple(intervals)
        # _before[m] = office minutes in [00:00, m) of a working day, m = 0..1440.
        before = [0] * (_DAY + 1)
        inside = bytearray(_DAY)
        for a, b in intervals:
            inside[a:b] = b"\x01" * (b - a)
        running = 0
        for m in range(_DAY):
            before[m] = running
            running += inside[m]
        before[_DAY] = running
        self._before: tuple[int, ...] = tuple(before)
        self.minutes_per_day: int = running

    def minutes_before(self, minute_of_day: int) -> int:
        """Office minutes of a working day before the given minute (0–1440)."""
        return self._before[minute_of_day]

    def contains(self, minute_of_day: int) -> bool:
        """Whether the minute [m, m+1) of a working day is office time."""
        return any(a <= minute_of_day < b for a, b in self.intervals)

    def __str__(self) -> str:
        return ",".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in self.intervals)

    def __repr__(self) -> str:
        return f"OfficeHours({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, OfficeHours) and other.intervals == self.intervals

    def __hash__(self) -> int:
        return hash(self.intervals)


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


DEFAULT_HOURS = OfficeHours()


# --------------------------------------------------------------------------- calendar


class CalendarUnknown(Exception):
    """A year whose holidays and make-up working days are neither in chinese_calendar nor entered."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(f"{year}年的法定节假日和调休安排尚未录入，请管理员在工作日历中录入后再计算")


class Judgement(NamedTuple):
    """What `judge` finds for one recipient of one document."""

    status: str  # on_time | late | no_client | pending
    working_minutes: int  # sent → signed (or → now while unsigned)
    limit_minutes: int


def _local(value: datetime) -> datetime:
    """The local (Asia/Shanghai) wall time of a datetime, naive; naive values are taken as local."""
    if value.tzinfo is None:
        return value
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None)


_EPOCH = datetime(1, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
# Shanghai has kept +08:00 without summer time since its last DST ended at this instant; from
# then on local minutes are UTC minutes + 480, which is much cheaper than astimezone().
_FIXED_SINCE = datetime(1991, 9, 14, 17, tzinfo=UTC)
_FIXED_OFFSET = 8 * 60


def _local_minute(value: datetime) -> int:
    """Whole local minutes since 0001-01-01 00:00 (seconds truncated): the clocks' grid."""
    if value.tzinfo is None:
        return (value - _EPOCH) // _ONE_MINUTE
    if value >= _FIXED_SINCE:
        return (value - _EPOCH_UTC) // _ONE_MINUTE + _FIXED_OFFSET
    return (_local(value) - _EPOCH) // _ONE_MINUTE


class _Year(NamedTuple):
    year: int
    first: int  # date.toordinal() of 1 January
    end: int  # date.toordinal() of the next 1 January
    before: list  # before[i] = working days before day i of the year (i = 0..days); before[-1] = total
    flags: bytes  # flags[i] = 1 if day i is a working day


class WorkCalendar:
    """Working days and the working-time clock.

    ``overrides`` maps dates to whether they are working days (the admin's table, which wins
    over chinese_calendar); ``hours`` are the office hours. Immutable once built; per-year
    arrays are computed on first use and cached. Build a new calendar after the overrides or
    the office hours change.
    """

    def __init__(self, overrides: dict[date, bool] | None = None, hours: OfficeHours = DEFAULT_HOURS,
                 limits: dict[str, int] | None = None, no_client_minutes: int = NO_CLIENT_MINUTES,
                 no_client_basis: str = NO_CLIENT_BASIS):
        if isinstance(hours, str):
            hours = OfficeHours(hours)
        if no_client_basis not in BASES:
            raise ValueError(f"no_client_basis must be one of {BASES}, not {no_client_basis!r}")
        self.hours = hours
        self.limits: dict[str, int] = dict(LIMIT_MINUTES if limits is None else limits)
        self.no_client_minutes = int(no_client_minutes)
        self.no_client_basis = no_client_basis
        self._overrides: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            if isinstance(day, datetime):
                day = day.date()
            self._overrides[day] = bool(working)
        self._override_years = frozenset(d.year for d in self._overrides)
        self._years: dict[int, _Year] = {}
        self._last = _Year(0, 0, 0, [0], b"")  # the year used last: most calls stay in one year

    # ---- days

    def is_workday(self, day: date) -> bool:
        """Whether a day is a working day (override, else chinese_calendar, else weekday rule for
        an entered year); raises `CalendarUnknown` for a year nobody knows."""
        if isinstance(day, datetime):
            day = _local(day).date()
        working = self._overrides.get(day)
        if working is not None:
            return working
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year in self._override_years:
                return day.weekday() < 5
            raise CalendarUnknown(day.year) from None

    def check_year(self, year: int) -> None:
        """Raise `CalendarUnknown` unless the year can be computed."""
        self._year(year)

    def _year(self, year: int) -> _Year:
        data = self._years.get(year)
        if data is None:
            data = self._build(year)
            self._years[year] = data
        return data

    def _build(self, year: int) -> _Year:
        first = date(year, 1, 1).toordinal()
        days = 366 if _stdcal.isleap(year) else 365
        flags = bytearray(days)
        before = [0] * (days + 1)
        count = 0
        for i in range(days):
            before[i] = count
            if self.is_workday(date.fromordinal(first + i)):
                flags[i] = 1
                count += 1
        before[days] = count
        return _Year(year, first, first + days, before, bytes(flags))

    def working_days(self, year: int) -> int:
        """The number of working days in a year."""
        return self._year(year).before[-1]

    # ---- positions on the minute grid

    def _between(self, ms: int, me: int, per_day: int, part) -> int:
        """Minutes of [ms, me) (local grid minutes, see _local_minute), weighing each minute of a
        working day by part[minute of day + 1] - part[minute of day] and a day off by nothing."""
        if me <= ms:
            return 0
        os_, m = divmod(ms, _DAY)
        os_ += 1  # date ordinals start at 1
        ys = self._last
        if not ys.first <= os_ < ys.end:
            ys = self._year_of(os_)
        i = os_ - ys.first
        ps = ys.before[i] * per_day + (part[m] if ys.flags[i] else 0)
        oe, m = divmod(me, _DAY)
        oe += 1
        ye = ys
        if not ye.first <= oe < ye.end:
            ye = self._year_of(oe)
            for y in range(ys.year, ye.year):  # whole years crossed: count from 1 January of ye
                ps -= self._year(y).before[-1] * per_day
        j = oe - ye.first
        return ye.before[j] * per_day + (part[m] if ye.flags[j] else 0) - ps

    def _year_of(self, ordinal: int) -> _Year:
        data = self._year(date.fromordinal(ordinal).year)
        self._last = data
        return data

    def working_minutes(self, start: datetime, end: datetime) -> int:
        """Office minutes of working days in [start, end), both truncated to the minute."""
        hours = self.hours
        return self._between(_local_minute(start), _local_minute(end), hours.minutes_per_day, hours._before)

    def workday_clock_minutes(self, start: datetime, end: datetime) -> int:
        """Clock minutes in [start, end) that fall on working days (00:00–24:00 of each), both
        ends truncated to the minute — the 48-hour clock of 附件5 as DOMAIN.md reads it."""
        return self._between(_local_minute(start), _local_minute(end), _DAY, _IDENTITY)

    # ---- 附件5

    def judge(self, kind: str, sent_at: datetime, signed_at: datetime | None, now: datetime) -> Judgement:
        """The status of one sign-in under 附件5 (see the module docstring for the reading).

        ``working_minutes`` is sent → signed, or sent → now while unsigned. Raises ValueError
        for an unknown kind or a sign-in before the document was sent, `CalendarUnknown` for a
        year nobody has entered.
        """
        try:
            limit = self.limits[kind]
        except (KeyError, TypeError):
            raise ValueError(f"unknown document kind {kind!r}; expected one of {sorted(self.limits)}") from None
        hours = self.hours
        ms = _local_minute(sent_at)
        if signed_at is None:
            me = _local_minute(now)
            worked = self._between(ms, me, hours.minutes_per_day, hours._before)
            return Judgement("no_client" if self._no_client(ms, me) else "pending", worked, limit)
        me = _local_minute(signed_at)
        if me < ms:  # an earlier minute; within the same minute both count as that minute
            raise ValueError("签收时间早于发送时间")
        worked = self._between(ms, me, hours.minutes_per_day, hours._before)
        if self._no_client(ms, me):
            status = "no_client"
        elif worked <= limit:
            status = "on_time"
        else:
            status = "late"
        return Judgement(status, worked, limit)


    def _no_client(self, ms: int, me: int) -> bool:
        """Whether more than the no-client time has run between two grid minutes."""
        if self.no_client_basis == "calendar":
            return me - ms > self.no_client_minutes
        return self._between(ms, me, _DAY, _IDENTITY) > self.no_client_minutes


_IDENTITY = tuple(range(_DAY + 1))

_default_calendar: WorkCalendar | None = None


def default_calendar() -> WorkCalendar:
    """A shared calendar without overrides and with the default office hours."""
    global _default_calendar
    if _default_calendar is None:
        _default_calendar = WorkCalendar()
    return _default_calendar


def judge(kind: str, sent_at: datetime, signed_at: datetime | None, now: datetime,
          calendar: WorkCalendar | None = None) -> Judgement:
    """`WorkCalendar.judge` on the given calendar (default: no overrides, default office hours).
    In the app, pass the calendar from `calendar_models.build_calendar()` so admin overrides count."""
    return (calendar or default_calendar()).judge(kind, sent_at, signed_at, now)


# --------------------------------------------------------------------------- reference clocks


def _steps(start: datetime, end: datetime):
    """Each whole local minute in [start, end), both truncated to the minute."""
    t = _local(start).replace(second=0, microsecond=0)
    e = _local(end).replace(second=0, microsecond=0)
    while t < e:
        yield t
        t += _ONE_MINUTE


def naive_working_minutes(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Reference clock for tests and the benchmark: steps minute by minute and asks, for each,
    whether its day is a working day (`cal.is_workday`, asked again only when the day changes)
    and whether it lies within an office-hours period. Slow on purpose; never use in the app."""
    count = 0
    last_day, working = None, False
    for t in _steps(start, end):
        day = t.date()
        if day != last_day:
            last_day, working = day, cal.is_workday(day)
        if working and cal.hours.contains(t.hour * 60 + t.minute):
            count += 1
    return count


def naive_workday_clock_minutes(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Reference for `workday_clock_minutes`, stepping minute by minute (tests only)."""
    count = 0
    last_day, working = None, False
    for t in _steps(start, end):
        day = t.date()
        if day != last_day:
            last_day, working = day, cal.is_workday(day)
        count += working
    return count
