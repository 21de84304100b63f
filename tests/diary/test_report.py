"""The outcomes report's diary and durability figures, for a cohort of courses with diaries,
against values worked out by hand from shared/clinical.md ("Headache diary and durability").

Six 3-session courses in October 2026, one patient each, booked with "now" moved back to
28 September; the report is opened on 1 April 2027 (every block over) for 1-31 October. Diary
rows are written directly (as the patient's form writes them). Headache dates are 30 min-4 h,
pain 3 (a headache day, not a migraine day); "migraine" dates are 4 h, one side, throbbing,
pain 7, nausea (a migraine day).

  course  sessions         day 0    pain d1   baseline (28 filled)   B1      B2      B3
  P1      Mon 5 - Wed 7    7 Oct    8 -> 5    14 hd (7 mig, 2 med)   10/28   -       -
  P2      Tue 13 - Thu 15  15 Oct   7 -> 4    14 hd (7 mig)          5/28    5 of 10 -
  P3      Mon 19 - Wed 21  21 Oct   6 -> 5    14 hd (7 mig)          5/28    9/28    -
  P4      Mon 26 - Wed 28  28 Oct   8 -> 5    14 hd (7 mig)          5/28    6/28    7/28
  P5      Thu 8 - Mon 12   12 Oct   9 -> 5    14 hd (7 mig)          5/28    7/28    8/28
  P6      Thu 22 - Mon 26  26 Oct   8 -> 4    only 10 filled         3/28    -       -
(12:00 for P5 and P6; "-" = nothing filled. Immediate responders (>= 2 points): all but P3.)
"""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import InfusionSession
from tests.conftest import NOW

from .conftest import add_days, attended_course

KYIV = ZoneInfo("Europe/Kyiv")
BOOKED_AT = datetime(2026, 9, 28, 7, 0, tzinfo=timezone.utc)
LATER = datetime(2027, 4, 1, 7, 0, tzinfo=timezone.utc)
OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}

PLAN = {  # first session, hour, pain before/after day 1, block headache dates (filled 28 unless given)
    "P1": (date(2026, 10, 5), 10, (8, 5), [(10, 28)]),
    "P2": (date(2026, 10, 13), 10, (7, 4), [(5, 28), (5, 10)]),
    "P3": (date(2026, 10, 19), 10, (6, 5), [(5, 28), (9, 28)]),
    "P4": (date(2026, 10, 26), 10, (8, 5), [(5, 28), (6, 28), (7, 28)]),
    "P5": (date(2026, 10, 8), 12, (9, 5), [(5, 28), (7, 28), (8, 28)]),
    "P6": (date(2026, 10, 22), 12, (8, 4), [(3, 28)]),
}


@pytest.fixture
def cohort(app, diary_course_service):
    found = {}
    for name, (first, hour, (before, after), blocks) in PLAN.items():
        course = attended_course(app, diary_course_service, first, hour, name, BOOKED_AT)
        day1 = next(a for a in course.appointments if a.course_day == 1)
        db.session.add(InfusionSession(appointment_id=day1.id, course_id=course.id,
                                       course_day=1, pain_before=before, pain_after=after,
                                       max_rate_mg_per_h=Decimal("50"),
                                       max_rate_mg_per_kg_h=Decimal("0.6")))
        db.session.commit()
        end = max(a.starts_at for a in course.appointments).astimezone(KYIV).date()
        baseline = first - timedelta(days=28)
        if name == "P6":
            add_days(course.patient_id, baseline, 10, headache=range(1, 6))
        else:
            add_days(course.patient_id, baseline, 28, headache=range(8, 15),
                     migraine=range(1, 8), medicine=(1, 2) if name == "P1" else ())
        for k, (headaches, filled) in enumerate(blocks, start=1):
            add_days(course.patient_id, end + timedelta(days=28 * (k - 1) + 1), filled,
                     headache=range(1, headaches + 1))
        found[name] = course
    app.config["FROZEN_NOW"] = LATER
    yield found
    app.config["FROZEN_NOW"] = NOW


def report_json(staff_client):
    response = staff_client("clinician").get("/staff/outcomes.json", query_string=OCTOBER)
    assert response.status_code == 200
    return response.get_json()


def value(figure):
    return figure.get("value", figure.get("percent"))


def test_the_windows_means_and_reductions(staff_client, cohort):
    data = report_json(staff_client)
    assert data["n"] == 6
    diary = data["diary"]
    assert diary["with_baseline"]["value"] == 5 and diary["without_baseline"]["value"] == 1
    w = diary["windows"]
    # Baseline: 14 headache days for P1-P5 (P6: 10 of 28 filled, not evaluable) -> 14.0 over 5;
    # migraine 7 each -> 7.0; acute medicine only P1, 2 days -> 2/5 = 0.4.
    assert (w["baseline"]["headache_days"]["value"], w["baseline"]["headache_days"]["n"]) == (
        14.0, 5)
    assert w["baseline"]["migraine_days"]["value"] == 7.0
    assert w["baseline"]["acute_medication_days"]["value"] == 0.4
    assert w["baseline"]["not_evaluable"]["too_few_days"]["value"] == 1
    # B1: 10, 5, 5, 5, 5, 3 -> 33/6 = 5.5; reduction over P1-P5: 4 + 9 x 4 = 40 / 5 = 8.0;
    # migraine 0 everywhere after: reduction 7.0.
    assert (w["B1"]["headache_days"]["value"], w["B1"]["headache_days"]["n"]) == (5.5, 6)
    assert w["B1"]["headache_days_reduction"]["value"] == 8.0
    assert w["B1"]["migraine_days_reduction"]["value"] == 7.0
    # B2: P3 9, P4 6, P5 7 -> 22/3 = 7.3 (P1, P2, P6 too few days); reduction 5+8+7 = 20/3.
    assert (w["B2"]["headache_days"]["value"], w["B2"]["headache_days"]["n"]) == (7.3, 3)
    assert w["B2"]["not_evaluable"]["too_few_days"]["value"] == 3
    assert w["B2"]["headache_days_reduction"]["value"] == 6.7
    # B3: P4 7, P5 8 -> 7.5; reductions 7 and 6 -> 6.5; four without a figure.
    assert w["B3"]["headache_days"]["value"] == 7.5
    assert w["B3"]["headache_days_reduction"]["value"] == 6.5
    assert w["B3"]["not_evaluable"]["too_few_days"]["value"] == 4


@pytest.mark.parametrize("block, r50, r30, r75, reasons", [
    # B1 over P1-P5 (F 10, 5, 5, 5, 5; B 14): 50 % needs F <= 7, 30 % F <= 9.8, 75 % F <= 3.5.
    ("B1", (4, 5, 80.0), (4, 5, 80.0), (0, 5, 0.0), {"baseline_not_evaluable": 1}),
    # B2 over P3 9, P4 6, P5 7.
    ("B2", (2, 3, 66.7), (3, 3, 100.0), (0, 3, 0.0),
     {"baseline_not_evaluable": 1, "block_too_few_days": 2}),
    # B3 over P4 7, P5 8.
    ("B3", (1, 2, 50.0), (2, 2, 100.0), (0, 2, 0.0),
     {"baseline_not_evaluable": 1, "block_too_few_days": 3}),
])
def test_the_headache_day_responders_and_why_the_others_are_not_evaluable(
        staff_client, cohort, block, r50, r30, r75, reasons):
    headache = report_json(staff_client)["diary"]["responders"][block]["headache_days"]
    for name, expected in (("at_least_50_percent", r50), ("at_least_30_percent", r30),
                           ("at_least_75_percent", r75)):
        rate = headache[name]
        assert (rate["numerator"], rate["denominator"], rate["percent"]) == expected
        assert "at least 4 monthly headache days" in rate["definition"]
    counts = {reason: c["value"] for reason, c in headache["not_evaluable"].items() if c["value"]}
    assert counts == reasons


def test_migraine_day_responders(staff_client, cohort):
    # Baseline migraine days 7 for P1-P5, none after: every evaluable course is a responder.
    migraine = report_json(staff_client)["diary"]["responders"]["B1"]["migraine_days"]
    assert (migraine["at_least_75_percent"]["numerator"],
            migraine["at_least_75_percent"]["denominator"]) == (5, 5)


def test_durability_for_both_populations(staff_client, cohort):
    durability = report_json(staff_client)["durability"]
    assert durability["relapse_rule"] == "R1"
    # All with a baseline (P1-P5) is clinical.md's E5: 80.0 / 53.3 / 26.7, at risk 5 / 3 / 2.
    every = durability["all_with_baseline"]
    assert [(p["days"], p["still_relieved_percent"], p["at_risk"]) for p in every["points"]] == [
        (28, 80.0, 5), (56, 53.3, 3), (84, 26.7, 2)]
    assert (every["population"], every["events"], every["censored"], every["median_days"]) == (
        5, 3, 2, 84)
    # Immediate responders among them: P1 (event 28), P2 (censored 28), P4 (censored 84),
    # P5 (event 84). S(28) = 3/4; nobody relapses at 56 (at risk P4, P5); S(84) = 3/4 x 1/2.
    immediate = durability["immediate_responders"]
    assert [(p["days"], p["still_relieved_percent"], p["at_risk"], p["events"], p["censored"])
            for p in immediate["points"]] == [(28, 75.0, 4, 1, 1), (56, 75.0, 2, 0, 0),
                                              (84, 37.5, 2, 1, 1)]
    assert (immediate["population"], immediate["median_days"]) == (4, 84)


def test_each_course_carries_its_windows_and_its_durability(staff_client, cohort):
    courses = {c["reference"]: c for c in report_json(staff_client)["courses"]}
    p2 = courses[cohort["P2"].reference]["diary"]
    assert p2["windows"]["B2"]["days_filled"] == 10
    assert p2["windows"]["B2"]["status"] == "too_few_days"
    assert p2["windows"]["B2"]["headache_days"] is None  # no number, never 0
    assert p2["durability"] == {"relapse": False, "days": 28, "why": "not_evaluable"}
    assert courses[cohort["P6"].reference]["diary"]["durability"] is None


def test_the_page_shows_the_durability_first_with_its_chart_and_definitions(staff_client,
                                                                           cohort):
    page = staff_client("clinician").get("/staff/outcomes", query_string=OCTOBER)
    text = page.get_data(as_text=True)
    immediate = text.index('id="outc-durability-immediate_responders"')
    assert immediate < text.index('id="outc-durability-all_with_baseline"')
    assert "durability-chart" in text and "Still relieved after the course" in text
    table = text[immediate:text.index("</table>", immediate)]
    assert "75.0 %" in table and "37.5 %" in table
    assert "Median time still relieved: 84 days" in text
    assert "Baseline (the 28 days before the first session): headache days a month, mean" in text
    assert "Courses started without a baseline diary" in text


def test_the_csv_adds_the_diary_columns_and_summary_rows(staff_client, cohort):
    response = staff_client("admin").get("/staff/outcomes.csv", query_string=OCTOBER)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:])))
    header = rows[0]
    start = header.index("Diary baseline: days filled")
    p1 = next(r for r in rows[1:] if r and r[0] == cohort["P1"].reference)
    assert p1[start:start + 6] == ["28", "14.0", "7.0", "28", "10.0", "0.0"]
    assert p1[-2:] == ["yes", "28"]
    summary = {row[0]: row for row in rows if row}
    b1 = "B1 (days 1-28 after the last session): at least 50 % fewer headache days"
    assert summary[b1][1:5] == ["80.0", "%", "4", "5"]
    key = ("Durability, Immediate responders (pain at least 2 points lower at discharge): "
           "still relieved at day 84")
    assert summary[key][1] == "37.5"
