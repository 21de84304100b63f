"""Races for one slot on a real file SQLite database: exactly one booking wins, the rest get 409.

Threads share one process (like a threaded server); processes are separate workers with their own
connections (like gunicorn). Both must hold.
"""
import multiprocessing
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import Appointment, Patient
from tests.conftest import NOW, make_app

RACERS = 8
TEN_AM = "2026-12-08T10:00:00+02:00"


def patient(number):
    return {"full_name": f"Racer {number}", "email": f"racer{number}@example.com",
            "phone": "+380501234567", "date_of_birth": "1990-01-01"}


def active_appointments():
    db.session.rollback()  # end any earlier read transaction: see what others committed
    return db.session.execute(
        select(Appointment).where(Appointment.status != "cancelled")).scalars().all()


@pytest.fixture
def two_services(create_service, create_practitioner):
    short = create_service(name="Consultation", duration_minutes=60)
    long = create_service(name="Long session", duration_minutes=120)
    create_practitioner([short, long], full_name="Dr Only")
    return short, long


def race_in_threads(app, bodies):
    """POST every body to the API at the same moment, each from its own thread."""
    barrier = threading.Barrier(len(bodies))
    statuses = [None] * len(bodies)

    def run(index):
        client = app.test_client()
        barrier.wait()
        statuses[index] = client.post("/api/v1/bookings", json=bodies[index]).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_threads_racing_for_one_slot_give_one_booking(app, two_services):
    short, _ = two_services
    bodies = [{"service_id": short.id, "start": TEN_AM, "patient": patient(i), "consent": True}
              for i in range(RACERS)]
    statuses = race_in_threads(app, bodies)
    assert sorted(statuses) == [201] + [409] * (RACERS - 1)
    assert len(active_appointments()) == 1


def test_threads_racing_for_overlapping_slots_of_different_lengths_give_one_booking(
        app, two_services):
    short, long = two_services
    # 10:00-12:00, 10:30-11:30, 11:00-12:00, 11:00-13:00: every pair overlaps.
    bodies = [
        {"service_id": long.id, "start": TEN_AM, "patient": patient(0), "consent": True},
        {"service_id": short.id, "start": "2026-12-08T10:30:00+02:00", "patient": patient(1),
         "consent": True},
        {"service_id": short.id, "start": "2026-12-08T11:00:00+02:00", "patient": patient(2),
         "consent": True},
        {"service_id": long.id, "start": "2026-12-08T11:00:00+02:00", "patient": patient(3),
         "consent": True},
    ] * 2
    statuses = race_in_threads(app, bodies)
    assert statuses.count(201) == 1
    assert statuses.count(409) == len(bodies) - 1
    assert len(active_appointments()) == 1
    # No patient rows were left behind by the refused bookings.
    assert db.session.execute(select(func.count()).select_from(Patient)).scalar_one() == 1


def _book_in_process(database_uri, service_id, number, start_event, results):
    app = make_app(database_uri, FROZEN_NOW=NOW)
    from booking.scheduler import booking_errors, services

    with app.app_context():
        start_event.wait()
        try:
            services.book(service_id=service_id, start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                          patient=patient(number), consent=True)
            results.put("booked")
        except booking_errors.SlotTaken:
            results.put("taken")
        except Exception as error:  # reported, so the test shows what went wrong
            results.put(f"error: {error!r}")


def test_processes_racing_for_one_slot_give_one_booking(app, database_uri, two_services):
    short, _ = two_services
    context = multiprocessing.get_context("spawn")
    start_event, results = context.Event(), context.Queue()
    workers = [
        context.Process(target=_book_in_process,
                        args=(database_uri, short.id, i, start_event, results))
        for i in range(4)
    ]
    for worker in workers:
        worker.start()
    start_event.set()
    outcomes = sorted(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert outcomes == ["booked", "taken", "taken", "taken"]
    assert len(active_appointments()) == 1


def test_the_database_itself_refuses_an_overlap_that_skips_the_service(app, two_services):
    """The last guard: even code that bypasses the booking service cannot double-book."""
    short, long = two_services
    from booking.scheduler import services

    services.book(service_id=long.id, start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                  patient=patient(1), consent=True)  # 10:00-12:00 Kyiv
    existing = active_appointments()[0]
    sneaky = Appointment(
        reference="EX-SNEAKY", manage_token_hash="0" * 64, service_id=short.id,
        practitioner_id=existing.practitioner_id, patient_id=existing.patient_id,
        starts_at=datetime(2026, 12, 8, 9, 30, tzinfo=timezone.utc),  # 11:30 Kyiv
        ends_at=datetime(2026, 12, 8, 10, 30, tzinfo=timezone.utc),
        blocks_until=datetime(2026, 12, 8, 10, 30, tzinfo=timezone.utc),
    )
    db.session.add(sneaky)
    with pytest.raises(IntegrityError, match="appointment_overlap"):
        db.session.commit()
    db.session.rollback()
    # Moving an existing appointment onto another is refused too.
    sneaky.starts_at = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)
    sneaky.ends_at = sneaky.blocks_until = datetime(2026, 12, 8, 11, 0, tzinfo=timezone.utc)
    db.session.add(sneaky)
    db.session.commit()  # 12:00-13:00 touches 10:00-12:00 only at the edge: allowed
    sneaky.starts_at = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)
    with pytest.raises(IntegrityError, match="appointment_overlap"):
        db.session.commit()
    db.session.rollback()


def test_a_cancelled_appointment_does_not_block_the_database_guard(app, two_services):
    short, _ = two_services
    from booking.scheduler import appointment_changes, services

    first, _ = services.book(service_id=short.id,
                             start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                             patient=patient(1), consent=True)
    appointment_changes.cancel_by_patient(first.id)
    again, _ = services.book(service_id=short.id,
                             start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                             patient=patient(2), consent=True)
    assert again.status == "booked"
    assert len(active_appointments()) == 1
