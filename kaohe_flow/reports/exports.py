"""Downloads shared by the API (bearer token) and the pages (session): the same checks, the
same files."""
from io import BytesIO

from flask import send_file

from ..attachments import content_disposition

from ..bonus import queries as bonus_queries
from ..sheets import queries
from .pdf import render_pdf
from .xlsx import year_workbook

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_view(user, sheet_id: int):
    """The sheet as `user` sees it, or 404 (NotFound) when they may not."""
    sheet, scheme, facts = queries.get_visible(user, sheet_id)
    return queries.view(user, sheet, scheme, facts)


def attachment(data: bytes, mimetype: str, filename: str):
    """A download: Content-Disposition attachment with the Chinese name (RFC 5987), nosniff,
    and kept out of shared caches (the files carry people's scores and names)."""
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def sheet_pdf(user, sheet_id: int):
    """The sheet as 附件3, A4 PDF."""
    v = sheet_view(user, sheet_id)
    data = render_pdf("print/sheet.html", v=v)
    return attachment(data, PDF, f"{v.sheet.year}年{v.sheet.unit.name}考核计分表.pdf")


def year_xlsx(user, year: int):
    """The year's workbook: the ranking, then one 附件3 worksheet per unit the user may see."""
    queries.scheme_for(year)  # 404 for a year that has no scheme
    return attachment(year_workbook(user, year), XLSX, f"{year}年局目标管理考核.xlsx")


def bonus_view(user, application_id: int):
    """The application as `user` sees it, or 404 (NotFound) when they may not."""
    application, facts = bonus_queries.get_visible(user, application_id)
    return bonus_queries.view(user, application, facts)


def bonus_pdf(user, application_id: int):
    """The application as 附件6, A4 PDF."""
    v = bonus_view(user, application_id)
    a = v.application
    data = render_pdf("print/bonus.html", a=a, signoffs=v.signoffs)
    return attachment(data, PDF, f"{a.year}年{a.unit.name}考核附加分申报表.pdf")
