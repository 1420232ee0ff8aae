"""Target letters (目标责任书): a unit's targets of a year and their scores on its sheet.

附件2: 年度目标任务 is scored target by target (逐项赋分…未按要求完成不得分). A unit's letter is
a list of targets whose points add up to the year's `targets` item standard; the sheet keeps one
`SheetTarget` per target once someone has written a score or reason for it (no row: not scored).
"""
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..scheme.models import POINTS

TITLE_LIMIT = 300


class Target(db.Model):
    """One target of a unit's letter for a year: `t1`, 全年完成保障房建设任务, 10 points."""

    __tablename__ = "targets"
    __table_args__ = (sa.UniqueConstraint("year", "unit_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    # Stable while the title stays: scores already typed follow the code (CONTRACT.md).
    code: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(TITLE_LIMIT))
    points: Mapped[Decimal] = mapped_column(POINTS)
    position: Mapped[int] = mapped_column(default=0)

    unit = relationship("Unit", lazy="joined")

    def __repr__(self):
        return f"<Target {self.year} {self.unit_id} {self.code}>"


class SheetTarget(db.Model):
    """A target's self and review score and reasons on one sheet (a sub-row of 年度目标任务)."""

    __tablename__ = "sheet_targets"
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("sheets.id", ondelete="CASCADE"), primary_key=True)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    self_score: Mapped[Decimal | None] = mapped_column(POINTS)
    self_reason: Mapped[str] = mapped_column(sa.Text, default="")
    review_score: Mapped[Decimal | None] = mapped_column(POINTS)
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")

    target: Mapped[Target] = relationship(lazy="joined", innerjoin=True)
