"""One workflow service for every record that moves (a score sheet, a bonus application).

`fire_action(kind, user, record_id, action, payload)` makes one step: the same checks in the
same order for every kind — 404 (not visible, unknown action) → 403 (never theirs) →
409 (a stale version) → 409 (not now) → 422 (what the step needs) — then the step's field
edits, the machine, the signature, one history step for the move, and one commit; or, on any
refusal or failure, a rollback of everything (`uow.operation`).

Each kind plugs in what is its own through a `RecordKind`: how a record is loaded with its
facts, what must be complete before a move, what extra a step's payload carries, and how a
signature is stored.
"""
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..audit import service as audit
from ..errors import Invalid, NotFound
from ..extensions import db
from ..notify import service as notify
from ..uow import operation
from . import machine, permissions, steps
from .permissions import RecordFacts


@dataclass
class Loaded:
    """A record the caller may see, its permission facts, and whatever else the kind needs
    (the year's scheme for a sheet)."""

    record: Any
    facts: RecordFacts
    context: Any = None


@dataclass
class StepInput:
    """What a kind reads from a step's payload, checked before anything changes."""

    edits: list[tuple[str, Any]] = field(default_factory=list)  # (attribute, new value) on the record
    comment: str | None = None  # replaces the comment in the history step (a leader's opinion)
    items: list[str] | None = None  # rows a responsible office's return names


@dataclass(frozen=True)
class Step:
    """What the service hands a kind while it reads a payload."""

    user: Any
    action: str
    capacity: str  # the capacity in which the user acts (permissions.capacities)
    payload: dict


class RecordKind(Protocol):
    """How one kind of record plugs into the workflow service."""

    history_kind: str  # the history's record_kind: "sheet" | "bonus"

    def load(self, user, record_id: int) -> Loaded:
        """The record if the user may see it, else NotFound."""

    def blocked_reason(self, loaded: Loaded, action: str) -> str | None:
        """Why the record is not complete enough for `action` (422 `incomplete`), or None."""

    def read_input(self, loaded: Loaded, step: Step) -> StepInput:
        """The step's extra payload, parsed and checked (422); changes nothing."""

    def add_signature(self, loaded: Loaded, user, capacity: str, on_behalf_of=None) -> None:
        """Store the signature that `capacity` gives on the record (machine.Transition.signs):
        `user` signs, in their own place or in `on_behalf_of`'s (a delegation)."""

    def withdraw_signatures(self, loaded: Loaded, owner, items: list[str]) -> None:
        """A responsible office's return names rows: its own signatures on them go (only kinds
        with rows are returned naming rows)."""

    def moved(self, loaded: Loaded, before: str, after: str) -> None:
        """After the move, in the same unit of work (e.g. a sheet freezes its numbers at final)."""


@operation
def fire_action(kind: RecordKind, user, record_id: int, action: str, payload: dict):
    """Fire a machine action on a record of `kind`: checks, edits, move, signature, history, commit."""
    loaded = kind.load(user, record_id)
    if action not in machine.ACTIONS:
        raise NotFound(f"没有“{action}”这个操作", "unknown_action")
    record, facts = loaded.record, loaded.facts
    verdict = steps.authorize(user, action, facts, payload.get("version"), record)
    move = machine.declaration(action, record.state, verdict.capacity)
    comment = steps.clean_text(payload.get("comment"), "意见")
    if move.reason_required and not comment:
        raise Invalid("退回或重新打开时必须填写理由", "comment_required")
    why = kind.blocked_reason(loaded, action)
    if why:
        raise Invalid(why, "incomplete")
    # A delegate acts in the delegator's place: their unit, rows and capacity (the history and the
    # signature still name the delegate: "A 代 B").
    principal = verdict.on_behalf_of
    acting = principal or user
    given = kind.read_input(loaded, Step(acting, action, verdict.capacity, payload))

    capacity = permissions.history_capacity(user, verdict.capacity)
    for attr, new in given.edits:
        steps.edit_field(kind.history_kind, record, user, capacity, attr, new)
    # The move is written at once, by `steps.flush` below: a query a kind's hook makes meanwhile
    # must not write half of it (the row would be updated twice, its version bumped twice).
    with db.session.no_autoflush:
        # 会签: the office whose signature is the last one pending moves the record on; a returned
        # sheet whose rows all kept their signatures skips 会签 (machine.Transition.skips_to).
        before, after = machine.fire(record, action, all_signed=facts.pending_ids <= {acting.unit_id},
                                     none_pending=not facts.pending_ids)
        if machine.moves_back(before, after):
            steps.void_signatures(record, after)
            if given.items:  # an office that names rows no longer vouches for them, signed or not
                kind.withdraw_signatures(loaded, acting, given.items)
        elif move.signs:
            kind.add_signature(loaded, user, move.signs, on_behalf_of=principal)
        kind.moved(loaded, before, after)
        # The unit may withdraw only until the gate has acted: a new submit opens a new round,
        # an approval or a move back to the gate means the gate has acted.
        record.gate_touched = action != "submit" and (record.gate_touched or after == "gate_review"
                                                      or action == "approve")
        comment = comment if given.comment is None else given.comment
        audit.record_step(kind.history_kind, record, user, capacity, action, from_state=before, to_state=after,
                          comment=comment, items=given.items)
    steps.flush(record)  # the step as stored is what the notifications read
    notify.after_step(kind.history_kind, record, user, action, before, after, comment, given.items)
    steps.commit(record, flushed=True, keep_loaded=True)  # the caller answers from the record as written
    return record
