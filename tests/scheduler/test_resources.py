"""Infusion chairs through the booking service: two chairs, no third overlapping infusion."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import Appointment, Resource
from booking.scheduler import services
from booking.scheduler import appointment_changes, availability, booking_errors

TEN = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)     # Tuesday 10:00 Kyiv
ELEVEN = datetime(2026, 12, 8, 9, tzinfo=timezone.utc)  # 11:00 Kyiv


def person(n):
    return {"full_name": f"Patient {n}", "email": f"p{n}@example.com", "phone": "+380501234567",
            "date_of_birth": "1980-01-01"}


@pytest.fixture
def infusion_clinic(create_service, create_practitioner):
    infusion = create_service(name="Ketamine infusion session", duration_minutes=60,
                              grid_minutes=60, observation_minutes=60,
                              resource_kind="infusion_chair")
    doctors = [create_practitioner([infusion], full_name=f"Dr {n}") for n in range(3)]
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair"),
                        Resource(name="Room A", kind="room")])
    db.session.commit()
    return infusion, doctors


def test_two_chairs_take_two_overlapping_infusions_and_refuse_a_third(infusion_clinic):
    infusion, doctors = infusion_clinic
    first, _ = services.book(service_id=infusion.id, start=TEN, patient=person(1), consent=True,
                             practitioner_id=doctors[0].id)
    second, _ = services.book(service_id=infusion.id, start=TEN, patient=person(2), consent=True,
                              practitioner_id=doctors[1].id)
    assert {first.resource_id, second.resource_id} == {1, 2}
    assert first.resource_until == datetime(2026, 12, 8, 10, tzinfo=timezone.utc)  # 12:00 Kyiv
    with pytest.raises(booking_errors.SlotTaken):
        services.book(service_id=infusion.id, start=ELEVEN, patient=person(3), consent=True,
                      practitioner_id=doctors[2].id)  # both chairs busy until 12:00
    offered = availability.find_slots(infusion, first.starts_at.date(), first.starts_at.date(),
                                      doctors[2])
    assert ELEVEN not in [s.start for s in offered]


def test_the_doctor_is_free_during_observation_but_the_chair_is_not(infusion_clinic):
    infusion, doctors = infusion_clinic
    services.book(service_id=infusion.id, start=TEN, patient=person(1), consent=True,
                  practitioner_id=doctors[0].id)
    next_one, _ = services.book(service_id=infusion.id, start=ELEVEN, patient=person(2),
                                consent=True, practitioner_id=doctors[0].id)
    assert next_one.resource_id == 2


def test_cancelling_frees_the_chair(infusion_clinic):
    infusion, doctors = infusion_clinic
    booked = [services.book(service_id=infusion.id, start=TEN, patient=person(n), consent=True,
                            practitioner_id=doctors[n].id)[0] for n in (0, 1)]
    appointment_changes.cancel_by_patient(booked[0].id)
    third, _ = services.book(service_id=infusion.id, start=TEN, patient=person(3), consent=True,
                             practitioner_id=doctors[2].id)
    assert third.resource_id == booked[0].resource_id


def test_the_database_refuses_two_infusions_in_one_chair(infusion_clinic):
    infusion, doctors = infusion_clinic
    first, _ = services.book(service_id=infusion.id, start=TEN, patient=person(1), consent=True,
                             practitioner_id=doctors[0].id)
    db.session.add(Appointment(
        reference="EX-CHAIR1", manage_token_hash="1" * 64, service_id=infusion.id,
        practitioner_id=doctors[1].id, patient_id=first.patient_id, starts_at=ELEVEN,
        ends_at=datetime(2026, 12, 8, 10, tzinfo=timezone.utc),
        blocks_until=datetime(2026, 12, 8, 10, tzinfo=timezone.utc),
        resource_id=first.resource_id, resource_until=datetime(2026, 12, 8, 11, tzinfo=timezone.utc),
    ))
    with pytest.raises(IntegrityError, match="appointment_overlap"):
        db.session.commit()
    db.session.rollback()


def test_three_racing_for_two_chairs_give_two_bookings(app, infusion_clinic):
    infusion, doctors = infusion_clinic
    service_id, doctor_ids = infusion.id, [d.id for d in doctors]  # read before the threads
    barrier = threading.Barrier(3)
    statuses = [None] * 3

    def run(n):
        client = app.test_client()
        barrier.wait()
        statuses[n] = client.post("/api/v1/bookings", json={
            "service_id": service_id, "practitioner_id": doctor_ids[n],
            "start": "2026-12-08T10:00:00+02:00", "patient": person(n), "consent": True,
        }).status_code

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 201, 409]
    db.session.rollback()
    held = db.session.execute(select(Appointment.resource_id).where(
        Appointment.status != "cancelled")).scalars().all()
    assert sorted(held) == [1, 2]
