"""The patient's treatment course pages: choose a start where the whole course fits, book it,
then see, move and cancel it through the private link.

"Now" is Monday 7 December 2026, 09:00 in Kyiv (conftest.NOW); online booking needs two hours'
notice and changes close 12 hours before the next session.
"""
import html
import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.courses import services as courses
from booking.extensions import db
from booking.models import Appointment, Course, Patient, Resource
from booking.scheduler import services as booking

KYIV = ZoneInfo("Europe/Kyiv")
MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)
THURSDAY = date(2026, 12, 10)
FRIDAY = date(2026, 12, 11)
NEXT_MONDAY = date(2026, 12, 14)
NEXT_WEDNESDAY = date(2026, 12, 16)


# --- Helpers ----------------------------------------------------------------------------------

def at(day, hhmm="10:00"):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=KYIV)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def plain(response):
    """The page's text without tags, spaces collapsed: what a person reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text(response)))


def links(response):
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"',
                                                        response.get_data(as_text=True))]


def start_links(response):
    """The course starts a page links to step 2, as (start, sessions, practitioner)."""
    found = []
    for href in links(response):
        if "/course/details?" in href:
            query = parse_qs(urlsplit(href).query)
            found.append((datetime.fromisoformat(query["start"][0]), int(query["sessions"][0]),
                          query["practitioner"][0]))
    return found


def offered_radios(response):
    return [datetime.fromisoformat(value) for value in re.findall(
        r'<input[^>]*type="radio" name="start"[^>]*value="([^"]+)"',
        response.get_data(as_text=True))]


def details_url(service_id, start, sessions=5, practitioner="any"):
    return f"/book/{service_id}/course/details?" + urlencode(
        {"start": start.isoformat(), "sessions": sessions, "practitioner": practitioner})


def form_data(details, start, consent=True, **changes):
    data = {**details, "start": start.isoformat(), **changes}
    if consent:
        data["consent"] = "y"
    return data


def count(model):
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def only_course():
    db.session.expire_all()
    return db.session.execute(select(Course)).scalar_one()


def session_starts(course):
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    return [a.starts_at.astimezone(KYIV) for a in course.appointments
            if a.status != "cancelled"]


def set_now(app, instant):
    app.config["FROZEN_NOW"] = instant.astimezone(timezone.utc)


@pytest.fixture
def course_service(create_service, create_practitioner):
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True)
    doctor = create_practitioner([service], full_name="Dr Iryna Course", title="Psychiatrist")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    service.doctor = doctor
    return service


@pytest.fixture
def booked_course(course_service, patient_details):
    """Five sessions from Wednesday 9 December 10:00, booked as the details page does."""
    course, token = courses.book_course(
        service_id=course_service.id, start=at(WEDNESDAY), sessions=5,
        patient=patient_details, consent=True, source="online", language="en")
    return course, token


# --- The home page and the way in ------------------------------------------------------------

def test_home_lists_a_course_with_its_sessions_and_links_to_the_course_page(client,
                                                                          course_service):
    response = client.get("/")

    page = text(response)
    assert "Ketamine infusion course" in page
    assert "3–7 sessions" in page and "60 minutes each" in page
    assert f"/book/{course_service.id}/course" in links(response)


def test_the_slot_page_of_a_course_redirects_to_the_course_page(client, course_service):
    response = client.get(f"/book/{course_service.id}?week=2026-12-14&practitioner=any")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/book/{course_service.id}/course"
    assert parse_qs(location.query) == {"week": ["2026-12-14"], "practitioner": ["any"]}


def test_a_single_service_is_not_redirected(client, create_service, create_practitioner):
    service = create_service("First consultation")
    create_practitioner([service])

    assert client.get(f"/book/{service.id}").status_code == 200


@pytest.mark.parametrize("kind", ["unknown", "single", "inactive", "not_online"])
def test_the_course_pages_are_404_for_anything_but_a_bookable_course(
        client, create_service, create_practitioner, kind):
    fields = {"single": {"is_course": False}, "inactive": {"active": False},
              "not_online": {"online_bookable": False}}.get(kind, {})
    service = create_service(name="Course", grid_minutes=60, **{
        "is_course": True, "min_sessions": 3, "max_sessions": 7, **fields})
    create_practitioner([service])
    service_id = 999 if kind == "unknown" else service.id

    assert client.get(f"/book/{service_id}/course").status_code == 404
    assert client.get(details_url(service_id, at(WEDNESDAY))).status_code == 404


# --- Step 1: where the whole course fits ------------------------------------------------------

def test_the_course_page_lists_starts_with_their_session_days(client, course_service):
    response = client.get(f"/book/{course_service.id}")
    response = client.get(response.headers["Location"])

    page = plain(response)
    assert response.status_code == 200
    assert "7 December – 13 December 2026" in page
    # Five sessions by default; from Wednesday they skip the weekend.
    assert "10:00 · 5 sessions: Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 December" in page
    assert "11:00 · 5 sessions: Mon 7, Tue 8, Wed 9, Thu 10, Fri 11 December" in page
    starts = start_links(response)
    assert (at(WEDNESDAY), 5, "any") in starts
    assert starts[0] == (at(MONDAY, "11:00"), 5, "any")  # today, after two hours' notice
    # 17:00 is the last: the session and its hour of observation end at 19:00.
    assert max(s for s, _n, _p in starts if s.date() == TUESDAY) == at(TUESDAY, "17:00")
    assert "consecutive clinic days" in page
    assert "a clinician reviews your health questionnaire before the course is confirmed" in page


def test_the_number_of_sessions_is_a_labelled_choice_within_the_service_limits(client,
                                                                             course_service):
    page = text(client.get(f"/book/{course_service.id}/course"))

    assert '<label class="label" for="sessions">Number of sessions</label>' in page
    sessions = re.search(r'<select[^>]*id="sessions".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option[^>]*value="(\d)"', sessions) == ["3", "4", "5", "6", "7"]
    assert '<option selected value="5">5</option>' in page
    assert '<label class="label" for="practitioner">Practitioner</label>' in page
    assert re.search(r'<form[^>]*method="get"', page)


def test_the_default_is_the_minimum_when_five_sessions_are_not_allowed(
        client, create_service, create_practitioner):
    service = create_service(name="Short course", grid_minutes=60, is_course=True,
                             min_sessions=3, max_sessions=4)
    create_practitioner([service])

    response = client.get(f"/book/{service.id}/course")

    assert '<option selected value="3">3</option>' in text(response)
    assert "3 sessions: Wed 9, Thu 10, Fri 11 December" in plain(response)


def test_choosing_three_sessions_shows_three_session_days(client, course_service):
    response = client.get(f"/book/{course_service.id}/course?sessions=3&week=2026-12-09")

    assert "10:00 · 3 sessions: Thu 10, Fri 11, Mon 14 December" in plain(response)
    assert {n for _s, n, _p in start_links(response)} == {3}


@pytest.mark.parametrize("sessions", ["2", "8", "many", ""])
def test_a_number_of_sessions_outside_the_limits_falls_back_to_the_default(
        client, course_service, sessions):
    response = client.get(f"/book/{course_service.id}/course?sessions={sessions}")

    assert response.status_code == 200
    assert {n for _s, n, _p in start_links(response)} == {5}


def test_week_navigation_keeps_the_number_of_sessions(client, course_service):
    response = client.get(f"/book/{course_service.id}/course?sessions=4&week=2026-12-16")

    assert "14 December – 20 December 2026" in text(response)
    assert (f"/book/{course_service.id}/course?sessions=4&practitioner=any&week=2026-12-07"
            in links(response))
    assert (f"/book/{course_service.id}/course?sessions=4&practitioner=any&week=2026-12-21"
            in links(response))


def test_a_course_that_crosses_a_month_names_both_months(client, course_service):
    response = client.get(f"/book/{course_service.id}/course?week=2026-12-28")

    assert "10:00 · 5 sessions: Mon 28, Tue 29, Wed 30, Thu 31 December, Fri 1 January" in \
        plain(response)


def test_without_a_week_asked_the_first_week_where_a_course_starts_is_shown(
        app, client, course_service):
    set_now(app, at(FRIDAY, "17:30"))  # nothing can start this week any more

    response = client.get(f"/book/{course_service.id}/course")

    assert "14 December – 20 December 2026" in text(response)
    assert start_links(response)[0][0] == at(NEXT_MONDAY)


def test_a_day_where_the_course_would_be_blocked_offers_no_start_at_that_time(
        client, course_service, create_service, patient_details):
    other = create_service(name="Consultation", duration_minutes=60)
    course_service.doctor.services.append(other)
    db.session.commit()
    booking.book(service_id=other.id, start=at(NEXT_MONDAY), patient=patient_details,
                 consent=True)

    starts = [s for s, _n, _p in start_links(
        client.get(f"/book/{course_service.id}/course?week=2026-12-07"))]

    # Every 10:00 start whose five sessions include Monday 14 is gone; 11:00 is still there.
    for day in (TUESDAY, WEDNESDAY, THURSDAY, FRIDAY):
        assert at(day) not in starts
        assert at(day, "11:00") in starts


# --- Step 2: details and booking ---------------------------------------------------------------

def test_the_details_page_shows_every_session_and_the_details_form(client, course_service):
    page = text(client.get(details_url(course_service.id, at(WEDNESDAY))))

    for number, day in enumerate(["Wednesday, 9 December 2026", "Thursday, 10 December 2026",
                                  "Friday, 11 December 2026", "Monday, 14 December 2026",
                                  "Tuesday, 15 December 2026"], start=1):
        assert re.search(rf"Day {number} of 5</span>\s*<span>{day}, 10:00", page)
    ids = re.findall(r'<input(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', page)
    assert set(ids) == {"full_name", "phone", "email", "date_of_birth", "consent"}
    for input_id in ids:
        assert f'for="{input_id}"' in page


def test_booking_a_course_end_to_end(client, course_service, patient_details):
    course_page = client.get(f"/book/{course_service.id}/course")
    link = next(href for href in links(course_page) if "/course/details?" in href
                and "2026-12-09T10:00:00%2B02:00" in href)
    assert client.get(link).status_code == 200

    booked = client.post(link, data=form_data(patient_details, at(WEDNESDAY)))

    assert booked.status_code == 303
    location = booked.headers["Location"]
    assert re.fullmatch(r"/manage/[A-Za-z0-9_-]{40,}\?new=1", location)
    course = only_course()
    assert [s.strftime("%a %d %H:%M") for s in session_starts(course)] == [
        "Wed 09 10:00", "Thu 10 10:00", "Fri 11 10:00", "Mon 14 10:00", "Tue 15 10:00"]
    assert course.status == "awaiting_review"
    assert course.patient.full_name == "Test Patient"
    assert {a.source for a in course.appointments} == {"online"}

    manage = client.get(location)
    page = text(manage)
    assert manage.status_code == 200
    assert "Your treatment course is booked" in page
    assert f'<p class="reference">{course.reference}</p>' in page
    for number in range(1, 6):
        assert f"Day {number} of 5" in page
    assert "Monday, 14 December 2026, 10:00–11:00" in page
    assert "awaiting clinician review" in page.lower()
    assert ("Your times are held. A clinician will review your questionnaire and confirm the "
            "course; we will contact you.") in page
    assert "Test Patient" not in page and "patient@example.com" not in page


def test_booking_a_chosen_practitioner_books_them(client, course_service, create_practitioner,
                                                  patient_details):
    other = create_practitioner([course_service], full_name="Dr Other")
    url = details_url(course_service.id, at(WEDNESDAY), practitioner=other.id)

    assert "Dr Other" in text(client.get(url))
    assert client.post(url, data=form_data(patient_details, at(WEDNESDAY))).status_code == 303
    assert only_course().practitioner_id == other.id


@pytest.fixture
def blocked_monday(course_service, create_service, patient_details):
    """Another service of the same practitioner takes Monday 14 December 10:00."""
    other = create_service(name="Consultation", duration_minutes=60)
    course_service.doctor.services.append(other)
    db.session.commit()
    booking.book(service_id=other.id, start=at(NEXT_MONDAY),
                 patient={**patient_details, "email": "other@example.com"}, consent=True)


def test_a_blocked_day_is_named_with_409_alternatives_and_the_details_kept(
        client, course_service, blocked_monday, patient_details):
    second = {**patient_details, "full_name": "Second Person", "email": "second@example.com"}

    response = client.post(details_url(course_service.id, at(WEDNESDAY)),
                           data=form_data(second, at(WEDNESDAY)))

    page = text(response)
    assert response.status_code == 409
    assert "The course does not fit at that time: Monday, 14 December is not free." in page
    assert re.search(r'course-session-blocked">\s*<span class="course-day">Day 4 of 5</span>\s*'
                     r"<span>Monday, 14 December 2026, 10:00</span>\s*"
                     r'<strong class="course-not-free">not free</strong>', page)
    offered = offered_radios(response)
    assert offered and at(WEDNESDAY, "11:00") in offered
    assert at(WEDNESDAY) not in offered
    assert "11:00 · 5 sessions: Wed 9, Thu 10, Fri 11, Mon 14, Tue 15 December" in \
        plain(response)
    assert 'value="Second Person"' in page and 'value="second@example.com"' in page
    assert count(Course) == 0 and count(Appointment) == 1

    # They pick the nearest alternative in the same form and press Book again.
    again = client.post(details_url(course_service.id, at(WEDNESDAY)),
                        data=form_data(second, at(WEDNESDAY, "11:00")))
    assert again.status_code == 303
    assert session_starts(only_course())[0] == at(WEDNESDAY, "11:00")
    assert len(session_starts(only_course())) == 5


def test_a_start_that_is_gone_on_the_details_link_goes_back_to_the_course_page(
        client, course_service, blocked_monday):
    response = client.get(details_url(course_service.id, at(WEDNESDAY)))

    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/book/{course_service.id}/course"
    assert "That start is no longer free for the whole course" in text(
        client.get(response.headers["Location"]))


def test_a_race_lost_at_the_database_is_409_and_keeps_the_start_to_try_again(
        client, course_service, patient_details, monkeypatch):
    def lost(**_kwargs):
        raise courses.CourseDoesNotFit("Sorry, that course has just been taken. Please choose "
                                       "another start.", None, [])
    monkeypatch.setattr(courses, "book_course", lost)

    response = client.post(details_url(course_service.id, at(WEDNESDAY)),
                           data=form_data(patient_details, at(WEDNESDAY)))

    page = text(response)
    assert response.status_code == 409
    assert "that course has just been taken" in page
    assert 'name="start" type="hidden" value="2026-12-09T10:00:00+02:00"' in page
    assert 'value="Test Patient"' in page


@pytest.mark.parametrize("field, typed, message", [
    ("email", "not-an-email", "Please enter an email address like name@example.com."),
    ("phone", "12", "Please enter a phone number in international format"),
    ("date_of_birth", "2010-06-01", "Online booking is for adults (18 and over)."),
    ("full_name", "   ", "Please enter your full name."),
])
def test_invalid_details_are_422_next_to_the_field_and_nothing_is_saved(
        client, course_service, patient_details, field, typed, message):
    data = form_data({**patient_details, field: typed}, at(WEDNESDAY))

    response = client.post(details_url(course_service.id, at(WEDNESDAY)), data=data)

    page = text(response)
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1)
    assert 'value="+380501234567"' in page or field == "phone"
    assert "Day 5 of 5" in page  # the course summary stays
    assert count(Course) == 0 and count(Appointment) == 0 and count(Patient) == 0


def test_booking_without_consent_is_refused(client, course_service, patient_details):
    response = client.post(details_url(course_service.id, at(WEDNESDAY)),
                           data=form_data(patient_details, at(WEDNESDAY), consent=False))

    assert response.status_code == 422
    assert 'id="consent-error"' in text(response)
    assert count(Course) == 0


@pytest.mark.parametrize("start, message", [
    (at(date(2026, 12, 12)), "closed at weekends"),
    (at(WEDNESDAY, "08:00"), "outside the clinic's opening hours"),
    (at(MONDAY, "10:00"), "too soon to book online"),
])
def test_a_start_breaking_a_clinic_rule_is_422_with_the_message(
        client, course_service, patient_details, start, message):
    response = client.post(details_url(course_service.id, start),
                           data=form_data(patient_details, start))

    assert response.status_code == 422
    assert message in text(response)
    assert 'value="Test Patient"' in text(response)
    assert count(Course) == 0


def test_a_start_that_never_fits_is_422(client, course_service, patient_details):
    # 18:00 is on the grid and in opening hours, but the hour of observation ends at 20:00.
    response = client.post(details_url(course_service.id, at(WEDNESDAY, "18:00")),
                           data=form_data(patient_details, at(WEDNESDAY, "18:00")))

    assert response.status_code == 422
    assert count(Course) == 0


@pytest.mark.parametrize("query", [
    "sessions=5&practitioner=any",
    "start=tomorrow&sessions=5&practitioner=any",
    "start=2026-12-09T10:00:00%2B02:00&sessions=9&practitioner=any",
    "start=2026-12-09T10:00:00%2B02:00&practitioner=any",
])
def test_details_without_a_usable_start_or_number_goes_back_to_the_course_page(
        client, course_service, query):
    response = client.get(f"/book/{course_service.id}/course/details?{query}")

    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/book/{course_service.id}/course"


@pytest.mark.parametrize("practitioner", ["999", "nobody"])
def test_details_for_an_unknown_practitioner_is_404(client, course_service, patient_details,
                                                     practitioner):
    url = details_url(course_service.id, at(WEDNESDAY), practitioner=practitioner)

    assert client.get(url).status_code == 404
    assert client.post(url, data=form_data(patient_details, at(WEDNESDAY))).status_code == 404
    assert count(Course) == 0


def test_the_patients_details_never_appear_in_a_redirect(client, course_service,
                                                         patient_details):
    details = {**patient_details, "full_name": "Unique Name", "email": "unique.person@example.com"}
    locations = []
    for url, data in [
        (details_url(course_service.id, at(WEDNESDAY)), form_data(details, at(WEDNESDAY))),
        (f"/book/{course_service.id}/course/details?sessions=5&practitioner=any",
         {**details, "start": "garbage", "consent": "y"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 303
        locations.append(response.headers["Location"])
    token = locations[0].split("/")[2].split("?")[0]
    response = client.post(f"/manage/{token}/course/cancel", data={"reason": "Unique reason"})
    locations.append(response.headers["Location"])

    for location in locations:
        for secret in ("Unique", "Name", "unique.person", "example.com", "501234567", "1990",
                       "reason"):
            assert secret.lower() not in location.lower()


def test_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(app, client, course_service,
                                                                    patient_details):
    app.config["WTF_CSRF_ENABLED"] = True
    url = details_url(course_service.id, at(WEDNESDAY))

    assert 'name="csrf_token"' in text(client.get(url))
    assert client.post(url, data=form_data(patient_details, at(WEDNESDAY))).status_code == 400
    assert count(Course) == 0


# --- Step 3: the manage page of a course ------------------------------------------------------

def test_the_manage_page_shows_the_course_and_offers_the_intake(client, booked_course):
    course, token = booked_course

    response = client.get(f"/manage/{token}")

    page = text(response)
    assert response.status_code == 200
    assert "Your treatment course" in page and "is booked" not in page
    assert course.reference in page
    assert "Dr Iryna Course" in page
    assert re.search(r"Day 1 of 5</span>\s*<span>Wednesday, 9 December 2026, 10:00–11:00", page)
    assert re.search(r"Day 5 of 5</span>\s*<span>Tuesday, 15 December 2026, 10:00–11:00", page)
    assert page.count(">Booked</span>") == 5
    assert f"/manage/{token}/intake" in links(response)
    assert "Fill in your health questionnaire" in page
    assert f"/manage/{token}/course/move" in links(response)
    assert f"/manage/{token}/course/session/3" in links(response)
    assert f'action="/manage/{token}/course/cancel"' in page
    assert "You can change or cancel online until Tuesday, 8 December 2026, 22:00." in page


@pytest.mark.parametrize("status, words", [
    ("confirmed", "A clinician has confirmed your course."),
    ("declined", "A clinician decided this course is not suitable right now; the clinic will "
                 "contact you."),
])
def test_the_course_status_is_said_in_words(client, booked_course, status, words):
    course, token = booked_course
    course.status = status
    db.session.commit()

    assert words in text(client.get(f"/manage/{token}"))


def test_cancelling_the_rest_cancels_every_session_and_frees_the_times(
        client, course_service, booked_course):
    course, token = booked_course
    course_page = f"/book/{course_service.id}/course?week=2026-12-07"
    assert (at(WEDNESDAY), 5, "any") not in start_links(client.get(course_page))

    response = client.post(f"/manage/{token}/course/cancel", data={"reason": "Travelling"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/{token}"
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert {a.status for a in course.appointments} == {"cancelled"}
    assert course.status == "cancelled"
    page = text(client.get(response.headers["Location"]))
    assert "The remaining sessions of your course have been cancelled." in page
    assert "This course is cancelled." in page
    assert page.count('class="course-session course-session-cancelled"') == 5
    assert 'action="/manage/' not in page
    assert (at(WEDNESDAY), 5, "any") in start_links(client.get(course_page))


def test_cancelling_twice_says_there_is_nothing_left(client, booked_course):
    _course, token = booked_course
    client.post(f"/manage/{token}/course/cancel")

    response = client.post(f"/manage/{token}/course/cancel")

    assert response.status_code == 422
    assert "This course is no longer active." in text(response)


def test_moving_the_rest_offers_starts_for_the_remaining_sessions_and_moves_them(
        client, booked_course):
    course, token = booked_course

    page = client.get(f"/manage/{token}/course/move")

    offered = offered_radios(page)
    assert at(NEXT_WEDNESDAY, "11:00") in offered or "Next week" in text(page)
    # A day later at the same time overlaps the course's own sessions: still offered.
    assert at(THURSDAY) in offered
    assert at(WEDNESDAY) not in offered  # the current start
    assert "10:00 · 5 sessions: Thu 10, Fri 11, Mon 14, Tue 15, Wed 16 December" in plain(page)

    response = client.post(f"/manage/{token}/course/move",
                           data={"start": at(NEXT_WEDNESDAY, "11:00").isoformat(),
                                 "week": "2026-12-14"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/{token}"
    assert [s.strftime("%a %d %H:%M") for s in session_starts(course)] == [
        "Wed 16 11:00", "Thu 17 11:00", "Fri 18 11:00", "Mon 21 11:00", "Tue 22 11:00"]
    assert "The rest of your course now starts on Wednesday, 16 December 2026, 11:00." in text(
        client.get(f"/manage/{token}"))


def test_moving_the_rest_onto_a_blocked_day_is_409_with_alternatives(
        client, booked_course, course_service, create_service, patient_details):
    course, token = booked_course
    other = create_service(name="Consultation", duration_minutes=60)
    course_service.doctor.services.append(other)
    db.session.commit()
    booking.book(service_id=other.id, start=at(date(2026, 12, 21), "12:00"),
                 patient={**patient_details, "email": "other@example.com"}, consent=True)

    response = client.post(f"/manage/{token}/course/move",
                           data={"start": at(NEXT_WEDNESDAY, "12:00").isoformat()})

    assert response.status_code == 409
    assert "Monday, 21 December is not free" in text(response)
    assert at(NEXT_WEDNESDAY, "11:00") in offered_radios(response)
    assert session_starts(course)[0] == at(WEDNESDAY)


@pytest.mark.parametrize("start", ["", "garbage"])
def test_moving_the_rest_without_a_start_asks_to_pick_one(client, booked_course, start):
    _course, token = booked_course

    response = client.post(f"/manage/{token}/course/move", data={"start": start})

    assert response.status_code == 422
    assert "Please pick a new start." in text(response)


def test_moving_one_session_offers_times_between_its_neighbours_and_moves_it(
        client, booked_course):
    course, token = booked_course

    page = client.get(f"/manage/{token}/course/session/2")

    offered = offered_radios(page)
    assert "Day 2 of 5 is now on Thursday, 10 December 2026, 10:00." in text(page)
    assert offered and {s.date() for s in offered} == {THURSDAY}
    assert at(THURSDAY) not in offered and at(THURSDAY, "14:00") in offered

    response = client.post(f"/manage/{token}/course/session/2",
                           data={"start": at(THURSDAY, "14:00").isoformat()})

    assert response.status_code == 303
    assert session_starts(course)[1] == at(THURSDAY, "14:00")
    assert "Day 2 of your course was moved to Thursday, 10 December 2026, 14:00." in text(
        client.get(f"/manage/{token}"))


def test_the_last_session_may_move_to_a_later_day(client, booked_course):
    course, token = booked_course

    offered = offered_radios(client.get(f"/manage/{token}/course/session/5"))

    assert min(s.date() for s in offered) == date(2026, 12, 15)
    assert at(date(2026, 12, 16)) in offered

    response = client.post(f"/manage/{token}/course/session/5",
                           data={"start": at(date(2026, 12, 16)).isoformat()})

    assert response.status_code == 303
    assert session_starts(course)[4] == at(date(2026, 12, 16))


def test_moving_one_session_out_of_order_is_422_and_changes_nothing(client, booked_course):
    course, token = booked_course

    response = client.post(f"/manage/{token}/course/session/2",
                           data={"start": at(FRIDAY, "14:00").isoformat()})

    assert response.status_code == 422
    assert "A session must stay between the sessions before and after it." in text(response)
    assert session_starts(course)[1] == at(THURSDAY)


def test_moving_one_session_onto_a_taken_time_is_409(client, booked_course, course_service,
                                                     create_service, patient_details):
    course, token = booked_course
    other = create_service(name="Consultation", duration_minutes=60)
    course_service.doctor.services.append(other)
    db.session.commit()
    booking.book(service_id=other.id, start=at(THURSDAY, "14:00"),
                 patient={**patient_details, "email": "other@example.com"}, consent=True)

    response = client.post(f"/manage/{token}/course/session/2",
                           data={"start": at(THURSDAY, "14:00").isoformat()})

    assert response.status_code == 409
    assert session_starts(course)[1] == at(THURSDAY)


def test_an_unknown_session_day_is_404(client, booked_course):
    _course, token = booked_course

    assert client.get(f"/manage/{token}/course/session/9").status_code == 404
    assert client.post(f"/manage/{token}/course/session/0").status_code == 404


# --- The cut-off ----------------------------------------------------------------------------

def test_after_the_cut_off_the_forms_are_gone_and_changes_are_refused(app, client,
                                                                      booked_course):
    course, token = booked_course
    set_now(app, at(WEDNESDAY) - timedelta(hours=11))

    page = text(client.get(f"/manage/{token}"))

    assert "please call the clinic" in page
    assert "/course/cancel" not in page and "/course/move" not in page
    assert "/course/session/" not in page
    assert client.get(f"/manage/{token}/course/move").status_code == 303
    assert client.get(f"/manage/{token}/course/session/3").status_code == 303
    for url, data in [
        (f"/manage/{token}/course/cancel", {}),
        (f"/manage/{token}/course/move", {"start": at(NEXT_WEDNESDAY, "11:00").isoformat()}),
        (f"/manage/{token}/course/session/3", {"start": at(FRIDAY, "14:00").isoformat()}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 422
        assert "Please call the clinic." in text(response)
    assert session_starts(course) == [at(d) for d in (WEDNESDAY, THURSDAY, FRIDAY, NEXT_MONDAY,
                                                       date(2026, 12, 15))]


def test_once_a_session_is_held_the_next_one_opens_changes_again(app, client, booked_course):
    _course, token = booked_course
    set_now(app, at(WEDNESDAY, "13:00"))  # day 1 held; day 2 is 21 hours away

    page = text(client.get(f"/manage/{token}"))

    assert "/course/move" in page
    assert "This cancels the 4 sessions still to come." in page
    assert f"/manage/{token}/course/session/1" not in page


# --- Privacy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["", "?new=1", "/course/move", "/course/session/2"])
def test_course_pages_send_no_referrer_and_no_store(client, booked_course, path):
    _course, token = booked_course

    response = client.get(f"/manage/{token}{path}")

    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_course_form_posts_also_send_no_referrer_and_no_store(client, booked_course):
    _course, token = booked_course

    for response in (
        client.post(f"/manage/{token}/course/move", data={"start": "garbage"}),
        client.post(f"/manage/{token}/course/session/2", data={"start": "garbage"}),
        client.post(f"/manage/{token}/course/cancel"),
        client.get("/manage/wrong/course/move"),
    ):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("wrong", ["wrong", "x" * 200, "TRUNCATE"])
def test_a_wrong_token_is_404_on_every_course_page(client, booked_course, wrong):
    course, token = booked_course
    if wrong == "TRUNCATE":
        wrong = token[:-1]

    assert client.get(f"/manage/{wrong}").status_code == 404
    assert client.get(f"/manage/{wrong}/course/move").status_code == 404
    assert client.get(f"/manage/{wrong}/course/session/2").status_code == 404
    assert client.post(f"/manage/{wrong}/course/cancel").status_code == 404
    assert client.post(f"/manage/{wrong}/course/move",
                       data={"start": at(NEXT_WEDNESDAY).isoformat()}).status_code == 404
    assert client.post(f"/manage/{wrong}/course/session/2",
                       data={"start": at(THURSDAY, "14:00").isoformat()}).status_code == 404
    assert len(session_starts(course)) == 5


def test_a_single_appointments_token_does_not_open_course_pages(client, create_service,
                                                                create_practitioner,
                                                                patient_details):
    service = create_service("First consultation")
    create_practitioner([service])
    _appointment, token = booking.book(service_id=service.id, start=at(TUESDAY),
                                       patient=patient_details, consent=True)

    assert client.get(f"/manage/{token}/course/move").status_code == 404
    assert client.post(f"/manage/{token}/course/cancel").status_code == 404


def test_course_pages_have_no_inline_scripts_or_styles(client, course_service, booked_course):
    _course, token = booked_course
    for url in (f"/book/{course_service.id}/course",
                details_url(course_service.id, at(NEXT_WEDNESDAY, "12:00")),
                f"/manage/{token}?new=1", f"/manage/{token}/course/move",
                f"/manage/{token}/course/session/2"):
        page = client.get(url).get_data(as_text=True)
        assert " style=" not in page and "<style" not in page, url
        assert re.findall(r"<script(?![^>]*\ssrc=)", page) == [], url
