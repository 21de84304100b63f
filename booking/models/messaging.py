"""Messages beyond email: Telegram chat links, and the private links that short messages carry.

Both hold only a hash of their token (sha256): the token itself exists in the message or the
t.me link that carries it, never in the database.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class TelegramLink(db.Model):
    """A one-time code behind "Get reminders in Telegram" (t.me/<bot>?start=<code>): sending it
    to the bot links that chat to the patient (or, for urgent alerts, to a staff member). At
    least 128 bits, single use (used_at), expires (expires_at)."""

    __tablename__ = "telegram_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageLink(db.Model):
    """A private link made for one short message (SMS, Viber, Telegram), so the confirmation's
    manage link never has to be stored: "manage" opens the appointment's manage page (as the
    confirmation's link does) until it expires; "stop" opens the page that stops messages on
    `channel` for the patient."""

    __tablename__ = "message_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(12))  # manage, stop
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"),
                                            index=True)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(12))  # the channel a stop link stops
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
