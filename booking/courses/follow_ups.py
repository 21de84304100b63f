"""Follow-ups after a course, and a patient's pain over time.

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
  has closed (a link that could only say "closed"). A link opened after its window closed says
  so and gives the clinic's phone, without the questions. An answer sent after the window
  closed (from a page opened before) is still saved, never lost: it is "late", kept and shown
  on the course page and the pain chart, and left out of the report. Lateness is worked out
  from the dates (answer day - course end), so it needs no column.
- `follow_up_by_token()` and `answer()`: the patient's page. An answer is saved once: the update
  only touches a request that has no answer yet.
- `pain_chart()`: every pain rating of a patient in the last 24 months (intake, before and after
  each infusion session, follow-ups) as rows for a table and an SVG chart (chart.py), the view
  audited. Clinicians only (the view checks the role).

Tokens are shown once (returned to the caller that sends them) and stored as their sha256 only.
Audit events carry ids, labels and dates: never a token, a rating or an answer.
"""
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..intake import scoring
from ..intake.errors import InvalidAnswers
from ..intake.validation import validate_questionnaires
from ..models import (Appointment, AppointmentStatus, Course, CourseStatus, FollowUpRequest,
                      InfusionSession, PainRating, Patient)
from ..rule_error import RuleError
from ..scheduler.manage_links import hash_token
from ..timeutil import clinic_tz, utcnow
from . import chart
from .outcomes import EARLY, LATE, answer_timing, checked_windows, session_attended

# Courses whose last session ended longer ago than the last follow-up plus this are not looked
# at again (the command runs daily; this leaves a month for a missed run).
GRACE_DAYS = 30
# The pain chart covers this many months back from today.
CHART_MONTHS = 24
MAX_HEADACHE_DAYS = scoring.MAX_DAYS_PER_MONTH  # 31: "in the last month"
MIDAS_KEYS = ("midas_q1", "midas_q2", "midas_q3", "midas_q4", "midas_q5", "midas_a", "midas_b")

REQUIRED = _l("Please answer this question.")
WHOLE_NUMBER = _l("Please enter a whole number.")
PAIN_RANGE = _l("Please choose a number from 0 to 10.")

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


# --- Errors ----------------------------------------------------------------------------------------

class FollowUpError(RuleError):
    """A rule broken; `fields` maps field keys to messages (422)."""


class InvalidFollowUp(FollowUpError):
    """Some answers are missing or out of range; `fields` maps each answer key to a message."""

    def __init__(self, fields):
        super().__init__(_l("Please check the answers marked below."), fields)


class AlreadyAnswered(FollowUpError):
    """This follow-up was answered before: the first answer stands."""

    def __init__(self):
        super().__init__(_l("You have already answered these questions. Thank you."))


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


# --- The patient's page --------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpState:
    """What the patient's page needs: plain values, no model."""

    id: int
    label: str
    when: str  # "1 month"
    months: int | None  # 1 (None for a label that is not a number of months)
    due_on: date
    answered_at: datetime | None
    answers: dict  # the saved answers by form key (empty when not answered)
    ask_midas: bool
    # The last clinic date on which an answer counts (course end + the window's last day);
    # None when the label has no window.
    closes_on: date | None = None
    closed: bool = False  # not answered, and closes_on has passed: the page says so
    late: bool = False  # answered after closes_on (kept, left out of the report)

    @property
    def answered(self):
        return self.answered_at is not None


def midas_on():
    return bool(current_app.config.get("FOLLOW_UP_MIDAS", False))


def asks_midas(label):
    """MIDAS asks about the last 3 months: only at FOLLOW_UP_MIDAS_LABELS, when it is on."""
    return midas_on() and label in tuple(current_app.config.get("FOLLOW_UP_MIDAS_LABELS", ()))


def closes_on(row, now):
    """The last clinic date on which the request's answer counts, or None (no window, or a
    course without a date)."""
    window = follow_up_windows().get(row.label)
    course = db.session.execute(select(Course).where(Course.id == row.course_id).options(
        selectinload(Course.appointments))).scalar_one()
    span = course_spans([course], now)[course.id]
    if window is None or span.end_day is None:
        return None
    return span.end_day + timedelta(days=window[1])


def _state(row, now):
    answers = {}
    if row.answered_at is not None:
        answers = {"pain": row.pain, "headache_days": row.headache_days}
        answers.update((row.midas or {}).get("answers", {}))
    last = closes_on(row, now)
    tz = clinic_tz()
    answered = row.answered_at is not None
    return FollowUpState(
        id=row.id, label=row.label, when=label_words(row.label),
        months=label_months(row.label), due_on=row.due_on,
        answered_at=row.answered_at, answers=answers,
        ask_midas=(row.midas is not None) if answered else asks_midas(row.label),
        closes_on=last,
        closed=not answered and last is not None and now.astimezone(tz).date() > last,
        late=answered and last is not None and row.answered_at.astimezone(tz).date() > last)


def follow_up_by_token(token, now=None):
    """The follow-up a private link points at (FollowUpState), or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(FollowUpRequest).where(FollowUpRequest.token_hash == hash_token(token))
    ).scalar_one_or_none()
    return None if row is None else _state(row, now or utcnow())


def _whole(answers, key, low, high, errors, range_message=None):
    value = answers.get(key)
    if value is None or value == "":
        errors[key] = str(REQUIRED)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = str(range_message or WHOLE_NUMBER)
        return None
    if not low <= value <= high:
        errors[key] = str(range_message or _("Please enter a number from %(low)d to %(high)d.",
                                             low=low, high=high))
        return None
    return value


def check_answers(answers, *, midas=None):
    """The cleaned answers, or InvalidFollowUp naming every wrong key. Values are the form's:
    ints where a whole number was typed, the text as typed otherwise."""
    midas = midas_on() if midas is None else midas
    answers = answers if isinstance(answers, dict) else {}
    errors = {}
    clean = {
        "pain": _whole(answers, "pain", 0, scoring.NRS_MAX, errors, PAIN_RANGE),
        "headache_days": _whole(answers, "headache_days", 0, MAX_HEADACHE_DAYS, errors),
    }
    if midas:
        settings = SimpleNamespace(midas=True, phq9=False, gad7=False, hit6_items=False)
        try:
            clean.update(validate_questionnaires(
                {key: answers.get(key) for key in MIDAS_KEYS}, settings=settings))
        except InvalidAnswers as error:
            errors.update(error.fields)
    if errors:
        raise InvalidFollowUp(errors)
    return clean


def answer(request_id, answers, *, language="en", now=None):
    """Save the patient's answers, once. Raises InvalidFollowUp (422), AlreadyAnswered (422)
    or LookupError. Returns the FollowUpState. MIDAS is asked (and required) at the labels of
    FOLLOW_UP_MIDAS_LABELS only. An answer after the window has closed is saved all the same:
    the state says it is late, and the report leaves it out."""
    now = now or utcnow()
    label = db.session.execute(select(FollowUpRequest.label).where(
        FollowUpRequest.id == request_id)).scalar_one_or_none()
    if label is None:
        raise LookupError("follow_up")
    midas = asks_midas(label)
    clean = check_answers(answers, midas=midas)
    stored_midas = None
    if midas:
        score = scoring.score_midas(*(clean[key] for key in MIDAS_KEYS))
        stored_midas = {
            "instrument": "midas", "version": score.version, "language": "en",  # asked in English
            "answers": {key: clean[key] for key in MIDAS_KEYS},
            "total": score.total, "band": score.band, "warnings": list(score.warnings),
        }
    try:
        begin_write()
        row = db.session.get(FollowUpRequest, request_id)
        if row is None:
            raise LookupError("follow_up")
        # Only a request without an answer is updated: a second answer, even one racing this
        # one, changes nothing.
        result = db.session.execute(
            update(FollowUpRequest)
            .where(FollowUpRequest.id == request_id, FollowUpRequest.answered_at.is_(None))
            .values(answered_at=now, pain=clean["pain"], headache_days=clean["headache_days"],
                    midas=stored_midas),
            execution_options={"synchronize_session": False})
        if result.rowcount != 1:
            raise AlreadyAnswered()
        db.session.expire_all()
        state = _state(db.session.get(FollowUpRequest, request_id), now)
        audit.record("follow_up.answer", object_type="follow_up_request", object_id=row.id,
                     details={"course_id": row.course_id, "label": row.label,
                              "with_midas": midas, "late": state.late}, actor_label="patient")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return state


# --- Pain over time (clinicians) -------------------------------------------------------------------

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
