"""The outcomes of a cohort of courses (clinical.md Outcomes, "per cohort"): N, mean pain at
admission and discharge, responders, course length, maximum rates, adverse events and sustained
response at each follow-up, over the courses that were attended; each course's own outcome comes
from booking/courses/outcomes.py, whose notes say which courses and answers count. Pure: standard
library only, plus those modules and booking.intake.scoring.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from booking.intake.scoring import DEFAULT_THRESHOLDS, InvalidAnswer, Thresholds

from .outcome_figures import Count, Mean, Rate
from .outcomes import (
    ADVERSE_EVENT_CODES,
    DEFAULT_FOLLOW_UP_LABELS,
    CourseOutcome,
    CourseRecord,
    checked_windows,
    course_outcome,
)


@dataclass(frozen=True)
class FollowUpOutcome:
    """Sustained response at one follow-up, three ways (clinical.md)."""

    label: str
    # Denominator N: a course without an answer counts as not sustained.
    sustained_all: Rate
    # Denominator: the courses that answered this follow-up inside its window.
    sustained_answered: Rate
    # Denominator: every immediate (2-point) responder, answered or not.
    sustained_immediate_responders: Rate
    # Answers kept but left out of the figures: after the window / before it.
    answered_late: Count = Count(0)
    answered_early: Count = Count(0)
    # Mean days from the course's end to the answers counted.
    days_to_answer: Mean = Mean(None, 0)
    window: tuple[int, int] | None = None  # (first day, last day); None: every answer counts


@dataclass(frozen=True)
class CohortOutcomes:
    """The outcomes report for a cohort of completed courses (clinical.md,
    "per cohort"), with each course's own outcome for the CSV export."""

    n: Count  # completed courses: attended ones only
    admission_pain: Mean
    discharge_pain: Mean
    change: Mean
    responders_2_points: Rate
    responders_30_percent: Rate
    responders_50_percent: Rate
    course_length_days: Mean
    lowest_pain_day: Mean
    max_rate_mg_per_h: Mean
    max_rate_mg_per_kg_h: Mean
    # (code, rate) for every code of ADVERSE_EVENT_CODES, in that order; a
    # code nobody had shows as 0 of N, which is information too.
    adverse_events: tuple[tuple[str, Rate], ...]
    follow_ups: tuple[FollowUpOutcome, ...]
    courses: tuple[CourseOutcome, ...]  # the completed ones (attended), counted in N
    # Left out, counted apart: courses nobody attended (not in N), and completed
    # courses whose pain change is not evaluable (in N, out of the pain figures).
    not_attended: Count = Count(0)
    pain_not_evaluable: Count = Count(0)

    def adverse_event(self, code: str) -> Rate:
        return dict(self.adverse_events)[code]

    def follow_up(self, label: str) -> FollowUpOutcome:
        for outcome in self.follow_ups:
            if outcome.label == label:
                return outcome
        raise KeyError(label)


def cohort_outcomes(
    courses: Iterable[CourseRecord],
    follow_up_labels: Sequence[str] = DEFAULT_FOLLOW_UP_LABELS,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    windows=None,
) -> CohortOutcomes:
    """The cohort figures over the courses given that were attended (N); the
    ones nobody attended are left out and counted (not_attended). `windows`:
    {label: (first day, last day)} of the follow-up answers that count."""
    if isinstance(follow_up_labels, (str, bytes)):
        raise InvalidAnswer("follow_up_labels", "expected a list of labels, not one string")
    follow_up_labels = tuple(follow_up_labels)
    if len(set(follow_up_labels)) != len(follow_up_labels):
        raise InvalidAnswer("follow_up_labels", "a label appears twice")
    if isinstance(courses, (str, bytes)) or not isinstance(courses, Iterable):
        raise InvalidAnswer("courses", "must be a list of CourseRecord")
    windows = checked_windows(windows)
    every = tuple(course_outcome(course, thresholds, windows) for course in courses)
    ids = [outcome.course_id for outcome in every]
    # One course twice would count twice in every figure.
    if len(set(ids)) != len(ids):
        raise InvalidAnswer("courses", "a course_id appears twice")
    outcomes = tuple(o for o in every if o.attended)
    n = len(outcomes)
    t = thresholds

    def present(name):
        return [getattr(o, name) for o in outcomes if getattr(o, name) is not None]

    # Responders (clinical.md: n and % for each rule). Denominators:
    # - 2 points: courses with an evaluable change (an admission rating),
    #   admission 0 included: a change in points exists there.
    # - 30 % / 50 %: courses with admission > 0, the only ones with a percentage.
    def responders(name, definition):
        flags = present(name)
        return Rate(sum(flags), len(flags), definition)

    adverse_events = tuple(
        (
            code,
            Rate(
                sum(code in o.adverse_events for o in outcomes),
                n,
                f"Courses with {code.replace('_', ' ')} in any session, of all N courses",
            ),
        )
        for code in ADVERSE_EVENT_CODES
    )

    follow_ups = []
    for label in follow_up_labels:
        sustained = [o for o in outcomes if o.sustained_at(label)]
        answered = [o for o in outcomes if o.answered(label)]
        immediate = [o for o in outcomes if o.responder_2_points]
        window = windows.get(label)
        where = "" if window is None else f" (days {window[0]}-{window[1]})"
        follow_ups.append(
            FollowUpOutcome(
                label=label,
                window=window,
                answered_late=Count(
                    sum(o.answered_late(label) for o in outcomes),
                    f"Courses that answered at {label} after its window{where}: the answer"
                    " is kept and shown on the course page, not counted here",
                ),
                answered_early=Count(
                    sum(o.answered_early(label) for o in outcomes),
                    f"Courses that answered at {label} before its window{where}: the answer"
                    " is kept and shown on the course page, not counted here",
                ),
                days_to_answer=_mean(
                    [o.follow_up(label).days_after_course for o in answered
                     if o.follow_up(label).days_after_course is not None],
                    f"Mean days from the course's last session to the answer at {label},"
                    " over the answers counted",
                ),
                sustained_all=Rate(
                    len(sustained),
                    n,
                    f"Courses with pain at {label} at least {t.responder_min_points} points"
                    " below admission, of all N courses (no answer counts as not sustained)",
                ),
                sustained_answered=Rate(
                    len(sustained),
                    len(answered),
                    f"Courses with pain at {label} at least {t.responder_min_points} points"
                    f" below admission, of the courses that answered at {label}",
                ),
                sustained_immediate_responders=Rate(
                    sum(1 for o in immediate if o.sustained_at(label)),
                    len(immediate),
                    f"Immediate responders (>= {t.responder_min_points} points at discharge)"
                    f" still at least {t.responder_min_points} points below admission at"
                    f" {label}, of all immediate responders",
                ),
            )
        )

    return CohortOutcomes(
        n=Count(n, "Completed courses in the report (at least one session attended)"),
        not_attended=Count(
            len(every) - n,
            "Courses whose sessions are all over with none attended (no arrival, no"
            " completed visit, no infusion record): not completed, left out of every figure",
        ),
        pain_not_evaluable=Count(
            sum(1 for o in outcomes if o.admission is None),
            "Completed courses without a pain rating before the session of course day 1:"
            " counted in N, left out of the pain, change and responder figures",
        ),
        admission_pain=_mean(
            present("admission"),
            "Mean pain before the first session of each course (NRS 0-10; course day 1 only)",
        ),
        discharge_pain=_mean(
            present("discharge"),
            "Mean last pain rating within each course (NRS 0-10)",
        ),
        change=_mean(
            present("change"),
            "Mean change in pain, admission minus discharge (NRS points; positive = less pain)",
        ),
        responders_2_points=responders(
            "responder_2_points",
            f"Courses with pain at discharge at least {t.responder_min_points} points below"
            " admission, of the courses with a pain rating at admission",
        ),
        responders_30_percent=responders(
            "responder_30_percent",
            f"Courses with pain at discharge at least {t.responder_min_percent} % below"
            " admission, of the courses with admission pain above 0",
        ),
        responders_50_percent=responders(
            "responder_50_percent",
            f"Courses with pain at discharge at least {t.strong_responder_min_percent} % below"
            " admission, of the courses with admission pain above 0",
        ),
        course_length_days=_mean(
            [o.length_days for o in outcomes],
            "Mean course length in infusion days (sessions held; weekends not counted)",
        ),
        lowest_pain_day=_mean(
            present("lowest_pain_day"),
            "Mean course day of the lowest pain rating (earliest day on ties)",
        ),
        max_rate_mg_per_h=_mean(
            present("max_rate_mg_per_h"),
            "Mean of each course's maximum infusion rate (mg/h)",
        ),
        max_rate_mg_per_kg_h=_mean(
            present("max_rate_mg_per_kg_h"),
            "Mean of each course's maximum infusion rate (mg/kg/h)",
            places_below_ten=2,
        ),
        adverse_events=adverse_events,
        follow_ups=tuple(follow_ups),
        courses=outcomes,
    )


def _mean(values: Sequence[int | Fraction], definition: str, places_below_ten: int = 1) -> Mean:
    # sum() of ints and Fractions stays exact; no values, no mean.
    if not values:
        return Mean(None, 0, definition, places_below_ten)
    return Mean(Fraction(sum(values), len(values)), len(values), definition, places_below_ten)
