"""Closures: time when the clinic, or one practitioner, takes no appointments. Planning one from
what an admin typed (once, several whole days, or weekly), the booked appointments it would
overlap within the staff horizon, storing and deleting it (audited in the same transaction;
deleting publishes "closure_removed" for the waitlist), and the list of closures not yet over.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import audit, events
from .admin_fields import (
    CHECK_FIELDS,
    AdminError,
    typed_clock,
    typed_day,
    typed_flag,
    typed_text,
    typed_whole,
)
from .database import begin_write
from .extensions import db
from .models import Appointment, AppointmentStatus, Closure, Practitioner
from .scheduler import recurrence
from .scheduler.availability import LONGEST_APPOINTMENT_SPAN
from .scheduler.booking_rules import local_today
from .timeutil import clinic_tz, utcnow

RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class ClosurePlan:
    """A closure checked and ready to store (nothing written yet)."""

    practitioner_id: int | None
    starts_at: datetime  # first occurrence, aware, clinic time zone
    ends_at: datetime
    reason: str
    rrule: str | None = None
    repeat_until: date | None = None


@dataclass
class ClosureCheck:
    plan: ClosurePlan
    practitioner: Practitioner | None
    collisions: list  # active appointments overlapping an occurrence within the horizon
    horizon_end: date


def horizon_end(now=None):
    """The last local date the collision check and the planning reach (the staff horizon)."""
    return local_today(now) + timedelta(days=current_app.config["STAFF_BOOKING_HORIZON_DAYS"])


def _plan_closure(fields, now):
    """Typed closure fields -> ClosurePlan, or AdminError (keys = the form's field names):
    repeat ("once"/"weekly"), practitioner_id ("" = whole clinic), reason, day, last_day,
    whole_day, start_time, end_time, weekdays (list of 0-6), until."""
    tz = clinic_tz()
    errors = {}
    last_plannable = horizon_end(now)
    repeat = fields.get("repeat") or "once"
    if repeat not in ("once", "weekly"):
        errors["repeat"] = _l("Please choose from the options.")
    practitioner_id = None
    raw_practitioner = str(fields.get("practitioner_id") or "").strip()
    if raw_practitioner:
        practitioner_id = typed_whole(raw_practitioner, 1, 10**9)
        if practitioner_id is None or db.session.get(Practitioner, practitioner_id) is None:
            errors["practitioner_id"] = _l("Please choose from the list.")
    reason = typed_text(fields.get("reason"))
    if not reason:
        errors["reason"] = _l("Please give a reason, for example “Team meeting”.")
    elif len(reason) > 200:
        errors["reason"] = _l("Please use at most %(n)d characters.", n=200)
    day = typed_day(fields.get("day"))
    if day is None:
        errors["day"] = _l("Please enter a date like 2026-12-31.")
    elif day > last_plannable:
        errors["day"] = _l("Closures can be planned up to %(date)s.",
                           date=last_plannable.isoformat())
    elif repeat == "weekly" and day < local_today(now):
        errors["day"] = _l("Please start a weekly closure today or later.")
    whole_day = typed_flag(fields.get("whole_day")) and repeat == "once"
    start = end = None
    if not whole_day:
        start, end = typed_clock(fields.get("start_time")), typed_clock(fields.get("end_time"))
        if start is None:
            errors["start_time"] = _l("Please enter a time like 14:00, or tick “Whole days”.")
        if end is None:
            errors["end_time"] = _l("Please enter a time like 15:00, or tick “Whole days”.")
        elif start is not None and end <= start:
            errors["end_time"] = _l("The end must be after the start.")

    if repeat == "weekly":
        if typed_flag(fields.get("whole_day")):
            errors["whole_day"] = _l("A weekly closure has a start and an end time.")
        weekdays = set()
        for value in fields.get("weekdays") or ():
            number = typed_whole(value, 0, 6)
            if number is None:
                errors["weekdays"] = _l("Please choose from the list.")
            else:
                weekdays.add(number)
        if not weekdays and "weekdays" not in errors:
            errors["weekdays"] = _l("Please choose at least one day of the week.")
        until = None
        if str(fields.get("until") or "").strip():
            until = typed_day(fields.get("until"))
            if until is None:
                errors["until"] = _l("Please enter a date like 2027-03-01, or leave it empty.")
        if errors:
            raise AdminError(CHECK_FIELDS, errors)
        first = day
        while first.weekday() not in weekdays:
            first += timedelta(days=1)
        if until is not None and until < first:
            raise AdminError(CHECK_FIELDS, {"until": _l(
                "The last date is before the first closure (%(date)s).", date=first.isoformat())})
        starts_at = datetime.combine(first, start, tzinfo=tz)
        ends_at = datetime.combine(first, end, tzinfo=tz)
        if until is not None and datetime.combine(until, end, tzinfo=tz) <= now:
            raise AdminError(CHECK_FIELDS, {"until": _l("That period is already over.")})
        rule = "FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[d] for d in sorted(weekdays))
        return ClosurePlan(practitioner_id, starts_at, ends_at, reason, rule, until)

    last_day = day
    if str(fields.get("last_day") or "").strip():
        last_day = typed_day(fields.get("last_day"))
        if last_day is None:
            errors["last_day"] = _l("Please enter a date like 2026-12-31, or leave it empty.")
        elif not whole_day:
            errors["last_day"] = _l("Tick “Whole days” to close for several days.")
        elif day is not None and last_day < day:
            errors["last_day"] = _l("The last day must not be before the first day.")
        elif day is not None and (last_day - day).days > 366:
            errors["last_day"] = _l("A closure may last at most a year.")
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    if whole_day:
        starts_at = datetime.combine(day, time(0), tzinfo=tz)
        ends_at = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    else:
        starts_at = datetime.combine(day, start, tzinfo=tz)
        ends_at = datetime.combine(day, end, tzinfo=tz)
    if ends_at <= now:
        raise AdminError(CHECK_FIELDS, {"day": _l("That period is already over.")})
    return ClosurePlan(practitioner_id, starts_at, ends_at, reason)


def _occurrences(closure, window_start, window_end):
    """(start, end) of each occurrence of a closure (or plan) overlapping the window."""
    if not closure.rrule:
        if closure.starts_at < window_end and closure.ends_at > window_start:
            return [(closure.starts_at, closure.ends_at)]
        return []
    return recurrence.occurrences(
        closure.starts_at, closure.ends_at, closure.rrule, until=closure.repeat_until,
        window_start=window_start, window_end=window_end, tz=clinic_tz())


def _collisions(plan, now):
    """Active appointments that overlap an occurrence of the plan, from now to the horizon."""
    window_end = datetime.combine(horizon_end(now) + timedelta(days=1), time(0),
                                  tzinfo=clinic_tz())
    periods = _occurrences(plan, now, window_end)
    if not periods:
        return []
    query = (
        select(Appointment)
        .options(selectinload(Appointment.patient), selectinload(Appointment.practitioner),
                 selectinload(Appointment.service))
        .where(Appointment.status != AppointmentStatus.CANCELLED.value,
               Appointment.starts_at >= periods[0][0] - LONGEST_APPOINTMENT_SPAN,
               Appointment.starts_at < periods[-1][1],
               Appointment.ends_at > max(now, periods[0][0]))
        .order_by(Appointment.starts_at, Appointment.practitioner_id)
    )
    if plan.practitioner_id is not None:
        query = query.where(Appointment.practitioner_id == plan.practitioner_id)
    found = []
    for appointment in db.session.execute(query).scalars():
        if any(appointment.starts_at < end and appointment.ends_at > start
               for start, end in periods):
            found.append(appointment)
    return found


def check_closure(fields, *, now=None):
    """Step one of adding a closure: validate it and list the active appointments it would
    overlap within the staff booking horizon. Writes nothing."""
    now = now or utcnow()
    plan = _plan_closure(fields, now)
    practitioner = db.session.get(Practitioner, plan.practitioner_id) \
        if plan.practitioner_id else None
    return ClosureCheck(plan, practitioner, _collisions(plan, now), horizon_end(now))


def _closure_snapshot(closure):
    return {
        "practitioner_id": closure.practitioner_id,
        "starts_at": closure.starts_at.astimezone(timezone.utc).isoformat(),
        "ends_at": closure.ends_at.astimezone(timezone.utc).isoformat(),
        "rrule": closure.rrule,
        "repeat_until": closure.repeat_until.isoformat() if closure.repeat_until else None,
    }


def create_closure(fields, *, actor, now=None):
    """Step two: store the closure. Appointments it overlaps are NOT cancelled (reception calls
    those patients); their ids go into the audit event."""
    now = now or utcnow()
    begin_write()
    try:
        plan = _plan_closure(fields, now)
        overlapping = [a.id for a in _collisions(plan, now)]
        closure = Closure(practitioner_id=plan.practitioner_id, starts_at=plan.starts_at,
                          ends_at=plan.ends_at, reason=plan.reason, rrule=plan.rrule,
                          repeat_until=plan.repeat_until)
        db.session.add(closure)
        db.session.flush()
        audit.record("closure.create", object_type="closure", object_id=closure.id,
                     details={"after": _closure_snapshot(closure),
                              "overlapping_appointment_ids": overlapping}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return closure, overlapping


def delete_closure(closure_id, *, actor):
    begin_write()
    try:
        closure = db.session.get(Closure, closure_id)
        if closure is None:
            raise LookupError("closure")
        audit.record("closure.delete", object_type="closure", object_id=closure.id,
                     details={"before": _closure_snapshot(closure)}, actor=actor)
        db.session.delete(closure)
        events.publish("closure_removed", practitioner_id=closure.practitioner_id,
                       starts_at=closure.starts_at, ends_at=closure.ends_at,
                       rrule=closure.rrule, repeat_until=closure.repeat_until)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


@dataclass
class ClosureRow:
    """A closure as the list shows it: times in the clinic's zone, the rule taken apart."""

    closure: Closure
    first_start: datetime  # local
    first_end: datetime  # local
    frequency: str  # "once", "weekly", "daily", or "other" (a rule made elsewhere)
    weekdays: tuple  # weekly: 0 = Monday
    whole_days: bool  # once, from midnight to midnight
    next_start: datetime | None  # the next occurrence within the horizon (local)
    next_end: datetime | None


def rule_parts(rule, first_start):
    """("weekly", (0, 4)) for "FREQ=WEEKLY;BYDAY=MO,FR"; weekly without BYDAY repeats the first
    occurrence's weekday; ("daily", ()); anything else ("other", ())."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    extra = set(parts) - {"FREQ", "BYDAY", "INTERVAL", "WKST"}
    if parts.get("INTERVAL", "1") != "1" or extra:
        return "other", ()
    if parts.get("FREQ") == "DAILY" and "BYDAY" not in parts:
        return "daily", ()
    if parts.get("FREQ") == "WEEKLY":
        if "BYDAY" not in parts:
            return "weekly", (first_start.weekday(),)
        codes = parts["BYDAY"].split(",")
        if all(code in RRULE_DAYS for code in codes):
            return "weekly", tuple(sorted({RRULE_DAYS.index(code) for code in codes}))
    return "other", ()


def upcoming_closures(*, now=None):
    """Closures not yet over (one-off ones ending after now, recurring ones whose until date is
    today or later, or open-ended), in order of their next occurrence."""
    now = now or utcnow()
    tz = clinic_tz()
    today = local_today(now)
    window_end = datetime.combine(horizon_end(now) + timedelta(days=1), time(0), tzinfo=tz)
    closures = db.session.execute(
        select(Closure).options(selectinload(Closure.practitioner)).where(
            ((Closure.rrule.is_(None)) & (Closure.ends_at > now))
            | ((Closure.rrule.is_not(None))
               & ((Closure.repeat_until.is_(None)) | (Closure.repeat_until >= today))))
        .order_by(Closure.starts_at, Closure.id)
    ).scalars().all()
    rows = []
    for closure in closures:
        first_start, first_end = closure.starts_at.astimezone(tz), closure.ends_at.astimezone(tz)
        if closure.rrule:
            frequency, weekdays = rule_parts(closure.rrule, first_start)
            try:
                upcoming = _occurrences(closure, now, window_end)
            except ValueError:  # a malformed rule made outside the dashboard
                upcoming = []
        else:
            frequency, weekdays = "once", ()
            upcoming = [(closure.starts_at, closure.ends_at)]
        if closure.rrule and not upcoming and closure.starts_at < window_end:
            continue  # every occurrence before the horizon is over
        next_start, next_end = (upcoming[0] if upcoming else (None, None))
        whole = frequency == "once" and first_start.time() == time(0) \
            and first_end.time() == time(0)
        rows.append(ClosureRow(
            closure, first_start, first_end, frequency, weekdays, whole,
            next_start.astimezone(tz) if next_start else None,
            next_end.astimezone(tz) if next_end else None))
    rows.sort(key=lambda row: (row.next_start or row.first_start, row.closure.id))
    return rows
