"""The pages of issue 15: the patient's times page against the same week as JSON, and the staff
pages with 10,000 appointments in the range they cover.

Run: .venv/bin/python bench/bench_pages.py [--part times|staff|both] [--rounds 6] [--seconds 2]
                                           [--clients 8] [--repeats 5] [--appointments 10000]

Part "times" (throughput): the demo data in a migrated SQLite file, gunicorn (gunicorn.conf.py,
2 workers, APP_CONFIG=production, rate limits off; bench_http.Gunicorn), the two routes
alternating in --rounds rounds of --seconds each with --clients concurrent clients (a new
connection per request): GET /api/v1/slots?service=S&from=MON&to=SUN and the page a patient
sees for the same week, GET /book/S?week=MON (the day strip, the first day with a free time
chosen), in Ukrainian. Prints requests/s of each, the ratio page / JSON (target: at least 60 %),
and each route's in-process cost (Flask's test client), the figure least moved by the load.

Part "staff" (in-process, Flask's test client, median of --repeats): bench_week_view.build's
clinic, --appointments 20-minute appointments in the week of Monday 7 December 2026 (80
practitioners for 10,000; 2,000 a day), and a member of staff holding every role. Each staff
page that lists appointments, for everyone: the day grid (by practitioner and by chair), the
week, the clinician's list for the week, the day lists to print; time and size (targets: under
300 ms and under 1 MB). Also the same pages on the demo data.
"""
import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_http import (Gunicorn, bench_app, fresh_database, in_process_cost, machine,  # noqa: E402
                        merge, pick_service, run_load, seed_demo)
from bench_week_view import MONDAY, NOW, PASSWORD, build  # noqa: E402

EVERY_ROLE = "every-role@example.com"


def times_part(args, folder):
    url = fresh_database(_folder(folder, "times"))
    seed_demo(url)
    service_id, name, practitioners = pick_service(url)
    monday = _next_monday(url)
    routes = [
        ("JSON: a week of slots", f"/api/v1/slots?service={service_id}&from={monday}"
                                  f"&to={monday + timedelta(days=6)}"),
        ("page: the week's day strip", f"/book/{service_id}?week={monday}&lang=uk"),
    ]
    print(f"times: service {service_id} ({name}, {practitioners} practitioners), week of "
          f"{monday}; {machine()}")
    with Gunicorn(url, workers=2, folder=Path(folder) / "gunicorn") as server:
        for _label, path in routes:  # warm-up
            run_load(server.port, lambda n, path=path: ("GET", path, None, None), args.clients,
                     seconds=args.seconds)
        rounds = {label: [] for label, _path in routes}
        for _round in range(args.rounds):
            for label, path in routes:
                rounds[label].append(run_load(
                    server.port, lambda n, path=path: ("GET", path, None, None), args.clients,
                    seconds=args.seconds))
    figures = {}
    for label, _path in routes:
        result = merge(rounds[label])
        figures[label] = result.per_second
        print(result.line(label))
    ratio = figures[routes[1][0]] / figures[routes[0][0]]
    print(f"page / JSON: {ratio:.0%} (target: at least 60 %)")
    costs = in_process_cost(url, [path for _label, path in routes])
    for label, path in routes:
        print(f"in-process, {label}: {costs[path]:.2f} ms a request")


def _next_monday(url):
    from booking.scheduler import booking_rules

    app = bench_app(url)
    with app.app_context():
        today = booking_rules.local_today()
    return today + timedelta(days=7 - today.weekday())


def _every_role(app, practitioner_id):
    from booking.auth.services import create_staff
    from booking.extensions import db

    with app.app_context():
        create_staff(EVERY_ROLE, PASSWORD, ["receptionist", "clinician", "admin"],
                     full_name="Every Role", practitioner_id=practitioner_id)
        db.session.remove()


def staff_pages(day):
    week_end = day + timedelta(days=6)
    return [
        ("day grid, by practitioner", f"/staff/calendar?day={day}"),
        ("day grid, by chair", f"/staff/calendar?day={day}&by=chair"),
        ("week, everyone", f"/staff/calendar/week?week={day}"),
        ("clinician list, everyone, the week", f"/staff/clinician?who=all&from={day}&days=7"),
        ("day lists to print, everyone", f"/staff/calendar/print?day={day}"),
        ("outcomes report", f"/staff/outcomes?from={day - timedelta(days=180)}&to={week_end}"),
    ]


def measure_pages(app, pages, repeats):
    client = app.test_client()
    signed = client.post("/staff/sign-in", data={"email": EVERY_ROLE, "password": PASSWORD})
    assert signed.status_code == 303, signed.status_code
    rows = []
    for label, path in pages:
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code)
        timings = []
        for _ in range(repeats):
            began = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - began)
        rows.append((label, statistics.median(timings) * 1000, len(response.data)))
    return rows


def print_rows(title, rows):
    print(title)
    for label, millis, size in rows:
        flag = "" if millis < 300 and size < 1_000_000 else "   <- over 300 ms or 1 MB"
        print(f"  {label:<38} {millis:8.1f} ms {size / 1024:9.1f} KB{flag}")


def _folder(parent, name):
    path = Path(parent) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def staff_part(args, folder):
    url = fresh_database(_folder(folder, "big"))
    app, practitioners = build(url, args.appointments)
    _every_role(app, 1)
    print(f"staff: {args.appointments:,} appointments in the week of {MONDAY}, {practitioners} "
          f"practitioners; {machine()}")
    print_rows("pages (median of %d):" % args.repeats,
               measure_pages(app, staff_pages(MONDAY), args.repeats))

    demo = fresh_database(_folder(folder, "demo"))
    demo_app = bench_app(demo, FROZEN_NOW=NOW)
    with demo_app.app_context():
        from booking.demo import load_demo_data
        from booking.extensions import db
        load_demo_data()
        db.session.remove()
    _every_role(demo_app, 1)
    print_rows("the demo data, the same pages:",
               measure_pages(demo_app, staff_pages(MONDAY), args.repeats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("times", "staff", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--appointments", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="expio-bench-") as folder:
        if args.part in ("times", "both"):
            times_part(args, folder)
        if args.part in ("staff", "both"):
            staff_part(args, folder)


if __name__ == "__main__":
    main()
