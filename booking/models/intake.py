"""The patient's intake: answers saved step by step, then scores and flags on submission.

Answers live as JSON per step (their shape: docs/intake-answers.md). What clinicians query and
compare - questionnaire totals and bands, flags, pain ratings, medicines - is stored in columns
and rows of its own when the intake is submitted, always as booking/intake/scoring.py computes it.
"""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class Intake(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # or "submitted"
    # Set as soon as an urgent answer is saved (PHQ-9 item 9, a headache red flag).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(5), default="en")
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {step: {key: value}}
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Derived history flags ("criteria met by history", not diagnoses), set on submission.
    chronic_migraine_criteria: Mapped[bool | None] = mapped_column(Boolean)
    medication_overuse_classes: Mapped[list | None] = mapped_column(JSON)
    high_acute_medication_use: Mapped[bool | None] = mapped_column(Boolean)
    resistant_migraine_criteria: Mapped[bool | None] = mapped_column(Boolean)
    # A clinician's review: an urgent intake stays on top of their list until reviewed.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    review_note: Mapped[str | None] = mapped_column(String(2000))

    appointment: Mapped["Appointment"] = relationship(back_populates="intake")  # noqa: F821
    patient: Mapped["Patient"] = relationship()  # noqa: F821
    responses: Mapped[list["QuestionnaireResponse"]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="QuestionnaireResponse.id")
    flags: Mapped[list["IntakeFlag"]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="IntakeFlag.id")
    acute_medications: Mapped[list["AcuteMedicationUse"]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="AcuteMedicationUse.id")
    preventives: Mapped[list["PreventiveTrial"]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="PreventiveTrial.id")
    pain_ratings: Mapped[list["PainRating"]] = relationship(
        back_populates="intake", cascade="all, delete-orphan", order_by="PainRating.id")

    def __repr__(self):
        return f"<Intake {self.id} {self.status}>"


class QuestionnaireResponse(db.Model):
    """One instrument's answers and score: what was asked (version, language) and the result."""

    __tablename__ = "questionnaire_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(16))  # midas, phq9, gad7, hit6
    version: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5))
    items: Mapped[list] = mapped_column(JSON)
    total: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(24))
    flags: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    loinc_total: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    intake: Mapped[Intake] = relationship(back_populates="responses")


class IntakeFlag(db.Model):
    """A red flag or history flag, shown first to clinicians."""

    __tablename__ = "intake_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    action: Mapped[str] = mapped_column(String(24))  # crisis_contacts, emergency_care, clinician_review
    details: Mapped[list] = mapped_column(JSON, default=list)

    intake: Mapped[Intake] = relationship(back_populates="flags")


class AcuteMedicationUse(db.Model):
    __tablename__ = "acute_medication_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    drug_class: Mapped[str] = mapped_column(String(32))
    days_per_month: Mapped[int] = mapped_column(Integer)
    effect: Mapped[str] = mapped_column(String(16))

    intake: Mapped[Intake] = relationship(back_populates="acute_medications")


class PreventiveTrial(db.Model):
    __tablename__ = "preventive_trial"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"), index=True)
    drug: Mapped[str] = mapped_column(String(80))
    drug_class: Mapped[str] = mapped_column(String(32))
    dose: Mapped[str] = mapped_column(String(40), default="")
    weeks: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))

    intake: Mapped[Intake] = relationship(back_populates="preventives")


class PainRating(db.Model):
    """A pain rating (NRS 0-10) at a point in time. The intake gives three; treatment sessions
    and follow-ups add theirs later, so one table shows pain over time."""

    __tablename__ = "pain_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    intake_id: Mapped[int | None] = mapped_column(ForeignKey("intake.id", ondelete="CASCADE"),
                                                  index=True)
    source: Mapped[str] = mapped_column(String(16))  # intake
    kind: Mapped[str] = mapped_column(String(16))    # now, avg_7d, worst_month
    value: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loinc: Mapped[str] = mapped_column(String(16), default="72514-3")

    intake: Mapped[Intake | None] = relationship(back_populates="pain_ratings")
