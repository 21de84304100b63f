"""The outcomes report: which courses count, and the figures on the page, in the CSV and the JSON.

A small cohort is booked through the real course booking (with "now" moved back to late
October), then given infusion-session records and follow-up answers, and "now" moved forward
again to the suite's NOW (Monday 7 December 2026, 09:00 Kyiv). Tests that read 3-month answers
move "now" on to LATER (10 March 2027), when those answers exist. Every expected figure is
worked out by hand in the comments, from the definitions in shared/clinical.md ("Outcomes").
Follow-up answers count inside their windows (config: 1m days 21-45, 3m days 75-120 after the
course's last attended session).

The cohort (all sessions at 10:00 Kyiv; November 2026 starts on a Sunday):
  A  Mon 2 - Wed 4 Nov,  3 sessions, confirmed (all sessions over: completed)
  B  Mon 9 - Fri 13 Nov, 5 sessions, completed
  C  Mon 16 - Wed 18 Nov, 3 sessions, confirmed, admission pain 0
  D  Mon 23 - Wed 25 Nov, cancelled (after its first session)      -> never counted
  E  Fri 27 Nov - Tue 1 Dec, completed: last session in December     -> not in November
  F  Thu 3 - Mon 7 Dec, confirmed, last session today at 10:00 (after NOW) -> not completed
"""
import csv
import io
import re
import secrets
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.courses import services as courses
from booking.extensions import db
from booking.models import AdverseEvent, AuditEvent, FollowUpRequest, InfusionSession
from tests.conftest import NOW

KYIV = ZoneInfo("Europe/Kyiv")
BOOKED_AT = datetime(2026, 10, 26, 7, 0, tzinfo=timezone.utc)  # Monday 26 Oct, 09:00 Kyiv
LATER = datetime(2027, 3, 10, 7, 0, tzinfo=timezone.utc)  # Wednesday 10 Mar 2027, 09:00 Kyiv
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def at(day, hour=10):
    return datetime.combine(day, time(hour), tzinfo=KYIV)


def person(n):
    return {"full_name": f"Outcome Patient {n}", "email": f"outcome{n}@example.com",
            "phone": "+380501234567", "date_of_birth": "1980-01-01"}


@pytest.fixture
def course_service(create_service, create_practitioner):
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, is_course=True, min_sessions=3, max_sessions=7)
    doctor = create_practitioner([service], full_name="Dr Outcome")
    return service, doctor


@pytest.fixture
def book(app):
    """Book a course with "now" moved back to BOOKED_AT, then put NOW back."""
    counter = iter(range(1, 100))

    def make(service, first_day, sessions, status, hour=10):
        app.config["FROZEN_NOW"] = BOOKED_AT
        try:
            course, _token = courses.book_course(service_id=service.id,
                                                 start=at(first_day, hour), sessions=sessions,
                                                 patient=person(next(counter)), consent=True)
        finally:
            app.config["FROZEN_NOW"] = NOW
        course.status = status
        db.session.commit()
        return course
    return make


def record(course, day, before, after, mg_h=None, mg_kg_h=None, events=()):
    """The clinician's record of one session (course day `day`)."""
    appointment = next(a for a in course.appointments if a.course_day == day)
    db.session.add(InfusionSession(
        appointment_id=appointment.id, course_id=course.id, course_day=day,
        pain_before=before, pain_after=after,
        max_rate_mg_per_h=None if mg_h is None else Decimal(mg_h),
        max_rate_mg_per_kg_h=None if mg_kg_h is None else Decimal(mg_kg_h),
        adverse_events=[AdverseEvent(code=code, severity="mild") for code in events]))
    db.session.commit()


def follow_up(course, label, pain=None, headache_days=None, due_on=date(2026, 12, 4),
              answered_on=date(2026, 12, 5)):
    """A follow-up request, answered at 11:00 Kyiv on `answered_on` when a pain is given."""
    answered = pain is not None
    db.session.add(FollowUpRequest(
        course_id=course.id, label=label, due_on=due_on, token_hash=secrets.token_hex(32),
        answered_at=at(answered_on, 11) if answered else None,
        pain=pain, headache_days=headache_days))
    db.session.commit()


@pytest.fixture
def cohort(course_service, book):
    service, _doctor = course_service
    a = book(service, date(2026, 11, 2), 3, "confirmed")
    # A: ratings d1 8,6 | d2 6,4 | d3 5,3 -> admission 8, discharge 3, change 5,
    #    percent 100*5/8 = 62.5: responder >= 2 points, >= 30 %, >= 50 %.
    #    Lowest rating 3 on day 3. Max rates 60 mg/h, 0.75 mg/kg/h. Nausea on day 1.
    record(a, 1, 8, 6, "40", "0.5", ["nausea"])
    record(a, 2, 6, 4, "60", "0.75")
    record(a, 3, 5, 3, "60", "0.75")
    # Follow-up 1m pain 4 on 5 Dec (day 31 after 4 Nov): 8 - 4 = 4 >= 2, sustained.
    # 3m pain 7 on 2 Feb 2027 (day 90): 8 - 7 = 1, not sustained.
    follow_up(a, "1m", pain=4, headache_days=6)
    follow_up(a, "3m", pain=7, headache_days=12, due_on=date(2027, 2, 2),
              answered_on=date(2027, 2, 2))

    b = book(service, date(2026, 11, 9), 5, "completed")
    # B: ratings d1 6,5 | d2 5,5 | d3 5,4 | d4 4,4 | d5 5,5 -> admission 6, discharge 5,
    #    change 1, percent 100/6 = 16.67 -> "16.7": no responder flag at all.
    #    Lowest rating 4, first on day 3. Max rates 80 mg/h, 1.0 mg/kg/h.
    #    Nausea and dizziness (day 1), dissociation (day 3).
    record(b, 1, 6, 5, "50", "0.6", ["dizziness", "nausea"])
    record(b, 2, 5, 5, "50", "0.6")
    record(b, 3, 5, 4, "70", "0.8", ["dissociation"])
    record(b, 4, 4, 4, "70", "0.8")
    record(b, 5, 5, 5, "80", "1.0")
    # Follow-up 1m pain 4 on 5 Dec (day 22 after 13 Nov): 6 - 4 = 2 >= 2, sustained (though
    # not an immediate responder); 3m sent, never answered.
    follow_up(b, "1m", pain=4, headache_days=10)
    follow_up(b, "3m")

    c = book(service, date(2026, 11, 16), 3, "confirmed")
    # C: ratings d1 0,0 | d2 0,1 | d3 1,0 -> admission 0, discharge 0, change 0; the percent
    #    change is not evaluable (admission 0), so are the 30 % and 50 % rules; 2 points: no.
    #    Lowest rating 0 on day 1. Max rates 30 mg/h, 0.4 mg/kg/h (day 3 has none).
    #    Anxiety on day 2. No follow-up requests.
    record(c, 1, 0, 0, "30", "0.4")
    record(c, 2, 0, 1, "30", "0.4", ["anxiety"])
    record(c, 3, 1, 0)

    d = book(service, date(2026, 11, 23), 3, "cancelled")
    for appointment in d.appointments[1:]:
        appointment.status = "cancelled"
    db.session.commit()
    record(d, 1, 10, 2, "200", "3.0", ["vomiting"])

    e = book(service, date(2026, 11, 27), 3, "completed")
    record(e, 1, 9, 7, "100", "1.2", ["hallucinations"])
    record(e, 2, 7, 5, "100", "1.2")
    record(e, 3, 5, 2, "100", "1.2")

    f = book(service, date(2026, 12, 3), 3, "confirmed")
    record(f, 1, 7, 7, "90", "1.1", ["sedation"])
    record(f, 2, 7, 6, "90", "1.1")
    return {"service": service, "A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


# --- The figures in November: courses A, B and C (N = 3) -------------------------------------
#   admission mean (8 + 6 + 0) / 3 = 14/3 = 4.67 -> "4.7"
#   discharge mean (3 + 5 + 0) / 3 = 8/3 = 2.67 -> "2.7"
#   change mean (5 + 1 + 0) / 3 = 2 -> "2.0"
#   responders >= 2 points: A only, of A, B, C -> 1 of 3 = 33.3 %
#   responders >= 30 % and >= 50 %: A only, of A and B (C's admission is 0) -> 1 of 2 = 50.0 %
#   course length (3 + 5 + 3) / 3 = 11/3 = 3.67 -> "3.7" infusion days
#   day of lowest pain (3 + 3 + 1) / 3 = 7/3 = 2.33 -> "2.3"
#   max rate mg/h (60 + 80 + 30) / 3 = 170/3 = 56.67 -> "56.7"
#   max rate mg/kg/h (0.75 + 1.0 + 0.4) / 3 = 2.15/3 = 0.7167 -> "0.72" (below 10: 2 decimals)
#   nausea A, B: 2 of 3 = 66.7 %; dizziness, dissociation (B), anxiety (C): 1 of 3 = 33.3 %;
#   vomiting (only D, cancelled): 0 of 3 = 0.0 %
#   1m sustained: A, B -> of all 2 of 3 = 66.7 %; of those who answered (A, B) 2 of 2 = 100.0 %;
#      of immediate responders (A) 1 of 1 = 100.0 %
#   3m sustained: nobody -> 0 of 3 = 0.0 %; answered (A) 0 of 1 = 0.0 %; responders 0 of 1 = 0.0 %
#   days to answer: 1m (31 + 22) / 2 = 26.5; 3m 90 (A only)
#   left out: nobody unattended, every admission there, no late answer: all 0


def row_text(html, row_id):
    match = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_page_shows_the_hand_computed_figures_with_definitions_and_denominators(
        app, staff_client, cohort):
    app.config["FROZEN_NOW"] = LATER
    client = staff_client("clinician")
    response = client.get("/staff/outcomes", query_string=NOVEMBER)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "not a clinical trial" in html

    assert row_text(html, "outc-main-n").startswith("Completed courses (N) 3")
    admission = row_text(html, "outc-main-admission_pain")
    assert "4.7" in admission and "mean of 3 courses" in admission
    assert "Mean pain before the first session of each course" in admission
    assert "2.7" in row_text(html, "outc-main-discharge_pain")
    assert "2.0 points" in row_text(html, "outc-main-change")
    two_points = row_text(html, "outc-main-responders_2_points")
    assert "33.3 %" in two_points and "1 of 3" in two_points
    assert "of the courses with a pain rating at admission" in two_points
    for key in ("responders_30_percent", "responders_50_percent"):
        text = row_text(html, f"outc-main-{key}")
        assert "50.0 %" in text and "1 of 2" in text
        assert "of the courses with admission pain above 0" in text
    assert "3.7 days" in row_text(html, "outc-main-course_length_days")
    assert "2.3" in row_text(html, "outc-main-lowest_pain_day")
    assert "56.7 mg/h" in row_text(html, "outc-main-max_rate_mg_per_h")
    assert "0.72 mg/kg/h" in row_text(html, "outc-main-max_rate_mg_per_kg_h")

    nausea = row_text(html, "outc-ae-adverse_event_nausea")
    assert "66.7 %" in nausea and "2 of 3" in nausea
    assert "1 of 3" in row_text(html, "outc-ae-adverse_event_anxiety")
    assert "0.0 %" in row_text(html, "outc-ae-adverse_event_vomiting")

    assert "66.7 %" in row_text(html, "outc-fu-1m-sustained_all")
    assert "2 of 3" in row_text(html, "outc-fu-1m-sustained_all")
    assert "2 of 2" in row_text(html, "outc-fu-1m-sustained_answered")
    assert "1 of 1" in row_text(html, "outc-fu-1m-sustained_immediate_responders")
    assert "0 of 3" in row_text(html, "outc-fu-3m-sustained_all")
    assert "0 of 1" in row_text(html, "outc-fu-3m-sustained_answered")
    assert "26.5 days" in row_text(html, "outc-fu-1m-days_to_answer")
    assert "90.0 days" in row_text(html, "outc-fu-3m-days_to_answer")
    assert "answers count from day 21 to day 45" in html
    assert row_text(html, "outc-left-not_attended").startswith(
        "Not attended: no session attended 0")
    assert "Follow-up 1m answered late 0" in row_text(html, "outc-left-answered_late_1m")
    assert 'id="outc-left-answered_early_1m"' not in html  # shown only when there are some

    # The courses are listed by reference only: C's percentage is not evaluable, never 0 %.
    refs = {key: cohort[key].reference for key in "ABCDEF"}
    for key in "ABC":
        assert refs[key] in html
    for key in "DEF":
        assert refs[key] not in html
    assert "62.5 %" in html and "percentage not evaluable" in html
    assert "Outcome Patient" not in html and "outcome1@example.com" not in html


def test_the_json_gives_the_same_figures_with_counts_and_definitions(app, staff_client, cohort):
    app.config["FROZEN_NOW"] = LATER
    response = staff_client("clinician").get("/staff/outcomes.json", query_string=NOVEMBER)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert (body["from"], body["to"], body["n"], body["service"]) == (
        "2026-11-01", "2026-11-30", 3, None)
    f = body["figures"]
    assert f["n"]["value"] == 3
    assert f["admission_pain"]["value"] == 4.7 and f["admission_pain"]["n"] == 3
    assert f["discharge_pain"]["value"] == 2.7
    assert f["change"]["value"] == 2.0
    assert {k: f["responders_2_points"][k] for k in ("numerator", "denominator", "percent")} \
        == {"numerator": 1, "denominator": 3, "percent": 33.3}
    assert (f["responders_30_percent"]["numerator"], f["responders_30_percent"]["denominator"],
            f["responders_30_percent"]["percent"]) == (1, 2, 50.0)
    assert f["responders_50_percent"]["percent"] == 50.0
    assert f["course_length_days"]["value"] == 3.7
    assert f["lowest_pain_day"]["value"] == 2.3
    assert f["max_rate_mg_per_h"]["value"] == 56.7
    assert f["max_rate_mg_per_kg_h"]["value"] == 0.72
    assert (f["adverse_event_nausea"]["numerator"], f["adverse_event_nausea"]["percent"]) == \
        (2, 66.7)
    assert f["adverse_event_vomiting"]["numerator"] == 0
    assert all(figure["definition"] for figure in f.values())

    one, three = body["follow_ups"]["1m"], body["follow_ups"]["3m"]
    assert (one["sustained_all"]["numerator"], one["sustained_all"]["denominator"]) == (2, 3)
    assert one["sustained_all"]["percent"] == 66.7
    assert (one["sustained_answered"]["numerator"], one["sustained_answered"]["denominator"],
            one["sustained_answered"]["percent"]) == (2, 2, 100.0)
    assert (one["sustained_immediate_responders"]["numerator"],
            one["sustained_immediate_responders"]["denominator"]) == (1, 1)
    assert three["sustained_all"]["percent"] == 0.0
    assert three["sustained_answered"]["denominator"] == 1
    assert (one["days_to_answer"]["value"], one["days_to_answer"]["n"]) == (26.5, 2)
    assert (one["answer_window_days"], three["answer_window_days"]) == ([21, 45], [75, 120])
    assert {key: figure["value"] for key, figure in body["left_out"].items()} == {
        "not_attended": 0, "pain_not_evaluable": 0, "answered_late_1m": 0,
        "answered_early_1m": 0, "answered_late_3m": 0, "answered_early_3m": 0}

    by_ref = {course["reference"]: course for course in body["courses"]}
    assert list(by_ref) == [cohort[key].reference for key in "ABC"]
    a, b, c = (by_ref[cohort[key].reference] for key in "ABC")
    assert (a["admission"], a["discharge"], a["change"], a["percent_change"]) == (8, 3, 5, 62.5)
    assert (a["responder_2_points"], a["responder_30_percent"], a["responder_50_percent"]) == \
        (True, True, True)
    assert (a["max_rate_mg_per_h"], a["max_rate_mg_per_kg_h"]) == (60, 0.75)
    assert a["follow_ups"]["1m"] == {"answered": True, "pain": 4, "headache_days": 6,
                                     "sustained": True, "timing": "on_time",
                                     "days_after_course": 31}
    assert a["pain_not_evaluable_because"] is None
    assert b["percent_change"] == 16.7 and b["lowest_pain_day"] == 3
    assert b["adverse_events"] == ["nausea", "dizziness", "dissociation"]
    assert b["follow_ups"]["3m"]["answered"] is False
    # Admission 0: the percent change and the percentage rules are not evaluable (null).
    assert (c["admission"], c["percent_change"], c["responder_2_points"],
            c["responder_30_percent"]) == (0, None, False, None)
    assert "Outcome Patient" not in response.get_data(as_text=True)


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_has_one_row_per_course_and_a_summary(app, staff_client, cohort):
    app.config["FROZEN_NOW"] = LATER
    response = staff_client("admin").get("/staff/outcomes.csv", query_string=NOVEMBER)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="outcomes_2026-11-01_2026-11-30.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    header = rows[0]
    assert header[:9] == ["Course reference", "Service", "First session", "Last session",
                          "Sessions", "Pain at admission", "Pain at discharge",
                          "Change (points)", "Change (%)"]
    assert header[16:20] == ["Pain at follow-up 1m", "Sustained at 1m", "Pain at follow-up 3m",
                             "Sustained at 3m"]
    # Columns added later come last, so the ones in use keep their places.
    assert header[20:23] == ["Pain change not evaluable because", "Days to answer 1m",
                             "Days to answer 3m"]  # the diary's columns follow (tests/diary)
    name = "Ketamine infusion course"
    assert rows[1][:23] == [cohort["A"].reference, name, "2026-11-02", "2026-11-04", "3", "8", "3",
                       "5", "62.5", "yes", "yes", "yes", "3", "60", "0.75", "nausea",
                       "4", "yes", "7", "no", "", "31", "90"]
    assert rows[2][:23] == [cohort["B"].reference, name, "2026-11-09", "2026-11-13", "5", "6", "5",
                       "1", "16.7", "no", "no", "no", "3", "80", "1",
                       "nausea; dizziness; dissociation", "4", "yes", "", "not answered",
                       "", "22", ""]
    assert rows[3][:23] == [cohort["C"].reference, name, "2026-11-16", "2026-11-18", "3", "0", "0",
                       "0", "not evaluable", "no", "not evaluable", "not evaluable", "1",
                       "30", "0.4", "anxiety", "", "not answered", "", "not answered",
                       "", "", ""]
    assert rows[4] == []

    summary = {row[0]: row for row in rows[5:] if row}
    assert summary["Period"][1:] == ["2026-11-01", "2026-11-30"]
    assert summary["Service"][1] == "All course services"
    assert "not a clinical trial" in summary["Note"][1]
    assert summary["Completed courses (N)"][1] == "3"
    assert summary["Pain at admission, mean (NRS 0-10)"][1:5] == ["4.7", "", "", "3"]
    assert summary["Change in pain, mean (points)"][1] == "2.0"
    assert summary["Responders: at least 2 points less pain"][1:5] == ["33.3", "%", "1", "3"]
    assert summary["Responders: at least 30 % less pain"][1:5] == ["50.0", "%", "1", "2"]
    assert summary["Nausea"][1:5] == ["66.7", "%", "2", "3"]
    assert summary["1m: Sustained response, of the courses that answered"][1:5] == \
        ["100.0", "%", "2", "2"]
    assert summary["3m: Sustained response, of all courses"][1:5] == ["0.0", "%", "0", "3"]
    assert summary["Not attended: no session attended"][1] == "0"
    assert summary["1m: Days from the last session to the answer, mean"][1:5] == \
        ["26.5", "days", "", "2"]
    text = response.get_data(as_text=True)
    assert "Outcome Patient" not in text and "@example.com" not in text and "+380" not in text


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")',
                                  "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)"])
def test_csv_cells_from_a_malicious_service_name_are_escaped(staff_client, cohort, name):
    cohort["service"].name = name
    db.session.commit()
    rows = read_csv(staff_client("clinician").get(
        "/staff/outcomes.csv", query_string={**NOVEMBER, "service": cohort["service"].id}))
    assert [row[1] for row in rows[1:4]] == ["'" + name] * 3
    service_line = next(row for row in rows if row and row[0] == "Service")
    assert service_line[1] == "'" + name
    # Negative numbers written by the report stay numbers; nothing else starts a formula.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell


def test_the_period_is_matched_on_the_last_session_and_bounds_are_inclusive(
        staff_client, cohort):
    client = staff_client("clinician")

    def refs(**query):
        body = client.get("/staff/outcomes.json", query_string=query).get_json()
        return [course["reference"] for course in body["courses"]]

    r = {key: cohort[key].reference for key in "ABCDEF"}
    # E starts in November but its last session is on 1 December.
    assert refs(**NOVEMBER) == [r["A"], r["B"], r["C"]]
    assert refs(**{"from": "2026-12-01", "to": "2026-12-01"}) == [r["E"]]
    # B's last session is Friday 13 Nov; A's Wednesday 4 Nov.
    assert refs(**{"from": "2026-11-04", "to": "2026-11-13"}) == [r["A"], r["B"]]
    assert refs(**{"from": "2026-11-05", "to": "2026-11-12"}) == []


def test_cancelled_and_unfinished_courses_are_excluded_by_default(staff_client, cohort):
    # Default period: the last 90 days, 9 Sep to 7 Dec 2026 (today). D is cancelled; F is
    # confirmed but its last session (today 10:00) has not happened at 09:00.
    response = staff_client("clinician").get("/staff/outcomes.json")
    body = response.get_json()
    assert (body["from"], body["to"]) == ("2026-09-09", "2026-12-07")
    assert [c["reference"] for c in body["courses"]] == [
        cohort[key].reference for key in "ABCE"]
    html = staff_client("admin").get("/staff/outcomes").get_data(as_text=True)
    assert 'value="2026-09-09"' in html and 'value="2026-12-07"' in html


def test_an_unfinished_course_counts_once_its_last_session_is_over(app, staff_client, cohort):
    app.config["FROZEN_NOW"] = at(date(2026, 12, 7), 12).astimezone(timezone.utc)
    # F's day 3 was attended (the desk marked it completed) but not recorded: the course ends
    # that day.
    cohort["F"].appointments[2].status = "completed"
    db.session.commit()
    body = staff_client("clinician").get(
        "/staff/outcomes.json", query_string={"from": "2026-12-07", "to": "2026-12-07"}).get_json()
    assert [c["reference"] for c in body["courses"]] == [cohort["F"].reference]
    # F had two sessions recorded: course length counts infusion days held and recorded.
    assert body["courses"][0]["sessions"] == 2


def test_the_service_filter_keeps_one_service(app, staff_client, cohort, create_service, book):
    other = create_service(name="Short infusion course", duration_minutes=60, grid_minutes=60,
                           is_course=True, min_sessions=3, max_sessions=7)
    cohort["A"].practitioner.services.append(other)
    db.session.commit()
    g = book(other, date(2026, 11, 16), 3, "completed", hour=14)
    record(g, 1, 4, 4)
    client = staff_client("clinician")

    def n(**query):
        return client.get("/staff/outcomes.json", query_string={**NOVEMBER, **query}).get_json()

    assert n()["n"] == 4
    assert n(service=cohort["service"].id)["n"] == 3
    only = n(service=other.id)
    assert only["n"] == 1 and only["service"] == {"id": other.id, "name": "Short infusion course"}
    page = client.get("/staff/outcomes", query_string={**NOVEMBER, "service": other.id})
    assert '<option selected value="%d">' % other.id in page.get_data(as_text=True)


def test_every_view_and_export_is_audited_with_the_period_and_no_figures(staff_client, cohort):
    client = staff_client("clinician")
    client.get("/staff/outcomes", query_string=NOVEMBER)
    client.get("/staff/outcomes.csv", query_string=NOVEMBER)
    client.get("/staff/outcomes.json", query_string={**NOVEMBER, "service": cohort["service"].id})
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action.like("outcomes.%"))
        .order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.details) for e in events] == [
        ("outcomes.view", {"from": "2026-11-01", "to": "2026-11-30", "service_id": None,
                           "format": "html"}),
        ("outcomes.export", {"from": "2026-11-01", "to": "2026-11-30", "service_id": None,
                             "format": "csv"}),
        ("outcomes.export", {"from": "2026-11-01", "to": "2026-11-30",
                             "service_id": cohort["service"].id, "format": "json"}),
    ]
    assert all(e.actor == "clinician@example.com" for e in events)


@pytest.mark.parametrize("path", ["/staff/outcomes", "/staff/outcomes.csv",
                                  "/staff/outcomes.json"])
def test_a_receptionist_is_refused_all_three(staff_client, cohort, path):
    response = staff_client("receptionist").get(path, query_string=NOVEMBER)
    assert response.status_code == 403
    assert cohort["A"].reference not in response.get_data(as_text=True)


@pytest.mark.parametrize("roles", [("clinician",), ("admin",)])
def test_clinicians_and_admins_may_open_the_report(staff_client, roles):
    assert staff_client(*roles).get("/staff/outcomes").status_code == 200


@pytest.mark.parametrize("query, field, message", [
    ({"from": "2026-13-01", "to": "2026-11-30"}, "from", "Please enter a date as YYYY-MM-DD"),
    ({"from": "2026-11-01", "to": "30.11.2026"}, "to", "Please enter a date as YYYY-MM-DD"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to", "on or after the first day"),
    ({"from": "2020-01-01", "to": "2025-01-02"}, "to", "at most 5 years"),
    ({"from": "1066-10-14", "to": "2026-11-01"}, "from", "Please choose a date from"),
    ({"to": "9999-12-31"}, "to", "Please choose a date from"),
    ({"service": "abc"}, "service", "Please choose a course service"),
    ({"service": "999"}, "service", "Please choose a course service"),
])
def test_bad_filters_give_422_with_the_message_next_to_the_field(staff_client, query, field,
                                                                    message):
    client = staff_client("clinician")
    page = client.get("/staff/outcomes", query_string=query)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    for name in ("from", "to"):  # the dates typed are kept (a select keeps only its options)
        if name in query:
            assert f'value="{query[name]}"' in html
    assert client.get("/staff/outcomes.csv", query_string=query).status_code == 422

    response = client.get("/staff/outcomes.json", query_string=query)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and body["message"]
    assert message in body["fields"][field]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_five_year_period_is_allowed(staff_client):
    response = staff_client("clinician").get(
        "/staff/outcomes.json", query_string={"from": "2021-12-07", "to": "2026-12-07"})
    assert response.status_code == 200
    assert response.get_json()["n"] == 0


def test_an_empty_period_shows_no_value_rather_than_zero(staff_client, cohort):
    response = staff_client("clinician").get(
        "/staff/outcomes", query_string={"from": "2026-10-01", "to": "2026-10-31"})
    html = response.get_data(as_text=True)
    assert "No completed courses in this period." in html
    assert "\u2014" in row_text(html, "outc-main-admission_pain")
    assert "0 of 0" in row_text(html, "outc-main-responders_2_points")
    body = staff_client("admin").get(
        "/staff/outcomes.json", query_string={"from": "2026-10-01", "to": "2026-10-31"}).get_json()
    assert body["figures"]["admission_pain"]["value"] is None
    assert body["figures"]["responders_2_points"]["percent"] is None


def test_the_ukrainian_page_writes_decimals_with_a_comma_and_the_exports_keep_the_dot(
        staff_client, cohort):
    """Ukrainian writes 4,7 where English writes 4.7; the CSV and the JSON are for programs and
    keep the dot whatever the language."""
    client = staff_client("clinician")
    english = client.get("/staff/outcomes", query_string={**NOVEMBER, "lang": "en"})
    ukrainian = client.get("/staff/outcomes", query_string={**NOVEMBER, "lang": "uk"})
    en, uk = english.get_data(as_text=True), ukrainian.get_data(as_text=True)
    for row, dotted, comma in [("outc-main-admission_pain", "4.7", "4,7"),
                               ("outc-main-change", "2.0", "2,0"),
                               ("outc-main-responders_2_points", "33.3 %", "33,3 %"),
                               ("outc-main-max_rate_mg_per_kg_h", "0.72", "0,72"),
                               ("outc-ae-adverse_event_nausea", "66.7 %", "66,7 %")]:
        assert dotted in row_text(en, row), row
        assert comma in row_text(uk, row) and dotted not in row_text(uk, row), row
    assert "62.5 %" in en and "62,5 %" in uk and "62.5" not in uk  # course A's change

    rows = read_csv(client.get("/staff/outcomes.csv", query_string={**NOVEMBER, "lang": "uk"}))
    assert rows[1][8] == "62.5" and rows[1][14] == "0.75"
    assert ["4.7", "", "", "3"] in [row[1:5] for row in rows[5:]]  # admission pain, mean
    body = client.get("/staff/outcomes.json", query_string={**NOVEMBER, "lang": "uk"}).get_json()
    assert body["figures"]["admission_pain"]["value"] == 4.7
    assert body["figures"]["max_rate_mg_per_kg_h"]["value"] == 0.72


def test_the_ukrainian_report_names_the_course_service_in_ukrainian(
        staff_client, course_service, cohort):
    service, _doctor = course_service
    service.name_uk = "Курс інфузій кетаміну"
    db.session.commit()
    client = staff_client("clinician")
    query = {**NOVEMBER, "service": service.id}
    ukrainian = client.get("/staff/outcomes", query_string={**query, "lang": "uk"})
    english = client.get("/staff/outcomes", query_string={**query, "lang": "en"})
    uk, en = ukrainian.get_data(as_text=True), english.get_data(as_text=True)
    # The filter's choice, the heading and each course's row.
    assert uk.count("Курс інфузій кетаміну") == en.count("Ketamine infusion course") >= 3
    assert "Ketamine infusion course" not in uk and "Курс інфузій" not in en
    csv_rows = read_csv(client.get("/staff/outcomes.csv", query_string={**query, "lang": "uk"}))
    assert "Курс інфузій" not in str(csv_rows)  # exports keep the main wording


# --- What is left out, and why (issue 12) ------------------------------------------------------
# Seven courses, each three sessions Mon 2 - Wed 4 Nov at its own hour; read at LATER.
#   W1-W5  recorded d1 8->6, d2 6->5, d3 5->4 (admission 8, discharge 4), 1m and 3m answers
#          at these days after 4 Nov (pain):
#            W1 1m 20 (2, early)   3m 74 (3, early)
#            W2 1m 21 (5)          3m 75 (5)
#            W3 1m 45 (7)          3m 120 (7)
#            W4 1m 46 (1, late)    3m 121 (1, late)
#            W5 1m 30 (6)          3m not answered
#   X      every session a no-show, nothing recorded: not attended -> left out of N, counted
#          (its status says "completed": the old rule wrote that; the report goes by the facts)
#   Y      day 1 not recorded (its appointment marked completed), d2 7->3, d3 4->2: completed,
#          pain change not evaluable (admission is never day 2's 7)
# N = 6 (W1-W5, Y). Admission mean 8.0 over 5 (with Y's day 2 it would be 47/6 = 7.8).
# Course length (5 x 3 + 2) / 6 = 17/6 = 2.83 -> "2.8" (with X's 0 days: 17/7 = 2.4).
# 1m counted: W2, W3, W5 -> sustained W2 (8-5=3), W5 (8-6=2): 2 of 3 answered, 2 of 6 all;
#    days (21 + 45 + 30) / 3 = 32.0; late 1 (W4), early 1 (W1).
# 3m counted: W2, W3 -> sustained W2 only: 1 of 2; days (75 + 120) / 2 = 97.5; late 1, early 1.

WINDOW_ANSWERS = {"W1": ((20, 2), (74, 3)), "W2": ((21, 5), (75, 5)), "W3": ((45, 7), (120, 7)),
                  "W4": ((46, 1), (121, 1)), "W5": ((30, 6), None)}
COURSE_END = date(2026, 11, 4)


@pytest.fixture
def left_out_cohort(app, course_service, book):
    service, _doctor = course_service
    courses = {}
    for hour, (key, (one, three)) in enumerate(WINDOW_ANSWERS.items(), start=10):
        course = courses[key] = book(service, date(2026, 11, 2), 3, "completed", hour=hour)
        for day, (before, after) in enumerate(((8, 6), (6, 5), (5, 4)), start=1):
            record(course, day, before, after, "50", "0.5")
        for label, answer in (("1m", one), ("3m", three)):
            if answer is not None:
                days, pain = answer
                answered_on = COURSE_END + timedelta(days=days)
                follow_up(course, label, pain=pain, headache_days=5, due_on=answered_on,
                          answered_on=answered_on)
    x = courses["X"] = book(service, date(2026, 11, 2), 3, "completed", hour=15)
    for appointment in x.appointments:
        appointment.status = "no_show"
    y = courses["Y"] = book(service, date(2026, 11, 2), 3, "confirmed", hour=16)
    y.appointments[0].status = "completed"
    db.session.commit()
    record(y, 2, 7, 3)
    record(y, 3, 4, 2)
    app.config["FROZEN_NOW"] = LATER
    return courses


def test_the_report_says_what_it_left_out_and_why(staff_client, left_out_cohort):
    refs = {key: course.reference for key, course in left_out_cohort.items()}
    client = staff_client("clinician")
    body = client.get("/staff/outcomes.json", query_string=NOVEMBER).get_json()
    assert body["n"] == 6
    assert [c["reference"] for c in body["courses"]] == [
        refs[key] for key in ("W1", "W2", "W3", "W4", "W5", "Y")]  # by end, then reference
    left = {key: figure["value"] for key, figure in body["left_out"].items()}
    assert left == {"not_attended": 1, "pain_not_evaluable": 1, "answered_late_1m": 1,
                    "answered_early_1m": 1, "answered_late_3m": 1, "answered_early_3m": 1}
    assert all(figure["definition"] for figure in body["left_out"].values())

    f = body["figures"]
    assert (f["admission_pain"]["value"], f["admission_pain"]["n"]) == (8.0, 5)
    assert (f["change"]["value"], f["change"]["n"]) == (4.0, 5)
    assert (f["course_length_days"]["value"], f["course_length_days"]["n"]) == (2.8, 6)
    assert f["max_rate_mg_per_kg_h"]["value"] == 0.5  # "0.50": two decimals, a JSON number

    one, three = body["follow_ups"]["1m"], body["follow_ups"]["3m"]
    assert (one["sustained_answered"]["numerator"], one["sustained_answered"]["denominator"]) \
        == (2, 3)
    assert (one["sustained_all"]["numerator"], one["sustained_all"]["denominator"]) == (2, 6)
    assert (one["days_to_answer"]["value"], one["days_to_answer"]["n"]) == (32.0, 3)
    assert (three["sustained_answered"]["numerator"],
            three["sustained_answered"]["denominator"]) == (1, 2)
    assert (three["days_to_answer"]["value"], three["days_to_answer"]["n"]) == (97.5, 2)

    by_ref = {c["reference"]: c for c in body["courses"]}
    w4 = by_ref[refs["W4"]]["follow_ups"]["1m"]
    assert w4 == {"answered": False, "pain": None, "headache_days": None, "sustained": None,
                  "timing": "late", "days_after_course": 46}
    assert by_ref[refs["W1"]]["follow_ups"]["1m"]["timing"] == "early"
    y = by_ref[refs["Y"]]
    assert (y["admission"], y["change"], y["discharge"], y["sessions"]) == (None, None, 2, 2)
    assert y["pain_not_evaluable_because"] == "no_first_session_record"


def test_the_page_and_the_csv_show_the_left_out_counts(staff_client, left_out_cohort):
    client = staff_client("clinician")
    html = client.get("/staff/outcomes", query_string=NOVEMBER).get_data(as_text=True)
    assert row_text(html, "outc-main-n").startswith("Completed courses (N) 6")
    assert row_text(html, "outc-left-not_attended").startswith(
        "Not attended: no session attended 1 courses left out of N")
    assert row_text(html, "outc-left-pain_not_evaluable").startswith(
        "Pain change not evaluable: no pain rating before course day 1 1")
    assert row_text(html, "outc-left-answered_late_1m").startswith(
        "Follow-up 1m answered late 1")
    assert row_text(html, "outc-left-answered_early_3m").startswith(
        "Follow-up 3m answered before its window 1")
    assert "32.0 days" in row_text(html, "outc-fu-1m-days_to_answer")
    assert "not evaluable (course day 1 not recorded)" in html
    assert left_out_cohort["X"].reference not in html

    rows = read_csv(client.get("/staff/outcomes.csv", query_string=NOVEMBER))
    by_ref = {row[0]: row for row in rows[1:] if row}
    w4 = by_ref[left_out_cohort["W4"].reference]
    assert (w4[16], w4[17], w4[21]) == ("", "answered late", "46")  # pain left out, days kept
    assert by_ref[left_out_cohort["Y"].reference][20] == "course day 1 not recorded"
    summary = {row[0]: row for row in rows if row}
    assert summary["Not attended: no session attended"][1] == "1"
    assert summary["Follow-up 3m answered late"][1] == "1"


def test_a_confirmed_course_nobody_attended_is_left_out_before_the_daily_run(
        app, staff_client, course_service, book):
    """The status still says "confirmed" (send-followups has not run): the facts decide."""
    service, _doctor = course_service
    attended = book(service, date(2026, 11, 2), 3, "confirmed")
    record(attended, 1, 6, 3)
    book(service, date(2026, 11, 2), 3, "confirmed", hour=12)  # every session left "booked"
    body = staff_client("clinician").get("/staff/outcomes.json",
                                         query_string=NOVEMBER).get_json()
    assert [c["reference"] for c in body["courses"]] == [attended.reference]
    assert body["left_out"]["not_attended"]["value"] == 1
    # The brief's bug: without the rule this was "course length 0.5 days".
    assert body["figures"]["course_length_days"]["value"] == 1.0


def test_the_course_page_shows_a_not_evaluable_change_and_a_late_answer(
        staff_client, left_out_cohort):
    client = staff_client("clinician")
    y = client.get(f"/staff/courses/{left_out_cohort['Y'].id}").get_data(as_text=True)
    section = " ".join(y.split('id="course-outcome-title"', 1)[1].split("</section>")[0].split())
    assert "Not evaluable</strong>: course day 1 has no session record" in section
    assert "Pain at discharge</dt><dd>2" in section

    w4 = client.get(f"/staff/courses/{left_out_cohort['W4'].id}").get_data(as_text=True)
    section = " ".join(w4.split('id="course-outcome-title"', 1)[1].split("</section>")[0].split())
    assert "4 points (50.0 %)" in section  # 8 -> 4
    assert "46 days after the last session" in section
    assert "Pain 1, headache days in the last month 5." in section
    assert "Answered late: kept here, left out of the outcomes report." in section

    x = client.get(f"/staff/courses/{left_out_cohort['X'].id}").get_data(as_text=True)
    assert "No session of this course was attended" in x
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "follow_up.view",
        AuditEvent.object_id == left_out_cohort["W4"].id)).scalar_one()
    assert event.details == {"follow_up_request_ids": [
        r.id for r in db.session.execute(select(FollowUpRequest).where(
            FollowUpRequest.course_id == left_out_cohort["W4"].id)
            .order_by(FollowUpRequest.id)).scalars()]}
