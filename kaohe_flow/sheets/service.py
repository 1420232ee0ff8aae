"""What may happen to a score sheet (附件3), decided here; views and the API only ask.

Every public function that changes a sheet checks who and when through
`workflow.permissions.decide`, refuses a stale `version`, writes its history steps and
commits once — or changes nothing (`uow.operation`). The moves of the path are made by the
one workflow service (`workflow.service`); `SheetKind` is what a sheet plugs into it.
"""
from decimal import Decimal

from .. import access
from ..errors import Invalid, NotFound
from ..extensions import db
from ..org import chart
from ..points import ZERO, PointsError, fmt_points, parse_points
from ..scheme.models import Scheme
from ..targets import service as targets
from ..targets.models import Target
from ..timeutil import utcnow
from ..uow import operation
from ..workflow import permissions
from ..workflow import service as workflow
from ..workflow import steps
from ..workflow.service import Loaded, Step, StepInput
from .models import Sheet, SheetRow, Signature
from .queries import blocked_reason, get_visible, granted_bonus, scheme_for, view

# ----------------------------------------------------------------------------- writing


def _score(value, standard: Decimal, label: str) -> Decimal | None:
    return steps.score(value, standard, label)


@operation
def update_row(user, sheet_id: int, code: str, payload: dict) -> Sheet:
    """PUT one row: self score and reason (draft) or review score and reason (gate_review)."""
    get_visible(user, sheet_id)  # 404 before anything is said about the body
    kinds = [k for k in ("self", "review") if f"{k}_score" in payload or f"{k}_reason" in payload]
    if len(kinds) != 1:
        raise Invalid("请只填写自评分及原因，或只填写考评分及原因", "invalid_fields")
    kind = kinds[0]
    fields = {k: payload[f"{kind}_{k}"] for k in ("score", "reason") if f"{kind}_{k}" in payload}
    return update_rows(user, sheet_id, kind, payload.get("version"), {code: fields})


@operation
def take_suggestions(user, sheet_id: int, version, changes: dict[str, dict], take: str) -> Sheet:
    """采用建议分: the gate takes the score the deduction records suggest (附件2), with its
    reason, for one row (`take` = its code) or for every row it has not scored yet (`*`), saved
    with whatever else it typed on the page — one save (issue 10, 2: the inputs start empty)."""
    sheet, scheme, sheet_facts = get_visible(user, sheet_id)
    suggested = {}
    for r in view(user, sheet, scheme, sheet_facts).rows:
        for row in r.targets or [r]:  # a letter's unit is scored through its targets
            stored = row.review_score if row is not r else r.row.review_score
            suggested[row.code] = (row.suggested_score, row.suggested_reason, stored)
    if take == "*":
        wanted = [code for code, (_s, _r, stored) in suggested.items()
                  if stored is None and not (changes.get(code) or {}).get("score")]
    elif take in suggested:
        wanted = [take]
    else:
        raise NotFound(f"考核表中没有项目“{take}”", "no_such_item")
    for code in wanted:
        score, reason, _stored = suggested[code]
        changes[code] = {"score": fmt_points(score), "reason": reason}
    return update_rows(user, sheet_id, "review", version, changes)


@operation
def update_rows(user, sheet_id: int, kind: str, version, changes: dict[str, dict]) -> Sheet:
    """Change several rows' `kind` (self | review) score and reason at once, or none of them.

    `changes` maps item codes to {"score": …, "reason": …}; a missing key keeps the value.
    Every row is checked before anything is written, and the refusal names each bad row.
    """
    sheet, _scheme, sheet_facts = get_visible(user, sheet_id)
    rows = {}
    for code in changes:
        # A target letter's sub-rows (targets/t2) are scored like rows (附件2 逐项赋分).
        rows[code] = targets.find(sheet, code) if targets.is_target_code(code) else sheet.row(code)
        if rows[code] is None:
            raise NotFound(f"考核表中没有项目“{code}”", "no_such_item")
    verdict = steps.authorize(user, f"edit_{kind}", sheet_facts, version, sheet)
    label = "自评分" if kind == "self" else "考评分"
    score_key, reason_key = f"{kind}_score", f"{kind}_reason"
    planned, target_edits, errors = [], [], {}
    for code, fields in changes.items():
        row = rows[code]
        try:
            if isinstance(row, Target):
                target_edits.append(targets.check(sheet, kind, row, fields, label))
                continue
            if code == targets.ITEM_CODE and (refusal := targets.scored_by_targets(sheet)):
                raise refusal
            score = _score(fields["score"], row.item.standard, label) if "score" in fields else getattr(row, score_key)
            reason = steps.clean_text(fields["reason"], "原因") if "reason" in fields else getattr(row, reason_key)
            if score is not None and score < row.item.standard and not reason:
                raise Invalid(f"{label}低于标准分值，必须填写加（扣）分原因", "reason_required")
        except Invalid as exc:
            errors[code] = exc
            continue
        planned.append((row, code, score, reason))
    if errors:
        first_code, first = next(iter(errors.items()))
        first_row = rows[first_code]
        name = first_row.title if isinstance(first_row, Target) else first_row.item.name
        raise Invalid(f"“{name}”：{first.message}", first.code,
                      fields={code: exc.message for code, exc in errors.items()})
    capacity = permissions.history_capacity(user, verdict.capacity)
    changed_items = set()
    for row, code, score, reason in planned:
        for attr, new in ((score_key, score), (reason_key, reason)):
            if steps.edit_field("sheet", sheet, user, capacity, attr, new, target=row, field=f"{code}.{attr}"):
                changed_items.add(row.item_id)
    if targets.write(sheet, user, capacity, kind, target_edits):
        changed_items.add(sheet.row(targets.ITEM_CODE).item_id)
    if changed_items:
        if kind == "review":
            sheet.gate_touched = True
            _void_row_signatures(sheet, changed_items)
        steps.commit(sheet)
    return sheet


def _void_row_signatures(sheet: Sheet, item_ids: set) -> None:
    """A row whose review score or reason changes waits for its offices' signatures again; the
    other rows keep theirs across a return (CONTRACT.md "The year's rhythm")."""
    sheet.signatures = [s for s in sheet.signatures
                        if not (s.capacity == "responsible_office" and s.item_id in item_ids)]


@operation
def set_key_deduction(user, sheet_id: int, payload: dict) -> Sheet:
    """重点指标扣分: entered by the gate unit during review, with its reason."""
    sheet, scheme, sheet_facts = get_visible(user, sheet_id)
    verdict = steps.authorize(user, "edit_review", sheet_facts, payload.get("version"), sheet)
    if "points" not in payload:
        raise Invalid("请填写重点指标扣分", "points_required")
    try:
        points = parse_points(payload.get("points"), "重点指标扣分")
    except PointsError as exc:
        raise Invalid(str(exc), "invalid_score") from None
    if points < 0:
        raise Invalid("重点指标扣分不能为负数（填写扣除的分数）", "invalid_score")
    if points > scheme.total:
        raise Invalid(f"重点指标扣分不能超过总分 {scheme.total.normalize():f}", "invalid_score")
    reason = steps.clean_text(payload.get("reason"), "扣分原因")
    if points > 0 and not reason:
        raise Invalid("有重点指标扣分时必须填写扣分原因", "reason_required")
    capacity = permissions.history_capacity(user, verdict.capacity)
    changed = False
    for attr, new in (("key_deduction", points), ("key_deduction_reason", reason)):
        changed |= steps.edit_field("sheet", sheet, user, capacity, attr, new)
    if changed:
        sheet.gate_touched = True
        steps.commit(sheet)
    return sheet


class SheetKind:
    """How a score sheet plugs into the workflow service."""

    history_kind = "sheet"

    def load(self, user, record_id: int) -> Loaded:
        sheet, scheme, sheet_facts = get_visible(user, record_id)
        return Loaded(sheet, sheet_facts, scheme)

    def blocked_reason(self, loaded: Loaded, action: str) -> str | None:
        """DOMAIN.md: submit needs every self score, approve every review score."""
        return blocked_reason(loaded.record, action)

    def read_input(self, loaded: Loaded, step: Step) -> StepInput:
        return StepInput(items=_named_rows(step.user, step.action, step.capacity, loaded.context,
                                           step.payload.get("items")))

    def add_signature(self, loaded: Loaded, user, capacity: str, on_behalf_of=None) -> None:
        """A responsible office signs each of its rows (附件3) still unsigned — a return keeps the
        signatures of unchanged rows; the others sign the sheet. A delegate signs in the
        delegator's place (their office, their rows)."""
        sheet, scheme, now = loaded.record, loaded.context, utcnow()
        owner = on_behalf_of or user
        if capacity == "responsible_office":
            signed = {s.item_id for s in sheet.signatures
                      if s.capacity == capacity and s.unit_id == owner.unit_id}
            for item in access.items_answered_for(owner, scheme.items):
                if item.id not in signed:
                    sheet.signatures.append(Signature(capacity=capacity, item_id=item.id, unit_id=owner.unit_id,
                                                      user=user, on_behalf_of=on_behalf_of, at=now))
        else:
            sheet.signatures.append(Signature(capacity=capacity, user=user, on_behalf_of=on_behalf_of, at=now,
                                              unit_id=None if capacity == "leader" else owner.unit_id))


    def withdraw_signatures(self, loaded: Loaded, owner, items: list[str]) -> None:
        """The returning office's signatures on the rows it names go: it disagrees with them now,
        so it signs them again after the gate has looked (a kept signature would skip it)."""
        sheet, scheme = loaded.record, loaded.context
        named = {scheme.item(code).id for code in items if scheme.item(code) is not None}
        sheet.signatures = [s for s in sheet.signatures if not (
            s.capacity == "responsible_office" and s.unit_id == owner.unit_id and s.item_id in named)]

    def moved(self, loaded: Loaded, before: str, after: str) -> None:
        """A sheet that becomes final keeps the 特别附加分 it was signed with; reopened, it counts
        what is granted now again (issue 10, 4)."""
        sheet = loaded.record
        if after == "final":
            with db.session.no_autoflush:  # one UPDATE, one version step for the whole move
                sheet.bonus_final = granted_bonus(sheet)
        elif before == "final":
            sheet.bonus_final = None


SHEET = SheetKind()


def fire_action(user, sheet_id: int, action: str, payload: dict) -> Sheet:
    """Fire a machine action on a sheet, with its checks, signatures and history step."""
    return workflow.fire_action(SHEET, user, sheet_id, action, payload)


def _named_rows(user, action, capacity, scheme: Scheme, items) -> list[str] | None:
    """A responsible office's return names the rows it disagrees with, among its own rows."""
    if not (action == "return" and capacity == "responsible_office"):
        return None
    if not items or not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Invalid("责任科室退回时必须指明有异议的项目", "items_required")
    own = {i.code for i in access.items_answered_for(user, scheme.items)}
    foreign = [code for code in items if code not in own]
    if foreign:
        raise Invalid(f"只能指明本科室负责的项目：{'、'.join(foreign)} 不是", "invalid_items")
    return list(dict.fromkeys(items))


@operation
def open_year(year: int) -> int:
    """The demo's and the CLI's opening: drafts for the year's units that have none."""
    created = create_drafts(year)
    db.session.commit()
    return created


def create_drafts(year: int) -> int:
    """A draft sheet, with a row per item, for every unit of the year's org chart that has none
    (in the caller's unit of work)."""
    scheme = scheme_for(year)
    have = set(db.session.scalars(db.select(Sheet.unit_id).filter_by(year=year)))
    created = 0
    for place in chart.chart_rows(year).values():  # ORM units: each new sheet hangs on one
        unit = place.unit
        if unit.id in have:
            continue
        sheet = Sheet(unit=unit, year=year, state="draft", key_deduction=ZERO, key_deduction_reason="")
        sheet.rows = [SheetRow(item_id=item.id, position=item.position) for item in scheme.items]
        db.session.add(sheet)
        created += 1
    db.session.flush()
    return created


