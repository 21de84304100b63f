"""Tests for the pure intake scoring module.

Every boundary in the clinical reference (shared/clinical.md) is pinned on
both sides: the last value of one band and the first of the next.
"""

import ast
import dataclasses
from contextlib import contextmanager
from itertools import product
from pathlib import Path

import pytest

from booking.intake import scoring
from booking.intake.scoring import (
    DEFAULT_THRESHOLDS,
    HIT6_ANSWER_POINTS,
    INSTRUMENTS,
    AcuteMedication,
    ClassDays,
    HistoryFlags,
    InstrumentScore,
    InvalidAnswer,
    PainChange,
    RedFlag,
    Thresholds,
    acute_class_days,
    history_flags,
    hit6_band,
    pain_change,
    red_flags,
    score_gad7,
    score_hit6,
    score_hit6_total,
    score_midas,
    score_phq9,
    validate_hit6_total,
    validate_nrs,
)

# Answers that are never a valid 0-3 (or 0-90) item: a fraction, a tick box, text.
WRONG_TYPES = [1.5, True, "2"]


# --- Helpers ------------------------------------------------------------------------


def spread(total: int, count: int, high: int) -> list[int]:
    """`count` answers of at most `high` that add up to `total`."""
    answers = []
    for _ in range(count):
        answers.append(min(high, total))
        total -= answers[-1]
    assert total == 0, "total too large for these items"
    return answers


def phq9_items(total: int, item9: int = 0) -> list[int]:
    return spread(total - item9, 8, 3) + [item9]


@contextmanager
def raises_for(item: str):
    """pytest.raises for an InvalidAnswer that names `item`."""
    with pytest.raises(InvalidAnswer) as info:
        yield info
    assert info.value.item == item, str(info.value)


def history(**overrides) -> HistoryFlags:
    """history_flags() for a patient who meets no criterion, with `overrides`."""
    answers = dict(
        headache_days=4,
        migraine_days=2,
        months_at_frequency=12,
        prior_migraine_attacks_at_least_5=True,
        acute_medications=(),
        any_acute_days=0,
        any_non_opioid_days=0,
        failed_preventive_classes=0,
        debilitating_days=0,
    )
    answers.update(overrides)
    return history_flags(**answers)


def frequent_history(**overrides) -> HistoryFlags:
    """A patient with 20 headache days a month for 6 months: overuse is judged."""
    return history(headache_days=20, months_at_frequency=6, **overrides)


def meds(*rows: tuple[str, int]) -> tuple[AcuteMedication, ...]:
    return tuple(AcuteMedication(class_, days) for class_, days in rows)


# --- Shared behaviour ----------------------------------------------------------------


def test_invalid_answer_is_a_value_error_naming_the_item():
    error = InvalidAnswer("phq9_3", "must be between 0 and 3, got 4")
    assert isinstance(error, ValueError)
    assert error.item == "phq9_3"
    assert error.message == "must be between 0 and 3, got 4"
    assert "phq9_3" in str(error)


def test_scores_are_frozen():
    score = score_gad7([0] * 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.total = 21


@pytest.mark.parametrize(
    "instrument, version, loinc",
    [
        ("nrs", "Pain NRS 0-10", {"score": "72514-3"}),
        ("midas", "MIDAS", {}),
        ("hit6", "HIT-6 (QualityMetric/GSK)", {}),
        ("phq9", "PHQ-9 (Pfizer)", {"panel": "44249-1", "total": "44261-6"}),
        ("gad7", "GAD-7 (Pfizer)", {"panel": "69737-5", "total": "70274-6"}),
    ],
)
def test_instruments_carry_version_and_loinc_codes(instrument, version, loinc):
    assert INSTRUMENTS[instrument]["version"] == version
    assert INSTRUMENTS[instrument]["loinc"] == loinc
    assert INSTRUMENTS[instrument]["licence"]


@pytest.mark.parametrize(
    "score, instrument",
    [
        (score_midas(0, 0, 0, 0, 0), "midas"),
        (score_phq9([0] * 9), "phq9"),
        (score_gad7([0] * 7), "gad7"),
        (score_hit6(["never"] * 6), "hit6"),
        (score_hit6_total(50), "hit6"),
    ],
)
def test_each_score_names_its_instrument_and_version(score, instrument):
    assert score.instrument == instrument
    assert score.version == INSTRUMENTS[instrument]["version"]


def test_hit6_is_off_by_default_and_the_free_instruments_on():
    assert INSTRUMENTS["hit6"]["on_by_default"] is False
    assert all(INSTRUMENTS[name]["on_by_default"] for name in ("nrs", "midas", "phq9", "gad7"))


def test_scoring_module_imports_only_the_standard_library():
    tree = ast.parse(Path(scoring.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= {"collections", "dataclasses", "itertools"}


# --- MIDAS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [(0, "I"), (5, "I"), (6, "II"), (10, "II"), (11, "III"), (20, "III"), (21, "IV"), (90, "IV")],
)
def test_midas_grade_edges(total, band):
    score = score_midas(0, 0, 0, 0, total)
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize("total, flagged", [(20, False), (21, True)])
def test_midas_grade_iv_is_flagged(total, flagged):
    score = score_midas(0, 0, 0, 0, total)
    assert ("midas_grade_iv" in score.flags) is flagged


def test_midas_highest_total_without_warnings_is_270():
    score = score_midas(90, 0, 90, 0, 90, a=90, b=10)
    assert (score.total, score.band, score.warnings) == (270, "IV", ())


def test_midas_adds_q1_to_q5_and_stores_a_and_b_unscored():
    score = score_midas(1, 2, 3, 4, 5, a=30, b=7)
    assert score.total == 15
    assert score.items == (1, 2, 3, 4, 5, 30, 7)
    assert score_midas(1, 2, 3, 4, 5).items == (1, 2, 3, 4, 5, None, None)


@pytest.mark.parametrize("missing", range(5))
def test_midas_missing_day_item_gives_no_total_and_no_band(missing):
    days = [3, 3, 3, 3, 30]
    days[missing] = None
    score = score_midas(*days, a=40, b=5)
    assert (score.total, score.band, score.flags) == (None, None, ())
    assert score.items[missing] is None


def test_midas_missing_a_and_b_still_scores():
    assert score_midas(3, 3, 3, 3, 3).total == 15


@pytest.mark.parametrize(
    "answers, item",
    [
        (dict(q1=-1), "midas_q1"),
        (dict(q2=91), "midas_q2"),
        (dict(q5=91), "midas_q5"),
        (dict(a=91), "midas_a"),
        (dict(a=-1), "midas_a"),
        (dict(b=11), "midas_b"),
        (dict(b=-1), "midas_b"),
        *[(dict(q3=wrong), "midas_q3") for wrong in WRONG_TYPES],
        *[(dict(b=wrong), "midas_b") for wrong in WRONG_TYPES],
    ],
)
def test_midas_out_of_range_or_wrong_type_raises_naming_the_item(answers, item):
    given = dict(q1=0, q2=0, q3=0, q4=0, q5=0, a=None, b=None) | answers
    with raises_for(item):
        score_midas(**given)


def test_midas_range_ends_are_accepted():
    assert score_midas(90, 0, 0, 0, 0, a=90, b=10).items[-2:] == (90, 10)
    assert score_midas(0, 0, 0, 0, 0, a=0, b=0).total == 0


@pytest.mark.parametrize(
    "days, a, warnings",
    [
        ((45, 45, 0, 0, 0), None, ()),
        ((45, 46, 0, 0, 0), None, ("midas_q1_q2_over_90",)),
        ((0, 0, 45, 45, 0), None, ()),
        ((0, 0, 45, 46, 0), None, ("midas_q3_q4_over_90",)),
        ((0, 0, 10, 0, 0), 10, ()),
        ((0, 0, 11, 0, 0), 10, ("midas_item_over_a",)),
        ((0, 0, 0, 0, 11), 10, ("midas_item_over_a",)),
        ((11, 11, 11, 11, 11), 10, ("midas_item_over_a",)),  # one warning, not five
        (
            (90, 90, 90, 90, 90),
            89,
            ("midas_q1_q2_over_90", "midas_q3_q4_over_90", "midas_item_over_a"),
        ),
        ((90, 90, 0, 0, 0), None, ("midas_q1_q2_over_90",)),  # no A: nothing to compare with
        ((60, None, 60, 60, 0), None, ("midas_q3_q4_over_90",)),  # Q2 missing: no Q1+Q2
    ],
)
def test_midas_soft_warnings(days, a, warnings):
    assert score_midas(*days, a=a).warnings == warnings


def test_midas_soft_warnings_do_not_block_the_total():
    score = score_midas(50, 50, 0, 0, 0, a=10)
    assert (score.total, score.band) == (100, "IV")
    assert score.warnings == ("midas_q1_q2_over_90", "midas_item_over_a")


# --- PHQ-9 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_band_edges(total, band):
    score = score_phq9(phq9_items(total))
    assert (score.total, score.band, score.flags) == (total, band, ())


def test_phq9_maximum_is_27_severe():
    score = score_phq9([3] * 9)
    assert (score.total, score.band) == (27, "severe")


@pytest.mark.parametrize("item9, flagged", [(0, False), (1, True), (2, True), (3, True)])
@pytest.mark.parametrize("others_total", [0, 4, 24])
def test_phq9_item9_is_flagged_whatever_the_total(item9, flagged, others_total):
    score = score_phq9(phq9_items(others_total + item9, item9=item9))
    assert ("phq9_item9_positive" in score.flags) is flagged


def test_phq9_item9_alone_is_flagged_with_a_minimal_total():
    score = score_phq9([0] * 8 + [1])
    assert (score.total, score.band, score.flags) == (1, "minimal", ("phq9_item9_positive",))


@pytest.mark.parametrize("missing", range(8))
def test_phq9_item9_is_flagged_when_another_item_is_missing(missing):
    items = [2] * 8 + [1]
    items[missing] = None
    score = score_phq9(items)
    assert (score.total, score.band) == (None, None)
    assert score.flags == ("phq9_item9_positive",)


@pytest.mark.parametrize("missing", range(9))
def test_phq9_missing_item_gives_no_total_and_no_band(missing):
    items = [1] * 8 + [0]
    items[missing] = None
    score = score_phq9(items)
    assert (score.total, score.band, score.flags) == (None, None, ())


def test_phq9_difficulty_is_stored_as_tenth_item_and_not_scored():
    without = score_phq9([1] * 9)
    with_difficulty = score_phq9([1] * 9, difficulty=3)
    assert without.items == (1,) * 9 + (None,)
    assert with_difficulty.items == (1,) * 9 + (3,)
    assert with_difficulty.total == without.total == 9


@pytest.mark.parametrize(
    "position, answer",
    [(0, -1), (2, 4), (8, 4), (8, -1), *[(4, wrong) for wrong in WRONG_TYPES]],
)
def test_phq9_out_of_range_or_wrong_type_raises_naming_the_item(position, answer):
    items = [0] * 9
    items[position] = answer
    with raises_for(f"phq9_{position + 1}"):
        score_phq9(items)


@pytest.mark.parametrize("difficulty", [-1, 4, *WRONG_TYPES])
def test_phq9_difficulty_out_of_range_raises(difficulty):
    with raises_for("phq9_difficulty"):
        score_phq9([0] * 9, difficulty=difficulty)


@pytest.mark.parametrize("items", [[0] * 8, [0] * 10, [], "000000000", 0, None])
def test_phq9_wrong_item_count_raises(items):
    with raises_for("phq9"):
        score_phq9(items)


# --- GAD-7 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, band",
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges(total, band):
    score = score_gad7(spread(total, 7, 3))
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize("total, flagged", [(9, False), (10, True), (21, True)])
def test_gad7_further_evaluation_from_10(total, flagged):
    score = score_gad7(spread(total, 7, 3))
    assert (score.flags == ("gad7_further_evaluation",)) is flagged


@pytest.mark.parametrize("missing", range(7))
def test_gad7_missing_item_gives_no_total_no_band_no_flag(missing):
    items = [3] * 7
    items[missing] = None
    score = score_gad7(items)
    assert (score.total, score.band, score.flags) == (None, None, ())
    assert score.items == tuple(items)


@pytest.mark.parametrize(
    "position, answer", [(0, -1), (6, 4), *[(3, wrong) for wrong in WRONG_TYPES]]
)
def test_gad7_out_of_range_or_wrong_type_raises_naming_the_item(position, answer):
    items = [0] * 7
    items[position] = answer
    with raises_for(f"gad7_{position + 1}"):
        score_gad7(items)


@pytest.mark.parametrize("items", [[0] * 6, [0] * 8, [0] * 9])
def test_gad7_wrong_item_count_raises(items):
    with raises_for("gad7"):
        score_gad7(items)


# --- HIT-6 --------------------------------------------------------------------------


def test_hit6_answer_points():
    assert HIT6_ANSWER_POINTS == {
        "never": 6,
        "rarely": 8,
        "sometimes": 10,
        "very_often": 11,
        "always": 13,
    }


@pytest.mark.parametrize(
    "answer, total",
    [("never", 36), ("rarely", 48), ("sometimes", 60), ("very_often", 66), ("always", 78)],
)
def test_hit6_adds_the_answer_points(answer, total):
    score = score_hit6([answer] * 6)
    assert score.total == total
    assert score.items == (answer,) * 6


@pytest.mark.parametrize(
    "total, band",
    [
        (36, "little_or_none"),
        (49, "little_or_none"),
        (50, "some"),
        (55, "some"),
        (56, "substantial"),
        (59, "substantial"),
        (60, "severe"),
        (78, "severe"),
    ],
)
def test_hit6_band_edges(total, band):
    assert hit6_band(total) == band


@pytest.mark.parametrize(
    "answers, total, band",
    [
        (["never"] * 4 + ["always", "sometimes"], 47, "little_or_none"),
        (["rarely"] * 5 + ["sometimes"], 50, "some"),
        (["sometimes"] * 5 + ["rarely"], 58, "substantial"),
        (["sometimes"] * 5 + ["very_often"], 61, "severe"),
    ],
)
def test_hit6_scores_mixed_answers(answers, total, band):
    score = score_hit6(answers)
    assert (score.total, score.band) == (total, band)


@pytest.mark.parametrize("total, flagged", [(59, False), (60, True)])
def test_hit6_severe_is_flagged_from_60(total, flagged):
    assert ("hit6_severe" in score_hit6_total(total).flags) is flagged


@pytest.mark.parametrize("total", [35, 79, 0])
def test_hit6_band_refuses_totals_outside_36_to_78(total):
    with raises_for("hit6_total"):
        hit6_band(total)


@pytest.mark.parametrize("missing", range(6))
def test_hit6_missing_answer_gives_no_total_and_no_band(missing):
    answers = ["always"] * 6
    answers[missing] = None
    score = score_hit6(answers)
    assert (score.total, score.band, score.flags) == (None, None, ())
    assert score.items == tuple(answers)


@pytest.mark.parametrize("answer", ["often", "Never", "", 6, 1.5, True])
def test_hit6_unknown_answer_raises_naming_the_item(answer):
    answers = ["never"] * 6
    answers[3] = answer
    with raises_for("hit6_4"):
        score_hit6(answers)


@pytest.mark.parametrize("answers", [["never"] * 5, ["never"] * 7])
def test_hit6_wrong_item_count_raises(answers):
    with raises_for("hit6"):
        score_hit6(answers)


@pytest.mark.parametrize("total", [36, 38, 40, 76, 78])
def test_hit6_typed_total_reachable(total):
    assert validate_hit6_total(total) == total


@pytest.mark.parametrize("total", [37, 39, 77, 35, 79, 0, 50.0, True, "50", None])
def test_hit6_typed_total_unreachable_or_invalid_raises(total):
    with raises_for("hit6_total"):
        validate_hit6_total(total)


def test_hit6_typed_total_accepted_exactly_when_six_answers_reach_it():
    reachable = {sum(points) for points in product(HIT6_ANSWER_POINTS.values(), repeat=6)}
    for total in range(30, 90):
        if total in reachable:
            assert validate_hit6_total(total) == total
        else:
            with raises_for("hit6_total"):
                validate_hit6_total(total)
    assert set(range(36, 79)) - reachable == {37, 39, 77}


def test_hit6_typed_total_scores_without_items():
    score = score_hit6_total(62)
    assert score == InstrumentScore(
        instrument="hit6",
        version=INSTRUMENTS["hit6"]["version"],
        items=(),
        total=62,
        band="severe",
        flags=("hit6_severe",),
    )


def test_hit6_typed_total_unreachable_is_not_scored():
    with raises_for("hit6_total"):
        score_hit6_total(77)


# --- Pain ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 5, 10])
def test_nrs_accepts_0_to_10(value):
    assert validate_nrs(value) == value


@pytest.mark.parametrize("value", [-1, 11, 1.5, True, "5", None])
def test_nrs_out_of_range_or_wrong_type_raises(value):
    with raises_for("nrs"):
        validate_nrs(value)


def test_nrs_error_names_the_given_item():
    with raises_for("pain_worst"):
        validate_nrs(11, item="pain_worst")


@pytest.mark.parametrize(
    "admission, discharge, change, percent, points_2, percent_30, percent_50",
    [
        # Admission 0: percent not evaluable, never a percent responder.
        (0, 0, 0, None, False, False, False),
        (0, 3, -3, None, False, False, False),
        # 2-point edge.
        (5, 4, 1, 20.0, False, False, False),
        (6, 4, 2, 100 * 2 / 6, True, True, False),
        # 30 % edge: 10 * (b - a) >= 3 * b.
        (10, 7, 3, 30.0, True, True, False),
        (10, 8, 2, 20.0, True, False, False),
        (3, 2, 1, 100 / 3, False, True, False),
        # 50 % edge: 2 * (b - a) >= b.
        (5, 3, 2, 40.0, True, True, False),
        (5, 2, 3, 60.0, True, True, True),
        (10, 5, 5, 50.0, True, True, True),
        (10, 6, 4, 40.0, True, True, False),
        (1, 0, 1, 100.0, False, True, True),
        (10, 0, 10, 100.0, True, True, True),
        # No change and worse pain.
        (7, 7, 0, 0.0, False, False, False),
        (4, 6, -2, -50.0, False, False, False),
    ],
)
def test_pain_change_and_responders(
    admission, discharge, change, percent, points_2, percent_30, percent_50
):
    result = pain_change(admission, discharge)
    assert (result.admission, result.discharge, result.change) == (admission, discharge, change)
    if percent is None:
        assert result.percent_change is None
    else:
        assert result.percent_change == pytest.approx(percent)
    assert result.responder_2_points is points_2
    assert result.responder_30_percent is percent_30
    assert result.responder_50_percent is percent_50


@pytest.mark.parametrize(
    "admission, discharge, item",
    [
        (11, 0, "admission"),
        (-1, 0, "admission"),
        (5, 11, "discharge"),
        (5, 2.5, "discharge"),
        (True, 0, "admission"),
    ],
)
def test_pain_change_refuses_ratings_outside_0_to_10(admission, discharge, item):
    with raises_for(item):
        pain_change(admission, discharge)


# --- Headache history ----------------------------------------------------------------


@pytest.mark.parametrize(
    "headache_days, migraine_days, months, attacks, chronic",
    [
        (15, 8, 4, True, True),
        (14, 8, 4, True, False),
        (15, 7, 4, True, False),
        (15, 8, 3, True, False),  # 3 months is not "more than 3"
        (15, 8, 4, False, False),
        (31, 31, 120, True, True),
    ],
)
def test_chronic_migraine_edges(headache_days, migraine_days, months, attacks, chronic):
    flags = history(
        headache_days=headache_days,
        migraine_days=migraine_days,
        months_at_frequency=months,
        prior_migraine_attacks_at_least_5=attacks,
    )
    assert flags.chronic_migraine is chronic


@pytest.mark.parametrize("class_", ["triptan", "ergotamine", "opioid", "combination_analgesic"])
@pytest.mark.parametrize("days, overused", [(9, False), (10, True)])
def test_medication_overuse_per_class_from_10_days(class_, days, overused):
    flags = frequent_history(acute_medications=meds((class_, days)), any_acute_days=days)
    assert flags.medication_overuse == ((class_,) if overused else ())
    assert flags.high_acute_medication_use is False


@pytest.mark.parametrize(
    "rows, any_acute_days, any_non_opioid_days, overuse, possible",
    [
        # Every medicine taken is of one class: its days are the "any" days.
        ((("triptan", 6), ("triptan", 6)), 12, 0, ("triptan",), ()),
        ((("opioid", 5), ("opioid", 5)), 10, 0, ("opioid",), ()),
        ((("triptan", 6), ("triptan", 6)), 9, 0, (), ()),  # 9 triptan days: below 10
        # A row with 0 days is not a medicine taken.
        ((("triptan", 9), ("opioid", 0)), 10, 0, ("triptan",), ()),
        # Another class too: at least the largest row (no flag), at most the
        # sum (a "possible overuse" note). Here also "multiple classes".
        ((("triptan", 6), ("triptan", 6), ("nsaid", 4)), 14, 4,
         ("multiple_classes",), ("triptan",)),
        # Non-opioid days told without a row are another class taken.
        ((("triptan", 6), ("triptan", 6)), 12, 3, ("multiple_classes",), ("triptan",)),
        # "other" is another medicine: the triptans may share their days.
        ((("triptan", 5), ("triptan", 5), ("other", 2)), 10, 0, (), ("triptan",)),
        # The sum never counts more days than the "any" days.
        ((("triptan", 6), ("triptan", 6), ("other", 2)), 9, 0, (), ()),
        # A combination analgesic counts in its own class only: not an opioid
        # (else the opioids would be every medicine taken: 12 days), and not
        # a non-opioid analgesic.
        ((("opioid", 5), ("opioid", 5), ("combination_analgesic", 3)), 12, 0,
         ("multiple_classes",), ("opioid",)),
        ((("combination_analgesic", 6), ("combination_analgesic", 6)), 12, 0,
         ("combination_analgesic",), ()),
        ((("combination_analgesic", 10), ("paracetamol", 6)), 14, 6,
         ("combination_analgesic",), ()),
    ],
)
def test_days_of_a_class_from_rows_that_cannot_be_added_up(
    rows, any_acute_days, any_non_opioid_days, overuse, possible
):
    flags = frequent_history(
        acute_medications=meds(*rows),
        any_acute_days=any_acute_days,
        any_non_opioid_days=any_non_opioid_days,
    )
    assert flags.medication_overuse == overuse
    assert flags.possible_medication_overuse == possible


@pytest.mark.parametrize(
    "rows, any_acute_days, any_non_opioid_days, days",
    [
        ((("triptan", 6), ("triptan", 6)), 12, 0, [("triptan", 12, 12)]),
        ((("triptan", 6), ("triptan", 6), ("nsaid", 4)), 14, 4,
         [("triptan", 6, 12), ("non_opioid_analgesics", 4, 4)]),
        ((("opioid", 3), ("triptan", 8), ("triptan", 7)), 13, 0,
         [("triptan", 8, 13), ("opioid", 3, 3)]),
        ((("paracetamol", 8), ("nsaid", 8)), 15, 15, [("non_opioid_analgesics", 15, 15)]),
        ((("other", 4),), 4, 0, []),
    ],
)
def test_acute_class_days_exact_or_between_the_largest_row_and_the_sum(
    rows, any_acute_days, any_non_opioid_days, days
):
    found = acute_class_days(meds(*rows), any_acute_days, any_non_opioid_days)
    assert found == tuple(ClassDays(*d) for d in days)


def test_medication_overuse_one_row_of_a_class_is_enough():
    flags = frequent_history(
        acute_medications=meds(("triptan", 2), ("triptan", 10)), any_acute_days=10
    )
    assert flags.medication_overuse == ("triptan",)


@pytest.mark.parametrize("days, overused", [(14, False), (15, True)])
def test_non_opioid_analgesics_are_one_class_from_15_days(days, overused):
    rows = meds(("paracetamol", 8), ("aspirin", 4), ("nsaid", 8))
    flags = frequent_history(acute_medications=rows, any_acute_days=days, any_non_opioid_days=days)
    assert flags.medication_overuse == (("non_opioid_analgesics",) if overused else ())


def test_non_opioid_analgesics_together_are_not_multiple_classes():
    rows = meds(("paracetamol", 7), ("nsaid", 7))
    flags = frequent_history(acute_medications=rows, any_acute_days=14, any_non_opioid_days=14)
    assert flags.medication_overuse == ()
    assert flags.high_acute_medication_use is False


@pytest.mark.parametrize(
    "rows, any_acute_days, any_non_opioid_days, overuse",
    [
        ((("triptan", 6), ("nsaid", 6)), 10, 6, ("multiple_classes",)),
        ((("triptan", 6), ("nsaid", 6)), 9, 6, ()),
        ((("triptan", 5), ("opioid", 5)), 10, 0, ("multiple_classes",)),
        ((("ergotamine", 5), ("combination_analgesic", 5)), 10, 0, ("multiple_classes",)),
        # One class used, even on many days: not "multiple".
        ((("triptan", 6), ("triptan", 6), ("other", 6)), 12, 0, ()),
        # "other" is not one of the ICHD-3 8.2 classes.
        ((("triptan", 5), ("other", 5)), 10, 0, ()),
        # A class overused alone: that class, not "multiple".
        ((("triptan", 10), ("nsaid", 5)), 12, 5, ("triptan",)),
        # Several classes overused: each of them.
        ((("opioid", 10), ("triptan", 12)), 20, 0, ("triptan", "opioid")),
        ((("triptan", 10), ("nsaid", 15)), 20, 15, ("triptan", "non_opioid_analgesics")),
        # A class with 0 days is not "used".
        ((("triptan", 9), ("opioid", 0), ("other", 1)), 10, 0, ()),
    ],
)
def test_medication_overuse_classes(rows, any_acute_days, any_non_opioid_days, overuse):
    flags = frequent_history(
        acute_medications=meds(*rows),
        any_acute_days=any_acute_days,
        any_non_opioid_days=any_non_opioid_days,
    )
    assert flags.medication_overuse == overuse


@pytest.mark.parametrize(
    "headache_days, months, overuse, note",
    [
        (14, 6, (), True),  # below 15 headache days
        (15, 3, (), True),  # not for more than 3 months
        (15, 4, ("triptan",), False),
        (31, 120, ("triptan",), False),
    ],
)
def test_medication_overuse_needs_15_headache_days_for_more_than_3_months(
    headache_days, months, overuse, note
):
    flags = history(
        headache_days=headache_days,
        months_at_frequency=months,
        acute_medications=meds(("triptan", 10)),
        any_acute_days=10,
    )
    assert flags.medication_overuse == overuse
    assert flags.high_acute_medication_use is note


@pytest.mark.parametrize(
    "rows, any_acute_days, any_non_opioid_days, note",
    [
        ((("opioid", 10),), 10, 0, True),
        ((("opioid", 9),), 9, 0, False),
        ((("paracetamol", 15),), 15, 15, True),
        ((("paracetamol", 14),), 14, 14, False),
        ((("triptan", 6), ("nsaid", 6)), 10, 6, True),
        ((("triptan", 6), ("nsaid", 6)), 9, 6, False),
        ((("triptan", 6), ("triptan", 6)), 12, 0, True),  # 12 triptan days
        # Only a possible reach (the sum of the rows): no note, no flag.
        ((("triptan", 6), ("triptan", 6), ("other", 2)), 12, 0, False),
        ((), 0, 0, False),
    ],
)
def test_high_acute_medication_use_note_below_15_headache_days(
    rows, any_acute_days, any_non_opioid_days, note
):
    flags = history(
        headache_days=12,
        acute_medications=meds(*rows),
        any_acute_days=any_acute_days,
        any_non_opioid_days=any_non_opioid_days,
    )
    assert flags.medication_overuse == ()
    assert flags.possible_medication_overuse == ()
    assert flags.high_acute_medication_use is note


@pytest.mark.parametrize(
    "failed_classes, debilitating_days, months, resistant",
    [
        (3, 8, 3, True),
        (2, 8, 3, False),
        (3, 7, 3, False),
        (3, 8, 2, False),
        (5, 20, 24, True),
    ],
)
def test_resistant_migraine_edges(failed_classes, debilitating_days, months, resistant):
    flags = history(
        headache_days=20,
        failed_preventive_classes=failed_classes,
        debilitating_days=debilitating_days,
        months_debilitating=months,
        months_at_frequency=1,  # given months_debilitating wins
    )
    assert flags.resistant_migraine is resistant


@pytest.mark.parametrize("months, resistant", [(2, False), (3, True)])
def test_resistant_migraine_months_default_to_months_at_frequency(months, resistant):
    flags = history(
        headache_days=20,
        failed_preventive_classes=3,
        debilitating_days=8,
        months_at_frequency=months,
    )
    assert flags.resistant_migraine is resistant


@pytest.mark.parametrize(
    "answers, item",
    [
        (dict(headache_days=32), "headache_days"),
        (dict(headache_days=-1), "headache_days"),
        (dict(headache_days=10.0), "headache_days"),
        (dict(headache_days=True), "headache_days"),
        (dict(headache_days=5, migraine_days=6), "migraine_days"),
        (dict(headache_days=5, debilitating_days=6), "debilitating_days"),
        (dict(any_acute_days=32), "any_acute_days"),
        (dict(any_non_opioid_days=-1), "any_non_opioid_days"),
        (dict(any_acute_days=5, any_non_opioid_days=6), "any_non_opioid_days"),
        (dict(acute_medications=meds(("triptan", 6)), any_acute_days=5), "any_acute_days"),
        (
            dict(acute_medications=meds(("nsaid", 6)), any_acute_days=8, any_non_opioid_days=5),
            "any_non_opioid_days",
        ),
        (
            dict(acute_medications=meds(("aspirine", 1)), any_acute_days=1),
            "acute_medications[0].class_",
        ),
        (
            dict(acute_medications=meds(("triptan", 1), ("opioid", 32)), any_acute_days=31),
            "acute_medications[1].days_per_month",
        ),
        (dict(acute_medications=[("triptan", 1)], any_acute_days=1), "acute_medications[0]"),
        (dict(acute_medications="triptan"), "acute_medications"),
        (dict(months_at_frequency=-1), "months_at_frequency"),
        (dict(months_debilitating=-1), "months_debilitating"),
        (dict(failed_preventive_classes=-1), "failed_preventive_classes"),
        (dict(failed_preventive_classes="3"), "failed_preventive_classes"),
        (dict(prior_migraine_attacks_at_least_5=1), "prior_migraine_attacks_at_least_5"),
    ],
)
def test_history_impossible_answers_raise_naming_the_field(answers, item):
    with raises_for(item):
        history(**answers)


def test_history_day_counts_may_equal_headache_days():
    flags = history(headache_days=9, migraine_days=9, debilitating_days=9)
    assert flags == HistoryFlags(False, (), False, False)


# --- Red flags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers, code, urgent, action",
    [
        (dict(phq9=score_phq9([0] * 8 + [1])), "phq9_item9", True, "crisis_contacts"),
        (dict(phq9=score_phq9([0] * 7 + [None, 2])), "phq9_item9", True, "crisis_contacts"),
        (dict(headache_red_flags=["thunderclap"]), "headache_thunderclap", True, "emergency_care"),
        (
            dict(headache_red_flags=["fever_stiff_neck"]),
            "headache_fever_stiff_neck",
            True,
            "emergency_care",
        ),
        (
            dict(headache_red_flags=["neuro_deficit"]),
            "headache_neuro_deficit",
            True,
            "emergency_care",
        ),
        (
            dict(headache_red_flags=["after_head_injury"]),
            "headache_after_head_injury",
            True,
            "emergency_care",
        ),
        (
            dict(headache_red_flags=["headache_thunderclap"]),
            "headache_thunderclap",
            True,
            "emergency_care",
        ),
        (
            dict(ketamine_prescreen_positive=["glaucoma"]),
            "ketamine_prescreen_positive",
            False,
            "clinician_review",
        ),
        (dict(gad7=score_gad7([2, 2, 2, 2, 2, 0, 0])), "gad7_high", False, "clinician_review"),
        (dict(midas=score_midas(0, 0, 0, 0, 21)), "midas_grade_iv", False, "clinician_review"),
        (dict(hit6=score_hit6_total(60)), "hit6_severe", False, "clinician_review"),
        (dict(hit6=score_hit6(["sometimes"] * 6)), "hit6_severe", False, "clinician_review"),
        (
            dict(history=HistoryFlags(False, ("opioid",), False, False)),
            "medication_overuse",
            False,
            "clinician_review",
        ),
        (
            dict(history=HistoryFlags(False, (), False, False, ("triptan",))),
            "possible_medication_overuse",
            False,
            "clinician_review",
        ),
        (
            dict(history=HistoryFlags(True, (), False, False)),
            "chronic_migraine",
            False,
            "clinician_review",
        ),
    ],
)
def test_each_red_flag_trigger(answers, code, urgent, action):
    flags = red_flags(**answers)
    assert [(flag.code, flag.urgent, flag.action) for flag in flags] == [(code, urgent, action)]


@pytest.mark.parametrize(
    "answers",
    [
        dict(),
        dict(phq9=score_phq9([3] * 8 + [0])),  # severe, but item 9 is 0
        dict(phq9=score_phq9([3] * 8 + [None])),
        dict(gad7=score_gad7([2, 2, 2, 2, 1, 0, 0])),  # 9
        dict(gad7=score_gad7([3, 3, 3, 3, 3, 3, None])),  # no total
        dict(midas=score_midas(0, 0, 0, 0, 20)),
        dict(midas=score_midas(0, 0, 0, 0, None)),
        dict(hit6=score_hit6_total(59)),
        dict(headache_red_flags=[], ketamine_prescreen_positive=[]),
        dict(history=HistoryFlags(False, (), True, False)),  # high use is a note only
    ],
)
def test_no_red_flag_below_the_cut_offs(answers):
    assert red_flags(**answers) == []


def test_red_flags_urgent_first_then_a_stable_order():
    flags = red_flags(
        history=HistoryFlags(True, ("triptan", "opioid"), False, True),
        hit6=score_hit6_total(70),
        midas=score_midas(0, 0, 0, 0, 30),
        gad7=score_gad7([3] * 7),
        ketamine_prescreen_positive=["glaucoma", "pregnancy", "glaucoma"],
        headache_red_flags=[
            "after_head_injury",
            "thunderclap",
            "neuro_deficit",
            "fever_stiff_neck",
        ],
        phq9=score_phq9([0] * 8 + [3]),
    )
    assert [flag.code for flag in flags] == [
        "phq9_item9",
        "headache_thunderclap",
        "headache_fever_stiff_neck",
        "headache_neuro_deficit",
        "headache_after_head_injury",
        "ketamine_prescreen_positive",
        "gad7_high",
        "midas_grade_iv",
        "hit6_severe",
        "medication_overuse",
        "chronic_migraine",
    ]
    assert [flag.urgent for flag in flags] == [True] * 5 + [False] * 6
    by_code = {flag.code: flag for flag in flags}
    assert by_code["ketamine_prescreen_positive"].details == ("glaucoma", "pregnancy")
    assert by_code["medication_overuse"].details == ("triptan", "opioid")


def test_a_repeated_headache_red_flag_is_listed_once():
    flags = red_flags(headache_red_flags=["thunderclap", "headache_thunderclap", "thunderclap"])
    assert flags == [RedFlag("headache_thunderclap", urgent=True, action="emergency_care")]


@pytest.mark.parametrize("switched_on, codes", [(False, []), (True, ["resistant_migraine"])])
def test_resistant_migraine_is_a_red_flag_only_when_the_clinic_switches_it_on(switched_on, codes):
    resistant = HistoryFlags(False, (), False, True)
    thresholds = Thresholds(resistant_migraine_red_flag=switched_on)
    flags = red_flags(history=resistant, thresholds=thresholds)
    assert [flag.code for flag in flags] == codes


@pytest.mark.parametrize(
    "answers, item",
    [
        (dict(headache_red_flags=["stiff_neck"]), "headache_red_flags"),
        (dict(headache_red_flags="thunderclap"), "headache_red_flags"),
        (dict(ketamine_prescreen_positive="glaucoma"), "ketamine_prescreen_positive"),
        (dict(ketamine_prescreen_positive=[""]), "ketamine_prescreen_positive"),
        (dict(ketamine_prescreen_positive=[True]), "ketamine_prescreen_positive"),
    ],
)
def test_red_flags_refuse_unknown_or_malformed_names(answers, item):
    with raises_for(item):
        red_flags(**answers)


def test_red_flags_refuse_a_score_in_the_wrong_slot():
    with pytest.raises(ValueError):
        red_flags(phq9=score_gad7([3] * 7))


# --- Thresholds --------------------------------------------------------------------------


def test_default_thresholds_are_the_clinical_reference():
    assert DEFAULT_THRESHOLDS == Thresholds()
    assert DEFAULT_THRESHOLDS.gad7_further_evaluation == 10
    assert DEFAULT_THRESHOLDS.resistant_migraine_red_flag is False


def test_custom_thresholds_change_results():
    stricter = Thresholds(
        gad7_further_evaluation=8,
        responder_min_points=3,
        responder_min_percent=40,
        strong_responder_min_percent=60,
        chronic_min_headache_days=10,
        overuse_min_days_per_class=8,
        resistant_min_failed_classes=2,
    )
    gad7_8 = score_gad7([2, 2, 2, 2, 0, 0, 0])
    assert gad7_8.flags == ()
    assert score_gad7([2, 2, 2, 2, 0, 0, 0], thresholds=stricter).flags == (
        "gad7_further_evaluation",
    )
    assert red_flags(gad7=gad7_8) == []
    assert [flag.code for flag in red_flags(gad7=gad7_8, thresholds=stricter)] == ["gad7_high"]

    assert pain_change(10, 5) == PainChange(10, 5, 5, 50.0, True, True, True)
    assert pain_change(10, 5, thresholds=stricter) == PainChange(10, 5, 5, 50.0, True, True, False)
    assert pain_change(5, 3, thresholds=stricter).responder_2_points is False

    answers = dict(
        headache_days=12,
        migraine_days=8,
        months_at_frequency=6,
        prior_migraine_attacks_at_least_5=True,
        acute_medications=meds(("triptan", 8)),
        any_acute_days=8,
        any_non_opioid_days=0,
        failed_preventive_classes=2,
        debilitating_days=8,
    )
    assert history_flags(**answers) == HistoryFlags(False, (), False, False)
    assert history_flags(**answers, thresholds=stricter) == HistoryFlags(
        chronic_migraine=True,
        medication_overuse=(),
        high_acute_medication_use=True,  # 12 headache days: below the overuse gate
        resistant_migraine=True,
    )
