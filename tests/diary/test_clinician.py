"""Clinicians see the diary beside the pain chart: a strip of days per month in letters (and
patterns), each course's baseline and 28-day windows with completeness and "not evaluable";
they can note a new preventive, which ends the follow-up of earlier courses.

A 3-session course booked in October (now moved back) runs Mon 2 - Wed 4 November 2026, so its
baseline is 5 Oct - 1 Nov and B1 is 5 Nov - 2 Dec (over by NOW, Monday 7 December)."""
import re
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, PreventiveStart

from .conftest import add_days, attended_course

BOOKED_AT = datetime(2026, 10, 1, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def course(app, diary_course_service):
    return attended_course(app, diary_course_service, date(2026, 11, 2), 10, "Patient",
                           BOOKED_AT)


def page_of(staff_client, patient_id):
    return staff_client("clinician").get(f"/staff/patients/{patient_id}/pain")


def test_the_windows_show_monthly_figures_completeness_and_not_evaluable(staff_client, course):
    # Baseline: 26 of 28 filled, 9 headache dates -> 9 x 28 / 26 = 9.7 (clinical.md E1).
    add_days(course.patient_id, date(2026, 10, 5), 26, headache=range(1, 10))
    # B1: only 20 of 28 filled -> not evaluable, no figure.
    add_days(course.patient_id, date(2026, 11, 5), 20, headache=range(1, 3))
    response = page_of(staff_client, course.patient_id)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    table = page[page.index("dx-windows"):]
    baseline, b1 = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, flags=re.S)[:2]
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for row in (baseline, b1)]
    assert "26 of 28" in text[0] and "9.7 (9 of 26 days)" in text[0] and "evaluable" in text[0]
    assert "20 of 28" in text[1] and "no figure" in text[1]
    assert "not evaluable: fewer than 21 of 28 days filled" in text[1]
    assert "started without a baseline diary" not in page


def test_a_course_started_without_a_baseline_says_so(staff_client, course):
    add_days(course.patient_id, date(2026, 10, 25), 8)
    page = page_of(staff_client, course.patient_id).get_data(as_text=True)
    assert "This course started without a baseline diary" in page


def test_the_strip_gives_each_day_in_letters_and_words(staff_client, course):
    # 1 December: a migraine day with ibuprofen; 2 December: no headache; 3 December: missing.
    add_days(course.patient_id, date(2026, 12, 1), 2, migraine=(1,), medicine=(1,))
    page = page_of(staff_client, course.patient_id).get_data(as_text=True)
    strip = page[page.index("December 2026: 2 days filled"):]
    cells = re.findall(r'<td class="(dx[^"]*)" title="([^"]*)"><span aria-hidden="true">'
                       r'([^<]*)</span>', strip)[:3]
    assert cells[0] == ("dx dx-migraine dx-severe dx-medicine",
                        "1 Dec: migraine day, moderate or severe pain, acute medicine taken",
                        "M!+")
    assert cells[1][2] == "0" and cells[1][1] == "2 Dec: no headache"
    assert cells[2][2] == "?" and cells[2][1] == "3 Dec: not filled in"


def test_opening_the_page_audits_the_diary_view(app, staff_client, course):
    page_of(staff_client, course.patient_id)
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "diary.view" in actions


def test_a_new_preventive_ends_the_follow_up_of_the_course(app, staff_client, course):
    add_days(course.patient_id, date(2026, 10, 5), 28, headache=range(1, 11))
    add_days(course.patient_id, date(2026, 11, 5), 28, headache=range(1, 3))
    client = staff_client("clinician")
    response = client.post(f"/staff/patients/{course.patient_id}/pain/preventive",
                           data={"started_on": "2026-11-20"})
    assert response.status_code == 303
    [row] = db.session.execute(select(PreventiveStart)).scalars().all()
    assert row.started_on == date(2026, 11, 20)
    page = client.get(f"/staff/patients/{course.patient_id}/pain").get_data(as_text=True)
    assert "A new course or a new preventive began on 20 Nov 2026" in page
    assert "not counted: a new course or preventive began" in page  # B1 ends 2 Dec


def test_a_preventive_in_the_future_is_refused(staff_client, course):
    response = staff_client("clinician").post(
        f"/staff/patients/{course.patient_id}/pain/preventive", data={"started_on": "2026-12-08"})
    assert response.status_code == 422
    assert "not in the future" in response.get_data(as_text=True)
    assert db.session.execute(select(PreventiveStart)).first() is None


def test_a_receptionist_cannot_note_a_preventive(staff_client, course):
    response = staff_client("receptionist").post(
        f"/staff/patients/{course.patient_id}/pain/preventive", data={"started_on": "2026-12-01"})
    assert response.status_code == 403
