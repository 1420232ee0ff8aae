"""API routes for years: their list, a new year, its org chart and scheme, opening it, and its
settings (CONTRACT.md "Years, their org chart, scheme, settings and target letters")."""
from flask import g, jsonify, request

from ..errors import BadRequest
from ..scheme import items, settings, years
from ..trackers import info_quota_edit
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


def _payload():
    """The body as the services take it: they ask who first (403 for anyone but the admin), then
    refuse a body that is not a JSON object (400). A whole number written 2019.0 is 2019."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return data
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in data.items()}


@bp.get("/years")
def year_list():
    return jsonify({"items": years.list_years()})


@bp.post("/years")
def year_create():
    return jsonify(years.create_year(g.api_user, _payload())), 201


@bp.put("/years/<year:year>/units/<code>")
def year_unit_update(year, code):
    place = years.update_unit(g.api_user, year, code, _payload())
    return jsonify(unit_json(place))


@bp.put("/years/<year:year>/scheme/items/<code>")
def year_item_update(year, code):
    item = items.update_item(g.api_user, year, code, _payload())
    values = items.item_values(item)
    return jsonify({"code": item.code, **values, "category": item.category})


@bp.post("/years/<year:year>/open")
def year_open(year):
    return jsonify({"created": years.open_year(g.api_user, year)}), 201


@bp.get("/years/<year:year>/info-quotas")
def year_info_quotas(year):
    return jsonify(info_quota_edit.view(g.api_user, year))


@bp.put("/years/<year:year>/info-quotas")
def year_info_quotas_update(year):
    return jsonify(info_quota_edit.update(g.api_user, year, _payload()))
