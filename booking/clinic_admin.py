"""Administration services: services, practitioners and their working hours, closures, the
intake instrument switches, and reading the audit log.

Each change is one transaction, audited in that same transaction (booking.audit.record). The
functions take values as typed (strings from a form) and decide what they mean, raising
AdminError with a message per field; the dashboard views only parse and display. Staff accounts
live in booking/auth/services.py.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import audit, events
from . import settings as clinic_settings
from .database import begin_write
from .extensions import db
from .models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Closure,
    Practitioner,
    Service,
    StaffUser,
    WorkingHours,
)
from .scheduler import recurrence
from .scheduler.availability import LONGEST_APPOINTMENT_SPAN
from .scheduler.booking_rules import clinic_rules, local_today
from .timeutil import clinic_tz, utcnow

WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

CHECK_FIELDS = _l("Please check the fields marked below.")


class AdminError(Exception):
    """A change that breaks a rule: `fields` holds a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


# --- Small parsers for typed values ---------------------------------------------------------------

_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(:[0-5][0-9])?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WHOLE = re.compile(r"^[0-9]{1,6}$")


def _text(value):
    return " ".join(str(value or "").split())


def _clock(value):
    """A local wall-clock time from "HH:MM" (browsers may add ":SS"), or None."""
    match = _CLOCK.match(str(value or "").strip())
    return time(int(match[1]), int(match[2])) if match else None


def _day(value):
    text = str(value or "").strip()
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _whole(value, low, high):
    text = str(value if value is not None else "").strip()
    if not _WHOLE.match(text) or not low <= int(text) <= high:
        return None
    return int(text)


def _flag(value):
    return value is True or str(value).lower() in ("1", "y", "yes", "on", "true")


def _hhmm(value):
    return value.strftime("%H:%M")


# --- Reading --------------------------------------------------------------------------------------

def _every(model, related, *order_by):
    """Every row of a small admin table, in order, with one relationship loaded up front."""
    return db.session.execute(
        select(model).options(selectinload(related)).order_by(*order_by)
    ).scalars().all()


def staff_accounts():
    """Every staff account (a small table), by email, with its linked practitioner."""
    return _every(StaffUser, StaffUser.practitioner, StaffUser.email)


def staff_account(user_id):
    return db.session.get(StaffUser, user_id)


def all_services():
    return _every(Service, Service.practitioners, Service.position, Service.id)


def get_service(service_id):
    return db.session.get(Service, service_id)


def all_practitioners():
    return _every(Practitioner, Practitioner.working_hours, Practitioner.full_name,
                  Practitioner.id)


def get_practitioner(practitioner_id):
    return db.session.get(Practitioner, practitioner_id)


def opening_hours():
    """The clinic's opening hours as the slot engine knows them (weekdays, opens, closes)."""
    rules = clinic_rules()
    return sorted(rules.open_weekdays), rules.opens, rules.closes


# --- Services -------------------------------------------------------------------------------------

def _service_snapshot(service):
    return {
        "name": service.name,
        "name_uk": service.name_uk,
        "duration_minutes": service.duration_minutes,
        "grid_minutes": service.grid_minutes,
        "buffer_minutes": service.buffer_minutes,
        "online_bookable": service.online_bookable,
        "active": service.active,
        "needs_ketamine_prescreen": service.needs_ketamine_prescreen,
        "clinician_confirms_courses": service.clinician_confirms_courses,
        "offers_diary": service.offers_diary,
        "price_uah": service.price_uah,
        "practitioner_ids": sorted(p.id for p in service.practitioners),
    }


MAX_PRICE_UAH = 1_000_000


def _clean_service(fields):
    """Typed service fields -> clean values, or AdminError. Runs inside the transaction (it
    looks the practitioners up)."""
    errors = {}
    clean = {}
    clean["name"] = _text(fields.get("name"))
    if not clean["name"]:
        errors["name"] = _l("Please enter the service's name.")
    elif len(clean["name"]) > 120:
        errors["name"] = _l("Please use at most %(n)d characters.", n=120)
    clean["name_uk"] = _text(fields.get("name_uk"))
    if len(clean["name_uk"]) > 120:
        errors["name_uk"] = _l("Please use at most %(n)d characters.", n=120)
    for name in ("description", "description_uk"):
        clean[name] = str(fields.get(name) or "").strip()
        if len(clean[name]) > 2000:
            errors[name] = _l("Please use at most %(n)d characters.", n=2000)
    for name, low, high in (("duration_minutes", 5, 540), ("grid_minutes", 5, 540),
                            ("buffer_minutes", 0, 240)):
        clean[name] = _whole(fields.get(name), low, high)
        if clean[name] is None:
            errors[name] = _l("Please enter a whole number of minutes from %(low)d to %(high)d.",
                              low=low, high=high)
    for name in ("online_bookable", "active", "needs_ketamine_prescreen",
                 "clinician_confirms_courses", "offers_diary"):
        clean[name] = _flag(fields.get(name))
    # The price is optional: empty shows none.
    price = str(fields.get("price_uah") if fields.get("price_uah") is not None else "").strip()
    clean["price_uah"] = _whole(price, 0, MAX_PRICE_UAH) if price else None
    if price and clean["price_uah"] is None:
        errors["price_uah"] = _l("Please enter the price in whole hryvnias, from 0 to %(high)d, "
                                 "or leave it empty.", high=MAX_PRICE_UAH)
    ids = set()
    for value in fields.get("practitioner_ids") or ():
        number = _whole(value, 1, 10**9)
        if number is None:
            errors["practitioner_ids"] = _l("Please choose from the list.")
        else:
            ids.add(number)
    practitioners = db.session.execute(
        select(Practitioner).where(Practitioner.id.in_(ids)).order_by(Practitioner.id)
    ).scalars().all() if ids else []
    if len(practitioners) != len(ids):
        errors["practitioner_ids"] = _l("Please choose from the list.")
    clean["practitioners"] = practitioners
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    return clean


def _apply_service(service, clean):
    for name, value in clean.items():
        setattr(service, name, value)


def create_service(*, actor, **fields):
    """A new service. fields: name, name_uk, description, description_uk, duration_minutes,
    grid_minutes,
    buffer_minutes, online_bookable, active, needs_ketamine_prescreen,
    clinician_confirms_courses, offers_diary, price_uah (optional), practitioner_ids."""
    begin_write()
    try:
        clean = _clean_service(fields)
        service = Service(name=clean["name"], duration_minutes=clean["duration_minutes"])
        _apply_service(service, clean)
        db.session.add(service)
        db.session.flush()
        audit.record("service.create", object_type="service", object_id=service.id,
                     details={"after": _service_snapshot(service)}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return service


def update_service(service_id, *, actor, **fields):
    """Change a service. Deactivating hides it from booking; its appointments stay."""
    begin_write()
    try:
        service = db.session.get(Service, service_id)
        if service is None:
            raise LookupError("service")
        clean = _clean_service(fields)
        before = _service_snapshot(service)
        descriptions_before = service.description, service.description_uk
        _apply_service(service, clean)
        after = _service_snapshot(service)
        changed = sorted(key for key in after if before[key] != after[key])
        for name, was in zip(("description", "description_uk"), descriptions_before):
            if getattr(service, name) != was:
                changed.append(name)
        if changed:
            audit.record("service.update", object_type="service", object_id=service.id,
                         details={"before": before, "after": after, "changed": changed},
                         actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return service


# --- Practitioners and working hours --------------------------------------------------------------

PRACTITIONER_TEXTS = ("full_name", "full_name_uk", "title", "title_uk")


def _clean_practitioner(fields):
    errors = {}
    clean = {name: _text(fields.get(name)) for name in PRACTITIONER_TEXTS}
    if not clean["full_name"]:
        errors["full_name"] = _l("Please enter the practitioner's name.")
    for name in PRACTITIONER_TEXTS:
        if len(clean[name]) > 120:
            errors[name] = _l("Please use at most %(n)d characters.", n=120)
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    return {**clean, "active": _flag(fields.get("active"))}


def _practitioner_snapshot(practitioner):
    return {name: getattr(practitioner, name) for name in (*PRACTITIONER_TEXTS, "active")}


def create_practitioner(*, actor, full_name, title="", active=True, full_name_uk="",
                        title_uk=""):
    """A new practitioner (working hours are set on their own page)."""
    clean = _clean_practitioner({"full_name": full_name, "title": title, "active": active,
                                 "full_name_uk": full_name_uk, "title_uk": title_uk})
    begin_write()
    try:
        practitioner = Practitioner(**clean)
        db.session.add(practitioner)
        db.session.flush()
        audit.record("practitioner.create", object_type="practitioner",
                     object_id=practitioner.id, details={"after": clean}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return practitioner


def update_practitioner(practitioner_id, *, actor, full_name, title="", active=True,
                        full_name_uk="", title_uk=""):
    """Change names, titles, active. An inactive practitioner is offered for no booking."""
    clean = _clean_practitioner({"full_name": full_name, "title": title, "active": active,
                                 "full_name_uk": full_name_uk, "title_uk": title_uk})
    begin_write()
    try:
        practitioner = db.session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise LookupError("practitioner")
        before = _practitioner_snapshot(practitioner)
        for name, value in clean.items():
            setattr(practitioner, name, value)
        if before != clean:
            audit.record("practitioner.update", object_type="practitioner",
                         object_id=practitioner.id, details={"before": before, "after": clean},
                         actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return practitioner


MAX_HOURS_ROWS = 35


def _hours_snapshot(rows):
    return [[weekday, _hhmm(start), _hhmm(end)] for weekday, start, end in rows]


def check_working_hours(rows):
    """Typed rows (mappings with weekday, start_time, end_time) -> sorted (weekday, start, end)
    tuples, or AdminError with messages keyed "hours-<n>-<field>" (n = position sent)."""
    open_weekdays, opens, closes = opening_hours()
    errors = {}
    periods = []
    if len(rows) > MAX_HOURS_ROWS:
        raise AdminError(_l("Please enter at most %(n)d periods.", n=MAX_HOURS_ROWS))
    for index, row in enumerate(rows):
        key = f"hours-{index}-"
        weekday = _whole(row.get("weekday"), 0, 6)
        start, end = _clock(row.get("start_time")), _clock(row.get("end_time"))
        if weekday is None:
            errors[key + "weekday"] = _l("Please choose a day.")
        elif weekday not in open_weekdays:
            errors[key + "weekday"] = _l("The clinic is closed on that day.")
        if start is None:
            errors[key + "start_time"] = _l("Please enter a time like 10:00.")
        elif not opens <= start < closes:
            errors[key + "start_time"] = _l(
                "Please start within the clinic's opening hours, %(opens)s to %(closes)s.",
                opens=_hhmm(opens), closes=_hhmm(closes))
        if end is None:
            errors[key + "end_time"] = _l("Please enter a time like 19:00.")
        elif not opens < end <= closes:
            errors[key + "end_time"] = _l(
                "Please end within the clinic's opening hours, %(opens)s to %(closes)s.",
                opens=_hhmm(opens), closes=_hhmm(closes))
        elif start is not None and end <= start:
            errors[key + "end_time"] = _l("The end must be after the start.")
        if key + "weekday" not in errors and key + "start_time" not in errors \
                and key + "end_time" not in errors:
            periods.append((index, weekday, start, end))
    for index, weekday, start, end in periods:
        for other, other_day, other_start, other_end in periods:
            if other < index and other_day == weekday and start < other_end \
                    and other_start < end:
                errors[f"hours-{index}-start_time"] = _l(
                    "This period overlaps %(start)s-%(end)s on the same day.",
                    start=_hhmm(other_start), end=_hhmm(other_end))
                break
    if errors:
        raise AdminError(_l("Please check the periods marked below."), errors)
    return sorted((weekday, start, end) for _index, weekday, start, end in periods)


def set_working_hours(practitioner_id, rows, *, actor):
    """Replace a practitioner's weekly working periods (several a day make breaks). Each must
    lie inside the clinic's opening hours, start before it ends, and not overlap another period
    of the same weekday."""
    clean = check_working_hours(rows)
    begin_write()
    try:
        practitioner = db.session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise LookupError("practitioner")
        before = _hours_snapshot((h.weekday, h.start_time, h.end_time)
                                 for h in practitioner.working_hours)
        practitioner.working_hours.clear()
        db.session.flush()
        for weekday, start, end in clean:
            practitioner.working_hours.append(
                WorkingHours(weekday=weekday, start_time=start, end_time=end))
        after = _hours_snapshot(clean)
        if before != after:
            audit.record("practitioner.hours", object_type="practitioner",
                         object_id=practitioner.id, details={"before": before, "after": after},
                         actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return practitioner


# --- Closures -------------------------------------------------------------------------------------

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
        practitioner_id = _whole(raw_practitioner, 1, 10**9)
        if practitioner_id is None or db.session.get(Practitioner, practitioner_id) is None:
            errors["practitioner_id"] = _l("Please choose from the list.")
    reason = _text(fields.get("reason"))
    if not reason:
        errors["reason"] = _l("Please give a reason, for example “Team meeting”.")
    elif len(reason) > 200:
        errors["reason"] = _l("Please use at most %(n)d characters.", n=200)
    day = _day(fields.get("day"))
    if day is None:
        errors["day"] = _l("Please enter a date like 2026-12-31.")
    elif day > last_plannable:
        errors["day"] = _l("Closures can be planned up to %(date)s.",
                           date=last_plannable.isoformat())
    elif repeat == "weekly" and day < local_today(now):
        errors["day"] = _l("Please start a weekly closure today or later.")
    whole_day = _flag(fields.get("whole_day")) and repeat == "once"
    start = end = None
    if not whole_day:
        start, end = _clock(fields.get("start_time")), _clock(fields.get("end_time"))
        if start is None:
            errors["start_time"] = _l("Please enter a time like 14:00, or tick “Whole days”.")
        if end is None:
            errors["end_time"] = _l("Please enter a time like 15:00, or tick “Whole days”.")
        elif start is not None and end <= start:
            errors["end_time"] = _l("The end must be after the start.")

    if repeat == "weekly":
        if _flag(fields.get("whole_day")):
            errors["whole_day"] = _l("A weekly closure has a start and an end time.")
        weekdays = set()
        for value in fields.get("weekdays") or ():
            number = _whole(value, 0, 6)
            if number is None:
                errors["weekdays"] = _l("Please choose from the list.")
            else:
                weekdays.add(number)
        if not weekdays and "weekdays" not in errors:
            errors["weekdays"] = _l("Please choose at least one day of the week.")
        until = None
        if str(fields.get("until") or "").strip():
            until = _day(fields.get("until"))
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
        last_day = _day(fields.get("last_day"))
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


# --- Intake instrument switches -------------------------------------------------------------------

INSTRUMENT_KEYS = ("midas", "phq9", "gad7", "hit6_items")


@dataclass
class InstrumentSwitches:
    midas: bool
    phq9: bool
    gad7: bool
    hit6_items: bool
    hit6_text_configured: bool  # the clinic supplied its six licensed HIT-6 items


def instrument_switches():
    stored = clinic_settings.get("INTAKE_INSTRUMENTS") or {}
    defaults = current_app.config["INTAKE_INSTRUMENTS"]
    values = {key: bool(stored.get(key, defaults.get(key, False))) for key in INSTRUMENT_KEYS}
    configured = len(tuple(current_app.config.get("HIT6_ITEM_TEXT") or ())) == 6
    return InstrumentSwitches(**values, hit6_text_configured=configured)


def set_instrument_switches(*, actor, **switches):
    """Switch the intake's questionnaires on or off (audited as setting.change). Returns False
    when nothing changed (nothing is written then)."""
    current = instrument_switches()
    value = {key: _flag(switches.get(key)) for key in INSTRUMENT_KEYS}
    if value == {key: getattr(current, key) for key in INSTRUMENT_KEYS}:
        return False
    begin_write()
    # Load the actor under the write lock first: settings.put reads actor.id after adding its
    # row, and an expired actor would autoflush that row before its value is set.
    db.session.refresh(actor)
    clinic_settings.put("INTAKE_INSTRUMENTS", value, actor=actor)  # commits, or rolls back
    return True


# --- The audit log --------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 100
AUDIT_MAX_DAYS = 366


@dataclass
class AuditPage:
    events: list
    page: int
    has_previous: bool
    has_next: bool
    first_day: date
    last_day: date


def default_audit_range(now=None):
    today = local_today(now)
    return today - timedelta(days=6), today


def audit_log(*, first_day=None, last_day=None, action="", actor="", object_type="",
              object_id=None, page=1, now=None):
    """Audit events between two local dates (inclusive; default the last 7 days), newest
    first, AUDIT_PAGE_SIZE a page. `action` matches the start of the action ("staff" finds
    staff.*), `actor` the actor's email exactly (any case)."""
    default_first, default_last = default_audit_range(now)
    first_day, last_day = first_day or default_first, last_day or default_last
    errors = {}
    if last_day < first_day:
        errors["last_day"] = _l("The last day must not be before the first day.")
    elif (last_day - first_day).days + 1 > AUDIT_MAX_DAYS:
        errors["last_day"] = _l("Please choose at most %(n)d days.", n=AUDIT_MAX_DAYS)
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    tz = clinic_tz()
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    query = select(AuditEvent).where(AuditEvent.at >= start, AuditEvent.at < end)
    if action:
        query = query.where(AuditEvent.action.startswith(action.strip(), autoescape=True))
    if actor:
        query = query.where(db.func.lower(AuditEvent.actor) == actor.strip().lower())
    if object_type:
        query = query.where(AuditEvent.object_type == object_type.strip())
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    page = max(1, page)
    events = db.session.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE + 1)
    ).scalars().all()
    return AuditPage(events[:AUDIT_PAGE_SIZE], page, page > 1, len(events) > AUDIT_PAGE_SIZE,
                     first_day, last_day)
