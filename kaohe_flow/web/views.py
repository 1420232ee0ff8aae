"""Page routes: parse the form, call one service, render or redirect with a message."""
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..audit.service import steps_of
from ..errors import ServiceError
from ..timeutil import parse_year
from ..workflow.machine import ACTION_LABELS
from ..org import service as org_service
from ..security import sessions
from ..security.throttle import TooManyAttempts
from ..rhythm import inbox as rhythm_inbox
from ..sheets import queries
from ..sheets import service as sheets
from ..workflow import rounds
from . import bp
from .paging import paginate
from .helpers import error_page, flash_refusal, form_version, refusals_as_pages
from ..pagecache import kept
from .forms import LoginForm

ACTION_DONE = {"submit": "已提交扎口科室审核", "withdraw": "已撤回", "approve": "已审核通过，进入责任科室会签",
               "sign": "已签字", "return": "已退回", "reopen": "已重新打开"}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host, never a scheme (open redirect)."""
    if not target:
        return url_for("web.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.inbox")
    return target


def _year() -> int:
    return parse_year(request.args.get("year", "")) or current_app.config["CURRENT_YEAR"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = org_service.check_sign_in(form.username.data, form.password.data, "page")
        except TooManyAttempts as exc:
            response = make_response(render_template("login.html", form=form, locked=exc.message), 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            sessions.sign_in(user)
            return redirect(_safe_next(form.next.data))
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    sessions.sign_out()
    flash("已退出登录", "info")
    return redirect(url_for("web.login"))


@bp.get("/")
@login_required
def home():
    return redirect(url_for("web.inbox"))


@bp.get("/inbox")
@login_required
@kept
def inbox():
    year = _year()
    # Sheets and applications together, by due date; a returned record gets its own line above.
    lines = rhythm_inbox.waiting(current_user, year)
    fillable = rhythm_inbox.fillable(current_user, year, {ln.record.id for ln in lines if ln.kind == "sheet"})
    return render_template("inbox.html", year=year, returned=[ln for ln in lines if ln.returned],
                           waiting=[ln for ln in lines if not ln.returned], editable=fillable,
                           batch_actions=[a for a in rhythm_inbox.BATCHABLE if any(ln.action == a for ln in lines)])


@bp.get("/sheets")
@login_required
@kept
def sheet_list():
    year = _year()
    page = paginate(queries.summaries(current_user, year))
    return render_template("sheets.html", year=year, sheets=page.items, page=page)


def _render_sheet(sheet_id: int, *, status: int = 200, typed: dict | None = None, errors: dict | None = None,
                  open_action: str | None = None):
    sheet, scheme, facts = queries.get_visible(current_user, sheet_id)
    sheet_view = queries.view(current_user, sheet, scheme, facts)
    history = steps_of("sheet", sheet.id)
    return render_template(
        "sheet.html", v=sheet_view, history=history, typed=typed or {},
        errors=errors or {}, open_action=open_action, returned=rounds.returned("sheet", [sheet.id]).get(sheet.id),
        since=rounds.since_return(history),
    ), status


@bp.get("/sheets/<id:sheet_id>/changes")
@login_required
@refusals_as_pages
def sheet_changes(sheet_id):
    """退回后的修改: what the gate changed since the return, and the rows that wait for signatures."""
    sheet, scheme, facts = queries.get_visible(current_user, sheet_id)
    sheet_view = queries.view(current_user, sheet, scheme, facts)
    return render_template("changes.html", kind="sheet", record=sheet, title=f"{sheet.unit_name} {sheet.year}年度考核计分表",
                           back=url_for("web.sheet_page", sheet_id=sheet.id),
                           since=rounds.since_return(steps_of("sheet", sheet.id)),
                           item_names={r.code: r.row.item.name for r in sheet_view.rows},
                           unsigned=queries.unsigned_rows(sheet_view))


@bp.get("/sheets/<id:sheet_id>")
@login_required
@kept
@refusals_as_pages
def sheet_page(sheet_id):
    return _render_sheet(sheet_id)


@bp.post("/sheets/<id:sheet_id>/rows")
@login_required
def save_rows(sheet_id):
    """Save the typed scores; with ?then=submit|approve, then fire that action on the result."""
    kind = request.form.get("kind")
    then = request.args.get("then")
    if kind not in ("self", "review") or then not in (None, "submit", "approve"):
        flash("表单有误，请刷新页面后重试", "error")
        return redirect(url_for("web.sheet_page", sheet_id=sheet_id))
    changes = _changed_rows(request.form)
    typed = {"kind": kind, "rows": changes, "comment": request.form.get("comment", "")}
    version = form_version()
    saved = None
    take = request.form.get("take") if kind == "review" else None
    try:
        if take:
            saved = sheets.take_suggestions(current_user, sheet_id, version, changes, take)
            version = saved.version
        elif changes:
            saved = sheets.update_rows(current_user, sheet_id, kind, version, changes)
            version = saved.version
        if then:
            sheets.fire_action(current_user, sheet_id, then, {"version": version, "comment": typed["comment"]})
    except ServiceError as exc:
        if saved is not None:  # the scores were saved; only the action was refused
            typed["rows"] = {}
            exc.message = f"分值已保存，但未能{ACTION_LABELS[then]}：{exc.message}"
        return _refused(sheet_id, exc, typed, open_action=then)
    if then:
        flash(ACTION_DONE[then], "success")
    else:
        flash(queries.after_save(current_user, saved, kind) if saved is not None else "没有修改",
              "success" if saved is not None else "info")
    return redirect(url_for("web.sheet_page", sheet_id=sheet_id))


def _changed_rows(form) -> dict:
    """Only the rows the user changed: the form carries what the page showed beside what was
    typed, so a save never writes back values a colleague has changed since (stale pages)."""
    changes = {}
    for code in form.getlist("code"):
        score, reason = form.get(f"score-{code}", "").strip(), form.get(f"reason-{code}", "")
        if "shown-score-" + code not in form:  # an older page without the shown values
            changes[code] = {"score": score, "reason": reason}
            continue
        row = {}
        if score != form.get(f"shown-score-{code}", "").strip():
            row["score"] = score
        if reason.strip() != form.get(f"shown-reason-{code}", "").strip():
            row["reason"] = reason
        if row:
            changes[code] = row
    return changes


@bp.post("/sheets/<id:sheet_id>/key-deduction")
@login_required
def save_key_deduction(sheet_id):
    """重点指标扣分, saved with the 考评分 typed on the same page (nothing typed is lost)."""
    payload = {"version": form_version(), "points": request.form.get("points", "").strip() or "0",
               "reason": request.form.get("reason", "")}
    changes = _changed_rows(request.form) if request.form.get("kind") == "review" else {}
    typed = {"key": payload, "kind": "review", "rows": changes}
    saved = False
    try:
        if changes:
            payload["version"] = sheets.update_rows(current_user, sheet_id, "review", payload["version"],
                                                    changes).version
            saved = True
        sheets.set_key_deduction(current_user, sheet_id, payload)
    except ServiceError as exc:
        if saved:  # the scores were saved; only the key deduction was refused
            typed["rows"] = {}
            exc.message = f"考评分已保存，但重点指标扣分未保存：{exc.message}"
        return _refused(sheet_id, exc, typed)
    flash("考评分和重点指标扣分已保存" if saved else "重点指标扣分已保存", "success")
    return redirect(url_for("web.sheet_page", sheet_id=sheet_id))


@bp.post("/sheets/<id:sheet_id>/actions/<action>")
@login_required
def sheet_action(sheet_id, action):
    payload = {"version": form_version(), "comment": request.form.get("comment", ""),
               "items": request.form.getlist("items") or None}
    try:
        sheets.fire_action(current_user, sheet_id, action, payload)
    except ServiceError as exc:
        return _refused(sheet_id, exc, {"action": action, "comment": payload["comment"],
                                        "items": payload["items"] or []}, open_action=action)
    flash(ACTION_DONE.get(action, "操作已完成"), "success")
    return redirect(url_for("web.sheet_page", sheet_id=sheet_id))


def _refused(sheet_id: int, exc: ServiceError, typed: dict, open_action: str | None = None):
    """Show why, keep what the user typed, on the same page."""
    flash_refusal(exc)
    try:
        return _render_sheet(sheet_id, status=exc.status, typed=typed, errors=exc.fields, open_action=open_action)
    except ServiceError as inner:
        return error_page(inner)
