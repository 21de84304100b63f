"""What the patient pages offer, the API offers: a booking read, cancelled and moved by its
private token (same rules and cut-off as the manage page), courses listed, fitted and booked,
the waitlist joined; messages in the request's language; slot queries past the horizon refused
with the last bookable day."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Course, OutboxMessage, WaitlistEntry
from booking.scheduler.openapi import EXAMPLE_PATIENT
from tests.conftest import NOW

TUESDAY_10 = "2026-12-08T10:00:00+02:00"
TUESDAY_12 = "2026-12-08T12:00:00+02:00"
# Frozen now: Monday 2026-12-07 09:00 Kyiv; online booking reaches 60 days ahead.
LAST_BOOKABLE_DAY = "2027-02-05"


@pytest.fixture
def clinic(create_service, create_practitioner):
    consultation = create_service(name="First consultation")
    course = create_service(name="Infusion course", grid_minutes=60, is_course=True,
                            min_sessions=3, max_sessions=5)
    neurologist = create_practitioner([consultation, course], full_name="Dr Neuro")
    return {"consultation": consultation, "course": course, "neurologist": neurologist}


def patient(**changes):
    return {**EXAMPLE_PATIENT, **changes}


@pytest.fixture
def booked(client, clinic):
    """Book Tuesday 10:00 through the API; returns its answer (with manage_token)."""
    response = client.post("/api/v1/bookings", json={
        "service_id": clinic["consultation"].id, "start": TUESDAY_10, "consent": True,
        "patient": patient(), "language": "en"})
    assert response.status_code == 201
    return response.get_json()


def by_token(answer):
    return {"X-Manage-Token": answer["manage_token"]}


def count(model, *conditions):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)
                              ).scalar_one()


# --- A booking by its private token --------------------------------------------------------------

def test_the_booking_answer_holds_its_private_token(booked):
    assert booked["manage_url"].endswith("/manage/" + booked["manage_token"])


def test_a_booking_is_read_by_its_token_in_a_header(client, booked, clinic):
    response = client.get("/api/v1/booking", headers=by_token(booked))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "kind": "appointment", "reference": booked["reference"], "status": "booked",
        "service_id": clinic["consultation"].id, "practitioner_id": clinic["neurologist"].id,
        "start": TUESDAY_10, "end": "2026-12-08T11:00:00+02:00", "can_change": True,
        "change_until": "2026-12-07T22:00:00+02:00", "sessions": []}


@pytest.mark.parametrize("headers, status", [({}, 400), ({"X-Manage-Token": "wrong"}, 404)])
def test_without_the_right_token_there_is_no_booking(client, booked, headers, status):
    response = client.get("/api/v1/booking", headers=headers)
    assert response.status_code == status
    assert booked["reference"] not in response.get_data(as_text=True)


def test_a_booking_is_cancelled_by_its_token_and_the_patient_is_told(client, booked):
    response = client.post("/api/v1/booking/cancel", headers=by_token(booked),
                           json={"reason": "Feeling better"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["can_change"] is False
    assert count(Appointment, Appointment.status == "cancelled") == 1
    assert count(OutboxMessage) == 2  # the confirmation, then the cancellation
    again = client.post("/api/v1/booking/cancel", headers=by_token(booked), json={})
    assert (again.status_code, again.get_json()["error"]) == (422, "not_active")


def test_after_the_cut_off_the_api_refuses_changes_as_the_manage_page_does(app, client, booked):
    # 12 hours before Tuesday 10:00 Kyiv is Monday 22:00 Kyiv (20:00 UTC).
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=13)
    read = client.get("/api/v1/booking", headers=by_token(booked)).get_json()
    assert read["can_change"] is False
    for path, body in (("/api/v1/booking/cancel", {}),
                       ("/api/v1/booking/reschedule", {"start": TUESDAY_12})):
        response = client.post(path, headers=by_token(booked), json=body)
        assert (response.status_code, response.get_json()["error"]) == (422, "too_late")
    assert client.get("/api/v1/booking/slots?from=2026-12-08&to=2026-12-08",
                      headers=by_token(booked)).get_json()["slots"] == []
    assert count(Appointment, Appointment.status == "booked") == 1


def test_a_booking_is_moved_to_one_of_its_free_times(client, booked):
    slots = client.get("/api/v1/booking/slots?from=2026-12-08&to=2026-12-08",
                       headers=by_token(booked)).get_json()["slots"]
    starts = [slot["start"] for slot in slots]
    assert TUESDAY_10 not in starts and TUESDAY_12 in starts
    response = client.post("/api/v1/booking/reschedule", headers=by_token(booked),
                           json={"start": TUESDAY_12})
    assert response.status_code == 200
    assert response.get_json()["start"] == TUESDAY_12
    assert client.get("/api/v1/booking", headers=by_token(booked)).get_json()["start"] == \
        TUESDAY_12


def test_moving_onto_a_taken_time_is_409(client, booked, clinic):
    client.post("/api/v1/bookings", json={
        "service_id": clinic["consultation"].id, "start": TUESDAY_12, "consent": True,
        "patient": patient(email="other@example.com")})
    response = client.post("/api/v1/booking/reschedule", headers=by_token(booked),
                           json={"start": TUESDAY_12})
    assert (response.status_code, response.get_json()["error"]) == (409, "slot_taken")


@pytest.mark.parametrize("body, field", [({}, "start"), ({"start": "tomorrow"}, "start")])
def test_a_move_without_a_time_is_422(client, booked, body, field):
    response = client.post("/api/v1/booking/reschedule", headers=by_token(booked), json=body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_the_token_is_never_in_a_url_of_the_api(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert "token" not in rule.rule, rule.rule


# --- Courses -------------------------------------------------------------------------------------

def course_body(clinic, **changes):
    return {"service_id": clinic["course"].id, "sessions": 3,
            "start": "2026-12-09T10:00:00+02:00", "consent": True, "patient": patient(),
            "language": "en", **changes}


def test_course_services_are_listed_with_their_session_counts(client, clinic):
    services = client.get("/api/v1/course-services").get_json()["services"]
    assert [(s["name"], s["min_sessions"], s["max_sessions"]) for s in services] == [
        ("Infusion course", 3, 5)]
    assert [s["name"] for s in client.get("/api/v1/services").get_json()["services"]] == [
        "First consultation"]


def test_course_starts_list_every_session_of_each_start(client, clinic):
    body = client.get(f"/api/v1/course-starts?service={clinic['course'].id}&sessions=3"
                      "&from=2026-12-09&to=2026-12-09").get_json()
    first = body["starts"][0]
    assert first["start"] == "2026-12-09T10:00:00+02:00"
    assert [s["start"][:10] for s in first["sessions"]] == ["2026-12-09", "2026-12-10",
                                                            "2026-12-11"]


def test_course_starts_need_an_allowed_number_of_sessions(client, clinic):
    response = client.get(f"/api/v1/course-starts?service={clinic['course'].id}&sessions=9"
                          "&from=2026-12-09&to=2026-12-09")
    assert response.status_code == 422 and "sessions" in response.get_json()["fields"]


def test_a_course_is_booked_then_read_moved_and_cancelled_by_its_token(client, clinic):
    booked = client.post("/api/v1/courses", json=course_body(clinic))
    assert booked.status_code == 201, booked.get_json()
    answer = booked.get_json()
    assert answer["status"] == "awaiting_review"
    assert [s["start"] for s in answer["sessions"]] == [
        "2026-12-09T10:00:00+02:00", "2026-12-10T10:00:00+02:00", "2026-12-11T10:00:00+02:00"]
    read = client.get("/api/v1/booking", headers=by_token(answer)).get_json()
    assert (read["kind"], read["reference"], len(read["sessions"])) == (
        "course", answer["reference"], 3)
    moved = client.post("/api/v1/booking/reschedule", headers=by_token(answer),
                        json={"start": "2026-12-14T11:00:00+02:00"})
    assert moved.status_code == 200, moved.get_json()
    assert [s["start"] for s in moved.get_json()["sessions"]] == [
        "2026-12-14T11:00:00+02:00", "2026-12-15T11:00:00+02:00", "2026-12-16T11:00:00+02:00"]
    cancelled = client.post("/api/v1/booking/cancel", headers=by_token(answer), json={})
    assert cancelled.get_json()["status"] == "cancelled"
    assert count(Appointment, Appointment.status == "booked") == 0
    assert count(Course) == 1


def test_a_course_that_does_not_fit_is_refused_naming_why(client, clinic):
    client.post("/api/v1/bookings", json={
        "service_id": clinic["consultation"].id, "start": "2026-12-10T10:00:00+02:00",
        "consent": True, "patient": patient(email="other@example.com")})
    response = client.post("/api/v1/courses", json=course_body(clinic))
    assert response.status_code == 409
    assert "Thursday, 10 December" in response.get_json()["message"]
    assert count(Course) == 0


def test_a_course_with_a_wrong_number_of_sessions_is_422(client, clinic):
    response = client.post("/api/v1/courses", json=course_body(clinic, sessions=12))
    assert response.status_code == 422 and "sessions" in response.get_json()["fields"]
    response = client.post("/api/v1/courses", json=course_body(clinic, sessions="3"))
    assert response.status_code == 422 and "sessions" in response.get_json()["fields"]


# --- The waitlist --------------------------------------------------------------------------------

def waitlist_body(clinic, **changes):
    return {"service_id": clinic["consultation"].id, "first_day": "2026-12-08",
            "last_day": "2026-12-18", "weekdays": [0, 1, 2, 3, 4], "earliest": "10:00",
            "latest": "19:00", "consent": True, "patient": patient(), "language": "en",
            **changes}


def test_joining_the_waitlist_gives_the_private_leave_link(client, clinic):
    response = client.post("/api/v1/waitlist", json=waitlist_body(clinic))
    assert response.status_code == 201
    answer = response.get_json()
    assert "/waitlist/leave/" in answer["leave_url"]
    assert (answer["first_day"], answer["weekdays"], answer["latest"]) == (
        "2026-12-08", [0, 1, 2, 3, 4], "19:00")
    assert count(WaitlistEntry) == 1
    assert count(OutboxMessage, OutboxMessage.kind == "waitlist_joined") == 1


@pytest.mark.parametrize("change, field", [
    ({"weekdays": [6]}, "weekdays"),
    ({"weekdays": "weekdays"}, "weekdays"),
    ({"first_day": "2026-12-01"}, "first_day"),
    ({"last_day": "2027-03-01"}, "last_day"),
    ({"earliest": "07:00"}, "earliest"),
    ({"practitioner_id": 99}, "practitioner_id"),
    ({"consent": False}, "consent"),
    ({"patient": patient(email="nope")}, "patient.email"),
])
def test_wrong_wishes_are_422_naming_the_field(client, clinic, change, field):
    response = client.post("/api/v1/waitlist", json=waitlist_body(clinic, **change))
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(WaitlistEntry) == 0


# --- Language, and the horizon --------------------------------------------------------------------

def test_refusals_come_in_the_language_of_the_body(client, clinic):
    body = {"service_id": clinic["consultation"].id, "start": "2026-12-08T09:30:00+02:00",
            "consent": True, "patient": patient()}
    ukrainian = client.post("/api/v1/bookings", json={**body, "language": "uk"}).get_json()
    assert ukrainian["message"] == "Цей час поза робочими годинами клініки (пн-пт 10:00-19:00)."
    english = client.post("/api/v1/bookings", json={**body, "language": "en"},
                          headers={"Accept-Language": "uk"}).get_json()
    assert english["message"].startswith("That time is outside the clinic's opening hours")


def test_without_a_language_field_accept_language_decides(client, clinic):
    body = {"service_id": clinic["consultation"].id, "start": "2026-12-08T09:30:00+02:00",
            "consent": True, "patient": patient()}
    response = client.post("/api/v1/bookings", json=body, headers={"Accept-Language": "uk"})
    assert response.get_json()["message"].startswith("Цей час поза робочими годинами")


@pytest.mark.parametrize("path", [
    "/api/v1/slots?service={consultation}&from=2027-02-08&to=2027-02-12",
    "/api/v1/course-starts?service={course}&sessions=3&from=2027-02-08&to=2027-02-12",
])
def test_slot_queries_past_the_horizon_name_the_last_bookable_day(client, clinic, path):
    url = path.format(consultation=clinic["consultation"].id, course=clinic["course"].id)
    response = client.get(url)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "beyond_horizon"
    assert LAST_BOOKABLE_DAY in answer["message"] and "from" in answer["fields"]
    in_ukrainian = client.get(url, headers={"Accept-Language": "uk"}).get_json()
    assert in_ukrainian["message"] == f"Онлайн-запис відкритий до {LAST_BOOKABLE_DAY}."


def test_a_range_reaching_past_the_horizon_gives_the_days_up_to_it(client, clinic):
    response = client.get(f"/api/v1/slots?service={clinic['consultation'].id}"
                          "&from=2027-02-01&to=2027-02-12")
    assert response.status_code == 200
    days = {slot["start"][:10] for slot in response.get_json()["slots"]}
    assert max(days) == LAST_BOOKABLE_DAY
