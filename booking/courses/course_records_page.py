"""The clinician's course page: each session of a course with what was recorded for it (opened
audited, ids only), and the review decision on a course that waits for one (confirm or decline).
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..extensions import db
from ..localized import localized
from ..models import Course, CourseStatus, InfusionSession
from ..timeutil import utcnow
from . import services as courses
from .session_checks import CHECK_VALUES, DECISION_NOTE_MAX
from .session_records import InvalidRecord, RecordError, record_query, refusal_words, staff_name
from .session_words import (
    ADVERSE_EVENT_LABELS,
    APPOINTMENT_STATUS_LABELS,
    COURSE_STATUS_LABELS,
    SEVERITY_LABELS,
    number_text,
    reason_text,
)


class NotAwaitingReview(RecordError):
    """Confirm / decline asked of a course that is not waiting for a review."""


@dataclass(frozen=True)
class CourseSession:
    appointment_id: int
    day: int | None
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    recorded: bool
    can_record: bool = True      # the "record" link is offered (record_refusal)
    not_recordable: str = ""     # else why not, in words
    pain_before: int | None = None
    pain_after: int | None = None
    max_rate_mg_per_h: str = ""
    max_rate_mg_per_kg_h: str = ""
    alert: bool = False
    alert_reasons: tuple = ()
    adverse_events: tuple = ()   # "Nausea (feeling sick): mild"
    stopped: bool = False
    paused: bool = False


@dataclass(frozen=True)
class CourseView:
    id: int
    reference: str
    patient_name: str
    service_name: str
    practitioner_name: str
    status: str
    status_label: str
    awaiting_review: bool
    sessions_count: int
    reviewed_at: datetime | None
    reviewed_by: str
    review_note: str
    sessions: tuple
    alerts: int                  # sessions with an alert


def _event_text(event):
    return _("%(event)s: %(severity)s", event=ADVERSE_EVENT_LABELS.get(event.code, event.code),
             severity=SEVERITY_LABELS.get(event.severity, event.severity))


def course_view(course_id, *, now=None):
    """The course with each session and what was recorded for it (not audited)."""
    now = now or utcnow()
    course = db.session.execute(
        select(Course).where(Course.id == course_id).options(
            joinedload(Course.patient), joinedload(Course.service),
            joinedload(Course.practitioner), selectinload(Course.appointments))
    ).scalar_one_or_none()
    if course is None:
        raise LookupError("course")
    records = {r.appointment_id: r for r in db.session.execute(
        record_query().where(InfusionSession.appointment_id.in_(
            [a.id for a in course.appointments]))).scalars()}
    sessions = []
    for appointment in sorted(course.appointments,
                              key=lambda a: (a.course_day or 0, a.starts_at)):
        record = records.get(appointment.id)
        can_record, not_recordable = refusal_words(appointment, record is not None, now)
        row = dict(appointment_id=appointment.id, day=appointment.course_day,
                   starts_at=appointment.starts_at, ends_at=appointment.ends_at,
                   status=appointment.status,
                   status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status,
                                                                  appointment.status)),
                   can_record=can_record, not_recordable=not_recordable)
        if record is None:
            sessions.append(CourseSession(recorded=False, **row))
            continue
        sessions.append(CourseSession(
            recorded=True, pain_before=record.pain_before, pain_after=record.pain_after,
            max_rate_mg_per_h=number_text(record.max_rate_mg_per_h),
            max_rate_mg_per_kg_h=number_text(record.max_rate_mg_per_kg_h),
            alert=bool(record.alert),
            alert_reasons=tuple(reason_text(r) for r in record.alert_reasons or ()),
            adverse_events=tuple(_event_text(e) for e in record.adverse_events),
            stopped=bool(record.stopped), paused=bool(record.paused), **row))
    return CourseView(
        id=course.id, reference=course.reference, patient_name=course.patient.full_name,
        service_name=localized(course.service, "name"),
        practitioner_name=localized(course.practitioner, "full_name"),
        status=course.status,
        status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status)),
        awaiting_review=course.status == CourseStatus.AWAITING_REVIEW.value,
        sessions_count=course.sessions_count, reviewed_at=course.reviewed_at,
        reviewed_by=staff_name(course.reviewed_by_id), review_note=course.review_note or "",
        sessions=tuple(sessions), alerts=sum(1 for s in sessions if s.alert))


def open_course(course_id, *, now=None):
    """What a clinician opening the course page gets: the data, and the view of its session
    records audited (ids only)."""
    view = course_view(course_id, now=now)
    record_ids = db.session.execute(select(InfusionSession.id).where(
        InfusionSession.course_id == course_id).order_by(InfusionSession.id)).scalars().all()
    audit.record_now("session_record.view", object_type="course", object_id=course_id,
                     details={"infusion_session_ids": list(record_ids)})
    return view


def review_course(course_id, *, confirm, actor, note=""):
    """Confirm or decline a course that waits for a clinician's review (declining frees every
    session not started yet): booking.courses.services.decide, for held courses only."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise LookupError("course")
    if course.status != CourseStatus.AWAITING_REVIEW.value:
        raise NotAwaitingReview(_("This course is not waiting for a review (it is %(status)s).",
                                  status=str(COURSE_STATUS_LABELS.get(course.status,
                                                                      course.status)).lower()))
    note = (note or "").strip()
    if len(note) > DECISION_NOTE_MAX:
        raise InvalidRecord(CHECK_VALUES, {"note": _("Please keep the note to %(n)d characters.",
                                                      n=DECISION_NOTE_MAX)})
    db.session.rollback()  # decide() takes its own write transaction from a clean start
    return courses.decide(course_id, confirm=confirm, actor=actor, note=note)
