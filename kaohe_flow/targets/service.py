"""Writing target letters (目标责任书) and scoring a sheet target by target (附件2 年度目标任务:
逐项赋分考核，无特殊情况未按要求完成不得分).

A letter is entered by the offices responsible for the year's `targets` item (附件2; the scheme data names them) or
the admin, while the unit's sheet is a draft; its points add up to the item's standard. On the
sheet, each target is a sub-row scored like an item row (same rights, states, versions and
reason rule); the `targets` row then holds the sums, written onto it so that subtotals, totals,
completeness checks and signatures need no change.
"""
from dataclasses import dataclass
from decimal import Decimal

from .. import access
from ..audit.admin import record_change
from ..audit.service import record_step
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..ledger.models import DeductionRecord
from ..points import ZERO, PointsError, fmt_points, parse_points
from ..sheets.models import Sheet
from ..sheets.queries import get_visible
from ..timeutil import utcnow
from ..trackers.imports import RowErrors, read_table
from ..uow import operation
from ..workflow import steps
from . import queries
from .models import TITLE_LIMIT, SheetTarget, Target
from .queries import CODE_PREFIX, ITEM_CODE, NOT_FOUND

MAX_TARGETS = 100
IMPORT_COLUMNS = {"unit": ["单位", "科室", "unit"], "title": ["目标任务", "目标", "title"],
                  "points": ["分值", "分数", "points"]}

# ----------------------------------------------------------------------------- reading


def _sheet_of(year: int, unit_id: int) -> Sheet | None:
    return db.session.scalar(db.select(Sheet).filter_by(year=year, unit_id=unit_id))


def get_letter(user, year: int, unit_code) -> tuple[object, list[Target]]:
    """The unit's letter as `user` may read it (404 otherwise, and for an unknown year or unit)."""
    scheme, _item = queries.targets_item(year)
    unit = queries.unit_of(unit_code)
    sheet = _sheet_of(year, unit.id)
    visible = None
    if sheet is not None:
        try:
            get_visible(user, sheet.id)
            visible = True
        except NotFound:
            visible = False
    if not queries.can_read_letter(user, unit, scheme, visible):
        raise NotFound(NOT_FOUND)
    return unit, queries.letter(year, unit.id)


@dataclass
class LetterLine:
    """A unit on the year's list of letters."""

    unit: object
    targets: list
    total: Decimal


def overview(user, year: int) -> tuple[object, list[LetterLine]]:
    """The year's `targets` item and each unit of the year's chart whose letter `user` reads."""
    from ..org import chart
    from ..sheets.queries import list_visible

    scheme, item = queries.targets_item(year)
    visible = {sheet.unit_id for sheet, _facts in list_visible(user, year, with_rows=False)}
    opened = set(db.session.scalars(db.select(Sheet.unit_id).filter_by(year=year)))
    all_letters = queries.letters(year)
    lines = []
    for unit in chart.units_of(year):
        seen = (unit.id in visible) if unit.id in opened else None
        if queries.can_read_letter(user, unit, scheme, seen):
            mine = all_letters.get(unit.id, [])
            lines.append(LetterLine(unit, mine, queries.total(mine)))
    return item, lines


def why_not_editable(user, year: int, unit) -> str | None:
    """None when `user` may change the unit's letter now, else why not (for the page)."""
    _scheme, item = queries.targets_item(year)
    verdict = queries.can_edit_letter(user, item)
    if not verdict:
        return verdict.message
    try:
        _check_draft(_sheet_of(year, unit.id), unit)
    except Conflict as exc:
        return exc.message
    return None


# ----------------------------------------------------------------------------- the letter


@dataclass
class Planned:
    title: str
    points: Decimal


def _line(entry) -> Planned:
    """One typed target: a non-empty title, points > 0 with at most two decimals."""
    if not isinstance(entry, dict):
        raise Invalid("每项目标须有标题（title）和分值（points）", "invalid_targets")
    title = steps.clean_text(entry.get("title"), "目标标题", TITLE_LIMIT)
    if not title:
        raise Invalid("目标标题不能为空", "invalid_targets")
    try:
        points = parse_points(entry.get("points"), "分值")
    except PointsError as exc:
        raise Invalid(str(exc), "invalid_targets") from None
    if points <= 0:
        raise Invalid("分值必须大于0", "invalid_targets")
    return Planned(title, points)


def _plan(items) -> list[Planned]:
    """The typed targets, checked line by line; titles distinct."""
    if not isinstance(items, list):
        raise Invalid("目标任务（items）必须是列表", "invalid_targets")
    if len(items) > MAX_TARGETS:
        raise Invalid(f"一份目标责任书最多 {MAX_TARGETS} 项目标", "invalid_targets")
    planned, errors, seen = [], {}, {}
    for n, entry in enumerate(items, start=1):
        try:
            line = _line(entry)
            if line.title in seen:
                raise Invalid(f"目标“{line.title}”与第 {seen[line.title]} 项重复", "invalid_targets")
            seen[line.title] = n
        except Invalid as exc:
            errors[n] = exc.message
            continue
        planned.append(line)
    if errors:
        first, message = next(iter(errors.items()))
        raise Invalid(f"第 {first} 项目标：{message}", "invalid_targets",
                      fields={str(n): m for n, m in errors.items()})
    return planned


def _check_total(planned: list[Planned], item) -> None:
    """附件2: the targets split the item's standard exactly."""
    total = sum((p.points for p in planned), ZERO)
    if planned and total != item.standard:
        raise Invalid(f"目标分值合计{fmt_points(total)}分，应为{fmt_points(item.standard)}分（“{item.name}”的标准分值）",
                      "targets_total")


def _check_draft(sheet: Sheet | None, unit) -> None:
    if sheet is not None and sheet.state != "draft":
        raise Conflict(f"{unit.name}的考核表已提交，目标责任书不能再修改", "sheet_submitted")


def _capacity(user) -> str:
    return "admin" if access.is_admin(user) and not access.acts_for_unit(user) else "responsible_office"


def _replace(user, year: int, unit, planned: list[Planned], sheet: Sheet | None) -> bool:
    """Make the unit's letter `planned`: a target whose title stays keeps its code (and the
    scores typed for it); new titles get new codes. Answers whether anything changed."""
    old = queries.letter(year, unit.id)
    by_title = {t.title: t for t in old}
    kept = {p.title for p in planned}
    removed = [t for t in old if t.title not in kept]
    if removed:
        _refuse_named_targets(removed)
    used = [int(t.code[1:]) for t in old if t.code[1:].isdigit()]
    next_number = max(used, default=0) + 1
    before = [queries.target_json(t) for t in old]
    result = []
    for position, p in enumerate(planned, start=1):
        target = by_title.get(p.title)
        if target is None:
            target = Target(year=year, unit_id=unit.id, code=f"t{next_number}", title=p.title)
            next_number += 1
            db.session.add(target)
        target.points, target.position = p.points, position
        result.append(target)
    for target in removed:
        for st in db.session.scalars(db.select(SheetTarget).filter_by(target_id=target.id)):
            db.session.delete(st)
        db.session.execute(db.update(DeductionRecord).where(DeductionRecord.target_id == target.id)
                           .values(target_id=None))  # only withdrawn records can name it (see above)
        db.session.delete(target)
    db.session.flush()
    after = [queries.target_json(t) for t in result]
    queries.forget()
    if before == after:
        return False
    record_change(user, "targets_changed", f"targets:{year}:{unit.code}", before, after)
    if sheet is not None:
        _letter_changed_on_sheet(user, sheet, before, after)
    return True


def _refuse_named_targets(removed: list[Target]) -> None:
    """A target that a standing deduction record names stays until that record is corrected or
    withdrawn: removing it would silently turn the record into a miss of the whole item."""
    named = db.session.scalars(db.select(DeductionRecord).where(
        DeductionRecord.target_id.in_([t.id for t in removed]), DeductionRecord.withdrawn.is_(False))).all()
    if named:
        titles = "、".join(dict.fromkeys(r.target.title for r in named))
        raise Invalid(f"目标“{titles}”已有考核记录，不能删除或改名；请先更正或撤销该记录", "target_in_use")


def _summary(letter: list[dict]) -> str | None:
    """A letter as one line of the sheet's history: t1 完成老旧小区改造 12分；…"""
    return "；".join(f"{t['code']} {t['title']} {t['points']}分" for t in letter) or None


def _letter_changed_on_sheet(user, sheet: Sheet, before: list, after: list) -> None:
    """The sheet shows the new sub-rows: a history step, scores above a target's new points
    cleared, the `targets` row's sums recomputed, the version bumped (open pages are stale)."""
    capacity = _capacity(user)
    record_step("sheet", sheet, user, capacity, "edit", field=f"{ITEM_CODE}.letter",
                old=_summary(before), new=_summary(after))
    targets = queries.letter(sheet.year, sheet.unit_id)
    scores = queries.scores_of(sheet)
    for target in targets:
        st = scores.get(target.id)
        for kind in ("self", "review"):
            if st is not None and getattr(st, f"{kind}_score") is not None \
                    and getattr(st, f"{kind}_score") > target.points:
                steps.edit_field("sheet", sheet, user, capacity, f"{kind}_score", None, target=st,
                                 field=f"{CODE_PREFIX}{target.code}.{kind}_score")
    if targets:
        for kind in ("self", "review"):
            write_sums(sheet, user, capacity, kind, targets, scores)
    sheet.updated_at = utcnow()


@operation
def set_letter(user, year: int, unit_code, payload: dict) -> tuple[object, list[Target]]:
    """PUT a unit's letter: 403 unless the targets item's office or the admin, 404 unknown year
    or unit, 409 once the unit's sheet has left draft, 422 bad targets or a total that is not
    the item's standard. An empty list removes the letter (the item is one row again)."""
    scheme, item = queries.targets_item(year)
    access.require(queries.can_edit_letter(user, item))
    unit = queries.unit_of(unit_code)
    sheet = _sheet_of(year, unit.id)
    _check_draft(sheet, unit)
    planned = _plan(payload.get("items"))
    _check_total(planned, item)
    _replace(user, year, unit, planned, sheet)
    db.session.commit()
    queries.forget()
    return unit, queries.letter(year, unit.id)


@operation
def import_letters(user, year: int, upload) -> dict[str, int]:
    """Letters from an .xlsx (or .csv): columns 单位 (code, name or any alias), 目标任务, 分值.
    A unit's rows replace its letter; every row is checked first and any bad row (or a unit
    whose rows do not add up) imports nothing (422 `invalid_rows`). Answers unit code → targets."""
    _scheme, item = queries.targets_item(year)
    access.require(queries.can_edit_letter(user, item))
    rows = read_table(upload, IMPORT_COLUMNS, required=["unit", "title", "points"], max_rows=2000)
    errors, by_unit, first_row = [], {}, {}
    for row in rows:
        number = row["_row"]
        try:
            unit = queries.resolve_unit(None if row["unit"] is None else str(row["unit"]))
            if unit is None:
                raise Invalid(f"没有名为“{row['unit']}”的单位（可填代码、名称或别名）")
            points = row["points"]
            if isinstance(points, float):
                points = repr(points)
            entry = {"title": None if row["title"] is None else str(row["title"]),
                     "points": str(points) if isinstance(points, int) and not isinstance(points, bool) else points}
            planned = _line(entry)
            mine = by_unit.setdefault(unit.code, (unit, []))[1]
            if any(p.title == planned.title for _n, p in mine):
                raise Invalid(f"目标“{planned.title}”在该单位中重复")
            first_row.setdefault(unit.code, number)
            mine.append((number, planned))
        except Invalid as exc:
            errors.append({"row": number, "message": exc.message})
    for code, (unit, mine) in by_unit.items():
        planned = [p for _n, p in mine]
        try:
            _check_total(planned, item)
            _check_draft(_sheet_of(year, unit.id), unit)
        except (Invalid, Conflict) as exc:
            errors.append({"row": first_row[code], "message": f"{unit.name}：{exc.message}"})
    if errors:
        raise RowErrors(sorted(errors, key=lambda e: e["row"]))
    done = {}
    for code, (unit, mine) in by_unit.items():
        _replace(user, year, unit, [p for _n, p in mine], _sheet_of(year, unit.id))
        done[code] = len(mine)
    db.session.commit()
    queries.forget()
    return done


# ----------------------------------------------------------------------------- on a sheet


@dataclass
class TargetEdit:
    """A checked change of one target's score and reason on a sheet, ready to write."""

    target: Target
    score: Decimal | None
    reason: str


def is_target_code(code: str) -> bool:
    return code.startswith(CODE_PREFIX)


def targets_of(sheet: Sheet) -> list[Target]:
    return queries.letter(sheet.year, sheet.unit_id)


def find(sheet: Sheet, code: str) -> Target:
    """The sheet's target named by a sub-row code (targets/t2), or 404."""
    wanted = code[len(CODE_PREFIX):]
    found = next((t for t in targets_of(sheet) if t.code == wanted), None)
    if found is None:
        raise NotFound(f"目标责任书中没有目标“{wanted}”", "no_such_target")
    return found


def scored_by_targets(sheet: Sheet) -> Invalid | None:
    """A unit with a letter scores 年度目标任务 only through its targets (CONTRACT.md)."""
    if targets_of(sheet):
        return Invalid("该单位已有目标责任书，“年度目标任务”须逐项目标评分，合计自动计算", "scored_by_targets")
    return None


def check(sheet: Sheet, kind: str, target: Target, fields: dict, label: str) -> TargetEdit:
    """One target's typed score and reason, checked like an item row's against the target's points."""
    current = queries.scores_of(sheet).get(target.id)
    if "score" in fields:
        score = _score(fields["score"], target.points, label)
    else:
        score = getattr(current, f"{kind}_score") if current else None
    if "reason" in fields:
        reason = steps.clean_text(fields["reason"], "原因")
    else:
        reason = (getattr(current, f"{kind}_reason") or "") if current else ""
    if score is not None and score < target.points and not reason:
        raise Invalid(f"{label}低于该目标分值，必须填写加（扣）分原因", "reason_required")
    return TargetEdit(target, score, reason)


def _score(value, points: Decimal, label: str) -> Decimal | None:
    return steps.score(value, points, label, "该目标的分值")


def write(sheet: Sheet, user, capacity: str, kind: str, edits: list[TargetEdit]) -> bool:
    """Write checked target edits with their history steps (field targets/t2.self_score) and the
    `targets` row's new sums; nothing is committed here. Answers whether anything changed."""
    if not edits:
        return False
    scores = queries.scores_of(sheet)
    changed = False
    for edit in edits:
        st = scores.get(edit.target.id)
        fresh = st is None
        if fresh:  # created on first write: no row means not scored yet
            st = SheetTarget(sheet_id=sheet.id, target_id=edit.target.id, target=edit.target,
                             self_reason="", review_reason="")
        mine = False
        for attr, new in ((f"{kind}_score", edit.score), (f"{kind}_reason", edit.reason)):
            mine |= steps.edit_field("sheet", sheet, user, capacity, attr, new, target=st,
                                     field=f"{CODE_PREFIX}{edit.target.code}.{attr}")
        if fresh and mine:
            db.session.add(st)
            scores[edit.target.id] = st
        changed |= mine
    if changed:
        write_sums(sheet, user, capacity, kind, targets_of(sheet), scores)
    return changed


def write_sums(sheet: Sheet, user, capacity: str, kind: str, targets: list[Target], scores: dict) -> None:
    """The `targets` row holds the sum of its targets' scores once every target has one (else
    none), and their reasons: subtotal, total and the completeness checks read the row as ever."""
    row = sheet.row(ITEM_CODE)
    if row is None:
        return
    values = [getattr(scores.get(t.id), f"{kind}_score", None) for t in targets]
    total = sum(values, ZERO) if targets and all(v is not None for v in values) else None
    reasons = [f"{t.title}：{getattr(scores.get(t.id), f'{kind}_reason')}" for t in targets
               if scores.get(t.id) is not None and getattr(scores.get(t.id), f"{kind}_reason")]
    for attr, new in ((f"{kind}_score", total), (f"{kind}_reason", "；".join(reasons))):
        steps.edit_field("sheet", sheet, user, capacity, attr, new, target=row, field=f"{ITEM_CODE}.{attr}")
