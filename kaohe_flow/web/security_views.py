"""The admin's page of security events (the same list as GET /api/v1/security-events)."""
from flask import render_template, request
from flask_login import current_user, login_required

from ..security import events as security_log
from . import bp
from .helpers import refusals_as_pages


@bp.get("/admin/security-events")
@login_required
@refusals_as_pages
def security_events():
    kind, limit = security_log.parse_filters(request.args)
    rows = security_log.recent(current_user, kind, limit)
    return render_template("admin_security_events.html", events=rows, kind=kind, limit=limit,
                           labels=security_log.KIND_LABELS)
