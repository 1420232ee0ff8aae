"""Notifications (CONTRACT.md "The year's rhythm"): who is told what, once.

`after_step` runs inside a workflow step's unit of work, after the move and before its commit:
the notifications stand only if the step does. `todo` goes to everyone who may now take the
record — the forward action expected of them, or the scores they may now fill in (a unit's
members in `draft`, the gate's members in `gate_review`) — and to those acting for them
(delegations); `returned` goes to the record's unit with the reason and the named rows.

Nobody is told the same thing twice: each notification carries a `dedupe` key naming its
occasion (unique in the table), and a key already present is skipped. A todo's occasion is the
record, its round, its state and the action expected, so that in 会签 the offices still to sign
are not told again each time another office signs.
"""
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from ..errors import BadRequest, NotFound, stale
from ..extensions import db
from ..org.models import User
from ..timeutil import utcnow
from ..uow import operation
from ..workflow import permissions
from ..workflow.machine import STATE_LABELS
from .models import Notification

TODO_TEXT = {
    "submit": "待您提交扎口科室审核", "approve": "待您审核", "sign": "待您签字",
    "edit_self": "待填写自评分", "edit_review": "待填写考评分",
}
EDITS = ("edit_self", "edit_review")


# ----------------------------------------------------------------------------- the record


def load_record(record_kind: str, record_id: int):
    """A sheet or a bonus application by id (None if there is no such record)."""
    from ..bonus.models import BonusApplication
    from ..sheets.models import Sheet

    model = {"sheet": Sheet, "bonus": BonusApplication}.get(record_kind)
    return db.session.get(model, record_id) if model is not None else None


def facts_of(record_kind: str, record):
    """The permission facts of the record as it is now (after a step's move)."""
    if record_kind == "sheet":
        from ..sheets.queries import facts, scheme_for

        return facts(record, scheme_for(record.year))
    from ..bonus.queries import facts

    return facts(record)


def unit_name_of(record) -> str:
    """The unit's name in the record's own year (a sheet knows it; an application asks the chart)."""
    if hasattr(record, "unit_name"):
        return record.unit_name
    from ..org import chart

    place = chart.place(record.year, record.unit_id)
    return place.name if place is not None else record.unit.name


def label_of(record_kind: str, record) -> str:
    """The record as people call it: 「办公室 2018年度考核表」, 「办公室的附加分申报“…”」."""
    if record_kind == "sheet":
        return f"{unit_name_of(record)} {record.year}年度考核表"
    project = (record.project or "").strip()
    project = project if len(project) <= 30 else project[:30] + "…"
    return f"{unit_name_of(record)} {record.year}年度附加分申报“{project or '（未填项目）'}”"


def current_round(record_kind: str, record_id: int) -> int:
    """1, then one more after every return or reopen (workflow.rounds), counted in SQL."""
    return round_and_move(record_kind, record_id)[0]


def round_and_move(record_kind: str, record_id: int) -> tuple[int, int | None]:
    """(the current round, the id of the history step that moved the record into its state —
    None before any), both from one statement: a step's notifications ask both."""
    from ..audit.models import HistoryEntry
    from ..workflow.rounds import NEW_ROUND

    returns, moved = db.session.execute(db.select(
        db.func.count().filter(HistoryEntry.action.in_(NEW_ROUND)),
        db.func.max(HistoryEntry.id).filter(HistoryEntry.from_state != HistoryEntry.to_state),
    ).where(HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record_id)).one()
    return 1 + (returns or 0), moved


def _waiting_action(user, facts) -> str | None:
    """What the record waits for from `user`: a forward step, else scores they may fill in."""
    action = permissions.expected_action(user, facts)
    if action:
        return action
    for edit in EDITS:
        if permissions.decide(user, edit, facts).allowed:
            return edit
    return None


def holders(record_kind: str, record, facts=None) -> list[tuple[User, str, User | None]]:
    """Who holds the record now: (user, the action waiting for them, the principal they act
    for or None). Candidates are the active people of the record's unit, its gate unit and the
    responsible offices, its leader, and whoever acts for any of them (delegations)."""
    from ..rhythm.delegations import delegates_of, prime

    facts = facts or facts_of(record_kind, record)
    if facts.state == "final":
        return []
    unit_ids = {facts.unit_id, *facts.responsible_ids} | ({facts.gate_unit_id} if facts.gate_unit_id else set())
    query = db.select(User).where(User.active.is_(True)).order_by(User.id)
    condition = User.unit_id.in_(unit_ids)
    if facts.leader_id is not None:
        condition = condition | (User.id == facts.leader_id)
    candidates = list(db.session.scalars(query.where(condition)))
    prime(candidates)  # whom each stands in for today: one statement, not one per person
    out, seen = [], set()
    for user in candidates:
        action = _waiting_action(user, facts)
        if action:
            out.append((user, action, None))
            seen.add(user.id)
    # A delegate holds what their principal holds (a forward step; editing is the unit's own).
    principals = {u.id: (u, a) for u, a, _p in out if a not in EDITS}
    for principal_id, delegates in (delegates_of(list(principals)) if principals else {}).items():
        principal, action = principals.get(principal_id, (None, None))
        if principal is None:
            continue
        for delegate in delegates:
            if delegate.id in seen or not delegate.active:
                continue
            seen.add(delegate.id)
            out.append((delegate, action, principal))
    return out


# ----------------------------------------------------------------------------- telling


def _existing(keys) -> set[str]:
    keys = list(keys)
    if not keys:
        return set()
    return set(db.session.scalars(db.select(Notification.dedupe).where(Notification.dedupe.in_(keys))))


def tell(batch: list[tuple[User, str, str, int, str, str]], *, objects: bool = True) -> list[Notification]:
    """Add the notifications of `batch` — (user, kind, record kind, record id, text, occasion) —
    whose occasion nobody has been told yet; answers the new ones (`objects=False`: written with
    one INSERT and not answered). Nothing is committed here."""
    keyed = {}
    for user, kind, record_kind, record_id, text, occasion in batch:
        key = f"{kind}:{user.id}:{occasion}"[:200]
        keyed.setdefault(key, (user, kind, record_kind, record_id, text))
    told = _existing(keyed)
    now = utcnow()
    rows = [dict(user_id=user.id, at=now, kind=kind, record_kind=record_kind, record_id=record_id, text=text,
                 dedupe=key)
            for key, (user, kind, record_kind, record_id, text) in keyed.items() if key not in told]
    if not objects:
        if rows:  # one INSERT for the whole batch, in the same unit of work (a step's notifications)
            db.session.execute(sa.insert(Notification.__table__), rows)
        return []
    out = [Notification(**row) for row in rows]
    db.session.add_all(out)
    return out


def _todo_text(label: str, state: str, action: str, principal, rnd: int = 1) -> str:
    on_behalf = f"（代{principal.name}）" if principal is not None else ""
    # A later round's todo is a new occasion: its text says so, or it would read as a repeat.
    again = f"，第{rnd}轮" if rnd > 1 else ""
    return f"{label}：{TODO_TEXT.get(action, '待您办理')}{on_behalf}（当前环节：{STATE_LABELS.get(state, state)}{again}）"


def todo_batch(record_kind: str, record, facts, skip_ids=()) -> list:
    label = label_of(record_kind, record)
    rnd, move = round_and_move(record_kind, record.id)
    batch = []
    for user, action, principal in holders(record_kind, record, facts):
        if user.id in skip_ids:
            continue
        # The move that brought the record here is part of the occasion: a draft withdrawn and
        # submitted again reaches the gate again (会签's signatures that do not move it are not).
        occasion = f"{record_kind}:{record.id}:r{rnd}:m{move}:{facts.state}:{action}"
        batch.append((user, "todo", record_kind, record.id, _todo_text(label, facts.state, action, principal, rnd),
                      occasion))
    return batch


def _item_names(record_kind: str, record, items) -> list[str]:
    if not items:
        return []
    if record_kind != "sheet":
        return [str(i) for i in items]
    from ..sheets.queries import scheme_for

    scheme = scheme_for(record.year)
    names = []
    for code in items:
        item = scheme.item(code)
        names.append(item.name if item is not None else str(code))
    return names


def _returned_batch(record_kind: str, record, actor, before: str, after: str, comment: str, items) -> list:
    from ..audit.models import HistoryEntry

    return_id = db.session.scalar(db.select(db.func.max(HistoryEntry.id)).where(
        HistoryEntry.record_kind == record_kind, HistoryEntry.record_id == record.id,
        HistoryEntry.action == "return"))
    from ..uow import standing_in

    principal = standing_in()  # a delegate's return: "A 代 B"
    who = getattr(actor, "name", "") + (f"代{principal.name}" if principal is not None else "")
    text = (f"{label_of(record_kind, record)}被{who}退回"
            f"（{STATE_LABELS.get(before, before)} → {STATE_LABELS.get(after, after)}）")
    if comment:
        text += f"。理由：{comment}"
    names = _item_names(record_kind, record, items)
    if names:
        text += f"。有异议的项目：{'、'.join(names)}"
    unit_people = db.session.scalars(db.select(User).where(
        User.unit_id == record.unit_id, User.active.is_(True)).order_by(User.id))
    return [(user, "returned", record_kind, record.id, text, f"{record_kind}:{record.id}:h{return_id}")
            for user in unit_people
            if (user.has_role("head") or user.has_role("member")) and user.id != getattr(actor, "id", None)]


def after_step(history_kind: str, record, actor, action: str, before: str, after: str,
               comment: str = "", items=None) -> None:
    """Called by the workflow service inside the step's unit of work, after the move (before the
    commit): `todo` to everyone who may now take the record, `returned` on a return."""
    # The move is written first: of two steps racing on one record the loser meets the winner's
    # version here (409, as at the commit) before it could make the winner's notifications again.
    try:
        db.session.flush()
    except StaleDataError:
        raise stale() from None
    facts = facts_of(history_kind, record)
    batch = []
    if action == "return":
        batch += _returned_batch(history_kind, record, actor, before, after, comment, items)
    batch += todo_batch(history_kind, record, facts, skip_ids={getattr(actor, "id", None)})
    tell(batch, objects=False)


def delegated(delegation) -> None:
    """Called when a delegation is created, inside its unit of work: tell the delegate."""
    delegator, delegate = delegation.delegator, delegation.delegate
    text = (f"{delegator.name}委托您在 {delegation.from_date.isoformat()} 至 {delegation.to_date.isoformat()} "
            f"期间代为办理其审核、签字事项")
    tell([(delegate, "delegated", "delegation", delegation.id, text, f"delegation:{delegation.id}")])


# ----------------------------------------------------------------------------- reading, marking read


def unread_count(user) -> int:
    """One COUNT for the nav's badge."""
    return db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


DEFAULT_LIMIT = 200


def parse_unread(values: list[str]) -> bool:
    """The list's `unread` filter: absent or 0 → every notification, 1 → only the unread; else 400."""
    if not values:
        return False
    if len(values) > 1 or values[0] not in ("0", "1"):
        raise BadRequest("参数 unread 只能是 1（只看未读）或 0（全部）", "bad_unread")
    return values[0] == "1"


def list_for(user, unread_only: bool = False, limit: int = DEFAULT_LIMIT) -> list[Notification]:
    """The caller's notifications, newest first."""
    query = db.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def _own(user, notification_id: int) -> Notification:
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:  # another's is answered as if it did not exist
        raise NotFound("没有找到这条通知", "not_found")
    return note


@operation
def mark_read(user, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read (already read: unchanged, same answer)."""
    note = _own(user, notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note


@operation
def mark_all_read(user) -> int:
    """Mark every unread notification of the caller read; answers how many."""
    now = utcnow()
    notes = list_for(user, unread_only=True, limit=100000)
    for note in notes:
        note.read_at = now
    if notes:
        db.session.commit()
    return len(notes)
