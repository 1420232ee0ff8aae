"""The year as one Excel workbook: the ranking first, then one worksheet per unit laid out
like 附件3. Numbers are written as numbers (openpyxl writes Decimal natively); every text is
written as text, never as a formula (CONTRACT.md, issue 8: a reason typed as =HYPERLINK(…)
must not become a live link in the director's Excel)."""
import re
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from ..sheets import queries
from ..timeutil import local_display
from ..workflow.machine import STATE_LABELS
from .ranking import ranking

RANKING_TITLE = "排名"
RANKING_HEADERS = ("名次", "被考核科室", "状态", "现场考核分小计", "重点指标扣分", "特别附加分", "合计分")
RANKING_WIDTHS = (8, 28, 14, 16, 14, 12, 10)
SHEET_HEADERS = ("考核类别", "考核内容", "标准分值", "自评分", "加（扣）分原因", "考评分", "加（扣）分原因",
                 "考核责任科室负责人签字")
SHEET_WIDTHS = (10, 22, 9, 9, 30, 9, 30, 28)
FIRST_ITEM_ROW = 4  # title, unit line, header, then the items

FONT_NAME = "宋体"  # SimSun: present in every Chinese Excel / WPS; LibreOffice substitutes a CJK font
GB2312 = 134  # the font charset Excel expects for simplified Chinese
_thin = Side(style="thin")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_TITLE = 31


def font(size: int = 11, bold: bool = False) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, charset=GB2312)


def sheet_title(name: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts: none of []:*?/\\, at most 31 characters, not starting or
    ending with an apostrophe, unique regardless of case."""
    base = FORBIDDEN.sub("_", name).strip().strip("'") or "科室"
    title, n = base[:MAX_TITLE], 1
    while title.lower() in taken or title.lower() == "history":  # "History" is reserved by Excel
        n += 1
        suffix = f"({n})"
        title = base[:MAX_TITLE - len(suffix)] + suffix
    taken.add(title.lower())
    return title


# What Excel, or a CSV opened in it, could read as the start of a formula (CONTRACT.md).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put_text(cell, text: str | None):
    """A text cell holding exactly what was typed. openpyxl turns any string starting with "="
    into a formula (and "#N/A" into an error): the type is set to string after the value, and
    risky first characters get Excel's quote prefix so that editing the cell keeps it text
    (the prefix is a style flag, not a character in the value). Line ends become Excel's "\n"
    (XML would turn a bare CR into one anyway); control characters Excel cannot store, which
    no one can see, are dropped rather than failing the export."""
    if text is None or text == "":
        cell.value = None
        return
    text = str(text)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


def as_text_only(wb):
    """The last guard: no cell of this workbook is a formula or an error value, whoever wrote it."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type in ("f", "e"):
                    cell.data_type = "s"


def put_number(cell, value: Decimal | None):
    """A Decimal as a number cell, shown with up to two decimals (96.5, 100, 97.25)."""
    if value is None:
        return
    cell.value = value
    cell.number_format = "0" if value == value.to_integral_value() else "0.0#"


def signed(sig) -> str:
    if not sig:
        return ""
    name = sig.user.name if sig.on_behalf_of is None else f"{sig.user.name} 代 {sig.on_behalf_of.name}"
    return f"{name} {local_display(sig.at)}"


def year_workbook(user, year: int) -> bytes:
    """The workbook of a year as `user` may see it."""
    rows = ranking(user, year)
    wb = Workbook()
    wb.properties.creator = "考核流"
    wb.properties.title = f"{year}年局目标管理考核"
    ws = wb.active
    ws.title = RANKING_TITLE
    _ranking_sheet(ws, year, rows)
    taken = {RANKING_TITLE.lower()}
    for r in sorted(rows, key=lambda r: r.unit.position):
        sheet_view = queries.view(user, r.sheet, queries.scheme_for(year), r.facts)
        _unit_sheet(wb.create_sheet(sheet_title(r.unit_name, taken)), sheet_view)
    as_text_only(wb)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _setup(ws, widths, landscape: bool):
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _line(ws, row: int, values, *, bold=False, numbers=()):
    """Write a bordered table line; `numbers` are the 1-based columns holding Decimals."""
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        if col in numbers:
            put_number(cell, value)
            cell.alignment = CENTER
        elif isinstance(value, str):
            put_text(cell, value)
            cell.alignment = WRAP
        else:
            cell.value = value  # a rank (int) or nothing
            cell.alignment = WRAP
        cell.font, cell.border = font(bold=bold), BORDER


def _text(ws, row: int, col: int, text: str, cell_font: Font):
    cell = ws.cell(row=row, column=col)
    put_text(cell, text)
    cell.font = cell_font


def _title(ws, text: str, last_col: int):
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    put_text(ws.cell(row=1, column=1), text)
    ws.cell(row=1, column=1).font = font(16, bold=True)
    ws.cell(row=1, column=1).alignment = CENTER
    ws.row_dimensions[1].height = 30


def _ranking_sheet(ws, year: int, rows):
    _setup(ws, RANKING_WIDTHS, landscape=False)
    _title(ws, f"{year}年局目标管理考核排名", len(RANKING_HEADERS))
    _line(ws, 2, RANKING_HEADERS, bold=True)
    for n, r in enumerate(rows, start=3):
        _line(ws, n, (r.rank, r.unit_name, STATE_LABELS.get(r.state, r.state),
                      r.subtotal, r.key_deduction, r.bonus, r.total), numbers=(4, 5, 6, 7))
        ws.cell(row=n, column=1).alignment = CENTER
    note = ws.cell(row=len(rows) + 4, column=1)
    put_text(note, "注：仅定稿的考核表参与排名，合计分相同者名次并列；未定稿的不排名。")
    note.font = font(10)
    ws.freeze_panes = "A3"


def _unit_sheet(ws, v):
    sheet = v.sheet
    last = len(SHEET_HEADERS)
    _setup(ws, SHEET_WIDTHS, landscape=True)
    _title(ws, f"{sheet.year}年局目标管理考核计分表", last)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    ws.merge_cells(start_row=2, start_column=5, end_row=2, end_column=last)
    _text(ws, 2, 1, f"被考核科室：{sheet.unit_name}", font(bold=True))
    _text(ws, 2, 5, f"被考核科室负责人签字：{signed(v.signoffs.get('unit_head'))}", font())
    _line(ws, 3, SHEET_HEADERS, bold=True)
    for col in range(1, last + 1):
        ws.cell(row=3, column=col).alignment = CENTER

    row_no = FIRST_ITEM_ROW
    run_start, run_category = row_no, None
    for r in v.rows:
        item = r.row.item
        if item.category != run_category:
            _merge_category(ws, run_start, row_no - 1)
            run_start, run_category = row_no, item.category
        _line(ws, row_no, (v.scheme.category_label(item.category), item.sheet_label, item.standard,
                           r.row.self_score, r.row.self_reason, r.row.review_score, r.row.review_reason,
                           "\n".join(signed(s) for s in r.signatures)), numbers=(3, 4, 6))
        ws.cell(row=row_no, column=1).alignment = CENTER
        ws.row_dimensions[row_no].height = _height(len(r.signatures), r.row.self_reason, r.row.review_reason)
        row_no += 1
        for t in r.targets:  # a target letter's targets, one line each under their item (附件2 逐项赋分)
            _line(ws, row_no, (None, f"  {t.target.code} {t.target.title}", t.target.points, t.self_score,
                               t.self_reason, t.review_score, t.review_reason, None), numbers=(3, 4, 6))
            ws.row_dimensions[row_no].height = _height(1, t.target.title, t.self_reason, t.review_reason)
            row_no += 1
    _merge_category(ws, run_start, row_no - 1)

    summary = (
        ("重点指标扣分", None, sheet.key_deduction, sheet.key_deduction_reason),
        ("现场考核分小计", v.scheme.total, v.subtotal, None),
        ("特别附加分", None, v.bonus, None),
        ("合计分", None, v.total, None),
    )
    for label, standard, value, reason in summary:
        _line(ws, row_no, (label, None, standard, None, None, value, reason, None), bold=True, numbers=(3, 6))
        ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=2)
        row_no += 1

    row_no += 1
    ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=4)
    ws.merge_cells(start_row=row_no, start_column=5, end_row=row_no, end_column=last)
    _text(ws, row_no, 1, f"考核扎口科室负责人签字：{signed(v.signoffs.get('gate'))}", font())
    _text(ws, row_no, 5, f"被考科室分管领导签字：{signed(v.signoffs.get('leader'))}", font())
    _text(ws, row_no + 1, 1, f"状态：{STATE_LABELS.get(sheet.state, sheet.state)}（第 {sheet.version} 版）", font(9))
    ws.print_title_rows = "3:3"


def _height(signatures: int, *reasons: str) -> float:
    """Row height in points for wrapped text: not every reader re-fits rows when opening a file."""
    per_line = SHEET_WIDTHS[4] // 2  # CJK characters per line of a reason column
    lines = max([1, signatures] + [-(-len(text or "") // per_line) + (text or "").count("\n") for text in reasons])
    return 15.0 * lines + 3


def _merge_category(ws, first: int, last: int):
    if last > first:
        ws.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
