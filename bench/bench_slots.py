"""How long does finding a week's free slots take as the appointment history grows?

Run: .venv/bin/python bench/bench_slots.py
Builds a migrated SQLite database in a temporary folder, fills it with N past appointments (years
of history) plus a busy current week, and times find_slots for that week. The figure should stay
flat as N grows: the query is bounded by the dates shown and uses ix_appointment_practitioner_starts.
"""
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Appointment, Patient, Practitioner, Service, WorkingHours  # noqa: E402
from config import TestingConfig  # noqa: E402

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)
WEEK = (date(2026, 12, 7), date(2026, 12, 13))
PRACTITIONERS = 3
REPEATS = 30


def build(path, history):
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "FROZEN_NOW": NOW})
    app = create_app(config)
    with app.app_context():
        upgrade()
        service = Service(name="Consultation", duration_minutes=60)
        db.session.add(service)
        for number in range(PRACTITIONERS):
            practitioner = Practitioner(full_name=f"Dr {number}", services=[service])
            for weekday in range(5):
                practitioner.working_hours.append(WorkingHours(
                    weekday=weekday, start_time=datetime.min.time().replace(hour=10),
                    end_time=datetime.min.time().replace(hour=19)))
            db.session.add(practitioner)
        patient = Patient(full_name="Bench", email="bench@example.com", phone="+380501234567",
                          date_of_birth=date(1990, 1, 1))
        db.session.add(patient)
        db.session.commit()
        rows = []
        # History: one appointment an hour, going back from last week, spread over practitioners.
        start = datetime(2026, 11, 30, 8, tzinfo=timezone.utc)
        for number in range(history):
            starts = start - timedelta(hours=number + 1)
            rows.append(_row(number, service.id, 1 + number % PRACTITIONERS, patient.id, starts))
        # This week: every other hour for practitioner 1.
        for number, hour in enumerate(range(8, 17, 2)):
            for day in range(5):
                starts = datetime(2026, 12, 8 + day, hour, tzinfo=timezone.utc)
                rows.append(_row(history + number * 5 + day, service.id, 1, patient.id, starts))
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Appointment), rows[chunk:chunk + 5000])
        db.session.commit()
    return app


def _row(number, service_id, practitioner_id, patient_id, starts):
    return {
        "reference": f"B{number:09d}", "manage_token_hash": f"{number:064d}",
        "service_id": service_id, "practitioner_id": practitioner_id, "patient_id": patient_id,
        "starts_at": starts, "ends_at": starts + timedelta(hours=1),
        "blocks_until": starts + timedelta(hours=1), "status": "completed",
        "created_at": starts, "updated_at": starts,
    }


def measure(app):
    from booking.scheduler import availability

    with app.app_context():
        service = db.session.get(Service, 1)
        timings = []
        for _ in range(REPEATS):
            began = time.perf_counter()
            slots = availability.find_slots(service, *WEEK)
            timings.append(time.perf_counter() - began)
            db.session.rollback()
        plan = db.session.execute(text(
            "EXPLAIN QUERY PLAN SELECT starts_at FROM appointment WHERE practitioner_id IN (1,2,3) "
            "AND status != 'cancelled' AND starts_at >= '2026-12-05' AND starts_at < '2026-12-14'"
        )).all()
        return statistics.median(timings), len(slots), " / ".join(row[-1] for row in plan)


def main():
    print(f"find_slots for one week, {PRACTITIONERS} practitioners, median of {REPEATS} runs")
    print(f"{'history':>10} {'median ms':>10} {'slots':>6}  query plan")
    for history in (0, 10_000, 100_000, 300_000):
        with tempfile.TemporaryDirectory() as folder:
            app = build(Path(folder) / "bench.sqlite", history)
            median, slots, plan = measure(app)
            print(f"{history:>10} {median * 1000:>10.2f} {slots:>6}  {plan}")
            with app.app_context():
                db.engine.dispose()


if __name__ == "__main__":
    main()
