"""Sign-in, API tokens, accounts and the demo data."""
from pathlib import Path

import yaml
from flask import current_app
from werkzeug.security import check_password_hash

from ..errors import BadRequest, Invalid, Unauthorized
from ..extensions import db
from ..security import events, throttle
from ..security import sessions as page_sessions
from ..timeutil import utcnow
from ..uow import operation
from .models import ApiToken, Unit, User, YearUnit

DEMO_PASSWORD = "demo12345"
_DUMMY_HASH = None


def _hash_method() -> str | None:
    return current_app.config.get("PASSWORD_HASH_METHOD")


def authenticate(username, password) -> User | None:
    """The active user with this password, or None; an unknown name costs the same work."""
    global _DUMMY_HASH
    if not isinstance(username, str) or not isinstance(password, str) or "\x00" in username + password:
        return None
    user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            dummy = User(username="-", name="-")
            dummy.set_password("not a password", _hash_method())
            _DUMMY_HASH = dummy
        _DUMMY_HASH.check_password(password)
        return None
    return user if user.check_password(password) else None


def check_sign_in(username, password, channel: str) -> User:
    """The user for these credentials, throttled per username (page and API share the count):
    429 while the name is locked, whatever the password; 401 for wrong credentials."""
    key = throttle.key_for(username)
    try:
        throttle.refuse_if_locked(key)
    except throttle.TooManyAttempts as exc:
        events.record_refusal("locked", key, f"{channel}: refused, retry after {exc.retry_after}s")
        raise
    user = authenticate(username, password)
    if user is None:
        locks_now = throttle.count_failure(key)
        events.record_refusal("login_failed", key, channel)
        if locks_now:
            events.record_refusal("locked", key, f"{channel}: locked after repeated failures")
        raise Unauthorized("用户名或密码错误", "bad_credentials")
    return user


@operation
def issue_token(username, password) -> str:
    """POST /api/v1/tokens: a new bearer token for valid credentials."""
    if not username or not password:
        raise BadRequest("请提供用户名（username）和密码（password）", "credentials_required")
    user = check_sign_in(username, password, "api")
    row, plain = ApiToken.issue(user, current_app.config["TOKEN_TTL_HOURS"])
    db.session.add(row)
    events.add("token_issued", user.username)
    db.session.commit()
    return plain


def user_for_token(plain: str) -> User | None:
    """The user behind a bearer token that is neither expired nor revoked."""
    row = db.session.scalar(db.select(ApiToken).filter_by(token_hash=ApiToken.hash(plain)))
    return row.user if row is not None and row.usable else None


@operation
def revoke_token(plain: str) -> bool:
    row = db.session.scalar(db.select(ApiToken).filter_by(token_hash=ApiToken.hash(plain)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    events.add("token_revoked", row.user.username)
    db.session.commit()
    return True


def end_sessions(user: User, keep_session: str | None = None, keep_token: str | None = None) -> None:
    """End every page session and revoke every API token of `user`, in the caller's unit of work
    (deactivation, a changed or reset password: whoever held them is signed out everywhere).
    `keep_session` (a session's id) and `keep_token` (a token's hash) are the caller's own, spared
    when a user changes their own password."""
    page_sessions.end_all(user.id, keep=keep_session)
    query = db.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep_token:
        query = query.where(ApiToken.token_hash != keep_token)
    db.session.execute(query.values(revoked_at=utcnow()))


@operation
def set_active(actor: User | None, user: User, active: bool) -> User:
    """Activate or deactivate an account; deactivating ends its sessions and tokens at once."""
    from . import accounts

    accounts.change_active(actor, user, bool(active))
    db.session.commit()
    return user


@operation
def set_password(actor: User | None, user: User, password: str) -> User:
    """A new password, set by its owner (password_changed) or by someone else (password_reset);
    every session and token of the account ends, the caller's own current one included.
    The password policy applies (accounts.check_password_policy)."""
    from . import accounts

    accounts.check_password_policy(user.username, password)
    user.set_password(password, _hash_method())
    user.must_change_password = False
    end_sessions(user)
    own = actor is not None and actor.id == user.id
    events.add("password_changed" if own else "password_reset", user.username,
               "" if own else f"by {actor.username if actor is not None else '-'}")
    if not own:
        accounts.audit_reset(actor, user)
    db.session.commit()
    return user


def create_user(username: str, name: str, password: str, roles, unit_code: str | None = None) -> User:
    """A new account; refuses a taken name, an unknown unit and a short password."""
    username = (username or "").strip()
    if not username:
        raise Invalid("用户名不能为空")
    if db.session.scalar(db.select(User).filter_by(username=username)):
        raise Invalid(f"用户名 {username} 已存在")
    from .accounts import check_password_policy

    check_password_policy(username, password)
    unit = None
    if unit_code:
        unit = db.session.scalar(db.select(Unit).filter_by(code=unit_code))
        if unit is None:
            raise Invalid(f"没有代码为 {unit_code} 的单位")
    user = User(username=username, name=name or username, unit=unit)
    try:
        user.roles = roles
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    user.set_password(password, _hash_method())
    db.session.add(user)
    from ..audit.admin import record_change
    from .accounts import account_values

    record_change(None, "user_created", f"user:{username}", None, account_values(user))
    db.session.commit()
    return user


def load_demo(path: Path, password: str = DEMO_PASSWORD) -> int:
    """Demo accounts (CONTRACT.md): U and U.staff per unit, leader1–4, director, admin."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    existing = {u.username for u in db.session.scalars(db.select(User))}
    units = {u.code: u for u in db.session.scalars(db.select(Unit))}
    # One KDF run, reused: every demo account shares the one published demo password.
    template = User(username="-", name="-")
    template.set_password(password, _hash_method())
    created = []

    def add(username, name, roles, unit=None):
        if username in existing:
            return db.session.scalar(db.select(User).filter_by(username=username))
        user = User(username=username, name=name, unit=unit, password_hash=template.password_hash)
        user.roles = roles
        db.session.add(user)
        created.append(user)
        return user

    suffix = spec.get("unit_accounts", {})
    for unit in sorted(units.values(), key=lambda u: u.position):
        add(unit.code, f"{unit.name}{suffix.get('head_suffix', '负责人')}", ["member", "head"], unit)
        add(f"{unit.code}.staff", f"{unit.name}{suffix.get('member_suffix', '科员')}", ["member"], unit)
    places = {}  # every year's chart: the demo's leaders supervise their units in each
    for place in db.session.scalars(db.select(YearUnit)):
        places.setdefault(place.unit_id, []).append(place)
    for leader in spec.get("leaders", []):
        user = add(leader["username"], leader["name"], ["leader"])
        for code in leader["units"]:
            if code not in units:
                raise Invalid(f"demo data: leader {leader['username']} supervises unknown unit {code}")
            db.session.flush()
            for place in places.get(units[code].id, []):
                if place.leader_id is None:
                    place.leader_id = user.id
    for account in spec.get("bureau", []):
        add(account["username"], account["name"], account["roles"])
    db.session.commit()
    return len(created)


class DemoPasswordInProduction(RuntimeError):
    """A production server refuses to start while an active account has the demo password."""

    def __init__(self, usernames: list[str]):
        self.usernames = usernames
        names = "、".join(usernames[:50]) + (f" 等 {len(usernames)} 个" if len(usernames) > 50 else "")
        super().__init__(
            f"拒绝以生产模式（KAOHE_ENV=production）启动：以下启用中的账号仍在使用演示密码 {DEMO_PASSWORD}：{names}。"
            f"请先修改这些账号的密码或停用它们（例如不设 KAOHE_ENV 启动后由管理员在“账号管理”中处理）。 / "
            f"refusing to start in production: active accounts still have the demo password: "
            f"{', '.join(usernames)}")


def accounts_with_demo_password(connection) -> list[str]:
    """The active accounts whose password is the demo password, by username.

    Cheap: load_demo gives every demo account one shared hash, and the password policy refuses
    the demo password for any other account, so only the hashes of the demo accounts' names and
    hashes shared by several accounts are checked, each distinct hash once."""
    import sqlalchemy as sa

    if not sa.inspect(connection).has_table("users"):
        return []  # an empty database, before its migrations
    users = sa.table("users", sa.column("username"), sa.column("password_hash"), sa.column("active"))
    rows = connection.execute(sa.select(users.c.username, users.c.password_hash).where(users.c.active)).all()
    spec = yaml.safe_load((Path(__file__).resolve().parent.parent / "data" / "demo.yaml").read_text(encoding="utf-8"))
    units = {r[0] for r in connection.execute(sa.text("SELECT code FROM units"))} \
        if sa.inspect(connection).has_table("units") else set()
    demo_names = ({leader["username"] for leader in spec.get("leaders", [])}
                  | {account["username"] for account in spec.get("bureau", [])}
                  | units | {f"{code}.staff" for code in units})
    by_hash: dict[str, list[str]] = {}
    for username, password_hash in rows:
        by_hash.setdefault(password_hash, []).append(username)
    found = []
    for password_hash, names in by_hash.items():
        if (len(names) > 1 or demo_names.intersection(names)) and password_hash \
                and check_password_hash(password_hash, DEMO_PASSWORD):
            found += names
    return sorted(found)


def refuse_demo_passwords_in_production(app) -> None:
    """Called by create_app: with KAOHE_ENV=production (and DEMO_PASSWORD_CHECK, on unless
    testing) raise DemoPasswordInProduction naming every active account with the demo password."""
    if app.config.get("KAOHE_ENV") != "production" or not app.config.get("DEMO_PASSWORD_CHECK"):
        return
    with app.app_context(), db.engine.connect() as connection:
        found = accounts_with_demo_password(connection)
    if found:
        app.logger.error("demo password in production: %s", ", ".join(found))
        raise DemoPasswordInProduction(found)
