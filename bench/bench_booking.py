"""Booking throughput through gunicorn: N concurrent clients booking distinct free slots.

Run: .venv/bin/python bench/bench_booking.py [--clients 1,8,32] [--bookings 400]
                                            [--practitioners 10] [--workers 2] [--history 0]
                                            [--database-url postgresql+psycopg://.../expio_bench]

Without --database-url the database is a SQLite file in a temporary folder; with it, the given
PostgreSQL database (its name must contain "bench": everything in it is deleted). Either way it
is built by the real migrations, with --practitioners practitioners (Mon-Fri 10-19) offering a
60-minute consultation on a 60-minute grid, and --history past appointments (bulk-inserted,
spread over the practitioners) to show whether booking slows as the table grows.

gunicorn runs `gunicorn.conf.py` with APP_CONFIG=production, --workers sync workers and rate
limits off. For each client count, --bookings POST /api/v1/bookings go out, each for a
different free slot (shuffled over practitioners and days from the real date: weekdays from
two days ahead), each with a new patient. Every one should be 201: errors are anything else.
Prints bookings/s, latency p50/p99, errors, and checks the database holds exactly the
bookings that were answered 201.
"""
import argparse
import json
import random
import sys
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import KYIV, Gunicorn, bench_app, fresh_database, machine, run_load  # noqa: E402


def build_clinic(database_url, practitioners, history):
    from sqlalchemy import insert

    from booking.extensions import db
    from booking.models import Appointment, Patient, Practitioner, Service, WorkingHours

    app = bench_app(database_url)
    with app.app_context():
        service = Service(name="Consultation", duration_minutes=60, grid_minutes=60)
        rows = []
        for number in range(practitioners):
            practitioner = Practitioner(full_name=f"Dr {number:02d}", services=[service])
            for weekday in range(5):
                practitioner.working_hours.append(
                    WorkingHours(weekday=weekday, start_time=time(10), end_time=time(19)))
            rows.append(practitioner)
        patient = Patient(full_name="History", email="history@example.com",
                          phone="+380501234567", date_of_birth=date(1980, 1, 1))
        db.session.add_all([service, *rows, patient])
        db.session.commit()
        ids = [p.id for p in rows]
        # Past appointments, newest first (cheap for SQLite's overlap trigger to insert).
        start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        past = []
        for number in range(history):
            starts = start - timedelta(hours=2 + number // len(ids))
            past.append({
                "reference": f"H{number:09d}", "manage_token_hash": f"{number:064d}",
                "service_id": service.id, "practitioner_id": ids[number % len(ids)],
                "patient_id": patient.id, "starts_at": starts,
                "ends_at": starts + timedelta(hours=1), "blocks_until": starts + timedelta(hours=1),
                "status": "completed", "created_at": starts, "updated_at": starts})
        for chunk in range(0, len(past), 10_000):
            db.session.execute(insert(Appointment), past[chunk:chunk + 10_000])
        db.session.commit()
        found = service.id, ids
        db.engine.dispose()
    return found


def free_slots(practitioner_ids, first_day, days=55):
    """Every (practitioner, start) on weekdays from first_day on, 10:00 to 18:00, shuffled."""
    slots = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in range(10, 19):
            for practitioner in practitioner_ids:
                slots.append((practitioner, datetime.combine(day, time(hour), tzinfo=KYIV)))
    random.Random(20261207).shuffle(slots)
    return slots


def booking_request(service_id, practitioner_id, start, number):
    body = {"service_id": service_id, "practitioner_id": practitioner_id,
            "start": start.isoformat(), "consent": True,
            "patient": {"full_name": f"Bench Patient {number}",
                        "email": f"bench{number}@example.com", "phone": "+380501234567",
                        "date_of_birth": "1990-01-01"}}
    return ("POST", "/api/v1/bookings", json.dumps(body).encode(),
            {"Content-Type": "application/json"})


def booked_count(database_url):
    from sqlalchemy import func, select

    from booking.extensions import db
    from booking.models import Appointment

    app = bench_app(database_url)
    with app.app_context():
        count = db.session.execute(select(func.count()).select_from(Appointment).where(
            Appointment.status == "booked")).scalar_one()
        db.engine.dispose()
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--bookings", type=int, default=400, help="per client count")
    parser.add_argument("--practitioners", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--database-url", help="a PostgreSQL database to erase and use")
    args = parser.parse_args()
    client_counts = [int(n) for n in args.clients.split(",")]

    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(folder, args.database_url)
        service_id, ids = build_clinic(url, args.practitioners, args.history)
        first_day = datetime.now(KYIV).date() + timedelta(days=2)
        slots = free_slots(ids, first_day)
        needed = args.bookings * len(client_counts)
        if needed > len(slots):
            raise SystemExit(f"only {len(slots)} free slots for {needed} bookings")
        kind = "PostgreSQL" if args.database_url else "SQLite file"
        print(f"database: {kind}; {args.practitioners} practitioners, {args.history:,} past "
              f"appointments; gunicorn: {args.workers} sync workers; {args.bookings} bookings "
              f"per run, each a distinct free slot\n")
        answered = 0
        with Gunicorn(url, workers=args.workers, folder=Path(folder) / "server") as server:
            for run, clients in enumerate(client_counts):
                mine = slots[run * args.bookings:(run + 1) * args.bookings]

                def make_request(number, mine=mine, run=run):
                    if number >= len(mine):
                        return None
                    practitioner, start = mine[number]
                    return booking_request(service_id, practitioner, start,
                                           run * 100_000 + number)

                result = run_load(server.port, make_request, clients, total=len(mine))
                answered += result.statuses.get(201, 0)
                others = {k: v for k, v in result.statuses.items() if k != 201}
                print(result.line(f"{clients:3d} concurrent client(s)").replace(
                    "req/s", "bookings/s") + (f"   {others}" if others else ""))
        stored = booked_count(url)
        print(f"\nanswered 201: {answered}; booked rows in the database: {stored} "
              f"({'consistent' if stored == answered else 'MISMATCH'})")


if __name__ == "__main__":
    main()
