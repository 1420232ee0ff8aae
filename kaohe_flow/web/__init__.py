"""The pages, in Chinese: sign-in, 待办, the year's sheets, one sheet with its history."""
from flask import Blueprint, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .. import access
from ..extensions import db, login_manager
from ..org.models import ROLE_LABELS
from ..org.queries import person_name, unit_name
from ..points import fmt_points
from ..security.sessions import user_for_session
from ..timeutil import local_display
from ..workflow.machine import ACTION_LABELS, STATE_LABELS

bp = Blueprint("web", __name__)

CAPACITY_LABELS = {
    "unit_member": "本科室科员", "unit_head": "本科室负责人", "gate": "扎口科室",
    "responsible_office": "考核责任科室", "leader": "分管领导", "admin": "管理员", "system": "系统",
}

ERROR_TEXT = {
    400: "请求有误", 403: "您无权访问此页面", 404: "页面不存在，或您无权查看",
    405: "不支持此操作方式", 413: "上传内容过大", 500: "系统出错，请稍后再试",
}


def signer_name(signature) -> str:
    """Who signed, and for whom when a delegate signed: "A 代 B"."""
    name = signature.user.name or signature.user.username
    if getattr(signature, "on_behalf_of", None) is not None:
        return f"{name} 代 {signature.on_behalf_of.name or signature.on_behalf_of.username}"
    return name


def init_app(app):
    """Template helpers, the login manager and error pages that speak Chinese."""
    from .. import pagecache

    pagecache.init_app(app)  # its version is read before anything else of the request
    login_manager.login_view = "web.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(user_id):
        # Only through an open server-side session: a cookie copied before sign-out, or from a
        # deactivated or expired session, opens nothing (see security/sessions.py).
        return user_for_session(user_id)

    app.jinja_env.filters["points"] = lambda v: fmt_points(v) if v is not None else ""
    app.jinja_env.filters["localtime"] = local_display
    # People read names, not login names or unit codes (issue 10, 10).
    app.jinja_env.filters["person"] = person_name
    app.jinja_env.filters["unit_name"] = unit_name
    # A signature or a step a delegate gave: "A 代 B" (CONTRACT.md "The year's rhythm").
    app.jinja_env.filters["signer"] = signer_name
    from ..rhythm import deadlines

    app.jinja_env.globals.update(
        due_of=deadlines.due_of, due_status=deadlines.status,
        STATE_LABELS=STATE_LABELS, ACTION_LABELS=ACTION_LABELS, ROLE_LABELS=ROLE_LABELS,
        CAPACITY_LABELS=CAPACITY_LABELS, may_administer=access.is_admin,
    )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # The exception's own headers stay (405 → Allow, 429 → Retry-After, 401 →
        # WWW-Authenticate); only its HTML Content-Type gives way to ours.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if request.path.startswith("/api/"):
            from ..errors import error_response

            code = {413: "too_large", 405: "method_not_allowed", 404: "not_found"}.get(exc.code, "error")
            response, status = error_response(exc.code, code, ERROR_TEXT.get(exc.code, exc.description))
            response.headers.extend(headers)
            return response, status
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            message = "页面已过期（安全校验失败），请刷新页面后重试"
        else:
            message = ERROR_TEXT.get(exc.code, exc.description)
        return render_template("error.html", status=exc.code, message=message), exc.code, headers

    @app.errorhandler(Exception)
    def _unexpected(exc):  # pragma: no cover - last resort, logged by Flask
        app.logger.exception("unhandled error")
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify({"error": {"code": "internal", "message": ERROR_TEXT[500]}}), 500
        return render_template("error.html", status=500, message=ERROR_TEXT[500]), 500


from . import views  # noqa: E402,F401
from . import bonus_views  # noqa: E402,F401
from . import ledger_views  # noqa: E402,F401
from . import info_views  # noqa: E402,F401
from . import oa_views  # noqa: E402,F401
from . import security_views  # noqa: E402,F401
from . import report_views  # noqa: E402,F401
from . import year_views  # noqa: E402,F401
from . import admin_views  # noqa: E402,F401
from . import account_views  # noqa: E402,F401
from . import staff_views  # noqa: E402,F401
from . import quota_views  # noqa: E402,F401
from . import target_views  # noqa: E402,F401
from . import delegation_views  # noqa: E402,F401
from . import rhythm_views  # noqa: E402,F401
from . import notify_views  # noqa: E402,F401
from . import job_views  # noqa: E402,F401
