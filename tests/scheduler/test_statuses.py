"""Appointment statuses follow time: arrival from ARRIVAL_WINDOW_MINUTES before the start, a
no-show or a completed visit only from the start on; a step back corrects a slip at any time.

The appointment is on Tuesday 8 December 2026, 10:00 in Kyiv; each case passes its own `now`.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, AuditEvent
from booking.scheduler import services
from booking.scheduler import appointment_changes, attendance, booking_errors

KYIV = ZoneInfo("Europe/Kyiv")
START = datetime.combine(date(2026, 12, 8), time(10), tzinfo=KYIV)


def minutes(n):
    return timedelta(minutes=n)


@pytest.fixture
def appointment(create_service, create_practitioner, patient_details):
    service = create_service(duration_minutes=60)
    create_practitioner([service])
    booked, _token = services.book(service_id=service.id, start=START, patient=patient_details,
                                   consent=True)
    return booked


def status_of(appointment_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Appointment, appointment_id).status


def status_events(appointment_id):
    db.session.rollback()
    return db.session.execute(
        select(func.count()).select_from(AuditEvent)
        .where(AuditEvent.action == "appointment.status", AuditEvent.object_id == appointment_id)
    ).scalar_one()


def move_to(appointment_id, *steps, now):
    for status in steps:
        attendance.set_status(appointment_id, status, now=now)


FORWARD_CASES = [
    # (steps first, the status asked, now relative to the start, allowed?)
    ((), "arrived", -minutes(61), False),
    ((), "arrived", -minutes(60), True),
    ((), "arrived", minutes(30), True),
    ((), "arrived", -timedelta(days=7), False),
    ((), "no_show", -minutes(1), False),
    ((), "no_show", timedelta(0), True),
    ((), "no_show", minutes(1), True),
    ((), "no_show", -timedelta(days=7), False),
    (("arrived",), "completed", -minutes(1), False),
    (("arrived",), "completed", timedelta(0), True),
    (("arrived",), "completed", minutes(1), True),
]


@pytest.mark.parametrize("steps, status, offset, allowed", FORWARD_CASES)
def test_a_status_is_given_only_once_it_can_have_happened(appointment, steps, status, offset,
                                                         allowed):
    now = START + offset
    move_to(appointment.id, *steps, now=START - minutes(30))
    before = status_of(appointment.id)
    events_before = status_events(appointment.id)

    assert (status in attendance.allowed_statuses(appointment, now)) is allowed
    if allowed:
        attendance.set_status(appointment.id, status, now=now)
        assert status_of(appointment.id) == status
        assert status_events(appointment.id) == events_before + 1
    else:
        with pytest.raises(booking_errors.StatusTooEarly) as refused:
            attendance.set_status(appointment.id, status, now=now)
        assert refused.value.status == 422
        assert status_of(appointment.id) == before
        assert status_events(appointment.id) == events_before


@pytest.mark.parametrize("steps, back", [
    (("arrived",), "booked"),
    (("no_show",), "booked"),
    (("arrived", "completed"), "arrived"),
])
def test_a_step_back_corrects_a_slip_at_any_time(appointment, steps, back):
    move_to(appointment.id, *steps, now=START + minutes(5))
    # Later that day, or (a clock set wrong at the desk) before the start: the slip is undone.
    for now in (START + minutes(300), START - timedelta(days=1)):
        attendance.set_status(appointment.id, back, now=now)
        assert status_of(appointment.id) == back
        move_to(appointment.id, steps[-1], now=START + minutes(5))


@pytest.mark.parametrize("status, message", [
    ("arrived", "Arrival can be marked from Tuesday, 8 December, 09:00, 60 minutes before the "
                "start."),
    ("no_show", "A no-show can be marked only once the appointment has started (Tuesday, "
                "8 December, 10:00)."),
])
def test_a_refusal_says_from_when_in_kyiv_time(appointment, status, message):
    with pytest.raises(booking_errors.StatusTooEarly) as refused:
        attendance.set_status(appointment.id, status, now=START - timedelta(days=1))
    assert refused.value.message == message


def test_the_arrival_window_is_a_clinic_setting(app, appointment):
    app.config["ARRIVAL_WINDOW_MINUTES"] = 15
    assert "arrived" not in attendance.allowed_statuses(appointment, START - minutes(16))
    assert "arrived" in attendance.allowed_statuses(appointment, START - minutes(15))


def test_a_move_that_does_not_exist_is_still_refused_after_the_start(appointment):
    with pytest.raises(booking_errors.NotActive):
        attendance.set_status(appointment.id, "completed", now=START + minutes(5))
    assert status_of(appointment.id) == "booked"


def test_a_cancelled_appointment_gets_no_status(appointment):
    appointment_changes.cancel_by_staff(appointment.id, "called", cancelled_by="patient")
    assert attendance.allowed_statuses(appointment, START + minutes(5)) == frozenset()
    with pytest.raises(booking_errors.NotActive):
        attendance.set_status(appointment.id, "no_show", now=START + minutes(5))
    assert status_of(appointment.id) == "cancelled"
