"""Treatment courses: 3-7 sessions on consecutive clinic days, booked and managed as one."""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class CourseStatus(str, enum.Enum):
    # Held slots, waiting for a clinician to confirm (pre-screen positive, urgent, or no intake).
    AWAITING_REVIEW = "awaiting_review"
    CONFIRMED = "confirmed"
    DECLINED = "declined"      # by a clinician: the slots were freed
    CANCELLED = "cancelled"    # every remaining session cancelled
    # Every session not cancelled is over: "completed" when at least one was attended (arrived,
    # completed, or an infusion record), "not_attended" when none was. Set by the daily
    # send-followups run (booking.courses.follow_ups); a not-attended course gets no follow-up
    # and stays out of the outcomes.
    COMPLETED = "completed"
    NOT_ATTENDED = "not_attended"


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # The patient's private link manages the whole course (sha256 of the token).
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    sessions_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.AWAITING_REVIEW.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    review_note: Mapped[str | None] = mapped_column(String(2000))

    service: Mapped["Service"] = relationship()  # noqa: F821
    practitioner: Mapped["Practitioner"] = relationship()  # noqa: F821
    patient: Mapped["Patient"] = relationship()  # noqa: F821
    appointments: Mapped[list["Appointment"]] = relationship(  # noqa: F821
        back_populates="course", order_by="Appointment.starts_at")

    def __repr__(self):
        return f"<Course {self.reference} {self.status}>"
