"""STUB: the interface the workflow and the delegations call; filled in by its owner."""


def after_step(history_kind: str, record, actor, action: str, before: str, after: str,
               comment: str = "", items=None) -> None:
    """Called by the workflow service inside the step's unit of work, after the move (before the
    commit): `todo` to everyone who may now take the record, `returned` on a return."""


def delegated(delegation) -> None:
    """Called when a delegation is created, inside its unit of work: tell the delegate."""
