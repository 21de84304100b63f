"""The treatment course on the intake review page: the course's sessions and status, why it waits
for a clinician's review (in words), and where its intake is (day 1). Read side only: the
clinician's decision goes through booking/courses/services.py.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..courses import services as courses
from ..courses.session_words import APPOINTMENT_STATUS_LABELS, COURSE_STATUS_LABELS
from ..extensions import db
from ..models import Course, CourseStatus
from .review_lookups import staff_names
from .review_words import KETAMINE_LABELS, URGENT, flag_lines, join


@dataclass(frozen=True)
class CourseSessionLine:
    appointment_id: int
    day: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    current: bool  # the appointment of this review page


@dataclass(frozen=True)
class CourseSection:
    """The treatment course an appointment belongs to, on the intake review page."""
    id: int
    reference: str
    status: str
    status_label: str
    awaiting_review: bool
    sessions_count: int
    day: int | None                  # this appointment's day of the course
    sessions: tuple                  # CourseSessionLines, day order
    first_appointment_id: int        # day 1: the course's intake is filled in for it
    intake_here: bool                # this page is day 1's (the course's intake)
    patient_id: int
    reasons: tuple = ()              # why it waits for a clinician, in words (awaiting only)
    reviewed_at: datetime | None = None
    reviewed_by: str = ""
    review_note: str = ""
    reason_needed: bool = False      # confirming needs a written reason: no submitted intake


def _course_first_session(course):
    """Day 1 of the course: its intake is the course's (courses.needs_review reads the same)."""
    first = next((a for a in course.appointments if a.course_day == 1), None)
    if first is None and course.appointments:
        first = min(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at))
    return first


def course_wait_reasons(course):
    """Why a course waits for a clinician's review, in words: the reading of
    booking.courses.services.needs_review (no submitted intake, an urgent intake, a positive
    ketamine pre-screen item, a service whose every course a clinician confirms), with the
    urgent flags and the pre-screen items named."""
    first = _course_first_session(course)
    intake = first.intake if first else None
    reasons = []
    if intake is None:
        reasons.append(str(_l("No intake yet: the patient has not started it.")))
    elif intake.status != "submitted":
        reasons.append(str(_l("The intake is not submitted yet (it is in progress).")))
    if intake is not None and intake.urgent:
        urgent = [line.text.removeprefix(f"{URGENT}: ") for line in flag_lines(intake)
                  if line.urgent]
        reasons.append(str(_l("Urgent intake: %(flags)s.", flags="; ".join(urgent)))
                       if urgent else str(_l("Urgent intake.")))
    if intake is not None and intake.status == "submitted":
        items = [item for flag in intake.flags if flag.code == "ketamine_prescreen_positive"
                 for item in (flag.details or ())]
        if items or any(f.code == "ketamine_prescreen_positive" for f in intake.flags):
            reasons.append(str(_l("Ketamine pre-screen answered yes: %(items)s.",
                                  items=join(items, KETAMINE_LABELS) or str(_l("an item")))))
    if course.service.clinician_confirms_courses:
        reasons.append(str(_l("A clinician confirms every course of this service, even when "
                              "the intake raises nothing (a setting of the service).")))
    if not reasons:
        if courses.needs_review(course):  # a reason this page does not know how to word
            reasons.append(str(_l("The intake needs a clinician's review before the course.")))
        else:
            reasons.append(str(_l("The intake no longer shows a reason to wait (the answers "
                                  "changed), but the course still needs a clinician's "
                                  "decision.")))
    return tuple(reasons)


def course_section(appointment):
    course = appointment.course
    if course is None:
        return None
    first = _course_first_session(course)
    awaiting = course.status == CourseStatus.AWAITING_REVIEW.value
    sessions = tuple(
        CourseSessionLine(
            appointment_id=a.id, day=a.course_day, starts_at=a.starts_at, ends_at=a.ends_at,
            status=a.status,
            status_label=str(APPOINTMENT_STATUS_LABELS.get(a.status, a.status)),
            current=a.id == appointment.id)
        for a in sorted(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at)))
    return CourseSection(
        id=course.id, reference=course.reference, status=course.status,
        status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status)),
        awaiting_review=awaiting, sessions_count=course.sessions_count,
        day=appointment.course_day, sessions=sessions,
        first_appointment_id=first.id if first else appointment.id,
        intake_here=first is None or first.id == appointment.id,
        patient_id=course.patient_id,
        reasons=course_wait_reasons(course) if awaiting else (),
        reviewed_at=course.reviewed_at,
        reviewed_by=staff_names([course.reviewed_by_id]).get(course.reviewed_by_id, ""),
        review_note=course.review_note or "",
        reason_needed=awaiting and not courses.intake_submitted(course),
    )


def course_first_session(course_id):
    """The appointment id of a course's first session (where its intake is). LookupError."""
    course = db.session.execute(
        select(Course).where(Course.id == course_id).options(selectinload(Course.appointments))
    ).scalar_one_or_none()
    first = _course_first_session(course) if course is not None else None
    if first is None:
        raise LookupError("course")
    return first.id
