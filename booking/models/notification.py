"""Email outbox, practitioner calendar feeds and the waitlist."""
from datetime import date, datetime, time

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow


class OutboxMessage(db.Model):
    """A message waiting to be sent, written in the same transaction as the change that causes it.

    A sender claims pending rows (status pending -> sending, with its name), sends them through
    the gateway of their `channel` (email over SMTP, sms and viber through TurboSMS, telegram
    through the Bot API) and marks them sent; a failure is retried later with backoff and its
    reason kept for staff. `dedupe_key` makes messages such as reminders exist at most once.

    Fallback: a row "held" with `fallback_for_id` stands in for another; it becomes pending
    when that one fails for good (a blocked bot, an invalid number), and "dropped" when it was
    sent. `to_address` is the channel's address: an email, a +380... number, a Telegram chat.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # confirmation, reminder, cancellation, ...
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    ics: Mapped[str | None] = mapped_column(Text)  # an .ics attachment, when there is one
    ics_method: Mapped[str | None] = mapped_column(String(12))  # REQUEST or CANCEL
    language: Mapped[str] = mapped_column(String(5), default="uk")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12), default="email", server_default="email")
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient.id", ondelete="SET NULL"), index=True)
    fallback_for_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True)
    buttons: Mapped[list | None] = mapped_column(JSON)  # Telegram: [[{"text", "data"|"url"}]]
    # What the gateway answered when it accepted the message (TurboSMS or Telegram message id).
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # pending sending sent failed; held (a fallback waiting), dropped (a fallback not needed)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    fallback_for: Mapped["OutboxMessage | None"] = relationship(remote_side=[id])


class CalendarFeed(db.Model):
    """A practitioner's private calendar subscription: a secret token URL an admin can rotate."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    practitioner: Mapped["Practitioner"] = relationship()  # noqa: F821


class WaitlistEntry(db.Model):
    """A patient waiting for a time that suits: a service, maybe a practitioner, days and times."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (Index("ix_waitlist_service_status", "service_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(20))
    date_of_birth: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(5), default="uk")
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    earliest: Mapped[time] = mapped_column(Time)
    latest: Mapped[time] = mapped_column(Time)  # the appointment must end by then
    weekdays: Mapped[list] = mapped_column(JSON, default=list)  # 0 = Monday
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting booked left
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # to leave the list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    service: Mapped["Service"] = relationship()  # noqa: F821
    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821


class WaitlistOffer(db.Model):
    """A freed time offered to a waiting patient; the first to confirm through their link gets it."""

    __tablename__ = "waitlist_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="offered")  # offered taken gone
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    entry: Mapped[WaitlistEntry] = relationship()
