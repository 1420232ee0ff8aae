"""Micro-benchmark of the transition step and the permission question.

Run from the project root:

    .venv/bin/python bench/transition_bench.py      (or: make bench)

Plain Python, no pytest, no timed asserts: it prints a table and exits 0.
Every figure is the median over ROUNDS rounds of (round time / operations in the round),
in microseconds per operation, measured with time.perf_counter_ns in one process.
Timings on a shared 2-core machine are noisy; the ratios are what matter.

  a. shared machine   kaohe_flow.workflow.machine.fire(record, "submit") then
                      fire(record, "withdraw") on a plain object -- reported per step
  a'. as a, but with a new Record object for every step, like (b) -- per step
  b. machine per step a new transitions.Machine(model=record, ..., initial=record.state,
                      auto_transitions=False) built for every record and every step
                      (the anti-pattern the machine module warns about) -- per step;
                      each step gets a fresh record object, as a row loaded per request
                      would be (a machine cannot rebind triggers onto the same object)
  c. dict + setattr   {(state, action): dest} lookup plus setattr -- the floor, per step
  d. permissions      permissions.decide(user, "approve", facts) and
                      permissions.allowed_actions(user, facts)
"""
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import transitions  # noqa: E402
from transitions import Machine  # noqa: E402

from kaohe_flow.workflow import machine as wf  # noqa: E402
from kaohe_flow.workflow import permissions  # noqa: E402

ROUNDS = 7


class Record:
    """A stand-in for a Sheet row: only the `state` attribute matters to the machine."""

    def __init__(self, state="draft"):
        self.state = state


class FakeUser:
    """The attributes permissions.capacities/decide read."""

    def __init__(self, id, unit_id, is_head, roles=()):
        self.id = id
        self.unit_id = unit_id
        self.is_head = is_head
        self._roles = frozenset(roles)

    def has_role(self, role):
        return role in self._roles


# --- the three ways of taking a step -------------------------------------------------

def _transition_specs():
    """The project's transitions, with condition names resolved, as machine._build does."""
    specs = []
    for spec in wf.TRANSITIONS:
        spec = dict(spec)
        if "conditions" in spec:
            spec["conditions"] = [wf.CONDITIONS[spec["conditions"]]]
        specs.append(spec)
    return specs


SPECS = _transition_specs()
STATES = list(wf.STATES)

# Only the unconditional, single-destination moves: enough for submit/withdraw.
TABLE = {
    (src, spec["trigger"]): spec["dest"]
    for spec in wf.TRANSITIONS
    if "conditions" not in spec and spec["dest"] is not None
    for src in ([spec["source"]] if isinstance(spec["source"], str) else spec["source"])
}


def step_shared(record, action):
    return wf.fire(record, action)


def step_machine_per_record(record, action):
    """Build a machine around this record, fire once, drop it (what not to do).

    The record must be a fresh object (as a row loaded per request would be): once a machine
    has bound `submit`, `withdraw`, ... onto an object, a second machine skips binding them
    (transitions logs a warning) and the old machine's triggers would fire instead.
    """
    Machine(
        model=record,
        states=STATES,
        transitions=SPECS,
        initial=record.state,
        auto_transitions=False,
        send_event=True,
    )
    before = record.state
    if not getattr(record, action)():
        raise wf.TransitionRefused(action)
    return before, record.state


def step_dict(record, action):
    before = record.state
    dest = TABLE.get((before, action))
    if dest is None:
        raise wf.TransitionRefused(action)
    setattr(record, "state", dest)
    return before, dest


# --- timing ------------------------------------------------------------------------

def time_steps(step, n_trips):
    """Time n_trips submit+withdraw round trips; answer ns per step."""
    record = Record("draft")
    t0 = time.perf_counter_ns()
    for _ in range(n_trips):
        step(record, "submit")
        step(record, "withdraw")
    elapsed = time.perf_counter_ns() - t0
    assert record.state == "draft"
    return elapsed / (2 * n_trips)


def time_steps_fresh_records(step, n_trips):
    """As time_steps, but with a brand-new record object for every step (needed by b)."""
    state = "draft"
    t0 = time.perf_counter_ns()
    for _ in range(n_trips):
        r = Record(state)
        step(r, "submit")
        r = Record(r.state)
        step(r, "withdraw")
        state = r.state
    elapsed = time.perf_counter_ns() - t0
    assert state == "draft"
    return elapsed / (2 * n_trips)


def time_calls(fn, n):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n


def median_us(measure, *args):
    """Median over ROUNDS rounds (after one warm-up round), in microseconds per op."""
    measure(*args)  # warm-up
    samples = []
    for _ in range(ROUNDS):
        gc.collect()
        samples.append(measure(*args) / 1000.0)
    return statistics.median(samples), min(samples), max(samples)


def main():
    # Sanity: each way takes the same steps.
    for step in (step_shared, step_machine_per_record, step_dict):
        r = Record("draft")
        assert step(r, "submit") == ("draft", "gate_review"), step
        r = Record(r.state)
        assert step(r, "withdraw") == ("gate_review", "draft"), step
        assert r.state == "draft"

    # Permission fixture: unit 7 is the gate of unit 3; user 42 heads unit 7.
    gate_head = FakeUser(id=42, unit_id=7, is_head=True)
    facts = permissions.RecordFacts(
        unit_id=3,
        gate_unit_id=7,
        leader_id=99,
        state="gate_review",
        responsible_ids=frozenset({11, 12}),
        pending_ids=frozenset({11, 12}),
    )
    assert permissions.decide(gate_head, "approve", facts).allowed
    assert permissions.allowed_actions(gate_head, facts) == ["approve", "return"]

    t_start = time.perf_counter()
    c = median_us(time_steps, step_dict, 100_000)
    a = median_us(time_steps, step_shared, 20_000)
    b = median_us(time_steps_fresh_records, step_machine_per_record, 1_000)
    a2 = median_us(time_steps_fresh_records, step_shared, 20_000)
    d1 = median_us(time_calls, lambda: permissions.decide(gate_head, "approve", facts), 50_000)
    d2 = median_us(time_calls, lambda: permissions.allowed_actions(gate_head, facts), 20_000)
    total = time.perf_counter() - t_start

    rows = [
        ("a. shared MACHINE fire() (per step)", a),
        ("a'. same, fresh record object per step", a2),
        ("b. new Machine per record per step", b),
        ("c. dict lookup + setattr (floor)", c),
        ("d. permissions.decide(approve)", d1),
        ("d. permissions.allowed_actions", d2),
    ]
    floor = c[0]
    print(f"kaohe-flow transition bench — Python {sys.version.split()[0]}, "
          f"transitions {transitions.__version__}, median of {ROUNDS} rounds")
    print()
    print(f"{'operation':<42} {'µs/op':>10} {'min':>9} {'max':>9} {'× floor (c)':>12}")
    print("-" * 86)
    for label, (med, lo, hi) in rows:
        print(f"{label:<42} {med:>10.3f} {lo:>9.3f} {hi:>9.3f} {med / floor:>12.1f}")
    print("-" * 86)
    print(f"b / a  (machine per step ÷ shared machine): {b[0] / a[0]:.1f}×")
    print(f"b / a' (same, both with fresh records):     {b[0] / a2[0]:.1f}×")
    print(f"a / c  (shared machine ÷ dict floor):       {a[0] / c[0]:.1f}×")
    print(f"total measuring time: {total:.1f} s")


if __name__ == "__main__":
    main()
