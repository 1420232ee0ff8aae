"""API routes for delegations (CONTRACT.md "The year's rhythm"): a head or a leader hands their
capacities to someone for a range of days. Parse, call one service, serialize."""
from flask import g, jsonify

from ..rhythm import delegations
from . import body, bp


@bp.get("/delegations")
def delegation_list():
    return jsonify({"items": [delegations.as_json(d) for d in delegations.visible(g.api_user)]})


@bp.post("/delegations")
def delegation_create():
    return jsonify(delegations.as_json(delegations.create(g.api_user, body()))), 201


@bp.delete("/delegations/<id:delegation_id>")
def delegation_end(delegation_id):
    return jsonify(delegations.as_json(delegations.end(g.api_user, delegation_id)))
