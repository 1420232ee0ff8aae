"""API routes for OA sign-in timeliness (附件5) and the admin's working-day calendar."""
from datetime import date

from flask import g, jsonify, request

from ..attachments import single_file
from ..errors import BadRequest, Forbidden, Invalid, NotFound
from ..extensions import db
from ..points import fmt_points
from ..timeutil import local_iso
from ..trackers import oa
from ..trackers.calendar_models import CalendarDay
from ..trackers.oa_models import OaDocument
from ..trackers.visibility import sees_all_units
from ..workflow import steps
from . import body, bp
from .views import _year_arg


def document_json(document: OaDocument) -> dict:
    return {"id": document.id, "oa_id": document.oa_id, "title": document.title, "kind": document.kind,
            "sent_at": local_iso(document.sent_at), "year": document.year,
            "recipients": [{"username": r.username, "signed_at": local_iso(r.signed_at)}
                           for r in document.recipients]}


def _may_read_documents(user) -> bool:
    return sees_all_units(user, oa.OA_ITEM)


@bp.post("/oa-documents")
def oa_document_create():
    document, created = oa.save_document(g.api_user, body())
    return jsonify(document_json(document)), 201 if created else 200


@bp.get("/oa-documents")
def oa_document_list():
    if not _may_read_documents(g.api_user):
        raise Forbidden("OA 文件清单仅供考核科室和局领导查看；本科室的情况见 OA 签收报表")
    query = db.select(OaDocument).order_by(OaDocument.sent_at, OaDocument.id)
    year = _year_arg()
    if year is not None:
        query = query.filter(OaDocument.year == year)
    return jsonify({"items": [document_json(d) for d in db.session.scalars(query)]})


def _document(document_id: int) -> OaDocument:
    document = db.session.get(OaDocument, document_id)
    if document is None or not _may_read_documents(g.api_user):
        raise NotFound("没有找到这份 OA 文件")
    return document


@bp.get("/oa-documents/<id:document_id>")
def oa_document_detail(document_id):
    return jsonify(document_json(_document(document_id)))


@bp.put("/oa-documents/<id:document_id>")
def oa_document_update(document_id):
    _document(document_id)
    return jsonify(document_json(oa.update_document(g.api_user, document_id, body())))


@bp.delete("/oa-documents/<id:document_id>")
def oa_document_delete(document_id):
    _document(document_id)
    oa.delete_document(g.api_user, document_id)
    return "", 204


@bp.post("/oa-documents/import")
def oa_document_import():
    return jsonify(oa.import_documents(g.api_user, single_file(request.files))), 201


@bp.get("/oa-report")
def oa_report():
    year = _year_arg()
    if year is None:
        raise BadRequest("缺少参数 year", "year_required")
    return jsonify(report_json(g.api_user, year))


def report_json(user, year: int) -> dict:
    found = oa.report(year)
    everything = sees_all_units(user, oa.OA_ITEM)
    mine = lambda unit: everything or (unit is not None and unit.id == user.unit_id)  # noqa: E731
    return {
        "year": year,
        "recipients": [
            {"document": j.document.id, "title": j.document.title, "kind": j.document.kind,
             "username": j.recipient.username, "unit": j.user.unit.code if j.user and j.user.unit else None,
             "sent_at": local_iso(j.document.sent_at), "signed_at": local_iso(j.recipient.signed_at),
             "working_minutes": j.working_minutes, "limit_minutes": j.limit_minutes, "status": j.status}
            for j in found["recipients"] if mine(j.user.unit if j.user else None)
        ],
        "units": [{"unit": row["unit"].code, "late": row["late"], "no_client": row["no_client"],
                   "points": fmt_points(row["points"])} for row in found["units"] if mine(row["unit"])],
    }


# ------------------------------------------------------------------ the admin's calendar


def _admin():
    if not g.api_user.has_role("admin"):
        raise Forbidden("只有管理员可以维护工作日历")


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise NotFound("日期格式应为 YYYY-MM-DD") from None


@bp.get("/calendar")
def calendar_list():
    year = _year_arg()
    query = db.select(CalendarDay).order_by(CalendarDay.day)
    rows = [d for d in db.session.scalars(query) if year is None or d.day.year == year]
    return jsonify({"items": [{"date": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note}
                              for d in rows]})


@bp.put("/calendar/<day>")
def calendar_set(day):
    _admin()
    payload = body()
    is_workday = payload.get("is_workday")
    if not isinstance(is_workday, bool):
        raise Invalid("is_workday 必须是 true（上班）或 false（放假）", "invalid_workday")
    entry = db.session.get(CalendarDay, _day(day)) or CalendarDay(day=_day(day))
    entry.is_workday, entry.note = is_workday, steps.clean_text(payload.get("note"), "说明", limit=100)
    db.session.add(entry)
    db.session.commit()
    return jsonify({"date": entry.day.isoformat(), "is_workday": entry.is_workday, "note": entry.note})


@bp.delete("/calendar/<day>")
def calendar_delete(day):
    _admin()
    entry = db.session.get(CalendarDay, _day(day))
    if entry is None:
        raise NotFound("这一天没有设置")
    db.session.delete(entry)
    db.session.commit()
    return "", 204
