"""The reception's day as a time grid, and the printable day list.

Blocks as tall as the visit (5-minute steps from opening, classes g-at-N g-len-N), the
observation as a lighter tail in the chair view, a line at the current time, free half hours as
quiet links that open the booking with practitioner, day and time filled in; a printable list
per practitioner with nothing clinical. "Now" is Monday 7 December 2026, 09:00 in Kyiv.
"""
import re
from datetime import date, timezone
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.extensions import db
from booking.intake import services as intake
from booking.models import Resource
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes
from tests.conftest import PATIENT
from tests.dashboard.helpers import at, links, text
from tests.intake.test_services import ANSWERS

TUESDAY = date(2026, 12, 8)


def words(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def column(page, name):
    """One column of the grid, by the practitioner's or chair's name."""
    for section in re.findall(r'<section class="cal-col tg-col".*?</section>', page, re.S):
        if name in section.split("</h2>")[0]:
            return section
    raise AssertionError(f"no column for {name}")


def block_of(section, patient):
    match = re.search(r'<div class="tg-block (g-at-\d+ g-len-\d+)">(?:(?!<div class="tg-block).)*?'
                      + re.escape(patient), section, re.S)
    assert match, f"no block for {patient}"
    return match[1]


@pytest.fixture
def clinic(create_service, create_practitioner):
    consultation = create_service("First consultation", duration_minutes=60)
    follow_up = create_service("Follow-up", duration_minutes=30)
    infusion = create_service("Ketamine infusion", duration_minutes=60, grid_minutes=60,
                              observation_minutes=60, resource_kind="infusion_chair")
    olena = create_practitioner([consultation, follow_up], full_name="Dr Olena Kovalenko")
    andrii = create_practitioner([infusion], full_name="Dr Andrii Melnyk")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    return SimpleNamespace(consultation=consultation, follow_up=follow_up, infusion=infusion,
                           olena=olena, andrii=andrii)


@pytest.fixture
def book(clinic):
    def make(service, start, practitioner, **patient):
        appointment, _token = booking.book_by_staff(
            service_id=service.id, start=start, actor=None, practitioner_id=practitioner.id,
            patient={**PATIENT, **patient}, consent=True)
        return appointment
    return make


@pytest.fixture
def desk(staff_client):
    return staff_client("receptionist")


def test_an_appointment_is_one_block_as_tall_as_its_visit(clinic, book, desk):
    book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena, full_name="Anna Hodyna")
    book(clinic.follow_up, at(TUESDAY, "11:30"), clinic.olena, full_name="Petro Pivhodyny",
         email="petro@example.com")

    olena = column(text(desk.get(f"/staff/calendar?day={TUESDAY}")), "Dr Olena Kovalenko")

    assert block_of(olena, "Anna Hodyna") == "g-at-0 g-len-12"  # 10:00, one hour
    assert block_of(olena, "Petro Pivhodyny") == "g-at-18 g-len-6"  # 11:30, half an hour
    assert olena.count('class="tg-block') == 2  # one block each, not a cell per half hour
    assert "10:00–11:00" in olena and "Booked" in olena and "Intake: not started" in olena


def test_free_half_hours_are_quiet_links_to_the_booking_with_everything_filled_in(
        clinic, book, desk):
    book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena)

    page = text(desk.get(f"/staff/calendar?day={TUESDAY}"))
    olena = column(page, "Dr Olena Kovalenko")

    free = re.findall(r'<a class="tg-free cal-free-link (g-at-\d+) g-len-6"[^>]*href="([^"]+)"',
                      olena)
    assert ("g-at-12", f"/staff/book?practitioner={clinic.olena.id}&day=2026-12-08"
            "&start=2026-12-08T11:00:00%2B02:00") == (free[0][0], free[0][1].replace("&amp;", "&"))
    assert len(free) == 16  # 18 half hours, the first two taken
    assert "Free · Book" not in page
    assert "Book a caller at 11:00 with Dr Olena Kovalenko" in words(olena)
    query = parse_qs(urlsplit(free[0][1].replace("&amp;", "&")).query)
    booking_page = text(desk.get("/staff/book?" + "&".join(
        f"{key}={value[0].replace('+', '%2B')}" for key, value in query.items())))
    assert "Tuesday, 8 December 2026, 11:00" in booking_page


def test_hours_off_closures_and_the_past_are_shaded_in_words(clinic, desk, app):
    from booking.models import Closure
    db.session.add(Closure(practitioner_id=clinic.olena.id, starts_at=at(TUESDAY, "14:00"),
                           ends_at=at(TUESDAY, "15:00"), reason="Training"))
    db.session.commit()

    olena = column(text(desk.get(f"/staff/calendar?day={TUESDAY}")), "Dr Olena Kovalenko")
    past = text(desk.get("/staff/calendar?day=2026-12-04"))

    assert re.search(r'class="tg-shade tg-closure g-at-48 g-len-12">Blocked: Training', olena)
    assert not [href for href in re.findall(r'href="([^"]+)"', olena) if "T14:00" in href]
    assert 'class="tg-shade tg-past g-at-0 g-len-108"' in past
    assert "start=" not in past


def test_a_line_marks_the_current_time_on_today(clinic, app, staff_client):
    app.config["FROZEN_NOW"] = at(date(2026, 12, 7), "11:37").astimezone(timezone.utc)
    desk = staff_client("receptionist")

    page = text(desk.get("/staff/calendar"))
    tomorrow = text(desk.get(f"/staff/calendar?day={TUESDAY}"))

    assert page.count('<span class="tg-now g-at-19 g-len-1">') == 2  # each column
    assert "Now: 11:37" in words(page)
    assert 'class="tg-shade tg-past g-at-0 g-len-20"' in page  # 10:00 to 11:37, shaded
    assert "tg-now" not in tomorrow


def test_the_chair_view_shows_the_observation_as_a_lighter_tail(clinic, book, desk):
    book(clinic.infusion, at(TUESDAY, "11:00"), clinic.andrii, full_name="Iryna Krislo")

    page = text(desk.get(f"/staff/calendar?day={TUESDAY}&by=chair"))
    chairs = [column(page, name) for name in ("Chair 1", "Chair 2")]
    chair = next(section for section in chairs if "Iryna Krislo" in section)

    assert block_of(chair, "Iryna Krislo") == "g-at-12 g-len-12"
    assert re.search(r'<p class="tg-tail g-at-24 g-len-12">Observation until 13:00</p>', chair)
    assert 'aria-current="page">By chair' in page
    assert "tg-free" not in page  # chairs are not booked from here
    practitioner_view = column(text(desk.get(f"/staff/calendar?day={TUESDAY}")),
                               "Dr Andrii Melnyk")
    assert block_of(practitioner_view, "Iryna Krislo") == "g-at-12 g-len-12"
    assert "tg-tail" not in practitioner_view  # the practitioner is free again


def test_the_day_list_prints_time_patient_phone_service_and_status_and_nothing_clinical(
        clinic, book, desk):
    first = book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena,
                 full_name="Anna Hodyna", phone="+380501112233")
    intake.save_step(first.id, "about", ANSWERS["about"], language="en")
    intake.save_step(first.id, "pain", ANSWERS["pain"], language="en")
    gone = book(clinic.follow_up, at(TUESDAY, "12:00"), clinic.olena, full_name="Vira Skasovana",
                email="vira@example.com")
    appointment_changes.cancel_by_staff(gone.id)
    book(clinic.infusion, at(TUESDAY, "11:00"), clinic.andrii, full_name="Ivan Inshyi",
         email="ivan@example.com")

    response = desk.get(f"/staff/calendar/print?day={TUESDAY}&practitioner={clinic.olena.id}")
    page = words(text(response))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Day list: Tuesday, 8 December 2026" in page
    assert "10:00–11:00 Anna Hodyna +380 50 111 22 33 First consultation Booked" in page
    assert "Vira Skasovana" not in page  # cancelled
    assert "Ivan Inshyi" not in page  # another practitioner's
    for clinical in ("Intake", "pain", "Pain", str(ANSWERS["pain"]["pain_now"]) + "/10"):
        assert clinical not in page
    everyone = words(text(desk.get(f"/staff/calendar/print?day={TUESDAY}")))
    assert "Dr Andrii Melnyk" in everyone and "Ivan Inshyi" in everyone
    assert f"/staff/calendar/print?day=2026-12-08&practitioner={clinic.olena.id}" in links(
        desk.get(f"/staff/calendar?day={TUESDAY}"))


def test_the_move_page_titles_its_week_monday_to_sunday(clinic, book, desk):
    appointment = book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena)

    page = words(text(desk.get(f"/staff/appointments/{appointment.id}/reschedule")))

    assert "7 December – 13 December 2026" in page


def test_staff_pages_use_the_screens_width_and_patients_pages_a_reading_column(clinic, desk,
                                                                              client):
    assert '<main id="main" class="wrap wrap-staff"' in text(desk.get("/staff/calendar"))
    assert '<main id="main" class="wrap"' in text(client.get("/"))


# --- "Everyone" in pages: a big clinic's pages stay quick and small (bench/bench_pages.py) -------

def test_the_day_grid_and_the_day_lists_show_practitioners_a_page_at_a_time(
        clinic, book, desk, monkeypatch):
    from booking.scheduler import day_grid
    monkeypatch.setattr(day_grid, "PAGE_SIZE", 1)
    book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena, full_name="Anna Hodyna")

    first = text(desk.get(f"/staff/calendar?day={TUESDAY}"))
    second = text(desk.get(f"/staff/calendar?day={TUESDAY}&page=2"))
    lists = words(text(desk.get(f"/staff/calendar/print?day={TUESDAY}&page=2")))

    assert first.count('class="cal-col tg-col"') == 1 and "Dr Andrii Melnyk" in first
    assert "Practitioners 1–1 of 2" in words(first)
    assert re.search(rf'rel="next" href="/staff/calendar\?[^"]*page=2[^"]*"', first)
    assert f"day={TUESDAY}" in re.search(r'rel="next" href="([^"]+)"', first)[1]
    assert "Anna Hodyna" in second and "Practitioners 2–2 of 2" in words(second)
    assert "Anna Hodyna" in lists and "Dr Olena Kovalenko" in lists


def test_the_week_of_everyone_shows_practitioners_a_page_at_a_time(clinic, book, desk,
                                                                     monkeypatch):
    from booking.dashboard import reception
    monkeypatch.setattr(reception, "WEEK_PAGE_SIZE", 1)
    book(clinic.consultation, at(TUESDAY, "10:00"), clinic.olena, full_name="Anna Hodyna")

    first = text(desk.get("/staff/calendar/week?week=2026-12-07"))
    second = text(desk.get("/staff/calendar/week?week=2026-12-07&page=2"))

    assert "Anna Hodyna" not in first and "Practitioners 1–1 of 2" in words(first)
    assert "Anna Hodyna" in second


def test_the_clinicians_list_shows_a_page_at_a_time_with_urgent_intakes_on_every_page(
        clinic, book, staff_client, monkeypatch):
    from booking.intake import review_list
    monkeypatch.setattr(review_list, "LIST_PAGE_SIZE", 2)
    for hour, name in (("10:00", "Anna Persha"), ("11:00", "Borys Druhyi"),
                       ("12:00", "Vira Tretia")):
        booked = book(clinic.consultation, at(TUESDAY, hour), clinic.olena, full_name=name,
                      email=f"{name.split()[0].lower()}@example.com")
    urgent = dict(ANSWERS["history"], red_thunderclap=True)
    intake.save_step(booked.id, "history", urgent, language="en")  # Vira: urgent
    clinician = staff_client("clinician")

    first = words(text(clinician.get(f"/staff/clinician?who=all&from={TUESDAY}&days=1")))
    second = words(text(clinician.get(
        f"/staff/clinician?who=all&from={TUESDAY}&days=1&page=2")))

    assert "Page 1 of 2: 3 appointments" in first
    assert first.index("Vira Tretia") < first.index("Anna Persha")  # urgent first
    assert "Borys Druhyi" in first and "Borys Druhyi" not in second
    assert "Vira Tretia" in second and "Anna Persha" not in second
