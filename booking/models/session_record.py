"""What a clinician records for each infusion session (clinical.md, "Each infusion session")."""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

ADVERSE_EVENT_CODES = ("nausea", "vomiting", "dizziness", "blurred_vision", "hallucinations",
                       "dissociation", "anxiety", "sedation", "hypertension", "tachycardia",
                       "worse_headache", "other")
SEVERITIES = ("mild", "moderate", "severe")


class InfusionSession(db.Model):
    __tablename__ = "infusion_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    course_day: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dosing_weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    pain_before: Mapped[int | None] = mapped_column(Integer)
    pain_after: Mapped[int | None] = mapped_column(Integer)
    total_dose_mg: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_rate_mg_per_h: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_rate_mg_per_kg_h: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    stop_reason: Mapped[str] = mapped_column(Text, default="")
    discharge_criteria_met: Mapped[bool | None] = mapped_column(Boolean)
    escort_present: Mapped[bool | None] = mapped_column(Boolean)
    # Set when a vital sign crossed a clinic alert threshold; the reasons name which.
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_reasons: Mapped[list] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    appointment: Mapped["Appointment"] = relationship()  # noqa: F821
    rates: Mapped[list["InfusionRate"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="InfusionRate.from_minute")
    vitals: Mapped[list["VitalSign"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="VitalSign.minute")
    adverse_events: Mapped[list["AdverseEvent"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AdverseEvent.id")


class InfusionRate(db.Model):
    __tablename__ = "infusion_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_session.id", ondelete="CASCADE"),
                                            index=True)
    from_minute: Mapped[int] = mapped_column(Integer)
    mg_per_kg_h: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    mg_per_h: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))

    session: Mapped[InfusionSession] = relationship(back_populates="rates")


class VitalSign(db.Model):
    __tablename__ = "vital_sign"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_session.id", ondelete="CASCADE"),
                                            index=True)
    minute: Mapped[int] = mapped_column(Integer)  # minutes from the start
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    heart_rate: Mapped[int | None] = mapped_column(Integer)
    spo2: Mapped[int | None] = mapped_column(Integer)

    session: Mapped[InfusionSession] = relationship(back_populates="vitals")


class AdverseEvent(db.Model):
    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("infusion_session.id", ondelete="CASCADE"),
                                            index=True)
    code: Mapped[str] = mapped_column(String(24))  # ADVERSE_EVENT_CODES
    severity: Mapped[str] = mapped_column(String(12))  # SEVERITIES
    note: Mapped[str] = mapped_column(String(500), default="")

    session: Mapped[InfusionSession] = relationship(back_populates="adverse_events")
