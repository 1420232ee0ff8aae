"""Delegations (CONTRACT.md "The year's rhythm"): a head or a leader hands their capacities to
someone for a range of days."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Delegation(db.Model):
    """From `from_date` to `to_date` (the bureau's days, both included) `delegate` may do what
    `delegator` may. Ending it early keeps the row (`ended_at`): the history names both."""

    __tablename__ = "delegations"
    __table_args__ = (sa.Index("ix_delegations_delegate_dates", "delegate_id", "from_date", "to_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    from_date: Mapped[date] = mapped_column(sa.Date)
    to_date: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    delegator = relationship("User", foreign_keys=[delegator_id], lazy="joined")
    delegate = relationship("User", foreign_keys=[delegate_id], lazy="joined")

    def covers(self, day: date) -> bool:
        return self.ended_at is None and self.from_date <= day <= self.to_date
