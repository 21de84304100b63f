"""The desk books a caller and moves an appointment (read side): the free times with the desk's
rules, what the "book a caller" page shows for its choices, the caller's other appointments that
day, and a week of times to move an appointment to. The one write, `reschedule`, hands the move
to the service that owns it (services.py, or the course service for a course session).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..courses import services as courses
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Patient, Practitioner, Service
from ..timeutil import to_local
from . import appointment_changes, availability, booking_errors, booking_rules
from .desk_lookups import (CANCELLED, active_practitioner, active_practitioners, get_patient,
                           staff_services, with_desk_details)


# --- Booking a caller who already has an appointment that day --------------------------------------

@dataclass
class SameDay:
    appointment: Appointment
    overlaps: bool  # at the same time as the new one (with another practitioner: no double
    #                 booking of a practitioner is possible)


def same_day_appointments(patient_id, start, service):
    """The patient's other live appointments on the local day of `start`, each saying whether
    it overlaps the new visit: what the desk asks about before booking."""
    day = to_local(start).date()
    range_start, range_end = availability.day_bounds_utc(day, day)
    end = start + timedelta(minutes=service.duration_minutes)
    rows = db.session.execute(with_desk_details(
        select(Appointment).where(Appointment.patient_id == patient_id,
                                  Appointment.status != CANCELLED,
                                  Appointment.starts_at >= range_start,
                                  Appointment.starts_at < range_end)
        .order_by(Appointment.starts_at))).scalars().all()
    return [SameDay(a, a.starts_at < end and start < a.ends_at) for a in rows]


# --- Free times, for booking a caller and for moving an appointment. ----------------------------

def free_times(service, first_day, last_day=None, practitioner=None, *, exclude=None, now=None):
    """Free slots with the desk's rules (no minimum notice, the longer staff horizon); `exclude`
    is an appointment being moved: its own time counts as free, but is not offered."""
    found = availability.find_slots(
        service, first_day, last_day or first_day, practitioner, now=now,
        exclude_appointment_id=exclude.id if exclude else None,
        rules=booking_rules.clinic_rules(for_staff=True))
    if exclude is not None:
        found = [s for s in found if not (s.start == exclude.starts_at
                                          and s.practitioner_id == exclude.practitioner_id)]
    return found


def practitioners_offering(service):
    return availability.practitioners_for(service)


@dataclass
class DaySlots:
    """Free times of one local day, one entry per start (the shape templates/_macros/slots.html
    draws)."""

    day: date
    slots: list


def days_of(slots, first_day, last_day):
    """Slots grouped by local day; a start offered by several practitioners appears once."""
    by_day, seen = {}, set()
    for slot in slots:
        if slot.start in seen:
            continue
        seen.add(slot.start)
        by_day.setdefault(to_local(slot.start).date(), []).append(slot)
    days, day = [], first_day
    while day <= last_day:
        if day in by_day:
            days.append(DaySlots(day, by_day[day]))
        day += timedelta(days=1)
    return days


@dataclass
class BookingChoice:
    """What the "book a caller" page shows for the choices in its URL."""

    services: list  # what can be chosen (those the practitioner offers, when one is given)
    service: Service | None
    practitioners: list  # who offers the chosen service (everyone active before that)
    practitioner: Practitioner | None  # None: any practitioner
    day: date
    slots: list  # free times of the day, one per start
    start: datetime | None  # the chosen time, when it is free for this choice
    start_not_free: bool  # a time was asked for but is not free for this choice
    patient: Patient | None  # a patient chosen beforehand (from their page)


def booking_choice(*, service_id=None, practitioner_id=None, day=None, start=None,
                   patient_id=None, keep_start=False, now=None):
    """Resolve the page's choices and find the free times of the day, with the desk's rules.

    `keep_start` keeps a time that is not free (to show it beside the error it caused)."""
    practitioner = active_practitioner(practitioner_id)
    offered = staff_services()
    if practitioner is not None:
        offered = [s for s in offered if practitioner in s.practitioners] or offered
    service = next((s for s in offered if s.id == service_id), None)
    if service is None and practitioner is not None and len(offered) == 1:
        service = offered[0]
    practitioners = practitioners_offering(service) if service else active_practitioners()
    if practitioner not in practitioners:
        practitioner = None
    if start is not None and day is not None and to_local(start).date() != day:
        start = None  # another day was chosen since
    day = day or (to_local(start).date() if start else booking_rules.local_today(now))
    found = free_times(service, day, day, practitioner, now=now) if service else []
    slots = [slot for day_slots in days_of(found, day, day) for slot in day_slots.slots]
    chosen = start if start is not None and any(s.start == start for s in slots) else None
    return BookingChoice(
        services=offered, service=service, practitioners=practitioners,
        practitioner=practitioner, day=day, slots=slots,
        # A time picked on the calendar stays until a service is chosen, then it must be free.
        start=start if (keep_start or service is None) and start is not None else chosen,
        start_not_free=start is not None and service is not None and chosen is None,
        patient=get_patient(patient_id),
    )


@dataclass
class MoveOptions:
    appointment: Appointment
    practitioners: list  # who may take it: its practitioner, and the others offering the service
    practitioner: Practitioner
    monday: date
    days: list  # DaySlots of the week
    movable: bool


def move_options(appointment_id, *, week=None, practitioner_id=None, now=None):
    """A week of free times to move an appointment to, for its practitioner or another who offers
    the service (its own time is not offered). None when there is no such appointment."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        return None
    practitioners = practitioners_offering(appointment.service)
    if appointment.course_id is not None:
        practitioners = []  # a course keeps one practitioner (reschedule below)
    if appointment.practitioner not in practitioners:
        practitioners = [appointment.practitioner, *practitioners]
    practitioner = next((p for p in practitioners if p.id == practitioner_id),
                        appointment.practitioner)
    today = booking_rules.local_today(now)
    if week is None:
        week = max(to_local(appointment.starts_at).date(), today)
    monday = week - timedelta(days=week.weekday())
    movable = appointment.status == AppointmentStatus.BOOKED.value
    found = free_times(appointment.service, monday, monday + timedelta(days=6), practitioner,
                       exclude=appointment, now=now) if movable else []
    return MoveOptions(appointment, practitioners, practitioner, monday,
                       days_of(found, monday, monday + timedelta(days=6)), movable)


def reschedule(appointment_id, new_start, *, practitioner_id=None, now=None):
    """The desk moves an appointment: a course session through the course service (which keeps
    the course's order and its one practitioner), any other through the booking service."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise LookupError("appointment")
    if appointment.course_id is None:
        return appointment_changes.reschedule_by_staff(appointment_id, new_start,
                                                       practitioner_id=practitioner_id, now=now)
    if practitioner_id not in (None, appointment.practitioner_id):
        message = _("A course keeps one practitioner; move the whole course instead.")
        raise booking_errors.SlotNotBookable(message, fields={"start": message})
    return courses.move_session(appointment_id, new_start, by_staff=True, now=now)
