"""Units, people and their roles; each year's org chart (names, aliases, gate map, leaders)."""
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import as_utc, utcnow

ROLES = ("member", "head", "leader", "viewer", "admin")
ROLE_LABELS = {"member": "科员", "head": "负责人", "leader": "分管领导", "viewer": "查看", "admin": "管理员"}

class Unit(db.Model):
    """An assessed unit (科室/单位): its lasting identity (the code sheets, records and people
    hang on) and its name as the newest year's org chart has it. What a year says about the
    unit — its name then, aliases, gate unit (附件1) and leader — is that year's `YearUnit`."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    aliases: Mapped[list] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<Unit {self.code}>"


class User(UserMixin, db.Model):
    """A person who signs in; bureau-level accounts belong to no unit."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    roles_text: Mapped[str] = mapped_column("roles", sa.String(100), default="member")
    active: Mapped[bool] = mapped_column(default=True)
    # A temporary password (a reset, an import): the next sign-in leads only to changing it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Optional: where the daily digest e-mails this person's notifications (issue 9).
    email: Mapped[str | None] = mapped_column(sa.String(254))

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    @property
    def roles(self) -> list[str]:
        """The roles in the contract's order."""
        mine = set(self.roles_text.split())
        return [r for r in ROLES if r in mine]

    @roles.setter
    def roles(self, values):
        unknown = set(values) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles_text = " ".join(r for r in ROLES if r in set(values))

    def has_role(self, role: str) -> bool:
        return role in self.roles_text.split()

    @property
    def is_head(self) -> bool:
        return self.has_role("head")

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    def set_password(self, password: str, method: str | None = None) -> None:
        """Hash with a modern KDF (Werkzeug's scrypt unless a test config says otherwise)."""
        self.password_hash = generate_password_hash(password, method=method or "scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self):
        return f"<User {self.username}>"


class YearUnit(db.Model):
    """A unit in one year's org chart: its name and aliases that year, the gate unit that
    reviews its sheet (附件1; two units may gate each other) and the leader who supervises it
    (configuration, not a fact of the seed). A new year copies another's chart; a change is
    that year's alone, so last year's sheets keep the gates they were reviewed by."""

    __tablename__ = "year_units"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    aliases: Mapped[list] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    gate_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    leader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined", innerjoin=True)
    gate_unit: Mapped[Unit | None] = relationship(foreign_keys=[gate_unit_id], lazy="joined")
    leader: Mapped["User | None"] = relationship(lazy="joined")

    @property
    def code(self) -> str:
        return self.unit.code

    def __repr__(self):
        return f"<YearUnit {self.year} {self.unit.code if self.unit else self.unit_id}>"


class ApiToken(db.Model):
    """A bearer token for the API; only its hash is stored, it expires and can be revoked."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, ttl_hours: int) -> tuple["ApiToken", str]:
        """A new token row and the plain token, which is shown once and never stored."""
        plain = secrets.token_urlsafe(32)
        row = cls(user=user, token_hash=cls.hash(plain), expires_at=utcnow() + timedelta(hours=ttl_hours))
        return row, plain

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and as_utc(self.expires_at) > utcnow() and self.user.active


class UserSession(db.Model):
    """A signed-in page session, held on the server so that sign-out, deactivation and a new
    password end it: the browser's cookie carries only the plain token, the table its hash."""

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def begin(cls, user: User, ip: str | None, user_agent: str | None) -> tuple["UserSession", str]:
        """A new session row and the plain token for the cookie, which is never stored."""
        plain = secrets.token_urlsafe(32)
        now = utcnow()
        row = cls(id=cls.hash(plain), user=user, created_at=now, last_seen_at=now,
                  ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:300] or None)
        return row, plain
