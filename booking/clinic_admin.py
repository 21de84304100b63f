"""Administration of what the clinic offers: its services, its practitioners and their working
hours, read for the admin pages and changed there. Closures are booking/clinic_closures.py's,
the intake's questionnaire switches booking/instrument_settings.py's, reading the audit log
booking/audit_search.py's; what an admin typed is read by booking/admin_fields.py.

Each change is one transaction, audited in that same transaction (booking.audit.record). The
functions take values as typed (strings from a form) and decide what they mean, raising
AdminError with a message per field; the dashboard views only parse and display. Staff accounts
live in booking/auth/services.py.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import audit
from .admin_fields import CHECK_FIELDS, AdminError, typed_clock, typed_flag, typed_text, typed_whole
from .database import begin_write
from .extensions import db
from .models import Practitioner, Service, StaffUser, WorkingHours
from .scheduler.booking_rules import clinic_rules

WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


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
    clean["name"] = typed_text(fields.get("name"))
    if not clean["name"]:
        errors["name"] = _l("Please enter the service's name.")
    elif len(clean["name"]) > 120:
        errors["name"] = _l("Please use at most %(n)d characters.", n=120)
    clean["name_uk"] = typed_text(fields.get("name_uk"))
    if len(clean["name_uk"]) > 120:
        errors["name_uk"] = _l("Please use at most %(n)d characters.", n=120)
    for name in ("description", "description_uk"):
        clean[name] = str(fields.get(name) or "").strip()
        if len(clean[name]) > 2000:
            errors[name] = _l("Please use at most %(n)d characters.", n=2000)
    for name, low, high in (("duration_minutes", 5, 540), ("grid_minutes", 5, 540),
                            ("buffer_minutes", 0, 240)):
        clean[name] = typed_whole(fields.get(name), low, high)
        if clean[name] is None:
            errors[name] = _l("Please enter a whole number of minutes from %(low)d to %(high)d.",
                              low=low, high=high)
    for name in ("online_bookable", "active", "needs_ketamine_prescreen",
                 "clinician_confirms_courses", "offers_diary"):
        clean[name] = typed_flag(fields.get(name))
    # The price is optional: empty shows none.
    price = str(fields.get("price_uah") if fields.get("price_uah") is not None else "").strip()
    clean["price_uah"] = typed_whole(price, 0, MAX_PRICE_UAH) if price else None
    if price and clean["price_uah"] is None:
        errors["price_uah"] = _l("Please enter the price in whole hryvnias, from 0 to %(high)d, "
                                 "or leave it empty.", high=MAX_PRICE_UAH)
    ids = set()
    for value in fields.get("practitioner_ids") or ():
        number = typed_whole(value, 1, 10**9)
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
    clean = {name: typed_text(fields.get(name)) for name in PRACTITIONER_TEXTS}
    if not clean["full_name"]:
        errors["full_name"] = _l("Please enter the practitioner's name.")
    for name in PRACTITIONER_TEXTS:
        if len(clean[name]) > 120:
            errors[name] = _l("Please use at most %(n)d characters.", n=120)
    if errors:
        raise AdminError(CHECK_FIELDS, errors)
    return {**clean, "active": typed_flag(fields.get("active"))}


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
        weekday = typed_whole(row.get("weekday"), 0, 6)
        start, end = typed_clock(row.get("start_time")), typed_clock(row.get("end_time"))
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
