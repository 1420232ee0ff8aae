"""The working-time clock of 附件5 on the real 2018 calendar, its statuses, and its properties.

Pure: no app, no database. (The CalendarDay model is deliberately not imported here, so that
collecting this module does not add a table to the metadata the migration test compares.)
"""
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kaohe_flow.timeutil import LOCAL_TZ
from kaohe_flow.trackers.workcal import (
    DEFAULT_OFFICE_HOURS,
    LIMIT_MINUTES,
    NO_CLIENT_MINUTES,
    CalendarUnknown,
    OfficeHours,
    OfficeHoursError,
    WorkCalendar,
    judge,
    naive_workday_clock_minutes,
    naive_working_minutes,
)

CAL = WorkCalendar()
D = datetime


# ---------------------------------------------------------------- the 2018 calendar


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2018, 2, 11), True),  # Sunday, make-up working day before the Spring Festival
        (date(2018, 2, 24), True),  # Saturday, make-up working day after it
        *[(date(2018, 2, d), False) for d in range(15, 22)],  # Spring Festival 02-15..21
        *[(date(2018, 10, d), False) for d in range(1, 8)],  # National Day 10-01..07
        (date(2018, 5, 16), True),  # an ordinary Wednesday
        (date(2018, 5, 19), False),  # an ordinary Saturday
        (date(2018, 5, 20), False),  # an ordinary Sunday
    ],
)
def test_real_2018_days(day, working):
    assert CAL.is_workday(day) is working


def test_office_hours_default_and_parsing():
    hours = OfficeHours()
    assert str(hours) == DEFAULT_OFFICE_HOURS == "08:30-12:00,13:30-17:30"
    assert hours.intervals == ((510, 720), (810, 1050))
    assert hours.minutes_per_day == 450
    assert OfficeHours(" 13:30－17:30， 8:30-12:00 ") == hours  # any order, full-width punctuation
    assert OfficeHours("00:00-24:00").minutes_per_day == 1440
    assert str(OfficeHours("08:30-12:00,12:00-13:00")) == "08:30-12:00,12:00-13:00"  # touching is fine


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ("", "为空"),
        ("08:30", "开始-结束"),
        ("8:3-12:00", "时:分"),
        ("12:00-08:30", "早于结束"),
        ("08:30-12:00,11:00-13:00", "重叠"),
        ("08:60-12:00", "有效的时间"),
        ("24:30-25:00", "有效的时间"),
        ("０８:30-12:00", "时:分"),
    ],
)
def test_office_hours_errors_say_what_is_wrong(spec, fragment):
    with pytest.raises(OfficeHoursError) as err:
        OfficeHours(spec)
    assert fragment in str(err.value)
    assert isinstance(err.value, ValueError)


# ---------------------------------------------------------------- the clock on real dates


def test_friday_afternoon_to_make_up_sunday():
    # Fri 16:30 → 17:30 is 60 office minutes; Sat 02-10 rests; Sun 02-11 works from 08:30.
    assert CAL.working_minutes(D(2018, 2, 9, 16, 30), D(2018, 2, 11, 9, 0)) == 90
    assert CAL.working_minutes(D(2018, 2, 9, 16, 30), D(2018, 2, 11, 9, 30)) == 120


def test_across_the_spring_festival():
    # Wed 02-14 17:00 → Thu 02-22 09:00: 30 minutes before the holiday, 30 after it.
    assert CAL.working_minutes(D(2018, 2, 14, 17, 0), D(2018, 2, 22, 9, 0)) == 60
    # The whole holiday week costs nothing, on either clock.
    assert CAL.working_minutes(D(2018, 2, 15), D(2018, 2, 22)) == 0
    assert CAL.workday_clock_minutes(D(2018, 2, 15), D(2018, 2, 22)) == 0
    # Sat 02-24 is a make-up working day: a full office day.
    assert CAL.working_minutes(D(2018, 2, 24), D(2018, 2, 25)) == 450


def test_office_hours_edges_and_lunch():
    day = (2018, 5, 16)
    assert CAL.working_minutes(D(*day, 8, 0), D(*day, 8, 30)) == 0
    assert CAL.working_minutes(D(*day, 8, 29), D(*day, 8, 31)) == 1
    assert CAL.working_minutes(D(*day, 11, 30), D(*day, 14, 0)) == 60  # 30 before lunch, 30 after
    assert CAL.working_minutes(D(*day, 12, 0), D(*day, 13, 30)) == 0
    assert CAL.working_minutes(D(*day), D(*day) + timedelta(days=1)) == 450


def test_seconds_are_truncated_on_both_ends():
    day = (2018, 5, 16)
    assert CAL.working_minutes(D(*day, 9, 0, 59), D(*day, 9, 10, 0)) == 10
    assert CAL.working_minutes(D(*day, 9, 0, 0), D(*day, 9, 0, 59, 999999)) == 0
    assert CAL.working_minutes(D(*day, 9, 0, 30), D(*day, 9, 1, 10)) == 1


def test_aware_times_are_read_in_shanghai_and_naive_as_local():
    local = D(2018, 5, 16, 9, 0)
    utc = local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)  # 01:00 UTC
    later = D(2018, 5, 16, 10, 0, tzinfo=LOCAL_TZ)
    assert CAL.working_minutes(utc, later) == 60
    assert CAL.working_minutes(local, later) == 60  # naive and aware may be mixed
    assert CAL.is_workday(D(2018, 5, 18, 17, 0, tzinfo=UTC)) is False  # Sat 01:00 in Shanghai


def test_start_after_end_is_zero():
    assert CAL.working_minutes(D(2018, 5, 16, 10), D(2018, 5, 16, 9)) == 0
    assert CAL.workday_clock_minutes(D(2018, 5, 16, 10), D(2018, 5, 16, 9)) == 0


def test_across_new_year():
    # Fri 2018-12-28 17:00 → Wed 2019-01-02 09:00. 12-29 (Sat) was a make-up working day,
    # 12-30..01-01 holidays: 30 + 450 + 30.
    start, end = D(2018, 12, 28, 17, 0), D(2019, 1, 2, 9, 0)
    assert CAL.working_minutes(start, end) == 510 == naive_working_minutes(CAL, start, end)
    assert CAL.workday_clock_minutes(start, end) == naive_workday_clock_minutes(CAL, start, end)
    assert CAL.working_days(2018) == 250


def test_workday_clock_counts_whole_working_days():
    # Fri 2018-02-09 12:00 → Mon 02-12 12:00: 12 h Fri, Sat rests, 24 h Sun (make-up), 12 h Mon.
    assert CAL.workday_clock_minutes(D(2018, 2, 9, 12), D(2018, 2, 12, 12)) == 48 * 60


def test_other_office_hours():
    cal = WorkCalendar(hours=OfficeHours("09:00-17:00"))
    assert cal.working_minutes(D(2018, 5, 16, 8), D(2018, 5, 17, 10)) == 480 + 60


# ---------------------------------------------------------------- 附件5 statuses


def test_limits():
    assert LIMIT_MINUTES == {"meeting": 180, "other": 480, "test": 480}
    assert NO_CLIENT_MINUTES == 2880


@pytest.mark.parametrize(
    "kind, limit, at_limit",
    [
        ("meeting", 180, D(2018, 5, 14, 11, 30)),  # Mon 08:30 + 3 h
        ("other", 480, D(2018, 5, 15, 9, 0)),  # Mon 08:30 + 450 min, then Tue 08:30 + 30 min
        ("test", 480, D(2018, 5, 15, 9, 0)),
    ],
)
def test_exactly_at_the_limit_is_on_time(kind, limit, at_limit):
    sent = D(2018, 5, 14, 8, 30)  # Monday
    assert CAL.working_minutes(sent, at_limit) == limit
    now = D(2018, 6, 1)
    assert judge(kind, sent, at_limit, now) == ("on_time", limit, limit)
    late = at_limit + timedelta(minutes=1)
    assert judge(kind, sent, late, now) == ("late", limit + 1, limit)
    # Seconds do not count: 59 seconds past the limit is still the limit minute.
    assert judge(kind, sent, at_limit + timedelta(seconds=59), now).status == "on_time"


def test_meeting_notice_late_across_the_weekend():
    # Fri 2018-05-18 16:00 → Mon 05-21 10:30: 90 + 120 = 210 > 180.
    assert judge("meeting", D(2018, 5, 18, 16), D(2018, 5, 21, 10, 30), D(2018, 6, 1)) == ("late", 210, 180)
    # The same delay as an ordinary document is on time.
    assert judge("other", D(2018, 5, 18, 16), D(2018, 5, 21, 10, 30), D(2018, 6, 1)).status == "on_time"


def test_pending_until_48_working_day_hours_then_no_client():
    sent = D(2018, 5, 16, 9, 0)  # Wednesday; Wed 15 h + Thu 24 h + Fri 9 h = 48 h at Fri 09:00
    fri_9 = D(2018, 5, 18, 9, 0)
    assert CAL.workday_clock_minutes(sent, fri_9) == 2880
    assert judge("other", sent, None, fri_9) == ("pending", 420 + 450 + 30, 480)
    assert judge("other", sent, None, fri_9 + timedelta(minutes=1)).status == "no_client"
    # A sign-in exactly at 48 h is within them (late); one minute later it is no_client.
    assert judge("other", sent, fri_9, fri_9).status == "late"
    assert judge("other", sent, fri_9 + timedelta(minutes=1), D(2018, 6, 1)).status == "no_client"


def test_the_48_hours_do_not_run_over_the_spring_festival():
    sent = D(2018, 2, 14, 9, 0)  # Wed; then the holiday 02-15..21
    assert judge("other", sent, None, D(2018, 2, 21, 23, 59)).status == "pending"
    # Wed 15 h + Thu 02-22 24 h + Fri 02-23 9 h = 48 h at 02-23 09:00.
    assert judge("other", sent, None, D(2018, 2, 23, 9, 0)).status == "pending"
    assert judge("other", sent, None, D(2018, 2, 23, 9, 1)).status == "no_client"
    assert judge("other", sent, D(2018, 2, 22, 10, 0), D(2018, 3, 1)).status == "late"


def test_no_client_takes_precedence_over_the_working_limit():
    # With one office hour a day, 180 working minutes take three working days, past 48 h.
    cal = WorkCalendar(hours=OfficeHours("09:00-10:00"))
    sent, signed = D(2018, 5, 14, 9, 0), D(2018, 5, 16, 10, 0)  # Mon 09:00 → Wed 10:00: 49 h
    assert cal.working_minutes(sent, signed) == 180
    assert cal.judge("meeting", sent, signed, D(2018, 6, 1)) == ("no_client", 180, 180)


def test_judge_rejects_bad_input():
    with pytest.raises(ValueError):
        judge("memo", D(2018, 5, 14, 9), D(2018, 5, 14, 10), D(2018, 6, 1))
    with pytest.raises(ValueError):
        judge("other", D(2018, 5, 14, 10), D(2018, 5, 14, 9), D(2018, 6, 1))


# ---------------------------------------------------------------- unknown years and overrides


def test_a_year_nobody_knows_is_refused_in_chinese():
    with pytest.raises(CalendarUnknown) as err:
        CAL.working_minutes(D(2030, 3, 1, 9), D(2030, 3, 1, 10))
    assert err.value.year == 2030
    assert str(err.value) == "2030年的法定节假日和调休安排尚未录入，请管理员在工作日历中录入后再计算"
    with pytest.raises(CalendarUnknown):
        CAL.is_workday(date(2030, 3, 1))
    with pytest.raises(CalendarUnknown):
        judge("other", D(2030, 3, 1, 9), None, D(2030, 3, 2))
    # An interval that reaches into the unknown year is refused too.
    with pytest.raises(CalendarUnknown):
        CAL.working_minutes(D(2018, 12, 31, 9), D(2030, 1, 2, 10))


def test_an_entered_year_works_with_weekends_and_overrides():
    cal = WorkCalendar({date(2030, 1, 1): False, date(2030, 1, 5): True})
    assert cal.is_workday(date(2030, 1, 1)) is False  # Tuesday, entered as a holiday
    assert cal.is_workday(date(2030, 1, 2)) is True  # Wednesday
    assert cal.is_workday(date(2030, 1, 5)) is True  # Saturday, entered as a make-up day
    assert cal.is_workday(date(2030, 1, 6)) is False  # Sunday
    # Tue 01-01 → Mon 01-07: Wed, Thu, Fri, Sat.
    assert cal.working_minutes(D(2030, 1, 1), D(2030, 1, 7)) == 4 * 450
    assert cal.judge("meeting", D(2030, 1, 4, 16), D(2030, 1, 5, 9), D(2030, 2, 1)) == ("on_time", 120, 180)
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2031, 1, 1))  # entering 2030 says nothing about 2031


def test_overrides_win_over_chinese_calendar():
    cal = WorkCalendar({date(2018, 5, 16): False, date(2018, 2, 15): True})
    assert cal.is_workday(date(2018, 5, 16)) is False
    assert cal.is_workday(date(2018, 2, 15)) is True
    assert cal.working_minutes(D(2018, 5, 16), D(2018, 5, 17)) == 0
    assert cal.working_minutes(D(2018, 2, 15), D(2018, 2, 16)) == 450
    assert CAL.working_minutes(D(2018, 5, 16), D(2018, 5, 17)) == 450  # other calendars unaffected


# ---------------------------------------------------------------- properties

START_2018 = D(2018, 1, 1)
MINUTES_2018 = 365 * 24 * 60

# Any second of 2018 (the clocks truncate to minutes, so seconds exercise that too).
moments = st.integers(0, MINUTES_2018 * 60 - 1).map(lambda s: START_2018 + timedelta(seconds=s))
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(a=moments, b=moments)
def test_never_negative_and_bounded(a, b):
    w = CAL.working_minutes(a, b)
    c = CAL.workday_clock_minutes(a, b)
    assert 0 <= w <= c
    assert c <= max(0, int((b.replace(second=0) - a.replace(second=0)).total_seconds() // 60))


@PROPS
@given(points=st.lists(moments, min_size=3, max_size=3))
def test_additive_over_a_split_interval(points):
    a, b, c = sorted(points)
    assert CAL.working_minutes(a, c) == CAL.working_minutes(a, b) + CAL.working_minutes(b, c)
    assert CAL.workday_clock_minutes(a, c) == CAL.workday_clock_minutes(a, b) + CAL.workday_clock_minutes(b, c)


@PROPS
@given(a=moments, b=moments, c=moments)
def test_monotone_in_the_end(a, b, c):
    b, c = sorted((b, c))
    assert CAL.working_minutes(a, b) <= CAL.working_minutes(a, c)
    assert CAL.workday_clock_minutes(a, b) <= CAL.workday_clock_minutes(a, c)


def _next_office_minute(cal: WorkCalendar, t: datetime) -> datetime | None:
    """The first office minute at or after t (t truncated to the minute), by plain search."""
    t = t.replace(second=0, microsecond=0)
    day = t.date()
    for _ in range(30):
        if cal.is_workday(day):
            midnight = datetime.combine(day, datetime.min.time())
            for lo, _hi in cal.hours.intervals:
                candidate = midnight + timedelta(minutes=lo)
                if candidate >= t:
                    return candidate
        day += timedelta(days=1)
    return None


def _in_office(cal: WorkCalendar, t: datetime) -> bool:
    return cal.is_workday(t.date()) and cal.hours.contains(t.hour * 60 + t.minute)


@PROPS
@given(a=moments, fraction=st.floats(0, 1))
def test_zero_outside_office_hours_on_one_non_working_stretch(a, fraction):
    assume(not _in_office(CAL, a))
    nxt = _next_office_minute(CAL, a)
    assert nxt is not None
    b = a + (nxt - a) * fraction  # anywhere up to the next office minute, both ends outside
    assert CAL.working_minutes(a, b) == 0
    assert CAL.working_minutes(a, nxt) == 0
    assert CAL.working_minutes(a, nxt + timedelta(minutes=1)) == 1


@PROPS
@given(a=moments, length=st.integers(0, 3 * 24 * 60 * 60))
def test_equals_the_naive_stepping_clock(a, length):
    b = a + timedelta(seconds=length)
    assert CAL.working_minutes(a, b) == naive_working_minutes(CAL, a, b)
    assert CAL.workday_clock_minutes(a, b) == naive_workday_clock_minutes(CAL, a, b)


@settings(max_examples=40, deadline=None)
@given(
    a=moments,
    length=st.integers(0, 2 * 24 * 60 * 60),
    spec=st.sampled_from(["09:00-17:00", "00:00-24:00", "07:45-08:15,12:00-12:01,23:30-24:00"]),
)
def test_equals_the_naive_clock_with_other_office_hours_and_overrides(a, length, spec):
    cal = WorkCalendar({a.date(): not CAL.is_workday(a.date())}, OfficeHours(spec))
    b = a + timedelta(seconds=length)
    assert cal.working_minutes(a, b) == naive_working_minutes(cal, a, b)


@settings(max_examples=40, deadline=None)
@given(a=moments, length=st.integers(0, 2 * 24 * 60 * 60))
def test_aware_utc_inputs_agree_with_the_naive_clock(a, length):
    b = a + timedelta(seconds=length)
    ua = a.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    ub = b.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    assert CAL.working_minutes(ua, ub) == CAL.working_minutes(a, b) == naive_working_minutes(CAL, ua, ub)


def test_aware_times_before_1991_use_the_zone_rules():
    # 1988 had summer time in Shanghai (+09:00 from 04-17 to 09-11); an entered year is usable.
    cal = WorkCalendar({date(1988, 1, 1): False})
    start = D(1988, 6, 1, 0, 30, tzinfo=UTC)  # 09:30 local (+09:00), a Wednesday
    end = D(1988, 6, 1, 2, 30, tzinfo=UTC)  # 11:30 local
    assert cal.working_minutes(start, end) == 120 == naive_working_minutes(cal, start, end)
    assert cal.working_minutes(D(1988, 6, 1, 9, 30), end) == 120  # naive local start


def test_sign_in_within_the_sending_minute():
    sent = D(2018, 5, 16, 9, 0, 45)
    assert judge("meeting", sent, D(2018, 5, 16, 9, 0, 10), D(2018, 6, 1)) == ("on_time", 0, 180)


def test_a_calendar_change_is_an_admin_audit_entry(api):
    r = api.as_("admin").put("/api/v1/calendar/2018-03-05", json={"is_workday": False, "note": "停电"})
    assert r.status_code == 200, r.get_json()
    items = api.as_("admin").get("/api/v1/audit?action=calendar_changed").get_json()["items"]
    assert [(i["who"], i["object"], i["new"]) for i in items] == [("admin", "calendar:2018-03-05", "放假（停电）")]
