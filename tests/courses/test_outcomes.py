"""Tests for the pure course-outcome module.

Every expected number below is worked out by hand in the comments from the
definitions in shared/clinical.md ("Each infusion session", "Outcomes"), not
computed by the code under test.
"""

import ast
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from booking.courses import cohort_outcomes as cohort_module
from booking.courses import csv_cells, outcome_figures, outcomes
from booking.courses.cohort_outcomes import cohort_outcomes
from booking.courses.csv_cells import csv_safe
from booking.courses.outcome_figures import Mean, Rate, format_mean, format_percent
from booking.courses.outcomes import (
    ADVERSE_EVENT_CODES,
    CourseRecord,
    FollowUpRecord,
    SessionRecord,
    course_outcome,
)
from booking.intake.scoring import InvalidAnswer, Thresholds


def session(day, before, after, mg_h=None, mg_kg_h=None, events=()):
    return SessionRecord(day, before, after, mg_h, mg_kg_h, tuple(events))


# --- The hand-computed cohort -------------------------------------------------------------

# Course 1, a responder; sessions handed over out of order on purpose.
#   ratings in day order: d1 8, 6 | d2 6, 3 | d3 5, 3
#   admission 8, discharge 3, change 5, percent 100*5/8 = 62.5
#   2 points: 5 >= 2 yes; 30 %: 10*5=50 >= 3*8=24 yes; 50 %: 2*5=10 >= 8 yes
#   lowest 3 after day 2 and after day 3: tied, the earliest, day 2; 3 infusion days
#   mg/h: 10, None, 12.5 -> 12.5; mg/kg/h: 0.1, 0.15, None -> 0.15
#   events: nausea (d1, d2 - one course), dizziness
#   1m pain 5: 8-5=3 >= 2 sustained; 3m pain 7: 8-7=1 not sustained
COURSE_1 = CourseRecord(
    course_id=1,
    sessions=(
        session(3, 5, 3, mg_h=Fraction(25, 2)),
        session(1, 8, 6, mg_h=10, mg_kg_h=Fraction(1, 10), events=["nausea"]),
        session(2, 6, 3, mg_kg_h=Fraction(3, 20), events=["nausea", "dizziness"]),
    ),
    follow_ups=(FollowUpRecord("1m", 5, headache_days=6), FollowUpRecord("3m", 7)),
)

# Course 2: no pain_after on its last day.
#   ratings: d1 6, 5 | d2 5, 3 | d3 4, (missing)
#   admission 6; discharge = the last rating = day 3's pain_before, 4
#   (not day 2's pain_after, 3: the last pain_after given)
#   change 2, percent 100*2/6 = 100/3 (33.3...)
#   2 points yes; 30 %: 20 >= 18 yes; 50 %: 4 >= 6 no
#   lowest 3 on day 2
#   no rates at all; no events
#   1m not answered; 3m pain 3: 6-3=3 sustained
COURSE_2 = CourseRecord(
    course_id=2,
    sessions=(session(1, 6, 5), session(2, 5, 3), session(3, 4, None)),
    follow_ups=(FollowUpRecord("1m", None), FollowUpRecord("3m", 3)),
)

# Course 3: pain got worse.
#   ratings: d1 4, 5 | d2 6, 7; admission 4, discharge 7, change -3, percent -75
#   no responder flag; lowest 4 on day 1; 2 infusion days
#   mg/h 20, 30 -> 30; mg/kg/h none; events nausea, worse_headache
#   1m pain 2: 4-2=2 sustained (though not an immediate responder); no 3m record
COURSE_3 = CourseRecord(
    course_id=3,
    sessions=(
        session(1, 4, 5, mg_h=20),
        session(2, 6, 7, mg_h=30, events=["worse_headache", "nausea"]),
    ),
    follow_ups=(FollowUpRecord("1m", 2),),
)

# Course 4: admission pain 0.
#   ratings: d1 0, 0 | d2 1, 0; admission 0, discharge 0, change 0
#   percent not evaluable; 2 points: 0 >= 2 no (but evaluable); 30 %/50 %: not evaluable
#   lowest 0 on day 1 (tied with day 2's after): day 1; 2 infusion days
#   mg/h 15; mg/kg/h 0.25; no events
#   1m pain 0: 0-0=0 not sustained; 3m not answered
COURSE_4 = CourseRecord(
    course_id=4,
    sessions=(session(1, 0, 0, mg_h=15, mg_kg_h=Fraction(1, 4)), session(2, 1, 0)),
    follow_ups=(FollowUpRecord("1m", 0), FollowUpRecord("3m", None)),
)

COHORT = (COURSE_1, COURSE_2, COURSE_3, COURSE_4)


# --- Per course -----------------------------------------------------------------------


def test_responder_course_has_admission_discharge_and_every_flag():
    outcome = course_outcome(COURSE_1)
    assert (outcome.admission, outcome.discharge, outcome.change) == (8, 3, 5)
    assert outcome.percent_change == Fraction(125, 2)  # 62.5, exact
    assert outcome.responder_2_points is True
    assert outcome.responder_30_percent is True
    assert outcome.responder_50_percent is True
    assert outcome.length_days == 3
    assert outcome.lowest_pain_day == 2
    assert outcome.max_rate_mg_per_h == Fraction(25, 2)
    assert outcome.max_rate_mg_per_kg_h == Fraction(3, 20)
    assert outcome.adverse_events == {"nausea", "dizziness"}
    assert [(f.label, f.sustained) for f in outcome.follow_ups] == [("1m", True), ("3m", False)]
    assert outcome.follow_up("1m").headache_days == 6


def test_sessions_are_ordered_by_course_day_not_by_the_order_given():
    shuffled = course_outcome(COURSE_1)
    in_order = course_outcome(
        CourseRecord(1, tuple(sorted(COURSE_1.sessions, key=lambda s: s.course_day)))
    )
    assert (shuffled.admission, shuffled.discharge) == (in_order.admission, in_order.discharge)


def test_missing_pain_after_on_the_last_day_makes_that_days_pain_before_the_discharge():
    outcome = course_outcome(COURSE_2)
    assert (outcome.admission, outcome.discharge, outcome.change) == (6, 4, 2)
    assert outcome.percent_change == Fraction(100, 3)
    assert (
        outcome.responder_2_points,
        outcome.responder_30_percent,
        outcome.responder_50_percent,
    ) == (True, True, False)


def test_lowest_pain_day_goes_to_the_earliest_of_tied_days():
    # Course 1: 3 after day 2 and 3 after day 3 -> day 2.
    assert course_outcome(COURSE_1).lowest_pain_day == 2
    # Course 4: 0 before and after day 1, 0 after day 2 -> day 1.
    assert course_outcome(COURSE_4).lowest_pain_day == 1


def test_worsening_course_has_a_negative_change_and_no_responder_flag():
    outcome = course_outcome(COURSE_3)
    assert (outcome.admission, outcome.discharge, outcome.change) == (4, 7, -3)
    assert outcome.percent_change == -75
    assert (
        outcome.responder_2_points,
        outcome.responder_30_percent,
        outcome.responder_50_percent,
    ) == (False, False, False)
    assert outcome.lowest_pain_day == 1
    assert outcome.max_rate_mg_per_kg_h is None


def test_admission_pain_0_has_no_percent_change_and_no_percent_responder_flags():
    outcome = course_outcome(COURSE_4)
    assert (outcome.admission, outcome.discharge, outcome.change) == (0, 0, 0)
    # clinical.md: not evaluable, never 0 % or 100 %.
    assert outcome.percent_change is None
    assert outcome.responder_30_percent is None
    assert outcome.responder_50_percent is None
    # The 2-point rule can still be judged: 0 - 0 = 0 < 2.
    assert outcome.responder_2_points is False


def test_missing_first_pain_before_makes_the_course_not_evaluable_for_pain():
    course = CourseRecord(
        9,
        (session(1, None, 5), session(2, 5, 3)),
        follow_ups=(FollowUpRecord("1m", 1),),
    )
    outcome = course_outcome(course)
    # Day 1's pain_after is not "before the first session": no admission.
    assert outcome.admission is None
    assert outcome.discharge == 3
    assert outcome.pain is None
    assert outcome.change is None and outcome.percent_change is None
    assert outcome.responder_2_points is None
    # Answered, but there is nothing to compare the follow-up with.
    assert outcome.answered("1m") is True
    assert outcome.sustained_at("1m") is None


def test_course_without_any_rating_has_no_pain_figures_but_a_length():
    course = CourseRecord(5, (session(1, None, None), session(2, None, None)))
    outcome = course_outcome(course)
    assert (outcome.admission, outcome.discharge, outcome.lowest_pain_day) == (None, None, None)
    assert outcome.length_days == 2


def test_length_counts_infusion_days_not_calendar_days():
    # Days 1-5 over Monday-Friday, then days 6-7 after a weekend: 7 sessions,
    # 9 calendar days. The course length is the 7 infusion days.
    course = CourseRecord(6, tuple(session(day, 5, 4) for day in range(1, 8)))
    assert course_outcome(course).length_days == 7


def test_max_rates_ignore_sessions_without_a_rate():
    # Day 1 None, day 2 3/2, day 3 None -> 3/2; no mg/kg/h at all -> None.
    course = CourseRecord(
        7, (session(1, 5, 4), session(2, 5, 4, mg_h=Fraction(3, 2)), session(3, 4, 4))
    )
    outcome = course_outcome(course)
    assert outcome.max_rate_mg_per_h == Fraction(3, 2)
    assert outcome.max_rate_mg_per_kg_h is None


def test_decimal_rates_from_the_database_convert_exactly():
    course = CourseRecord(8, (session(1, 5, 4, mg_h=Decimal("12.35")),))
    assert course_outcome(course).max_rate_mg_per_h == Fraction(247, 20)


def test_sustained_response_uses_the_clinic_threshold():
    # 8 - 5 = 3 points: sustained at 2 or 3, not at 4.
    strict = Thresholds(responder_min_points=4)
    assert course_outcome(COURSE_1).sustained_at("1m") is True
    assert course_outcome(COURSE_1, strict).sustained_at("1m") is False
    assert course_outcome(COURSE_1, strict).responder_2_points is True  # 5 >= 4


def test_a_follow_up_the_course_does_not_have_is_not_answered():
    outcome = course_outcome(COURSE_3)
    assert outcome.follow_up("3m") is None
    assert outcome.answered("3m") is False
    assert outcome.sustained_at("3m") is None


# --- Cohort ----------------------------------------------------------------------------


@pytest.fixture
def cohort():
    return cohort_outcomes(COHORT)


def test_cohort_pain_means(cohort):
    assert cohort.n.value == 4
    # admission 8, 6, 4, 0 -> 18/4 = 4.5
    assert cohort.admission_pain == Mean(Fraction(9, 2), 4, cohort.admission_pain.definition)
    assert cohort.admission_pain.formatted() == "4.5"
    # discharge 3, 4, 7, 0 -> 14/4 = 3.5
    assert (cohort.discharge_pain.value, cohort.discharge_pain.n) == (Fraction(7, 2), 4)
    # change 5, 2, -3, 0 -> 4/4 = 1
    assert (cohort.change.value, cohort.change.n) == (1, 4)
    assert cohort.change.formatted() == "1.0"


def test_cohort_responder_denominators_differ_by_rule(cohort):
    # 2 points: courses 1 and 2 of the 4 with an admission (course 4's 0 included).
    assert (cohort.responders_2_points.numerator, cohort.responders_2_points.denominator) == (2, 4)
    assert cohort.responders_2_points.formatted() == "50.0"
    # 30 %: courses 1 and 2 of the 3 with admission > 0 (course 4 left out): 2/3.
    assert (cohort.responders_30_percent.numerator, cohort.responders_30_percent.denominator) == (
        2,
        3,
    )
    assert cohort.responders_30_percent.formatted() == "66.7"
    # 50 %: course 1 only, of the same 3: 1/3.
    assert (cohort.responders_50_percent.numerator, cohort.responders_50_percent.denominator) == (
        1,
        3,
    )
    assert cohort.responders_50_percent.formatted() == "33.3"


def test_cohort_course_length_and_day_of_lowest_pain(cohort):
    # lengths 3, 3, 2, 2 -> 10/4 = 2.5
    assert (cohort.course_length_days.value, cohort.course_length_days.n) == (Fraction(5, 2), 4)
    # lowest days 2, 2, 1, 1 -> 6/4 = 1.5
    assert (cohort.lowest_pain_day.value, cohort.lowest_pain_day.n) == (Fraction(3, 2), 4)
    assert cohort.lowest_pain_day.formatted() == "1.5"


def test_cohort_max_rates_are_means_over_courses_with_data(cohort):
    # mg/h: course maxima 12.5, (none), 30, 15 -> 57.5/3 = 115/6 = 19.1666... -> "19.2"
    assert (cohort.max_rate_mg_per_h.value, cohort.max_rate_mg_per_h.n) == (Fraction(115, 6), 3)
    assert cohort.max_rate_mg_per_h.formatted() == "19.2"
    # mg/kg/h: 0.15, (none), (none), 0.25 -> 0.4/2 = 0.2, below 10: two decimals
    assert (cohort.max_rate_mg_per_kg_h.value, cohort.max_rate_mg_per_kg_h.n) == (
        Fraction(1, 5),
        2,
    )
    assert cohort.max_rate_mg_per_kg_h.formatted() == "0.20"


def test_cohort_adverse_event_rates_count_courses_not_sessions(cohort):
    # Nausea on two sessions of course 1 and one of course 3: 2 courses of 4.
    assert cohort.adverse_event("nausea") == Rate(2, 4, cohort.adverse_event("nausea").definition)
    assert cohort.adverse_event("nausea").formatted() == "50.0"
    dizziness = cohort.adverse_event("dizziness")
    assert (dizziness.numerator, dizziness.denominator) == (1, 4)
    assert cohort.adverse_event("worse_headache").formatted() == "25.0"
    # Every code has a row, in the clinical.md order; unseen ones are 0 of N.
    assert [code for code, _ in cohort.adverse_events] == list(ADVERSE_EVENT_CODES)
    assert cohort.adverse_event("hallucinations").formatted() == "0.0"


def test_cohort_sustained_response_over_all_answered_and_immediate_responders(cohort):
    one_month = cohort.follow_up("1m")
    # Sustained at 1m: courses 1 (8-5=3) and 3 (4-2=2); course 2 unanswered,
    # course 4 0-0=0.
    # all: 2 of N=4
    assert (one_month.sustained_all.numerator, one_month.sustained_all.denominator) == (2, 4)
    # answered: courses 1, 3 and 4 -> 2 of 3
    assert (one_month.sustained_answered.numerator, one_month.sustained_answered.denominator) == (
        2,
        3,
    )
    assert one_month.sustained_answered.formatted() == "66.7"
    # immediate responders: courses 1 and 2. Course 1 sustained, course 2
    # unanswered; course 3 is sustained but was no immediate responder,
    # so it is in neither count -> 1 of 2
    immediate = one_month.sustained_immediate_responders
    assert (immediate.numerator, immediate.denominator) == (1, 2)

    three_months = cohort.follow_up("3m")
    # Sustained at 3m: course 2 only (course 1: 8-7=1; courses 3, 4 no answer).
    assert (three_months.sustained_all.numerator, three_months.sustained_all.denominator) == (1, 4)
    # answered: courses 1 and 2 -> 1 of 2
    assert (
        three_months.sustained_answered.numerator,
        three_months.sustained_answered.denominator,
    ) == (1, 2)
    # immediate responders 1 (not sustained) and 2 (sustained) -> 1 of 2
    immediate = three_months.sustained_immediate_responders
    assert (immediate.numerator, immediate.denominator) == (1, 2)


def test_cohort_follow_up_labels_are_configurable_and_keep_their_order():
    result = cohort_outcomes(COHORT, follow_up_labels=("3m", "1m", "6m"))
    assert [f.label for f in result.follow_ups] == ["3m", "1m", "6m"]
    # Nobody answered at 6 months: 0 of 4, and 0 of 0 answered (no percentage).
    six = result.follow_up("6m")
    assert (six.sustained_all.numerator, six.sustained_all.denominator) == (0, 4)
    assert six.sustained_answered.percent is None
    assert six.sustained_answered.formatted() == "\u2014"


def test_cohort_course_without_admission_counts_in_n_and_discharge_but_not_in_change():
    no_admission = CourseRecord(9, (session(1, None, 2),), (FollowUpRecord("1m", 1),))
    result = cohort_outcomes((COURSE_1, no_admission))
    assert result.n.value == 2
    # admission 8 only; discharge 3 and 2 -> 5/2; change 5 only
    assert (result.admission_pain.value, result.admission_pain.n) == (8, 1)
    assert (result.discharge_pain.value, result.discharge_pain.n) == (Fraction(5, 2), 2)
    assert (result.change.value, result.change.n) == (5, 1)
    assert (result.responders_2_points.numerator, result.responders_2_points.denominator) == (1, 1)
    # Course 9 answered at 1m but cannot be sustained: 1 of 2 answered.
    answered = result.follow_up("1m").sustained_answered
    assert (answered.numerator, answered.denominator) == (1, 2)


def test_empty_cohort_has_no_means_and_no_percentages():
    result = cohort_outcomes(())
    assert result.n.value == 0
    for mean in (
        result.admission_pain,
        result.discharge_pain,
        result.change,
        result.course_length_days,
        result.lowest_pain_day,
        result.max_rate_mg_per_h,
        result.max_rate_mg_per_kg_h,
    ):
        assert (mean.value, mean.n) == (None, 0)
        assert mean.formatted() == "\u2014"
    for rate in (
        result.responders_2_points,
        result.responders_30_percent,
        result.responders_50_percent,
        result.adverse_event("nausea"),
        result.follow_up("1m").sustained_all,
        result.follow_up("3m").sustained_immediate_responders,
    ):
        assert (rate.numerator, rate.denominator, rate.percent) == (0, 0, None)
        assert rate.formatted() == "\u2014"
    assert result.courses == ()


def test_cohort_keeps_each_course_outcome_for_the_export(cohort):
    assert [o.course_id for o in cohort.courses] == [1, 2, 3, 4]
    assert cohort.courses[2].change == -3


def test_every_cohort_figure_carries_a_definition(cohort):
    figures = [
        cohort.n,
        cohort.admission_pain,
        cohort.discharge_pain,
        cohort.change,
        cohort.responders_2_points,
        cohort.responders_30_percent,
        cohort.responders_50_percent,
        cohort.course_length_days,
        cohort.lowest_pain_day,
        cohort.max_rate_mg_per_h,
        cohort.max_rate_mg_per_kg_h,
        *(rate for _, rate in cohort.adverse_events),
        *(
            rate
            for f in cohort.follow_ups
            for rate in (f.sustained_all, f.sustained_answered, f.sustained_immediate_responders)
        ),
    ]
    assert all(figure.definition for figure in figures)
    assert "before the first session" in cohort.admission_pain.definition


def test_responder_definitions_follow_the_thresholds():
    result = cohort_outcomes(COHORT, thresholds=Thresholds(responder_min_points=3))
    assert "3 points" in result.responders_2_points.definition
    # Changes 5, 2, -3, 0: only course 1 reaches 3 points.
    assert result.responders_2_points.numerator == 1


# --- Formatting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "numerator, denominator, shown",
    [
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 8, "12.5"),
        (1, 16, "6.3"),  # 6.25: half up, not half to even ("6.2")
        (1, 2000, "0.1"),  # 0.05 up
        (1, 2001, "0.0"),  # 0.04997... down
        (0, 5, "0.0"),
        (5, 5, "100.0"),
        (0, 0, "\u2014"),
    ],
)
def test_percent_has_one_decimal_from_the_counts(numerator, denominator, shown):
    rate = Rate(numerator, denominator)
    assert format_percent(rate) == shown
    assert rate.formatted() == shown


def test_percent_is_exact():
    assert Rate(2, 3).percent == Fraction(200, 3)
    assert Rate(0, 0).percent is None


@pytest.mark.parametrize(
    "value, shown",
    [
        (Fraction(9, 2), "4.5"),
        (Fraction(1, 3), "0.3"),
        (Fraction(2, 3), "0.7"),
        (Fraction(-5, 4), "-1.3"),  # halves away from zero, like ROUND_HALF_UP
        (Fraction(-3, 2), "-1.5"),
        (Fraction(-1, 30), "0.0"),  # never "-0.0"
        (Fraction(4), "4.0"),
        (None, "\u2014"),
    ],
)
def test_mean_has_one_decimal(value, shown):
    assert format_mean(Mean(value, 0 if value is None else 1)) == shown


def test_one_decimal_agrees_with_decimal_round_half_up_on_exact_values():
    # For these denominators the Decimal division is exact, so Decimal's own
    # ROUND_HALF_UP is the reference.
    for denominator in (1, 2, 4, 5, 8, 16, 20, 25, 40, 80, 125, 200):
        for numerator in range(-300, 301):
            exact = Decimal(numerator) / Decimal(denominator)
            expected = str(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            expected = "0.0" if expected == "-0.0" else expected
            assert format_mean(Mean(Fraction(numerator, denominator), 1)) == expected


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),  # we never write a plus sign; a spreadsheet reads it as a formula
        ("-1", "-1"),
        ("-1.5", "-1.5"),  # a negative number we produced stays a number
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain text", "plain text"),
        ("33.3", "33.3"),
        ("-", "'-"),
        ("-1.5+cmd|' /C calc'!A0", "'-1.5+cmd|' /C calc'!A0"),
        ("-1.", "'-1."),
        ("-1e3", "'-1e3"),
        ("-\u0661", "'-\u0661"),  # an Arabic-Indic digit is not a plain number
        ("", ""),
        (None, ""),
        (-3, "-3"),
        (Decimal("-1.5"), "-1.5"),
    ],
)
def test_csv_safe_escapes_formulas_but_keeps_numbers(value, cell):
    assert csv_safe(value) == cell


def test_csv_safe_keeps_a_formatted_negative_mean_a_number():
    assert csv_safe(format_mean(Mean(Fraction(-3, 2), 2))) == "-1.5"


# --- Input checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "course",
    [
        CourseRecord(1, (session(1, 5, 4), session(1, 4, 3))),  # day 1 twice
        CourseRecord(1, (session(8, 5, 4),)),  # course day 1-7
        CourseRecord(1, (session(0, 5, 4),)),
        CourseRecord(1, (session(1, 11, 4),)),  # NRS 0-10
        CourseRecord(1, (session(1, 5, True),)),  # a tick box is not a rating
        CourseRecord(1, (session(1, 5, 4, events=["headache"]),)),  # unknown code
        CourseRecord(1, (session(1, 5, 4, mg_h=1.5),)),  # floats are not exact
        CourseRecord(1, (session(1, 5, 4, mg_kg_h=-1),)),
        CourseRecord(1, (session(1, 5, 4),), (FollowUpRecord("1m", 12),)),
        CourseRecord(1, (session(1, 5, 4),), (FollowUpRecord("1m", 3, headache_days=32),)),
        CourseRecord(1, (session(1, 5, 4),), (FollowUpRecord("1m", 3), FollowUpRecord("1m", 2))),
    ],
)
def test_invalid_course_is_refused(course):
    with pytest.raises(InvalidAnswer):
        course_outcome(course)


def test_a_course_given_twice_is_refused():
    with pytest.raises(InvalidAnswer):
        cohort_outcomes((COURSE_1, COURSE_1))


@pytest.mark.parametrize("module", [outcomes, cohort_module, outcome_figures, csv_cells])
def test_outcomes_modules_import_only_the_standard_library_and_scoring(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
    assert imported <= {
        "collections.abc",
        "dataclasses",
        "decimal",
        "fractions",
        "booking.intake.scoring",
        ".outcomes",
        ".outcome_figures",
    }


# --- Attendance, admission on course day 1, follow-up windows (issue 12) -------------------


@pytest.mark.parametrize(
    "status, recorded, attended",
    [
        ("booked", False, False),  # never marked, nothing recorded: nobody came
        ("no_show", False, False),
        ("cancelled", False, False),
        ("arrived", False, True),
        ("completed", False, True),
        ("booked", True, True),  # the desk forgot to mark it; the clinician recorded it
        ("no_show", True, True),  # a typed infusion record outweighs a no-show mark
        ("cancelled", True, False),  # a cancelled session never counts
    ],
)
def test_a_session_is_attended_when_marked_arrived_or_completed_or_recorded(
    status, recorded, attended
):
    assert outcomes.session_attended(status, recorded) is attended


def test_admission_is_never_taken_from_day_2_when_day_1_has_no_record():
    # Day 1 not recorded; day 2 7 -> 3, day 3 4 -> 2. Admission would be 7 if
    # day 2 stood in: it may not. Discharge is still the last rating, 2.
    course = CourseRecord(11, (session(2, 7, 3), session(3, 4, 2)))
    outcome = course_outcome(course)
    assert outcome.admission is None
    assert outcome.admission_missing == outcomes.NO_FIRST_SESSION_RECORD
    assert (outcome.change, outcome.percent_change) == (None, None)
    assert (
        outcome.responder_2_points,
        outcome.responder_30_percent,
        outcome.responder_50_percent,
    ) == (None, None, None)
    assert outcome.discharge == 2
    assert outcome.length_days == 2


def test_a_day_1_record_without_pain_before_says_so():
    outcome = course_outcome(CourseRecord(12, (session(1, None, 5), session(2, 5, 3))))
    assert outcome.admission is None
    assert outcome.admission_missing == outcomes.NO_FIRST_PAIN_BEFORE
    assert course_outcome(COURSE_1).admission_missing is None


def test_a_course_nobody_attended_is_left_out_and_counted():
    # The bug seen: a 5-day course with nausea plus a course nobody attended
    # gave "course length 2.5 days, nausea 1 of 2". Left out, it is 5.0 days
    # and 1 of 1, and the course is counted as not attended.
    five_days = CourseRecord(
        20, tuple(session(day, 6, 4, events=["nausea"] if day == 1 else []) for day in range(1, 6))
    )
    nobody = CourseRecord(21, (), attended=False)
    result = cohort_outcomes((five_days, nobody))
    assert result.n.value == 1
    assert result.not_attended.value == 1
    assert result.course_length_days.formatted() == "5.0"
    nausea = result.adverse_event("nausea")
    assert (nausea.numerator, nausea.denominator) == (1, 1)
    assert [o.course_id for o in result.courses] == [20]
    assert result.not_attended.definition and result.pain_not_evaluable.definition


def test_a_course_without_day_1_counts_in_n_but_not_in_the_pain_figures():
    # COHORT admissions 8, 6, 4, 0 (mean 4.5 of 4). Course 11 (day 1 missing,
    # day 2 before 7) is in N (5) and counted as not evaluable; the admission
    # mean stays 4.5 of 4 (it would be 25/5 = 5.0 with day 2's 7).
    day_2_only = CourseRecord(11, (session(2, 7, 3), session(3, 4, 2)))
    result = cohort_outcomes(COHORT + (day_2_only,))
    assert result.n.value == 5
    assert result.pain_not_evaluable.value == 1
    assert (result.admission_pain.formatted(), result.admission_pain.n) == ("4.5", 4)
    assert (result.change.value, result.change.n) == (1, 4)
    assert result.responders_2_points.denominator == 4
    # Its discharge (2) is a rating like any other: 14 + 2 = 16 over 5.
    assert (result.discharge_pain.value, result.discharge_pain.n) == (Fraction(16, 5), 5)


WINDOWS = {"1m": (21, 45), "3m": (75, 120)}


@pytest.mark.parametrize(
    "label, days, timing",
    [
        ("1m", 20, outcomes.EARLY),
        ("1m", 21, outcomes.ON_TIME),
        ("1m", 45, outcomes.ON_TIME),
        ("1m", 46, outcomes.LATE),
        ("3m", 74, outcomes.EARLY),
        ("3m", 75, outcomes.ON_TIME),
        ("3m", 120, outcomes.ON_TIME),
        ("3m", 121, outcomes.LATE),
        ("6m", 400, outcomes.ON_TIME),  # a label without a window takes every answer
    ],
)
def test_an_answer_counts_only_inside_its_window(label, days, timing):
    assert outcomes.answer_timing(days, WINDOWS.get(label)) == timing
    course = CourseRecord(30, (session(1, 8, 4),), (FollowUpRecord(label, 5, 3, days),))
    outcome = course_outcome(course, windows=WINDOWS)
    follow_up = outcome.follow_up(label)
    assert (follow_up.timing, follow_up.days_after_course, follow_up.pain) == (timing, days, 5)
    assert outcome.answered(label) is (timing == outcomes.ON_TIME)
    assert outcome.answered_late(label) is (timing == outcomes.LATE)
    # 8 - 5 = 3: sustained, but only an answer inside the window is judged.
    assert outcome.sustained_at(label) is (True if timing == outcomes.ON_TIME else None)


def test_the_cohort_counts_late_answers_apart_and_gives_the_mean_days_to_answer():
    # Five courses, admission 8. 1-month answers (days after the last session, pain):
    #   W1 20 (2: early), W2 21 (5: 8-5=3 sustained), W3 45 (7: 8-7=1 not sustained),
    #   W4 46 (1: late), W5 30 (6: 8-6=2 sustained).
    #   Counted: W2, W3, W5 -> sustained of those who answered 2 of 3, of all 2 of 5;
    #   late 1, early 1; mean days (21 + 45 + 30) / 3 = 32.0 (over every answer it
    #   would be 162/5 = 32.4).
    # 3-month answers: W1 74 (early), W2 75, W3 120, W4 121 (late), W5 none.
    #   Counted W2, W3: mean (75 + 120) / 2 = 97.5; late 1, early 1.
    answers = {
        1: ((20, 2), (74, 3)),
        2: ((21, 5), (75, 5)),
        3: ((45, 7), (120, 7)),
        4: ((46, 1), (121, 1)),
        5: ((30, 6), None),
    }
    courses = []
    for course_id, (one, three) in answers.items():
        follow_ups = [FollowUpRecord("1m", one[1], 4, one[0])]
        if three is not None:
            follow_ups.append(FollowUpRecord("3m", three[1], 4, three[0]))
        courses.append(CourseRecord(course_id, (session(1, 8, 4),), tuple(follow_ups)))
    result = cohort_outcomes(courses, windows=WINDOWS)

    one = result.follow_up("1m")
    assert (one.sustained_answered.numerator, one.sustained_answered.denominator) == (2, 3)
    assert (one.sustained_all.numerator, one.sustained_all.denominator) == (2, 5)
    assert (one.answered_late.value, one.answered_early.value) == (1, 1)
    assert (one.days_to_answer.formatted(), one.days_to_answer.n) == ("32.0", 3)
    assert one.window == (21, 45)

    three = result.follow_up("3m")
    assert (three.answered_late.value, three.answered_early.value) == (1, 1)
    assert (three.days_to_answer.formatted(), three.days_to_answer.n) == ("97.5", 2)
    # W2 (8-5=3) sustained, W3 (8-7=1) not: 1 of the 2 counted answers.
    assert (three.sustained_answered.numerator, three.sustained_answered.denominator) == (1, 2)
    assert all(f.answered_late.definition and f.days_to_answer.definition
               for f in result.follow_ups)


def test_without_windows_every_answer_counts():
    course = CourseRecord(31, (session(1, 8, 4),), (FollowUpRecord("1m", 5, 3, 300),))
    assert course_outcome(course).answered("1m") is True


@pytest.mark.parametrize(
    "windows",
    [{"1m": (45, 21)}, {"1m": (-1, 45)}, {"1m": (21.5, 45)}, {"1m": 30}, [("1m", (21, 45))]],
)
def test_invalid_windows_are_refused(windows):
    with pytest.raises(InvalidAnswer):
        cohort_outcomes((COURSE_1,), windows=windows)


def test_an_answer_without_its_day_cannot_be_placed_in_a_window():
    course = CourseRecord(32, (session(1, 8, 4),), (FollowUpRecord("1m", 5),))
    with pytest.raises(InvalidAnswer):
        course_outcome(course, windows=WINDOWS)


@pytest.mark.parametrize(
    "value, shown",
    [
        (Fraction(21, 25), "0.84"),  # not "0.8"
        (Fraction(2, 3), "0.67"),
        (Fraction(1, 200), "0.01"),  # 0.005: half up
        (Fraction(9994, 1000), "9.99"),
        (Fraction(9996, 1000), "10.0"),  # rounds to 10.00: not below 10, one decimal
        (Fraction(25, 2), "12.5"),  # as before
        (Fraction(3), "3.00"),
        (None, "\u2014"),
    ],
)
def test_a_mean_rate_in_mg_per_kg_h_below_10_has_two_decimals(value, shown):
    assert format_mean(Mean(value, 0 if value is None else 1, places_below_ten=2)) == shown


def test_the_cohort_shows_mg_per_kg_h_with_two_decimals_and_mg_per_h_as_before():
    # mg/kg/h maxima 0.8 and 0.88 -> 0.84; mg/h maxima 0.8 and 0.88 -> "0.8".
    courses = (
        CourseRecord(40, (session(1, 5, 4, mg_h=Fraction(4, 5), mg_kg_h=Fraction(4, 5)),)),
        CourseRecord(41, (session(1, 5, 4, mg_h=Fraction(22, 25), mg_kg_h=Fraction(22, 25)),)),
    )
    result = cohort_outcomes(courses)
    assert result.max_rate_mg_per_kg_h.formatted() == "0.84"
    assert result.max_rate_mg_per_h.formatted() == "0.8"
    assert result.course_length_days.formatted() == "1.0"
