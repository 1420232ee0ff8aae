"""The year's workbook writes what people typed as text, never as a formula (CONTRACT.md, "Safe
on the network"): a reason typed as =HYPERLINK(…) must not become a live link in Excel."""
import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook

from conftest import YEAR
from kaohe_flow.bonus import service as bonus_service
from kaohe_flow.extensions import db
from kaohe_flow.ledger import service as ledger_service
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.reports.xlsx import put_text
from kaohe_flow.sheets.models import Sheet

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1+1", "#N/A", "-1分"]


def visible(text: str) -> str:
    """What a cell shows for typed text: Excel keeps line breaks as "\\n" (a bare CR too)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def export(api, who="leader1") -> bytes:
    r = api.as_(who).get(f"/api/v1/years/{YEAR}/export.xlsx")
    assert r.status_code == 200
    return r.data


def formulas_in(data: bytes) -> list[str]:
    """Every formula element in the saved workbook's sheets, read from the raw XML."""
    with zipfile.ZipFile(BytesIO(data)) as z:
        return [m for name in z.namelist() if name.startswith("xl/worksheets/")
                for m in re.findall(rb"<(?:\w+:)?f[ >/].{0,80}", z.read(name))]


def texts_of(ws) -> list:
    return [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


@pytest.fixture
def hostile_year(app, sheet_id):
    """bgs's sheet with every hostile text in its reasons, and such texts in a unit name, a
    signer's name, a bonus project and a deduction note, written straight to the database."""
    with app.app_context():
        sheet = db.session.get(Sheet, sheet_id("bgs"))
        for row, text in zip(sheet.rows, HOSTILE):
            row.self_reason, row.review_reason = text, text
            row.self_score = row.item.standard - 1
        sheet.key_deduction_reason = '=HYPERLINK("http://x","重点工作滞后")'
        db.session.get(Unit, sheet.unit_id).name = "=cmd|' /C calc'!A0"
        db.session.get(YearUnit, (sheet.year, sheet.unit_id)).name = "=cmd|' /C calc'!A0"  # the year's name
        db.session.scalar(db.select(User).filter_by(username="leader1")).name = "@领导"
        db.session.commit()
        staff = db.session.scalar(db.select(User).filter_by(username="bgs.staff"))
        bonus_service.create(staff, {"year": YEAR, "project": "=1+2", "points_requested": "1"})
        ledger_service.create(staff, {"year": YEAR, "unit": "szc", "rule": "info_mgmt-3", "count": 1,
                                      "date": "2018-03-05", "note": '=HYPERLINK("http://x","y")'})
    return sheet_id("bgs")


def test_typed_text_reaches_the_workbook_as_text_and_never_as_a_formula(api, hostile_year):
    data = export(api)
    assert formulas_in(data) == []
    wb = load_workbook(BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f" and cell.data_type != "e", (ws.title, cell.coordinate, cell.value)

    ws = wb["=cmd|' _C calc'!A0"]  # "/" is not allowed in a worksheet name
    assert ws["A2"].value == "被考核科室：=cmd|' /C calc'!A0"
    for n, text in enumerate(HOSTILE, start=4):
        for col in (5, 7):  # 自评 and 考评 加（扣）分原因
            cell = ws.cell(n, col)
            assert (cell.value, cell.data_type) == (visible(text), "s")
        assert isinstance(ws.cell(n, 4).value, (int, float))  # the score beside stays a number
    assert '=HYPERLINK("http://x","重点工作滞后")' in [c.value for c in texts_of(ws)]
    ranking = wb["排名"]
    assert "=cmd|' /C calc'!A0" in [c.value for c in texts_of(ranking)]


def test_text_that_only_looks_like_a_formula_keeps_the_excel_quote_prefix(api, hostile_year):
    """Excel's quote prefix is a style flag: someone editing the cell later still has text."""
    ws = load_workbook(BytesIO(export(api)))["=cmd|' _C calc'!A0"]
    for n, text in enumerate(HOSTILE, start=4):
        assert ws.cell(n, 7).quotePrefix == text.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_raw_sheet_xml_stores_the_hostile_reasons_as_strings(api, hostile_year):
    with zipfile.ZipFile(BytesIO(export(api))) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert b'<is><t>=HYPERLINK("http://x","y")</t></is>' in xml.replace(b"&quot;", b'"')
    assert b"<f>" not in xml and b"<f " not in xml


def test_ordinary_text_and_numbers_are_written_as_before(api, sheet_id, app):
    with app.app_context():
        sheet = db.session.get(Sheet, sheet_id("bgs"))
        sheet.rows[0].review_reason = "扣 -1分：台账不全\r\n已整改"
        sheet.rows[0].review_score = sheet.rows[0].item.standard - 1
        db.session.commit()
    ws = load_workbook(BytesIO(export(api)))["办公室"]
    assert ws.cell(4, 7).value == "扣 -1分：台账不全\n已整改" and not ws.cell(4, 7).quotePrefix
    assert ws.cell(4, 6).data_type == "n"


def test_invisible_control_characters_do_not_break_the_export(app):
    from openpyxl import Workbook

    cell = Workbook().active["A1"]
    put_text(cell, "原因\x01\x1f说明")
    assert (cell.value, cell.data_type) == ("原因说明", "s")
