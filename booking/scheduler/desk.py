"""The reception desk: what the staff calendar, the "book a caller" page and the patient pages read.

Read side only. The changes (book, cancel, move, statuses) go through services.py, the one engine
every door shares; nothing here writes.

Two habits hold throughout:
- Every query is bounded by the dates shown (a day, a week, a patient's last 12 months and their
  booked future), using the indexes on appointment.starts_at and (practitioner_id, starts_at).
- Reception never receives clinical content: intake rows are loaded with their status columns
  only, so answers, scores and flags never even reach the page code.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..courses import services as courses
from ..extensions import db
from ..intake.services import intake_status
from ..localized import localized
from ..models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Course,
    CourseStatus,
    Intake,
    Patient,
    Practitioner,
    Service,
    WorkingHours,
)
from ..timeutil import clinic_tz, to_local, utcnow
from . import services
from .contacts import normalise_phone

# The calendar's rows: half an hour each, from opening to closing time.
CALENDAR_ROW_MINUTES = 30
PATIENT_SEARCH_LIMIT = 50
PATIENT_HISTORY_DAYS = 365  # "the last 12 months" on the patient page
# Buttons shown for each status move, in this order (services.allowed_statuses decides which
# are offered at the moment: what is allowed, and has had time to happen).
MOVE_ORDER = ("arrived", "completed", "no_show", "booked")
_CANCELLED = AppointmentStatus.CANCELLED.value


def _with_desk_details(query):
    """Load what a desk page shows with each appointment, in a few queries (no N+1): the
    patient, the service, the practitioner and the intake's status, never its content."""
    return query.options(
        selectinload(Appointment.patient),
        selectinload(Appointment.service),
        selectinload(Appointment.practitioner),
        selectinload(Appointment.intake).load_only(
            Intake.id, Intake.appointment_id, Intake.status, Intake.urgent),
    )


# --- Services and practitioners the desk may choose from. ---------------------------------------

def staff_services():
    """Every active service the desk books as one appointment, including those not bookable
    online. Courses (several sessions booked as one unit) are booked through the course
    service, not here."""
    return db.session.execute(
        select(Service).where(Service.active.is_(True), Service.is_course.is_not(True))
        .order_by(Service.position, Service.id)
    ).scalars().all()


def active_practitioners():
    return db.session.execute(
        select(Practitioner).where(Practitioner.active.is_(True))
        .order_by(Practitioner.full_name, Practitioner.id)
    ).scalars().all()


def active_practitioner(practitioner_id):
    practitioner = db.session.get(Practitioner, practitioner_id) if practitioner_id else None
    return practitioner if practitioner is not None and practitioner.active else None


def get_patient(patient_id):
    return db.session.get(Patient, patient_id) if patient_id else None


# --- The calendar: a board of columns (a practitioner, or a day) and half-hour rows. ------------

@dataclass
class Entry:
    """An appointment as a calendar cell or a list shows it."""

    appointment: Appointment
    intake: str  # intake_status(): not_started, in_progress, submitted, urgent
    continued: bool = False  # started in an earlier row of the same column

    @property
    def movable(self):
        return not self.continued and self.appointment.status == AppointmentStatus.BOOKED.value


@dataclass
class Cell:
    starts_at: datetime  # UTC
    ends_at: datetime
    entries: list = field(default_factory=list)
    blocked: list = field(default_factory=list)  # reasons of closures over this row
    free: list = field(default_factory=list)  # practitioners free for the whole row, from now on
    working: bool = False  # somebody of the column works during this row
    past: bool = False

    @property
    def local_start(self):
        return to_local(self.starts_at)

    @property
    def state(self):
        if self.entries:
            return "booked"
        if self.blocked:
            return "blocked"
        if self.free:
            return "free"
        if not self.working:
            return "off"
        return "past" if self.past else "busy"


@dataclass
class Column:
    day: date
    practitioners: list
    cells: list = field(default_factory=list)

    @property
    def practitioner(self):
        return self.practitioners[0] if len(self.practitioners) == 1 else None


@dataclass
class Board:
    first_day: date
    last_day: date
    rows: list  # local wall-clock times of the rows
    columns: list
    practitioners: list  # everyone shown
    cancelled: list  # Entry rows of cancelled appointments in the range
    closures: list  # (closure, start, end) of clinic-wide closures in the range


def calendar_rows():
    config = current_app.config
    opens = services._parse_clock(config["CLINIC_OPENS"])
    closes = services._parse_clock(config["CLINIC_CLOSES"])
    rows = []
    minutes = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    while minutes + CALENDAR_ROW_MINUTES <= end:
        rows.append(time(minutes // 60, minutes % 60))
        minutes += CALENDAR_ROW_MINUTES
    return rows


def _instant(day, clock):
    return datetime.combine(day, clock, tzinfo=clinic_tz()).astimezone(timezone.utc)


def _appointments_in(first_day, last_day, practitioner_ids=None):
    """Every appointment starting in the local days shown (appointments never cross midnight),
    for some practitioners or all: a range scan on one of the two starts_at indexes."""
    range_start, range_end = services._day_bounds_utc(first_day, last_day)
    query = select(Appointment).where(Appointment.starts_at >= range_start,
                                      Appointment.starts_at < range_end)
    if practitioner_ids is not None:
        query = query.where(Appointment.practitioner_id.in_(practitioner_ids))
    query = _with_desk_details(query.order_by(Appointment.starts_at, Appointment.id))
    return db.session.execute(query).scalars().all()


def _works(hours, weekday, local_start, local_end):
    return any(h.weekday == weekday and h.start_time <= local_start
               and (local_end <= h.end_time or local_end == time(0)) for h in hours)


def _board(first_day, last_day, practitioners, *, by_practitioner, now=None, agenda=False):
    """Build the board. `by_practitioner`: one column per practitioner of a single day (the day
    view); otherwise one column per day, each holding every practitioner given (the week).
    `agenda`: only the appointments and closures are wanted (the week of everyone, a list per
    day), not who works or is free in each row."""
    now = now or utcnow()
    tz = clinic_tz()
    ids = [p.id for p in practitioners] if practitioners is not None else None
    appointments = _appointments_in(first_day, last_day, ids)
    if practitioners is None:
        # Everyone active, plus anyone no longer active who still has appointments shown.
        shown = {p.id: p for p in active_practitioners()}
        for appointment in appointments:
            shown.setdefault(appointment.practitioner_id, appointment.practitioner)
        practitioners = sorted(shown.values(), key=lambda p: (p.full_name, p.id))
    practitioner_ids = [p.id for p in practitioners]
    hours_rows = db.session.execute(
        select(WorkingHours).where(WorkingHours.practitioner_id.in_(practitioner_ids))
    ).scalars().all() if practitioner_ids else []
    hours = {pid: [] for pid in practitioner_ids}
    for row in hours_rows:
        hours[row.practitioner_id].append(row)
    range_start, range_end = services._day_bounds_utc(first_day, last_day)
    closures = services.closures_between(range_start, range_end)

    active = [a for a in appointments if a.status != _CANCELLED]
    cancelled = [Entry(a, intake_status(a)) for a in appointments if a.status == _CANCELLED
                 and a.practitioner_id in hours]
    rows = calendar_rows()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    if by_practitioner:
        columns = [Column(first_day, [p]) for p in practitioners]
    else:
        open_weekdays = current_app.config["CLINIC_OPEN_WEEKDAYS"]
        booked_days = {to_local(a.starts_at).date() for a in active}
        columns = [Column(day, list(practitioners)) for day in days
                   if day.weekday() in open_weekdays or day in booked_days]

    # A week of a big clinic holds thousands of appointments and dozens of practitioners: read
    # each appointment's times once into plain values, and group them by day and practitioner,
    # so that a cell looks only at its own column's appointments and each practitioner at
    # their own, instead of every appointment of the day for every row and practitioner.
    row_length = timedelta(minutes=CALENDAR_ROW_MINUTES)
    by_day = {}
    for appointment in active:
        starts_at = appointment.starts_at
        by_day.setdefault(starts_at.astimezone(tz).date(), []).append(
            (appointment, appointment.practitioner_id, starts_at, appointment.ends_at,
             appointment.blocks_until))
    for column in columns:
        column_ids = {p.id for p in column.practitioners}
        mine = [item for item in by_day.get(column.day, ()) if item[1] in column_ids]
        busy_of = {}
        for _appointment, pid, starts_at, _ends_at, blocks_until in mine:
            busy_of.setdefault(pid, []).append((starts_at, blocks_until))
        cells = []
        for clock in rows:
            row_start = _instant(column.day, clock)
            row_end = row_start + row_length
            cells.append(Cell(row_start, row_end, past=row_start < now))
        # Each appointment is placed in the rows it covers: its first row, then "continued".
        for appointment, _pid, starts_at, ends_at, _blocks_until in mine:
            entry = None
            for cell in cells:
                if cell.starts_at <= starts_at < cell.ends_at:
                    entry = Entry(appointment, intake_status(appointment))
                    cell.entries.append(entry)
                elif starts_at < cell.starts_at < ends_at:
                    cell.entries.append(Entry(appointment, entry.intake if entry else
                                              intake_status(appointment), True))
        weekday = column.day.weekday()
        for cell in cells:
            row_start, row_end = cell.starts_at, cell.ends_at
            local_start = row_start.astimezone(tz).time()
            local_end = row_end.astimezone(tz).time()
            row_closures = [c for c, start, end in closures
                            if start < row_end and end > row_start]
            if agenda:
                for closure in row_closures:
                    if (closure.practitioner_id is None or closure.practitioner_id in column_ids) \
                            and closure.reason not in cell.blocked:
                        cell.blocked.append(closure.reason)
                continue
            for practitioner in column.practitioners:
                works = _works(hours[practitioner.id], weekday, local_start, local_end)
                cell.working = cell.working or works
                closed = [c for c in row_closures if c.practitioner_id in (None, practitioner.id)]
                for closure in closed:
                    if closure.reason not in cell.blocked:
                        cell.blocked.append(closure.reason)
                busy = any(starts_at < row_end and blocks_until > row_start
                           for starts_at, blocks_until in busy_of.get(practitioner.id, ()))
                if works and not closed and not busy and not cell.past:
                    cell.free.append(practitioner)
        column.cells = cells
    clinic_closures = [(c, start, end) for c, start, end in closures if c.practitioner_id is None]
    return Board(first_day, last_day, rows, columns, practitioners, cancelled, clinic_closures)


def week_board(monday, practitioner=None, *, now=None, practitioners=None):
    """The week view: a column for each open day (and any other day holding appointments),
    for one practitioner, for a page of them (`practitioners`, see practitioner_page) or for
    everyone."""
    return _board(monday, monday + timedelta(days=6),
                  [practitioner] if practitioner else practitioners, by_practitioner=False,
                  now=now, agenda=practitioner is None)


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
    range_start, range_end = services._day_bounds_utc(day, day)
    end = start + timedelta(minutes=service.duration_minutes)
    rows = db.session.execute(_with_desk_details(
        select(Appointment).where(Appointment.patient_id == patient_id,
                                  Appointment.status != _CANCELLED,
                                  Appointment.starts_at >= range_start,
                                  Appointment.starts_at < range_end)
        .order_by(Appointment.starts_at))).scalars().all()
    return [SameDay(a, a.starts_at < end and start < a.ends_at) for a in rows]


# --- "Everyone" in pages of practitioners ---------------------------------------------------------

@dataclass
class PractitionerPage:
    """The practitioners an "everyone" page shows (a page of them in a big clinic), and where
    that page is among the others."""

    practitioners: list
    page: int
    pages: int
    total: int

    @property
    def first(self):
        return (self.page - 1) * self.size + 1 if self.total else 0

    @property
    def last(self):
        return self.first + len(self.practitioners) - 1 if self.total else 0

    size: int = 1


def practitioner_page(first_day, last_day, page=1, size=12):
    """Everyone an "everyone" page of the days shows, `size` at a time: the active
    practitioners and anyone no longer active with appointments in those days, by name. The
    pages of a clinic with hundreds of practitioners stay as quick as a small clinic's."""
    range_start, range_end = services._day_bounds_utc(first_day, last_day)
    with_appointments = select(Appointment.practitioner_id).where(
        Appointment.starts_at >= range_start, Appointment.starts_at < range_end)
    shown = db.session.execute(
        select(Practitioner).where(or_(Practitioner.active.is_(True),
                                       Practitioner.id.in_(with_appointments)))
        .order_by(Practitioner.full_name, Practitioner.id)
    ).scalars().all()
    pages = max(1, -(-len(shown) // size))
    page = min(max(1, page), pages)
    return PractitionerPage(shown[(page - 1) * size:page * size], page, pages, len(shown), size)


# --- Free times, for booking a caller and for moving an appointment. ----------------------------

def free_times(service, first_day, last_day=None, practitioner=None, *, exclude=None, now=None):
    """Free slots with the desk's rules (no minimum notice, the longer staff horizon); `exclude`
    is an appointment being moved: its own time counts as free, but is not offered."""
    found = services.find_slots(
        service, first_day, last_day or first_day, practitioner, now=now,
        exclude_appointment_id=exclude.id if exclude else None,
        rules=services.clinic_rules(for_staff=True))
    if exclude is not None:
        found = [s for s in found if not (s.start == exclude.starts_at
                                          and s.practitioner_id == exclude.practitioner_id)]
    return found


def practitioners_offering(service):
    return services.practitioners_for(service)


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
    day = day or (to_local(start).date() if start else services.local_today(now))
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
    today = services.local_today(now)
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
        return services.reschedule_by_staff(appointment_id, new_start,
                                            practitioner_id=practitioner_id, now=now)
    if practitioner_id not in (None, appointment.practitioner_id):
        message = _("A course keeps one practitioner; move the whole course instead.")
        raise services.SlotNotBookable(message, fields={"start": message})
    return courses.move_session(appointment_id, new_start, by_staff=True, now=now)


# --- Patients ---------------------------------------------------------------------------------

def _date_typed(text):
    for parse in (date.fromisoformat,
                  lambda value: datetime.strptime(value, "%d.%m.%Y").date(),
                  lambda value: datetime.strptime(value, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _like(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class SearchResult:
    text: str
    patients: list
    more: bool  # more than PATIENT_SEARCH_LIMIT matched: ask for a narrower search


def search_patients(text, limit=PATIENT_SEARCH_LIMIT):
    """Patients whose name, email, phone or date of birth match what was typed.

    One box for every key: a date (2026-01-31, 31.01.2026) matches the date of birth; a phone
    number in any common form is normalised (+380...) and matched exactly; four or more digits
    also match part of a phone; any text matches part of the name or the email."""
    text = " ".join(str(text or "").split())[:120]
    if len(text) < 2:
        return SearchResult(text, [], False)
    conditions = []
    born = _date_typed(text)
    if born is not None:
        conditions.append(Patient.date_of_birth == born)
    try:
        conditions.append(Patient.phone == normalise_phone(text))
    except ValueError:
        pass
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 4 and all(ch.isdigit() or ch in " +-()." for ch in text) and born is None:
        conditions.append(Patient.phone.like(_like(digits), escape="\\"))
    if born is None:
        # SQLite compares only ASCII letters without case; try the usual spellings of a name
        # typed in Cyrillic as well (ivan / Ivan / IVAN).
        for variant in {text, text.lower(), text.title(), text.upper(), text.capitalize()}:
            conditions.append(Patient.full_name.like(_like(variant), escape="\\"))
        conditions.append(Patient.email.like(_like(text.lower()), escape="\\"))
    found = db.session.execute(
        select(Patient).where(or_(*conditions)).order_by(Patient.full_name, Patient.id)
        .limit(limit + 1)
    ).scalars().all()
    return SearchResult(text, found[:limit], len(found) > limit)


@dataclass
class PatientOverview:
    patient: Patient
    since: date  # the first local day of the past shown
    future: list  # Entry rows, soonest first
    past: list  # Entry rows, latest first
    no_shows: int
    late_cancellations: int


def is_late_cancellation(appointment):
    """Cancelled at the patient's request less than MANAGE_CUTOFF_HOURS before the start
    (online that cannot happen, so these are the calls reception took after the cut-off)."""
    return (appointment.status == _CANCELLED and appointment.cancelled_by == "patient"
            and appointment.cancelled_at is not None
            and appointment.cancelled_at > services.change_deadline(appointment))


def patient_overview(patient_id, *, now=None):
    """Contact details and appointments of the last 12 months and the booked future, with the
    no-show and late-cancellation counts over them. No clinical content. None if unknown."""
    patient = get_patient(patient_id)
    if patient is None:
        return None
    now = now or utcnow()
    since = now - timedelta(days=PATIENT_HISTORY_DAYS)
    until = now + timedelta(days=current_app.config["STAFF_BOOKING_HORIZON_DAYS"] + 1)
    appointments = db.session.execute(_with_desk_details(
        select(Appointment)
        .where(Appointment.patient_id == patient.id, Appointment.starts_at >= since,
               Appointment.starts_at < until)
        .order_by(Appointment.starts_at, Appointment.id)
    )).scalars().all()
    entries = [Entry(a, intake_status(a)) for a in appointments]
    return PatientOverview(
        patient=patient,
        since=to_local(since).date(),
        future=[e for e in entries if e.appointment.starts_at >= now],
        past=[e for e in reversed(entries) if e.appointment.starts_at < now],
        # Only missed appointments count: none marked before its start (data older than that
        # rule may hold some).
        no_shows=sum(a.status == AppointmentStatus.NO_SHOW.value and a.starts_at <= now
                     for a in appointments),
        late_cancellations=sum(is_late_cancellation(a) for a in appointments),
    )


# --- One appointment: details, the moves allowed, its audit history. -----------------------------

@dataclass
class Snapshot:
    """The non-clinical state an audit event recorded (before or after a change)."""

    starts_at: datetime | None
    practitioner: str
    status: str
    cancelled_by: str | None


@dataclass
class HistoryRow:
    at: datetime
    actor: str
    action: str  # appointment.create, .cancel, .reschedule, .status
    source: str
    before: Snapshot | None
    after: Snapshot | None


@dataclass
class AppointmentView:
    appointment: Appointment
    intake: str
    moves: list  # statuses it may move to now, in MOVE_ORDER
    history: list
    not_yet: list = field(default_factory=list)  # why the other moves wait (messages)


def _parse_instant(value):
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def appointment_history(appointment_id):
    """The changes of one appointment, oldest first (the index on object_type+object_id): its
    appointment.* audit events. Who viewed its intake or session record is not a change and
    stays in the audit log (the desk's page is not the place for clinical events)."""
    events = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == "appointment", AuditEvent.object_id == appointment_id,
               AuditEvent.action.like("appointment.%"))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars().all()
    wanted = {snapshot.get("practitioner_id")
              for event in events for snapshot in ((event.details or {}).get("before"),
                                                   (event.details or {}).get("after"))
              if isinstance(snapshot, dict)}
    wanted.discard(None)
    names = {practitioner.id: localized(practitioner, "full_name")
             for practitioner in db.session.execute(
                 select(Practitioner).where(Practitioner.id.in_(wanted))).scalars()
             } if wanted else {}

    def snapshot(raw):
        if not isinstance(raw, dict):
            return None
        return Snapshot(starts_at=_parse_instant(raw.get("starts_at")),
                        practitioner=names.get(raw.get("practitioner_id"), ""),
                        status=str(raw.get("status") or ""),
                        cancelled_by=raw.get("cancelled_by"))

    return [HistoryRow(at=event.at, actor=event.actor or "", action=event.action,
                       source=str((event.details or {}).get("source") or ""),
                       before=snapshot((event.details or {}).get("before")),
                       after=snapshot((event.details or {}).get("after")))
            for event in events]


def allowed_moves(appointment, now=None):
    """The status moves to offer at `now`, in MOVE_ORDER."""
    allowed = services.allowed_statuses(appointment, now)
    return [status for status in MOVE_ORDER if status in allowed]


def moves_not_yet(appointment, now=None):
    """Why each move that exists but waits for its time is not offered yet (messages)."""
    refusals = (services.status_refusal(appointment, status, now) for status in MOVE_ORDER
                if status in services.STATUS_MOVES.get(appointment.status, ()))
    return [refused.message for refused in refusals
            if isinstance(refused, services.StatusTooEarly)]


def appointment_view(appointment_id, *, now=None):
    """Everything the appointment page shows, or None when there is no such appointment."""
    appointment = db.session.execute(_with_desk_details(
        select(Appointment).where(Appointment.id == appointment_id)
    )).scalar_one_or_none()
    if appointment is None:
        return None
    now = now or utcnow()
    return AppointmentView(
        appointment=appointment, intake=intake_status(appointment),
        moves=allowed_moves(appointment, now), history=appointment_history(appointment.id),
        not_yet=moves_not_yet(appointment, now),
    )


# --- Treatment courses at the desk: where one fits, its page, moving its rest, a patient's. -----
# Read side only, like the rest of this module: booking, cancelling and moving go through
# booking/courses/services.py. Nothing clinical is loaded: the first session's intake comes with
# its status columns only, and session records (booking/courses/session_records.py) never.

def course_services():
    """Every active course service the desk may book (bookable online or by phone only)."""
    return db.session.execute(
        select(Service).where(Service.active.is_(True), Service.is_course.is_(True))
        .order_by(Service.position, Service.id)
    ).scalars().all()


@dataclass
class CourseOption:
    """A start where the whole course fits: the first session's instant, the practitioner, and
    every session's instant (the shape templates/scheduler/course_parts.html draws)."""

    start: datetime
    practitioner_id: int
    sessions: list  # aware instants, one per session, in order

    @property
    def days(self):
        return [to_local(instant).date() for instant in self.sessions]


def course_options(course_starts):
    """CourseStarts of the course service as options, one per start: with "any practitioner"
    several may fit at the same time, on the same days, which the desk offers as one choice."""
    seen, options = set(), []
    for course_start in course_starts:
        if course_start.start in seen:
            continue
        seen.add(course_start.start)
        options.append(CourseOption(course_start.start, course_start.practitioner_id,
                                    [slot.start for slot in course_start.slots]))
    return options


@dataclass
class CourseStartDay:
    day: date
    starts: list  # CourseOption rows starting that day


@dataclass
class CourseWeek:
    """A week of course starts: Monday to Sunday, the neighbouring weeks (None past the bounds:
    this week, and the desk's booking horizon) and the open days with their starts."""

    first: date
    last: date
    previous: date | None
    next: date | None
    days: list  # CourseStartDay rows: open days from today on, and any day holding starts


def _course_week(asked, options_of, *, now=None):
    """The week holding `asked` (clamped to this week .. the staff horizon), its starts from
    `options_of(first, last)` grouped by local day."""
    today = services.local_today(now)
    horizon = today + timedelta(days=current_app.config["STAFF_BOOKING_HORIZON_DAYS"])
    this_monday = today - timedelta(days=today.weekday())
    last_monday = horizon - timedelta(days=horizon.weekday())
    monday = (asked or today) - timedelta(days=(asked or today).weekday())
    monday = min(max(monday, this_monday), last_monday)
    sunday = monday + timedelta(days=6)
    options = options_of(monday, sunday)
    by_day = {}
    for option in options:
        by_day.setdefault(to_local(option.start).date(), []).append(option)
    open_weekdays = current_app.config["CLINIC_OPEN_WEEKDAYS"]
    days = [CourseStartDay(day, by_day.get(day, []))
            for day in (monday + timedelta(days=n) for n in range(7))
            if day in by_day or (day >= today and day.weekday() in open_weekdays)]
    return CourseWeek(
        first=monday, last=sunday,
        previous=monday - timedelta(days=7) if monday > this_monday else None,
        next=monday + timedelta(days=7) if monday < last_monday else None,
        days=days,
    )


@dataclass
class CourseChoice:
    """What the desk's "book a course" page shows for the choices in its URL."""

    service: Service
    sessions: int  # the number chosen (or offered first)
    session_counts: list  # what the service allows, min..max
    practitioners: list  # who offers the course
    practitioner: Practitioner | None  # None: any practitioner
    week: CourseWeek
    start: CourseOption | None  # the chosen start, when the whole course fits there now
    start_not_free: bool  # a start was asked for but the course does not fit there
    patient: Patient | None  # a patient chosen beforehand (from their page)


def course_booking_choice(service_id, *, sessions=None, week=None, practitioner_id=None,
                          start=None, patient_id=None, now=None):
    """Resolve the page's choices and find, with the desk's rules, the starts of the week where
    the whole course fits. None when there is no such active course service."""
    service = courses.get_course_service(service_id, for_staff=True) if service_id else None
    if service is None:
        return None
    counts = list(courses.session_counts(service))
    if sessions not in counts:
        sessions = courses.default_sessions(service)
    practitioners = services.practitioners_for(service)
    practitioner = next((p for p in practitioners if p.id == practitioner_id), None)

    def starts_between(first_day, last_day):
        return course_options(courses.find_course_starts(
            service, sessions, first_day, last_day, practitioner, for_staff=True, now=now))

    if week is None and start is not None:
        week = to_local(start).date()
    course_week = _course_week(week, starts_between, now=now)
    chosen = None
    if start is not None:
        day = to_local(start).date()
        if course_week.first <= day <= course_week.last:
            candidates = [o for d in course_week.days for o in d.starts]
        else:
            candidates = starts_between(day, day)
        chosen = next((o for o in candidates if o.start == start), None)
    return CourseChoice(
        service=service, sessions=sessions, session_counts=counts,
        practitioners=practitioners, practitioner=practitioner, week=course_week,
        start=chosen, start_not_free=start is not None and chosen is None,
        patient=get_patient(patient_id),
    )


@dataclass
class CourseHistoryRow:
    at: datetime
    actor: str
    action: str  # course.create, .cancel_rest, .move_rest, .confirm, .decline


@dataclass
class DeskCourse:
    """A course as the desk sees it: who, what, when, and each session's status. Never the
    session records, the review note or the intake's content."""

    course: Course
    sessions: list  # its appointments (every session, cancelled ones too), in time order
    remaining: list  # booked sessions that have not started yet
    intake: str  # intake_status() of the first session, which carries the course's intake
    history: list  # CourseHistoryRow, oldest first

    @property
    def active(self):
        return self.course.status not in (CourseStatus.CANCELLED.value,
                                           CourseStatus.DECLINED.value)


def _course_query(course_id):
    return select(Course).where(Course.id == course_id).options(
        selectinload(Course.patient), selectinload(Course.service),
        selectinload(Course.practitioner),
        selectinload(Course.appointments).selectinload(Appointment.intake).load_only(
            Intake.id, Intake.appointment_id, Intake.status, Intake.urgent),
    )


def course_history(course_id):
    """The changes of one course, oldest first (the index on object_type+object_id): its
    course.* audit events (views of its records stay in the audit log). Their details (session
    days, instants) are not read: the page says what happened, when and by whom."""
    events = db.session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.action)
        .where(AuditEvent.object_type == "course", AuditEvent.object_id == course_id,
               AuditEvent.action.like("course.%"))
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [CourseHistoryRow(at=at, actor=actor or "", action=action)
            for at, actor, action in events]


def desk_course(course_id, *, now=None):
    """Everything the desk's course page shows, or None when there is no such course."""
    course = db.session.execute(_course_query(course_id)).scalar_one_or_none()
    if course is None:
        return None
    sessions = list(course.appointments)
    first = next((a for a in sessions if a.course_day == 1), None)
    return DeskCourse(
        course=course, sessions=sessions, remaining=courses.remaining_sessions(course, now),
        intake=intake_status(first) if first is not None else "not_started",
        history=course_history(course.id),
    )


@dataclass
class CourseMoveOptions:
    """A week of starts where the rest of a course fits with its practitioner."""

    course: Course
    remaining: list  # the sessions that would move
    after: date | None  # the rest must start after this day (the last session held)
    week: CourseWeek
    movable: bool


def course_move_options(course_id, *, week=None, now=None):
    """Starts of a week where the course's remaining sessions fit (with the desk's rules, the
    course's practitioner, looking through the course's own sessions), after the sessions
    already held and not at the current start. None when there is no such course."""
    course = db.session.execute(_course_query(course_id)).scalar_one_or_none()
    if course is None:
        return None
    rest = courses.remaining_sessions(course, now)
    movable = bool(rest) and course.status not in (CourseStatus.CANCELLED.value,
                                                   CourseStatus.DECLINED.value)
    held = [a for a in course.appointments if a.status != _CANCELLED and a not in rest]
    after = max((to_local(a.starts_at).date() for a in held), default=None)
    current = rest[0].starts_at if rest else None

    def starts_between(first_day, last_day):
        if not movable:
            return []
        found = courses.find_course_starts(
            course.service, len(rest), first_day, last_day, practitioner=course.practitioner,
            for_staff=True, now=now, exclude_course_id=course.id)
        return [o for o in course_options(found) if o.start != current
                and (after is None or to_local(o.start).date() > after)]

    if week is None and current is not None:
        week = to_local(current).date()
    return CourseMoveOptions(course=course, remaining=rest, after=after,
                             week=_course_week(week, starts_between, now=now), movable=movable)


@dataclass
class CourseSummary:
    """One line of the patient page's course list."""

    course: Course
    first_on: date | None  # the first and last session days (of those not cancelled, when any)
    last_on: date | None


def patient_courses(overview):
    """The courses of the appointments a patient page shows (its last 12 months and the booked
    future, so the query stays bounded by those dates), the latest first."""
    ids = {e.appointment.course_id for e in [*overview.future, *overview.past]
           if e.appointment.course_id is not None}
    if not ids:
        return []
    found = db.session.execute(
        select(Course).where(Course.id.in_(ids))
        .options(selectinload(Course.service), selectinload(Course.appointments))
    ).scalars().all()
    rows = []
    for course in found:
        kept = [a for a in course.appointments if a.status != _CANCELLED] or course.appointments
        days = [to_local(a.starts_at).date() for a in kept]
        rows.append(CourseSummary(course, min(days, default=None), max(days, default=None)))
    return sorted(rows, key=lambda r: (r.first_on or date.min, r.course.id), reverse=True)
