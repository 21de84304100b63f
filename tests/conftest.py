"""Shared fixtures: an app on a real, migrated database per test, and factories.

The schema is built once per run by the real migrations (`flask db upgrade`). On SQLite (the
default) the migrated file is copied for each test. With TEST_DATABASE_URL set to PostgreSQL
(`postgresql+psycopg://...`), the suite runs there: migrated once, emptied before each test.
In CI (CI=true) a PostgreSQL URL that cannot be reached is a failure, never a skip.
"""
import os
import shutil
import threading
from contextlib import contextmanager
from datetime import datetime, time, timezone

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from booking import create_app
from booking.extensions import db
from booking.models import Practitioner, Service, WorkingHours
from config import TestingConfig

# Monday 7 December 2026, 09:00 in Kyiv (07:00 UTC): every test starts from this "now".
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="checks SQLite's own files or triggers")
postgres_only = pytest.mark.skipif(not ON_POSTGRES,
                                   reason="needs TEST_DATABASE_URL=postgresql+psycopg://...")


def make_app(database_uri, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": database_uri, **overrides}
    return create_app(type("TestConfig", (TestingConfig,), settings))


def _reset_postgres_schema(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_sessionstart(session):
    """In CI a PostgreSQL URL that does not answer fails the run at once (never silent skips)."""
    if ON_POSTGRES:
        try:
            create_engine(TEST_DATABASE_URL).connect().close()
        except Exception as error:  # noqa: BLE001  (any failure to connect is reported)
            raise pytest.UsageError(f"TEST_DATABASE_URL does not answer: {error}") from error


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    if ON_POSTGRES:
        _reset_postgres_schema(TEST_DATABASE_URL)
        app = make_app(TEST_DATABASE_URL)
        with app.app_context():
            upgrade()
            tables = [t.name for t in reversed(db.metadata.sorted_tables)]
            db.engine.dispose()
        return tables
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_uri(migrated_template, tmp_path):
    """A migrated, empty database for this test."""
    if ON_POSTGRES:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in migrated_template)
                + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path / "test.sqlite"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_path(database_uri):
    """The SQLite file of this test (tests that need it are SQLite-only)."""
    if ON_POSTGRES:
        pytest.skip("needs the SQLite file")
    return database_uri.removeprefix("sqlite:///")


def _fresh_request_globals(sender, **extra):
    """Tests keep one app context open (for db.session), and Flask reuses it for every test
    request, so `g` would carry the signed-in user and the locale from one request to the next.
    In production each request has its own; clearing `g` here gives tests the same."""
    for name in list(g):
        g.pop(name)


@contextmanager
def running(app):
    """The app's context for a test, with fresh request globals on every request, and its
    connections closed afterwards."""
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def add_consultation(practitioner_name="Dr Olena Kovalenko", *, practitioner_fields=None,
                     **service_fields):
    """A one-hour consultation and a practitioner offering it Mon-Fri 10:00-19:00."""
    service = Service(**{"name": "First consultation", "duration_minutes": 60,
                         "grid_minutes": 30, "buffer_minutes": 0, **service_fields})
    practitioner = Practitioner(full_name=practitioner_name, services=[service],
                                **(practitioner_fields or {}))
    for weekday in range(5):
        practitioner.working_hours.append(
            WorkingHours(weekday=weekday, start_time=time(10), end_time=time(19)))
    db.session.add_all([service, practitioner])
    db.session.commit()
    return service


def run_at_once(instances, work, timeout=60):
    """`work()` inside each app instance, each on its own thread, all let go together (as
    several servers or cron jobs would run); returns the results in order and fails on any
    thread's exception."""
    barrier = threading.Barrier(len(instances))
    results, errors = [None] * len(instances), []

    def run(index):
        try:
            with instances[index].app_context():
                barrier.wait()
                results[index] = work()
                db.session.remove()
                db.engine.dispose()
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(instances))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert errors == []
    return results


@pytest.fixture
def app(database_uri):
    with running(make_app(database_uri, FROZEN_NOW=NOW)) as app:
        yield app


@pytest.fixture
def make_test_app(database_uri):
    """Another app on the same database, with other settings (e.g. CSRF on)."""
    def make(**overrides):
        return make_app(database_uri, **{"FROZEN_NOW": NOW, **overrides})
    return make


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Factories ---------------------------------------------------------------------------------

WEEKDAYS_10_TO_19 = {day: [(time(10), time(19))] for day in range(5)}


@pytest.fixture
def create_service(app):
    def create(name="First consultation", duration_minutes=60, grid_minutes=30, buffer_minutes=0,
               **fields):
        service = Service(name=name, duration_minutes=duration_minutes, grid_minutes=grid_minutes,
                          buffer_minutes=buffer_minutes, **fields)
        db.session.add(service)
        db.session.commit()
        return service
    return create


@pytest.fixture
def create_practitioner(app):
    def create(services=(), full_name="Dr Test", hours=None, **fields):
        practitioner = Practitioner(full_name=full_name, services=list(services), **fields)
        for weekday, spans in (WEEKDAYS_10_TO_19 if hours is None else hours).items():
            for start, end in spans:
                practitioner.working_hours.append(
                    WorkingHours(weekday=weekday, start_time=start, end_time=end))
        db.session.add(practitioner)
        db.session.commit()
        return practitioner
    return create


PATIENT = {
    "full_name": "Test Patient",
    "email": "patient@example.com",
    "phone": "+380501234567",
    "date_of_birth": "1990-05-17",
}


@pytest.fixture
def patient_details():
    return dict(PATIENT)


STAFF_PASSWORD = "quiet harbour lantern"


@pytest.fixture
def create_staff(app):
    from booking.auth import services as staff_accounts

    def create(email="staff@example.com", roles=("receptionist",), practitioner=None, **fields):
        return staff_accounts.create_staff(
            email, STAFF_PASSWORD, roles,
            practitioner_id=practitioner.id if practitioner else None, **fields)
    return create


def sign_in(client, email, password=STAFF_PASSWORD):
    return client.post("/staff/sign-in", data={"email": email, "password": password})


@pytest.fixture
def staff_client(app, create_staff):
    """A test client signed in as a new staff member with the given roles."""
    def make(*roles, email=None, practitioner=None):
        email = email or f"{'-'.join(roles)}@example.com"
        create_staff(email, roles=roles, practitioner=practitioner)
        client = app.test_client()
        response = sign_in(client, email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return make
