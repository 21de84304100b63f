"""How a patient wants their messages, and how staff get urgent alerts on the phone: services.

Each public function is one action and one transaction, audited with codes only (never an
address, a chat or a code):
- `choose_channel`: the patient on the manage page, or reception for a caller;
- `stop_by_link`: the "Stop messages" link a short message carried;
- `new_telegram_link` / `link_chat` / `unlink_chat`: "Get reminders in Telegram" (a one-time
  code behind t.me/<bot>?start=<code>), the bot's /start <code>, and /stop;
- `set_alerts`: a clinician's on-call alert channel.
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, channels
from ..database import begin_write
from ..extensions import db
from ..models import Patient, StaffUser, TelegramLink
from ..scheduler.contacts import normalise_phone
from ..scheduler.services import record_channel
from ..timeutil import utcnow
from . import links, short_messages


class PreferenceError(Exception):
    """A choice that breaks a rule: a message per form field (422)."""

    status = 422

    def __init__(self, fields):
        super().__init__("; ".join(str(message) for message in fields.values()))
        self.fields = {key: str(value) for key, value in fields.items()}


def _write(action):
    """Run `action()` in one write transaction: commit, or roll back and re-raise."""
    try:
        begin_write()
        result = action()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# --- The patient's channel ------------------------------------------------------------------------

def check_choice(channel, consent):
    """Refuse a channel the clinic does not offer, or anything but email without the opt-in."""
    if channel not in short_messages.available():
        raise PreferenceError({"channel": _("Please choose one of the offered ways.")})
    if channels.needs_consent(channel) and consent is not True:
        raise PreferenceError({"channel_consent": _(
            "Please agree to these messages, or choose email.")})


def choose_channel(patient_id, channel, consent, *, by_staff=False, now=None):
    """The patient (or reception, for a caller who agreed on the phone) chooses how reminders
    and changes come: email, or with the opt-in SMS, Viber or Telegram."""
    check_choice(channel, consent)

    def action():
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            raise LookupError("patient")
        before = patient.preferred_channel
        record_channel(patient, channel, now or utcnow())
        audit.record("patient.channel", object_type="patient", object_id=patient.id,
                     details={"before": before, "after": channel,
                              "by": "staff" if by_staff else "patient"},
                     actor_label=None if by_staff else "patient")
        return patient
    return _write(action)


def _back_to_email(patient, what):
    before = patient.preferred_channel
    patient.preferred_channel = channels.EMAIL
    patient.channel_consent_at = None
    audit.record("patient.channel", object_type="patient", object_id=patient.id,
                 details={"before": before, "after": channels.EMAIL, "by": what},
                 actor_label="patient")


def stop_by_link(token, *, now=None):
    """The "Stop messages" link: messages go back to email only (and a Telegram chat is
    unlinked). Returns the channel stopped; LookupError for a wrong or expired link."""
    def action():
        link = links.find_link(token, "stop", now)
        if link is None:
            raise LookupError("stop link")
        patient = db.session.get(Patient, link.patient_id)
        if link.channel == channels.TELEGRAM:
            patient.telegram_chat_id = None
        _back_to_email(patient, "stop link")
        return link.channel
    return _write(action)


def stop_link_valid(token, now=None):
    return links.find_link(token, "stop", now) is not None


# --- Telegram chats ----------------------------------------------------------------------------

def bot_username():
    return current_app.config.get("TELEGRAM_BOT_USERNAME") or ""


def telegram_offered():
    return channels.TELEGRAM in short_messages.available()


def new_telegram_link(*, patient_id=None, staff_user_id=None, now=None):
    """A one-time "Get reminders in Telegram" link: https://t.me/<bot>?start=<code>, the code
    192 bits (Telegram allows 64 characters of [A-Za-z0-9_-]), stored hashed, valid
    TELEGRAM_LINK_HOURS and once."""
    if (patient_id is None) == (staff_user_id is None):
        raise ValueError("a patient or a staff member")
    now = now or utcnow()
    code = secrets.token_urlsafe(24)

    def action():
        db.session.add(TelegramLink(
            code_hash=links.hash_token(code), patient_id=patient_id, staff_user_id=staff_user_id,
            created_at=now,
            expires_at=now + timedelta(hours=current_app.config["TELEGRAM_LINK_HOURS"])))
    _write(action)
    return f"https://t.me/{bot_username()}?start={code}"


@dataclass(frozen=True)
class Linked:
    """Who a chat was just linked to: "patient" or "staff", and their id."""
    who: str
    id: int


class LinkRefused(Exception):
    """A start code that is unknown, expired or used already (`reason`)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def link_chat(code, chat_id, *, now=None):
    """The bot got /start <code> from `chat_id`: link the chat to the code's patient (their
    messages now come there: pressing Start after "Get reminders in Telegram" is their opt-in)
    or staff member (urgent alerts). In the caller's transaction. Raises LinkRefused."""
    now = now or utcnow()
    if not code or len(code) > 64:
        raise LinkRefused("unknown")
    link = db.session.execute(select(TelegramLink).where(
        TelegramLink.code_hash == links.hash_token(code)).with_for_update()
    ).scalar_one_or_none()
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    link.used_at = now
    chat_id = str(chat_id)
    if link.patient_id is not None:
        patient = db.session.get(Patient, link.patient_id)
        patient.telegram_chat_id = chat_id
        before = patient.preferred_channel
        record_channel(patient, channels.TELEGRAM, now)
        audit.record("patient.channel", object_type="patient", object_id=patient.id,
                     details={"before": before, "after": channels.TELEGRAM, "by": "telegram"},
                     actor_label="patient")
        return Linked("patient", patient.id)
    user = db.session.get(StaffUser, link.staff_user_id)
    user.telegram_chat_id = chat_id
    user.alert_channel = user.alert_channel or channels.TELEGRAM
    audit.record("staff.alerts", object_type="staff_user", object_id=user.id,
                 details={"telegram": "linked"}, actor_label="system")
    return Linked("staff", user.id)


def unlink_chat(chat_id):
    """/stop in the bot: nobody gets messages in this chat any more; patients who chose
    Telegram go back to email. In the caller's transaction. Returns how many were linked."""
    chat_id = str(chat_id)
    patients = db.session.execute(
        select(Patient).where(Patient.telegram_chat_id == chat_id)).scalars().all()
    for patient in patients:
        patient.telegram_chat_id = None
        if patient.preferred_channel == channels.TELEGRAM:
            _back_to_email(patient, "telegram /stop")
    staff = db.session.execute(
        select(StaffUser).where(StaffUser.telegram_chat_id == chat_id)).scalars().all()
    for user in staff:
        user.telegram_chat_id = None
        if user.alert_channel == channels.TELEGRAM:
            user.alert_channel = None
        audit.record("staff.alerts", object_type="staff_user", object_id=user.id,
                     details={"telegram": "unlinked"}, actor_label="system")
    return len(patients) + len(staff)


def patients_of_chat(chat_id):
    return db.session.execute(
        select(Patient).where(Patient.telegram_chat_id == str(chat_id))).scalars().all()


# --- Staff: urgent alerts on the phone ---------------------------------------------------------

def set_alerts(user_id, *, on_call, channel, phone):
    """A clinician's urgent alerts: while on call, also by SMS (to `phone`) or Telegram (the
    linked chat), besides the email. `channel` "" for email only."""
    channel = channel or None
    errors = {}
    if channel not in (None, *channels.ALERT_CHANNELS):
        errors["alert_channel"] = _("Please choose one of the offered ways.")
    clean_phone = None
    if (phone or "").strip():
        try:
            clean_phone = normalise_phone(phone.strip())
        except ValueError:
            errors["alert_phone"] = _("Please enter a valid phone number, e.g. "
                                      "+380 50 123 45 67.")
    if channel == channels.SMS and not clean_phone and "alert_phone" not in errors:
        errors["alert_phone"] = _("SMS alerts need your phone number.")
    if errors:
        raise PreferenceError(errors)

    def action():
        user = db.session.get(StaffUser, user_id)
        if user is None:
            raise LookupError("staff user")
        user.on_call, user.alert_channel, user.alert_phone = bool(on_call), channel, clean_phone
        audit.record("staff.alerts", object_type="staff_user", object_id=user.id,
                     details={"on_call": bool(on_call), "channel": channel})
        return user
    return _write(action)
