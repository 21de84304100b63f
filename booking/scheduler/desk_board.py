"""The staff calendar's week: a board of columns (a day, or a practitioner) and half-hour rows
(who works, who is free, what is booked or closed in each), and the pages of practitioners an
"everyone" view shows. Read side only, like desk_lookups.py; day_grid.py draws the day from the
same pieces.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..intake.services import intake_status
from ..models import Appointment, Practitioner, WorkingHours
from ..timeutil import clinic_tz, to_local, utcnow
from . import availability, booking_rules
from .desk_lookups import CANCELLED, Entry, active_practitioners, with_desk_details

# The calendar's rows: half an hour each, from opening to closing time.
CALENDAR_ROW_MINUTES = 30


# --- The calendar: a board of columns (a practitioner, or a day) and half-hour rows. ------------

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
    opens = booking_rules.parse_clock(config["CLINIC_OPENS"])
    closes = booking_rules.parse_clock(config["CLINIC_CLOSES"])
    rows = []
    minutes = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    while minutes + CALENDAR_ROW_MINUTES <= end:
        rows.append(time(minutes // 60, minutes % 60))
        minutes += CALENDAR_ROW_MINUTES
    return rows


def _instant(day, clock):
    return datetime.combine(day, clock, tzinfo=clinic_tz()).astimezone(timezone.utc)


def appointments_in(first_day, last_day, practitioner_ids=None):
    """Every appointment starting in the local days shown (appointments never cross midnight),
    for some practitioners or all: a range scan on one of the two starts_at indexes."""
    range_start, range_end = availability.day_bounds_utc(first_day, last_day)
    query = select(Appointment).where(Appointment.starts_at >= range_start,
                                      Appointment.starts_at < range_end)
    if practitioner_ids is not None:
        query = query.where(Appointment.practitioner_id.in_(practitioner_ids))
    query = with_desk_details(query.order_by(Appointment.starts_at, Appointment.id))
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
    appointments = appointments_in(first_day, last_day, ids)
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
    range_start, range_end = availability.day_bounds_utc(first_day, last_day)
    closures = availability.closures_between(range_start, range_end)

    active = [a for a in appointments if a.status != CANCELLED]
    cancelled = [Entry(a, intake_status(a)) for a in appointments if a.status == CANCELLED
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
    range_start, range_end = availability.day_bounds_utc(first_day, last_day)
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
