"""API routes for OA sign-in timeliness (附件5) and the admin's working-day calendar."""
from flask import g, jsonify, request

from ..attachments import single_file
from ..errors import BadRequest
from ..timeutil import local_iso
from ..trackers import oa, oa_excuse, oa_people, workdays
from ..trackers.oa_models import OaDocument
from . import body, bp
from .serialize import history_json
from .views import _year_arg
from ..pagecache import kept


def document_json(document: OaDocument) -> dict:
    return {"id": document.id, "oa_id": document.oa_id, "title": document.title, "kind": document.kind,
            "sent_at": local_iso(document.sent_at), "year": document.year,
            "recipients": [{"id": r.id, "username": None, **oa.recipient_ref(r), "signed_at": local_iso(r.signed_at),
                            "excused_reason": r.excused_reason}
                           for r in document.recipients]}


def staff_json(member) -> dict:
    return {"id": member.id, "unit": member.unit.code, "name": member.name}


@bp.post("/oa-documents")
def oa_document_create():
    document, created = oa.save_document(g.api_user, body())
    return jsonify(document_json(document)), 201 if created else 200


@bp.get("/oa-documents")
def oa_document_list():
    return jsonify({"items": [document_json(d) for d in oa.list_documents(g.api_user, _year_arg())]})


@bp.get("/oa-documents/<id:document_id>")
def oa_document_detail(document_id):
    document = oa.get_document(g.api_user, document_id)
    return jsonify({**document_json(document), "history": [history_json(e) for e in oa.history(document.id)]})


@bp.put("/oa-documents/<id:document_id>")
def oa_document_update(document_id):
    return jsonify(document_json(oa.update_document(g.api_user, document_id, body())))


@bp.delete("/oa-documents/<id:document_id>")
def oa_document_delete(document_id):
    oa.delete_document(g.api_user, document_id)
    return "", 204


@bp.post("/oa-documents/import")
def oa_document_import():
    return jsonify(oa.import_documents(g.api_user, single_file(request.files))), 201


@bp.post("/oa-documents/<id:document_id>/excuse")
def oa_document_excuse(document_id):
    return jsonify(document_json(oa_excuse.excuse(g.api_user, document_id, body())))


# ------------------------------------------------------------------ staff without accounts


@bp.get("/staff")
def staff_list():
    return jsonify({"items": [staff_json(m) for m in oa_people.list_staff(g.api_user, request.args.get("unit"))]})


@bp.post("/staff")
def staff_add():
    return jsonify(staff_json(oa_people.add_staff(g.api_user, body()))), 201


@bp.delete("/staff/<id:staff_id>")
def staff_remove(staff_id):
    oa_people.remove_staff(g.api_user, staff_id)
    return "", 204


@bp.post("/staff/import")
def staff_import():
    return jsonify(oa_people.import_staff(g.api_user, single_file(request.files))), 201


@bp.get("/oa-report")
@kept
def oa_report():
    year = _year_arg()
    if year is None:
        raise BadRequest("缺少参数 year", "year_required")
    return jsonify(oa.report_view(g.api_user, year))


# ------------------------------------------------------------------ the admin's calendar


@bp.get("/calendar")
def calendar_list():
    return jsonify({"items": [{"date": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note}
                              for d in workdays.list_days(_year_arg())]})


@bp.put("/calendar/<day>")
def calendar_set(day):
    entry = workdays.set_day(g.api_user, day, request.get_json(silent=True))
    return jsonify({"date": entry.day.isoformat(), "is_workday": entry.is_workday, "note": entry.note})


@bp.delete("/calendar/<day>")
def calendar_delete(day):
    workdays.clear_day(g.api_user, day)
    return "", 204
