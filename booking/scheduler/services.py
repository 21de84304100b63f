"""Booking services: every door (HTML, JSON API, the reception desk) books through here.

Each public function is one user action and one transaction. The rules come from the pure slot
engine, so what is offered is exactly what can be booked; the database triggers and indexes are
the last guard when two requests race. Cancelling and moving are in appointment_changes.py,
arrival and no-shows in attendance.py, free slots in availability.py.
"""
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit, events
from ..channels import CHANNELS, EMAIL
from ..database import begin_write, retry_on_conflict
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Consent,
    Patient,
    Practitioner,
    Resource,
    Service,
)
from ..timeutil import clinic_tz, utcnow
from .availability import (LONGEST_APPOINTMENT_SPAN, day_bounds_utc, find_slots,
                           get_bookable_service, practitioners_for)
from .booking_errors import SlotNotBookable, SlotTaken, one_change
from .booking_rules import check_rules, clinic_rules, local_today
from .contacts import InvalidDetails, clean_patient_details
from .manage_links import new_token

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes


def new_reference():
    while True:
        reference = "EX-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        exists = db.session.execute(
            select(Appointment.id).where(Appointment.reference == reference)
        ).first()
        if not exists:
            return reference


def lock_practitioners(ids, resource_kind=None):
    """On PostgreSQL, serialise bookings per practitioner, and per resource kind when the
    service needs one (SQLite already holds its write lock)."""
    db.session.execute(
        select(Practitioner.id).where(Practitioner.id.in_(ids)).order_by(Practitioner.id)
        .with_for_update()
    ).all()
    if resource_kind:
        db.session.execute(
            select(Resource.id).where(Resource.kind == resource_kind).order_by(Resource.id)
            .with_for_update()
        ).all()


def choose_slot(service, start, candidates, now, rules, exclude_appointment_id=None):
    """The free slot at `start` (practitioner, and resource if needed), or raise SlotTaken /
    SlotNotBookable.

    With several free, the one with the fewest appointments that day gets it (spreads the load).
    Runs inside the write transaction, so what it sees cannot change before the insert.
    """
    day = start.astimezone(clinic_tz()).date()
    candidate_ids = {p.id for p in candidates}
    only = candidates[0] if len(candidates) == 1 else None
    free = [
        slot for slot in find_slots(service, day, day, only, now=now, rules=rules,
                                    exclude_appointment_id=exclude_appointment_id)
        if slot.start == start and slot.practitioner_id in candidate_ids
    ]
    if len(free) == 1:
        return free[0]
    if free:
        day_start, day_end = day_bounds_utc(day, day)
        counts = dict(db.session.execute(
            select(Appointment.practitioner_id, db.func.count())
            .where(
                Appointment.practitioner_id.in_([s.practitioner_id for s in free]),
                Appointment.status != AppointmentStatus.CANCELLED.value,
                Appointment.starts_at >= day_start,
                Appointment.starts_at < day_end,
            )
            .group_by(Appointment.practitioner_id)
        ).all())
        return min(free, key=lambda s: (counts.get(s.practitioner_id, 0), s.practitioner_id))
    # Nobody is free. Was the time open but taken by someone else (409), or never open (422)?
    open_without_bookings = [
        slot for slot in find_slots(service, day, day, only, now=now, rules=rules,
                                    include_appointments=False)
        if slot.start == start and slot.practitioner_id in candidate_ids
    ]
    if open_without_bookings:
        raise _taken(service, start, candidate_ids, exclude_appointment_id)
    message = _("No practitioner works at that time; please pick one of the offered times.")
    error = SlotNotBookable(message, fields={"start": message})
    error.code = "unavailable"
    raise error


def _taken(service, start, practitioner_ids, exclude_appointment_id=None):
    """SlotTaken for a start that the hours allow but that is not free. When no appointment's
    visit overlaps this visit and only the time kept free after an appointment (its buffer, or
    this service's own) is in the way, the message says so instead of "just taken"."""
    end = start + timedelta(minutes=service.duration_minutes)
    until = end + timedelta(minutes=service.buffer_minutes)
    near = db.session.execute(
        select(Appointment.starts_at, Appointment.ends_at).where(
            Appointment.practitioner_id.in_(practitioner_ids),
            Appointment.status != AppointmentStatus.CANCELLED.value,
            Appointment.starts_at >= start - LONGEST_APPOINTMENT_SPAN,
            Appointment.starts_at < until, Appointment.blocks_until > start,
            *([Appointment.id != exclude_appointment_id] if exclude_appointment_id else []))
    ).all()
    if near and not any(begins < end and start < ends for begins, ends in near):
        return SlotTaken(_("That time is too close to another appointment: the practitioner "
                           "needs a short break between appointments. Please choose another "
                           "time."))
    return SlotTaken(_("Sorry, that time has just been taken. Please choose another."))


def check_free(service, start, practitioner=None, *, now=None):
    """Is `start` a free online time of the service (with that practitioner, or anyone)? For
    the details page before anyone types: raises SlotNotBookable when a rule forbids it (past,
    a weekend, outside hours, too soon, too far ahead, off the grid, nobody works then) or
    SlotTaken when it is booked or too close to another appointment; the same checks and
    messages as booking it."""
    now = now or utcnow()
    rules = clinic_rules()
    check_rules(service, start, now, rules)
    candidates = [practitioner] if practitioner else practitioners_for(service)
    if not candidates:
        raise SlotNotBookable(_("This service cannot be booked at the moment."))
    choose_slot(service, start, candidates, now, rules)


def record_consent(patient, now):
    """The patient agreed to the processing of their data: which text (version) and when."""
    db.session.add(Consent(patient=patient, kind="data_processing",
                           version=current_app.config["CONSENT_VERSION"], given_at=now))


def record_channel(patient, channel, now):
    """How the patient wants reminders and changes (booking/channels.py): email, or, with their
    opt-in (its time on the patient, and a consent row), SMS, Viber or Telegram."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    patient.preferred_channel = channel
    if channel == EMAIL:
        patient.channel_consent_at = None
        return
    patient.channel_consent_at = now
    db.session.add(Consent(patient=patient, kind="messages",
                           version=current_app.config["CONSENT_VERSION"], given_at=now))


def _channel_errors(channel, channel_consent):
    if channel is None:
        return {}
    if channel not in CHANNELS:
        return {"channel": _("Please choose how we send you reminders.")}
    if channel != EMAIL and channel_consent is not True:
        return {"channel_consent": _("Please agree to these messages, or choose email.")}
    return {}


def hold_resource(appointment, resource_id, service):
    """Keep the chair (or room) for the clinician's part and the observation after it."""
    appointment.resource_id = resource_id
    appointment.resource_until = (
        appointment.ends_at + timedelta(minutes=service.observation_minutes or 0)
        if resource_id is not None else None)


def find_or_create_patient(details, language, channel=None, now=None):
    patient = db.session.execute(
        select(Patient).where(
            Patient.email == details.email, Patient.date_of_birth == details.date_of_birth
        )
    ).scalar_one_or_none()
    if patient is None:
        patient = Patient(
            full_name=details.full_name, email=details.email, phone=details.phone,
            date_of_birth=details.date_of_birth, language=language,
        )
        db.session.add(patient)
    else:
        # A returning patient: keep their record, but reach them on the number they gave today,
        # and write to them in the language they booked in today.
        patient.phone = details.phone
        if language in current_app.config["LANGUAGES"]:
            patient.language = language
    if channel is not None:
        record_channel(patient, channel, now or utcnow())
    return patient


def validated_details(patient, consent, start, now, channel=None, channel_consent=False):
    errors = _channel_errors(channel, channel_consent)
    details = None
    try:
        details = clean_patient_details(
            patient.get("full_name"), patient.get("email"), patient.get("phone"),
            patient.get("date_of_birth"), today=local_today(now),
        )
    except InvalidDetails as exc:
        errors.update(exc.fields)
    if consent is not True:
        errors["consent"] = _("Please agree to the processing of your data so we can book for you.")
    if not isinstance(start, datetime):
        errors["start"] = _("Please pick a time.")
    if errors:
        raise InvalidDetails(errors)
    return details


@retry_on_conflict
def _create_appointment(service, start, candidates, patient_for, *, now, rules, source,
                        consent_kind=None):
    """The atomic step every booking door shares: under the write lock, check that `start` is
    free for one of `candidates`, then insert. `patient_for()` finds or makes the patient row
    inside the same transaction. Returns (appointment, manage_token)."""
    if not candidates:
        raise SlotNotBookable(_("This service cannot be booked at the moment."))
    check_rules(service, start, now, rules)
    begin_write()
    with one_change():
        lock_practitioners([p.id for p in candidates], service.resource_kind)
        slot = choose_slot(service, start, candidates, now, rules)
        patient_row = patient_for()
        if consent_kind:
            record_consent(patient_row, now)
        token, token_hash = new_token()
        end = start + timedelta(minutes=service.duration_minutes)
        appointment = Appointment(
            reference=new_reference(), manage_token_hash=token_hash, service=service,
            practitioner_id=slot.practitioner_id, patient=patient_row, starts_at=start,
            ends_at=end, blocks_until=end + timedelta(minutes=service.buffer_minutes),
            status=AppointmentStatus.BOOKED.value, source=source, created_at=now,
        )
        hold_resource(appointment, slot.resource_id, service)
        db.session.add(appointment)
        db.session.flush()
        audit.record("appointment.create", object_type="appointment", object_id=appointment.id,
                     details={"after": audit.appointment_snapshot(appointment), "source": source},
                     actor_label=None if source == "staff" else "patient")
        # The confirmation (with the link) is queued by notifications, in this transaction.
        events.publish("booked", appointment_id=appointment.id, manage_token=token)
        db.session.commit()
    return appointment, token


def book(*, service_id, start, patient, consent, practitioner_id=None, source="online",
         language="en", channel=None, channel_consent=False, now=None):
    """Book `start` online (or through the API) for a new or returning patient.

    `patient` is a mapping with full_name, email, phone, date_of_birth (as typed); `channel`
    (with `channel_consent` for anything but email) how they want reminders. Returns
    (appointment, manage_token). Raises InvalidDetails, SlotNotBookable (422), SlotTaken (409)
    or LookupError (unknown ids).
    """
    now = now or utcnow()
    service = get_bookable_service(service_id)
    if service is None:
        raise LookupError("service")
    candidates = _candidates(service, practitioner_id)
    details = validated_details(patient, consent, start, now, channel, channel_consent)
    return _create_appointment(
        service, start, candidates,
        lambda: find_or_create_patient(details, language, channel, now),
        now=now, rules=clinic_rules(), source=source, consent_kind="data_processing")


def _candidates(service, practitioner_id):
    candidates = practitioners_for(service)
    if practitioner_id is not None:
        candidates = [p for p in candidates if p.id == practitioner_id]
        if not candidates:
            raise LookupError("practitioner")
    return candidates


def book_by_staff(*, service_id, start, actor, practitioner_id=None, patient_id=None,
                  patient=None, consent=False, language="uk", now=None):
    """A receptionist books a caller: an existing patient (patient_id) or a new one (patient
    details plus the caller's consent). Same engine, same lock, same guard; no minimum notice,
    a longer horizon, and services that are not bookable online may be booked. `language` is
    the one the caller chose for their emails (a new patient's; an existing one keeps theirs)."""
    now = now or utcnow()
    # Its practitioners come in the same query: every caller asks for them next.
    service = db.session.get(Service, service_id, options=[joinedload(Service.practitioners)])
    if service is None or not service.active or service.is_course:
        raise LookupError("service")
    candidates = _candidates(service, practitioner_id)
    if patient_id is not None:
        if db.session.get(Patient, patient_id) is None:
            raise LookupError("patient")
        if not isinstance(start, datetime):
            raise InvalidDetails({"start": _("Please pick a time.")})
        return _create_appointment(
            service, start, candidates, lambda: db.session.get(Patient, patient_id),
            now=now, rules=clinic_rules(for_staff=True), source="staff")
    details = validated_details(patient or {}, consent, start, now)
    return _create_appointment(
        service, start, candidates, lambda: find_or_create_patient(details, language),
        now=now, rules=clinic_rules(for_staff=True), source="staff",
        consent_kind="data_processing")
