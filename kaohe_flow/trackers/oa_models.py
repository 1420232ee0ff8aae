"""Documents sent through the bureau's OA system and their recipients' sign-ins (附件5)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

KINDS = ("meeting", "other", "test")
KIND_LABELS = {"meeting": "会议通知", "other": "其他文件", "test": "测试文件"}


class OaDocument(db.Model):
    """A document (会议通知, other, or a test document) with its recipients."""

    __tablename__ = "oa_documents"
    # The year's documents by time (the report, the list); a title looked up before a push is
    # taken as new (issue 11: indexes for a district).
    __table_args__ = (sa.Index("ix_oa_documents_year_sent", "year", "sent_at"),
                      sa.Index("ix_oa_documents_title", "title"))
    id: Mapped[int] = mapped_column(primary_key=True)
    oa_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True)  # the OA system's own id
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    kind: Mapped[str] = mapped_column(sa.String(16))
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    recipients: Mapped[list["OaRecipient"]] = relationship(
        back_populates="document", lazy="selectin", cascade="all, delete-orphan", order_by="OaRecipient.id")


class StaffMember(db.Model):
    """A person on a unit's staff list who has no account (附件5 covers all staff): OA documents
    reach them, and their late sign-ins are charged to their unit. Kept by the unit or imported."""

    __tablename__ = "staff_members"
    __table_args__ = (sa.UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")


class OaRecipient(db.Model):
    """One person a document was sent to, and when they signed for it (null: not yet): an
    account (`username`), a person on a unit's staff list (`staff`), or someone outside the
    bureau (`external`, charged to nobody). The 信息管理 office may excuse a case with a reason
    (附件2 charges only 无故 and 影响工作 cases)."""

    __tablename__ = "oa_recipients"
    __table_args__ = (sa.UniqueConstraint("document_id", "username"),
                      sa.UniqueConstraint("document_id", "staff_id", name="uq_oa_recipients_staff"))
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("oa_documents.id", ondelete="CASCADE"), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(64))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_members.id"), index=True)
    external: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    excused_reason: Mapped[str | None] = mapped_column(sa.Text)
    excused_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    excused_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    document: Mapped[OaDocument] = relationship(back_populates="recipients")
    staff: Mapped[StaffMember | None] = relationship(lazy="joined")

    @property
    def key(self) -> tuple:
        """Who this is, as the service matches recipients: ("user", name), ("staff", id), ("external", name)."""
        if self.staff_id is not None:
            return ("staff", self.staff_id)
        return ("external" if self.external else "user", self.username)

    @property
    def label(self) -> str:
        """How people read who it is (history, pages)."""
        if self.staff is not None:
            return f"{self.staff.name}（{self.staff.unit.name}）"
        return f"{self.username}（外部）" if self.external else self.username
