"""Follow-ups after a course: creating the requests that fall due, and when a course ends.
The patient's answers are booking/courses/follow_up_answers.py's; a patient's pain over time
(with the follow-ups' ratings) is pain_over_time.py's.

Follow-ups (clinical.md, "Outcomes"): about 1 and 3 months after a course's end (its last
attended session) the patient is asked, through a private link, for their pain now (NRS 0-10),
their headache days in the last month and, when FOLLOW_UP_MIDAS is on, MIDAS again: at the
labels of FOLLOW_UP_MIDAS_LABELS only ("3m": MIDAS asks about the last 3 months).
config.FOLLOW_UPS says when: ((label, days after the course's end), ...).

- `create_due_follow_ups()` (the `send-followups` command, once a day): one FollowUpRequest per
  course and label, exactly once however often and however many copies run. The check and the
  insert happen under the write lock (begin_write), each insert in a savepoint, and the unique
  constraint uq_follow_up_course_label is the last guard (a duplicate is "already there").
  It is also where a course whose sessions are all over ends: "completed" when at least one
  session was attended (outcomes.session_attended: arrived, completed, or an infusion record),
  "not_attended" otherwise, and a not-attended course gets no follow-up. The status is worked
  out again from the facts each run (a desk correction moves it either way).
- Windows (config FOLLOW_UP_WINDOWS, days after the course's end, both ends included): an
  answer inside its window counts in the outcomes report. No request is created once its window
  has closed (a link that could only say "closed").

Tokens are shown once (returned to the caller that sends them) and stored as their sha256 only.
Audit events carry ids, labels and dates: never a token, a rating or an answer.
"""
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import (Appointment, AppointmentStatus, Course, CourseStatus, FollowUpRequest,
                      InfusionSession)
from ..scheduler.manage_links import hash_token
from ..timeutil import clinic_tz, utcnow
from .outcomes import checked_windows, session_attended

# Courses whose last session ended longer ago than the last follow-up plus this are not looked
# at again (the command runs daily; this leaves a month for a missed run).
GRACE_DAYS = 30

MONTHS_LABEL = re.compile(r"(\d{1,2})m")


def label_months(label):
    """"1m" -> 1, "3m" -> 3, "12m" -> 12; None for a label that is not a number of months."""
    match = MONTHS_LABEL.fullmatch(label or "")
    return int(match[1]) if match else None


def label_words(label):
    """"1m" -> "1 month", "3m" -> "3 months", in the plural forms of the page's language
    ("1 місяць", "3 місяці", "5 місяців"); any other label a setting adds is shown as it is."""
    months = label_months(label)
    if months is None:
        return label
    return ngettext("%(num)d month", "%(num)d months", months)


# --- Creating the requests that are due ----------------------------------------------------------

@dataclass(frozen=True)
class CreatedFollowUp:
    """A request just created, for the caller that sends the link. The token is shown nowhere
    else and is kept out of repr() so that it never lands in a log by accident."""

    request_id: int
    course_id: int
    course_reference: str
    patient_id: int
    label: str
    due_on: date
    token: str = field(repr=False)


def follow_up_schedule():
    return tuple((str(label), int(days)) for label, days in current_app.config["FOLLOW_UPS"])


def follow_up_windows():
    """{label: (first day, last day)} after the course's end in which an answer counts."""
    return checked_windows(current_app.config.get("FOLLOW_UP_WINDOWS") or {})


# --- When a course ends, and whether anybody came ----------------------------------------------

def recorded_appointment_ids(appointment_ids):
    """The appointments, of these, that have an infusion session record."""
    appointment_ids = list(appointment_ids)
    if not appointment_ids:
        return set()
    return set(db.session.execute(
        select(InfusionSession.appointment_id)
        .where(InfusionSession.appointment_id.in_(appointment_ids))).scalars())


@dataclass(frozen=True)
class CourseSpan:
    """A course in time, from its sessions that were not cancelled."""

    over: bool  # there is a session, and every one has ended
    attended: bool  # at least one was attended (outcomes.session_attended)
    first_at: datetime | None  # start of the first session
    # Start of the last attended session: the course's end, day 0 of its follow-ups. When
    # nobody came, the last session's start (the course still has a date).
    end_at: datetime | None
    end_day: date | None  # end_at's clinic date


def course_span(appointments, recorded, now):
    """The CourseSpan of a course's appointments; `recorded`: ids of appointments with an
    infusion record."""
    held = sorted((a for a in appointments if a.status != AppointmentStatus.CANCELLED.value),
                  key=lambda a: a.starts_at)
    if not held:
        return CourseSpan(False, False, None, None, None)
    came = [a for a in held if session_attended(a.status, a.id in recorded)]
    end_at = (came or held)[-1].starts_at
    return CourseSpan(over=all(a.ends_at <= now for a in held), attended=bool(came),
                      first_at=held[0].starts_at, end_at=end_at,
                      end_day=end_at.astimezone(clinic_tz()).date())


def course_spans(courses, now):
    """{course id: CourseSpan} for courses whose appointments are loaded."""
    courses = list(courses)
    recorded = recorded_appointment_ids(a.id for c in courses for a in c.appointments)
    return {c.id: course_span(c.appointments, recorded, now) for c in courses}


def days_after(end_day, instant):
    """Whole days from a course's end (clinic date) to an instant's clinic date."""
    return (instant.astimezone(clinic_tz()).date() - end_day).days


def _candidate_courses(now, schedule):
    """Courses confirmed, completed or not attended, with a session (not cancelled) that ended
    within the last FOLLOW_UPS days + GRACE_DAYS: the only ones that can end now or have a
    follow-up falling due."""
    longest = max((days for _label, days in schedule), default=0)
    since = now - timedelta(days=longest + GRACE_DAYS + 1)
    recent = (select(Appointment.course_id)
              .where(Appointment.course_id.is_not(None),
                     Appointment.status != AppointmentStatus.CANCELLED.value,
                     Appointment.starts_at >= since - timedelta(days=1),
                     Appointment.ends_at >= since))
    return db.session.execute(
        select(Course)
        .where(Course.id.in_(recent),
               Course.status.in_([CourseStatus.CONFIRMED.value, CourseStatus.COMPLETED.value,
                                  CourseStatus.NOT_ATTENDED.value]))
        .options(selectinload(Course.appointments))
        .order_by(Course.id)
        .with_for_update(of=Course)  # PostgreSQL: a second run waits here (SQLite: the BEGIN)
    ).scalars().all()


def _existing_requests(course_ids):
    """{(course_id, label)} of the requests these courses already have."""
    if not course_ids:
        return set()
    return set(db.session.execute(
        select(FollowUpRequest.course_id, FollowUpRequest.label)
        .where(FollowUpRequest.course_id.in_(course_ids))).all())


def _end_course(course, span):
    """Completed when a session was attended, not attended otherwise; audited when it changes."""
    status = (CourseStatus.COMPLETED if span.attended else CourseStatus.NOT_ATTENDED).value
    if course.status == status:
        return
    previous, course.status = course.status, status
    if span.attended:
        audit.record("course.complete", object_type="course", object_id=course.id,
                     details={"by": "all sessions over", "from": previous},
                     actor_label="system")
    else:
        audit.record("course.not_attended", object_type="course", object_id=course.id,
                     details={"by": "all sessions over, none attended", "from": previous},
                     actor_label="system")


def create_due_follow_ups(now=None):
    """Create every follow-up request that is due and does not exist yet; end the courses whose
    sessions are all over (completed, or not attended). One transaction. Returns
    [CreatedFollowUp].

    Due: every session of the course not cancelled has ended, at least one was attended, today
    (clinic time) is on or after the course's end (its last attended session's local date) +
    the label's days, and the label's window (FOLLOW_UP_WINDOWS) has not closed.
    """
    now = now or utcnow()
    schedule = follow_up_schedule()
    windows = follow_up_windows()
    today = now.astimezone(clinic_tz()).date()
    created = []
    try:
        begin_write()  # SQLite: BEGIN IMMEDIATE, so a second run waits, then sees these rows
        courses = _candidate_courses(now, schedule)
        existing = _existing_requests([c.id for c in courses])
        spans = course_spans(courses, now)
        for course in courses:
            span = spans[course.id]
            if not span.over:
                continue  # nothing held, or not over yet
            _end_course(course, span)
            if not span.attended:
                continue  # nobody came: no follow-up
            last_day = span.end_day
            for label, days in schedule:
                due_on = last_day + timedelta(days=days)
                if today < due_on or (course.id, label) in existing:
                    continue
                window = windows.get(label)
                if window is not None and (today - last_day).days > window[1]:
                    continue  # the window has closed: a link now could only say so
                token = secrets.token_urlsafe(32)  # 256 bits
                request = FollowUpRequest(course_id=course.id, label=label, due_on=due_on,
                                          token_hash=hash_token(token), created_at=now)
                try:
                    with db.session.begin_nested():  # a duplicate undoes this insert only
                        db.session.add(request)
                except IntegrityError:
                    continue  # another run created it first: already there
                audit.record("follow_up.create", object_type="follow_up_request",
                             object_id=request.id,
                             details={"course_id": course.id, "label": label,
                                      "due_on": due_on.isoformat()},
                             actor_label="system")
                created.append(CreatedFollowUp(
                    request_id=request.id, course_id=course.id,
                    course_reference=course.reference, patient_id=course.patient_id,
                    label=label, due_on=due_on, token=token))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return created
