"""Treatment courses at the reception desk: book one for a caller, see it, cancel or move its rest.

"Now" is Monday 7 December 2026, 09:00 in Kyiv (conftest.NOW). Courses run on consecutive
clinic days at the same time: a 5-session course from Wednesday 9 December runs Wed 9, Thu 10,
Fri 11, Mon 14 and Tue 15.
"""
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking.courses import services as courses
from booking.extensions import db
from booking.models import (
    Appointment,
    AuditEvent,
    Consent,
    Course,
    InfusionSession,
    OutboxMessage,
    Patient,
    Resource,
)
from booking.scheduler import services as booking
from booking.scheduler import manage_links
from tests.conftest import PATIENT
from tests.dashboard.helpers import KYIV, at, count, links, new_patient, text

MONDAY = date(2026, 12, 7)
WEDNESDAY = date(2026, 12, 9)
NEXT_MONDAY = date(2026, 12, 14)
COURSE_DAYS = [date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 14),
               date(2026, 12, 15)]


# --- Helpers ----------------------------------------------------------------------------------

def fresh_course(course_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Course, course_id)


def local_days(course):
    return [a.starts_at.astimezone(KYIV).date() for a in course.appointments]


@pytest.fixture
def clinic(create_service, create_practitioner):
    course = create_service(name="Ketamine infusion course", duration_minutes=60,
                            grid_minutes=60, observation_minutes=60,
                            resource_kind="infusion_chair", is_course=True, min_sessions=3,
                            max_sessions=7, online_bookable=False)
    consultation = create_service("First consultation", duration_minutes=60)
    doctor = create_practitioner([course, consultation], full_name="Dr Iryna Bondar")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    return SimpleNamespace(course=course, consultation=consultation, doctor=doctor)


@pytest.fixture
def desk(staff_client):
    return staff_client("receptionist")


def course_url(clinic, sessions=5, week=MONDAY, **extra):
    url = (f"/staff/courses/book?service={clinic.course.id}&sessions={sessions}"
           f"&practitioner={clinic.doctor.id}&week={week}")
    return url + "".join(f"&{name}={value}" for name, value in extra.items())


@pytest.fixture
def booked_course(clinic):
    """A 5-session course from Wednesday 9 December at 10:00, booked through the service."""
    def make(start=at(WEDNESDAY), sessions=5, **patient):
        course, _token = courses.book_course(
            service_id=clinic.course.id, start=start, sessions=sessions,
            patient={**PATIENT, **patient}, consent=True, source="staff")
        return course
    return make


def book_consultation(clinic, start, **patient):
    appointment, _token = booking.book_by_staff(
        service_id=clinic.consultation.id, start=start, actor=None,
        practitioner_id=clinic.doctor.id,
        patient={**PATIENT, "full_name": "Other Person", "email": "other@example.com",
                 **patient}, consent=True)
    return appointment


# --- Offering courses at the desk ---------------------------------------------------------------

def test_the_book_a_caller_page_offers_the_course_services(clinic, desk):
    response = desk.get("/staff/book")
    assert "Ketamine infusion course" in text(response)
    assert "3 to 7 sessions" in text(response)
    assert any(h.startswith(f"/staff/courses/book?service={clinic.course.id}")
               for h in links(response))


def test_the_course_page_lists_the_starts_where_the_whole_course_fits_with_their_days(clinic,
                                                                                     desk):
    response = desk.get(course_url(clinic))
    page = text(response)
    assert response.status_code == 200, page
    assert response.headers["Cache-Control"] == "no-store"
    # Staff rules: no minimum notice, so Monday 10:00 is offered at 09:00.
    hrefs = links(response)
    assert any("start=2026-12-07T10:00:00+02:00" in h for h in hrefs)
    assert any("start=2026-12-09T10:00:00+02:00" in h for h in hrefs)
    # Each start shows its session days, over the weekend.
    assert "Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 December" in page
    # The number of sessions is the service's min..max.
    sessions = re.search(r'<select[^>]*name="sessions".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option[^>]*value="(\d)"', sessions)
    assert options == ["3", "4", "5", "6", "7"]


def test_the_week_navigation_keeps_the_choices(clinic, desk):
    response = desk.get(course_url(clinic, sessions=3))
    hrefs = links(response)
    assert (f"/staff/courses/book?service={clinic.course.id}&sessions=3"
            f"&practitioner={clinic.doctor.id}&week=2026-12-14") in hrefs
    later = text(desk.get(course_url(clinic, sessions=3, week=date(2026, 12, 16))))
    assert "14 December – 20 December 2026" in later


def test_an_unknown_or_single_service_is_404(clinic, desk):
    assert desk.get("/staff/courses/book?service=999").status_code == 404
    assert desk.get(f"/staff/courses/book?service={clinic.consultation.id}").status_code == 404


def test_a_chosen_start_shows_each_session_day_and_the_callers_form(clinic, desk):
    page = text(desk.get(course_url(clinic, week=WEDNESDAY,
                                    start="2026-12-09T10:00:00%2B02:00")))
    assert "Who is coming?" in page
    for n, day in enumerate(["Wednesday, 9 December 2026", "Thursday, 10 December 2026",
                             "Friday, 11 December 2026", "Monday, 14 December 2026",
                             "Tuesday, 15 December 2026"], start=1):
        assert f"Day {n} of 5" in page
        assert day in page
    assert "Saturday" not in page
    assert 'value="2026-12-09T10:00:00+02:00"' in page


# --- Booking ------------------------------------------------------------------------------------

def test_a_receptionist_books_a_five_session_course_for_an_existing_patient(clinic, desk):
    earlier = book_consultation(clinic, at(MONDAY, "12:00"), full_name="Test Patient",
                                email="patient@example.com")
    patients = count(Patient)

    found = desk.post(course_url(clinic, week=WEDNESDAY),
                      data={"action": "search", "q": "+380501234567",
                            "start": at(WEDNESDAY).isoformat()})
    assert found.status_code == 200
    assert f'value="{earlier.patient_id}"' in text(found)

    response = desk.post(course_url(clinic, week=WEDNESDAY),
                         data={"action": "book", "start": at(WEDNESDAY).isoformat(),
                               "patient": str(earlier.patient_id)})
    page = text(response)
    assert response.status_code == 200, page
    course = db.session.execute(select(Course)).scalar_one()
    assert course.patient_id == earlier.patient_id
    assert course.sessions_count == 5
    assert local_days(course) == COURSE_DAYS  # the weekend skipped
    assert {a.starts_at.astimezone(KYIV).time() for a in course.appointments} == {time(10)}
    assert [a.course_day for a in course.appointments] == [1, 2, 3, 4, 5]
    assert {a.source for a in course.appointments} == {"staff"}
    assert all(a.resource_id is not None for a in course.appointments)
    assert count(Patient) == patients
    assert course.reference in page
    assert "Awaiting clinician review" in page
    assert "Day 5 of 5" in page


def test_a_new_patient_course_shows_the_reference_and_the_manage_link_once(clinic, desk):
    response = desk.post(course_url(clinic, week=WEDNESDAY), data=new_patient(at(WEDNESDAY)))
    page = text(response)
    assert response.status_code == 200, page
    course = db.session.execute(select(Course)).scalar_one()
    patient = db.session.get(Patient, course.patient_id)
    assert (patient.full_name, patient.phone) == ("Oksana Caller", "+380671112233")
    assert db.session.execute(select(Consent).where(Consent.patient_id == patient.id)).scalar_one()
    assert local_days(course) == COURSE_DAYS
    assert course.reference in page
    assert response.headers["Cache-Control"] == "no-store"

    link = re.search(r'value="(http://localhost/manage/[^"]+)"', page).group(1)
    token = link.rsplit("/", 1)[1]
    assert manage_links.hash_token(token) == course.manage_token_hash
    assert token not in text(desk.get(f"/staff/desk/courses/{course.id}"))
    assert not any(token in str(e.details) for e in db.session.execute(
        select(AuditEvent)).scalars())


def test_a_new_patient_without_the_callers_consent_gets_422_and_nothing_is_stored(clinic, desk):
    response = desk.post(course_url(clinic, week=WEDNESDAY),
                         data=new_patient(at(WEDNESDAY), consent=False))
    page = text(response)
    assert response.status_code == 422
    assert "ask the caller whether they agree" in page
    assert 'value="Oksana Caller"' in page
    assert (count(Course), count(Appointment), count(Patient)) == (0, 0, 0)


def test_a_blocked_day_gives_409_naming_it_offers_alternatives_and_stores_nothing(clinic, desk):
    book_consultation(clinic, at(NEXT_MONDAY))  # the doctor is busy on day 4 at 10:00
    appointments, patients = count(Appointment), count(Patient)

    response = desk.post(course_url(clinic, week=WEDNESDAY), data=new_patient(at(WEDNESDAY)))
    page = text(response)
    assert response.status_code == 409, page
    assert "Monday, 14 December" in page
    assert "not free" in page
    alternatives = re.findall(r'type="radio" name="start" id="start-\d+" value="([^"]+)"', page)
    assert alternatives
    assert at(WEDNESDAY).isoformat() not in alternatives
    assert 'value="Oksana Caller"' in page  # what was typed is kept
    assert (count(Course), count(Appointment), count(Patient)) == (0, appointments, patients)

    # Picking an alternative books it.
    retry = desk.post(course_url(clinic, week=WEDNESDAY), data=new_patient(
        datetime.fromisoformat(alternatives[0])))
    assert retry.status_code == 200, text(retry)
    assert count(Course) == 1


def test_a_weekend_start_gives_422(clinic, desk):
    saturday = date(2026, 12, 12)
    response = desk.post(course_url(clinic, week=saturday), data=new_patient(at(saturday)))
    assert response.status_code == 422
    assert count(Course) == 0


def test_booking_without_choosing_a_patient_gives_422(clinic, desk):
    response = desk.post(course_url(clinic, week=WEDNESDAY),
                         data={"action": "book", "start": at(WEDNESDAY).isoformat(),
                               "patient": ""})
    assert response.status_code == 422
    assert "Please choose a patient" in text(response)
    assert count(Course) == 0


# --- One course, the same everywhere ------------------------------------------------------------

def test_the_day_view_shows_course_day_1_of_5_linking_to_the_course_page(booked_course, desk):
    course = booked_course()
    response = desk.get("/staff/calendar?day=2026-12-09")
    assert "Course day 1 of 5" in text(response)
    assert f"/staff/desk/courses/{course.id}" in links(response)

    assert "Course day 4 of 5" in text(desk.get("/staff/calendar?day=2026-12-14"))
    week = desk.get("/staff/calendar/week?week=2026-12-07")
    assert "Course day 3 of 5" in text(week)
    assert f"/staff/desk/courses/{course.id}" in links(week)


def test_the_appointment_and_patient_pages_show_the_course(booked_course, desk):
    course = booked_course()
    second = course.appointments[1]
    appointment = desk.get(f"/staff/appointments/{second.id}")
    assert "Course day 2 of 5" in text(appointment)
    assert f"/staff/desk/courses/{course.id}" in links(appointment)

    patient = desk.get(f"/staff/patients/{course.patient_id}")
    page = text(patient)
    assert "Treatment courses" in page
    assert course.reference in page
    assert "Ketamine infusion course" in page
    assert "9 Dec 2026 – 15 Dec 2026" in page
    assert "Awaiting clinician review" in page
    assert "Course day 5 of 5" in page
    assert f"/staff/desk/courses/{course.id}" in links(patient)


def test_the_course_page_shows_patient_sessions_and_status_in_words(booked_course, desk):
    course = booked_course()
    response = desk.get(f"/staff/desk/courses/{course.id}")
    page = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for expected in ("Test Patient", "+380501234567", "patient@example.com",
                     "Ketamine infusion course", "Dr Iryna Bondar", "Awaiting clinician review",
                     course.reference, "Intake: not started", "Wednesday, 9 December 2026",
                     "Tuesday, 15 December 2026"):
        assert expected in page, expected
    for n in range(1, 6):
        assert f"Day {n} of 5" in page
    hrefs = links(response)
    for appointment in course.appointments:
        assert f"/staff/appointments/{appointment.id}" in hrefs
        assert f"/staff/appointments/{appointment.id}/reschedule" in hrefs  # move one session


@pytest.mark.parametrize("status, words", [("confirmed", "Confirmed"),
                                           ("declined", "Declined"),
                                           ("completed", "Completed")])
def test_the_course_status_is_said_in_words(booked_course, desk, status, words):
    course = booked_course()
    course.status = status
    db.session.commit()
    assert words in text(desk.get(f"/staff/desk/courses/{course.id}"))


def test_an_unknown_course_is_404(clinic, desk):
    assert desk.get("/staff/desk/courses/999").status_code == 404
    assert desk.post("/staff/desk/courses/999/cancel",
                     data={"cancelled_by": "clinic", "reason": "x"}).status_code == 404
    assert desk.get("/staff/desk/courses/999/move").status_code == 404


def test_the_desk_course_page_shows_no_clinical_content(app, booked_course, staff_client):
    course = booked_course()
    first = course.appointments[0]
    db.session.add(InfusionSession(
        appointment_id=first.id, course_id=course.id, course_day=1,
        started_at=first.starts_at + timedelta(minutes=5),
        ended_at=first.ends_at - timedelta(minutes=5), dosing_weight_kg=Decimal("72.5"),
        pain_before=8, pain_after=3, total_dose_mg=Decimal("43.75"),
        stop_reason="Dissociation scale rising", alert=True,
        alert_reasons=["Systolic 182 above 180"]))
    course.review_note = "Glaucoma history, pressure controlled"
    course.status = "confirmed"
    db.session.commit()
    app.config["FROZEN_NOW"] = at(date(2026, 12, 10), "09:00")  # day 1 was held
    desk = staff_client("receptionist")

    responses = [desk.get(url) for url in (
        f"/staff/desk/courses/{course.id}", f"/staff/desk/courses/{course.id}/move",
        f"/staff/appointments/{first.id}", f"/staff/patients/{course.patient_id}",
        "/staff/calendar?day=2026-12-09")]
    assert [r.status_code for r in responses] == [200] * 5
    assert "Course day 1 of 5" in text(responses[-1])
    for page in map(text, responses):
        for clinical in ("72.5", "43.75", "Dissociation", "Systolic", "Glaucoma", "pain",
                         "Pain", "dose", "/staff/sessions", "/staff/courses/"):
            assert clinical not in page, clinical


# --- Cancelling and moving the rest --------------------------------------------------------------

def test_cancel_the_rest_of_a_course(app, booked_course, staff_client):
    course = booked_course()
    app.config["FROZEN_NOW"] = at(date(2026, 12, 10), "09:00")  # day 1 is over
    desk = staff_client("receptionist")

    response = desk.post(f"/staff/desk/courses/{course.id}/cancel",
                         data={"cancelled_by": "patient", "reason": "Travelling abroad"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/desk/courses/{course.id}")
    stored = fresh_course(course.id)
    assert [a.status for a in stored.appointments] == ["booked"] + ["cancelled"] * 4
    assert {a.cancelled_by for a in stored.appointments[1:]} == {"patient"}
    assert stored.appointments[1].cancel_reason == "Travelling abroad"
    page = text(desk.get(f"/staff/desk/courses/{course.id}"))
    assert "were cancelled" in page
    assert "Remaining sessions cancelled" in page  # the history


def test_cancelling_every_session_cancels_the_course(booked_course, desk):
    course = booked_course()
    desk.post(f"/staff/desk/courses/{course.id}/cancel",
              data={"cancelled_by": "clinic", "reason": "Doctor ill"})
    stored = fresh_course(course.id)
    assert stored.status == "cancelled"
    assert {a.cancelled_by for a in stored.appointments} == {"clinic"}
    page = text(desk.get(f"/staff/desk/courses/{course.id}"))
    assert "Cancel the remaining sessions" not in page
    # Nothing left: a second cancel is refused.
    again = desk.post(f"/staff/desk/courses/{course.id}/cancel",
                      data={"cancelled_by": "clinic", "reason": "Twice"})
    assert again.status_code == 422
    assert "no longer active" in text(again)


def test_cancel_needs_who_asked_and_a_reason(booked_course, desk):
    course = booked_course()
    response = desk.post(f"/staff/desk/courses/{course.id}/cancel", data={"reason": ""})
    page = text(response)
    assert response.status_code == 422
    assert "Please say who asked to cancel." in page
    assert "Please give a reason." in page
    assert {a.status for a in fresh_course(course.id).appointments} == {"booked"}


def test_move_the_rest_of_a_course(booked_course, desk):
    course = booked_course()
    response = desk.get(f"/staff/desk/courses/{course.id}/move?week=2026-12-14")
    page = text(response)
    assert response.status_code == 200
    assert 'value="2026-12-16T10:00:00+02:00"' in page
    assert "Wed 16, Thu 17, Fri 18, Mon 21, Tue 22 December" in page
    assert 'value="2026-12-09T10:00:00+02:00"' not in page  # not where it is now

    moved = desk.post(f"/staff/desk/courses/{course.id}/move",
                      data={"start": at(date(2026, 12, 16)).isoformat(), "week": "2026-12-14"})
    assert moved.status_code == 303
    assert moved.headers["Location"].endswith(f"/staff/desk/courses/{course.id}")
    stored = fresh_course(course.id)
    assert local_days(stored) == [date(2026, 12, d) for d in (16, 17, 18, 21, 22)]
    assert [a.course_day for a in stored.appointments] == [1, 2, 3, 4, 5]
    page = text(desk.get(f"/staff/desk/courses/{course.id}"))
    assert "now starts on Wednesday, 16 December 2026, 10:00" in page
    assert "Remaining sessions moved" in page  # the history


def test_the_rest_moves_onto_its_own_later_days_at_the_same_time(booked_course, desk):
    course = booked_course()
    moved = desk.post(f"/staff/desk/courses/{course.id}/move",
                      data={"start": at(NEXT_MONDAY).isoformat(), "week": "2026-12-14"})
    assert moved.status_code == 303
    assert local_days(fresh_course(course.id)) == [date(2026, 12, d)
                                                   for d in (14, 15, 16, 17, 18)]


def test_the_rest_moves_after_the_sessions_already_held(app, booked_course, staff_client):
    course = booked_course()
    app.config["FROZEN_NOW"] = at(date(2026, 12, 10), "09:00")  # day 1 held
    desk = staff_client("receptionist")
    page = text(desk.get(f"/staff/desk/courses/{course.id}/move?week=2026-12-07"))
    assert "4 sessions, from Thursday, 10 December 2026, 10:00" in page
    assert 'value="2026-12-10T11:00:00+02:00"' in page  # the same day, another time
    assert 'value="2026-12-09T' not in page

    moved = desk.post(f"/staff/desk/courses/{course.id}/move",
                      data={"start": at(date(2026, 12, 11), "12:00").isoformat()})
    assert moved.status_code == 303
    stored = fresh_course(course.id)
    assert local_days(stored) == [date(2026, 12, d) for d in (9, 11, 14, 15, 16)]
    assert stored.appointments[0].starts_at == at(WEDNESDAY)


def test_moving_the_rest_onto_a_blocked_day_gives_409_and_keeps_the_times(clinic, booked_course,
                                                                          desk):
    course = booked_course()
    book_consultation(clinic, at(date(2026, 12, 17), "15:00"))
    response = desk.post(f"/staff/desk/courses/{course.id}/move",
                         data={"start": at(NEXT_MONDAY, "15:00").isoformat()})
    page = text(response)
    assert response.status_code == 409, page
    assert "Thursday, 17 December" in page
    assert re.search(r'type="radio" name="start" id="start-\d+" value="2026-12-', page)
    assert local_days(fresh_course(course.id)) == COURSE_DAYS


def test_moving_without_a_start_gives_422(booked_course, desk):
    course = booked_course()
    response = desk.post(f"/staff/desk/courses/{course.id}/move", data={"week": "2026-12-14"})
    assert response.status_code == 422
    assert "Please pick a new start." in text(response)


def test_one_session_moves_through_the_appointment_page_and_keeps_the_order(booked_course,
                                                                            desk):
    course = booked_course()
    third = course.appointments[2]  # Friday 11
    response = desk.post(f"/staff/appointments/{third.id}/reschedule",
                         data={"start": at(date(2026, 12, 11), "14:00").isoformat()})
    assert response.status_code == 303
    page = text(desk.get(f"/staff/desk/courses/{course.id}"))
    assert "Friday, 11 December 2026, 14:00" in page
    refused = desk.post(f"/staff/appointments/{third.id}/reschedule",
                        data={"start": at(NEXT_MONDAY, "15:00").isoformat()})
    assert refused.status_code == 422  # after day 4: out of order


# --- Who may use these pages ---------------------------------------------------------------------

def test_a_clinician_gets_403_on_the_desk_course_routes(booked_course, staff_client, clinic):
    course = booked_course()
    clinician = staff_client("clinician", practitioner=clinic.doctor)
    for method, url, data in (
            ("GET", course_url(clinic), None),
            ("POST", course_url(clinic, week=WEDNESDAY), new_patient(at(WEDNESDAY))),
            ("GET", f"/staff/desk/courses/{course.id}", None),
            ("POST", f"/staff/desk/courses/{course.id}/cancel",
             {"cancelled_by": "clinic", "reason": "x"}),
            ("GET", f"/staff/desk/courses/{course.id}/move", None),
            ("POST", f"/staff/desk/courses/{course.id}/move",
             {"start": at(NEXT_MONDAY).isoformat()})):
        response = clinician.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
    stored = fresh_course(course.id)
    assert local_days(stored) == COURSE_DAYS
    assert {a.status for a in stored.appointments} == {"booked"}
    assert count(Course) == 1


def test_an_admin_may_use_the_desk_course_pages(booked_course, staff_client):
    course = booked_course()
    admin = staff_client("admin")
    assert admin.get(f"/staff/desk/courses/{course.id}").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(booked_course, client):
    course = booked_course()
    response = client.get(f"/staff/desk/courses/{course.id}")
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("chosen, language", [("en", "en"), (None, "uk")])
def test_a_new_callers_course_is_booked_in_the_language_they_chose(clinic, desk, chosen,
                                                                    language):
    data = new_patient(at(WEDNESDAY)) if chosen is None else new_patient(at(WEDNESDAY), language=chosen)
    response = desk.post(course_url(clinic, week=WEDNESDAY), data=data)
    assert response.status_code == 200, text(response)
    db.session.rollback()
    patient = db.session.execute(select(Patient)).scalar_one()
    assert patient.language == language  # Ukrainian unless reception chose otherwise
    emails = db.session.execute(select(OutboxMessage)).scalars().all()
    assert emails and {email.language for email in emails} == {language}
