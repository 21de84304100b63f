"""Follow-ups after a course, and a patient's pain over time.

Follow-ups (clinical.md, "Outcomes"): about 1 and 3 months after a course's last session the
patient is asked, through a private link, for their pain now (NRS 0-10), their headache days in
the last month and, when FOLLOW_UP_MIDAS is on, MIDAS again. config.FOLLOW_UPS says when:
((label, days after the last session), ...).

- `create_due_follow_ups()` (the `send-followups` command, once a day): one FollowUpRequest per
  course and label, exactly once however often and however many copies run. The check and the
  insert happen under the write lock (begin_write), each insert in a savepoint, and the unique
  constraint uq_follow_up_course_label is the last guard (a duplicate is "already there").
  It also marks confirmed courses whose sessions are all over as completed.
- `follow_up_by_token()` and `answer()`: the patient's page. An answer is saved once: the update
  only touches a request that has no answer yet.
- `pain_chart()`: every pain rating of a patient in the last 24 months (intake, before and after
  each infusion session, follow-ups) as rows for a table and an SVG chart (chart.py), the view
  audited. Clinicians only (the view checks the role).

Tokens are shown once (returned to the caller that sends them) and stored as their sha256 only.
Audit events carry ids, labels and dates: never a token, a rating or an answer.
"""
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
from ..scheduler.services import hash_token
from ..timeutil import clinic_tz, utcnow
from . import chart

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

LABEL_WORDS = {"1m": _l("1 month"), "3m": _l("3 months")}


def label_words(label):
    """"1m" -> "1 month"; a label config adds later is shown as it is."""
    return str(LABEL_WORDS.get(label, label))


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


def _active_sessions(course):
    return [a for a in course.appointments if a.status != AppointmentStatus.CANCELLED.value]


def _candidate_courses(now, schedule):
    """Confirmed or completed courses with a session (not cancelled) that ended within the last
    FOLLOW_UPS days + GRACE_DAYS: the only ones that can have a follow-up falling due."""
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
               Course.status.in_([CourseStatus.CONFIRMED.value, CourseStatus.COMPLETED.value]))
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


def create_due_follow_ups(now=None):
    """Create every follow-up request that is due and does not exist yet; mark confirmed courses
    whose sessions are all over as completed. One transaction. Returns [CreatedFollowUp].

    Due: the course is confirmed or completed, every session not cancelled has ended, and today
    (clinic time) is on or after the last session's local date + the label's days.
    """
    now = now or utcnow()
    schedule = follow_up_schedule()
    tz = clinic_tz()
    today = now.astimezone(tz).date()
    created = []
    try:
        begin_write()  # SQLite: BEGIN IMMEDIATE, so a second run waits, then sees these rows
        courses = _candidate_courses(now, schedule)
        existing = _existing_requests([c.id for c in courses])
        for course in courses:
            sessions = _active_sessions(course)
            if not sessions or any(a.ends_at > now for a in sessions):
                continue  # nothing held, or not over yet
            if course.status == CourseStatus.CONFIRMED.value:
                course.status = CourseStatus.COMPLETED.value
                audit.record("course.complete", object_type="course", object_id=course.id,
                             details={"by": "all sessions over"}, actor_label="system")
            last_day = max(a.ends_at for a in sessions).astimezone(tz).date()
            for label, days in schedule:
                due_on = last_day + timedelta(days=days)
                if today < due_on or (course.id, label) in existing:
                    continue
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
    due_on: date
    answered_at: datetime | None
    answers: dict  # the saved answers by form key (empty when not answered)
    ask_midas: bool

    @property
    def answered(self):
        return self.answered_at is not None


def midas_on():
    return bool(current_app.config.get("FOLLOW_UP_MIDAS", False))


def _state(row):
    answers = {}
    if row.answered_at is not None:
        answers = {"pain": row.pain, "headache_days": row.headache_days}
        answers.update((row.midas or {}).get("answers", {}))
    return FollowUpState(
        id=row.id, label=row.label, when=label_words(row.label), due_on=row.due_on,
        answered_at=row.answered_at, answers=answers,
        ask_midas=(row.midas is not None) if row.answered_at is not None else midas_on())


def follow_up_by_token(token):
    """The follow-up a private link points at (FollowUpState), or None."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(FollowUpRequest).where(FollowUpRequest.token_hash == hash_token(token))
    ).scalar_one_or_none()
    return None if row is None else _state(row)


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
    or LookupError. Returns the FollowUpState."""
    now = now or utcnow()
    midas = midas_on()
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
        audit.record("follow_up.answer", object_type="follow_up_request", object_id=row.id,
                     details={"course_id": row.course_id, "label": row.label,
                              "with_midas": midas}, actor_label="patient")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.expire_all()
    return _state(db.session.get(FollowUpRequest, request_id))


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


def _session_label(day, moment):
    if day is None:
        return _("Session, before") if moment == "before" else _("Session, after")
    if moment == "before":
        return _("Session %(day)d, before", day=day)
    return _("Session %(day)d, after", day=day)


def pain_chart(patient_id, now=None):
    """Every pain rating of the patient over the last CHART_MONTHS months, as table rows and an
    SVG chart: intake ratings (a series per kind), and one line per course (its sessions' pain
    before and after, then its answered follow-ups). The view is audited. LookupError for an
    unknown patient."""
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

    for follow_up in db.session.execute(
            select(FollowUpRequest)
            .join(Course, FollowUpRequest.course_id == Course.id)
            .where(Course.patient_id == patient_id, FollowUpRequest.answered_at.is_not(None),
                   FollowUpRequest.pain.is_not(None),
                   FollowUpRequest.answered_at >= since_at, FollowUpRequest.answered_at <= now)
            .order_by(FollowUpRequest.answered_at)).scalars():
        course_points.setdefault(follow_up.course_id, []).append(
            (follow_up.answered_at, follow_up.pain,
             _("Follow-up, %(when)s", when=label_words(follow_up.label))))

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

    svg = chart.pain_chart_svg(
        series,
        title=_("Pain over time"),
        description=_("Pain ratings from 0 (no pain) to 10 (worst pain imaginable), from "
                      "%(since)s to %(until)s: %(count)d rating(s). Each series has its own "
                      "marker and line; every point shows its value. The same numbers are in "
                      "the table below.", since=format_date(since, "d MMM y"),
                      until=format_date(until, "d MMM y"), count=len(rows)),
        empty_text=_("No ratings yet"), y_axis_label=_("Pain (0-10)"),
        x_axis_label=_("Date"), x_text=lambda x: format_date(x, "d MMM y"))

    result = PainChart(patient_id=patient.id, patient_name=patient.full_name, since=since,
                       until=until, rows=tuple(rows), series_names=tuple(s.name for s in series),
                       svg=Markup(svg))
    audit.record_now("pain_chart.view", object_type="patient", object_id=patient_id,
                     details={"since": since.isoformat()})
    return result
