"""What can be booked, read from the database for the pure slot engine: the services and their
practitioners, closures (recurring ones expanded), each practitioner's and resource's busy time,
the free slots of some days and the earliest one; and the appointments of some days.

Every query is bounded by the days asked, so the cost follows the appointments in the range,
not the whole history.
"""
from datetime import datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Closure, Resource, Service, WorkingHours
from ..timeutil import clinic_tz, utcnow
from . import recurrence
from . import slots as engine
from .booking_rules import clinic_rules, last_bookable_day, local_today, service_timing

# Appointments never cross midnight and buffers are short, so an appointment that touches a
# range starts at most this long before it: lets range queries use the starts_at index.
LONGEST_APPOINTMENT_SPAN = timedelta(days=1)


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


def day_bounds_utc(first_day, last_day):
    tz = clinic_tz()
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def add_busy_intervals(busy, owner_column, until_column, range_start, range_end,
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
    range_start, range_end = day_bounds_utc(first_day, last_day)
    hours = db.session.execute(
        select(WorkingHours).where(WorkingHours.practitioner_id.in_(ids))
    ).scalars().all()
    busy = {pid: [] for pid in ids}
    if include_appointments:
        add_busy_intervals(busy, Appointment.practitioner_id, Appointment.blocks_until,
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
        range_start, range_end = day_bounds_utc(first_day, last_day)
        add_busy_intervals(busy, Appointment.resource_id, Appointment.resource_until,
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


def appointments_between(first_day, last_day):
    """Every appointment starting between two local dates (inclusive), in time order."""
    range_start, range_end = day_bounds_utc(first_day, last_day)
    return db.session.execute(
        select(Appointment)
        .where(Appointment.starts_at >= range_start, Appointment.starts_at < range_end)
        .order_by(Appointment.starts_at, Appointment.practitioner_id)
    ).scalars().all()
