"""Booking services: every door (HTML, JSON API, later the reception desk) books through here.

Each public function is one user action and one transaction. The rules come from the pure slot
engine, so what is offered is exactly what can be booked; the database triggers and indexes are
the last guard when two requests race.
"""
import hashlib
import secrets
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, events
from ..channels import CHANNELS, EMAIL
from ..database import begin_write, retry_on_conflict
from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    Closure,
    Consent,
    Course,
    MessageLink,
    Patient,
    Practitioner,
    Resource,
    Service,
    WorkingHours,
)
from ..timeutil import clinic_tz, utcnow
from . import recurrence
from . import slots as engine
from . import statuses
from .contacts import InvalidDetails, clean_patient_details

# Appointments never cross midnight and buffers are short, so an appointment that touches a
# range starts at most this long before it: lets range queries use the starts_at index.
LONGEST_APPOINTMENT_SPAN = timedelta(days=1)
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
STATUS_TIME_PATTERN = "EEEE, d MMMM, HH:mm"  # in "not yet" messages (Kyiv time)


# --- Domain errors: views turn them into form errors, flashes or HTTP statuses. ---------------

class BookingError(Exception):
    status = 422
    code = "invalid"

    def __init__(self, message, fields=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class SlotTaken(BookingError):
    status = 409
    code = "slot_taken"


class SlotNotBookable(BookingError):
    """The requested time breaks a clinic rule (outside hours, past, off the grid, ...)."""


class ManageWindowClosed(BookingError):
    code = "too_late"


class NotActive(BookingError):
    code = "not_active"


class StatusTooEarly(BookingError):
    """A status that records what has not happened yet (arrived, no-show, completed)."""

    code = "too_early"


# --- Settings turned into the engine's plain values. --------------------------------------------

def _parse_clock(value):
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def clinic_rules(for_staff=False):
    """The clinic's rules for the engine. Staff booking a caller keep every rule (hours, days,
    no overlap, nothing in the past) but not the online minimum notice, and may book further
    ahead (a follow-up in three months)."""
    config = current_app.config
    return engine.ClinicRules(
        open_weekdays=frozenset(config["CLINIC_OPEN_WEEKDAYS"]),
        opens=_parse_clock(config["CLINIC_OPENS"]),
        closes=_parse_clock(config["CLINIC_CLOSES"]),
        min_notice=timedelta(0) if for_staff else timedelta(minutes=config["MIN_NOTICE_MINUTES"]),
        horizon_days=config["STAFF_BOOKING_HORIZON_DAYS" if for_staff else "BOOKING_HORIZON_DAYS"],
    )


def service_timing(service):
    return engine.ServiceTiming(
        duration_minutes=service.duration_minutes,
        grid_minutes=service.grid_minutes,
        buffer_minutes=service.buffer_minutes,
        observation_minutes=service.observation_minutes or 0,
    )


def local_today(now=None):
    return (now or utcnow()).astimezone(clinic_tz()).date()


def last_bookable_day(now=None):
    """The last local date online booking reaches (the horizon), as the slot engine counts it."""
    return local_today(now) + timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])


# --- Reading: services, practitioners, free slots. ----------------------------------------------

def bookable_services():
    query = (
        select(Service)
        .where(Service.active.is_(True), Service.online_bookable.is_(True))
        .order_by(Service.position, Service.id)
    )
    return db.session.execute(query).scalars().all()


def get_bookable_service(service_id):
    """A service bookable online as a single appointment (courses book through the course
    service, all sessions at once)."""
    # Its practitioners come in the same query: every caller asks for them next.
    service = db.session.get(Service, service_id, options=[joinedload(Service.practitioners)])
    if service is None or not service.active or not service.online_bookable or service.is_course:
        return None
    return service


def practitioners_for(service):
    return [p for p in service.practitioners if p.active]


def _day_bounds_utc(first_day, last_day):
    tz = clinic_tz()
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def _add_busy_intervals(busy, owner_column, until_column, range_start, range_end,
                        exclude_ids=()):
    """Append to busy[owner] the interval each live appointment in the range holds that owner
    (a practitioner or a resource) busy; owner_column names the owner, until_column the end.

    Bounded by the range: appointments start at most LONGEST_APPOINTMENT_SPAN before it."""
    rows = db.session.execute(
        select(owner_column, Appointment.starts_at, until_column)
        .where(
            owner_column.in_(list(busy)),
            Appointment.status != AppointmentStatus.CANCELLED.value,
            Appointment.starts_at >= range_start - LONGEST_APPOINTMENT_SPAN,
            Appointment.starts_at < range_end,
            until_column > range_start,
            *([Appointment.id.not_in(exclude_ids)] if exclude_ids else []),
        )
    ).all()
    for owner_id, starts_at, until in rows:
        busy[owner_id].append(engine.Interval(starts_at, until))


def _calendars(practitioners, first_day, last_day, exclude_ids=(), include_appointments=True):
    """The engine's view of each practitioner over the days asked: hours and busy intervals.

    Queries are bounded by the range, so the cost follows the appointments in the range, not
    the whole history.
    """
    ids = [p.id for p in practitioners]
    range_start, range_end = _day_bounds_utc(first_day, last_day)
    hours = db.session.execute(
        select(WorkingHours).where(WorkingHours.practitioner_id.in_(ids))
    ).scalars().all()
    busy = {pid: [] for pid in ids}
    if include_appointments:
        _add_busy_intervals(busy, Appointment.practitioner_id, Appointment.blocks_until,
                            range_start, range_end, exclude_ids)
    clinic_closures = []
    for closure, start, end in closures_between(range_start, range_end):
        interval = engine.Interval(start, end)
        if closure.practitioner_id is None:
            clinic_closures.append(interval)
        elif closure.practitioner_id in busy:
            busy[closure.practitioner_id].append(interval)
    calendars = [
        engine.PractitionerCalendar(
            practitioner_id=pid,
            working_periods=tuple(
                engine.WorkingPeriod(h.weekday, h.start_time, h.end_time)
                for h in hours if h.practitioner_id == pid
            ),
            busy=tuple(busy[pid]),
        )
        for pid in ids
    ]
    return calendars, clinic_closures


def _resource_calendars(service, first_day, last_day, exclude_ids=(),
                        include_appointments=True):
    """The engine's view of the resources a service needs (None when it needs none)."""
    if not service.resource_kind:
        return None
    resources = db.session.execute(
        select(Resource.id).where(Resource.kind == service.resource_kind,
                                  Resource.active.is_(True))
    ).scalars().all()
    busy = {rid: [] for rid in resources}
    if resources and include_appointments:
        range_start, range_end = _day_bounds_utc(first_day, last_day)
        _add_busy_intervals(busy, Appointment.resource_id, Appointment.resource_until,
                            range_start, range_end, exclude_ids)
    return [engine.ResourceCalendar(rid, tuple(busy[rid])) for rid in resources]


def closures_between(range_start, range_end):
    """(closure, start, end) for every closure occurrence overlapping the range: one-off
    closures as they are, recurring ones expanded (only those that can reach the range)."""
    tz = clinic_tz()
    closures = db.session.execute(
        select(Closure).where(
            Closure.starts_at < range_end,
            or_(and_(Closure.rrule.is_(None), Closure.ends_at > range_start),
                and_(Closure.rrule.is_not(None),
                     Closure.repeat_until.is_(None)
                     | (Closure.repeat_until >= range_start.astimezone(tz).date()))))
        .order_by(Closure.id)
    ).scalars().all()
    found = [(closure, closure.starts_at, closure.ends_at)
             for closure in closures if closure.rrule is None]
    for closure in (closure for closure in closures if closure.rrule is not None):
        for start, end in recurrence.occurrences(
                closure.starts_at, closure.ends_at, closure.rrule, until=closure.repeat_until,
                window_start=range_start, window_end=range_end, tz=tz):
            found.append((closure, start, end))
    return found


def find_slots(service, first_day, last_day, practitioner=None, *, now=None,
               exclude_appointment_id=None, include_appointments=True, rules=None,
               exclude_appointment_ids=()):
    """Free slots of a service between two local dates (inclusive), for one or every practitioner.

    `rules` defaults to the online rules; pass clinic_rules(for_staff=True) for the desk."""
    practitioners = [practitioner] if practitioner else practitioners_for(service)
    if not practitioners:
        return []
    # Appointments to look through: the one being moved (or a course's sessions).
    exclude_ids = tuple(exclude_appointment_ids) + (
        (exclude_appointment_id,) if exclude_appointment_id else ())
    calendars, closures = _calendars(
        practitioners, first_day, last_day, exclude_ids, include_appointments
    )
    resources = _resource_calendars(service, first_day, last_day, exclude_ids,
                                    include_appointments)
    return engine.free_slots(
        calendars, service_timing(service), first_day, last_day,
        now=now or utcnow(), tz=clinic_tz(), rules=rules or clinic_rules(), closures=closures,
        resources=resources,
    )


# --- Writing: book, cancel, reschedule. --------------------------------------------------------

def _new_token():
    token = secrets.token_urlsafe(32)  # 256 bits
    return token, hash_token(token)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _new_reference():
    while True:
        reference = "EX-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        exists = db.session.execute(
            select(Appointment.id).where(Appointment.reference == reference)
        ).first()
        if not exists:
            return reference


RULE_MESSAGES = {
    "naive_time": _l("The time must include its UTC offset."),
    "in_past": _l("That time is in the past."),
    "weekend": _l("The clinic is closed at weekends."),
    "outside_hours": _l("That time is outside the clinic's opening hours (Mon-Fri 10:00-19:00)."),
    "off_grid": _l("That time is not on the booking grid; please pick one of the offered times."),
    "too_soon": _l("That time is too soon to book online; please call the clinic."),
    "beyond_horizon": _l("That date is too far ahead to book yet."),
}


def _check_rules(service, start, now, rules):
    code = engine.check_start(start, service_timing(service), now=now, tz=clinic_tz(),
                              rules=rules)
    if code:
        message = str(RULE_MESSAGES[code])
        error = SlotNotBookable(message, fields={"start": message})
        error.code = code
        raise error


def _lock_practitioners(ids, resource_kind=None):
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


def _choose_slot(service, start, candidates, now, rules, exclude_appointment_id=None):
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
        day_start, day_end = _day_bounds_utc(day, day)
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
    _check_rules(service, start, now, rules)
    candidates = [practitioner] if practitioner else practitioners_for(service)
    if not candidates:
        raise SlotNotBookable(_("This service cannot be booked at the moment."))
    _choose_slot(service, start, candidates, now, rules)


def earliest(search, *, now=None, step_days=7):
    """The earliest of what `search(first_day, last_day)` finds (things with a .start) from
    today to the booking horizon, or None. Looks a week at a time, so a busy clinic costs a
    few lookups and a free one a single one."""
    first, last = local_today(now), last_bookable_day(now)
    while first <= last:
        until = min(first + timedelta(days=step_days - 1), last)
        found = search(first, until)
        if found:
            return min(found, key=lambda thing: thing.start)
        first = until + timedelta(days=1)
    return None



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


def _hold_resource(appointment, resource_id, service):
    """Keep the chair (or room) for the clinician's part and the observation after it."""
    appointment.resource_id = resource_id
    appointment.resource_until = (
        appointment.ends_at + timedelta(minutes=service.observation_minutes or 0)
        if resource_id is not None else None)


def _find_or_create_patient(details, language, channel=None, now=None):
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


def _validated_details(patient, consent, start, now, channel=None, channel_consent=False):
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
    _check_rules(service, start, now, rules)
    begin_write()
    try:
        _lock_practitioners([p.id for p in candidates], service.resource_kind)
        slot = _choose_slot(service, start, candidates, now, rules)
        patient_row = patient_for()
        if consent_kind:
            record_consent(patient_row, now)
        token, token_hash = _new_token()
        end = start + timedelta(minutes=service.duration_minutes)
        appointment = Appointment(
            reference=_new_reference(), manage_token_hash=token_hash, service=service,
            practitioner_id=slot.practitioner_id, patient=patient_row, starts_at=start,
            ends_at=end, blocks_until=end + timedelta(minutes=service.buffer_minutes),
            status=AppointmentStatus.BOOKED.value, source=source, created_at=now,
        )
        _hold_resource(appointment, slot.resource_id, service)
        db.session.add(appointment)
        db.session.flush()
        audit.record("appointment.create", object_type="appointment", object_id=appointment.id,
                     details={"after": audit.appointment_snapshot(appointment), "source": source},
                     actor_label=None if source == "staff" else "patient")
        # The confirmation (with the link) is queued by notifications, in this transaction.
        events.publish("booked", appointment_id=appointment.id, manage_token=token)
        db.session.commit()
    except IntegrityError:
        # The database guard caught a race the lock did not (e.g. another server on PostgreSQL).
        db.session.rollback()
        raise SlotTaken(_("Sorry, that time has just been taken. Please choose another."))
    except Exception:
        db.session.rollback()
        raise
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
    details = _validated_details(patient, consent, start, now, channel, channel_consent)
    return _create_appointment(
        service, start, candidates,
        lambda: _find_or_create_patient(details, language, channel, now),
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
    details = _validated_details(patient or {}, consent, start, now)
    return _create_appointment(
        service, start, candidates, lambda: _find_or_create_patient(details, language),
        now=now, rules=clinic_rules(for_staff=True), source="staff",
        consent_kind="data_processing")


def appointments_between(first_day, last_day):
    """Every appointment starting between two local dates (inclusive), in time order."""
    range_start, range_end = _day_bounds_utc(first_day, last_day)
    return db.session.execute(
        select(Appointment)
        .where(Appointment.starts_at >= range_start, Appointment.starts_at < range_end)
        .order_by(Appointment.starts_at, Appointment.practitioner_id)
    ).scalars().all()


def appointment_by_token(token):
    """The appointment behind a private manage link, or None (a wrong token looks like any 404).

    A course's link leads to its first session, which carries the course's intake; the manage
    page shows the whole course from there. A link a short message carried (MessageLink
    "manage", booking/notifications/links.py) works the same until it expires.
    """
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    appointment = db.session.execute(
        select(Appointment).where(Appointment.manage_token_hash == token_hash)
    ).scalar_one_or_none()
    if appointment is None:
        appointment = db.session.execute(
            select(Appointment).join(Course, Appointment.course_id == Course.id)
            .where(Course.manage_token_hash == token_hash, Appointment.course_day == 1)
        ).scalar_one_or_none()
    if appointment is None:
        appointment = db.session.execute(
            select(Appointment).join(MessageLink, MessageLink.appointment_id == Appointment.id)
            .where(MessageLink.token_hash == token_hash, MessageLink.purpose == "manage",
                   MessageLink.expires_at > utcnow())
        ).scalar_one_or_none()
    return appointment


def manage_window_open(appointment, now=None):
    """Can the patient still cancel or reschedule online? Closes MANAGE_CUTOFF_HOURS before."""
    return appointment.status == AppointmentStatus.BOOKED.value \
        and (now or utcnow()) < change_deadline(appointment)


def change_deadline(appointment):
    """Until when the patient may cancel or reschedule online."""
    return appointment.starts_at - timedelta(hours=current_app.config["MANAGE_CUTOFF_HOURS"])


def _locked(appointment_id):
    begin_write()
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one_or_none()
    if appointment is None:
        raise LookupError("appointment")
    if not appointment.is_active:
        raise NotActive(_("This booking is already cancelled."))
    return appointment


def _lock_for_change(appointment_id, now):
    appointment = _locked(appointment_id)
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
        appointment = _locked(appointment_id)
        if appointment.status != AppointmentStatus.BOOKED.value:
            raise NotActive(_("Only a booked appointment can be cancelled."))
        _cancel(appointment, reason, cancelled_by, now, None)
    except Exception:
        db.session.rollback()
        raise
    return appointment


def _move(appointment, new_start, practitioner, now, rules, actor_label):
    """Move in one UPDATE: the old time is released only together with the new one being taken."""
    service = appointment.service
    if new_start == appointment.starts_at and practitioner.id == appointment.practitioner_id:
        raise SlotNotBookable(_("That is the time you already have."))
    _check_rules(service, new_start, now, rules)
    _lock_practitioners(sorted({appointment.practitioner_id, practitioner.id}),
                        service.resource_kind)
    slot = _choose_slot(service, new_start, [practitioner], now, rules,
                        exclude_appointment_id=appointment.id)
    before = audit.appointment_snapshot(appointment)
    end = new_start + timedelta(minutes=service.duration_minutes)
    appointment.practitioner_id = practitioner.id
    appointment.starts_at = new_start
    appointment.ends_at = end
    appointment.blocks_until = end + timedelta(minutes=service.buffer_minutes)
    _hold_resource(appointment, slot.resource_id, service)
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
    try:
        appointment = _lock_for_change(appointment_id, now)
        _move(appointment, new_start, appointment.practitioner, now, clinic_rules(), "patient")
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(_("Sorry, that time has just been taken. Please choose another."))
    except Exception:
        db.session.rollback()
        raise
    return appointment


@retry_on_conflict
def reschedule_by_staff(appointment_id, new_start, *, practitioner_id=None, now=None):
    """Reception moves a booked appointment, to another practitioner too if they offer it.

    A session of a course moves through the course service (courses.services.move_session,
    which keeps the course's order and practitioner): `desk_booking.reschedule` chooses."""
    now = now or utcnow()
    try:
        appointment = _locked(appointment_id)
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
        _move(appointment, new_start, practitioner, now, clinic_rules(for_staff=True), None)
    except IntegrityError:
        db.session.rollback()
        raise SlotTaken(_("Sorry, that time has just been taken. Please choose another."))
    except Exception:
        db.session.rollback()
        raise
    return appointment


# booked -> arrived -> completed, or booked -> no-show; one step back corrects a slip. Moves
# forward follow time (statuses.py): nothing is marked attended or missed before it can be.
STATUS_MOVES = statuses.STATUS_MOVES


def arrival_window():
    return timedelta(minutes=current_app.config["ARRIVAL_WINDOW_MINUTES"])


def status_refusal(appointment, status, now=None):
    """Why `appointment` may not become `status` at `now`, as the domain error to raise or
    whose message to show; None when it may."""
    now = now or utcnow()
    reason = statuses.refusal(appointment.status, status, appointment.starts_at, now,
                              arrival_window())
    if reason is None:
        return None
    if reason == statuses.NOT_A_MOVE:
        return NotActive(_("An appointment that is %(current)s cannot become %(new)s.",
                           current=appointment.status, new=status))
    when = format_datetime(appointment.starts_at, STATUS_TIME_PATTERN)
    if status == statuses.ARRIVED:
        first = appointment.starts_at - arrival_window()
        return StatusTooEarly(ngettext(
            "Arrival can be marked from %(time)s, %(num)d minute before the start.",
            "Arrival can be marked from %(time)s, %(num)d minutes before the start.",
            current_app.config["ARRIVAL_WINDOW_MINUTES"],
            time=format_datetime(first, STATUS_TIME_PATTERN)))
    if status == statuses.NO_SHOW:
        return StatusTooEarly(_("A no-show can be marked only once the appointment has "
                                "started (%(when)s).", when=when))
    return StatusTooEarly(_("The appointment can be marked completed only once it has "
                            "started (%(when)s).", when=when))


def allowed_statuses(appointment, now=None):
    """Every status `appointment` may be given at `now` (the desk offers exactly these)."""
    return statuses.allowed(appointment.status, appointment.starts_at, now or utcnow(),
                            arrival_window())


@retry_on_conflict
def set_status(appointment_id, status, *, now=None):
    """Mark arrival, completion or a no-show (reception), or step back to correct a slip.
    Cancelling has its own functions. Raises NotActive (no such move) or StatusTooEarly (not
    yet: arrival from ARRIVAL_WINDOW_MINUTES before the start, the others from the start)."""
    now = now or utcnow()
    try:
        appointment = _locked(appointment_id)
        refused = status_refusal(appointment, status, now)
        if refused is not None:
            raise refused
        before = audit.appointment_snapshot(appointment)
        appointment.status = status
        audit.record("appointment.status", object_type="appointment", object_id=appointment.id,
                     details={"before": before, "after": audit.appointment_snapshot(appointment)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return appointment
