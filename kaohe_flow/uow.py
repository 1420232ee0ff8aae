"""One unit of work per service operation: it commits once, or rolls back entirely.

A refusal raised after a change was made in the session must not leave that change behind:
autoflush would otherwise show it on the refused page (Indico rolls back before rendering an
error for the same reason). Every public service operation that writes is an `operation`.
"""
import functools
from contextvars import ContextVar

from .extensions import db

# The delegator a delegate stands in for during the current operation (CONTRACT.md "The year's
# rhythm"): set once the permission question has answered through a delegation, read by every
# history step the operation writes, so each step says "A 代 B".
_standing_in: ContextVar = ContextVar("kaohe_standing_in", default=None)


def stand_in(principal) -> None:
    """The current operation acts in `principal`'s capacity (None: in one's own)."""
    _standing_in.set(principal)


def standing_in():
    return _standing_in.get()


def operation(fn):
    """Wrap a service operation: any exception (a refusal included) rolls the session back."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        token = _standing_in.set(None)
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _standing_in.reset(token)

    return wrapper
