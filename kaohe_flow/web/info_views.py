"""Pages for information reporting (附件4): the report with the award ranking, entering,
importing and deleting adopted items."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import ServiceError
from ..org.queries import resolve_unit, units_by_name
from ..timeutil import parse_year
from ..trackers import info, info_quotas
from ..trackers import info_report as reports
from ..trackers.imports import RowErrors
from . import bp
from .paging import Page, page_of
from ..pagecache import kept
from .views import _year

FORM_FIELDS = ("unit", "title", "adopted_on", "portal", "special", "stream", "district_offices")


def _render(year: int, typed: dict | None = None, row_errors: list | None = None, status: int = 200):
    iy = info_quotas.info_year(year)
    report = reports.report(current_user, year) if iy is not None else None
    units = sorted(set(units_by_name().values()), key=lambda u: u.position)
    unit = resolve_unit(request.args.get("unit")) if request.args.get("unit") else None
    page = _items_page(year, unit)
    return render_template(
        "info_report.html", year=year, report=report, items=page.items, page=page, unit=unit, units=units,
        may_enter=iy is not None and info.can_enter(current_user, iy), typed=typed or {},
        changeable={i.id for i in page.items if info.may_change(current_user, i)},
        row_errors=row_errors or [], PORTAL_LABELS=info.PORTAL_LABELS, STREAM_LABELS=info.STREAM_LABELS,
    ), status


def _items_page(year: int, unit) -> Page:
    """The page of the year's items `?page=` asks for (`?unit=`: one unit's), read a page at a
    time from the database: a district's year has 20,000 items (issue 11)."""
    unit_id = unit.id if unit is not None else None
    return page_of(info.count_items(current_user, year, unit_id),
                   lambda offset, limit: info.items_page(current_user, year, offset // limit + 1, limit, unit_id),
                   "web.info_report", {"year": year, "unit": unit.code if unit is not None else None})


def _form_year() -> int:
    return parse_year(request.form.get("year", "")) or _year()


@bp.get("/info")
@login_required
@kept
def info_report():
    return _render(_year())


@bp.post("/info/items")
@login_required
def info_item_create():
    year = _form_year()
    form = request.form
    payload = {k: form.get(k, "") for k in ("unit", "title", "adopted_on", "portal", "stream")}
    payload["special"] = form.get("special") in ("1", "on", "true")
    payload["district_offices"] = form.get("district_offices") in ("1", "on", "true")
    try:
        item = info.create(current_user, payload)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(year, {k: form.get(k, "") for k in FORM_FIELDS}, status=exc.status)
    flash(f"已录入：{item.unit.name} {item.adopted_on.isoformat()}“{item.title}”", "success")
    return redirect(url_for("web.info_report", year=item.year))


@bp.post("/info/items/<id:item_id>/delete")
@login_required
def info_item_delete(item_id):
    year = _form_year()
    try:
        info.delete(current_user, item_id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(year, status=exc.status)
    flash("信息已删除，相关扣分记录已随之更新", "success")
    return redirect(url_for("web.info_report", year=year))


@bp.post("/info/import")
@login_required
def info_import():
    year = _form_year()
    try:
        result = info.import_file(current_user, request.files.get("file"), year)
    except RowErrors as exc:
        flash(exc.message, "error")
        return _render(year, row_errors=exc.rows, status=exc.status)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(year, status=exc.status)
    parts = [f"新导入 {result['imported']} 条"]
    if result["updated"]:
        parts.append(f"更正 {result['updated']} 条")
    if result["skipped"]:
        parts.append(f"{result['skipped']} 条此前已录入，未重复计算")
    flash("导入完成：" + "，".join(parts), "success")
    return redirect(url_for("web.info_report", year=year))
