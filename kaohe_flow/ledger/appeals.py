"""Appeals (申诉) against deduction records (issue 9, CONTRACT.md "The year's rhythm").

The head of the record's unit appeals with a reason within the year's `appeal_days`; a member
or head of an office responsible for the record's item — never the record's own unit — or the
admin decides: `upheld` withdraws the record (the ledger's own withdrawal, in the same unit of
work), `rejected` keeps it with an answer. One appeal a record, ever: a rejected appeal is not
filed again (the unit raises it with the gate during review instead). Both steps are history
steps of the record.

The window: a record made on day D (Asia/Shanghai) may be appealed until the end of day
D + `appeal_days` — with 5, a record made on 8 May at any hour is open to appeal until 13 May
24:00. Only manual records are appealed: the trackers' records follow their source data, which
their own offices correct (an OA case is excused by the 信息管理 office), so an appeal against
one would be undone by the next bring-in-step.

Who may do what now is answered by `may_appeal` and `may_decide` (verdicts, like `access`), so
the pages show a form exactly when the step would be accepted.
"""
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError

from .. import access
from ..audit.service import record_step
from ..errors import Conflict, Invalid, from_verdict
from ..scheme.settings import settings_for
from ..timeutil import LOCAL_TZ, as_utc, utcnow
from ..uow import operation
from ..workflow import steps
from . import service as ledger
from .models import DeductionAppeal, DeductionRecord
from .queries import get_visible, item_of_rule

DECISIONS = {"upheld": "维持申诉（撤销记录）", "rejected": "驳回申诉"}
STATE_LABELS = {"open": "申诉中", "upheld": "申诉成立，记录已撤销", "rejected": "申诉已驳回"}


def last_day(record: DeductionRecord) -> date | None:
    """The last local day on which the record may be appealed; None for a derived record."""
    if record.source != "manual":
        return None
    made = as_utc(record.created_at).astimezone(LOCAL_TZ).date()
    return made + timedelta(days=settings_for(record.year).appeal_days)


def _today() -> date:
    return utcnow().astimezone(LOCAL_TZ).date()


def may_appeal(user, record: DeductionRecord) -> access.Verdict:
    """The head of the record's unit, about a standing manual record without an appeal, within
    the window. 403 never (someone else; a derived record), 409 already appealed, 422 withdrawn
    or too late."""
    if not (access.acts_for_unit(user) and user.is_head and user.unit_id == record.unit_id):
        return access.refused(403, "forbidden", "只有被考核科室的负责人可以对本科室的考核记录提出申诉")
    if record.source != "manual":
        return access.refused(403, "derived_record", "统计生成的记录随来源数据更新，不能申诉；如有异议，请联系负责该项"
                                                     "统计的考核责任科室更正来源数据（OA签收可申请免除扣分）")
    if record.withdrawn:
        return access.refused(422, "withdrawn", "这条记录已撤销，不再扣分，无需申诉")
    if record.appeal is not None:
        return access.refused(409, "appeal_exists", "这条记录已经提出过申诉（每条记录只能申诉一次）")
    if _today() > last_day(record):
        return access.refused(422, "appeal_closed",
                              f"申诉期已过：这条记录的申诉截止于 {last_day(record).isoformat()} 当日结束"
                              f"（登记后 {settings_for(record.year).appeal_days} 天内）")
    return access.ALLOWED


def may_decide(user, record: DeductionRecord) -> access.Verdict:
    """A member or head of an office responsible for the record's item, or the admin, never about
    their own unit (403); only an open appeal is decided (409)."""
    item = item_of_rule(record.year)[record.rule_id]
    if not (access.answers_for(user, item) or access.is_admin(user)):
        return access.refused(403, "forbidden", f"只有“{item.name}”的考核责任科室或管理员可以处理申诉")
    if user.unit_id is not None and user.unit_id == record.unit_id:
        return access.refused(403, "own_unit", "不能处理关于本科室记录的申诉；请由该项目的其他考核责任科室或管理员处理")
    if record.appeal is None or record.appeal.state != "open":
        return access.refused(409, "no_open_appeal", "这条记录没有待处理的申诉")
    return access.ALLOWED


def _refuse(verdict: access.Verdict):
    if verdict.status == 422:
        return Invalid(verdict.message, verdict.code)
    return from_verdict(verdict)


def _authorize(verdict: access.Verdict, record: DeductionRecord, payload: dict) -> None:
    """403/404 first, then a stale page (when the caller sends a version), then not now."""
    if verdict.status in (403, 404):
        raise _refuse(verdict)
    if payload.get("version") is not None:
        steps.check_version(record, payload["version"])
    if not verdict:
        raise _refuse(verdict)


def _commit(record: DeductionRecord) -> None:
    """One commit; the record's version moves, so a concurrent step on it loses with 409."""
    try:
        steps.commit(record)
    except IntegrityError:  # a second appeal raced this one past the check
        raise Conflict("这条记录已经提出过申诉（每条记录只能申诉一次）", "appeal_exists") from None


@operation
def appeal(user, record_id: int, payload: dict) -> DeductionRecord:
    """`{"reason"}` by the unit's head: the record carries an open appeal."""
    record = get_visible(user, record_id)
    _authorize(may_appeal(user, record), record, payload)
    reason = steps.clean_text(payload.get("reason"), "申诉理由")
    if not reason:
        raise Invalid("提出申诉时必须填写申诉理由", "reason_required")
    record.appeal = DeductionAppeal(state="open", reason=reason, answer="", filed_by_id=user.id, filed_at=utcnow())
    record_step("deduction", record, user, "unit_head", "appeal", field="appeal", new="open", comment=reason)
    _commit(record)
    return record


@operation
def decide(user, record_id: int, payload: dict) -> DeductionRecord:
    """`{"decision": "upheld"|"rejected", "answer"}` by a responsible office (not the unit) or the
    admin. An answer is required to reject; an upheld appeal withdraws the record."""
    record = get_visible(user, record_id)
    _authorize(may_decide(user, record), record, payload)
    decision = payload.get("decision")
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise Invalid("请选择处理结果：维持申诉（撤销记录）或驳回申诉", "invalid_decision")
    answer = steps.clean_text(payload.get("answer"), "答复意见")
    if decision == "rejected" and not answer:
        raise Invalid("驳回申诉时必须填写答复意见，说明理由", "answer_required")
    found = record.appeal
    found.state, found.answer = decision, answer
    found.decided_by_id, found.decided_at = user.id, utcnow()
    record_step("deduction", record, user, ledger._capacity(user), "appeal_decided", field="appeal", old="open", new=decision,
                comment=answer)
    if decision == "upheld" and not record.withdrawn:
        ledger.mark_withdrawn(user, record, f"申诉成立：{answer}" if answer else "申诉成立")
    _commit(record)
    return record
