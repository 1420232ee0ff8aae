"""API routes: parse, call one service, serialize. No decisions here."""
from flask import g, jsonify, request

from ..audit.service import steps_of
from ..errors import BadRequest, Invalid
from ..timeutil import parse_year
from ..org import service as org_service
from ..org import chart
from ..scheme import years
from ..org.queries import resolve_unit
from ..security import events as security_log
from ..security.throttle import TooManyAttempts
from ..timeutil import local_iso
from ..rhythm import inbox as rhythm_inbox
from ..sheets import queries
from ..sheets import service as sheets
from ..workflow import rounds
from . import body, bp, error_response
from .openapi import document
from .serialize import (changes_json, history_json, inbox_item_json, scheme_json, sheet_json, sheet_summary_json,
                        unit_json, user_json)
from ..pagecache import kept


def _year_arg() -> int | None:
    """A list's optional `year`: absent → every year's (None); present, it must be a year, so
    an empty `year=` is a 400 like any other value that is not one (the OpenAPI document)."""
    raw = request.args.get("year")
    if raw is None:
        return None
    year = parse_year(raw)
    if year is None:
        raise BadRequest("参数 year 必须是四位年份", "bad_year")
    return year


def unit_arg() -> int | None:
    """The `unit` filter of a list: a code, a name or any alias (422 for an unknown one)."""
    raw = request.args.get("unit")
    if not raw:
        return None
    unit = resolve_unit(raw)
    if unit is None:
        raise Invalid(f"没有名为“{raw}”的单位", "unknown_unit")
    return unit.id


@bp.post("/tokens")
def create_token():
    data = body()
    try:
        token = org_service.issue_token(data.get("username"), data.get("password"))
    except TooManyAttempts as exc:
        response, status = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status
    return jsonify({"token": token}), 201


@bp.delete("/tokens/current")
def revoke_token():
    org_service.revoke_token(g.api_token)
    return "", 204


@bp.get("/security-events")
def security_events():
    kind, limit = security_log.parse_filters(request.args)
    rows = security_log.recent(g.api_user, kind, limit)
    return jsonify({"items": [{"at": local_iso(e.at), "kind": e.kind, "username": e.username, "ip": e.ip,
                               "detail": e.detail} for e in rows]})


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/me")
def me():
    return jsonify(user_json(g.api_user))


@bp.get("/units")
def units():
    _year, places = years.org_of(_year_arg())
    return jsonify({"items": [unit_json(p) for p in places]})


@bp.get("/years/<year:year>/scheme")
def scheme(year):
    found = queries.scheme_for(year)
    return jsonify(scheme_json(found, [u.code for u in chart.units_of(year)]))


@bp.get("/sheets")
@kept
def sheet_list():
    return jsonify({"items": [sheet_summary_json(s, t) for s, t in queries.summaries(g.api_user, _year_arg())]})


def _sheet_response(sheet_id: int, sheet=None):
    """The sheet as the caller sees it; `sheet`: the record a step just committed, answered from
    the step's own objects instead of loading it again (workflow.steps.commit keeps them)."""
    sheet, scheme, facts = queries.get_visible(g.api_user, sheet_id) if sheet is None \
        else queries.seen_by(g.api_user, sheet)
    return jsonify(sheet_json(queries.view(g.api_user, sheet, scheme, facts)))


@bp.get("/sheets/<id:sheet_id>")
@kept
def sheet_detail(sheet_id):
    return _sheet_response(sheet_id)


@bp.put("/sheets/<id:sheet_id>/items/<code>")
def sheet_item(sheet_id, code):
    sheets.update_row(g.api_user, sheet_id, code, body())
    return _sheet_response(sheet_id)


@bp.put("/sheets/<id:sheet_id>/key-deduction")
def key_deduction(sheet_id):
    sheets.set_key_deduction(g.api_user, sheet_id, body())
    return _sheet_response(sheet_id)


@bp.post("/sheets/<id:sheet_id>/actions/<action>")
def sheet_action(sheet_id, action):
    sheet = sheets.fire_action(g.api_user, sheet_id, action, body())
    return _sheet_response(sheet_id, sheet)


@bp.get("/sheets/<id:sheet_id>/history")
def sheet_history(sheet_id):
    sheet, _scheme, _facts = queries.get_visible(g.api_user, sheet_id)
    return jsonify({"items": [history_json(e) for e in steps_of("sheet", sheet.id)]})


@bp.get("/sheets/<id:sheet_id>/changes")
def sheet_changes(sheet_id):
    """What changed since the return, and which rows wait for their offices' signatures."""
    sheet, scheme, facts = queries.get_visible(g.api_user, sheet_id)
    found = rounds.since_return(steps_of("sheet", sheet.id))
    return jsonify(changes_json(found, queries.unsigned_rows(queries.view(g.api_user, sheet, scheme, facts))))


@bp.get("/inbox")
@kept
def inbox():
    year = _year_arg()
    # Sheets and applications together, by due date: the overdue first, no deadline last.
    return jsonify({"items": [inbox_item_json(line) for line in rhythm_inbox.waiting(g.api_user, year)]})
