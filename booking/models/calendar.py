"""When practitioners work, and when the clinic or a practitioner is closed."""
from datetime import datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Time
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
    """A closed period: clinic-wide when practitioner_id is empty, else one practitioner's."""

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

    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821
