"""The admin's audit in the API: GET /api/v1/audit (admin only)."""
from flask import g, jsonify, request

from ..audit import admin as audit
from ..timeutil import local_iso
from . import bp


def audit_json(entry) -> dict:
    return {"at": local_iso(entry.at), "who": entry.username, "action": entry.action,
            "object": entry.object, "old": entry.old, "new": entry.new}


@bp.get("/audit")
def audit_list():
    action, limit = audit.parse_filters(request.args)
    return jsonify({"items": [audit_json(e) for e in audit.recent(g.api_user, action, limit)]})
