"""The path of a sheet or a bonus application, declared once as data (CONTRACT.md).

One shared `transitions.Machine` built with `model=None` serves every record: records are
never attached (a machine per row costs hundreds of microseconds and leaks, and `add_model`
without `initial=` would reset a loaded row). Events are fired with
`MACHINE.events[name].trigger(record, **facts)`; the service owns the transaction.
"""
from transitions import Machine, MachineError

STATES = ("draft", "gate_review", "responsible_sign", "leader_sign", "final")

STATE_LABELS = {
    "draft": "自评",
    "gate_review": "扎口审核",
    "responsible_sign": "责任科室会签",
    "leader_sign": "分管领导签字",
    "final": "定稿",
}

ACTIONS = ("submit", "withdraw", "approve", "sign", "return", "reopen")

ACTION_LABELS = {
    "submit": "提交",
    "withdraw": "撤回",
    "approve": "审核通过",
    "sign": "签字",
    "return": "退回",
    "reopen": "重新打开",
}

# Transitions are tried in order; the first whose conditions hold fires.
TRANSITIONS = (
    {"trigger": "submit", "source": "draft", "dest": "gate_review"},
    {"trigger": "withdraw", "source": "gate_review", "dest": "draft"},
    {"trigger": "approve", "source": "gate_review", "dest": "responsible_sign"},
    # 会签: only the last responsible office's signature moves the record on ...
    {"trigger": "sign", "source": "responsible_sign", "dest": "leader_sign", "conditions": "all_signed"},
    # ... every other one is recorded and the record stays where it is.
    {"trigger": "sign", "source": "responsible_sign", "dest": None},
    {"trigger": "sign", "source": "leader_sign", "dest": "final"},
    {"trigger": "return", "source": "gate_review", "dest": "draft"},
    {"trigger": "return", "source": ["responsible_sign", "leader_sign"], "dest": "gate_review"},
    {"trigger": "reopen", "source": "final", "dest": "gate_review"},
)

# Facts the service computes and passes with the trigger; conditions only read them.
CONDITIONS = {"all_signed": lambda event: bool(event.kwargs.get("all_signed"))}


def _build() -> Machine:
    transitions = []
    for spec in TRANSITIONS:
        spec = dict(spec)
        if "conditions" in spec:
            spec["conditions"] = [CONDITIONS[spec["conditions"]]]
        transitions.append(spec)
    return Machine(
        model=None,
        states=list(STATES),
        transitions=transitions,
        initial="draft",
        auto_transitions=False,
        send_event=True,
    )


MACHINE = _build()


class TransitionRefused(Exception):
    """The machine has no such move from the record's state."""


def fire(record, action: str, **facts) -> tuple[str, str]:
    """Move `record` by `action`; answer (from_state, to_state). Raises TransitionRefused."""
    if action not in MACHINE.events:
        raise TransitionRefused(action)
    before = record.state
    try:
        moved = MACHINE.events[action].trigger(record, **facts)
    except MachineError as exc:
        raise TransitionRefused(action) from exc
    if not moved:
        raise TransitionRefused(action)
    return before, record.state


def sources(action: str) -> set[str]:
    """The states from which `action` may fire at all."""
    return {src for spec in TRANSITIONS if spec["trigger"] == action
            for src in ([spec["source"]] if isinstance(spec["source"], str) else spec["source"])}
