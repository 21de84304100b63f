"""Pain over time: the pure SVG chart, and the clinician's page with the chart and the table."""
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from booking.courses import follow_up_answers, follow_ups
from booking.courses.chart import SHAPES, Series, pain_chart_svg, style_of
from booking.extensions import db
from booking.models import AuditEvent, PainRating
from tests.courses.test_follow_ups import (
    LAST_DAY,
    at,
    book_course_with_sessions,
    days_after_last_session,
    make_course_service,
)

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 12, 9, 8, 0, tzinfo=timezone.utc)


def parse(svg):
    return ET.fromstring(svg)  # also proves the SVG is well-formed


def series_groups(root):
    return [g for g in root.iter(f"{SVG}g") if "pain-series" in g.get("class", "").split()]


def three_series():
    return [
        Series("Intake: pain now", ((T0 - timedelta(days=2), 8, "Intake"),), connect=False),
        Series("Course A", ((T0, 7, "Session 1, before"), (T0 + timedelta(hours=1), 3,
                                                            "Session 1, after"),
                            (T0 + timedelta(days=1), 6, "Session 2, before"))),
        Series("Course B", ((T0 + timedelta(days=60), 5, "Session 1, before"),
                            (T0 + timedelta(days=61), 2, "Session 1, after"))),
    ]


# --- The pure function -------------------------------------------------------------------------

def test_each_series_has_one_line_and_one_marker_per_point():
    root = parse(pain_chart_svg(three_series()))
    groups = series_groups(root)
    assert len(groups) == 3
    lines = [g.findall(f"{SVG}path[@class='pain-line']") for g in groups]
    assert [len(found) for found in lines] == [0, 1, 1]  # the intake series is not joined
    markers = [[m for m in g if m.get("class") == "pain-marker"] for g in groups]
    assert [len(found) for found in markers] == [1, 3, 2]


def test_every_series_has_its_own_marker_shape_and_dash_pattern():
    many = [Series(f"Series {i}", ((T0 + timedelta(days=i), i % 11, "p"),)) for i in range(8)]
    root = parse(pain_chart_svg(many))
    shapes = [{m.get("data-marker") for m in g if m.get("class") == "pain-marker"}
              for g in series_groups(root)]
    assert all(len(found) == 1 for found in shapes)
    assert len({next(iter(found)) for found in shapes}) == 8
    assert len({style_of(i).dash for i in range(8)}) == 8
    # Past eight, the shapes come back hollow and with another dash: still told apart.
    styles = {(style_of(i).shape, style_of(i).dash, style_of(i).hollow) for i in range(16)}
    assert len(styles) == 16 and len(SHAPES) == 8


def test_every_point_is_labelled_with_its_value():
    root = parse(pain_chart_svg(three_series()))
    values = [t.text for g in series_groups(root) for t in g.iter(f"{SVG}text")
              if t.get("class") == "pain-value"]
    assert values == ["8", "7", "3", "6", "5", "2"]


def test_the_y_axis_is_labelled_0_to_10_and_the_x_axis_has_dates():
    root = parse(pain_chart_svg(three_series()))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "pain-tick"]
    assert ticks == [str(n) for n in range(11)]
    dates = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "pain-date"]
    # One date per day that has a rating: the two ratings of 9 December share one.
    assert dates == ["2026-12-07", "2026-12-09", "2026-12-10", "2027-02-07", "2027-02-08"]


def test_the_svg_is_an_image_with_a_title_a_description_and_a_text_legend():
    svg = pain_chart_svg(three_series(), title="Pain over time", description="Ratings 0-10")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Pain over time"
    assert root.find(f"{SVG}desc").text == "Ratings 0-10"
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "pain-legend-name"]
    assert legend == ["Intake: pain now", "Course A", "Course B"]
    assert "<script" not in svg and "style=" not in svg


def test_points_are_drawn_in_time_order_whatever_the_input_order():
    shuffled = Series("Course", ((T0 + timedelta(days=2), 1, "c"), (T0, 9, "a"),
                                 (T0 + timedelta(days=1), 5, "b")))
    root = parse(pain_chart_svg([shuffled]))
    path = next(root.iter(f"{SVG}path")).get("d")
    xs = [float(x) for x in re.findall(r"[ML](\d+(?:\.\d+)?) ", path)]
    ys = [float(y) for y in re.findall(r" (\d+(?:\.\d+)?)", path)]
    assert xs == sorted(xs)
    assert ys == sorted(ys)  # 9, 5, 1: lower on screen each time


def test_labels_are_escaped():
    evil = '<script>alert("x")</script>'
    svg = pain_chart_svg([Series(evil, ((T0, 4, evil),))], title=evil, description=evil,
                         x_text=lambda x: evil)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == evil  # text, not markup


def test_no_ratings_give_a_no_ratings_yet_image():
    for empty in ([], [Series("Course A", ())], [Series("Course A", ((T0, None, "x"),))]):
        svg = pain_chart_svg(empty, empty_text="No ratings yet")
        root = parse(svg)
        assert root.get("role") == "img"
        assert "No ratings yet" in svg
        assert series_groups(root) == []


@pytest.mark.parametrize("value", [11, -1, 2.5, "7", True])
def test_a_value_outside_0_to_10_is_refused(value):
    with pytest.raises(ValueError):
        pain_chart_svg([Series("A", ((T0, value, "x"),))])


def test_text_labels_keep_their_order_on_the_x_axis():
    root = parse(pain_chart_svg([("A", [("Day 1", 6, "x"), ("Day 2", 4, "y")])]))
    dates = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "pain-date"]
    assert dates == ["Day 1", "Day 2"]


# --- The clinician's page ----------------------------------------------------------------------

@pytest.fixture
def course_service(create_service, create_practitioner):
    return make_course_service(create_service, create_practitioner)


@pytest.fixture
def patient_history(app, course_service):
    """Intake ratings (now 8, 7-day average 6, worst 9), a course of three recorded sessions
    (7->3, 6->2, 5->1) and its 1-month follow-up answered with pain 4."""
    course = book_course_with_sessions(course_service)
    intake_at = at(LAST_DAY - timedelta(days=5), 18)
    db.session.add_all([
        PainRating(patient_id=course.patient_id, source="intake", kind=kind, value=value,
                   recorded_at=intake_at)
        for kind, value in (("now", 8), ("avg_7d", 6), ("worst_month", 9))])
    db.session.commit()
    days_after_last_session(app, 30)
    [created] = follow_ups.create_due_follow_ups()
    follow_up_answers.answer(created.request_id, {"pain": 4, "headache_days": 5,
                                                  "midas_q1": 1, "midas_q2": 0, "midas_q3": 0,
                                                  "midas_q4": 0, "midas_q5": 0, "midas_a": 10,
                                                  "midas_b": 4})
    return course


def table_rows(page):
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows.append(cells)
    return rows


def test_a_clinician_sees_the_chart_and_the_table_of_the_same_numbers(
        app, staff_client, patient_history):
    course = patient_history
    client = staff_client("clinician")
    response = client.get(f"/staff/patients/{course.patient_id}/pain")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)

    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    root = parse(svg)
    assert root.get("role") == "img"
    groups = series_groups(root)
    names = [g.get("data-name") for g in groups]
    assert names[:3] == ["Intake: pain now", "Intake: average over 7 days",
                         "Intake: worst in the last month"]
    assert names[3].startswith(f"Course {course.reference}")
    values = [t.text for g in groups for t in g.iter(f"{SVG}text")
              if t.get("class") == "pain-value"]
    assert values == ["8", "6", "9", "7", "3", "6", "2", "5", "1", "4"]

    rows = table_rows(page)
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("Intake: pain now", "None", "8"),
        ("Intake: average over 7 days", "None", "6"),
        ("Intake: worst in the last month", "None", "9"),
        ("Session 1, before", course.reference, "7"),
        ("Session 1, after", course.reference, "3"),
        ("Session 2, before", course.reference, "6"),
        ("Session 2, after", course.reference, "2"),
        ("Session 3, before", course.reference, "5"),
        ("Session 3, after", course.reference, "1"),
        ("Follow-up, 1 month", course.reference, "4"),
    ]
    assert rows[3][0] == "9 Dec 2026, 10:05"  # Kyiv time
    assert rows[-1][0] == "10 Jan 2027, 09:00"


def test_opening_the_chart_is_audited_with_the_patient_id(app, staff_client, patient_history):
    client = staff_client("clinician")
    client.get(f"/staff/patients/{patient_history.patient_id}/pain")
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "pain_chart.view")).scalar_one()
    assert (event.object_type, event.object_id) == ("patient", patient_history.patient_id)
    assert event.actor == "clinician@example.com"
    assert set(event.details) == {"since"}  # no rating in the log


@pytest.mark.parametrize("role", ["receptionist", "admin"])
def test_a_receptionist_or_an_admin_who_is_not_a_clinician_gets_403(
        staff_client, patient_history, role):
    client = staff_client(role)
    response = client.get(f"/staff/patients/{patient_history.patient_id}/pain")
    assert response.status_code == 403
    assert "<svg" not in response.get_data(as_text=True)


def test_an_unknown_patient_gives_404(staff_client):
    assert staff_client("clinician").get("/staff/patients/999/pain").status_code == 404


def test_a_patient_without_ratings_sees_no_ratings_yet(app, staff_client, course_service):
    course = book_course_with_sessions(course_service, pains=((None, None),) * 3)
    page = staff_client("clinician").get(
        f"/staff/patients/{course.patient_id}/pain").get_data(as_text=True)
    assert "No ratings yet" in page
    assert "<tbody>" not in page


def test_ratings_older_than_24_months_are_left_out(app, staff_client, patient_history):
    days_after_last_session(app, 30 + 800)  # sessions and intake now over 2 years ago
    page = staff_client("clinician").get(
        f"/staff/patients/{patient_history.patient_id}/pain").get_data(as_text=True)
    assert "No ratings yet" in page


def test_a_late_follow_up_answer_is_kept_on_the_chart_and_marked_late(
        app, staff_client, course_service):
    """Answered 50 days after the course (the 1-month window is days 21-45): shown, marked."""
    course = book_course_with_sessions(course_service)
    days_after_last_session(app, 30)
    [created] = follow_ups.create_due_follow_ups()
    days_after_last_session(app, 50)
    follow_up_answers.answer(created.request_id, {"pain": 6, "headache_days": 9})
    page = staff_client("clinician").get(
        f"/staff/patients/{course.patient_id}/pain").get_data(as_text=True)
    rows = table_rows(page)
    assert (rows[-1][1], rows[-1][3]) == (
        "Follow-up, 1 month (answered late: not in the outcomes report)", "6")
