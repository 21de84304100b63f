"""With CSRF protection on (as in production): every form of the messages pages carries its
token and is refused without it; Telegram's webhook needs none (it has its secret header)."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Patient
from booking.scheduler import services as booking

from .conftest import WEBHOOK_SECRET
from .fakes import FakeBotAPI

THURSDAY_10 = datetime(2026, 12, 10, 10, 0, tzinfo=ZoneInfo("Europe/Kyiv"))


def token_of(response, name="csrf_token"):
    return re.search(rf'name="{name}"[^>]*value="([^"]+)"', response.get_data(as_text=True))[1]


@pytest.fixture
def protected(app, make_test_app, turbosms, telegram, consultation):
    _appointment, token = booking.book(
        service_id=consultation.id, start=THURSDAY_10, consent=True, language="en",
        patient={"full_name": "Olena Patient", "email": "olena@example.com",
                 "phone": "+380501234567", "date_of_birth": "1985-03-04"})
    settings = {**turbosms.settings(), **telegram.settings(),
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "WTF_CSRF_ENABLED": True}
    return make_test_app(**settings).test_client(), token


def preferred():
    db.session.rollback()
    return db.session.execute(db.select(Patient.preferred_channel)).scalar_one()


def test_the_manage_pages_message_forms_need_their_token(protected):
    client, token = protected
    page = client.get(f"/manage/{token}")
    url = f"/manage/{token}/messages"
    choice = {"messages-channel": "sms", "messages-channel_consent": "y"}
    assert client.post(url, data=choice).status_code == 400  # refused: no token
    assert preferred() == "email"
    response = client.post(url, data={**choice, "messages-csrf_token": token_of(
        page, "messages-csrf_token")})
    assert response.status_code == 303 and preferred() == "sms"
    assert client.post(f"/manage/{token}/telegram").status_code == 400
    start = client.post(f"/manage/{token}/telegram", data={"csrf_token": token_of(page)})
    assert start.status_code == 303 and start.headers["Location"].startswith("https://t.me/")


def test_the_webhook_needs_no_csrf_token_but_its_secret(protected):
    client, _token = protected
    update = FakeBotAPI.message_update(1234, "/stop")
    assert client.post("/telegram/webhook", json=update).status_code == 403
    assert client.post("/telegram/webhook", json=update, headers={
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}).status_code == 200


def test_the_stop_page_and_the_desk_and_alert_forms_need_their_token(
        protected, app, make_test_app, create_staff, turbosms, telegram):
    from booking.notifications import links
    from tests.conftest import STAFF_PASSWORD

    client, _token = protected
    patient_id = db.session.execute(db.select(Patient.id)).scalar_one()
    with app.test_request_context():
        stop = re.search(r"(/stop/[\w-]+)", links.stop_url(patient_id, "sms"))[1]
    db.session.commit()
    assert client.post(stop).status_code == 400
    assert client.post(stop, data={"csrf_token": token_of(client.get(stop))}).status_code == 200

    create_staff("both@example.com", roles=("receptionist", "clinician"))
    staff = make_test_app(**turbosms.settings(), **telegram.settings(),
                          TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
                          WTF_CSRF_ENABLED=True).test_client()
    staff.post("/staff/sign-in", data={"email": "both@example.com", "password": STAFF_PASSWORD,
                                       "csrf_token": token_of(staff.get("/staff/sign-in"))})
    desk_page = staff.get(f"/staff/patients/{patient_id}")
    choice = {"messages-channel": "viber", "messages-channel_consent": "y"}
    url = f"/staff/patients/{patient_id}/channel"
    assert staff.post(url, data=choice).status_code == 400
    assert staff.post(url, data={**choice, "messages-csrf_token": token_of(
        desk_page, "messages-csrf_token")}).status_code == 303
    assert preferred() == "viber"
    alerts = staff.get("/staff/alerts")
    assert staff.post("/staff/alerts", data={"action": "telegram"}).status_code == 400
    assert staff.post("/staff/alerts", data={"action": "telegram", "csrf_token": token_of(
        alerts)}).status_code == 303
