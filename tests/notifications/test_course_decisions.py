"""The patient is told when their held course is confirmed or declined: one message per
decision, queued in the deciding transaction (events course_confirmed / course_declined),
neutral, and in the patient's language."""
import copy
from datetime import timedelta

from booking.courses import services as courses
from booking.extensions import db
from tests.courses.test_course_booking import fill_intake
from tests.intake.test_services import ANSWERS

from .conftest import outbox_rows
from .test_email import book_course, deliver


def clinician_for(create_staff):
    return create_staff("doc@example.com", roles=("clinician",))


def test_a_confirmed_course_is_told_in_one_neutral_email(
        mail_app, smtp_server, runner, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    courses.decide(course.id, confirm=True, actor=clinician_for(create_staff),
                   note="Marker-Note-77 glaucoma checked")
    assert [row.kind for row in outbox_rows()] == ["course_confirmation", "course_confirmed"]
    deliver(runner)
    _booked, notice = smtp_server.received
    assert notice.rcpt_tos == ["course@example.com"]
    assert notice.email["Subject"] == "Your treatment course at Expio is confirmed"
    text = notice.text
    assert "Your treatment course at Expio is confirmed: your sessions go ahead as booked." \
        in text
    for day, label in enumerate(["Wednesday, 9 December 2026", "Thursday, 10 December 2026",
                                 "Friday, 11 December 2026"], start=1):
        assert f"Day {day} of 3: {label}, 10:00-11:00" in text
    assert course.reference in text
    assert "someone who can take you home" in text
    assert "use the link in your confirmation email" in text
    assert notice.calendar is None  # the booking email already put the sessions in a calendar
    everything = notice.everything
    for secret in ("Marker-Note-77", "glaucoma", "Ketamine", "ketamine", "infusion", "/manage/"):
        assert secret not in everything


def test_a_declined_course_is_told_once_with_its_freed_sessions(
        mail_app, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    courses.decide(course.id, confirm=False, actor=clinician_for(create_staff))
    [_booked, notice] = outbox_rows()
    assert notice.kind == "course_change"
    assert "cannot go ahead with your treatment course" in notice.text_body
    assert notice.ics_method == "CANCEL"


def test_a_course_declined_after_its_sessions_began_is_still_told_once(
        mail_app, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    # The clinician decides late: every session has already started, none can be freed.
    for session in course.appointments:
        for name in ("starts_at", "ends_at", "blocks_until", "resource_until"):
            setattr(session, name, getattr(session, name) - timedelta(days=400))
    db.session.commit()
    courses.decide(course.id, confirm=False, actor=clinician_for(create_staff))
    [_booked, notice] = outbox_rows()
    assert notice.kind == "course_declined"
    assert "cannot go ahead with your treatment course at Expio" in notice.text_body
    assert notice.ics is None and "Day 1 of 3" in notice.text_body


def test_a_clean_intake_that_confirms_the_course_tells_the_patient(
        mail_app, course_service):
    course, _token = book_course(course_service, sessions=3)
    first = min(course.appointments, key=lambda a: a.course_day)
    fill_intake(first, copy.deepcopy(ANSWERS))
    assert course.status == "confirmed"
    assert [row.kind for row in outbox_rows()] == ["course_confirmation", "course_confirmed"]


def test_a_course_held_for_a_clinician_is_not_confirmed_by_its_intake(
        mail_app, course_service):
    course_service.clinician_confirms_courses = True
    db.session.commit()
    course, _token = book_course(course_service, sessions=3)
    fill_intake(min(course.appointments, key=lambda a: a.course_day), copy.deepcopy(ANSWERS))
    assert course.status == "awaiting_review"
    assert [row.kind for row in outbox_rows()] == ["course_confirmation"]


def test_the_confirmation_is_written_in_the_patients_language(
        mail_app, course_service, create_staff):
    course, _token = book_course(course_service, sessions=3)
    course.patient.language = "uk"
    db.session.commit()
    courses.decide(course.id, confirm=True, actor=clinician_for(create_staff),
                   note="Intake on paper")
    notice = outbox_rows("course_confirmed")[0]
    assert notice.language == "uk"
    assert "9 грудня 2026" in notice.text_body and "December" not in notice.text_body
