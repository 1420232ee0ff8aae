"""Every access question outside the workflow's own table, answered in one place.

The workflow's question (may this user fire this action on this record now?) is
`workflow.permissions.decide`; everything else — who reads everything, who records or
corrects tracker entries and deduction records, who edits the calendar, who administers —
is asked here, so that pages, the API and the services give one answer.
403 never yours, 409 not now, 404 not yours to see.

The questions that can refuse answer a `Verdict`; `require(verdict)` turns a refusal into the
error the API and the pages show (`errors.from_verdict`). Yes/no questions about reading
answer a bool: what a user may not read is answered as if it did not exist (404).

The own-unit rule (CONTRACT.md "Safe on the network"): nobody lowers, corrects or withdraws a
deduction record, an OA sign-in or an information item about their own unit — 403 `own_unit`;
another responsible office of the item, or the admin, may. Entering a new record or item is
not refused by it: a penalty entered against oneself harms nobody, and a new entry names its
author in the history for the other offices to see.
"""
from dataclasses import dataclass

from .errors import from_verdict
from .org import chart


@dataclass(frozen=True)
class Verdict:
    """An answer: allowed, or refused with a status (403/404/409), a code and a sentence."""

    allowed: bool
    status: int = 200
    code: str = ""
    message: str = ""

    def __bool__(self):
        return self.allowed


ALLOWED = Verdict(True)


def refused(status: int, code: str, message: str) -> Verdict:
    return Verdict(False, status, code, message)


def require(verdict: Verdict) -> None:
    """Raise the refusal a verdict stands for; nothing when it allows."""
    if not verdict:
        raise from_verdict(verdict)


# ------------------------------------------------------------------------------ who one is


def subject(user):
    """The user behind a request-local proxy (flask_login's `current_user`): a list asks thousands
    of questions of one user, and every attribute read through the proxy costs a lookup."""
    real = getattr(user, "_get_current_object", None)
    return real() if real is not None else user


def sees_everything(user) -> bool:
    """Leaders, viewers and admins read every unit's records (DOMAIN.md "Who sees what")."""
    return user.has_role("viewer") or user.has_role("admin") or user.has_role("leader")


def is_admin(user) -> bool:
    return user.has_role("admin")


def acts_for_unit(user) -> bool:
    """Only a unit's members and heads act for it; a viewer or an admin who belongs to a unit
    still changes nothing (DOMAIN.md)."""
    return user.unit_id is not None and (user.has_role("member") or user.has_role("head"))


def answers_for(user, item) -> bool:
    """A member or head of an office responsible for the scheme item (考核责任科室)."""
    return acts_for_unit(user) and user.unit_id in {u.id for u in item.responsible}


def reads_every_unit(user, item) -> bool:
    """Who reads a tracker's rows for every unit: those who see everything and the offices
    responsible for the tracker's item; everyone else reads their own unit's rows."""
    if sees_everything(user):
        return True
    return item is not None and user.unit_id is not None and user.unit_id in {u.id for u in item.responsible}


def own_unit(user, unit_ids) -> Verdict:
    """403 `own_unit` when any of the units is the user's own."""
    if user.unit_id is not None and user.unit_id in set(unit_ids):
        return refused(403, "own_unit", "不能更正、撤销或删除关于本科室的记录；请由该项目的其他考核责任科室或管理员处理")
    return ALLOWED


# ------------------------------------------------------------------------------ deduction records


def can_read_records(user, unit, scheme) -> bool:
    """A unit reads the records about itself, its gate those of the units it gates; the
    responsible offices (of any item of the year), leaders, viewers and admins read all."""
    if sees_everything(user):
        return True
    if user.unit_id is None:
        return False
    if user.unit_id == unit.id:
        return True
    if scheme is not None and user.unit_id == chart.gate_of(scheme.year, unit.id):
        return True
    return scheme is not None and user.unit_id in scheme.responsible_unit_ids()


def can_record(user, item) -> Verdict:
    """Entering a deduction under an item: its responsible offices only."""
    if answers_for(user, item):
        return ALLOWED
    return refused(403, "forbidden", f"只有“{item.name}”的考核责任科室可以记录此项扣分")


def can_change_record(user, record, item) -> Verdict:
    """Correcting, withdrawing or adding evidence to a record the user reads: a responsible
    office of its item or the admin, never about their own unit; records a tracker derives
    change only with their source data."""
    if record.source != "manual":
        return refused(403, "derived_record", "统计生成的记录随来源数据更新，不能直接更正或撤销；请更正来源数据")
    if not (answers_for(user, item) or is_admin(user)):
        return refused(403, "forbidden", "只有该项目的考核责任科室或管理员可以更正或撤销人工记录")
    return own_unit(user, [record.unit_id])


# ------------------------------------------------------------------------------ trackers


def can_enter_oa(user, item) -> Verdict:
    """Entering or importing OA documents (附件5): the offices responsible for 信息管理."""
    if item is not None and answers_for(user, item):
        return ALLOWED
    return refused(403, "forbidden", "只有负责“信息管理”考核的科室可以录入 OA 文件")


def can_change_oa(user, item) -> Verdict:
    """Correcting or deleting an OA document: those who enter them, or the admin (who corrects
    the sign-ins of the office's own staff, which the office may not — see `own_unit`)."""
    if is_admin(user):
        return ALLOWED
    return can_enter_oa(user, item)


def can_excuse_oa(user, item, unit_ids) -> Verdict:
    """Excusing a late or missing sign-in (附件2 charges only 无故 and 影响工作 cases): the
    offices responsible for 信息管理, never for their own unit's staff; or the admin."""
    if is_admin(user) and not acts_for_unit(user):
        return ALLOWED
    if item is None or not answers_for(user, item):
        return refused(403, "forbidden", "只有负责“信息管理”考核的科室可以免除 OA 签收扣分")
    return own_unit(user, unit_ids)


def can_keep_staff(user, unit, item) -> Verdict:
    """A unit's staff list (people without accounts whom OA documents reach): the unit's own
    members and heads keep it; the offices responsible for 信息管理 and the admin too."""
    if is_admin(user) or (acts_for_unit(user) and user.unit_id == unit.id):
        return ALLOWED
    if item is not None and answers_for(user, item):
        return ALLOWED
    return refused(403, "forbidden", "只有本科室或负责“信息管理”考核的科室可以维护人员名单")


def can_read_oa_documents(user, item) -> bool:
    """The document list is for the offices responsible for 信息管理 and those who see everything;
    a unit reads its own rows of the report."""
    return reads_every_unit(user, item)


def can_enter_info(user, item) -> Verdict:
    """Entering or importing adopted items (附件4): the offices responsible for 信息宣传."""
    if item is not None and answers_for(user, item):
        return ALLOWED
    name = item.name if item is not None else "信息宣传"
    return refused(403, "forbidden", f"只有“{name}”的考核责任科室可以录入信息报送情况")


def can_change_info_item(user, info_item, item) -> Verdict:
    """Correcting or deleting an adopted item: a responsible office of 信息宣传 or the admin, never
    for their own unit."""
    if not (is_admin(user) or (item is not None and answers_for(user, item))):
        return refused(403, "forbidden", "只有信息宣传的考核责任科室或管理员可以更正或删除信息")
    return own_unit(user, [info_item.unit_id])


def can_edit_calendar(user) -> Verdict:
    """The working-day calendar (工作日历) is the admin's."""
    if is_admin(user):
        return ALLOWED
    return refused(403, "forbidden", "只有管理员可以维护工作日历")


def items_answered_for(user, items) -> list:
    """The scheme items whose rows this user's office signs and may name in a return (附件3)."""
    return [item for item in items if answers_for(user, item)]
