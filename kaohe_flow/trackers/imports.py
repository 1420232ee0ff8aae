"""Reading uploaded tables (Excel .xlsx or CSV) for the trackers' imports (附件4, 附件5).

Generic on purpose: a caller names the columns it understands (any number of header names per
field, Chinese or English), gets one dict per data row with the spreadsheet's own row number,
validates every row itself and refuses the whole file with `RowErrors` when any row is bad —
nothing is ever half-imported.

    rows = read_table(upload, {"unit": ["单位", "unit"], "title": ["标题", "title"]},
                      required=["unit", "title"])
    # → [{"_row": 2, "unit": "市政处", "title": "…"}, …]

CSV is read as UTF-8 (with or without a BOM) and, failing that, as GBK (GB 18030, what Excel on
a Chinese Windows writes); its cells are strings. Cells of an .xlsx keep their types (str, int,
float, bool, datetime) as openpyxl reads them; empty cells are None.
"""
import csv
import io
from collections.abc import Iterable, Mapping

from flask import current_app

from ..errors import Invalid, ServiceError

ROW_KEY = "_row"
MAX_ROWS = 20000
MAX_COLUMNS = 60
MAX_ERRORS_SHOWN = 200  # a file with thousands of bad rows answers with the first ones

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class RowErrors(Invalid):
    """A file refused because of its rows: `rows` is [{"row": n, "message": "…"}, …]."""

    code = "invalid_rows"

    def __init__(self, rows: list[dict], message: str | None = None):
        shown = rows[:MAX_ERRORS_SHOWN]
        more = f"（仅列出前 {len(shown)} 处）" if len(rows) > len(shown) else ""
        super().__init__(message or f"文件中有 {len(rows)} 处错误，未导入任何数据{more}", self.code)
        self.rows = shown


def normalize_header(name) -> str:
    """A header cell as matched: trimmed, full-width brackets and spaces folded, case-folded."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").replace("（", "(").replace("）", ")").replace("\u3000", " ")
    return " ".join(text.split()).casefold()


def read_bytes(upload) -> tuple[str, bytes]:
    """The uploaded file's name and bytes, within the app's upload limit."""
    if upload is None or not getattr(upload, "filename", None):
        raise Invalid("请选择要导入的文件（字段 file）", "file_required")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(f"文件超过 {limit // (1024 * 1024)} MB 的上限", "too_large", 413)
    if not data.strip():
        raise Invalid("文件是空的", "empty_file")
    return upload.filename, data


def decode_csv(data: bytes) -> str:
    """CSV text: UTF-8 (a BOM is dropped), else GBK/GB 18030; anything else is refused."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码", "bad_encoding")


def _csv_rows(data: bytes) -> Iterable[tuple[int, list]]:
    text = decode_csv(data)
    if "\x00" in text:
        raise Invalid("CSV 文件包含无效字符（是否为其他格式的文件？）", "unsupported_type")
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","  # tab-separated, as Excel "Unicode text" saves
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise Invalid(f"CSV 文件格式有误（第 {reader.line_num} 行）：{exc}", "bad_csv") from None


def _xlsx_rows(data: bytes) -> Iterable[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a damaged or foreign file)
        raise Invalid("无法读取此 Excel 文件：请确认是 .xlsx 格式且未损坏", "bad_xlsx") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise Invalid("Excel 文件中没有工作表", "bad_xlsx")
        try:
            for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, list(cells)
        except Invalid:
            raise
        except Exception:  # noqa: BLE001
            raise Invalid("无法读取此 Excel 文件的内容：请确认文件未损坏", "bad_xlsx") from None
    finally:
        book.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_table(upload, columns: Mapping[str, Iterable[str]], required: Iterable[str] = (),
               max_rows: int = MAX_ROWS) -> list[dict]:
    """The data rows of an uploaded .xlsx (first worksheet) or .csv, as dicts.

    `columns` maps each field to the header names that mean it (matched ignoring case, spaces
    and full-width brackets); other columns are ignored. The first non-blank row is the header;
    blank rows are skipped. Every dict has every field (None when the column is absent or the
    cell empty) and `_row`, the row's number as a spreadsheet program shows it.
    Refusals (422 unless noted): no file, empty, too large (413), not .xlsx/.csv, undecodable,
    missing or repeated columns, no data rows, too many rows.
    """
    _filename, data = read_bytes(upload)
    if data.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(data)
    elif data.startswith(OLE_MAGIC):
        raise Invalid("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 .csv 后再导入", "unsupported_type")
    elif data.startswith((b"%PDF-", b"\x89PNG", b"\xff\xd8\xff")) or b"\x00" in data[:4096]:
        raise Invalid("只能导入 Excel（.xlsx）或 CSV 文件", "unsupported_type")
    else:
        rows = _csv_rows(data)

    names = {}
    for field, headers in columns.items():
        for header in headers:
            names[normalize_header(header)] = field

    try:
        return _rows_as_dicts(rows, columns, names, list(required), max_rows)
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()


def _rows_as_dicts(rows, columns, names, required, max_rows) -> list[dict]:
    index: dict[str, int] | None = None
    out: list[dict] = []
    for number, cells in rows:
        if index is None:
            if all(_blank(c) for c in cells):
                continue
            index = {}
            for position, cell in enumerate(cells):
                field = names.get(normalize_header(cell))
                if field is None:
                    continue
                if field in index:
                    raise Invalid(f"表头中“{cell}”一列重复出现（第 {number} 行）", "duplicate_column")
                index[field] = position
            missing = [f for f in required if f not in index]
            if missing:
                wanted = "、".join(f"“{next(iter(columns[f]))}”" for f in missing)
                raise Invalid(f"表头（第 {number} 行）缺少必需的列：{wanted}", "missing_columns")
            continue
        if all(_blank(c) for c in cells):
            continue
        if len(out) >= max_rows:
            raise Invalid(f"一次最多导入 {max_rows} 行，请分批导入", "too_many_rows")
        row = {ROW_KEY: number}
        for field in columns:
            position = index.get(field)
            row[field] = _cell(cells[position]) if position is not None and position < len(cells) else None
        out.append(row)
    if index is None or not out:
        raise Invalid("文件中没有数据行（第一行应为表头，其后每行一条）", "no_rows")
    return out
