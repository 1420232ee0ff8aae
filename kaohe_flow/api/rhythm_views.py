"""API routes of the year's rhythm (CONTRACT.md "The year's rhythm"): deadlines, batch steps and
the progress board. Parse, call one service, answer."""
from flask import g, jsonify, request

from ..rhythm import batch, deadlines, progress
from . import bp
from ..pagecache import kept


def _json_body():
    """The request's JSON as sent (the services refuse what is not an object, after asking who
    and what: a PUT by a non-admin is 403 whatever its body)."""
    return request.get_json(silent=True)


@bp.get("/years/<year:year>/deadlines")
def year_deadlines(year):
    return jsonify(deadlines.get_deadlines(g.api_user, year))


@bp.put("/years/<year:year>/deadlines")
def year_deadlines_update(year):
    return jsonify(deadlines.update_deadlines(g.api_user, year, _json_body()))


@bp.post("/batch/actions/<action>")
def batch_action(action):
    outcomes = batch.run(g.api_user, action, _json_body())
    return jsonify({"items": [o.json() for o in outcomes]})


@bp.get("/years/<year:year>/progress")
@kept
def year_progress(year):
    return jsonify(progress.progress(g.api_user, year).json())
