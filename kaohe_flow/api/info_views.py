"""API routes for information reporting (附件4): adopted items and the year's report."""
from flask import g, jsonify, request

from ..errors import BadRequest
from ..points import fmt_points
from ..timeutil import parse_year
from ..trackers import info
from ..trackers import info_report as reports
from ..trackers.imports import RowErrors
from . import body, bp
from .views import unit_arg
from ..pagecache import kept


@bp.errorhandler(RowErrors)
def _row_errors(exc: RowErrors):
    """The contract's error shape, with the refused rows inside `error`."""
    return jsonify({"error": {"code": exc.code, "message": exc.message, "rows": exc.rows}}), exc.status


def item_json(item) -> dict:
    return {"id": item.id, "unit": item.unit.code, "title": item.title, "adopted_on": item.adopted_on.isoformat(),
            "portal": item.portal, "special": item.special, "stream": item.stream,
            "district_offices": item.district_offices, "version": item.version}


def _stream_json(counts) -> dict:
    return {"quota": counts.quota.json() if counts.quota else None,
            "months": {str(m): n for m, n in counts.months.items()},
            "months_short": list(counts.months_short), "year_short": counts.year_short, "count": counts.count}


def report_json(report) -> dict:
    note = report.iy.quotas.gov_note
    units = []
    for row in report.rows:
        units.append({
            "unit": row.unit.code, **_stream_json(row.info), "extras": row.extras, "total": row.total,
            "points": fmt_points(row.points),
            "gov_affairs": {**_stream_json(row.gov), "district_offices": row.district_offices,
                            "district_offices_short": row.district_offices_short,
                            "points": fmt_points(row.gov_points), "points_note": note},
        })
    visible = {row.unit.id for row in report.rows}
    ranking = [{"unit": row.unit.code, "rank": row.rank, "met_quota": row.met_quota, "total": row.total}
               for row in report.ranking() if row.unit.id in visible]
    return {"year": report.year, "judged": report.judged, "not_judged_reason": report.not_judged_reason,
            "judged_months": report.ended_months, "not_counted": report.not_counted,
            "units": units, "ranking": ranking}


def _required_year() -> int:
    year = parse_year(request.args.get("year", ""))
    if year is None:
        raise BadRequest("参数 year 必须是四位年份", "bad_year")
    return year


@bp.get("/info-items")
def info_item_list():
    unit_id = unit_arg()
    return jsonify({"items": [item_json(i) for i in info.list_items(g.api_user, _required_year(), unit_id)]})


@bp.post("/info-items")
def info_item_create():
    return jsonify(item_json(info.create(g.api_user, body()))), 201


@bp.put("/info-items/<id:item_id>")
def info_item_update(item_id):
    return jsonify(item_json(info.update(g.api_user, item_id, body())))


@bp.delete("/info-items/<id:item_id>")
def info_item_delete(item_id):
    info.delete(g.api_user, item_id)
    return "", 204


@bp.post("/info-items/import")
def info_import():
    raw = request.form.get("year") or request.args.get("year")
    year = None
    if raw:
        year = parse_year(raw)
        if year is None:
            raise BadRequest("参数 year 必须是四位年份", "bad_year")
    return jsonify(info.import_file(g.api_user, request.files.get("file"), year)), 201


@bp.get("/info-report")
@kept
def info_report():
    return jsonify(report_json(reports.report(g.api_user, _required_year())))
