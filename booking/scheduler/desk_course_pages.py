"""Treatment courses at the reception desk: where a whole course fits (a week of starts), the
course's page and history, the starts its rest may move to, and a patient's course list.

Read side only, like desk_lookups.py: booking, cancelling and moving go through
booking/courses/services.py. Nothing clinical is loaded: the first session's intake comes with
its status columns only, and session records (booking/courses/session_records.py) never.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..courses import services as courses
from ..extensions import db
from ..intake.services import intake_status
from ..models import (
    Appointment,
    AuditEvent,
    Course,
    CourseStatus,
    Intake,
    Patient,
    Practitioner,
    Service,
)
from ..timeutil import to_local
from . import availability, booking_rules
from .desk_lookups import CANCELLED, get_patient


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
    today = booking_rules.local_today(now)
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
    practitioners = availability.practitioners_for(service)
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
    held = [a for a in course.appointments if a.status != CANCELLED and a not in rest]
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
        kept = [a for a in course.appointments if a.status != CANCELLED] or course.appointments
        days = [to_local(a.starts_at).date() for a in kept]
        rows.append(CourseSummary(course, min(days, default=None), max(days, default=None)))
    return sorted(rows, key=lambda r: (r.first_on or date.min, r.course.id), reverse=True)
