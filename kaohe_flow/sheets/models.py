"""The score sheet of a unit and a year (附件3), its rows and its signatures."""
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from ..scheme.models import POINTS
from ..timeutil import utcnow
from ..workflow.machine import guard_state


class Sheet(db.Model):
    """One unit's sheet for one year; `state` changes only through the workflow machine."""

    __tablename__ = "sheets"
    # The ranking reads a year's final sheets (issue 11: indexes for a district).
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"), sa.Index("ix_sheets_year_state", "year", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(nullable=False)
    key_deduction: Mapped[Decimal] = mapped_column(POINTS, default=Decimal("0"))
    key_deduction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # True once the gate unit wrote anything in this round: the unit may no longer withdraw.
    gate_touched: Mapped[bool] = mapped_column(default=False)
    # The 特别附加分 counted in when the sheet became final: a final sheet's numbers never change
    # (issue 10, 4); an application granted later waits (`bonus_pending`) until a reopen.
    bonus_final: Mapped[Decimal | None] = mapped_column(POINTS)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    unit = relationship("Unit", lazy="joined")
    rows: Mapped[list["SheetRow"]] = relationship(
        back_populates="sheet", lazy="selectin", cascade="all, delete-orphan",
        order_by="SheetRow.position",
    )
    signatures: Mapped[list["Signature"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Signature.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("state")
    def _only_the_machine_moves_it(self, _key, value):
        return guard_state(self, value)

    @property
    def unit_name(self) -> str:
        """The unit's name in the sheet's own year (a unit renamed in 2019 keeps 2018's name on
        its 2018 sheet, print page and workbook)."""
        from ..org import chart

        place = chart.place(self.year, self.unit_id)
        return place.name if place is not None else self.unit.name

    def row(self, code: str) -> "SheetRow | None":
        return next((r for r in self.rows if r.item.code == code), None)


class SheetRow(db.Model):
    """One item of a sheet: self score and reason (自评), review score and reason (考评)."""

    __tablename__ = "sheet_rows"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("sheets.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_items.id"))
    position: Mapped[int] = mapped_column(default=0)
    self_score: Mapped[Decimal | None] = mapped_column(POINTS)
    self_reason: Mapped[str] = mapped_column(sa.Text, default="")
    review_score: Mapped[Decimal | None] = mapped_column(POINTS)
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")

    sheet: Mapped[Sheet] = relationship(back_populates="rows")
    item = relationship("SchemeItem", lazy="joined", innerjoin=True)


class Signature(db.Model):
    """A signature on a sheet: the unit head's, the gate head's, an office's row, the leader's."""

    __tablename__ = "signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("sheets.id", ondelete="CASCADE"), index=True)
    capacity: Mapped[str] = mapped_column(sa.String(24))  # unit_head | gate | responsible_office | leader
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scheme_items.id"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # Set when a delegate signed for this user (CONTRACT.md "The year's rhythm": "A 代 B"):
    # `user` is the one who signed, `on_behalf_of` the one whose place it is.
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    user = relationship("User", lazy="joined", foreign_keys=[user_id])
    on_behalf_of = relationship("User", lazy="joined", foreign_keys=[on_behalf_of_id])
    unit = relationship("Unit", lazy="joined")
