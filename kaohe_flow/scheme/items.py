"""A year's scheme items edited by the admin until the year opens (`PUT /api/v1/years/{year}/
scheme/items/{code}`): name, standard, method, offices and rules, checked as the loader checks a
scheme file (offices are units of the year, rule ids unique in the scheme, known kinds, points
≥ 0; a rule that deduction records use stays). The total is checked when the year opens
(`years.open_year`), so two items can be changed one after the other.
"""
from ..audit.admin import record_change
from ..errors import BadRequest, Conflict, Invalid, NotFound
from ..extensions import db
from ..org import chart
from ..points import PointsError, fmt_points, parse_points
from ..uow import operation
from .loader import RULE_KINDS
from .models import ItemOffice, Rule, Scheme, SchemeItem
from .years import MAX_NAME, _admin_only, _forget, _scheme, is_opened

MAX_RULES, MAX_TEXT = 50, 2000


def item_values(item: SchemeItem, all_codes: list[str] | None = None) -> dict:
    """An item as `PUT …/scheme/items/{code}` takes it and the audit records it."""
    return {
        "name": item.name, "standard": fmt_points(item.standard), "method": item.method,
        "responsible": [u.code for u in item.responsible],
        "cooperating": "all" if item.cooperating_all else [u.code for u in item.cooperating],
        "rules": [{"id": r.code, "text": r.text, "kind": r.kind, "points": fmt_points(r.points), "flat": r.flat}
                  for r in item.rules],
    }


@operation
def update_item(user, year: int, code: str, payload) -> SchemeItem:
    """`PUT /api/v1/years/{year}/scheme/items/{code}`: any of `name`, `standard`, `method`,
    `responsible`, `cooperating`, `rules`; only until the year is opened. The total is checked
    when the year opens, so two items can be changed one after the other."""
    _admin_only(user)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    scheme = _scheme(year)
    if scheme is None:
        raise NotFound(f"{year}年度没有考核方案")
    item = scheme.item(code)
    if item is None:
        raise NotFound(f"{year}年度考核方案中没有项目“{code}”", "no_such_item")
    if is_opened(year):  # not now (409) before what is wrong with the body (422)
        raise Conflict(f"{year}年度考核已开启，考核方案不能再改", "year_opened")
    unknown = set(payload) - {"name", "standard", "method", "responsible", "cooperating", "rules", "version"}
    if unknown:
        raise Invalid(f"不能修改：{'、'.join(sorted(unknown))}", "invalid_scheme")
    before = item_values(item)
    units = {p.unit.code: p.unit for p in chart.chart_rows(year).values()}  # ORM units: offices hang on them
    if "name" in payload:
        old_name = item.name
        item.name = _scheme_text(payload["name"], "项目名称", MAX_NAME)
        if item.sheet_label == old_name:
            item.sheet_label = item.name
    if "standard" in payload:
        try:
            standard = parse_points(payload["standard"], "标准分值")
        except PointsError as exc:
            raise Invalid(str(exc), "invalid_scheme") from None
        if standard <= 0 or standard > scheme.total:
            raise Invalid(f"标准分值必须大于 0、不超过方案总分 {fmt_points(scheme.total)}", "invalid_scheme")
        item.standard = standard
    if "method" in payload:
        item.method = _scheme_text(payload["method"], "计分办法", MAX_TEXT, empty_ok=True)
    if "responsible" in payload or "cooperating" in payload:
        responsible = _codes(payload.get("responsible", before["responsible"]), units, "考核责任科室")
        if not responsible:
            raise Invalid(f"“{item.name}”必须有考核责任科室", "invalid_scheme")
        cooperating = payload.get("cooperating", before["cooperating"])
        if cooperating != "all":
            cooperating = _codes(cooperating, units, "配合科室")
        item.cooperating_all = cooperating == "all"
        wanted = [("responsible", c) for c in responsible]
        wanted += [("cooperating", c) for c in ([] if cooperating == "all" else cooperating)]
        current = {(o.role, o.unit.code): o for o in item.offices}
        item.offices = [current.get((role, c)) or ItemOffice(role=role, unit=units[c]) for role, c in wanted]
        for position, office in enumerate(item.offices):
            office.position = position
    if "rules" in payload:
        _set_rules(scheme, item, payload["rules"], year)
    after = item_values(item)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return item
    record_change(user, "item_changed", f"item:{year}/{code}",
                  {k: before[k] for k in changed}, {k: after[k] for k in changed})
    db.session.flush()
    _forget(year)
    db.session.commit()
    return item


def _scheme_text(raw, label: str, limit: int, empty_ok: bool = False) -> str:
    if not isinstance(raw, str) or (not raw.strip() and not empty_ok):
        raise Invalid(f"{label}不能为空", "invalid_scheme")
    text = raw.strip()
    if len(text) > limit or "\x00" in text:
        raise Invalid(f"{label}过长（最多 {limit} 个字）", "invalid_scheme")
    return text


def _codes(raw, units: dict, label: str) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in raw.replace("，", ",").replace("、", ",").split(",") if c.strip()]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise Invalid(f"{label}必须是单位代码的列表", "invalid_scheme")
    out = []
    for c in (c.strip() for c in raw):
        if c not in units:
            raise Invalid(f"{label}中的 {c} 不是本年度的单位", "invalid_scheme")
        if c not in out:
            out.append(c)
    return out


def _set_rules(scheme: Scheme, item: SchemeItem, raw, year: int) -> None:
    """Rules as the data file writes them (`id`, `text`, `kind`, `points`); a rule keeps its
    row (and the deduction records under it) while its id stays; a rule with records cannot go."""
    from ..ledger.models import DeductionRecord

    if not isinstance(raw, list) or len(raw) > MAX_RULES:
        raise Invalid(f"计分规则必须是列表（最多 {MAX_RULES} 条）", "invalid_scheme")
    others = {r.code for i in scheme.items if i is not item for r in i.rules}
    seen, specs = set(), []
    for n, rule in enumerate(raw, 1):
        if not isinstance(rule, dict):
            raise Invalid(f"第 {n} 条计分规则格式不对", "invalid_scheme")
        rid = rule.get("id") or f"{item.code}-{n}"
        if not isinstance(rid, str) or not rid.strip() or len(rid) > 64:
            raise Invalid(f"第 {n} 条计分规则的编号不对", "invalid_scheme")
        rid = rid.strip()
        if rid in seen or rid in others:
            raise Invalid(f"计分规则编号 {rid} 重复", "invalid_scheme")
        seen.add(rid)
        if rule.get("kind") not in RULE_KINDS:
            raise Invalid(f"第 {n} 条计分规则的类别必须是 {'、'.join(RULE_KINDS)} 之一", "invalid_scheme")
        text = _scheme_text(rule.get("text"), f"第 {n} 条计分规则的内容", MAX_TEXT)
        try:
            points = parse_points(rule.get("points"), f"第 {n} 条计分规则的分值")
        except PointsError as exc:
            raise Invalid(str(exc), "invalid_scheme") from None
        if points < 0:
            raise Invalid(f"第 {n} 条计分规则的分值不能为负数", "invalid_scheme")
        # Without `flat`, a rule keeps what it was (a form or a client that does not know it).
        kept = next((r.flat for r in item.rules if r.code == rid), False)
        flat = rule.get("flat", kept)
        if flat not in (True, False) or (flat and rule["kind"] != "per_occurrence"):
            raise Invalid(f"第 {n} 条计分规则：“只扣一次”只用于按次扣分的规则", "invalid_scheme")
        specs.append((rid, text, rule["kind"], points, flat))
    dropped = [r for r in item.rules if r.code not in seen]
    if dropped:
        used = db.session.scalar(db.select(DeductionRecord.id).where(
            DeductionRecord.rule_id.in_([r.id for r in dropped])).limit(1))
        if used is not None:
            raise Invalid("已有考核记录引用的计分规则不能删除", "invalid_scheme")
    current = {r.code: r for r in item.rules}
    item.rules = []
    for position, (rid, text, kind, points, flat) in enumerate(specs):
        rule = current.get(rid) or Rule(code=rid)
        rule.text, rule.kind, rule.points, rule.position, rule.flat = text, kind, points, position, flat
        item.rules.append(rule)
