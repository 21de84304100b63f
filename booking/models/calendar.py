"""When practitioners work, and when the clinic or a practitioner is closed."""
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db


class WorkingHours(db.Model):
    """One weekly working period in local wall-clock time; several per weekday make breaks."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    practitioner: Mapped["Practitioner"] = relationship(back_populates="working_hours")  # noqa: F821


class Closure(db.Model):
    """A closed period: clinic-wide when practitioner_id is empty, else one practitioner's.

    One-off: starts_at..ends_at. Recurring: starts_at..ends_at is the first occurrence and
    `rrule` (RFC 5545, e.g. "FREQ=WEEKLY;BYDAY=FR") repeats it in local wall-clock time until
    `repeat_until` (a local date, inclusive), so "every Friday 14:00-15:00" stays 14:00 across
    DST changes.
    """

    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
        Index("ix_closure_period", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioner.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
    rrule: Mapped[str | None] = mapped_column(String(200))
    repeat_until: Mapped[date | None] = mapped_column(Date)

    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821
