"""API routes for deduction records (考核记录): parse, call, serialize."""
from flask import g, jsonify, request

from ..attachments import single_file
from ..audit.service import steps_of
from ..ledger import appeals
from ..ledger import queries as ledger_queries
from ..ledger import service as ledger
from . import body, bp
from .bonus_views import _optional_version
from .serialize import attachment_json, deduction_json, history_json
from .views import _year_arg, unit_arg
from ..pagecache import kept


@bp.get("/deductions")
@kept
def deduction_list():
    unit_id = unit_arg()
    records = ledger_queries.listed_records(g.api_user, _year_arg(), unit_id)
    return jsonify({"items": [deduction_json(r) for r in records]})


@bp.post("/deductions")
def deduction_create():
    return jsonify(deduction_json(ledger.create(g.api_user, body()))), 201


@bp.get("/deductions/<id:record_id>")
def deduction_detail(record_id):
    return jsonify(deduction_json(ledger_queries.get_visible(g.api_user, record_id)))


@bp.put("/deductions/<id:record_id>")
def deduction_update(record_id):
    return jsonify(deduction_json(ledger.update(g.api_user, record_id, body())))


@bp.post("/deductions/<id:record_id>/withdraw")
def deduction_withdraw(record_id):
    return jsonify(deduction_json(ledger.withdraw(g.api_user, record_id, body())))


@bp.post("/deductions/<id:record_id>/evidence")
def deduction_evidence(record_id):
    attachment = ledger.add_evidence(g.api_user, record_id, single_file(request.files),
                                     _optional_version(request.form.get("version")))
    return jsonify(attachment_json(attachment)), 201


@bp.post("/deductions/<id:record_id>/appeal")
def deduction_appeal(record_id):
    return jsonify(deduction_json(appeals.appeal(g.api_user, record_id, body()))), 201


@bp.post("/deductions/<id:record_id>/appeal/decide")
def deduction_appeal_decide(record_id):
    return jsonify(deduction_json(appeals.decide(g.api_user, record_id, body())))


@bp.get("/deductions/<id:record_id>/history")
def deduction_history(record_id):
    record = ledger_queries.get_visible(g.api_user, record_id)
    return jsonify({"items": [history_json(e) for e in steps_of("deduction", record.id)]})
