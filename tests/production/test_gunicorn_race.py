"""Production proof: the real app under gunicorn (4 worker processes) on PostgreSQL.

Many clients race for the same slot, for overlapping slots of different lengths, and for
overlapping treatment courses, through real HTTP and separate worker processes, each with its
own database connections. Exactly one wins each race; the others get 409, never a 5xx; the
database keeps no trace of the refused attempts.

The server reads the real clock (a subprocess cannot share the tests' FROZEN_NOW), so the
slots are chosen from today's date: the first weekday at least three days ahead, 10:00 Kyiv.
Everything is bounded in time: gunicorn must answer within STARTUP_SECONDS, each request within
REQUEST_SECONDS, and it is stopped (SIGTERM, then SIGKILL) whatever happens.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time as clock
import urllib.parse
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Consent, Course, Patient, Resource
from tests.conftest import TEST_DATABASE_URL, postgres_only

pytestmark = postgres_only

ROOT = Path(__file__).resolve().parents[2]
KYIV = ZoneInfo("Europe/Kyiv")
WORKERS = 4
RACERS = 50
STARTUP_SECONDS = 60
REQUEST_SECONDS = 60


def first_weekday_ahead(days=3):
    day = datetime.now(KYIV).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def next_weekday(day):
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV).isoformat()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn -c gunicorn.conf.py wsgi:app, as a child process on 127.0.0.1."""

    def __init__(self, database_url, workers=WORKERS):
        self.port = free_port()
        self.logs = tempfile.TemporaryDirectory(prefix="expio-gunicorn-")
        self.access_log = Path(self.logs.name) / "access.log"
        self.error_log = Path(self.logs.name) / "error.log"
        env = {**os.environ, "APP_CONFIG": "testing", "TEST_DATABASE_URL": database_url,
               "DATABASE_URL": database_url, "RATELIMIT_ENABLED": "0",
               "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
             "wsgi:app"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def wait_until_ready(self):
        deadline = clock.monotonic() + STARTUP_SECONDS
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n"
                                     f"{self.errors()}")
            try:
                if request(self.port, "GET", "/api/v1/services", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            clock.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer in {STARTUP_SECONDS} s:\n{self.errors()}")

    def errors(self):
        return self.error_log.read_text() if self.error_log.exists() else ""

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def request(port, method, path, body=None, headers=None, timeout=REQUEST_SECONDS):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


def race(port, calls):
    """Send every (method, path, body, headers) at the same moment from its own thread: each
    thread connects first, then all wait at a barrier and send together."""
    barrier = threading.Barrier(len(calls), timeout=REQUEST_SECONDS)
    results = [None] * len(calls)

    def run(index, method, path, body, headers):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS)
        try:
            connection.connect()
            barrier.wait()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            results[index] = (response.status, response.read(), dict(response.getheaders()))
        except Exception as error:  # noqa: BLE001  (reported in the assertion below)
            results[index] = (None, repr(error).encode(), {})
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    return results


def booking_call(service_id, practitioner_id, start, number):
    body = {"service_id": service_id, "practitioner_id": practitioner_id, "start": start,
            "consent": True,
            "patient": {"full_name": f"Racer {number}", "email": f"racer{number}@example.com",
                        "phone": "+380501234567", "date_of_birth": "1990-01-01"}}
    return ("POST", "/api/v1/bookings", json.dumps(body).encode(),
            {"Content-Type": "application/json"})


def course_call(service_id, start, sessions, number):
    query = urllib.parse.urlencode({"start": start, "sessions": sessions, "practitioner": "any"})
    form = urllib.parse.urlencode({
        "start": start, "full_name": f"Course Racer {number}", "phone": "+380501234567",
        "email": f"course{number}@example.com", "date_of_birth": "1985-03-04", "consent": "y"})
    return ("POST", f"/book/{service_id}/course/details?{query}", form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})


def statuses(results):
    return [status for status, _body, _headers in results]


def count(model, *where):
    db.session.rollback()  # see what the workers committed
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def clinic(app, create_service, create_practitioner):
    """Services, practitioners with Mon-Fri 10-19 hours, a course service and two chairs."""
    consultation = create_service(name="Consultation", duration_minutes=60)
    long_session = create_service(name="Long session", duration_minutes=90)
    course = create_service(name="Infusion course", duration_minutes=60, grid_minutes=60,
                            observation_minutes=60, resource_kind="infusion_chair",
                            is_course=True, min_sessions=3, max_sessions=7)
    single = create_practitioner([consultation], full_name="Dr Single")
    overlap = create_practitioner([consultation, long_session], full_name="Dr Overlap")
    create_practitioner([course], full_name="Dr Course")
    db.session.add_all([Resource(name="Chair 1", kind="infusion_chair"),
                        Resource(name="Chair 2", kind="infusion_chair")])
    db.session.commit()
    ids = {"consultation": consultation.id, "long": long_session.id, "course": course.id,
           "single": single.id, "overlap": overlap.id}
    db.session.rollback()  # hold no transaction open while the workers write
    return ids


@pytest.fixture
def server(clinic, database_uri):
    assert database_uri == TEST_DATABASE_URL
    gunicorn = Gunicorn(database_uri)
    try:
        gunicorn.wait_until_ready()
        yield gunicorn
    finally:
        assert gunicorn.stop() == 0, gunicorn.errors()
        gunicorn.logs.cleanup()


def test_gunicorn_workers_racing_on_postgresql_give_one_winner_per_race(clinic, server):
    day = first_weekday_ahead()
    port = server.port

    # (a) 50 clients, one slot.
    one_slot = race(port, [booking_call(clinic["consultation"], clinic["single"], at(day, 10), n)
                           for n in range(RACERS)])
    assert sorted(statuses(one_slot)) == [201] + [409] * (RACERS - 1), one_slot
    assert all(b'"slot_taken"' in body for status, body, _h in one_slot if status == 409)

    # (b) 50 clients, overlapping slots of 60 and 90 minutes with one practitioner:
    # 10:00-11:00, 10:00-11:30, 10:30-11:30, 10:30-12:00 (every pair overlaps).
    shapes = [(clinic["consultation"], at(day, 10)), (clinic["long"], at(day, 10)),
              (clinic["consultation"], at(day, 10, 30)), (clinic["long"], at(day, 10, 30))]
    calls = []
    for n in range(RACERS):
        service_id, start = shapes[n % len(shapes)]
        calls.append(booking_call(service_id, clinic["overlap"], start, 100 + n))
    overlapping = race(port, calls)
    assert statuses(overlapping).count(201) == 1, overlapping
    assert statuses(overlapping).count(409) == RACERS - 1, overlapping

    # (c) Two courses of 3 sessions with one practitioner, a day apart: they share two days.
    second = next_weekday(day)
    courses = race(port, [course_call(clinic["course"], at(day, 10), 3, 1),
                          course_call(clinic["course"], at(second, 10), 3, 2)])
    assert sorted(statuses(courses)) == [303, 409], [(s, b[:300]) for s, b, _h in courses]
    location = next(h["Location"] for s, _b, h in courses if s == 303)
    assert re.search(r"/manage/[^/?]+\?new=1$", location)

    everything = one_slot + overlapping + courses
    assert not [s for s in statuses(everything) if s is None or s >= 500]

    # The database: one appointment per won race, a course with all its sessions, nothing of
    # the refused attempts (no appointments, cancelled or not, no patients, no consents).
    assert count(Appointment) == 1 + 1 + 3
    assert count(Appointment, Appointment.status == "cancelled") == 0
    assert count(Course) == 1
    course = db.session.execute(select(Course)).scalar_one()
    assert sorted(a.course_day for a in course.appointments) == [1, 2, 3]
    assert count(Appointment, Appointment.course_id.is_not(None),
                 Appointment.course_id != course.id) == 0
    assert count(Course, ~Course.id.in_(
        select(Appointment.course_id).where(Appointment.course_id.is_not(None)))) == 0
    assert count(Patient) == 3  # the three winners
    assert count(Patient, ~Patient.id.in_(select(Appointment.patient_id))) == 0
    assert count(Consent) == 3
    assert count(Patient, Patient.email.like("racer%")) == 2
    assert count(Patient, Patient.email.like("course%")) == 1

    # The private link works through gunicorn and never reaches the access log.
    path = urllib.parse.urlsplit(location).path
    assert request(port, "GET", path)[0] == 200
    token = path.rsplit("/", 1)[-1]
    server.stop()
    access = server.access_log.read_text()
    assert token not in access
    assert "/manage/[token]" in access
    logged = [int(code) for code in re.findall(r'HTTP/1\.[01]" (\d{3}) ', access)]
    assert len(logged) >= len(everything) + 1
    assert not [code for code in logged if code >= 500]
