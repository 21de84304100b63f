"""Schemathesis against the JSON API, in-process: no request it makes gets a server error, and every
response (status, content type, headers, body) is one the OpenAPI document describes.

The document's examples assume what the `clinic` fixture seeds (service 1; practitioners 1 and 2,
Mon-Fri 10:00-19:00; practitioner 1 booked on Tuesday 2026-12-08 at 10:00 Kyiv, its private token
EXAMPLE_TOKEN; course service 2, 3 to 7 sessions, with practitioner 1, and a course of it from
Monday 2026-12-14, its token EXAMPLE_COURSE_TOKEN; a waitlist entry, EXAMPLE_WAITLIST_TOKEN), so
the examples phase books (201), hits the taken slot (409), breaks a rule (422), reads, moves and
cancels the booking, books a course, moves one of its sessions, joins, reads and leaves the
waitlist, while the coverage and fuzzing phases try edge values and
invalid data. Every operation of the document has its test here (checked below). Deterministic: derandomized, no example database,
a fresh migrated database for each operation.
"""
import json

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

from booking.extensions import db, limiter
from booking.models import Appointment, Course, WaitlistEntry
from booking.scheduler.openapi import (EXAMPLE_COURSE_SESSION_DAY, EXAMPLE_COURSE_TOKEN,
                                       EXAMPLE_DAY, EXAMPLE_START, EXAMPLE_TOKEN,
                                       EXAMPLE_WAITLIST_TOKEN, openapi_document)
from booking.scheduler.manage_links import hash_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

CONFIG = schemathesis.Config.from_dict({
    "generation": {"deterministic": True, "database": "none"},
})
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.fixture
def clinic(app, client, create_service, create_practitioner, patient_details):
    """The data the document's examples name. Returns the app to send the requests to."""
    consultation = create_service(name="First consultation", duration_minutes=60)
    neurologist = create_practitioner([consultation], full_name="Dr Neuro")
    psychiatrist = create_practitioner([consultation], full_name="Dr Psych")
    assert (consultation.id, neurologist.id, psychiatrist.id) == (1, 1, 2)
    course = create_service(name="Infusion course", duration_minutes=60, grid_minutes=60,
                            is_course=True, min_sessions=3, max_sessions=7)
    neurologist.services.append(course)
    db.session.commit()
    assert course.id == 2
    booked = client.post("/api/v1/bookings", json={
        "service_id": 1, "practitioner_id": 1, "start": EXAMPLE_START,
        "patient": patient_details, "consent": True})
    assert booked.status_code == 201, booked.get_json()
    appointment = db.session.get(Appointment, 1)
    appointment.manage_token_hash = hash_token(EXAMPLE_TOKEN)
    db.session.commit()
    # A course (Mon-Wed 2026-12-14..16 at 10:00) and a waitlist entry, with the documented tokens.
    course_booked = client.post("/api/v1/courses", json={
        "service_id": 2, "sessions": 3, "start": "2026-12-14T10:00:00+02:00",
        "patient": patient_details, "consent": True})
    assert course_booked.status_code == 201, course_booked.get_json()
    joined = client.post("/api/v1/waitlist", json={
        "service_id": 1, "first_day": EXAMPLE_DAY, "last_day": "2026-12-18", "weekdays": [0],
        "earliest": "10:00", "latest": "19:00", "patient": patient_details, "consent": True})
    assert joined.status_code == 201, joined.get_json()
    db.session.get(Course, 1).manage_token_hash = hash_token(EXAMPLE_COURSE_TOKEN)
    db.session.get(WaitlistEntry, 1).token_hash = hash_token(EXAMPLE_WAITLIST_TOKEN)
    db.session.commit()
    return app


def conforms_to_the_document(method, path):
    """A test of one operation: every generated request is answered as the document says.

    One test per operation (not one `schema.parametrize()` over all of them) so that each has
    its own pytest id and its own freshly seeded database."""
    @schema.include(method=method, path=path).parametrize()
    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def test(case, clinic):
        case.call_and_validate(app=clinic, checks=CHECKS)
    return test


OPERATIONS = {
    ("GET", "/services"), ("GET", "/practitioners"), ("GET", "/slots"), ("POST", "/bookings"),
    ("GET", "/openapi.json"), ("GET", "/booking"), ("GET", "/booking/slots"),
    ("POST", "/booking/cancel"), ("POST", "/booking/reschedule"), ("GET", "/course-services"),
    ("GET", "/course-starts"), ("POST", "/courses"), ("POST", "/waitlist"),
    ("GET", "/booking/sessions/{day}/slots"), ("POST", "/booking/sessions/{day}/reschedule"),
    ("GET", "/waitlist"), ("POST", "/waitlist/leave"),
}
test_services_answer_as_documented = conforms_to_the_document("GET", "/services")
test_practitioners_answer_as_documented = conforms_to_the_document("GET", "/practitioners")
test_slots_answer_as_documented = conforms_to_the_document("GET", "/slots")
test_bookings_answer_as_documented = conforms_to_the_document("POST", "/bookings")
test_the_document_answers_as_documented = conforms_to_the_document("GET", "/openapi.json")
test_a_booking_read_by_token_answers_as_documented = conforms_to_the_document("GET", "/booking")
test_a_bookings_free_times_answer_as_documented = conforms_to_the_document("GET",
                                                                           "/booking/slots")
test_cancelling_by_token_answers_as_documented = conforms_to_the_document("POST",
                                                                          "/booking/cancel")
test_moving_by_token_answers_as_documented = conforms_to_the_document("POST",
                                                                      "/booking/reschedule")
test_course_services_answer_as_documented = conforms_to_the_document("GET", "/course-services")
test_course_starts_answer_as_documented = conforms_to_the_document("GET", "/course-starts")
test_booking_a_course_answers_as_documented = conforms_to_the_document("POST", "/courses")
test_joining_the_waitlist_answers_as_documented = conforms_to_the_document("POST", "/waitlist")
test_a_sessions_free_times_answer_as_documented = conforms_to_the_document(
    "GET", "/booking/sessions/{day}/slots")
test_moving_one_session_answers_as_documented = conforms_to_the_document(
    "POST", "/booking/sessions/{day}/reschedule")
test_a_waitlist_entry_read_by_token_answers_as_documented = conforms_to_the_document(
    "GET", "/waitlist")
test_leaving_the_waitlist_answers_as_documented = conforms_to_the_document("POST",
                                                                           "/waitlist/leave")


def test_the_booking_examples_book_hit_a_taken_slot_and_break_a_rule(clinic):
    operation = schema["/bookings"]["POST"]
    examples = openapi_document()["paths"]["/bookings"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    statuses = {}
    for name, example in examples.items():
        case = operation.Case(body=example["value"], media_type="application/json")
        response = case.call_and_validate(app=clinic, checks=CHECKS)
        statuses[name] = (response.status_code, json.loads(response.content).get("error"))
    assert statuses == {"anyPractitioner": (201, None), "takenSlot": (409, "slot_taken"),
                        "outsideHours": (422, "outside_hours")}


def test_schemathesis_reads_the_document_the_api_serves(client):
    served = client.get("/api/v1/openapi.json").get_json()
    assert served == json.loads(json.dumps(openapi_document()))
    operations = {(result.ok().method.upper(), result.ok().path)
                  for result in schema.get_all_operations()}
    assert operations == OPERATIONS
    tested = {name for name in globals() if name.startswith("test_") and name.endswith(
        "_as_documented")}
    assert len(tested) == len(OPERATIONS)


# One request per operation that the clinic fixture answers without an error.
GOOD_REQUESTS = [
    ("GET", "/services", {}),
    ("GET", "/practitioners", {"query": {"service": 1}}),
    ("GET", "/slots", {"query": {"service": 1, "from": EXAMPLE_DAY, "to": EXAMPLE_DAY}}),
    ("POST", "/bookings", {"body": openapi_document()["paths"]["/bookings"]["post"][
        "requestBody"]["content"]["application/json"]["examples"]["anyPractitioner"]["value"],
        "media_type": "application/json"}),
    ("GET", "/openapi.json", {}),
    ("GET", "/booking", {"headers": {"X-Manage-Token": EXAMPLE_TOKEN}}),
    ("GET", "/booking/slots", {"headers": {"X-Manage-Token": EXAMPLE_TOKEN},
                               "query": {"from": EXAMPLE_DAY, "to": EXAMPLE_DAY}}),
    ("POST", "/booking/reschedule", {"headers": {"X-Manage-Token": EXAMPLE_TOKEN},
                                     "body": {"start": "2026-12-08T12:00:00+02:00"},
                                     "media_type": "application/json"}),
    ("POST", "/booking/cancel", {"headers": {"X-Manage-Token": EXAMPLE_TOKEN}, "body": {},
                                 "media_type": "application/json"}),
    ("GET", "/course-services", {}),
    ("GET", "/course-starts", {"query": {"service": 2, "sessions": 3, "from": EXAMPLE_DAY,
                                         "to": EXAMPLE_DAY}}),
    ("POST", "/courses", {"body": openapi_document()["paths"]["/courses"]["post"][
        "requestBody"]["content"]["application/json"]["examples"]["threeSessions"]["value"],
        "media_type": "application/json"}),
    ("POST", "/waitlist", {"body": openapi_document()["paths"]["/waitlist"]["post"][
        "requestBody"]["content"]["application/json"]["example"],
        "media_type": "application/json"}),
    ("GET", "/booking/sessions/{day}/slots", {
        "headers": {"X-Manage-Token": EXAMPLE_COURSE_TOKEN}, "path_parameters": {"day": 2},
        "query": {"from": EXAMPLE_COURSE_SESSION_DAY, "to": EXAMPLE_COURSE_SESSION_DAY}}),
    ("POST", "/booking/sessions/{day}/reschedule", {
        "headers": {"X-Manage-Token": EXAMPLE_COURSE_TOKEN}, "path_parameters": {"day": 2},
        "body": {"start": "2026-12-15T12:00:00+02:00"}, "media_type": "application/json"}),
    ("GET", "/waitlist", {"headers": {"X-Waitlist-Token": EXAMPLE_WAITLIST_TOKEN}}),
    ("POST", "/waitlist/leave", {"headers": {"X-Waitlist-Token": EXAMPLE_WAITLIST_TOKEN},
                                 "body": {}, "media_type": "application/json"}),
]


def test_a_throttled_request_gets_the_documented_429_with_retry_after(make_test_app, clinic):
    limited = make_test_app(RATELIMIT_ENABLED=True, RATELIMIT_API="1 per minute",
                            RATELIMIT_BOOKING="1 per minute")
    limiter.reset()  # the counters live in this process's memory storage
    try:
        for method, path, data in GOOD_REQUESTS:
            case = schema[path][method].Case(**data)
            first = case.call(app=limited)
            case.validate_response(first, checks=CHECKS)
            assert first.status_code in (200, 201), (method, path)
            second = case.call(app=limited)
            case.validate_response(second, checks=CHECKS)
            assert second.status_code == 429, (method, path)
            assert int(second.headers["retry-after"][0]) > 0
    finally:
        limiter.reset()


def test_a_body_over_one_mebibyte_gets_the_documented_413(clinic):
    case = schema["/bookings"]["POST"].Case(body={"padding": "x" * 1024 * 1024},
                                            media_type="application/json")
    response = case.call(app=clinic)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code == 413


def _examples(node, where=""):
    """(where, schema, example) for every example next to a schema in the document."""
    if isinstance(node, dict):
        if "schema" in node:
            if "example" in node:
                yield where, node["schema"], node["example"]
            for name, example in node.get("examples", {}).items():
                yield f"{where}/examples/{name}", node["schema"], example["value"]
        elif "example" in node and "type" in node:
            yield where, node, node["example"]
        for key, value in node.items():
            yield from _examples(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _examples(value, f"{where}/{index}")


def test_every_example_in_the_document_fits_its_schema():
    document = openapi_document()
    found = list(_examples(document["paths"])) + list(_examples(document["components"]))
    assert len(found) > 20
    wrong = {}
    for where, schema_, example in found:
        # Validated inside the document so that #/components/... references resolve.
        validator = jsonschema_rs.Draft7Validator(
            {**schema_, "components": document["components"]}, validate_formats=True)
        errors = [error.message for error in validator.iter_errors(example)]
        if errors:
            wrong[where] = errors
    assert wrong == {}
