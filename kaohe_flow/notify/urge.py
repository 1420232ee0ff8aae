"""催办 (CONTRACT.md `POST /api/v1/sheets/{id}/urge`): a leader, the admin, or the record's own unit
while someone else holds it, urges whoever holds a record — once a day per person and record.

An urge is a history step (action `urge`, the state unchanged) and `urged` notifications to
the holders; it changes nothing of the record, so the record's version stays (a page open
elsewhere is not made stale by someone urging).

`may_urge` is the one answer to "may this person urge this record now?", for the page's button
and the API alike: 404 is the record's own visibility (asked before), 403 never theirs to urge,
409 not now (nobody holds it, or it waits for the caller alone), 429 too soon.
"""
from datetime import timedelta

from .. import access
from ..audit import service as audit
from ..audit.models import HistoryEntry
from ..errors import ServiceError
from ..extensions import db
from ..timeutil import as_utc, local_display, utcnow
from ..uow import operation
from ..workflow.steps import clean_text
from . import service

INTERVAL = timedelta(hours=24)
CAPACITY_WORDS = {"admin": "管理员", "leader": "分管领导", "unit_head": "本单位负责人", "unit_member": "本单位科员"}


class TooSoon(ServiceError):
    """The same person urged the same record less than 24 hours ago (429, with Retry-After)."""

    status, code = 429, "too_soon"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def urge_capacity(user, facts) -> str | None:
    """The capacity in which `user` may urge the record at all (never: None)."""
    if user.has_role("admin"):
        return "admin"
    # Any leader: the contract says "a leader", and the leaders read every record (DOMAIN.md).
    if user.has_role("leader"):
        return "leader"
    if user.unit_id is not None and user.unit_id == facts.unit_id and (user.has_role("head") or user.has_role("member")):
        return "unit_head" if user.is_head else "unit_member"
    return None


def may_urge(user, facts, holder_ids) -> access.Verdict:
    """May `user` urge the record described by `facts`, held now by `holder_ids` (a list, or a
    callable answering it: asked only when the answer depends on it, so a page asks cheaply)?"""
    capacity = urge_capacity(user, facts)
    if capacity is None:
        return access.refused(403, "forbidden", "只有分管领导、管理员或等待办理的本单位可以催办")
    if facts.state == "final":
        return access.refused(409, "nobody_holds", "已定稿，没有待办理的人，无需催办")
    if capacity.startswith("unit_") and facts.state == "draft":
        return access.refused(409, "not_waiting", "现在由本单位自己办理（自评环节），无需催办")
    holder_ids = set(holder_ids() if callable(holder_ids) else holder_ids)
    if not holder_ids - {user.id}:
        if user.id in holder_ids:
            return access.refused(409, "own_turn", "现在正等您本人办理，无需催办")
        return access.refused(409, "nobody_holds", "当前环节没有可催办的人")
    return access.Verdict(True)


def last_urge(kind: str, record_id: int, user) -> HistoryEntry | None:
    return db.session.scalar(db.select(HistoryEntry).where(
        HistoryEntry.record_kind == kind, HistoryEntry.record_id == record_id,
        HistoryEntry.action == "urge", HistoryEntry.user_id == user.id).order_by(HistoryEntry.id.desc()).limit(1))


def check_interval(kind: str, record_id: int, user) -> None:
    """429 `too_soon` when the caller urged this record less than 24 hours ago."""
    last = last_urge(kind, record_id, user)
    if last is None:
        return
    again = as_utc(last.at) + INTERVAL
    now = utcnow()
    if again > now:
        seconds = int((again - now).total_seconds()) + 1
        raise TooSoon(f"您已于 {local_display(last.at)} 催办过，同一事项每天只能催办一次，请于 {local_display(again)} 之后再催办",
                      seconds)


def load(kind: str, user, record_id: int):
    """The record if the caller may see it (else 404), with its facts."""
    if kind == "sheet":
        from ..sheets.queries import get_visible

        record, _scheme, facts = get_visible(user, record_id)
        return record, facts
    from ..bonus.queries import get_visible

    return get_visible(user, record_id)


def verdict_for(kind: str, user, record, facts=None) -> access.Verdict:
    """The page's question: show the 催办 button? (the 24-hour rule is told when pressed). The
    page has already found the record visible to the user."""
    facts = facts or service.facts_of(kind, record)
    return may_urge(user, facts, lambda: [u.id for u, _a, _p in service.holders(kind, record, facts)])


@operation
def urge(kind: str, user, record_id: int, payload: dict) -> HistoryEntry:
    """Urge the holders of a record: a history step `urge` and `urged` notifications; one commit."""
    record, facts = load(kind, user, record_id)
    comment = clean_text(payload.get("comment"), "催办意见")
    current = service.holders(kind, record, facts)
    access.require(may_urge(user, facts, [u.id for u, _a, _p in current]))
    check_interval(kind, record.id, user)
    capacity = urge_capacity(user, facts)
    entry = audit.record_step(kind, record, user, capacity, "urge", comment=comment)
    db.session.flush()  # the step's id names the occasion of its notifications
    entry.round = service.current_round(kind, record.id)  # as steps_of numbers it; not stored
    label = service.label_of(kind, record)
    text = f"{user.name}（{CAPACITY_WORDS[capacity]}）催办：{label}"
    batch = []
    for holder, action, principal in current:
        if holder.id == user.id:
            continue
        line = f"{text}，{service.TODO_TEXT.get(action, '待您办理')}"
        if principal is not None:
            line += f"（代{principal.name}）"
        if comment:
            line += f"。催办意见：{comment}"
        batch.append((holder, "urged", kind, record.id, line, f"urge:{entry.id}"))
    service.tell(batch)
    db.session.commit()
    return entry
