"""Patient data rights: the export, the erasure (one transaction), who may use them, and the
retention purge (`flask --app wsgi purge`)."""
import copy
import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, String, Text, func, select

from booking import privacy, retention
from booking.courses import services as courses
from booking.extensions import db
from booking.intake import services as intake
from booking.models import (
    AdverseEvent,
    Appointment,
    AuditEvent,
    Consent,
    FollowUpRequest,
    InfusionRate,
    InfusionSession,
    Intake,
    MessageLink,
    OutboxMessage,
    PainRating,
    Patient,
    Resource,
    SignInThrottle,
    TelegramLink,
    VitalSign,
    WaitlistEntry,
)
from booking.privacy_cli import register_privacy_cli
from booking.scheduler import services as booking
from booking.scheduler import manage_links
from tests.conftest import NOW
from tests.intake.test_services import ANSWERS

KYIV = ZoneInfo("Europe/Kyiv")

OLENA = {"full_name": "Olena Privatna", "email": "olena.privatna@example.com",
         "phone": "+380671234567", "date_of_birth": "1984-03-09"}
BOHDAN = {"full_name": "Bohdan Inshyi", "email": "bohdan.inshyi@example.com",
          "phone": "+380931112233", "date_of_birth": "1979-11-21"}
# Values only Olena's records carry, to find them wherever they might hide.
OLENA_TRIGGER = "smell of fresh paint"
OLENA_EVENT_NOTE = "felt floaty for ten minutes"
BOHDAN_EVENT_NOTE = "bohdan felt dizzy at minute 20"


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def count(model, *conditions):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)
                              ).scalar_one()


def events(action):
    db.session.rollback()
    return db.session.execute(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).scalars().all()


def rows_containing(*needles):
    """(table, row) of every row in the database whose text holds one of `needles`."""
    db.session.rollback()
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            text = " ".join(json.dumps(value, ensure_ascii=False) if not isinstance(value, str)
                            else value for value in row if value is not None).lower()
            if any(needle.lower() in text for needle in needles):
                found.append((table.name, row))
    return found


def intake_answers(details):
    answers = copy.deepcopy(ANSWERS)
    answers["about"].update(full_name=details["full_name"], email=details["email"],
                            phone=details["phone"], date_of_birth=details["date_of_birth"],
                            language="en")
    return answers


def fill_and_submit(appointment, answers):
    for step in intake.steps_for(appointment):
        if step != "review":
            intake.save_step(appointment.id, step, answers[step], language="en")
    intake.submit(appointment.id, language="en")


def add_session_record(appointment, *, pain_before, pain_after, note):
    record = InfusionSession(
        appointment_id=appointment.id, course_id=appointment.course_id,
        course_day=appointment.course_day, started_at=appointment.starts_at,
        ended_at=appointment.starts_at + timedelta(minutes=45), pain_before=pain_before,
        pain_after=pain_after, dosing_weight_kg=72.5, total_dose_mg=36.25)
    record.rates.append(InfusionRate(from_minute=0, mg_per_kg_h=0.5))
    record.vitals.append(VitalSign(minute=0, systolic=131, diastolic=83, heart_rate=77,
                                   spo2=98))
    record.adverse_events.append(AdverseEvent(code="dissociation", severity="mild", note=note))
    db.session.add(record)
    db.session.commit()
    return record


# --- The world: Olena (intake, course, sessions, follow-up, waitlist, emails) and Bohdan --------

@pytest.fixture
def world(app, create_service, create_practitioner):
    consult = create_service(name="Headache consultation")
    infusion = create_service(name="Ketamine infusion course", duration_minutes=60,
                              grid_minutes=60, observation_minutes=60,
                              resource_kind="infusion_chair", is_course=True, min_sessions=3,
                              max_sessions=7)
    create_practitioner([consult], full_name="Dr Consult")
    create_practitioner([infusion], full_name="Dr Infusion")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()

    visit, visit_token = booking.book(service_id=consult.id, start=at(date(2026, 12, 14)),
                                      patient=dict(OLENA), consent=True)
    answers = intake_answers(OLENA)
    answers["history"]["triggers_other"] = OLENA_TRIGGER
    fill_and_submit(visit, answers)

    course, course_token = courses.book_course(
        service_id=infusion.id, start=at(date(2026, 12, 8)), sessions=3, patient=dict(OLENA),
        consent=True)
    first = course.appointments[0]
    add_session_record(first, pain_before=8, pain_after=2, note=OLENA_EVENT_NOTE)
    follow_up_token, follow_up_hash = manage_links.new_token()
    db.session.add(FollowUpRequest(course_id=course.id, label="1m", due_on=date(2027, 1, 8),
                                   token_hash=follow_up_hash, answered_at=NOW, pain=3,
                                   headache_days=4))
    _leave, leave_hash = manage_links.new_token()
    db.session.add(WaitlistEntry(
        service_id=consult.id, full_name=OLENA["full_name"], email=OLENA["email"],
        phone=OLENA["phone"], date_of_birth=date.fromisoformat(OLENA["date_of_birth"]),
        language="en", first_day=date(2026, 12, 9), last_day=date(2026, 12, 30),
        earliest=time(10), latest=time(19), weekdays=[0, 1, 2], token_hash=leave_hash))
    # One of Olena's emails has gone out; the others still wait in the outbox.
    sent = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.appointment_id == visit.id)).scalars().first()
    sent.status, sent.sent_at = "sent", NOW
    db.session.commit()

    other, other_token = booking.book(service_id=consult.id, start=at(date(2026, 12, 15)),
                                      patient=dict(BOHDAN), consent=True)
    fill_and_submit(other, intake_answers(BOHDAN))
    add_session_record(other, pain_before=9, pain_after=6, note=BOHDAN_EVENT_NOTE)

    return {
        "patient_id": visit.patient_id, "visit_id": visit.id, "visit_token": visit_token,
        "course_id": course.id, "course_token": course_token, "first_session_id": first.id,
        "follow_up_token": follow_up_token, "other_patient_id": other.patient_id,
        "other_id": other.id, "other_token": other_token,
        "visit_reference": visit.reference, "other_reference": other.reference,
        "visit_starts": visit.starts_at,
    }


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def privacy_url(patient_id, what="privacy"):
    return f"/staff/admin/patients/{patient_id}/{what}"


# --- Export ---------------------------------------------------------------------------------------

def test_export_holds_the_patients_intake_answers_and_session_pain_and_nothing_of_another(
        world, admin):
    response = admin.get(privacy_url(world["patient_id"], "export.json"))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["patient"]["full_name"] == OLENA["full_name"]
    assert data["patient"]["email"] == OLENA["email"]
    assert [c["version"] for c in data["consents"]]
    intake_rows = [i for i in data["intakes"] if i["status"] == "submitted"]
    assert intake_rows[0]["answers"]["history"]["triggers_other"] == OLENA_TRIGGER
    assert intake_rows[0]["answers"]["pain"]["pain_now"] == ANSWERS["pain"]["pain_now"]
    assert {s["instrument"] for s in intake_rows[0]["scores"]} >= {"midas", "phq9", "gad7"}
    assert {m["name"] for m in intake_rows[0]["acute_medicines"]} == {"Sumatriptan", "Ibuprofen"}
    assert {r["kind"] for r in data["pain_ratings"]} >= {"now", "avg_7d", "worst_month"}
    [session] = data["treatment_sessions"]
    assert (session["pain_before"], session["pain_after"]) == (8, 2)
    assert session["vital_signs"][0]["systolic"] == 131
    assert session["rates"][0]["mg_per_kg_h"] == 0.5
    assert session["adverse_events"][0]["note"] == OLENA_EVENT_NOTE
    assert data["follow_ups"][0]["pain"] == 3
    assert data["waitlist_entries"][0]["last_day"] == "2026-12-30"
    assert len(data["courses"]) == 1 and len(data["appointments"]) == 4
    # Times carry their offset: 10:00 in Kyiv in winter is +02:00.
    visit = next(a for a in data["appointments"] if a["reference"] == world["visit_reference"])
    assert visit["starts_at"] == "2026-12-14T10:00:00+02:00"
    assert visit["service"] == "Headache consultation"
    assert visit["practitioner"] == "Dr Consult"
    # Nothing of Bohdan.
    for needle in (BOHDAN["full_name"], BOHDAN["email"], BOHDAN["phone"],
                   world["other_reference"], BOHDAN_EVENT_NOTE):
        assert needle not in text


def test_export_is_audited_with_counts_and_no_personal_values(world, admin):
    admin.get(privacy_url(world["patient_id"], "export.json"))

    [event] = events("patient.export")
    assert event.object_type == "patient" and event.object_id == world["patient_id"]
    assert event.actor == "admin@example.com"
    assert event.details["counts"]["session_records"] == 1
    logged = json.dumps(event.details)
    for needle in (OLENA["full_name"], OLENA["email"], OLENA["phone"], OLENA_TRIGGER):
        assert needle not in logged


def test_privacy_page_shows_counts_and_the_export_and_erase_buttons(world, admin):
    response = admin.get(privacy_url(world["patient_id"]))

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    assert OLENA["full_name"] in page
    assert "Treatment session records" in page
    assert privacy_url(world["patient_id"], "export.json") in page
    assert f'action="{privacy_url(world["patient_id"], "erase")}"' in page
    assert "Type ERASE to confirm" in page
    assert OLENA_TRIGGER not in page and OLENA_EVENT_NOTE not in page  # counts only


def test_unknown_patient_is_404_on_every_route(world, admin):
    assert admin.get(privacy_url(999999)).status_code == 404
    assert admin.get(privacy_url(999999, "export.json")).status_code == 404
    assert admin.post(privacy_url(999999, "erase"), data={"confirm": "ERASE"}).status_code == 404


def test_admin_finds_a_patient_by_name_through_a_post(world, admin):
    response = admin.post("/staff/admin/privacy", data={"q": "Privatna"})

    assert response.status_code == 200
    assert privacy_url(world["patient_id"]) in response.get_data(as_text=True)


# --- Erasure --------------------------------------------------------------------------------------

def erase(admin, patient_id, word="ERASE"):
    return admin.post(privacy_url(patient_id, "erase"), data={"confirm": word})


def test_erase_needs_the_word_erase_typed_and_changes_nothing_without_it(world, admin):
    response = erase(admin, world["patient_id"], word="erase please")

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please type ERASE in capital letters to confirm." in page
    assert 'value="erase please"' in page  # what was typed is kept
    assert db.session.get(Patient, world["patient_id"]).full_name == OLENA["full_name"]
    assert events("patient.erase") == []


def test_erase_with_an_empty_form_is_refused(world, admin):
    response = admin.post(privacy_url(world["patient_id"], "erase"), data={})

    assert response.status_code == 422
    assert db.session.get(Patient, world["patient_id"]).full_name == OLENA["full_name"]


def test_erase_removes_the_name_everywhere_and_keeps_the_appointments(world, admin, client):
    patient_id = world["patient_id"]
    assert client.get(f"/manage/{world['visit_token']}").status_code == 200
    audit_before = count(AuditEvent)
    held = {table for table, _row in rows_containing(
        OLENA["full_name"], OLENA["email"], OLENA_TRIGGER, OLENA_EVENT_NOTE)}
    assert held >= {"patient", "intake", "outbox_message", "waitlist_entry", "adverse_event"}
    language = db.session.get(Patient, patient_id).language  # her latest booking's

    response = erase(admin, patient_id)

    assert response.status_code == 303
    db.session.rollback()
    patient = db.session.get(Patient, patient_id)
    assert patient.full_name == f"Erased patient #{patient_id}"
    assert patient.email == f"erased-{patient_id}@invalid"
    assert patient.phone == ""
    assert patient.date_of_birth == date(1900, 1, 1)
    assert patient.language == language  # not personal data: kept
    # No table holds her name, address, phone or answers any more.
    assert rows_containing(OLENA["full_name"], OLENA["email"], OLENA["phone"],
                           OLENA_TRIGGER, OLENA_EVENT_NOTE, "Privatna") == []
    # Clinical rows are gone: intakes with what was derived, pain ratings, session records.
    assert count(Intake, Intake.patient_id == patient_id) == 0
    assert count(PainRating, PainRating.patient_id == patient_id) == 0
    assert count(InfusionSession, InfusionSession.course_id == world["course_id"]) == 0
    assert count(AdverseEvent) == count(VitalSign) == count(InfusionRate) == 1  # Bohdan's
    follow_up = db.session.execute(select(FollowUpRequest)).scalar_one()
    assert (follow_up.pain, follow_up.headache_days, follow_up.midas) == (None, None, None)
    assert count(WaitlistEntry) == 0
    # Emails: the unsent ones are gone, the sent one is blanked.
    mine = db.session.execute(select(OutboxMessage).where(
        OutboxMessage.to_address == f"erased-{patient_id}@invalid")).scalars().all()
    assert [(m.status, m.subject, m.text_body) for m in mine] == [
        ("sent", "[erased]", "[erased]")]
    # Consents stay as kind, version and time.
    assert count(Consent, Consent.patient_id == patient_id) >= 1
    # The appointment is still there with its time and status: the calendar stays true.
    visit = db.session.get(Appointment, world["visit_id"])
    assert visit.starts_at == world["visit_starts"]
    assert visit.status == "booked" and visit.patient_id == patient_id
    assert count(Appointment, Appointment.course_id == world["course_id"]) == 3
    # Every private link is dead.
    assert client.get(f"/manage/{world['visit_token']}").status_code == 404
    assert client.get(f"/manage/{world['visit_token']}/intake").status_code == 404
    assert client.get(f"/manage/{world['course_token']}").status_code == 404
    assert client.get(f"/follow-up/{world['follow_up_token']}").status_code == 404
    # Bohdan keeps everything.
    assert client.get(f"/manage/{world['other_token']}").status_code == 200
    assert db.session.get(Patient, world["other_patient_id"]).full_name == BOHDAN["full_name"]
    assert count(Intake, Intake.patient_id == world["other_patient_id"]) == 1
    # Audited with counts, without the name; nothing was removed from the log.
    [event] = events("patient.erase")
    assert event.object_id == patient_id and event.actor == "admin@example.com"
    assert event.details["counts"]["session_records"] == 1
    assert event.details["counts"]["appointments_kept"] == 4
    for needle in (OLENA["full_name"], OLENA["email"], OLENA["phone"]):
        assert needle not in json.dumps(event.details) + event.actor
    assert count(AuditEvent) > audit_before


def test_after_erasure_the_calendar_shows_the_time_taken_without_the_name(world, admin,
                                                                         staff_client):
    erase(admin, world["patient_id"])
    desk = staff_client("receptionist")

    page = desk.get("/staff/calendar?day=2026-12-14").get_data(as_text=True)

    assert OLENA["full_name"] not in page
    assert f"Erased patient #{world['patient_id']}" in page
    assert world["visit_reference"] in page or "10:00" in page


def test_erasure_is_one_transaction_nothing_changes_when_it_fails(world, admin, client,
                                                                  monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(privacy.audit, "record", broken)
    with pytest.raises(RuntimeError):
        privacy.erase_patient(world["patient_id"], "ERASE")

    db.session.rollback()
    assert db.session.get(Patient, world["patient_id"]).full_name == OLENA["full_name"]
    assert count(Intake, Intake.patient_id == world["patient_id"]) == 1
    assert count(InfusionSession, InfusionSession.course_id == world["course_id"]) == 1
    assert count(WaitlistEntry) == 1
    assert count(OutboxMessage, OutboxMessage.to_address == OLENA["email"]) >= 2
    assert client.get(f"/manage/{world['visit_token']}").status_code == 200


def test_export_after_erasure_holds_no_personal_data(world, admin):
    erase(admin, world["patient_id"])

    text = admin.get(privacy_url(world["patient_id"], "export.json")).get_data(as_text=True)

    assert OLENA["full_name"] not in text and OLENA["email"] not in text
    data = json.loads(text)
    assert data["intakes"] == [] and data["treatment_sessions"] == []
    assert len(data["appointments"]) == 4


# --- Roles ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("roles", [("receptionist",), ("clinician",)])
def test_receptionists_and_clinicians_are_refused_every_privacy_route(world, staff_client,
                                                                     roles):
    person = staff_client(*roles)
    patient_id = world["patient_id"]

    assert person.get(privacy_url(patient_id)).status_code == 403
    assert person.get(privacy_url(patient_id, "export.json")).status_code == 403
    assert erase(person, patient_id).status_code == 403
    assert person.get("/staff/admin/privacy").status_code == 403
    assert db.session.get(Patient, patient_id).full_name == OLENA["full_name"]
    assert events("patient.export") == [] and events("patient.erase") == []


# --- Purge ----------------------------------------------------------------------------------------

@pytest.fixture
def purge_runner(app):
    register_privacy_cli(app)
    runner = app.test_cli_runner()

    def run(*args):
        db.session.commit()  # end the test's own transaction before the command writes
        result = runner.invoke(args=["purge", *args])
        assert result.exit_code == 0, result.output
        db.session.rollback()
        return result.output
    return run


def message(days_ago, status="sent", kind="confirmation"):
    when = NOW - timedelta(days=days_ago)
    row = OutboxMessage(kind=kind, to_address="someone@example.com", to_name="Some One",
                        subject="Your appointment", text_body="Hello", status=status,
                        created_at=when, next_attempt_at=when,
                        sent_at=when if status == "sent" else None)
    db.session.add(row)
    db.session.commit()
    return row.id


@pytest.fixture
def old_things(app, create_service, create_practitioner):
    """One of each kind past retention, and a recent sent email."""
    service = create_service()
    practitioner = create_practitioner([service])
    ids = {"old_sent": message(100), "recent_sent": message(10), "old_failed": message(200,
                                                                                        "failed")}
    _t, leave_hash = manage_links.new_token()
    db.session.add(WaitlistEntry(
        service_id=service.id, full_name="Waiting Long Ago", email="w@example.com",
        phone="+380501111111", date_of_birth=date(1990, 1, 1), first_day=date(2026, 6, 1),
        last_day=date(2026, 7, 1), earliest=time(10), latest=time(19), weekdays=[0],
        token_hash=leave_hash, created_at=datetime(2026, 5, 30, tzinfo=timezone.utc)))
    db.session.add(SignInThrottle(email="typo@example.com", failures=2,
                                  window_started_at=NOW - timedelta(days=3)))
    # A patient who came two years ago: an unfinished intake of a later visit, and the record
    # of the visit they came to (which must stay).
    long_ago = NOW - timedelta(days=800)
    treated = Patient(full_name="Treated Long Ago", email="treated@example.com",
                      phone="+380502222222", date_of_birth=date(1970, 1, 1),
                      created_at=long_ago)
    canceller = Patient(full_name="Cancelled Long Ago", email="gone@example.com",
                        phone="+380503333333", date_of_birth=date(1975, 1, 1),
                        created_at=long_ago)
    db.session.add_all([treated, canceller])
    db.session.flush()

    def visit(patient, starts, status, n):
        _token, token_hash = manage_links.new_token()
        appointment = Appointment(
            reference=f"EX-OLD00{n}", manage_token_hash=token_hash, service_id=service.id,
            practitioner_id=practitioner.id, patient_id=patient.id, starts_at=starts,
            ends_at=starts + timedelta(hours=1), blocks_until=starts + timedelta(hours=1),
            status=status, created_at=starts - timedelta(days=3),
            cancelled_at=starts - timedelta(days=1) if status == "cancelled" else None)
        db.session.add(appointment)
        db.session.flush()
        return appointment

    came = visit(treated, long_ago, "completed", 1)
    later = visit(treated, long_ago + timedelta(days=30), "no_show", 2)
    visit(canceller, long_ago + timedelta(days=2), "cancelled", 3)
    db.session.add(Intake(appointment_id=came.id, patient_id=treated.id, status="submitted",
                          answers={"pain": {"pain_now": 7}}, submitted_at=long_ago,
                          started_at=long_ago))
    db.session.add(Intake(appointment_id=later.id, patient_id=treated.id, status="in_progress",
                          answers={"about": {"full_name": "Treated Long Ago"}},
                          started_at=long_ago))
    db.session.add(InfusionSession(appointment_id=came.id, pain_before=7, pain_after=3))
    db.session.commit()
    ids.update(treated_id=treated.id, canceller_id=canceller.id, came_id=came.id)
    return ids


def snapshot():
    db.session.rollback()
    return {table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def test_purge_dry_run_prints_counts_and_changes_nothing(old_things, purge_runner):
    before = snapshot()

    output = purge_runner("--dry-run")

    assert "dry run" in output
    for line in ("outbox_sent: 1", "outbox_failed: 1", "waitlist_entries: 1",
                 "sign_in_throttle: 1", "unfinished_intakes: 1", "patients_anonymised: 1"):
        assert line in output
    assert snapshot() == before
    assert events("privacy.purge") == []


def test_purge_removes_an_old_sent_email_and_keeps_a_recent_one(old_things, purge_runner):
    output = purge_runner()

    assert "outbox_sent: 1" in output
    assert db.session.get(OutboxMessage, old_things["old_sent"]) is None
    assert db.session.get(OutboxMessage, old_things["old_failed"]) is None
    assert db.session.get(OutboxMessage, old_things["recent_sent"]) is not None
    assert count(WaitlistEntry) == 0 and count(SignInThrottle) == 0


def test_purge_keeps_the_audit_log_and_is_audited_with_counts(old_things, purge_runner):
    db.session.add(AuditEvent(action="appointment.create", object_type="appointment",
                              object_id=old_things["came_id"],
                              at=NOW - timedelta(days=900), details={}))
    db.session.commit()
    audit_ids = set(db.session.execute(select(AuditEvent.id)).scalars())

    purge_runner()

    assert audit_ids <= set(db.session.execute(select(AuditEvent.id)).scalars())
    [event] = events("privacy.purge")
    assert event.actor == "system"
    assert event.details["counts"]["outbox_sent"] == 1
    assert "Cancelled Long Ago" not in json.dumps(event.details)


def test_purge_keeps_the_medical_record_of_a_treated_patient(old_things, purge_runner):
    purge_runner()

    treated = db.session.get(Patient, old_things["treated_id"])
    assert treated.full_name == "Treated Long Ago"
    assert count(Intake, Intake.patient_id == treated.id, Intake.status == "submitted") == 1
    assert count(Intake, Intake.patient_id == treated.id, Intake.status == "in_progress") == 0
    assert count(InfusionSession, InfusionSession.appointment_id == old_things["came_id"]) == 1


def test_purge_anonymises_people_who_booked_long_ago_and_never_came(old_things, purge_runner):
    purge_runner()

    canceller = db.session.get(Patient, old_things["canceller_id"])
    assert canceller.full_name == f"Erased patient #{canceller.id}"
    assert count(Appointment, Appointment.patient_id == canceller.id) == 1


def test_purge_help_says_medical_records_and_the_audit_log_are_kept(app):
    register_privacy_cli(app)
    output = app.test_cli_runner().invoke(args=["purge", "--help"]).output

    assert "audit log" in output and "medical records" in output
    assert "--dry-run" in output


def test_retention_periods_come_from_config_with_defaults(make_test_app):
    other = make_test_app(PRIVACY_RETENTION={"outbox_sent_days": 30})
    with other.app_context():
        periods = retention.retention()
    assert periods["outbox_sent_days"] == 30
    assert periods["waitlist_days"] == retention.RETENTION_DEFAULTS["waitlist_days"]


def test_purge_removes_one_time_links_once_they_expire(old_things, purge_runner):
    patient_id = old_things["treated_id"]
    for n, expires in enumerate((NOW - timedelta(minutes=1), NOW + timedelta(hours=1))):
        db.session.add(TelegramLink(code_hash=f"{n:064d}", patient_id=patient_id,
                                    expires_at=expires))
        db.session.add(MessageLink(token_hash=f"{n + 5:064d}", purpose="manage",
                                   patient_id=patient_id, expires_at=expires))
    db.session.commit()

    output = purge_runner()

    assert "telegram_links: 1" in output and "message_links: 1" in output
    assert [link.expires_at for link in db.session.execute(select(TelegramLink)).scalars()] == \
        [NOW + timedelta(hours=1)]
    assert [link.expires_at for link in db.session.execute(select(MessageLink)).scalars()] == \
        [NOW + timedelta(hours=1)]
