"""The admin's audit page (the same list as GET /api/v1/audit)."""
from flask import render_template, request
from flask_login import current_user, login_required

from ..audit import admin as audit
from . import bp
from .helpers import refusals_as_pages


@bp.get("/admin/audit")
@login_required
@refusals_as_pages
def admin_audit():
    action, limit = audit.parse_filters(request.args)
    rows = audit.recent(current_user, action, limit)
    return render_template("admin_audit.html", entries=rows, action=action, limit=limit,
                           labels=audit.ACTION_LABELS, label=audit.action_label)
