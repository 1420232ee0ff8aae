"""Recording deductions (考核记录): the responsible offices of an item record incidents against
a unit through the year; they may correct or withdraw them; every change is a history step."""
from datetime import date

from .. import access
from ..attachments import read_upload
from ..audit.service import record_step
from ..errors import BadRequest, Invalid
from ..extensions import db
from ..org.queries import resolve_unit
from ..scheme.queries import scheme_or_none
from ..uow import operation
from ..workflow import steps
from .models import DeductionRecord
from .queries import change_verdict, get_visible

MAX_COUNT = 1000


def _rule(year: int, code) -> tuple[object, object]:
    """The rule with this id in the year's scheme, and its item."""
    scheme = scheme_or_none(year)
    if scheme is None:
        raise Invalid(f"{year}年度的考核方案尚未导入", "unknown_year")
    for item in scheme.items:
        for rule in item.rules:
            if rule.code == code:
                return rule, item
    raise Invalid(f"{year}年度的考核方案中没有扣分规则“{code}”", "unknown_rule")


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise Invalid(f"次数（count）必须是 1 到 {MAX_COUNT} 的整数", "invalid_count")
    return value


def _day(value, year: int) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid("日期（date）必须是 YYYY-MM-DD", "invalid_date")
    if day.year != year:
        raise Invalid(f"日期必须在 {year} 年内", "invalid_date")
    return day


def _summary(record) -> str:
    return f"{record.unit.name} {record.rule.code} ×{record.count} {record.day.isoformat()}"


def _capacity(user) -> str:
    return "admin" if access.is_admin(user) and not access.acts_for_unit(user) else "responsible_office"


@operation
def create(user, payload: dict) -> DeductionRecord:
    """A manual record, by a member or head of an office responsible for the rule's item. A record
    against the office's own unit may be entered (it harms nobody else); only changing one is
    refused (`access.own_unit`)."""
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise BadRequest("缺少年度（year），或年度不是整数", "bad_year")
    rule, item = _rule(year, payload.get("rule"))
    access.require(access.can_record(user, item))
    unit = resolve_unit(payload.get("unit"))
    if unit is None:
        raise Invalid(f"没有名为“{payload.get('unit')}”的单位（可用代码、名称或简称）", "unknown_unit")
    record = DeductionRecord(
        year=year, unit=unit, rule=rule, count=_count(payload.get("count", 1)),
        day=_day(payload.get("date"), year), people=steps.clean_text(payload.get("people"), "涉及人员"),
        note=steps.clean_text(payload.get("note"), "说明"), source="manual", recorded_by_id=user.id,
    )
    db.session.add(record)
    db.session.flush()
    record_step("deduction", record, user, "responsible_office", "edit", field="record", new=_summary(record))
    db.session.commit()
    return record


def _writable(user, record_id: int, version) -> DeductionRecord:
    """404 unseen, 403 never theirs (or about their own unit), 409 stale, 422 withdrawn."""
    record = get_visible(user, record_id)
    access.require(change_verdict(user, record))
    steps.check_version(record, version)
    if record.withdrawn:
        raise Invalid("这条记录已撤销", "withdrawn")
    return record


@operation
def update(user, record_id: int, payload: dict) -> DeductionRecord:
    """Correct a record: rule (of an item the office answers for), count, date, people, note."""
    record = _writable(user, record_id, payload.get("version"))
    changes = {}
    if "rule" in payload:
        rule, item = _rule(record.year, payload["rule"])
        if not access.is_admin(user):
            access.require(access.can_record(user, item))
        changes["rule"] = rule
    if "count" in payload:
        changes["count"] = _count(payload["count"])
    if "date" in payload:
        changes["day"] = _day(payload["date"], record.year)
    for key, label in (("people", "涉及人员"), ("note", "说明")):
        if key in payload:
            changes[key] = steps.clean_text(payload[key], label)
    changed = False
    for attr, new in changes.items():
        old = getattr(record, attr)
        if old != new:
            setattr(record, attr, new)
            shown = (lambda v: v.code) if attr == "rule" else steps.fmt_value
            record_step("deduction", record, user, _capacity(user), "edit", field=attr,
                        old=shown(old), new=shown(new))
            changed = True
    if changed:
        steps.commit(record)
    return record


@operation
def withdraw(user, record_id: int, payload: dict) -> DeductionRecord:
    """Withdraw a record: it stays in the history but no longer costs points."""
    record = _writable(user, record_id, payload.get("version"))
    reason = steps.clean_text(payload.get("comment"), "撤销理由")
    if not reason:
        raise Invalid("撤销记录时必须填写理由", "comment_required")
    record.withdrawn = True
    record_step("deduction", record, user, _capacity(user), "edit", field="withdrawn", old="false",
                new="true", comment=reason)
    steps.commit(record)
    return record


@operation
def add_evidence(user, record_id: int, upload, version=None):
    """Attach an evidence file (PDF, PNG, JPEG by content) to a manual record."""
    if version is None:  # a multipart upload need not carry the version; it is checked if it does
        version = get_visible(user, record_id).version
    record = _writable(user, record_id, version)
    attachment = read_upload(upload, user, attached=record.evidence)
    record.evidence.append(attachment)
    record_step("deduction", record, user, _capacity(user), "edit", field="evidence", new=attachment.filename)
    steps.commit(record)
    return attachment
