"""Bodies no service can store or walk get 400 in the JSON error shape, from every POST of the
API, and nothing is written: lone surrogates, NUL characters, text that is not UTF-8, and
thousands of nested arrays or objects (all well under the 1 MiB limit)."""
import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Patient, WaitlistEntry
from booking.scheduler.openapi import EXAMPLE_PATIENT, EXAMPLE_START


def api_posts(app):
    """Every path of the API that takes a POST (so a new one is covered the day it is added),
    with 1 for a number in it (a course's session day)."""
    return sorted(rule.rule.replace("<int:day>", "1") for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("api.") and "POST" in rule.methods)


def booking_text(full_name):
    """A booking body, as JSON text, with `full_name` written in as it stands (escapes kept)."""
    return ('{"service_id": 1, "start": "%s", "consent": true, "patient": {"full_name": "%s", '
            '"email": "%s", "phone": "%s", "date_of_birth": "%s"}}' % (
                EXAMPLE_START, full_name, EXAMPLE_PATIENT["email"], EXAMPLE_PATIENT["phone"],
                EXAMPLE_PATIENT["date_of_birth"]))


MALFORMED = {
    "lone surrogate": booking_text("A\\ud800B").encode(),
    "lone low surrogate": booking_text("A\\udc00B").encode(),
    "surrogate in a key": b'{"patient\\ud800": {}, "service_id": 1}',
    "surrogate as UTF-8 bytes": booking_text("A\xed\xa0\x80B").encode("latin-1"),
    "NUL character": booking_text("A\\u0000B").encode(),
    "not UTF-8": booking_text("Ol\xe9na").encode("latin-1"),
    "50,000 nested arrays": b"[" * 50_000,
    "50,000 nested arrays, closed": b"[" * 50_000 + b"]" * 50_000,
    "20,000 nested objects": b'{"a": ' * 20_000 + b"1" + b"}" * 20_000,
    "nested objects inside a booking": booking_text("Eve").encode()[:-1]
        + b', "extra": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_001,
    "40 nested arrays": b'{"service_id": ' + b"[" * 40 + b"]" * 40 + b"}",
    "a number of 5,000 digits": b'{"service_id": ' + b"9" * 5_000 + b"}",
}


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service()
    create_practitioner([service], full_name="Dr Neuro")
    return service


def test_the_api_takes_posts_on_some_paths(app):
    assert "/api/v1/bookings" in api_posts(app)


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_body_no_service_could_store_gets_400_in_the_json_error_shape(app, client, clinic, name):
    body = MALFORMED[name]
    assert len(body) < app.config["MAX_CONTENT_LENGTH"]
    for path in api_posts(app):
        response = client.post(path, data=body, content_type="application/json",
                               headers={"Idempotency-Key": f"malformed-{name}-{path}"})
        assert response.status_code == 400, (path, response.get_data(as_text=True)[:300])
        answer = response.get_json()
        assert answer["error"] == "bad_request"
        assert answer["message"]
        assert set(answer) <= {"error", "message", "fields"}
    assert (count(Appointment), count(Patient), count(WaitlistEntry)) == (0, 0, 0)


def test_a_well_formed_booking_with_unicode_names_is_still_booked(client, clinic):
    response = client.post("/api/v1/bookings", data=booking_text("Олена Коваленко").encode(),
                           content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert db.session.execute(select(Patient.full_name)).scalar_one() == "Олена Коваленко"
