"""The JSON API as another program sees it: shapes, errors and the booking rules."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Consent, Patient

# Frozen now: Monday 2026-12-07 09:00 Kyiv. Tuesday 8 December, 10:00 Kyiv (UTC+2) is 08:00 UTC.
TUESDAY = "2026-12-08"


@pytest.fixture
def clinic(create_service, create_practitioner):
    consultation = create_service(name="First consultation", duration_minutes=60)
    therapy = create_service(name="Psychotherapy", duration_minutes=90)
    neurologist = create_practitioner([consultation, therapy], full_name="Dr Neuro")
    therapist = create_practitioner([therapy], full_name="Dr Psych")
    return {"consultation": consultation, "therapy": therapy,
            "neurologist": neurologist, "therapist": therapist}


def booking_body(service, start, patient_details, **extra):
    return {"service_id": service.id, "start": start, "patient": patient_details,
            "consent": True, **extra}


def count_appointments():
    return db.session.execute(select(func.count()).select_from(Appointment)).scalar_one()


def test_services_lists_bookable_services_with_durations(client, clinic, create_service):
    create_service(name="Hidden", online_bookable=False)
    body = client.get("/api/v1/services").get_json()
    names = [s["name"] for s in body["services"]]
    assert names == ["First consultation", "Psychotherapy"]
    assert body["services"][0]["duration_minutes"] == 60
    assert body["services"][0]["practitioner_ids"] == [clinic["neurologist"].id]


def test_practitioners_of_a_service(client, clinic):
    body = client.get(f"/api/v1/practitioners?service={clinic['therapy'].id}").get_json()
    assert [p["name"] for p in body["practitioners"]] == ["Dr Neuro", "Dr Psych"]
    body = client.get(f"/api/v1/practitioners?service={clinic['consultation'].id}").get_json()
    assert [p["name"] for p in body["practitioners"]] == ["Dr Neuro"]


def test_slots_have_offsets_and_start_at_ten_kyiv_time(client, clinic):
    response = client.get(
        f"/api/v1/slots?service={clinic['consultation'].id}&from={TUESDAY}&to={TUESDAY}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Europe/Kyiv"
    assert body["slots"][0] == {"start": "2026-12-08T10:00:00+02:00",
                                "end": "2026-12-08T11:00:00+02:00",
                                "practitioner_id": clinic["neurologist"].id}
    assert body["slots"][-1]["end"] == "2026-12-08T19:00:00+02:00"
    starts = [s["start"] for s in body["slots"]]
    assert starts == sorted(starts)


def test_slots_of_any_practitioner_list_each_free_practitioner(client, clinic):
    body = client.get(
        f"/api/v1/slots?service={clinic['therapy'].id}&from={TUESDAY}&to={TUESDAY}").get_json()
    at_ten = [s for s in body["slots"] if s["start"] == "2026-12-08T10:00:00+02:00"]
    assert {s["practitioner_id"] for s in at_ten} == {clinic["neurologist"].id, clinic["therapist"].id}
    only = client.get(f"/api/v1/slots?service={clinic['therapy'].id}&from={TUESDAY}&to={TUESDAY}"
                      f"&practitioner={clinic['therapist'].id}").get_json()
    assert {s["practitioner_id"] for s in only["slots"]} == {clinic["therapist"].id}


def test_slots_at_a_weekend_are_empty(client, clinic):
    body = client.get(f"/api/v1/slots?service={clinic['consultation'].id}"
                      f"&from=2026-12-12&to=2026-12-13").get_json()
    assert body["slots"] == []


@pytest.mark.parametrize("query, status, parameter", [
    ("from=2026-12-08&to=2026-12-08", 400, "service"),
    ("service=abc&from=2026-12-08&to=2026-12-08", 400, "service"),
    ("service={s}&to=2026-12-08", 400, "from"),
    ("service={s}&from=08.12.2026&to=2026-12-08", 400, "from"),
    ("service={s}&from=2026-12-08&to=2026-13-01", 400, "to"),
    ("service={s}&from=2026-12-09&to=2026-12-08", 422, "to"),
    ("service={s}&from=2026-12-01&to=2027-02-01", 422, "to"),
    ("service=999&from=2026-12-08&to=2026-12-08", 404, "service"),
    ("service={s}&from=2026-12-08&to=2026-12-08&practitioner=999", 404, "practitioner"),
    ("service={s}&from=2026-12-08&to=2026-12-08&practitioner=x", 400, "practitioner"),
])
def test_bad_slot_parameters_get_a_json_error_naming_the_parameter(client, clinic, query, status,
                                                                   parameter):
    response = client.get("/api/v1/slots?" + query.format(s=clinic["consultation"].id))
    assert response.status_code == status
    body = response.get_json()
    assert parameter in body["fields"]
    assert body["message"]


def test_a_62_day_range_is_allowed(client, clinic):
    response = client.get(f"/api/v1/slots?service={clinic['consultation'].id}"
                          f"&from=2026-12-07&to=2027-02-06")
    assert response.status_code == 200


def test_booking_returns_reference_and_private_link(client, clinic, patient_details):
    response = client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    assert response.status_code == 201
    body = response.get_json()
    assert body["reference"].startswith("EX-")
    assert body["start"] == "2026-12-08T10:00:00+02:00"
    assert body["end"] == "2026-12-08T11:00:00+02:00"
    assert body["practitioner_id"] == clinic["neurologist"].id
    assert "/manage/" in body["manage_url"]
    token = body["manage_url"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, URL-safe base64
    appointment = db.session.execute(select(Appointment)).scalar_one()
    assert appointment.starts_at == datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)
    assert token not in appointment.manage_token_hash  # only its hash is stored
    assert appointment.source == "api"


def test_booking_stores_normalised_phone_and_consent_version(app, client, clinic, patient_details):
    patient_details["phone"] = "050 123 45 67"
    patient_details["email"] = "Patient@Example.COM"
    client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    patient = db.session.execute(select(Patient)).scalar_one()
    assert patient.phone == "+380501234567"
    assert patient.email == "patient@example.com"
    consent = db.session.execute(select(Consent)).scalar_one()
    assert consent.version == app.config["CONSENT_VERSION"]
    assert consent.given_at == app.config["FROZEN_NOW"]


def test_a_second_booking_of_the_same_slot_gets_409(client, clinic, patient_details):
    body = booking_body(clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details)
    assert client.post("/api/v1/bookings", json=body).status_code == 201
    second = client.post("/api/v1/bookings", json=body)
    assert second.status_code == 409
    assert second.get_json()["error"] == "slot_taken"
    assert count_appointments() == 1


def test_an_overlapping_booking_of_another_length_gets_409(client, clinic, patient_details):
    neurologist = clinic["neurologist"].id
    first = booking_body(clinic["therapy"], "2026-12-08T10:00:00+02:00", patient_details,
                         practitioner_id=neurologist)  # 10:00-11:30
    assert client.post("/api/v1/bookings", json=first).status_code == 201
    overlapping = booking_body(clinic["consultation"], "2026-12-08T11:00:00+02:00",
                               patient_details)  # 11:00-12:00 with the same neurologist
    response = client.post("/api/v1/bookings", json=overlapping)
    assert response.status_code == 409
    after = booking_body(clinic["consultation"], "2026-12-08T11:30:00+02:00", patient_details)
    assert client.post("/api/v1/bookings", json=after).status_code == 201


def test_any_practitioner_booking_takes_whoever_is_still_free(client, clinic, patient_details):
    body = booking_body(clinic["therapy"], "2026-12-08T10:00:00+02:00", patient_details)
    first = client.post("/api/v1/bookings", json=body).get_json()
    second = client.post("/api/v1/bookings", json=body).get_json()
    assert {first["practitioner_id"], second["practitioner_id"]} == {
        clinic["neurologist"].id, clinic["therapist"].id}
    assert client.post("/api/v1/bookings", json=body).status_code == 409


@pytest.mark.parametrize("start, code", [
    ("2026-12-08T09:30:00+02:00", "outside_hours"),
    ("2026-12-08T18:30:00+02:00", "outside_hours"),  # would end 19:30
    ("2026-12-12T10:00:00+02:00", "weekend"),
    ("2026-12-04T10:00:00+02:00", "in_past"),
    ("2026-12-07T10:00:00+02:00", "too_soon"),  # one hour from now; notice is two
    ("2026-12-08T10:15:00+02:00", "off_grid"),
    ("2027-02-08T10:00:00+02:00", "beyond_horizon"),  # 63 days ahead
])
def test_a_time_breaking_a_clinic_rule_gets_422(client, clinic, patient_details, start, code):
    response = client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], start, patient_details))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == code
    assert "start" in body["fields"]
    assert count_appointments() == 0


def test_the_offset_counts_a_utc_time_at_ten_kyiv_is_accepted(client, clinic, patient_details):
    response = client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T08:00:00Z", patient_details))
    assert response.status_code == 201
    assert response.get_json()["start"] == "2026-12-08T10:00:00+02:00"


def test_a_time_when_the_practitioner_does_not_work_gets_422(client, clinic, create_practitioner,
                                                             create_service, patient_details):
    short_day = create_service(name="Short")
    create_practitioner([short_day], full_name="Dr Mornings",
                        hours={1: [(datetime.min.time().replace(hour=10),
                                    datetime.min.time().replace(hour=12))]})
    response = client.post("/api/v1/bookings", json=booking_body(
        short_day, "2026-12-08T14:00:00+02:00", patient_details))
    assert response.status_code == 422
    assert response.get_json()["error"] == "unavailable"


@pytest.mark.parametrize("change, field", [
    ({"start": "2026-12-08T10:00:00"}, "start"),           # no offset
    ({"start": "tomorrow"}, "start"),
    ({"service_id": "1"}, "service_id"),
    ({"practitioner_id": "x"}, "practitioner_id"),
    ({"consent": False}, "consent"),
    ({"consent": None}, "consent"),
    ({"patient": {"full_name": "A"}}, "patient.email"),
])
def test_invalid_booking_fields_get_422_naming_the_field(client, clinic, patient_details, change,
                                                         field):
    body = booking_body(clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details)
    body.update(change)
    response = client.post("/api/v1/bookings", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count_appointments() == 0


@pytest.mark.parametrize("patient_change, field", [
    ({"email": "not-an-email"}, "patient.email"),
    ({"phone": "12"}, "patient.phone"),
    ({"full_name": "   "}, "patient.full_name"),
    ({"date_of_birth": "2010-01-01"}, "patient.date_of_birth"),  # under 18
    ({"date_of_birth": "2030-01-01"}, "patient.date_of_birth"),
    ({"date_of_birth": "17/05/1990"}, "patient.date_of_birth"),
])
def test_invalid_patient_details_get_422(client, clinic, patient_details, patient_change, field):
    patient_details.update(patient_change)
    response = client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count_appointments() == 0
    assert db.session.execute(select(func.count()).select_from(Patient)).scalar_one() == 0


def test_booking_an_unknown_service_or_practitioner_is_404(client, clinic, patient_details):
    unknown_service = booking_body(clinic["consultation"], "2026-12-08T10:00:00+02:00",
                                   patient_details, service_id=999)
    assert client.post("/api/v1/bookings", json=unknown_service).status_code == 404
    foreign = booking_body(clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details,
                           practitioner_id=clinic["therapist"].id)  # does not offer it
    assert client.post("/api/v1/bookings", json=foreign).status_code == 404


@pytest.mark.parametrize("data, content_type", [
    ("not json", "application/json"),
    ("[1, 2]", "application/json"),
    ("service_id=1", "application/x-www-form-urlencoded"),
])
def test_a_body_that_is_not_a_json_object_gets_400(client, clinic, data, content_type):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_a_returning_patient_is_attached_to_the_same_record(client, clinic, patient_details):
    client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    patient_details["email"] = patient_details["email"].upper()
    patient_details["phone"] = "+380671112233"
    client.post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-09T10:00:00+02:00", patient_details))
    patients = db.session.execute(select(Patient)).scalars().all()
    assert len(patients) == 1
    assert patients[0].phone == "+380671112233"
    assert count_appointments() == 2


def test_unknown_api_paths_and_methods_answer_in_json(client):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"
    wrong = client.delete("/api/v1/services")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"] == "method_not_allowed"


def test_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    routes = {  # Flask's /x/<int:day> is OpenAPI's /x/{day}
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")),
         method.lower())
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == described


def test_the_api_needs_no_csrf_token(make_test_app, clinic, patient_details):
    app = make_test_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/api/v1/bookings", json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    assert response.status_code == 201


def test_the_manage_url_uses_the_canonical_address_not_the_host_header(app, client, clinic,
                                                                       patient_details):
    app.config["CANONICAL_URL"] = "https://booking.expio.example"
    response = client.post("/api/v1/bookings", headers={"Host": "evil.example"}, json=booking_body(
        clinic["consultation"], "2026-12-08T10:00:00+02:00", patient_details))
    assert response.get_json()["manage_url"].startswith("https://booking.expio.example/manage/")
