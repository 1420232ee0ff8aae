"""附件2 charges only 无故 and 影响工作 sign-in cases (附件5): the 信息管理 office excuses one with its
reason — never for its own unit's staff — or the admin does; the excuse is a step of the
document's history and the case's deduction record goes (`POST /api/v1/oa-documents/{id}/excuse`).
"""
from .. import access
from ..audit.service import record_step
from ..errors import BadRequest, Invalid
from ..extensions import db
from ..timeutil import utcnow
from ..uow import operation
from ..workflow import steps
from .oa import HISTORY_KIND, _capacity, _item, _sync_years, _units_of, get_document
from .oa_models import OaDocument, OaRecipient


def may_excuse(user, year: int) -> bool:
    """Whether the report offers `user` the 免除 form (the service asks again per case)."""
    return access.can_excuse_oa(user, _item(year), []).allowed


def _recipient_of(document: OaDocument, ref) -> OaRecipient:
    """A recipient of the document named by its id, username, or name (staff and outsiders)."""
    for recipient in document.recipients:
        if isinstance(ref, int) and not isinstance(ref, bool) and recipient.id == ref:
            return recipient
        if isinstance(ref, str) and ref.strip() and ref.strip() in (
                recipient.username, recipient.staff.name if recipient.staff else None, recipient.label):
            return recipient
    raise Invalid(f"这份文件的接收人中没有“{ref}”", "unknown_recipient")


@operation
def excuse(user, document_id: int, payload) -> OaDocument:
    """`POST /api/v1/oa-documents/{id}/excuse` `{"recipient", "reason"}`: the 信息管理 office
    excuses one case — 附件2 charges only 无故 and 影响工作 ones — with the reason, kept in the
    document's history; `"excused": false` takes an excuse back. Not for one's own unit."""
    document = get_document(user, document_id)
    access.require(access.can_excuse_oa(user, _item(document.year), []))  # who, before what
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    recipient = _recipient_of(document, payload.get("recipient"))
    charged = _units_of([recipient.key])[recipient.key]
    access.require(access.can_excuse_oa(user, _item(document.year), [charged] if charged else []))
    withdraw = payload.get("excused") is False
    reason = steps.clean_text(payload.get("reason"), "理由", limit=500) if payload.get("reason") is not None else ""
    if not withdraw and not reason:
        raise Invalid("免除扣分须写明理由（如因公外出、系统故障）", "reason_required")
    old = recipient.excused_reason
    new = None if withdraw else reason
    if old == new:
        return document
    recipient.excused_reason, recipient.excused_at = new, None if withdraw else utcnow()
    recipient.excused_by_id = None if withdraw else user.id
    record_step(HISTORY_KIND, document, user, _capacity(user), "edit", field="excuse",
                old=f"{recipient.label} 免于扣分：{old}" if old else None,
                new=f"{recipient.label} 免于扣分：{new}" if new else None, comment=reason)
    _sync_years({document.year}, user)
    db.session.commit()
    return document
