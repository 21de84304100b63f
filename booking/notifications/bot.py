"""The Telegram bot: what it does with an update, from the webhook or from polling.

- `/start <code>`: links the chat (preferences.link_chat); a wrong, expired or used code is
  refused and says how to get a new one;
- `/stop`: unlinks the chat; the patient's messages go back to email;
- a reminder's buttons: "I will come" (noted on the appointment's history at the desk),
  "Cancel" (asks to confirm; cancels through the booking service, so the online cut-off holds
  and the usual cancellation notice follows), "Change time" (sends a manage link).

The bot's answers are outbox rows (channel telegram, kind "bot_reply"), committed with what the
update changed and then sent at once by the same sender (sender.send_due(ids=...)), so an answer
goes exactly once and a failed one is retried like any message. A button press is also
answered with answerCallbackQuery (the small notice Telegram shows; best effort).

Updates come from Telegram only: the webhook checks the secret header (views.py), polling asks
Telegram itself. Chats other than private ones are ignored.
"""
import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import audit, channels
from ..database import begin_write
from ..diary import services as diary
from ..extensions import db
from ..models import Appointment, OutboxMessage, Patient
from ..scheduler import appointment_changes, booking_errors
from ..timeutil import utcnow
from . import gateways, links, preferences, sender, short_messages

log = logging.getLogger(__name__)
COMMAND_MAX = 200


@dataclass
class Outcome:
    """What to do after the update's transaction: send these outbox rows, answer this button."""
    send_ids: list = field(default_factory=list)
    callback_id: str | None = None
    callback_text: str | None = None


def _language(patient=None):
    config = current_app.config
    language = getattr(patient, "language", None)
    return language if language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _reply(chat_id, text, *, patient=None, buttons=None):
    message = OutboxMessage(
        kind="bot_reply", channel=channels.TELEGRAM, to_address=str(chat_id), to_name="",
        subject="", text_body=text, html_body="", language=_language(patient),
        patient_id=patient.id if patient is not None else None, status="pending",
        next_attempt_at=utcnow(), buttons=buttons or None)
    db.session.add(message)
    return message


def _in_transaction(work):
    """work(outcome) in one write transaction; the replies it queued get their ids."""
    outcome = Outcome()
    replies = []
    try:
        begin_write()
        replies = work(outcome) or []
        db.session.flush()
        outcome.send_ids = [reply.id for reply in replies]
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


# --- Commands --------------------------------------------------------------------------------------

def _clinic():
    return short_messages.clinic()


def _help_text():
    return _("This bot sends the reminders of %(clinic)s. To change an appointment, use its "
             "link or call %(phone)s. To stop these messages, send /stop.", clinic=_clinic(),
             phone=current_app.config["CLINIC_PHONE"])


def _start(chat_id, code, outcome):
    if not code:
        return [_reply(chat_id, _("To get reminders here, open your booking page and press "
                                  "“Get reminders in Telegram”."))]
    try:
        linked = preferences.link_chat(code, chat_id)
    except preferences.LinkRefused as refused:
        if refused.reason == "used" and preferences.patients_of_chat(chat_id):
            return [_reply(chat_id, _("This chat is linked already. To stop these messages, "
                                      "send /stop."))]
        return [_reply(chat_id, _("This link does not work any more (it works once, for a "
                                  "few days). Open your booking page and press “Get "
                                  "reminders in Telegram” again."))]
    if linked.who == "staff":
        return [_reply(chat_id, _("This chat now gets the urgent alerts of %(clinic)s while "
                                  "you are on call. To stop them, send /stop.",
                                  clinic=_clinic()))]
    patient = db.session.get(Patient, linked.id)
    with force_locale(_language(patient)):
        return [_reply(chat_id, _("Done: reminders and changes of your %(clinic)s "
                                  "appointments now come here. To stop them, send /stop.",
                                  clinic=_clinic()), patient=patient)]


def _stop(chat_id, outcome):
    if preferences.unlink_chat(chat_id):
        return [_reply(chat_id, _("Done: no more messages here. Reminders come by email "
                                  "again."))]
    return [_reply(chat_id, _("This chat gets no messages from %(clinic)s.",
                              clinic=_clinic()))]


def _command(chat_id, text, outcome):
    word, _sep, rest = text.strip()[:COMMAND_MAX].partition(" ")
    word = word.split("@")[0].lower()  # "/start@ExpioBot" in a chat with several bots
    if word == "/start":
        return _start(chat_id, rest.strip(), outcome)
    if word == "/stop":
        return _stop(chat_id, outcome)
    return [_reply(chat_id, _help_text())]


# --- Buttons -------------------------------------------------------------------------------------

def _too_late_text():
    return _("It is too late to change this appointment online. Please call the clinic: "
             "%(phone)s.", phone=current_app.config["CLINIC_PHONE"])


def _button(chat_id, data, outcome):
    """A reminder's button. Returns the replies to queue (the cancellation itself runs in the
    booking service's own transaction, before this one: see handle_update)."""
    parsed = channels.parse_button_data(data)
    appointment = db.session.get(Appointment, parsed[1]) if parsed else None
    if appointment is None or appointment.patient.telegram_chat_id != str(chat_id):
        outcome.callback_text = _("This button no longer works.")
        return []
    action, patient = parsed[0], appointment.patient
    when = short_messages.when(appointment.starts_at)
    if action == "come":
        if appointment.status == "booked":
            audit.record("appointment.attending", object_type="appointment",
                         object_id=appointment.id, details={"by": "telegram"},
                         actor_label="patient")
            outcome.callback_text = _("Thank you! See you on %(when)s.", when=when)
        else:
            outcome.callback_text = _("This appointment is no longer booked.")
        return []
    if action == "cancel_no":
        outcome.callback_text = _("Your appointment stays as it is.")
        return []
    if appointment.status != "booked":
        outcome.callback_text = _("This appointment is no longer booked.")
        return []
    if not appointment_changes.manage_window_open(appointment) or (
            action == "cancel" and appointment.course_id is not None):
        return [_reply(chat_id, _too_late_text() if appointment.course_id is None else _(
            "A session of a course is changed on its page: %(link)s",
            link=links.manage_url(appointment)), patient=patient)]
    if action == "move":
        return [_reply(chat_id, _("Choose a new time here: %(link)s",
                                  link=links.manage_url(appointment)), patient=patient)]
    # "cancel": ask first.
    return [_reply(chat_id, _("Cancel your appointment on %(when)s?", when=when),
                   patient=patient, buttons=[[
                       {"text": _("Yes, cancel it"),
                        "data": channels.button_data("cancel_yes", appointment.id)},
                       {"text": _("No, keep it"),
                        "data": channels.button_data("cancel_no", appointment.id)}]])]


def _diary_no_headache(chat_id, data):
    """A diary prompt's "No headache today": the day's entry, through the diary's service (its
    rules on which days can still be filled). Returns the notice for the button."""
    parsed = channels.parse_diary_button(data)
    patient = db.session.get(Patient, parsed[0]) if parsed else None
    if patient is None or patient.telegram_chat_id != str(chat_id):
        return _("This button no longer works.")
    try:
        diary.save_entry(patient.id, parsed[1], diary.Answers(headache=False))
    except diary.DiaryError:
        return _("That day can no longer be filled in here; please use your diary's link.")
    return _("Noted: no headache that day. Thank you!")


def _cancel_confirmed(chat_id, data):
    """"Yes, cancel it": through the booking service (its cut-off, its notice to the patient,
    the waitlist). Returns the notice for the button."""
    parsed = channels.parse_button_data(data)
    appointment = db.session.get(Appointment, parsed[1])
    if appointment is None or appointment.patient.telegram_chat_id != str(chat_id):
        return _("This button no longer works.")
    try:
        appointment_changes.cancel_by_patient(appointment.id)
    except booking_errors.ManageWindowClosed:
        return _too_late_text()
    except booking_errors.BookingError:
        return _("This appointment is no longer booked.")
    return _("Your appointment is cancelled. A confirmation follows.")


# --- One update ----------------------------------------------------------------------------------

def _private_chat(message):
    chat = (message or {}).get("chat") or {}
    if chat.get("type") != "private" or not isinstance(chat.get("id"), int):
        return None
    return chat["id"]


def handle_update(update):
    """Do what one update asks; returns the Outcome to deliver after the commit."""
    if not isinstance(update, dict):
        return Outcome()
    if isinstance(update.get("message"), dict):
        message = update["message"]
        chat_id = _private_chat(message)
        text = message.get("text")
        if chat_id is None or not isinstance(text, str):
            return Outcome()
        patients = preferences.patients_of_chat(chat_id)
        with force_locale(_language(patients[0] if patients else None)):
            return _in_transaction(lambda outcome: _command(chat_id, text, outcome))
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        chat_id = _private_chat(query.get("message"))
        data = query.get("data") if isinstance(query.get("data"), str) else ""
        patients = preferences.patients_of_chat(chat_id) if chat_id is not None else []
        with force_locale(_language(patients[0] if patients else None)):
            if chat_id is None:
                return Outcome(callback_id=query["id"],
                               callback_text=_("This button no longer works."))
            if data.startswith("cancel_yes:"):
                text = _cancel_confirmed(chat_id, data)
                return Outcome(callback_id=query["id"], callback_text=text)
            if data.startswith(channels.DIARY_NO_HEADACHE + ":"):
                text = _diary_no_headache(chat_id, data)
                return Outcome(callback_id=query["id"], callback_text=text)
            outcome = _in_transaction(lambda outcome: _button(chat_id, data, outcome))
            outcome.callback_id = query["id"]
            return outcome
    return Outcome()


def deliver(outcome, api=None):
    """After the commit: send the replies (the sender's claim keeps them exactly once), answer
    the button. Telegram errors here are logged, never raised: the rows stay for the sender."""
    if outcome.send_ids:
        sender.send_due(ids=outcome.send_ids)
    if outcome.callback_id:
        own = api is None
        api = api or gateways.BotAPI(current_app.config)
        try:
            api.call("answerCallbackQuery", callback_query_id=outcome.callback_id,
                     text=outcome.callback_text)
        except gateways.GatewayError as error:
            log.warning("telegram: answerCallbackQuery failed: %s", error.detail)
        finally:
            if own:
                api.close()


# --- Polling and the webhook's setup (for the CLI commands) ----------------------------------------

ALLOWED_UPDATES = ["message", "callback_query"]


def poll(*, once=False, timeout=25, offset=None, api=None):
    """Ask Telegram for updates (getUpdates, long polling) and handle them; with `once`, one
    batch, then confirm it. Returns (updates handled, next offset)."""
    own = api is None
    api = api or gateways.BotAPI(current_app.config)
    handled = 0
    try:
        while True:
            updates = api.call("getUpdates", offset=offset, timeout=0 if once else timeout,
                               allowed_updates=ALLOWED_UPDATES) or []
            for update in updates:
                offset = max(offset or 0, int(update.get("update_id", 0)) + 1)
                deliver(handle_update(update), api)
                handled += 1
            if once:
                if updates:  # confirm: Telegram forgets updates below the offset asked for
                    api.call("getUpdates", offset=offset, timeout=0, limit=1,
                             allowed_updates=ALLOWED_UPDATES)
                return handled, offset
    finally:
        if own:
            api.close()


def set_webhook(*, delete=False, api=None):
    """Tell Telegram where updates go: CANONICAL_URL/telegram/webhook with the secret, or
    (delete) nowhere, for polling."""
    own = api is None
    api = api or gateways.BotAPI(current_app.config)
    try:
        if delete:
            return api.call("deleteWebhook")
        return api.call("setWebhook",
                        url=links.canonical_url("messages.telegram_webhook"),
                        secret_token=current_app.config["TELEGRAM_WEBHOOK_SECRET"],
                        allowed_updates=ALLOWED_UPDATES)
    finally:
        if own:
            api.close()
