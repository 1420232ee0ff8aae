"""The year's workbook streamed (openpyxl write-only) for a district of a thousand units.

The layout is the one of `xlsx.year_workbook`, made by the same functions: each worksheet is
drawn on a scratch worksheet of the same workbook (so the styles it registers are the
workbook's own), then its rows are written out in order and the scratch is dropped. Memory
holds one unit's worksheet at a time, whatever the number of units; each unit's sheet rows are
loaded when it is written and let go after (issue 11, 4)."""
from collections.abc import Callable
from copy import copy as copy_of
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from ..extensions import db
from ..sheets import queries
from . import xlsx
from .ranking import ranking

Progress = Callable[[int, int, str], None]


def _copy_out(wb: Workbook, scratch: Worksheet, title: str) -> None:
    """Write `scratch` as a write-only worksheet named `title`: settings first (write-only
    worksheets take them only before the first row), then every row with its height."""
    out = wb.create_sheet(title)
    for letter, dim in scratch.column_dimensions.items():
        out.column_dimensions[letter].width = dim.width
    out.page_setup.paperSize = scratch.page_setup.paperSize
    out.page_setup.orientation = scratch.page_setup.orientation
    out.page_setup.fitToWidth, out.page_setup.fitToHeight = scratch.page_setup.fitToWidth, scratch.page_setup.fitToHeight
    out.sheet_properties.pageSetUpPr = scratch.sheet_properties.pageSetUpPr
    if scratch.freeze_panes:
        out.freeze_panes = scratch.freeze_panes
    if scratch.print_title_rows:
        out.print_title_rows = scratch.print_title_rows
    for merged in scratch.merged_cells.ranges:
        out.merged_cells.add(merged.coord)
    for row_no in range(1, scratch.max_row + 1):
        height = scratch.row_dimensions[row_no].height if row_no in scratch.row_dimensions else None
        if height is not None:
            out.row_dimensions[row_no].height = height
        out.append([_cell_out(out, scratch._cells.get((row_no, col)))
                    for col in range(1, scratch.max_column + 1)])
    out.close()  # its XML is complete: no file stays open per unit until the workbook is saved


def _cell_out(out, cell):
    """The scratch cell as a write-only cell: the same value, type and style (the style's
    indexes are this workbook's, the scratch being one of its worksheets)."""
    if cell is None:
        return None
    twin = Cell(out, row=1, column=1)
    if not isinstance(cell, MergedCell) and cell.value is not None:
        twin._value = cell._value
        # The last guard of xlsx.as_text_only: no formula or error value, whoever wrote it.
        twin.data_type = "s" if cell.data_type in ("f", "e") else cell.data_type
    twin._style = copy_of(cell._style)
    return twin


def _scratch(wb: Workbook) -> Worksheet:
    """A worksheet bound to `wb` (its styles) but not in it; never saved."""
    return Worksheet(wb, title="~scratch")


def year_workbook_streamed(user, year: int, progress: Progress | None = None) -> bytes:
    """The workbook of `xlsx.year_workbook` (same worksheets, cells, styles, merges and sizes),
    written row by row; `progress(done, total, text)` after each unit."""
    scheme = queries.scheme_for(year)
    rows = ranking(user, year, with_rows=False)
    wb = Workbook(write_only=True)
    wb.properties.creator = "考核流"
    wb.properties.title = f"{year}年局目标管理考核"
    scratch = _scratch(wb)
    xlsx._ranking_sheet(scratch, year, rows)
    _copy_out(wb, scratch, xlsx.RANKING_TITLE)
    taken = {xlsx.RANKING_TITLE.lower()}
    units = sorted(rows, key=lambda r: r.unit.position)
    for n, r in enumerate(units, start=1):
        scratch = _scratch(wb)
        # The ranking's numbers are columns only: each unit's sheet is loaded when it is written,
        # with its permission facts, and let go after.
        sheet = r.sheet.load()
        xlsx._unit_sheet(scratch, queries.view(user, sheet, scheme, queries.facts(sheet, scheme)))
        _copy_out(wb, scratch, xlsx.sheet_title(r.unit_name, taken))
        db.session.expire(sheet, ["rows", "signatures"])
        if progress is not None:
            progress(n, len(units), r.unit_name)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
