"""Pages for notifications (通知) and the 催办 button: parse the form, call one service, redirect."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..errors import ServiceError
from ..notify import service as notify
from ..notify import urge as urging
from ..notify.models import KIND_LABELS
from . import bp
from .helpers import error_page


@bp.app_context_processor
def _notifications_in_nav():
    """The nav's unread badge (one COUNT, only for a signed-in page) and the 催办 question."""

    def unread():
        return notify.unread_count(current_user) if current_user.is_authenticated else 0

    def may_urge(kind, record):
        # Asked only on a record's own page, which has already found it visible to the user.
        return current_user.is_authenticated and bool(urging.verdict_for(kind, current_user, record))

    return {"unread_notifications": unread, "may_urge": may_urge}


def record_url(note) -> str:
    if note.record_kind == "sheet":
        return url_for("web.sheet_page", sheet_id=note.record_id)
    if note.record_kind == "bonus":
        return url_for("web.bonus_page", application_id=note.record_id)
    try:  # a delegation: the delegations' page, where there is one
        return url_for("web.delegations_page")
    except BuildError:
        return url_for("web.inbox")


@bp.get("/notifications")
@login_required
def notifications():
    unread_only = request.args.get("unread") in ("1", "true")
    items = notify.list_for(current_user, unread_only=unread_only)
    return render_template("notifications.html", items=items, unread_only=unread_only, record_url=record_url,
                           KIND_LABELS=KIND_LABELS)


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def notification_read(notification_id):
    try:
        notify.mark_read(current_user, notification_id)
    except ServiceError as exc:
        return error_page(exc)
    flash("已标记为已读", "success")
    return redirect(url_for("web.notifications"))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all():
    count = notify.mark_all_read(current_user)
    flash(f"已将 {count} 条通知标记为已读" if count else "没有未读通知", "success" if count else "info")
    return redirect(url_for("web.notifications"))


def _urge(kind: str, record_id: int, page: str, key: str, refused):
    try:
        urging.urge(kind, current_user, record_id, {"comment": request.form.get("comment", "")})
    except ServiceError as exc:
        if exc.status == 404:
            return error_page(exc)
        return refused(record_id, exc, {})
    flash("已催办，办理人将收到通知", "success")
    return redirect(url_for(page, **{key: record_id}))


@bp.post("/sheets/<id:sheet_id>/urge")
@login_required
def sheet_urge(sheet_id):
    from .views import _refused

    return _urge("sheet", sheet_id, "web.sheet_page", "sheet_id", _refused)


@bp.post("/bonus/<id:application_id>/urge")
@login_required
def bonus_urge(application_id):
    from .bonus_views import _refused

    return _urge("bonus", application_id, "web.bonus_page", "application_id", _refused)
