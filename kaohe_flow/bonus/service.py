"""What may happen to a bonus-point application (附件6): filed by a unit with its award
certificates, reviewed by its gate unit, signed by the target-management office, given an
opinion and the points granted by the supervising leader. Same machine, same permission
question, same history and versions as score sheets."""
from decimal import Decimal

from ..audit.service import record_step
from ..attachments import read_upload
from ..errors import BadRequest, Forbidden, Invalid, NotFound
from ..extensions import db
from ..points import PointsError, parse_points
from ..timeutil import utcnow
from ..workflow import permissions, steps
from ..workflow.machine import STATES, fire
from .models import Attachment, BonusApplication, BonusSignature
from ..scheme.queries import scheme_or_none
from .queries import blocked_reason, get_visible

MAX_BONUS = Decimal("100")  # no single application can be worth more than the whole scheme


def _points(value, label: str, *, positive: bool = False) -> Decimal:
    try:
        points = parse_points(value, label)
    except PointsError as exc:
        raise Invalid(str(exc), "invalid_points") from None
    if points < 0 or (positive and points == 0):
        raise Invalid(f"{label}必须{'大于' if positive else '不小于'} 0", "invalid_points")
    if points > MAX_BONUS:
        raise Invalid(f"{label}不能超过 {MAX_BONUS} 分", "invalid_points")
    return points


def _edit(application, user, capacity, attr: str, new) -> bool:
    """Set one field and write its history step; answers whether it changed."""
    old = getattr(application, attr)
    if steps.fmt_value(old) == steps.fmt_value(new):
        return False
    setattr(application, attr, new)
    record_step("bonus", application, user, capacity, "edit", field=attr,
                old=steps.fmt_value(old), new=steps.fmt_value(new))
    return True


def create(user, payload: dict) -> BonusApplication:
    """A new draft for the caller's own unit."""
    if user.unit_id is None or not (user.has_role("member") or user.has_role("head")):
        raise Forbidden("只有科室人员可以为本科室申报附加分")
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise BadRequest("缺少年度（year），或年度不是整数", "bad_year")
    if not (1 <= year <= 9999) or scheme_or_none(year) is None:
        raise Invalid(f"{year}年度的考核尚未开始", "unknown_year")
    project = steps.clean_text(payload.get("project"), "申报项目")
    if not project:
        raise Invalid("请填写申报项目", "project_required")
    points = _points(payload.get("points_requested"), "申报分值", positive=True)
    application = BonusApplication(unit_id=user.unit_id, year=year, state="draft", project=project,
                                   points_requested=points, opinion="", created_by_id=user.id)
    db.session.add(application)
    db.session.flush()
    capacity = permissions.history_capacity(user, "unit")
    for attr in ("project", "points_requested"):
        record_step("bonus", application, user, capacity, "edit", field=attr,
                    new=steps.fmt_value(getattr(application, attr)))
    db.session.commit()
    return application


def update(user, application_id: int, payload: dict) -> BonusApplication:
    """The unit edits its draft (project, points asked); the gate proposes points in review."""
    application, facts = get_visible(user, application_id)
    review = "points_proposed" in payload
    verdict = steps.authorize(user, "edit_review" if review else "edit_self", facts, payload.get("version"),
                              application)
    if review and ({"project", "points_requested"} & set(payload)):
        raise Invalid("请分别修改申报内容和建议分值", "invalid_fields")
    if not review and not ({"project", "points_requested"} & set(payload)):
        raise Invalid("没有可修改的内容（project、points_requested 或 points_proposed）", "invalid_fields")
    capacity = permissions.history_capacity(user, verdict.capacity)
    changed = False
    if review:
        changed = _edit(application, user, capacity, "points_proposed",
                        _points(payload["points_proposed"], "建议分值"))
        application.gate_touched = application.gate_touched or changed
    else:
        if "project" in payload:
            project = steps.clean_text(payload["project"], "申报项目")
            if not project:
                raise Invalid("请填写申报项目", "project_required")
            changed |= _edit(application, user, capacity, "project", project)
        if "points_requested" in payload:
            points = _points(payload["points_requested"], "申报分值", positive=True)
            changed |= _edit(application, user, capacity, "points_requested", points)
    if changed:
        steps.commit(application)
    return application


def add_attachment(user, application_id: int, upload, version=None) -> Attachment:
    """Attach a certificate (PDF, PNG, JPEG by content) to a draft, as its unit."""
    application, facts = get_visible(user, application_id)
    if version is None:  # a multipart upload need not carry the version; it is checked if it does
        version = application.version
    verdict = steps.authorize(user, "edit_self", facts, version, application)
    attachment = read_upload(upload, user)
    application.attachments.append(attachment)
    record_step("bonus", application, user, permissions.history_capacity(user, verdict.capacity), "edit",
                field="attachments", new=attachment.filename)
    steps.commit(application)
    return attachment


def remove_attachment(user, attachment_id: int, version=None) -> BonusApplication:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.application_id is None:
        raise NotFound("没有找到这个附件")
    application, facts = get_visible(user, attachment.application_id)
    verdict = steps.authorize(user, "edit_self", facts, application.version if version is None else version,
                              application)
    application.attachments.remove(attachment)
    record_step("bonus", application, user, permissions.history_capacity(user, verdict.capacity), "edit",
                field="attachments", old=attachment.filename)
    steps.commit(application)
    return application


def fire_action(user, application_id: int, action: str, payload: dict) -> BonusApplication:
    """Fire a machine action on an application, with its checks, signatures and history."""
    application, facts = get_visible(user, application_id)
    if action not in permissions.FIRING_ACTIONS:
        raise NotFound(f"没有“{action}”这个操作", "unknown_action")
    verdict = steps.authorize(user, action, facts, payload.get("version"), application)
    capacity = permissions.history_capacity(user, verdict.capacity)
    comment = steps.clean_text(payload.get("comment"), "意见")
    if action in ("return", "reopen") and not comment:
        raise Invalid("退回或重新打开时必须填写理由", "comment_required")
    why = blocked_reason(application, action)
    if why:
        raise Invalid(why, "incomplete")
    all_signed = False
    if action == "approve":
        _approve(application, user, capacity, payload)
    elif action == "sign" and verdict.capacity == "leader":
        comment = _leader_decides(application, user, capacity, payload)
    elif action == "sign":
        all_signed = facts.pending_ids <= {user.unit_id}
    before, after = fire(application, action, all_signed=all_signed)
    if STATES.index(after) < STATES.index(before):
        steps.void_signatures(application, after)
    else:
        _sign(application, user, action, verdict.capacity)
    # The unit may withdraw only until the gate has acted: a new submit opens a new round,
    # an approval or a move back to the gate means the gate has acted.
    application.gate_touched = action != "submit" and (application.gate_touched or after == "gate_review"
                                                       or action == "approve")
    record_step("bonus", application, user, capacity, action, from_state=before, to_state=after, comment=comment)
    steps.commit(application)
    return application


def _approve(application, user, capacity, payload) -> None:
    """The gate proposes the points as it approves (扎口审核)."""
    if "points_proposed" in payload and payload["points_proposed"] is not None:
        _edit(application, user, capacity, "points_proposed", _points(payload["points_proposed"], "建议分值"))
    if application.points_proposed is None:
        raise Invalid("审核通过时请填写建议分值（points_proposed）", "points_required")


def _leader_decides(application, user, capacity, payload) -> str:
    """局分管领导意见 (required) and 最终赋分 (defaults to the proposed points; 0 needs a reason)."""
    opinion = steps.clean_text(payload.get("opinion"), "局分管领导意见")
    if not opinion:
        raise Invalid("请填写局分管领导意见", "opinion_required")
    granted = payload.get("points_granted")
    granted = application.points_proposed if granted is None else _points(granted, "最终赋分")
    if granted is None:
        raise Invalid("请填写最终赋分", "points_required")
    _edit(application, user, capacity, "opinion", opinion)
    _edit(application, user, capacity, "points_granted", granted)
    return opinion


def _sign(application, user, action: str, capacity: str) -> None:
    step = {"submit": "unit_head", "approve": "gate", "sign": capacity}.get(action)
    if step in steps.SIGNATURE_STEP:
        application.signatures.append(BonusSignature(
            capacity=step, unit_id=user.unit_id if step != "leader" else None, user=user, at=utcnow()))
