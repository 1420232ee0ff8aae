"""附件4 信息报送: quotas per month and per year, extras for special items, aliases, the 政务信息
stream, shortfalls as deduction records (source info) kept in step, imports (xlsx, CSV in UTF-8,
UTF-8 with BOM and GBK), who may enter and who sees which rows, the report page."""
import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from kaohe_flow.extensions import db
from kaohe_flow.ledger.models import DeductionRecord
from kaohe_flow.org.queries import units_by_name
from kaohe_flow.scheme.loader import DATA_DIR, DataError, read_yaml
from kaohe_flow.trackers import info_quotas, info_report
from kaohe_flow.trackers.info_models import InfoItem

HEAD = ["单位", "标题", "录用日期", "录用网站", "特殊类型", "类别", "区两办录用"]
ALL_UNITS = ["dwb", "bgs", "rjk", "csk", "czjsk", "fcglk", "gysyk", "jgk", "fzglk", "szc", "rgz", "fgc", "kfb",
             "jgzx", "cjjcdd", "ztbglk", "stzx", "cjdag", "qszx"]
TOPICS = ["城区道路提档升级", "燃气安全隐患排查", "老旧小区改造", "建筑工地扬尘治理", "防汛防台准备", "文明城市创建"]


def row(unit, title, day, portal="区", special="否", stream="信息", offices="否"):
    return {"单位": unit, "标题": title, "录用日期": day, "录用网站": portal, "特殊类型": special, "类别": stream,
            "区两办录用": offices}


def monthly(unit, per_month, short=None, stream="信息", months=range(1, 13)):
    """Rows meeting `per_month` every month of 2018, except the months in `short` (month → count)."""
    rows = []
    for month in months:
        for k in range((short or {}).get(month, per_month)):
            topic = TOPICS[(month + k) % len(TOPICS)]
            title = f"{unit}{topic}工作动态（2018年{month}月第{k + 1}条）"
            rows.append(row(unit, title, f"2018-{month:02d}-{k + 3:02d}", stream=stream))
    return rows


def csv_bytes(rows, encoding="utf-8", head=HEAD):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    for r in rows:
        writer.writerow([r.get(h, "") for h in HEAD])
    return out.getvalue().encode(encoding)


def upload(api, data, name="2018年信息录用.csv", who="bgs.staff"):
    return api.as_(who).post("/api/v1/info-items/import", data={"file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data")


def imported(api, rows, **kw):
    r = upload(api, csv_bytes(rows), **kw)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def enter(api, who="bgs.staff", **fields):
    payload = {"unit": "市政处", "title": "市政处完成人民路雨污分流改造", "adopted_on": "2018-03-05"}
    payload.update(fields)
    return api.as_(who).post("/api/v1/info-items", json=payload)


def report(api, who="director"):
    r = api.as_(who).get("/api/v1/info-report?year=2018")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def unit_row(api, code, who="director"):
    return next(u for u in report(api, who)["units"] if u["unit"] == code)


def info_records(api, unit, who="director"):
    items = api.as_(who).get(f"/api/v1/deductions?year=2018&unit={unit}").get_json()["items"]
    return [d for d in items if d["source"] == "info"]


def suggested(api, sheet_id, unit, code="info_publicity"):
    sheet = api.as_("admin").get(f"/api/v1/sheets/{sheet_id(unit)}").get_json()
    return next(i for i in sheet["items"] if i["code"] == code)["suggested_score"]


# ------------------------------------------------------------------------------ the data file

def test_the_quota_file_transcribes_attachment_4(app):
    with app.test_request_context():
        q = info_quotas.load_quotas(2018)
        code = {u.id: u.code for u in units_by_name().values()}
        quotas = {code[uid]: quota.json() for uid, quota in q.info.items()}
        gov = {code[uid]: quota.json() for uid, quota in q.gov.items()}
    assert sorted(quotas) == sorted(ALL_UNITS)  # 附件4 lists all 19 units: none is without a quota
    assert quotas["szc"] == quotas["fgc"] == {"per_month": 4}
    assert quotas["jgzx"] == {"per_month": 5} and quotas["kfb"] == {"per_month": 2}
    assert quotas["csk"] == quotas["fzglk"] == quotas["qszx"] == {"per_year": 5}
    assert quotas["cjdag"] == {"per_year": 10}
    assert quotas["dwb"] == quotas["cjjcdd"] == quotas["ztbglk"] == quotas["czjsk"] == {"per_month": 1}
    assert q.extras == {"district": 2, "city": 5, "province": 8} and q.rule == "info_publicity-2"
    assert gov == {c: {"per_year": 6} for c in ("csk", "rjk", "fzglk", "cjdag", "qszx")}
    assert q.gov_default.json() == {"per_month": 1} and q.gov_district_offices == 1
    assert q.gov_rule is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d["units"].update({"信息科": {"per_month": 1}}), "unknown unit '信息科'"),
    (lambda d: d["units"].update({"党委办": {"per_month": 2}}), "same unit (dwb)"),
    (lambda d: d["units"].update({"党办": {"per_week": 1}}), "per_month: N"),
    (lambda d: d["units"].update({"党办": {"per_month": 0}}), "at least 1"),
    (lambda d: d["gov_affairs"]["units"].update({"档案科": {"per_year": 6}}), "unknown unit '档案科'"),
    (lambda d: d["extras"].pop("city"), "extras"),
    (lambda d: d["gov_affairs"].update({"points_per_shortfall": "0.5"}), "setting gov_affairs_points"),
])
def test_a_bad_quota_file_is_refused_with_the_reason(app, change, message):
    data = read_yaml(DATA_DIR / "info_quotas_2018.yaml")
    change(data)
    with app.test_request_context(), pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        info_quotas.validate_quotas(data, units_by_name(), 2018)


# ------------------------------------------------------------------------------ quotas and points

def test_a_month_short_is_one_point_as_a_deduction_record(api, sheet_id):
    assert suggested(api, sheet_id, "szc") == "7"
    result = imported(api, monthly("市政处", 4, short={3: 2}))
    assert result == {"imported": 46, "updated": 0, "skipped": 0}
    szc = unit_row(api, "szc")
    assert szc["quota"] == {"per_month": 4} and szc["months"]["3"] == 2 and szc["months"]["4"] == 4
    assert szc["months_short"] == [3] and szc["count"] == 46 and szc["points"] == "1"
    [record] = info_records(api, "szc")
    assert (record["rule"], record["item"], record["count"], record["date"], record["points"]) == (
        "info_publicity-2", "info_publicity", 1, "2018-03-31", "1")
    assert record["note"].startswith("2018年3月信息录用2条，未达每月4条")
    assert suggested(api, sheet_id, "szc") == "6"
    assert info_records(api, "szc", who="szc") == [record]  # the unit sees the record about itself


def test_a_month_without_any_item_is_short_too(api):
    imported(api, monthly("燃管站", 1, months=range(1, 12)))  # nothing adopted in December
    rgz = unit_row(api, "rgz")
    assert rgz["months"]["12"] == 0 and rgz["months_short"] == [12] and rgz["points"] == "1"
    assert unit_row(api, "kfb")["months_short"] == list(range(1, 13))  # a unit with no item at all


def test_a_year_with_nothing_entered_is_not_judged(api, app, sheet_id):
    """Issue 10, 1: before anyone enters an item, the tracker is not in use: no unit is short,
    no record is made (not even by the daily sync), the suggestion stays at the standard."""
    from kaohe_flow.trackers.sync import sync_year

    with app.app_context():
        sync_year(2018)
    found = report(api)
    assert found["judged"] is False and "尚未录入任何信息" in found["not_judged_reason"]
    assert found["judged_months"] == [] and all(u["months_short"] == [] for u in found["units"])
    assert info_records(api, "szc") == [] and suggested(api, sheet_id, "szc") == "7"
    api.client.post("/login", data={"username": "director", "password": "demo12345"})
    assert "尚未录入任何信息" in api.client.get("/info?year=2018").get_data(as_text=True)
    imported(api, [row("市政处", "市政处开展道路整治", "2018-01-20")])
    found = report(api)
    assert found["judged"] is True and found["not_judged_reason"] is None
    assert unit_row(api, "kfb")["months_short"] == list(range(1, 13))  # from the first entry on


def test_a_yearly_minimum_is_judged_on_the_plain_count_at_year_end(api):
    rows = [row("档案馆", f"城建档案馆馆藏数字化进展（第{n}条）", f"2018-{n:02d}-15") for n in range(1, 9)]
    rows.append(row("档案馆", "城建档案馆举办档案开放日在线访谈", "2018-09-20", portal="市", special="是"))
    imported(api, rows)
    cjdag = unit_row(api, "cjdag")
    assert cjdag["quota"] == {"per_year": 10} and cjdag["months_short"] == []  # months do not matter
    assert (cjdag["count"], cjdag["extras"], cjdag["total"]) == (9, 5, 14)
    assert cjdag["year_short"] is True and cjdag["points"] == "1"  # 9 < 10 although the total is 14
    [record] = info_records(api, "cjdag")
    assert record["date"] == "2018-12-31" and "全年信息录用9条，未达全年不低于10条" in record["note"]
    imported(api, [row("档案馆", "城建档案馆完成年度档案接收", "2018-12-10")])
    cjdag = unit_row(api, "cjdag")
    assert cjdag["year_short"] is False and cjdag["points"] == "0" and info_records(api, "cjdag") == []


def test_only_months_that_have_ended_are_judged(api, monkeypatch):
    monkeypatch.setattr(info_report, "today", lambda: date(2018, 4, 15))
    imported(api, monthly("市政处", 4, months=range(1, 4), short={2: 3}))
    szc = unit_row(api, "szc")
    assert szc["months_short"] == [2] and szc["points"] == "1"  # April is running, May not begun
    assert report(api)["judged_months"] == [1, 2, 3]
    assert unit_row(api, "cjdag")["year_short"] is False  # a yearly minimum waits for the year's end
    assert [r["date"] for r in info_records(api, "szc")] == ["2018-02-28"]


def test_special_items_add_extras_by_portal_and_ordinary_ones_count_only_from_the_district(api):
    """附件4 备注1: only items the district portal adopted count; 备注3: special ones add extras."""
    rows = monthly("燃管站", 1)
    rows += [row("燃管站", "燃管站站长在线访谈：冬季用气安全", "2018-01-20", portal="区", special="是"),
             row("燃管站", "燃管站政策解读：瓶装燃气管理办法", "2018-05-20", portal="市", special="是"),
             row("燃管站", "燃管站热点问答：燃气报装流程", "2018-08-20", portal="省", special="是"),
             row("燃管站", "燃管站开展燃气安全进社区活动", "2018-10-20", portal="市")]
    imported(api, rows)
    rgz = unit_row(api, "rgz")
    assert rgz["months"]["1"] == 2 and rgz["months"]["5"] == 2  # special items count toward their month
    # the October item adopted by the city portal alone does not count (备注1)
    assert (rgz["count"], rgz["extras"], rgz["total"]) == (15, 2 + 5 + 8, 30)
    assert rgz["months"]["10"] == 1 and report(api)["not_counted"] == 1
    r = enter(api, unit="燃管站", title="燃管站网页专题：安全用气", adopted_on="2018-11-02", portal="province",
              special=True)
    assert r.status_code == 201 and unit_row(api, "rgz")["extras"] == 23


def test_units_are_named_by_the_seeds_own_names(api):
    rows = [row("党办", "局党委召开专题学习会", "2018-06-05"), row("财务科", "财审科开展预算执行检查", "2018-06-06"),
            row("档案馆", "城建档案馆开展档案安全检查", "2018-06-07"),
            row("城建监察大队（法规科）", "城建监察大队开展违法建设专项整治", "2018-06-08"),
            row("招投标科", "招投标管理科规范评标专家管理", "2018-06-09"),
            row("建设科", "城镇建设科推进美丽乡村建设", "2018-06-10")]
    imported(api, rows)
    items = api.as_("bgs").get("/api/v1/info-items?year=2018").get_json()["items"]
    assert [i["unit"] for i in items] == ["dwb", "csk", "cjdag", "cjjcdd", "ztbglk", "czjsk"]
    r = enter(api, unit="防震科", title="防震管理科开展地震应急演练", adopted_on="2018-05-12")
    assert r.status_code == 201 and r.get_json()["unit"] == "fzglk"
    r = enter(api, unit="信息科")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_unit"


def test_gov_affairs_has_its_own_quota_and_its_shortfalls_cost_nothing_by_default(api, sheet_id):
    rows = monthly("市政处", 4)  # the information stream is complete
    rows += monthly("市政处", 1, stream="政务信息", months=[m for m in range(1, 13) if m not in (2, 7)])
    rows += [row("财务科", f"财审科政务信息：专项资金绩效评价（{n}）", f"2018-{2 * n:02d}-11", stream="政务信息",
                 offices="是" if n == 1 else "否") for n in range(1, 6)]
    imported(api, rows)
    szc = unit_row(api, "szc")
    assert szc["points"] == "0" and szc["months_short"] == []
    gov = szc["gov_affairs"]
    assert gov["quota"] == {"per_month": 1} and gov["months_short"] == [2, 7] and gov["count"] == 10
    assert gov["district_offices"] == 0 and gov["district_offices_short"] is True
    assert gov["points"] == "0" and "政务信息报送规定" in gov["points_note"]
    csk = unit_row(api, "csk")["gov_affairs"]
    assert csk["quota"] == {"per_year": 6} and csk["count"] == 5 and csk["year_short"] is True
    assert csk["months_short"] == [] and csk["district_offices"] == 1 and csk["district_offices_short"] is False
    assert info_records(api, "szc") == [] and suggested(api, sheet_id, "szc") == "7"  # 政务信息 costs 0


def test_shortfalls_are_floored_with_the_items_other_records(api, sheet_id):
    imported(api, monthly("市政处", 4, short={1: 3, 2: 0, 3: 1, 4: 2, 5: 3}))
    assert unit_row(api, "szc")["points"] == "5"
    r = api.as_("dwb").post("/api/v1/deductions", json={
        "year": 2018, "unit": "szc", "rule": "info_publicity-1", "count": 3, "date": "2018-06-01",
        "note": "未按时完成宣传计划"})
    assert r.status_code == 201
    assert suggested(api, sheet_id, "szc") == "0"  # 5 + 3 > 7: 扣完为止
    assert suggested(api, sheet_id, "kfb") == "0"  # 12 months short, at most 7 lost


# ------------------------------------------------------------------------------ kept in step

def test_correcting_or_deleting_an_item_takes_its_record_away(api, sheet_id):
    imported(api, monthly("开发办", 2, short={6: 1}))
    assert [r["date"] for r in info_records(api, "kfb")] == ["2018-06-30"]
    r = enter(api, unit="开发办", title="开发办开展商品房预售资金监管检查", adopted_on="2018-06-21")
    assert r.status_code == 201
    item = r.get_json()
    assert set(item) >= {"id", "unit", "title", "adopted_on", "portal", "special", "stream", "district_offices"}
    assert (item["unit"], item["portal"], item["special"], item["stream"]) == ("kfb", "district", False, "info")
    assert info_records(api, "kfb") == [] and suggested(api, sheet_id, "kfb") == "7"
    # a wrong date, corrected: June is short again, July has three
    r = api.as_("bgs").put(f"/api/v1/info-items/{item['id']}", json={"version": item["version"],
                                                                       "adopted_on": "2018-07-02"})
    assert r.status_code == 200 and r.get_json()["adopted_on"] == "2018-07-02"
    assert [r["date"] for r in info_records(api, "kfb")] == ["2018-06-30"]
    stale = api.as_("bgs").put(f"/api/v1/info-items/{item['id']}", json={"version": item["version"], "title": "x"})
    assert stale.status_code == 409
    r = api.as_("bgs").put(f"/api/v1/info-items/{item['id']}", json={"version": item["version"] + 1,
                                                                       "adopted_on": "2018-06-21"})
    assert r.status_code == 200 and info_records(api, "kfb") == []
    assert api.as_("bgs.staff").delete(f"/api/v1/info-items/{item['id']}").status_code == 204
    [record] = info_records(api, "kfb")
    assert record["date"] == "2018-06-30" and suggested(api, sheet_id, "kfb") == "6"
    assert api.as_("bgs.staff").delete(f"/api/v1/info-items/{item['id']}").status_code == 404


def test_re_importing_the_same_file_does_not_count_twice(api, app):
    data = csv_bytes(monthly("市政处", 4, short={3: 2}))
    assert upload(api, data).get_json() == {"imported": 46, "updated": 0, "skipped": 0}
    first = unit_row(api, "szc")
    records = info_records(api, "szc")
    assert upload(api, data, who="dwb").get_json() == {"imported": 0, "updated": 0, "skipped": 46}
    assert unit_row(api, "szc") == first and info_records(api, "szc") == records
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(InfoItem)) == 46
        standing = db.select(db.func.count()).select_from(DeductionRecord).filter_by(source="info", withdrawn=False)
        # every other monthly unit is short every month, the four yearly ones once, szc in March
        assert db.session.scalar(standing) == 14 * 12 + 4 + 1
    r = enter(api, unit="szc", title=monthly("市政处", 4)[0]["标题"], adopted_on="2018-01-03")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "duplicate_item"


def test_a_re_import_with_a_changed_portal_corrects_the_item(api):
    rows = monthly("燃管站", 1)
    imported(api, rows)
    rows[0] = {**rows[0], "录用网站": "省", "特殊类型": "是"}
    assert imported(api, rows) == {"imported": 0, "updated": 1, "skipped": 11}
    assert unit_row(api, "rgz")["extras"] == 8


# ------------------------------------------------------------------------------ imports

def test_an_import_with_one_bad_row_imports_nothing(api, app):
    rows = monthly("市政处", 4, months=[1])
    rows[1] = {**rows[1], "单位": "宣传科"}
    rows[3] = {**rows[3], "录用日期": "2018-02-30"}
    rows.append(row("市政处", "市政处桥梁检测", "2018-01-22", portal="国家"))
    r = upload(api, csv_bytes(rows))
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert error["code"] == "invalid_rows" and error["message"]
    assert [e["row"] for e in error["rows"]] == [3, 5, 6]  # the header is row 1
    assert "宣传科" in error["rows"][0]["message"] and "2018-02-30" in error["rows"][1]["message"]
    assert "国家" in error["rows"][2]["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(InfoItem)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(DeductionRecord)) == 0


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_or_utf8_with_or_without_bom(api, encoding):
    rows = [row("党办", "局党委开展“不忘初心”主题党日活动", "2018/5/8"),
            row("墙散中心", "墙散中心推广新型墙体材料", "2018年5月9日", special="否"),
            row("人教科", "人教科政务信息：干部教育培训", "2018-05-10", stream="政务信息", offices="是")]
    r = upload(api, csv_bytes(rows, encoding))
    assert r.status_code == 201 and r.get_json()["imported"] == 3, r.get_json()
    items = api.as_("bgs").get("/api/v1/info-items?year=2018").get_json()["items"]
    assert [(i["unit"], i["adopted_on"], i["stream"], i["district_offices"]) for i in items] == [
        ("dwb", "2018-05-08", "info", False), ("qszx", "2018-05-09", "info", False),
        ("rjk", "2018-05-10", "gov_affairs", True)]
    assert items[0]["title"] == "局党委开展“不忘初心”主题党日活动"


def test_an_excel_file_with_english_headers_and_date_cells(api):
    book = Workbook()
    sheet = book.active
    sheet.append(["unit", "title", "adopted_on", "portal", "special", "stream", "district_offices"])
    sheet.append(["szc", "市政处开展汛前排水设施检查", datetime(2018, 4, 3), "city", "no", "info", "no"])
    sheet.append([])
    sheet.append(["房管处", "房管处政策解读：公租房申请", date(2018, 4, 9), "district", "yes", "info", None])
    buffer = io.BytesIO()
    book.save(buffer)
    r = upload(api, buffer.getvalue(), name="信息.xlsx")
    assert r.status_code == 201 and r.get_json()["imported"] == 2, r.get_json()
    assert unit_row(api, "fgc")["extras"] == 2 and unit_row(api, "szc")["extras"] == 0


@pytest.mark.parametrize("data, name, code", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "x.png", "unsupported_type"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "old.xls", "unsupported_type"),
    (b"PK\x03\x04broken", "x.xlsx", "bad_xlsx"),
    ("标题,录用日期\n某信息,2018-01-02\n".encode(), "x.csv", "missing_columns"),
    ("单位,标题,录用日期\n".encode(), "x.csv", "no_rows"),
    (b"", "x.csv", "empty_file"),
])
def test_files_that_are_not_tables_are_refused(api, data, name, code):
    r = upload(api, data, name=name)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == code, r.get_json()


def test_an_import_needs_a_file(api):
    r = api.as_("bgs").post("/api/v1/info-items/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "file_required"


# ------------------------------------------------------------------------------ who may do what

def test_only_the_offices_responsible_for_info_publicity_enter(api):
    assert enter(api, who="dwb.staff").status_code == 201  # 党委办 answers for 信息宣传 too
    for who in ("szc", "rjk", "leader1", "director", "admin"):
        r = enter(api, who=who, title=f"{who}试录入")
        assert r.status_code == 403, who
        assert upload(api, csv_bytes(monthly("市政处", 1, months=[1])), who=who).status_code == 403
    item = api.as_("bgs").get("/api/v1/info-items?year=2018").get_json()["items"][0]
    assert api.as_("szc").delete(f"/api/v1/info-items/{item['id']}").status_code == 403
    assert api.as_("rgz").delete(f"/api/v1/info-items/{item['id']}").status_code == 404
    assert api.as_("szc").put(f"/api/v1/info-items/{item['id']}", json={"version": 1}).status_code == 403


def test_who_sees_which_rows(api):
    imported(api, monthly("市政处", 4, months=[1]) + monthly("燃管站", 1, months=[1]))
    every = report(api, "bgs")
    assert [u["unit"] for u in every["units"]] == ALL_UNITS
    for who in ("dwb.staff", "leader2", "director", "admin"):
        assert report(api, who) == every
    own = report(api, "szc")
    assert [u["unit"] for u in own["units"]] == ["szc"] and [r["unit"] for r in own["ranking"]] == ["szc"]
    assert own["units"][0] == unit_row(api, "szc")
    assert [u["unit"] for u in report(api, "gysyk")["units"]] == ["gysyk"]  # a gate unit: its own row only
    assert {i["unit"] for i in api.as_("szc").get("/api/v1/info-items?year=2018").get_json()["items"]} == {"szc"}
    assert api.as_("szc").get("/api/v1/info-items?year=2018&unit=rgz").get_json()["items"] == []
    assert len(api.as_("leader1").get("/api/v1/info-items?year=2018&unit=燃管站").get_json()["items"]) == 1


def test_the_report_needs_a_year_it_knows(api):
    assert api.as_("bgs").get("/api/v1/info-report").status_code == 400
    assert api.as_("bgs").get("/api/v1/info-report?year=abc").status_code == 400
    assert api.as_("bgs").get("/api/v1/info-report?year=2017").status_code == 404
    assert api.as_("bgs").get("/api/v1/info-items").status_code == 400
    r = enter(api, adopted_on="2017-05-05")
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "unknown_year"


@pytest.mark.parametrize("fields, code", [
    ({"title": ""}, "invalid_text"), ({"title": "x" * 301}, "invalid_text"),
    ({"adopted_on": "2018-3-5"}, "invalid_date"), ({"adopted_on": 20180305}, "invalid_date"),
    ({"adopted_on": "2999-01-01"}, "unknown_year"), ({"portal": "区"}, "invalid_portal"),
    ({"stream": "news"}, "invalid_stream"), ({"special": "是"}, "invalid_flag"),
    ({"district_offices": True}, "invalid_flag"), ({"stream": "gov_affairs", "special": True}, "invalid_flag"),
    ({"unit": None}, "unknown_unit"), ({"title": "a\u0000b"}, "invalid_text"),
])
def test_bad_items_are_422(api, fields, code):
    r = enter(api, **fields)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == code, r.get_json()


def test_the_award_ranking_puts_units_that_met_their_quota_first(api):
    rows = monthly("市政处", 4) + monthly("党办", 1)  # szc 48, dwb 12: both met
    rows += monthly("建管中心", 5, short={12: 4})  # 59 items but one month short
    rows += [row("档案馆", f"城建档案馆信息（{n}）", f"2018-{n:02d}-05") for n in range(1, 11)]  # 10 of 10
    rows += [row("档案馆", "城建档案馆省网专题", "2018-11-11", portal="省", special="是")]  # 11 + 8 = 19
    imported(api, rows)
    ranking = report(api)["ranking"]
    top = [(r["unit"], r["rank"], r["met_quota"], r["total"]) for r in ranking[:4]]
    assert top == [("szc", 1, True, 48), ("cjdag", 2, True, 19), ("dwb", 3, True, 12), ("jgzx", 4, False, 59)]
    assert len(ranking) == 19 and ranking[-1]["rank"] == 5  # the 15 units without items share a rank


# ------------------------------------------------------------------------------ pages

def login(client, username):
    assert client.post("/login", data={"username": username, "password": "demo12345"}).status_code == 302


def test_the_report_page_with_entry_and_import(app, api):
    imported(api, monthly("市政处", 4, short={3: 2}))
    client = app.test_client()
    login(client, "bgs.staff")
    page = client.get("/info?year=2018").get_data(as_text=True)
    assert "年度优秀信息员评选排序" in page and "政务信息报送" in page and "政务信息报送规定" in page
    assert '<td class="short" title="3月未达标">2</td>' in page  # March of 市政处, highlighted
    assert "录入一条录用信息" in page and "从 Excel / CSV 导入" in page
    assert "信息报送</a>" in page  # the nav link
    r = client.post("/info/items", data={"year": "2018", "unit": "szc", "title": "市政处路灯节能改造",
                                         "adopted_on": "2018-13-01", "portal": "district", "stream": "info"})
    assert r.status_code == 422 and "市政处路灯节能改造" in r.get_data(as_text=True)  # what was typed stays
    r = client.post("/info/items", data={"year": "2018", "unit": "szc", "title": "市政处路灯节能改造",
                                         "adopted_on": "2018-03-20", "portal": "district", "stream": "info"})
    assert r.status_code == 302
    assert unit_row(api, "szc")["months"]["3"] == 3
    bad = csv_bytes([row("宣传科", "某信息", "2018-01-02")])
    r = client.post("/info/import", data={"year": "2018", "file": (io.BytesIO(bad), "x.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "第 2 行" in r.get_data(as_text=True)
    good = csv_bytes([row("燃管站", "燃管站开展应急演练", "2018-01-02")])
    r = client.post("/info/import", data={"year": "2018", "file": (io.BytesIO(good), "x.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    item = api.as_("bgs").get("/api/v1/info-items?year=2018&unit=rgz").get_json()["items"][0]
    assert client.post(f"/info/items/{item['id']}/delete", data={"year": "2018"}).status_code == 302
    assert api.as_("bgs").get("/api/v1/info-items?year=2018&unit=rgz").get_json()["items"] == []


def test_a_unit_reads_its_own_row_on_the_page_without_forms(app, api):
    imported(api, monthly("市政处", 4, months=[1]) + monthly("燃管站", 1, months=[1]))
    client = app.test_client()
    login(client, "szc")
    page = client.get("/info?year=2018").get_data(as_text=True)
    assert 'data-unit="szc"' in page and 'data-unit="rgz"' not in page
    assert "录入一条录用信息" not in page and "/delete" not in page
    assert client.post("/info/items", data={"year": "2018", "unit": "szc", "title": "x",
                                            "adopted_on": "2018-03-20"}).status_code == 403


def test_a_unit_without_a_quota_and_a_gov_affairs_rule_when_one_is_set(api, monkeypatch, tmp_path, sheet_id):
    """Settings of another year's file: a unit 附件4 does not list has no quota; 政务信息 points
    above 0 name a rule of the scheme, and the shortfalls become records under it."""
    import yaml

    data = read_yaml(DATA_DIR / "info_quotas_2018.yaml")
    del data["units"]["开发办"]
    data["gov_affairs"].update({"rule": "info_publicity-1", "points_note": "政务信息报送规定：每项不足扣1分"})
    path = tmp_path / "info_quotas_2018.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(info_quotas, "quota_file", lambda year: path)
    assert api.as_("admin").put("/api/v1/years/2018/settings", json={"gov_affairs_points": "1"}).status_code == 200
    imported(api, monthly("市政处", 4) + monthly("市政处", 1, stream="政务信息", months=range(2, 13))
             + [row("市政处", "市政处政务信息：城市道路养护专项", "2018-02-15", stream="政务信息", offices="是")])
    kfb = unit_row(api, "kfb")
    assert kfb["quota"] is None and kfb["months_short"] == [] and kfb["points"] == "0"
    assert next(r for r in report(api)["ranking"] if r["unit"] == "kfb")["met_quota"] is False
    gov = unit_row(api, "szc")["gov_affairs"]
    assert gov["months_short"] == [1] and gov["district_offices_short"] is False and gov["points"] == "1"
    [record] = info_records(api, "szc")
    assert record["rule"] == "info_publicity-1" and "2018年1月政务信息报送0条" in record["note"]
    assert suggested(api, sheet_id, "szc") == "6"
    login(api.client, "director")
    assert "附件4未列出，无信息报送指标" in api.client.get("/info?year=2018").get_data(as_text=True)


def test_a_year_that_is_not_an_integer_is_400(api):
    r = api.as_("bgs").post("/api/v1/info-items", json={"year": "2018", "unit": "szc", "title": "x",
                                                        "adopted_on": "2018-03-05"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_year"
