"""The staff week view (/staff/calendar/week) with many appointments in the week shown.

Run: .venv/bin/python bench/bench_week_view.py [--repeats 5] [--sizes 1000,10000]

For each size a migrated SQLite file is built in a temporary folder (the real migrations) with
enough practitioners (Mon-Fri 10-19) to hold that many appointments in one week: 25 twenty-
minute appointments a day each (10:00-18:20), 5 days, so 10,000 appointments take 80
practitioners; the appointments are bulk-inserted for the week of Monday 7 December 2026, with
a patient for every second appointment. A receptionist is created with
booking.auth.services.create_staff and signed in through the sign-in form; then
GET /staff/calendar/week?week=2026-12-07 is timed in-process (Flask's test client: the view,
its queries and the template, no network), for everyone and for one practitioner. The board
alone (booking.scheduler.desk_board.week_board: the queries and the grid) is timed too, so the rest
is the template.
"""
import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import KYIV, bench_app, fresh_database, machine  # noqa: E402

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)  # Monday 09:00 Kyiv
MONDAY = date(2026, 12, 7)
PER_DAY = 25  # 20-minute appointments from 10:00
PASSWORD = "quiet harbour lantern"


def build(database_url, appointments):
    from sqlalchemy import insert

    from booking.auth.services import create_staff
    from booking.extensions import db
    from booking.models import Appointment, Patient, Practitioner, Service, WorkingHours

    practitioners = -(-appointments // (PER_DAY * 5))
    app = bench_app(database_url, FROZEN_NOW=NOW)
    with app.app_context():
        service = Service(name="Short visit", duration_minutes=20, grid_minutes=20)
        doctors = []
        for number in range(practitioners):
            doctor = Practitioner(full_name=f"Dr {number:03d}", services=[service])
            for weekday in range(5):
                doctor.working_hours.append(WorkingHours(
                    weekday=weekday, start_time=datetime.min.time().replace(hour=10),
                    end_time=datetime.min.time().replace(hour=19)))
            doctors.append(doctor)
        db.session.add_all([service, *doctors])
        db.session.commit()
        patients = [{"full_name": f"Patient {n:05d}", "email": f"p{n}@example.com",
                     "phone": "+380501234567", "date_of_birth": date(1980, 1, 1),
                     "language": "uk", "created_at": NOW}
                    for n in range(max(1, appointments // 2))]
        db.session.execute(insert(Patient), patients)
        db.session.commit()
        rows, number = [], 0
        for day in range(5):
            for slot in range(PER_DAY):
                local = datetime.combine(MONDAY + timedelta(days=day),
                                         datetime.min.time().replace(hour=10), tzinfo=KYIV) \
                    + timedelta(minutes=20 * slot)
                starts = local.astimezone(timezone.utc)
                for doctor in doctors:
                    if number >= appointments:
                        break
                    rows.append({
                        "reference": f"W{number:09d}", "manage_token_hash": f"{number:064d}",
                        "service_id": service.id, "practitioner_id": doctor.id,
                        "patient_id": 1 + number % len(patients), "starts_at": starts,
                        "ends_at": starts + timedelta(minutes=20),
                        "blocks_until": starts + timedelta(minutes=20),
                        "status": "booked", "created_at": NOW, "updated_at": NOW})
                    number += 1
        for chunk in range(0, len(rows), 10_000):
            db.session.execute(insert(Appointment), rows[chunk:chunk + 10_000])
        db.session.commit()
        create_staff("desk@example.com", PASSWORD, ["receptionist"], full_name="Front Desk")
        db.session.remove()
    return app, practitioners


def timed(function, repeats):
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000, result


def measure(app, repeats):
    from booking.extensions import db
    from booking.models import Practitioner
    from booking.scheduler import desk_board

    client = app.test_client()
    signed_in = client.post("/staff/sign-in",
                            data={"email": "desk@example.com", "password": PASSWORD})
    assert signed_in.status_code == 303, signed_in.status_code
    figures = {}
    for label, query in (("everyone", ""), ("one practitioner", "&practitioner=1")):
        path = f"/staff/calendar/week?week={MONDAY.isoformat()}{query}"
        first = client.get(path)
        assert first.status_code == 200, first.status_code
        page, response = timed(lambda path=path: client.get(path), repeats)
        figures[label] = (page, len(response.data))
    with app.app_context():
        board, _ = timed(lambda: (desk_board.week_board(MONDAY), db.session.rollback()), repeats)
        one = db.session.get(Practitioner, 1)
        single, _ = timed(lambda: desk_board.week_board(MONDAY, one), repeats)
        db.session.remove()
    return figures, board, single


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()

    print(machine())
    print(f"GET /staff/calendar/week?week={MONDAY} as a receptionist, median of {args.repeats}\n")
    print(f"{'appointments':>12} {'practitioners':>13} | {'everyone: page ms':>17} "
          f"{'board ms':>8} {'HTML KB':>8} | {'one practitioner: page ms':>25} {'board ms':>8} "
          f"{'HTML KB':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            url = fresh_database(folder)
            app, practitioners = build(url, size)
            figures, board, single = measure(app, args.repeats)
            (page, size_all), (page_one, size_one) = figures["everyone"], \
                figures["one practitioner"]
            print(f"{size:>12,} {practitioners:>13} | {page:>17.0f} {board:>8.0f} "
                  f"{size_all / 1024:>8.0f} | {page_one:>25.0f} {single:>8.0f} "
                  f"{size_one / 1024:>8.0f}", flush=True)
            with app.app_context():
                from booking.extensions import db
                db.engine.dispose()


if __name__ == "__main__":
    main()
