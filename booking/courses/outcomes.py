"""The outcome of one infusion course (course_outcome), and the rules a cohort shares with it:
which sessions were attended, where a follow-up answer falls in its window, the records a service
builds. The cohort's figures are booking/courses/cohort_outcomes.py's; Count, Mean, Rate and their
rounding are booking/courses/outcome_figures.py's.

Every definition comes from the clinical reference (shared/clinical.md,
sections "Each infusion session" and "Outcomes", cited below as
"clinical.md"), which follows the Thomas Jefferson ketamine headache studies
(Schwenk et al., Reg Anesth Pain Med 2018). These figures describe what
happened to a group of courses; they are information for a clinician, never a
treatment decision, and the report page must say so.

This module is pure on purpose, like booking.intake.scoring: standard library
only (plus that module, for the pain-change and responder rules, so the intake,
the course view and this report share one answer). A service builds the
records from the database; tests need no fixtures.

Conventions:
- A missing rating is None. A figure that cannot be computed is None ("not
  evaluable"), never 0: a mean over no courses has no value, and a percentage
  over no courses has no percentage.
- Numbers stay exact: int and fractions.Fraction throughout. Rounding to one
  decimal happens once, for display, from the exact value (format_mean,
  format_percent), so a rate shown as 33.3 % is 1/3 of its denominator and
  not a float that was rounded twice.
- Every cohort figure carries what it was computed from (n, or numerator and
  denominator) and a short English definition for the report page.
- Input of the wrong type or out of range raises scoring.InvalidAnswer (a
  ValueError) naming the field.

Which courses count (clinical.md Outcomes), decided here so the daily command,
the report and the course page give one answer:
- A session was attended when the desk marked the patient arrived or the visit
  completed, or a clinician recorded the infusion (session_attended). A record
  outweighs a "no-show" mark: records exist only for sessions that started, and
  a typed infusion record is the stronger fact. A cancelled session never counts.
- A course with no attended session is not a completed course: it is left out
  of every figure and counted apart (CohortOutcomes.not_attended).
- Pain at admission is the "pain before" of course day 1. When day 1 has no
  record, or no pain-before rating, the change is not evaluable (never taken
  from day 2), and the course is counted apart (pain_not_evaluable).
- A follow-up answer counts only inside its window, in days from the course's
  end (its last attended session) to the answer (clinic dates), both ends
  included. Earlier or later answers are kept (the course page shows them) and
  left out of the figures, counted as answered early / late.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from booking.intake.scoring import (
    DEFAULT_THRESHOLDS,
    MAX_DAYS_PER_MONTH,
    InvalidAnswer,
    PainChange,
    Thresholds,
    pain_change,
    validate_nrs,
)

# clinical.md "Each infusion session": course day 1-7.
FIRST_COURSE_DAY = 1
LAST_COURSE_DAY = 7

# clinical.md "Each infusion session": the adverse events a clinician records,
# as stored codes. This order is the order of the report's rows.
ADVERSE_EVENT_CODES = (
    "nausea",
    "vomiting",
    "dizziness",
    "blurred_vision",
    "hallucinations",
    "dissociation",
    "anxiety",
    "sedation",
    "hypertension",
    "tachycardia",
    "worse_headache",
    "other",
)

# clinical.md Outcomes: follow-up "about 1 and 3 months" after a course.
DEFAULT_FOLLOW_UP_LABELS = ("1m", "3m")
# clinical.md Outcomes: an answer counts for "1 month" when given 21-45 days after the last
# session, for "3 months" 75-120 days (both ends included): config FOLLOW_UP_WINDOWS.

# Appointment statuses that mean the patient came (the desk's marks).
ATTENDED_STATUSES = ("arrived", "completed")
CANCELLED_STATUS = "cancelled"

# When a follow-up was answered, relative to its window.
ON_TIME = "on_time"
EARLY = "early"
LATE = "late"

# Why a course has no pain at admission (CourseOutcome.admission_missing).
NO_FIRST_SESSION_RECORD = "no_first_session_record"  # course day 1 was not recorded
NO_FIRST_PAIN_BEFORE = "no_first_pain_before"  # recorded without a pain-before rating


# --- Attendance and timing ------------------------------------------------------------


def session_attended(status: str, recorded: bool) -> bool:
    """Whether a session of a course was attended (see the module's notes): the
    desk marked it arrived or completed, or it has an infusion record; a
    cancelled session never."""
    if status == CANCELLED_STATUS:
        return False
    return status in ATTENDED_STATUSES or bool(recorded)


def answer_timing(days_after_course: int, window: tuple[int, int] | None) -> str:
    """ON_TIME, EARLY or LATE: where an answer given `days_after_course` days
    after the course's end falls in its window (first, last), both included.
    A label without a window takes every answer (ON_TIME)."""
    if window is None:
        return ON_TIME
    first, last = window
    if days_after_course < first:
        return EARLY
    if days_after_course > last:
        return LATE
    return ON_TIME


def checked_windows(windows) -> dict[str, tuple[int, int]]:
    """{label: (first day, last day)}, checked: whole days, 0 <= first <= last."""
    if windows is None:
        return {}
    if not hasattr(windows, "items"):
        raise InvalidAnswer("follow_up_windows", "must map labels to (first, last) days")
    checked = {}
    for label, window in windows.items():
        try:
            first, last = window
        except (TypeError, ValueError):
            raise InvalidAnswer(f"follow_up_windows {label}", "must be (first, last) days")
        for value in (first, last):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidAnswer(f"follow_up_windows {label}", f"{value!r} is not whole days")
        if not 0 <= first <= last:
            raise InvalidAnswer(f"follow_up_windows {label}", "needs 0 <= first <= last")
        checked[str(label)] = (first, last)
    return checked


# --- Inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    """One infusion session, as the clinician recorded it (clinical.md)."""

    course_day: int  # 1..7, the order of the session in the course
    pain_before: int | None  # NRS 0-10
    pain_after: int | None
    max_rate_mg_per_h: Fraction | int | None
    max_rate_mg_per_kg_h: Fraction | int | None
    adverse_events: tuple[str, ...] = ()  # codes from ADVERSE_EVENT_CODES


@dataclass(frozen=True)
class FollowUpRecord:
    """What the patient reported through the private link after a course."""

    label: str  # "1m", "3m", ... (configurable)
    pain: int | None  # NRS 0-10; None = not answered
    headache_days: int | None = None  # per month, 0-31
    # Days from the course's end (its last attended session) to the answer,
    # as clinic dates; needed for an answer whose label has a window.
    days_after_course: int | None = None


@dataclass(frozen=True)
class CourseRecord:
    course_id: int
    sessions: tuple[SessionRecord, ...]  # any order; sorted here by course_day
    follow_ups: tuple[FollowUpRecord, ...] = ()
    # Whether any session was attended (session_attended). A course nobody
    # attended is not completed: the cohort leaves it out and counts it.
    attended: bool = True


# --- Per course -----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseOutcome:
    """How one course went (clinical.md Outcomes, "per course")."""

    course_id: int
    admission: int | None  # pain before course day 1; None: not evaluable for pain
    discharge: int | None  # the last pain rating within the course
    # scoring.pain_change(admission, discharge); None without an admission.
    pain: PainChange | None
    change: int | None  # admission - discharge; negative when the pain got worse
    # 100 * change / admission, exact; None when admission is 0 or missing.
    percent_change: Fraction | None
    # The responder flags are kept separately (clinical.md). None means "not
    # evaluable": no admission for any of them, or admission 0 for the two
    # percentage rules (a percentage of 0 does not exist).
    responder_2_points: bool | None
    responder_30_percent: bool | None
    responder_50_percent: bool | None
    length_days: int  # infusion days (sessions held), not calendar days
    lowest_pain_day: int | None  # course_day of the lowest rating; earliest on ties
    max_rate_mg_per_h: Fraction | None
    max_rate_mg_per_kg_h: Fraction | None
    adverse_events: frozenset[str]
    # In the order of the course's follow-ups.
    follow_ups: tuple["CourseFollowUp", ...] = ()
    # Why there is no admission: NO_FIRST_SESSION_RECORD, NO_FIRST_PAIN_BEFORE,
    # or None (there is one).
    admission_missing: str | None = None
    attended: bool = True  # the CourseRecord's: a course nobody attended is left out

    def follow_up(self, label: str) -> "CourseFollowUp | None":
        for follow_up in self.follow_ups:
            if follow_up.label == label:
                return follow_up
        return None

    def sustained_at(self, label: str) -> bool | None:
        """Sustained response at one follow-up; None when not answered inside
        its window (or absent) or when the course has no admission rating."""
        follow_up = self.follow_up(label)
        return None if follow_up is None else follow_up.sustained

    def answered(self, label: str) -> bool:
        """Answered inside the window: the answer the figures count."""
        follow_up = self.follow_up(label)
        return follow_up is not None and follow_up.timing == ON_TIME

    def answered_late(self, label: str) -> bool:
        follow_up = self.follow_up(label)
        return follow_up is not None and follow_up.timing == LATE

    def answered_early(self, label: str) -> bool:
        follow_up = self.follow_up(label)
        return follow_up is not None and follow_up.timing == EARLY


@dataclass(frozen=True)
class CourseFollowUp:
    """One follow-up of one course, with its sustained-response flag."""

    label: str
    pain: int | None  # None: not answered (a late answer is kept here, and shown)
    headache_days: int | None
    # admission - pain >= 2; None when not answered inside the window, or
    # without an admission.
    sustained: bool | None
    days_after_course: int | None = None
    timing: str | None = None  # ON_TIME, EARLY, LATE; None when not answered

    @property
    def counted(self) -> bool:
        return self.timing == ON_TIME


def course_outcome(
    course: CourseRecord,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    windows=None,
) -> CourseOutcome:
    """The outcome of one course. Sessions may come in any order. `windows`:
    {label: (first day, last day)} of the follow-up answers that count (none:
    every answer counts)."""
    if not isinstance(course, CourseRecord):
        raise InvalidAnswer("course", f"must be a CourseRecord, got {course!r}")
    where = f"course {course.course_id}"
    windows = checked_windows(windows)
    sessions = _sorted_sessions(course.sessions, where)
    follow_ups = _checked_follow_ups(course.follow_ups, where, windows)

    # clinical.md: pain "at admission" is the rating before the FIRST session,
    # course day 1. If day 1 has no record, or no rating before, the course is
    # not evaluable for pain: day 2's rating would not be "at admission" and
    # would flatter the change.
    first = sessions[0] if sessions and sessions[0].course_day == FIRST_COURSE_DAY else None
    admission = first.pain_before if first is not None else None
    if first is None:
        admission_missing = NO_FIRST_SESSION_RECORD
    elif admission is None:
        admission_missing = NO_FIRST_PAIN_BEFORE
    else:
        admission_missing = None

    # clinical.md: "at discharge" is the LAST pain rating within the course.
    # The ratings run day by day, before then after; a missing after-rating on
    # the last day leaves that day's before-rating as the last one taken.
    ratings = [
        (session.course_day, rating)
        for session in sessions
        for rating in (session.pain_before, session.pain_after)
        if rating is not None
    ]
    discharge = ratings[-1][1] if ratings else None

    # The change and the three responder rules are scoring.pain_change's
    # (Schwenk et al. 2018: >= 2 points, >= 30 %, >= 50 %, compared in
    # integers). With an admission there is always a discharge: the admission
    # is itself a rating within the course.
    pain = pain_change(admission, discharge, thresholds) if admission is not None else None
    if pain is None:
        change = percent_change = None
        responder_2 = responder_30 = responder_50 = None
    else:
        change = pain.change
        responder_2 = pain.responder_2_points
        if pain.percent_change is None:
            # Admission 0: pain_change says "not evaluable" (and answers False
            # for the percentage rules); here that is None, so the cohort can
            # leave these courses out of the percentage denominators.
            percent_change = None
            responder_30 = responder_50 = None
        else:
            # pain_change gives a float; the same value exactly, for the report.
            percent_change = Fraction(100 * pain.change, pain.admission)
            responder_30 = pain.responder_30_percent
            responder_50 = pain.responder_50_percent

    # Day of lowest pain: the lowest rating, before or after, of any session;
    # min() keeps the first of equal ratings, and the list runs in course-day
    # order, so ties go to the earliest day.
    lowest_pain_day = min(ratings, key=lambda day_rating: day_rating[1])[0] if ratings else None

    # Sustained response (clinical.md): admission - follow-up pain >= 2, i.e.
    # the 2-point responder rule with the follow-up rating in place of the
    # discharge one, so the same pain_change rule (and threshold) decides.
    # Only an answer inside its window is judged: a late one is kept, not counted.
    results = []
    for follow_up in follow_ups:
        timing = None
        if follow_up.pain is not None:
            timing = (ON_TIME if follow_up.days_after_course is None
                      else answer_timing(follow_up.days_after_course,
                                         windows.get(follow_up.label)))
        if timing != ON_TIME or admission is None:
            sustained = None
        else:
            sustained = pain_change(admission, follow_up.pain, thresholds).responder_2_points
        results.append(
            CourseFollowUp(follow_up.label, follow_up.pain, follow_up.headache_days, sustained,
                           follow_up.days_after_course, timing)
        )

    return CourseOutcome(
        course_id=course.course_id,
        admission=admission,
        discharge=discharge,
        pain=pain,
        change=change,
        percent_change=percent_change,
        responder_2_points=responder_2,
        responder_30_percent=responder_30,
        responder_50_percent=responder_50,
        # Course length counts infusion days (sessions held), not calendar
        # days: a Monday-to-Friday clinic puts weekends between sessions, and
        # those are not treatment days. (Schwenk et al.'s inpatients had one
        # continuous stay, where the two counts were the same.)
        length_days=len(sessions),
        lowest_pain_day=lowest_pain_day,
        max_rate_mg_per_h=_course_max(sessions, "max_rate_mg_per_h", where),
        max_rate_mg_per_kg_h=_course_max(sessions, "max_rate_mg_per_kg_h", where),
        adverse_events=frozenset(code for session in sessions for code in session.adverse_events),
        follow_ups=tuple(results),
        admission_missing=admission_missing,
        attended=bool(course.attended),
    )


def _sorted_sessions(sessions, where: str) -> tuple[SessionRecord, ...]:
    if isinstance(sessions, (str, bytes)) or not isinstance(sessions, Iterable):
        raise InvalidAnswer(f"{where} sessions", "must be a list of SessionRecord")
    sessions = tuple(sessions)
    days = set()
    for session in sessions:
        if not isinstance(session, SessionRecord):
            raise InvalidAnswer(f"{where} sessions", f"must be SessionRecord, got {session!r}")
        day = session.course_day
        if isinstance(day, bool) or not isinstance(day, int):
            raise InvalidAnswer(f"{where} course_day", f"must be a whole number, got {day!r}")
        if not FIRST_COURSE_DAY <= day <= LAST_COURSE_DAY:
            raise InvalidAnswer(
                f"{where} course_day",
                f"must be between {FIRST_COURSE_DAY} and {LAST_COURSE_DAY}, got {day}",
            )
        # The course day orders the sessions; two with one day would make
        # "first" and "last" a guess.
        if day in days:
            raise InvalidAnswer(f"{where} course_day", f"day {day} appears twice")
        days.add(day)
        for name in ("pain_before", "pain_after"):
            rating = getattr(session, name)
            if rating is not None:
                validate_nrs(rating, f"{where} day {day} {name}")
        if isinstance(session.adverse_events, (str, bytes)):
            # A bare string would be read letter by letter.
            raise InvalidAnswer(f"{where} day {day} adverse_events", "must be a list of codes")
        for code in session.adverse_events:
            # An unknown code would quietly add a row to the report.
            if code not in ADVERSE_EVENT_CODES:
                raise InvalidAnswer(f"{where} day {day} adverse_events", f"unknown code {code!r}")
    return tuple(sorted(sessions, key=lambda session: session.course_day))


def _checked_follow_ups(follow_ups, where: str, windows) -> tuple[FollowUpRecord, ...]:
    if isinstance(follow_ups, (str, bytes)) or not isinstance(follow_ups, Iterable):
        raise InvalidAnswer(f"{where} follow_ups", "must be a list of FollowUpRecord")
    follow_ups = tuple(follow_ups)
    labels = set()
    for follow_up in follow_ups:
        if not isinstance(follow_up, FollowUpRecord):
            raise InvalidAnswer(
                f"{where} follow_ups", f"must be FollowUpRecord, got {follow_up!r}"
            )
        if follow_up.label in labels:
            raise InvalidAnswer(f"{where} follow_ups", f"label {follow_up.label!r} appears twice")
        labels.add(follow_up.label)
        if follow_up.pain is not None:
            validate_nrs(follow_up.pain, f"{where} follow-up {follow_up.label} pain")
        days = follow_up.headache_days
        whole = isinstance(days, int) and not isinstance(days, bool)
        if days is not None and not (whole and 0 <= days <= MAX_DAYS_PER_MONTH):
            raise InvalidAnswer(
                f"{where} follow-up {follow_up.label} headache_days",
                f"must be a whole number 0-{MAX_DAYS_PER_MONTH}, got {days!r}",
            )
        after = follow_up.days_after_course
        if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
            raise InvalidAnswer(
                f"{where} follow-up {follow_up.label} days_after_course",
                f"must be a whole number of days, got {after!r}",
            )
        # An answer whose label has a window cannot be judged without its day.
        if follow_up.pain is not None and after is None and follow_up.label in windows:
            raise InvalidAnswer(
                f"{where} follow-up {follow_up.label} days_after_course",
                "is needed to place the answer in its window",
            )
    return follow_ups


def _course_max(sessions: Sequence[SessionRecord], name: str, where: str) -> Fraction | None:
    """The highest value of one max-rate field over the sessions; None when no
    session recorded it (a missing rate is not a rate of 0)."""
    values = []
    for session in sessions:
        value = getattr(session, name)
        if value is None:
            continue
        # Exact numbers only: a float would carry binary noise into the means.
        # A Decimal (what a Numeric column gives) converts exactly.
        if isinstance(value, bool) or not isinstance(value, (int, Fraction, Decimal)):
            raise InvalidAnswer(
                f"{where} day {session.course_day} {name}",
                f"must be an int, Fraction or Decimal, got {value!r}",
            )
        value = Fraction(value)
        if value < 0:
            raise InvalidAnswer(
                f"{where} day {session.course_day} {name}", f"cannot be negative, got {value}"
            )
        values.append(value)
    return max(values) if values else None
