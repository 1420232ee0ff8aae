"""API routes for notifications and 催办 (CONTRACT.md "The year's rhythm"): parse, call, serialize."""
from flask import g, jsonify, request

from ..notify import service as notify
from ..notify import urge as urging
from ..timeutil import local_iso
from . import body, bp, error_response
from .serialize import history_json


def notification_json(note) -> dict:
    return {"id": note.id, "at": local_iso(note.at), "kind": note.kind,
            "record": {"kind": note.record_kind, "id": note.record_id}, "text": note.text,
            "read": note.read_at is not None}


@bp.get("/notifications")
def notification_list():
    unread_only = notify.parse_unread(request.args.getlist("unread"))
    items = notify.list_for(g.api_user, unread_only=unread_only)
    return jsonify({"items": [notification_json(n) for n in items], "unread": notify.unread_count(g.api_user)})


@bp.post("/notifications/<id:notification_id>/read")
def notification_read(notification_id):
    return jsonify(notification_json(notify.mark_read(g.api_user, notification_id)))


def _urge(kind: str, record_id: int):
    try:
        entry = urging.urge(kind, g.api_user, record_id, body())
    except urging.TooSoon as exc:
        response, status = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status
    return jsonify(history_json(entry)), 201


@bp.post("/sheets/<id:sheet_id>/urge")
def sheet_urge(sheet_id):
    return _urge("sheet", sheet_id)


@bp.post("/bonus-applications/<id:application_id>/urge")
def bonus_urge(application_id):
    return _urge("bonus", application_id)
