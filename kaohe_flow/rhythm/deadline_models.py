"""A year's deadlines (CONTRACT.md `GET/PUT /api/v1/years/{year}/deadlines`): one row per year and
state that has one. Read through `rhythm.deadlines`, never directly."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Deadline(db.Model):
    """The date by which a record of `year` must leave `state` (a state without a row has none)."""

    __tablename__ = "deadlines"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    due: Mapped[date] = mapped_column(sa.Date, nullable=False)

    def __repr__(self):
        return f"<Deadline {self.year} {self.state} {self.due}>"
