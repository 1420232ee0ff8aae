"""One question — may this user do this action on this record now? — for pages, API,
inbox and buttons alike.

The answer distinguishes "never" (the wrong person for it: 403) from "not now" (the right
person, the wrong moment: 409), as CONTRACT.md requires. Who may do what is the table of
DOMAIN.md ("Who does what"), built from the one declaration of the moves in `machine.py`
(never written twice); the org facts (gate map, leaders, responsible offices) come from the
database, never from code.
"""
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from ..access import sees_everything
from .machine import ACTIONS, FIELD_EDITS, STATE_LABELS, TRANSITIONS, Guard


@dataclass(frozen=True)
class RecordFacts:
    """What the permission question needs to know about a sheet or an application."""

    unit_id: int
    gate_unit_id: int | None
    leader_id: int | None
    state: str
    responsible_ids: frozenset = field(default_factory=frozenset)  # offices that sign (会签)
    pending_ids: frozenset = field(default_factory=frozenset)  # offices yet to sign
    gate_touched: bool = False
    # Offices that read every record without acting on this one (DOMAIN.md "Who sees what":
    # the responsible offices see every sheet and application).
    reader_ids: frozenset = field(default_factory=frozenset)
    # Who has signed the record (the signatures standing), in which capacity, and whether through
    # a delegation: (user id, capacity, delegated). Nobody acts on one record in two capacities
    # through a delegation (`acts` of the service adds the round's other steps at write time).
    signers: frozenset = field(default_factory=frozenset)


class Grant(NamedTuple):
    capacity: str  # unit | gate | responsible_office | leader | admin
    head_only: bool
    state: str
    guard: Guard | None = None


def _rules() -> dict[str, tuple[Grant, ...]]:
    """The table of DOMAIN.md "Who does what", built from the machine's one declaration."""
    rules: dict[str, list[Grant]] = {}
    for t in TRANSITIONS:
        rules.setdefault(t.trigger, []).append(Grant(t.who.capacity, t.who.head_only, t.source, t.guard))
    for edit in FIELD_EDITS:
        rules.setdefault(edit.name, []).append(Grant(edit.who.capacity, edit.who.head_only, edit.state))
    return {action: tuple(grants) for action, grants in rules.items()}


# edit_* are the field edits, asked through the same question.
ACTION_RULES: dict[str, tuple[Grant, ...]] = _rules()

FIRING_ACTIONS = ACTIONS


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    status: int  # 200, 403 or 409
    code: str
    message: str
    capacity: str | None = None
    # The delegator whose capacity the user acts in (CONTRACT.md "The year's rhythm"), or None.
    on_behalf_of: Any = None

    def __bool__(self):
        return self.allowed


def capacities(user, facts: RecordFacts) -> set[str]:
    """The capacities in which `user` stands towards the record."""
    caps = set()
    # Only a unit's members and heads act for it; a viewer or an admin who belongs to a unit
    # still "changes nothing" / "never scores" (DOMAIN.md).
    if user.unit_id is not None and (user.has_role("member") or user.has_role("head")):
        if user.unit_id == facts.unit_id:
            caps.add("unit")
        # No unit ever acts as gate on its own sheet, whatever the data says.
        if user.unit_id == facts.gate_unit_id and user.unit_id != facts.unit_id:
            caps.add("gate")
        if user.unit_id in facts.responsible_ids:
            caps.add("responsible_office")
    if user.has_role("leader") and facts.leader_id == user.id:
        caps.add("leader")
    if user.has_role("admin"):
        caps.add("admin")
    return caps


def principals(user) -> list:
    """Those who have handed `user` their capacities for today (rhythm.delegations)."""
    from ..rhythm.delegations import principals_of  # the org facts come from the database

    return principals_of(user)


def can_see(user, facts: RecordFacts) -> bool:
    """What one sees for oneself, and what those one stands in for see."""
    return _sees(user, facts) or any(_sees(p, facts) for p in principals(user))


def _sees(user, facts: RecordFacts) -> bool:
    """A unit sees its own and its gated units' records; offices, leaders, viewers, admins all."""
    if sees_everything(user):
        return True
    if user.unit_id is not None and user.unit_id in facts.reader_ids:
        return True
    return bool(capacities(user, facts) & {"unit", "gate", "responsible_office"})


def history_capacity(user, capacity: str) -> str:
    """The capacity word the history records (CONTRACT.md): a delegate's step is recorded in the
    delegator's capacity (the operation stands in for them: `uow.stand_in`)."""
    from ..uow import standing_in

    user = standing_in() or user
    if capacity == "unit":
        return "unit_head" if user.is_head else "unit_member"
    return capacity


def decide(user, action: str, facts: RecordFacts) -> Verdict:
    """May `user` do `action` on the record described by `facts`, now — for themselves, or in the
    capacity of someone who has handed it to them for today (the verdict then names them)?"""
    own = _decide(user, action, facts)
    if own.allowed or own.status == 404:
        return _one_capacity(own, user, None, facts)
    best = own
    for principal in principals(user):
        verdict = _decide(principal, action, facts)
        if verdict.allowed:
            return _one_capacity(replace(verdict, on_behalf_of=principal), user, principal, facts)
        if verdict.status == 409 and best.status == 403:
            best = verdict  # the right person through the delegation, the wrong moment
    return best


CONFLICT = "conflict_of_capacity"


#: The history's and the signatures' capacity words, as the capacities of the permission table.
CAPACITY_OF = {"unit_member": "unit", "unit_head": "unit"}

CONFLICT_MESSAGE = ("您已以另一种身份处理过这份记录（本人或受他人委托），不能再以其他身份处理；"
                    "请由其他人办理")


def conflicting(acts, user, capacity: str, delegated: bool) -> bool:
    """Would acting on a record in `capacity` (through a delegation or not) be a second capacity?

    `acts` are (user id, capacity word, delegated) of what was done on the record: the standing
    signatures, and at write time the round's steps too. A person who acts through a delegation
    may have acted on the record in no other capacity, and one who acts for themselves in none
    other through a delegation. Acting in two capacities of one's own (a unit that is both a gate and
    a responsible office) is no conflict: no delegation is involved."""
    for who, word, through in acts:
        if who != user.id or CAPACITY_OF.get(word, word) == capacity:
            continue
        if delegated or through:
            return True
    return False


def _one_capacity(verdict: Verdict, user, principal, facts: RecordFacts) -> Verdict:
    """Nobody acts on one record in two capacities through a delegation (CONTRACT.md): a member
    of the record's own unit never stands in for its gate, an office or its leader, and whoever
    has signed it in one capacity may not sign it in another through a delegation, nor the other
    way round (the unit's head standing in for his deputy director would sign his own sheet)."""
    if not verdict.allowed:
        return verdict
    delegated = principal is not None
    own_unit = delegated and verdict.capacity != "unit" and "unit" in capacities(user, facts)
    if own_unit or conflicting(facts.signers, user, verdict.capacity, delegated):
        return Verdict(False, 409, CONFLICT, CONFLICT_MESSAGE)
    return verdict


def _decide(user, action: str, facts: RecordFacts) -> Verdict:
    """May `user` do `action` on the record described by `facts`, now, in their own capacities?"""
    grants = ACTION_RULES.get(action)
    if grants is None:
        return Verdict(False, 404, "unknown_action", f"没有“{action}”这个操作")
    caps = capacities(user, facts)
    mine = [g for g in grants if g.capacity in caps and (user.is_head or not g.head_only)]
    if not mine:
        return Verdict(False, 403, "forbidden", "您无权执行此操作")
    for grant in mine:
        if grant.state != facts.state:
            continue
        if grant.guard is not None and not grant.guard.holds(user, facts):
            return Verdict(False, 409, grant.guard.code, grant.guard.message)
        return Verdict(True, 200, "ok", "", grant.capacity)
    label = STATE_LABELS.get(facts.state, facts.state)
    return Verdict(False, 409, "wrong_state", f"当前状态为“{label}”，现在不能执行此操作")


def allowed_actions(user, facts: RecordFacts) -> list[str]:
    """The machine actions the user may fire now, in the contract's order."""
    return [a for a in FIRING_ACTIONS if decide(user, a, facts).allowed]


# The forward steps an inbox shows. A final record waits for no one: reopening is an admin's
# exception, not a task.
INBOX_ACTIONS = ("submit", "approve", "sign")


def expected_action(user, facts: RecordFacts) -> str | None:
    """The action an inbox shows: the forward step that waits for this user, if any."""
    for action in INBOX_ACTIONS:
        if decide(user, action, facts).allowed:
            return action
    return None
