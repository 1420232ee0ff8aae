"""Delegations (CONTRACT.md "The year's rhythm"): a head or a leader hands their capacities to
someone for a range of days — a deputy director away on business no longer stops every sheet of
his units.

While a delegation covers today, `workflow.permissions.decide` answers the delegate as it would
answer the delegator (`principals_of`), and every step they take records both names ("A 代 B").
It ends by itself after `to_date`, or earlier when the delegator (or the admin) ends it; the row
stays, so the history can always name both.
"""
from datetime import date

from flask import g, has_app_context

from ..audit import admin as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..org.models import User
from ..timeutil import local_iso, local_today, utcnow
from ..uow import operation
from .models import Delegation

#: Only those who carry a capacity of their own may hand it on: a unit's head (unit, gate,
#: responsible office) or a deputy director (leader). A member's rights need no delegation.
DELEGATING_ROLES = ("head", "leader")
MAX_DAYS = 366  # a delegation is for an absence, not a standing arrangement


def may_delegate(user) -> bool:
    return any(user.has_role(r) for r in DELEGATING_ROLES)


# ----------------------------------------------------------------------------- reading


def principals_of(user, day: date | None = None) -> list:
    """The users who have handed `user` their capacities for `day` (today by default); cached
    per request for today, so the inbox asks the database once."""
    if user is None or not has_app_context():
        return []  # no database to ask (a permission question asked of plain facts)
    user_id = getattr(user, "id", None)
    if user_id is None:
        return []
    # Today's answer from the request's cache before anything else: a page asks it of one person
    # for every action and row it shows.
    cache = g.setdefault("kaohe_principals", {}) if day is None else None
    if cache is not None and user_id in cache:
        return cache[user_id]
    day = day or local_today()
    found = list(db.session.scalars(
        db.select(User).join(Delegation, Delegation.delegator_id == User.id)
        .where(Delegation.delegate_id == user_id, Delegation.ended_at.is_(None),
               Delegation.from_date <= day, Delegation.to_date >= day, User.active.is_(True))
        .order_by(Delegation.id)))
    if cache is not None:
        cache[user_id] = found
    return found


def prime(users) -> None:
    """Answer `principals_of` for all of `users` (today) in one statement, for the rest of the
    request: the notifications ask it of everyone who may hold a record."""
    if not has_app_context():
        return
    cache = g.setdefault("kaohe_principals", {})
    ids = [u.id for u in users if getattr(u, "id", None) is not None and u.id not in cache]
    if not ids:
        return
    day = local_today()
    found: dict[int, list] = {i: [] for i in ids}
    rows = db.session.execute(
        db.select(Delegation.delegate_id, User).join(User, Delegation.delegator_id == User.id)
        .where(Delegation.delegate_id.in_(ids), Delegation.ended_at.is_(None),
               Delegation.from_date <= day, Delegation.to_date >= day, User.active.is_(True))
        .order_by(Delegation.id)).all()
    for delegate_id, principal in rows:
        found[delegate_id].append(principal)
    cache.update(found)


def delegates_of(principal_ids, day: date | None = None) -> dict[int, list]:
    """principal user id → the active users acting for them on `day`."""
    ids = list(principal_ids)
    if not ids:
        return {}
    day = day or local_today()
    out: dict[int, list] = {}
    rows = db.session.execute(
        db.select(Delegation.delegator_id, User).join(User, Delegation.delegate_id == User.id)
        .where(Delegation.delegator_id.in_(ids), Delegation.ended_at.is_(None),
               Delegation.from_date <= day, Delegation.to_date >= day, User.active.is_(True))
        .order_by(Delegation.id)).all()
    for principal_id, delegate in rows:
        out.setdefault(principal_id, []).append(delegate)
    return out


def forget() -> None:
    """Drop the per-request cache (after a delegation is created or ended)."""
    if has_app_context():
        g.pop("kaohe_principals", None)


def visible(user) -> list[Delegation]:
    """The delegations the user gave or received, newest first; the admin sees all."""
    query = db.select(Delegation).order_by(Delegation.from_date.desc(), Delegation.id.desc())
    if not user.has_role("admin"):
        query = query.where((Delegation.delegator_id == user.id) | (Delegation.delegate_id == user.id))
    return list(db.session.scalars(query))


def get_visible(user, delegation_id: int) -> Delegation:
    found = db.session.get(Delegation, delegation_id)
    if found is None or not (user.has_role("admin") or user.id in (found.delegator_id, found.delegate_id)):
        raise NotFound("没有找到这项委托", "not_found")
    return found


def status(delegation: Delegation, day: date | None = None) -> str:
    """`active`, `planned`, `ended` (by hand) or `expired` (past its last day)."""
    day = day or local_today()
    if delegation.ended_at is not None:
        return "ended"
    if day > delegation.to_date:
        return "expired"
    return "active" if delegation.from_date <= day else "planned"


STATUS_LABELS = {"active": "生效中", "planned": "未开始", "ended": "已结束", "expired": "已到期"}


def candidates(user) -> list:
    """Whom the user may hand their capacities to: every other active account that acts for a
    unit or leads (never a viewer-only or admin-only account)."""
    users = db.session.scalars(db.select(User).where(User.active.is_(True), User.id != user.id)
                               .order_by(User.unit_id.is_(None), User.unit_id, User.username))
    return [u for u in users if u.has_role("member") or u.has_role("head") or u.has_role("leader")]


# ----------------------------------------------------------------------------- writing


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _parse(payload: dict) -> tuple[str, date, date]:
    to = payload.get("to")
    if not isinstance(to, str) or not to.strip():
        raise Invalid("请选择受托人（to：受托人的用户名）", "to_required")
    if "\x00" in to or len(to) > 64:  # no account is named so (and PostgreSQL refuses NUL)
        raise Invalid(f"没有名为“{to[:64]}”的在用账号", "unknown_user", fields={"to": "没有这个账号"})
    dates = {}
    for key, label in (("from_date", "开始日期"), ("to_date", "结束日期")):
        value = _date(payload.get(key))
        if value is None:
            raise Invalid(f"{label}必须是“年-月-日”形式的日期，例如 2018-12-20", "invalid_date",
                          fields={key: f"{label}格式不对"})
        dates[key] = value
    return to.strip(), dates["from_date"], dates["to_date"]


@operation
def create(user, payload: dict) -> Delegation:
    """A head or a leader hands their capacities to `to` from `from_date` to `to_date`."""
    if not may_delegate(user):
        raise Forbidden("只有科室负责人或分管领导可以委托他人代为处理", "forbidden")
    if not isinstance(payload, dict):
        raise Invalid("请求内容必须是对象", "invalid_body")
    to, first, last = _parse(payload)
    delegate = db.session.scalar(db.select(User).filter_by(username=to))
    if delegate is None or not delegate.active:
        raise Invalid(f"没有名为“{to}”的在用账号", "unknown_user", fields={"to": "没有这个账号"})
    if delegate.id == user.id:
        raise Invalid("不能委托给自己", "self_delegation", fields={"to": "不能委托给自己"})
    if not (delegate.has_role("member") or delegate.has_role("head") or delegate.has_role("leader")):
        raise Invalid(f"{delegate.name or to}不办理考核事务，不能受托", "invalid_delegate", fields={"to": "不能受托"})
    if last < first:
        raise Invalid("结束日期早于开始日期", "invalid_dates", fields={"to_date": "结束日期早于开始日期"})
    if last < local_today():
        raise Invalid("结束日期已经过去，委托不会生效", "invalid_dates", fields={"to_date": "结束日期已经过去"})
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"一次委托最长 {MAX_DAYS} 天", "invalid_dates", fields={"to_date": "委托时间太长"})
    overlapping = db.session.scalar(
        db.select(Delegation).where(Delegation.delegator_id == user.id, Delegation.ended_at.is_(None),
                                    Delegation.from_date <= last, Delegation.to_date >= first))
    if overlapping is not None:
        raise Conflict(f"与已有的委托（{overlapping.delegate.name or overlapping.delegate.username}，"
                       f"{overlapping.from_date}至{overlapping.to_date}）时间重叠；请先结束那项委托",
                       "overlapping_delegation")
    # A delegate who has handed their own capacities on for the same days cannot stand in:
    # the chain would act twice removed, and nobody could tell who answers for a step.
    away = db.session.scalar(
        db.select(Delegation).where(Delegation.delegator_id == delegate.id, Delegation.ended_at.is_(None),
                                    Delegation.from_date <= last, Delegation.to_date >= first))
    if away is not None:
        raise Conflict(f"{delegate.name or to}在这段时间已委托他人代办，不能再受托", "delegate_away")
    delegation = Delegation(delegator=user, delegate=delegate, from_date=first, to_date=last,
                            created_at=utcnow())
    db.session.add(delegation)
    db.session.flush()
    audit.record_change(user, "delegation_created", f"delegation:{delegation.id}", None, as_json(delegation))
    from ..notify import service as notify  # the delegate is told (kind `delegated`)

    notify.delegated(delegation)
    db.session.commit()
    forget()
    return delegation


@operation
def end(user, delegation_id: int) -> Delegation:
    """DELETE: the delegator or the admin ends a delegation now; the row stays for the history."""
    delegation = get_visible(user, delegation_id)
    if not (user.id == delegation.delegator_id or user.has_role("admin")):
        raise Forbidden("只有委托人本人或系统管理员可以结束委托", "forbidden")
    if status(delegation) in ("ended", "expired"):
        raise Conflict("这项委托已经结束", "delegation_ended")
    old = as_json(delegation)
    delegation.ended_at = utcnow()
    audit.record_change(user, "delegation_ended", f"delegation:{delegation.id}", old, as_json(delegation))
    db.session.commit()
    forget()
    return delegation


def as_json(delegation: Delegation) -> dict:
    return {
        "id": delegation.id, "from": delegation.delegator.username, "to": delegation.delegate.username,
        "from_name": delegation.delegator.name, "to_name": delegation.delegate.name,
        "from_date": delegation.from_date.isoformat(), "to_date": delegation.to_date.isoformat(),
        "status": status(delegation),
        "ended_at": local_iso(delegation.ended_at),
    }
