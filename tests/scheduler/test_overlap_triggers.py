"""SQLite's overlap triggers (migration 0009): still exact, now bounded to a day before the start.

Every row here goes in by plain SQL, past the booking services, so only the triggers stand in the
way. Instants are written in the text format UTCDateTime stores ('2026-12-08 08:00:00.000000'),
which the first test pins.
"""
import re
from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import Appointment, Patient, Resource
from booking.scheduler.availability import LONGEST_APPOINTMENT_SPAN
from tests.conftest import make_app, sqlite_only

pytestmark = sqlite_only

EIGHT = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)  # Tuesday 10:00 Kyiv
HOUR = timedelta(hours=1)
MICROSECOND = timedelta(microseconds=1)
DAY = timedelta(days=1)
TRIGGERS = ["appointment_no_overlap_insert", "appointment_no_overlap_update",
            "appointment_no_resource_overlap_insert", "appointment_no_resource_overlap_update"]
_numbers = count(1)


def stored(instant):
    """The text UTCDateTime writes to SQLite for an instant."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(duration_minutes=60)
    first, second = (create_practitioner([service], full_name=f"Dr {n}") for n in (1, 2))
    patient = Patient(full_name="Test Patient", email="patient@example.com",
                      phone="+380501234567", date_of_birth=date(1990, 5, 17))
    chair = Resource(name="Chair 1", kind="infusion_chair")
    db.session.add_all([patient, chair])
    db.session.commit()
    return {"service": service.id, "first": first.id, "second": second.id,
            "patient": patient.id, "chair": chair.id}


@pytest.fixture
def insert(clinic):
    """Insert an appointment by plain SQL and commit it; gives its id."""
    def insert(starts, until, practitioner="first", status="booked", chair_until=None):
        number = next(_numbers)
        row = {
            "reference": f"T{number:09d}", "token": f"{number:064d}",
            "service": clinic["service"], "practitioner": clinic[practitioner],
            "patient": clinic["patient"], "starts": stored(starts), "until": stored(until),
            "status": status, "now": stored(EIGHT),
            "chair": clinic["chair"] if chair_until else None,
            "chair_until": stored(chair_until) if chair_until else None,
        }
        try:
            new_id = db.session.execute(text(
                "INSERT INTO appointment (reference, manage_token_hash, service_id, "
                "practitioner_id, patient_id, starts_at, ends_at, blocks_until, status, source, "
                "reschedule_count, created_at, updated_at, resource_id, resource_until) "
                "VALUES (:reference, :token, :service, :practitioner, :patient, :starts, :until, "
                ":until, :status, 'staff', 0, :now, :now, :chair, :chair_until) RETURNING id"),
                row).scalar_one()
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise
        return new_id
    return insert


def update(appointment_id, **columns):
    """UPDATE one appointment by plain SQL (instants given as datetimes) and commit."""
    values = {name: stored(value) if isinstance(value, datetime) else value
              for name, value in columns.items()}
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    try:
        db.session.execute(text(f"UPDATE appointment SET {assignments} WHERE id = :id"),
                           {**values, "id": appointment_id})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise


def refused(reason="appointment_overlap"):
    return pytest.raises(IntegrityError, match=reason)


def test_the_triggers_compare_instants_in_the_text_format_the_models_store(clinic):
    db.session.add(Appointment(
        reference="EX-FORMAT", manage_token_hash="f" * 64, service_id=clinic["service"],
        practitioner_id=clinic["first"], patient_id=clinic["patient"], starts_at=EIGHT,
        ends_at=EIGHT + HOUR, blocks_until=EIGHT + HOUR))
    db.session.commit()
    assert db.session.execute(text("SELECT starts_at FROM appointment")).scalar_one() == \
        "2026-12-08 08:00:00.000000" == stored(EIGHT)


def test_no_real_appointment_spans_the_day_the_triggers_look_back():
    # Service CHECK constraints: duration <= 540, buffer <= 240, observation <= 480 minutes.
    assert timedelta(minutes=540 + max(240, 480)) < LONGEST_APPOINTMENT_SPAN == DAY


# (existing starts, existing until, new starts, new until), relative to EIGHT
OVERLAPS = {
    "the same times, shifted by a minute": (timedelta(minutes=-1), HOUR, 0 * HOUR, HOUR),
    "starting 5 hours before and lasting 6": (-5 * HOUR, HOUR, 0 * HOUR, HOUR),
    "the longest real one (9 h + 4 h buffer) ending a minute into the new":
        (-13 * HOUR + timedelta(minutes=1), timedelta(minutes=1), 0 * HOUR, HOUR),
    "almost a day long, overlapping by a microsecond":
        (-DAY, -MICROSECOND, -2 * MICROSECOND, HOUR),
    # datetime() rounds 07:59:59.9996 up to 08:00:00: a bound of exactly '-1 day' would miss it
    "almost a day long, where datetime() rounds the start up":
        (-DAY - timedelta(microseconds=300), -timedelta(microseconds=200),
         -timedelta(microseconds=400), HOUR),
    "inside the new one": (timedelta(minutes=10), timedelta(minutes=20), 0 * HOUR, HOUR),
    "around the new one": (-HOUR, 2 * HOUR, 0 * HOUR, HOUR),
}


@pytest.mark.parametrize("existing_starts, existing_until, new_starts, new_until",
                         OVERLAPS.values(), ids=OVERLAPS.keys())
def test_an_overlapping_appointment_of_the_practitioner_is_refused(
        insert, existing_starts, existing_until, new_starts, new_until):
    insert(EIGHT + existing_starts, EIGHT + existing_until)
    with refused():
        insert(EIGHT + new_starts, EIGHT + new_until)


@pytest.mark.parametrize("existing_starts, existing_until, new_starts, new_until",
                         OVERLAPS.values(), ids=OVERLAPS.keys())
def test_an_overlapping_appointment_in_the_chair_is_refused(
        insert, existing_starts, existing_until, new_starts, new_until):
    # The practitioner is free by then (blocks_until); the chair is not (resource_until).
    insert(EIGHT + existing_starts, EIGHT + existing_starts + MICROSECOND,
           chair_until=EIGHT + existing_until)
    with refused():
        insert(EIGHT + new_starts, EIGHT + new_until, practitioner="second",
               chair_until=EIGHT + new_until)


@pytest.mark.parametrize("existing_starts, existing_until", [
    (-HOUR, 0 * HOUR),                       # ends as the new one starts
    (HOUR, 2 * HOUR),                        # starts as the new one ends
    (-DAY, -MICROSECOND),                    # almost a day long, ends a microsecond before
    (-2 * DAY, -2 * DAY + HOUR),             # days before
])
def test_a_touching_or_earlier_appointment_is_accepted(insert, existing_starts, existing_until):
    insert(EIGHT + existing_starts, EIGHT + existing_until, chair_until=EIGHT + existing_until)
    insert(EIGHT, EIGHT + HOUR, chair_until=EIGHT + HOUR)
    insert(EIGHT + 3 * HOUR, EIGHT + 4 * HOUR, practitioner="second",
           chair_until=EIGHT + 4 * HOUR)
    assert db.session.execute(text("SELECT count(*) FROM appointment")).scalar_one() == 3


def test_a_cancelled_appointment_is_ignored_for_the_practitioner_and_the_chair(insert):
    insert(EIGHT - 5 * HOUR, EIGHT + HOUR, status="cancelled", chair_until=EIGHT + HOUR)
    insert(EIGHT, EIGHT + HOUR, chair_until=EIGHT + HOUR)
    insert(EIGHT - 2 * HOUR, EIGHT + 2 * HOUR, practitioner="second", status="cancelled",
           chair_until=EIGHT + 2 * HOUR)
    assert db.session.execute(text(
        "SELECT count(*) FROM appointment WHERE status != 'cancelled'")).scalar_one() == 1


def test_another_practitioner_without_a_chair_may_overlap(insert):
    insert(EIGHT - 5 * HOUR, EIGHT + HOUR, chair_until=EIGHT + HOUR)
    insert(EIGHT, EIGHT + HOUR, practitioner="second")


def test_moving_or_reviving_an_appointment_onto_another_is_refused(insert):
    insert(EIGHT - 5 * HOUR, EIGHT + HOUR, chair_until=EIGHT + HOUR)
    later = insert(EIGHT + 2 * HOUR, EIGHT + 3 * HOUR)
    with refused():
        update(later, starts_at=EIGHT + HOUR - MICROSECOND)
    chair = insert(EIGHT + 2 * HOUR, EIGHT + 3 * HOUR, practitioner="second",
                   chair_until=EIGHT + 3 * HOUR)
    with refused():
        update(chair, starts_at=EIGHT + HOUR - MICROSECOND)
    revived = insert(EIGHT, EIGHT + HOUR, practitioner="second", status="cancelled",
                     chair_until=EIGHT + HOUR)
    with refused():
        update(revived, status="booked")
    update(later, starts_at=EIGHT + HOUR)  # touching: fine


@pytest.mark.parametrize("practitioner_span, chair_span", [(DAY, None), (HOUR, DAY)])
def test_an_active_appointment_of_a_day_or_more_is_refused(
        insert, practitioner_span, chair_span):
    with refused("appointment_too_long"):
        insert(EIGHT, EIGHT + practitioner_span,
               chair_until=EIGHT + chair_span if chair_span else None)


def test_the_longest_appointment_allowed_is_a_microsecond_under_a_day(insert):
    insert(EIGHT, EIGHT + DAY - MICROSECOND, chair_until=EIGHT + DAY - MICROSECOND)
    cancelled = insert(EIGHT + DAY, EIGHT + 3 * DAY, status="cancelled")  # not holding time
    with refused("appointment_too_long"):
        update(cancelled, status="booked")
    with refused("appointment_too_long"):
        insert(EIGHT + DAY, EIGHT + DAY + HOUR, practitioner="second",
               chair_until=EIGHT + 2 * DAY)


def _trigger_queries():
    """The EXISTS query of each overlap trigger, NEW.column turned into a :column parameter."""
    rows = db.session.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'appointment%' ORDER BY name")).all()
    return {name: re.sub(r"NEW\.(\w+)", r":\1",
                         re.search(r"EXISTS \((.*?)\);", sql, re.DOTALL).group(1))
            for name, sql in rows}


def test_each_overlap_trigger_reads_a_starts_at_range_bounded_on_both_sides(app):
    queries = _trigger_queries()
    assert sorted(queries) == TRIGGERS
    for name, query in queries.items():
        owner = "resource_id" if "resource" in name else "practitioner_id"
        # Any index on (owner, starts_at): SQLite may take the partial unique one for practitioners.
        indexes = ("ix_appointment_resource_starts",) if "resource" in name else (
            "ix_appointment_practitioner_starts", "uq_appointment_practitioner_start_active")
        plan = db.session.execute(text("EXPLAIN QUERY PLAN " + query), {
            "practitioner_id": 1, "resource_id": 1, "id": None,
            "starts_at": stored(EIGHT), "blocks_until": stored(EIGHT + HOUR),
            "resource_until": stored(EIGHT + HOUR)}).all()
        assert [row[-1] for row in plan] in [
            [f"SEARCH other USING INDEX {index} ({owner}=? AND starts_at>? AND starts_at<?)"]
            for index in indexes], (name, plan)


def test_inserting_reads_the_same_whatever_the_history(clinic, insert):
    """Counted in SQLite's virtual machine steps (not time): a long history costs nothing."""
    def steps_to_insert(starts):
        raw = db.session.connection().connection.driver_connection
        steps = []
        raw.set_progress_handler(lambda: steps.append(1), 10)
        try:
            insert(starts, starts + HOUR, chair_until=starts + HOUR)
        finally:
            raw.set_progress_handler(None, 10)
        return len(steps)

    def add_history(first_day, days):
        rows = [{"n": f"{n:09d}", "starts": stored(EIGHT - (first_day + n) * DAY),
                 "until": stored(EIGHT - (first_day + n) * DAY + HOUR), **clinic}
                for n in range(days)]
        db.session.execute(text(
            "INSERT INTO appointment (reference, manage_token_hash, service_id, practitioner_id, "
            "patient_id, starts_at, ends_at, blocks_until, status, source, reschedule_count, "
            "created_at, updated_at, resource_id, resource_until) "
            "VALUES ('H' || :n || :first_day, :n || :first_day, :service, :first, :patient, "
            ":starts, :until, :until, 'completed', 'staff', 0, :starts, :starts, :chair, :until)"),
            [{**row, "first_day": first_day} for row in rows])
        db.session.commit()

    add_history(first_day=300, days=10)
    short_history = steps_to_insert(EIGHT)
    add_history(first_day=1, days=299)   # every day before, up to the short history
    long_history = steps_to_insert(EIGHT + 2 * HOUR)
    # Unbounded, each of the 299 extra rows (twice: practitioner and chair) costs steps.
    assert long_history < short_history + 50, (short_history, long_history)


def test_downgrade_restores_the_triggers_of_0005_and_upgrade_bounds_them_again(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'triggers.sqlite'}")
    with app.app_context():
        def trigger_sql():
            return dict(db.session.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'appointment%'")).all())

        upgrade(revision="0008")
        before = trigger_sql()
        db.session.remove()
        upgrade()
        bounded = trigger_sql()
        db.session.remove()
        downgrade(revision="0008")
        restored = trigger_sql()
        db.session.remove()
        upgrade()
        again = trigger_sql()
        db.session.remove()
        db.engine.dispose()
    assert sorted(before) == sorted(bounded) == TRIGGERS
    assert restored == before
    assert again == bounded
    assert all("datetime(NEW.starts_at, '-1 day', '-1 second')" in sql
               for sql in bounded.values())
    assert not any("datetime" in sql for sql in before.values())
