"""The append-only history: every action and every score change is one step."""
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow
from .chain import AppendOnlyError, ChainedMixin, ChainHead, chained  # noqa: F401

CAPACITIES = ("unit_member", "unit_head", "gate", "responsible_office", "leader", "admin", "system")


@chained
class HistoryEntry(ChainedMixin, db.Model):
    """One step: when, who, in which capacity, what, from which state to which, and why.

    Append-only and hash-chained (see chain.py): the ORM refuses to change or delete a step, and
    on PostgreSQL so does a trigger; `flask verify-audit` finds a step changed behind the app.
    """

    __tablename__ = "history"
    # ix_history_kind_id: the newest steps of a kind (the OA page's changes), issue 11.
    __table_args__ = (sa.Index("ix_history_record", "record_kind", "record_id"),
                      sa.Index("ix_history_kind_id", "record_kind", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[str] = mapped_column(sa.String(16))  # sheet | bonus
    record_id: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(sa.String(64))
    capacity: Mapped[str] = mapped_column(sa.String(24))
    action: Mapped[str] = mapped_column(sa.String(24))
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str | None] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    field: Mapped[str | None] = mapped_column(sa.String(64))
    old: Mapped[str | None] = mapped_column(sa.Text)
    new: Mapped[str | None] = mapped_column(sa.Text)
    items: Mapped[list | None] = mapped_column(sa.JSON)  # rows named by a responsible office's return
    # The delegator's username when a delegate took the step (NULL otherwise, so the hash of every
    # older step is unchanged: the chain hashes non-NULL columns only).
    on_behalf_of: Mapped[str | None] = mapped_column(sa.String(64))


@chained
class AuditEntry(ChainedMixin, db.Model):
    """One change the admin's audit keeps (CONTRACT.md `GET /api/v1/audit`): who, when, which
    action on which object, and the values before and after (never a password or its hash).

    Append-only and hash-chained like `history`, with its own chain (see chain.py)."""

    __tablename__ = "audit"
    __table_args__ = (sa.Index("ix_audit_action", "action"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(40))
    object: Mapped[str] = mapped_column(sa.String(200))
    old: Mapped[Any] = mapped_column(sa.JSON(none_as_null=True), nullable=True)
    new: Mapped[Any] = mapped_column(sa.JSON(none_as_null=True), nullable=True)
