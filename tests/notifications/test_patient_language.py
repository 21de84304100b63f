"""The patient's language is remembered on their record and every email to them is written in
it, whichever door they booked through: the web pages, the JSON API, or reception by phone.

The emails go through a real SMTP server (aiosmtpd, tests/notifications/conftest.py) and are
read back as the patient gets them. The app runs as production does (Ukrainian by default), with
the Ukrainian catalogue compiled from the committed .po (tests/test_i18n.py).
"""

import pytest
from sqlalchemy import func, select

from booking.auth import services as staff_accounts
from booking.extensions import db
from booking.models import Appointment, Patient
from booking.notifications import sender
from tests.conftest import NOW, PATIENT, add_consultation, make_app, running, sign_in
from tests.test_i18n import compiled_translations  # noqa: F401  (a fixture)

TUESDAY_10 = "2026-12-08T10:00:00+02:00"
WEDNESDAY_10 = "2026-12-09T10:00:00+02:00"
THURSDAY_10 = "2026-12-10T10:00:00+02:00"
ENGLISH = "Your appointment at Expio is booked."
UKRAINIAN = "Вас записано на прийом у клініці Expio."


@pytest.fixture
def clinic_app(database_uri, compiled_translations, smtp_server):  # noqa: F811
    """Production's language settings (Ukrainian by default), delivering to the test server."""
    with running(make_app(database_uri, FROZEN_NOW=NOW, BABEL_DEFAULT_LOCALE="uk",
                          BABEL_TRANSLATION_DIRECTORIES=compiled_translations,
                          **smtp_server.settings())) as app:
        yield app


@pytest.fixture
def consultation(clinic_app):
    return add_consultation()


@pytest.fixture
def client(clinic_app):
    return clinic_app.test_client()


def book_online(client, service, start, **query):
    response = client.post(f"/book/{service.id}/details", query_string={
        "start": start, "practitioner": "any", **query},
        data={**PATIENT, "start": start, "consent": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def delivered(smtp_server):
    """The emails sent since the last call, as the patient gets them."""
    sender.send_due(limit=50)
    new = smtp_server.received[:]
    smtp_server.received.clear()
    return new


def the_patient():
    db.session.rollback()  # see what the requests committed
    return db.session.execute(select(Patient)).scalar_one()


# --- Online ----------------------------------------------------------------------------------

def test_a_patient_booking_in_english_gets_english_emails(client, consultation, smtp_server):
    book_online(client, consultation, TUESDAY_10, lang="en")
    assert the_patient().language == "en"
    [email] = delivered(smtp_server)
    assert email.email["Subject"] == "Your appointment at Expio: Tuesday, 8 December 2026, 10:00"
    assert ENGLISH in email.text and "Hello Test Patient," in email.text
    assert UKRAINIAN not in email.everything


def test_a_returning_patient_booking_in_ukrainian_has_their_language_updated(
        client, consultation, smtp_server):
    book_online(client, consultation, TUESDAY_10, lang="en")
    assert ENGLISH in delivered(smtp_server)[0].text

    # The same person (same email and date of birth) books again from a Ukrainian page.
    book_online(client, consultation, WEDNESDAY_10, lang="uk")
    patient = the_patient()  # one record, not two
    assert patient.language == "uk"
    assert db.session.execute(select(func.count()).select_from(Appointment).where(
        Appointment.patient_id == patient.id)).scalar_one() == 2
    [email] = delivered(smtp_server)
    assert email.email["Subject"] == "Ваш прийом у клініці Expio: середа, 9 грудня 2026, 10:00"
    assert UKRAINIAN in email.text and ENGLISH not in email.text


# --- The JSON API ----------------------------------------------------------------------------

def book_through_the_api(client, service, start, headers=None, **fields):
    response = client.post("/api/v1/bookings", headers=headers or {}, json={
        "service_id": service.id, "start": start, "patient": dict(PATIENT), "consent": True,
        **fields})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("fields, accept_language, language", [
    ({"language": "en"}, "uk", "en"),          # the body's field wins
    ({"language": "uk"}, "en-GB,en", "uk"),
    ({}, "en-GB,en;q=0.9", "en"),              # no field: the request's language
    ({}, "ru-RU,ru;q=0.9,en;q=0.8", "uk"),     # Russian is read as Ukrainian
    ({"language": "de"}, "en", "en"),          # a language we do not write in: as if left out
    ({}, None, "uk"),                          # nothing at all: Ukrainian
])
def test_an_api_booking_takes_the_language_field_else_accept_language_else_ukrainian(
        client, consultation, smtp_server, fields, accept_language, language):
    headers = {"Accept-Language": accept_language} if accept_language else None
    book_through_the_api(client, consultation, TUESDAY_10, headers=headers, **fields)
    assert the_patient().language == language
    [email] = delivered(smtp_server)
    assert (UKRAINIAN if language == "uk" else ENGLISH) in email.text


# --- Reception, booking a caller by phone ----------------------------------------------------

@pytest.fixture
def desk(clinic_app):
    staff_accounts.create_staff("desk@example.com", "quiet harbour lantern", ("receptionist",))
    client = clinic_app.test_client()
    assert sign_in(client, "desk@example.com").status_code == 303
    return client


def caller(start, **changes):
    return {"action": "book", "start": start, "patient": "new", "full_name": "Oksana Caller",
            "phone": "067 111 22 33", "email": "oksana@example.com",
            "date_of_birth": "1985-02-03", "consent": "y", **changes}


def test_the_staff_booking_form_asks_for_the_callers_language_ukrainian_first(
        desk, consultation):
    page = desk.get(f"/staff/book?service={consultation.id}&practitioner=any&day=2026-12-08"
                    f"&start={TUESDAY_10.replace('+', '%2B')}&lang=en").get_data(as_text=True)
    assert '<label class="label" for="language">Language of their emails</label>' in page
    assert '<option selected value="uk">Ukrainian</option>' in page
    assert '<option value="en">English</option>' in page


@pytest.mark.parametrize("chosen, language, text", [
    ("en", "en", ENGLISH), ("uk", "uk", UKRAINIAN), (None, "uk", UKRAINIAN)])
def test_reception_books_a_caller_in_the_language_they_chose(
        desk, consultation, smtp_server, chosen, language, text):
    data = caller(TUESDAY_10) if chosen is None else caller(TUESDAY_10, language=chosen)
    response = desk.post(f"/staff/book?service={consultation.id}&practitioner=any"
                         "&day=2026-12-08&lang=en", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert the_patient().language == language
    [email] = delivered(smtp_server)
    assert text in email.text


def test_a_language_we_do_not_write_in_is_refused_next_to_the_field(desk, consultation):
    response = desk.post(f"/staff/book?service={consultation.id}&practitioner=any"
                         "&day=2026-12-08&lang=en", data=caller(TUESDAY_10, language="de"))
    assert response.status_code == 422
    assert "Please choose Ukrainian or English." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.execute(select(Patient)).scalar_one_or_none() is None
