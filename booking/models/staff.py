"""Staff accounts, sign-in throttling and the append-only audit log."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime
from ..extensions import db
from ..timeutil import utcnow

ROLES = ("admin", "receptionist", "clinician")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-case
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    # Comma-separated, e.g. "admin,clinician": one person may hold several roles.
    roles_text: Mapped[str] = mapped_column("roles", String(64), default="")
    # A clinician is linked to the practitioner whose calendar is theirs.
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the id kept in the session cookie: raising it (sign-out, new password, account
    # disabled) makes every earlier cookie of this person worthless.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Urgent alerts on the phone (attention/alerts.py): while `on_call`, also by `alert_channel`
    # (sms to alert_phone, or telegram to the linked chat), besides the email.
    on_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    alert_channel: Mapped[str | None] = mapped_column(String(12))  # sms, telegram
    alert_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    telegram_chat_id: Mapped[str | None] = mapped_column(String(32), index=True)

    practitioner: Mapped["Practitioner | None"] = relationship()  # noqa: F821

    @property
    def roles(self):
        return frozenset(role for role in self.roles_text.split(",") if role)

    @roles.setter
    def roles(self, values):
        self.roles_text = ",".join(role for role in ROLES if role in set(values))

    def has_role(self, *roles):
        return bool(self.roles & set(roles))

    @property
    def is_active(self):  # Flask-Login: a disabled account cannot be signed in
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    def __repr__(self):
        return f"<StaffUser {self.id}>"


class SignInThrottle(db.Model):
    """Failed sign-ins per email (known or not), shared by every worker through the database."""

    __tablename__ = "sign_in_throttle"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):
    """Who did what, when. Append-only: on SQLite triggers refuse UPDATE and DELETE.

    No clinical values, passwords or tokens are ever written here: only ids, field names and
    non-clinical values (times, statuses, practitioner ids).
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_at", "at"),
                      Index("ix_audit_event_object", "object_type", "object_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254), default="")  # email, or "patient", "system"
    action: Mapped[str] = mapped_column(String(48), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
