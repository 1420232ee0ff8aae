"""Deduction records (考核记录): what the responsible offices record through the year."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..targets.models import Target
from ..timeutil import utcnow

SOURCES = ("manual", "info", "oa")


class DeductionRecord(db.Model):
    """One incident against a unit under a rule of 附件2: `count` occurrences on `date`.

    Records that trackers derive (附件4 `info`, 附件5 `oa`) carry a `source_key` naming what they
    come from, unique per source, so that re-running or re-importing never counts twice.
    """

    __tablename__ = "deduction_records"
    # A unit's records of a year (every sheet page), a year's list by date, a source's derived
    # records of a year (the trackers' sync): issue 11, indexes for a district.
    __table_args__ = (sa.UniqueConstraint("source", "source_key"),
                      sa.Index("ix_deduction_records_unit_year", "unit_id", "year"),
                      sa.Index("ix_deduction_records_year_date", "year", "date"),
                      sa.Index("ix_deduction_records_source_year", "source", "year"))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("rules.id"), index=True)
    count: Mapped[int] = mapped_column(default=1)
    day: Mapped[date] = mapped_column("date", sa.Date)
    people: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(16), default="manual")
    source_key: Mapped[str | None] = mapped_column(sa.String(200))
    withdrawn: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Under the `target` rule of a unit with a target letter: the target missed (附件2 逐项赋分).
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("targets.id"), index=True)
    version: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")
    rule = relationship("Rule", lazy="joined", innerjoin=True)
    recorded_by = relationship("User", lazy="joined")
    target = relationship(Target, lazy="joined")
    evidence = relationship("Attachment", lazy="selectin", cascade="all, delete-orphan",
                            order_by="Attachment.id", back_populates="record")
    # At most one appeal (申诉) a record (issue 9): joined, so lists and sheets read it in their query.
    appeal = relationship("DeductionAppeal", lazy="joined", uselist=False, back_populates="record")

    __mapper_args__ = {"version_id_col": version}


APPEAL_STATES = ("open", "upheld", "rejected")


class DeductionAppeal(db.Model):
    """The unit's appeal (申诉) against a deduction record and the responsible office's answer
    (issue 9). One a record, ever: a decided appeal is not filed again (`ledger.appeals`)."""

    __tablename__ = "deduction_appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("deduction_records.id"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="open")  # APPEAL_STATES
    reason: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    record = relationship(DeductionRecord, back_populates="appeal")
    filed_by = relationship("User", foreign_keys=[filed_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")
