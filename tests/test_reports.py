"""Reports (issue 3): the ranking with ties and unfinished sheets, who sees which rows, the
sheet as 附件3 PDF, the year's workbook against the API, the ranking page, and 附件6's layout."""
import re
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import YEAR
from flow import Flow
from kaohe_flow.reports.pdf import render_pdf
from kaohe_flow.reports.ranking import competition_ranks, points_lost
from kaohe_flow.reports.xlsx import sheet_title
from kaohe_flow.timeutil import utcnow

OFFICES = ["rjk", "dwb", "cjjcdd", "bgs"]  # the 2018 responsible offices co-sign every sheet
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def walk(api, sid, unit, gate, leader, lose="0", key=None):
    """Self 100 by the unit, review losing `lose` on 队伍建设, an optional key deduction, signed to final."""
    flow = Flow(api, sid)
    flow.fill_self(f"{unit}.staff")
    flow.ok(flow.act(unit, "submit"))
    flow.fill_review(gate, lose=Decimal(lose))
    if key:
        flow.ok(api.as_(gate).put(f"/api/v1/sheets/{sid}/key-deduction",
                                  json={"version": flow.version, "points": key, "reason": "重点工作滞后"}))
    if leader:
        flow.ok(flow.act(gate, "approve"))
        for office in OFFICES:
            flow.ok(flow.act(office, "sign"))
        flow.ok(flow.act(leader, "sign"))
    return flow


@pytest.fixture
def year(app, api, sheet_id):
    """Totals 100, 99.5, 99, 99 (with a key deduction), 98 → ranks 1, 2, 3, 3, 5; 燃管站 waits at the gate
    with a self-scored 100 (not ranked); every other unit is an empty draft. Walked once, restored
    for every test that reads it."""
    from conftest import restore_world

    def build():
        walk(api, sheet_id("bgs"), "bgs", "rjk", "leader1")
        walk(api, sheet_id("csk"), "csk", "rjk", "leader1", lose="0.5")
        walk(api, sheet_id("fzglk"), "fzglk", "rjk", "leader1", lose="1")
        walk(api, sheet_id("dwb"), "dwb", "rjk", "leader1", key="1")
        walk(api, sheet_id("szc"), "szc", "gysyk", "leader3", lose="2")
        walk(api, sheet_id("rgz"), "rgz", "gysyk", None)
        return dict(api.tokens)

    with app.app_context():
        api.tokens.update(restore_world("reports_year", build))


def ranking(api, who, year=YEAR):
    r = api.as_(who).get(f"/api/v1/ranking?year={year}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


# ------------------------------------------------------------------ the ranking


def test_competition_ranks_share_and_skip():
    assert competition_ranks({"a": 100, "b": 99, "c": 98, "d": 98, "e": 97}) == {"a": 1, "b": 2, "c": 3, "d": 3, "e": 5}
    assert competition_ranks({"a": Decimal("90"), "b": Decimal("90.00")}) == {"a": 1, "b": 1}
    assert competition_ranks({}) == {}


def test_points_lost_review_else_self_else_nothing():
    item = SimpleNamespace(standard=Decimal("5"))
    row = lambda self_score, review_score: SimpleNamespace(item=item, self_score=self_score, review_score=review_score)  # noqa: E731
    assert points_lost(row(Decimal("5"), Decimal("3.5"))) == Decimal("1.5")
    assert points_lost(row(Decimal("4"), None)) == Decimal("1")
    assert points_lost(row(Decimal("5"), Decimal("0"))) == Decimal("5")  # a review score of 0 counts
    assert points_lost(row(None, None)) is None


def test_ranking_with_ties_key_deduction_and_unfinished_sheets(api, year, monkeypatch):
    items = ranking(api, "leader1")
    assert len(items) == 19
    top = [(i["unit"], i["rank"], i["total"]) for i in items[:5]]
    assert top == [("bgs", 1, "100"), ("csk", 2, "99.5"), ("dwb", 3, "99"), ("fzglk", 3, "99"), ("szc", 5, "98")]
    dwb = items[2]
    assert dwb == {"unit": "dwb", "state": "final", "subtotal": "100", "key_deduction": "1", "bonus": "0",
                   "total": "99", "rank": 3}
    rest = items[5:]
    assert all(i["rank"] is None and i["state"] != "final" for i in rest)
    rgz = next(i for i in rest if i["unit"] == "rgz")
    assert (rgz["state"], rgz["total"]) == ("gate_review", "100")  # a higher total, but not final: not ranked
    assert [i["unit"] for i in rest][:3] == ["rjk", "czjsk", "fcglk"]  # unfinished in the org chart's order
    assert ranking(api, "director") == items == ranking(api, "admin")

    # 特别附加分 comes from the sheets' own totals (the bonus rule), never recomputed here.
    from kaohe_flow.sheets import queries
    real = queries.bonus_of
    monkeypatch.setattr(queries, "bonus_of", lambda s: Decimal("2") if s.unit.code == "csk" else real(s))
    api.client.application.config["PAGE_CACHE"] = False  # the code changed, not the data: draw again
    first = ranking(api, "leader1")[0]
    assert (first["unit"], first["bonus"], first["total"], first["rank"]) == ("csk", "2", "101.5", 1)


def test_ranks_count_every_final_sheet_but_callers_get_their_own_rows(api, year):
    everyone = {i["unit"]: i for i in ranking(api, "leader3")}
    assert ranking(api, "szc") == [everyone["szc"]] and everyone["szc"]["rank"] == 5
    assert [(i["unit"], i["rank"]) for i in ranking(api, "gysyk")] == [("szc", 5), ("gysyk", None), ("rgz", None)]
    assert [i["unit"] for i in ranking(api, "csk.staff")] == ["csk"]


def test_ranking_needs_a_year(api):
    for query in ("", "?year=", "?year=abc", "?year=20180", "?year=-1"):
        r = api.as_("director").get("/api/v1/ranking" + query)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "year_required", query
    assert ranking(api, "director", 1999) == []
    assert api.client.get(f"/api/v1/ranking?year={YEAR}").status_code == 401


# ------------------------------------------------------------------ the sheet as 附件3 (PDF and print page)


def pdf_text(data: bytes) -> str:
    """The PDF's text without whitespace (table cells wrap lines wherever they are narrow)."""
    reader = PdfReader(BytesIO(data))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def test_sheet_pdf_has_the_form_the_scores_and_the_signers(api, sheet_id):
    sid = sheet_id("bgs")
    flow = walk(api, sid, "bgs", "rjk", "leader1", lose="0.5", key="1.5")
    sheet = flow.get("bgs")
    r = api.as_("bgs").get(f"/api/v1/sheets/{sid}/export.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition
    assert "%E5%8A%9E%E5%85%AC%E5%AE%A4" in disposition  # 办公室, RFC 5987
    assert r.data.startswith(b"%PDF") and PdfReader(BytesIO(r.data)).pages[0].mediabox.width == pytest.approx(595, abs=1)
    text = pdf_text(r.data)
    for expected in ("2018年局目标管理考核计分表", "被考核科室", "办公室", "考核类别", "考核责任科室负责人签字",
                     "基础管理", "年度目标任务完成情况", "队伍建设", "学习教育", "公益活动", "重点指标扣分",
                     "现场考核分小计", "特别附加分", "合计分", "考核扎口科室负责人签字", "被考科室分管领导签字",
                     "重点工作滞后", "扣分"):
        assert expected in text, expected
    assert (sheet["subtotal"], sheet["key_deduction"], sheet["total"]) == ("99.5", "1.5", "98")
    for number in ("1.5", "99.5", "98", "30"):
        assert number in text
    for signer in ("办公室负责人", "人教科负责人", "党委办负责人", "城建监察大队（政策法规科）负责人", "王建国（分管领导）"):
        assert signer in text, signer
    leader_at = sheet["signoffs"]["leader"]["at"]  # local time, ISO 8601
    assert leader_at[:16].replace("T", "") in text  # shown as local time, 2018-12-20 14:05


def test_pdf_and_print_page_are_404_for_sheets_one_may_not_see(api, client, sheet_id):
    sid = sheet_id("bgs")
    assert api.as_("szc").get(f"/api/v1/sheets/{sid}/export.pdf").status_code == 404
    assert api.as_("szc").get("/api/v1/sheets/99999/export.pdf").status_code == 404
    assert api.client.get(f"/api/v1/sheets/{sid}/export.pdf").status_code == 401
    client.post("/login", data={"username": "szc", "password": "demo12345"})
    assert client.get(f"/sheets/{sid}/print").status_code == 404
    assert client.get(f"/sheets/{sid}/export.pdf").status_code == 404


def test_print_page_and_session_downloads(api, client, sheet_id):
    sid = sheet_id("bgs")
    Flow(api, sid).fill_self("bgs.staff")
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    html = client.get(f"/sheets/{sid}/print").get_data(as_text=True)
    assert "@page" in html and "size: A4" in html and "2018年局目标管理考核计分表" in html
    assert 'rowspan="16"' in html  # 基础管理 spans its 16 items
    assert f"/sheets/{sid}/export.pdf" in client.get(f"/sheets/{sid}").get_data(as_text=True)
    r = client.get(f"/sheets/{sid}/export.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and "队伍建设" in pdf_text(r.data)
    r = client.get(f"/years/{YEAR}/export.xlsx")
    assert r.status_code == 200 and r.mimetype == XLSX and r.headers["X-Content-Type-Options"] == "nosniff"
    names = load_workbook(BytesIO(r.data)).sheetnames
    assert names[0] == "排名" and len(names) == 20  # 办公室 signs rows on every sheet, so it sees all


# ------------------------------------------------------------------ the workbook


def number(value) -> Decimal | None:
    assert value is None or isinstance(value, (int, float)), f"not a number: {value!r}"
    return None if value is None else Decimal(str(value))


def dec(text) -> Decimal | None:
    return None if text is None else Decimal(text)


def test_workbook_matches_the_api(api, year, sheet_id):
    r = api.as_("leader1").get(f"/api/v1/years/{YEAR}/export.xlsx")
    assert r.status_code == 200 and r.mimetype == XLSX and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("attachment") and ".xlsx" in r.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(r.data))
    names = {u["code"]: u["name"] for u in api.as_("leader1").get("/api/v1/units").get_json()["items"]}
    assert wb.sheetnames[0] == "排名" and len(wb.sheetnames) == 20
    assert "城建监察大队（政策法规科）" in wb.sheetnames and "招投标管理科（造价处）" in wb.sheetnames

    ws = wb["排名"]
    assert [c.value for c in ws[2]] == ["名次", "被考核科室", "状态", "现场考核分小计", "重点指标扣分", "特别附加分", "合计分"]
    api_rows = ranking(api, "leader1")
    for n, item in enumerate(api_rows, start=3):
        rank, unit, state, subtotal, key, bonus, total = (c.value for c in ws[n])
        assert (rank, unit) == (item["rank"], names[item["unit"]])
        assert state == {"final": "定稿", "gate_review": "扎口审核", "draft": "自评"}[item["state"]]
        assert [number(v) for v in (subtotal, key, bonus, total)] == [
            dec(item[k]) for k in ("subtotal", "key_deduction", "bonus", "total")]

    sheet = api.as_("leader1").get(f"/api/v1/sheets/{sheet_id('dwb')}").get_json()
    ws = wb["党委办"]
    assert ws["A1"].value == "2018年局目标管理考核计分表" and ws["A2"].value == "被考核科室：党委办"
    assert ws["E2"].value.startswith("被考核科室负责人签字：党委办负责人 ")
    assert [c.value for c in ws[3]] == ["考核类别", "考核内容", "标准分值", "自评分", "加（扣）分原因", "考评分",
                                        "加（扣）分原因", "考核责任科室负责人签字"]
    for n, item in enumerate(sheet["items"], start=4):
        assert ws.cell(n, 2).value == ("年度目标任务完成情况" if item["code"] == "targets" else item["name"])
        assert number(ws.cell(n, 3).value) == dec(item["standard"])
        assert number(ws.cell(n, 4).value) == dec(item["self_score"])
        assert number(ws.cell(n, 6).value) == dec(item["review_score"])
        assert ws.cell(n, 8).value.count("负责人") == len(item["responsible"])
    assert "A5:A20" in {str(m) for m in ws.merged_cells.ranges}  # 基础管理 over its 16 rows
    labels = {ws.cell(n, 1).value: n for n in range(21, 25)}
    assert list(labels) == ["重点指标扣分", "现场考核分小计", "特别附加分", "合计分"]
    assert number(ws.cell(labels["重点指标扣分"], 6).value) == dec(sheet["key_deduction"]) == 1
    assert ws.cell(labels["重点指标扣分"], 7).value == "重点工作滞后"
    assert number(ws.cell(labels["现场考核分小计"], 3).value) == 100
    assert number(ws.cell(labels["现场考核分小计"], 6).value) == dec(sheet["subtotal"])
    assert number(ws.cell(labels["特别附加分"], 6).value) == dec(sheet["bonus"])
    assert number(ws.cell(labels["合计分"], 6).value) == dec(sheet["total"]) == 99
    footer = " ".join(str(c.value) for row in ws.iter_rows(min_row=26, max_row=26) for c in row if c.value)
    assert "考核扎口科室负责人签字：人教科负责人" in footer and "被考科室分管领导签字：王建国（分管领导）" in footer

    szc = load_workbook(BytesIO(api.as_("szc").get(f"/api/v1/years/{YEAR}/export.xlsx").data))
    assert szc.sheetnames == ["排名", "市政处"] and szc["排名"]["A3"].value == 5
    assert api.as_("szc").get("/api/v1/years/1999/export.xlsx").status_code == 404


def test_worksheet_titles_excel_accepts():
    taken = {"排名"}
    assert sheet_title("城建监察大队（政策法规科）", taken) == "城建监察大队（政策法规科）"
    assert sheet_title("a/b\\c[d]e:f*g?h", taken) == "a_b_c_d_e_f_g_h"
    long = sheet_title("很" * 40, taken)
    assert len(long) == 31 and sheet_title("很" * 40, taken) == "很" * 28 + "(2)"
    assert sheet_title("'History'", taken) == "History(2)" and sheet_title("", taken) == "科室"


# ------------------------------------------------------------------ the ranking page


def test_ranking_page_has_the_table_the_bar_chart_and_the_heat_map(api, client, year):
    client.post("/login", data={"username": "leader1", "password": "demo12345"})
    r = client.get(f"/ranking?year={YEAR}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "排名" in client.get("/inbox").get_data(as_text=True)
    assert "<svg" in html and "已定稿（参与排名）" in html and "未定稿（当前分，不排名）" in html
    assert html.count('class="bar final"') == 5 and html.count('class="bar unfinished"') == 14
    assert 'id="heatmap"' in html and "各科室失分分布" in html and "图例（失分）" in html
    assert "队伍建设" in html and "公益活动" in html and "城建监察大队（政策法规科）" in html
    assert 'title="财审科 · 队伍建设：失0.5分（标准2分）"' in html
    assert re.search(r'class="heat-5"\s+title="市政处 · 队伍建设：失2分', html)  # the most lost on the map
    assert "尚未评分（自评）" in html  # 城镇建设科's empty draft: one cell, not 17
    assert f"/years/{YEAR}/export.xlsx" in html

    client.post("/logout")
    client.post("/login", data={"username": "szc", "password": "demo12345"})
    html = client.get("/ranking").get_data(as_text=True)
    assert "市政处" in html and "财审科" not in html and html.count('class="bar ') == 1


# ------------------------------------------------------------------ 附件6, for the bonus applications


def test_bonus_form_renders_as_a_pdf(app):
    at = utcnow()
    sig = lambda name: SimpleNamespace(user=SimpleNamespace(name=name), at=at)  # noqa: E731
    a = SimpleNamespace(
        unit=SimpleNamespace(name="城建档案馆"), year=2018, state="final", project="荣获省级档案工作示范单位",
        points_requested=Decimal("2"), points_proposed=Decimal("1.5"), points_granted=Decimal("1.5"),
        opinion="同意按扎口科室建议赋分",
        attachments=[SimpleNamespace(filename="获奖证书.pdf", content_type="application/pdf", size=1024)])
    signoffs = {"unit_head": sig("张档案"), "gate": sig("李建工"), "responsible_office": sig("王人教"),
                "leader": sig("赵德明")}
    with app.test_request_context():
        text = pdf_text(render_pdf("print/bonus.html", a=a, signoffs=signoffs))
    for expected in ("考核附加分申报表", "申报单位", "印章", "城建档案馆", "申报项目", "附获奖证书", "荣获省级档案工作示范单位",
                     "获奖证书.pdf", "申报分值", "扎口科室建议分值", "1.5", "局分管领导意见", "同意按扎口科室建议赋分",
                     "赵德明", "最终赋分", "主要负责人签字", "张档案", "李建工", "王人教"):
        assert expected in text, expected


def test_a_final_sheets_numbers_never_change_and_a_late_bonus_waits(api, sheet_id):
    """Issue 10, 4: a bonus application granted after the sheet is final shows as bonus_pending;
    it counts once the sheet is reopened and signed again."""
    from test_bonus import Bonus, to_final

    sid = sheet_id("bgs")
    walk(api, sid, "bgs", "rjk", "leader1", lose="2")
    signed = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert (signed["state"], signed["total"], signed["bonus"], signed["bonus_pending"]) == ("final", "98", "0", "0")
    to_final(Bonus(api, points="1"), proposed="0.75", points_granted="0.75")
    later = api.as_("bgs").get(f"/api/v1/sheets/{sid}").get_json()
    assert (later["total"], later["bonus"], later["bonus_pending"], later["version"]) == (
        "98", "0", "0.75", signed["version"])
    ranked = next(r for r in api.as_("director").get("/api/v1/ranking?year=2018").get_json()["items"]
                  if r["unit"] == "bgs")
    assert ranked["total"] == "98"
    flow = Flow(api, sid)
    flow.ok(flow.act("admin", "reopen", comment="计入附加分"))
    reopened = flow.get("bgs")
    assert (reopened["bonus"], reopened["bonus_pending"], reopened["total"]) == ("0.75", "0", "98.75")


def test_the_sheet_page_says_a_late_bonus_waits(api, client, sheet_id):
    from test_bonus import Bonus, to_final

    sid = sheet_id("bgs")
    walk(api, sid, "bgs", "rjk", "leader1", lose="2")
    to_final(Bonus(api, points="1"), proposed="0.75", points_granted="0.75")
    client.post("/login", data={"username": "bgs", "password": "demo12345"})
    page = client.get(f"/sheets/{sid}").get_data(as_text=True)
    assert "另有 0.75 分附加分在本表定稿后获批" in page


def test_a_final_sheet_prints_on_one_page(api, sheet_id):
    """Issue 10, 12: no second page holding only the state line (附件3 is one A4 page)."""
    sid = sheet_id("bgs")
    walk(api, sid, "bgs", "rjk", "leader1", lose="2", key="1")
    r = api.as_("bgs").get(f"/api/v1/sheets/{sid}/export.pdf")
    reader = PdfReader(BytesIO(r.data))
    assert len(reader.pages) == 1, [p.extract_text()[:80] for p in reader.pages]
    assert "定稿" in reader.pages[0].extract_text()


def test_a_long_sheet_never_leaves_the_signatures_or_the_state_alone_on_a_page(api, sheet_id):
    """Every row with a reason runs over one page: the totals and signatures go over together
    with rows of the table, and the state line heads the first page."""
    sid = sheet_id("bgs")
    flow = Flow(api, sid)
    reason = "本项工作存在不足，按考核细则扣分"
    flow._fill("bgs.staff", "self", lambda n, s: (s - Decimal("0.5"), reason))
    flow.ok(flow.act("bgs", "submit"))
    flow._fill("rjk", "review", lambda n, s: (s - Decimal("0.5"), reason))
    flow.ok(flow.act("rjk", "approve"))
    for office in OFFICES:
        flow.ok(flow.act(office, "sign"))
    flow.ok(flow.act("leader1", "sign"))
    pages = ["".join(p.extract_text().split()) for p in
             PdfReader(BytesIO(api.as_("bgs").get(f"/api/v1/sheets/{sid}/export.pdf").data)).pages]
    assert "状态：定稿" in pages[0]
    last = pages[-1]
    assert "合计分" in last and "考核扎口科室负责人签字" in last and "公益活动" in last
