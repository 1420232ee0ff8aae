"""The path of a sheet or a bonus application, declared once as data (CONTRACT.md, DOMAIN.md
"Who does what").

Every transition is declared once below — trigger, source, destination, who may fire it and
its guard — and both the `transitions.Machine` and the permission table
(`permissions.ACTION_RULES`) are built from that one declaration.

One shared `transitions.Machine` built with `model=None` serves every record: records are
never attached (a machine per row costs hundreds of microseconds and leaks, and `add_model`
without `initial=` would reset a loaded row). Events are fired with
`MACHINE.events[name].trigger(record, **facts)`; the service owns the transaction.

A record's `state` changes only while the machine fires it: the models validate every
assignment with `guard_state`, which refuses any other (creation in the initial state aside).
"""
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import inspect
from transitions import Machine, MachineError

STATES = ("draft", "gate_review", "responsible_sign", "leader_sign", "final")
INITIAL = "draft"

STATE_LABELS = {
    "draft": "自评",
    "gate_review": "扎口审核",
    "responsible_sign": "责任科室会签",
    "leader_sign": "分管领导签字",
    "final": "定稿",
}

ACTION_LABELS = {
    "submit": "提交",
    "withdraw": "撤回",
    "approve": "审核通过",
    "sign": "签字",
    "return": "退回",
    "reopen": "重新打开",
}


@dataclass(frozen=True)
class Who:
    """A capacity in which one stands towards a record (unit | gate | responsible_office |
    leader | admin), and whether only the head of that unit may act in it."""

    capacity: str
    head_only: bool = False


@dataclass(frozen=True)
class Guard:
    """A refusal that depends on more than the state: the right person, not now (409)."""

    holds: Callable  # (user, facts) -> bool
    code: str
    message: str


@dataclass(frozen=True)
class Transition:
    """One move of the path, declared once.

    `moves_when` names a fact the service passes with the trigger: while it is false the step
    is recorded and the record stays where it is (会签: only the last office moves it on).
    `signs` is the signature the step gives on the record; `reason_required` that a comment
    must say why.
    """

    trigger: str
    source: str
    dest: str
    who: Who
    guard: Guard | None = None
    moves_when: str | None = None
    signs: str | None = None
    reason_required: bool = False
    # While the fact `skips_when` holds, the move goes on to `skips_to` instead of `dest` (the
    # gate approves a returned sheet whose rows all kept their offices' signatures: nobody is
    # left to sign in responsible_sign, so it goes straight to the leader).
    skips_to: str | None = None
    skips_when: str | None = None


@dataclass(frozen=True)
class FieldEdit:
    """Editing fields is not a move of the machine, but it is asked through the same question."""

    name: str
    state: str
    who: Who


UNIT_HEAD = Who("unit", head_only=True)
GATE_HEAD = Who("gate", head_only=True)
OFFICE_HEAD = Who("responsible_office", head_only=True)
LEADER = Who("leader")
ADMIN = Who("admin")

GATE_HAS_NOT_ACTED = Guard(lambda user, facts: not facts.gate_touched,
                           "gate_has_acted", "扎口科室已开始审核，不能再撤回")
OFFICE_HAS_NOT_SIGNED = Guard(lambda user, facts: user.unit_id in facts.pending_ids,
                              "already_signed", "本科室负责的项目已经签字")

# DOMAIN.md "Who does what". For one trigger, declarations are tried in order.
TRANSITIONS = (
    Transition("submit", "draft", "gate_review", UNIT_HEAD, signs="unit_head"),
    # The unit may take its sheet back only until the gate unit has written anything or decided.
    Transition("withdraw", "gate_review", "draft", UNIT_HEAD, guard=GATE_HAS_NOT_ACTED),
    Transition("approve", "gate_review", "responsible_sign", GATE_HEAD, signs="gate",
               skips_to="leader_sign", skips_when="none_pending"),
    Transition("sign", "responsible_sign", "leader_sign", OFFICE_HEAD, guard=OFFICE_HAS_NOT_SIGNED,
               moves_when="all_signed", signs="responsible_office"),
    Transition("sign", "leader_sign", "final", LEADER, signs="leader"),
    Transition("return", "gate_review", "draft", GATE_HEAD, reason_required=True),
    Transition("return", "responsible_sign", "gate_review", OFFICE_HEAD, reason_required=True),
    Transition("return", "leader_sign", "gate_review", LEADER, reason_required=True),
    Transition("reopen", "final", "gate_review", ADMIN, reason_required=True),
)

FIELD_EDITS = (
    FieldEdit("edit_self", "draft", Who("unit")),  # self scores, a draft application, certificates
    FieldEdit("edit_review", "gate_review", Who("gate")),  # review scores, key deduction, proposed points
)

ACTIONS = tuple(dict.fromkeys(t.trigger for t in TRANSITIONS))

# A signature belongs to the step where it is given; moving back to or before that step voids it.
SIGNATURE_STEP = {t.signs: t.source for t in TRANSITIONS if t.signs}

# CONTRACT.md "The year's rhythm": a move back to gate_review keeps the responsible offices'
# signatures on rows (a sheet's item rows) whose review score and reason did not change since
# they signed; a change to a row voids that row's signatures (sheets.service). A move back to
# draft voids them all: the unit rewrites its sheet.
KEPT_ON_RETURN = {"gate_review": frozenset({"responsible_office"})}


def _fact(name: str):
    # Facts are computed by the service and passed with the trigger; conditions only read them.
    return lambda event: bool(event.kwargs.get(name))


def _build() -> Machine:
    specs = []
    for t in TRANSITIONS:
        if t.skips_to:
            specs.append({"trigger": t.trigger, "source": t.source, "dest": t.skips_to,
                          "conditions": [_fact(t.skips_when)]})
        if t.moves_when:
            specs.append({"trigger": t.trigger, "source": t.source, "dest": t.dest,
                          "conditions": [_fact(t.moves_when)]})
            specs.append({"trigger": t.trigger, "source": t.source, "dest": None})  # recorded, stays
        else:
            specs.append({"trigger": t.trigger, "source": t.source, "dest": t.dest})
    return Machine(model=None, states=list(STATES), transitions=specs, initial=INITIAL,
                   auto_transitions=False, send_event=True)


MACHINE = _build()


class TransitionRefused(Exception):
    """The machine has no such move from the record's state."""


class StateAssignmentRefused(RuntimeError):
    """Code tried to set a record's state without firing the machine."""


# The record the machine is moving right now, per thread and task.
_firing: ContextVar = ContextVar("kaohe_firing", default=None)


def fire(record, action: str, **facts) -> tuple[str, str]:
    """Move `record` by `action`; answer (from_state, to_state). Raises TransitionRefused."""
    if action not in MACHINE.events:
        raise TransitionRefused(action)
    before = record.state
    token = _firing.set(record)
    try:
        moved = MACHINE.events[action].trigger(record, **facts)
    except MachineError as exc:
        raise TransitionRefused(action) from exc
    finally:
        _firing.reset(token)
    if not moved:
        raise TransitionRefused(action)
    return before, record.state


def guard_state(record, value):
    """The body of the models' `validates("state")`: only the machine moves a record.

    A new record may be created in the initial state; a stored one changes only inside `fire`.
    (Data repair goes through SQL and leaves a trace in the database's own log, not here.)
    """
    if _firing.get() is record:
        return value
    if value == INITIAL and not inspect(record).persistent and getattr(record, "state", None) in (None, INITIAL):
        return value
    raise StateAssignmentRefused(f"{type(record).__name__}.state changes only through the workflow machine")


def declaration(action: str, state: str, capacity: str) -> Transition | None:
    """The declared move that `action` makes from `state` for one acting in `capacity`."""
    return next((t for t in TRANSITIONS if t.trigger == action and t.source == state
                 and t.who.capacity == capacity), None)


def sources(action: str) -> set[str]:
    """The states from which `action` may fire at all."""
    return {t.source for t in TRANSITIONS if t.trigger == action}


def moves_back(before: str, after: str) -> bool:
    return STATES.index(after) < STATES.index(before)
