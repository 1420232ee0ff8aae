"""Pages of the reports: the ranking, the print-friendly 附件3, and downloads for the signed-in
user (session auth), so the pages can link to them."""
from flask import current_app, render_template, request, url_for
from flask_login import current_user, login_required

from ..reports import exports
from ..reports.charts import bar_chart, heat_legend, heat_level
from ..reports.ranking import loss_matrix
from ..reports.ranking import ranking as rank_rows
from ..timeutil import parse_year
from . import bp
from .paging import paginate
from .helpers import refusals_as_pages
from ..pagecache import kept


@bp.get("/ranking")
@login_required
@kept
@refusals_as_pages
def ranking():
    year = parse_year(request.args.get("year", "")) or current_app.config["CURRENT_YEAR"]
    # A district's ranking a hundred units at a time: the table, the chart and the heat map show
    # the same page (the ranks are over the whole year whatever the page).
    page = paginate(rank_rows(current_user, year, with_rows=False))  # the matrix reads row columns
    rows = page.items
    matrix = loss_matrix([r.sheet for r in rows], year)
    return render_template(
        "ranking.html", year=year, rows=rows, page=page, chart=bar_chart(rows), matrix=matrix,
        heat_level=heat_level, legend=heat_legend(matrix.max_lost),
    )


@bp.get("/sheets/<id:sheet_id>/print")
@login_required
@refusals_as_pages
def sheet_print(sheet_id):
    return render_template("print/sheet.html", v=exports.sheet_view(current_user, sheet_id), page=True)


@bp.get("/sheets/<id:sheet_id>/export.pdf")
@login_required
@refusals_as_pages
def sheet_pdf(sheet_id):
    return exports.sheet_pdf(current_user, sheet_id)


@bp.get("/years/<year:year>/export.xlsx")
@login_required
@refusals_as_pages
def year_xlsx(year):
    return exports.year_xlsx(current_user, year)


@bp.get("/bonus/<id:application_id>/print")
@login_required
@refusals_as_pages
def bonus_print(application_id):
    v = exports.bonus_view(current_user, application_id)
    images = {f.id: url_for("web.attachment_download", attachment_id=f.id, inline=1)
              for f in v.application.attachments if f.content_type.startswith("image/")}
    return render_template("print/bonus.html", a=v.application, signoffs=v.signoffs, page=True,
                           images=images, appended=set(),
                           back_url=url_for("web.bonus_page", application_id=application_id))


@bp.get("/bonus/<id:application_id>/export.pdf")
@login_required
@refusals_as_pages
def bonus_pdf(application_id):
    return exports.bonus_pdf(current_user, application_id)
