"""The ranking of a year and where points were lost (issue 3, item 4).

Only `final` sheets are ranked, by 合计分 descending, equal totals sharing a rank (1, 2, 3, 3, 5).
Ranks are computed over every final sheet of the year, whoever asks; a caller gets only the rows
of the sheets they may see (docs/decisions.md, "Reports").
"""
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..points import ZERO
from ..sheets import queries
from ..org.models import Unit
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


def _row(sheet: Sheet, facts: RecordFacts, rank: int | None, subtotal: Decimal | None = None) -> RankRow:
    subtotal, bonus, total = queries.totals(sheet, subtotal)  # bonus comes from the sheets' own rule
    return RankRow(sheet=sheet, subtotal=subtotal, key_deduction=sheet.key_deduction or ZERO,
                   bonus=bonus, total=total, rank=rank, facts=facts)


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


def final_ranks(year: int, subtotals: dict | None = None) -> dict[int, int]:
    """Sheet id → rank, over ALL final sheets of the year (not only those the caller sees), from
    the rows' aggregate: no sheet's rows are loaded."""
    subtotals = queries.subtotals(year) if subtotals is None else subtotals
    finals = db.session.execute(
        sa.select(Sheet.id, Sheet.year, Sheet.unit_id, Sheet.state, Sheet.key_deduction, Sheet.bonus_final,
                  Unit.code, Unit.name, Unit.position)
        .join(Unit, Unit.id == Sheet.unit_id).where(Sheet.year == year, Sheet.state == RANKED_STATE))
    lines = [queries.SheetLine(sid, y, unit_id, state, key, bonus, queries.UnitLine(unit_id, code, name, position),
                               None) for sid, y, unit_id, state, key, bonus, code, name, position in finals]
    return competition_ranks({s.id: queries.totals(s, subtotals.get(s.id, ZERO))[2] for s in lines})


def ranking(user, year: int, *, with_rows: bool = True) -> list[RankRow]:
    """The rows `user` may see: ranked sheets by rank (org order within a tie), then the
    unfinished ones in org order with `rank` None. `with_rows=False` (the page's and the API's
    numbers) loads no sheet's rows, signatures or permission facts: the subtotals come from one
    aggregate and who sees what from one condition (`queries.visible_clause`)."""
    subtotals = queries.subtotals(year)
    ranks = final_ranks(year, subtotals)
    found = (queries.list_visible(user, year) if with_rows
             else [(s, None) for s in queries.visible_sheets(user, year)])
    rows = [_row(s, f, ranks.get(s.id) if s.state == RANKED_STATE else None, subtotals.get(s.id, ZERO))
            for s, f in found]
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: r.rank)  # stable: org order kept
    return ranked + [r for r in rows if not r.ranked]


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
