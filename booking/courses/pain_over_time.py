"""A patient's pain over time (clinicians only; the view checks the role): every pain rating of
the last 24 months (intake, before and after each infusion session, follow-ups) as rows for a
table and an SVG chart (chart.py), the view audited; and how a follow-up's answer is labelled
there (answered early or late, outside its window).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import (Appointment, AppointmentStatus, Course, FollowUpRequest, InfusionSession,
                      PainRating, Patient)
from ..timeutil import clinic_tz, utcnow
from . import chart
from .follow_ups import course_spans, days_after, follow_up_windows, label_words
from .outcomes import EARLY, LATE, answer_timing

# The pain chart covers this many months back from today.
CHART_MONTHS = 24

INTAKE_KINDS = {
    "now": _l("Intake: pain now"),
    "avg_7d": _l("Intake: average over 7 days"),
    "worst_month": _l("Intake: worst in the last month"),
}


@dataclass(frozen=True)
class PainRow:
    """One rating, for the table: when, what time point, which course, the value."""

    at: datetime
    time_point: str
    course: str  # the course reference, "" for an intake rating
    value: int
    series: str


@dataclass(frozen=True)
class PainChart:
    patient_id: int
    patient_name: str
    since: date
    until: date
    rows: tuple
    series_names: tuple
    svg: Markup


def _session_points(patient_id, since_at, until_at):
    """[(course_id or None, course_day, before_at, after_at, pain_before, pain_after)]."""
    rows = db.session.execute(
        select(InfusionSession, Appointment)
        .join(Appointment, InfusionSession.appointment_id == Appointment.id)
        .where(Appointment.patient_id == patient_id,
               Appointment.status != AppointmentStatus.CANCELLED.value,
               Appointment.starts_at >= since_at, Appointment.starts_at <= until_at)
        .order_by(Appointment.starts_at, InfusionSession.id)
    ).all()
    points = []
    for record, appointment in rows:
        before_at = record.started_at or appointment.starts_at
        after_at = record.ended_at or appointment.ends_at
        if after_at <= before_at:
            after_at = before_at + timedelta(minutes=1)  # keep "after" to the right of "before"
        course_id = record.course_id or appointment.course_id
        day = record.course_day if record.course_day is not None else appointment.course_day
        points.append((course_id, day, before_at, after_at, record.pain_before, record.pain_after))
    return points


def follow_up_timings(rows, now):
    """{request id: (days after the course's end, ON_TIME / EARLY / LATE)} of answered
    follow-up requests."""
    course_ids = {row.course_id for row in rows if row.answered_at is not None}
    if not course_ids:
        return {}
    courses = db.session.execute(select(Course).where(Course.id.in_(course_ids)).options(
        selectinload(Course.appointments))).scalars().all()
    spans = course_spans(courses, now)
    windows = follow_up_windows()
    timings = {}
    for row in rows:
        span = spans.get(row.course_id)
        if row.answered_at is None or span is None or span.end_day is None:
            continue
        days = days_after(span.end_day, row.answered_at)
        timings[row.id] = (days, answer_timing(days, windows.get(row.label)))
    return timings


def follow_up_point_label(label, timing):
    """"Follow-up, 1 month", with "answered late" (or early) for an answer outside its window."""
    when = label_words(label)
    if timing is not None and timing[1] == LATE:
        return _("Follow-up, %(when)s (answered late: not in the outcomes report)", when=when)
    if timing is not None and timing[1] == EARLY:
        return _("Follow-up, %(when)s (answered early: not in the outcomes report)", when=when)
    return _("Follow-up, %(when)s", when=when)


def _session_label(day, moment):
    if day is None:
        return _("Session, before") if moment == "before" else _("Session, after")
    if moment == "before":
        return _("Session %(day)d, before", day=day)
    return _("Session %(day)d, after", day=day)


def pain_chart(patient_id, now=None, *, diary_days=(), courses=()):
    """Every pain rating of the patient over the last CHART_MONTHS months, as table rows and an
    SVG chart: intake ratings (a series per kind), and one line per course (its sessions' pain
    before and after, then its answered follow-ups). The chart is time-proportional; the
    headache diary's filled dates (`diary_days`) show as a light band and `courses`
    (chart.CourseMark) are marked. The view is audited. LookupError for an unknown patient."""
    now = now or utcnow()
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise LookupError("patient")
    tz = clinic_tz()
    until = now.astimezone(tz).date()
    since = until - relativedelta(months=CHART_MONTHS)
    since_at = datetime.combine(since, datetime.min.time(), tzinfo=tz)

    rows = []
    intake_series = {kind: [] for kind in INTAKE_KINDS}
    for rating in db.session.execute(
            select(PainRating)
            .where(PainRating.patient_id == patient_id, PainRating.source == "intake",
                   PainRating.recorded_at >= since_at, PainRating.recorded_at <= now)
            .order_by(PainRating.recorded_at, PainRating.id)).scalars():
        if rating.kind not in INTAKE_KINDS:
            continue
        name = str(INTAKE_KINDS[rating.kind])
        intake_series[rating.kind].append((rating.recorded_at, rating.value, name))
        rows.append(PainRow(rating.recorded_at, name, "", rating.value, name))

    course_points = {}  # course_id (None: sessions outside a course) -> [(at, value, label)]
    for course_id, day, before_at, after_at, before, after in _session_points(
            patient_id, since_at, now):
        points = course_points.setdefault(course_id, [])
        if before is not None:
            points.append((before_at, before, _session_label(day, "before")))
        if after is not None:
            points.append((after_at, after, _session_label(day, "after")))

    answered = db.session.execute(
        select(FollowUpRequest)
        .join(Course, FollowUpRequest.course_id == Course.id)
        .where(Course.patient_id == patient_id, FollowUpRequest.answered_at.is_not(None),
               FollowUpRequest.pain.is_not(None),
               FollowUpRequest.answered_at >= since_at, FollowUpRequest.answered_at <= now)
        .order_by(FollowUpRequest.answered_at)).scalars().all()
    timings = follow_up_timings(answered, now)
    for follow_up in answered:
        course_points.setdefault(follow_up.course_id, []).append(
            (follow_up.answered_at, follow_up.pain,
             follow_up_point_label(follow_up.label, timings.get(follow_up.id))))

    references = {}
    known = [course_id for course_id in course_points if course_id is not None]
    if known:
        references = dict(db.session.execute(
            select(Course.id, Course.reference).where(Course.id.in_(known))).all())

    series = [chart.Series(name=str(INTAKE_KINDS[kind]), points=tuple(points), connect=False)
              for kind, points in intake_series.items() if points]
    ordered = sorted(course_points.items(), key=lambda item: min(p[0] for p in item[1])
                     if item[1] else now)
    for course_id, points in ordered:
        if not points:
            continue
        points.sort(key=lambda p: p[0])
        reference = references.get(course_id, "")
        if course_id is None:
            name = _("Sessions outside a course")
        else:
            name = _("Course %(reference)s, from %(day)s", reference=reference,
                     day=format_date(points[0][0], "d MMM y"))
        series.append(chart.Series(name=name, points=tuple(points)))
        rows.extend(PainRow(at, label, reference, value, name) for at, value, label in points)
    rows.sort(key=lambda row: row.at)

    svg = chart.pain_timeline_svg(
        series, tz=tz, diary_days=diary_days, courses=courses,
        title=_("Pain over time"),
        description=_("Pain ratings from 0 (no pain) to 10 (worst pain imaginable), from "
                      "%(since)s to %(until)s: %(count)d rating(s). Each series has its own "
                      "marker and line; every point shows its value. The same numbers are in "
                      "the table below.", since=format_date(since, "d MMM y"),
                      until=format_date(until, "d MMM y"), count=len(rows)),
        empty_text=_("No ratings yet"), y_axis_label=_("Pain (0-10)"),
        x_axis_label=_("Date"), month_text=lambda d: format_date(d, "LLL y"),
        date_text=lambda x: format_date(x, "d MMM y"),
        diary_label=_("Days with a diary entry"))

    result = PainChart(patient_id=patient.id, patient_name=patient.full_name, since=since,
                       until=until, rows=tuple(rows), series_names=tuple(s.name for s in series),
                       svg=Markup(svg))
    audit.record_now("pain_chart.view", object_type="patient", object_id=patient_id,
                     details={"since": since.isoformat()})
    return result
