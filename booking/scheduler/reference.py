"""The clinic's reference data for the read-only API, kept per worker process as plain rows:
services, practitioners (and who offers what), working hours, closures and resources.

Reading them for every request was most of the cost of a week of slots (ORM objects for the
service, its practitioners, their hours and the closures). Here they are loaded once, as plain
frozen rows, and loaded again only when they change:

- Every change to a Service, Practitioner (or who offers which service), WorkingHours, Closure
  or Resource made through the ORM (the admin pages, the closures page, the demo loader ...)
  writes a new random token to the clinic_setting row REFERENCE_VERSION, in the same flush, so
  in the same transaction as the change (`bump_on_change`, a before_flush listener).
- Each use reads that token first (one small query) and reloads everything (six queries) when
  it differs from the one the cache was loaded with. The token is read before the data, so a
  change committed in between can only cause one reload too many, never a stale answer; and
  since it lives in the database, every worker and every server sees it.
A change made outside the ORM (SQL typed into psql) is not seen until the next ORM change or
a restart: change reference data through the app.

The slots themselves are computed as availability.find_slots computes them (same engine, rules,
closures expansion and range-bounded read of the appointments), only without the ORM; the
booking service keeps its own fresh reads under its lock, so a booking never relies on this
cache. tests/api/test_reference_cache.py compares both answers.
"""
import json
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import bindparam, event, null, select, union_all

from ..extensions import db
from ..models import (
    Appointment,
    AppointmentStatus,
    ClinicSetting,
    Closure,
    Practitioner,
    Resource,
    Service,
    WorkingHours,
    practitioner_service,
)
from ..timeutil import clinic_tz, utcnow
from . import recurrence
from . import availability, booking_rules
from . import slots as engine

VERSION_KEY = "REFERENCE_VERSION"
REFERENCE_MODELS = (Service, Practitioner, WorkingHours, Closure, Resource)
CACHE = "expio.reference"
MEMO_SIZE = 256  # answers of the slot engine remembered per worker


@dataclass(frozen=True)
class ServiceRow:
    """The columns of a Service the API and the engine read (the same attribute names)."""
    id: int
    name: str
    name_uk: str
    description: str
    description_uk: str
    duration_minutes: int
    grid_minutes: int
    buffer_minutes: int
    observation_minutes: int | None
    resource_kind: str | None
    is_course: bool
    min_sessions: int | None
    max_sessions: int | None
    active: bool
    online_bookable: bool
    position: int


@dataclass(frozen=True)
class PractitionerRow:
    id: int
    full_name: str
    full_name_uk: str
    title: str
    title_uk: str
    active: bool
    working_periods: tuple  # engine.WorkingPeriod, as availability._calendars builds them


@dataclass(frozen=True)
class ClosureRow:
    id: int
    practitioner_id: int | None
    starts_at: datetime
    ends_at: datetime
    rrule: str | None
    repeat_until: date | None


@dataclass(frozen=True)
class Reference:
    version: str | None
    services: tuple  # ServiceRow, in the clinic's order (position, id)
    practitioners: dict  # id -> PractitionerRow
    offered_by: dict  # service id -> practitioner ids offering it, ascending
    closures: tuple  # ClosureRow, by id
    resources: dict  # kind -> ids of the active resources of that kind, ascending

    def bookable(self):
        """Active services bookable online (courses too), in the clinic's order."""
        return [s for s in self.services if s.active and s.online_bookable]

    def bookable_service(self, service_id):
        """As availability.get_bookable_service: a single-appointment service bookable online."""
        return next((s for s in self.bookable() if s.id == service_id and not s.is_course),
                    None)

    def practitioners_for(self, service):
        """As availability.practitioners_for: the active practitioners offering it, by id."""
        found = (self.practitioners[pid] for pid in self.offered_by.get(service.id, ()))
        return [p for p in found if p.active]


# --- Loading, and knowing when to load again ------------------------------------------------------

# Built once: these run on every request, and building a statement costs more than running it.
VERSION_QUERY = select(ClinicSetting.value).where(ClinicSetting.key == VERSION_KEY)


def _busy_query(owner, until):
    """availability.add_busy_intervals' read, with its values as parameters; and, in the same
    statement (so from the same snapshot), the version row (its owner is NULL)."""
    busy = (select(owner, Appointment.starts_at, until, null())
            .where(owner.in_(bindparam("owners", expanding=True)),
                   Appointment.status != AppointmentStatus.CANCELLED.value,
                   Appointment.starts_at >= bindparam("earliest_start"),
                   Appointment.starts_at < bindparam("range_end"),
                   until > bindparam("range_start")))
    version = select(null(), null(), null(), ClinicSetting.value).where(
        ClinicSetting.key == VERSION_KEY)
    return union_all(busy, version)


PRACTITIONERS_BUSY = _busy_query(Appointment.practitioner_id, Appointment.blocks_until)
RESOURCES_BUSY = _busy_query(Appointment.resource_id, Appointment.resource_until)


class Stale(Exception):
    """The reference data changed since the cache was loaded: load it again (current())."""


def _add_busy(busy, query, range_start, range_end):
    """busy[owner] += the intervals the live appointments in the range hold (as
    availability.add_busy_intervals; on the session's connection, without the ORM). Returns the
    version token read in the same statement."""
    rows = db.session.connection().execute(query, {
        "owners": list(busy), "range_start": range_start, "range_end": range_end,
        "earliest_start": range_start - availability.LONGEST_APPOINTMENT_SPAN})
    version = None
    for owner_id, starts_at, until, value in rows:
        if owner_id is None:
            version = _token(value)
        else:
            busy[owner_id].append(engine.Interval(starts_at, until))
    return version


def _token(value):
    if isinstance(value, str):  # SQLite hands the JSON over as text in a UNION
        value = json.loads(value)
    return value.get("token") if isinstance(value, dict) else None


def _version():
    return _token(db.session.connection().execute(VERSION_QUERY).scalar())


def _load(version):
    services_rows = tuple(ServiceRow(*row) for row in db.session.execute(select(
        Service.id, Service.name, Service.name_uk, Service.description, Service.description_uk,
        Service.duration_minutes, Service.grid_minutes, Service.buffer_minutes,
        Service.observation_minutes, Service.resource_kind, Service.is_course,
        Service.min_sessions, Service.max_sessions, Service.active, Service.online_bookable,
        Service.position).order_by(Service.position, Service.id)))
    periods = {}
    for pid, weekday, start, end in db.session.execute(select(
            WorkingHours.practitioner_id, WorkingHours.weekday, WorkingHours.start_time,
            WorkingHours.end_time)):
        periods.setdefault(pid, []).append(engine.WorkingPeriod(weekday, start, end))
    practitioners = {
        pid: PractitionerRow(pid, name, name_uk or "", title or "", title_uk or "", active,
                             tuple(periods.get(pid, ())))
        for pid, name, name_uk, title, title_uk, active in db.session.execute(select(
            Practitioner.id, Practitioner.full_name, Practitioner.full_name_uk,
            Practitioner.title, Practitioner.title_uk, Practitioner.active))}
    offered_by = {}
    for pid, sid in db.session.execute(select(practitioner_service.c.practitioner_id,
                                              practitioner_service.c.service_id)
                                       .order_by(practitioner_service.c.practitioner_id)):
        offered_by.setdefault(sid, []).append(pid)
    closures = tuple(ClosureRow(*row) for row in db.session.execute(select(
        Closure.id, Closure.practitioner_id, Closure.starts_at, Closure.ends_at, Closure.rrule,
        Closure.repeat_until).order_by(Closure.id)))
    resources = {}
    for rid, kind in db.session.execute(select(Resource.id, Resource.kind)
                                        .where(Resource.active.is_(True)).order_by(Resource.id)):
        resources.setdefault(kind, []).append(rid)
    return Reference(version, services_rows, practitioners,
                     {sid: tuple(pids) for sid, pids in offered_by.items()}, closures,
                     {kind: tuple(ids) for kind, ids in resources.items()})


def cached():
    """(reference data, checked): the cache as it is, not checked against the database (then
    the slot search checks it in its own query and raises Stale), or loaded now when empty."""
    reference = current_app.extensions.setdefault(CACHE, {}).get("reference")
    return (current(), True) if reference is None else (reference, False)


def current():
    """The reference data as the database holds it now: one query when nothing changed."""
    version = _version()  # first: a change committed after this read is seen next time
    cache = current_app.extensions.setdefault(CACHE, {})
    reference = cache.get("reference")
    if reference is None or reference.version != version:
        reference = cache["reference"] = _load(version)
    return reference


@event.listens_for(db.session, "before_flush")
def bump_on_change(session, flush_context, instances):
    """A change to reference data writes a new version token, in the same flush."""
    changed = any(isinstance(obj, REFERENCE_MODELS) for obj in session.new) or \
        any(isinstance(obj, REFERENCE_MODELS) for obj in session.deleted) or \
        any(isinstance(obj, REFERENCE_MODELS) and session.is_modified(obj)
            for obj in session.dirty)
    if not changed:
        return
    value = {"token": secrets.token_hex(8)}
    with session.no_autoflush:
        row = session.get(ClinicSetting, VERSION_KEY)
        if row is None:
            session.add(ClinicSetting(key=VERSION_KEY, value=value, updated_at=utcnow()))
        else:
            row.value, row.updated_at = value, utcnow()


# --- Free slots from the cached rows --------------------------------------------------------------

def _closure_intervals(reference, range_start, range_end):
    """(practitioner_id or None, Interval) of every closure occurrence overlapping the range,
    chosen and expanded as availability.closures_between does."""
    tz = clinic_tz()
    first_local_day = range_start.astimezone(tz).date()
    found = []
    for closure in reference.closures:
        if closure.starts_at >= range_end:
            continue
        if closure.rrule is None:
            if closure.ends_at > range_start:
                found.append((closure.practitioner_id,
                              engine.Interval(closure.starts_at, closure.ends_at)))
        elif closure.repeat_until is None or closure.repeat_until >= first_local_day:
            for start, end in recurrence.occurrences(
                    closure.starts_at, closure.ends_at, closure.rrule,
                    until=closure.repeat_until, window_start=range_start,
                    window_end=range_end, tz=tz):
                found.append((closure.practitioner_id, engine.Interval(start, end)))
    return found


def slots_answer(reference, service, first_day, last_day, practitioner, render, *, now=None):
    """`render(slots)` (the API's JSON body) of find_slots' answer, remembered with it: while
    no slot has closed since (the usual case), the same bytes are given again."""
    found, remembered = _find(reference, service, first_day, last_day, practitioner, now)
    if remembered is None or len(found) != len(remembered[1]):
        return render(found)
    if remembered[2] is None:
        remembered[2] = render(found)
    return remembered[2]


def find_slots(reference, service, first_day, last_day, practitioner=None, *, now=None):
    """availability.find_slots with the online rules, for a ServiceRow (and a PractitionerRow, or
    every practitioner offering it): the same slots, with one query (the appointments of the
    practitioners, and the version of the reference data: Stale when it is not `reference`'s)
    and a second when the service needs a resource, instead of six.

    The engine's answer is remembered per worker (the last MEMO_SIZE questions), keyed by all
    it depends on: the reference version, the service, the practitioner, the days, the rules,
    the clinic's date today, and every busy interval read just now. A remembered answer
    computed at an earlier `now` the same day holds every slot the engine would give now plus
    those the minimum notice has since closed, so dropping the starts before now + notice
    gives exactly today's answer."""
    return _find(reference, service, first_day, last_day, practitioner, now)[0]


def _find(reference, service, first_day, last_day, practitioner, now):
    """(slots, the memo's entry [computed at, slots then, rendered] or None)."""
    now = now or utcnow()
    tz = clinic_tz()
    rules, timing = booking_rules.clinic_rules(), booking_rules.service_timing(service)
    practitioners = [practitioner] if practitioner else reference.practitioners_for(service)
    if not practitioners:
        return [], None
    range_start, range_end = availability.day_bounds_utc(first_day, last_day)
    busy = {p.id: [] for p in practitioners}
    if _add_busy(busy, PRACTITIONERS_BUSY, range_start, range_end) != reference.version:
        raise Stale()
    clinic_closures = []
    for owner, interval in _closure_intervals(reference, range_start, range_end):
        if owner is None:
            clinic_closures.append(interval)
        elif owner in busy:
            busy[owner].append(interval)
    taken = None
    if service.resource_kind:
        taken = {rid: [] for rid in reference.resources.get(service.resource_kind, ())}
        if taken:
            _add_busy(taken, RESOURCES_BUSY, range_start, range_end)  # (checked above)

    key = (reference.version, service.id, timing, tuple(p.id for p in practitioners),
           first_day, last_day, rules, str(tz), now.astimezone(tz).date(), _frozen(busy),
           None if taken is None else _frozen(taken))
    memo = current_app.extensions.setdefault(CACHE, {}).setdefault("slots", OrderedDict())
    remembered = memo.get(key)
    if remembered is not None and remembered[0] <= now:
        memo.move_to_end(key)
        earliest = now + rules.min_notice
        slots = remembered[1]
        if slots and slots[0].start < earliest:  # sorted by start: some have closed since
            slots = [slot for slot in slots if slot.start >= earliest]
        return slots, remembered

    calendars = [engine.PractitionerCalendar(practitioner_id=p.id,
                                             working_periods=p.working_periods,
                                             busy=tuple(busy[p.id]))
                 for p in practitioners]
    resources = None if taken is None else [engine.ResourceCalendar(rid, tuple(taken[rid]))
                                            for rid in taken]
    found = engine.free_slots(calendars, timing, first_day, last_day, now=now, tz=tz,
                              rules=rules, closures=clinic_closures, resources=resources)
    memo[key] = remembered = [now, found, None]
    while len(memo) > MEMO_SIZE:
        memo.popitem(last=False)
    return found, remembered


def _frozen(busy):
    return tuple((owner, tuple((i.start, i.end) for i in intervals))
                 for owner, intervals in sorted(busy.items()))
