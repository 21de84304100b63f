"""HTTP throughput under gunicorn: a week of free slots vs a one-query route, same run.

Run: .venv/bin/python bench/bench_http.py [--workers 2] [--clients 8] [--rounds 10] [--seconds 2]
                                         [--database-url postgresql+psycopg://...bench...]
     add --wrk to drive the load with wrk (Debian: apt-get install wrk) instead of the
     Python client; wrk is lighter, so more of the machine is left to the server.

What it does: builds a migrated SQLite database in a temporary folder (or resets the given
PostgreSQL database, whose name must contain "bench": everything in it is deleted), loads the
demo data (`flask seed-demo`: 3 practitioners, 5 services, a closure, appointments around
today), starts `gunicorn -c gunicorn.conf.py wsgi:app` on 127.0.0.1 with APP_CONFIG=production
and rate limits off (RATELIMIT_ENABLED=0), warms both routes up, then runs --rounds rounds of
--seconds per route, the two routes alternating (a shared machine's load drifts; alternating
puts the drift on both), with --clients concurrent clients, each request on a new connection
(gunicorn's sync workers close every connection). Prints requests/s, p50/p99 latency, errors,
the ratio slots/trivial, and each route's in-process cost per request (Flask's test client), the
figure least disturbed by other work on the machine.

Routes: the yardstick, GET /one of bench/one_query_app.py (the smallest Flask-SQLAlchemy app
answering one query, served by its own gunicorn with the same settings on the same database),
GET /api/v1/services, and GET /api/v1/slots?service=S&from=MON&to=SUN for the coming week (S:
the demo service with the most practitioners, "any practitioner"). The app is not changed for
the benchmark. Target (issue 16): the week of slots >= 50 % of the one-query route's
requests/s, measured in the same run.

The other benchmarks (bench_booking.py, bench_week_view.py) reuse the helpers below.
"""
import argparse
import http.client
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KYIV = ZoneInfo("Europe/Kyiv")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


# --- Databases ----------------------------------------------------------------------------------

def bench_app(database_url, **settings):
    """An app on the benchmark database (testing settings: CSRF off, no mail)."""
    from booking import create_app
    from config import TestingConfig

    config = type("BenchConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, **settings})
    return create_app(config)


def check_postgres_url(url):
    parts = urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    if parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"Refusing {parts.hostname}: benchmarks run against 127.0.0.1 only.")
    if "bench" not in parts.path:
        raise SystemExit("Refusing a database whose name lacks 'bench': the benchmark deletes "
                         "everything in it (createdb expio_bench).")


def fresh_database(folder, database_url=None):
    """A migrated, empty database: a SQLite file in `folder`, or the PostgreSQL one reset."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from booking.extensions import db

    if database_url:
        check_postgres_url(database_url)
        engine = create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = database_url
    else:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
    app = bench_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def seed_demo(database_url):
    from booking.demo import load_demo_data
    from booking.extensions import db

    app = bench_app(database_url)
    with app.app_context():
        summary = load_demo_data()
        db.engine.dispose()
    return summary


# --- The server ---------------------------------------------------------------------------------

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on 127.0.0.1 with the production settings."""

    def __init__(self, database_url, workers=2, folder=None, app="wsgi:app",
                 ready_path="/api/v1/services", **env):
        self.port = free_port()
        self.folder = Path(folder or tempfile.mkdtemp(prefix="expio-bench-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.error_log = self.folder / "gunicorn-error.log"
        settings = {
            "APP_CONFIG": "production", "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url, "RATELIMIT_ENABLED": "0",
            "CANONICAL_URL": "https://booking.example.com",
            # Production insists on a mail server; the app only queues mail (send-mail, a
            # cron job, sends it), so nothing is sent to this one during a benchmark.
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "2525",
            "GUNICORN_ACCESS_LOG": str(self.folder / "gunicorn-access.log"),
            "GUNICORN_ERROR_LOG": str(self.error_log), "PYTHONPATH": str(ROOT),
            **({"ALLOW_SQLITE_IN_PRODUCTION": "1"} if database_url.startswith("sqlite") else {}),
            **env,
        }
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), app],
            cwd=ROOT, env={**environment, **settings}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=open(self.folder / "gunicorn-stderr.log", "w"))
        self.ready_path = ready_path
        self.wait_until_ready()

    def wait_until_ready(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                logs = [p.read_text() for p in (self.error_log, self.folder / "gunicorn-stderr.log")
                        if p.exists()]
                raise SystemExit("gunicorn exited:\n" + "\n".join(logs))
            try:
                if get(self.port, self.ready_path)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("gunicorn did not answer within a minute")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def get(port, path, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- Load ---------------------------------------------------------------------------------------

class Result:
    def __init__(self, latencies, statuses, seconds):
        self.latencies = sorted(latencies)
        self.statuses = statuses
        self.seconds = seconds

    @property
    def requests(self):
        return len(self.latencies)

    @property
    def per_second(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share):
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, max(0, round(share * len(self.latencies)) - 1))
        return self.latencies[index] * 1000

    @property
    def errors(self):
        return sum(count for status, count in self.statuses.items() if status not in (200, 201))

    def line(self, label):
        return (f"{label:<34} {self.per_second:9.1f} req/s   p50 {self.percentile(0.5):7.1f} ms"
                f"   p99 {self.percentile(0.99):7.1f} ms   requests {self.requests:6d}"
                f"   errors {self.errors}")


def run_load(port, make_request, clients, seconds=None, total=None):
    """`clients` threads send requests until `seconds` have passed (or `total` requests were
    sent); make_request(n) returns (method, path, body, headers) for request number n, or None
    when there is nothing left to send. Every request on a new connection."""
    lock = threading.Lock()
    counter = iter(range(10**9))
    latencies, statuses = [], {}
    deadline = time.monotonic() + seconds if seconds else None

    def next_number():
        with lock:
            number = next(counter)
        return number if total is None or number < total else None

    def worker():
        mine, seen = [], {}
        while deadline is None or time.monotonic() < deadline:
            number = next_number()
            call = make_request(number) if number is not None else None
            if call is None:
                break
            method, path, body, headers = call
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as error:
                status = f"{type(error).__name__}"
            finally:
                connection.close()
            mine.append(time.perf_counter() - began)
            seen[status] = seen.get(status, 0) + 1
        with lock:
            latencies.extend(mine)
            for status, count in seen.items():
                statuses[status] = statuses.get(status, 0) + count

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=(seconds or 600) + 120)
    return Result(latencies, statuses, time.monotonic() - began)


def run_wrk(port, path, clients, seconds):
    """wrk -t2 -c<clients> -d<seconds>s --latency; returns (req/s, p50 ms, p99 ms, non-2xx)."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency",
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60,
        check=True).stdout

    def millis(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return per_second, millis("50"), millis("99"), int(errors.group(1)) if errors else 0


# --- The machine --------------------------------------------------------------------------------

def machine():
    memory = "?"
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} cores, {memory} RAM, Python {platform.python_version()}, "
            f"load average {load:.2f} at start")


def next_monday():
    today = datetime.now(KYIV).date()
    return today + timedelta(days=7 - today.weekday())


def pick_service(database_url):
    """The online single-appointment service with the most practitioners."""
    from booking.extensions import db
    from booking.scheduler import availability

    app = bench_app(database_url)
    with app.app_context():
        choices = [s for s in availability.bookable_services() if not s.is_course]
        service = max(choices, key=lambda s: (len(availability.practitioners_for(s)), -s.id))
        found = service.id, service.name, len(availability.practitioners_for(service))
        db.engine.dispose()
    return found


def merge(results):
    """One Result from several rounds of the same route."""
    statuses = {}
    for result in results:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Result([x for r in results for x in r.latencies], statuses,
                  sum(r.seconds for r in results))


def in_process_cost(database_url, paths, repeats=200):
    """Median ms of one request to each path through Flask's test client, interleaved: the
    application's own cost per request, without the network, gunicorn or the load client."""
    from booking.extensions import db

    app = bench_app(database_url)
    client = app.test_client()
    timings = {path: [] for path in paths}
    for path in paths:
        for _ in range(20):
            client.get(path)
    for _ in range(repeats):
        for path in paths:
            began = time.perf_counter()
            assert client.get(path).status_code == 200
            timings[path].append(time.perf_counter() - began)
    with app.app_context():
        db.engine.dispose()
    return {path: statistics.median(values) * 1000 for path, values in timings.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=2, help="per route and round")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--database-url", help="a PostgreSQL database to erase and use")
    parser.add_argument("--wrk", action="store_true", help="drive the load with wrk")
    args = parser.parse_args()
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(folder, args.database_url)
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite file'}; demo data: "
              f"{seed_demo(url)}")
        service_id, name, practitioners = pick_service(url)
        monday = next_monday()
        slots = (f"/api/v1/slots?service={service_id}&from={monday.isoformat()}"
                 f"&to={(monday + timedelta(days=6)).isoformat()}")
        with Gunicorn(url, workers=args.workers, folder=Path(folder) / "server") as server, \
                Gunicorn(url, workers=args.workers, folder=Path(folder) / "yardstick",
                         app="bench.one_query_app:app", ready_path="/one") as yardstick:
            # (label, port, path); the first is the yardstick the others are compared with.
            routes = [("one-query Flask-SQLAlchemy route", yardstick.port, "/one"),
                      ("GET /api/v1/services", server.port, "/api/v1/services"),
                      ("GET /api/v1/slots (a week)", server.port, slots)]
            status, body = get(server.port, slots)
            count = body.count(b'"start"')
            print(f"slots route: service {service_id} ({name}, {practitioners} practitioners), "
                  f"week of {monday}: {count} slots, {len(body)} bytes, HTTP {status}")
            print(f"gunicorn: {args.workers} sync workers per app; {args.clients} concurrent "
                  f"clients ({'wrk' if args.wrk else 'Python threads'}); {args.rounds} rounds "
                  f"of {args.seconds:g} s per route, the routes alternating (so a change in "
                  f"the machine's load falls on all)\n")
            for _label, port, path in routes:  # warm-up
                if args.wrk:
                    run_wrk(port, path, args.clients, max(1, int(args.warmup)))
                else:
                    call = ("GET", path, None, None)
                    run_load(port, lambda n, call=call: call, args.clients, args.warmup)
            rounds = {label: [] for label, _port, _path in routes}
            for _ in range(args.rounds):
                for label, port, path in routes:
                    if args.wrk:
                        rounds[label].append(run_wrk(port, path, args.clients,
                                                     max(1, round(args.seconds))))
                    else:
                        call = ("GET", path, None, None)
                        rounds[label].append(run_load(port, lambda n, call=call: call,
                                                      args.clients, args.seconds))
            figures = {}
            for label, _port, _path in routes:
                if args.wrk:
                    runs = rounds[label]
                    per_second = statistics.mean(r[0] for r in runs)
                    p50 = statistics.median(r[1] for r in runs)
                    p99 = statistics.median(r[2] for r in runs)
                    print(f"{label:<34} {per_second:9.1f} req/s   p50 {p50:7.1f} ms   "
                          f"p99 {p99:7.1f} ms   non-2xx {sum(r[3] for r in runs)}  "
                          f"(p50/p99: median of the rounds)")
                else:
                    result = merge(rounds[label])
                    print(result.line(label))
                    per_second = result.per_second
                figures[label] = per_second
        yardstick_rate = figures[routes[0][0]]
        print()
        for label, _port, _path in routes[1:]:
            print(f"{label} / one-query route = {figures[label] / yardstick_rate * 100:.0f} % "
                  f"of the requests/s")
        slow = figures[routes[2][0]]
        verdict = "met" if slow >= 0.5 * yardstick_rate else "MISSED"
        print(f"target: the week of slots >= 50 % of the one-query route: {verdict}")
        costs = in_process_cost(url, [path for _label, _port, path in routes[1:]])
        cheap, dear = (costs[path] for _label, _port, path in routes[1:])
        print(f"in-process cost per request (Flask test client, median of 200, interleaved): "
              f"services {cheap:.2f} ms, slots {dear:.2f} ms")
        print(f"queries per request: services {count_queries(url, routes[1][2])}, "
              f"slots {count_queries(url, slots)}")


def count_queries(database_url, path):
    """How many SQL statements one request runs (after a first request has warmed up)."""
    from sqlalchemy import event

    from booking.extensions import db

    app = bench_app(database_url)
    client = app.test_client()
    client.get(path)
    statements = []
    with app.app_context():
        engine = db.engine

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        db.engine.dispose()
    return len(statements)


if __name__ == "__main__":
    main()
