"""Reading score sheets: which a user may see, what they show, and what waits for whom.

Loads are shaped so that a page or an inbox issues the same number of SQL statements for 19
units as for 200 (selectin / joined loading declared on the models, the scheme once per request).
"""
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, selectinload

from .. import access
from ..bonus.queries import granted_by_unit
from ..errors import NotFound
from ..extensions import db
from ..org import chart
from ..org.models import Unit, YearUnit
from ..points import ZERO
from ..scheme.models import POINTS, ItemOffice, Scheme, SchemeItem
from ..scheme.queries import scheme_or_none
from ..ledger.queries import records_of, suggestion
from ..targets.queries import ITEM_CODE as TARGETS_ITEM
from ..targets.queries import sub_rows as target_rows
from ..workflow import permissions
from ..workflow.machine import FIELD_EDITS
from ..workflow.permissions import RecordFacts
from .models import Sheet, SheetRow, Signature

def scheme_for(year: int) -> Scheme:
    """The year's scheme, loaded once per request (items, offices and rules eagerly)."""
    scheme = scheme_or_none(year)
    if scheme is None:
        raise NotFound(f"{year}年度的考核方案尚未导入")
    return scheme


def _offices(scheme: Scheme) -> tuple[frozenset, tuple]:
    """(responsible office ids, every (item id, office id) that signs) of a scheme, worked out
    once per loaded scheme — a list of a thousand sheets asks it a thousand times."""
    known = scheme.__dict__.get("_kaohe_offices")  # a plain attribute: never stored
    if known is None:
        pairs = tuple((item.id, u.id) for item in scheme.items for u in item.responsible)
        known = scheme.__dict__["_kaohe_offices"] = (frozenset(scheme.responsible_unit_ids()), pairs)
    return known


def facts(sheet: Sheet, scheme: Scheme) -> RecordFacts:
    """The org facts the permission question needs about one sheet."""
    signed = {(s.item_id, s.unit_id) for s in sheet.signatures if s.capacity == "responsible_office"}
    responsible, pairs = _offices(scheme)
    pending = {unit_id for item_id, unit_id in pairs if (item_id, unit_id) not in signed}
    leader = chart.leader_of(sheet.year, sheet.unit_id)  # the sheet's own year's chart
    return RecordFacts(
        unit_id=sheet.unit_id,
        gate_unit_id=chart.gate_of(sheet.year, sheet.unit_id),
        leader_id=leader.id if leader else None,
        state=sheet.state,
        responsible_ids=responsible,
        pending_ids=frozenset(pending),
        gate_touched=sheet.gate_touched,
        signers=frozenset((s.user_id, s.capacity, s.on_behalf_of_id is not None) for s in sheet.signatures),
    )


def _load(sheet_id: int, *, lock: bool = False) -> Sheet | None:
    query = db.select(Sheet).filter_by(id=sheet_id)
    if lock:
        query = query.with_for_update(of=Sheet)
    return db.session.scalar(query)


def get_visible(user, sheet_id: int) -> tuple[Sheet, Scheme, RecordFacts]:
    """A sheet the user may see, or 404 — we do not reveal what exists."""
    user = access.subject(user)  # a page asks dozens of questions of its reader: not through a proxy
    sheet = _load(sheet_id)
    if sheet is None:
        raise NotFound("没有找到这张考核表")
    return seen_by(user, sheet)


def seen_by(user, sheet: Sheet) -> tuple[Sheet, Scheme, RecordFacts]:
    """A sheet already in hand (the record a step just wrote) as `get_visible` answers it — its
    facts as they are now, or 404 if the user may not see it — without loading it again."""
    scheme = scheme_for(sheet.year)
    sheet_facts = facts(sheet, scheme)
    if not permissions.can_see(user, sheet_facts):
        raise NotFound("没有找到这张考核表")
    return sheet, scheme, sheet_facts


def visible_clause(user, year: int | None = None):
    """The sheets `user` may see, as a SQL condition on `Sheet` joined to its year's `YearUnit`
    (None: every sheet). The same answer as `permissions.can_see` on each sheet's facts — a unit
    sees its own and its gated units' sheets, a responsible office of the year and everyone who
    reads every unit sees all, and a delegate sees what each delegator sees — asked once for a
    list instead of once per sheet (issue 11: a district's lists decide visibility in SQL)."""
    people = [user, *permissions.principals(user)]
    if any(access.sees_everything(p) for p in people):
        return None
    units = {p.unit_id for p in people if access.acts_for_unit(p)}
    if not units:
        return sa.false()
    office_years = _office_years(units, year)
    if year is not None and year in office_years:
        return None
    return sa.or_(Sheet.unit_id.in_(units), YearUnit.gate_unit_id.in_(units), Sheet.year.in_(office_years))


def _office_years(units: set, year: int | None) -> set[int]:
    """The years in which one of `units` is a responsible office (会签): it reads every sheet."""
    if not units:
        return set()
    offices = (sa.select(Scheme.year).join(SchemeItem, SchemeItem.scheme_id == Scheme.id)
               .join(ItemOffice, ItemOffice.item_id == SchemeItem.id)
               .where(ItemOffice.unit_id.in_(units), ItemOffice.role == "responsible"))
    if year is not None:
        offices = offices.where(Scheme.year == year)
    return set(db.session.scalars(offices.distinct()))


def waiting_clause(user, year: int | None = None):
    """The sheets on which one of `permissions.INBOX_ACTIONS` could wait for `user` (or for whoever
    they stand in for), as a SQL condition: each grant of the machine's table (capacity, state)
    becomes "in that state and theirs in that capacity". A superset — the one rule then decides on
    each — so a deputy director's inbox reads the sheets at 分管领导签字 of his units, not a
    district's every open sheet."""
    people = [user, *permissions.principals(user)]
    members = {p.unit_id for p in people if access.acts_for_unit(p)}
    heads = {p.unit_id for p in people if access.acts_for_unit(p) and p.is_head}
    leaders = {p.id for p in people if p.has_role("leader")}
    admin = any(p.has_role("admin") for p in people)
    conditions = []
    for action in permissions.INBOX_ACTIONS:
        for grant in permissions.ACTION_RULES[action]:
            acting = heads if grant.head_only else members
            in_state = Sheet.state == grant.state
            if grant.capacity == "unit" and acting:
                conditions.append(in_state & Sheet.unit_id.in_(acting))
            elif grant.capacity == "gate" and acting:
                conditions.append(in_state & YearUnit.gate_unit_id.in_(acting))
            elif grant.capacity == "responsible_office" and acting:
                conditions.append(in_state & Sheet.year.in_(_office_years(acting, year)))
            elif grant.capacity == "leader" and leaders:
                conditions.append(in_state & YearUnit.leader_id.in_(leaders))
            elif grant.capacity == "admin" and admin:
                conditions.append(in_state)
    return sa.or_(*conditions) if conditions else sa.false()


def _visible_query(user, year: int | None, open_only: bool, states=None, where=None):
    query = (db.select(Sheet).outerjoin(YearUnit, (YearUnit.year == Sheet.year) & (YearUnit.unit_id == Sheet.unit_id))
             .order_by(Sheet.year, YearUnit.position, Sheet.unit_id))
    if year is not None:
        query = query.filter(Sheet.year == year)
    if open_only:
        query = query.filter(Sheet.state != "final")
    if states is not None:
        query = query.filter(Sheet.state.in_(states))
    if where is not None:
        query = query.filter(where)
    clause = visible_clause(user, year)
    return query if clause is None else query.filter(clause)


def list_visible(user, year: int | None = None, *, with_rows: bool = True,
                 open_only: bool = False, states=None, where=None) -> list[tuple[Sheet, RecordFacts]]:
    """The sheets the user may see with their permission facts, in the order of the org chart;
    `open_only`: not final (a final sheet waits for no one — the inbox never reads a district's
    past years); `states`: only those; `where`: a further condition (`waiting_clause`)."""
    user = access.subject(user)
    query = _visible_query(user, year, open_only, states, where)
    if not with_rows:
        # The inbox and the lists need no rows, and of the signatures only their columns (the
        # permission facts): not the people and units they name.
        query = query.options(lazyload(Sheet.rows), selectinload(Sheet.signatures).options(
            lazyload(Signature.user), lazyload(Signature.on_behalf_of), lazyload(Signature.unit)))
    out = []
    for sheet in _primed(db.session.scalars(query)):
        sheet_facts = facts(sheet, scheme_for(sheet.year))
        if permissions.can_see(user, sheet_facts):  # the SQL chose them; the one rule confirms
            out.append((sheet, sheet_facts))
    return out


@dataclass(frozen=True)
class UnitLine:
    """A unit as a list names it."""

    id: int
    code: str
    name: str
    position: int


@dataclass(frozen=True)
class SheetLine:
    """A sheet's own columns for a list of numbers (the ranking, the sheet lists): what `totals`,
    the deadlines and the lists read of a `Sheet`, with its unit's code and its name in the
    sheet's year, without loading a sheet, a unit or the org chart."""

    id: int
    year: int
    unit_id: int
    state: str
    key_deduction: Decimal | None
    bonus_final: Decimal | None
    unit: UnitLine
    year_name: str | None  # the unit's name in the sheet's year (附件1), if the chart has it

    @property
    def unit_name(self) -> str:
        """As `Sheet.unit_name`: a unit renamed later keeps this year's name on this year's sheet."""
        return self.year_name if self.year_name is not None else self.unit.name

    def load(self) -> Sheet:
        """The sheet itself (its rows and signatures when asked)."""
        return db.session.get(Sheet, self.id)


def visible_sheets(user, year: int | None = None) -> list[SheetLine]:
    """The sheets the user may see, in the order of the org chart, for a list of numbers: their
    columns only — no rows, signatures or permission facts (the ranking and the lists of a
    district)."""
    user = access.subject(user)
    query = (_visible_query(user, year, False).join(Unit, Unit.id == Sheet.unit_id).with_only_columns(
        Sheet.id, Sheet.year, Sheet.unit_id, Sheet.state, Sheet.key_deduction, Sheet.bonus_final,
        Unit.code, Unit.name, Unit.position, YearUnit.name))
    return [SheetLine(sid, y, unit_id, state, key, bonus, UnitLine(unit_id, code, name, position), year_name)
            for sid, y, unit_id, state, key, bonus, code, name, position, year_name in db.session.execute(query)]


def _primed(sheets) -> list:
    """The sheets, their units' places in their years' charts read in one statement per year."""
    sheets = list(sheets)
    by_year: dict[int, set] = {}
    for sheet in sheets:
        by_year.setdefault(sheet.year, set()).add(sheet.unit_id)
    for year, units in by_year.items():
        chart.prime(year, units)
    return sheets


def summaries(user, year: int | None = None) -> list[tuple[SheetLine, tuple]]:
    """(sheet, (subtotal, bonus, total)) of the sheets the user may see, without their rows."""
    found = visible_sheets(user, year)
    subs: dict[int, Decimal] = {}
    for y in sorted({s.year for s in found}):
        subs.update(subtotals(y))
    return [(s, totals(s, subs.get(s.id, ZERO))) for s in found]


# ----------------------------------------------------------------------------- reading


@dataclass
class RowView:
    row: SheetRow
    code: str
    suggested_score: Decimal  # from the deduction records (附件2 rules), with the reason they give
    suggested_reason: str
    records: list
    responsible: list
    signatures: list
    # 年度目标任务 of a unit with a target letter: its targets as sub-rows (targets.queries.TargetRowView)
    targets: list = field(default_factory=list)


@dataclass
class SheetView:
    """A sheet as both the page and the API show it, with the caller's possibilities."""

    sheet: Sheet
    scheme: Scheme
    rows: list[RowView]
    subtotal: Decimal
    bonus: Decimal
    total: Decimal
    possible_actions: list[str]  # permitted now, some perhaps blocked by missing scores
    blocked: dict[str, str]  # action → why it cannot succeed yet
    allowed_actions: list[str]  # permitted now and ready to succeed
    can_edit_self: bool
    can_edit_review: bool
    signoffs: dict = field(default_factory=dict)
    returnable_rows: list[str] = field(default_factory=list)  # rows a responsible office may name
    bonus_pending: Decimal = ZERO  # granted after the sheet became final; counts after a reopen


def subtotals(year: int) -> dict[int, Decimal]:
    """sheet id → 现场考核分小计 of every sheet of the year, in one aggregate statement: lists and
    the ranking show numbers without loading any sheet's rows (issue 11, lean reads)."""
    score = sa.func.coalesce(SheetRow.review_score, SheetRow.self_score, 0)
    query = (sa.select(SheetRow.sheet_id, sa.type_coerce(sa.func.sum(score), POINTS))
             .join(Sheet, Sheet.id == SheetRow.sheet_id).where(Sheet.year == year).group_by(SheetRow.sheet_id))
    return {sheet_id: Decimal(total or 0).quantize(Decimal("0.01")) for sheet_id, total in db.session.execute(query)}


def subtotal_of(sheet: Sheet) -> Decimal:
    """现场考核分小计: the review score where there is one, else the self score, else 0."""
    total = ZERO
    for row in sheet.rows:
        score = row.review_score if row.review_score is not None else row.self_score
        total += score if score is not None else ZERO
    return total


def granted_bonus(sheet: Sheet) -> Decimal:
    """特别附加分 granted now: the points of the unit's final bonus applications of the year (附件6)."""
    return granted_by_unit(sheet.year).get(sheet.unit_id, ZERO)


def bonus_of(sheet: Sheet) -> Decimal:
    """The 特别附加分 the sheet counts: what it was signed with once final, else what is granted."""
    if sheet.state == "final" and sheet.bonus_final is not None:
        return sheet.bonus_final
    return granted_bonus(sheet)


def bonus_pending(sheet: Sheet) -> Decimal:
    """Points granted after a final sheet was signed: they count once it is reopened and signed
    again (CONTRACT.md "Numbers that hold")."""
    return granted_bonus(sheet) - bonus_of(sheet)


def totals(sheet: Sheet, subtotal: Decimal | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, bonus, total) where total = subtotal − key deduction + bonus (附件3); `subtotal`
    when it is known already (`subtotals`), so the rows need not be loaded."""
    subtotal = subtotal_of(sheet) if subtotal is None else subtotal
    bonus = bonus_of(sheet)
    return subtotal, bonus, subtotal - (sheet.key_deduction or ZERO) + bonus


def view(user, sheet: Sheet, scheme: Scheme, sheet_facts: RecordFacts) -> SheetView:
    """Everything a reader of this sheet sees, and what they may do."""
    user = access.subject(user)
    by_item: dict[int, list] = {}
    signoffs = {}
    for sig in sheet.signatures:
        if sig.capacity == "responsible_office":
            by_item.setdefault(sig.item_id, []).append(sig)
        else:
            signoffs[sig.capacity] = sig
    records = records_of(sheet.unit_id, sheet.year)
    rows = []
    for row in sheet.rows:
        item = scheme.item(row.item.code)
        score, reason = suggestion(item, records.get(item.id, []))
        sub_rows, by_targets = target_rows(sheet, item, records.get(item.id, [])) \
            if item.code == TARGETS_ITEM else ([], None)
        if by_targets is not None:  # 附件2 逐项赋分: a miss costs its target, not the item
            score, reason = by_targets
        rows.append(RowView(
            row=row, code=item.code, suggested_score=score, suggested_reason=reason,
            records=records.get(item.id, []), responsible=item.responsible,
            signatures=_in_office_order(by_item.get(row.item_id, []), item.responsible),
            targets=sub_rows,
        ))
    subtotal, bonus, total = totals(sheet)
    possible = permissions.allowed_actions(user, sheet_facts)
    blocked = {a: why for a in possible if (why := blocked_reason(sheet, a))}
    return SheetView(
        sheet=sheet, scheme=scheme, rows=rows, subtotal=subtotal, bonus=bonus, total=total,
        bonus_pending=bonus_pending(sheet),
        possible_actions=possible, blocked=blocked,
        allowed_actions=[a for a in possible if a not in blocked],
        can_edit_self=permissions.decide(user, "edit_self", sheet_facts).allowed,
        can_edit_review=permissions.decide(user, "edit_review", sheet_facts).allowed,
        signoffs=signoffs,
        returnable_rows=[i.code for i in access.items_answered_for(user, scheme.items)]
        if "return" in possible and sheet.state == "responsible_sign" else [],
    )


def unsigned_rows(sheet_view: SheetView) -> list[str]:
    """The rows some responsible office has still to sign: after a return, only those the gate
    changed (the others kept their signatures)."""
    return [r.code for r in sheet_view.rows
            if {u.id for u in r.responsible} - {s.unit_id for s in r.signatures}]


def missing_scores(sheet: Sheet, kind: str) -> list[str]:
    """Names of the items without a `kind` (self | review) score."""
    return [r.item.name for r in sheet.rows if getattr(r, f"{kind}_score") is None]


def after_save(user, sheet: Sheet, kind: str) -> str:
    """What the person who just saved should know next (issue 10, 11): how many rows are left,
    or who moves the sheet on — a member does not submit or approve; the head does."""
    missing = missing_scores(sheet, kind)
    label = "自评分" if kind == "self" else "考评分"
    if missing:
        return f"已保存。还有 {len(missing)} 个项目未填{label}：{'、'.join(missing[:5])}{'等' if len(missing) > 5 else ''}"
    action = "提交扎口科室审核" if kind == "self" else "审核通过"
    if user.is_head:
        return f"已保存。所有项目均已填写{label}，请核对后点击“{action}”"
    return f"已保存。所有项目均已填写{label}，请告知本科室负责人核对后{action}"


def blocked_reason(sheet: Sheet, action: str) -> str | None:
    """DOMAIN.md: submit needs every self score, approve every review score."""
    kind = {"submit": "self", "approve": "review"}.get(action)
    if kind is None:
        return None
    missing = missing_scores(sheet, kind)
    if not missing:
        return None
    label = "自评" if kind == "self" else "考评"
    return f"以下项目尚未{label}：{'、'.join(missing)}"


def _in_office_order(signatures: list, offices: list) -> list:
    """A row's signatures in the order the scheme lists its offices (附件2)."""
    rank = {unit.id: n for n, unit in enumerate(offices)}
    return sorted(signatures, key=lambda s: rank.get(s.unit_id, len(rank)))


def inbox(user, year: int | None = None) -> list[tuple[Sheet, str]]:
    """Sheets that wait for this user, with the action expected of them."""
    user = access.subject(user)
    out = []
    for sheet, sheet_facts in list_visible(user, year, with_rows=False, open_only=True,
                                           where=waiting_clause(user, year)):
        action = permissions.expected_action(user, sheet_facts)
        if action:
            out.append((sheet, action))
    return out


# The states in which scores are filled in (the machine's field edits): nothing else is fillable.
EDIT_STATES = tuple({edit.state for edit in FIELD_EDITS if edit.name in ("edit_self", "edit_review")})


def editable(user, year: int | None = None) -> list[Sheet]:
    """Sheets whose scores the user may fill in now (a member's 待办 on the page)."""
    user = access.subject(user)
    found = list_visible(user, year, with_rows=False, open_only=True, states=EDIT_STATES)
    return [sheet for sheet, sheet_facts in found
            if permissions.decide(user, "edit_self", sheet_facts).allowed
            or permissions.decide(user, "edit_review", sheet_facts).allowed]
