"""The booking service's view of the calendar: closures, buffers and cancelled bookings."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Closure
from booking.scheduler import services
from booking.scheduler import appointment_changes, availability, booking_errors

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY = date(2026, 12, 8)


def at(hour, minute=0, day=TUESDAY):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def local_starts(slots):
    return [s.start.astimezone(KYIV).strftime("%H:%M") for s in slots]


@pytest.fixture
def setup(create_service, create_practitioner):
    service = create_service(duration_minutes=60)
    first = create_practitioner([service], full_name="Dr First")
    second = create_practitioner([service], full_name="Dr Second")
    return service, first, second


def add_closure(start, end, practitioner=None, reason="Closed"):
    db.session.add(Closure(starts_at=start, ends_at=end, practitioner=practitioner, reason=reason))
    db.session.commit()


def test_a_clinic_closure_removes_everyones_slots(setup):
    service, first, second = setup
    add_closure(at(14), at(19), reason="Staff training")
    for practitioner in (first, second):
        starts = local_starts(availability.find_slots(service, TUESDAY, TUESDAY, practitioner))
        assert starts[-1] == "13:00"


def test_a_practitioners_leave_removes_only_their_slots(setup, patient_details):
    service, first, second = setup
    add_closure(at(0), at(0, day=date(2026, 12, 9)), practitioner=first, reason="Leave")
    assert availability.find_slots(service, TUESDAY, TUESDAY, first) == []
    assert local_starts(availability.find_slots(service, TUESDAY, TUESDAY, second))[0] == "10:00"
    # Booking "any practitioner" during the leave goes to the one who is in.
    appointment, _ = services.book(service_id=service.id, start=at(10), patient=patient_details,
                                   consent=True)
    assert appointment.practitioner_id == second.id


def test_booking_inside_a_closure_is_refused(setup, patient_details):
    service, first, _ = setup
    add_closure(at(14), at(19))
    with pytest.raises(booking_errors.SlotNotBookable):
        services.book(service_id=service.id, start=at(15), practitioner_id=first.id,
                      patient=patient_details, consent=True)


def test_the_buffer_after_an_appointment_keeps_the_next_slot_free(create_service,
                                                                 create_practitioner,
                                                                 patient_details):
    therapy = create_service(name="Therapy", duration_minutes=50, grid_minutes=30,
                             buffer_minutes=10)
    practitioner = create_practitioner([therapy])
    services.book(service_id=therapy.id, start=at(10), patient=patient_details, consent=True)
    starts = local_starts(availability.find_slots(therapy, TUESDAY, TUESDAY, practitioner))
    assert "10:30" not in starts
    assert starts[0] == "11:00"  # 10:00 + 50 min + 10 min buffer


def test_any_practitioner_goes_to_the_one_with_fewer_appointments_that_day(setup, patient_details):
    service, first, second = setup
    services.book(service_id=service.id, start=at(12), practitioner_id=first.id,
                  patient=patient_details, consent=True)
    appointment, _ = services.book(service_id=service.id, start=at(10), patient=patient_details,
                                   consent=True)
    assert appointment.practitioner_id == second.id


def test_rescheduling_releases_the_old_time_only_with_the_new_one(setup, patient_details):
    service, first, _ = setup
    appointment, _ = services.book(service_id=service.id, start=at(10), practitioner_id=first.id,
                                   patient=patient_details, consent=True)
    other = dict(patient_details, email="other@example.com")
    services.book(service_id=service.id, start=at(12), practitioner_id=first.id, patient=other,
                  consent=True)
    with pytest.raises(booking_errors.SlotTaken):
        appointment_changes.reschedule_by_patient(appointment.id, at(11, 30))  # overlaps 12:00
    db.session.expire_all()
    assert appointment.starts_at == at(10).astimezone(timezone.utc)
    moved = appointment_changes.reschedule_by_patient(appointment.id, at(14))
    assert moved.starts_at == at(14).astimezone(timezone.utc)
    assert moved.reschedule_count == 1
    starts = local_starts(availability.find_slots(service, TUESDAY, TUESDAY, first))
    assert "10:00" in starts and "14:00" not in starts
