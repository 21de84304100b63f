"""The urgent-intake alert also reaches the on-call clinician's phone (SMS through TurboSMS, or
their linked Telegram chat), once, with no patient detail; through local fakes of both
providers over real HTTP."""
import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import StaffUser
from booking.notifications import sender
from tests.notifications.conftest import WEBHOOK_SECRET
from tests.notifications.fakes import FakeBotAPI, FakeTurboSMS

from .test_attention_queue import alerts, book, save_urgent_questionnaire


@pytest.fixture
def providers(app):
    turbosms, telegram = FakeTurboSMS().start(), FakeBotAPI().start()
    app.config.update(turbosms.settings(), **telegram.settings(),
                      TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    try:
        yield turbosms, telegram
    finally:
        turbosms.stop()
        telegram.stop()


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="Consultation")
    return {"service": service, "practitioner": create_practitioner([service],
                                                                    full_name="Dr Alpha")}


def user(email):
    db.session.rollback()
    return db.session.execute(select(StaffUser).where(StaffUser.email == email)).scalar_one()


def test_the_on_call_clinicians_phone_gets_the_alert_once(app, providers, clinic, staff_client,
                                                        create_staff):
    turbosms, _telegram = providers
    clinician = staff_client("clinician", email="oncall@example.com")
    create_staff("offduty@example.com", roles=["clinician"])
    response = clinician.post("/staff/alerts", data={
        "on_call": "y", "alert_channel": "sms", "alert_phone": "+380 67 123 45 67",
        "action": "save"})
    assert response.status_code == 303
    off = user("offduty@example.com")
    off.alert_channel, off.alert_phone = "sms", "+380671112233"  # set up, but not on call
    db.session.commit()

    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    save_urgent_questionnaire(appointment)  # saved again: still one alert
    phone_alerts = [row for row in alerts() if row.channel == "sms"]
    assert [row.to_address for row in phone_alerts] == ["+380671234567"]
    sender.send_due()
    sender.send_due()
    [body] = turbosms.requests
    assert body["recipients"] == ["380671234567"]
    text = body["sms"]["text"]
    assert "urgent intake" in text and "/staff/attention" in text
    assert "Urgent Patient" not in text and appointment.reference not in text


def test_a_linked_telegram_chat_gets_the_alert(app, providers, clinic, staff_client):
    _turbosms, telegram = providers
    clinician = staff_client("clinician", email="oncall@example.com")
    link = clinician.post("/staff/alerts", data={"action": "telegram"})
    assert link.status_code == 303
    code = link.headers["Location"].split("start=")[1]
    client = app.test_client()
    client.post("/telegram/webhook", json=FakeBotAPI.message_update(4242, f"/start {code}"),
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    assert "urgent alerts" in telegram.texts_to(4242)[0]
    linked = user("oncall@example.com")
    assert (linked.telegram_chat_id, linked.alert_channel) == ("4242", "telegram")
    clinician.post("/staff/alerts", data={"on_call": "y", "alert_channel": "telegram",
                                          "action": "save"})
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    sender.send_due()
    assert "urgent intake needs attention" in telegram.texts_to(4242)[-1]


def test_sms_alerts_need_a_valid_phone(providers, staff_client):
    clinician = staff_client("clinician", email="oncall@example.com")
    for phone, message in (("", "SMS alerts need your phone number."),
                           ("12", "Please enter a valid phone number")):
        response = clinician.post("/staff/alerts", data={
            "on_call": "y", "alert_channel": "sms", "alert_phone": phone, "action": "save"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert user("oncall@example.com").on_call is False


def test_without_gateways_the_alert_stays_email_only(app, clinic, staff_client):
    clinician = staff_client("clinician", email="oncall@example.com")
    page = clinician.get("/staff/alerts").get_data(as_text=True)
    assert "Until then alerts come by email only." in page
    assert 'name="alert_channel"' not in page
    oncall = user("oncall@example.com")
    oncall.on_call, oncall.alert_channel, oncall.alert_phone = True, "sms", "+380671234567"
    db.session.commit()
    appointment = book(clinic)
    save_urgent_questionnaire(appointment)
    assert {row.channel for row in alerts()} == {"email"}
