"""Page routes: parse the form, call one service, render or redirect with a message."""
from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..audit.service import steps_of
from ..errors import ServiceError
from ..timeutil import parse_year
from ..workflow.machine import ACTION_LABELS, STATE_LABELS
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

ACTION_DONE = {"submit": "已提交扎口科室审核", "withdraw": "已撤回", "sign": "已签字", "return": "已退回",
               "reopen": "已重新打开"}


def done_message(action: str, record) -> str:
    """What the step did, for the page it leads to. An approval names the state it reached: a
    sheet back at the gate (returned or reopened) whose rows all kept their signatures skips 会签
    and goes straight to 分管领导签字 (machine.Transition.skips_to), an application to its leader."""
    if action == "approve":
        return f"已审核通过，进入{STATE_LABELS.get(record.state, record.state)}"
    return ACTION_DONE.get(action, f"已{ACTION_LABELS.get(action, '完成')}")


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
    key = _changed_key(request.form) if kind == "review" else None
    typed = {"kind": kind, "rows": changes, "comment": request.form.get("comment", "")}
    if key is not None:
        typed["key"] = key
    version = form_version()
    saved, key_saved, moved = None, False, None
    take = request.form.get("take") if kind == "review" else None
    try:
        if take:
            saved = sheets.take_suggestions(current_user, sheet_id, version, changes, take)
            version = saved.version
        elif changes:
            saved = sheets.update_rows(current_user, sheet_id, kind, version, changes)
            version = saved.version
        if key is not None:  # its boxes belong to this form: saving or approving must not drop them
            version = sheets.set_key_deduction(current_user, sheet_id, {"version": version, **key}).version
            key_saved = True
        if then:
            moved = sheets.fire_action(current_user, sheet_id, then,
                                       {"version": version, "comment": typed["comment"]})
    except ServiceError as exc:
        # Each save is a unit of work of its own: say what stands, keep what did not on the page.
        done = [what for what, ok in (("分值", saved is not None), ("重点指标扣分", key_saved)) if ok]
        if saved is not None:
            typed["rows"] = {}
        if key_saved:
            typed.pop("key", None)
        if done:
            failed = "重点指标扣分未保存" if key is not None and not key_saved else f"未能{ACTION_LABELS[then]}"
            exc.message = f"{'和'.join(done)}已保存，但{failed}：{exc.message}"
        return _refused(sheet_id, exc, typed, open_action=then)
    if moved is not None:
        flash(done_message(then, moved), "success")
    elif saved is not None:
        flash(queries.after_save(current_user, saved, kind), "success")
    else:
        flash("重点指标扣分已保存" if key_saved else "没有修改", "success" if key_saved else "info")
    return redirect(url_for("web.sheet_page", sheet_id=sheet_id))


def _changed_key(form) -> dict | None:
    """The 重点指标扣分 typed on the review form when it differs from what the page showed: its
    boxes belong to the scores' form, so the form's 保存 and 审核通过 save it too (nothing typed
    is lost); None when unchanged, or on a page without them."""
    if "points" not in form or "shown-points" not in form:
        return None
    points, reason = form.get("points", "").strip(), form.get("reason", "")
    if points == form.get("shown-points", "").strip() and reason.strip() == form.get("shown-reason", "").strip():
        return None
    return {"points": points or "0", "reason": reason}


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
        moved = sheets.fire_action(current_user, sheet_id, action, payload)
    except ServiceError as exc:
        return _refused(sheet_id, exc, {"action": action, "comment": payload["comment"],
                                        "items": payload["items"] or []}, open_action=action)
    flash(done_message(action, moved), "success")
    return redirect(url_for("web.sheet_page", sheet_id=sheet_id))


def _refused(sheet_id: int, exc: ServiceError, typed: dict, open_action: str | None = None):
    """Show why, keep what the user typed, on the same page."""
    flash_refusal(exc)
    try:
        return _render_sheet(sheet_id, status=exc.status, typed=typed, errors=exc.fields, open_action=open_action)
    except ServiceError as inner:
        return error_page(inner)
