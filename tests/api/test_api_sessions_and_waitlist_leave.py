"""What the patient pages offer, the API offers (issue 16): one session of a course moved by the
course's private token, keeping the order, with the session page's times and cut-off; and the
waitlist read and left by the entry's private token, in a header, idempotently."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Appointment
from booking.scheduler.openapi import EXAMPLE_PATIENT
from tests.api.test_api_complete import by_token, clinic, patient  # noqa: F401 (a fixture)
from tests.conftest import NOW

# Frozen now: Monday 2026-12-07 09:00 Kyiv. The course: Wednesday to Friday at 10:00.
WEDNESDAY_10 = "2026-12-09T10:00:00+02:00"
THURSDAY_10 = "2026-12-10T10:00:00+02:00"
THURSDAY_14 = "2026-12-10T14:00:00+02:00"
FRIDAY_10 = "2026-12-11T10:00:00+02:00"
FRIDAY_14 = "2026-12-11T14:00:00+02:00"
SESSION_2 = "/api/v1/booking/sessions/2"


def book(client, clinic, start, service="consultation", email=EXAMPLE_PATIENT["email"],
         **body):
    path = "/api/v1/courses" if service == "course" else "/api/v1/bookings"
    response = client.post(path, json={"service_id": clinic[service].id, "start": start,
                                       "consent": True, "language": "en",
                                       "patient": patient(email=email), **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def course(client, clinic):
    """Three sessions, Wednesday to Friday at 10:00, booked through the API."""
    return book(client, clinic, WEDNESDAY_10, "course", sessions=3)


def session_starts(client, answer):
    read = client.get("/api/v1/booking", headers=by_token(answer)).get_json()
    return [session["start"] for session in read["sessions"]]


def free_times(client, answer, day=2, first="2026-12-07", last="2026-12-18"):
    response = client.get(f"/api/v1/booking/sessions/{day}/slots?from={first}&to={last}",
                          headers=by_token(answer))
    assert response.status_code == 200, response.get_json()
    return [slot["start"] for slot in response.get_json()["slots"]]


def move(client, answer, start, day=2, **headers):
    return client.post(f"/api/v1/booking/sessions/{day}/reschedule",
                       headers={**by_token(answer), **headers},
                       json={"start": start, "language": "en"})


# --- One session of a course ----------------------------------------------------------------------

def test_a_sessions_free_times_lie_between_the_sessions_before_and_after_it(client, course):
    offered = free_times(client, course)

    assert offered and {start[:10] for start in offered} == {"2026-12-10"}
    assert THURSDAY_10 not in offered and THURSDAY_14 in offered


def test_the_free_times_keep_to_the_days_asked_for(client, course):
    assert free_times(client, course, first="2026-12-11", last="2026-12-18") == []
    assert free_times(client, course, day=3, first="2026-12-14", last="2026-12-14")[0] == \
        "2026-12-14T10:00:00+02:00"


def test_one_session_is_moved_and_the_others_stay(client, course):
    response = move(client, course, THURSDAY_14)

    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    assert (answer["kind"], answer["reference"]) == ("course", course["reference"])
    assert [s["start"] for s in answer["sessions"]] == [WEDNESDAY_10, THURSDAY_14, FRIDAY_10]
    assert session_starts(client, course) == [WEDNESDAY_10, THURSDAY_14, FRIDAY_10]
    assert THURSDAY_10 in free_times(client, course)


def test_moving_a_session_past_the_next_one_is_422_and_moves_nothing(client, course):
    response = move(client, course, FRIDAY_14)

    assert (response.status_code, response.get_json()["error"]) == (422, "invalid")
    assert response.get_json()["fields"]["start"] == \
        "A session must stay between the sessions before and after it."
    assert session_starts(client, course) == [WEDNESDAY_10, THURSDAY_10, FRIDAY_10]


def test_moving_a_session_onto_a_taken_time_is_409(client, clinic, course):
    book(client, clinic, THURSDAY_14, email="other@example.com")

    response = move(client, course, THURSDAY_14)

    assert (response.status_code, response.get_json()["error"]) == (409, "slot_taken")
    assert THURSDAY_14 not in free_times(client, course)
    assert session_starts(client, course)[1] == THURSDAY_10


@pytest.mark.parametrize("body, error", [
    ({"start": "2026-12-10T09:00:00+02:00"}, "outside_hours"),
    ({"start": "2026-12-10T14:00:00"}, "invalid"),
    ({}, "invalid"),
])
def test_a_time_that_is_not_bookable_is_422_naming_the_start(client, course, body, error):
    response = client.post(f"{SESSION_2}/reschedule", headers=by_token(course), json=body)

    assert (response.status_code, response.get_json()["error"]) == (422, error)
    assert "start" in response.get_json()["fields"]


def test_the_refusal_comes_in_the_language_of_the_body(client, course):
    response = client.post(f"{SESSION_2}/reschedule", headers=by_token(course),
                           json={"start": FRIDAY_14, "language": "uk"})

    assert response.get_json()["message"] == \
        "Сеанс має залишатися між попереднім і наступним сеансами."


@pytest.mark.parametrize("day", [0, 4, 99999999999])
def test_a_day_the_course_does_not_have_is_404(client, course, day):
    for response in (client.get(f"/api/v1/booking/sessions/{day}/slots?from=2026-12-10"
                                "&to=2026-12-10", headers=by_token(course)),
                     move(client, course, THURSDAY_14, day=day)):
        assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    assert session_starts(client, course) == [WEDNESDAY_10, THURSDAY_10, FRIDAY_10]


def test_a_single_appointments_token_is_not_a_course(client, clinic):
    booked = book(client, clinic, THURSDAY_10)

    for response in (client.get(f"{SESSION_2}/slots?from=2026-12-10&to=2026-12-10",
                                headers=by_token(booked)),
                     move(client, booked, THURSDAY_14)):
        assert (response.status_code, response.get_json()["error"]) == (422, "not_a_course")
    assert client.get("/api/v1/booking", headers=by_token(booked)).get_json()["start"] == \
        THURSDAY_10


@pytest.mark.parametrize("headers, status", [({}, 400), ({"X-Manage-Token": "wrong"}, 404)])
def test_without_the_right_token_no_session_is_shown_or_moved(client, course, headers, status):
    read = client.get(f"{SESSION_2}/slots?from=2026-12-10&to=2026-12-10", headers=headers)
    moved = client.post(f"{SESSION_2}/reschedule", headers=headers, json={"start": THURSDAY_14})

    assert read.status_code == moved.status_code == status
    assert course["reference"] not in read.get_data(as_text=True) + moved.get_data(as_text=True)
    if status == 400:
        assert "X-Manage-Token" in moved.get_json()["fields"]


def test_the_days_are_checked_as_for_the_bookings_free_times(client, course):
    response = client.get(f"{SESSION_2}/slots?from=2026-12-10&to=2026-12-01",
                          headers=by_token(course))

    assert (response.status_code, response.get_json()["fields"]) == (
        422, {"to": "'to' must not be before 'from'."})


def test_after_the_courses_cut_off_nothing_is_offered_or_moved(app, client, course):
    # 12 hours before Wednesday 10:00 Kyiv: Tuesday 22:00 Kyiv.
    app.config["FROZEN_NOW"] = NOW + timedelta(days=1, hours=13, minutes=1)

    assert free_times(client, course, day=3) == []
    response = move(client, course, "2026-12-11T14:00:00+02:00", day=3)
    assert (response.status_code, response.get_json()["error"]) == (422, "too_late")
    assert session_starts(client, course) == [WEDNESDAY_10, THURSDAY_10, FRIDAY_10]


def test_a_session_already_held_is_not_moved_while_the_rest_still_can_be(app, client, course):
    # Wednesday 15:00 Kyiv: the first session is over; Thursday's cut-off is 22:00.
    app.config["FROZEN_NOW"] = NOW + timedelta(days=2, hours=6)

    assert free_times(client, course, day=1) == []
    response = move(client, course, "2026-12-09T18:00:00+02:00", day=1)
    assert (response.status_code, response.get_json()["error"]) == (422, "too_late")
    assert move(client, course, THURSDAY_14).status_code == 200
    assert session_starts(client, course) == [WEDNESDAY_10, THURSDAY_14, FRIDAY_10]


def test_a_retried_move_gets_the_first_answer_and_moves_once(client, course):
    first = move(client, course, THURSDAY_14, **{"Idempotency-Key": "move-day-2"})
    again = move(client, course, THURSDAY_14, **{"Idempotency-Key": "move-day-2"})

    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    db.session.rollback()
    moved = db.session.execute(select(Appointment.reschedule_count).where(
        Appointment.course_day == 2)).scalar_one()
    assert moved == 1


# --- Reading and leaving the waitlist -------------------------------------------------------------

def join(client, clinic, **patient_changes):
    response = client.post("/api/v1/waitlist", json={
        "service_id": clinic["consultation"].id, "first_day": "2026-12-08",
        "last_day": "2026-12-18", "weekdays": [0, 1, 2, 3, 4], "earliest": "10:00",
        "latest": "19:00", "consent": True, "patient": patient(**patient_changes),
        "language": "en"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def waitlist_token(answer):
    return {"X-Waitlist-Token": answer["leave_token"]}


WISHES = {"first_day": "2026-12-08", "last_day": "2026-12-18", "weekdays": [0, 1, 2, 3, 4],
          "earliest": "10:00", "latest": "19:00", "practitioner_id": None}


def test_the_join_answer_holds_the_token_of_its_leave_link(client, clinic):
    joined = join(client, clinic)

    assert joined["leave_url"].endswith("/waitlist/leave/" + joined["leave_token"])


def test_the_entry_is_read_by_its_token_without_the_token(client, clinic):
    joined = join(client, clinic)

    response = client.get("/api/v1/waitlist", headers=waitlist_token(joined))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"service_id": clinic["consultation"].id, **WISHES,
                                   "status": "waiting"}


def waiting_at_the_desk(desk, clinic):
    page = desk.get(
        f"/staff/waitlist?service={clinic['consultation'].id}&lang=en")
    assert page.status_code == 200
    return page.get_data(as_text=True).count(">Waiting<")


def test_leaving_takes_the_entry_off_the_desks_list_and_leaving_again_answers_the_same(
        client, clinic, staff_client):
    desk = staff_client("receptionist")
    joined = join(client, clinic)
    join(client, clinic, email="other@example.com")
    assert waiting_at_the_desk(desk, clinic) == 2

    left = client.post("/api/v1/waitlist/leave", headers=waitlist_token(joined), json={})
    again = client.post("/api/v1/waitlist/leave", headers=waitlist_token(joined), json={})

    assert left.status_code == again.status_code == 200
    assert left.headers["Cache-Control"] == "no-store"
    assert left.get_json() == again.get_json() == {
        "service_id": clinic["consultation"].id, **WISHES, "status": "left"}
    assert client.get("/api/v1/waitlist", headers=waitlist_token(joined)).get_json()[
        "status"] == "left"
    assert waiting_at_the_desk(desk, clinic) == 1


@pytest.mark.parametrize("headers, status", [({}, 400), ({"X-Waitlist-Token": "wrong"}, 404),
                                             ({"X-Waitlist-Token": "x" * 101}, 404)])
def test_without_the_right_token_no_entry_is_read_or_left(client, clinic, headers, status):
    joined = join(client, clinic)

    read = client.get("/api/v1/waitlist", headers=headers)
    left = client.post("/api/v1/waitlist/leave", headers=headers, json={})

    assert read.status_code == left.status_code == status
    if status == 400:
        assert "X-Waitlist-Token" in left.get_json()["fields"]
    assert client.get("/api/v1/waitlist", headers=waitlist_token(joined)).get_json()[
        "status"] == "waiting"


def test_the_leave_token_is_never_in_a_url_of_the_api(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert "token" not in rule.rule and "<" not in rule.rule.replace("<int:day>", "")


def test_an_idempotency_key_with_another_entrys_token_never_gives_that_entrys_answer(
        client, clinic):
    first = join(client, clinic)
    second = join(client, clinic, email="other@example.com")
    key = {"Idempotency-Key": "leave-once"}

    left = client.post("/api/v1/waitlist/leave", headers={**waitlist_token(first), **key},
                       json={})
    other = client.post("/api/v1/waitlist/leave", headers={**waitlist_token(second), **key},
                        json={})

    assert left.status_code == 200
    assert (other.status_code, other.get_json()["error"]) == (422, "key_reused")
    assert client.get("/api/v1/waitlist", headers=waitlist_token(second)).get_json()[
        "status"] == "waiting"
