"""What the security log keeps: one row per sign-in, refusal or account change."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class SecurityEvent(db.Model):
    """A security event; `username` is text as typed (failed sign-ins name no account)."""

    __tablename__ = "security_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(100))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
