"""The attention queue: one item per urgent intake, open until a clinician acknowledges it.

The item is its own row, apart from the appointment and the intake's review, so it outlives a
cancellation, a move or a declined course, and the clinician list's date window cannot hide it.
It holds codes and times only; the clinician's note is free text seen by clinicians alone.
"""
import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class AttentionOutcome(str, enum.Enum):
    CONTACTED = "contacted"           # contacted the patient
    NOT_REACHABLE = "not_reachable"   # not reachable, tried at <tried_at>
    OTHER = "other"                   # other: the note says what


class AttentionItem(db.Model):
    __tablename__ = "attention_item"
    __table_args__ = (
        # The open queue is read on every clinician's home page: status first.
        Index("ix_attention_item_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id"), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # Why: the urgent codes (phq9_item9, headache_thunderclap, ...), never an answer.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, acknowledged
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not reachable: when tried
    note: Mapped[str | None] = mapped_column(String(2000))

    appointment: Mapped["Appointment"] = relationship()  # noqa: F821
    patient: Mapped["Patient"] = relationship()  # noqa: F821
    acknowledged_by: Mapped["StaffUser | None"] = relationship()  # noqa: F821

    @property
    def is_open(self):
        return self.status == "open"

    def __repr__(self):
        return f"<AttentionItem {self.id} {self.status}>"
