"""The clinician's pages tied together: the list links each appointment to its intake review,
session record, course page and pain chart; the intake review of a course's session shows the
course, why it waits for a review, and the forms to confirm or decline it; the session and
course pages link back. Receptionists see none of it."""
import copy
import html as html_entities
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.courses import services as courses
from booking.extensions import db
from booking.intake import services as intake
from booking.models import Appointment, Course, Resource
from tests.intake.test_services import ANSWERS

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY = date(2026, 12, 8)
PATIENT_NAME = "Olena Course"


def at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=KYIV)


def text_of(response):
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.get_data(as_text=True)
    return " ".join(html_entities.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def links_of(response):
    """{visible link text: href} of every link of the page."""
    html = response.get_data(as_text=True)
    found = {}
    for href, inner in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        label = " ".join(re.sub(r"<span class=\"visually-hidden\">.*?</span>", "", inner,
                                flags=re.S).split())
        label = html_entities.unescape(re.sub(r"<[^>]+>", " ", label)).strip()
        found.setdefault(" ".join(label.split()), []).append(html_entities.unescape(href))
    return found


def forms_of(response):
    """The page's POST forms as (action, {field: value}, [(button name, value, text)])."""
    html = response.get_data(as_text=True)
    forms = []
    for action, body in re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>',
                                   html, re.S):
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body))
        for name in re.findall(r'<textarea[^>]*name="([^"]+)"', body):
            fields.setdefault(name, "")
        buttons = [(name, value, " ".join(re.sub(r"<[^>]+>", " ", inner).split()))
                   for name, value, inner in re.findall(
                       r'<button[^>]*name="([^"]+)" value="([^"]*)"[^>]*>(.*?)</button>',
                       body, re.S)]
        forms.append((html_entities.unescape(action), fields, buttons))
    return forms


def decide_form(response, button_text):
    """The form whose button says `button_text`, as a browser would post it."""
    for action, fields, buttons in forms_of(response):
        for name, value, text in buttons:
            if text == button_text:
                return action, {**fields, name: value}
    raise AssertionError(f"no form with a {button_text!r} button")


def reload(model, object_id):
    db.session.rollback()
    return db.session.get(model, object_id)


# --- Fixtures --------------------------------------------------------------------------------

@pytest.fixture
def world(create_service, create_practitioner):
    """A 3-session ketamine course from Tuesday 8 December 10:00 (two chairs, one doctor), its
    intake submitted with glaucoma answered yes on the pre-screen."""
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True)
    consultation = create_service(name="Consultation")
    doctor = create_practitioner([service, consultation], full_name="Dr Infusion")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    course, _token = courses.book_course(
        service_id=service.id, start=at(TUESDAY), sessions=3,
        patient={"full_name": PATIENT_NAME, "email": "olena@example.com",
                 "phone": "+380501234567", "date_of_birth": "1980-01-01"}, consent=True)
    sessions = sorted(course.appointments, key=lambda a: a.course_day)
    first = sessions[0]
    answers = copy.deepcopy(ANSWERS)
    answers["ketamine"]["glaucoma"] = True
    for step in intake.steps_for(first):
        if step != "review":
            intake.save_step(first.id, step, answers[step], language="en")
    intake.submit(first.id, language="en")
    return {"service": service, "consultation": consultation, "doctor": doctor,
            "course_id": course.id, "sessions": [a.id for a in sessions],
            "patient_id": first.patient_id}


@pytest.fixture
def clinician(staff_client, world):
    return staff_client("clinician", practitioner=world["doctor"])


@pytest.fixture
def receptionist(staff_client, world):
    return staff_client("receptionist")


# --- The list --------------------------------------------------------------------------------

def test_the_course_waits_for_a_review_because_of_the_positive_pre_screen(world):
    assert reload(Course, world["course_id"]).status == "awaiting_review"


def test_the_list_shows_the_course_day_and_that_it_awaits_a_review(clinician, world):
    response = clinician.get("/staff/clinician")
    assert response.status_code == 200
    text = text_of(response)
    for day in (1, 2, 3):
        assert f"Course day {day} of 3" in text
    assert "Course awaiting review" in text
    assert "Awaiting a clinician's review" in text


def test_each_list_row_links_to_the_intake_session_record_course_and_pain(app, clinician, world,
                                                                         staff_client):
    links = links_of(clinician.get("/staff/clinician"))
    first, second, third = world["sessions"]
    assert f"/staff/intakes/{first}" in links["Intake review"]
    assert "Session record" not in links  # none of the sessions has started yet

    # Thursday 10:30: the three sessions (Tue, Wed, Thu 10:00) have started.
    app.config["FROZEN_NOW"] = at(date(2026, 12, 10), 10).replace(minute=30)
    later = staff_client("clinician", email="later@example.com", practitioner=world["doctor"])
    links = links_of(later.get(f"/staff/clinician?from={TUESDAY.isoformat()}"))
    assert {f"/staff/sessions/{s}" for s in world["sessions"]} <= set(links["Session record"])
    assert links["Course page"] == [f"/staff/courses/{world['course_id']}"] * 3
    assert f"/staff/patients/{world['patient_id']}/pain" in links["Pain over time"]


def test_a_plain_appointment_has_no_session_record_or_course_link(clinician, world,
                                                                   patient_details):
    from booking.scheduler import services as booking
    plain, _token = booking.book(service_id=world["consultation"].id, start=at(TUESDAY, 14),
                                 patient=patient_details, consent=True,
                                 practitioner_id=world["doctor"].id)
    links = links_of(clinician.get("/staff/clinician"))
    assert f"/staff/intakes/{plain.id}" in links["Intake review"]
    assert f"/staff/sessions/{plain.id}" not in links.get("Session record", [])
    assert f"/staff/patients/{plain.patient_id}/pain" in links["Pain over time"]
    assert len(links["Course page"]) == 3  # the course's sessions only


def test_a_course_awaiting_review_is_listed_after_urgent_intakes_and_before_the_rest(
        clinician, world, patient_details):
    from booking.scheduler import services as booking
    # Earlier than the course on the same day, an ordinary appointment; later in the week, an
    # urgent intake that is not reviewed yet.
    calm, _ = booking.book(service_id=world["consultation"].id, start=at(date(2026, 12, 7), 14),
                           patient={**patient_details, "full_name": "Early Calm",
                                    "email": "calm@example.com"},
                           consent=True, practitioner_id=world["doctor"].id)
    urgent, _ = booking.book(service_id=world["consultation"].id, start=at(date(2026, 12, 11)),
                             patient={**patient_details, "full_name": "Late Urgent",
                                      "email": "urgent@example.com"},
                             consent=True, practitioner_id=world["doctor"].id)
    answers = copy.deepcopy(ANSWERS)
    answers["questionnaires"]["phq9_9"] = 1
    for step in intake.steps_for(urgent):
        if step != "review":
            intake.save_step(urgent.id, step, answers[step], language="en")
    intake.submit(urgent.id, language="en")

    text = text_of(clinician.get("/staff/clinician"))
    assert text.index("Late Urgent") < text.index("Course awaiting review") \
        < text.index("Early Calm")
    # The course is lifted once (its first session); its other days stay in time order.
    assert text.count("Course awaiting review") == 3
    assert text.index("Course day 1 of 3") < text.index("Early Calm") \
        < text.index("Course day 2 of 3")


# --- The intake review -----------------------------------------------------------------------

def test_the_intake_review_shows_the_course_and_names_glaucoma_as_the_reason(clinician, world):
    first = world["sessions"][0]
    response = clinician.get(f"/staff/intakes/{first}")
    assert response.status_code == 200
    text = text_of(response)
    course = reload(Course, world["course_id"])
    assert "Treatment course" in text
    assert text.index("Treatment course") < text.index("Red flags")  # near the top
    assert course.reference in text
    assert "Course day 1 of 3" in text
    assert "Day 1 of 3: Tuesday, 8 December 2026, 10:00 –11:00 · Booked (this appointment)" \
        in text
    assert "Day 3 of 3: Thursday, 10 December 2026, 10:00 –11:00 · Booked" in text
    assert "Awaiting a clinician's review" in text
    assert "Why it waits for a review" in text
    assert "Ketamine pre-screen answered yes: Glaucoma or raised eye pressure." in text
    links = links_of(response)
    assert links["Course page"] == [f"/staff/courses/{world['course_id']}"]
    assert f"/staff/patients/{world['patient_id']}/pain" in links["Pain over time"]


def test_a_course_without_an_intake_waits_for_it_in_words(clinician, world):
    other, _token = courses.book_course(
        service_id=world["service"].id, start=at(TUESDAY, 13), sessions=3,
        patient={"full_name": "Ivan Nointake", "email": "ivan@example.com",
                 "phone": "+380501234569", "date_of_birth": "1975-03-03"}, consent=True)
    first = min(other.appointments, key=lambda a: a.course_day)
    text = text_of(clinician.get(f"/staff/intakes/{first.id}"))
    assert "Course awaiting review" in text
    assert "No intake yet: the patient has not started it." in text
    assert "Glaucoma" not in text  # the other patient's reason is not this course's


def test_the_intake_review_has_confirm_and_decline_forms_with_a_labelled_note(clinician, world):
    response = clinician.get(f"/staff/intakes/{world['sessions'][0]}")
    html = response.get_data(as_text=True)
    decide = f"/staff/courses/{world['course_id']}/decide"
    confirm_action, confirm = decide_form(response, "Confirm the course")
    decline_action, decline = decide_form(response, "Decline the course")
    assert confirm_action == decline_action == decide
    assert confirm["decision"] == "confirm" and decline["decision"] == "decline"
    assert "note" in confirm and "note" in decline
    for field_id in ("course-confirm-note", "course-decline-note"):
        assert f'<label class="label" for="{field_id}">Note (optional)</label>' in html
        assert re.search(rf'<textarea[^>]*id="{field_id}"[^>]*maxlength="2000"', html)


def test_a_later_session_of_the_course_links_to_the_intake_of_day_1(clinician, world):
    first, second, _third = world["sessions"]
    response = clinician.get(f"/staff/intakes/{second}")
    text = text_of(response)
    assert "There is no intake for this appointment" in text
    assert "Course day 2 of 3" in text
    assert "Glaucoma or raised eye pressure" in text  # why the course waits
    assert links_of(response)["Intake review of day 1"] == [f"/staff/intakes/{first}"]


def test_confirming_from_the_intake_review_confirms_the_course(clinician, world):
    review = f"/staff/intakes/{world['sessions'][0]}"
    action, data = decide_form(clinician.get(review), "Confirm the course")
    response = clinician.post(action, data={**data, "note": "Eye pressure checked by the GP."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/courses/{world['course_id']}")
    course = reload(Course, world["course_id"])
    assert course.status == "confirmed"
    assert course.review_note == "Eye pressure checked by the GP."

    again = clinician.get(review)
    text = text_of(again)
    assert "Confirmed" in text and "Eye pressure checked by the GP." in text
    assert "Why it waits for a review" not in text and "Course awaiting review" not in text
    assert "Confirm the course" not in text and "Decline the course" not in text
    assert f"/staff/courses/{world['course_id']}/decide" not in again.get_data(as_text=True)


def test_declining_from_the_intake_review_frees_the_sessions(clinician, world):
    action, data = decide_form(clinician.get(f"/staff/intakes/{world['sessions'][0]}"),
                               "Decline the course")
    assert clinician.post(action, data=data).status_code == 303
    assert reload(Course, world["course_id"]).status == "declined"
    statuses = db.session.execute(select(Appointment.status).where(
        Appointment.course_id == world["course_id"])).scalars().all()
    assert statuses == ["cancelled"] * 3
    # The times are free again: the same course can be booked from the same start.
    course, _token = courses.book_course(
        service_id=world["service"].id, start=at(TUESDAY), sessions=3,
        patient={"full_name": "Next Patient", "email": "next@example.com",
                 "phone": "+380501234568", "date_of_birth": "1985-01-01"}, consent=True)
    assert len(course.appointments) == 3
    text = text_of(clinician.get(f"/staff/intakes/{world['sessions'][0]}"))
    assert "Declined" in text and "Decline the course" not in text


# --- The session and course pages link back ---------------------------------------------------

def test_the_course_page_links_to_the_first_intake_and_the_pain_chart(clinician, world):
    links = links_of(clinician.get(f"/staff/courses/{world['course_id']}"))
    assert links["Intake review"] == [f"/staff/intakes/{world['sessions'][0]}"]
    response = clinician.get(links["Pain over time"][0])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/patients/{world['patient_id']}/pain")


def test_a_session_record_links_to_the_courses_intake_and_the_pain_chart(clinician, world):
    links = links_of(clinician.get(f"/staff/sessions/{world['sessions'][2]}"))
    intake_link = clinician.get(links["Intake review"][0])
    assert intake_link.status_code == 302
    assert intake_link.headers["Location"].endswith(f"/staff/intakes/{world['sessions'][0]}")
    pain = clinician.get(links["Pain over time"][0])
    assert pain.headers["Location"].endswith(f"/staff/patients/{world['patient_id']}/pain")
    assert clinician.get(pain.headers["Location"]).status_code == 200


def test_the_link_pages_of_an_unknown_course_or_appointment_are_not_found(clinician, world):
    assert clinician.get("/staff/courses/999/intake").status_code == 404
    assert clinician.get("/staff/intakes/999/pain").status_code == 404


# --- Receptionists ---------------------------------------------------------------------------

def test_a_receptionist_gets_403_and_never_the_courses_reasons(receptionist, world):
    first = world["sessions"][0]
    for path in (f"/staff/intakes/{first}", f"/staff/courses/{world['course_id']}",
                 f"/staff/courses/{world['course_id']}/intake", f"/staff/intakes/{first}/pain",
                 "/staff/clinician"):
        response = receptionist.get(path)
        assert response.status_code == 403, path
        assert "laucoma" not in response.get_data(as_text=True), path
    response = receptionist.post(f"/staff/courses/{world['course_id']}/decide",
                                 data={"decision": "confirm"})
    assert response.status_code == 403
    assert reload(Course, world["course_id"]).status == "awaiting_review"


def test_the_reception_pages_of_the_course_name_no_pre_screen_item(receptionist, world):
    first = world["sessions"][0]
    for path in ("/staff/calendar?day=2026-12-08", f"/staff/appointments/{first}"):
        response = receptionist.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert PATIENT_NAME in body
        assert "laucoma" not in body and "pre-screen" not in body, path
