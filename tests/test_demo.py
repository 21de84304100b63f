"""The demo: six months of clinic life ending today, built through the real services, so every
rule of the booking core holds for it; the same demo moved along on another day; reserved
addresses, nothing left to send, and staff accounts only outside production."""
import re
import shutil
from collections import Counter
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking import create_app
from booking.attention import services as attention
from booking.courses import pain_over_time, reporting
from booking.extensions import db
from booking.models.diary import DiaryEntry
from booking.models import (Appointment, AuditEvent, Closure, Course, FollowUpRequest,
                            InfusionSession, Intake, OutboxMessage, Patient, Resource, Service,
                            StaffUser, WaitlistEntry)
from booking.worker.runner import Worker
from tests.conftest import NOW, make_app, running, sign_in, sqlite_only
from config import ProductionConfig
from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture)
from tests.test_security import production_settings

KYIV = ZoneInfo("Europe/Kyiv")
# The days the demo is built on: the tests' Monday in December; a Monday in summer (another
# UTC offset); a Saturday evening, the night before the clocks go forward.
DECEMBER = NOW
JUNE = datetime(2027, 6, 14, 9, 0, tzinfo=KYIV).astimezone(timezone.utc)
MARCH_SATURDAY = datetime(2027, 3, 27, 21, 30, tzinfo=KYIV).astimezone(timezone.utc)
WINDOWS = {"1m": (21, 45), "3m": (75, 120)}

pytestmark = sqlite_only  # each seed is a SQLite file, copied for every test


@pytest.fixture(scope="session")
def seeded(migrated_template, tmp_path_factory):
    """seeded(now) -> (path of a database with the demo built at `now`, seed-demo's output),
    built once per day for the whole run."""
    built = {}

    def seed(now):
        if now not in built:
            path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
            shutil.copy(migrated_template, path)
            app = make_app(f"sqlite:///{path}", FROZEN_NOW=now)
            with running(app):
                output = app.test_cli_runner().invoke(args=["seed-demo"]).output
            built[now] = (path, output)
        return built[now]
    return seed


@pytest.fixture
def demo_at(seeded, tmp_path):
    """An app on a fresh copy of the demo built at `now` (the app's clock stays there)."""
    contexts = []

    def make(now=DECEMBER, **settings):
        source, output = seeded(now)
        path = tmp_path / f"demo-{len(contexts)}.sqlite"
        shutil.copy(source, path)
        context = running(make_app(f"sqlite:///{path}", FROZEN_NOW=now, **settings))
        app = context.__enter__()
        contexts.append(context)
        app.seed_output = output
        return app
    yield make
    for context in reversed(contexts):
        context.__exit__(None, None, None)


def accounts(app):
    """[(role, email, password)] as seed-demo printed them."""
    return re.findall(r"^  (\w+) +(\S+@example\.org) +(\S+)$", app.seed_output, re.M)


def signed_in(app, role):
    """A client signed in with the demo's account for `role`, password as printed."""
    [(email, password)] = [(e, p) for r, e, p in accounts(app) if r == role]
    client = app.test_client()
    assert sign_in(client, email, password).status_code == 303
    return client


def rows(model, *where):
    return db.session.execute(select(model).where(*where)).scalars().all()


def local(instant):
    return instant.astimezone(KYIV)


# --- What it holds ---------------------------------------------------------------------------

def test_seed_demo_fills_an_empty_database_once_and_shows_the_staff_passwords_once(demo_at):
    app = demo_at()
    assert "Demo data loaded: 5 services, 3 practitioners" in app.seed_output
    assert len(rows(Service)) == 5 and len(rows(Resource)) == 2 and rows(Closure)
    printed = accounts(app)
    assert [role for role, _email, _password in printed] == ["receptionist", "clinician",
                                                             "admin"]
    clinician = db.session.execute(select(StaffUser).where(
        StaffUser.email == "clinician.demo@example.org")).scalar_one()
    assert clinician.practitioner.full_name == "Dr Andrii Melnyk"
    for _role, email, password in printed:
        assert sign_in(app.test_client(), email, password).status_code == 303
        assert password not in str(db.session.execute(select(AuditEvent.details)).all())

    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "not loaded" in again.output
    assert len(rows(Service)) == 5


def test_production_settings_refuse_to_seed(database_uri):
    settings = production_settings(SQLALCHEMY_DATABASE_URI=database_uri,
                                   ALLOW_SQLITE_IN_PRODUCTION=True,
                                   SESSION_COOKIE_NAME="__Host-expio_session")
    app = create_app(type("Production", (ProductionConfig,), settings))
    with running(app):
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 1
        assert "never loaded in production" in result.output
        assert rows(Service) == [] and rows(StaffUser) == []


def test_the_demo_has_six_months_of_past_and_the_weeks_ahead(demo_at):
    demo_at()
    today = local(DECEMBER).date()
    days = [(local(a.starts_at).date() - today).days for a in rows(Appointment)]
    assert -185 <= min(days) <= -170 and 10 <= max(days) <= 25
    statuses = Counter(a.status for a in rows(Appointment))
    assert statuses["completed"] > 200 and statuses["no_show"] >= 3
    assert statuses["booked"] >= 15
    late = [a for a in rows(Appointment, Appointment.status == "cancelled")
            if a.cancelled_by == "patient"
            and a.cancelled_at > a.starts_at - timedelta(hours=12)]
    assert len(late) >= 2  # late cancellations, taken by reception
    assert any(a.reschedule_count for a in rows(Appointment))
    assert len(rows(WaitlistEntry)) == 3
    assert db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() > 500


def test_demo_people_have_reserved_addresses_and_invented_numbers(demo_at):
    demo_at()
    for patient in rows(Patient):
        assert patient.email.endswith("@example.org"), patient.email
        assert patient.phone.startswith("+38050000"), patient.phone
    assert all(entry.email.endswith("@example.org") for entry in rows(WaitlistEntry))
    assert all(user.email.endswith("@example.org") for user in rows(StaffUser))
    assert {message.to_address.rsplit("@", 1)[1] for message in rows(OutboxMessage)} == {
        "example.org"}


# --- Every rule of the booking core, at every moment ---------------------------------------

def intervals_overlap(spans):
    spans = sorted(spans)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:]))


@pytest.mark.parametrize("now", [DECEMBER, JUNE, MARCH_SATURDAY])
def test_every_demo_appointment_keeps_the_rules_of_the_booking_core(demo_at, now):
    demo_at(now)
    active = rows(Appointment, Appointment.status != "cancelled")
    closures = rows(Closure)
    by_practitioner, by_chair = {}, {}
    for appointment in active:
        start, end = local(appointment.starts_at), local(appointment.ends_at)
        held_until = local(appointment.resource_until or appointment.ends_at)
        assert start.weekday() < 5, appointment
        assert start.time() >= time(10) and held_until.time() <= time(19), appointment
        assert start.date() == held_until.date()
        hours = [(h.start_time, h.end_time) for h in appointment.practitioner.working_hours
                 if h.weekday == start.weekday()]
        assert any(first <= start.time() and end.time() <= last for first, last in hours)
        assert appointment.service in appointment.practitioner.services
        for closure in closures:
            assert not (appointment.starts_at < closure.ends_at
                        and closure.starts_at < appointment.ends_at), appointment
        assert appointment.created_at <= appointment.starts_at  # booked before it began
        by_practitioner.setdefault(appointment.practitioner_id, []).append(
            (appointment.starts_at, appointment.blocks_until))
        if appointment.resource_id:
            by_chair.setdefault(appointment.resource_id, []).append(
                (appointment.starts_at, appointment.resource_until))
    assert not any(intervals_overlap(spans) for spans in by_practitioner.values())
    assert not any(intervals_overlap(spans) for spans in by_chair.values())
    assert by_chair  # the infusions did take chairs


@pytest.mark.parametrize("now", [DECEMBER, JUNE, MARCH_SATURDAY])
def test_every_demo_status_and_record_follows_time(demo_at, now):
    demo_at(now)
    for appointment in rows(Appointment):
        if appointment.status in ("completed", "no_show"):
            assert appointment.starts_at <= now, appointment
        if appointment.status == "arrived":
            assert appointment.starts_at - timedelta(hours=1) <= now < appointment.ends_at
        if appointment.status == "booked":
            assert appointment.ends_at > now - timedelta(hours=1), appointment  # not forgotten
        if appointment.status == "cancelled":
            assert appointment.cancelled_at <= now
    for record in rows(InfusionSession):
        assert record.appointment.starts_at <= record.created_at <= now
        assert record.appointment.status in ("arrived", "completed")
    for course in rows(Course):
        held = [a for a in course.appointments if a.status != "cancelled"]
        attended = [a for a in held if a.status in ("arrived", "completed")]
        if course.status == "completed":
            assert attended and all(a.ends_at <= now for a in held)
        if course.status == "not_attended":
            assert not attended and all(a.ends_at <= now for a in held)
        if course.status in ("awaiting_review", "confirmed"):
            assert any(a.starts_at > now for a in held)
    for request in rows(FollowUpRequest):
        assert request.created_at <= now
        if request.answered_at is not None:
            assert request.created_at <= request.answered_at <= now
    for intake in rows(Intake):
        assert intake.started_at <= intake.appointment.starts_at
        if intake.submitted_at is not None:
            assert intake.submitted_at <= intake.appointment.starts_at


def shape(now):
    """The demo as seen from its own today: each appointment's day counted from today, its
    local time, service, practitioner, status and course day, in order."""
    today = local(now).date()
    return sorted(((local(a.starts_at).date() - today).days, local(a.starts_at).strftime("%H:%M"),
                   a.service.name, a.practitioner.full_name, a.status, a.course_day or 0)
                  for a in rows(Appointment))


def test_the_demo_is_the_same_moved_along_on_another_day(demo_at):
    demo_at(DECEMBER)
    december = shape(DECEMBER)
    december_courses = Counter(c.status for c in rows(Course))
    demo_at(JUNE)  # another Monday, half a year on, in summer time
    assert shape(JUNE) == december
    assert Counter(c.status for c in rows(Course)) == december_courses


# --- What staff see on the first day ------------------------------------------------------

def test_the_outcomes_report_shows_at_least_ten_completed_courses(demo_at):
    client = signed_in(demo_at(), "clinician")
    page = client.get("/staff/outcomes")
    assert page.status_code == 200
    report = client.get("/staff/outcomes.json").get_json()  # the page's default period
    assert report["n"] >= 10
    assert len(report["courses"]) >= 10


def test_the_courses_have_full_session_records_and_their_follow_ups(demo_at):
    demo_at()
    completed = rows(Course, Course.status == "completed")
    assert len(completed) >= 15
    for course in completed:
        attended = [a for a in course.appointments if a.status == "completed"]
        records = {r.appointment_id: r for r in rows(
            InfusionSession, InfusionSession.course_id == course.id)}
        assert set(records) == {a.id for a in attended}  # every session, day 1 included
        for record in records.values():
            assert record.pain_before is not None and record.pain_after is not None
            assert record.vitals and record.rates and record.max_rate_mg_per_kg_h
    events = Counter(e.code for r in rows(InfusionSession) for e in r.adverse_events)
    assert sum(events.values()) >= 5 and "hypertension" in events
    assert any(r.alert for r in rows(InfusionSession))
    assert {c.status for c in rows(Course)} >= {"completed", "not_attended", "declined",
                                               "confirmed", "awaiting_review"}

    kinds = Counter()
    for request in rows(FollowUpRequest):
        course = db.session.get(Course, request.course_id)
        end = max(local(a.starts_at).date() for a in course.appointments
                  if a.status == "completed")
        if request.answered_at is None:
            kinds[request.label, "unanswered"] += 1
            continue
        days = (local(request.answered_at).date() - end).days
        first, last = WINDOWS[request.label]
        kinds[request.label, "in window" if first <= days <= last else "late"] += 1
        assert days >= first
    assert kinds["1m", "in window"] >= 5 and kinds["3m", "in window"] >= 2
    assert kinds["1m", "late"] + kinds["3m", "late"] >= 2
    assert kinds["1m", "unanswered"] >= 1 and kinds["3m", "unanswered"] >= 1


def test_the_pain_chart_of_a_course_patient_has_points(demo_at):
    app = demo_at()
    course = rows(Course, Course.status == "completed")[0]
    chart = pain_over_time.pain_chart(course.patient_id, now=DECEMBER)
    assert len(chart.rows) >= 10
    page = signed_in(app, "clinician").get(f"/staff/patients/{course.patient_id}/pain")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)


def test_the_attention_queue_holds_the_urgent_demo_intake(demo_at):
    app = demo_at()
    [item] = attention.open_items()
    assert "phq9_item9" in item.reasons
    assert len(rows(Intake, Intake.urgent.is_(True))) == 3  # two acknowledged in the past
    page = signed_in(app, "clinician").get("/staff/attention")
    assert page.status_code == 200 and item.appointment_reference in page.get_data(as_text=True)


def test_the_report_period_can_cover_the_whole_half_year(demo_at):
    demo_at()
    today = local(DECEMBER).date()
    ended = reporting.ended_courses(today - timedelta(days=183), today, now=DECEMBER)
    assert sum(1 for _course, span in ended if span.attended) >= 15


# --- Nothing to send --------------------------------------------------------------------------

def test_nothing_waits_in_the_outbox(demo_at):
    demo_at()
    assert {m.status for m in rows(OutboxMessage)} == {"sent"}
    assert all(m.sent_at <= DECEMBER for m in rows(OutboxMessage))


def test_the_workers_first_run_sends_nothing_from_the_demo(demo_at, smtp_server):
    demo_at(**smtp_server.settings())
    runs = {run.job: run for run in Worker().run_due()}
    assert set(runs) == {"send-mail", "send-reminders", "send-diary-prompts", "send-followups",
                         "purge"}
    assert all(run.ok for run in runs.values())
    assert runs["send-mail"].counts["sent"] == 0
    assert runs["send-reminders"].counts == {"reminders": 0, "nudges": 0}
    assert runs["send-followups"].counts == {"requests": 0, "emails": 0}
    assert runs["send-diary-prompts"].counts == {"reminders": 0}
    assert smtp_server.received == []


def test_the_completed_courses_have_diaries_that_the_report_can_use(demo_at):
    client = signed_in(demo_at(), "clinician")
    entries = rows(DiaryEntry)
    assert len({e.patient_id for e in entries}) >= 10
    assert any(not e.headache for e in entries) and any(e.headache for e in entries)
    today = local(max(e.created_at for e in entries)).date()
    assert all(e.entry_on <= today for e in entries)
    half_year = client.get("/staff/outcomes.json?from=" + (today - timedelta(days=182)).isoformat()
                           + "&to=" + today.isoformat()).get_json()
    responders = half_year["diary"]["responders"]["B1"]["headache_days"]["at_least_50_percent"]
    assert responders["denominator"] >= 10  # evaluable baselines and first blocks
    first_block = half_year["durability"]["all_with_baseline"]["points"][0]
    assert first_block["days"] == 28 and first_block["at_risk"] >= 10
