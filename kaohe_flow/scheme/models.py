"""The scheme of a year (附件2): items, their offices and their deduction rules."""
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..extensions import db

POINTS = sa.Numeric(7, 2)


class Scheme(db.Model):
    """One year's scheme: the declared total and its items."""

    __tablename__ = "schemes"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    total: Mapped[Decimal] = mapped_column(POINTS)
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The office responsible for target management signs bonus applications (附件6; `target_office` in the data file).
    target_office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))

    target_office = relationship("Unit", lazy="joined")

    items: Mapped[list["SchemeItem"]] = relationship(
        back_populates="scheme", order_by="SchemeItem.position", lazy="selectin",
        cascade="all, delete-orphan",
    )

    def item(self, code: str) -> "SchemeItem | None":
        return next((i for i in self.items if i.code == code), None)

    def responsible_unit_ids(self) -> set[int]:
        """Every office that signs rows on this year's sheets (会签)."""
        return {u.id for item in self.items for u in item.responsible}

    def category_name(self, code: str) -> str:
        return next((c["name"] for c in self.categories if c["code"] == code), code)

    def category_label(self, code: str) -> str:
        """The category as the score sheet (附件3) words it, e.g. 目标任务."""
        return next((c.get("sheet_label") or c["name"] for c in self.categories if c["code"] == code), code)


class ItemOffice(db.Model):
    """A unit that is responsible for (考核责任科室) or cooperates on (配合科室) an item."""

    __tablename__ = "item_offices"
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_items.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # responsible | cooperating
    position: Mapped[int] = mapped_column(default=0)

    unit = relationship("Unit", lazy="joined")


class SchemeItem(db.Model):
    """An item of the scheme, e.g. 信息管理, 5 points, responsible 办公室."""

    __tablename__ = "scheme_items"
    __table_args__ = (sa.UniqueConstraint("scheme_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("schemes.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(100))
    sheet_label: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(32))
    standard: Mapped[Decimal] = mapped_column(POINTS)
    content: Mapped[str] = mapped_column(sa.Text, default="")
    method: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    cooperating_all: Mapped[bool] = mapped_column(default=False)

    scheme: Mapped[Scheme] = relationship(back_populates="items")
    # Loaded when asked (or by `scheme_graph`): a sheet row or a record names its item, and
    # reading its name must not pull every office and rule of it (issue 11, lean reads).
    offices: Mapped[list[ItemOffice]] = relationship(
        order_by=ItemOffice.position, lazy="select", cascade="all, delete-orphan"
    )
    rules: Mapped[list["Rule"]] = relationship(
        order_by="Rule.position", lazy="select", cascade="all, delete-orphan", back_populates="item"
    )

    @property
    def responsible(self):
        return [o.unit for o in self.offices if o.role == "responsible"]

    @property
    def cooperating(self):
        return [o.unit for o in self.offices if o.role == "cooperating"]


class Rule(db.Model):
    """A deduction rule of an item's scoring method (计分办法), e.g. 有一例扣0.5分."""

    __tablename__ = "rules"
    __table_args__ = (sa.UniqueConstraint("item_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("scheme_items.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(20))  # per_occurrence | zeroing | target
    points: Mapped[Decimal] = mapped_column(POINTS)
    position: Mapped[int] = mapped_column(default=0)
    # A flat deduction (无科室学习笔记扣2分: no 每…, no 有一例…) is taken once, whatever happened:
    # its records carry no count above 1 (issue 10, 7).
    flat: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    item: Mapped[SchemeItem] = relationship(back_populates="rules", lazy="joined")


class CacheVersion(db.Model):
    """A number every process checks before it uses what it holds of a kind of data (issue 11):
    `scheme` moves on with any change to a scheme, its items, offices, rules or the units they
    name (`scheme.snapshot`)."""

    __tablename__ = "cache_versions"
    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version: Mapped[int] = mapped_column(nullable=False, default=0)


def scheme_graph() -> tuple:
    """Load options for a whole scheme: its items' offices (with their units) and rules, in two
    statements more (a function: the mappers are configured once every model is imported)."""
    return (selectinload(Scheme.items).selectinload(SchemeItem.offices),
            selectinload(Scheme.items).selectinload(SchemeItem.rules))


class YearSettingsRow(db.Model):
    """The readings of DOMAIN.md as one year's data (`values`, the API's shape: office hours,
    OA limits, the 48-hour rule, the no-client factor, the information points, the bonus cap).
    Read through `scheme.settings.settings_for(year)`, never directly."""

    __tablename__ = "year_settings"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    values: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self):
        return f"<YearSettingsRow {self.year}>"
