"""Adopted information items (附件4 信息报送): what the responsible offices enter or import."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

PORTALS = ("district", "city", "province")
STREAMS = ("info", "gov_affairs")
MAX_TITLE = 300


class InfoItem(db.Model):
    """One item adopted (录用) on `adopted_on`: by a government portal (`portal`), of the ordinary
    information stream (`info`) or of government-affairs information (`gov_affairs`, 政务信息,
    `district_offices` when 区两办 adopted it). `special` marks 在线访谈, 政策解读, 热点专访,
    网页专题, 热点问答, which add extras to the year's total.

    The same unit, title, date and stream is one item: entering or importing it again never
    counts it twice.
    """

    __tablename__ = "info_items"
    # The year's list by date, a unit's items of a year (issue 11: indexes for a district).
    __table_args__ = (sa.UniqueConstraint("unit_id", "title", "adopted_on", "stream", name="uq_info_items_entry"),
                      sa.Index("ix_info_items_year_adopted", "year", "adopted_on"),
                      sa.Index("ix_info_items_unit_year", "unit_id", "year", "adopted_on"))
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    adopted_on: Mapped[date] = mapped_column(sa.Date)
    portal: Mapped[str] = mapped_column(sa.String(16), default="district")
    special: Mapped[bool] = mapped_column(default=False)
    stream: Mapped[str] = mapped_column(sa.String(16), default="info")
    district_offices: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False)

    unit = relationship("Unit", lazy="joined")
    created_by = relationship("User", lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self):
        return f"<InfoItem {self.unit_id} {self.adopted_on} {self.stream}>"


class YearInfoQuotas(db.Model):
    """A year's 附件4 quotas as data (the shape of `data/info_quotas_<year>.yaml`), made when the
    year is created from another; a year without a row reads its data file."""

    __tablename__ = "year_info_quotas"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
