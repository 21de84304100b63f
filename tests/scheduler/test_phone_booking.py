"""Choosing a time on a phone: a strip of the week's days with the first day that has a free
time chosen, that day's times, the earliest free time of each service on the home page, and a
time typed into a details URL checked before the patient types their details.

"Now" is Monday 7 December 2026, 09:00 in Kyiv (conftest.NOW); online booking needs two hours'
notice, so Monday's first time is 11:00.
"""
import html
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Closure, Resource
from booking.scheduler import services as booking
from booking.scheduler import booking_errors

KYIV = ZoneInfo("Europe/Kyiv")
MONDAY, TUESDAY, WEDNESDAY = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)
SATURDAY = date(2026, 12, 12)


def at(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=KYIV)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def words(response):
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def strip(response):
    """The day strip: [(day, chosen)] of the days that can be chosen."""
    nav = re.search(r'<nav class="day-strip".*?</nav>', text(response), re.S)
    assert nav, "no day strip"
    return [(date.fromisoformat(day), bool(current)) for day, current in
            re.findall(r'data-day="([\d-]+)"( aria-current="date")?', nav[0])]


def chosen_section(response):
    match = re.search(r'<section class="day day-chosen" id="day-([\d-]+)".*?</section>',
                      text(response), re.S)
    return date.fromisoformat(match[1]), match[0]


def close(day, practitioner=None):
    db.session.add(Closure(starts_at=at(day, "00:00"), ends_at=at(day + timedelta(days=1),
                                                                     "00:00"),
                           practitioner_id=practitioner.id if practitioner else None,
                           reason="training"))
    db.session.commit()


def book(service, start, practitioner):
    return booking.book(service_id=service.id, start=start, practitioner_id=practitioner.id,
                        consent=True, patient={
                            "full_name": "Olha Zaniata", "email": "olha@example.com",
                            "phone": "+380501112233", "date_of_birth": "1980-02-02"})


@pytest.fixture
def doctor(create_service, create_practitioner):
    service = create_service("First consultation", duration_minutes=60, grid_minutes=30)
    practitioner = create_practitioner([service], full_name="Dr Olena Kovalenko")
    practitioner.service = service
    return practitioner


@pytest.fixture
def consultation(doctor):
    return doctor.service


# --- The day strip --------------------------------------------------------------------------------

def test_the_strip_lists_the_weeks_open_days_and_chooses_the_first_with_a_free_time(
        client, consultation, doctor):
    close(MONDAY, doctor)

    page = client.get(f"/book/{consultation.id}")

    assert [day for day, _ in strip(page)] == [MONDAY + timedelta(days=i) for i in range(1, 5)]
    assert [day for day, chosen in strip(page) if chosen] == [TUESDAY]
    day, section = chosen_section(page)
    assert day == TUESDAY
    assert "10:00" in section
    assert "пн" in words(page) or "Mon" in words(page)  # Monday is shown, with none free
    assert "none free" in words(page)


def test_a_day_of_the_strip_shows_that_days_times_and_keeps_the_week(client, consultation):
    page = client.get(f"/book/{consultation.id}?day={WEDNESDAY}")

    assert [day for day, chosen in strip(page) if chosen] == [WEDNESDAY]
    assert chosen_section(page)[0] == WEDNESDAY
    # Each day of the strip is a link to this page with the week and the day (no script needed).
    hrefs = re.findall(r'<a href="([^"]+)" data-day="2026-12-10"', text(page))
    query = parse_qs(urlsplit(hrefs[0]).query)
    assert query == {"practitioner": ["any"], "week": ["2026-12-07"], "day": ["2026-12-10"]}
    assert 'src="/static/daystrip.js"' in text(page)


def test_each_time_links_to_its_details_form_as_the_week_did(client, consultation):
    page = client.get(f"/book/{consultation.id}?day={TUESDAY}")

    _day, section = chosen_section(page)
    first = re.search(r'<a class="slot" href="([^"]+)"><span class="visually-hidden">'
                      r'Tuesday, 8 December 2026, </span>10:00</a>', section)
    assert first, section[:600]
    assert first[1] == f"/book/{consultation.id}/details?" + urlencode(
        {"start": at(TUESDAY, "10:00").isoformat(), "practitioner": "any"}).replace(
            "%3A", ":")
    assert client.get(first[1]).status_code == 200


def test_the_whole_week_is_still_in_the_page_for_wide_screens(client, consultation):
    page = text(client.get(f"/book/{consultation.id}"))

    assert len(re.findall(r'<section class="day[ "]', page)) == 5
    assert page.count('class="slot"') > 60


# --- The home page: each service's earliest free time ----------------------------------------------

def test_the_home_page_links_each_services_earliest_free_time_to_its_details_form(
        client, consultation, doctor):
    close(MONDAY, doctor)

    page = client.get("/")

    link = re.search(r'Earliest free time:\s*<a href="([^"]+)">Tue, 8 December, 10:00',
                     text(page))
    assert link, words(page)
    assert parse_qs(urlsplit(link[1]).query)["start"] == [at(TUESDAY, "10:00").isoformat()]
    assert client.get(link[1]).status_code == 200


def test_a_service_without_a_free_time_online_says_so(client, consultation, doctor, app):
    app.config["BOOKING_HORIZON_DAYS"] = 1
    close(MONDAY, doctor)
    close(TUESDAY, doctor)

    assert "No free times online at the moment." in words(client.get("/"))


def test_a_course_says_it_follows_a_consultation_and_shows_its_earliest_start(
        client, create_service, create_practitioner):
    course = create_service("Ketamine infusion course", duration_minutes=60, grid_minutes=60,
                            is_course=True, min_sessions=3, max_sessions=7)
    create_practitioner([course], full_name="Dr Andrii Melnyk")

    page = words(client.get("/"))

    assert "It follows a consultation" in page
    assert "Earliest start: Mon, 7 December, 11:00" in page
    assert "It follows a consultation" in words(client.get(f"/book/{course.id}/course"))


# --- A time typed into the details URL ----------------------------------------------------------------

@pytest.mark.parametrize("start, message", [
    (at(SATURDAY, "11:00"), "The clinic is closed at weekends."),
    (at(MONDAY, "08:00"), None),  # in the past at 09:00
    (at(MONDAY, "10:30"), "too soon to book online"),  # two hours' notice
    (at(TUESDAY, "09:00"), "outside the clinic's opening hours"),
])
def test_a_start_no_rule_allows_is_refused_before_any_details_are_typed(
        client, consultation, start, message):
    response = client.get(f"/book/{consultation.id}/details?"
                          + urlencode({"start": start.isoformat(), "practitioner": "any"}))

    assert response.status_code == 422
    assert 'name="full_name"' not in text(response)  # nothing to type
    assert 'href="/book/' in text(response) and "Choose a time" in words(response)
    if message:
        assert message in words(response)


def test_a_taken_start_in_the_url_offers_that_days_other_times_first(
        client, consultation, doctor):
    book(consultation, at(TUESDAY, "10:00"), doctor)

    response = client.get(f"/book/{consultation.id}/details?"
                          + urlencode({"start": at(TUESDAY, "10:00").isoformat()}))

    assert response.status_code == 409
    assert "Sorry, that time has just been taken." in words(response)
    assert re.search(r'type="radio" name="start"[^>]*value="2026-12-08T11:00:00\+02:00"',
                     text(response))


def test_a_time_that_clashes_only_with_a_buffer_says_so(client, create_service,
                                                         create_practitioner):
    session = create_service("Psychotherapy session", duration_minutes=60, grid_minutes=30,
                             buffer_minutes=30)
    therapist = create_practitioner([session], full_name="Iryna Shevchenko")
    book(session, at(TUESDAY, "10:00"), therapist)  # 10:00-11:00, then 30 minutes kept free

    with pytest.raises(booking_errors.SlotTaken) as refused:
        booking.check_free(session, at(TUESDAY, "11:00"))
    page = client.get(f"/book/{session.id}/details?"
                      + urlencode({"start": at(TUESDAY, "11:00").isoformat()}))

    assert "too close to another appointment" in refused.value.message
    assert page.status_code == 409
    assert "too close to another appointment" in words(page)
    with pytest.raises(booking_errors.SlotTaken) as overlapping:
        booking.check_free(session, at(TUESDAY, "10:30"))
    assert "just been taken" in overlapping.value.message


def test_a_free_start_in_the_url_shows_the_form(client, consultation):
    response = client.get(f"/book/{consultation.id}/details?"
                          + urlencode({"start": at(TUESDAY, "10:00").isoformat()}))

    assert response.status_code == 200
    assert 'name="full_name"' in text(response)


# --- Course starts name the day that blocks them ---------------------------------------------------

@pytest.fixture
def course(create_service, create_practitioner):
    service = create_service("Ketamine infusion course", duration_minutes=60, grid_minutes=60,
                             observation_minutes=60, resource_kind="infusion_chair",
                             is_course=True, min_sessions=3, max_sessions=7)
    service.doctor = create_practitioner([service], full_name="Dr Iryna Course")
    db.session.add(Resource(name="Chair 1", kind="infusion_chair"))
    db.session.commit()
    return service


def test_a_day_a_course_cannot_start_names_the_full_day_that_blocks_it(client, course):
    close(TUESDAY, course.doctor)

    page = words(client.get(f"/book/{course.id}/course?sessions=3&week={MONDAY}"))

    assert page.count("Cannot start on this day: no free time on Tuesday, 8 December.") == 2
    assert "Wed 9, Thu 10, Fri 11 December" in page  # the start that fits


def test_a_week_where_no_course_can_start_names_its_full_days(client, course):
    for day in (TUESDAY, date(2026, 12, 10), date(2026, 12, 11)):
        close(day, course.doctor)

    page = words(client.get(f"/book/{course.id}/course?sessions=3&week={MONDAY}"))

    assert ("A course of 3 sessions cannot start this week. No free time on Tuesday, "
            "8 December, Thursday, 10 December, Friday, 11 December.") in page


# --- Prices ----------------------------------------------------------------------------------------

def test_an_admin_gives_a_service_a_price_and_patients_see_it_on_the_list_and_when_booked(
        client, staff_client, consultation, doctor):
    admin = staff_client("admin", email="admin@example.com")
    form = {"name": "First consultation", "duration_minutes": "60", "grid_minutes": "30",
            "buffer_minutes": "0", "online_bookable": "y", "active": "y",
            "practitioner_ids": [str(doctor.id)], "price_uah": "1500"}

    assert admin.post(f"/staff/admin/services/{consultation.id}", data=form).status_code == 303
    db.session.expire_all()
    _appointment, token = book(consultation, at(TUESDAY, "10:00"), doctor)

    assert "60 minutes · 1,500 UAH" in words(client.get("/"))
    assert "Price 1,500 UAH" in words(client.get(f"/manage/{token}?new=1"))
    assert 'value="1500"' in text(admin.get(f"/staff/admin/services/{consultation.id}"))


def test_without_a_price_none_is_shown(client, consultation, doctor):
    _appointment, token = book(consultation, at(TUESDAY, "10:00"), doctor)

    assert "UAH" not in words(client.get("/"))
    assert "Price" not in words(client.get(f"/manage/{token}?new=1"))


@pytest.mark.parametrize("price", ["-5", "1500.50", "a lot", "10000000"])
def test_a_price_that_is_not_whole_hryvnias_is_refused(staff_client, consultation, doctor, price):
    admin = staff_client("admin", email="admin@example.com")
    form = {"name": "First consultation", "duration_minutes": "60", "grid_minutes": "30",
            "buffer_minutes": "0", "active": "y", "practitioner_ids": [str(doctor.id)],
            "price_uah": price}

    response = admin.post(f"/staff/admin/services/{consultation.id}", data=form)

    assert response.status_code == 422
    assert "whole hryvnias" in words(response)
    db.session.expire_all()
    assert db.session.get(type(consultation), consultation.id).price_uah is None


def test_a_course_price_is_for_the_whole_course(client, create_service, create_practitioner):
    course = create_service("Ketamine infusion course", duration_minutes=60, grid_minutes=60,
                            is_course=True, min_sessions=3, max_sessions=7, price_uah=24000)
    create_practitioner([course], full_name="Dr Andrii Melnyk")

    assert "24,000 UAH for the whole course" in words(client.get("/"))


# --- The times page, remembered per worker ------------------------------------------------------

def test_the_remembered_times_page_follows_every_booking_and_every_change_of_the_clinic(
        client, consultation, doctor):
    page = f"/book/{consultation.id}?day={TUESDAY}"
    ten = "start=" + at(TUESDAY, "10:00").isoformat().replace("+", "%2B")
    assert ten in text(client.get(page)) and ten in text(client.get(page))

    book(consultation, at(TUESDAY, "10:00"), doctor)
    assert ten not in text(client.get(page))

    doctor.full_name = "Dr Olena Kovalenko-Shevchuk"  # through the ORM, as the admin pages do
    db.session.commit()
    assert "Dr Olena Kovalenko-Shevchuk" in text(client.get(page))
    close(TUESDAY, doctor)
    assert [day for day, chosen in strip(client.get(page)) if chosen] != [TUESDAY]


def test_a_page_with_a_message_for_the_patient_is_not_remembered(client, consultation):
    details = client.get(f"/book/{consultation.id}/details")  # no time: back with a message

    following = client.get(details.headers["Location"])
    again = client.get(details.headers["Location"])

    assert "Please choose a time for your appointment." in words(following)
    assert "Please choose a time for your appointment." not in words(again)
