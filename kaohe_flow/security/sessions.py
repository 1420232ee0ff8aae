"""Server-side page sessions (OWASP ASVS 7): the browser's signed cookie carries a random token,
the table `user_sessions` its hash. A page opens only while that row is open, so sign-out,
deactivation and a new password end a session for every copy of the cookie; a session also
ends after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS in all.

The API keeps its own bearer tokens (hashed, expiring, revocable); they do not use this.
"""
from datetime import timedelta

from flask import current_app, request, session
from flask_login import login_user, logout_user

from ..extensions import db
from ..org.models import User, UserSession
from ..timeutil import as_utc, utcnow
from ..uow import operation
from . import events

SESSION_KEY = "sid"
# last_seen_at is written at most this often: idle time is measured to the minute, and a page
# view does not become a write per request.
TOUCH_EVERY = timedelta(seconds=60)


def _open_row(plain) -> UserSession | None:
    if not isinstance(plain, str) or not plain:
        return None
    row = db.session.get(UserSession, UserSession.hash(plain))
    return row if row is not None and row.ended_at is None else None


@operation
def sign_in(user: User) -> None:
    """A new server-side session for `user`, and a renewed cookie: what the browser held before
    (a session planted by someone else included) is cleared, and its own session ended."""
    now = utcnow()
    previous = _open_row(session.get(SESSION_KEY))
    if previous is not None:
        previous.ended_at = now
    row, plain = UserSession.begin(user, events.client_ip(), request.headers.get("User-Agent"))
    db.session.add(row)
    events.add("login_ok", user.username)
    db.session.commit()
    session.clear()
    login_user(user, remember=False)  # no remember-me cookie: it would outlive the session row
    session[SESSION_KEY] = plain


@operation
def sign_out() -> None:
    """End this browser's session on the server, then forget it in the cookie."""
    row = _open_row(session.get(SESSION_KEY))
    if row is not None:
        row.ended_at = utcnow()
        events.add("logout", row.user.username)
        db.session.commit()
    logout_user()
    session.clear()


def user_for_session(user_id) -> User | None:
    """Flask-Login's user loader: the user of this cookie's open, active, unexpired session.

    Ending an expired session and noting the time of the latest request are writes on a read;
    they are the session's own bookkeeping (not the records'), at most one a minute.
    """
    row = _open_row(session.get(SESSION_KEY))
    if row is None or str(row.user_id) != str(user_id) or not row.user.active:
        return None
    config, now = current_app.config, utcnow()
    idle = now - as_utc(row.last_seen_at) > timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    too_old = now - as_utc(row.created_at) > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    if idle or too_old:
        row.ended_at = now
        db.session.commit()
        return None
    if now - as_utc(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        user = row.user
        db.session.commit()
        return user
    return row.user


def current_session_id() -> str | None:
    """The id of this browser's open session (what `end_all(keep=…)` spares), or None."""
    row = _open_row(session.get(SESSION_KEY))
    return row.id if row is not None else None


def end_all(user_id: int, keep: str | None = None) -> int:
    """End every open session of a user (but `keep`, a session id), in the caller's unit of work;
    how many were open."""
    query = db.update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.id != keep)
    return db.session.execute(query.values(ended_at=utcnow())).rowcount
