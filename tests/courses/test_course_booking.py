"""Booking a course as one unit; moving and cancelling its sessions; the review gate."""
import copy
import threading
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.courses import services as courses
from booking.extensions import db
from booking.intake import services as intake
from booking.models import Appointment, Closure, Course, Resource
from booking.scheduler import services as booking
from booking.scheduler import booking_errors, manage_links
from tests.intake.test_services import ANSWERS

KYIV = ZoneInfo("Europe/Kyiv")


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def person(n=1):
    return {"full_name": f"Course Patient {n}", "email": f"course{n}@example.com",
            "phone": "+380501234567", "date_of_birth": "1980-01-01"}


def count(model):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def course_service(create_service, create_practitioner):
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True)
    doctor = create_practitioner([service], full_name="Dr Course")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    return service, doctor


def local_days(course):
    return [a.starts_at.astimezone(KYIV).strftime("%a %d") for a in course.appointments]


def test_a_five_day_course_from_wednesday_skips_the_weekend(course_service):
    service, _ = course_service
    course, token = courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)),
                                        sessions=5, patient=person(), consent=True)
    assert local_days(course) == ["Wed 09", "Thu 10", "Fri 11", "Mon 14", "Tue 15"]
    assert [a.course_day for a in course.appointments] == [1, 2, 3, 4, 5]
    assert {a.starts_at.astimezone(KYIV).hour for a in course.appointments} == {10}
    assert all(a.resource_id is not None for a in course.appointments)
    assert course.status == "awaiting_review"
    assert manage_links.appointment_by_token(token).course_day == 1


def test_a_clinic_holiday_is_skipped(course_service):
    service, _ = course_service
    db.session.add(Closure(starts_at=at(date(2026, 12, 14), 0), ends_at=at(date(2026, 12, 15), 0),
                           reason="Holiday"))
    db.session.commit()
    course, _ = courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)),
                                    sessions=5, patient=person(), consent=True)
    assert local_days(course) == ["Wed 09", "Thu 10", "Fri 11", "Tue 15", "Wed 16"]


def test_a_blocked_day_is_named_nothing_is_booked_and_nearest_starts_are_offered(
        course_service, create_service):
    service, doctor = course_service
    other = create_service(name="Consultation", duration_minutes=60)
    doctor.services.append(other)
    db.session.commit()
    booking.book(service_id=other.id, start=at(date(2026, 12, 14)), patient=person(9),
                 consent=True)  # Monday 10:00 taken
    with pytest.raises(courses.CourseDoesNotFit) as refused:
        courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)), sessions=5,
                            patient=person(), consent=True)
    assert refused.value.blocked.blocking == (date(2026, 12, 14),)
    assert "Mon 14 Dec" in refused.value.message
    assert refused.value.status == 409
    assert refused.value.alternatives
    for option in refused.value.alternatives:
        assert len(option.slots) == 5
    assert count(Course) == 0
    assert count(Appointment) == 1  # only the consultation


def test_a_course_that_never_fits_is_422(course_service):
    service, _ = course_service
    with pytest.raises(booking_errors.SlotNotBookable):  # Saturday
        courses.book_course(service_id=service.id, start=at(date(2026, 12, 12)), sessions=3,
                            patient=person(), consent=True)


def test_session_count_must_be_within_the_service_limits(course_service):
    service, _ = course_service
    with pytest.raises(booking.InvalidDetails):
        courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)), sessions=8,
                            patient=person(), consent=True)


def test_find_course_starts_lists_only_starts_where_all_sessions_fit(course_service):
    service, _ = course_service
    starts = courses.find_course_starts(service, 5, date(2026, 12, 8), date(2026, 12, 8))
    assert starts[0].start == at(date(2026, 12, 8))
    assert starts[-1].start.astimezone(KYIV).hour == 17  # 17:00 + 1h + 1h observation = 19:00
    assert all(len(s.slots) == 5 for s in starts)


def test_two_racing_courses_give_one_course(app, course_service):
    service, _ = course_service
    service_id = service.id
    barrier = threading.Barrier(2)
    outcomes = []

    def run(n):
        with app.app_context():
            barrier.wait()
            try:
                courses.book_course(service_id=service_id, start=at(date(2026, 12, 9)),
                                    sessions=3, patient=person(n), consent=True,
                                    practitioner_id=None)
                outcomes.append("booked")
            except courses.CourseDoesNotFit:
                outcomes.append("refused")

    threads = [threading.Thread(target=run, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "refused"]
    assert count(Course) == 1


def book_five(service):
    course, _ = courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)),
                                    sessions=5, patient=person(), consent=True)
    return course


def test_moving_one_session_keeps_the_order(course_service):
    service, _ = course_service
    course = book_five(service)
    day2 = course.appointments[1]
    moved = courses.move_session(day2.id, at(date(2026, 12, 10), 14))
    assert moved.starts_at == at(date(2026, 12, 10), 14)
    with pytest.raises(booking_errors.SlotNotBookable):  # day 2 may not move past day 3 (Fri)
        courses.move_session(day2.id, at(date(2026, 12, 14), 10))


def test_a_session_already_held_stays_where_it_was_for_the_patient_and_the_desk(course_service):
    service, _ = course_service
    course = book_five(service)
    day1 = course.appointments[0]
    wednesday_afternoon = at(date(2026, 12, 9), 15)  # day 1 (10:00) is over, day 2 tomorrow
    for by_staff in (False, True):
        with pytest.raises(booking_errors.SlotNotBookable, match="already started"):
            courses.move_session(day1.id, at(date(2026, 12, 9), 18), by_staff=by_staff,
                                 now=wednesday_afternoon)
    db.session.expire_all()
    assert db.session.get(Appointment, day1.id).starts_at == at(date(2026, 12, 9))
    # The sessions still to come can move.
    moved = courses.move_session(course.appointments[1].id, at(date(2026, 12, 10), 14),
                                 now=wednesday_afternoon)
    assert moved.starts_at == at(date(2026, 12, 10), 14)


def test_moving_the_rest_moves_every_remaining_session_or_none(course_service):
    service, _ = course_service
    course = book_five(service)
    moved = courses.move_rest(course.id, at(date(2026, 12, 16), 11))
    assert local_days(moved) == ["Wed 16", "Thu 17", "Fri 18", "Mon 21", "Tue 22"]
    assert {a.starts_at.astimezone(KYIV).hour for a in moved.appointments} == {11}


def test_cancelling_the_rest_frees_every_remaining_session(course_service):
    service, _ = course_service
    course = book_five(service)
    courses.cancel_rest(course.id, reason="Feeling better")
    db.session.expire_all()
    assert {a.status for a in course.appointments} == {"cancelled"}
    assert course.status == "cancelled"
    again = book_five(service)
    assert len(again.appointments) == 5


def fill_intake(appointment, answers):
    for step in intake.steps_for(appointment):
        if step != "review":
            intake.save_step(appointment.id, step, answers[step], language="en")
    intake.submit(appointment.id, language="en")


def test_a_clean_intake_confirms_the_course(course_service):
    service, _ = course_service
    course = book_five(service)
    fill_intake(course.appointments[0], copy.deepcopy(ANSWERS))
    assert course.status == "confirmed"


def test_a_positive_prescreen_keeps_the_course_waiting_until_a_clinician_decides(
        course_service, create_staff):
    service, doctor = course_service
    course = book_five(service)
    answers = copy.deepcopy(ANSWERS)
    answers["ketamine"]["glaucoma"] = True
    fill_intake(course.appointments[0], answers)
    assert course.status == "awaiting_review"
    clinician = create_staff("doc@example.com", roles=["clinician"], practitioner=doctor)
    courses.decide(course.id, confirm=False, actor=clinician, note="Glaucoma: not suitable")
    db.session.expire_all()
    assert course.status == "declined"
    assert {a.status for a in course.appointments} == {"cancelled"}
    assert len(book_five(service).appointments) == 5  # the slots are free again


def test_a_course_books_its_chairs_and_a_single_infusion_cannot_take_the_last_one(
        course_service, create_practitioner, create_service):
    service, _ = course_service
    single = create_service(name="Single infusion", duration_minutes=60, grid_minutes=60,
                            observation_minutes=60, resource_kind="infusion_chair")
    first, second = (create_practitioner([single], full_name=f"Dr {n}") for n in (1, 2))
    book_five(service)  # chair 1 each day 10:00-12:00
    booking.book(service_id=single.id, start=at(date(2026, 12, 9)), patient=person(7),
                 consent=True, practitioner_id=first.id)  # chair 2
    with pytest.raises(booking_errors.SlotTaken):
        booking.book(service_id=single.id, start=at(date(2026, 12, 9), 11), patient=person(8),
                     consent=True, practitioner_id=second.id)
