"""Appointments: one patient, one service, one practitioner, one period of time."""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class AppointmentStatus(str, enum.Enum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# Every status but "cancelled" holds its time: a no-show still used the practitioner's hour.
ACTIVE_STATUSES = tuple(s.value for s in AppointmentStatus if s is not AppointmentStatus.CANCELLED)
_ACTIVE_SQL = "status != 'cancelled'"


class Appointment(db.Model):
    __table_args__ = (
        # Range queries of a calendar: "this practitioner's appointments between two instants".
        Index("ix_appointment_practitioner_starts", "practitioner_id", "starts_at"),
        Index("ix_appointment_starts", "starts_at"),
        Index("ix_appointment_resource_starts", "resource_id", "starts_at"),
        # A last guard for the commonest race (identical starts). Overlaps of different lengths
        # are refused by triggers (SQLite) created in the migrations; see there.
        Index(
            "uq_appointment_practitioner_start_active", "practitioner_id", "starts_at",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the patient quotes on the phone, e.g. "EX-7K3M9Q".
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # sha256 of the private manage token; the token itself is shown once and never stored.
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # ends_at plus the service's buffer: the practitioner is busy until then.
    blocks_until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.BOOKED.value)
    source: Mapped[str] = mapped_column(String(16), default="online")  # online, api, staff
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0)
    # iCalendar SEQUENCE: raised on every change the patient's calendar must follow.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(16))  # patient, clinic
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The chair or room, busy until resource_until (the end plus observation).
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    resource_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A session of a course: which course, and which day of it (1..n).
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    course_day: Mapped[int | None] = mapped_column(Integer)

    service: Mapped["Service"] = relationship()  # noqa: F821
    practitioner: Mapped["Practitioner"] = relationship()  # noqa: F821
    patient: Mapped["Patient"] = relationship()  # noqa: F821
    intake: Mapped["Intake | None"] = relationship(back_populates="appointment")  # noqa: F821
    resource: Mapped["Resource | None"] = relationship()  # noqa: F821
    course: Mapped["Course | None"] = relationship(back_populates="appointments")  # noqa: F821

    @property
    def is_active(self):
        return self.status != AppointmentStatus.CANCELLED.value

    def __repr__(self):
        return f"<Appointment {self.reference} {self.status}>"
