"""The diary's part of the outcomes report: for the completed courses of the period (as
booking/courses/reporting.py chose them), their diaries as figures.CourseDiary records, and
figures.diary_cohort over them (windows, responders, durability for the two populations).

Reads are bounded by the dates the report covers: diary entries from 28 days before the
earliest first session to the last block's end of the latest course (never after today); other
courses of the same patients (a new course censors) and new preventives in that range only.

Follow-up pain answers (for the pain relapse rule R3) stand for the block nearest their
scheduled day (FOLLOW_UPS: 30 days -> 28, 90 days -> 84).
"""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Course
from ..timeutil import clinic_tz, utcnow
from . import figures, services
from .clinician import COURSE_STATUSES, CourseSpanDays, censor_dates, course_days


def block_time(days, blocks):
    """The block end (28, 56, ...) nearest a follow-up's scheduled day, within the blocks."""
    k = max(1, min(blocks, (2 * days + figures.DAYS_PER_WINDOW) // (2 * figures.DAYS_PER_WINDOW)))
    return figures.DAYS_PER_WINDOW * k


def _other_courses(patient_ids, first, last, now):
    """[CourseSpanDays] of the patients' confirmed or completed courses with a session held
    between the clinic dates first..last."""
    if not patient_ids:
        return []
    tz = clinic_tz()
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    held = (select(Appointment.course_id)
            .where(Appointment.course_id.is_not(None),
                   Appointment.status != AppointmentStatus.CANCELLED.value,
                   Appointment.starts_at >= start, Appointment.starts_at < end))
    courses = db.session.execute(
        select(Course).where(Course.id.in_(held), Course.patient_id.in_(list(patient_ids)),
                             Course.status.in_(COURSE_STATUSES))
        .options(selectinload(Course.appointments))).scalars().all()
    return course_days(courses, now)


def cohort_diary(found, outcomes, *, now=None, thresholds=None):
    """figures.DiaryCohort of the report's completed courses. `found`: [(Course, CourseSpan)]
    of reporting.ended_courses; `outcomes`: {course_id: CourseOutcome} of the completed ones
    (only those are counted)."""
    now = now or utcnow()
    settings = services.figure_settings(thresholds)
    today = services.today(now)
    tz = clinic_tz()
    spans = []
    for course, span in found:
        if course.id not in outcomes or span.first_at is None or span.end_day is None:
            continue
        spans.append(CourseSpanDays(course.id, course.reference, course.patient_id,
                                    span.first_at.astimezone(tz).date(), span.end_day,
                                    span.over, span.attended))
    if not spans:
        return figures.diary_cohort([], today, settings)
    horizon = figures.DAYS_PER_WINDOW * settings.blocks
    first = min(s.first_day for s in spans) - timedelta(days=figures.DAYS_PER_WINDOW)
    last = min(today, max(s.end_day for s in spans) + timedelta(days=horizon))
    patient_ids = sorted({s.patient_id for s in spans})
    entries = services.entries_between(patient_ids, first, last)
    known = {s.course_id for s in spans}
    others = [s for s in _other_courses(patient_ids, min(s.end_day for s in spans), last, now)
              if s.course_id not in known]
    censor = censor_dates(spans + others, patient_ids, last)
    schedule = {str(label): int(days) for label, days in current_app.config["FOLLOW_UPS"]}
    records = []
    for span in spans:
        outcome = outcomes[span.course_id]
        answers = tuple(
            figures.FollowUpPain(block_time(schedule.get(f.label, f.days_after_course or 0),
                                            settings.blocks), f.pain,
                                 span.end_day + timedelta(days=f.days_after_course))
            for f in outcome.follow_ups
            if f.counted and f.pain is not None and f.days_after_course is not None)
        records.append(figures.CourseDiary(
            course_id=span.course_id, first_day=span.first_day, end_day=span.end_day,
            entries=tuple(entries[span.patient_id]),
            immediate_responder=outcome.responder_2_points, admission=outcome.admission,
            follow_ups=answers, censor_on=censor[span.course_id]))
    return figures.diary_cohort(records, today, settings)
