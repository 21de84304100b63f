"""Messages by the patient's chosen channel: SMS, Viber or Telegram beside email, in one outbox.

Every message is queued as an email first (outbox.queue); `route` then looks at its kind and the
patient (booking/channels.py has the rules):
- email only: nothing changes;
- by the chosen channel: a short message row is added for that channel, and the email is either
  held as its fallback (status "held", released by the sender when the short one fails for
  good) or, for a change that carries a calendar update (.ics), sent as well.
So every area that queues a message (reminders, the waitlist, follow-ups, the diary) is routed
without knowing about channels: the patient is the one given, else the one patient with that
email address.

Short texts (this module and messages.py): plain text in the patient's language, short (a
Cyrillic SMS part holds 70 characters; tests keep each kind within two parts), the clinic's
short name and never the service or anything about health, the manage link where it helps, and
always how to stop: "send /stop" on Telegram, a link elsewhere (the manage page's "Messages",
or a stop link).
"""
from dataclasses import dataclass, field

from babel.dates import format_datetime as babel_format_datetime
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import channels
from ..extensions import db
from ..models import OutboxMessage, Patient
from ..timeutil import clinic_tz, utcnow
from . import links

WHEN_PATTERN = "EEE dd.MM, HH:mm"  # "Tue 08.12, 10:00" / "вт 08.12, 10:00" (Kyiv time)
SHORT_TEXT_MAX = 1000  # a Telegram message may be 4096 characters; ours are far shorter


@dataclass(frozen=True)
class ShortText:
    text: str
    buttons: list = field(default_factory=list)  # Telegram: rows of {"text", "data" | "url"}


def available():
    """The channels the clinic has set up (settings)."""
    return channels.offered(current_app.config)


def reach(patient):
    """How the patient can be reached, as the pure rules want it."""
    email = (patient.email or "").strip()
    return channels.Reach(
        email=email if email and not email.endswith("@invalid") else None,
        phone=patient.phone or None, telegram_chat=patient.telegram_chat_id,
        preferred=patient.preferred_channel or channels.EMAIL,
        consented=patient.channel_consent_at is not None)


def current_channel(patient):
    """The channel the patient's messages go by now."""
    return channels.chosen_channel(reach(patient), available())


def when(instant):
    """A visit's time, short: "Tue 08.12, 10:00" in the current language, Kyiv time."""
    return babel_format_datetime(instant.astimezone(clinic_tz()), WHEN_PATTERN,
                                 tzinfo=clinic_tz(), locale=get_locale())


def clinic():
    return current_app.config["CLINIC_SHORT_NAME"]


def stop_line(patient_id, channel):
    """How to stop, as the last line of a short message (current language)."""
    if channel == channels.TELEGRAM:
        return _("To stop these messages, send /stop.")
    return _("Stop: %(link)s", link=links.stop_url(patient_id, channel))


def with_manage_link(text, appointment, channel):
    """`text`, then the manage link that also stops messages (SMS, Viber) or a link and "send
    /stop" (Telegram)."""
    link = links.manage_url(appointment)
    if channel == channels.TELEGRAM:
        return "\n".join((text, _("Details: %(link)s", link=link),
                          _("To stop these messages, send /stop.")))
    return "\n".join((text, _("Change or stop: %(link)s", link=link)))


def _first_link(text):
    for word in (text or "").split():
        if word.startswith(("https://", "http://")):
            return word.rstrip(".,)>")
    return None


def generic_text(message, channel):
    """A short text for a message whose area wrote only an email: its subject (written to be
    safe on a lock screen), the first link of its text, how to stop. A diary prompt on Telegram
    gets its quick answers: "No headache today" (noted at once by the bot) and "Open my diary"
    (its link)."""
    lines = [message.subject]
    link = _first_link(message.text_body)
    if channel == channels.TELEGRAM and message.kind.startswith("diary") and link:
        day = utcnow().astimezone(clinic_tz()).date()
        lines.append(stop_line(message.patient_id, channel))
        return ShortText("\n".join(lines), [
            [{"text": _("No headache today"),
              "data": channels.diary_button_data(message.patient_id, day)}],
            [{"text": _("Open my diary"), "url": link}]])
    if link:
        lines.append(link)
    lines.append(stop_line(message.patient_id, channel))
    return ShortText("\n".join(lines))


def queue_short(kind, channel, address, text, *, dedupe_key=None, language=None):
    """A short message of our own (not a patient's email routed): a staff alert on the phone.
    In the caller's transaction."""
    message = OutboxMessage(
        kind=kind, channel=channel, to_address=str(address)[:254], to_name="", subject="",
        text_body=text[:SHORT_TEXT_MAX], html_body="",
        language=language or current_app.config["BABEL_DEFAULT_LOCALE"], status="pending",
        dedupe_key=dedupe_key, next_attempt_at=utcnow())
    db.session.add(message)
    return message


def _patient_for(address):
    """The one patient with this email address, or None (none, or several sharing it)."""
    if not address:
        return None
    found = db.session.execute(
        select(Patient).where(func.lower(Patient.email) == address.strip().lower()).limit(2)
    ).scalars().all()
    return found[0] if len(found) == 1 else None


def route(message, *, patient=None, short=None):
    """Send the email `message` (just queued, in the caller's transaction) by the patient's
    chosen channel when its kind goes that way. `short(channel)` writes the short text (a
    ShortText, in the message's language); without it the text is `generic_text`. Returns the
    email message (held when it became the fallback)."""
    patient = patient if patient is not None else (
        _patient_for(message.to_address) if channels.goes_by_chosen_channel(message.kind)
        else None)
    if patient is None:
        return message
    message.patient_id = patient.id
    way = channels.route(message.kind, reach(patient), available(),
                         carries_calendar=bool(message.ics))
    if way.channel == channels.EMAIL or not way.address:
        return message
    with force_locale(message.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        composed = short(way.channel) if short is not None else generic_text(message,
                                                                             way.channel)
    primary = OutboxMessage(
        kind=message.kind, channel=way.channel, to_address=way.address, to_name="",
        subject=message.subject, text_body=composed.text[:SHORT_TEXT_MAX], html_body="",
        language=message.language, appointment_id=message.appointment_id,
        patient_id=patient.id, status="pending", next_attempt_at=message.next_attempt_at,
        buttons=(composed.buttons or None) if way.channel == channels.TELEGRAM else None)
    db.session.add(primary)
    if way.email_fallback:
        message.status = "held"
        message.fallback_for = primary
    elif not way.email_too:
        db.session.expunge(message)  # no email at all (the patient has no address)
        return primary
    return message
