"""Pages for target letters (目标责任书): the year's list, one unit's letter (edited by the office
responsible for 年度目标任务 or the admin) and the import from .xlsx."""
from decimal import Decimal

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import Forbidden, ServiceError
from ..points import PointsError, parse_points
from ..targets import queries as target_queries
from ..targets import service as targets
from ..trackers.imports import RowErrors
from . import bp
from .helpers import refusals_as_pages

BLANK_ROWS = 3  # empty lines offered under the letter; 增加行 offers more


@bp.app_context_processor
def _menu():
    """The menu's link to the letters, for those who enter them (the year's `targets` offices and the admin)."""
    return {"may_enter_letters": lambda user: target_queries.enters_letters(user, current_app.config["CURRENT_YEAR"])}


def _render_list(year: int, status: int = 200, row_errors: list | None = None):
    item, lines = targets.overview(current_user, year)
    may_import = bool(target_queries.can_edit_letter(current_user, item))
    return render_template("targets.html", year=year, item=item, lines=lines, may_import=may_import,
                           row_errors=row_errors or []), status


@bp.get("/years/<year:year>/targets")
@login_required
@refusals_as_pages
def targets_list(year):
    return _render_list(year)


@bp.post("/years/<year:year>/targets/import")
@login_required
@refusals_as_pages
def targets_import(year):
    try:
        done = targets.import_letters(current_user, year, request.files.get("file"))
    except RowErrors as exc:
        flash(exc.message, "error")
        return _render_list(year, exc.status, exc.rows)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        return _render_list(year, exc.status)
    flash(f"已导入 {len(done)} 个单位的目标责任书", "success")
    return redirect(url_for("web.targets_list", year=year))


def _typed(form) -> list[dict]:
    """The lines of the form as typed (title-N, points-N, remove-N), blank ones left out."""
    numbers = sorted({int(key.split("-", 1)[1]) for key in form
                      if key.startswith(("title-", "points-")) and key.split("-", 1)[1].isdigit()
                      and len(key) < 20})
    lines = []
    for n in numbers:
        title, points = form.get(f"title-{n}", "").strip(), form.get(f"points-{n}", "").strip()
        if title or points:
            lines.append({"title": title, "points": points, "remove": bool(form.get(f"remove-{n}"))})
    return lines


def _running_sum(lines: list[dict]) -> Decimal | None:
    """The sum of what was typed, or None while some points are not a number yet."""
    total = Decimal("0")
    for line in lines:
        if line.get("remove"):
            continue
        try:
            total += parse_points(line["points"])
        except PointsError:
            return None
    return total


def _render_letter(year: int, unit_code: str, lines: list[dict] | None = None, extra_blank: int = 0,
                   status: int = 200, errors: dict | None = None):
    unit, letter = targets.get_letter(current_user, year, unit_code)
    _scheme, item = target_queries.targets_item(year)
    why_not = targets.why_not_editable(current_user, year, unit)
    if lines is None:
        lines = [{"title": t.title, "points": target_queries.target_json(t)["points"], "code": t.code,
                  "remove": False} for t in letter]
    blanks = BLANK_ROWS + extra_blank if why_not is None else 0
    return render_template("targets_letter.html", year=year, unit=unit, letter=letter, item=item,
                           lines=lines + [{"title": "", "points": "", "remove": False}] * blanks,
                           running=_running_sum(lines), why_not=why_not, errors=errors or {}), status


@bp.get("/years/<year:year>/targets/<unit>")
@login_required
@refusals_as_pages
def targets_page(year, unit):
    return _render_letter(year, unit)


@bp.post("/years/<year:year>/targets/<unit>")
@login_required
@refusals_as_pages
def targets_save(year, unit):
    lines = _typed(request.form)
    if request.form.get("op") == "add":  # 增加行: more empty lines, nothing saved yet
        found, _letter = targets.get_letter(current_user, year, unit)
        why_not = targets.why_not_editable(current_user, year, found)
        if why_not is not None:
            raise Forbidden(why_not)
        return _render_letter(year, unit, lines, extra_blank=BLANK_ROWS)
    items = [{"title": line["title"], "points": line["points"]} for line in lines if not line["remove"]]
    try:
        targets.set_letter(current_user, year, unit, {"items": items})
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")  # what was typed stays on the page, with why it was refused
        return _render_letter(year, unit, lines, status=exc.status, errors=exc.fields)
    flash("目标责任书已保存" if items else "目标责任书已删除，该单位的年度目标任务恢复为整项评分", "success")
    return redirect(url_for("web.targets_page", year=year, unit=unit))
