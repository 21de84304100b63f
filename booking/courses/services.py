"""Treatment courses: find where a course fits, book it all or nothing, move and cancel sessions,
and the clinician's review gate. Every function that writes is one transaction, audited.

A course is a Course row and one Appointment per session (course_id, course_day 1..n). The
sessions go through the same slot engine, lock and database guard as single bookings, so a
course can never overlap anything, and two people racing for overlapping courses get one
course and one refusal.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clinic_hours, events
from ..database import begin_write, retry_on_conflict
from ..extensions import db
from ..models import Appointment, AppointmentStatus, Course, CourseStatus, Patient, Service
from ..scheduler import (
    appointment_changes,
    availability,
    booking_errors,
    booking_rules,
    manage_links,
)
from ..scheduler import services as booking
from ..scheduler.contacts import InvalidDetails
from ..timeutil import clinic_tz, utcnow
from . import fitting

# How far around a wanted start we look for alternatives to offer.
ALTERNATIVE_SEARCH_DAYS = 14


class CourseDoesNotFit(booking_errors.BookingError):
    """The course cannot start there: `blocked` names the days, `alternatives` the nearest fits."""

    def __init__(self, message, blocked, alternatives, status=409):
        super().__init__(message)
        self.blocked = blocked
        self.alternatives = alternatives
        self.status = status
        self.code = "slot_taken" if status == 409 else "course_does_not_fit"


@dataclass(frozen=True)
class CourseStart:
    """A start where the whole course fits, with each session's slot (and chair)."""

    practitioner_id: int
    slots: tuple  # engine Slots, one per session, in order

    @property
    def start(self):
        return self.slots[0].start


def session_counts(service):
    return range(service.min_sessions or 1, (service.max_sessions or 1) + 1)


def get_course_service(service_id, *, for_staff=False):
    service = db.session.get(Service, service_id)
    if service is None or not service.active or not service.is_course:
        return None
    if not for_staff and not service.online_bookable:
        return None
    return service


def _rules(for_staff):
    return booking_rules.clinic_rules(for_staff=for_staff)


def _closed_days(first_day, last_day, rules):
    """Days the whole clinic is closed for all its opening hours (holidays): courses skip them."""
    return clinic_hours.closed_days(first_day, last_day, rules)


def _free_map(service, first_day, last_day, practitioners, rules, *, now,
              include_appointments=True, exclude_course_id=None, find=None):
    """{(practitioner_id, local date, local time): Slot} of every free session slot. `find`:
    another source of the same free times (see earliest_start)."""
    tz = clinic_tz()
    span_end = last_day + timedelta(days=fitting.MAX_SPAN_DAYS)
    found = {}
    exclude = _course_appointment_ids(exclude_course_id)
    for practitioner in practitioners:
        slots = find(service, first_day, span_end, practitioner) if find else \
            availability.find_slots(service, first_day, span_end, practitioner, now=now,
                                    rules=rules, include_appointments=include_appointments,
                                    exclude_appointment_ids=exclude)
        for slot in slots:
            local = slot.start.astimezone(tz)
            found[(slot.practitioner_id, local.date(), local.time())] = slot
    return found


def _course_appointment_ids(course_id):
    if course_id is None:
        return ()
    return tuple(db.session.execute(
        select(Appointment.id).where(Appointment.course_id == course_id)).scalars())


def _starts(service, sessions, first_day, last_day, practitioners, rules, *, now,
            include_appointments=True, exclude_course_id=None, find=None):
    free = _free_map(service, first_day, last_day, practitioners, rules, now=now,
                     include_appointments=include_appointments,
                     exclude_course_id=exclude_course_id, find=find)
    closed = _closed_days(first_day, last_day + timedelta(days=fitting.MAX_SPAN_DAYS), rules)
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    options = fitting.course_options(set(free), sessions, days,
                                     open_weekdays=rules.open_weekdays, closed_days=closed)
    starts = [CourseStart(o.practitioner_id,
                          tuple(free[(o.practitioner_id, d, o.local_time)] for d in o.days))
              for o in options]
    return starts, free, closed


def find_course_starts(service, sessions, first_day, last_day, practitioner=None, *,
                       for_staff=False, now=None, exclude_course_id=None):
    """Every start between two local dates where the whole course fits (any practitioner or one).

    exclude_course_id: look through that course's own sessions (when moving its rest)."""
    if exclude_course_id is None:
        _check_sessions(service, sessions)
    practitioners = [practitioner] if practitioner else availability.practitioners_for(service)
    starts, _free, _closed = _starts(service, sessions, first_day, last_day, practitioners,
                                     _rules(for_staff), now=now or utcnow(),
                                     exclude_course_id=exclude_course_id)
    return starts


# The number of sessions offered first (patients' and the desk's pages), when the service
# allows it.
DEFAULT_SESSIONS = 5


def default_sessions(service):
    counts = session_counts(service)
    return DEFAULT_SESSIONS if DEFAULT_SESSIONS in counts else counts.start


def earliest_start(service, sessions, *, now=None, practitioners=None, find=None):
    """The first start online where a course of `sessions` fits (any practitioner), or None.
    `practitioners` and `find(service, first_day, last_day, practitioner)`: the service's
    practitioners and its free times from another source that gives the same answer (the home
    page: the per-worker reference data of booking/scheduler/reference.py)."""
    now = now or utcnow()
    _check_sessions(service, sessions)
    rules = _rules(False)
    if practitioners is None:
        practitioners = availability.practitioners_for(service)
    return availability.earliest(
        lambda first, last: _starts(service, sessions, first, last, practitioners, rules,
                                    now=now, find=find)[0], now=now)


def week_of_starts(service, sessions, first_day, last_day, practitioner=None, *, now=None):
    """The starts between two local dates where the whole course fits, and for each clinic
    day from today on where it cannot start, the days of that course with no free time at all
    ({day: (full days, ...)}; empty when every day has room but no time lines up): what the
    starts page says ("cannot start this week: Monday 14 is full")."""
    now = now or utcnow()
    _check_sessions(service, sessions)
    rules = _rules(False)
    practitioners = [practitioner] if practitioner else availability.practitioners_for(service)
    starts, free, closed = _starts(service, sessions, first_day, last_day, practitioners, rules,
                                   now=now)
    starting = {s.start.astimezone(clinic_tz()).date() for s in starts}
    today = booking_rules.local_today(now)
    blocked = {}
    day = max(first_day, today)
    while day <= last_day:
        if day not in starting:
            days = fitting.session_days(day, sessions, open_weekdays=rules.open_weekdays,
                                        closed_days=closed)
            if days:
                blocked[day] = fitting.full_days(free, days)
        day += timedelta(days=1)
    return starts, blocked


def _check_sessions(service, sessions):
    if sessions not in session_counts(service):
        message = _("Choose between %(low)d and %(high)d sessions.",
                    low=session_counts(service).start, high=session_counts(service).stop - 1)
        raise InvalidDetails({"sessions": message})


def _explain(service, sessions, start, practitioners, rules, now, exclude_course_id=None):
    """Why a course cannot start at `start`: raise CourseDoesNotFit with the blocking days and
    the nearest starts that fit (409 when bookings block it, 422 when the calendar does)."""
    tz = clinic_tz()
    local = start.astimezone(tz)
    search_from = max(local.date() - timedelta(days=ALTERNATIVE_SEARCH_DAYS),
                      now.astimezone(tz).date())
    search_to = local.date() + timedelta(days=ALTERNATIVE_SEARCH_DAYS)
    starts, free, closed = _starts(service, sessions, search_from, search_to, practitioners,
                                   rules, now=now, exclude_course_id=exclude_course_id)
    blocked = fitting.why_blocked(set(free), sessions, local.date(), local.time(),
                                  [p.id for p in practitioners],
                                  open_weekdays=rules.open_weekdays, closed_days=closed)
    options = fitting.nearest(
        [fitting.CourseOption(s.practitioner_id, s.start.astimezone(tz).time(),
                              tuple(x.start.astimezone(tz).date() for x in s.slots))
         for s in starts], local.date(), local.time())
    by_key = {(s.practitioner_id, s.start.astimezone(tz).date(), s.start.astimezone(tz).time()): s
              for s in starts}
    alternatives = [by_key[(o.practitioner_id, o.first_day, o.local_time)] for o in options]
    # Would it fit if nobody else had booked? Then it was taken (409), else it never fitted.
    open_starts, _f, _c = _starts(service, sessions, local.date(), local.date(), practitioners,
                                  rules, now=now, include_appointments=False,
                                  exclude_course_id=exclude_course_id)
    taken = any(s.start == start for s in open_starts)
    days = ", ".join(format_date(day, "EEE d MMM") for day in blocked.blocking) or "-"
    message = _("The course does not fit at that time: %(days)s is not free.", days=days)
    raise CourseDoesNotFit(message, blocked, alternatives, status=409 if taken else 422)


def _choose_start(service, sessions, start, candidates, rules, now, exclude_course_id=None):
    local_day = start.astimezone(clinic_tz()).date()
    starts, _free, _closed = _starts(service, sessions, local_day, local_day, candidates, rules,
                                     now=now, exclude_course_id=exclude_course_id)
    matching = [s for s in starts if s.start == start]
    if not matching:
        _explain(service, sessions, start, candidates, rules, now, exclude_course_id)
    return matching[0]


def _insert_sessions(course, chosen, service, patient_row, now, source):
    for day_number, slot in enumerate(chosen.slots, start=1):
        token, token_hash = manage_links.new_token()
        end = slot.start + timedelta(minutes=service.duration_minutes)
        appointment = Appointment(
            reference=booking.new_reference(), manage_token_hash=token_hash, service=service,
            practitioner_id=chosen.practitioner_id, patient=patient_row, starts_at=slot.start,
            ends_at=end, blocks_until=end + timedelta(minutes=service.buffer_minutes),
            status=AppointmentStatus.BOOKED.value, source=source, created_at=now,
            course=course, course_day=day_number,
        )
        booking.hold_resource(appointment, slot.resource_id, service)
        db.session.add(appointment)


@retry_on_conflict
def book_course(*, service_id, start, sessions, consent=False, patient=None, patient_id=None,
                practitioner_id=None, source="online", language="uk", channel=None,
                channel_consent=False, now=None):
    """Book every session of a course, or none. Returns (course, manage_token).

    Online: `patient` details and consent, online rules. Staff (source="staff"): an existing
    patient_id or new details, staff rules. Raises InvalidDetails, SlotNotBookable (422),
    CourseDoesNotFit (409 taken / 422 never fits) or LookupError.
    """
    now = now or utcnow()
    for_staff = source == "staff"
    service = get_course_service(service_id, for_staff=for_staff)
    if service is None:
        raise LookupError("service")
    candidates = booking._candidates(service, practitioner_id)
    _check_sessions(service, sessions)
    rules = _rules(for_staff)
    if patient_id is None:
        details = booking.validated_details(patient or {}, consent, start, now, channel,
                                            channel_consent)
    elif db.session.get(Patient, patient_id) is None:
        raise LookupError("patient")
    if not candidates:
        raise booking_errors.SlotNotBookable(_("This service cannot be booked at the moment."))
    booking_rules.check_rules(service, start, now, rules)

    begin_write()
    try:
        booking.lock_practitioners([p.id for p in candidates], service.resource_kind)
        chosen = _choose_start(service, sessions, start, candidates, rules, now)
        if patient_id is None:
            patient_row = booking.find_or_create_patient(details, language, channel, now)
            booking.record_consent(patient_row, now)
        else:
            patient_row = db.session.get(Patient, patient_id)
        token, token_hash = manage_links.new_token()
        course = Course(reference=booking.new_reference(), manage_token_hash=token_hash,
                        service=service, practitioner_id=chosen.practitioner_id,
                        patient=patient_row, sessions_count=sessions, created_at=now,
                        status=CourseStatus.AWAITING_REVIEW.value)
        db.session.add(course)
        _insert_sessions(course, chosen, service, patient_row, now, source)
        db.session.flush()
        audit.record("course.create", object_type="course", object_id=course.id,
                     details={"sessions": sessions, "source": source,
                              "starts": [s.start.isoformat() for s in chosen.slots]},
                     actor_label=None if for_staff else "patient")
        # One confirmation, every session, queued by notifications in this transaction.
        events.publish("course_booked", course_id=course.id, manage_token=token)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CourseDoesNotFit(_("Sorry, that course has just been taken. Please choose another "
                                 "start."), None, [])
    except Exception:
        db.session.rollback()
        raise
    return course, token


def course_by_token(token):
    if not token or len(token) > 100:
        return None
    return db.session.execute(
        select(Course).where(Course.manage_token_hash == manage_links.hash_token(token))
    ).scalar_one_or_none()


def remaining_sessions(course, now=None):
    """The booked sessions that have not started yet, in order."""
    now = now or utcnow()
    return [a for a in course.appointments
            if a.status == AppointmentStatus.BOOKED.value and a.starts_at > now]


def open_for_changes(course, now=None):
    """Can the patient still change (cancel, move) the course online? Until the cut-off before
    its next session still to come, as long as it is active."""
    if course.status in (CourseStatus.CANCELLED.value, CourseStatus.DECLINED.value):
        return False
    rest = remaining_sessions(course, now)
    return bool(rest) and appointment_changes.manage_window_open(rest[0], now)


def move_starts(course, first_day, last_day, now=None):
    """Starts between two local dates where the course's remaining sessions fit with its
    practitioner: looking through its own sessions (moving by a day may reuse their times),
    after the sessions already held, and not the current start."""
    rest = remaining_sessions(course, now)
    found = find_course_starts(course.service, len(rest), first_day, last_day,
                               course.practitioner, now=now, exclude_course_id=course.id)
    held = [a for a in course.appointments
            if a.status != AppointmentStatus.CANCELLED.value and a not in rest]
    tz = clinic_tz()
    after = max((a.starts_at.astimezone(tz).date() for a in held), default=None)
    current = rest[0].starts_at if rest else None
    return [s for s in found if s.start != current
            and (after is None or s.start.astimezone(tz).date() > after)]


def _locked_course(course_id):
    begin_write()
    course = db.session.execute(
        select(Course).where(Course.id == course_id).with_for_update()).scalar_one_or_none()
    if course is None:
        raise LookupError("course")
    if course.status in (CourseStatus.CANCELLED.value, CourseStatus.DECLINED.value):
        raise booking_errors.NotActive(_("This course is no longer active."))
    return course


def _patient_may_change(course, now):
    first = remaining_sessions(course, now)
    if not first or not appointment_changes.manage_window_open(first[0], now):
        raise booking_errors.ManageWindowClosed(
            _("It is too late to change this course online. Please call the clinic."))


@retry_on_conflict
def cancel_rest(course_id, *, reason="", cancelled_by="patient", by_staff=False, now=None):
    """Cancel every session that has not started yet, in one step."""
    now = now or utcnow()
    try:
        course = _locked_course(course_id)
        if not by_staff:
            _patient_may_change(course, now)
        rest = remaining_sessions(course, now)
        if not rest:
            raise booking_errors.NotActive(_("No sessions of this course are left to cancel."))
        for appointment in rest:
            appointment.status = AppointmentStatus.CANCELLED.value
            appointment.sequence += 1
            appointment.cancelled_at = now
            appointment.cancelled_by = cancelled_by
            appointment.cancel_reason = (reason or "").strip()[:500] or None
        if all(a.status == AppointmentStatus.CANCELLED.value for a in course.appointments):
            course.status = CourseStatus.CANCELLED.value
        audit.record("course.cancel_rest", object_type="course", object_id=course.id,
                     details={"sessions": [a.course_day for a in rest], "by": cancelled_by},
                     actor_label=None if by_staff else "patient")
        events.publish("course_changed", course_id=course.id, change="cancel_rest",
                       appointment_ids=[a.id for a in rest])
        _offer_freed(rest, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return course


@retry_on_conflict
def move_rest(course_id, new_start, *, by_staff=False, now=None):
    """Move every session not started yet to a new start (the same time on consecutive clinic
    days from there), keeping their number and order. Atomic: all move or none."""
    now = now or utcnow()
    try:
        course = _locked_course(course_id)
        if not by_staff:
            _patient_may_change(course, now)
        rest = remaining_sessions(course, now)
        if not rest:
            raise booking_errors.NotActive(_("No sessions of this course are left to move."))
        done = [a for a in course.appointments if a.status != AppointmentStatus.CANCELLED.value
                and a not in rest]
        if done and new_start.astimezone(clinic_tz()).date() <= \
                max(a.starts_at for a in done).astimezone(clinic_tz()).date():
            raise booking_errors.SlotNotBookable(_("The rest of the course must start after the "
                                                   "sessions already held."))
        service, rules = course.service, _rules(by_staff)
        booking_rules.check_rules(service, new_start, now, rules)
        booking.lock_practitioners([course.practitioner_id], service.resource_kind)
        chosen = _choose_start(service, len(rest), new_start, [course.practitioner], rules, now,
                               exclude_course_id=course.id)
        before = [a.starts_at.isoformat() for a in rest]
        freed = [(a.practitioner_id, a.starts_at, a.blocks_until) for a in rest]
        # The new times may overlap the old ones of sessions not yet moved (a course moved by a
        # day onto its own days). Step aside first (a cancelled row blocks nothing, for the
        # triggers and the exclusion constraints alike), then take the new times, in the same
        # transaction: nobody else ever sees the sessions cancelled.
        for appointment in rest:
            appointment.status = AppointmentStatus.CANCELLED.value
        db.session.flush()
        for appointment, slot in zip(rest, chosen.slots):
            _place(appointment, slot, service)
            appointment.status = AppointmentStatus.BOOKED.value
        audit.record("course.move_rest", object_type="course", object_id=course.id,
                     details={"before": before, "after": [a.starts_at.isoformat() for a in rest]},
                     actor_label=None if by_staff else "patient")
        events.publish("course_changed", course_id=course.id, change="move_rest",
                       appointment_ids=[a.id for a in rest])
        for practitioner_id, start, end in freed:
            events.publish("time_freed", practitioner_id=practitioner_id, starts_at=start,
                           ends_at=end, now=now, what="a course move")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CourseDoesNotFit(_("Sorry, those times have just been taken."), None, [])
    except Exception:
        db.session.rollback()
        raise
    return course


def _offer_freed(sessions, now):
    """Freed course sessions go to the waitlist like any freed time (inside this transaction)."""
    for appointment in sessions:
        events.publish("time_freed", practitioner_id=appointment.practitioner_id,
                       starts_at=appointment.starts_at, ends_at=appointment.blocks_until,
                       now=now, what="a course change")


def _place(appointment, slot, service):
    end = slot.start + timedelta(minutes=service.duration_minutes)
    appointment.starts_at = slot.start
    appointment.ends_at = end
    appointment.blocks_until = end + timedelta(minutes=service.buffer_minutes)
    appointment.reschedule_count += 1
    appointment.sequence += 1
    booking.hold_resource(appointment, slot.resource_id, service)


@retry_on_conflict
def move_session(appointment_id, new_start, *, by_staff=False, now=None):
    """Move one session to another free time that keeps the course's order: after the session
    before it and before the session after it (another day, or another time the same day)."""
    now = now or utcnow()
    with booking_errors.one_change():
        appointment = appointment_changes.locked(appointment_id)
        course = appointment.course
        if course is None:
            raise LookupError("course")
        if appointment not in remaining_sessions(course, now):
            # A session that has started, was held or was cancelled stays where it was: its
            # record and the course's outcome belong to that time (for the desk too).
            raise booking_errors.SlotNotBookable(_(
                "This session has already started or is no longer booked, so it cannot be "
                "moved."))
        if not by_staff:
            # The same rule as the other course changes: online changes close before the
            # course's next session.
            _patient_may_change(course, now)
        tz = clinic_tz()
        new_day = new_start.astimezone(tz).date()
        others = [a for a in course.appointments
                  if a.id != appointment.id and a.status != AppointmentStatus.CANCELLED.value]
        before = [a for a in others if a.course_day < appointment.course_day]
        after = [a for a in others if a.course_day > appointment.course_day]
        if (before and new_day <= max(a.starts_at for a in before).astimezone(tz).date()) or \
                (after and new_day >= min(a.starts_at for a in after).astimezone(tz).date()):
            message = _("A session must stay between the sessions before and after it.")
            raise booking_errors.SlotNotBookable(message, fields={"start": message})
        appointment_changes.move(appointment, new_start, appointment.practitioner, now,
                                 _rules(by_staff), None if by_staff else "patient")
    return appointment


# --- The clinician's review gate ------------------------------------------------------------

class ReasonRequired(booking_errors.BookingError):
    """Confirming a course whose intake is not submitted needs a written reason (the note)."""


def course_intake(course):
    """The course's intake: the one of its first session (day 1), or None."""
    first = next((a for a in course.appointments if a.course_day == 1), None)
    return first.intake if first else None


def intake_submitted(course):
    intake = course_intake(course)
    return intake is not None and intake.status == "submitted"


def needs_review(course):
    """A course waits for a clinician when its service says a clinician confirms every course
    (Service.clinician_confirms_courses), or its intake is missing, urgent, or has a positive
    ketamine pre-screen item."""
    if course.service.clinician_confirms_courses:
        return True
    intake = course_intake(course)
    if intake is None or intake.status != "submitted" or intake.urgent:
        return True
    return any(flag.code == "ketamine_prescreen_positive" for flag in intake.flags)


def after_intake_submitted(appointment):
    """Called inside the intake's submit transaction: a clean intake confirms its course,
    unless its service wants a clinician to confirm every course."""
    course = appointment.course
    if course is not None and course.status == CourseStatus.AWAITING_REVIEW.value \
            and not needs_review(course):
        course.status = CourseStatus.CONFIRMED.value
        audit.record("course.confirm", object_type="course", object_id=course.id,
                     details={"by": "intake without flags"}, actor_label="system")
        events.publish("course_confirmed", course_id=course.id)  # the patient is told


@retry_on_conflict
def decide(course_id, *, confirm, actor, note=""):
    """A clinician confirms a held course, or declines it (which frees every session).

    Confirming a course whose intake is not submitted needs a written reason, kept as the
    course's review note (ReasonRequired, fields={"note": ...}). Publishes course_confirmed
    or course_declined: the notifications tell the patient, in this transaction."""
    now = utcnow()
    note = (note or "").strip()[:2000]
    try:
        course = _locked_course(course_id)
        if course.status != CourseStatus.AWAITING_REVIEW.value:
            raise booking_errors.NotActive(_("This course is not waiting for a review."))
        submitted = intake_submitted(course)
        if confirm and not submitted and not note:
            message = _("The intake is not submitted: please write why the course can go "
                        "ahead without it.")
            raise ReasonRequired(message, fields={"note": message})
        course.reviewed_at, course.reviewed_by_id = now, actor.id
        course.review_note = note or None
        if confirm:
            course.status = CourseStatus.CONFIRMED.value
        else:
            course.status = CourseStatus.DECLINED.value
            freed = remaining_sessions(course, now)
            for appointment in freed:
                appointment.status = AppointmentStatus.CANCELLED.value
                appointment.sequence += 1
                appointment.cancelled_at, appointment.cancelled_by = now, "clinic"
            _offer_freed(freed, now)
        # Whether there was a note (for a confirmation without a submitted intake: the
        # reason), never its words: they may be health data.
        audit.record("course.confirm" if confirm else "course.decline", object_type="course",
                     object_id=course.id, actor=actor,
                     details={"intake_submitted": submitted, "note_given": bool(note)})
        events.publish("course_confirmed" if confirm else "course_declined",
                       course_id=course.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return course
