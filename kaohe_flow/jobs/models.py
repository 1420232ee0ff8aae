"""A background job: what was asked, by whom, how far it got, and the file it made."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

STATES = ("queued", "running", "done", "failed")
STATE_LABELS = {"queued": "排队中", "running": "正在生成", "done": "已完成", "failed": "失败"}


class Job(db.Model):
    """One request for background work.

    `key` names the work (kind, year and, for files whose content depends on who reads them, the
    reader); `active_key` holds the same value only while the job is queued or running and is
    unique, so a second request for the same work — even at the same instant on another app
    server — finds the first instead of starting another. `basis` fingerprints the data a file
    was built from, so a finished file is handed out again while that data is unchanged."""

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_key_finished", "key", "finished_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    key: Mapped[str] = mapped_column(sa.String(200))
    active_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    basis: Mapped[str | None] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    file_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    file_type: Mapped[str | None] = mapped_column(sa.String(100))
    file_size: Mapped[int | None] = mapped_column()
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    created_by = relationship("User", lazy="joined")

    @property
    def year(self) -> int | None:
        return (self.params or {}).get("year")

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)
