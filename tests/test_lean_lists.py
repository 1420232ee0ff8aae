"""A district's lists (issue 11): who sees which sheet is decided once, in SQL, for a whole list —
and it is the same answer the one permission rule gives sheet by sheet; the ranking's heat map is
read from the rows' columns; long lists come a hundred lines at a time, the demo's on one page."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from conftest import YEAR
from kaohe_flow.extensions import db
from kaohe_flow.org.models import User, YearUnit
from kaohe_flow.reports.ranking import loss_matrix, points_lost
from kaohe_flow.rhythm.models import Delegation
from kaohe_flow.sheets import queries
from kaohe_flow.sheets.models import Sheet, SheetRow
from kaohe_flow.timeutil import local_today
from kaohe_flow.web import paging
from kaohe_flow.workflow import permissions


def _by_the_rule(user, year=None):
    """Sheet by sheet, as `permissions.can_see` answers on each sheet's facts."""
    return [s.id for s, _f in _every_sheet(year) if permissions.can_see(user, queries.facts(s, queries.scheme_for(s.year)))]


def _every_sheet(year):
    """Every sheet, in the org chart's order."""
    q = (db.select(Sheet).outerjoin(YearUnit, (YearUnit.year == Sheet.year) & (YearUnit.unit_id == Sheet.unit_id))
         .order_by(Sheet.year, YearUnit.position, Sheet.unit_id))
    if year is not None:
        q = q.filter(Sheet.year == year)
    return [(s, None) for s in db.session.scalars(q)]


def _given_delegation(who, to, first=0, last=3):
    users = {u.username: u for u in db.session.scalars(db.select(User).where(User.username.in_([who, to])))}
    db.session.add(Delegation(delegator=users[who], delegate=users[to], from_date=local_today() + timedelta(first),
                              to_date=local_today() + timedelta(last)))


def test_every_user_sees_in_a_list_exactly_the_sheets_the_rule_lets_them_see(app):
    with app.app_context():
        # A gate's head away (建工科's head to a plain unit's member), a deputy director
        # away, and a delegation that has run out (it gives nothing).
        _given_delegation("jgk", "szc.staff")
        _given_delegation("leader1", "qszx")
        _given_delegation("rjk", "stzx.staff", first=-9, last=-2)
        db.session.commit()
        users = list(db.session.scalars(db.select(User).order_by(User.id)))
        assert len(users) > 40
        for user in users:
            for year in (YEAR, None):
                db.session.expire_all()
                expected = _by_the_rule(user, year)
                assert [s.id for s in queries.visible_sheets(user, year)] == expected, user.username
                assert [s.id for s, _f in queries.list_visible(user, year)] == expected, user.username


def test_every_inbox_read_through_the_waiting_condition_is_the_inbox_of_the_rule(app):
    """Sheets in every state (given straight to the database, round robin over the org chart):
    what waits for each user, read through `waiting_clause`, is what the one rule answers on every
    open sheet they see."""
    states = ["draft", "gate_review", "responsible_sign", "leader_sign", "final"]
    with app.app_context():
        for n, (sheet, _f) in enumerate(_every_sheet(YEAR)):  # givens: not a move of the machine
            db.session.execute(sa.update(Sheet).where(Sheet.id == sheet.id).values(state=states[n % len(states)]))
        _given_delegation("leader2", "szc")  # a head standing in for a deputy director
        _given_delegation("jgk", "rgz.staff")  # a member standing in for a gate's head
        db.session.commit()
        waiting = 0
        for user in db.session.scalars(db.select(User).order_by(User.id)):
            db.session.expire_all()
            expected = []
            for sheet, _f in _every_sheet(YEAR):
                facts = queries.facts(sheet, queries.scheme_for(YEAR))
                if sheet.state != "final" and permissions.can_see(user, facts):
                    action = permissions.expected_action(user, facts)
                    if action:
                        expected.append((sheet.id, action))
            assert [(s.id, a) for s, a in queries.inbox(user, YEAR)] == expected, user.username
            waiting += len(expected)
        assert waiting > 19  # the heads, the gates, the offices and the leaders all have work


def test_a_unit_member_lists_its_own_sheet_and_a_gate_its_gated_units(app):
    with app.app_context():
        staff = db.session.scalar(db.select(User).filter_by(username="szc.staff"))
        jgk = db.session.scalar(db.select(User).filter_by(username="jgk"))
        mine = queries.visible_sheets(staff, YEAR)
        assert [s.unit.code for s in mine] == ["szc"]
        gated = {s.unit.code for s in queries.visible_sheets(jgk, YEAR)}
        assert "jgk" in gated and len(gated) > 1  # its own and the units it reviews (附件1)


def test_the_heat_map_from_the_rows_columns_loses_what_each_row_loses(app):
    with app.app_context():
        sheets = list(db.session.scalars(db.select(Sheet).filter_by(year=YEAR).order_by(Sheet.id)))[:3]
        first, second = sheets[0], sheets[1]
        rows = list(first.rows)
        rows[0].self_score = rows[0].item.standard - Decimal("1.5")
        rows[1].self_score = rows[1].item.standard
        rows[1].review_score = rows[1].item.standard - Decimal("2")  # the review counts over the self score
        second.rows[0].review_score = Decimal("0")  # a review of 0 loses the whole standard
        db.session.commit()
        matrix = loss_matrix(sheets, YEAR)
        for sheet in sheets:
            for row in db.session.scalars(db.select(SheetRow).filter_by(sheet_id=sheet.id)):
                assert matrix.lost(sheet, row.item.code) == points_lost(row)
        assert matrix.lost(first, rows[0].item.code) == Decimal("1.5")
        assert matrix.lost(first, rows[1].item.code) == Decimal("2")
        assert matrix.lost(second, second.rows[0].item.code) == second.rows[0].item.standard
        assert not matrix.scored(sheets[2])
        assert matrix.max_lost == max(Decimal("2"), second.rows[0].item.standard)


@pytest.fixture
def five_a_page(monkeypatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 5)


def _login(app, who):
    client = app.test_client()
    assert client.post("/login", data={"username": who, "password": "demo12345"}).status_code == 302
    return client


def test_the_demo_lists_fit_on_one_page_without_a_pager(app):
    client = _login(app, "director")
    sheets = client.get(f"/sheets?year={YEAR}").get_data(as_text=True)
    ranking = client.get(f"/ranking?year={YEAR}").get_data(as_text=True)
    assert 'class="pager"' not in sheets and 'class="pager"' not in ranking
    assert sheets.count("/sheets/") >= 19 and ranking.count('data-unit="') == 19
    assert "各科室合计" in ranking and "本页各科室合计" not in ranking


def test_a_long_list_of_sheets_comes_a_page_at_a_time(app, api, five_a_page):
    everyone = [i["unit"] for i in api.as_("director").get(f"/api/v1/sheets?year={YEAR}").get_json()["items"]]
    assert len(everyone) == 19  # the API's list stays whole (CONTRACT.md has no pages)
    client = _login(app, "director")
    page = client.get(f"/sheets?year={YEAR}&page=2").get_data(as_text=True)
    assert "第 2 / 4 页，共 19 张" in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert f"year={YEAR}&amp;page=3" in page or f"page=3&amp;year={YEAR}" in page  # the year is kept
    with app.app_context():
        names = {s.unit.code: s.unit_name for s in db.session.scalars(db.select(Sheet).filter_by(year=YEAR))}
    shown = [code for code in everyone if f">{names[code]}</a>" in page]
    assert shown == everyone[5:10]
    last = client.get(f"/sheets?year={YEAR}&page=99").get_data(as_text=True)  # past the end: the last page
    assert "第 4 / 4 页" in last and 'rel="next"' not in last
    odd = client.get(f"/sheets?year={YEAR}&page=abc").get_data(as_text=True)
    assert "第 1 / 4 页" in odd and 'rel="prev"' not in odd


def test_the_ranking_page_shows_a_page_of_the_ranking_and_its_heat_map(app, api, five_a_page):
    order = [i["unit"] for i in api.as_("director").get(f"/api/v1/ranking?year={YEAR}").get_json()["items"]]
    client = _login(app, "director")
    page = client.get(f"/ranking?year={YEAR}&page=3").get_data(as_text=True)
    assert "第 3 / 4 页，共 19 个科室" in page
    shown = [code for code in order if f'data-unit="{code}"' in page]
    assert shown == order[10:15]
    assert "本页各科室合计" in page
    assert page.count('<th class="unit" scope="row">') == 5 + 1  # five units and the standards line


def test_a_pager_keeps_only_the_page_own_arguments(app, five_a_page):
    """A visitor's `endpoint=` or `_external=` is not url_for's to take (it answered 500)."""
    client = _login(app, "director")
    for path in ("/sheets", "/ranking"):
        for query in ("page=2&endpoint=x", "page=2&_method=POST", "page=2&_external=1&_anchor=x"):
            response = client.get(f"{path}?year={YEAR}&{query}")
            assert response.status_code == 200, (path, query)
            page = response.get_data(as_text=True)
            pager = page[page.index('<nav class="pager"'):].split("</nav>")[0]
            assert 'href="/' in pager and "http" not in pager
            assert "endpoint" not in pager and "_method" not in pager and "_anchor" not in pager
