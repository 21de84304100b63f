"""Shared fixtures: an app on a real, migrated SQLite database per test, and factories.

The schema is built once per run by the real migrations (`flask db upgrade`), then copied for
each test, so every test runs against exactly what production gets from the migrations.
"""
import shutil
from datetime import datetime, time, timezone

import pytest
from flask import g, request_started
from flask_migrate import upgrade

from booking import create_app
from booking.extensions import db
from booking.models import Practitioner, Service, WorkingHours
from config import TestingConfig

# Monday 7 December 2026, 09:00 in Kyiv (07:00 UTC): every test starts from this "now".
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=timezone.utc)


def make_app(database_uri, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": database_uri, **overrides}
    return create_app(type("TestConfig", (TestingConfig,), settings))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_path(migrated_template, tmp_path):
    path = tmp_path / "test.sqlite"
    shutil.copy(migrated_template, path)
    return path


def _fresh_request_globals(sender, **extra):
    """Tests keep one app context open (for db.session), and Flask reuses it for every test
    request, so `g` would carry the signed-in user and the locale from one request to the next.
    In production each request has its own; clearing `g` here gives tests the same."""
    for name in list(g):
        g.pop(name)


@pytest.fixture
def app(database_path):
    app = make_app(f"sqlite:///{database_path}", FROZEN_NOW=NOW)
    request_started.connect(_fresh_request_globals, app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_test_app(database_path):
    """Another app on the same database, with other settings (e.g. CSRF on)."""
    def make(**overrides):
        return make_app(f"sqlite:///{database_path}", **{"FROZEN_NOW": NOW, **overrides})
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
