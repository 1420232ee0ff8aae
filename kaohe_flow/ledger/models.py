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
    __table_args__ = (sa.UniqueConstraint("source", "source_key"),)
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

    __mapper_args__ = {"version_id_col": version}
