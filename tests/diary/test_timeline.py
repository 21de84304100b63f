"""The pain chart on a time-proportional axis (booking.courses.chart.pain_timeline_svg, pure):
a month's gap looks like a month, the two ratings of a session stand side by side on its date,
the diary's days are a light band and courses are marked."""
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

from booking.courses.chart import PAIR_GAP, CourseMark, Series, pain_timeline_svg

SVG = "{http://www.w3.org/2000/svg}"
KYIV = ZoneInfo("Europe/Kyiv")


def at(day, hour):
    return datetime(2026, 11, day, hour, tzinfo=KYIV)


def marker_xs(svg):
    root = ET.fromstring(svg)
    xs = []
    for group in root.iter(f"{SVG}g"):
        if (group.get("class") or "").startswith("pain-series "):
            xs += [float(c.get("cx")) for c in group.iter(f"{SVG}circle")]
    return xs


def test_gaps_are_in_proportion_to_time():
    points = ((at(1, 10), 5, "a"), (at(2, 10), 5, "b"), (at(30, 10), 5, "c"))
    x1, x2, x3 = marker_xs(pain_timeline_svg([Series("s", points)], tz=KYIV))
    assert abs((x3 - x2) - 28 * (x2 - x1)) < 0.01  # 28 days against 1 day


def test_the_ratings_before_and_after_a_session_stand_side_by_side_on_its_date():
    points = ((at(3, 10), 7, "before"), (at(3, 12), 3, "after"), (at(4, 10), 6, "before"))
    before, after, next_day = marker_xs(pain_timeline_svg([Series("s", points)], tz=KYIV))
    assert abs((after - before) - 2 * PAIR_GAP) < 0.01
    assert next_day > after


def test_diary_days_are_a_light_band_one_rectangle_per_run_and_courses_are_marked():
    diary = [date(2026, 11, d) for d in (1, 2, 3, 10, 11)]
    svg = pain_timeline_svg([Series("s", ((at(5, 10), 4, "x"),))], tz=KYIV, diary_days=diary,
                            courses=[CourseMark(date(2026, 11, 2), date(2026, 11, 4),
                                                "Course ABC")],
                            diary_label="Days with a diary entry")
    root = ET.fromstring(svg)
    band = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "pain-diary-band")
    assert len(list(band.iter(f"{SVG}rect"))) == 2  # 1-3 and 10-11 November
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Course ABC" in texts and "Days with a diary entry" in texts


def test_nothing_to_draw_says_so():
    svg = pain_timeline_svg([Series("s", ())], empty_text="No ratings yet")
    assert "No ratings yet" in svg and "pain-chart-empty" in svg


def test_texts_are_escaped():
    svg = pain_timeline_svg([Series("<b>", ((at(5, 10), 4, "&"),))], tz=KYIV)
    ET.fromstring(svg)  # well-formed
    assert "<b>" not in svg


def test_the_durability_step_chart_draws_each_population_with_its_values():
    from booking.diary.figures import Observation, product_limit
    from booking.diary.survival_chart import survival_svg

    # E5: S(28) 80.0, S(56) 53.3, S(84) 26.7.
    e5 = product_limit([Observation(1, 28, True), Observation(2, 28, False),
                        Observation(3, 56, True), Observation(4, 84, False),
                        Observation(5, 84, True)], (28, 56, 84))
    svg = survival_svg([("All", e5)], (28, 56, 84), title="t", description="d",
                       x_axis_label="Days", y_axis_label="%",
                       percent_text=lambda p: f"{p.shown()} %", empty_text="none")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ["80.0 %", "53.3 %", "26.7 %"] == [t for t in texts if t and t.endswith(" %")]
    lines = [p for p in root.iter(f"{SVG}path") if p.get("class") == "pain-line"]
    assert len(lines) == 1 and lines[0].get("d").count("V") == 3  # three steps down
    assert "All" in texts
    empty = survival_svg([("All", product_limit([], (28,)))], (28,), title="t",
                         description="d", x_axis_label="Days", y_axis_label="%",
                         percent_text=str, empty_text="No courses")
    assert "No courses" in empty
