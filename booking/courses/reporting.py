"""The outcomes report's services: which courses of a period count, loaded as the pure module's
records, and the audited opening of the report (page or export).

The figures themselves are booking/courses/outcomes.py's and cohort_outcomes.py's (course_outcome,
cohort_outcomes, with their definitions); this module only reads the database and hands those
modules plain records.

A course is in the report when its status is confirmed, completed or not attended and every
session that was not cancelled is over. It counts as completed when at least one session was
attended (outcomes.session_attended: arrived, completed, or an infusion record), worked out here
from the facts whatever the status says (the daily command may not have run yet, and older rows
were marked completed without anyone attending); the others are left out and counted as "not
attended". A course belongs to the period of its end, the local (clinic) date of its last
attended session (nobody came: of its last session not cancelled). Reads are bounded by the
period: the candidates are the courses with a session inside it (the appointment start index),
never the whole history.

Follow-up answers are placed in their windows (config FOLLOW_UP_WINDOWS) by the days from the
course's end to the answer; the pure module counts the ones inside and the late ones.

Audit events name the period and the service filter only: never a figure, a pain rating or a
course reference.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..diary import report as diary_report
from ..extensions import db
from ..intake import scoring
from ..models import (Appointment, AppointmentStatus, Course, CourseStatus, FollowUpRequest,
                      InfusionSession, Service)
from ..rule_error import RuleError
from ..scheduler.booking_rules import local_today
from ..timeutil import clinic_tz, utcnow
from .follow_ups import course_spans, days_after, follow_up_windows, label_words
from .cohort_outcomes import CohortOutcomes, cohort_outcomes
from .outcome_figures import Mean, format_mean
from .outcomes import CourseOutcome, CourseRecord, FollowUpRecord, SessionRecord, course_outcome

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
    last_day: date  # local date of its end, the last attended session: the period is matched on it
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
    courses: tuple[CourseRow, ...]  # the completed ones, in the order of their end
    windows: dict = None  # {label: (first day, last day)} from config FOLLOW_UP_WINDOWS
    diary: object = None  # booking.diary.figures.DiaryCohort of the same courses

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


ENDED_STATUSES = (CourseStatus.CONFIRMED.value, CourseStatus.COMPLETED.value,
                  CourseStatus.NOT_ATTENDED.value)


def ended_courses(first_day, last_day, service_id=None, *, now=None):
    """[(Course, CourseSpan)] of the courses confirmed, completed or not attended whose sessions
    (not cancelled) are all over and whose end falls on a local date of the period, in the
    order of their end. span.attended says which are completed."""
    now = now or utcnow()
    start, end = _day_bounds_utc(first_day, last_day)
    held = Appointment.status != AppointmentStatus.CANCELLED.value
    # Candidates: courses with a session inside the period (bounded by the start index). A
    # course that ends in the period has at least that session there.
    in_period = (select(Appointment.course_id)
                 .where(Appointment.course_id.is_not(None), held,
                        Appointment.starts_at >= start, Appointment.starts_at < end))
    query = (select(Course)
             .where(Course.id.in_(in_period), Course.status.in_(ENDED_STATUSES))
             .options(selectinload(Course.service), selectinload(Course.appointments)))
    if service_id is not None:
        query = query.where(Course.service_id == service_id)
    courses = db.session.execute(query).scalars().all()
    spans = course_spans(courses, now)
    found = [(course, spans[course.id]) for course in courses
             if spans[course.id].over and start <= spans[course.id].end_at < end]
    return sorted(found, key=lambda item: (item[1].end_at, item[0].reference))


def course_records(course_ids, follow_up_labels, spans=None):
    """{course_id: CourseRecord}: each course's infusion sessions (of sessions not cancelled)
    and its follow-ups at the labels asked (an unanswered one has no pain). `spans` ({course
    id: CourseSpan}) gives each course's attendance and end, from which the days to each answer
    are counted; without it every course counts as attended and answers carry no days."""
    spans = spans or {}
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
                span = spans.get(row.course_id)
                follow_ups[row.course_id].append(FollowUpRecord(
                    label=row.label,
                    pain=row.pain if answered else None,
                    headache_days=row.headache_days if answered else None,
                    days_after_course=(days_after(span.end_day, row.answered_at)
                                       if answered and span and span.end_day else None),
                ))
    return {course_id: CourseRecord(course_id, tuple(sessions[course_id]),
                                    tuple(follow_ups[course_id]),
                                    attended=spans[course_id].attended
                                    if course_id in spans else True)
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
        windows = follow_up_windows()
        labels = tuple(label for label, _days in follow_ups)
        found = ended_courses(first_day, last_day, service.id if service else None)
        spans = {course.id: span for course, span in found}
        records = course_records(list(spans), labels, spans)
        rules = thresholds()
        cohort = cohort_outcomes([records[course_id] for course_id in spans], labels, rules,
                                 windows)
        outcomes = {outcome.course_id: outcome for outcome in cohort.courses}
        diary = diary_report.cohort_diary(found, outcomes, thresholds=rules)
        tz = clinic_tz()
        rows = tuple(
            CourseRow(course_id=course.id, reference=course.reference,
                      service_name=course.service.name,
                      service_name_uk=course.service.name_uk,
                      first_day=span.first_at.astimezone(tz).date(),
                      last_day=span.end_day,
                      outcome=outcomes[course.id])
            for course, span in found if course.id in outcomes)
        audit.record("outcomes.export" if export else "outcomes.view", object_type="outcomes",
                     details={"from": first_day.isoformat(), "to": last_day.isoformat(),
                              "service_id": service.id if service else None,
                              "format": export or "html"})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return OutcomesReport(first_day=first_day, last_day=last_day, service=service,
                          follow_ups=follow_ups, thresholds=rules, cohort=cohort, courses=rows,
                          windows=windows, diary=diary)


# --- One course, for its page --------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpLine:
    """One follow-up request of a course, as the course page shows it."""

    label: str
    when: str  # "1 month"
    due_on: date
    answered_at: datetime | None
    days_after_course: int | None  # from the course's end to the answer (clinic dates)
    timing: str | None  # outcomes.ON_TIME / EARLY / LATE; None when not answered
    window: tuple | None  # (first day, last day) in which an answer counts
    pain: int | None
    headache_days: int | None
    midas_total: int | None
    midas_band: str | None
    sustained: bool | None  # only for an answer inside its window


@dataclass(frozen=True)
class CourseSummary:
    """How a course went, the same way the report counts it."""

    over: bool  # every session not cancelled has ended
    attended: bool  # at least one session attended
    end_day: date | None  # the last attended session's date (day 0 of the follow-ups)
    outcome: CourseOutcome
    follow_ups: tuple[FollowUpLine, ...]
    responder_min_points: int = 2  # the clinic's immediate-responder rule

    @property
    def not_attended(self):
        return self.over and not self.attended

    @property
    def percent_change_text(self):
        """The percent change with one decimal ("62.5"), or None when not evaluable."""
        value = self.outcome.percent_change
        return None if value is None else format_mean(Mean(value, 1))


def course_summary(course_id, *, now=None):
    """The course's outcome (pain at admission and discharge, change, responder flags) and its
    follow-ups, each placed in its window. LookupError for an unknown course."""
    now = now or utcnow()
    course = db.session.execute(select(Course).where(Course.id == course_id).options(
        selectinload(Course.appointments))).scalar_one_or_none()
    if course is None:
        raise LookupError("course")
    span = course_spans([course], now)[course.id]
    windows = follow_up_windows()
    requests = db.session.execute(
        select(FollowUpRequest).where(FollowUpRequest.course_id == course_id)
        .order_by(FollowUpRequest.due_on, FollowUpRequest.id)).scalars().all()
    labels = tuple(dict.fromkeys(row.label for row in requests))
    record = course_records([course_id], labels, {course_id: span})[course_id]
    rules = thresholds()
    outcome = course_outcome(record, rules, windows)
    lines = []
    for row in requests:
        follow_up = outcome.follow_up(row.label)
        midas = row.midas or {}
        lines.append(FollowUpLine(
            label=row.label, when=label_words(row.label), due_on=row.due_on, answered_at=row.answered_at,
            days_after_course=follow_up.days_after_course if follow_up else None,
            timing=follow_up.timing if follow_up else None, window=windows.get(row.label),
            pain=row.pain if row.answered_at else None,
            headache_days=row.headache_days if row.answered_at else None,
            midas_total=midas.get("total") if row.answered_at else None,
            midas_band=midas.get("band") if row.answered_at else None,
            sustained=follow_up.sustained if follow_up else None))
    return CourseSummary(over=span.over, attended=span.attended, end_day=span.end_day,
                         outcome=outcome, follow_ups=tuple(lines),
                         responder_min_points=rules.responder_min_points)


def open_course_summary(course_id, *, now=None):
    """course_summary for a clinician's page; showing follow-up answers is audited (ids only)."""
    summary = course_summary(course_id, now=now)
    answered = db.session.execute(
        select(FollowUpRequest.id).where(FollowUpRequest.course_id == course_id,
                                         FollowUpRequest.answered_at.is_not(None))
        .order_by(FollowUpRequest.id)).scalars().all()
    if answered:
        audit.record_now("follow_up.view", object_type="course", object_id=course_id,
                         details={"follow_up_request_ids": list(answered)})
    return summary
