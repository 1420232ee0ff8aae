"""API routes for target letters (目标责任书, CONTRACT.md): a unit's letter of a year, and a sheet's
targets scored one by one. Parse, call one service, serialize."""
from flask import g, jsonify

from ..sheets import service as sheets
from ..targets import service as targets
from ..targets.queries import CODE_PREFIX, target_json
from . import body, bp
from .views import _sheet_response


def _letter_json(year: int, unit, letter) -> dict:
    return {"year": year, "unit": unit.code, "items": [target_json(t) for t in letter]}


@bp.get("/years/<year:year>/targets/<unit>")
def target_letter(year, unit):
    found, letter = targets.get_letter(g.api_user, year, unit)
    return jsonify(_letter_json(year, found, letter))


@bp.put("/years/<year:year>/targets/<unit>")
def target_letter_update(year, unit):
    found, letter = targets.set_letter(g.api_user, year, unit, body())
    return jsonify(_letter_json(year, found, letter))


@bp.put("/sheets/<id:sheet_id>/targets/<code>")
def sheet_target(sheet_id, code):
    # One sub-row of 年度目标任务, with the rights and rules of an item row (sheets.update_row).
    sheets.update_row(g.api_user, sheet_id, CODE_PREFIX + code, body())
    return _sheet_response(sheet_id)
