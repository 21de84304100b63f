"""Booking a caller who already has an appointment that day: the desk is asked first, and books
on "Book anyway". "Now" is Monday 7 December 2026, 09:00 in Kyiv."""
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment
from booking.scheduler import services as booking
from tests.conftest import PATIENT
from tests.dashboard.helpers import at, text

TUESDAY = date(2026, 12, 8)


def words(response):
    import re
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def appointments():
    return db.session.execute(select(func.count()).select_from(Appointment)).scalar_one()


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service("First consultation", duration_minutes=60)
    olena = create_practitioner([service], full_name="Dr Olena Kovalenko")
    andrii = create_practitioner([service], full_name="Dr Andrii Melnyk")
    earlier, _token = booking.book_by_staff(
        service_id=service.id, start=at(TUESDAY, "10:00"), actor=None,
        practitioner_id=olena.id, patient=dict(PATIENT), consent=True)
    return SimpleNamespace(service=service, olena=olena, andrii=andrii, earlier=earlier)


@pytest.fixture
def desk(staff_client):
    return staff_client("receptionist")


def book_url(clinic):
    return (f"/staff/book?service={clinic.service.id}&practitioner={clinic.andrii.id}"
            f"&day={TUESDAY}")


def ask(desk, clinic, start, **extra):
    return desk.post(book_url(clinic), data={
        "action": "book", "start": start.isoformat(),
        "patient": str(clinic.earlier.patient_id), **extra})


def test_a_second_appointment_the_same_day_is_asked_about_before_it_is_booked(clinic, desk):
    asked = ask(desk, clinic, at(TUESDAY, "14:00"))

    assert asked.status_code == 200
    assert "This patient already has an appointment that day:" in words(asked)
    assert "10:00–11:00, First consultation, Dr Olena Kovalenko" in words(asked)
    assert 'name="confirm" value="same_day"' in text(asked)
    assert "Book anyway" in words(asked) and "overlaps" not in words(asked)
    assert appointments() == 1

    booked = ask(desk, clinic, at(TUESDAY, "14:00"), confirm="same_day")

    assert booked.status_code == 200 and appointments() == 2
    assert "Tuesday, 8 December 2026, 14:00" in words(booked)


def test_an_overlapping_appointment_with_another_practitioner_says_so(clinic, desk):
    asked = ask(desk, clinic, at(TUESDAY, "10:30"))

    assert "This patient already has an appointment at the same time:" in words(asked)
    assert "overlaps" in words(asked)
    assert appointments() == 1


def test_another_day_is_booked_without_a_question(clinic, desk):
    booked = ask(desk, clinic, at(date(2026, 12, 9), "10:00"))

    assert appointments() == 2
    assert "already has an appointment" not in words(booked)
