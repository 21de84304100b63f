"""Choosing the channel: at booking, on the manage page, at the desk for a caller; only with the
opt-in, recorded with its time; the stop link; and what the data rights cover."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking import patient_export, privacy
from booking.extensions import db
from booking.models import AuditEvent, Consent, MessageLink, Patient, TelegramLink
from booking.notifications import messages, sender
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from booking.security import redact_tokens
from tests.conftest import NOW

from .conftest import outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
THURSDAY_10 = datetime(2026, 12, 10, 10, 0, tzinfo=KYIV)
DETAILS = {"full_name": "Olena Patient", "phone": "+380 50 123 45 67",
           "email": "olena@example.com", "date_of_birth": "1985-03-04", "consent": "y"}


def text(response):
    return response.get_data(as_text=True)


def details_url(service):
    return f"/book/{service.id}/details?start={THURSDAY_10.isoformat()}"


def only_patient():
    db.session.rollback()
    return db.session.execute(select(Patient)).scalar_one()


def consents():
    return db.session.execute(select(Consent.kind).order_by(Consent.id)).scalars().all()


@pytest.fixture
def offered(app, turbosms, telegram):
    """A clinic with TurboSMS and a bot: every channel is offered."""
    return turbosms, telegram


# --- At booking ------------------------------------------------------------------------------------

def test_with_only_email_set_up_the_booking_form_offers_no_choice(client, consultation):
    page = text(client.get(details_url(consultation)))
    assert "Send reminders and changes by" not in page


def test_a_patient_chooses_sms_with_the_opt_in_when_booking(client, offered, consultation):
    page = text(client.get(details_url(consultation)))
    for label in ("Send reminders and changes by", "Email", "SMS", "Viber", "Telegram",
                  "I agree to get messages about my appointments by SMS, Viber or Telegram"):
        assert label in page
    assert re.search(r'<label for="channel_consent">', page)  # every input has a label
    response = client.post(details_url(consultation),
                           data={**DETAILS, "channel": "sms", "channel_consent": "y"})
    assert response.status_code == 303
    patient = only_patient()
    assert (patient.preferred_channel, patient.channel_consent_at) == ("sms", NOW)
    assert sorted(consents()) == ["data_processing", "messages"]


def test_sms_without_the_opt_in_is_refused_next_to_the_box_keeping_the_input(
        client, offered, consultation):
    response = client.post(details_url(consultation), data={**DETAILS, "channel": "viber"})
    assert response.status_code == 422
    page = text(response)
    assert "Please agree to these messages, or choose email." in page
    assert re.search(r'<input checked[^>]*value="viber"', page)
    assert db.session.execute(select(Patient)).first() is None  # nothing half-saved


def test_a_channel_the_clinic_does_not_offer_is_refused(client, turbosms, consultation):
    response = client.post(details_url(consultation),
                           data={**DETAILS, "channel": "telegram", "channel_consent": "y"})
    assert response.status_code == 422
    assert db.session.execute(select(Patient)).first() is None


# --- On the manage page --------------------------------------------------------------------------

@pytest.fixture
def booked(app, consultation):
    appointment, token = booking.book(service_id=consultation.id, start=THURSDAY_10,
                                      patient=dict(DETAILS), consent=True, language="en")
    return appointment, token


def test_the_manage_page_changes_the_channel_and_back_to_email(client, offered, booked):
    appointment, token = booked
    page = text(client.get(f"/manage/{token}"))
    assert "Reminders and changes come by:" in page and "<strong>Email</strong>" in page
    assert "olena@example.com" not in page  # a private link's page names no address
    response = client.post(f"/manage/{token}/messages",
                           data={"messages-channel": "viber", "messages-channel_consent": "y"})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Viber to your number ending in 67" in page
    assert "+380 50 123 45 67" not in page
    client.post(f"/manage/{token}/messages", data={"messages-channel": "email"})
    patient = only_patient()
    assert (patient.preferred_channel, patient.channel_consent_at) == ("email", None)
    changes = db.session.execute(select(AuditEvent.details).where(
        AuditEvent.action == "patient.channel").order_by(AuditEvent.id)).scalars().all()
    assert [(c["before"], c["after"], c["by"]) for c in changes] == [
        ("email", "viber", "patient"), ("viber", "email", "patient")]


def test_the_manage_page_refuses_sms_without_the_opt_in_next_to_the_box(
        client, offered, booked):
    _appointment, token = booked
    response = client.post(f"/manage/{token}/messages", data={"messages-channel": "sms"})
    assert response.status_code == 422
    page = text(response)
    assert "Please agree to these messages, or choose email." in page
    assert "Your appointment" in page  # the manage page itself, with the message in place
    assert only_patient().preferred_channel == "email"


def test_a_wrong_token_cannot_choose_anything(client, offered, booked):
    assert client.post("/manage/not-a-token/messages",
                       data={"messages-channel": "email"}).status_code == 404


# --- At the desk ---------------------------------------------------------------------------------

def test_reception_sets_the_channel_for_a_caller(offered, booked, staff_client):
    appointment, _token = booked
    desk = staff_client("receptionist")
    page = text(desk.get(f"/staff/patients/{appointment.patient_id}"))
    assert "Ask the caller which way suits them" in page
    refused = desk.post(f"/staff/patients/{appointment.patient_id}/channel",
                        data={"messages-channel": "sms"})
    assert refused.status_code == 422
    assert "Please agree to these messages, or choose email." in text(refused)
    response = desk.post(f"/staff/patients/{appointment.patient_id}/channel",
                         data={"messages-channel": "sms", "messages-channel_consent": "y"})
    assert response.status_code == 303
    assert only_patient().preferred_channel == "sms"
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "patient.channel")).scalar_one()
    assert event.details["by"] == "staff" and event.actor == "receptionist@example.com"
    assert "SMS to +380 50 123 45 67" in text(desk.get(
        f"/staff/patients/{appointment.patient_id}"))


def test_clinicians_cannot_set_a_callers_channel(offered, booked, staff_client):
    appointment, _token = booked
    response = staff_client("clinician").post(
        f"/staff/patients/{appointment.patient_id}/channel",
        data={"messages-channel": "sms", "messages-channel_consent": "y"})
    assert response.status_code == 403


# --- Stopping --------------------------------------------------------------------------------------

def sms_reminder(app, booked):
    appointment, token = booked
    patient = db.session.get(Patient, appointment.patient_id)
    booking.record_channel(patient, "sms", NOW)
    db.session.commit()
    app.config.update(FROZEN_NOW=THURSDAY_10 - timedelta(hours=23), INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()
    appointment_changes.cancel_by_patient(appointment.id)
    [cancellation] = [row for row in outbox_rows("cancellation") if row.channel == "sms"]
    return re.search(r"(/stop/[\w-]+)", cancellation.text_body)[1]


def test_the_stop_link_asks_then_stops_sms(app, client, offered, booked):
    link = sms_reminder(app, booked)
    page = client.get(link)
    assert page.status_code == 200 and "Stop these messages" in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert redact_tokens(f"GET {link} HTTP/1.1") == "GET /stop/[token] HTTP/1.1"
    assert only_patient().preferred_channel == "sms"  # a link preview stops nothing
    done = client.post(link)
    assert done.status_code == 200
    assert "You will get no more messages by SMS" in text(done)
    patient = only_patient()
    assert (patient.preferred_channel, patient.channel_consent_at) == ("email", None)
    assert client.get("/stop/not-a-real-token").status_code == 404


def test_a_stop_link_expires(app, client, offered, booked):
    link = sms_reminder(app, booked)
    app.config["FROZEN_NOW"] = THURSDAY_10 + timedelta(days=366)
    assert client.get(link).status_code == 404


# --- Data rights ---------------------------------------------------------------------------------

def test_export_holds_the_channel_the_chat_and_the_short_messages(app, offered, booked):
    sms_reminder(app, booked)
    sender.send_due()
    data = patient_export.export_patient(booked[0].patient_id)
    assert data["patient"]["messages_by"] == "sms"
    assert data["patient"]["messages_opt_in_at"] == NOW.isoformat().replace("+00:00", "Z") \
        or data["patient"]["messages_opt_in_at"].startswith("2026-12-07")
    assert {m["kind"] for m in data["messages"]} == {"reminder", "cancellation"}
    assert all(m["channel"] == "sms" for m in data["messages"])
    assert "messages" in [c["kind"] for c in data["consents"]]


def test_erasure_removes_the_chat_the_links_and_the_short_messages_text(
        app, client, offered, booked):
    appointment, token = booked
    client.post(f"/manage/{token}/telegram")
    patient = db.session.get(Patient, appointment.patient_id)
    patient.telegram_chat_id = "777"
    db.session.commit()
    sms_reminder(app, booked)
    sender.send_due()
    privacy.erase_patient(appointment.patient_id, "ERASE")
    patient = only_patient()
    assert (patient.telegram_chat_id, patient.preferred_channel) == (None, "email")
    assert db.session.execute(select(TelegramLink)).first() is None
    assert db.session.execute(select(MessageLink)).first() is None
    for row in outbox_rows():
        assert "Expio reminder" not in row.text_body and "+380" not in row.to_address
