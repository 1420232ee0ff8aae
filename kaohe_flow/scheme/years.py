"""Years: a new year made from another, its org chart and scheme edited until it is opened,
and opening it (CONTRACT.md "Years, their org chart, scheme, settings and target letters").

Every change is checked as the data files are checked when loaded (`scheme.loader`): no unit
gates itself, gates and leaders exist, offices are units of the year, rules are well formed,
and opening checks that the items add up to the scheme's total (附件2: 100 points). A year's
chart and scheme belong to it alone: a change to 2019 never touches 2018's sheets or history.
Each operation commits once with its audit entry, or changes nothing.
"""
from decimal import Decimal

from flask import g
from sqlalchemy.exc import IntegrityError

from .. import access
from ..audit.admin import record_change
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..org import chart
from ..org.models import User, YearUnit
from ..org.queries import normalized
from ..points import ZERO, fmt_points
from ..uow import operation
from . import settings
from .models import scheme_graph, ItemOffice, Rule, Scheme, SchemeItem

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_ALIASES, MAX_NAME = 20, 100


def _admin_only(user) -> None:
    if not access.is_admin(user):
        raise Forbidden("只有管理员可以修改年度、组织架构和考核方案", "forbidden")


def _scheme(year: int) -> Scheme | None:
    return db.session.scalar(db.select(Scheme).filter_by(year=year).options(*scheme_graph()))


def exists(year: int) -> bool:
    """A year exists once it has an org chart or a scheme."""
    return bool(chart.chart(year)) or _scheme(year) is not None


def is_opened(year: int) -> bool:
    """A year is opened once its sheets exist (`POST /years/{year}/open`)."""
    from ..sheets.models import Sheet

    return db.session.scalar(db.select(Sheet.id).filter_by(year=year).limit(1)) is not None


def _forget(year: int | None = None) -> None:
    chart.forget()
    g.pop("_schemes", None)
    g.pop("_scheme_views", None)
    settings.forget(year)


# ------------------------------------------------------------------------------ reading


def list_years() -> list[dict]:
    """`GET /api/v1/years`: every year with a chart or a scheme, oldest first."""
    years = set(chart.chart_years()) | set(db.session.scalars(db.select(Scheme.year)))
    from ..sheets.models import Sheet

    opened = set(db.session.scalars(db.select(Sheet.year).distinct()))
    counts = dict(db.session.execute(
        db.select(YearUnit.year, db.func.count()).group_by(YearUnit.year)).all())
    totals = dict(db.session.execute(db.select(Scheme.year, Scheme.total)).all())
    return [{"year": y, "opened": y in opened, "units": counts.get(y, 0),
             "total": fmt_points(totals[y]) if y in totals else None} for y in sorted(years)]


def org_of(year: int | None) -> tuple[int, list]:
    """The org chart `GET /api/v1/units` answers: the year's, or without one the latest opened
    (the held chart's frozen places)."""
    if year is None:
        year = chart.default_year()
        if year is None:
            return 0, []
    elif not exists(year):
        raise NotFound(f"没有{year}年度")
    return year, list(chart.chart(year).values())


def place_of(year: int, code: str) -> YearUnit:
    """The unit's ORM row in the year's chart, for the admin's unit page and its change."""
    found = next((p for p in chart.chart_rows(year).values() if p.unit.code == code), None)
    if found is None:
        raise NotFound(f"{year}年度没有代码为 {code} 的单位", "no_such_unit")
    return found


def unit_values(place: YearUnit) -> dict:
    """A unit as the API shows it and the audit records it."""
    return {"code": place.unit.code, "name": place.name, "aliases": list(place.aliases or []),
            "gate_unit": place.gate_unit.code if place.gate_unit else None,
            "leader": place.leader.username if place.leader else None}


def scheme_total_check(scheme: Scheme) -> tuple[Decimal, Decimal]:
    """(the items' sum, the declared total)."""
    return sum((i.standard for i in scheme.items), ZERO), scheme.total


def open_problems(year: int) -> list[str]:
    """What stands between the year and its opening, in Chinese (empty: it may open)."""
    problems = []
    scheme = _scheme(year)
    if scheme is None:
        return [f"{year}年度还没有考核方案"]
    added, total = scheme_total_check(scheme)
    if added != total:
        problems.append(f"各考核项目标准分值合计 {fmt_points(added)} 分，与方案总分 {fmt_points(total)} 分不符")
    for place in chart.chart_rows(year).values():  # a leader's roles: the account itself
        if place.gate_unit_id is None:
            problems.append(f"{place.name}没有扎口科室")
        if place.leader_id is None:
            problems.append(f"{place.name}没有分管领导")
        elif not place.leader.active or not place.leader.has_role("leader"):
            problems.append(f"{place.name}的分管领导 {place.leader.username} 已停用或不再是分管领导")
    if not chart.chart(year):
        problems.append(f"{year}年度没有被考核单位")
    return problems + letter_problems(year)


def letter_problems(year: int) -> list[str]:
    """Target letters entered before a change to the `targets` standard (附件2 逐项赋分)."""
    from ..targets.queries import letters, total

    scheme = _scheme(year)
    item = scheme.item("targets") if scheme else None
    problems = []
    for unit_id, targets in (letters(year).items() if item is not None else []):
        if total(targets) != item.standard:
            place = chart.place(year, unit_id)
            problems.append(f"{place.name if place else unit_id}的目标责任书合计 {fmt_points(total(targets))} 分，"
                            f"与“{item.name}”标准分值 {fmt_points(item.standard)} 分不符")
    return problems


# ------------------------------------------------------------------------------ a new year


def _year_value(raw, label: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadRequest(f"{label}必须是四位年份", "bad_year")
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        raise Invalid(f"{label}必须是四位年份", "invalid_year")
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"{label}必须在 {FIRST_YEAR} 到 {LAST_YEAR} 之间", "invalid_year")
    return year


@operation
def create_year(user, payload) -> dict:
    """`POST /api/v1/years`: `year` made from `copy_from` — its chart (units, names, aliases,
    gates, leaders), scheme (categories, items, offices, rules, the target office), 信息报送
    quotas and settings. No sheets: the year opens when the admin says so."""
    _admin_only(user)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    if "year" not in payload:
        raise Invalid("请给出新年度（year）和作为模板的年度（copy_from）", "invalid_year")
    year = _year_value(payload["year"], "新年度")
    newest = max(list_years(), key=lambda y: y["year"], default=None)
    if payload.get("copy_from") is None and newest is not None:
        source = newest["year"]  # without copy_from: the newest year, as a person would start from
    else:
        source = _year_value(payload.get("copy_from"), "模板年度")
    if exists(year):
        raise Conflict(f"{year}年度已经存在", "year_exists")
    if not exists(source):
        raise Invalid(f"没有可作为模板的{source}年度", "unknown_year")
    from_scheme = _scheme(source)
    if from_scheme is None:
        raise Invalid(f"{source}年度没有考核方案，不能作为模板", "unknown_year")
    from ..trackers.info_quotas import copy_quotas

    places = list(chart.chart_rows(source).values())
    try:
        with db.session.no_autoflush:  # one flush below: a clash is the year_exists race, not a 500
            for place in places:
                db.session.add(YearUnit(year=year, unit_id=place.unit_id, name=place.name,
                                        aliases=list(place.aliases or []), position=place.position,
                                        gate_unit_id=place.gate_unit_id, leader_id=place.leader_id))
            db.session.add(_copy_scheme(from_scheme, year))
            copy_quotas(source, year)
            record_change(user, "year_created", f"year:{year}", None,
                          {"year": year, "copy_from": source, "units": len(places)})
        db.session.flush()
        settings.copy_settings(source, year)
    except IntegrityError:  # another admin made the same year a moment ago
        raise Conflict(f"{year}年度已经存在", "year_exists") from None
    _forget(year)
    db.session.commit()
    return next(y for y in list_years() if y["year"] == year)


def _copy_scheme(source: Scheme, year: int) -> Scheme:
    copy = Scheme(year=year, total=source.total, categories=[dict(c) for c in source.categories],
                  target_office_id=source.target_office_id)
    for item in source.items:
        new = SchemeItem(code=item.code, name=item.name, sheet_label=item.sheet_label, category=item.category,
                         standard=item.standard, content=item.content, method=item.method,
                         position=item.position, cooperating_all=item.cooperating_all)
        new.offices = [ItemOffice(unit_id=o.unit_id, role=o.role, position=o.position) for o in item.offices]
        new.rules = [Rule(code=r.code, text=r.text, kind=r.kind, points=r.points, position=r.position, flat=r.flat)
                     for r in item.rules]
        copy.items.append(new)
    return copy


# ------------------------------------------------------------------------------ the org chart


def _text(raw, label: str, limit: int = MAX_NAME) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(f"{label}不能为空", "invalid_org")
    text = " ".join(raw.split())
    if len(text) > limit or "\x00" in text:
        raise Invalid(f"{label}过长（最多 {limit} 个字）", "invalid_org")
    return text


def _aliases(raw) -> list[str]:
    if isinstance(raw, str):
        raw = [a for a in raw.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(raw, list) or len(raw) > MAX_ALIASES:
        raise Invalid(f"别名必须是名称列表（最多 {MAX_ALIASES} 个）", "invalid_org")
    out = []
    for alias in raw:
        if not isinstance(alias, str):
            raise Invalid("别名必须是文字", "invalid_org")
        alias = " ".join(alias.split())
        if alias and alias not in out:
            out.append(_text(alias, "别名"))
    return out


@operation
def update_unit(user, year: int, code: str, payload) -> YearUnit:
    """`PUT /api/v1/years/{year}/units/{code}`: any of `name`, `aliases`, `gate_unit`, `leader`.
    The gate map is fixed once the year is opened (a sheet's reviewer never changes under it);
    names, aliases and the leader may change at any time (a leader leaves mid-year)."""
    _admin_only(user)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    if not exists(year):
        raise NotFound(f"没有{year}年度")
    place = place_of(year, code)
    if "gate_unit" in payload and is_opened(year):  # not now (409) before what is wrong (422)
        current = place.gate_unit.code if place.gate_unit else None
        if payload["gate_unit"] != current:
            raise Conflict(f"{year}年度考核已开启，扎口科室不能再改", "year_opened")
    unknown = set(payload) - {"name", "aliases", "gate_unit", "leader", "version"}
    if unknown:
        raise Invalid(f"不能修改：{'、'.join(sorted(unknown))}（可改 name、aliases、gate_unit、leader）", "invalid_org")
    before = unit_values(place)
    places = chart.chart_rows(year)  # the same rows as `place`: the names are checked together
    by_code = {p.unit.code: p for p in places.values()}
    if "name" in payload:
        place.name = _text(payload["name"], "单位名称")
    if "aliases" in payload:
        place.aliases = _aliases(payload["aliases"])
    if "gate_unit" in payload:
        gate = payload["gate_unit"]
        if gate in (None, ""):
            raise Invalid(f"{place.name}必须有扎口科室（附件1：每个单位由一个扎口科室考核）", "invalid_org")
        if not isinstance(gate, str) or gate not in by_code:
            raise Invalid(f"{year}年度没有代码为 {gate} 的单位，不能作为扎口科室", "invalid_org")
        if gate == code:
            raise Invalid(f"{place.name}不能扎口考核自己（附件1）", "invalid_org")
        place.gate_unit_id = by_code[gate].unit_id
    if "leader" in payload:
        place.leader_id = _leader(payload["leader"]).id if payload["leader"] not in (None, "") else None
        if place.leader_id is None:
            raise Invalid(f"{place.name}必须有分管领导", "invalid_org")
    _check_names(year, places.values())
    after = unit_values(_refreshed(place))
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return place
    if place.unit_id and year >= max(chart.chart_years()):
        # `units` carries the newest year's names (people's pages, imports by name).
        place.unit.name, place.unit.aliases = place.name, list(place.aliases or [])
    record_change(user, "unit_changed", f"unit:{year}/{code}",
                  {k: before[k] for k in changed}, {k: after[k] for k in changed})
    db.session.flush()
    _forget(year)
    db.session.commit()
    return place


def _refreshed(place: YearUnit) -> YearUnit:
    db.session.flush()
    db.session.refresh(place, ["gate_unit", "leader"])
    return place


def _leader(username) -> User:
    if not isinstance(username, str) or "\x00" in username or len(username) > 64:
        raise Invalid("分管领导必须是用户名", "invalid_org")
    user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    if user is None or not user.active or not user.has_role("leader"):
        raise Invalid(f"没有启用中的分管领导账号 {username}", "invalid_org")
    return user


def _check_names(year: int, places) -> None:
    """No name or alias names two units of one year (imports resolve names to units)."""
    seen: dict[str, str] = {}
    for place in places:
        for name in (place.name, *(place.aliases or [])):
            key = normalized(name)  # as imports compare names
            if key in seen and seen[key] != place.unit.code:
                raise Invalid(f"名称“{name}”已被{year}年度的另一个单位使用", "invalid_org")
            seen[key] = place.unit.code


# ------------------------------------------------------------------------------ opening


@operation
def open_year(user, year: int) -> int:
    """`POST /api/v1/years/{year}/open`: check the total and the chart, then a `draft` sheet
    per unit. 409 the second time: a year opens once."""
    from ..sheets.service import create_drafts

    _admin_only(user)
    if not exists(year):
        raise NotFound(f"没有{year}年度")
    if is_opened(year):
        raise Conflict(f"{year}年度考核已经开启", "year_opened")
    scheme = _scheme(year)
    if scheme is None:
        raise Invalid(f"{year}年度还没有考核方案", "total_mismatch")
    added, total = scheme_total_check(scheme)
    if added != total:
        raise Invalid(f"各考核项目标准分值合计 {fmt_points(added)} 分，与方案总分 {fmt_points(total)} 分不符，"
                      f"请先调整项目分值", "total_mismatch")
    letters = letter_problems(year)
    problems = [p for p in open_problems(year) if p not in letters]
    if problems:
        raise Invalid("组织架构不完整：" + "；".join(problems), "invalid_org")
    if letters:
        raise Invalid("目标责任书与考核方案不符：" + "；".join(letters), "targets_total")
    try:
        created = create_drafts(year)
    except IntegrityError:  # opened by another admin a moment ago
        raise Conflict(f"{year}年度考核已经开启", "year_opened") from None
    record_change(user, "year_opened", f"year:{year}", None, {"year": year, "sheets": created})
    db.session.commit()
    return created

