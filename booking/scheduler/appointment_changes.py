"""Changing a booked appointment: cancelling and moving it, by the patient online (until the
manage window closes) or by reception (at any time, to another practitioner too). Each public
function is one transaction; a move releases the old time only together with taking the new one.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, events
from ..database import begin_write, retry_on_conflict
from ..extensions import db
from ..models import Appointment, AppointmentStatus
from ..timeutil import utcnow
from .availability import practitioners_for
from .booking_errors import ManageWindowClosed, NotActive, SlotNotBookable, one_change
from .booking_rules import check_rules, clinic_rules
from .services import choose_slot, hold_resource, lock_practitioners


def manage_window_open(appointment, now=None):
    """Can the patient still cancel or reschedule online? Closes MANAGE_CUTOFF_HOURS before."""
    return appointment.status == AppointmentStatus.BOOKED.value \
        and (now or utcnow()) < change_deadline(appointment)


def change_deadline(appointment):
    """Until when the patient may cancel or reschedule online."""
    return appointment.starts_at - timedelta(hours=current_app.config["MANAGE_CUTOFF_HOURS"])


def locked_row(appointment_id):
    """The appointment, locked for this write transaction (LookupError when there is none)."""
    begin_write()
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if appointment is None:
        raise LookupError("appointment")
    return appointment


def locked(appointment_id):
    """The appointment locked for a change: only while it is not cancelled."""
    appointment = locked_row(appointment_id)
    if not appointment.is_active:
        raise NotActive(_("This booking is already cancelled."))
    return appointment


def _lock_for_change(appointment_id, now):
    appointment = locked(appointment_id)
    if appointment.course_id is not None:
        raise NotActive(_("This session belongs to a course: change it on the course page."))
    if not manage_window_open(appointment, now):
        raise ManageWindowClosed(
            _("It is too late to change this booking online. Please call the clinic.")
        )
    return appointment


def _cancel(appointment, reason, cancelled_by, now, actor_label):
    before = audit.appointment_snapshot(appointment)
    appointment.status = AppointmentStatus.CANCELLED.value
    appointment.cancelled_at = now
    appointment.cancelled_by = cancelled_by
    appointment.cancel_reason = (reason or "").strip()[:500] or None
    appointment.sequence += 1
    audit.record("appointment.cancel", object_type="appointment", object_id=appointment.id,
                 details={"before": before, "after": audit.appointment_snapshot(appointment)},
                 actor_label=actor_label)
    events.publish("time_freed", practitioner_id=appointment.practitioner_id,
                   starts_at=appointment.starts_at, ends_at=appointment.blocks_until, now=now,
                   what="a cancellation")
    events.publish("cancelled", appointment_id=appointment.id)  # told, whoever cancelled
    db.session.commit()


@retry_on_conflict
def cancel_by_patient(appointment_id, reason="", *, now=None):
    now = now or utcnow()
    try:
        appointment = _lock_for_change(appointment_id, now)
        _cancel(appointment, reason, "patient", now, "patient")
    except Exception:
        db.session.rollback()
        raise
    return appointment


@retry_on_conflict
def cancel_by_staff(appointment_id, reason="", *, cancelled_by="clinic", now=None):
    """Reception cancels at any time, saying who asked (the patient, or the clinic)."""
    if cancelled_by not in ("patient", "clinic"):
        raise ValueError(cancelled_by)
    now = now or utcnow()
    try:
        appointment = locked(appointment_id)
        if appointment.status != AppointmentStatus.BOOKED.value:
            raise NotActive(_("Only a booked appointment can be cancelled."))
        _cancel(appointment, reason, cancelled_by, now, None)
    except Exception:
        db.session.rollback()
        raise
    return appointment


def move(appointment, new_start, practitioner, now, rules, actor_label):
    """Move in one UPDATE: the old time is released only together with the new one being taken."""
    service = appointment.service
    if new_start == appointment.starts_at and practitioner.id == appointment.practitioner_id:
        raise SlotNotBookable(_("That is the time you already have."))
    check_rules(service, new_start, now, rules)
    lock_practitioners(sorted({appointment.practitioner_id, practitioner.id}),
                        service.resource_kind)
    slot = choose_slot(service, new_start, [practitioner], now, rules,
                        exclude_appointment_id=appointment.id)
    before = audit.appointment_snapshot(appointment)
    end = new_start + timedelta(minutes=service.duration_minutes)
    appointment.practitioner_id = practitioner.id
    appointment.starts_at = new_start
    appointment.ends_at = end
    appointment.blocks_until = end + timedelta(minutes=service.buffer_minutes)
    hold_resource(appointment, slot.resource_id, service)
    appointment.reschedule_count += 1
    appointment.sequence += 1  # calendars holding the .ics must follow the change
    audit.record("appointment.reschedule", object_type="appointment", object_id=appointment.id,
                 details={"before": before, "after": audit.appointment_snapshot(appointment)},
                 actor_label=actor_label)
    events.publish("time_freed", practitioner_id=before["practitioner_id"],
                   starts_at=datetime.fromisoformat(before["starts_at"]),
                   ends_at=datetime.fromisoformat(before["ends_at"]), now=now, what="a move")
    events.publish("moved", appointment_id=appointment.id)  # a session's: a course notice
    db.session.commit()


@retry_on_conflict
def reschedule_by_patient(appointment_id, new_start, *, now=None):
    """Move a booking to another free time of the same practitioner, in one step."""
    now = now or utcnow()
    with one_change():
        appointment = _lock_for_change(appointment_id, now)
        move(appointment, new_start, appointment.practitioner, now, clinic_rules(), "patient")
    return appointment


@retry_on_conflict
def reschedule_by_staff(appointment_id, new_start, *, practitioner_id=None, now=None):
    """Reception moves a booked appointment, to another practitioner too if they offer it.

    A session of a course moves through the course service (courses.services.move_session,
    which keeps the course's order and practitioner): `desk_booking.reschedule` chooses."""
    now = now or utcnow()
    with one_change():
        appointment = locked(appointment_id)
        if appointment.course_id is not None:
            raise NotActive(_("This session belongs to a course: change it on the course page."))
        if appointment.status != AppointmentStatus.BOOKED.value:
            raise NotActive(_("Only a booked appointment can be moved."))
        practitioner = appointment.practitioner
        if practitioner_id is not None and practitioner_id != practitioner.id:
            practitioner = next((p for p in practitioners_for(appointment.service)
                                 if p.id == practitioner_id), None)
            if practitioner is None:
                raise LookupError("practitioner")
        move(appointment, new_start, practitioner, now, clinic_rules(for_staff=True), None)
    return appointment
