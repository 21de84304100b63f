"""The outcomes report's services: which courses of a period count, loaded as the pure module's
records, and the audited opening of the report (page or export).

The figures themselves are booking/courses/outcomes.py's (course_outcome, cohort_outcomes, with
their definitions); this module only reads the database and hands that module plain records.

A course counts as completed when its status is "completed", or it is "confirmed" and every
session that was not cancelled is over. It belongs to the period of the local (clinic) date of
its last session that was not cancelled. Reads are bounded by the period: the candidates are the
courses with a session inside it (the appointment start index), never the whole history.

Audit events name the period and the service filter only: never a figure, a pain rating or a
course reference.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..intake import scoring
from ..models import (Appointment, AppointmentStatus, Course, CourseStatus, FollowUpRequest,
                      InfusionSession, Service)
from ..rule_error import RuleError
from ..scheduler.services import local_today
from ..timeutil import clinic_tz, utcnow
from .outcomes import CohortOutcomes, CourseOutcome, CourseRecord, FollowUpRecord, SessionRecord
from .outcomes import cohort_outcomes

# The period shown when none is asked for: the last 90 days, today included.
DEFAULT_DAYS = 90
# The longest period one report may cover.
MAX_RANGE_YEARS = 5
# Dates outside these are typing mistakes (and would overflow time-zone arithmetic).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

EXPORT_FORMATS = ("csv", "json")


class ReportError(RuleError):
    """The period or the service filter breaks a rule; `fields` names the field(s)."""


@dataclass(frozen=True)
class ServiceChoice:
    id: int
    name: str
    active: bool = True
    name_uk: str = ""  # its Ukrainian wording (booking.localized shows it on Ukrainian pages)


@dataclass(frozen=True)
class CourseRow:
    """One completed course of the report: what identifies it (no patient data) and its outcome."""

    course_id: int
    reference: str
    service_name: str
    first_day: date  # local date of its first session (not cancelled)
    last_day: date  # local date of its last session (not cancelled): the period is matched on it
    outcome: CourseOutcome
    service_name_uk: str = ""  # the Ukrainian wording, for Ukrainian pages (not the exports)


@dataclass(frozen=True)
class OutcomesReport:
    first_day: date
    last_day: date
    service: ServiceChoice | None  # None: every course service
    follow_ups: tuple  # ((label, days after the last session), ...) from config FOLLOW_UPS
    thresholds: scoring.Thresholds  # the responder rules the figures used
    cohort: CohortOutcomes
    courses: tuple[CourseRow, ...]  # in the order of their last session

    @property
    def follow_up_labels(self):
        return tuple(label for label, _days in self.follow_ups)


# --- Reading ---------------------------------------------------------------------------------

def course_services():
    """Every course service (active or not: past courses used them), for the filter."""
    rows = db.session.execute(
        select(Service).where(Service.is_course.is_(True))
        .order_by(Service.active.desc(), Service.position, Service.name, Service.id)
    ).scalars()
    return tuple(ServiceChoice(s.id, s.name, s.active, s.name_uk) for s in rows)


def check_period(first_day, last_day, service_id=None):
    """The period and service the report will cover, defaults filled in; raises ReportError.

    Missing dates: the last day defaults to today, the first to DEFAULT_DAYS before the last.
    """
    errors = {}
    for name, day in (("from", first_day), ("to", last_day)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            errors[name] = _l("Please choose a date from %(first)s to %(last)s.",
                              first=EARLIEST_DAY.isoformat(), last=LATEST_DAY.isoformat())
    if errors:
        raise ReportError(next(iter(errors.values())), errors)
    if last_day is None:
        last_day = local_today()
    if first_day is None:
        first_day = last_day - timedelta(days=DEFAULT_DAYS - 1)
    if last_day < first_day:
        message = _l("The last day must be on or after the first day.")
        raise ReportError(message, {"to": message})
    if last_day > first_day + relativedelta(years=MAX_RANGE_YEARS):
        message = _l("Please choose a period of at most %(n)d years.", n=MAX_RANGE_YEARS)
        raise ReportError(message, {"to": message})
    service = None
    if service_id is not None:
        row = db.session.get(Service, service_id)
        if row is None or not row.is_course:
            message = _l("Please choose a course service from the list.")
            raise ReportError(message, {"service": message})
        service = ServiceChoice(row.id, row.name, row.active, row.name_uk)
    return first_day, last_day, service


def _day_bounds_utc(first_day, last_day):
    """[start, end) instants of the local days first_day..last_day."""
    tz = clinic_tz()
    start = datetime.combine(first_day, time(0), tzinfo=tz)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def completed_courses(first_day, last_day, service_id=None, *, now=None):
    """[(Course, first session start, last session start)] of the courses completed whose last
    session (not cancelled) falls on a local date of the period, in the order of that session."""
    now = now or utcnow()
    start, end = _day_bounds_utc(first_day, last_day)
    held = Appointment.status != AppointmentStatus.CANCELLED.value
    # Candidates: courses with a session inside the period (bounded by the start index). A
    # course's last session in the period means it has at least that one there.
    in_period = (select(Appointment.course_id)
                 .where(Appointment.course_id.is_not(None), held,
                        Appointment.starts_at >= start, Appointment.starts_at < end))
    spans = (select(Appointment.course_id.label("course_id"),
                    func.min(Appointment.starts_at).label("first_at"),
                    func.max(Appointment.starts_at).label("last_at"),
                    func.max(Appointment.ends_at).label("last_end"))
             .where(Appointment.course_id.in_(in_period), held)
             .group_by(Appointment.course_id)
             .subquery())
    query = (select(Course, spans.c.first_at, spans.c.last_at)
             .join(spans, spans.c.course_id == Course.id)
             .where(spans.c.last_at >= start, spans.c.last_at < end)
             .where(or_(Course.status == CourseStatus.COMPLETED.value,
                        and_(Course.status == CourseStatus.CONFIRMED.value,
                             spans.c.last_end <= now)))
             .options(selectinload(Course.service))
             .order_by(spans.c.last_at, Course.reference))
    if service_id is not None:
        query = query.where(Course.service_id == service_id)
    return [(course, first_at, last_at)
            for course, first_at, last_at in db.session.execute(query).all()]


def course_records(course_ids, follow_up_labels):
    """{course_id: CourseRecord}: each course's infusion sessions (of sessions not cancelled)
    and its follow-ups at the labels asked (an unanswered one has no pain)."""
    course_ids = list(course_ids)
    sessions = {course_id: [] for course_id in course_ids}
    follow_ups = {course_id: [] for course_id in course_ids}
    if course_ids:
        rows = db.session.execute(
            select(InfusionSession, Appointment.course_id, Appointment.course_day)
            .join(Appointment, InfusionSession.appointment_id == Appointment.id)
            .where(Appointment.course_id.in_(course_ids),
                   Appointment.status != AppointmentStatus.CANCELLED.value)
            .options(selectinload(InfusionSession.adverse_events))
            .order_by(InfusionSession.id)
        ).all()
        for record, course_id, appointment_day in rows:
            day = record.course_day if record.course_day is not None else appointment_day
            sessions[course_id].append(SessionRecord(
                course_day=day,
                pain_before=record.pain_before,
                pain_after=record.pain_after,
                max_rate_mg_per_h=record.max_rate_mg_per_h,
                max_rate_mg_per_kg_h=record.max_rate_mg_per_kg_h,
                adverse_events=tuple(event.code for event in record.adverse_events),
            ))
        if follow_up_labels:
            answers = db.session.execute(
                select(FollowUpRequest)
                .where(FollowUpRequest.course_id.in_(course_ids),
                       FollowUpRequest.label.in_(list(follow_up_labels)))
                .order_by(FollowUpRequest.course_id, FollowUpRequest.due_on)
            ).scalars()
            for row in answers:
                answered = row.answered_at is not None
                follow_ups[row.course_id].append(FollowUpRecord(
                    label=row.label,
                    pain=row.pain if answered else None,
                    headache_days=row.headache_days if answered else None,
                ))
    return {course_id: CourseRecord(course_id, tuple(sessions[course_id]),
                                    tuple(follow_ups[course_id]))
            for course_id in course_ids}


def follow_up_settings():
    return tuple((label, days) for label, days in current_app.config["FOLLOW_UPS"])


def thresholds():
    return scoring.Thresholds(**current_app.config.get("INTAKE_THRESHOLDS", {}))


# --- The report --------------------------------------------------------------------------------

def open_report(first_day=None, last_day=None, service_id=None, *, export=None):
    """The outcomes report of the courses completed in a period (one service or all), with the
    view audited in the same transaction: "outcomes.view" for the page, "outcomes.export" for
    a CSV or JSON export (`export` = "csv" / "json"). Raises ReportError (422)."""
    if export is not None and export not in EXPORT_FORMATS:
        raise ValueError(export)
    try:
        first_day, last_day, service = check_period(first_day, last_day, service_id)
        follow_ups = follow_up_settings()
        labels = tuple(label for label, _days in follow_ups)
        found = completed_courses(first_day, last_day, service.id if service else None)
        records = course_records([course.id for course, _f, _l in found], labels)
        rules = thresholds()
        cohort = cohort_outcomes([records[course.id] for course, _f, _l in found], labels, rules)
        outcomes = {outcome.course_id: outcome for outcome in cohort.courses}
        tz = clinic_tz()
        rows = tuple(
            CourseRow(course_id=course.id, reference=course.reference,
                      service_name=course.service.name,
                      service_name_uk=course.service.name_uk,
                      first_day=first_at.astimezone(tz).date(),
                      last_day=last_at.astimezone(tz).date(),
                      outcome=outcomes[course.id])
            for course, first_at, last_at in found)
        audit.record("outcomes.export" if export else "outcomes.view", object_type="outcomes",
                     details={"from": first_day.isoformat(), "to": last_day.isoformat(),
                              "service_id": service.id if service else None,
                              "format": export or "html"})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return OutcomesReport(first_day=first_day, last_day=last_day, service=service,
                          follow_ups=follow_ups, thresholds=rules, cohort=cohort, courses=rows)
