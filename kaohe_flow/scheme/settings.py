"""A year's settings: the readings of DOMAIN.md ("each one a setting of the year") as data.

Stored per year in `year_settings` (model `YearSettingsRow`, `values` in the API's shape) and
read through `settings_for(year)`: a typed, frozen `YearSettings` (Decimal for points,
`datetime.time` for office hours), cached per request. 2018's values come from
`data/settings_2018.yaml` (the seed, and migration 0008 for an existing database); no number of
them lives in code. A year without a row of its own (a scheme loaded from a file without a
settings file) reads the seed file's values until the admin saves its settings.

`update_settings` is the admin's PUT: partial, validated (422 `invalid_settings` naming the
key), refused for the scheme-shaping keys once the year's sheets have left `draft` (409
`year_opened`), audited (`settings_changed`), and bringing the year's derived OA and 附件4
deduction records in step in the same commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from types import MappingProxyType

from flask import g
from sqlalchemy.orm.exc import StaleDataError

from .. import access
from ..errors import Conflict, Forbidden, Invalid, NotFound, stale
from ..extensions import db
from ..points import PointsError, fmt_points, parse_points
from ..uow import operation
from .loader import DATA_DIR, read_yaml
from .models import Scheme, YearSettingsRow

#: The keys, in the order of the page, with their labels for people.
LABELS = {
    "office_hours": "办公时间",
    "oa_limits_minutes": "OA签收时限（工作分钟）",
    "oa_no_client_hours": "视为未安装客户端的时限（小时）",
    "oa_no_client_basis": "上述时限的计算方式",
    "oa_no_client_factor": "未安装客户端的扣分倍数",
    "info_yearly_minimum_points": "全年信息报送未达最低数的扣分",
    "gov_affairs_points": "政务信息每项不足的扣分",
    "bonus_cap": "特别附加分上限",
    "appeal_days": "申诉期限（扣分记录登记后的天数）",
    "due_soon_days": "到期提醒提前天数",
}
KEYS = tuple(LABELS)
LIMIT_KINDS = {"meeting": "会议通知", "other": "其他文件", "test": "测试文件"}
BASES = {"working": "按工作日计（每个工作日 0:00–24:00）", "calendar": "按自然时间计"}

#: Keys that shape how the year's sheets are scored: the judging numbers of the OA and 附件4
#: trackers and the bonus cap. Once a sheet of the year has left `draft` they no longer change
#: (409 `year_opened`): points already applied to signed sheets never move silently. Office
#: hours are the bureau's facts, like the working-day calendar: they may change at any time,
#: audited, and the OA records follow in the same commit.
#: Keys of the year's procedure, not of its scoring: they change at any time (audited) and no
#: derived record depends on them.
PROCEDURAL = frozenset({"appeal_days", "due_soon_days"})
SHAPING = frozenset(KEYS) - {"office_hours"} - PROCEDURAL
#: What a year whose stored values predate a key reads for it (a row saved before the key existed).
DEFAULTS = {"appeal_days": 5, "due_soon_days": 3}

SEED_FILE = "settings_{year}.yaml"
SEED_YEAR_FILE = DATA_DIR / "settings_2018.yaml"


@dataclass(frozen=True)
class YearSettings:
    """One year's settings, typed and immutable."""

    year: int
    office_hours: tuple[tuple[time, time], ...]
    oa_limits_minutes: MappingProxyType  # kind → working minutes
    oa_no_client_hours: int
    oa_no_client_basis: str  # working | calendar
    oa_no_client_factor: int
    info_yearly_minimum_points: Decimal
    gov_affairs_points: Decimal
    bonus_cap: Decimal | None
    appeal_days: int = 5  # calendar days after a deduction record's creation (issue 9)
    due_soon_days: int = 3  # a record turns amber this many days before its deadline (issue 9)
    stored: bool = True  # False: the year has no row yet and reads the seed file's values

    @property
    def office_hours_spec(self) -> str:
        """The office hours as the clock reads them, e.g. "08:30-12:00,13:30-17:30"."""
        return ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in self.office_hours)

    @property
    def office_hours_text(self) -> str:
        return "、".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in self.office_hours)

    @property
    def no_client_minutes(self) -> int:
        return self.oa_no_client_hours * 60

    def json(self) -> dict:
        """The API's shape (CONTRACT.md): hours as "HH:MM", points as decimal strings."""
        return {
            "office_hours": [[_hhmm(a), _hhmm(b)] for a, b in self.office_hours],
            "oa_no_client_hours": self.oa_no_client_hours,
            "oa_no_client_basis": self.oa_no_client_basis,
            "oa_limits_minutes": dict(self.oa_limits_minutes),
            "oa_no_client_factor": self.oa_no_client_factor,
            "info_yearly_minimum_points": fmt_points(self.info_yearly_minimum_points),
            "gov_affairs_points": fmt_points(self.gov_affairs_points),
            "bonus_cap": fmt_points(self.bonus_cap),
            "appeal_days": self.appeal_days,
            "due_soon_days": self.due_soon_days,
        }


def _hhmm(moment: time) -> str:
    return "24:00" if moment == time.max else f"{moment.hour:02d}:{moment.minute:02d}"


# ------------------------------------------------------------------------------ validation


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, f"{LABELS.get(key, key)}（{key}）：{message}")


def _time(raw, errors: _Errors, key: str) -> time | None:
    if not isinstance(raw, str):
        errors.add(key, f"“{raw}”不是“时:分”格式的时间（如 08:30）")
        return None
    hh, sep, mm = raw.strip().partition(":")
    if not (sep and hh.isascii() and hh.isdigit() and 1 <= len(hh) <= 2
            and mm.isascii() and mm.isdigit() and len(mm) == 2):
        errors.add(key, f"“{raw}”不是“时:分”格式的时间（如 08:30）")
        return None
    h, m = int(hh), int(mm)
    if m >= 60 or h > 24 or (h == 24 and m != 0):
        errors.add(key, f"“{raw}”不是有效的时间（00:00–24:00）")
        return None
    return time.max if h == 24 else time(h, m)


def _office_hours(raw, errors: _Errors):
    key = "office_hours"
    if not isinstance(raw, list) or not raw or len(raw) > 12:
        errors.add(key, "应为 1 至 12 个时段的列表，如 [[\"08:30\", \"12:00\"], [\"13:30\", \"17:30\"]]")
        return None
    periods = []
    for n, pair in enumerate(raw, 1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            errors.add(key, f"第 {n} 个时段应为 [开始, 结束]，如 [\"08:30\", \"12:00\"]")
            return None
        start, end = _time(pair[0], errors, key), _time(pair[1], errors, key)
        if start is None or end is None:
            return None
        if start >= end:
            errors.add(key, f"第 {n} 个时段 {_hhmm(start)}–{_hhmm(end)} 的开始时间应早于结束时间")
            return None
        if periods and start < periods[-1][1]:
            a, b = periods[-1]
            errors.add(key, f"第 {n} 个时段 {_hhmm(start)}–{_hhmm(end)} 与前一时段 {_hhmm(a)}–{_hhmm(b)} "
                            "重叠或顺序颠倒：时段应按时间先后排列且互不重叠")
            return None
        periods.append((start, end))
    return tuple(periods)


def _whole(raw, errors: _Errors, key: str, low: int, high: int, label: str = "") -> int | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        errors.add(key, f"{label}应为 {low} 至 {high} 之间的整数")
        return None
    return raw


def _points(raw, errors: _Errors, key: str, nullable: bool = False) -> Decimal | None:
    if raw is None and nullable:
        return None
    try:
        value = parse_points(raw, "")
    except PointsError as exc:
        errors.add(key, f"应为分值（如 \"1\" 或 \"0.5\"）{'或 null（不设上限）' if nullable else ''}：{exc}")
        return None
    if value < 0:
        errors.add(key, "不能为负数")
        return None
    return value


def _limits(raw, current: dict, errors: _Errors):
    key = "oa_limits_minutes"
    if not isinstance(raw, dict) or not raw:
        errors.add(key, "应为对象，如 {\"meeting\": 180, \"other\": 480, \"test\": 480}")
        return None
    unknown = [k for k in raw if k not in LIMIT_KINDS]
    if unknown:
        errors.add(key, f"未知的文件类型 {', '.join(map(str, unknown))}（应为 meeting、other、test）")
        return None
    merged = dict(current)
    for kind, minutes in raw.items():
        value = _whole(minutes, errors, key, 1, 100000, f"{LIMIT_KINDS[kind]}（{kind}）的时限")
        if value is None:
            return None
        merged[kind] = value
    return merged


def parse(payload, current: dict) -> dict:
    """The changed keys of a PUT body, checked and merged into `current` (the API's shape):
    answers the full new values in the API's shape. 422 `invalid_settings` names every faulty key
    (`fields` carries one message per key, for the page)."""
    if not isinstance(payload, dict):
        raise Invalid("请求体必须是 JSON 对象", "invalid_settings")
    errors = _Errors()
    payload = dict(payload)
    version = payload.pop("version", None)  # the API's usual field; a key's change is whole, no merge to guard
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        errors["version"] = "version 应为整数（可省略）"
    unknown = [str(k) for k in payload if k not in LABELS]
    if unknown:
        errors["_unknown"] = f"未知的设置项：{', '.join(unknown)}（可设置：{', '.join(KEYS)}）"
    new = dict(current)
    for key, raw in payload.items():
        if key == "office_hours":
            value = _office_hours(raw, errors)
            if value is not None:
                new[key] = [[_hhmm(a), _hhmm(b)] for a, b in value]
        elif key == "oa_limits_minutes":
            value = _limits(raw, current.get(key) or {}, errors)
            if value is not None:
                new[key] = value
        elif key == "oa_no_client_hours":
            value = _whole(raw, errors, key, 1, 720)
            if value is not None:
                new[key] = value
        elif key == "oa_no_client_basis":
            if not isinstance(raw, str) or raw not in BASES:
                errors.add(key, "应为 working（按工作日计）或 calendar（按自然时间计）")
            else:
                new[key] = raw
        elif key == "oa_no_client_factor":
            value = _whole(raw, errors, key, 1, 10)
            if value is not None:
                new[key] = value
        elif key == "appeal_days":
            value = _whole(raw, errors, key, 1, 366)
            if value is not None:
                new[key] = value
        elif key == "due_soon_days":
            value = _whole(raw, errors, key, 0, 60)
            if value is not None:
                new[key] = value
        elif key in ("info_yearly_minimum_points", "gov_affairs_points", "bonus_cap"):
            value = _points(raw, errors, key, nullable=key == "bonus_cap")
            if value is not None or (key == "bonus_cap" and raw is None):
                new[key] = fmt_points(value)
    if errors:
        raise Invalid("年度设置有误：" + "；".join(errors.values()), "invalid_settings", fields=dict(errors))
    return new


def from_values(year: int, values: dict, stored: bool = True) -> YearSettings:
    """The typed settings of stored values (API shape). Values that fail the checks are a
    data error (the seed file, or a row written behind the app's back)."""
    values = {**DEFAULTS, **values}
    missing = [k for k in KEYS if k not in values]
    if missing:
        raise Invalid(f"{year}年度设置缺少 {', '.join(missing)}", "invalid_settings")
    checked = parse({k: values[k] for k in KEYS}, {"oa_limits_minutes": {}})
    limits = checked["oa_limits_minutes"]
    if set(limits) != set(LIMIT_KINDS):
        raise Invalid(f"{year}年度设置的 oa_limits_minutes 应给出 meeting、other、test", "invalid_settings")
    hours = _office_hours(checked["office_hours"], _Errors())
    return YearSettings(
        year=year, office_hours=hours, oa_limits_minutes=MappingProxyType(dict(limits)),
        oa_no_client_hours=checked["oa_no_client_hours"], oa_no_client_basis=checked["oa_no_client_basis"],
        oa_no_client_factor=checked["oa_no_client_factor"],
        info_yearly_minimum_points=parse_points(checked["info_yearly_minimum_points"]),
        gov_affairs_points=parse_points(checked["gov_affairs_points"]),
        bonus_cap=parse_points(checked["bonus_cap"]) if checked["bonus_cap"] is not None else None,
        appeal_days=checked["appeal_days"], due_soon_days=checked["due_soon_days"], stored=stored,
    )


# ------------------------------------------------------------------------------ reading


def seed_values(year: int | None = None) -> dict | None:
    """A year's settings file (`data/settings_<year>.yaml`) as values in the API's shape; without
    a year, the seed's (2018's) file. None when the file does not exist."""
    path = SEED_YEAR_FILE if year is None else DATA_DIR / SEED_FILE.format(year=year)
    if not path.exists():
        return None
    data = read_yaml(path)
    return {k: data[k] for k in KEYS if k in data}


def year_known(year: int) -> bool:
    """A year exists once it has settings or a scheme."""
    return (db.session.get(YearSettingsRow, year) is not None
            or db.session.scalar(db.select(Scheme.id).filter_by(year=year)) is not None)


def settings_for(year: int) -> YearSettings:
    """The year's settings, typed and frozen, read once per request (or app context)."""
    cache = g.setdefault("_year_settings", {})
    found = cache.get(year)
    if found is None:
        row = db.session.get(YearSettingsRow, year)
        if row is not None:
            found = from_values(year, row.values)
        else:
            found = from_values(year, seed_values(), stored=False)
        cache[year] = found
    return found


def forget(year: int | None = None) -> None:
    """Drop the request's cached settings (after a change)."""
    cache = g.get("_year_settings")
    if cache is not None:
        cache.pop(year, None) if year is not None else cache.clear()


def load_settings(values: dict, year: int) -> YearSettingsRow:
    """Create or replace a year's settings from a data file (the seed); idempotent."""
    checked = from_values(year, values).json()
    row = db.session.get(YearSettingsRow, year)
    if row is None:
        row = YearSettingsRow(year=year, values=checked)
        db.session.add(row)
    elif row.values != checked:
        row.values = checked
    db.session.flush()
    forget(year)
    return row


def copy_settings(from_year: int, to_year: int) -> YearSettingsRow:
    """A new year's settings, a copy of `from_year`'s (`POST /years` with `copy_from`); in the
    caller's unit of work, which audits the year's creation."""
    row = db.session.get(YearSettingsRow, to_year)
    values = settings_for(from_year).json()
    if row is None:
        row = YearSettingsRow(year=to_year, values=values)
        db.session.add(row)
    else:
        row.values = values
    db.session.flush()
    forget(to_year)
    return row


# ------------------------------------------------------------------------------ the admin's PUT


def get_settings(user, year: int) -> YearSettings:
    """Every signed-in user reads a year's settings (they explain the reports); 404 for a year
    that does not exist."""
    if not year_known(year):
        raise NotFound(f"没有{year}年度")
    return settings_for(year)


def year_opened(year: int) -> bool:
    """Whether any sheet of the year has left `draft`."""
    from ..sheets.models import Sheet

    return db.session.scalar(
        db.select(Sheet.id).where(Sheet.year == year, Sheet.state != "draft").limit(1)) is not None


def _check_against_rules(year: int, new: dict) -> None:
    """Points a tracker charges are whole numbers of cases under a rule of the scheme: the
    yearly minimum under the 附件4 rule, 政务信息 under the quota file's 政务信息 rule."""
    from ..trackers.info_quotas import info_year

    iy = info_year(year)
    if iy is None:
        return
    errors = _Errors()
    yearly = parse_points(new["info_yearly_minimum_points"])
    if iy.rule.points > 0 and yearly % iy.rule.points != 0:
        errors.add("info_yearly_minimum_points",
                   f"应为规则“{iy.rule.code}”分值 {fmt_points(iy.rule.points)} 的整数倍（按不足次数计）")
    gov = parse_points(new["gov_affairs_points"])
    if gov > 0:
        if iy.gov_rule is None:
            errors.add("gov_affairs_points", "大于 0 时须先在信息报送考核标准（附件4）中指定政务信息扣分规则")
        elif iy.gov_rule.points <= 0 or gov % iy.gov_rule.points != 0:
            errors.add("gov_affairs_points",
                       f"应为规则“{iy.gov_rule.code}”分值 {fmt_points(iy.gov_rule.points)} 的整数倍")
    if errors:
        raise Invalid("年度设置有误：" + "；".join(errors.values()), "invalid_settings", fields=dict(errors))


@operation
def update_settings(user, year: int, payload) -> YearSettings:
    """The admin's PUT (partial). 403, then 404 (year), 422 (values), 409 (`year_opened` for a
    shaping key that would change). One commit: the row, the audit entry and the derived
    records that follow."""
    from ..audit.admin import record_change

    if not access.is_admin(user):
        raise Forbidden("只有管理员可以修改年度设置")
    if not year_known(year):
        raise NotFound(f"没有{year}年度")
    current = settings_for(year)
    before = current.json()
    after = from_values(year, parse(payload, before)).json()
    changed = [k for k in KEYS if before[k] != after[k]]
    if not changed:
        return current
    shaping = [k for k in changed if k in SHAPING]
    if shaping and year_opened(year):
        names = "、".join(LABELS[k] for k in shaping)
        raise Conflict(f"{year}年度考核已开始（已有考核表离开草稿状态），不能再修改{names}", "year_opened",
                       fields={k: f"{year}年度考核已开始，不能再修改" for k in shaping})
    _check_against_rules(year, after)
    row = db.session.get(YearSettingsRow, year)
    if row is None:
        row = YearSettingsRow(year=year, values=after)
        db.session.add(row)
    else:
        row.values = after
    record_change(user, "settings_changed", f"{year}年度设置",
                  {k: before[k] for k in changed}, {k: after[k] for k in changed})
    try:
        db.session.flush()
    except StaleDataError:
        raise stale() from None
    forget(year)
    g.pop("_bonus_granted", None)
    if set(changed) - {"bonus_cap"} - PROCEDURAL:
        from ..trackers.sync import bring_in_step

        bring_in_step(year, user, unknown_calendar_ok=True)
    db.session.commit()
    return settings_for(year)

