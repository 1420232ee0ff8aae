"""API routes of the reports (CONTRACT.md): the ranking, the sheet as PDF, the year as XLSX."""
from flask import g, jsonify, request

from ..errors import BadRequest
from ..points import fmt_points
from ..reports import exports
from ..reports.ranking import ranking as rank_rows
from ..timeutil import parse_year
from . import bp
from ..pagecache import kept


def ranking_json(row) -> dict:
    return {
        "unit": row.unit.code, "state": row.state,
        "subtotal": fmt_points(row.subtotal), "key_deduction": fmt_points(row.key_deduction),
        "bonus": fmt_points(row.bonus), "total": fmt_points(row.total), "rank": row.rank,
    }


@bp.get("/ranking")
@kept
def ranking():
    year = parse_year(request.args.get("year", ""))
    if year is None:
        raise BadRequest("请提供参数 year（四位年份），例如 ?year=2018", "year_required")
    return jsonify({"items": [ranking_json(r) for r in rank_rows(g.api_user, year, with_rows=False)]})


@bp.get("/sheets/<id:sheet_id>/export.pdf")
def sheet_pdf(sheet_id):
    return exports.sheet_pdf(g.api_user, sheet_id)


@bp.get("/years/<year:year>/export.xlsx")
def year_xlsx(year):
    return exports.year_xlsx(g.api_user, year)


@bp.get("/bonus-applications/<id:application_id>/export.pdf")
def bonus_pdf(application_id):
    return exports.bonus_pdf(g.api_user, application_id)
