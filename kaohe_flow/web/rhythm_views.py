"""Pages of the year's rhythm: a year's deadlines (办理期限), batch steps from the inbox (批量签字,
批量审核通过) and the progress board (进度). The services decide; these parse and render."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import access
from ..errors import ServiceError
from ..rhythm import batch, deadlines, progress
from ..scheme.settings import settings_for
from ..timeutil import local_today, parse_int
from ..workflow.machine import STATE_LABELS, STATES
from . import bp
from .helpers import error_page, refusals_as_pages
from ..pagecache import kept

#: What each batch action says when it went through, and the button that asks for it.
BATCH_DONE = {"sign": "已签字", "approve": "已审核通过"}
BATCH_BUTTONS = {"sign": "批量签字", "approve": "批量审核通过"}


@bp.app_context_processor
def _rhythm_helpers():
    return {"may_see_progress": progress.may_see, "BATCH_BUTTONS": BATCH_BUTTONS}


# ------------------------------------------------------------------------------ deadlines


def _render_deadlines(year: int, typed: dict, errors: dict | None = None, status: int = 200):
    return render_template("deadlines.html", year=year, typed=typed, errors=errors or {},
                           states=deadlines.DUE_STATES, due_soon_days=settings_for(year).due_soon_days,
                           may_edit=access.is_admin(current_user)), status


@bp.get("/years/<year:year>/deadlines")
@login_required
@refusals_as_pages
def deadlines_page(year):
    return _render_deadlines(year, {k: v or "" for k, v in deadlines.get_deadlines(current_user, year).items()})


@bp.post("/years/<year:year>/deadlines")
@login_required
@refusals_as_pages
def deadlines_save(year):
    # An empty field clears that state's deadline; a field the form did not send stays as it is.
    payload = {state: (request.form.get(state) or "").strip() or None
               for state in deadlines.DUE_STATES if state in request.form}
    try:
        deadlines.update_deadlines(current_user, year, payload)
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        flash(exc.message, "error")
        typed = {state: request.form.get(state, "") for state in deadlines.DUE_STATES}
        return _render_deadlines(year, typed, dict(exc.fields), exc.status)
    flash(f"已保存{year}年度办理期限", "success")
    return redirect(url_for("web.deadlines_page", year=year))


# ------------------------------------------------------------------------------ batch steps


def _records(values) -> list[dict]:
    """The ticked lines: each checkbox carries "kind:id:version" (what the page showed)."""
    records = []
    for value in values:
        kind, _, rest = value.partition(":")
        raw_id, _, raw_version = rest.partition(":")
        record_id, version = parse_int(raw_id), parse_int(raw_version)
        records.append({"kind": kind, "id": raw_id if record_id is None else record_id,
                        "version": raw_version if version is None else version})
    return records


@bp.post("/batch/actions/<action>")
@login_required
def batch_action(action):
    payload = {"records": _records(request.form.getlist("records")), "comment": request.form.get("comment", "")}
    try:
        outcomes = batch.run(current_user, action, payload)
    except ServiceError as exc:
        if exc.status == 404:
            return error_page(exc)
        flash("请先勾选要处理的记录" if exc.code == "no_records" else exc.message, "error")
        return redirect(url_for("web.inbox"))
    done = sum(1 for o in outcomes if o.status == 200)
    return render_template("batch_result.html", action=action, outcomes=outcomes, done=done,
                           done_text=BATCH_DONE.get(action, "已完成"), kind_labels=batch.KIND_LABELS)


# ------------------------------------------------------------------------------ progress


@bp.get("/years/<year:year>/progress")
@login_required
@kept
@refusals_as_pages
def progress_page(year):
    board = progress.progress(current_user, year)
    return render_template("progress.html", year=year, board=board, states=STATES, labels=STATE_LABELS,
                           total=sum(board.states.values()), today=local_today())
