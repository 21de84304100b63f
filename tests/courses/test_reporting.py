"""The outcomes report: which courses count, and the figures on the page, in the CSV and the JSON.

A small cohort is booked through the real course booking (with "now" moved back to late
October), then given infusion-session records and follow-up answers, and "now" moved forward
again to the suite's NOW (Monday 7 December 2026, 09:00 Kyiv). Every expected figure is worked
out by hand in the comments, from the definitions in shared/clinical.md ("Outcomes").

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
from datetime import date, datetime, time, timezone
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


def follow_up(course, label, pain=None, headache_days=None, due_on=date(2026, 12, 4)):
    answered = pain is not None
    db.session.add(FollowUpRequest(
        course_id=course.id, label=label, due_on=due_on, token_hash=secrets.token_hex(32),
        answered_at=datetime(2026, 12, 5, 9, tzinfo=timezone.utc) if answered else None,
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
    # Follow-up 1m pain 4: 8 - 4 = 4 >= 2, sustained. 3m pain 7: 8 - 7 = 1, not sustained.
    follow_up(a, "1m", pain=4, headache_days=6)
    follow_up(a, "3m", pain=7, headache_days=12)

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
    # Follow-up 1m pain 4: 6 - 4 = 2 >= 2, sustained (though not an immediate responder);
    # 3m sent, never answered.
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
#   max rate mg/kg/h (0.75 + 1.0 + 0.4) / 3 = 2.15/3 = 0.717 -> "0.7"
#   nausea A, B: 2 of 3 = 66.7 %; dizziness, dissociation (B), anxiety (C): 1 of 3 = 33.3 %;
#   vomiting (only D, cancelled): 0 of 3 = 0.0 %
#   1m sustained: A, B -> of all 2 of 3 = 66.7 %; of those who answered (A, B) 2 of 2 = 100.0 %;
#      of immediate responders (A) 1 of 1 = 100.0 %
#   3m sustained: nobody -> 0 of 3 = 0.0 %; answered (A) 0 of 1 = 0.0 %; responders 0 of 1 = 0.0 %


def row_text(html, row_id):
    match = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {row_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_page_shows_the_hand_computed_figures_with_definitions_and_denominators(
        staff_client, cohort):
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
    assert "0.7 mg/kg/h" in row_text(html, "outc-main-max_rate_mg_per_kg_h")

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

    # The courses are listed by reference only: C's percentage is not evaluable, never 0 %.
    refs = {key: cohort[key].reference for key in "ABCDEF"}
    for key in "ABC":
        assert refs[key] in html
    for key in "DEF":
        assert refs[key] not in html
    assert "62.5 %" in html and "percentage not evaluable" in html
    assert "Outcome Patient" not in html and "outcome1@example.com" not in html


def test_the_json_gives_the_same_figures_with_counts_and_definitions(staff_client, cohort):
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
    assert f["max_rate_mg_per_kg_h"]["value"] == 0.7
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

    by_ref = {course["reference"]: course for course in body["courses"]}
    assert list(by_ref) == [cohort[key].reference for key in "ABC"]
    a, b, c = (by_ref[cohort[key].reference] for key in "ABC")
    assert (a["admission"], a["discharge"], a["change"], a["percent_change"]) == (8, 3, 5, 62.5)
    assert (a["responder_2_points"], a["responder_30_percent"], a["responder_50_percent"]) == \
        (True, True, True)
    assert (a["max_rate_mg_per_h"], a["max_rate_mg_per_kg_h"]) == (60, 0.75)
    assert a["follow_ups"]["1m"] == {"answered": True, "pain": 4, "headache_days": 6,
                                     "sustained": True}
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


def test_the_csv_has_one_row_per_course_and_a_summary(staff_client, cohort):
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
    assert header[-4:] == ["Pain at follow-up 1m", "Sustained at 1m", "Pain at follow-up 3m",
                           "Sustained at 3m"]
    name = "Ketamine infusion course"
    assert rows[1] == [cohort["A"].reference, name, "2026-11-02", "2026-11-04", "3", "8", "3",
                       "5", "62.5", "yes", "yes", "yes", "3", "60", "0.75", "nausea",
                       "4", "yes", "7", "no"]
    assert rows[2] == [cohort["B"].reference, name, "2026-11-09", "2026-11-13", "5", "6", "5",
                       "1", "16.7", "no", "no", "no", "3", "80", "1",
                       "nausea; dizziness; dissociation", "4", "yes", "", "not answered"]
    assert rows[3] == [cohort["C"].reference, name, "2026-11-16", "2026-11-18", "3", "0", "0",
                       "0", "not evaluable", "no", "not evaluable", "not evaluable", "1",
                       "30", "0.4", "anxiety", "", "not answered", "", "not answered"]
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
                               ("outc-main-max_rate_mg_per_kg_h", "0.7", "0,7"),
                               ("outc-ae-adverse_event_nausea", "66.7 %", "66,7 %")]:
        assert dotted in row_text(en, row), row
        assert comma in row_text(uk, row) and dotted not in row_text(uk, row), row
    assert "62.5 %" in en and "62,5 %" in uk and "62.5" not in uk  # course A's change

    rows = read_csv(client.get("/staff/outcomes.csv", query_string={**NOVEMBER, "lang": "uk"}))
    assert rows[1][8] == "62.5" and rows[1][14] == "0.75"
    assert ["4.7", "", "", "3"] in [row[1:5] for row in rows[5:]]  # admission pain, mean
    body = client.get("/staff/outcomes.json", query_string={**NOVEMBER, "lang": "uk"}).get_json()
    assert body["figures"]["admission_pain"]["value"] == 4.7


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
