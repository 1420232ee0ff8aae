"""The ranking of a year and where points were lost (issue 3, item 4).

Only `final` sheets are ranked, by 合计分 descending, equal totals sharing a rank (1, 2, 3, 3, 5).
Ranks are computed over every final sheet of the year, whoever asks; a caller gets only the rows
of the sheets they may see (docs/decisions.md, "Reports").
"""
from dataclasses import dataclass, field
from functools import cache, cached_property
from decimal import Decimal

import sqlalchemy as sa

from .. import access
from ..extensions import db
from ..points import TWO_PLACES, ZERO
from ..sheets import queries
from ..org.models import Unit, YearUnit
from ..scheme.models import POINTS
from ..sheets.models import Sheet, SheetRow
from ..workflow.permissions import RecordFacts

RANKED_STATE = "final"


@dataclass
class RankRow:
    """One unit's line of the ranking: its sheet's totals, and its rank once final."""

    sheet: "Sheet | queries.SheetLine"  # a line of columns when the ranking was asked without rows
    subtotal: Decimal
    key_deduction: Decimal
    bonus: Decimal
    total: Decimal
    rank: int | None
    facts: RecordFacts | None = None  # for queries.view (the workbook's unit sheets)

    @property
    def unit(self):
        return self.sheet.unit

    @property
    def unit_name(self) -> str:
        return self.sheet.unit_name

    @property
    def state(self) -> str:
        return self.sheet.state

    @property
    def ranked(self) -> bool:
        return self.rank is not None


def competition_ranks(totals: dict) -> dict:
    """Standard competition ranking, key → rank: totals 100, 99, 98, 98, 97 → 1, 2, 3, 3, 5."""
    ranks = {}
    previous = None
    for position, (key, total) in enumerate(sorted(totals.items(), key=lambda kv: -kv[1]), start=1):
        if previous is not None and total == previous[1]:
            ranks[key] = previous[0]
        else:
            ranks[key] = position
        previous = (ranks[key], total)
    return ranks


@cache
def _year_statement(everyone: bool) -> sa.Select:
    """The columns of a year's sheets (`:year`) with their units' and their 现场考核分小计 summed
    by the database (the rule of `queries.subtotals`: the review score, else the self score,
    else 0), in the order of the org chart; `everyone`: with a last column saying each is seen.
    Built once per process: a statement made afresh costs its cache key again on every request
    (nearly a millisecond of a district's ranking)."""
    # A sum per sheet beside its columns: on SQLite faster than joining a grouped subquery (4.5
    # against 7 ms for a district), and on both databases one index search per sheet.
    score = sa.func.coalesce(SheetRow.review_score, SheetRow.self_score, 0)
    summed = (sa.select(sa.type_coerce(sa.func.sum(score), POINTS)).where(SheetRow.sheet_id == Sheet.id)
              .correlate(Sheet).scalar_subquery())
    query = (sa.select(Sheet.id, Sheet.unit_id, Sheet.state, Sheet.key_deduction, Sheet.bonus_final,
                       Unit.code, Unit.name, Unit.position, YearUnit.name, summed)
             .join(Unit, Unit.id == Sheet.unit_id)
             .outerjoin(YearUnit, (YearUnit.year == Sheet.year) & (YearUnit.unit_id == Sheet.unit_id))
             .where(Sheet.year == sa.bindparam("year"))
             .order_by(YearUnit.position, Sheet.unit_id))  # as `queries.visible_sheets` within a year
    return query.add_columns(sa.true()) if everyone else query


def year_rows(year: int, visible=None) -> list[RankRow]:
    """The ranking's lines of the year's sheets that `visible` lets the caller see (a
    `queries.visible_clause`; None: every sheet), in the order of the org chart, ranked over every
    final sheet of the year, from one statement (`_year_statement`). The final sheets the caller
    does not see are read for their totals only. The bonus is the sheets' own rule
    (`queries.bonus_of`: what a final sheet was signed with, else what the unit is granted),
    asked of the line: no sheet, row or unit is loaded as an object (issue 11: a district's
    ranking within 2× of one raw SQL aggregate)."""
    if visible is None:
        query = _year_statement(True)
    else:
        query = (_year_statement(False).add_columns(sa.case((visible, sa.true()), else_=sa.false()))
                 .where(visible | (Sheet.state == RANKED_STATE)))
    rows, finals = [], {}
    # A district's thousand lines: what the loop calls is bound once (a global or attribute looked
    # up per line costs a tenth of a millisecond a name).
    bonus_of, line_of, unit_of, row_of = queries.bonus_of, queries.SheetLine, queries.UnitLine, RankRow
    keep, zero, cents, ranked_state = rows.append, ZERO, TWO_PLACES, RANKED_STATE
    for sid, unit_id, state, key, bonus_final, code, name, position, year_name, summed, shown \
            in db.session.connection().execute(query, {"year": year}).all():  # one fetch, not one a row
        line = line_of(sid, year, unit_id, state, key, bonus_final, unit_of(unit_id, code, name, position),
                       year_name)
        # As `queries.subtotals`: a sheet without rows has 0, the sum is held to two places.
        subtotal = zero if summed is None else summed.quantize(cents)
        bonus = bonus_of(line)
        key = key or zero
        total = subtotal - key + bonus
        if state == ranked_state:
            finals[sid] = total
        if shown:
            keep(row_of(line, subtotal, key, bonus, total, None))
    ranks = competition_ranks(finals)
    for row in rows:
        row.rank = ranks.get(row.sheet.id)  # only a final sheet has one
    return rows


def ranking(user, year: int, *, with_rows: bool = True) -> list[RankRow]:
    """The rows `user` may see: ranked sheets by rank (org order within a tie), then the
    unfinished ones in org order with `rank` None. The numbers, the ranks and who sees what come
    from one statement (`year_rows`, visibility by `queries.visible_clause`); `with_rows=False`
    (the page's and the API's numbers) loads nothing more. `with_rows=True` (the workbook) also
    loads the visible sheets with their rows and permission facts (`queries.list_visible`) and
    puts them in place of the lines."""
    if with_rows:
        by_id = {r.sheet.id: r for r in year_rows(year)}
        rows = []
        for sheet, sheet_facts in queries.list_visible(user, year):
            row = by_id.get(sheet.id)
            if row is None:  # a sheet opened between the two statements: in the next workbook
                continue
            row.sheet, row.facts = sheet, sheet_facts
            rows.append(row)
    else:
        user = access.subject(user)
        # Who reads every unit sees every sheet whoever they stand in for (`visible_clause`'s
        # first answer): the director's and the leaders' ranking reads no delegations.
        rows = year_rows(year, None if access.sees_everything(user) else queries.visible_clause(user, year))
    ranked = sorted((r for r in rows if r.rank is not None), key=lambda r: r.rank)  # stable: org order kept
    return ranked + [r for r in rows if r.rank is None]


# ----------------------------------------------------------------------------- points lost


def lost_points(standard: Decimal, review_score, self_score) -> Decimal | None:
    """标准分值 − (考评分 if set, else 自评分 if set); None while neither is entered."""
    score = review_score if review_score is not None else self_score
    return None if score is None else standard - score


def points_lost(row) -> Decimal | None:
    """What one sheet row has lost (`lost_points` of its item's standard)."""
    return lost_points(row.item.standard, row.review_score, row.self_score)


@dataclass
class LossMatrix:
    """Points lost per (sheet, item) over the sheets a caller may see; None = not scored yet."""

    items: list  # SchemeItem, in the scheme's order
    sheets: list  # Sheet, in the order given
    cells: dict = field(default_factory=dict)  # (sheet id, item code) → Decimal | None

    def lost(self, sheet, code: str) -> Decimal | None:
        return self.cells.get((sheet.id, code))

    def scored(self, sheet) -> bool:
        """Whether any item of the sheet has a score yet."""
        return any(self.lost(sheet, i.code) is not None for i in self.items)

    def sheet_total(self, sheet) -> Decimal:
        return sum((v for v in (self.lost(sheet, i.code) for i in self.items) if v is not None), ZERO)

    def item_total(self, code: str) -> Decimal:
        return sum((v for v in (self.lost(s, code) for s in self.sheets) if v is not None), ZERO)

    @cached_property  # asked once per cell of the heat map: a district's page asks it 17,000 times
    def max_lost(self) -> Decimal:
        return max((v for v in self.cells.values() if v is not None), default=ZERO)


def loss_matrix(sheets: list[Sheet], year: int) -> LossMatrix:
    """The item × unit matrix of points lost for these sheets (all of one year), from one
    statement over their rows' columns: no row or item is loaded as an object."""
    if not sheets:
        return LossMatrix(items=[], sheets=[])
    items = list(queries.scheme_for(year).items)
    matrix = LossMatrix(items=items, sheets=list(sheets))
    wanted = {s.id for s in sheets}
    standard = {item.id: item.standard for item in items}
    code = {item.id: item.code for item in items}
    for sheet in sheets:
        for item in items:
            matrix.cells[(sheet.id, item.code)] = None  # no row of the item: nothing to lose
    query = (sa.select(SheetRow.sheet_id, SheetRow.item_id, SheetRow.review_score, SheetRow.self_score)
             .join(Sheet, Sheet.id == SheetRow.sheet_id).where(Sheet.year == year))
    if len(wanted) <= 500:  # a caller who sees a few sheets asks for those; else the year's rows
        query = query.where(SheetRow.sheet_id.in_(wanted))
    for sheet_id, item_id, review, own in db.session.execute(query):
        if sheet_id in wanted and item_id in code:
            matrix.cells[(sheet_id, code[item_id])] = lost_points(standard[item_id], review, own)
    return matrix
