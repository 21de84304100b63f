"""Fixtures of the diary tests: a service that offers the diary, a patient booked on it through
the real booking service (their private manage token), and the patient's own medicines."""
from datetime import datetime, timezone

import pytest

from booking.extensions import db
from booking.models import Intake
from booking.scheduler import services as booking
from tests.conftest import PATIENT

# Tuesday 8 December 2026, 10:00 Kyiv: the suite's NOW is Monday 7 December, 09:00 Kyiv.
TUESDAY_10 = datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def diary_service(create_service, create_practitioner):
    service = create_service(name="First consultation with a neurologist", offers_diary=True)
    create_practitioner([service])
    return service


@pytest.fixture
def booked(app, diary_service):
    """(appointment, manage token) of a consultation that offers the diary."""
    return booking.book(service_id=diary_service.id, start=TUESDAY_10, patient=dict(PATIENT),
                        consent=True)


@pytest.fixture
def own_medicines(booked):
    """The patient's intake lists sumatriptan (a triptan) and ibuprofen (an NSAID)."""
    appointment, _token = booked
    db.session.add(Intake(appointment_id=appointment.id, patient_id=appointment.patient_id,
                          answers={"medicines": {"acute": [
                              {"name": "Sumatriptan", "class": "triptan", "days_per_month": 4,
                               "effect": "good"},
                              {"name": "Ibuprofen", "class": "nsaid", "days_per_month": 6,
                               "effect": "partial"}]}}))
    db.session.commit()
    return appointment.patient_id


def add_days(patient_id, first, count, headache=(), migraine=(), medicine=()):
    """`count` filled dates from `first` (rows written directly, as the patient's form would).
    Day numbers (1..count) in `headache` have a 30 min-4 h headache of pain 3, in `migraine` a
    4-hour one-sided throbbing headache of pain 7 with nausea, in `medicine` also ibuprofen."""
    from datetime import timedelta

    from booking.models import DiaryEntry, DiaryMedicine

    for n in range(1, count + 1):
        day = first + timedelta(days=n - 1)
        entry = DiaryEntry(patient_id=patient_id, entry_on=day, headache=False,
                           created_at=NOW_UTC, updated_at=NOW_UTC)
        if n in migraine:
            entry.headache, entry.duration, entry.worst_pain = True, "4_h_or_more", 7
            entry.one_side = entry.throbbing = entry.nausea_vomiting = True
        elif n in headache:
            entry.headache, entry.duration, entry.worst_pain = True, "30_min_to_4_h", 3
        if n in medicine:
            entry.medicines.append(DiaryMedicine(name="Ibuprofen", drug_class="nsaid"))
        db.session.add(entry)
    db.session.commit()


NOW_UTC = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def diary_course_service(create_service, create_practitioner):
    """A 3-7 session course service that invites to the diary, with its practitioner."""
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, is_course=True, min_sessions=3, max_sessions=7,
                             offers_diary=True)
    create_practitioner([service], full_name="Dr Diary")
    return service


def attended_course(app, service, first_day, hour, name, booked_at):
    """A 3-session course from `first_day` at `hour` (Kyiv), booked with "now" moved back to
    `booked_at`, every session marked completed (attended), the course completed."""
    from datetime import time
    from zoneinfo import ZoneInfo

    from booking.courses import services as courses
    from tests.conftest import NOW

    app.config["FROZEN_NOW"] = booked_at
    try:
        course, _token = courses.book_course(
            service_id=service.id, sessions=3, consent=True,
            start=datetime.combine(first_day, time(hour), tzinfo=ZoneInfo("Europe/Kyiv")),
            patient={"full_name": f"Diary {name}", "email": f"{name.lower()}@example.com",
                     "phone": "+380501234567", "date_of_birth": "1980-01-01"})
    finally:
        app.config["FROZEN_NOW"] = NOW
    course.status = "completed"
    for appointment in course.appointments:
        appointment.status = "completed"
    db.session.commit()
    return course
