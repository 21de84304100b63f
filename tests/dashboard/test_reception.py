"""The reception desk: calendar (day and week), booking callers, appointments, patients.

"Now" is Monday 7 December 2026, 09:00 in Kyiv (conftest.NOW). Every change goes through the
booking services, so these tests look at what a receptionist sees and at what was stored.
"""
import copy
import re
from datetime import date, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.intake import services as intake
from booking.models import (
    Appointment,
    AuditEvent,
    Closure,
    Consent,
    Patient,
    QuestionnaireResponse,
)
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes, attendance, manage_links
from tests.conftest import NOW, PATIENT
from tests.dashboard.helpers import at, count, links, new_patient, text
from tests.intake.test_services import ANSWERS

MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)


# --- Helpers ----------------------------------------------------------------------------------

def fresh(model, object_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, object_id)


def book_url(clinic, practitioner=None, service=None, day=TUESDAY):
    practitioner = practitioner or clinic.olena
    service = service or clinic.service
    return f"/staff/book?service={service.id}&practitioner={practitioner.id}&day={day}"


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service("First consultation", duration_minutes=60)
    phone_only = create_service("Ketamine review", duration_minutes=30, online_bookable=False)
    olena = create_practitioner([service, phone_only], full_name="Dr Olena Kovalenko")
    andrii = create_practitioner([service], full_name="Dr Andrii Melnyk")
    return SimpleNamespace(service=service, phone_only=phone_only, olena=olena, andrii=andrii)


@pytest.fixture
def book(clinic):
    """Book through the same service the desk uses (no request: the actor is the system)."""
    def make(start=at(TUESDAY, "10:00"), practitioner=None, service=None, now=None, **patient):
        appointment, _token = booking.book_by_staff(
            service_id=(service or clinic.service).id, start=start, actor=None,
            practitioner_id=(practitioner or clinic.olena).id,
            patient={**PATIENT, **patient}, consent=True, now=now)
        return appointment
    return make


@pytest.fixture
def desk(staff_client):
    return staff_client("receptionist")


@pytest.fixture
def desk_at(app, staff_client):
    """desk_at(instant): the clock set to `instant` (Kyiv), then a receptionist signs in.
    Book what the test needs first, at NOW (statuses follow time: arrival from an hour before
    the start, a no-show or completion from the start on)."""
    def make(instant):
        app.config["FROZEN_NOW"] = instant.astimezone(timezone.utc)
        return staff_client("receptionist")
    return make


# --- Calendar: the day -------------------------------------------------------------------------

def test_day_view_shows_a_column_per_practitioner_and_each_appointment_in_words(clinic, book,
                                                                                 desk):
    appointment = book()
    intake.save_step(appointment.id, "about", ANSWERS["about"], language="en")

    page = text(desk.get("/staff/calendar?day=2026-12-08"))

    assert "Tuesday, 8 December 2026" in page
    assert page.count('class="cal-col tg-col"') == 2
    assert "Dr Olena Kovalenko" in page and "Dr Andrii Melnyk" in page
    assert "10:00–11:00" in page
    assert "Test Patient" in page
    assert "First consultation" in page
    assert "Booked" in page
    assert "Intake: in progress" in page


def test_the_intake_status_is_said_in_words(clinic, book, desk):
    book()
    assert "Intake: not started" in text(desk.get("/staff/calendar?day=2026-12-08"))


def test_day_view_opens_on_today_in_kyiv(clinic, desk):
    page = text(desk.get("/staff/calendar"))
    assert "Monday, 7 December 2026" in page


def test_day_view_links_to_the_previous_and_next_open_day_and_the_week(clinic, desk):
    hrefs = links(desk.get("/staff/calendar?day=2026-12-07"))
    assert "/staff/calendar?day=2026-12-04" in hrefs  # Friday before
    assert "/staff/calendar?day=2026-12-08" in hrefs
    assert "/staff/calendar/week?week=2026-12-07" in hrefs

    friday = links(desk.get("/staff/calendar?day=2026-12-11"))
    assert "/staff/calendar?day=2026-12-14" in friday  # over the weekend
    assert "/staff/calendar" in friday  # back to today


def test_a_malformed_day_shows_today(clinic, desk):
    response = desk.get("/staff/calendar?day=not-a-day")
    assert response.status_code == 200
    assert "Monday, 7 December 2026" in text(response)


def test_free_times_link_to_the_booking_page_with_practitioner_and_start(clinic, desk):
    hrefs = [h for h in links(desk.get("/staff/calendar?day=2026-12-08"))
             if h.startswith("/staff/book?")]
    query = [parse_qs(urlsplit(h).query.replace("+", "%2B")) for h in hrefs]
    olena_at_ten = [q for q in query if q.get("practitioner") == [str(clinic.olena.id)]
                    and q.get("start") == ["2026-12-08T10:00:00+02:00"]]
    assert olena_at_ten and olena_at_ten[0]["day"] == ["2026-12-08"]

    # Andrii offers one service, so the link lands on the caller's details straight away.
    page = text(desk.get(f"/staff/book?practitioner={clinic.andrii.id}&day=2026-12-08"
                         "&start=2026-12-08T10:00:00%2B02:00"))
    assert "Who is coming?" in page
    assert "Tuesday, 8 December 2026, 10:00" in page


def test_past_times_and_busy_times_offer_no_booking_link(clinic, book, desk):
    book(start=at(TUESDAY, "10:00"))
    last_friday = desk.get("/staff/calendar?day=2026-12-04")
    assert not [h for h in links(last_friday) if "start=" in h]
    assert "Past" in text(last_friday)

    tuesday = [h for h in links(desk.get("/staff/calendar?day=2026-12-08")) if "start=" in h]
    olena = [h for h in tuesday if f"practitioner={clinic.olena.id}&" in h]
    assert not any("2026-12-08T10:00" in h or "2026-12-08T10:30" in h for h in olena)
    assert any("2026-12-08T11:00" in h for h in olena)


def test_closures_show_as_blocked_without_booking_links(clinic, desk):
    db.session.add(Closure(practitioner_id=clinic.olena.id, starts_at=at(TUESDAY, "14:00"),
                           ends_at=at(TUESDAY, "15:00"), reason="Training"))
    db.session.add(Closure(starts_at=at(WEDNESDAY, "10:00"), ends_at=at(WEDNESDAY, "19:00"),
                           reason="Clinic holiday"))
    db.session.commit()

    response = desk.get("/staff/calendar?day=2026-12-08")
    page = text(response)
    assert "Blocked: Training" in page
    olena = [h for h in links(response) if f"practitioner={clinic.olena.id}&" in h]
    andrii = [h for h in links(response) if f"practitioner={clinic.andrii.id}&" in h]
    assert not any("2026-12-08T14:00" in h or "2026-12-08T14:30" in h for h in olena)
    assert any("2026-12-08T14:00" in h for h in andrii)

    wednesday = desk.get("/staff/calendar?day=2026-12-09")
    assert "Clinic holiday" in text(wednesday)
    assert not [h for h in links(wednesday) if "start=" in h]


def test_weekends_say_the_clinic_is_closed(clinic, desk):
    page = text(desk.get("/staff/calendar?day=2026-12-12"))
    assert "closed on this day of the week" in page


# --- Calendar: the week ------------------------------------------------------------------------

def test_week_view_lists_the_weeks_appointments_and_links_to_other_weeks(clinic, book, desk):
    book(start=at(TUESDAY, "10:00"))
    book(start=at(WEDNESDAY, "12:00"), practitioner=clinic.andrii, full_name="Second Person",
         email="second@example.com")

    response = desk.get("/staff/calendar/week?week=2026-12-09")
    page = text(response)
    assert "Week of 7 December 2026" in page
    assert "Test Patient" in page and "Second Person" in page
    assert "Dr Andrii Melnyk" in page
    assert "Intake: not started" in page
    hrefs = links(response)
    assert "/staff/calendar/week?week=2026-11-30" in hrefs
    assert "/staff/calendar/week?week=2026-12-14" in hrefs
    assert "/staff/calendar?day=2026-12-08" in hrefs  # a day opens the day view

    later = text(desk.get("/staff/calendar/week?week=2026-12-14"))
    assert "Week of 14 December 2026" in later
    assert "Test Patient" not in later
    assert "/staff/calendar/week" in links(desk.get("/staff/calendar/week?week=2026-12-14"))


def test_week_view_of_one_practitioner_shows_their_free_times(clinic, book, desk):
    book(start=at(TUESDAY, "10:00"))
    book(start=at(WEDNESDAY, "12:00"), practitioner=clinic.andrii, full_name="Second Person",
         email="second@example.com")

    response = desk.get(f"/staff/calendar/week?week=2026-12-07&practitioner={clinic.olena.id}")
    page = text(response)
    assert "Test Patient" in page
    assert "Second Person" not in page
    assert page.count('class="cal-col"') == 5  # Monday to Friday
    free = [h for h in links(response) if h.startswith("/staff/book?")]
    assert any("start=2026-12-09T12:00:00+02:00" in h for h in free)
    assert all(f"practitioner={clinic.olena.id}" in h for h in free)
    assert f"/staff/calendar/week?week=2026-12-14&practitioner={clinic.olena.id}" in links(
        response)


# --- Booking a caller --------------------------------------------------------------------------

def test_the_booking_page_lists_free_times_of_the_day_with_staff_rules(clinic, book, desk):
    book(start=at(MONDAY, "11:00"))
    page = text(desk.get(book_url(clinic, day=MONDAY)))
    # No online minimum notice at the desk: 10:00 is bookable at 09:00.
    assert "start=2026-12-07T10:00:00%2B02:00" in page
    assert "start=2026-12-07T11:00:00%2B02:00" not in page  # taken


def test_services_not_bookable_online_can_be_chosen_and_booked(clinic, desk):
    page = text(desk.get("/staff/book"))
    assert "Ketamine review" in page
    start = at(TUESDAY, "10:00")
    response = desk.post(book_url(clinic, service=clinic.phone_only), data=new_patient(start))
    assert response.status_code == 200, text(response)
    appointment = db.session.execute(select(Appointment)).scalar_one()
    assert appointment.service_id == clinic.phone_only.id


def test_booking_a_caller_for_an_existing_patient(clinic, book, desk):
    earlier = book(start=at(WEDNESDAY, "10:00"))  # another day: no question (test_desk_booking)
    patients_before = count(Patient)

    found = desk.post(book_url(clinic, clinic.andrii),
                      data={"action": "search", "q": "+380501234567",
                            "start": at(TUESDAY, "12:00").isoformat()})
    assert found.status_code == 200
    assert "Test Patient" in text(found)
    assert f'value="{earlier.patient_id}"' in text(found)

    response = desk.post(book_url(clinic, clinic.andrii),
                         data={"action": "book", "start": at(TUESDAY, "12:00").isoformat(),
                               "patient": str(earlier.patient_id)})
    page = text(response)
    assert response.status_code == 200, page
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id != earlier.id)).scalar_one()
    assert appointment.patient_id == earlier.patient_id
    assert appointment.practitioner_id == clinic.andrii.id
    assert appointment.source == "staff"
    assert appointment.starts_at == at(TUESDAY, "12:00")
    assert count(Patient) == patients_before
    assert appointment.reference in page
    assert "Tuesday, 8 December 2026, 12:00" in page


def test_booking_a_new_patient_shows_the_reference_and_the_manage_link_once(clinic, desk):
    response = desk.post(book_url(clinic), data=new_patient(at(TUESDAY, "11:00")))
    page = text(response)
    assert response.status_code == 200, page
    appointment = db.session.execute(select(Appointment)).scalar_one()
    patient = db.session.get(Patient, appointment.patient_id)
    assert (patient.full_name, patient.phone, patient.email) == (
        "Oksana Caller", "+380671112233", "oksana@example.com")
    assert db.session.execute(select(Consent).where(Consent.patient_id == patient.id)).scalar_one()
    assert appointment.reference in page
    assert response.headers["Cache-Control"] == "no-store"

    link = re.search(r'value="(http://localhost/manage/[^"]+)"', page).group(1)
    token = link.rsplit("/", 1)[1]
    assert manage_links.hash_token(token) == appointment.manage_token_hash
    assert token not in text(desk.get(f"/staff/appointments/{appointment.id}"))
    assert not any(token in str(e.details) for e in db.session.execute(
        select(AuditEvent)).scalars())


def test_any_practitioner_books_the_least_busy_one(clinic, book, desk):
    book(start=at(TUESDAY, "12:00"))  # Olena has one that day
    url = f"/staff/book?service={clinic.service.id}&practitioner=any&day=2026-12-08"
    assert "start=2026-12-08T10:00:00%2B02:00" in text(desk.get(url))
    response = desk.post(url, data=new_patient(at(TUESDAY, "10:00")))
    assert response.status_code == 200
    newest = db.session.execute(
        select(Appointment).order_by(Appointment.id.desc())).scalars().first()
    assert newest.practitioner_id == clinic.andrii.id


def test_a_new_patient_without_the_callers_consent_gets_422_and_keeps_what_was_typed(clinic,
                                                                                     desk):
    response = desk.post(book_url(clinic), data=new_patient(at(TUESDAY, "11:00"), consent=False,
                                                            email="not-an-email"))
    page = text(response)
    assert response.status_code == 422
    assert "ask the caller whether they agree" in page
    assert "email address like name@example.com" in page
    assert 'value="Oksana Caller"' in page
    assert 'value="not-an-email"' in page
    assert count(Appointment) == 0 and count(Patient) == 0


def test_the_same_time_twice_gives_409_with_fresh_times_and_stores_nothing(clinic, desk):
    start = at(TUESDAY, "11:00")
    assert desk.post(book_url(clinic), data=new_patient(start)).status_code == 200
    appointments, patients = count(Appointment), count(Patient)

    response = desk.post(book_url(clinic), data=new_patient(
        start, full_name="Second Caller", email="second@example.com"))
    page = text(response)
    assert response.status_code == 409
    assert "just been taken" in page
    assert 'value="Second Caller"' in page  # typed details kept
    assert 'value="2026-12-08T10:00:00+02:00"' in page  # fresh free times to choose from
    assert 'value="2026-12-08T11:00:00+02:00"' not in page
    assert (count(Appointment), count(Patient)) == (appointments, patients)


@pytest.mark.parametrize("hhmm, day", [("18:30", TUESDAY), ("09:00", TUESDAY),
                                       ("19:00", TUESDAY)])
def test_a_time_outside_opening_hours_gives_422(clinic, desk, hhmm, day):
    response = desk.post(book_url(clinic, day=day), data=new_patient(at(day, hhmm)))
    assert response.status_code == 422
    assert "outside the clinic&#39;s opening hours" in text(response)
    assert count(Appointment) == 0


def test_a_weekend_time_gives_422(clinic, desk):
    saturday = date(2026, 12, 12)
    response = desk.post(book_url(clinic, day=saturday), data=new_patient(at(saturday, "11:00")))
    assert response.status_code == 422
    assert "closed at weekends" in text(response)
    assert count(Appointment) == 0


def test_booking_without_choosing_a_patient_gives_422(clinic, book, desk):
    book()
    response = desk.post(book_url(clinic), data={"action": "book",
                                                 "start": at(TUESDAY, "12:00").isoformat(),
                                                 "patient": ""})
    assert response.status_code == 422
    assert "Please choose a patient" in text(response)
    assert count(Appointment) == 1


def test_the_patient_page_offers_booking_for_that_patient(clinic, book, desk):
    appointment = book()
    page = text(desk.get(f"/staff/book?patient={appointment.patient_id}&service="
                         f"{clinic.service.id}&practitioner={clinic.olena.id}&day=2026-12-08"
                         "&start=2026-12-08T12:00:00%2B02:00"))
    assert f'value="{appointment.patient_id}" checked' in page


# --- One appointment: status, cancel, move, history -------------------------------------------

def test_the_appointment_page_shows_details_and_only_the_allowed_moves(clinic, book, desk_at):
    appointment = book()
    desk = desk_at(at(TUESDAY, "10:05"))
    page = text(desk.get(f"/staff/appointments/{appointment.id}"))
    for expected in ("Test Patient", "+380501234567", "patient@example.com", "First consultation",
                     "Dr Olena Kovalenko", "Tuesday, 8 December 2026, 10:00", "Booked",
                     "Intake: not started", appointment.reference, "by the clinic",
                     "0 times"):
        assert expected in page, expected
    assert 'value="arrived"' in page and 'value="no_show"' in page
    assert 'value="completed"' not in page


def test_arrived_then_completed(clinic, book, desk_at):
    appointment = book()
    desk = desk_at(at(TUESDAY, "10:05"))
    response = desk.post(f"/staff/appointments/{appointment.id}/status",
                         data={"status": "arrived"})
    assert response.status_code == 303
    assert fresh(Appointment, appointment.id).status == "arrived"
    page = text(desk.get(f"/staff/appointments/{appointment.id}"))
    assert "Marked as arrived." in page
    assert 'value="completed"' in page

    desk.post(f"/staff/appointments/{appointment.id}/status", data={"status": "completed"})
    assert fresh(Appointment, appointment.id).status == "completed"


def test_no_show(clinic, book, desk_at):
    appointment = book()
    desk = desk_at(at(TUESDAY, "10:05"))
    desk.post(f"/staff/appointments/{appointment.id}/status", data={"status": "no_show"})
    assert fresh(Appointment, appointment.id).status == "no_show"
    assert "No-show" in text(desk.get("/staff/calendar?day=2026-12-08"))


@pytest.mark.parametrize("status", ["completed", "cancelled", "whatever", ""])
def test_a_move_not_allowed_from_the_current_status_gives_422(clinic, book, desk, status):
    appointment = book()
    response = desk.post(f"/staff/appointments/{appointment.id}/status",
                         data={"status": status})
    assert response.status_code == 422
    assert fresh(Appointment, appointment.id).status == "booked"


STATUS_BUTTON_CASES = [
    # (the clock on Tuesday, for a 10:00 appointment; its status; the buttons offered)
    ("08:59", "booked", []),
    ("09:00", "booked", ["arrived"]),
    ("09:59", "booked", ["arrived"]),
    ("10:00", "booked", ["arrived", "no_show"]),
    ("10:01", "booked", ["arrived", "no_show"]),
    ("09:59", "arrived", ["booked"]),
    ("10:01", "arrived", ["completed", "booked"]),
]


@pytest.mark.parametrize("clock, status, buttons", STATUS_BUTTON_CASES)
def test_status_buttons_are_offered_only_once_the_status_can_be_true(
        clinic, book, desk_at, clock, status, buttons):
    appointment = book()
    if status == "arrived":
        attendance.set_status(appointment.id, "arrived", now=at(TUESDAY, "09:30"))
    desk = desk_at(at(TUESDAY, clock))
    page = text(desk.get(f"/staff/appointments/{appointment.id}"))
    assert re.findall(r'name="status" value="([a-z_]+)"', page) == buttons


def test_a_future_appointment_says_from_when_each_status_can_be_marked(clinic, book, desk):
    appointment = book()
    response = desk.get(f"/staff/appointments/{appointment.id}")
    page = text(response)
    assert 'name="status"' not in page
    assert ("Arrival can be marked from Tuesday, 8 December, 09:00, 60 minutes before the "
            "start.") in page
    assert "A no-show can be marked only once the appointment has started" in page


@pytest.mark.parametrize("status", ["arrived", "no_show"])
def test_a_forged_status_before_its_time_is_refused_and_changes_nothing(clinic, book, desk,
                                                                         status):
    appointment = book()  # Tuesday 10:00; now is Monday 09:00
    response = desk.post(f"/staff/appointments/{appointment.id}/status", data={"status": status})
    assert response.status_code == 422
    error = re.search(r'id="status-error"[^>]*>(.*?)</p>', text(response), re.S)[1]
    assert "can be marked" in error and "Tuesday, 8 December" in error
    assert fresh(Appointment, appointment.id).status == "booked"
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.object_id == appointment.id, AuditEvent.object_type == "appointment")
    ).scalars().all() == ["appointment.create"]
    patient_page = text(desk.get(f"/staff/patients/{appointment.patient_id}"))
    assert re.search(r'id="no-shows">0<', patient_page)


def test_cancelling_with_a_reason_frees_the_time(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    response = desk.post(f"/staff/appointments/{appointment.id}/cancel",
                         data={"cancelled_by": "patient", "reason": "Called: has a cold"})
    assert response.status_code == 303
    cancelled = fresh(Appointment, appointment.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by == "patient"
    assert cancelled.cancel_reason == "Called: has a cold"

    day = desk.get("/staff/calendar?day=2026-12-08")
    olena = [h for h in links(day) if f"practitioner={clinic.olena.id}&" in h]
    assert any("start=2026-12-08T10:00:00+02:00" in h for h in olena)
    assert "Cancelled" in text(day)
    page = text(desk.get(f"/staff/appointments/{appointment.id}"))
    assert "asked by the patient" in page and "Called: has a cold" in page


@pytest.mark.parametrize("data, message", [
    ({"cancelled_by": "patient", "reason": ""}, "Please give a reason."),
    ({"reason": "No reason to say who"}, "Please say who asked to cancel."),
    ({"cancelled_by": "somebody", "reason": "x"}, "Please say who asked to cancel."),
])
def test_cancelling_needs_a_reason_and_who_asked(clinic, book, desk, data, message):
    appointment = book()
    response = desk.post(f"/staff/appointments/{appointment.id}/cancel", data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert fresh(Appointment, appointment.id).status == "booked"


def test_a_cancelled_appointment_cannot_be_cancelled_again(clinic, book, desk):
    appointment = book()
    appointment_changes.cancel_by_staff(appointment.id, "x", cancelled_by="clinic")
    response = desk.post(f"/staff/appointments/{appointment.id}/cancel",
                         data={"cancelled_by": "clinic", "reason": "again"})
    assert response.status_code == 422


def test_the_move_page_offers_a_week_of_free_times_for_any_practitioner_of_the_service(
        clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    response = desk.get(f"/staff/appointments/{appointment.id}/reschedule")
    page = text(response)
    assert response.status_code == 200
    assert "Dr Andrii Melnyk" in page  # may take it over
    assert 'value="2026-12-08T11:00:00+02:00"' in page
    assert 'value="2026-12-08T10:00:00+02:00"' not in page  # its own time

    other = text(desk.get(f"/staff/appointments/{appointment.id}/reschedule?week=2026-12-14"
                          f"&practitioner={clinic.andrii.id}"))
    assert 'value="2026-12-14T10:00:00+02:00"' in other
    assert "Free times of Dr Andrii Melnyk" in other


def test_rescheduling_to_another_time_and_practitioner(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    response = desk.post(f"/staff/appointments/{appointment.id}/reschedule",
                         data={"start": at(WEDNESDAY, "12:00").isoformat(),
                               "practitioner": str(clinic.andrii.id)})
    assert response.status_code == 303
    moved = fresh(Appointment, appointment.id)
    assert moved.starts_at == at(WEDNESDAY, "12:00")
    assert moved.practitioner_id == clinic.andrii.id
    assert moved.reschedule_count == 1
    assert "Moved to Wednesday, 9 December 2026, 12:00 with Dr Andrii Melnyk" in text(
        desk.get(response.headers["Location"]))


def test_rescheduling_can_return_to_the_calendar_it_came_from(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    response = desk.post(f"/staff/appointments/{appointment.id}/reschedule",
                         data={"start": at(TUESDAY, "13:00").isoformat(),
                               "practitioner": str(clinic.olena.id),
                               "next": "/staff/calendar?day=2026-12-08"})
    assert response.headers["Location"].endswith("/staff/calendar?day=2026-12-08")
    evil = desk.post(f"/staff/appointments/{appointment.id}/reschedule",
                     data={"start": at(TUESDAY, "14:00").isoformat(),
                           "practitioner": str(clinic.olena.id), "next": "//evil.example"})
    assert "evil" not in evil.headers["Location"]


def test_rescheduling_onto_a_taken_time_gives_409_and_changes_nothing(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    book(start=at(WEDNESDAY, "12:00"), practitioner=clinic.andrii, full_name="Second Person",
         email="second@example.com")
    response = desk.post(f"/staff/appointments/{appointment.id}/reschedule",
                         data={"start": at(WEDNESDAY, "12:30").isoformat(),
                               "practitioner": str(clinic.andrii.id)})
    assert response.status_code == 409
    assert "just been taken" in text(response)
    unchanged = fresh(Appointment, appointment.id)
    assert (unchanged.starts_at, unchanged.practitioner_id, unchanged.reschedule_count) == (
        at(TUESDAY, "10:00"), clinic.olena.id, 0)


def test_rescheduling_outside_opening_hours_gives_422(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    response = desk.post(f"/staff/appointments/{appointment.id}/reschedule",
                         data={"start": at(TUESDAY, "18:30").isoformat(),
                               "practitioner": str(clinic.olena.id)})
    assert response.status_code == 422
    assert fresh(Appointment, appointment.id).starts_at == at(TUESDAY, "10:00")


def test_every_desk_change_is_audited_and_shown_in_the_history(clinic, desk_at):
    desk = desk_at(at(TUESDAY, "10:45"))  # the arrival can be marked from 10:30 on
    desk.post(book_url(clinic), data=new_patient(at(TUESDAY, "11:00")))
    appointment_id = db.session.execute(select(Appointment.id)).scalar_one()
    desk.post(f"/staff/appointments/{appointment_id}/reschedule",
              data={"start": at(TUESDAY, "11:30").isoformat(),
                    "practitioner": str(clinic.andrii.id)})
    desk.post(f"/staff/appointments/{appointment_id}/status", data={"status": "arrived"})
    desk.post(f"/staff/appointments/{appointment_id}/status", data={"status": "booked"})
    desk.post(f"/staff/appointments/{appointment_id}/cancel",
              data={"cancelled_by": "clinic", "reason": "Doctor ill"})

    db.session.rollback()
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.object_type == "appointment",
                                 AuditEvent.object_id == appointment_id)
        .order_by(AuditEvent.id)).scalars().all()
    assert [e.action for e in events] == [
        "appointment.create", "appointment.reschedule", "appointment.status",
        "appointment.status", "appointment.cancel"]
    assert {e.actor for e in events} == {"receptionist@example.com"}
    assert events[1].details["after"]["practitioner_id"] == clinic.andrii.id

    page = text(desk.get(f"/staff/appointments/{appointment_id}"))
    history = page.split('id="history-title"')[1]
    for expected in ("Booked", "Moved", "Status changed", "Cancelled",
                     "Tuesday, 8 December 2026, 11:00, Dr Olena Kovalenko",
                     "Tuesday, 8 December 2026, 11:30, Dr Andrii Melnyk",
                     "receptionist@example.com", "(by the clinic)"):
        assert expected in history, expected


# --- Patients ----------------------------------------------------------------------------------

@pytest.fixture
def kateryna(book):
    return book(full_name="Kateryna Shevchenko", email="Kateryna.S@example.com",
                phone="+380 67 765 43 21", date_of_birth="1978-11-23")


@pytest.mark.parametrize("query", [
    "Shevchenko", "kateryna", "KATERYNA SHEV",  # name, in part, any case
    "067 765 43 21", "+380677654321", "0677654321", "7654321",  # phone, as typed
    "kateryna.s@example.com", "KATERYNA.S@EXAMPLE.COM", "kateryna.s@",  # email
    "1978-11-23", "23.11.1978",  # date of birth
])
def test_patients_are_found_by_name_phone_email_or_date_of_birth(clinic, book, kateryna, desk,
                                                                  query):
    book(start=at(TUESDAY, "12:00"), full_name="Other Person", email="other@example.com",
         phone="+380501110000", date_of_birth="1990-01-01")
    response = desk.post("/staff/patients", data={"q": query})
    page = text(response)
    assert response.status_code == 200
    assert "Kateryna Shevchenko" in page
    assert "Other Person" not in page
    assert f"/staff/patients/{kateryna.patient_id}" in links(response)


def test_a_search_with_no_match_says_so(clinic, kateryna, desk):
    assert "No patient found." in text(desk.post("/staff/patients", data={"q": "Nobody Here"}))


def test_an_empty_search_gives_422(clinic, desk):
    response = desk.post("/staff/patients", data={"q": " "})
    assert response.status_code == 422
    assert "at least two characters" in text(response)


def test_the_search_form_posts_so_no_names_go_into_urls(clinic, desk):
    page = text(desk.get("/staff/patients"))
    assert re.search(r'<form[^>]+method="post"[^>]+action="/staff/patients"', page)


def test_search_results_stop_at_fifty(clinic, desk):
    for n in range(55):
        db.session.add(Patient(full_name=f"Petrenko {n:02d}", email=f"p{n}@example.com",
                               phone="+380501234567", date_of_birth=date(1980, 1, 1)))
    db.session.commit()
    page = text(desk.post("/staff/patients", data={"q": "Petrenko"}))
    assert page.count("/staff/patients/") == 50
    assert "Only the first 50 are shown" in page


def test_the_patient_page_counts_no_shows_and_late_cancellations(clinic, book, desk):
    month_ago = NOW - timedelta(days=30)
    missed = book(start=at(date(2026, 11, 10), "10:00"), now=month_ago)
    attendance.set_status(missed.id, "no_show")
    # The patient called 10 hours before: a late cancellation (the cut-off is 12 hours).
    late = book(start=at(date(2026, 11, 11), "10:00"), now=month_ago)
    appointment_changes.cancel_by_staff(late.id, "called late", cancelled_by="patient",
                                        now=at(date(2026, 11, 11), "00:00"))
    # Cancelled by the patient two days ahead: not late.
    early = book(start=at(date(2026, 11, 12), "10:00"), now=month_ago)
    appointment_changes.cancel_by_staff(early.id, "called early", cancelled_by="patient",
                                        now=at(date(2026, 11, 10), "10:00"))
    # Cancelled late by the clinic: not the patient's late cancellation.
    by_clinic = book(start=at(date(2026, 11, 13), "10:00"), now=month_ago)
    appointment_changes.cancel_by_staff(by_clinic.id, "doctor ill", cancelled_by="clinic",
                                        now=at(date(2026, 11, 13), "08:00"))
    # More than 12 months ago: neither shown nor counted.
    old = book(start=at(date(2025, 11, 3), "10:00"), now=NOW - timedelta(days=400))
    attendance.set_status(old.id, "no_show")
    coming = book(start=at(TUESDAY, "10:00"))
    # Marked a no-show ahead of time before that was refused (old data): not counted.
    marked_early = book(start=at(WEDNESDAY, "10:00"))
    marked_early.status = "no_show"
    db.session.commit()

    response = desk.get(f"/staff/patients/{coming.patient_id}")
    page = text(response)
    assert response.status_code == 200
    assert re.search(r'id="no-shows">1<', page)
    assert re.search(r'id="late-cancellations">1<', page)
    future = page.split('id="future-title"')[1].split('id="past-title"')[0]
    past = page.split('id="past-title"')[1]
    assert "Tuesday, 8 December 2026, 10:00" in future
    assert "Tuesday, 10 November 2026, 10:00" in past and "No-show" in past
    assert "3 November 2025" not in page
    for expected in ("+380501234567", "patient@example.com", "17 May 1990"):
        assert expected in page


# --- Privacy: no clinical content anywhere at the desk -----------------------------------------

FORBIDDEN = ("zolmitriptan", "propranolol", "moderately_severe", "moderately severe", "moderate",
             "phq", "gad-7", "gad7", "midas", "hit-6", "pulsating", "ivan contact", "score")


def test_no_desk_page_shows_clinical_content(clinic, book, desk):
    appointment = book(start=at(TUESDAY, "10:00"))
    answers = copy.deepcopy(ANSWERS)
    answers["medicines"]["acute"][0]["name"] = "Zolmitriptan-Unique"
    answers["questionnaires"].update({f"phq9_{n}": 2 for n in range(1, 9)})  # 16
    for step in intake.steps_for(appointment):
        if step != "review":
            intake.save_step(appointment.id, step, answers[step], language="en")
    intake.submit(appointment.id, language="en")
    bands = {r.band for r in db.session.execute(select(QuestionnaireResponse)).scalars()}
    assert {"moderately_severe", "moderate"} <= bands  # the intake does hold them

    pages = {
        "day": desk.get("/staff/calendar?day=2026-12-08"),
        "week": desk.get("/staff/calendar/week?week=2026-12-07"),
        "week of one": desk.get(f"/staff/calendar/week?week=2026-12-07"
                                f"&practitioner={clinic.olena.id}"),
        "appointment": desk.get(f"/staff/appointments/{appointment.id}"),
        "move": desk.get(f"/staff/appointments/{appointment.id}/reschedule"),
        "patient": desk.get(f"/staff/patients/{appointment.patient_id}"),
        "search": desk.post("/staff/patients", data={"q": "Test Patient"}),
        "book search": desk.post(book_url(clinic), data={
            "action": "search", "q": "patient@example.com",
            "start": at(TUESDAY, "12:00").isoformat()}),
    }
    for name, response in pages.items():
        page = text(response).lower()
        assert response.status_code == 200, name
        assert "test patient" in page, name
        for word in FORBIDDEN:
            assert word not in page, (name, word)
    assert "Intake: submitted" in text(pages["day"])


# --- Who may open the desk ---------------------------------------------------------------------

def desk_pages(appointment):
    return [
        ("get", "/staff/calendar"), ("get", "/staff/calendar/week"), ("get", "/staff/book"),
        ("get", f"/staff/appointments/{appointment.id}"),
        ("get", f"/staff/appointments/{appointment.id}/reschedule"),
        ("get", "/staff/patients"), ("get", f"/staff/patients/{appointment.patient_id}"),
        ("post", "/staff/patients"),
    ]


@pytest.mark.parametrize("role", ["receptionist", "admin"])
def test_receptionists_and_admins_open_the_desk(clinic, book, staff_client, role):
    appointment = book()
    client = staff_client(role)
    for method, url in desk_pages(appointment):
        data = {"q": "Test"} if method == "post" else None
        assert client.open(url, method=method.upper(), data=data).status_code == 200, url


def test_a_clinician_only_account_is_refused_every_desk_page_and_action(clinic, book,
                                                                        staff_client):
    appointment = book()
    client = staff_client("clinician", practitioner=clinic.olena)
    actions = [("post", f"/staff/appointments/{appointment.id}/status"),
               ("post", f"/staff/appointments/{appointment.id}/cancel"),
               ("post", f"/staff/appointments/{appointment.id}/reschedule"),
               ("post", "/staff/book")]
    for method, url in desk_pages(appointment) + actions:
        assert client.open(url, method=method.upper(), data={"status": "arrived",
                                                             "q": "Test"}).status_code == 403
    assert fresh(Appointment, appointment.id).status == "booked"


def test_signed_out_people_are_sent_to_sign_in(clinic, client):
    response = client.get("/staff/calendar")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/staff/appointments/999", "/staff/appointments/999/reschedule",
                                 "/staff/patients/999"])
def test_unknown_ids_give_404(clinic, desk, url):
    assert desk.get(url).status_code == 404


def test_actions_on_an_unknown_appointment_give_404(clinic, desk):
    assert desk.post("/staff/appointments/999/status", data={"status": "arrived"}
                     ).status_code == 404
    assert desk.post("/staff/appointments/999/cancel", data={"cancelled_by": "clinic",
                                                            "reason": "x"}).status_code == 404
    assert desk.post("/staff/appointments/999/reschedule",
                     data={"start": at(TUESDAY, "12:00").isoformat()}).status_code == 404


def test_desk_pages_are_not_cached(clinic, desk):
    assert desk.get("/staff/calendar").headers["Cache-Control"] == "no-store"


def test_the_calendar_reads_only_the_day_shown(app, clinic, book, desk):
    """Queries bounded by the dates shown: an appointment outside the day is never loaded."""
    from sqlalchemy import event

    book(start=at(date(2026, 12, 14), "10:00"))
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = text(desk.get("/staff/calendar?day=2026-12-08"))
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert "Test Patient" not in page
    appointment_reads = [s for s in statements if "FROM appointment" in s and "starts_at" in s]
    assert appointment_reads and all("appointment.starts_at >=" in s for s in appointment_reads)

