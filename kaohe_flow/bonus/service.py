"""What may happen to a bonus-point application (附件6): filed by a unit with its award
certificates, reviewed by its gate unit, signed by the target-management office, given an
opinion and the points granted by the supervising leader. Same machine, same permission
question, same history and versions as score sheets: the moves are made by the one workflow
service (`workflow.service`), `BonusKind` is what an application plugs into it. Every write
commits once or rolls back entirely (`uow.operation`)."""
from decimal import Decimal

from .. import access
from ..audit.service import record_step
from ..attachments import read_upload
from ..errors import BadRequest, Forbidden, Invalid, NotFound
from ..extensions import db
from ..points import PointsError, parse_points
from ..timeutil import utcnow
from ..uow import operation
from ..workflow import permissions, steps
from ..workflow import service as workflow
from ..workflow.service import Loaded, Step, StepInput
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
    return steps.edit_field("bonus", application, user, capacity, attr, new)


@operation
def create(user, payload: dict) -> BonusApplication:
    """A new draft for the caller's own unit."""
    if not access.acts_for_unit(user):
        raise Forbidden("只有科室人员可以为本科室申报附加分")
    year = payload.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise BadRequest("请给出年度（四位数字）", "bad_year")
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


@operation
def update(user, application_id: int, payload: dict) -> BonusApplication:
    """The unit edits its draft (project, points asked); the gate proposes points in review.

    Every field is checked before any is written, so a refusal leaves nothing behind."""
    application, facts = get_visible(user, application_id)
    review = "points_proposed" in payload
    verdict = steps.authorize(user, "edit_review" if review else "edit_self", facts, payload.get("version"),
                              application)
    if review and ({"project", "points_requested"} & set(payload)):
        raise Invalid("请分别修改申报内容和建议分值", "invalid_fields")
    if not review and not ({"project", "points_requested"} & set(payload)):
        raise Invalid("没有可修改的内容（project、points_requested 或 points_proposed）", "invalid_fields")
    edits = []
    if review:
        edits.append(("points_proposed", _points(payload["points_proposed"], "建议分值")))
    else:
        if "project" in payload:
            project = steps.clean_text(payload["project"], "申报项目")
            if not project:
                raise Invalid("请填写申报项目", "project_required")
            edits.append(("project", project))
        if "points_requested" in payload:
            edits.append(("points_requested", _points(payload["points_requested"], "申报分值", positive=True)))
    capacity = permissions.history_capacity(user, verdict.capacity)
    changed = False
    for attr, new in edits:
        changed |= _edit(application, user, capacity, attr, new)
    if review:
        application.gate_touched = application.gate_touched or changed
    if changed:
        steps.commit(application)
    return application


@operation
def add_attachment(user, application_id: int, upload, version=None) -> Attachment:
    """Attach a certificate (PDF, PNG, JPEG by content) to a draft, as its unit."""
    application, facts = get_visible(user, application_id)
    if version is None:  # a multipart upload need not carry the version; it is checked if it does
        version = application.version
    verdict = steps.authorize(user, "edit_self", facts, version, application)
    attachment = read_upload(upload, user, attached=application.attachments)
    application.attachments.append(attachment)
    record_step("bonus", application, user, permissions.history_capacity(user, verdict.capacity), "edit",
                field="attachments", new=attachment.filename)
    steps.commit(application)
    return attachment


@operation
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


class BonusKind:
    """How a bonus application plugs into the workflow service."""

    history_kind = "bonus"

    def load(self, user, record_id: int) -> Loaded:
        application, application_facts = get_visible(user, record_id)
        return Loaded(application, application_facts)

    def blocked_reason(self, loaded: Loaded, action: str) -> str | None:
        """附件6: an application is submitted with its project and a certificate."""
        return blocked_reason(loaded.record, action)

    def read_input(self, loaded: Loaded, step: Step) -> StepInput:
        """The gate proposes points as it approves; the leader gives the opinion and the points."""
        if step.action == "approve":
            return StepInput(edits=_proposed(loaded.record, step.payload))
        if step.action == "sign" and step.capacity == "leader":
            return _leader_decides(loaded.record, step.payload)
        return StepInput()

    def add_signature(self, loaded: Loaded, user, capacity: str, on_behalf_of=None) -> None:
        owner = on_behalf_of or user
        loaded.record.signatures.append(BonusSignature(
            capacity=capacity, unit_id=None if capacity == "leader" else owner.unit_id, user=user,
            on_behalf_of=on_behalf_of, at=utcnow()))

    def withdraw_signatures(self, loaded: Loaded, owner, items: list[str]) -> None:
        """An application has no rows to name."""

    def moved(self, loaded: Loaded, before: str, after: str) -> None:
        """Nothing follows an application's move: its unit's sheet reads the granted points
        (a final sheet keeps those it was signed with: `sheets.queries.bonus_of`)."""


BONUS = BonusKind()


def fire_action(user, application_id: int, action: str, payload: dict) -> BonusApplication:
    """Fire a machine action on an application, with its checks, signatures and history."""
    return workflow.fire_action(BONUS, user, application_id, action, payload)


def _proposed(application, payload) -> list:
    """扎口审核: the gate's proposed points, given now or already saved."""
    if "points_proposed" in payload and payload["points_proposed"] is not None:
        return [("points_proposed", _points(payload["points_proposed"], "建议分值"))]
    if application.points_proposed is None:
        raise Invalid("审核通过时请填写建议分值", "points_required")
    return []


def _leader_decides(application, payload) -> StepInput:
    """局分管领导意见 (required) and 最终赋分 (defaults to the proposed points; 0 needs a reason).
    The opinion is also the step's comment in the history."""
    opinion = steps.clean_text(payload.get("opinion"), "局分管领导意见")
    if not opinion:
        raise Invalid("请填写局分管领导意见", "opinion_required")
    granted = payload.get("points_granted")
    granted = application.points_proposed if granted is None else _points(granted, "最终赋分")
    if granted is None:
        raise Invalid("请填写最终赋分", "points_required")
    return StepInput(edits=[("opinion", opinion), ("points_granted", granted)], comment=opinion)
