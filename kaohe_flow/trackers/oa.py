"""附件5: OA sign-in timeliness. Documents and sign-ins are entered, imported or pushed by the
OA system; each recipient is judged on the working-time clock (3 working hours for a meeting
notice, 8 for others and tests; 48 hours → "no client", all of them settings of the year), and the
late and no-client cases become deduction records under 信息管理 (source `oa`), kept in step with the entries."""
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import access
from ..audit.models import HistoryEntry
from ..audit.service import record_step, steps_of
from ..errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..ledger.sync import Derived, lock_derived, replace_derived
from ..org.models import Unit, User
from ..points import fmt_points
from ..scheme.queries import scheme_or_none
from ..scheme.settings import settings_for
from ..timeutil import LOCAL_TZ, as_utc, local_display, local_iso, utcnow
from ..uow import operation
from ..workflow import steps
from .calendar_models import build_calendar
from . import oa_people
from .oa_models import KIND_LABELS, KINDS, OaDocument, OaRecipient, StaffMember
from .workcal import CalendarUnknown

OA_RULE = "info_mgmt-3"  # 附件2 item 3: 流程不及时回复…有一例扣0.5分 (附件5)
OA_ITEM = "info_mgmt"
SOURCE = "oa"
HISTORY_KIND = "oa_document"
MAX_RECIPIENTS = 2000


def parse_time(value, label: str) -> datetime:
    """An ISO 8601 time; without an offset it is the bureau's local time (CONTRACT.md)."""
    problem = Invalid(f"{label}格式不对，应为“年-月-日 时:分”，如 2018-03-05 09:30", "invalid_time")
    if not isinstance(value, str) or len(value) > 40 or "\x00" in value:
        raise problem
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_TZ)
        moment = moment.astimezone(LOCAL_TZ)
    except (ValueError, OverflowError):
        raise problem from None
    if not 1900 <= moment.year <= 9998:
        raise problem
    return moment


def _item(year: int):
    scheme = scheme_or_none(year)
    return scheme.item(OA_ITEM) if scheme else None


def check_entry(user, year: int) -> None:
    """403 for someone who never enters OA data; 422 for a year without a scheme; 403 when
    the office is not responsible for 信息管理 in that year."""
    from flask import current_app

    if not may_enter(user, current_app.config["CURRENT_YEAR"]) and not may_enter(user, year):
        access.require(access.can_enter_oa(user, _item(year)))
    if scheme_or_none(year) is None:
        raise Invalid(f"{year}年度的考核方案尚未导入", "unknown_year")
    access.require(access.can_enter_oa(user, _item(year)))


def may_enter(user, year: int) -> bool:
    """Members and heads of an office responsible for 信息管理 (the scheme data names them) enter OA data."""
    return access.can_enter_oa(user, _item(year)).allowed


def may_read_documents(user, year: int | None = None) -> bool:
    from flask import current_app

    return access.can_read_oa_documents(user, _item(year or current_app.config["CURRENT_YEAR"]))


def _document_fields(payload: dict, existing: frozenset = frozenset()) -> dict:
    title = steps.clean_text(payload.get("title"), "文件标题", limit=500)
    if not title:
        raise Invalid("请填写文件标题", "title_required")
    kind = payload.get("kind")
    if kind not in KINDS:
        raise Invalid("文件类型必须是会议通知、其他文件或测试文件", "invalid_kind")
    sent_at = parse_time(payload.get("sent_at"), "发送时间")
    recipients = payload.get("recipients")
    if not isinstance(recipients, list) or not recipients or len(recipients) > MAX_RECIPIENTS:
        raise Invalid("请至少填写一位接收人", "recipients_required")
    seen = {}
    for key, entry in oa_people.resolve(recipients, keep=existing):
        who = oa_people.label(key)
        signed = entry.get("signed_at")
        signed_at = parse_time(signed, f"{who} 的签收时间") if signed not in (None, "") else None
        if signed_at is not None and signed_at < sent_at:
            raise Invalid(f"{who} 的签收时间早于发送时间", "invalid_time")
        seen[key] = signed_at
    stored = [ref for kind, ref in seen if kind != "staff"]
    if len(stored) != len(set(stored)):  # an account and an outsider of the same name
        twice = next(name for name in stored if stored.count(name) > 1)
        raise Invalid(f"接收人“{twice}”出现了两次（一次为账号，一次为外部人员）", "invalid_recipient")
    oa_id = payload.get("oa_id")
    if oa_id is not None and (not isinstance(oa_id, (str, int)) or isinstance(oa_id, bool)
                              or len(str(oa_id)) > 100 or "\x00" in str(oa_id)):
        raise Invalid("oa_id 必须是不超过 100 字的文字或数字", "invalid_oa_id")
    return {"title": title, "kind": kind, "sent_at": sent_at, "recipients": seen,
            "oa_id": str(oa_id) if oa_id is not None else None}


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc) if moment is not None else None


def _apply(document: OaDocument, fields: dict) -> None:
    # Stored in UTC (SQLite keeps no offset); the year is the bureau's local year.
    document.title, document.kind = fields["title"], fields["kind"]
    document.sent_at, document.year = _utc(fields["sent_at"]), fields["sent_at"].astimezone(LOCAL_TZ).year
    current = {r.key: r for r in document.recipients}
    document.recipients = []
    for key, signed_at in fields["recipients"].items():
        recipient = current.get(key) or _new_recipient(key)
        recipient.signed_at = _utc(signed_at)
        document.recipients.append(recipient)


def _new_recipient(key: tuple) -> OaRecipient:
    kind, ref = key
    if kind == "staff":
        return OaRecipient(staff_id=ref)
    return OaRecipient(username=ref, external=kind == "external")


# ------------------------------------------------------------------------------ own unit, history


def _units_of(keys) -> dict[tuple, int | None]:
    """recipient key → the unit it charges (outsiders and bureau-level accounts: none)."""
    return oa_people.unit_ids(keys)


def _check_own_unit(user, document: OaDocument | None, fields: dict) -> None:
    """The own-unit rule for sign-ins (CONTRACT.md): an office may add its own staff to a
    document unsigned, but never sets, changes or removes their sign-in times, never changes
    the kind or sending time they are judged by, on a document already entered. A new
    document is an entry, not a correction. 403 `own_unit`; the admin corrects instead."""
    if document is None or user.unit_id is None:
        return
    before = {r.key: as_utc(r.signed_at) for r in document.recipients}
    after = {name: _utc(signed) for name, signed in fields["recipients"].items()}
    units = _units_of(set(before) | set(after))
    own = {name for name, unit_id in units.items() if unit_id == user.unit_id}
    if not own:
        return
    moved = fields["kind"] != document.kind or _utc(fields["sent_at"]) != as_utc(document.sent_at)
    for name in own:
        if name not in before:
            changed = after.get(name) is not None
        else:
            changed = name not in after or after[name] != before[name] or moved
        if changed:
            access.require(access.own_unit(user, [user.unit_id]))


def _shown_time(moment) -> str:
    return local_display(moment) if moment is not None else "未签收"


def _snapshot(document: OaDocument) -> dict:
    """What a history step compares: the fields and every recipient's sign-in."""
    return {"title": document.title, "kind": KIND_LABELS.get(document.kind, document.kind),
            "sent_at": local_display(document.sent_at), "oa_id": document.oa_id or "",
            "recipients": {r.label: _shown_time(as_utc(r.signed_at)) for r in document.recipients}}


def _summary(snapshot: dict) -> str:
    people = "、".join(f"{name} {time}" for name, time in snapshot["recipients"].items())
    oa_id = f"（OA编号 {snapshot['oa_id']}）" if snapshot["oa_id"] else ""
    return f"《{snapshot['title']}》{oa_id} {snapshot['kind']} {snapshot['sent_at']} 发送；接收人：{people}"


def _capacity(user) -> str:
    return "admin" if access.is_admin(user) and not access.acts_for_unit(user) else "responsible_office"


def _record_changes(user, document: OaDocument, before: dict | None, comment: str = "") -> None:
    """History steps for an entry (one step) or a correction (one step per changed field and per
    changed recipient, old and new)."""
    after = _snapshot(document)
    capacity = _capacity(user)
    if before is None:
        record_step(HISTORY_KIND, document, user, capacity, "edit", field="document", new=_summary(after),
                    comment=comment)
        return
    for key in ("title", "kind", "sent_at", "oa_id"):
        if before[key] != after[key]:
            record_step(HISTORY_KIND, document, user, capacity, "edit", field=key, old=before[key] or None,
                        new=after[key] or None, comment=comment)
    for name in list(before["recipients"]) + [n for n in after["recipients"] if n not in before["recipients"]]:
        old, new = before["recipients"].get(name), after["recipients"].get(name)
        if old != new:
            record_step(HISTORY_KIND, document, user, capacity, "edit", field="recipient",
                        old=f"{name} {old}" if old else None, new=f"{name} {new}" if new else None,
                        comment=comment)


# ------------------------------------------------------------------------------ writes


@operation
def save_document(user, payload: dict) -> tuple[OaDocument, bool]:
    """Enter a document, or — same `oa_id` — update it (the OA system pushes sign-ins later).
    Answers (document, created)."""
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    fields = _document_fields(payload)
    check_entry(user, fields["sent_at"].year)
    existing = _find(fields)
    if existing is not None:  # entered twice, it would count twice (issue 10, 5)
        how = f"OA编号 {fields['oa_id']}" if fields["oa_id"] and existing.oa_id == fields["oa_id"] else "标题、类型和发送时间"
        raise Conflict(f"这份文件已经录入过（{how}相同：《{existing.title}》，编号 {existing.id}）；"
                       f"如需更正签收情况，请修改已录入的文件", "duplicate_document", extra={"document": existing.id})
    document = OaDocument(oa_id=fields["oa_id"], created_by_id=user.id)
    db.session.add(document)
    _apply(document, fields)
    try:
        db.session.flush()
    except IntegrityError:  # the same OA编号 pushed twice at once
        raise Conflict(f"这份文件已经录入过（OA编号 {fields['oa_id']} 相同）", "duplicate_document") from None
    _record_changes(user, document, None)
    _sync_years({document.year}, user)
    db.session.commit()
    return document, True


def get_document(user, document_id: int) -> OaDocument:
    """A document the user may read, or 404."""
    document = db.session.get(OaDocument, document_id)
    if document is None or not may_read_documents(user, document.year):
        raise NotFound("没有找到这份 OA 文件")
    return document


@operation
def update_document(user, document_id: int, payload: dict) -> OaDocument:
    """Correct a document (any field; recipients replace the list). Every change is a step."""
    document = get_document(user, document_id)
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    access.require(access.can_change_oa(user, _item(document.year)))
    fields = _document_fields({**document_payload(document), **payload},
                              existing=frozenset(r.key for r in document.recipients))
    _check_own_unit(user, document, fields)
    before = _snapshot(document)
    old_year = document.year
    _apply(document, fields)
    db.session.flush()
    _record_changes(user, document, before)
    _sync_years({document.year, old_year}, user)
    db.session.commit()
    return document


@operation
def delete_document(user, document_id: int) -> None:
    """Delete a document: its cases go (withdrawn, in their history); the deletion is a step."""
    document = get_document(user, document_id)
    access.require(access.can_change_oa(user, _item(document.year)))
    own = [u for u in _units_of(r.key for r in document.recipients).values() if u is not None]
    access.require(access.own_unit(user, own))
    year = document.year
    record_step(HISTORY_KIND, document, user, _capacity(user), "edit", field="document",
                old=_summary(_snapshot(document)), new=None, comment="删除")
    db.session.delete(document)
    db.session.flush()
    _sync_years({year}, user)
    db.session.commit()


def _sync_years(years, user) -> None:
    for year in sorted(years):
        sync(year, user)


def history(document_id: int) -> list:
    return steps_of(HISTORY_KIND, document_id)


def recent_history(limit: int = 30) -> list:
    """The latest OA document and calendar steps, newest first (the report page's trace)."""
    query = (db.select(HistoryEntry).where(HistoryEntry.record_kind.in_((HISTORY_KIND, "calendar")))
             .order_by(HistoryEntry.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def document_payload(document: OaDocument) -> dict:
    return {"title": document.title, "kind": document.kind, "sent_at": as_utc(document.sent_at).isoformat(),
            "oa_id": document.oa_id,
            "recipients": [{**recipient_ref(r), "signed_at": as_utc(r.signed_at).isoformat() if r.signed_at else None}
                           for r in document.recipients]}


def recipient_ref(recipient: OaRecipient) -> dict:
    """A recipient as the API names it: `username`, or the staff member (`staff_id`, `name`,
    `unit`), or an outsider (`username` with `external`)."""
    if recipient.staff is not None:
        return {"staff_id": recipient.staff_id, "name": recipient.staff.name, "unit": recipient.staff.unit.code}
    return {"username": recipient.username, **({"external": True} if recipient.external else {})}


@dataclass(slots=True)
class Judged:
    """One recipient of one document, judged. Plain values read in one query, not ORM objects:
    a district's year has 50,000 recipients and hydrating each (with its document, staff member,
    account and unit) cost seconds per report (issue 11)."""

    document_id: int
    title: str
    kind: str
    sent_at: datetime  # UTC
    recipient_id: int
    username: str | None
    staff_id: int | None
    external: bool
    signed_at: datetime | None  # UTC
    excused_reason: str | None
    unit: Unit | None  # the unit charged: the account's, the staff member's; none for outsiders
    person: str
    status: str
    working_minutes: int
    limit_minutes: int


def _recipient_rows(year: int):
    """The year's recipients with what judging and the report need, by sending time: the
    recipients' own columns in one query, their documents, accounts and staff members in one
    each (a district's year: 50,000 recipients of 1,100 documents; joining the rest per row
    cost as much again as judging them). An account is matched only for a recipient who is not
    an outsider (an outsider may share a name with an account and still charges nobody)."""
    documents = {row.id: row for row in db.session.execute(
        sa.select(OaDocument.id, OaDocument.title, OaDocument.kind, OaDocument.sent_at).filter_by(year=year))}
    of_year = sa.select(OaDocument.id).filter_by(year=year)
    recipients = (sa.select(OaRecipient.document_id, OaRecipient.id, OaRecipient.username, OaRecipient.staff_id,
                            OaRecipient.external, OaRecipient.signed_at, OaRecipient.excused_reason)
                  .join(OaDocument, OaDocument.id == OaRecipient.document_id).where(OaDocument.year == year)
                  .order_by(OaDocument.sent_at, OaDocument.id, OaRecipient.id))
    named = (sa.select(OaRecipient.username).where(OaRecipient.document_id.in_(of_year), OaRecipient.external.is_(False)))
    accounts = {name: (person, unit_id) for name, person, unit_id in db.session.execute(
        sa.select(User.username, User.name, User.unit_id).where(User.username.in_(named)))}
    listed = sa.select(OaRecipient.staff_id).where(OaRecipient.document_id.in_(of_year))
    staff = {sid: (person, unit_id) for sid, person, unit_id in db.session.execute(
        sa.select(StaffMember.id, StaffMember.name, StaffMember.unit_id).where(StaffMember.id.in_(listed)))}
    return documents, db.session.execute(recipients), accounts, staff


def judge_year(year: int, now: datetime | None = None) -> list[Judged]:
    """Every recipient of the year's documents, judged on the working-time clock."""
    calendar = build_calendar(year)
    now = now or utcnow()
    units = {u.id: u for u in db.session.scalars(db.select(Unit))}  # once, not one lookup per row
    documents, recipients, accounts, staff = _recipient_rows(year)
    sent_utc = {d.id: as_utc(d.sent_at) for d in documents.values()}
    out = []
    for document_id, recipient_id, username, staff_id, external, signed_at, reason in recipients:
        document, sent, signed = documents[document_id], sent_utc[document_id], as_utc(signed_at)
        status, minutes, limit = calendar.judge(document.kind, sent, signed, now)
        if reason and status in ("late", "no_client"):
            status = "excused"  # 附件2 charges only 无故 and 影响工作 cases; the office said why
        if staff_id is not None and staff_id in staff:
            person, unit_id = staff[staff_id]
        else:
            person, unit_id = (None, None) if external else accounts.get(username, (None, None))
            person = person if person is not None else username
        out.append(Judged(document_id, document.title, document.kind, sent, recipient_id, username, staff_id,
                          bool(external), signed, reason, units.get(unit_id), person, status, minutes, limit))
    return out


def sync(year: int, user=None, now: datetime | None = None) -> dict:
    """Make the year's `oa` deduction records exactly the late and no-client cases (in the
    caller's transaction; writes and `flask trackers-sync` call it, never a read)."""
    if scheme_or_none(year) is None:
        return {}
    lock_derived(SOURCE, year)
    try:
        judged = judge_year(year, now)
    except CalendarUnknown as exc:
        raise Invalid(str(exc), "calendar_unknown") from None
    cases = []
    settings = settings_for(year)
    factor = settings.oa_no_client_factor  # 附件5: 未安装客户端的，双倍扣分
    for j in judged:
        if j.status not in ("late", "no_client") or j.unit is None:
            continue  # recipients who belong to no unit are listed but charge no unit (DOMAIN.md)
        count = factor if j.status == "no_client" else 1
        if j.status == "no_client":
            basis = "按工作日计" if settings.oa_no_client_basis == "working" else "按自然时间计"
            detail = (f"{settings.oa_no_client_hours}小时（{basis}）内未签收，视为未安装客户端，"
                      f"按{factor}倍扣分")
        else:
            detail = f"签收超时：用时 {j.working_minutes} 工作分钟，时限 {j.limit_minutes}"
        note = f"《{j.title}》（{KIND_LABELS[j.kind]}）{detail}"
        cases.append(Derived(key=f"oa:{j.recipient_id}", unit_id=j.unit.id, rule=OA_RULE, count=count,
                             day=j.sent_at.astimezone(LOCAL_TZ).date(), note=note,
                             people=j.person))
    return replace_derived(SOURCE, year, cases, user)


def report(year: int, now: datetime | None = None) -> dict:
    """The year's OA report: every recipient with its status, and the points per unit, judged
    now. It stores nothing: a document left unsigned past 48 working hours shows as no_client
    here at once; its deduction record follows at the next write or `flask trackers-sync`."""
    try:
        judged = judge_year(year, now)
    except CalendarUnknown as exc:
        raise Invalid(str(exc), "calendar_unknown") from None
    units: dict[int, dict] = {}
    for j in judged:
        if j.unit is None:
            continue
        row = units.setdefault(j.unit.id, {"unit": j.unit, "late": 0, "no_client": 0, "excused": 0})
        if j.status in ("late", "no_client", "excused"):
            row[j.status] += 1
    points_each = _rule_points(year)
    factor = settings_for(year).oa_no_client_factor
    for row in units.values():
        row["points"] = points_each * (row["late"] + factor * row["no_client"])
    return {"recipients": judged, "units": sorted(units.values(), key=lambda r: r["unit"].position)}


def _reader(user, year: int):
    """Whether `user` reads a unit's rows: those who read every unit read all of them (and the
    outsiders' rows), a unit only its own."""
    if access.reads_every_unit(user, _item(year)):
        return lambda unit: True
    return lambda unit: unit is not None and unit.id == user.unit_id


# A document's sending time, shown once per document rather than once per recipient (a
# district's year: 1,100 documents, 50,000 recipients).
_sent_iso = lru_cache(maxsize=4096)(local_iso)


def recipient_json(j: Judged) -> dict:
    """One recipient's row as the API answers it (the page shows the same)."""
    return {"document": j.document_id, "title": j.title, "kind": j.kind,
            "recipient": j.recipient_id, "username": j.username if j.staff_id is None else None,
            "name": j.person, "external": j.external,
            "unit": j.unit.code if j.unit else None,
            "sent_at": _sent_iso(j.sent_at), "signed_at": local_iso(j.signed_at),
            "working_minutes": j.working_minutes, "limit_minutes": j.limit_minutes, "status": j.status,
            "excused_reason": j.excused_reason}


def _unit_lines(found: dict, mine) -> list[dict]:
    return [{"unit": row["unit"].code, "late": row["late"], "no_client": row["no_client"],
             "excused": row["excused"], "points": fmt_points(row["points"])}
            for row in found["units"] if mine(row["unit"])]


def report_view(user, year: int, now: datetime | None = None) -> dict:
    """The report as `user` reads it (the API's shape; the page shows the same): those who read
    every unit get every row, a unit its own recipients and its own line."""
    found = report(year, now)
    mine = _reader(user, year)
    return {"year": year, "recipients": [recipient_json(j) for j in found["recipients"] if mine(j.unit)],
            "units": _unit_lines(found, mine)}


# The page's filters of the recipient list (`?status=`): "problems" are the cases charged.
STATUS_FILTERS = {"problems": ("late", "no_client"), "late": ("late",), "no_client": ("no_client",),
                  "pending": ("pending",), "excused": ("excused",), "on_time": ("on_time",)}


def report_for_page(user, year: int, status: str | None = None, unit_id: int | None = None,
                    now: datetime | None = None) -> dict:
    """The report as the page shows it: every unit line `user` reads, whole, and the recipients
    `user` reads that match the filters (`status`, a key of STATUS_FILTERS; `unit_id`), in the
    report's order and still as `Judged` rows: the page cuts out the hundred it shows and turns
    only those into `recipient_json` (a district's year has 50,000)."""
    found = report(year, now)
    mine = _reader(user, year)
    wanted = STATUS_FILTERS.get(status)
    rows = [j for j in found["recipients"] if mine(j.unit)
            and (wanted is None or j.status in wanted)
            and (unit_id is None or (j.unit is not None and j.unit.id == unit_id))]
    return {"year": year, "recipients": rows, "units": _unit_lines(found, mine)}


def list_documents(user, year: int | None) -> list[OaDocument]:
    """The documents of a year (every year without one): 403 for those who read only their own
    unit's rows of the report."""
    if not may_read_documents(user):  # judged on the current year: any year asked, one answer
        raise Forbidden("OA 文件清单仅供考核科室和局领导查看；本科室的情况见 OA 签收报表")
    query = db.select(OaDocument).order_by(OaDocument.sent_at, OaDocument.id)
    if year is not None:
        query = query.filter(OaDocument.year == year)
    return list(db.session.scalars(query))


def rule_points(year: int) -> Decimal:
    """The points of one late case (the scheme's OA rule)."""
    return _rule_points(year)


def _rule_points(year: int) -> Decimal:
    scheme = scheme_or_none(year)
    for item in scheme.items if scheme else []:
        for rule in item.rules:
            if rule.code == OA_RULE:
                return rule.points
    return Decimal("0")


IMPORT_COLUMNS = {
    "oa_id": ["OA编号", "文件编号", "oa_id"],
    "title": ["文件标题", "标题", "title"],
    "kind": ["类型", "文件类型", "kind"],
    "sent_at": ["发送时间", "sent_at"],
    "username": ["接收人", "接收人账号", "用户名", "username"],
    "signed_at": ["签收时间", "signed_at"],
}
KIND_NAMES = {"会议通知": "meeting", "会议": "meeting", "其他": "other", "其他文件": "other", "测试": "test",
              "测试文件": "test", **{k: k for k in KINDS}}


def _cell_time(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


@operation
def import_documents(user, upload) -> dict:
    """Import sign-ins from .xlsx/.csv, one row per recipient; every row is checked first and a
    file with any bad row imports nothing. Re-importing updates, never duplicates."""
    from flask import current_app

    from .imports import RowErrors, read_table

    if not may_enter(user, current_app.config["CURRENT_YEAR"]):
        raise Forbidden("只有负责“信息管理”考核的科室可以导入 OA 文件")  # before reading the file
    rows = read_table(upload, IMPORT_COLUMNS, required=["title", "kind", "sent_at", "username"])
    documents: dict[tuple, dict] = {}
    errors = []
    for row in rows:
        kind = KIND_NAMES.get(str(row["kind"] or "").strip())
        try:
            if kind is None:
                raise Invalid(f"文件类型“{row['kind']}”无法识别（会议通知、其他、测试）", "invalid_kind")
            payload = {"title": str(row["title"] or ""), "kind": kind, "sent_at": _cell_time(row["sent_at"]),
                       "oa_id": str(row["oa_id"]) if row["oa_id"] not in (None, "") else None,
                       "recipients": [{"username": str(row["username"] or ""),
                                       "signed_at": _cell_time(row["signed_at"])}]}
            fields = _document_fields(payload)
        except Invalid as exc:
            errors.append({"row": row["_row"], "message": exc.message})
            continue
        key = (fields["oa_id"],) if fields["oa_id"] else (fields["title"], kind, fields["sent_at"])
        entry = documents.setdefault(key, {**fields, "recipients": {}})
        if (entry["title"], entry["kind"], entry["sent_at"]) != (fields["title"], kind, fields["sent_at"]):
            errors.append({"row": row["_row"], "message": f"OA编号 {fields['oa_id']} 在前面的行中是另一份文件"
                                                          "（标题、类型或发送时间不同）"})
            continue
        entry["recipients"].update(fields["recipients"])
    if errors:
        raise RowErrors(errors)
    years = {f["sent_at"].year for f in documents.values()}
    for year in sorted(years):
        check_entry(user, year)
    created = updated = 0
    changed_years = set(years)
    for fields in documents.values():
        document = _find(fields)
        before = None
        if document is None:
            document = OaDocument(oa_id=fields["oa_id"], created_by_id=user.id)
            db.session.add(document)
            created += 1
        else:
            updated += 1
            merged = {r.key: as_utc(r.signed_at) for r in document.recipients}
            merged.update(fields["recipients"])
            fields = {**fields, "recipients": merged}
            _check_own_unit(user, document, fields)
            before = _snapshot(document)
            changed_years.add(document.year)
        _apply(document, fields)
        db.session.flush()
        if before is None or _snapshot(document) != before:
            _record_changes(user, document, before, comment="导入")
    _sync_years(changed_years, user)
    db.session.commit()
    return {"created": created, "updated": updated, "rows": len(rows)}


def _find(fields: dict) -> OaDocument | None:
    """The document already entered as this one: the same OA编号, or the same title, kind and
    sending time."""
    if fields["oa_id"]:
        found = db.session.scalar(db.select(OaDocument).filter_by(oa_id=fields["oa_id"]))
        if found is not None:
            return found
    candidates = db.session.scalars(db.select(OaDocument).filter_by(title=fields["title"], kind=fields["kind"]))
    return next((d for d in candidates if as_utc(d.sent_at) == _utc(fields["sent_at"])), None)
