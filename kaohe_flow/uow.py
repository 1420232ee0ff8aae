"""One unit of work per service operation: it commits once, or rolls back entirely.

A refusal raised after a change was made in the session must not leave that change behind:
autoflush would otherwise show it on the refused page (Indico rolls back before rendering an
error for the same reason). Every public service operation that writes is an `operation`.
"""
import functools

from .extensions import db


def operation(fn):
    """Wrap a service operation: any exception (a refusal included) rolls the session back."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise

    return wrapper
