"""Messages by SMS, Viber and Telegram, through local fakes of TurboSMS and the Bot API over real
HTTP: each kind on each channel sent exactly once however often the sender runs, the email held
as a fallback and sent only when the short message fails for good, retries with backoff,
and texts that are short, neutral and say how to stop."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking import channels
from booking.extensions import db
from booking.models import Patient
from booking.notifications import messages, sender
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
THURSDAY_10 = datetime(2026, 12, 10, 10, 0, tzinfo=KYIV)
FRIDAY_12 = datetime(2026, 12, 11, 12, 0, tzinfo=KYIV)
CHAT = "700100200"
PHONE_DIGITS = "380501234567"


def person(n=1, **changes):
    return {"full_name": f"Olena Patient{n}", "email": f"olena{n}@example.com",
            "phone": "+380 50 123 45 67", "date_of_birth": "1985-03-04", **changes}


def book(service, start=THURSDAY_10, n=1, language="uk"):
    appointment, _token = booking.book(service_id=service.id, start=start, patient=person(n),
                                       consent=True, language=language)
    return appointment


def prefer(patient, channel):
    """The patient chose `channel` with their opt-in (and, for Telegram, linked a chat)."""
    patient = db.session.get(Patient, patient.id)
    booking.record_channel(patient, channel, datetime.now(KYIV))
    if channel == "telegram":
        patient.telegram_chat_id = CHAT
    db.session.commit()
    return patient


def remind(app, at=THURSDAY_10 - timedelta(hours=23)):
    """Queue the 24-hour reminders due at `at` (no questionnaire nudges)."""
    app.config.update(FROZEN_NOW=at, INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()


def deliver(app, times=2, at=None):
    """Run the sender `times` times (as cron would), at `at`; the reports."""
    if at is not None:
        app.config["FROZEN_NOW"] = at
    return [sender.send_due() for _ in range(times)]


def received(channel, turbosms, telegram):
    if channel == "telegram":
        return telegram.texts_to(CHAT)
    return turbosms.texts(channel)


@pytest.fixture
def gateways(mail_app, turbosms, telegram):
    return turbosms, telegram


def appointment_kinds(app, consultation, language, channel):
    """A patient who chose `channel` gets a questionnaire nudge (for each of their two
    appointments) and a reminder (send-reminders), then their second appointment is moved and
    cancelled. Returns the first appointment."""
    first = book(consultation, language=language)
    second = book(consultation, start=FRIDAY_12, language=language)  # the same patient
    prefer(first.patient, channel)
    app.config["FROZEN_NOW"] = THURSDAY_10 - timedelta(hours=72)
    messages.queue_due_reminders()
    app.config["FROZEN_NOW"] = THURSDAY_10 - timedelta(hours=23)
    messages.queue_due_reminders()
    appointment_changes.reschedule_by_patient(second.id, FRIDAY_12 + timedelta(hours=2))
    appointment_changes.cancel_by_patient(second.id)
    return first


# --- Each kind, each channel, exactly once ---------------------------------------------------------

@pytest.mark.parametrize("channel", ["sms", "viber", "telegram"])
def test_each_kind_goes_by_the_chosen_channel_exactly_once_when_the_sender_runs_twice(
        app, gateways, smtp_server, consultation, channel):
    turbosms, telegram = gateways
    first = appointment_kinds(app, consultation, "uk", channel)
    # Also a waitlist offer and a diary prompt (queued by other areas through queue_plain).
    messages.queue_plain("waitlist_offer", "olena1@example.com", "", "uk",
                         "A time has become free at Expio",
                         "Book it here: https://expio.example/waitlist/offer/abc")
    messages.queue_plain("diary_reminder", "olena1@example.com", "", "uk",
                         "Your headache diary at Expio", "https://expio.example/diary/xyz")
    db.session.commit()
    kinds = ["intake_nudge", "intake_nudge", "reminder", "reschedule", "cancellation",
             "waitlist_offer", "diary_reminder"]
    short = [row for row in outbox_rows() if row.channel == channel]
    assert sorted(row.kind for row in short) == sorted(kinds)

    reports = deliver(app, at=THURSDAY_10 - timedelta(hours=23))
    assert sum(r.sent for r in reports[1:]) == 0  # the second run finds nothing left
    texts = received(channel, turbosms, telegram)
    assert len(texts) == len(kinds)  # each exactly once
    rows = {row.id: row for row in outbox_rows()}
    for row in short:
        row = rows[row.id]
        assert (row.status, row.attempts) == ("sent", 1)
        assert row.provider_message_id  # what the gateway accepted, with its id
    # Their emails were held as fallbacks and are dropped, except the two changes, whose
    # email carries the calendar update.
    emails = {row.kind: row.status for row in rows.values()
              if row.channel == "email" and row.patient_id == first.patient_id
              and row.kind in kinds}
    assert emails == {"intake_nudge": "dropped", "reminder": "dropped",
                      "reschedule": "sent", "cancellation": "sent",
                      "waitlist_offer": "dropped", "diary_reminder": "dropped"}
    subjects = [r.email["Subject"] for r in smtp_server.received]
    assert not any("Reminder" in s or "Нагадування" in s for s in subjects)


def sent_reminder(app, consultation, channel):
    """A patient who chose `channel` is reminded, and the sender runs once."""
    appointment = book(consultation)
    prefer(appointment.patient, channel)
    remind(app)
    deliver(app, times=1)
    return appointment


def test_an_sms_is_the_documented_turbosms_request(app, gateways, consultation):
    turbosms, _telegram = gateways
    sent_reminder(app, consultation, "sms")
    [body] = turbosms.requests
    assert body["recipients"] == [PHONE_DIGITS]
    assert body["sms"]["sender"] == "Expio" and "viber" not in body
    [row] = [r for r in outbox_rows("reminder") if r.channel == "sms"]
    assert row.to_address == "+380501234567"


def test_a_viber_message_carries_the_sms_turbosms_sends_when_viber_cannot(
        app, gateways, consultation):
    turbosms, _telegram = gateways
    appointment = sent_reminder(app, consultation, "viber")
    [body] = turbosms.requests
    assert body["viber"]["text"] == body["sms"]["text"]
    app.config["TURBOSMS_VIBER_SMS_FALLBACK"] = False
    appointment_changes.reschedule_by_patient(appointment.id, FRIDAY_12)
    deliver(app, times=1)
    assert "sms" not in turbosms.requests[-1] and "viber" in turbosms.requests[-1]


# --- Fallback and retries --------------------------------------------------------------------------

@pytest.mark.parametrize("code, status", [(406, "NOT_ALLOWED_RECIPIENT_COUNTRY"),
                                          (305, "INVALID_PHONE"),
                                          (404, "NOT_ALLOWED_NUMBER_STOPLIST")])
def test_a_number_turbosms_refuses_falls_back_to_email_at_once(
        app, gateways, smtp_server, consultation, code, status):
    turbosms, _telegram = gateways
    appointment = book(consultation)
    prefer(appointment.patient, "sms")
    turbosms.refuse[PHONE_DIGITS] = (code, status)
    remind(app)
    first = sender.send_due()
    assert (first.failed, first.retried) == (1, 0)  # no retry: it would never work
    [sms] = [r for r in outbox_rows("reminder") if r.channel == "sms"]
    assert sms.status == "failed" and f"TurboSMS {code} {status}" in sms.last_error
    [email] = [r for r in outbox_rows("reminder") if r.channel == "email"]
    assert email.status == "pending"  # released from "held"
    second = sender.send_due()
    assert second.sent == 1
    [mail] = [r for r in smtp_server.received if "olena1@example.com" in r.rcpt_tos
              and "Нагадування" in r.email["Subject"]]
    assert "Expio" in mail.email["Subject"]
    assert sender.send_due().sent == 0


def test_turbosms_being_down_is_retried_with_backoff_and_sent_once(app, gateways, consultation):
    turbosms, _telegram = gateways
    appointment = book(consultation)
    prefer(appointment.patient, "sms")
    now = THURSDAY_10 - timedelta(hours=23)
    remind(app, now)
    turbosms.down = 503
    assert sender.send_due().retried == 1
    [sms] = [r for r in outbox_rows("reminder") if r.channel == "sms"]
    assert sms.status == "pending" and "HTTP 503" in sms.last_error
    assert sms.next_attempt_at == now + timedelta(minutes=1)
    turbosms.down = None
    assert sender.send_due().sent == 0  # not due yet
    app.config["FROZEN_NOW"] = now + timedelta(minutes=1)
    assert sender.send_due().sent == 1
    assert len(turbosms.requests) == 1
    [email] = [r for r in outbox_rows("reminder") if r.channel == "email"]
    assert email.status == "dropped"


def test_a_wrong_turbosms_token_is_retried_and_then_falls_back(
        app, gateways, smtp_server, consultation):
    _turbosms, _telegram = gateways
    app.config.update(TURBOSMS_TOKEN="wrong", MAIL_MAX_ATTEMPTS=2)
    appointment = book(consultation)
    prefer(appointment.patient, "sms")
    now = THURSDAY_10 - timedelta(hours=23)
    remind(app, now)
    assert sender.send_due().retried == 1  # staff can fix a token: try again
    app.config["FROZEN_NOW"] = now + timedelta(minutes=1)
    assert sender.send_due().failed == 1
    [sms] = [r for r in outbox_rows("reminder") if r.channel == "sms"]
    assert "TurboSMS 105 REQUIRED_AUTH" in sms.last_error
    assert sender.send_due().sent == 1  # the email
    assert [r for r in outbox_rows("reminder") if r.channel == "email"][0].status == "sent"


def test_a_gateway_no_longer_set_up_falls_back_to_email(app, gateways, consultation):
    appointment = book(consultation)
    prefer(appointment.patient, "viber")
    remind(app)
    app.config["TURBOSMS_TOKEN"] = None  # the clinic stopped its TurboSMS account
    sender.send_due()
    sender.send_due()
    statuses = {row.channel: row.status for row in outbox_rows("reminder")}
    assert statuses == {"viber": "failed", "email": "sent"}


def test_two_senders_at_once_send_each_sms_exactly_once(
        app, gateways, consultation, make_test_app, turbosms):
    from tests.conftest import run_at_once

    for n in range(6):
        appointment = book(consultation, start=THURSDAY_10 + timedelta(hours=n), n=n)
        prefer(appointment.patient, "sms")
    at = THURSDAY_10 - timedelta(hours=18)  # every reminder is due
    remind(app, at)
    settings = {**turbosms.settings(), "FROZEN_NOW": at}
    instances = [make_test_app(**settings) for _ in range(2)]
    reports = run_at_once(instances, sender.send_due)
    assert sum(r.sent for r in reports) == 12  # six SMS, six confirmation emails (console)
    assert len(turbosms.requests) == 6


# --- What the texts say -------------------------------------------------------------------------

def short_texts(app, consultation, language, channel):
    """Every appointment kind's short text on `channel`, as queued (patient writes `language`)."""
    app.config["CANONICAL_URL"] = "https://booking.expio.com.ua"
    appointment_kinds(app, consultation, language, channel)
    return {row.kind: row.text_body for row in outbox_rows() if row.channel == channel}


@pytest.mark.parametrize("language", ["uk", "en"])
def test_sms_texts_are_at_most_two_parts_neutral_and_say_how_to_stop(
        app, gateways, consultation, language):
    texts = short_texts(app, consultation, language, "sms")
    assert set(texts) == {"intake_nudge", "reminder", "reschedule", "cancellation"}
    for kind, text in texts.items():
        assert channels.sms_segments(text) <= 2, (kind, len(text), text)
        assert "Psychotherapy" not in text and "migraine" not in text.lower()
        assert "Expio" in text
        link = re.search(r"https://booking\.expio\.com\.ua/(manage|stop)/[\w-]{22}", text)
        assert link, text  # the manage link (it also stops) or a stop link
    if language == "en":
        assert "Change or stop: " in texts["reminder"]
        assert "\nStop: " in texts["cancellation"]


def test_a_telegram_reminder_has_its_buttons_and_says_send_stop(
        app, gateways, consultation):
    _turbosms, telegram = gateways
    texts = short_texts(app, consultation, "en", "telegram")
    assert "send /stop" in texts["reminder"]
    deliver(app, times=1)
    [reminder] = [body for body in telegram.sent if "reminder" in body["text"]]
    keyboard = reminder["reply_markup"]["inline_keyboard"]
    labels = [button["text"] for row in keyboard for button in row]
    assert labels == ["I will come", "Cancel", "Change time"]
    assert all(re.fullmatch(r"(come|cancel|move):\d+", button["callback_data"])
               for row in keyboard for button in row)


def test_the_link_in_a_short_message_opens_the_manage_page_and_expires(
        app, gateways, consultation, client):
    texts = short_texts(app, consultation, "en", "sms")
    link = re.search(r"https://booking\.expio\.com\.ua(/manage/[\w-]+)", texts["reminder"])[1]
    page = client.get(link)
    assert page.status_code == 200 and "Your appointment" in page.get_data(as_text=True)
    app.config["FROZEN_NOW"] = THURSDAY_10 + timedelta(days=31)
    assert client.get(link).status_code == 404


def test_the_outbox_page_counts_failures_per_channel(app, gateways, consultation, staff_client):
    turbosms, _telegram = gateways
    appointment = book(consultation)
    prefer(appointment.patient, "sms")
    turbosms.refuse[PHONE_DIGITS] = (406, "NOT_ALLOWED_RECIPIENT_COUNTRY")
    remind(app)
    sender.send_due()
    page = staff_client("receptionist").get("/staff/admin/outbox").get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "1 message failed." in words and "SMS: 1" in words
    assert "TurboSMS 406 NOT_ALLOWED_RECIPIENT_COUNTRY" in words
    assert "SMS: +380501234567" in words  # the number, to check with the patient
    assert "Expio reminder" not in words  # never a text


@pytest.mark.parametrize("channel", ["sms", "viber", "telegram"])
def test_course_decisions_changes_and_follow_ups_go_by_the_chosen_channel_once(
        app, gateways, course_service, create_staff, channel):
    from booking.courses import services as courses

    from .test_email import book_course

    turbosms, telegram = gateways
    course, _token = book_course(course_service, sessions=3, channel=channel,
                                 channel_consent=True)
    if channel == "telegram":
        prefer(course.patient, "telegram")  # the chat the patient linked
    courses.decide(course.id, confirm=True,
                   actor=create_staff("doc@example.com", roles=("clinician",)),
                   note="Reviewed on the phone.")
    courses.cancel_rest(course.id, by_staff=True, cancelled_by="clinic")
    messages.queue_plain("follow_up", "course@example.com", "", "en",
                         "How are you since your treatment course at Expio?",
                         "Please answer here: https://expio.example/follow-up/abc")
    db.session.commit()
    short = sorted(row.kind for row in outbox_rows() if row.channel == channel)
    assert short == ["course_change", "course_confirmed", "follow_up"]
    deliver(app)
    texts = received(channel, turbosms, telegram)
    assert len(texts) == 3
    assert any("visits are confirmed" in text for text in texts)
    assert any("times of your visits have changed" in text for text in texts)
    assert all("Ketamine" not in text and "infusion" not in text.lower() for text in texts)
