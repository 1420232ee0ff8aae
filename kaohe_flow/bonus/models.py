"""Bonus-point applications (附件6) with their award certificates and signatures."""
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, validates

from ..extensions import db
from ..scheme.models import POINTS
from ..timeutil import utcnow
from ..workflow.machine import guard_state


class BonusApplication(db.Model):
    """A unit's application for 特别附加分; `state` changes only through the workflow machine."""

    __tablename__ = "bonus_applications"
    # A year's final applications (the 特别附加分 of every sheet): issue 11, indexes for a district.
    __table_args__ = (sa.Index("ix_bonus_applications_year_state", "year", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(nullable=False)
    project: Mapped[str] = mapped_column(sa.Text, default="")
    points_requested: Mapped[Decimal] = mapped_column(POINTS)
    points_proposed: Mapped[Decimal | None] = mapped_column(POINTS)
    points_granted: Mapped[Decimal | None] = mapped_column(POINTS)
    opinion: Mapped[str] = mapped_column(sa.Text, default="")
    gate_touched: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="application", lazy="selectin", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    signatures: Mapped[list["BonusSignature"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="BonusSignature.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("state")
    def _only_the_machine_moves_it(self, _key, value):
        return guard_state(self, value)


class Attachment(db.Model):
    """An award certificate (附获奖证书): the bytes live in the database, never under static/."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    # A certificate of a bonus application, or the evidence of a deduction record.
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bonus_applications.id", ondelete="CASCADE"), index=True)
    record_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("deduction_records.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))  # the original name, for people
    content_type: Mapped[str] = mapped_column(sa.String(64))  # from the content, not the name
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    application: Mapped[BonusApplication | None] = relationship(back_populates="attachments")
    record = relationship("DeductionRecord", back_populates="evidence")


class BonusSignature(db.Model):
    """A signature on an application: the unit head's, the gate's, the office's, the leader's."""

    __tablename__ = "bonus_signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bonus_applications.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[str] = mapped_column(sa.String(24))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # see Signature
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user = relationship("User", lazy="joined", foreign_keys=[user_id])
    on_behalf_of = relationship("User", lazy="joined", foreign_keys=[on_behalf_of_id])
    unit = relationship("Unit", lazy="joined")
