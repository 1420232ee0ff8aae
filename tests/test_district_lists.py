"""The deduction records at district scale (issue 11): who reads which record is decided once, in
SQL, for a whole list — and it is the same answer the one rule (`access.can_read_records`) gives
record by record; the page comes a hundred records at a time, the API's list stays whole and
says the same thing it said when it loaded every record's every relation."""
import io
from datetime import date

import pytest
import sqlalchemy as sa

from conftest import YEAR
from files import tiny_pdf
from kaohe_flow.api.serialize import deduction_json
from kaohe_flow.extensions import db
from kaohe_flow.ledger import queries
from kaohe_flow.ledger.models import DeductionRecord
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.scheme.models import Scheme
from kaohe_flow.scheme.queries import scheme_or_none
from kaohe_flow.web import paging
from test_ledger import record


def _login(app, who):
    client = app.test_client()
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302
    return client


def _every_record(year=None):
    """Every standing record, by date, loaded the plain way (every relation as the model says)."""
    q = db.select(DeductionRecord).filter_by(withdrawn=False).order_by(DeductionRecord.day, DeductionRecord.id)
    if year is not None:
        q = q.filter(DeductionRecord.year == year)
    return list(db.session.scalars(q).unique())


def _no_scheme_year() -> int:
    return max(db.session.scalars(sa.select(Scheme.year))) + 1


@pytest.fixture
def records_everywhere(app):
    """Given straight to the database: a record about every unit of the year (by a rule of a
    different office each time), one withdrawn, and two in a year that has no scheme."""
    with app.app_context():
        rules = [r for item in scheme_or_none(YEAR).items for r in item.rules if r.kind == "per_occurrence"]
        units = [row.unit_id for row in db.session.scalars(db.select(YearUnit).filter_by(year=YEAR))]
        for n, unit_id in enumerate(units):
            db.session.add(DeductionRecord(year=YEAR, unit_id=unit_id, rule_id=rules[n % len(rules)].id, count=1 + n % 3,
                                           day=date(YEAR, 1 + n % 12, 1 + n % 28), source="manual"))
        db.session.add(DeductionRecord(year=YEAR, unit_id=units[0], rule_id=rules[0].id, day=date(YEAR, 6, 1),
                                       withdrawn=True))
        other = _no_scheme_year()
        for unit_id in units[:2]:
            db.session.add(DeductionRecord(year=other, unit_id=unit_id, rule_id=rules[0].id, day=date(other, 2, 3)))
        db.session.commit()
        return len(units)


def test_every_user_lists_exactly_the_records_the_rule_lets_them_read(app, records_everywhere):
    with app.app_context():
        users = list(db.session.scalars(db.select(User).order_by(User.id)))
        assert len(users) > 40
        other = _no_scheme_year()
        partial = 0
        for user in users:
            for year in (YEAR, other, None):
                db.session.expire_all()
                expected = [r.id for r in _every_record(year) if queries.can_see(user, r)]
                assert [r.id for r in queries.list_visible(user, year)] == expected, (user.username, year)
                assert queries.count_visible(user, year) == len(expected), (user.username, year)
                assert [r.id for r in queries.page_visible(user, year, None, 2, 3)] == expected[2:5]
                partial += 0 < len(expected) < len(_every_record(year))
        assert partial > 19  # units that read only their own (and gated) records were asked too


def test_a_gate_reads_the_records_of_the_units_it_gates_and_a_unit_its_own(app, records_everywhere):
    with app.app_context():
        szc = db.session.scalar(db.select(User).filter_by(username="szc.staff"))
        assert {r.unit.code for r in queries.list_visible(szc, YEAR)} == {"szc"}
        jgk = db.session.scalar(db.select(User).filter_by(username="jgk"))
        gated = {r.unit.code for r in queries.list_visible(jgk, YEAR)}
        assert "jgk" in gated and len(gated) > 1  # its own and the units it reviews (附件1)


def test_the_api_list_says_what_the_whole_records_say(app, api, records_everywhere):
    rid = record(api).get_json()["id"]
    assert api.as_("bgs").post(f"/api/v1/deductions/{rid}/evidence", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(tiny_pdf()), "通报.pdf")}).status_code == 201
    assert api.as_("szc").post(f"/api/v1/deductions/{rid}/appeal", json={"reason": "已按时回复"}).status_code == 201
    for who in ("director", "bgs", "szc", "jgk"):
        listed = api.as_(who).get(f"/api/v1/deductions?year={YEAR}").get_json()["items"]
        with app.test_request_context():
            user = db.session.scalar(db.select(User).filter_by(username=who))
            whole = [deduction_json(r) for r in _every_record(YEAR) if queries.can_see(user, r)]
        assert listed == whole, who
    mine = next(i for i in api.as_("szc").get(f"/api/v1/deductions?year={YEAR}").get_json()["items"] if i["id"] == rid)
    assert mine["evidence"][0]["filename"] == "通报.pdf" and mine["appeal"]["state"] == "open"


def test_the_api_list_reads_the_same_statements_for_few_records_as_for_many(app, api, count_queries):
    app.config["PAGE_CACHE"] = False  # what drawing the answer costs, not giving a kept one

    def statements():
        api.as_("director").get(f"/api/v1/deductions?year={YEAR}")
        with count_queries() as n:
            assert api.as_("director").get(f"/api/v1/deductions?year={YEAR}").status_code == 200
        return n()

    record(api)
    few = statements()
    for code in ("bgs", "dwb", "rjk", "jgk", "csk"):
        record(api, who="bgs", unit=code)
    with app.app_context():  # and units added to the district, each with a record
        rule_id = db.session.scalar(db.select(DeductionRecord.rule_id))
        for n in range(30):
            unit = Unit(code=f"t{n}", name=f"测试单位{n}", aliases=[], position=100 + n)
            db.session.add(DeductionRecord(year=YEAR, unit=unit, rule_id=rule_id, day=date(YEAR, 3, 1)))
        db.session.commit()
    assert statements() == few


@pytest.fixture
def five_a_page(monkeypatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 5)


def test_the_demo_records_fit_on_one_page_without_a_pager(app, api):
    for _ in range(3):
        record(api)
    page = _login(app, "director").get(f"/deductions?year={YEAR}").get_data(as_text=True)
    assert 'class="pager"' not in page and page.count("/deductions/") >= 3


def test_a_long_list_of_records_comes_a_page_at_a_time_with_its_filters(app, api, five_a_page, records_everywhere):
    everyone = [i["id"] for i in api.as_("director").get(f"/api/v1/deductions?year={YEAR}").get_json()["items"]]
    assert len(everyone) == records_everywhere  # the API's list stays whole (CONTRACT.md has no pages)
    client = _login(app, "director")
    page = client.get(f"/deductions?year={YEAR}&page=2").get_data(as_text=True)
    pages = -(-len(everyone) // 5)
    assert f"第 2 / {pages} 页，共 {len(everyone)} 条" in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert f"year={YEAR}&amp;page=3" in page or f"page=3&amp;year={YEAR}" in page  # the year is kept
    assert [rid for rid in everyone if f'href="/deductions/{rid}"' in page] == everyone[5:10]  # in date order
    last = client.get(f"/deductions?year={YEAR}&page=99").get_data(as_text=True)  # past the end: the last page
    assert f"第 {pages} / {pages} 页" in last and 'rel="next"' not in last
    odd = client.get(f"/deductions?year={YEAR}&page=abc").get_data(as_text=True)
    assert f"第 1 / {pages} 页" in odd and 'rel="prev"' not in odd


def test_the_unit_filter_lists_one_units_records_and_is_kept_across_pages(app, api, five_a_page):
    for n in range(7):
        record(api, date=f"2018-03-{10 + n:02d}")
    record(api, unit="dwb")
    client = _login(app, "director")
    everything = client.get(f"/deductions?year={YEAR}").get_data(as_text=True)
    assert "unit=szc" in everything  # a unit's name leads to its records alone
    page = client.get(f"/deductions?year={YEAR}&unit=szc&page=2").get_data(as_text=True)
    assert "第 2 / 2 页，共 7 条" in page and "党委办" not in page.split('<table class="list">')[1]
    assert "unit=szc" in page.split('rel="prev"')[0].rsplit("<a", 1)[1]  # the unit is kept
    assert "显示全部科室" in page


def test_the_admin_pages_through_the_accounts_and_finds_one_by_name_or_username(app, five_a_page):
    with app.app_context():
        total = db.session.scalar(db.select(sa.func.count(User.id)))
        name = db.session.scalar(db.select(User.name).filter_by(username="szc.staff"))
    client = _login(app, "admin")
    first = client.get("/admin/users").get_data(as_text=True)
    pages = -(-total // 5)
    assert f"第 1 / {pages} 页，共 {total} 个账号" in first and first.count(">编辑</a>") == 5
    found = client.get("/admin/users?q=SZC").get_data(as_text=True)  # a username, in any case
    assert "szc.staff" in found and "bgs.staff" not in found and 'class="pager"' not in found
    assert "szc.staff" in client.get("/admin/users", query_string={"q": name}).get_data(as_text=True)
    assert "没有符合条件的账号" in client.get("/admin/users?q=nobody-at-all").get_data(as_text=True)
    many = client.get("/admin/users?q=.staff&page=2").get_data(as_text=True)  # the search is kept across pages
    assert "第 2 / " in many and "q=.staff&amp;page=3" in many


def test_the_staff_list_comes_a_page_at_a_time(app, five_a_page):
    client = _login(app, "bgs")  # 办公室 keeps every list (信息管理)
    for n in range(7):
        assert client.post("/staff", data={"unit": "szc", "name": f"职工{n}"}).status_code == 302
    first = client.get("/staff").get_data(as_text=True)
    assert "第 1 / " in first and 'rel="next"' in first
    last = client.get("/staff?page=99").get_data(as_text=True)
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_the_demo_accounts_and_staff_fit_on_one_page_without_a_pager(app):
    assert 'class="pager"' not in _login(app, "admin").get("/admin/users").get_data(as_text=True)
    assert 'class="pager"' not in _login(app, "bgs").get("/staff").get_data(as_text=True)
