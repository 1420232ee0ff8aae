"""附件4 信息报送, the entries: entering, correcting, deleting and importing adopted items, each
change committed together with the deduction records it moves (see `info_report`; the quota
file and the year's tracking are in `info_quotas`).

Who enters: members and heads of an office responsible for the scheme item of the quota file's
rule (信息宣传; two offices in 2018, read from the scheme); nobody else (403).
Who corrects or deletes: those offices and the admin, never an item about their own unit
(403 `own_unit`: the other office or the admin does it). See `access`.
Who reads: leaders, viewers, admins and those offices read every unit; a unit reads its own
row and its own items; bureau-level accounts without a role that reads, nothing.
"""
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import access
from ..audit.service import record_step
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, stale
from ..extensions import db
from ..org.queries import resolve_unit
from ..timeutil import utcnow
from ..uow import operation
from ..workflow import steps
from .imports import ROW_KEY, RowErrors, read_table
from .info_models import MAX_TITLE, InfoItem
from .info_quotas import InfoYear, info_year
from .info_report import recompute, today, visible_unit_ids

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


# ------------------------------------------------------------------------------ permissions

def can_enter(user, iy: InfoYear) -> bool:
    """Members and heads of an office responsible for 信息宣传 enter and import items."""
    return access.can_enter_info(user, iy.item).allowed


def may_change(user, item: InfoItem) -> bool:
    """Whether the page offers to delete this item (see `access.can_change_info_item`)."""
    iy = info_year(item.year)
    return access.can_change_info_item(user, item, iy.item if iy else None).allowed


def _may_see(user, iy: InfoYear | None, unit_id: int) -> bool:
    if iy is None:
        return access.sees_everything(user)
    visible = visible_unit_ids(user, iy)
    return visible is None or unit_id in visible


def _check_may_enter(user, year: int) -> InfoYear | None:
    """403 for those who could never enter: judged on `year`, or on the current year's scheme
    when `year` has no quotas or scheme. Answers the year's tracking, if any."""
    iy = info_year(year)
    probe = iy or info_year(current_app.config["CURRENT_YEAR"])
    if probe is not None:
        access.require(access.can_enter_info(user, probe.item))
    return iy


def _entry_year(user, year: int) -> InfoYear:
    """The year to enter into: 403 first (see above), then 422 for a year without quotas."""
    iy = _check_may_enter(user, year)
    if iy is None:
        raise Invalid(f"没有{year}年度的信息报送考核标准（附件4）或考核方案", "unknown_year")
    return iy


def _change_year(user, year: int) -> InfoYear:
    """The year a corrected date moves an item into: it needs quotas, and the one correcting
    answers for 信息宣传 in it (or is the admin)."""
    iy = info_year(year)
    if iy is None:
        raise Invalid(f"没有{year}年度的信息报送考核标准（附件4）或考核方案", "unknown_year")
    if not access.is_admin(user):
        access.require(access.can_enter_info(user, iy.item))
    return iy


def _capacity(user) -> str:
    return "admin" if access.is_admin(user) and not access.acts_for_unit(user) else "responsible_office"


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
        message = f"录用日期{shown}无效，应为“年-月-日”，如 2018-03-05" if shown else "缺少录用日期"
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
            raise Invalid("缺少单位", "unknown_unit")
        raise Invalid(f"没有名为“{name}”的单位（可用代码、名称或附件4中的简称）", "unknown_unit")
    title = _text(raw.get("title"), "标题", MAX_TITLE, lenient)
    if not title:
        raise Invalid("缺少标题", "invalid_text")
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
def _committed():
    """The changes of one step, committed once (the `operation` around it rolls back whatever is
    refused); the database's refusals said as the house says them."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        raise stale() from None
    except IntegrityError:
        raise Conflict("同时有其他人在录入相同的信息，请刷新后重试", "duplicate_item") from None


# ------------------------------------------------------------------------------ service

def get_visible(user, item_id: int) -> InfoItem:
    item = db.session.get(InfoItem, item_id)
    if item is None or not _may_see(user, info_year(item.year), item.unit_id):
        raise NotFound(NOT_FOUND)
    return item


def _items_query(user, year: int, unit_id: int | None = None):
    """The query of a year's items the user reads, by date; None when they read none."""
    iy = info_year(year)
    if iy is None:
        return None
    query = db.select(InfoItem).filter_by(year=year).order_by(InfoItem.adopted_on, InfoItem.id)
    if unit_id is not None:
        query = query.filter(InfoItem.unit_id == unit_id)
    visible = visible_unit_ids(user, iy)
    if visible is not None:
        if not visible:
            return None
        query = query.filter(InfoItem.unit_id.in_(visible))
    return query


def list_items(user, year: int, unit_id: int | None = None) -> list[InfoItem]:
    """A year's items the user reads, by date."""
    query = _items_query(user, year, unit_id)
    return [] if query is None else list(db.session.scalars(query))


def count_items(user, year: int, unit_id: int | None = None) -> int:
    """How many items `list_items` answers, counted by the database."""
    query = _items_query(user, year, unit_id)
    return 0 if query is None else db.session.scalar(
        query.order_by(None).with_only_columns(sa.func.count(InfoItem.id)))


def items_page(user, year: int, number: int, size: int, unit_id: int | None = None) -> list[InfoItem]:
    """Page `number` (1-based, `size` a page) of what `list_items` answers: a district's year has
    20,000 items and the page shows a hundred (issue 11)."""
    query = _items_query(user, year, unit_id)
    return [] if query is None else list(db.session.scalars(query.limit(size).offset((max(number, 1) - 1) * size)))


def _year_hint(payload: dict) -> int:
    """The year an entry is about, for the permission check that comes before validation."""
    raw = payload.get("adopted_on")
    if isinstance(raw, str) and len(raw) >= 4 and raw[:4].isascii() and raw[:4].isdigit() and int(raw[:4]) >= 1:
        return int(raw[:4])
    return current_app.config["CURRENT_YEAR"]


@operation
def create(user, payload: dict) -> InfoItem:
    """One adopted item; the year's derived records are recomputed in the same commit."""
    iy = _entry_year(user, _year_hint(payload))
    fields = parse_fields(payload)
    if fields["adopted_on"].year != iy.year:  # cannot happen: the hint is the date's year
        iy = _entry_year(user, fields["adopted_on"].year)
    year = payload.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise BadRequest("年度必须是四位数字", "bad_year")
    if year is not None and year != iy.year:
        raise Invalid(f"录用日期不在 {payload['year']} 年度内", "invalid_date")
    if _find(fields) is not None:
        raise Conflict(f"这条信息已经录入过了（{fields['unit'].name}，{fields['adopted_on'].isoformat()}，"
                       f"“{fields['title']}”）", "duplicate_item")
    with _committed():
        item = InfoItem(created_by_id=user.id, created_at=utcnow(), updated_at=utcnow())
        _apply(item, fields)
        db.session.add(item)
        db.session.flush()
        record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", new=_summary(item))
        recompute(iy, user)
    return item


def _writable(user, item_id: int) -> tuple[InfoItem, InfoYear]:
    """404 unseen; 403 for those who never change items, and for an item about one's own unit."""
    item = get_visible(user, item_id)
    iy = info_year(item.year)
    access.require(access.can_change_info_item(user, item, iy.item if iy else None))
    if iy is None:
        raise Invalid(f"没有{item.year}年度的信息报送考核标准（附件4）", "unknown_year")
    return item, iy


@operation
def update(user, item_id: int, payload: dict) -> InfoItem:
    """Correct an item (any field; `version` required): its years' records follow."""
    item, iy = _writable(user, item_id)
    steps.check_version(item, payload.get("version"))
    current = {"unit": item.unit.code, "title": item.title, "adopted_on": item.adopted_on.isoformat(),
               "portal": item.portal, "special": item.special, "stream": item.stream,
               "district_offices": item.district_offices}
    fields = parse_fields({**current, **{k: payload[k] for k in FIELDS if k in payload}})
    access.require(access.own_unit(user, [fields["unit"].id]))  # nor moved onto one's own unit
    new_iy = iy if fields["adopted_on"].year == iy.year else _change_year(user, fields["adopted_on"].year)
    if _find(fields, exclude_id=item.id) is not None:
        raise Conflict("已有一条相同的信息（同一单位、标题、录用日期和类别）", "duplicate_item")
    with _committed():
        before = _summary(item)
        _apply(item, fields)
        after = _summary(item)
        if before != after:
            item.updated_at = utcnow()
            record_step(HISTORY_KIND, item, user, _capacity(user), "edit", field="item", old=before, new=after)
            db.session.flush()
            recompute(iy, user)
            if new_iy is not iy:
                recompute(new_iy, user)
    return item


@operation
def delete(user, item_id: int) -> None:
    """Delete an item; the records it no longer supports go (withdrawn, in their history)."""
    item, iy = _writable(user, item_id)
    with _committed():
        record_step(HISTORY_KIND, item, user, _capacity(user), "edit", field="item", old=_summary(item),
                    new=None, comment="删除")
        db.session.delete(item)
        db.session.flush()
        recompute(iy, user)


@operation
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
    with _committed():
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
    own_rows = []
    for number, fields in good:
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
            if not access.own_unit(user, [item.unit_id]):
                own_rows.append(str(number))
            item.updated_at = utcnow()
            record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", old=before,
                        new=_summary(item), comment="导入更正")
            updated += 1
    if own_rows:  # the operation rolls every row back
        raise Forbidden(f"第 {'、'.join(own_rows[:20])} 行会更正本科室已录入的信息：本科室的信息须由其他考核责任科室"
                        "或管理员更正，请删去这些行后再导入", "own_unit")
    db.session.flush()
    for item in added:
        record_step(HISTORY_KIND, item, user, "responsible_office", "edit", field="item", new=_summary(item),
                    comment="导入")
    return imported, updated, skipped
