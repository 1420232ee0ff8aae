"""Accounts (CONTRACT.md "Accounts"): the admin lists, creates, edits, deactivates and imports
accounts and resets passwords; everyone changes their own password.

Every admin change is an audit entry (`user_created`, `user_changed`, `password_reset`) and a
security event, in the same unit of work; neither ever holds a password or a hash. A reset or an
imported account gets a temporary password, shown once: signing in with it works, but it leads
only to changing it (`must_change_password`). Deactivating an account or setting its password
ends its page sessions and API tokens at once (`service.end_sessions`).

Password policy: at least 10 characters, not the username, not on the common-password list
shipped in kaohe_flow/data/common_passwords.txt; all compared case-insensitively.
"""
import re
import secrets
from functools import lru_cache
from pathlib import Path

from flask import current_app

from ..access import is_admin
from ..audit.admin import record_change
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..security import events, throttle
from ..uow import operation
from .models import ROLE_LABELS, ROLES, ApiToken, Unit, User

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # a KDF over megabytes of "password" is a denial of service
RESERVED_USERNAMES = {"import", "new"}  # path words of /users/import and /admin/users/new
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
TEMPORARY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I
TEMPORARY_LENGTH = 12
# Roles as an import file may write them: the codes or the Chinese labels.
ROLE_BY_NAME = {**{r: r for r in ROLES}, **{label: code for code, label in ROLE_LABELS.items()}}
UNIT_ROLES = ("member", "head")  # a 科员 or 负责人 belongs to a unit


# ------------------------------------------------------------------------------ password policy


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, case-folded; read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(username, password) -> None:
    """Refuse (422 `weak_password`) a password the policy does not allow, saying why."""
    def weak(message):
        return Invalid(message, "weak_password")

    if not isinstance(password, str) or not password:
        raise weak("请填写密码")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise weak(f"密码太短：至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise weak(f"密码太长：最多 {MAX_PASSWORD_LENGTH} 个字符")
    if isinstance(username, str) and password.casefold() == username.strip().casefold():
        raise weak("密码不能与用户名相同")
    if password.casefold() in common_passwords():
        raise weak("密码过于常见（在常用密码列表中），容易被猜中，请换一个")


def temporary_password() -> str:
    """A random password for a reset or an imported account (shown once, changed at sign-in)."""
    while True:
        plain = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if any(c.isdigit() for c in plain) and plain.casefold() not in common_passwords():
            return plain


def _hash_method() -> str | None:
    return current_app.config.get("PASSWORD_HASH_METHOD")


# ------------------------------------------------------------------------------ reading


def require_admin(user) -> None:
    if not is_admin(user):
        raise Forbidden("只有管理员可以管理账号", "forbidden")


def list_users(actor) -> list[User]:
    """Every account, by unit then username (the admin's)."""
    require_admin(actor)
    return list(db.session.scalars(db.select(User).order_by(User.username)))


def get_user(actor, username) -> User:
    require_admin(actor)
    found = isinstance(username, str) and "\x00" not in username and len(username) <= 64
    user = db.session.scalar(db.select(User).filter_by(username=username)) if found else None
    if user is None:
        raise NotFound(f"没有用户名为“{username}”的账号", "not_found")
    return user


def account_values(user: User) -> dict:
    """What the audit keeps of an account (never its password or hash)."""
    return {"username": user.username, "name": user.name, "unit": user.unit.code if user.unit else None,
            "roles": user.roles, "active": user.active, "email": user.email}


# ------------------------------------------------------------------------------ validating input


def _unit(code) -> Unit | None:
    if code is None or code == "":
        return None
    if not isinstance(code, str) or "\x00" in code:
        raise Invalid("科室（unit）须为单位代码，如 bgs", "unknown_unit")
    unit = db.session.scalar(db.select(Unit).filter_by(code=code.strip()))
    if unit is None:
        raise Invalid(f"没有代码为“{code}”的科室（单位）", "unknown_unit")
    return unit


def _roles(values) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Invalid("角色（roles）须为角色代码的列表，如 [\"member\"]", "unknown_role")
    unknown = [v for v in values if v not in ROLES]
    if unknown:
        choices = "、".join(f"{r}（{ROLE_LABELS[r]}）" for r in ROLES)
        raise Invalid(f"未知的角色：{'、'.join(unknown)}；可选：{choices}", "unknown_role")
    if not values:
        raise Invalid("请至少选择一个角色", "unknown_role")
    return [r for r in ROLES if r in set(values)]


def _check_roles_fit_unit(roles: list[str], unit: Unit | None) -> None:
    if unit is None and any(r in UNIT_ROLES for r in roles):
        names = "、".join(ROLE_LABELS[r] for r in roles if r in UNIT_ROLES)
        raise Invalid(f"{names}必须属于一个科室：请选择科室", "unit_required")


def _name(value, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise Invalid("姓名不能为空", "invalid")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise Invalid("姓名不能包含控制字符", "invalid")
    if len(value.strip()) > 100:
        raise Invalid("姓名最多 100 个字符", "invalid")
    return value.strip()


EMAIL_PATTERN = re.compile(r"[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+")


def _email(value) -> str | None:
    """An optional e-mail address for the daily digest (issue 9): empty or null is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > 254 or not EMAIL_PATTERN.fullmatch(value.strip()):
        raise Invalid("电子邮箱格式不对，应为 name@example.com 这样的地址", "invalid_email")
    return value.strip()


def _username(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("请填写用户名", "invalid_username")
    username = value.strip()
    if username.lower() in RESERVED_USERNAMES:
        raise Invalid(f"用户名不能为“{username}”（系统保留）", "invalid_username")
    if not USERNAME_PATTERN.fullmatch(username):
        raise Invalid("用户名只能由英文字母、数字和 . _ @ - 组成，以字母或数字开头，最多 64 个字符",
                      "invalid_username")
    return username


def _taken(username: str) -> bool:
    return db.session.scalar(db.select(User.id).where(db.func.lower(User.username) == username.lower())) is not None


# ------------------------------------------------------------------------------ changes (in a unit of work)


def change_active(actor, user: User, active: bool) -> None:
    """Set `active`, in the caller's unit of work; deactivating ends sessions and tokens at once."""
    from .service import end_sessions

    before = user.active
    user.active = active
    if not active:
        end_sessions(user)
    if before != active:
        who = actor.username if actor is not None else "-"
        events.add("user_changed", user.username, f"{'activated' if active else 'deactivated'} by {who}")
        record_change(actor, "user_changed", f"user:{user.username}", {"active": before}, {"active": active})


def audit_reset(actor, user: User) -> None:
    record_change(actor, "password_reset", f"user:{user.username}", None, {"must_change_password": True})


def _new_user(actor, data: dict, password: str, must_change: bool) -> User:
    username = _username(data.get("username"))
    if _taken(username):
        raise Conflict(f"用户名“{username}”已被使用", "username_taken")
    unit = _unit(data.get("unit"))
    roles = _roles(data["roles"]) if "roles" in data else ["member"]
    _check_roles_fit_unit(roles, unit)
    name = _name(data.get("name"), username)
    check_password_policy(username, password)
    user = User(username=username, name=name, unit=unit, active=True, must_change_password=must_change,
                email=_email(data.get("email")))
    user.roles = roles
    user.set_password(password, _hash_method())
    db.session.add(user)
    events.add("user_changed", username, f"created by {actor.username if actor is not None else '-'}")
    record_change(actor, "user_created", f"user:{username}", None, account_values(user))
    return user


@operation
def create_account(actor, data: dict) -> User:
    """POST /users: a new account with the password the admin chose (policy applies)."""
    require_admin(actor)
    user = _new_user(actor, data, data.get("password"), must_change=False)
    db.session.commit()
    return user


@operation
def update_account(actor, username, data: dict) -> User:
    """PUT /users/{username}: any of name, unit, roles, active. The admin cannot lock
    themselves out (deactivate their own account or drop their own admin role)."""
    user = get_user(actor, username)
    before = account_values(user)
    unit = _unit(data["unit"]) if "unit" in data else user.unit
    roles = _roles(data["roles"]) if "roles" in data else user.roles
    if "active" in data and not isinstance(data["active"], bool):
        raise Invalid("active 须为 true 或 false", "invalid")
    active = data.get("active", user.active)
    _check_roles_fit_unit(roles, unit)
    if user.id == actor.id and (not active or "admin" not in roles):
        raise Invalid("不能停用自己的账号，也不能取消自己的管理员角色", "own_account")
    email = _email(data["email"]) if "email" in data else user.email
    user.name = _name(data.get("name"), user.name)
    user.email = email
    user.unit = unit
    user.roles = roles
    changed = {k for k, v in account_values(user).items() if v != before[k] and k != "active"}
    if changed:
        events.add("user_changed", user.username, f"{', '.join(sorted(changed))} changed by {actor.username}")
        record_change(actor, "user_changed", f"user:{user.username}",
                      {k: before[k] for k in sorted(changed)}, {k: account_values(user)[k] for k in sorted(changed)})
    change_active(actor, user, active)
    db.session.commit()
    return user


@operation
def reset_password(actor, username) -> str:
    """POST /users/{username}/password-reset: a temporary password, answered once; the account's
    sessions and tokens end and its next sign-in leads only to changing the password."""
    from .service import end_sessions

    user = get_user(actor, username)
    if user.id == actor.id:
        raise Invalid("不能重置自己的密码：请在“修改密码”页面修改", "own_account")
    plain = temporary_password()
    user.set_password(plain, _hash_method())
    user.must_change_password = True
    end_sessions(user)
    events.add("password_reset", user.username, f"by {actor.username}")
    audit_reset(actor, user)
    db.session.commit()
    return plain


@operation
def change_own_password(user: User, current, new, keep_session: str | None = None,
                        keep_token: str | None = None) -> User:
    """PUT /me/password: the current password, then a new one under the policy; every other
    session and token of the user ends (the one making this request stays signed in)."""
    from .service import end_sessions

    # A wrong current password counts like a failed sign-in (the same per-username lockout):
    # a borrowed session cannot guess its way to the account's password.
    key = throttle.key_for(user.username)
    throttle.refuse_if_locked(key)
    if not isinstance(current, str) or not current or not user.check_password(current):
        throttle.count_failure(key)
        events.record_refusal("login_failed", user.username, "password change: wrong current password")
        raise Invalid("当前密码不正确", "wrong_password")
    check_password_policy(user.username, new)
    if new == current:
        raise Invalid("新密码不能与当前密码相同", "weak_password")
    user.set_password(new, _hash_method())
    user.must_change_password = False
    end_sessions(user, keep_session=keep_session, keep_token=keep_token)
    events.add("password_changed", user.username)
    db.session.commit()
    return user


def token_hash(plain: str | None) -> str | None:
    return ApiToken.hash(plain) if plain else None


# ------------------------------------------------------------------------------ import


IMPORT_COLUMNS = {
    "username": ["用户名", "username", "账号"],
    "name": ["姓名", "name"],
    "unit": ["科室", "单位", "unit"],
    "roles": ["角色", "roles"],
}
ROLE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _import_roles(raw) -> list[str]:
    words = [w for w in ROLE_SEPARATORS.split(str(raw or "").strip()) if w]
    unknown = [w for w in words if w not in ROLE_BY_NAME]
    if unknown:
        raise Invalid(f"未知的角色“{'、'.join(unknown)}”（可填：科员、负责人、分管领导、查看、管理员）")
    if not words:
        return ["member"]
    return [ROLE_BY_NAME[w] for w in words]


@operation
def import_users(actor, upload) -> list[tuple[User, str]]:
    """Accounts from an .xlsx (or .csv): columns 用户名, 姓名, 科室 (a code, name or any alias),
    角色 (labels or codes, separated by 、 , or spaces). Every row is checked first; any bad row
    imports nothing (422 `invalid_rows`). Each new account gets a temporary password (answered
    once) that must be changed at the first sign-in."""
    from ..trackers.imports import RowErrors, read_table
    from .queries import resolve_unit

    require_admin(actor)
    rows = read_table(upload, IMPORT_COLUMNS, required=["username", "name"], max_rows=2000)
    errors, seen, planned = [], {}, []
    for row in rows:
        number = row["_row"]
        try:
            username = _username(None if row["username"] is None else str(row["username"]))
            if username.lower() in seen:
                raise Invalid(f"用户名“{username}”与第 {seen[username.lower()]} 行重复")
            if _taken(username):
                raise Invalid(f"用户名“{username}”已被使用")
            seen[username.lower()] = number
            name = _name("" if row["name"] is None else str(row["name"]), "")
            unit = None
            if row["unit"] not in (None, ""):
                unit = resolve_unit(str(row["unit"]))
                if unit is None:
                    raise Invalid(f"没有名为“{row['unit']}”的科室（可填代码、名称或别名）")
            roles = _import_roles(row["roles"])
            _check_roles_fit_unit(roles, unit)
        except Invalid as exc:
            errors.append({"row": number, "message": exc.message})
            continue
        planned.append({"username": username, "name": name, "unit": unit.code if unit else None, "roles": roles})
    if errors:
        raise RowErrors(errors)
    created = []
    for data in planned:
        plain = temporary_password()
        created.append((_new_user(actor, data, plain, must_change=True), plain))
    db.session.commit()
    return created
