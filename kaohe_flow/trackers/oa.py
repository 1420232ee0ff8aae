"""附件5: OA sign-in timeliness. Documents and sign-ins are entered, imported or pushed by the
OA system; each recipient is judged on the working-time clock (3 working hours for a meeting
notice, 8 for others and tests; 48 hours → "no client"), and the late and no-client cases
become deduction records under 信息管理 (source `oa`), kept in step with the entries."""
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from ..errors import BadRequest, Forbidden, Invalid, NotFound
from ..extensions import db
from ..ledger.sync import Derived, replace_derived
from ..org.models import User
from ..scheme.queries import scheme_or_none
from ..timeutil import LOCAL_TZ, as_utc, utcnow
from ..workflow import steps
from .calendar_models import build_calendar
from .oa_models import KIND_LABELS, KINDS, OaDocument, OaRecipient
from .workcal import CalendarUnknown

OA_RULE = "info_mgmt-3"  # 附件2 item 3: 流程不及时回复…有一例扣0.5分 (附件5)
NO_CLIENT_FACTOR = 2  # 附件5: 未安装客户端的，双倍扣分
OA_ITEM = "info_mgmt"
MAX_RECIPIENTS = 2000


def parse_time(value, label: str) -> datetime:
    """An ISO 8601 time; without an offset it is the bureau's local time (CONTRACT.md)."""
    problem = Invalid(f"{label}必须是 ISO 8601 时间，如 2018-03-05T09:30:00+08:00", "invalid_time")
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


def check_entry(user, year: int) -> None:
    """403 for someone who never enters OA data; 422 for a year without a scheme; 403 when
    the office is not responsible for 信息管理 in that year."""
    from flask import current_app

    if not may_enter(user, current_app.config["CURRENT_YEAR"]) and not may_enter(user, year):
        raise Forbidden("只有负责“信息管理”考核的科室可以录入 OA 文件")
    if scheme_or_none(year) is None:
        raise Invalid(f"{year}年度的考核方案尚未导入", "unknown_year")
    if not may_enter(user, year):
        raise Forbidden("只有负责“信息管理”考核的科室可以录入 OA 文件")


def may_enter(user, year: int) -> bool:
    """Members and heads of an office responsible for 信息管理 (办公室 in 2018) enter OA data."""
    scheme = scheme_or_none(year)
    item = scheme.item(OA_ITEM) if scheme else None
    return bool(item) and user.unit_id is not None and (user.has_role("member") or user.has_role("head")) \
        and user.unit_id in {u.id for u in item.responsible}


def _document_fields(payload: dict) -> dict:
    title = steps.clean_text(payload.get("title"), "文件标题", limit=500)
    if not title:
        raise Invalid("请填写文件标题（title）", "title_required")
    kind = payload.get("kind")
    if kind not in KINDS:
        raise Invalid(f"文件类型（kind）必须是 {', '.join(KINDS)}", "invalid_kind")
    sent_at = parse_time(payload.get("sent_at"), "发送时间（sent_at）")
    recipients = payload.get("recipients")
    if not isinstance(recipients, list) or not recipients or len(recipients) > MAX_RECIPIENTS:
        raise Invalid("接收人（recipients）必须是非空列表", "recipients_required")
    seen = {}
    for n, entry in enumerate(recipients, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("username"), str) or not entry["username"].strip():
            raise Invalid(f"第 {n} 个接收人缺少用户名（username）", "invalid_recipient")
        username = steps.clean_text(entry["username"], "用户名", limit=64)
        signed = entry.get("signed_at")
        signed_at = parse_time(signed, f"{username} 的签收时间") if signed not in (None, "") else None
        if signed_at is not None and signed_at < sent_at:
            raise Invalid(f"{username} 的签收时间早于发送时间", "invalid_time")
        seen[username] = signed_at
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
    current = {r.username: r for r in document.recipients}
    document.recipients = []
    for username, signed_at in fields["recipients"].items():
        recipient = current.get(username) or OaRecipient(username=username)
        recipient.signed_at = _utc(signed_at)
        document.recipients.append(recipient)


def save_document(user, payload: dict) -> tuple[OaDocument, bool]:
    """Enter a document, or — same `oa_id` — update it (the OA system pushes sign-ins later).
    Answers (document, created)."""
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    fields = _document_fields(payload)
    check_entry(user, fields["sent_at"].year)
    document = None
    if fields["oa_id"] is not None:
        document = db.session.scalar(db.select(OaDocument).filter_by(oa_id=fields["oa_id"]))
    created = document is None
    if created:
        document = OaDocument(oa_id=fields["oa_id"], created_by_id=user.id)
        db.session.add(document)
    _apply(document, fields)
    db.session.flush()
    sync(document.year, user)
    db.session.commit()
    return document, created


def update_document(user, document_id: int, payload: dict) -> OaDocument:
    document = db.session.get(OaDocument, document_id)
    if document is None:
        raise NotFound("没有找到这份 OA 文件")
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    if not may_enter(user, document.year):
        raise Forbidden("只有负责“信息管理”考核的科室可以录入 OA 文件")
    fields = _document_fields({**document_payload(document), **payload})
    old_year = document.year
    _apply(document, fields)
    db.session.flush()
    sync(document.year, user)
    if old_year != document.year:
        sync(old_year, user)
    db.session.commit()
    return document


def delete_document(user, document_id: int) -> None:
    document = db.session.get(OaDocument, document_id)
    if document is None:
        raise NotFound("没有找到这份 OA 文件")
    if not may_enter(user, document.year):
        raise Forbidden("只有负责“信息管理”考核的科室可以录入 OA 文件")
    year = document.year
    db.session.delete(document)
    db.session.flush()
    sync(year, user)
    db.session.commit()


def document_payload(document: OaDocument) -> dict:
    return {"title": document.title, "kind": document.kind, "sent_at": as_utc(document.sent_at).isoformat(),
            "oa_id": document.oa_id,
            "recipients": [{"username": r.username,
                            "signed_at": as_utc(r.signed_at).isoformat() if r.signed_at else None}
                           for r in document.recipients]}


@dataclass
class Judged:
    document: OaDocument
    recipient: OaRecipient
    user: User | None
    status: str
    working_minutes: int
    limit_minutes: int


def judge_year(year: int, now: datetime | None = None) -> list[Judged]:
    """Every recipient of the year's documents, judged on the working-time clock."""
    calendar = build_calendar()
    now = now or utcnow()
    documents = list(db.session.scalars(db.select(OaDocument).filter_by(year=year).order_by(OaDocument.sent_at)))
    names = {r.username for d in documents for r in d.recipients}
    users = {u.username: u for u in db.session.scalars(db.select(User).where(User.username.in_(names)))} if names else {}
    out = []
    for document in documents:
        sent = as_utc(document.sent_at)
        for recipient in document.recipients:
            signed = as_utc(recipient.signed_at)
            verdict = calendar.judge(document.kind, sent, signed, now)
            out.append(Judged(document, recipient, users.get(recipient.username), *verdict))
    return out


def sync(year: int, user=None, now: datetime | None = None) -> dict:
    """Make the year's `oa` deduction records exactly the late and no-client cases."""
    if scheme_or_none(year) is None:
        return {}
    try:
        judged = judge_year(year, now)
    except CalendarUnknown as exc:
        raise Invalid(str(exc), "calendar_unknown") from None
    cases = []
    for j in judged:
        if j.status not in ("late", "no_client") or j.user is None or j.user.unit_id is None:
            continue  # recipients who belong to no unit are listed but charge no unit (DOMAIN.md)
        count = NO_CLIENT_FACTOR if j.status == "no_client" else 1
        if j.status == "no_client":
            detail = "48小时内未签收，视为未安装客户端，双倍扣分"
        else:
            detail = f"签收超时：用时 {j.working_minutes} 工作分钟，时限 {j.limit_minutes}"
        note = f"《{j.document.title}》（{KIND_LABELS[j.document.kind]}）{detail}"
        cases.append(Derived(key=f"oa:{j.recipient.id}", unit_id=j.user.unit_id, rule=OA_RULE, count=count,
                             day=as_utc(j.document.sent_at).astimezone(LOCAL_TZ).date(), note=note,
                             people=j.user.name))
    return replace_derived("oa", year, cases, user)


def report(year: int, now: datetime | None = None) -> dict:
    """The year's OA report: every recipient with its status, and the points per unit."""
    stats = sync(year, None, now)
    if any(stats.values()):
        db.session.commit()  # time has passed: pending documents became no-client cases
    judged = judge_year(year, now)
    units: dict[int, dict] = {}
    for j in judged:
        if j.user is None or j.user.unit is None:
            continue
        row = units.setdefault(j.user.unit.id, {"unit": j.user.unit, "late": 0, "no_client": 0})
        if j.status in ("late", "no_client"):
            row[j.status] += 1
    points_each = _rule_points(year)
    for row in units.values():
        row["points"] = points_each * (row["late"] + NO_CLIENT_FACTOR * row["no_client"])
    return {"recipients": judged, "units": sorted(units.values(), key=lambda r: r["unit"].position)}


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


def import_documents(user, upload) -> dict:
    """Import sign-ins from .xlsx/.csv, one row per recipient; every row is checked first and a
    file with any bad row imports nothing. Re-importing updates, never duplicates."""
    from flask import current_app

    from .imports import RowErrors, read_table

    if not may_enter(user, current_app.config["CURRENT_YEAR"]):
        raise Forbidden("只有负责“信息管理”考核的科室可以导入 OA 文件")
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
    for fields in documents.values():
        document = _find(fields)
        if document is None:
            document = OaDocument(oa_id=fields["oa_id"], created_by_id=user.id)
            db.session.add(document)
            created += 1
        else:
            updated += 1
            merged = {r.username: r.signed_at for r in document.recipients}
            merged.update(fields["recipients"])
            fields = {**fields, "recipients": merged}
        _apply(document, fields)
    db.session.flush()
    for year in years:
        sync(year, user)
    db.session.commit()
    return {"created": created, "updated": updated, "rows": len(rows)}


def _find(fields: dict) -> OaDocument | None:
    if fields["oa_id"]:
        return db.session.scalar(db.select(OaDocument).filter_by(oa_id=fields["oa_id"]))
    candidates = db.session.scalars(db.select(OaDocument).filter_by(title=fields["title"], kind=fields["kind"]))
    return next((d for d in candidates if as_utc(d.sent_at) == _utc(fields["sent_at"])), None)
