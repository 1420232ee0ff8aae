"""API routes for years: their list, a new year, its org chart and scheme, opening it, and its
settings (CONTRACT.md "Years, their org chart, scheme, settings and target letters")."""
from flask import g, jsonify, request

from ..errors import BadRequest
from ..scheme import settings, years
from . import bp
from .serialize import unit_json


@bp.get("/years/<year:year>/settings")
def year_settings(year):
    return jsonify(settings.get_settings(g.api_user, year).json())


@bp.put("/years/<year:year>/settings")
def year_settings_update(year):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    return jsonify(settings.update_settings(g.api_user, year, payload).json())


# ------------------------------------------------------------------------------ years (admin)


def _json_body() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    return payload


@bp.get("/years")
def year_list():
    return jsonify({"items": years.list_years()})


@bp.post("/years")
def year_create():
    return jsonify(years.create_year(g.api_user, _json_body())), 201


@bp.put("/years/<year:year>/units/<code>")
def year_unit_update(year, code):
    place = years.update_unit(g.api_user, year, code, _json_body())
    return jsonify(unit_json(place))


@bp.put("/years/<year:year>/scheme/items/<code>")
def year_item_update(year, code):
    item = years.update_item(g.api_user, year, code, _json_body())
    values = years.item_values(item)
    return jsonify({"code": item.code, **values, "category": item.category})


@bp.post("/years/<year:year>/open")
def year_open(year):
    return jsonify({"created": years.open_year(g.api_user, year)}), 201
