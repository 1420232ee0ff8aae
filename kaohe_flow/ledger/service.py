"""Recording deductions (考核记录): the responsible offices of an item record incidents against
a unit through the year; they may correct or withdraw them; every change is a history step."""
from datetime import date

from .. import access
from ..attachments import read_upload
from ..audit.service import record_step
from ..errors import BadRequest, Invalid
from ..extensions import db
from ..org.queries import resolve_unit
from ..scheme.queries import scheme_rows
from ..targets import queries as target_queries
from ..uow import operation
from ..workflow import steps
from .models import DeductionRecord
from .queries import change_verdict, get_visible

MAX_COUNT = 1000


def _rule(year: int, code) -> tuple[object, object]:
    """The rule with this id in the year's scheme, and its item (rows: a record hangs on its rule)."""
    scheme = scheme_rows(year)
    if scheme is None:
        raise Invalid(f"{year}年度的考核方案尚未导入", "unknown_year")
    for item in scheme.items:
        for rule in item.rules:
            if rule.code == code:
                return rule, item
    raise Invalid(f"{year}年度的考核方案中没有扣分规则“{code}”", "unknown_rule")


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
        raise Invalid(f"次数必须是 1 到 {MAX_COUNT} 的整数", "invalid_count")
    return value


def _flat_once(rule, count: int) -> None:
    """A flat rule (无科室学习笔记扣2分) is taken once: no count above 1 (issue 10, 7)."""
    if rule.flat and count != 1:
        raise Invalid(f"“{rule.text}”只扣一次，不按次数计；次数只能是 1", "flat_rule")


def _day(value, year: int) -> date:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid("日期格式不对，应为“年-月-日”，如 2018-05-08", "invalid_date")
    if day.year != year:
        raise Invalid(f"日期必须在 {year} 年内", "invalid_date")
    return day


def _target(year: int, unit, rule, code):
    """附件2 逐项赋分: a record under the `target` rule about a unit with a target letter names the
    target it missed (that target, not the whole item, then suggests 0). Without a letter the
    record stands for the whole item, as before letters existed."""
    letter = target_queries.letter(year, unit.id)
    if rule.kind != "target" or not letter:
        if code not in (None, ""):
            raise Invalid("只有“年度目标任务”规则下、且该单位已有目标责任书时才能指明目标", "target_not_applicable")
        return None
    if code in (None, ""):
        raise Invalid(f"{unit.name}已有目标责任书：请指明未完成的是哪一项目标", "target_required")
    found = next((t for t in letter if t.code == code), None)
    if found is None:
        raise Invalid(f"{unit.name}的目标责任书中没有目标“{code}”", "unknown_target")
    return found


def _summary(record) -> str:
    """The record as its history says it, in words people read (the rule's text, not its id)."""
    target = f"（目标：{record.target.title}）" if record.target else ""
    return f"{record.unit.name} {record.rule.text}{target} ×{record.count} {record.day.isoformat()}"


def _capacity(user) -> str:
    return "admin" if access.is_admin(user) and not access.acts_for_unit(user) else "responsible_office"


@operation
def create(user, payload: dict) -> DeductionRecord:
    """A manual record, by a member or head of an office responsible for the rule's item. A record
    against the office's own unit may be entered (it harms nobody else); only changing one is
    refused (`access.own_unit`)."""
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise BadRequest("请给出年度（四位数字）", "bad_year")
    rule, item = _rule(year, payload.get("rule"))
    access.require(access.can_record(user, item))
    unit = resolve_unit(payload.get("unit"))
    if unit is None:
        raise Invalid(f"没有名为“{payload.get('unit')}”的单位（可用代码、名称或简称）", "unknown_unit")
    target = _target(year, unit, rule, payload.get("target"))
    _flat_once(rule, _count(payload.get("count", 1)))
    record = DeductionRecord(
        year=year, unit=unit, rule=rule, target=target, count=_count(payload.get("count", 1)),
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
    if "rule" in changes or "target" in payload:
        rule = changes.get("rule", record.rule)
        kept = record.target.code if record.target and rule.kind == "target" else None
        changes["target"] = _target(record.year, record.unit, rule, payload.get("target", kept))
    if "count" in payload:
        changes["count"] = _count(payload["count"])
    if "rule" in changes or "count" in changes:  # an old record's note or date stays correctable
        _flat_once(changes.get("rule", record.rule), changes.get("count", record.count))
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
            shown = ((lambda v: v.text if v else None) if attr == "rule" else
                     (lambda v: f"{v.code} {v.title}" if v else None) if attr == "target" else steps.fmt_value)
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
    mark_withdrawn(user, record, reason)
    steps.commit(record)
    return record


def mark_withdrawn(user, record: DeductionRecord, reason: str) -> None:
    """The withdrawal itself and its history step, in the caller's unit of work (an upheld
    appeal withdraws through here too, so both read the same in the history)."""
    record.withdrawn = True
    record_step("deduction", record, user, _capacity(user), "edit", field="withdrawn", old="false",
                new="true", comment=reason)


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
