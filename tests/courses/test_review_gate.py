"""The clinician's review gate of a course: services whose every course a clinician confirms,
and the written reason needed to confirm a course whose intake is not submitted."""
import copy
from datetime import date

import pytest

from booking.courses import services as courses
from booking.extensions import db
from booking.models import Course, OutboxMessage, Resource
from tests.courses.test_course_booking import at, fill_intake, person
from tests.courses.test_session_records import audit_events, text_of
from tests.intake.test_services import ANSWERS


@pytest.fixture
def gated(create_service, create_practitioner):
    """A ketamine course service whose every course a clinician confirms, and its doctor."""
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True,
                             clinician_confirms_courses=True)
    doctor = create_practitioner([service], full_name="Dr Course")
    db.session.add(Resource(name="Chair 1", kind="infusion_chair"))
    db.session.commit()
    return service, doctor


def book(service):
    course, _token = courses.book_course(service_id=service.id, start=at(date(2026, 12, 9)),
                                         sessions=3, patient=person(), consent=True)
    return course


def reload(course_id):
    db.session.rollback()
    return db.session.get(Course, course_id)


def outbox_kinds():
    db.session.rollback()
    return [m.kind for m in db.session.execute(
        db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]


def test_a_clean_intake_leaves_the_course_waiting_when_a_clinician_confirms_every_course(
        gated, staff_client):
    service, doctor = gated
    course = book(service)
    first = min(course.appointments, key=lambda a: a.course_day)
    fill_intake(first, copy.deepcopy(ANSWERS))
    assert reload(course.id).status == "awaiting_review"
    assert audit_events("course.confirm") == []

    clinician = staff_client("clinician", practitioner=doctor)
    text = text_of(clinician.get(f"/staff/intakes/{first.id}"))
    assert "Course awaiting review" in text
    assert "A clinician confirms every course of this service, even when the intake raises " \
           "nothing" in text
    # The intake is submitted: no reason is asked for to confirm it.
    assert "write in the note why it can go ahead without it" not in text


def test_confirming_a_course_without_a_submitted_intake_needs_a_written_reason(
        gated, create_staff):
    service, doctor = gated
    course = book(service)
    clinician = create_staff("doc@example.com", roles=("clinician",), practitioner=doctor)
    for note in ("", "  \n  "):
        with pytest.raises(courses.ReasonRequired) as refused:
            courses.decide(course.id, confirm=True, actor=clinician, note=note)
        assert "please write why the course can go ahead without it" in \
            refused.value.fields["note"]
    refused_course = reload(course.id)
    assert refused_course.status == "awaiting_review" and refused_course.reviewed_at is None
    assert audit_events("course.confirm") == []
    assert outbox_kinds() == ["course_confirmation"]  # nothing told for a refused decision

    courses.decide(course.id, confirm=True, actor=clinician,
                   note="  Intake taken on paper at the consultation. ")
    confirmed = reload(course.id)
    assert confirmed.status == "confirmed"
    assert confirmed.review_note == "Intake taken on paper at the consultation."
    [event] = audit_events("course.confirm")
    assert event.details == {"intake_submitted": False, "note_given": True}
    assert event.actor_id == clinician.id


@pytest.mark.parametrize("submitted, confirm, status, action", [
    (False, False, "declined", "course.decline"),    # declining: no reason, intake or not
    (True, True, "confirmed", "course.confirm"),     # a submitted intake: no reason
])
def test_no_reason_is_needed_to_decline_or_to_confirm_after_the_intake(
        gated, create_staff, submitted, confirm, status, action):
    service, doctor = gated
    course = book(service)
    if submitted:
        fill_intake(min(course.appointments, key=lambda a: a.course_day), copy.deepcopy(ANSWERS))
    clinician = create_staff("doc@example.com", roles=("clinician",), practitioner=doctor)
    courses.decide(course.id, confirm=confirm, actor=clinician)
    assert reload(course.id).status == status
    [event] = audit_events(action)
    assert event.details == {"intake_submitted": submitted, "note_given": False}


def test_the_course_page_shows_the_missing_reason_next_to_the_note(gated, staff_client):
    service, doctor = gated
    course = book(service)
    clinician = staff_client("clinician", practitioner=doctor)
    page = text_of(clinician.get(f"/staff/courses/{course.id}"))
    assert "To confirm a course whose intake is not submitted, write in the note why it can " \
           "go ahead without it." in page

    response = clinician.post(f"/staff/courses/{course.id}/decide",
                              data={"decision": "confirm", "note": "   "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="note-error"' in html and 'aria-invalid="true"' in html
    assert "The intake is not submitted: please write why the course can go ahead without " \
           "it." in text_of(response)
    assert reload(course.id).status == "awaiting_review"

    response = clinician.post(f"/staff/courses/{course.id}/decide",
                              data={"decision": "confirm", "note": "Seen today; paper intake."})
    assert response.status_code == 303
    page = text_of(clinician.get(response.headers["Location"]))
    assert "The course is confirmed." in page and "Seen today; paper intake." in page


def test_the_intake_review_asks_for_a_reason_only_while_the_intake_is_missing(
        gated, staff_client):
    service, doctor = gated
    course = book(service)
    first = min(course.appointments, key=lambda a: a.course_day)
    clinician = staff_client("clinician", practitioner=doctor)
    text = text_of(clinician.get(f"/staff/intakes/{first.id}"))
    assert "No intake yet: the patient has not started it." in text
    assert "write in the note why it can go ahead without it" in text
