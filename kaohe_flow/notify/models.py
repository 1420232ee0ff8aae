"""A notification: one line in one person's list (通知), perhaps e-mailed once by the digest."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

KINDS = ("todo", "returned", "due_soon", "overdue", "urged", "delegated")
KIND_LABELS = {"todo": "待办", "returned": "退回", "due_soon": "即将到期", "overdue": "已逾期",
               "urged": "催办", "delegated": "委托"}


class Notification(db.Model):
    """Told once: `dedupe` names the occasion (who, which record, which round/state/step), so
    that a repeated step, a second digest run or a retried request never tells anyone twice."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(16))
    record_kind: Mapped[str] = mapped_column(sa.String(16))  # sheet | bonus | delegation
    record_id: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    dedupe: Mapped[str] = mapped_column(sa.String(200), unique=True)
