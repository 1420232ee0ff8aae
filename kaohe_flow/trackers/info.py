"""附件4 信息报送: the quotas of a year, entering, correcting, deleting and importing adopted
items, the report (counts per month, months short, totals with extras, the award ranking) and
the deduction records its shortfalls become (`source` "info", kept in step on every change).

Who enters: members and heads of an office responsible for the scheme item of the quota file's
rule (信息宣传 → 办公室, 党委办 in 2018); nobody else (403).
Who reads: leaders, viewers, admins and those offices read every unit; a unit reads its own
row and its own items; bureau-level accounts without a role that reads, nothing.
"""
import calendar
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, g
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..audit.service import record_step
from ..errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, stale
from ..extensions import db
from ..ledger import queries as ledger_queries
from ..ledger.sync import Derived, replace_derived
from ..org.models import Unit
from ..org.queries import resolve_unit, units_by_name
from ..points import PointsError, parse_points
from ..scheme.loader import DATA_DIR, DataError, read_yaml
from ..scheme.queries import scheme_or_none
from ..timeutil import LOCAL_TZ, utcnow
from ..workflow import steps
from .imports import ROW_KEY, RowErrors, read_table
from .info_models import MAX_TITLE, PORTALS, InfoItem

SOURCE = "info"
HISTORY_KIND = "info_item"
NOT_FOUND = "没有找到这条信息"
FIELDS = ("unit", "title", "adopted_on", "portal", "special", "stream", "district_offices")

PORTAL_LABELS = {"district": "区政府门户网站", "city": "市政府门户网站", "province": "省政府门户网站"}
STREAM_LABELS = {"info": "信息", "gov_affairs": "政务信息"}

# What an imported cell may say (matched case-insensitively after trimming).
PORTAL_WORDS = {
    "district": ("district", "区", "区级", "区政府", "区政府网站", "区政府门户网站", "区门户网站"),
    "city": ("city", "市", "市级", "市政府", "市政府网站", "市政府门户网站", "市门户网站"),
    "province": ("province", "省", "省级", "省政府", "省政府网站", "省政府门户网站", "省门户网站"),
}
STREAM_WORDS = {"info": ("info", "信息", "普通信息", "信息报送"),
                "gov_affairs": ("gov_affairs", "政务信息", "政务")}
YES = ("是", "y", "yes", "true", "1", "√", "✓", "有")
NO = ("否", "n", "no", "false", "0", "×", "无", "")

# The import's columns: Chinese as 办公室 keeps them, or the API's English names.
COLUMNS = {
    "unit": ("单位", "部门", "部门名称", "科室", "unit"),
    "title": ("标题", "信息标题", "title"),
    "adopted_on": ("录用日期", "日期", "adopted_on", "date"),
    "portal": ("录用网站", "网站", "portal"),
    "special": ("特殊类型", "特殊", "special"),
    "stream": ("类别", "类型", "stream"),
    "district_offices": ("区两办录用", "district_offices"),
}
REQUIRED_COLUMNS = ("unit", "title", "adopted_on")


def today() -> date:
    """The bureau's date today; months and years are judged only once they have ended."""
    return utcnow().astimezone(LOCAL_TZ).date()


# ------------------------------------------------------------------------------ quotas (data)

@dataclass(frozen=True)
class Quota:
    """Items per month, or a yearly minimum."""

    per_month: int | None = None
    per_year: int | None = None

    def json(self) -> dict:
        return {"per_month": self.per_month} if self.per_month is not None else {"per_year": self.per_year}

    @property
    def label(self) -> str:
        return f"每月{self.per_month}条" if self.per_month is not None else f"全年不低于{self.per_year}条"


@dataclass
class Quotas:
    """A year's quota file, its unit names resolved to unit ids."""

    year: int
    rule: str
    extras: dict[str, int]
    info: dict[int, Quota]
    gov_default: Quota | None
    gov: dict[int, Quota]
    gov_district_offices: int
    gov_points: Decimal
    gov_rule: str | None
    gov_note: str

    def gov_quota(self, unit_id: int) -> Quota | None:
        return self.gov.get(unit_id, self.gov_default)


def _quota(spec, where: str) -> Quota:
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("per_month", "per_year"):
        raise DataError(f"{where}: a quota is {{per_month: N}} or {{per_year: N}}, not {spec!r}")
    (kind, number), = spec.items()
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise DataError(f"{where}: {kind} must be a whole number of at least 1, not {number!r}")
    return Quota(**{kind: number})


def _units(mapping, index: dict[str, Unit], where: str) -> dict[int, Quota]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise DataError(f"{where}: units must map unit names to quotas")
    out: dict[int, Quota] = {}
    named: dict[int, str] = {}
    for name, spec in mapping.items():
        unit = index.get(str(name).strip())
        if unit is None:
            raise DataError(f"{where}: unknown unit {name!r} (not a code, name or alias of the org chart)")
        if unit.id in out:
            raise DataError(f"{where}: {name!r} and {named[unit.id]!r} are the same unit ({unit.code})")
        out[unit.id], named[unit.id] = _quota(spec, f"{where} {name}"), str(name)
    return out


def validate_quotas(data: dict, index: dict[str, Unit], year: int | None = None) -> Quotas:
    """A quota file, checked: unit names known (any alias), one quota each, extras for every
    portal, whole numbers; the gov_affairs points a decimal ≥ 0 and, above 0, with a rule."""
    where = f"info quotas {data.get('year')}"
    file_year = data.get("year")
    if isinstance(file_year, bool) or not isinstance(file_year, int) or (year is not None and file_year != year):
        raise DataError(f"{where}: the file's year must be {year if year is not None else 'a whole number'}")
    rule = data.get("rule")
    if not isinstance(rule, str) or not rule:
        raise DataError(f"{where}: `rule` must name the rule a shortfall costs (e.g. info_publicity-2)")
    extras = data.get("extras") or {}
    if set(extras) != set(PORTALS):
        raise DataError(f"{where}: extras must give {', '.join(PORTALS)}")
    for portal, number in extras.items():
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise DataError(f"{where}: extras.{portal} must be a whole number ≥ 0")
    gov = data.get("gov_affairs") or {}
    default = gov.get("default")
    district_offices = gov.get("district_offices_per_year", 0)
    if isinstance(district_offices, bool) or not isinstance(district_offices, int) or district_offices < 0:
        raise DataError(f"{where}: gov_affairs.district_offices_per_year must be a whole number ≥ 0")
    try:
        points = parse_points(gov.get("points_per_shortfall", "0"), "gov_affairs.points_per_shortfall")
    except PointsError as exc:
        raise DataError(f"{where}: {exc}") from None
    if points < 0:
        raise DataError(f"{where}: gov_affairs.points_per_shortfall cannot be negative")
    gov_rule = gov.get("rule")
    if points > 0 and not gov_rule:
        raise DataError(f"{where}: gov_affairs.points_per_shortfall above 0 needs gov_affairs.rule")
    return Quotas(
        year=file_year, rule=rule, extras={p: int(extras[p]) for p in PORTALS},
        info=_units(data.get("units"), index, f"{where} units"),
        gov_default=_quota(default, f"{where} gov_affairs.default") if default is not None else None,
        gov=_units(gov.get("units"), index, f"{where} gov_affairs.units"),
        gov_district_offices=district_offices, gov_points=points, gov_rule=gov_rule or None,
        gov_note=str(gov.get("points_note") or "政务信息扣分指标参见政务信息报送规定，默认不扣分"),
    )


def quota_file(year: int):
    return DATA_DIR / f"info_quotas_{year}.yaml"


def load_quotas(year: int) -> Quotas | None:
    """The year's quotas from `data/info_quotas_<year>.yaml`, or None without such a file."""
    path = quota_file(year)
    if not path.exists():
        return None
    return validate_quotas(read_yaml(path), units_by_name(), year)


@dataclass
class InfoYear:
    """Everything a year's information tracking needs: quotas, the scheme item and rules."""

    year: int
    quotas: Quotas
    item: object  # the scheme item the rule belongs to (信息宣传)
    rule: object
    gov_rule: object | None

    @property
    def responsible_ids(self) -> set[int]:
        return {u.id for u in self.item.responsible}


def info_year(year: int) -> InfoYear | None:
    """The year's tracking, or None when it has no quota file or no scheme. A quota file that
    contradicts the scheme is a server-side data error (500 with the reason)."""
    cache = g.setdefault("_info_years", {})
    if year in cache:
        return cache[year]
    try:
        quotas = load_quotas(year)
    except DataError as exc:
        raise ServiceError(f"信息报送考核标准数据有误：{exc}", "data_error", 500) from None
    scheme = scheme_or_none(year)
    found = None
    if quotas is not None and scheme is not None:
        rules = {rule.code: (rule, item) for item in scheme.items for rule in item.rules}
        if quotas.rule not in rules:
            raise ServiceError(f"信息报送考核标准数据有误：{year}年度考核方案中没有规则“{quotas.rule}”",
                               "data_error", 500)
        rule, item = rules[quotas.rule]
        gov_rule = None
        if quotas.gov_rule:
            if quotas.gov_rule not in rules or rules[quotas.gov_rule][0].points != quotas.gov_points:
                raise ServiceError(f"信息报送考核标准数据有误：政务信息规则“{quotas.gov_rule}”不存在，"
                                   f"或其分值不等于 points_per_shortfall", "data_error", 500)
            gov_rule = rules[quotas.gov_rule][0]
        found = InfoYear(year, quotas, item, rule, gov_rule)
    cache[year] = found
    return found


def _require_year(year: int) -> InfoYear:
    found = info_year(year)
    if found is None:
        raise Invalid(f"没有{year}年度的信息报送考核标准（附件4）或考核方案", "unknown_year")
    return found


# ------------------------------------------------------------------------------ permissions

def can_enter(user, iy: InfoYear) -> bool:
    """Members and heads of an office responsible for 信息宣传 enter and import items."""
    return ledger_queries.can_write(user, iy.item)


def sees_all(user, iy: InfoYear) -> bool:
    return (user.has_role("leader") or user.has_role("viewer") or user.has_role("admin")
            or (user.unit_id is not None and user.unit_id in iy.responsible_ids))


def visible_unit_ids(user, iy: InfoYear) -> set[int] | None:
    """None: every unit; else the units whose rows and items the user reads."""
    if sees_all(user, iy):
        return None
    return {user.unit_id} if user.unit_id is not None else set()


def _may_see(user, iy: InfoYear | None, unit_id: int) -> bool:
    if iy is None:
        return user.has_role("leader") or user.has_role("viewer") or user.has_role("admin")
    visible = visible_unit_ids(user, iy)
    return visible is None or unit_id in visible


def _check_may_enter(user, year: int) -> InfoYear | None:
    """403 for those who could never enter: judged on `year`, or on the current year's scheme
    when `year` has no quotas or scheme. Answers the year's tracking, if any."""
    iy = info_year(year)
    probe = iy or info_year(current_app.config["CURRENT_YEAR"])
    if probe is not None and not can_enter(user, probe):
        raise Forbidden(f"只有“{probe.item.name}”的考核责任科室可以录入信息报送情况")
    return iy


def _entry_year(user, year: int) -> InfoYear:
    """The year to enter into: 403 first (see above), then 422 for a year without quotas."""
    iy = _check_may_enter(user, year)
    if iy is None:
        raise Invalid(f"没有{year}年度的信息报送考核标准（附件4）或考核方案", "unknown_year")
    return iy


# ------------------------------------------------------------------------------ fields

def _text(value, label: str, limit: int, lenient: bool) -> str:
    if lenient and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return steps.clean_text(value, label, limit)


def _parse_date(value, lenient: bool) -> date:
    """`YYYY-MM-DD`; an import also takes Excel dates, 2018/3/5, 2018.3.5 and 2018年3月5日."""
    if lenient and isinstance(value, datetime):
        return value.date()
    if lenient and isinstance(value, date):
        return value
    day = None
    if isinstance(value, str):
        text = value.strip()
        if lenient:
            text = text.split(" ")[0].split("T")[0]
            for sep in ("/", ".", "年", "月"):
                text = text.replace(sep, "-")
            text = text.rstrip("日")
            parts = text.split("-")
            if (len(parts) == 3 and all(p.isascii() and p.isdigit() for p in parts)
                    and len(parts[0]) == 4 and len(parts[1]) <= 2 and len(parts[2]) <= 2):
                text = f"{parts[0]}-{int(parts[1]):02d}-{int(parts[2]):02d}"
        if len(text) == 10 and text.isascii():
            try:
                day = date.fromisoformat(text)
            except ValueError:
                day = None
    if day is None:
        shown = "" if value is None else f"“{value}”"
        message = f"录用日期{shown}无效，应为 YYYY-MM-DD" if shown else "缺少录用日期（adopted_on）"
        raise Invalid(message, "invalid_date")
    return day


def _choice(value, words: dict, label: str, lenient: bool, default: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str):
        text = value.strip().casefold()
        for key, accepted in words.items():
            if (text in accepted) if lenient else (text == key):
                return key
    allowed = "、".join(words) if not lenient else "、".join(f"{w[1]}/{w[0]}" for w in words.values())
    raise Invalid(f"{label}“{value}”无效，应为 {allowed}", f"invalid_{'portal' if words is PORTAL_WORDS else 'stream'}")


def _flag(value, label: str, lenient: bool) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if lenient:
        text = str(value).strip().casefold()
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if text in YES:
            return True
        if text in NO:
            return False
        raise Invalid(f"{label}“{value}”无效，应填 是 或 否", "invalid_flag")
    raise Invalid(f"{label}必须是 true 或 false", "invalid_flag")


def parse_fields(raw: dict, lenient: bool = False) -> dict:
    """An item's fields, checked; `lenient` for imported cells (Chinese words, Excel dates)."""
    unit = resolve_unit(raw.get("unit"))
    if unit is None:
        name = raw.get("unit")
        if name is None or (isinstance(name, str) and not name.strip()):
            raise Invalid("缺少单位（unit）", "unknown_unit")
        raise Invalid(f"没有名为“{name}”的单位（可用代码、名称或附件4中的简称）", "unknown_unit")
    title = _text(raw.get("title"), "标题", MAX_TITLE, lenient)
    if not title:
        raise Invalid("缺少标题（title）", "invalid_text")
    adopted_on = _parse_date(raw.get("adopted_on"), lenient)
    if adopted_on > today():
        raise Invalid(f"录用日期 {adopted_on.isoformat()} 晚于今天", "invalid_date")
    portal = _choice(raw.get("portal"), PORTAL_WORDS, "录用网站", lenient, "district")
    stream = _choice(raw.get("stream"), STREAM_WORDS, "类别", lenient, "info")
    special = _flag(raw.get("special"), "特殊类型", lenient)
    district_offices = _flag(raw.get("district_offices"), "区两办录用", lenient)
    if stream == "gov_affairs" and special:
        raise Invalid("特殊类型（在线访谈、政策解读等）只适用于信息，不适用于政务信息", "invalid_flag")
    if stream == "info" and district_offices:
        raise Invalid("区两办录用只适用于政务信息（类别为政务信息）", "invalid_flag")
    return {"unit": unit, "title": title, "adopted_on": adopted_on, "portal": portal, "special": special,
            "stream": stream, "district_offices": district_offices}


def _key(fields: dict) -> tuple:
    return fields["unit"].id, fields["title"], fields["adopted_on"], fields["stream"]


def _find(fields: dict, exclude_id: int | None = None) -> InfoItem | None:
    query = db.select(InfoItem).filter_by(unit_id=fields["unit"].id, title=fields["title"],
                                          adopted_on=fields["adopted_on"], stream=fields["stream"])
    if exclude_id is not None:
        query = query.filter(InfoItem.id != exclude_id)
    return db.session.scalar(query)


def _summary(item: InfoItem) -> str:
    extra = "（特殊类型）" if item.special else ""
    offices = "（区两办录用）" if item.district_offices else ""
    return (f"{item.unit.name} {item.adopted_on.isoformat()} {STREAM_LABELS[item.stream]} "
            f"{PORTAL_LABELS[item.portal]}{extra}{offices}：{item.title}")


def _apply(item: InfoItem, fields: dict) -> None:
    item.unit, item.unit_id = fields["unit"], fields["unit"].id
    item.title, item.adopted_on, item.year = fields["title"], fields["adopted_on"], fields["adopted_on"].year
    item.portal, item.special = fields["portal"], fields["special"]
    item.stream, item.district_offices = fields["stream"], fields["district_offices"]


@contextmanager
def _transaction():
    """The changes of one step, committed once; anything refused on the way leaves nothing."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise stale() from None
    except IntegrityError:
        db.session.rollback()
        raise Conflict("同时有其他人在录入相同的信息，请刷新后重试", "duplicate_item") from None
    except BaseException:
        db.session.rollback()
        raise


# ------------------------------------------------------------------------------ service

def get_visible(user, item_id: int) -> InfoItem:
    item = db.session.get(InfoItem, item_id)
    if item is None or not _may_see(user, info_year(item.year), item.unit_id):
        raise NotFound(NOT_FOUND)
    return item


def list_items(user, year: int, unit_id: int | None = None) -> list[InfoItem]:
    """A year's items the user reads, by date."""
    iy = info_year(year)
    if iy is None:
        return []
    query = db.select(InfoItem).filter_by(year=year).order_by(InfoItem.adopted_on, InfoItem.id)
    if unit_id is not None:
        query = query.filter(InfoItem.unit_id == unit_id)
    visible = visible_unit_ids(user, iy)
    if visible is not None:
        if not visible:
            return []
        query = query.filter(InfoItem.unit_id.in_(visible))
    return list(db.session.scalars(query))


def _year_hint(payload: dict) -> int:
    """The year an entry is about, for the permission check that comes before validation."""
    raw = payload.get("adopted_on")
    if isinstance(raw, str) and len(raw) >= 4 and raw[:4].isascii() and raw[:4].isdigit() and int(raw[:4]) >= 1:
        return int(raw[:4])
    return current_app.config["CURRENT_YEAR"]


def create(user, payload: dict) -> InfoItem:
    """One adopted item; the year's derived records are recomputed in the same commit."""
    iy = _entry_year(user, _year_hint(payload))
    fields = parse_fields(payload)
    if fields["adopted_on"].year != iy.year:  # cannot happen: the hint is the date's year
        iy = _entry_year(user, fields["adopted_on"].year)
    if payload.get("year") is not None and payload["year"] != iy.year:
        raise Invalid(f"录用日期不在 {payload['year']} 年度内", "invalid_date")
    if _find(fields) is not None:
        raise Conflict(f"这条信息已经录入过了（{fields['unit'].name}，{fields['adopted_on'].isoformat()}，"
                       f"“{fields['title']}”）", "duplicate_item")
    with _transaction():
        item = InfoItem(created_by_id=user.id, created_at=utcnow(), updated_at=utcnow())
        _apply(item, fields)
        db.session.add(item)
        db.session.flush()
        record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", new=_summary(item))
        recompute(iy, user)
    return item


def _writable(user, item_id: int) -> tuple[InfoItem, InfoYear]:
    item = get_visible(user, item_id)
    iy = info_year(item.year)
    if iy is None or not can_enter(user, iy):
        raise Forbidden("只有信息宣传的考核责任科室可以更正或删除信息")
    return item, iy


def update(user, item_id: int, payload: dict) -> InfoItem:
    """Correct an item (any field; `version` required): its years' records follow."""
    item, iy = _writable(user, item_id)
    steps.check_version(item, payload.get("version"))
    current = {"unit": item.unit.code, "title": item.title, "adopted_on": item.adopted_on.isoformat(),
               "portal": item.portal, "special": item.special, "stream": item.stream,
               "district_offices": item.district_offices}
    fields = parse_fields({**current, **{k: payload[k] for k in FIELDS if k in payload}})
    new_iy = iy if fields["adopted_on"].year == iy.year else _entry_year(user, fields["adopted_on"].year)
    if _find(fields, exclude_id=item.id) is not None:
        raise Conflict("已有一条相同的信息（同一单位、标题、录用日期和类别）", "duplicate_item")
    with _transaction():
        before = _summary(item)
        _apply(item, fields)
        after = _summary(item)
        if before != after:
            item.updated_at = utcnow()
            record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", old=before, new=after)
            db.session.flush()
            recompute(iy, user)
            if new_iy is not iy:
                recompute(new_iy, user)
    return item


def delete(user, item_id: int) -> None:
    """Delete an item; the records it no longer supports go (withdrawn, in their history)."""
    item, iy = _writable(user, item_id)
    with _transaction():
        record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", old=_summary(item),
                    new=None, comment="删除")
        db.session.delete(item)
        db.session.flush()
        recompute(iy, user)


def import_file(user, upload, year: int | None = None) -> dict:
    """Import a table of adopted items (columns: 单位, 标题, 录用日期, 录用网站, 特殊类型, 类别,
    区两办录用, or their English names). Every row is checked first; any bad row refuses the
    whole file (RowErrors: row number and message each). A row already entered is not counted
    again ("skipped"), or is corrected when its portal or flags differ ("updated")."""
    if year is not None:
        _entry_year(user, year)
    else:
        _check_may_enter(user, current_app.config["CURRENT_YEAR"])
    rows = read_table(upload, COLUMNS, REQUIRED_COLUMNS)
    errors: list[dict] = []
    good: list[tuple[int, dict]] = []
    first_seen: dict[tuple, tuple[int, dict]] = {}
    repeated = 0
    for row in rows:
        number = row[ROW_KEY]
        try:
            fields = parse_fields(row, lenient=True)
            row_year = fields["adopted_on"].year
            if year is not None and row_year != year:
                raise Invalid(f"录用日期 {fields['adopted_on'].isoformat()} 不在 {year} 年度内")
            iy = info_year(row_year)
            if iy is None:
                raise Invalid(f"没有{row_year}年度的信息报送考核标准（附件4）或考核方案")
            if not can_enter(user, iy):
                raise Invalid(f"您无权录入{row_year}年度的信息")
        except Invalid as exc:
            errors.append({"row": number, "message": exc.message})
            continue
        seen = first_seen.get(_key(fields))
        if seen is not None:
            if seen[1] != fields:
                errors.append({"row": number, "message": f"与第 {seen[0]} 行是同一条信息（单位、标题、录用日期、"
                                                         f"类别相同），但录用网站或类型不同"})
            repeated += 1  # the same row twice in one file counts once
            continue
        first_seen[_key(fields)] = (number, fields)
        good.append((number, fields))
    if errors:
        raise RowErrors(errors)

    years = sorted({f["adopted_on"].year for _n, f in good})
    with _transaction():
        imported, updated, skipped = _store(user, good, years)
        if imported or updated:
            for row_year in years:
                recompute(info_year(row_year), user)
    return {"imported": imported, "updated": updated, "skipped": skipped + repeated}


def _store(user, good: list[tuple[int, dict]], years: list[int]) -> tuple[int, int, int]:
    """Add the new rows, correct the changed ones, skip those already entered."""
    existing = {(i.unit_id, i.title, i.adopted_on, i.stream): i
                for i in db.session.scalars(db.select(InfoItem).filter(InfoItem.year.in_(years)))}
    imported = updated = skipped = 0
    added: list[InfoItem] = []
    for _number, fields in good:
        item = existing.get(_key(fields))
        if item is None:
            item = InfoItem(created_by_id=user.id, created_at=utcnow(), updated_at=utcnow())
            _apply(item, fields)
            db.session.add(item)
            added.append(item)
            imported += 1
            continue
        before = _summary(item)
        _apply(item, fields)
        if _summary(item) == before:
            skipped += 1
        else:
            item.updated_at = utcnow()
            record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", old=before,
                        new=_summary(item), comment="导入更正")
            updated += 1
    db.session.flush()
    for item in added:
        record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", new=_summary(item),
                    comment="导入")
    return imported, updated, skipped


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
    units = sorted(set(units_by_name().values()), key=lambda u: u.position)
    rows = {u.id: UnitInfo(u, StreamCounts(quotas.info.get(u.id)), StreamCounts(quotas.gov_quota(u.id)))
            for u in units}
    selected = db.select(InfoItem.unit_id, InfoItem.adopted_on, InfoItem.portal, InfoItem.special,
                         InfoItem.stream, InfoItem.district_offices).filter_by(year=iy.year)
    for unit_id, adopted_on, portal, special, stream, district_offices in db.session.execute(selected):
        row = rows.get(unit_id)
        if row is None:
            continue
        if stream == "gov_affairs":
            row.gov.months[adopted_on.month] += 1
            row.district_offices += int(bool(district_offices))
        else:
            row.info.months[adopted_on.month] += 1  # special items count toward their month
            if special:
                row.extras += quotas.extras[portal]
    for row in rows.values():
        row.info.judge(months_done, year_done)
        row.gov.judge(months_done, year_done)
        row.district_offices_short = year_done and row.district_offices < quotas.gov_district_offices
        row.points = iy.rule.points * row.info.shortfalls
        row.gov_points = quotas.gov_points * row.gov_shortfalls
        quota = row.info.quota
        row.met_quota = quota is not None and row.info.shortfalls == 0 and (
            quota.per_year is None or row.info.count >= quota.per_year)
    _rank(list(rows.values()))
    return Report(iy.year, iy, list(rows.values()), months_done, year_done)


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


def derived_cases(report: Report) -> list[Derived]:
    """The deduction records the shortfalls stand for: one per unit per month short, one for a
    missed yearly minimum (and, when a gov_affairs rule is set, the 政务信息 shortfalls)."""
    iy, year = report.iy, report.year
    cases = []
    for row in report.rows:
        code, quota = row.unit.code, row.info.quota
        for month in row.info.months_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:{month:02d}", unit_id=row.unit.id, rule=iy.rule.code, count=1,
                day=date(year, month, calendar.monthrange(year, month)[1]),
                note=f"{year}年{month}月信息录用{row.info.months[month]}条，未达每月{quota.per_month}条（附件4）"))
        if row.info.year_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:year", unit_id=row.unit.id, rule=iy.rule.code, count=1,
                day=date(year, 12, 31),
                note=f"{year}年全年信息录用{row.info.count}条，未达全年不低于{quota.per_year}条（附件4）"))
        if iy.gov_rule is None:
            continue
        gov = row.gov
        for month in gov.months_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:{month:02d}", unit_id=row.unit.id, rule=iy.gov_rule.code, count=1,
                day=date(year, month, calendar.monthrange(year, month)[1]),
                note=f"{year}年{month}月政务信息报送{gov.months[month]}条，未达每月{gov.quota.per_month}条"))
        if gov.year_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:year", unit_id=row.unit.id, rule=iy.gov_rule.code, count=1,
                day=date(year, 12, 31),
                note=f"{year}年全年政务信息报送{gov.count}条，未达全年不低于{gov.quota.per_year}条"))
        if row.district_offices_short:
            cases.append(Derived(
                key=f"info:{year}:{code}:gov:district_offices", unit_id=row.unit.id, rule=iy.gov_rule.code,
                count=1, day=date(year, 12, 31),
                note=f"{year}年政务信息被区两办录用{row.district_offices}条，未达全年至少"
                     f"{iy.quotas.gov_district_offices}条"))
    return cases


def recompute(iy: InfoYear, user=None) -> dict[str, int]:
    """Bring the year's `info` deduction records in step with its items (caller commits)."""
    db.session.flush()
    g.pop("_records_of", None)  # a sheet read later in this request sees the new records
    return replace_derived(SOURCE, iy.year, derived_cases(compute(iy)), user)


def report(user, year: int) -> Report:
    """The year's report with the rows the user reads (ranks over every unit); 404 without
    quotas for the year."""
    iy = info_year(year)
    if iy is None:
        raise NotFound(f"没有{year}年度的信息报送考核标准（附件4）或考核方案")
    full = compute(iy)
    visible = visible_unit_ids(user, iy)
    if visible is not None:
        full.rows = [r for r in full.rows if r.unit.id in visible]
    return full
