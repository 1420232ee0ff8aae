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


class OaRecipient(db.Model):
    """One person a document was sent to, and when they signed for it (null: not yet)."""

    __tablename__ = "oa_recipients"
    __table_args__ = (sa.UniqueConstraint("document_id", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("oa_documents.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    document: Mapped[OaDocument] = relationship(back_populates="recipients")
