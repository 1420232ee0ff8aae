"""Pages for the staff lists (人员名单): people without accounts whom OA documents reach (附件5
covers all staff). A unit keeps its own list; the 信息管理 office and the admin keep every list."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..attachments import single_file
from ..errors import ServiceError
from ..org import chart
from ..trackers import oa_people
from . import bp
from .helpers import error_page
from .paging import paginate


def _render(typed: dict | None = None, status: int = 200, rows=None):
    from flask import current_app

    # A district's lists are long (issue 11); shown again after a refused addition or import (a
    # POST's address), the pager still leads to the list.
    page = paginate(oa_people.list_staff(current_user), endpoint="web.staff_page")
    units = chart.units_of(chart.default_year() or current_app.config["CURRENT_YEAR"])
    keeps = [u for u in units if oa_people.may_keep(current_user, u)]
    return render_template("staff.html", members=page.items, page=page, units=keeps, typed=typed or {},
                           rows=rows or [],
                           may_remove={m.id for m in page.items if oa_people.may_keep(current_user, m.unit)}), status


@bp.get("/staff")
@login_required
def staff_page():
    return _render()


@bp.post("/staff")
@login_required
def staff_add():
    typed = {"unit": request.form.get("unit", ""), "name": request.form.get("name", "")}
    try:
        member = oa_people.add_staff(current_user, typed)
    except ServiceError as exc:
        if exc.status == 403:
            return error_page(exc)
        flash(exc.message, "error")
        return _render(typed, exc.status)
    flash(f"已将{member.name}加入{member.unit.name}的人员名单", "success")
    return redirect(url_for("web.staff_page"))


@bp.post("/staff/<id:staff_id>/remove")
@login_required
def staff_remove(staff_id):
    try:
        oa_people.remove_staff(current_user, staff_id)
    except ServiceError as exc:
        return error_page(exc)
    flash("已从人员名单中移除（已发送的文件仍保留其签收记录）", "success")
    return redirect(url_for("web.staff_page"))


@bp.post("/staff/import")
@login_required
def staff_import():
    try:
        done = oa_people.import_staff(current_user, single_file(request.files))
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(status=exc.status, rows=getattr(exc, "rows", []))
    flash(f"已导入 {done['rows']} 行，新加入 {done['added']} 人", "success")
    return redirect(url_for("web.staff_page"))
