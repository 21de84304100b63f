"""Patients (no accounts: they reach their data through private links) and their consents."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class Patient(db.Model):
    # A returning patient is recognised by email and date of birth together.
    __table_args__ = (UniqueConstraint("email", "date_of_birth", name="uq_patient_email_dob"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)  # stored lower-case
    phone: Mapped[str] = mapped_column(String(20))  # E.164, e.g. +380501234567
    date_of_birth: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Messages (notifications/routing.py): email, sms, viber or telegram. Anything but email only
    # with the patient's opt-in, given at `channel_consent_at` (None: email only).
    preferred_channel: Mapped[str] = mapped_column(String(12), default="email",
                                                   server_default="email")
    channel_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(32), index=True)

    consents: Mapped[list["Consent"]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="Consent.given_at"
    )

    def __repr__(self):
        return f"<Patient {self.id}>"  # no names in logs


class Consent(db.Model):
    """A consent the patient gave: which text (version) and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # "data_processing", later "contact"
    version: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="consents")
