"""Pages for years (年度管理): the list, a year's org chart and scheme, a unit, an item, opening
the year, and a year's settings (年度设置). Every signed-in user reads them; the admin edits them."""
import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..errors import NotFound, ServiceError
from ..org import accounts, chart
from ..scheme import items, settings, years
from ..scheme.queries import scheme_rows
from . import bp
from .helpers import refusals_as_pages

LIMIT_FIELDS = tuple(f"oa_limits_minutes.{kind}" for kind in settings.LIMIT_KINDS)


def _whole_or_text(raw: str):
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 9 else text


def _payload(form) -> dict:
    """The form as a PUT body; the service checks every value (and names what is wrong)."""
    hours = []
    for part in (form.get("office_hours") or "").replace("，", ",").replace("、", ",").split(","):
        if part.strip():
            pieces = [p.strip() for p in part.replace("–", "-").replace("～", "-").replace("~", "-").split("-")]
            hours.append(pieces)
    payload = {
        "office_hours": hours,
        "oa_limits_minutes": {kind: _whole_or_text(form.get(f"oa_limits_minutes.{kind}"))
                              for kind in settings.LIMIT_KINDS},
        "oa_no_client_hours": _whole_or_text(form.get("oa_no_client_hours")),
        "oa_no_client_basis": form.get("oa_no_client_basis", ""),
        "oa_no_client_factor": _whole_or_text(form.get("oa_no_client_factor")),
        "info_yearly_minimum_points": (form.get("info_yearly_minimum_points") or "").strip(),
        "gov_affairs_points": (form.get("gov_affairs_points") or "").strip(),
        "bonus_cap": (form.get("bonus_cap") or "").strip() or None,
        "due_soon_days": _whole_or_text(form.get("due_soon_days")),
        "appeal_days": _whole_or_text(form.get("appeal_days")),
    }
    sent = {key for key in settings.KEYS if key in form} | ({"oa_limits_minutes"} if LIMIT_FIELDS[0] in form else set())
    return {key: value for key, value in payload.items() if key in sent}


def _typed(values: dict) -> dict:
    """Settings (API shape) as the form's text."""
    typed = {
        "office_hours": ", ".join(f"{a}-{b}" for a, b in values["office_hours"]),
        "oa_no_client_hours": values["oa_no_client_hours"], "oa_no_client_basis": values["oa_no_client_basis"],
        "oa_no_client_factor": values["oa_no_client_factor"],
        "info_yearly_minimum_points": values["info_yearly_minimum_points"],
        "gov_affairs_points": values["gov_affairs_points"], "bonus_cap": values["bonus_cap"] or "",
        "due_soon_days": values["due_soon_days"], "appeal_days": values["appeal_days"],
    }
    for kind, minutes in values["oa_limits_minutes"].items():
        typed[f"oa_limits_minutes.{kind}"] = minutes
    return typed


def _render(year: int, typed: dict, errors: dict | None = None, status: int = 200):
    return render_template("year_settings.html", year=year, typed=typed, errors=errors or {},
                           labels=settings.LABELS, limit_kinds=settings.LIMIT_KINDS, bases=settings.BASES,
                           shaping=settings.SHAPING, opened=settings.year_opened(year),
                           may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>/settings")
@login_required
@refusals_as_pages
def year_settings_page(year):
    return _render(year, _typed(settings.get_settings(current_user, year).json()))


@bp.post("/years/<year:year>/settings")
@login_required
@refusals_as_pages
def year_settings_save(year):
    typed = {key: request.form.get(key, "") for key in settings.KEYS if key != "oa_limits_minutes"}
    typed.update({key: request.form.get(key, "") for key in LIMIT_FIELDS})
    try:
        settings.update_settings(current_user, year, _payload(request.form))
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")  # the whole message on top (a 409 says the year is opened) …
        return _render(year, typed, dict(exc.fields), exc.status)  # … and each key's next to its field
    flash(f"已保存{year}年度设置", "success")
    return redirect(url_for("web.year_settings_page", year=year))


# ------------------------------------------------------------------------------ years (年度管理, issue 7)

RULE_KIND_LABELS = {"per_occurrence": "每次扣分", "zeroing": "不得分", "target": "目标任务"}
BLANK_RULE = {"id": "", "kind": "per_occurrence", "points": "", "text": "", "flat": False}
BLANK_RULES = 2  # empty rule rows under an item's rules, for adding
UNIT_FIELDS = ("name", "aliases", "gate_unit", "leader")
SEPARATORS = re.compile(r"[,，、]")


def _existing(year: int) -> None:
    if not years.exists(year):
        raise NotFound(f"没有{year}年度")


def _render_years(typed: dict | None = None, status: int = 200):
    listed = years.list_years()
    templates = [y["year"] for y in listed if y["total"] is not None]  # only a year with a scheme is copied
    if typed is None:
        newest = max((y["year"] for y in listed), default=None)
        typed = {"year": str(newest + 1) if newest else "", "copy_from": str(templates[-1]) if templates else ""}
    return render_template("years.html", years=listed, templates=templates, typed=typed,
                           may_edit=access.is_admin(current_user)), status


@bp.get("/years", endpoint="years")
@login_required
@refusals_as_pages
def year_list_page():
    return _render_years()


@bp.post("/years")
@login_required
@refusals_as_pages
def year_create():
    typed = {"year": request.form.get("year", "").strip(), "copy_from": request.form.get("copy_from", "").strip()}
    try:
        made = years.create_year(current_user, typed)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _render_years(typed, exc.status)
    flash(f"已由{typed['copy_from']}年度复制新建{made['year']}年度（{made['units']} 个单位）；"
          f"开启考核前可修改组织架构和考核方案", "success")
    return redirect(url_for("web.year_page", year=made["year"]))


def _render_year(year: int, status: int = 200):
    _existing(year)
    places = chart.chart(year)
    scheme = scheme_rows(year)  # the admin's pages read the rows they edit
    added, total = years.scheme_total_check(scheme) if scheme is not None else (None, None)
    # The letters' pages come from another part of issue 7; link them once they exist.
    targets_url = url_for("web.targets_list", year=year) if "web.targets_list" in current_app.view_functions else None
    return render_template("year.html", year=year, places=list(places.values()),
                           names={uid: p.name for uid, p in places.items()}, scheme=scheme, added=added,
                           total=total, problems=years.open_problems(year), opened=years.is_opened(year),
                           targets_url=targets_url, may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>")
@login_required
@refusals_as_pages
def year_page(year):
    return _render_year(year)


@bp.post("/years/<year:year>/open")
@login_required
@refusals_as_pages
def year_open(year):
    try:
        created = years.open_year(current_user, year)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _render_year(year, exc.status)
    flash(f"已开启{year}年度考核，建立考核表 {created} 张", "success")
    return redirect(url_for("web.year_page", year=year))


# ------------------------------------------------------------------------------ a unit of a year


def _place(year: int, code: str):
    _existing(year)
    return years.place_of(year, code)


def _unit_typed(place) -> dict:
    values = years.unit_values(place)
    return {"name": values["name"], "aliases": "、".join(values["aliases"]),
            "gate_unit": values["gate_unit"] or "", "leader": values["leader"] or ""}


def _leaders(current) -> list:
    """The active leaders the admin chooses from (the service refuses anyone else), and the
    current one; others see only the current one (their select is read-only)."""
    if not access.is_admin(current_user):
        return [current] if current is not None else []
    leaders = [u for u in accounts.list_users(current_user) if u.active and u.has_role("leader")]
    return leaders + ([current] if current is not None and current not in leaders else [])


def _unit_changes(form, before: dict) -> dict:
    """Only what the form changes goes to the service: an opened year's unchanged gate is no edit."""
    changes = {}
    if "name" in form and " ".join(form["name"].split()) != before["name"]:
        changes["name"] = form["name"]
    if "aliases" in form:
        aliases = [" ".join(a.split()) for a in SEPARATORS.split(form["aliases"]) if a.strip()]
        if aliases != before["aliases"]:
            changes["aliases"] = aliases
    for key in ("gate_unit", "leader"):
        if key in form and form[key].strip() != (before[key] or ""):
            changes[key] = form[key].strip()
    return changes


def _render_unit(year: int, place, typed: dict, status: int = 200):
    return render_template("year_unit.html", year=year, place=place, typed=typed,
                           places=list(chart.chart(year).values()), leaders=_leaders(place.leader),
                           opened=years.is_opened(year), may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>/units/<code>")
@login_required
@refusals_as_pages
def year_unit_page(year, code):
    place = _place(year, code)
    return _render_unit(year, place, _unit_typed(place))


@bp.post("/years/<year:year>/units/<code>")
@login_required
@refusals_as_pages
def year_unit_save(year, code):
    place = _place(year, code)
    typed = {**_unit_typed(place), **{key: request.form[key] for key in UNIT_FIELDS if key in request.form}}
    changes = _unit_changes(request.form, years.unit_values(place))
    try:
        place = years.update_unit(current_user, year, code, changes)  # asked even with none: 403 for others
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _render_unit(year, place, typed, exc.status)
    flash(f"已保存{year}年度{place.name}的组织架构信息" if changes else f"{place.name}没有改动", "success")
    return redirect(url_for("web.year_page", year=year))


# ------------------------------------------------------------------------------ an item of a year's scheme


def _item(year: int, code: str):
    _existing(year)
    scheme = scheme_rows(year)
    item = scheme.item(code) if scheme is not None else None
    if item is None:
        raise NotFound(f"{year}年度考核方案中没有项目“{code}”", "no_such_item")
    return scheme, item


def _item_typed(item) -> dict:
    values = items.item_values(item)
    cooperating = values["cooperating"]
    return {"name": values["name"], "standard": values["standard"], "method": values["method"],
            "responsible": values["responsible"], "cooperating_all": cooperating == "all",
            "cooperating": [] if cooperating == "all" else cooperating,
            "rules": values["rules"] + [dict(BLANK_RULE) for _ in range(BLANK_RULES)]}


def _typed_rules(form) -> list[dict]:
    """The rule rows as typed (rule-id-N, rule-kind-N, rule-points-N, rule-text-N, the box
    rule-flat-N for 只扣一次), in row order."""
    numbers = sorted({int(n) for n in (key.rsplit("-", 1)[1] for key in form
                                       if key.startswith(("rule-id-", "rule-text-")))
                      if n.isascii() and n.isdigit() and len(n) < 6})
    return [{"id": form.get(f"rule-id-{n}", "").strip(), "kind": form.get(f"rule-kind-{n}", ""),
             "points": form.get(f"rule-points-{n}", "").strip(),
             "text": form.get(f"rule-text-{n}", "").replace("\r\n", "\n").strip(),
             "flat": bool(form.get(f"rule-flat-{n}"))} for n in numbers]


def _differs(offices, before) -> bool:
    """Offices compared as sets: the checkboxes come in the chart's order, not the item's."""
    return offices != before if "all" in (offices, before) else set(offices) != set(before)


def _item_form(form, item) -> tuple[dict, dict]:
    """(what the form shows again, what changed for the service). The offices and the rules are
    read only when their part of the form came (an unchecked box sends nothing)."""
    before, typed = items.item_values(item), _item_typed(item)
    changes = {}
    for key in ("name", "standard", "method"):
        if key in form:
            typed[key] = form[key].replace("\r\n", "\n").strip()
            if typed[key] != before[key]:
                changes[key] = typed[key]
    if "offices" in form:
        typed["responsible"], typed["cooperating"] = form.getlist("responsible"), form.getlist("cooperating")
        typed["cooperating_all"] = bool(form.get("cooperating_all"))
        cooperating = "all" if typed["cooperating_all"] else typed["cooperating"]
        if _differs(typed["responsible"], before["responsible"]):
            changes["responsible"] = typed["responsible"]
        if _differs(cooperating, before["cooperating"]):
            changes["cooperating"] = cooperating
    if "rules" in form:
        typed["rules"] = _typed_rules(form)
        kept = [rule for rule in typed["rules"] if rule["id"] or rule["text"]]  # a blank row is no rule
        if kept != before["rules"]:
            changes["rules"] = kept
    return typed, changes


def _render_item(year: int, scheme, item, typed: dict, status: int = 200):
    opened = years.is_opened(year)
    return render_template("year_item.html", year=year, item=item, category=scheme.category_name(item.category),
                           typed=typed, places=list(chart.chart(year).values()), kinds=RULE_KIND_LABELS,
                           opened=opened, may_edit=access.is_admin(current_user) and not opened), status


@bp.get("/years/<year:year>/items/<code>")
@login_required
@refusals_as_pages
def year_item_page(year, code):
    scheme, item = _item(year, code)
    return _render_item(year, scheme, item, _item_typed(item))


@bp.post("/years/<year:year>/items/<code>")
@login_required
@refusals_as_pages
def year_item_save(year, code):
    scheme, item = _item(year, code)
    typed, changes = _item_form(request.form, item)
    try:
        item = items.update_item(current_user, year, code, changes)  # asked even with none: 403 for others
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _render_item(year, scheme, item, typed, exc.status)
    flash(f"已保存{year}年度考核项目“{item.name}”" if changes else f"“{item.name}”没有改动", "success")
    return redirect(url_for("web.year_page", year=year))
