"""API routes for a year's settings (CONTRACT.md `GET/PUT /api/v1/years/{year}/settings`)."""
from flask import g, jsonify, request

from ..errors import BadRequest
from ..scheme import settings
from . import bp


@bp.get("/years/<year:year>/settings")
def year_settings(year):
    return jsonify(settings.get_settings(g.api_user, year).json())


@bp.put("/years/<year:year>/settings")
def year_settings_update(year):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    return jsonify(settings.update_settings(g.api_user, year, payload).json())
