"""Pages for OA sign-in timeliness (附件5): the report, entering and importing documents, and
the admin's working-day calendar."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..attachments import single_file
from ..errors import ServiceError
from ..org.queries import resolve_unit
from ..scheme.settings import settings_for
from ..trackers import oa, workdays
from ..trackers import oa_excuse as excuses
from ..trackers.oa_models import KIND_LABELS
from . import bp
from .helpers import error_page
from .paging import paginate
from ..pagecache import kept
from .views import _year
from ..timeutil import parse_int


def _filters() -> tuple[str | None, object]:
    """The recipient list's filters: `?status=` (oa.STATUS_FILTERS) and `?unit=` (a unit's code
    or name); anything unknown is no filter."""
    status = request.args.get("status")
    unit = resolve_unit(request.args.get("unit")) if request.args.get("unit") else None
    return (status if status in oa.STATUS_FILTERS else None), unit


def _back(number: int, args: dict) -> dict:
    """The list's page and filters, carried through an excuse so the office lands where it was."""
    kept = {k: v for k, v in args.items() if k in ("status", "unit")}
    return {**kept, **({"page": number} if number > 1 else {})}


def _render(year: int, typed: dict | None = None, status: int = 200, rows=None):
    shown, unit = _filters()
    try:
        found = oa.report_for_page(current_user, year, shown, unit.id if unit else None)
        problem = None
    except ServiceError as exc:  # e.g. a year the calendar does not know
        found, problem = {"recipients": [], "units": []}, exc.message
    # Only the page's rows become dicts: the whole list of a district's year is 50,000 (issue 11).
    page = paginate(found["recipients"], endpoint="web.oa_report_page",
                    args={"year": year, "status": shown, "unit": unit.code if unit else None})
    page.items = [oa.recipient_json(j) for j in page.items]
    back = _back(page.number, page.args)
    history = oa.recent_history() if oa.may_read_documents(current_user, year) else []
    return render_template("oa_report.html", year=year, report=found, page=page, back=back, shown=shown, unit=unit,
                           problem=problem, typed=typed or {},
                           may_enter=oa.may_enter(current_user, year), kinds=KIND_LABELS, rows=rows or [],
                           days=workdays.list_days(year), settings=settings_for(year),
                           rule_points=oa.rule_points(year),
                           may_edit_calendar=access.can_edit_calendar(current_user).allowed,
                           may_excuse=excuses.may_excuse(current_user, year), history=history), status


@bp.get("/oa")
@login_required
@kept
def oa_report_page():
    return _render(_year())


def _recipients(text: str) -> list[dict]:
    """One recipient per line: `用户名` or `用户名, 2018-03-05 10:20` (签收时间)."""
    out = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",", 1)]
        if parts and parts[0]:
            signed = parts[1] if len(parts) > 1 and parts[1] else None
            out.append({"username": parts[0], "signed_at": signed.replace(" ", "T", 1) if signed else None})
    return out


@bp.post("/oa")
@login_required
def oa_document_create():
    year = _year()
    typed = {k: request.form.get(k, "") for k in ("title", "kind", "sent_at", "recipients")}
    payload = {"title": typed["title"], "kind": typed["kind"], "sent_at": typed["sent_at"].replace(" ", "T", 1),
               "recipients": _recipients(typed["recipients"])}
    try:
        oa.save_document(current_user, payload)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(year, typed, exc.status)
    flash("已录入 OA 文件，签收情况已计入考核记录", "success")
    return redirect(url_for("web.oa_report_page", year=year))


@bp.post("/oa/documents/<id:document_id>/excuse")
@login_required
def oa_excuse(document_id):
    """免除: the 信息管理 office excuses one case with its reason (or takes an excuse back)."""
    year = _year()
    payload = {"recipient": parse_int(request.form.get("recipient")) or request.form.get("recipient"),
               "reason": request.form.get("reason", "")}
    if request.form.get("withdraw"):
        payload = {"recipient": payload["recipient"], "excused": False}
    try:
        document = excuses.excuse(current_user, document_id, payload)
    except ServiceError as exc:
        if exc.status in (403, 404):
            return error_page(exc)
        flash(exc.message, "error")
        return _render(year, status=exc.status)
    flash("已撤销免除" if request.form.get("withdraw") else f"已免除扣分：《{document.title}》", "success")
    back = _back(request.args.get("page", type=int) or 1, request.args)
    return redirect(url_for("web.oa_report_page", year=document.year, **back))


@bp.post("/oa/import")
@login_required
def oa_import():
    year = _year()
    try:
        done = oa.import_documents(current_user, single_file(request.files))
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render(year, status=exc.status, rows=getattr(exc, "rows", []))
    flash(f"已导入 {done['rows']} 行：新增文件 {done['created']} 份，更新 {done['updated']} 份", "success")
    return redirect(url_for("web.oa_report_page", year=year))


@bp.post("/calendar")
@login_required
def calendar_set():
    year = _year()
    kind = request.form.get("kind")
    try:
        if kind == "clear":
            workdays.clear_day(current_user, request.form.get("date", ""))
        else:
            workdays.set_day(current_user, request.form.get("date", ""),
                             {"is_workday": kind == "workday", "note": request.form.get("note")})
    except ServiceError as exc:
        if exc.status == 403:
            return error_page(exc)
        flash("请填写正确的日期（YYYY-MM-DD）和不超过 100 字的说明" if exc.status in (404, 422) else exc.message,
              "error")
        return _render(year, status=422 if exc.status in (404, 422) else exc.status)
    day = workdays.parse_day(request.form.get("date", ""))
    flash(f"已更新工作日历：{day.isoformat()}", "success")
    return redirect(url_for("web.oa_report_page", year=day.year))
