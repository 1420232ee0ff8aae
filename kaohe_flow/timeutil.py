"""Times: stored in UTC, shown in the bureau's local time (Asia/Shanghai)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime; SQLite hands back naive ones that were stored as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def local_iso(value: datetime | None) -> str | None:
    """ISO 8601 in the bureau's local time, as the API promises."""
    value = as_utc(value)
    return value.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if value else None


def local_display(value: datetime | None) -> str:
    """A short local time for pages: 2018-12-20 14:05."""
    value = as_utc(value)
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def parse_year(raw) -> int | None:
    """A year from a query string: ASCII digits, 1–9999; None otherwise."""
    raw = str(raw).strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        return None
    year = int(raw)
    return year if year >= 1 else None


def parse_int(raw, maximum: int = 2**31 - 1) -> int | None:
    """A non-negative integer from a form field, or None (never an exception)."""
    raw = str(raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    value = int(raw)
    return value if value <= maximum else None


def local_today():
    """The bureau's date today (Asia/Shanghai)."""
    return utcnow().astimezone(LOCAL_TZ).date()
