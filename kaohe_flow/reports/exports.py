"""Downloads shared by the API (bearer token) and the pages (session): the same checks, the
same files."""
import base64
from io import BytesIO

from flask import send_file
from pypdf import PdfReader, PdfWriter

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
    return attachment(data, PDF, f"{v.sheet.year}年{v.sheet.unit_name}考核计分表.pdf")


def year_xlsx(user, year: int):
    """The year's workbook: the ranking, then one 附件3 worksheet per unit the user may see."""
    queries.scheme_for(year)  # 404 for a year that has no scheme
    return attachment(year_workbook(user, year), XLSX, f"{year}年局目标管理考核.xlsx")


def bonus_view(user, application_id: int):
    """The application as `user` sees it, or 404 (NotFound) when they may not."""
    application, facts = bonus_queries.get_visible(user, application_id)
    return bonus_queries.view(user, application, facts)


def bonus_pdf(user, application_id: int):
    """The application as 附件6, A4 PDF, with its certificates (附获奖证书): each image on a page
    of its own, then the pages of each PDF certificate."""
    v = bonus_view(user, application_id)
    a = v.application
    images = {f.id: f"data:{f.content_type};base64,{base64.b64encode(f.data).decode()}"
              for f in a.attachments if f.content_type.startswith("image/")}
    pdfs = [f for f in a.attachments if f.content_type == PDF]
    appended = {f.id for f in pdfs if _readable(f.data)}
    form = render_pdf("print/bonus.html", a=a, signoffs=v.signoffs, images=images, appended=appended)
    data = _with_pdfs(form, [f.data for f in pdfs if f.id in appended]) if appended else form
    return attachment(data, PDF, f"{a.year}年{a.unit.name}考核附加分申报表.pdf")


def _readable(data: bytes) -> bool:
    """A certificate PDF whose pages can follow the form (not encrypted, parses)."""
    try:
        reader = PdfReader(BytesIO(data))
        return not reader.is_encrypted and len(reader.pages) > 0
    except Exception:  # noqa: BLE001 - pypdf raises many kinds for a damaged file; it is listed instead
        return False


def _with_pdfs(form: bytes, certificates: list[bytes]) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(BytesIO(form)))
    for data in certificates:
        writer.append(PdfReader(BytesIO(data)))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
