"""The ranking from one statement (issue 11): on a generated district with sheets in every state,
key deductions, bonuses granted before and after a sheet became final, a sheet without rows and
ties, every user's ranking — as the API and the page read it, and with the sheets' rows as the
workbook reads it — is the one the row-by-row rule gives: 现场考核分小计 summed over the loaded
rows, 合计分 = 小计 − 重点指标扣分 + 特别附加分 (`queries.totals`), ranks over every final sheet
of the year, and the lines of the sheets the user may see (`permissions.can_see`)."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from conftest import YEAR, restore_world
from kaohe_flow.benchdata import Sizes, generate
from kaohe_flow.bonus.models import BonusApplication
from kaohe_flow.extensions import db
from kaohe_flow.org.models import Unit, User, YearUnit
from kaohe_flow.reports.ranking import competition_ranks, ranking
from kaohe_flow.rhythm.models import Delegation
from kaohe_flow.sheets import queries
from kaohe_flow.sheets.models import Sheet, SheetRow
from kaohe_flow.timeutil import local_today, utcnow
from kaohe_flow.workflow import permissions

GENERATED_UNITS = 30


def _sheets() -> list[Sheet]:
    """The year's sheets in the org chart's order."""
    return list(db.session.scalars(
        db.select(Sheet).outerjoin(YearUnit, (YearUnit.year == Sheet.year) & (YearUnit.unit_id == Sheet.unit_id))
        .where(Sheet.year == YEAR).order_by(YearUnit.position, Sheet.unit_id)))


def _set_sheet(sheet_id: int, **values):
    db.session.execute(sa.update(Sheet).where(Sheet.id == sheet_id).values(**values))


def _grant(unit_id: int, points: str):
    """A final bonus application of the year granting `points` (附件6), written as it stands."""
    db.session.execute(sa.insert(BonusApplication).values(
        unit_id=unit_id, year=YEAR, state="final", version=1, project="获奖项目", points_requested=Decimal(points),
        points_proposed=Decimal(points), points_granted=Decimal(points), opinion="同意", updated_at=utcnow()))


def _copy_scores(source: Sheet, target: Sheet):
    """The target's rows scored as the source's, item by item (a tie in 小计)."""
    by_item = {row.item_id: row for row in source.rows}
    for row in target.rows:
        mine = by_item[row.item_id]
        db.session.execute(sa.update(SheetRow).where(SheetRow.id == row.id).values(
            self_score=mine.self_score, review_score=mine.review_score))


@pytest.fixture
def district(app):
    """Built once per run, restored before each test (conftest's worlds)."""
    with app.app_context():
        restore_world("ranking_district", _given_district)
    return app


def _given_district():
    """The demo plus generated units, its sheets in every state; then the cases the totals must
    get right, written to the database."""
    generate(Sizes(units=GENERATED_UNITS, years=1, deductions=GENERATED_UNITS, oa_signins=GENERATED_UNITS,
                   info_items=GENERATED_UNITS), force=True, say=lambda *a, **k: None)
    sheets = _sheets()
    finals = [s for s in sheets if s.state == "final"]
    drafts = [s for s in sheets if s.state == "draft"]
    others = [s for s in sheets if s.state not in ("final", "draft")]
    assert len(finals) >= 6 and drafts and others
    # Scores with cents (a sum a binary float would not hold) on the first final's rows.
    for n, row in enumerate(finals[0].rows):
        db.session.execute(sa.update(SheetRow).where(SheetRow.id == row.id).values(
            review_score=row.item.standard - Decimal("0.01") * (n % 3), self_score=row.item.standard))
    # Ties: the second and third finals have the first's scores and key deduction; the third
    # is signed with the bonus 0, as the first.
    for tied in finals[1:3]:
        _copy_scores(finals[0], tied)
    for tied in finals[:3]:
        _set_sheet(tied.id, key_deduction=Decimal("1.5"), bonus_final=Decimal("0"))
    # A bonus granted after the sheet became final waits (it counts once reopened and signed).
    _grant(finals[0].unit_id, "2")
    # A final sheet signed before the bonus was kept with it: it counts what is granted.
    _set_sheet(finals[3].id, bonus_final=None)
    _grant(finals[3].unit_id, "1.25")
    _grant(finals[3].unit_id, "0.5")
    # A final sheet signed with a bonus.
    _set_sheet(finals[4].id, bonus_final=Decimal("3"), key_deduction=Decimal("0.75"))
    # A sheet on its way counts what is granted; a draft without a single row has 0.
    _grant(others[0].unit_id, "1")
    _set_sheet(others[0].id, key_deduction=Decimal("2.25"))
    db.session.execute(sa.delete(SheetRow).where(SheetRow.sheet_id == drafts[0].id))
    # Delegations: a gate's head away to a plain unit's member, a deputy director away.
    users = {u.username: u for u in db.session.scalars(db.select(User))}
    for who, to in (("jgk", "szc.staff"), ("leader1", "qszx")):
        db.session.add(Delegation(delegator=users[who], delegate=users[to], from_date=local_today(),
                                  to_date=local_today() + timedelta(3)))
    db.session.commit()


def _by_the_rule(user) -> list[tuple]:
    """The ranking worked out sheet by sheet from the loaded sheets and rows."""
    sheets = _sheets()
    totals = {s.id: queries.totals(s) for s in sheets}  # subtotal_of: the loaded rows
    ranks = competition_ranks({s.id: totals[s.id][2] for s in sheets if s.state == "final"})
    scheme = queries.scheme_for(YEAR)
    seen = [s for s in sheets if permissions.can_see(user, queries.facts(s, scheme))]
    lines = [(s.id, s.unit.code, s.unit_name, s.state, *totals[s.id][:2], s.key_deduction or Decimal(0),
              totals[s.id][2], ranks.get(s.id)) for s in seen]
    ranked = sorted((line for line in lines if line[-1] is not None), key=lambda line: line[-1])
    return ranked + [line for line in lines if line[-1] is None]


def _lines(rows) -> list[tuple]:
    return [(r.sheet.id, r.unit.code, r.unit_name, r.state, r.subtotal, r.bonus, r.key_deduction, r.total, r.rank)
            for r in rows]


def test_every_users_ranking_is_the_row_by_row_rule(district):
    with district.app_context():
        everyone = _by_the_rule(db.session.scalar(db.select(User).filter_by(username="director")))
        ranks = [line[-1] for line in everyone if line[-1] is not None]
        assert len(set(ranks)) < len(ranks)  # a tie shares its rank
        assert any(line[5] for line in everyone)  # some bonus counts
        users = list(db.session.scalars(db.select(User).order_by(User.id)))
        assert len(users) > 2 * GENERATED_UNITS
        for user in users:
            db.session.expire_all()
            expected = _by_the_rule(user)
            assert _lines(ranking(user, YEAR, with_rows=False)) == expected, user.username
            assert _lines(ranking(user, YEAR)) == expected, user.username


def test_the_cases_come_out_as_the_rules_say(district):
    """A pending bonus does not count on a final sheet; a final sheet kept without a bonus counts
    what is granted; a sheet on its way counts what is granted; a sheet without rows has 0."""
    with district.app_context():
        director = db.session.scalar(db.select(User).filter_by(username="director"))
        rows = {r.sheet.id: r for r in ranking(director, YEAR, with_rows=False)}
        sheets = _sheets()
        finals = [s for s in sheets if s.state == "final"]
        first, kept_without = rows[finals[0].id], rows[finals[3].id]
        assert (first.bonus, first.key_deduction) == (Decimal("0"), Decimal("1.5"))
        assert first.total == first.subtotal - Decimal("1.5")
        assert rows[finals[1].id].rank == rows[finals[2].id].rank == first.rank
        assert kept_without.bonus == Decimal("1.75")
        assert rows[finals[4].id].total == rows[finals[4].id].subtotal - Decimal("0.75") + Decimal("3")
        on_its_way = rows[next(s for s in sheets if s.state not in ("final", "draft")).id]
        assert (on_its_way.bonus, on_its_way.key_deduction, on_its_way.rank) == (Decimal("1"), Decimal("2.25"), None)
        empty = rows[next(s for s in sheets if s.state == "draft").id]
        assert (empty.subtotal, empty.rank) == (Decimal("0"), None)


def test_a_unit_member_gets_its_own_line_ranked_among_every_final_sheet(district):
    with district.app_context():
        director = db.session.scalar(db.select(User).filter_by(username="director"))
        everyone = {r.sheet.id: r.rank for r in ranking(director, YEAR, with_rows=False)}
        final_unit = db.session.scalar(
            db.select(Unit.code).join(Sheet, Sheet.unit_id == Unit.id)
            .where(Sheet.year == YEAR, Sheet.state == "final", Unit.code.like("d0%"),  # a generated unit,
                   Unit.id.not_in(db.select(YearUnit.gate_unit_id).where(  # gate of none
                       YearUnit.year == YEAR, YearUnit.gate_unit_id.is_not(None))))
            .order_by(Sheet.id).limit(1))
        member = db.session.scalar(db.select(User).where(User.unit_id == db.select(Unit.id).filter_by(
            code=final_unit).scalar_subquery()).order_by(User.id).limit(1))
        (own,) = ranking(member, YEAR, with_rows=False)
        assert own.unit.code == final_unit and own.rank == everyone[own.sheet.id] is not None
