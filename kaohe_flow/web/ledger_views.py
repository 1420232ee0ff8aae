"""Pages for deduction records (考核记录): the list, recording, correcting, withdrawing."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..attachments import single_file
from ..audit.service import steps_of
from ..errors import ServiceError
from ..ledger import appeals
from ..ledger import queries as ledger_queries
from ..ledger import service as ledger
from ..targets import queries as target_queries
from ..org.queries import resolve_unit, units_by_name
from ..timeutil import parse_int
from . import bp, paging
from .helpers import error_page, flash_refusal, form_version, refusals_as_pages
from ..pagecache import kept
from .views import _year

FIELDS = ("unit", "rule", "target", "count", "date", "people", "note")


def _record_page(year: int, unit_id: int | None) -> paging.Page:
    """The page of records `?page=` asks for, read from the database a page at a time (a count,
    then that page's records): a district's year has ten thousand. Clamped as `paging.paginate`
    clamps; the pager's links keep the year and the unit filter."""
    # Shown again after a refused record (a POST without the list's arguments), the pager still
    # leads to this year's (and this unit's) list.
    return paging.page_of(ledger_queries.count_visible(current_user, year, unit_id),
                          lambda offset, limit: ledger_queries.page_visible(current_user, year, unit_id, offset, limit),
                          "web.deduction_list", {"year": year, "unit": request.args.get("unit")})


def _render_list(year: int, typed: dict | None = None, status: int = 200):
    unit = resolve_unit(request.args.get("unit", "")) if request.args.get("unit") else None
    page = _record_page(year, unit.id if unit else None)
    units = sorted(set(units_by_name().values()), key=lambda u: u.position)
    items = ledger_queries.recordable_items(current_user, year)
    # Units with a target letter: a record under the target rule names the missed target (附件2).
    by_unit = target_queries.letters(year) if any(r.kind == "target" for i in items for r in i.rules) else {}
    letters = [(u, by_unit[u.id]) for u in units if u.id in by_unit]
    return render_template("deductions.html", year=year, records=page.items, page=page, items=items, units=units,
                           unit=unit, letters=letters, typed=typed or {}), status


@bp.get("/deductions")
@login_required
@kept
def deduction_list():
    return _render_list(_year())


def _payload(form) -> dict:
    payload = {k: form.get(k, "") for k in FIELDS}
    payload["count"] = parse_int(payload["count"]) or payload["count"]
    return payload


@bp.post("/deductions")
@login_required
def deduction_create():
    year = parse_int(request.form.get("year")) or _year()
    payload = {"year": year, **_payload(request.form)}
    try:
        record = ledger.create(current_user, payload)
    except ServiceError as exc:
        flash(exc.message, "error")
        return _render_list(year, {k: request.form.get(k, "") for k in FIELDS}, exc.status)
    flash(f"已记录：{record.unit.name} {record.rule.text}", "success")
    return redirect(url_for("web.deduction_list", year=year))


def _render_record(record_id: int, status: int = 200, typed: dict | None = None):
    record = ledger_queries.get_visible(current_user, record_id)
    item = ledger_queries.item_of_rule(record.year)[record.rule_id]
    verdict = ledger_queries.change_verdict(current_user, record)
    writable = verdict.allowed and not record.withdrawn
    items = ledger_queries.recordable_items(current_user, record.year)
    if writable and item not in items:
        items = [item]  # the admin corrects within the record's own item
    return render_template("deduction.html", r=record, item=item, writable=writable,
                           own_unit=verdict.code == "own_unit", items=items,
                           history=[_AppealStep(e) if e.action in _APPEAL_STEPS else e
                                    for e in steps_of("deduction", record.id)],
                           may_appeal=appeals.may_appeal(current_user, record),
                           may_decide=appeals.may_decide(current_user, record),
                           appeal_until=appeals.last_day(record), appeal_labels=appeals.STATE_LABELS,
                           decisions=appeals.DECISIONS, typed=typed or {}), status


_APPEAL_STEPS = ("appeal", "appeal_decided")


class _AppealStep:
    """An appeal's history step as the shared timeline shows a change: 申诉状态 old → new (the
    timeline names workflow actions and states, which a deduction record has not)."""

    action, field = "edit", "appeal"

    def __init__(self, entry):
        self._entry = entry

    def __getattr__(self, name):
        return getattr(self._entry, name)

    @property
    def old(self):
        return appeals.STATE_LABELS.get(self._entry.old, "无申诉")

    @property
    def new(self):
        return appeals.STATE_LABELS.get(self._entry.new, self._entry.new)


def _refused(record_id, exc: ServiceError, typed=None):
    flash_refusal(exc)
    try:
        return _render_record(record_id, exc.status, typed)
    except ServiceError as inner:
        return error_page(inner)


@bp.get("/deductions/<id:record_id>")
@login_required
@refusals_as_pages
def deduction_page(record_id):
    return _render_record(record_id)


@bp.post("/deductions/<id:record_id>/edit")
@login_required
def deduction_edit(record_id):
    payload = {k: v for k, v in _payload(request.form).items() if k in request.form and k != "unit"}
    try:
        ledger.update(current_user, record_id, {"version": form_version(), **payload})
    except ServiceError as exc:
        return _refused(record_id, exc, {k: request.form.get(k, "") for k in FIELDS})
    flash("记录已更正", "success")
    return redirect(url_for("web.deduction_page", record_id=record_id))


@bp.post("/deductions/<id:record_id>/withdraw")
@login_required
def deduction_withdraw(record_id):
    try:
        ledger.withdraw(current_user, record_id, {"version": form_version(), "comment": request.form.get("comment")})
    except ServiceError as exc:
        return _refused(record_id, exc, {"comment": request.form.get("comment", "")})
    flash("记录已撤销", "success")
    return redirect(url_for("web.deduction_page", record_id=record_id))


@bp.post("/deductions/<id:record_id>/appeal")
@login_required
def deduction_appeal(record_id):
    try:
        appeals.appeal(current_user, record_id, {"version": form_version(), "reason": request.form.get("reason")})
    except ServiceError as exc:
        return _refused(record_id, exc, {"reason": request.form.get("reason", "")})
    flash("申诉已提出，等待考核责任科室处理", "success")
    return redirect(url_for("web.deduction_page", record_id=record_id))


@bp.post("/deductions/<id:record_id>/appeal/decide")
@login_required
def deduction_appeal_decide(record_id):
    payload = {"version": form_version(), "decision": request.form.get("decision", ""),
               "answer": request.form.get("answer")}
    try:
        record = appeals.decide(current_user, record_id, payload)
    except ServiceError as exc:
        return _refused(record_id, exc, {"decision": payload["decision"], "answer": request.form.get("answer", "")})
    flash("申诉成立，记录已撤销" if record.appeal.state == "upheld" else "申诉已驳回", "success")
    return redirect(url_for("web.deduction_page", record_id=record_id))


@bp.post("/deductions/<id:record_id>/evidence")
@login_required
def deduction_evidence(record_id):
    try:
        ledger.add_evidence(current_user, record_id, single_file(request.files), form_version())
    except ServiceError as exc:
        return _refused(record_id, exc)
    flash("证据已上传", "success")
    return redirect(url_for("web.deduction_page", record_id=record_id))
