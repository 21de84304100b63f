"""A 30-day slot search for 1, 5 and 20 practitioners as the appointment table grows.

Run: .venv/bin/python bench/bench_slots_engine.py [--repeats 20] [--sizes 0,1000,10000,100000]

For each table size a migrated SQLite file is built in a temporary folder (the real migrations,
as bench/bench_slots.py does) with 20 practitioners and three services offered by 1, 5 and 20
of them, then bulk-filled:
  * history: N appointments outside the searched month (90 % before it, 10 % after it),
  * the searched month: a busy month, 4 one-hour appointments a day per practitioner.
find_slots(service, first_day, first_day + 29) is then timed (median of --repeats runs), and
split into its parts: the database reads (_calendars, closures) and the pure engine. "best" is
the fastest run (what a quiet machine gives); the parts are medians of their own runs.

A second table keeps the largest history and changes the month's own load (0 to 8
appointments a practitioner a day), to show what the time follows: the appointments in the
range, not the size of the table.

Target (the production issue): 100,000 appointments, 5 practitioners, under 20 ms.
"""
import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, insert, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import Appointment, Patient, Practitioner, Service, WorkingHours  # noqa: E402
from config import TestingConfig  # noqa: E402

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)  # Monday 09:00 Kyiv
FIRST_DAY = date(2026, 12, 7)
DAYS = 30
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
PRACTITIONERS = 20
GROUPS = (1, 5, 20)  # practitioners searched: services offered by the first 1, 5, 20
MONTH_HOURS = {0: (), 2: (10, 14), 4: (10, 12, 14, 16), 8: (10, 11, 12, 13, 14, 15, 16, 17)}
BUSY_MONTH = 4


def make_app(path):
    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "FROZEN_NOW": NOW})
    return create_app(config)


def build(path, history):
    """A migrated database with the clinic, `history` appointments outside the month and a
    busy month."""
    app = make_app(path)
    with app.app_context():
        upgrade()
        practitioners = []
        for number in range(PRACTITIONERS):
            practitioner = Practitioner(full_name=f"Dr {number:02d}")
            for weekday in range(5):
                practitioner.working_hours.append(WorkingHours(
                    weekday=weekday, start_time=datetime.min.time().replace(hour=10),
                    end_time=datetime.min.time().replace(hour=19)))
            practitioners.append(practitioner)
        db.session.add_all(practitioners)
        for size in GROUPS:
            db.session.add(Service(name=f"Consultation x{size}", duration_minutes=60,
                                   grid_minutes=30, practitioners=practitioners[:size]))
        patient = Patient(full_name="Bench", email="bench@example.com", phone="+380501234567",
                          date_of_birth=date(1990, 1, 1))
        db.session.add(patient)
        db.session.commit()
        ids = [p.id for p in practitioners]
        # Newest first: SQLite's overlap trigger looks at the practitioner's rows that start
        # before the new one ends, so rows inserted in falling time order are each cheap.
        rows = sorted(history_rows(history, ids, patient.id), key=lambda r: r["starts_at"],
                      reverse=True)
        bulk_insert(rows)
        fill_month(ids, patient.id, BUSY_MONTH, first_number=history)
    return app


def history_rows(count, practitioner_ids, patient_id):
    """One appointment an hour per practitioner, 90 % going back from the month, 10 % after it."""
    before = count - count // 10
    month_start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=KYIV)
    month_end = month_start + timedelta(days=DAYS)
    for number in range(count):
        practitioner = practitioner_ids[number % len(practitioner_ids)]
        step = number // len(practitioner_ids)
        if number < before:
            starts = month_start - timedelta(hours=step + 2)
        else:
            starts = month_end + timedelta(hours=step - before // len(practitioner_ids) + 1)
        status = "completed" if number < before else "booked"
        yield _row(number, practitioner, patient_id, starts, status)


def fill_month(practitioner_ids, patient_id, per_day, first_number):
    """`per_day` one-hour appointments on each weekday of the month, for every practitioner."""
    with_app_delete_month()
    rows, number = [], first_number
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for hour in MONTH_HOURS[per_day]:
            starts = datetime.combine(day, datetime.min.time().replace(hour=hour), tzinfo=KYIV)
            for practitioner in practitioner_ids:
                rows.append(_row(number, practitioner, patient_id, starts, "booked"))
                number += 1
    bulk_insert(rows)
    return len(rows)


def with_app_delete_month():
    month_start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=KYIV)
    month_end = month_start + timedelta(days=DAYS)
    db.session.execute(delete(Appointment).where(Appointment.starts_at >= month_start,
                                                 Appointment.starts_at < month_end))
    db.session.commit()


def bulk_insert(rows):
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(Appointment), rows[chunk:chunk + 10_000])
    db.session.commit()


def _row(number, practitioner_id, patient_id, starts, status):
    starts = starts.astimezone(timezone.utc)
    return {
        "reference": f"B{number:09d}", "manage_token_hash": f"{number:064d}",
        "service_id": 1, "practitioner_id": practitioner_id, "patient_id": patient_id,
        "starts_at": starts, "ends_at": starts + timedelta(hours=1),
        "blocks_until": starts + timedelta(hours=1), "status": status,
        "created_at": starts, "updated_at": starts,
    }


def insert_one(repeats):
    """Median ms to insert one appointment into the busy month (through SQLite's overlap
    trigger), rolled back each time."""
    starts = datetime.combine(LAST_DAY - timedelta(days=1), datetime.min.time().replace(hour=18),
                              tzinfo=KYIV)
    row = _row(10**8, 1, 1, starts, "booked")

    def once():
        db.session.execute(insert(Appointment), [row])

    return timed(once, repeats)[0]


def timed(function, repeats, best=False):
    """Median ms (and the fastest run, with best=True) of `repeats` calls."""
    timings = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - began)
        db.session.rollback()
    median = statistics.median(timings) * 1000
    return ((median, min(timings) * 1000) if best else median), result


def measure(repeats):
    """{practitioners searched: (total ms, fastest total ms, database ms, engine ms, slots)}."""
    from booking.scheduler import availability, booking_rules
    from booking.scheduler import slots as engine
    from booking.timeutil import clinic_tz

    figures = {}
    for size in GROUPS:
        service = db.session.execute(
            db.select(Service).where(Service.name == f"Consultation x{size}")).scalar_one()
        practitioners = availability.practitioners_for(service)
        (total, fastest), found = timed(
            lambda: availability.find_slots(service, FIRST_DAY, LAST_DAY), repeats, best=True)
        reads, (calendars, closures) = timed(
            lambda: availability._calendars(practitioners, FIRST_DAY, LAST_DAY), repeats)
        rules, timing = booking_rules.clinic_rules(), booking_rules.service_timing(service)
        compute, _ = timed(lambda: engine.free_slots(
            calendars, timing, FIRST_DAY, LAST_DAY, now=NOW, tz=clinic_tz(), rules=rules,
            closures=closures, resources=None), repeats)
        figures[size] = (total, fastest, reads, compute, len(found))
    return figures


def query_plan():
    plan = db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT practitioner_id, starts_at, blocks_until FROM appointment "
        "WHERE practitioner_id IN (1,2,3,4,5) AND status != 'cancelled' "
        "AND starts_at >= '2026-12-05' AND starts_at < '2027-01-06' "
        "AND blocks_until > '2026-12-06'")).all()
    return " / ".join(row[-1] for row in plan)


def count_rows():
    return db.session.execute(text("SELECT count(*) FROM appointment")).scalar_one()


def print_row(label, figures):
    cells = "".join(f" {total:7.2f} {fastest:6.2f} {reads:6.2f} {compute:6.2f} {slots:5d} |"
                    for total, fastest, reads, compute, slots in (figures[g] for g in GROUPS))
    print(f"{label} |{cells}", flush=True)


def header(first):
    groups = "".join(f" {g:>2} pract.: total   best     db engine slots |" for g in GROUPS)
    print(f"{first} |{groups}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--sizes", default="0,1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"30-day search {FIRST_DAY} .. {LAST_DAY}, median of {args.repeats} runs, "
          f"milliseconds; busy month: {BUSY_MONTH} appointments a day per practitioner")
    header(f"{'history':>8} {'rows':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for history in sizes:
            path = Path(folder) / f"bench-{history}.sqlite"
            began = time.perf_counter()
            app = build(path, history)
            built = time.perf_counter() - began
            with app.app_context():
                figures = measure(args.repeats)
                print_row(f"{history:>8} {count_rows():>7}", figures)
                plan = query_plan()
                inserting = insert_one(args.repeats)
                db.engine.dispose()
            print(f"{'':>16} (built in {built:.1f} s; inserting one more appointment: "
                  f"{inserting:.2f} ms)", flush=True)
        print(f"\nquery plan of the busy-interval read: {plan}\n")

        largest = sizes[-1]
        print(f"history {largest:,}: the month's own load changes (appointments a day per "
              "practitioner)")
        header(f"{'per day':>8} {'in month':>8}")
        app = make_app(Path(folder) / f"bench-{largest}.sqlite")
        with app.app_context():
            for per_day in sorted(MONTH_HOURS):
                in_month = fill_month(list(range(1, PRACTITIONERS + 1)), 1, per_day,
                                      first_number=largest)
                print_row(f"{per_day:>8} {in_month:>8}", measure(args.repeats))
            db.engine.dispose()


if __name__ == "__main__":
    main()
