"""Batch steps (CONTRACT.md `POST /api/v1/batch/actions/{action}`): a leader or an office signs, a
gate approves, several records at once — at most 100 (Steedos allows batch approval for 会签
steps with the same cap).

Each record is fired alone, exactly as its single call (`sheets.service.fire_action`,
`bonus.service.fire_action`): its own checks, version, history step and commit, or its own
rollback. One refused record changes nothing of the others. The answer says, per record and in
the request's order, the status the single call would have answered and where the record is now.

The batch as a whole is refused before anything changes when it is not one (400), is empty or
too long (422), or names an action that does not exist (404).
"""
from dataclasses import dataclass

from flask import g

from ..bonus import service as bonus_service
from ..bonus.models import BonusApplication
from ..bonus.queries import NOT_FOUND as BONUS_NOT_FOUND
from ..errors import BadRequest, Invalid, NotFound, ServiceError
from ..security.events import record_refusal
from ..extensions import db
from ..sheets import service as sheet_service
from ..sheets.models import Sheet
from ..workflow import steps
from ..workflow.machine import ACTIONS

MAX_RECORDS = 100
KIND_LABELS = {"sheet": "考核表", "bonus": "附加分申报"}
NOT_FOUND = {"sheet": "没有找到这张考核表", "bonus": BONUS_NOT_FOUND}
_MAX_ID = 2**31 - 1  # no record has a larger id; the database's integer ends there


@dataclass
class Outcome:
    """What happened to one record of a batch."""

    kind: str
    id: object
    status: int  # the HTTP status the single call would have answered
    state: str | None  # after the step; None when the caller may not see the record
    version: int | None
    error: dict | None = None  # {"code", "message"}
    loaded: object = None  # the record as the step left it (a refused step's record is read on demand)

    @property
    def record(self):
        """The Sheet or BonusApplication, for the page's links and names; None when not visible."""
        if self.loaded is None and self.state is not None:
            self.loaded = db.session.get(BonusApplication if self.kind == "bonus" else Sheet, self.id)
        return self.loaded

    def json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "status": self.status, "state": self.state,
                "version": self.version, "error": self.error}


@dataclass(frozen=True)
class Request:
    records: list  # (kind, id, version)
    comment: str


def _whole(value):
    """JSON has one kind of number: 12.0 is the integer 12 (as `api.body` reads it)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse(action: str, payload) -> Request:
    """The batch, checked whole before anything changes: 404 an unknown action, 400 a body that
    is not a batch, 422 an empty or too long one, a kind that is not one, a comment that is not text."""
    if action not in ACTIONS:
        raise NotFound(f"没有“{action}”这个操作", "unknown_action")
    if not isinstance(payload, dict):
        raise BadRequest("请求体必须是 JSON 对象", "malformed_json")
    records = payload.get("records")
    if not isinstance(records, list):
        raise BadRequest("records 必须是记录的列表：[{\"kind\": \"sheet\", \"id\": 1, \"version\": 3}]", "bad_records")
    if not records:
        raise Invalid("请至少选择一条记录", "no_records")
    if len(records) > MAX_RECORDS:
        raise Invalid(f"一次最多处理 {MAX_RECORDS} 条记录（本次 {len(records)} 条），请分批处理", "too_many")
    parsed = []
    for n, entry in enumerate(records, 1):
        if not isinstance(entry, dict):
            raise BadRequest(f"第 {n} 条记录必须是对象 {{kind, id, version}}", "bad_records")
        kind, record_id, version = entry.get("kind"), _whole(entry.get("id")), _whole(entry.get("version"))
        if not isinstance(kind, str) or kind not in KIND_LABELS:
            raise Invalid(f"第 {n} 条记录的种类（kind）应为 sheet（考核表）或 bonus（附加分申报）", "unknown_kind")
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            raise BadRequest(f"第 {n} 条记录缺少编号（id），或编号不是整数", "bad_records")
        if isinstance(version, bool) or not isinstance(version, int):
            raise BadRequest(f"第 {n} 条记录缺少版本号（version），或版本号不是整数", "bad_version")
        parsed.append((kind, record_id, version))
    comment = steps.clean_text(payload.get("comment"), "意见")
    return Request(parsed, comment)


def _fire(user, kind: str, record_id: int, action: str, version: int, comment: str):
    # A bonus application's leader signs with an opinion (附件6 局分管领导意见): the batch's comment.
    payload = {"version": version, "comment": comment}
    if kind == "bonus":
        payload["opinion"] = comment
        return bonus_service.fire_action(user, record_id, action, payload)
    return sheet_service.fire_action(user, record_id, action, payload)


def _as_it_is(kind: str, record_id: int) -> tuple:
    """(state, version) of a record after its refused step. The single call asks "may you see
    it?" first (404), so any other refusal means the caller sees it: both are theirs to know."""
    model = BonusApplication if kind == "bonus" else Sheet
    found = db.session.execute(db.select(model.state, model.version).where(model.id == record_id)).first()
    return tuple(found) if found is not None else (None, None)  # deleted meanwhile (a draft application)


def run(user, action: str, payload) -> list[Outcome]:
    """Fire `action` on each record of the batch alone; answer each one's outcome in order."""
    batch = parse(action, payload)
    outcomes, forbidden = [], []
    for kind, record_id, version in batch.records:
        # What one record's step changed (a final application grants points) must be seen by the
        # next one exactly as by a call of its own: drop the request's cached sums between them.
        g.pop("_bonus_granted", None)
        # A step keeps its own objects loaded after its commit (to answer from them); the next
        # record's step reads everything afresh, as a request of its own would.
        db.session.expire_all()
        try:
            if not 1 <= record_id <= _MAX_ID:  # the single call's path refuses such an id as unknown
                raise NotFound(NOT_FOUND[kind])
            record = _fire(user, kind, record_id, action, version, batch.comment)
        except ServiceError as exc:
            state, now = (None, None) if exc.status == 404 else _as_it_is(kind, record_id)
            if exc.status == 403:
                forbidden.append(f"{kind} {record_id}")
            outcomes.append(Outcome(kind, record_id, exc.status, state, now,
                                    {"code": exc.code, "message": exc.message}))
        else:
            outcomes.append(Outcome(kind, record_id, 200, record.state, record.version, None, record))
    if forbidden:
        # Every 403 of the app is a security event, the refused records of a batch too (one event
        # for the batch: a commit per refused record would make a long batch crawl).
        record_refusal("forbidden", getattr(user, "username", None), f"batch {action}: {', '.join(forbidden)}")
    return outcomes
