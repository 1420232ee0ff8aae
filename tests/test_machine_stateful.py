"""The machine and its permissions against a model (issue 8, point 11): random people of the
demo fire random actions on one sheet, with its current version or a stale one; a small model
written straight from DOMAIN.md "Who does what" says who may do what in which state, and the
services' answers (status, code, state, version, history, the buttons shown) must match it.

Bounded to stay fast: KAOHE_STATEFUL_EXAMPLES examples (default 25) of at most 20 steps each,
through the services (not HTTP); the sheet is restored before every example.
"""
import os
from collections import Counter
from dataclasses import dataclass, field

import hypothesis.strategies as st
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kaohe_flow.errors import ServiceError
from kaohe_flow.extensions import db
from kaohe_flow.sheets import queries
from kaohe_flow.sheets import service as sheets
from kaohe_flow.sheets.models import Sheet, Signature
from test_workflow_service import scored_sheet, stored, user

EXAMPLES = int(os.environ.get("KAOHE_STATEFUL_EXAMPLES", "25"))
STEPS = 20

# 财审科's 2018 sheet: gate 人教科, supervised by leader1, co-signed by the four responsible
# offices (人教科 is both its gate and one of them).
UNIT, GATE, LEADER = "csk", "rjk", "leader1"
OFFICES = ("rjk", "dwb", "cjjcdd", "bgs")
OWN_ROW = {"rjk": "targets", "dwb": "team", "cjjcdd": "study", "bgs": "info_mgmt"}  # a row each office answers for
ACTIONS = ("submit", "withdraw", "approve", "sign", "return", "reopen")


@dataclass(frozen=True)
class Persona:
    unit: str | None = None
    head: bool = False
    role: str | None = None  # leader | viewer | admin


PERSONAS = {
    "csk": Persona("csk", head=True), "csk.staff": Persona("csk"),
    "rjk": Persona("rjk", head=True), "rjk.staff": Persona("rjk"),
    "dwb": Persona("dwb", head=True), "dwb.staff": Persona("dwb"),
    "cjjcdd": Persona("cjjcdd", head=True), "bgs": Persona("bgs", head=True),
    "szc": Persona("szc", head=True), "fgc.staff": Persona("fgc"),
    "leader1": Persona(role="leader"), "leader2": Persona(role="leader"),
    "director": Persona(role="viewer"), "admin": Persona(role="admin"),
}


@dataclass
class Model:
    """The sheet as the model sees it."""

    state: str = "draft"
    pending: set = field(default_factory=set)  # offices yet to sign (会签)
    gate_touched: bool = False
    # Offices whose row signatures stand: a move back to gate_review keeps them (no row changes
    # here), a move back to draft voids them (CONTRACT.md "The year's rhythm").
    kept: set = field(default_factory=set)

    def answer(self, who: str, action: str, *, stale: bool = False) -> tuple[int, str]:
        """DOMAIN.md: 404 not visible, 403 never theirs, 409 stale or not now, else 200."""
        p = PERSONAS[who]
        if p.unit not in (UNIT, GATE, *OFFICES) and p.role is None:
            return 404, "not_found"
        if action not in ACTIONS:
            return 404, "unknown_action"
        unit_head = p.unit == UNIT and p.head
        gate_head = p.unit == GATE and p.head
        office_head = p.unit in OFFICES and p.head
        my_leader = who == LEADER
        may = {
            "submit": [(unit_head, "draft")],
            "withdraw": [(unit_head, "gate_review")],
            "approve": [(gate_head, "gate_review")],
            "sign": [(office_head, "responsible_sign"), (my_leader, "leader_sign")],
            "return": [(gate_head, "gate_review"), (office_head, "responsible_sign"), (my_leader, "leader_sign")],
            "reopen": [(p.role == "admin", "final")],
        }[action]
        states = [state for allowed, state in may if allowed]
        if not states:
            return 403, "forbidden"
        if stale:
            return 409, "stale_version"
        if self.state not in states:
            return 409, "wrong_state"
        if action == "withdraw" and self.gate_touched:
            return 409, "gate_has_acted"
        if action == "sign" and self.state == "responsible_sign" and p.unit not in self.pending:
            return 409, "already_signed"
        return 200, "ok"

    def advance(self, who: str, action: str) -> None:
        unit = PERSONAS[who].unit
        if action == "submit":
            self.state, self.gate_touched = "gate_review", False
        elif action == "withdraw":
            self.state, self.kept = "draft", set()
        elif action == "approve":
            self.pending, self.gate_touched = set(OFFICES) - self.kept, True
            # Every row still signed: nobody is left to sign, the leader is next.
            self.state = "responsible_sign" if self.pending else "leader_sign"
        elif action == "sign" and self.state == "responsible_sign":
            self.pending.discard(unit)
            self.kept.add(unit)
            if not self.pending:
                self.state = "leader_sign"
        elif action == "sign":
            self.state = "final"
        elif action == "return":
            if self.state == "gate_review":
                self.state, self.kept = "draft", set()
            else:
                # An office's return names its row: its signature there goes (it signs again).
                if self.state == "responsible_sign":
                    self.kept.discard(unit)
                self.state = "gate_review"
            self.gate_touched = True
        elif action == "reopen":
            self.state, self.gate_touched = "gate_review", True

    def allowed(self, who: str) -> list[str]:
        return [a for a in ACTIONS if self.answer(who, a) == (200, "ok")]


class SheetPath(RuleBasedStateMachine):
    """The system under test: one sheet, the services, the model beside it."""

    app = None
    sheet_id = None
    seen = Counter()  # answers and states over the run, for the report

    def __init__(self):
        super().__init__()
        self.model = Model()
        self.context = self.app.app_context()
        self.context.push()
        # Restore the sheet to a scored draft (a test-only path: straight SQL, not the ORM).
        sheet = Sheet.__table__
        with db.engine.begin() as conn:
            conn.execute(sa.update(sheet).where(sheet.c.id == self.sheet_id)
                         .values(state="draft", gate_touched=False, version=sheet.c.version + 1))
            conn.execute(sa.delete(Signature.__table__).where(Signature.__table__.c.sheet_id == self.sheet_id))

    def teardown(self):
        db.session.remove()
        self.context.pop()

    def _fire(self, who: str, action: str, stale: bool = False) -> None:
        state, version, history = stored(Sheet, self.sheet_id)
        expected = self.model.answer(who, action, stale=stale)
        payload = {"version": version - 1 if stale else version, "comment": "理由",
                   "items": [OWN_ROW[who]] if who in OWN_ROW else None}
        try:
            sheets.fire_action(user(who), self.sheet_id, action, payload)
            answer = (200, "ok")
        except ServiceError as exc:
            answer = (exc.status, exc.code)
        assert answer == expected, (who, action, state, stale)
        self.seen[answer] += 1
        if answer[0] == 200:
            self.model.advance(who, action)
            self.seen[self.model.state] += 1
            assert stored(Sheet, self.sheet_id) == (self.model.state, version + 1, history + 1)
        else:
            assert stored(Sheet, self.sheet_id) == (state, version, history)

    @rule(who=st.sampled_from(sorted(PERSONAS)), action=st.sampled_from(ACTIONS + ("nosuch",)))
    def anyone_tries_anything(self, who, action):
        self._fire(who, action)

    @rule(who=st.sampled_from(sorted(PERSONAS)), action=st.sampled_from(ACTIONS))
    def anyone_tries_with_a_stale_page(self, who, action):
        self._fire(who, action, stale=True)

    @rule(data=st.data())
    def someone_who_may_takes_the_next_step(self, data):
        moves = [(who, a) for who in sorted(PERSONAS) for a in self.model.allowed(who)]
        who, action = data.draw(st.sampled_from(moves), label="move")
        self._fire(who, action)

    @rule(data=st.data())
    def the_right_person_tries_at_the_wrong_moment(self, data):
        """Aimed at the 409s: the wrong state, a gate that has acted, an office that has signed."""
        answers = {(who, a): self.model.answer(who, a) for who in sorted(PERSONAS) for a in ACTIONS}
        moves = [move for move, answer in answers.items() if answer[0] == 409]
        guarded = [move for move in moves if answers[move][1] != "wrong_state"]
        if moves:
            self._fire(*data.draw(st.sampled_from(guarded or moves), label="not now"))

    @rule(data=st.data(), steps=st.integers(1, 8))
    def the_sheet_moves_forward(self, data, steps):
        """A run of forward moves by those who may take them, so that walks reach the end."""
        for _ in range(steps):
            moves = [(who, a) for who in sorted(PERSONAS) for a in self.model.allowed(who)
                     if a in ("submit", "approve", "sign")]
            if not moves:
                return
            who, action = data.draw(st.sampled_from(moves), label="forward")
            self._fire(who, action)

    @rule(who=st.sampled_from(sorted(PERSONAS)))
    def the_page_offers_exactly_the_allowed_actions(self, who):
        try:
            sheet, scheme, facts = queries.get_visible(user(who), self.sheet_id)
        except ServiceError as exc:
            assert self.model.answer(who, "submit")[0] == exc.status == 404
            return
        assert queries.view(user(who), sheet, scheme, facts).allowed_actions == self.model.allowed(who)

    @invariant()
    def the_sheet_is_where_the_model_says(self):
        assert stored(Sheet, self.sheet_id)[0] == self.model.state


def test_the_machine_and_its_permissions_agree_with_the_model(app):
    with app.app_context():
        SheetPath.sheet_id = scored_sheet(UNIT)
    SheetPath.app = app
    SheetPath.seen.clear()
    run_state_machine_as_test(SheetPath, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
        # No shrinking: against a database it takes minutes; a failing walk is printed as found.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    print(f"\nstateful: {EXAMPLES} examples × ≤{STEPS} steps: {dict(SheetPath.seen)}")
    assert SheetPath.seen["final"] > 0  # the walk does reach the end of the path
