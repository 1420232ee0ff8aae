"""Reading target letters (目标责任书): a unit's letter, its sub-rows on a sheet, what the deduction
records suggest per target, and the two access questions letters raise."""
from dataclasses import dataclass
from decimal import Decimal

from flask import g

from .. import access
from ..errors import NotFound
from ..extensions import db
from ..org import chart
from ..org.queries import resolve_unit
from ..points import ZERO, fmt_points
from ..scheme.queries import scheme_or_none
from ..scoring import Occurrence, suggested_score
from .models import SheetTarget, Target

ITEM_CODE = "targets"  # the 年度目标任务 item of every year's scheme (DOMAIN.md item codes)
CODE_PREFIX = ITEM_CODE + "/"  # a sub-row's code on a sheet and in its history: targets/t2
NOT_FOUND = "没有找到该单位的目标责任书"


def letter(year: int, unit_id: int) -> list[Target]:
    """The unit's targets of the year in their order (empty: no letter). Every letter of the
    year is read in one query per request, so a workbook of 1,000 units asks once."""
    cache = g.setdefault("_target_letters", {})
    if year not in cache:
        cache[year] = letters(year)
    return cache[year].get(unit_id, [])


def letters(year: int) -> dict[int, list[Target]]:
    """Every unit's letter of the year (unit id → targets), for the list page and the ledger form."""
    out: dict[int, list[Target]] = {}
    for target in db.session.scalars(db.select(Target).filter_by(year=year).order_by(Target.position, Target.id)):
        out.setdefault(target.unit_id, []).append(target)
    return out


def forget() -> None:
    """Drop the request's cached letters (after a write in the same request)."""
    g.pop("_target_letters", None)


def scores_of(sheet) -> dict[int, SheetTarget]:
    """target id → the sheet's scores for it (a target without a row is not scored yet)."""
    return {st.target_id: st for st in db.session.scalars(db.select(SheetTarget).filter_by(sheet_id=sheet.id))}


def total(targets: list[Target]) -> Decimal:
    return sum((t.points for t in targets), ZERO)


def target_json(target: Target) -> dict:
    return {"code": target.code, "title": target.title, "points": fmt_points(target.points)}


# ----------------------------------------------------------------------------- access


def targets_item(year: int):
    """The year's 年度目标任务 item, or 404 (no scheme, or a scheme without it)."""
    scheme = scheme_or_none(year)
    item = scheme.item(ITEM_CODE) if scheme else None
    if item is None:
        raise NotFound(f"{year}年度的考核方案中没有“年度目标任务”项目", "no_targets_item")
    return scheme, item


def can_edit_letter(user, item) -> access.Verdict:
    """Entering a letter: members and heads of the offices responsible for 年度目标任务 (附件2; the
    year's scheme names them), or the admin."""
    if access.is_admin(user) or access.answers_for(user, item):
        return access.ALLOWED
    return access.refused(403, "forbidden", f"只有“{item.name}”的考核责任科室或管理员可以填写目标责任书")


def enters_letters(user, year: int) -> bool:
    """Whether the menu offers the year's letters: to the admin and the `targets` item's offices."""
    if access.is_admin(user):
        return True
    scheme = scheme_or_none(year)
    item = scheme.item(ITEM_CODE) if scheme else None
    return item is not None and access.answers_for(user, item)


def can_read_letter(user, unit, scheme, sheet_visible: bool | None) -> bool:
    """Whoever may read the unit's sheet of the year reads its letter. Before the year's sheets
    exist (`sheet_visible` None), those who will: the unit, its gate in the year's org chart, the
    responsible offices and those who see everything (DOMAIN.md "Who sees what")."""
    if sheet_visible is not None:
        return sheet_visible
    if access.sees_everything(user):
        return True
    readers = {unit.id, chart.gate_of(scheme.year, unit.id), *scheme.responsible_unit_ids()}
    return user.unit_id is not None and user.unit_id in readers


def unit_of(code) -> object:
    """The unit a path names (code, name or alias), or 404."""
    unit = resolve_unit(code)
    if unit is None:
        raise NotFound(NOT_FOUND, "no_such_unit")
    return unit


# ----------------------------------------------------------------------------- on a sheet


@dataclass
class TargetRowView:
    """A target as a sub-row of the sheet's 年度目标任务 row, with what the records suggest."""

    target: Target
    scores: SheetTarget | None
    suggested_score: Decimal
    suggested_reason: str

    @property
    def code(self) -> str:
        return CODE_PREFIX + self.target.code

    def __getattr__(self, name):
        # self_score, self_reason, review_score, review_reason: none until first written
        if name in ("self_score", "review_score"):
            return getattr(self.scores, name) if self.scores is not None else None
        if name in ("self_reason", "review_reason"):
            return (getattr(self.scores, name) or "") if self.scores is not None else ""
        raise AttributeError(name)


def suggestions(item, targets: list[Target], records: list) -> tuple[list[tuple[Decimal, str]], Decimal, str]:
    """What the year's records suggest, target by target (附件2 逐项赋分，未按要求完成不得分): a
    target named by a standing `target` record suggests 0, the others their points. The item
    suggests their sum, less what its other rules take. A `target` record naming no target (entered
    before the letter) still costs the whole item, as it did when recorded."""
    missed = {r.target_id for r in records if r.rule.kind == "target" and r.target_id is not None}
    whole = [r for r in records if r.rule.kind == "target" and r.target_id is None]
    per_target = []
    for t in targets:
        named = [r for r in records if r.target_id == t.id]
        if t.id in missed or whole:
            reason = "；".join(f"{r.day:%m-%d} {r.rule.text}（不得分）" for r in (named or whole))
            per_target.append((ZERO, reason))
        else:
            per_target.append((t.points, ""))
    item_sum = sum((s for s, _r in per_target), ZERO)
    others = [Occurrence(r.rule.kind, r.rule.points, r.count) for r in records if r.rule.kind != "target"]
    score = suggested_score(item_sum, others) if not whole else ZERO
    reasons = [f"{t.title}：{why}" for t, (_s, why) in zip(targets, per_target) if why]
    reasons += [f"{r.day:%m-%d} {r.rule.text}（{r.count}例，扣{fmt_points(r.rule.points * r.count)}分）"
                for r in records if r.rule.kind not in ("target", "zeroing")]
    reasons += [f"{r.day:%m-%d} {r.rule.text}（不得分）" for r in records if r.rule.kind == "zeroing"]
    return per_target, score, "；".join(reasons)


def sub_rows(sheet, item, records: list) -> tuple[list[TargetRowView], tuple[Decimal, str] | None]:
    """The sheet's target sub-rows and the item's suggestion from them; ([], None) without a letter."""
    targets = letter(sheet.year, sheet.unit_id)
    if not targets:
        return [], None
    scores = scores_of(sheet)
    per_target, score, reason = suggestions(item, targets, records)
    rows = [TargetRowView(t, scores.get(t.id), s, why) for t, (s, why) in zip(targets, per_target)]
    return rows, (score, reason)
