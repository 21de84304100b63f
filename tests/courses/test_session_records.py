"""Infusion session records: the form, the computed maximum rates, the vital-sign alerts, the
course page with its review decision, who may see them, and what the audit log keeps."""
import html as html_entities
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.courses import services as courses
from booking.courses.session_checks import max_rates, rate_pair, record_refusal, vital_alerts
from booking.extensions import db
from booking.models import (AdverseEvent, Appointment, AuditEvent, InfusionRate, InfusionSession,
                            Resource, VitalSign)
from config import Config
from tests.conftest import NOW

KYIV = ZoneInfo("Europe/Kyiv")
THRESHOLDS = Config.VITAL_ALERTS
PATIENT_NAME = "Olena Infusion"


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def count(model):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def audit_events(action):
    db.session.rollback()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def text_of(response):
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.get_data(as_text=True)
    return html_entities.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# --- Fixtures --------------------------------------------------------------------------------

@pytest.fixture
def clock():
    """"Now" once the course is booked, set before anyone signs in: Wednesday 9 December, 10:30,
    when days 1 and 2 have started and day 3 has not (sessions are recorded once started). A
    test that needs the course not started yet parametrizes it with NOW."""
    return at(date(2026, 12, 9), 10, 30)


@pytest.fixture
def course_world(app, create_service, create_practitioner, clock):
    """A 3-session infusion course from Tuesday 8 December 10:00 (two chairs, one doctor),
    booked at NOW; then the clock moves on to `clock`."""
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7)
    doctor = create_practitioner([service], full_name="Dr Infusion")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    course, _token = courses.book_course(
        service_id=service.id, start=at(date(2026, 12, 8)), sessions=3,
        patient={"full_name": PATIENT_NAME, "email": "olena@example.com",
                 "phone": "+380501234567", "date_of_birth": "1980-01-01"}, consent=True)
    sessions = [a.id for a in course.appointments]
    app.config["FROZEN_NOW"] = clock
    return {"service": service, "doctor": doctor, "course_id": course.id, "sessions": sessions}


@pytest.fixture
def clinician(staff_client, course_world):
    return staff_client("clinician", practitioner=course_world["doctor"])


@pytest.fixture
def receptionist(staff_client):
    return staff_client("receptionist")


def full_record(**changes):
    """A complete, valid form post: two rates, two vital readings, one adverse event."""
    data = {
        "started_at": "10:05", "ended_at": "10:50",
        "dosing_weight_kg": "72.5", "pain_before": "7", "pain_after": "3",
        "rates-0-from_minute": "0", "rates-0-mg_per_kg_h": "0.5", "rates-0-mg_per_h": "",
        "rates-1-from_minute": "15", "rates-1-mg_per_kg_h": "", "rates-1-mg_per_h": "50",
        "total_dose_mg": "36.25",
        "vitals-0-minute": "0", "vitals-0-systolic": "128", "vitals-0-diastolic": "82",
        "vitals-0-heart_rate": "76", "vitals-0-spo2": "98",
        "vitals-1-minute": "30", "vitals-1-systolic": "146", "vitals-1-diastolic": "91",
        "vitals-1-heart_rate": "88", "vitals-1-spo2": "97",
        "adverse_events-0-code": "dissociation", "adverse_events-0-severity": "mild",
        "adverse_events-0-note": "felt floaty for ten minutes",
        "discharge_criteria_met": "yes", "escort_present": "yes",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def record_of(appointment_id):
    db.session.rollback()
    return db.session.execute(select(InfusionSession).where(
        InfusionSession.appointment_id == appointment_id)).scalar_one_or_none()


# --- The pure alert function: both sides of every threshold ---------------------------------

ALERT_CASES = [
    # (reading, alert reason or None)
    ({"systolic": 180}, None),
    ({"systolic": 181}, "systolic 181 > 180 at minute 30"),
    ({"systolic": 90}, None),
    ({"systolic": 89}, "systolic 89 < 90 at minute 30"),
    ({"diastolic": 110}, None),
    ({"diastolic": 111}, "diastolic 111 > 110 at minute 30"),
    ({"diastolic": 50}, None),
    ({"diastolic": 49}, "diastolic 49 < 50 at minute 30"),
    ({"heart_rate": 120}, None),
    ({"heart_rate": 121}, "heart rate 121 > 120 at minute 30"),
    ({"heart_rate": 50}, None),
    ({"heart_rate": 49}, "heart rate 49 < 50 at minute 30"),
    ({"spo2": 92}, None),
    ({"spo2": 91}, "SpO2 91 < 92 at minute 30"),
    ({"spo2": 100}, None),
]


@pytest.mark.parametrize("reading, reason", ALERT_CASES)
def test_a_vital_sign_alerts_only_beyond_its_threshold(reading, reason):
    reasons = vital_alerts([{"minute": 30, **reading}], THRESHOLDS)
    assert reasons == ([reason] if reason else [])


def test_alert_reasons_come_in_minute_order_and_name_each_reading():
    vitals = [{"minute": 45, "systolic": 190, "diastolic": 100, "heart_rate": 80, "spo2": 90},
              {"minute": 5, "systolic": 120, "diastolic": 80, "heart_rate": 130, "spo2": 97}]
    assert vital_alerts(vitals, THRESHOLDS) == [
        "heart rate 130 > 120 at minute 5",
        "systolic 190 > 180 at minute 45",
        "SpO2 90 < 92 at minute 45",
    ]


def test_alerts_skip_missing_readings_and_thresholds_that_are_not_set():
    assert vital_alerts([{"minute": 0, "systolic": None, "spo2": 80}], {}) == []
    assert vital_alerts([{"minute": 0, "spo2": 80}], {"spo2_low": None}) == []
    assert vital_alerts([], THRESHOLDS) == []


def test_alerts_follow_the_thresholds_they_are_given():
    strict = {**THRESHOLDS, "systolic_high": 140}
    assert vital_alerts([{"minute": 10, "systolic": 150}], strict) == [
        "systolic 150 > 140 at minute 10"]


def test_the_missing_form_of_a_rate_is_computed_from_the_dosing_weight():
    assert rate_pair(Decimal("0.5"), None, Decimal("72.5")) == (Decimal("0.5"), Decimal("36.25"))
    assert rate_pair(None, Decimal("50"), Decimal("72.5")) == (Decimal("0.690"), Decimal("50"))
    assert rate_pair(None, Decimal("50"), None) == (None, Decimal("50"))
    rows = [{"mg_per_kg_h": Decimal("0.5")}, {"mg_per_h": Decimal("50")},
            {"mg_per_kg_h": Decimal("0.6"), "mg_per_h": Decimal("40")}]
    assert max_rates(rows, Decimal("72.5")) == (Decimal("50"), Decimal("0.690"))
    assert max_rates([], Decimal("72.5")) == (None, None)


# --- Recording a session ---------------------------------------------------------------------

def test_the_form_shows_the_course_day_and_the_patient(clinician, course_world):
    response = clinician.get(f"/staff/sessions/{course_world['sessions'][1]}")
    assert response.status_code == 200
    text = text_of(response)
    assert "Day 2 of 3" in text and PATIENT_NAME in text
    assert "Nothing is recorded for this session yet." in text
    assert response.headers["Cache-Control"] == "no-store"
    # One empty row in each table, ready to fill in, and labels for every input.
    html = response.get_data(as_text=True)
    for name in ("rates-0-mg_per_kg_h", "vitals-0-spo2", "adverse_events-0-code"):
        assert f'name="{name}"' in html and f'for="{name}"' in html


def test_a_clinician_records_a_session_with_rates_vitals_and_an_adverse_event(
        clinician, course_world):
    appointment_id = course_world["sessions"][0]
    response = clinician.post(f"/staff/sessions/{appointment_id}", data=full_record())
    assert response.status_code == 303
    page = clinician.get(response.headers["Location"])
    text = text_of(page)
    assert "The session record is saved." in text
    assert "No vital-sign alert." in text

    record = record_of(appointment_id)
    assert record.course_id == course_world["course_id"] and record.course_day == 1
    assert record.started_at == at(date(2026, 12, 8), 10, 5)
    assert record.ended_at == at(date(2026, 12, 8), 10, 50)
    assert record.dosing_weight_kg == Decimal("72.5")
    assert (record.pain_before, record.pain_after) == (7, 3)
    assert record.total_dose_mg == Decimal("36.25")
    assert [(r.from_minute, r.mg_per_kg_h, r.mg_per_h) for r in record.rates] == [
        (0, Decimal("0.5"), None), (15, None, Decimal("50"))]
    assert [(v.minute, v.systolic, v.diastolic, v.heart_rate, v.spo2) for v in record.vitals] == [
        (0, 128, 82, 76, 98), (30, 146, 91, 88, 97)]
    assert [(e.code, e.severity, e.note) for e in record.adverse_events] == [
        ("dissociation", "mild", "felt floaty for ten minutes")]
    assert record.discharge_criteria_met is True and record.escort_present is True
    assert record.stopped is False and record.paused is False
    assert record.alert is False and record.alert_reasons == []

    # The maximum rates: 0.5 mg/kg/h x 72.5 kg = 36.25 mg/h; 50 mg/h / 72.5 kg = 0.690 mg/kg/h.
    assert record.max_rate_mg_per_h == Decimal("50")
    assert record.max_rate_mg_per_kg_h == Decimal("0.690")
    assert "50 mg/h; 0.69 mg/kg/h" in text

    # The saved values come back in the form.
    html = page.get_data(as_text=True)
    assert 'value="72.5"' in html and 'value="10:05"' in html
    assert "felt floaty for ten minutes" in html


def test_a_vital_beyond_a_threshold_marks_the_session_with_the_reason(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    response = clinician.post(f"/staff/sessions/{appointment_id}", data=full_record(
        **{"vitals-1-systolic": "190", "vitals-1-spo2": "91"}))
    assert response.status_code == 303
    record = record_of(appointment_id)
    assert record.alert is True
    assert record.alert_reasons == ["systolic 190 > 180 at minute 30",
                                    "SpO2 91 < 92 at minute 30"]
    text = text_of(clinician.get(f"/staff/sessions/{appointment_id}"))
    assert "⚠" in text and "Alert: vital signs beyond the clinic's alert limits" in text
    assert "Systolic blood pressure 190, above the alert limit of 180, at minute 30" in text
    assert "SpO2 91, below the alert limit of 92, at minute 30" in text


def test_readings_on_the_thresholds_do_not_mark_the_session(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    clinician.post(f"/staff/sessions/{appointment_id}", data=full_record(
        **{"vitals-1-systolic": "180", "vitals-1-diastolic": "110", "vitals-1-heart_rate": "120",
           "vitals-1-spo2": "92", "vitals-0-systolic": "90", "vitals-0-diastolic": "50",
           "vitals-0-heart_rate": "50"}))
    record = record_of(appointment_id)
    assert record.alert is False and record.alert_reasons == []


def test_the_alert_is_recomputed_on_every_save(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    url = f"/staff/sessions/{appointment_id}"
    clinician.post(url, data=full_record(**{"vitals-1-heart_rate": "135"}))
    assert record_of(appointment_id).alert_reasons == ["heart rate 135 > 120 at minute 30"]
    clinician.post(url, data=full_record())
    record = record_of(appointment_id)
    assert record.alert is False and record.alert_reasons == []


def test_a_session_can_be_saved_in_part_and_completed_later(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    url = f"/staff/sessions/{appointment_id}"
    response = clinician.post(url, data={"started_at": "10:00", "pain_before": "8",
                                         "dosing_weight_kg": "80"})
    assert response.status_code == 303
    record = record_of(appointment_id)
    assert record.pain_before == 8 and record.ended_at is None and record.rates == []
    assert record.max_rate_mg_per_h is None
    assert clinician.post(url, data=full_record()).status_code == 303
    assert record_of(appointment_id).pain_after == 3
    assert count(InfusionSession) == 1


def test_stopped_with_a_reason_is_kept(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    clinician.post(f"/staff/sessions/{appointment_id}", data=full_record(
        stopped="y", stop_reason="Strong dissociation"))
    record = record_of(appointment_id)
    assert record.stopped is True and record.stop_reason == "Strong dissociation"


INVALID = [
    ({"dosing_weight_kg": "251"}, "dosing_weight_kg", "Please enter a number from 30 to 250."),
    ({"dosing_weight_kg": "72.55"}, "dosing_weight_kg", "at most one decimal place"),
    ({"pain_before": "11"}, "pain_before", "from 0 (no pain) to 10"),
    ({"pain_after": "-1"}, "pain_after", "from 0 (no pain) to 10"),
    ({"pain_after": "3.5"}, "pain_after", "Please enter a whole number"),
    ({"vitals-1-spo2": "49"}, "vitals-1-spo2", "Please enter a number from 50 to 100."),
    ({"vitals-0-diastolic": "130"}, "vitals-0-diastolic",
     "The diastolic pressure must be below the systolic pressure."),
    ({"vitals-0-minute": "721"}, "vitals-0-minute", "from 0 to 720"),
    ({"vitals-0-heart_rate": "221"}, "vitals-0-heart_rate", "from 30 to 220"),
    ({"vitals-0-systolic": "261"}, "vitals-0-systolic", "from 60 to 260"),
    ({"ended_at": "10:00"}, "ended_at", "The end must be after the start."),
    ({"started_at": "", "ended_at": "10:50"}, "started_at", "Please enter the start time too."),
    ({"started_at": "25:00"}, "started_at", "Please enter a time such as 10:30."),
    ({"stopped": "y"}, "stop_reason", "Please say why the infusion was stopped or paused."),
    ({"paused": "y", "stop_reason": "   "}, "stop_reason", "Please say why"),
    ({"adverse_events-0-code": "headache_of_doom"}, "adverse_events-0-code",
     "Please choose the event from the list."),
    ({"adverse_events-0-severity": "catastrophic"}, "adverse_events-0-severity",
     "Please choose how severe it was."),
    ({"adverse_events-0-code": "other", "adverse_events-0-note": ""}, "adverse_events-0-note",
     "Please describe the event in the note."),
    ({"rates-0-mg_per_kg_h": "10.5"}, "rates-0-mg_per_kg_h", "from 0 to 10"),
    ({"rates-0-mg_per_kg_h": "0.1234"}, "rates-0-mg_per_kg_h", "at most 3 decimal places"),
    ({"rates-1-mg_per_h": "1000.01"}, "rates-1-mg_per_h", "from 0 to 1000"),
    ({"rates-1-from_minute": "0"}, "rates-1-from_minute", "Another rate row starts"),
    ({"rates-0-mg_per_kg_h": "", "rates-0-mg_per_h": ""}, "rates-0-mg_per_kg_h",
     "Please enter the rate in mg/kg/h, in mg/h, or both."),
    ({"dosing_weight_kg": ""}, "rates-0-mg_per_h", "or the dosing weight to compute it"),
    ({"total_dose_mg": "2000.5"}, "total_dose_mg", "from 0 to 2000"),
    ({"discharge_criteria_met": "maybe"}, "discharge_criteria_met", "Please choose yes or no."),
]


@pytest.mark.parametrize("changes, field, message", INVALID)
def test_an_invalid_value_gives_422_with_a_message_at_its_field_and_nothing_is_saved(
        clinician, course_world, changes, field, message):
    appointment_id = course_world["sessions"][0]
    response = clinician.post(f"/staff/sessions/{appointment_id}", data=full_record(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # The message sits next to its field: in the error element the input points at.
    error = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">(.*?)</p>', html,
                      re.S)
    assert error is not None, field
    assert message in re.sub(r"\s+", " ", error.group(1)).replace("&#34;", '"')
    assert f'aria-describedby="{field}' in html or f'id="{field}"' in html
    assert "Please correct the values marked below. Nothing was saved." in text_of(response)
    # What was typed is still there.
    for key, value in changes.items():
        if value.strip() and not key.endswith(("code", "severity", "note", "stopped", "paused",
                                               "reason", "discharge_criteria_met")):
            assert f'value="{value}"' in html, key
    assert count(InfusionSession) == 0
    assert count(InfusionRate) == count(VitalSign) == count(AdverseEvent) == 0
    assert audit_events("session_record.change") == []


def test_many_invalid_values_are_all_reported_at_once(clinician, course_world):
    response = clinician.post(f"/staff/sessions/{course_world['sessions'][0]}", data=full_record(
        dosing_weight_kg="251", pain_before="11", ended_at="09:00",
        stopped="y", **{"vitals-1-spo2": "49", "vitals-1-diastolic": "150",
                        "adverse_events-0-code": "bogus"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("dosing_weight_kg", "pain_before", "ended_at", "stop_reason", "vitals-1-spo2",
                  "vitals-1-diastolic", "adverse_events-0-code"):
        assert f'id="{field}-error"' in html, field
    assert count(InfusionSession) == 0


def test_an_invalid_edit_keeps_the_saved_record_as_it_was(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    url = f"/staff/sessions/{appointment_id}"
    clinician.post(url, data=full_record())
    response = clinician.post(url, data=full_record(
        pain_after="2", **{"vitals-0-spo2": "49", "rates-2-from_minute": "30",
                           "rates-2-mg_per_h": "60"}))
    assert response.status_code == 422
    record = record_of(appointment_id)
    assert record.pain_after == 3 and len(record.rates) == 2
    assert [v.spo2 for v in record.vitals] == [98, 97]
    assert len(audit_events("session_record.change")) == 1


def test_a_cancelled_appointment_without_a_record_cannot_be_recorded(clinician, course_world):
    appointment = db.session.get(Appointment, course_world["sessions"][1])
    appointment.status = "cancelled"
    db.session.commit()
    response = clinician.post(f"/staff/sessions/{appointment.id}", data=full_record())
    assert response.status_code == 422
    assert "This appointment was cancelled: there is no session to record." in text_of(response)
    assert count(InfusionSession) == 0


START = at(date(2026, 12, 8), 10)
MINUTE = timedelta(minutes=1)

RECORDABLE_CASES = [
    # (status, now, recorded already, why not or None)
    ("booked", START - MINUTE, False, "not_started"),
    ("booked", START, False, None),
    ("arrived", START + MINUTE, False, None),
    ("completed", START + MINUTE, False, None),
    ("booked", START - timedelta(days=14), False, "not_started"),
    ("cancelled", START + MINUTE, False, "cancelled"),
    ("no_show", START + MINUTE, False, "no_show"),
    # A record made already stays editable (a correction), but never before the start.
    ("cancelled", START + MINUTE, True, None),
    ("no_show", START + MINUTE, True, None),
    ("arrived", START - MINUTE, True, "not_started"),
]


@pytest.mark.parametrize("status, now, recorded, refusal", RECORDABLE_CASES)
def test_a_session_is_recorded_only_once_started_and_not_cancelled_or_missed(
        status, now, recorded, refusal):
    assert record_refusal(status, START, now, recorded) == refusal


def test_a_session_not_started_yet_offers_no_form_and_refuses_a_forged_post(
        clinician, course_world):
    third = course_world["sessions"][2]  # Thursday 10:00; now is Wednesday 10:30
    page = clinician.get(f"/staff/sessions/{third}")
    assert page.status_code == 200
    assert "The session has not started yet: it can be recorded from its start." in \
        text_of(page)
    assert 'name="pain_before"' not in page.get_data(as_text=True)

    response = clinician.post(f"/staff/sessions/{third}", data=full_record())
    assert response.status_code == 422
    assert "The session has not started yet" in text_of(response)
    assert count(InfusionSession) == 0
    assert audit_events("session_record.change") == []


def test_a_no_show_session_cannot_be_recorded(clinician, course_world):
    from booking.scheduler import attendance

    second = course_world["sessions"][1]  # started at 10:00; now is 10:30
    attendance.set_status(second, "no_show")
    page = text_of(clinician.get(f"/staff/sessions/{second}"))
    assert "The patient did not come (no-show): there is no session to record." in page
    response = clinician.post(f"/staff/sessions/{second}", data=full_record())
    assert response.status_code == 422
    assert count(InfusionSession) == 0
    course_page = clinician.get(f"/staff/courses/{course_world['course_id']}")
    assert f'href="/staff/sessions/{second}"' not in course_page.get_data(as_text=True)


def test_unknown_ids_are_404(clinician):
    assert clinician.get("/staff/sessions/99999").status_code == 404
    assert clinician.post("/staff/sessions/99999", data=full_record()).status_code == 404
    assert clinician.get("/staff/courses/99999").status_code == 404
    assert clinician.post("/staff/courses/99999/decide",
                          data={"decision": "confirm"}).status_code == 404


# --- Rows without JavaScript ----------------------------------------------------------------

def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(clinician, course_world):
    url = f"/staff/sessions/{course_world['sessions'][0]}"
    response = clinician.post(url, data=full_record(add_vitals="1", pain_before="11"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="vitals-2-minute"' in html  # the new, empty third reading
    assert 'value="146"' in html and 'value="72.5"' in html and 'value="11"' in html
    assert "felt floaty for ten minutes" in html
    assert 'id="pain_before-error"' not in html  # not checked yet: nothing was saved
    assert count(InfusionSession) == 0


def test_removing_a_row_keeps_the_other_rows_and_values(clinician, course_world):
    url = f"/staff/sessions/{course_world['sessions'][0]}"
    response = clinician.post(url, data=full_record(remove_rates="0"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The second rate moved up to the first row; the first is gone.
    assert re.search(r'name="rates-0-mg_per_h"[^>]*value="50"', html)
    assert 'name="rates-1-from_minute"' not in html
    assert 'value="0.5"' not in html
    assert 'value="146"' in html and 'value="10:05"' in html
    assert count(InfusionSession) == 0
    # Saving what is on the page now saves one rate.
    form = full_record(**{"rates-0-from_minute": "15", "rates-0-mg_per_kg_h": "",
                          "rates-0-mg_per_h": "50", "rates-1-from_minute": None,
                          "rates-1-mg_per_kg_h": None, "rates-1-mg_per_h": None})
    assert clinician.post(url, data=form).status_code == 303
    assert [(r.from_minute, r.mg_per_h) for r in record_of(course_world["sessions"][0]).rates] \
        == [(15, Decimal("50"))]


def test_empty_rows_are_ignored_when_saving(clinician, course_world):
    url = f"/staff/sessions/{course_world['sessions'][0]}"
    response = clinician.post(url, data=full_record(**{
        "vitals-2-minute": "", "vitals-2-systolic": "", "adverse_events-1-code": "",
        "adverse_events-1-severity": "", "adverse_events-1-note": ""}))
    assert response.status_code == 303
    record = record_of(course_world["sessions"][0])
    assert len(record.vitals) == 2 and len(record.adverse_events) == 1


def test_removing_every_row_on_an_edit_deletes_the_rows(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    url = f"/staff/sessions/{appointment_id}"
    clinician.post(url, data=full_record())
    data = {k: v for k, v in full_record().items() if not k.startswith("adverse_events")}
    assert clinician.post(url, data=data).status_code == 303
    assert record_of(appointment_id).adverse_events == []
    assert count(AdverseEvent) == 0


# --- The course page and the review decision ---------------------------------------------------

def test_the_course_page_shows_each_session_and_what_was_recorded(clinician, course_world):
    first, second, third = course_world["sessions"]
    clinician.post(f"/staff/sessions/{first}", data=full_record(
        **{"vitals-1-systolic": "190"}))
    response = clinician.get(f"/staff/courses/{course_world['course_id']}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = text_of(response)
    assert PATIENT_NAME in text and "Ketamine infusion course" in text
    assert "Awaiting a clinician's review" in text
    for k, day in ((1, "Tuesday, 8 December 2026, 10:00"), (2, "Wednesday, 9 December 2026, 10:00"),
                   (3, "Thursday, 10 December 2026, 10:00")):
        assert f"Day {k} of 3" in text and day in text
    assert text.count("Booked") == 3
    assert "Pain before 7" in text and "Pain after 3" in text
    assert "50 mg/h; 0.69 mg/kg/h" in text
    assert "Dissociation (feeling detached from the body or the surroundings): Mild" in text
    assert "Alert: 1 session has vital signs beyond the clinic's alert limits." in text
    assert "Systolic blood pressure 190, above the alert limit of 180, at minute 30" in text
    assert text.count("Not recorded yet") == 2
    html = response.get_data(as_text=True)
    assert f'href="/staff/sessions/{first}"' in html and f'href="/staff/sessions/{second}"' in html
    assert "Edit the record" in text and "Record this session" in text
    # Day 3 has not started: no link to record it, and the page says why.
    assert f'href="/staff/sessions/{third}"' not in html
    assert "The session has not started yet: it can be recorded from its start." in text
    assert 'value="confirm"' in html and 'value="decline"' in html


def test_a_clinician_confirms_a_course_from_its_page(clinician, course_world):
    course_id = course_world["course_id"]
    response = clinician.post(f"/staff/courses/{course_id}/decide",
                              data={"decision": "confirm", "note": "Pre-screen discussed"})
    assert response.status_code == 303
    page = clinician.get(response.headers["Location"])
    text = text_of(page)
    assert "The course is confirmed." in text and "Confirmed" in text
    assert "Pre-screen discussed" in text
    assert 'value="decline"' not in page.get_data(as_text=True)  # no buttons once decided
    assert text.count("Booked") == 3
    assert [e.object_id for e in audit_events("course.confirm")] == [course_id]


@pytest.mark.parametrize("clock", [NOW])  # before the course starts
def test_declining_a_course_frees_its_sessions(clinician, course_world, patient_details):
    course_id = course_world["course_id"]
    response = clinician.post(f"/staff/courses/{course_id}/decide", data={"decision": "decline"})
    assert response.status_code == 303
    text = text_of(clinician.get(response.headers["Location"]))
    assert "its sessions are cancelled and their times are free" in text
    assert "Declined" in text and text.count("Cancelled") == 3
    db.session.rollback()
    statuses = db.session.execute(select(Appointment.status).where(
        Appointment.course_id == course_id)).scalars().all()
    assert statuses == ["cancelled"] * 3
    # The same times can be booked again.
    other, _token = courses.book_course(service_id=course_world["service"].id,
                                        start=at(date(2026, 12, 8)), sessions=3,
                                        patient=patient_details, consent=True)
    assert len(other.appointments) == 3


def test_a_decided_course_cannot_be_decided_again(clinician, course_world):
    url = f"/staff/courses/{course_world['course_id']}/decide"
    assert clinician.post(url, data={"decision": "confirm",
                                     "note": "Intake taken by phone"}).status_code == 303
    response = clinician.post(url, data={"decision": "decline"})
    assert response.status_code == 422
    assert "This course is not waiting for a review" in text_of(response)
    db.session.rollback()
    statuses = db.session.execute(select(Appointment.status).where(
        Appointment.course_id == course_world["course_id"])).scalars().all()
    assert statuses == ["booked"] * 3


def test_a_decision_needs_a_choice_and_a_short_note(clinician, course_world):
    url = f"/staff/courses/{course_world['course_id']}/decide"
    response = clinician.post(url, data={"decision": "maybe"})
    assert response.status_code == 422
    assert "Please choose “Confirm” or “Decline”." in text_of(response)
    response = clinician.post(url, data={"decision": "confirm", "note": "x" * 2001})
    assert response.status_code == 422
    assert 'id="note-error"' in response.get_data(as_text=True)
    assert audit_events("course.confirm") == []


# --- Who may see and change records, and the audit log ------------------------------------------

def test_a_receptionist_gets_403_on_every_route_and_sees_no_values(
        clinician, receptionist, course_world):
    appointment_id = course_world["sessions"][0]
    clinician.post(f"/staff/sessions/{appointment_id}", data=full_record())
    course_id = course_world["course_id"]
    calls = [("GET", f"/staff/sessions/{appointment_id}", None),
             ("POST", f"/staff/sessions/{appointment_id}", full_record(pain_before="1")),
             ("GET", f"/staff/courses/{course_id}", None),
             ("POST", f"/staff/courses/{course_id}/decide", {"decision": "decline"})]
    for method, path, data in calls:
        response = receptionist.open(path, method=method, data=data)
        assert response.status_code == 403, (method, path)
        body = response.get_data(as_text=True)
        for value in ("72.5", "floaty", "Dissociation", PATIENT_NAME, "mg/h"):
            assert value not in body, (method, path, value)
    record = record_of(appointment_id)
    assert record.pain_before == 7
    assert db.session.get(Appointment, appointment_id).status == "booked"


def test_an_admin_who_is_not_a_clinician_gets_403(staff_client, course_world):
    admin = staff_client("admin")
    assert admin.get(f"/staff/sessions/{course_world['sessions'][0]}").status_code == 403
    assert admin.get(f"/staff/courses/{course_world['course_id']}").status_code == 403


def test_views_and_changes_are_audited_without_recorded_values(clinician, course_world):
    appointment_id = course_world["sessions"][0]
    url = f"/staff/sessions/{appointment_id}"
    clinician.get(url)
    clinician.post(url, data=full_record(**{"vitals-1-systolic": "187",
                                            "adverse_events-0-code": "nausea"}))
    clinician.post(url, data=full_record(**{"vitals-1-systolic": "187",
                                            "adverse_events-0-code": "nausea",
                                            "pain_after": "2"}))
    clinician.get(f"/staff/courses/{course_world['course_id']}")

    views = audit_events("session_record.view")
    changes = audit_events("session_record.change")
    record_id = record_of(appointment_id).id
    assert [(e.object_type, e.object_id) for e in views] == [
        ("appointment", appointment_id), ("course", course_world["course_id"])]
    assert views[0].details["infusion_session_id"] is None
    assert views[1].details["infusion_session_ids"] == [record_id]
    assert all(e.actor == "clinician@example.com" for e in views + changes)
    assert [e.object_id for e in changes] == [record_id, record_id]
    assert changes[0].details["created"] is True
    assert set(changes[0].details["fields"]) >= {"dosing_weight_kg", "pain_before", "vitals",
                                                 "adverse_events", "alert", "alert_reasons",
                                                 "max_rate_mg_per_h"}
    assert changes[1].details == {"appointment_id": appointment_id,
                                  "course_id": course_world["course_id"], "created": False,
                                  "fields": ["pain_after"]}
    for event in views + changes:
        logged = str(event.details)
        for value in ("72.5", "36.25", "187", "floaty", "nausea", "Nausea", "0.69", "10:05",
                      "180", "minute 30"):
            assert value not in logged, (event.action, value)


def test_saving_the_same_values_again_changes_nothing(clinician, course_world):
    url = f"/staff/sessions/{course_world['sessions'][0]}"
    clinician.post(url, data=full_record())
    response = clinician.post(url, data=full_record())
    assert response.status_code == 303
    assert "Nothing had changed." in text_of(clinician.get(response.headers["Location"]))
    assert len(audit_events("session_record.change")) == 1


def csrf_token(response):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))[1]


def test_the_forms_work_with_csrf_protection_on(make_test_app, create_staff, course_world,
                                                clock):
    from tests.conftest import STAFF_PASSWORD

    create_staff("doctor@example.com", roles=("clinician",), practitioner=course_world["doctor"])
    doctor = make_test_app(WTF_CSRF_ENABLED=True, FROZEN_NOW=clock).test_client()
    token = csrf_token(doctor.get("/staff/sign-in"))
    assert doctor.post("/staff/sign-in", data={"email": "doctor@example.com", "csrf_token": token,
                                               "password": STAFF_PASSWORD}).status_code == 303
    url = f"/staff/sessions/{course_world['sessions'][0]}"
    assert doctor.post(url, data=full_record()).status_code == 400  # no token: nothing saved
    assert count(InfusionSession) == 0
    saved = doctor.post(url, data={**full_record(), "csrf_token": csrf_token(doctor.get(url))})
    assert saved.status_code == 303
    assert count(InfusionSession) == 1

    course_url = f"/staff/courses/{course_world['course_id']}"
    decided = doctor.post(course_url + "/decide", data={
        "decision": "confirm", "note": "Intake taken by phone",
        "csrf_token": csrf_token(doctor.get(course_url))})
    assert decided.status_code == 303
    assert "The course is confirmed." in text_of(doctor.get(course_url))


def test_a_single_appointment_outside_a_course_can_be_recorded(
        clinician, create_service, course_world, patient_details):
    from booking.scheduler import services as booking

    consultation = create_service(name="Single infusion", duration_minutes=60)
    course_world["doctor"].services.append(consultation)
    db.session.commit()
    appointment, _token = booking.book(service_id=consultation.id,
                                       start=at(date(2026, 12, 8), 12), patient=patient_details,
                                       consent=True, now=NOW)
    url = f"/staff/sessions/{appointment.id}"
    text = text_of(clinician.get(url))
    assert "Day " not in text and "Back to the list" in text
    assert clinician.post(url, data={"started_at": "12:00", "ended_at": "12:40",
                                     "pain_before": "6", "pain_after": "4"}).status_code == 303
    record = record_of(appointment.id)
    assert record.course_id is None and record.course_day is None
    assert record.started_at == at(date(2026, 12, 8), 12)
