"""The inbox (待办) with the year's rhythm: every line carries its due date and whether it came
back (被退回), sorted by due date — the earliest, so the overdue, first; no deadline last.

The same lines serve `GET /api/v1/inbox` and the page. Statements stay the same for 19 units
as for 200: the deadlines and settings once per year, the returns in two statements per kind.
"""
from dataclasses import dataclass
from datetime import date

from .. import access
from ..bonus import queries as bonus_queries
from ..scheme.queries import scheme_or_none
from ..sheets import queries as sheet_queries
from ..workflow import permissions, rounds
from . import deadlines

#: The expected actions that may be taken for several records at once (batch signing, issue 9).
BATCHABLE = ("sign", "approve")


@dataclass
class Line:
    """One record waiting for the caller (or one the caller may fill in)."""

    kind: str  # sheet | bonus
    record: object  # a Sheet or a BonusApplication
    action: str | None  # the action expected of the caller; None on a "may fill in" line
    due: date | None
    status: str | None  # None (no deadline), ok, due_soon, overdue
    returned: rounds.Returned | None = None  # the return it is waiting after, if its latest move was one
    on_behalf_of: object = None  # the delegator whose step this is, when the caller stands in (a User)

    @property
    def batchable(self) -> bool:
        return self.action in BATCHABLE

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    def returned_rows(self) -> list[str]:
        """The names of the rows a responsible office's return named (for people)."""
        if self.returned is None or not self.returned.items:
            return []
        scheme = scheme_or_none(self.record.year) if self.kind == "sheet" else None
        names = []
        for code in self.returned.items:
            item = scheme.item(code) if scheme is not None else None
            names.append(item.name if item is not None else code)
        return names


def _line(kind: str, record, action, returns: dict) -> Line:
    return Line(kind, record, action, deadlines.due_of(record), deadlines.status(record), returns.get(record.id))


def waiting(user, year: int | None = None) -> list[Line]:
    """What waits for the user, sheets and applications together, sorted by due date."""
    user = access.subject(user)
    sheets = sheet_queries.inbox(user, year)
    applications = bonus_queries.inbox(user, year)
    sheet_returns = rounds.returned("sheet", [s.id for s, _a in sheets])
    bonus_returns = rounds.returned("bonus", [a.id for a, _a in applications])
    lines = [_line("sheet", s, a, sheet_returns) for s, a in sheets]
    lines += [_line("bonus", b, a, bonus_returns) for b, a in applications]
    if permissions.principals(user):  # standing in for someone: say whose step each line is
        for line in lines:
            facts = (sheet_queries.facts(line.record, sheet_queries.scheme_for(line.record.year))
                     if line.kind == "sheet" else bonus_queries.facts(line.record))
            line.on_behalf_of = permissions.decide(user, line.action, facts).on_behalf_of
    return deadlines.by_due(lines, lambda line: line.record)


def fillable(user, year: int | None, exclude_ids) -> list[Line]:
    """Sheets the user may fill in now that are not already waiting for them (a member's 待办)."""
    user = access.subject(user)
    sheets = [s for s in sheet_queries.editable(user, year) if s.id not in exclude_ids]
    returns = rounds.returned("sheet", [s.id for s in sheets])
    return deadlines.by_due([_line("sheet", s, None, returns) for s in sheets], lambda line: line.record)
