"""Tests for the pure diary figures (booking/diary/figures.py).

Every expected value comes from shared/clinical.md, "Headache diary and durability", worked
examples E1-E6, or is worked out by hand in the comments from its definitions: never from the
code under test.
"""
import ast
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from booking.diary import figures
from booking.diary.figures import (
    AT_LEAST_4_H,
    FROM_30_MIN_TO_4_H,
    UNDER_30_MIN,
    CourseDiary,
    DayEntry,
    FollowUpPain,
    Observation,
    Settings,
    classify,
    classify_all,
    course_windows,
    diary_cohort,
    product_limit,
    window_figures,
)
from booking.intake.scoring import InvalidAnswer

FIRST = date(2026, 11, 2)  # a course's first session (Monday)
END = date(2026, 11, 6)  # its last session: day 0
BASELINE_FIRST = date(2026, 10, 5)  # FIRST - 28 days
LONG_AFTER = date(2027, 6, 1)  # "today" when every window is over


def no_headache(day):
    return DayEntry(day, False)


def headache(day, duration=FROM_30_MIN_TO_4_H, pain=5, medicines=(), **features):
    return DayEntry(day, True, duration=duration, worst_pain=pain, medicines=tuple(medicines),
                    **features)


def filled(first, count, headache_dates=()):
    """`count` consecutive filled dates from `first`; the dates in headache_dates (day
    numbers 1.. from first) have a 30 min-4 h headache, the others none."""
    entries = []
    for n in range(1, count + 1):
        day = first + timedelta(days=n - 1)
        entries.append(headache(day) if n in headache_dates else no_headache(day))
    return entries


def window(first, key="B1", index=1):
    return figures.Window(key, first, first + timedelta(days=27), index)


# --- Days (E2, E4) ---------------------------------------------------------------------------

def test_e2_four_headache_dates_give_4_headache_3_migraine_days_and_their_medicines():
    a = headache(date(2026, 11, 1), AT_LEAST_4_H, 6, one_side=True, throbbing=True,
                 nausea_vomiting=True)
    b = headache(date(2026, 11, 2), FROM_30_MIN_TO_4_H, 8, ["triptan"], one_side=True,
                 throbbing=True, light_hurts=True, sound_hurts=True, felt_like_migraine=True,
                 relief_2h="mild")
    c = headache(date(2026, 11, 3), FROM_30_MIN_TO_4_H, 3, ["nsaid"])
    d = headache(date(2026, 11, 4), AT_LEAST_4_H, 5, worse_with_activity=True,
                 light_hurts=True)
    days = classify_all([a, b, c, d])
    assert [days[e.day].migraine_day for e in (a, b, c, d)] == [True, True, False, True]
    assert days[d.day].probable  # B (>= 4 h) and C (moderate + worse with activity), not D
    result = window_figures(days, figures.Window("x", date(2026, 11, 1), date(2026, 11, 28), 1))
    assert result.counts[figures.HEADACHE_DAYS] == 4
    assert result.counts[figures.MIGRAINE_DAYS] == 3
    assert result.counts[figures.MODERATE_SEVERE_DAYS] == 3  # pains 6, 8, 5 (not 3)
    assert result.counts[figures.ACUTE_MEDICATION_DAYS] == 2
    assert result.counts["triptan"] == 1
    assert result.counts[figures.NON_OPIOID] == 1


@pytest.mark.parametrize("entry, headache_day", [
    (headache(date(2026, 1, 1), UNDER_30_MIN), False),  # short and untreated
    (headache(date(2026, 1, 1), UNDER_30_MIN, medicines=["paracetamol"]), True),  # treated
    (headache(date(2026, 1, 1), FROM_30_MIN_TO_4_H), True),
    (headache(date(2026, 1, 1), AT_LEAST_4_H, pain=1), True),
    (no_headache(date(2026, 1, 1)), False),
])
def test_a_headache_day_is_30_minutes_or_more_or_any_treated_headache(entry, headache_day):
    assert classify(entry).headache_day is headache_day


def test_a_short_untreated_headache_is_never_a_migraine_day_whatever_its_features():
    entry = headache(date(2026, 1, 1), UNDER_30_MIN, 9, one_side=True, throbbing=True,
                     nausea_vomiting=True, aura="visual")
    assert not classify(entry).migraine_day


def test_aura_makes_a_headache_day_a_migraine_day():
    assert classify(headache(date(2026, 1, 1), pain=2, aura="visual")).migraine_day
    assert classify(headache(date(2026, 1, 1), pain=2, aura="other")).migraine_day
    assert not classify(headache(date(2026, 1, 1), pain=2)).migraine_day


@pytest.mark.parametrize("relief, migraine", [("none", True), ("mild", True),
                                              ("moderate", False), ("severe", False)])
def test_felt_like_migraine_and_relieved_by_a_triptan_counts_only_when_relief_is_none_or_mild(
        relief, migraine):
    # No B (30 min-4 h), no C (pain 3, no features), no D: only the triptan rule can make it.
    entry = headache(date(2026, 1, 1), FROM_30_MIN_TO_4_H, 3, ["triptan"],
                     felt_like_migraine=True, relief_2h=relief)
    assert classify(entry).migraine_day is migraine


def test_light_alone_or_sound_alone_is_not_criterion_d():
    # B yes (>= 4 h); C no (pain 2, one feature); D needs light AND sound, or nausea.
    light = headache(date(2026, 1, 1), AT_LEAST_4_H, 2, one_side=True, light_hurts=True)
    both = headache(date(2026, 1, 1), AT_LEAST_4_H, 2, one_side=True, light_hurts=True,
                    sound_hurts=True)
    assert not classify(light).migraine_day
    assert classify(both).migraine_day


def test_e4_class_days_are_distinct_dates_and_give_the_multiple_class_pattern():
    first = date(2027, 2, 1)

    def on(n):
        return first + timedelta(days=n - 1)

    taken = {}
    for n in (2, 5, 9, 12, 16, 19, 23, 26):
        taken.setdefault(n, []).append("triptan")  # sumatriptan
    for n in (5, 27):
        taken.setdefault(n, []).append("triptan")  # rizatriptan: 5 is already a triptan day
    for n in (1, 3, 4, 6, 7):
        taken.setdefault(n, []).append("nsaid")  # ibuprofen
    for n in (8, 10, 11):
        taken.setdefault(n, []).append("paracetamol")
    taken.setdefault(13, []).append("combination_analgesic")  # paracetamol + codeine
    entries = [headache(on(n), medicines=taken[n]) if n in taken else no_headache(on(n))
               for n in range(1, 29)]
    result = window_figures(classify_all(entries), window(first), today=LONG_AFTER)
    assert result.filled == 28
    assert result.counts["triptan"] == 9
    assert result.counts[figures.NON_OPIOID] == 8
    assert result.counts["combination_analgesic"] == 1
    assert result.counts[figures.ACUTE_MEDICATION_DAYS] == 18
    pattern = figures.medication_pattern(result)
    assert pattern.classes_at_threshold == ()  # 9 < 10 triptan days, 8 < 15 non-opioid days
    assert pattern.multiple_classes  # 18 >= 10 days with any acute medicine


def test_a_day_without_headache_cannot_carry_details():
    with pytest.raises(InvalidAnswer):
        classify(DayEntry(date(2026, 1, 1), False, worst_pain=3))
    with pytest.raises(InvalidAnswer):
        classify(DayEntry(date(2026, 1, 1), False, medicines=("triptan",)))


@pytest.mark.parametrize("entry", [
    DayEntry(date(2026, 1, 1), True, duration=None, worst_pain=3),
    DayEntry(date(2026, 1, 1), True, duration="forever", worst_pain=3),
    DayEntry(date(2026, 1, 1), True, duration=UNDER_30_MIN, worst_pain=11),
    DayEntry(date(2026, 1, 1), True, duration=UNDER_30_MIN, worst_pain=True),
    DayEntry(date(2026, 1, 1), True, duration=UNDER_30_MIN, worst_pain=3, medicines=("aspirine",)),
    # pain 2 h after a triptan is asked only when a triptan or an ergot was taken
    DayEntry(date(2026, 1, 1), True, duration=UNDER_30_MIN, worst_pain=3, medicines=("nsaid",),
             relief_2h="none"),
])
def test_an_entry_out_of_range_is_refused(entry):
    with pytest.raises(InvalidAnswer):
        classify(entry)


def test_two_entries_for_one_date_are_refused():
    with pytest.raises(InvalidAnswer):
        classify_all([no_headache(date(2026, 1, 1)), headache(date(2026, 1, 1))])


# --- Windows and completeness (E1) --------------------------------------------------------------

def test_baseline_is_the_28_days_before_the_first_session_and_blocks_count_from_the_last():
    baseline, b1, b2, b3 = course_windows(FIRST, END, 3)
    assert (baseline.first, baseline.last) == (date(2026, 10, 5), date(2026, 11, 1))
    assert (b1.first, b1.last) == (date(2026, 11, 7), date(2026, 12, 4))  # days 1-28
    assert (b2.first, b2.last) == (date(2026, 12, 5), date(2027, 1, 1))  # days 29-56
    assert (b3.first, b3.last) == (date(2027, 1, 2), date(2027, 1, 29))  # days 57-84
    assert [w.end_time for w in (b1, b2, b3)] == [28, 56, 84]


def test_e1_26_of_28_filled_with_9_headache_dates_is_9_7_and_evaluable():
    entries = filled(BASELINE_FIRST, 26, headache_dates=range(1, 10))
    result = window_figures(classify_all(entries), course_windows(FIRST, END)[0],
                            today=LONG_AFTER)
    assert result.evaluable
    assert result.filled == 26
    assert result.monthly() == Fraction(9 * 28, 26)  # 9.6923...
    assert result.shown() == "9.7"
    # Counting the two missing dates as headache-free would give 9: wrong.
    assert result.monthly() != 9


def test_e1_with_20_filled_the_window_is_not_evaluable_and_has_no_value():
    entries = filled(BASELINE_FIRST, 20, headache_dates=range(1, 10))
    result = window_figures(classify_all(entries), course_windows(FIRST, END)[0],
                            today=LONG_AFTER)
    assert not result.evaluable
    assert result.status == figures.TOO_FEW_DAYS
    assert result.monthly() is None and result.shown() is None


def test_21_filled_dates_are_enough_and_the_minimum_is_a_setting():
    entries = filled(BASELINE_FIRST, 21, headache_dates=(1,))
    days = classify_all(entries)
    baseline = course_windows(FIRST, END)[0]
    assert window_figures(days, baseline, today=LONG_AFTER).evaluable
    assert not window_figures(days, baseline, today=LONG_AFTER, min_filled=22).evaluable


def test_a_window_that_has_not_ended_has_no_figure_yet():
    entries = filled(END + timedelta(days=1), 25, headache_dates=(1,))
    b1 = course_windows(FIRST, END)[1]
    assert window_figures(classify_all(entries), b1, today=b1.last).status == figures.NOT_OVER
    assert window_figures(classify_all(entries), b1,
                          today=b1.last + timedelta(days=1)).status == figures.EVALUABLE


def test_the_dst_day_is_one_day_like_any_other():
    # Kyiv leaves summer time on Sunday 25 October 2026: a window across it holds 28 dates,
    # and an entry on that date counts once.
    first = date(2026, 10, 12)
    around = window(first)
    assert around.contains(date(2026, 10, 25))
    assert len(around.dates()) == 28
    entries = filled(first, 28, headache_dates=(14,))  # day 14 = 25 October
    assert entries[13].day == date(2026, 10, 25)
    result = window_figures(classify_all(entries), around, today=LONG_AFTER)
    assert result.filled == 28 and result.counts[figures.HEADACHE_DAYS] == 1


def test_missing_dates_never_count_as_headache_free_on_the_calendar():
    days = classify_all([no_headache(date(2026, 12, 1)), headache(date(2026, 12, 2))])
    month = figures.calendar_month(date(2026, 12, 1), days, today=date(2026, 12, 4))
    states = {cell.day.day: cell.state for cell in month.days}
    assert states[1] == figures.NO_HEADACHE
    assert states[2] == figures.HEADACHE
    assert states[3] == figures.MISSING and states[4] == figures.MISSING  # today, not filled
    assert states[5] == figures.FUTURE
    assert month.filled == 2 and month.days_in_month == 31
    assert all(len(week) == 7 for week in month.weeks)
    assert month.weeks[0][0].day == date(2026, 11, 30) and month.weeks[0][0].outside


# --- Responders (E3) --------------------------------------------------------------------------

def course_with(baseline_days, baseline_filled, block_days, block_filled=28, course_id=1,
                **extra):
    """A course whose baseline has `baseline_days` headache dates of `baseline_filled` filled,
    and whose B1 has `block_days` of `block_filled`."""
    entries = filled(BASELINE_FIRST, baseline_filled, range(1, baseline_days + 1))
    entries += filled(END + timedelta(days=1), block_filled, range(1, block_days + 1))
    return CourseDiary(course_id, FIRST, END, tuple(entries), **extra)


def test_e3_exactly_half_is_a_50_percent_responder_and_also_30_but_not_75():
    outcome = figures.course_diary_outcome(course_with(13, 26, 7), LONG_AFTER)
    response, reason = outcome.responses[("B1", figures.HEADACHE_DAYS)]
    assert reason is None
    assert response.baseline == 14  # 13 x 28 / 26
    assert response.block == 7
    assert response.reduction == Fraction(1, 2)
    assert (response.at_least_50, response.at_least_30, response.at_least_75) == (True, True,
                                                                                   False)


def test_e3_trap_the_exact_baseline_gives_49_4_percent_30_only():
    outcome = figures.course_diary_outcome(course_with(11, 26, 6), LONG_AFTER)
    response, _reason = outcome.responses[("B1", figures.HEADACHE_DAYS)]
    assert response.baseline == Fraction(11 * 28, 26)  # 11.846..., not 12
    assert round(float(response.reduction) * 100, 1) == 49.4
    assert not response.at_least_50  # rounding B to 12 first would wrongly give 50 %
    assert response.at_least_30 and not response.at_least_75


def test_a_75_percent_responder():
    # B = 16 (16 of 28), F = 4: 4 x 4 = 16 <= 16.
    response, _ = figures.course_diary_outcome(course_with(16, 28, 4), LONG_AFTER).responses[
        ("B1", figures.HEADACHE_DAYS)]
    assert response.at_least_75


@pytest.mark.parametrize("course, reason", [
    (course_with(10, 20, 2), "baseline_not_evaluable"),  # 20 of 28 filled
    (course_with(3, 28, 0), "baseline_below_minimum"),  # B = 3 < 4
    (course_with(10, 28, 2, block_filled=15), "block_too_few_days"),
])
def test_a_course_out_of_the_responders_is_counted_with_its_reason(course, reason):
    outcome = figures.course_diary_outcome(course, LONG_AFTER)
    assert outcome.responses[("B1", figures.HEADACHE_DAYS)] == (None, reason)


def test_responder_rates_count_over_evaluable_courses_and_print_the_not_evaluable_apart():
    courses = [
        course_with(14, 28, 7, course_id=1),  # B 14, F 7: 50 %, 30 %
        course_with(10, 28, 8, course_id=2),  # B 10, F 8: 20 %: neither
        course_with(10, 20, 2, course_id=3),  # no evaluable baseline
        course_with(2, 28, 0, course_id=4),  # baseline 2 < 4
    ]
    cohort = diary_cohort(courses, LONG_AFTER)
    b1 = cohort.responders_for("B1")
    assert (b1.at_least_50.numerator, b1.at_least_50.denominator) == (1, 2)
    assert (b1.at_least_30.numerator, b1.at_least_30.denominator) == (1, 2)
    assert (b1.at_least_75.numerator, b1.at_least_75.denominator) == (0, 2)
    assert dict((reason, count.value) for reason, count in b1.not_evaluable) == {
        "baseline_not_evaluable": 1, "baseline_below_minimum": 1, "block_too_few_days": 0,
        "block_not_over": 0, "block_after_new_treatment": 0}
    assert b1.not_evaluable_total == 2
    # Means over evaluable windows only: baselines 14, 10, 2 (course 3 out) -> 26/3 = 8.7.
    baseline = cohort.window("baseline")
    assert baseline.headache_days.value == Fraction(26, 3) and baseline.headache_days.n == 3
    assert baseline.headache_days.formatted() == "8.7"
    # B1 of every course is evaluable (28 filled): 7, 8, 2, 0 -> 17/4.
    assert cohort.window("B1").headache_days.value == Fraction(17, 4)
    # Reductions over courses with both evaluable: 14-7, 10-8, 2-0 -> 11/3 = 3.7.
    assert cohort.window("B1").headache_days_reduction.value == Fraction(11, 3)
    assert cohort.without_baseline.value == 1


# --- Relapse and durability (E5, E6) -------------------------------------------------------

def block_entries(k, headache_count, count=28):
    """Entries of block Bk after END: `headache_count` headache dates of `count` filled."""
    first = END + timedelta(days=28 * (k - 1) + 1)
    return filled(first, count, range(1, headache_count + 1))


def e5_course(course_id, blocks, immediate=True):
    """Baseline 14 of 28 (B = 14); `blocks` = [(headache dates, filled), ...] for B1.."""
    entries = filled(BASELINE_FIRST, 28, range(1, 15))
    for k, (days, count) in enumerate(blocks, start=1):
        entries += block_entries(k, days, count)
    return CourseDiary(course_id, FIRST, END, tuple(entries), immediate_responder=immediate)


E5 = [
    e5_course(1, [(10, 28)]),  # P1: B1 10 > 7: not a responder -> event at 28
    e5_course(2, [(5, 28), (5, 10)]),  # P2: relieved in B1, B2 10 filled -> censored at 28
    e5_course(3, [(5, 28), (9, 28)]),  # P3: relapses in B2 -> event at 56
    e5_course(4, [(5, 28), (6, 28), (7, 28)]),  # P4: relieved through B3 (7 = half) -> cens. 84
    e5_course(5, [(5, 28), (7, 28), (8, 28)]),  # P5: relapses in B3 -> event at 84
]


def test_e5_product_limit_durability_under_r1():
    cohort = diary_cohort(E5, LONG_AFTER)
    durability = cohort.durability_all
    assert [(o.course_id, o.time, o.event) for o in durability.observations] == [
        (1, 28, True), (2, 28, False), (3, 56, True), (4, 84, False), (5, 84, True)]
    s28, s56, s84 = (durability.at(t) for t in (28, 56, 84))
    assert (s28.survival, s28.at_risk, s28.shown()) == (Fraction(4, 5), 5, "80.0")
    assert (s56.survival, s56.at_risk, s56.shown()) == (Fraction(8, 15), 3, "53.3")
    assert (s84.survival, s84.at_risk, s84.shown()) == (Fraction(4, 15), 2, "26.7")
    assert (durability.events, durability.censored, durability.median) == (3, 2, 84)
    assert durability.population.value == 5
    # The naive "1 of 5 still relieved" (20 %) is not what is reported.
    assert s84.survival != Fraction(1, 5)


def test_events_come_before_censorings_at_the_same_time():
    # One event and one censoring at 28: both at risk at 28 (n = 2), S(28) = 1/2.
    result = product_limit([Observation(1, 28, True), Observation(2, 28, False)], (28, 56))
    assert result.at(28).survival == Fraction(1, 2) and result.at(28).at_risk == 2
    assert result.at(56).at_risk == 0 and result.at(56).survival is None  # nobody followed
    assert result.median == 28


def test_the_median_is_none_until_survival_falls_to_half():
    result = product_limit([Observation(1, 28, True), Observation(2, 84, False),
                            Observation(3, 84, False)], (28, 56, 84))
    assert result.at(84).survival == Fraction(2, 3)
    assert result.median is None


def test_the_immediate_responders_are_a_population_of_their_own():
    courses = [e5_course(c.course_id, [], immediate=c.course_id != 1) for c in E5]
    courses = [CourseDiary(c.course_id, c.first_day, c.end_day, e.entries,
                           immediate_responder=c.immediate_responder)
               for c, e in zip(courses, E5)]
    cohort = diary_cohort(courses, LONG_AFTER)
    assert cohort.durability_all.population.value == 5
    assert cohort.durability_immediate.population.value == 4  # P1 was not immediate
    # Without P1 (its event at 28): S(28) = 1; at 56 at risk P3, P4, P5: 2/3; at 84: 1/3.
    immediate = cohort.durability_immediate
    assert immediate.at(28).survival == 1
    assert immediate.at(56).survival == Fraction(2, 3)
    assert immediate.at(84).survival == Fraction(1, 3)


def test_a_course_without_an_evaluable_baseline_is_not_in_the_durability():
    course = course_with(10, 20, 2)
    assert figures.course_diary_outcome(course, LONG_AFTER).observation is None


def test_r2_relapse_is_back_to_the_baseline_or_above():
    course = e5_course(1, [(10, 28), (14, 28)])  # B1 10 < 14: relieved under R2; B2 14 >= 14
    r2 = figures.course_diary_outcome(course, LONG_AFTER, Settings(rule="R2")).observation
    r1 = figures.course_diary_outcome(course, LONG_AFTER, Settings(rule="R1")).observation
    assert (r2.time, r2.event) == (56, True)
    assert (r1.time, r1.event) == (28, True)


def test_a_new_course_censors_the_day_before_it_starts():
    # B2 would be a relapse, but a new course starts inside B2: censored at the end of B1.
    course = e5_course(1, [(5, 28), (10, 28)])
    course = CourseDiary(1, FIRST, END, course.entries, censor_on=END + timedelta(days=40))
    outcome = figures.course_diary_outcome(course, LONG_AFTER)
    assert (outcome.observation.time, outcome.observation.event) == (28, False)
    assert outcome.block("B2").status == figures.AFTER_NEW_TREATMENT


def test_the_end_of_follow_up_censors_a_block_still_running():
    course = e5_course(1, [(5, 28), (3, 10)])
    today = END + timedelta(days=40)  # B2 runs until day 56
    observation = figures.course_diary_outcome(course, today).observation
    assert (observation.time, observation.event, observation.why) == (28, False,
                                                                      "end_of_follow_up")


def test_e6_pain_rule_r3_relapses_at_three_months():
    # Admission 8, discharge 5: immediate responder. 1 month pain 6: 8 - 6 = 2, sustained;
    # 3 months pain 7: 8 - 7 = 1, not sustained -> relapse at 3 months (time 84).
    course = CourseDiary(
        1, FIRST, END, tuple(filled(BASELINE_FIRST, 28, range(1, 11))),
        immediate_responder=True, admission=8,
        follow_ups=(FollowUpPain(28, 6, END + timedelta(days=30)),
                    FollowUpPain(84, 7, END + timedelta(days=90))))
    observation = figures.course_diary_outcome(course, LONG_AFTER, Settings(rule="R3")).observation
    assert (observation.time, observation.event) == (84, True)


def test_settings_are_checked():
    with pytest.raises(InvalidAnswer):
        diary_cohort([], LONG_AFTER, Settings(rule="R4"))
    with pytest.raises(InvalidAnswer):
        diary_cohort([], LONG_AFTER, Settings(min_filled=29))


def test_an_empty_cohort_has_no_means_and_no_survival():
    cohort = diary_cohort([], LONG_AFTER)
    assert cohort.window("baseline").headache_days.value is None
    assert cohort.durability_all.at(28).survival is None
    assert cohort.responders_for("B1").at_least_50.percent is None


def test_the_module_is_pure():
    source = Path(figures.__file__).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "sqlalchemy", "flask_babel", "werkzeug"}
