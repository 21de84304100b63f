"""The reception's day as a time grid (templates/dashboard/reception/day.html): a column per
practitioner, or per chair, from opening to closing time in 5-minute steps.

- An appointment is one block as tall as its visit; in the chair view the observation after it
  (the chair still taken) is a lighter tail of the same block.
- Hours a practitioner does not work, closures and the time already past are shaded blocks
  with their words; the current time is a line.
- Free half hours of a practitioner (working, not closed, not busy, not past) are light links
  to the booking page with that practitioner, day and time filled in.
- A printable list per practitioner: time, patient, phone, service, status. Nothing clinical,
  on any of these: the intake shows as its status only.

Read side only, like desk_board.py; the template places each thing by its step (`at`) and its
length in steps, with classes (the strict CSP allows no style attributes).
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..intake.services import intake_status
from ..models import Appointment, Resource, WorkingHours
from ..timeutil import clinic_tz, to_local, utcnow
from . import availability, booking_rules
from .desk_board import (CALENDAR_ROW_MINUTES, _works, appointments_in, calendar_rows,
                         practitioner_page)
from .desk_lookups import CANCELLED, Entry, with_desk_details

STEP_MINUTES = 5
MAX_STEPS = 12 * 60 // STEP_MINUTES  # static/style.css places things on up to 12 hours
VIEWS = ("practitioner", "chair")
# Practitioners a page shows (the grid's columns, the day lists): a bigger clinic gets pages,
# so each stays quick and small (bench/bench_pages.py).
PAGE_SIZE = 12


@dataclass
class Block:
    kind: str  # "appointment", "closure", "off" (not working), "past"
    at: int  # steps from opening
    length: int  # steps
    entry: Entry | None = None
    tail: int = 0  # observation steps after the visit (chair view)
    reason: str = ""  # a closure's reason


@dataclass
class Free:
    at: int
    length: int
    start: datetime  # local
    practitioner: object


@dataclass
class GridColumn:
    practitioner: object = None
    resource: object = None
    blocks: list = field(default_factory=list)
    free: list = field(default_factory=list)


@dataclass
class DayGrid:
    day: object
    view: str  # "practitioner" or "chair"
    steps: int  # opening to closing time
    hours: list  # (step, "10:00") for the axis, every hour
    columns: list
    now_at: int | None  # the current time's step, when it is within today's hours
    now: datetime  # local
    cancelled: list  # Entry of the day's cancelled appointments (of the columns shown)
    closures: list  # (closure, start, end) clinic-wide, for the notice above the grid
    people: object = None  # desk_board.PractitionerPage of the practitioner view


def _opening_hours():
    config = current_app.config
    return (booking_rules.parse_clock(config["CLINIC_OPENS"]),
            booking_rules.parse_clock(config["CLINIC_CLOSES"]))


def _step(opens_at, instant, steps):
    """The step of an instant, counted from opening and held inside the day's steps."""
    minutes = (instant - opens_at).total_seconds() / 60
    return max(0, min(steps, int(minutes // STEP_MINUTES)))


def _span(opens_at, start, end, steps):
    """(at, length) of an interval, clipped to the day; length 0 when it is outside."""
    at = _step(opens_at, start, steps)
    minutes = (end - opens_at).total_seconds() / 60
    until = max(0, min(steps, -(-int(minutes) // STEP_MINUTES)))
    return at, max(0, until - at)


def day_grid(day, view="practitioner", *, page=1, now=None):
    """The grid of one local day. `view`: a column per practitioner (active, or with
    appointments that day; PAGE_SIZE a page) with free times to book, or per chair (active
    resources)."""
    now = now or utcnow()
    tz = clinic_tz()
    opens, closes = _opening_hours()
    opens_at = datetime.combine(day, opens, tzinfo=tz)
    closes_at = datetime.combine(day, closes, tzinfo=tz)
    steps = min(MAX_STEPS, int((closes_at - opens_at).total_seconds() // 60) // STEP_MINUTES)
    people = None
    if view == "chair":
        appointments = _chair_appointments(day)
    else:
        people = practitioner_page(day, day, page, PAGE_SIZE)
        appointments = appointments_in(day, day, [p.id for p in people.practitioners])
    active = [a for a in appointments if a.status != CANCELLED]
    range_start, range_end = availability.day_bounds_utc(day, day)
    closures = availability.closures_between(range_start, range_end)
    now_local = now.astimezone(tz)
    now_at = _step(opens_at, now_local, steps) if opens_at <= now_local < closes_at else None
    past = _span(opens_at, opens_at, min(max(now_local, opens_at), closes_at), steps)

    if view == "chair":
        columns = _chair_columns(active, opens_at, steps)
    else:
        view = "practitioner"
        columns = _practitioner_columns(day, people.practitioners, active, closures, opens_at,
                                        steps, now)
    for column in columns:
        if column.practitioner is None:  # chairs: the clinic's closures
            for closure, start, end in closures:
                if closure.practitioner_id is None:
                    at, length = _span(opens_at, start, end, steps)
                    if length:
                        column.blocks.append(Block("closure", at, length, reason=closure.reason))
        if past[1]:
            column.blocks.insert(0, Block("past", *past))
    hours = [(step, (opens_at + timedelta(minutes=step * STEP_MINUTES)).strftime("%H:%M"))
             for step in range(0, steps, 60 // STEP_MINUTES)]
    cancelled = [Entry(a, intake_status(a)) for a in appointments if a.status == CANCELLED]
    clinic_closures = [(c, s, e) for c, s, e in closures if c.practitioner_id is None]
    return DayGrid(day, view, steps, hours, columns, now_at, now_local, cancelled,
                   clinic_closures, people)


def _chair_appointments(day):
    """The day's appointments that take a chair or a room."""
    range_start, range_end = availability.day_bounds_utc(day, day)
    return db.session.execute(with_desk_details(
        select(Appointment).where(Appointment.starts_at >= range_start,
                                  Appointment.starts_at < range_end,
                                  Appointment.resource_id.is_not(None))
        .order_by(Appointment.starts_at, Appointment.id))).scalars().all()


def _practitioner_columns(day, practitioners, active, closures, opens_at, steps, now):
    hours = {p.id: [] for p in practitioners}
    for row in db.session.execute(select(WorkingHours).where(
            WorkingHours.practitioner_id.in_(list(hours)))).scalars():
        hours[row.practitioner_id].append(row)
    weekday = day.weekday()
    row_length = timedelta(minutes=CALENDAR_ROW_MINUTES)
    columns = []
    for practitioner in practitioners:
        column = GridColumn(practitioner=practitioner)
        mine = [a for a in active if a.practitioner_id == practitioner.id]
        for appointment in mine:
            at, length = _span(opens_at, to_local(appointment.starts_at),
                               to_local(appointment.ends_at), steps)
            column.blocks.append(Block("appointment", at, max(length, 1),
                                       Entry(appointment, intake_status(appointment))))
        own_closures = [(c, s, e) for c, s, e in closures
                        if c.practitioner_id in (None, practitioner.id)]
        for closure, start, end in own_closures:
            at, length = _span(opens_at, start, end, steps)
            if length:
                column.blocks.append(Block("closure", at, length, reason=closure.reason))
        off_from = None
        for clock in calendar_rows():
            row_start = datetime.combine(day, clock, tzinfo=opens_at.tzinfo)
            row_end = row_start + row_length
            local_end = row_end.timetz().replace(tzinfo=None)
            works = _works(hours[practitioner.id], weekday, clock, local_end)
            at, length = _span(opens_at, row_start, row_end, steps)
            if not works:
                off_from = at if off_from is None else off_from
            elif off_from is not None:
                column.blocks.append(Block("off", off_from, at - off_from))
                off_from = None
            closed = any(s < row_end and e > row_start for _c, s, e in own_closures)
            busy = any(a.starts_at < row_end and a.blocks_until > row_start for a in mine)
            if works and not closed and not busy and row_start >= now:
                column.free.append(Free(at, length, row_start, practitioner))
        if off_from is not None:
            column.blocks.append(Block("off", off_from, steps - off_from))
        columns.append(column)
    return columns


def _chair_columns(active, opens_at, steps):
    chairs = db.session.execute(
        select(Resource).where(Resource.active.is_(True)).order_by(Resource.name, Resource.id)
    ).scalars().all()
    columns = []
    for chair in chairs:
        column = GridColumn(resource=chair)
        for appointment in active:
            if appointment.resource_id != chair.id:
                continue
            ends = to_local(appointment.ends_at)
            at, length = _span(opens_at, to_local(appointment.starts_at), ends, steps)
            until = to_local(appointment.resource_until or appointment.ends_at)
            tail_at, tail = _span(opens_at, ends, until, steps)
            column.blocks.append(Block("appointment", at, max(length, 1),
                                       Entry(appointment, intake_status(appointment)),
                                       tail=tail))
        columns.append(column)
    return columns


@dataclass
class ListRow:
    starts_at: datetime
    ends_at: datetime
    patient_name: str
    phone: str
    service: object
    status: str


def day_list(day, practitioner_id=None, *, page=1):
    """The printable day lists: ([(practitioner, [ListRow])] in time order, the page of
    practitioners or None), for one practitioner, or for everyone with appointments that day
    (PAGE_SIZE practitioners a page). Cancelled appointments are left out; no intake, no notes,
    nothing clinical."""
    people = None
    if practitioner_id is None:
        people = practitioner_page(day, day, page, PAGE_SIZE)
        ids = [p.id for p in people.practitioners]
    else:
        ids = [practitioner_id]
    rows = {}
    for appointment in appointments_in(day, day, ids):
        if appointment.status == CANCELLED:
            continue
        rows.setdefault(appointment.practitioner, []).append(ListRow(
            appointment.starts_at, appointment.ends_at, appointment.patient.full_name,
            appointment.patient.phone, appointment.service, appointment.status))
    return sorted(rows.items(), key=lambda item: (item[0].full_name, item[0].id)), people
