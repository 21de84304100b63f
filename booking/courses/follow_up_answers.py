"""A follow-up's answers: the patient's page behind the private link (its state: due, closed,
answered, late), checking the answers, and saving them once.

- `follow_up_by_token()` and `answer()`: the patient's page. An answer is saved once: the update
  only touches a request that has no answer yet.
- A link opened after its window closed says so and gives the clinic's phone, without the
  questions. An answer sent after the window closed (from a page opened before) is still saved,
  never lost: it is "late", kept and shown on the course page and the pain chart, and left out
  of the report. Lateness is worked out from the dates (answer day - course end), so it needs no
  column.

Audit events carry ids, labels and dates: never a token, a rating or an answer.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..intake import scoring
from ..intake.errors import InvalidAnswers
from ..intake.validation import validate_questionnaires
from ..models import Course, FollowUpRequest
from ..rule_error import RuleError
from ..scheduler.manage_links import hash_token
from ..timeutil import clinic_tz, utcnow
from .follow_ups import course_spans, follow_up_windows, label_months, label_words

MAX_HEADACHE_DAYS = scoring.MAX_DAYS_PER_MONTH  # 31: "in the last month"
MIDAS_KEYS = ("midas_q1", "midas_q2", "midas_q3", "midas_q4", "midas_q5", "midas_a", "midas_b")

REQUIRED = _l("Please answer this question.")
WHOLE_NUMBER = _l("Please enter a whole number.")
PAIN_RANGE = _l("Please choose a number from 0 to 10.")


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
