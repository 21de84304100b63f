"""A busy or unreachable database: 503 with Retry-After (a page for people, the JSON error shape
for programs), nothing half-written, and the next request after it recovers succeeds on the
same app (no restart). The health endpoints for load balancers: /healthz and /readyz."""
import socket
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from booking.extensions import db
from booking.health import code_heads
from booking.models import Appointment, Consent, OutboxMessage, Patient
from tests.conftest import NOW, make_app, postgres_only, running
from tests.notifications.conftest import free_port

TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Europe/Kyiv"))
WAIT_MS = 300  # the lock wait of the apps below: much shorter than the lock is held


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="First consultation")
    create_practitioner([service], full_name="Dr Neuro")
    return service


@pytest.fixture
def impatient_app(database_uri, clinic):
    """The test database, served by an app that waits WAIT_MS for a lock."""
    with running(make_app(database_uri, FROZEN_NOW=NOW, DATABASE_LOCK_WAIT_MS=WAIT_MS,
                          DATABASE_RETRY_AFTER_SECONDS=7)) as app:
        yield app


@contextmanager
def write_lock_held(database_uri):
    """Another connection holds the database's write lock (SQLite) or an exclusive lock on the
    practitioners every booking locks first (PostgreSQL; reads go on) until the block ends."""
    if database_uri.startswith("sqlite"):
        connection = sqlite3.connect(database_uri.removeprefix("sqlite:///"),
                                     isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
    else:
        engine = create_engine(database_uri)
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE practitioner IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                connection.rollback()
        engine.dispose()


def counts():
    db.session.rollback()  # see what other connections committed
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Appointment, Patient, Consent, OutboxMessage))


def booking_body(patient_details):
    return {"service_id": 1, "start": TUESDAY_10.isoformat(), "consent": True,
            "patient": patient_details}


def form_post(client, patient_details):
    url = "/book/1/details?" + urlencode({"start": TUESDAY_10.isoformat(), "practitioner": "any"})
    return client.post(url, data={**patient_details, "start": TUESDAY_10.isoformat(),
                                  "consent": "y"})


def assert_unavailable_json(response, retry_after="7"):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == retry_after
    body = response.get_json()
    assert body["error"] == "unavailable"
    assert "try again" in body["message"]
    assert set(body) == {"error", "message"}


def assert_unavailable_page(response, retry_after="7"):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == retry_after
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page and "try again" in page
    assert "Traceback" not in page and "OperationalError" not in page


# --- Busy: another connection holds the lock longer than we wait ----------------------------------

def test_a_booking_while_the_database_is_locked_gets_503_and_writes_nothing(
        impatient_app, database_uri, patient_details):
    client = impatient_app.test_client()
    with write_lock_held(database_uri):
        response = client.post("/api/v1/bookings", json=booking_body(patient_details))
        assert_unavailable_json(response)
        assert client.get("/api/v1/services").status_code == 200  # reading goes on
    assert counts() == (0, 0, 0, 0)
    # The lock is gone: the same request books, on the same app.
    assert client.post("/api/v1/bookings", json=booking_body(patient_details)).status_code == 201
    assert counts() == (1, 1, 1, 1)


def test_the_booking_form_while_the_database_is_locked_gets_a_friendly_page(
        impatient_app, database_uri, patient_details):
    client = impatient_app.test_client()
    with write_lock_held(database_uri):
        assert_unavailable_page(form_post(client, patient_details))
    assert counts() == (0, 0, 0, 0)
    assert form_post(client, patient_details).status_code == 303
    assert counts()[0] == 1


# --- Away: nothing answers at the database's address ---------------------------------------------

@pytest.fixture
def app_without_database():
    """An app whose PostgreSQL address has no server behind it (stopped, or not yet started)."""
    uri = f"postgresql+psycopg://expio@127.0.0.1:{free_port()}/expio"
    with running(make_app(uri, FROZEN_NOW=NOW, DATABASE_RETRY_AFTER_SECONDS=7)) as app:
        yield app


def test_with_the_database_away_pages_answer_503_with_a_friendly_page(app_without_database):
    client = app_without_database.test_client()
    assert_unavailable_page(client.get("/book/2"))
    assert_unavailable_page(client.get("/"))


def test_with_the_database_away_the_api_answers_503_in_its_json_shape(app_without_database,
                                                                      patient_details):
    client = app_without_database.test_client()
    assert_unavailable_json(client.get("/api/v1/services"))
    assert_unavailable_json(client.post("/api/v1/bookings", json=booking_body(patient_details)))


def test_with_the_database_away_the_process_is_alive_but_not_ready(app_without_database):
    client = app_without_database.test_client()
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "7"
    assert ready.get_json()["database"] == "unavailable"


# --- Ready: reachable and migrated ---------------------------------------------------------------

def test_a_migrated_database_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current"}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_behind_the_code_is_not_ready(client):
    [head] = code_heads()
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["migrations"] == "not_current"
    finally:  # on PostgreSQL the next test gets the same database (its tables emptied)
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"),
                           {"head": head})
        db.session.commit()


def test_the_head_is_the_newest_migration():
    assert len(code_heads()) == 1


def test_health_checks_are_never_rate_limited(make_test_app):
    app = make_test_app(RATELIMIT_ENABLED=True, RATELIMIT_API="1 per minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/readyz").status_code for _ in range(5)] == [200] * 5


# --- PostgreSQL stopped and started again under a running app -------------------------------------

class Cable:
    """A TCP relay from a local port to the database server that can be cut (every connection
    dropped, nothing accepted: the server seems stopped) and plugged in again on the same port."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = free_port()
        self.sockets, self.listener = [], None
        self.lock = threading.Lock()

    def plug(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        with self.lock:
            try:  # wakes the thread blocked in accept(): close() alone leaves it listening
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets = []

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@postgres_only
def test_postgresql_going_away_and_coming_back_needs_no_restart(database_uri, clinic,
                                                               patient_details):
    url = make_url(database_uri)
    cable = Cable(url.host, url.port)
    cable.plug()
    through_cable = url.set(host="127.0.0.1", port=cable.port).render_as_string(
        hide_password=False)
    with running(make_app(through_cable, FROZEN_NOW=NOW, DATABASE_RETRY_AFTER_SECONDS=7)) as app:
        client = app.test_client()
        assert client.get("/book/1").status_code == 200  # a pooled connection now exists
        cable.cut()
        assert_unavailable_page(client.get("/book/1"))
        assert_unavailable_json(client.post("/api/v1/bookings",
                                            json=booking_body(patient_details)))
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        cable.plug()
        assert client.get("/readyz").status_code == 200
        assert client.get("/book/1").status_code == 200
        booked = client.post("/api/v1/bookings", json=booking_body(patient_details))
        assert booked.status_code == 201
    cable.cut()
    assert counts() == (1, 1, 1, 1)
