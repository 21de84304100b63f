"""`flask --app wsgi backup PATH`: a consistent copy of the SQLite database while the app serves,
which restores to a working app with every row; PostgreSQL is pointed at pg_dump. (The SQLite
tests need the database file: on PostgreSQL runs the database_path fixture skips them.)"""
import os
import sqlite3
import stat

import pytest
from sqlalchemy import inspect, select, text

from booking.extensions import db
from booking.scheduler.openapi import EXAMPLE_PATIENT
from tests.conftest import NOW, make_app, running


@pytest.fixture
def served(client, create_service, create_practitioner):
    """A clinic with bookings, patients, consents, emails, audit events, a waitlist entry and an
    idempotency key, made through the API as patients make them."""
    service = create_service()
    create_practitioner([service], full_name="Dr Neuro")
    for number, start in enumerate(("2026-12-08T10:00:00+02:00", "2026-12-09T12:00:00+02:00")):
        response = client.post("/api/v1/bookings", headers={"Idempotency-Key": f"key-{number}"},
                               json={"service_id": service.id, "start": start, "consent": True,
                                     "patient": {**EXAMPLE_PATIENT,
                                                 "email": f"p{number}@example.com"}})
        assert response.status_code == 201
    response = client.post("/api/v1/waitlist", json={
        "service_id": service.id, "first_day": "2026-12-08", "last_day": "2026-12-18",
        "weekdays": [0, 1, 2], "earliest": "10:00", "latest": "19:00", "consent": True,
        "patient": EXAMPLE_PATIENT})
    assert response.status_code == 201
    return client


def every_row(uri):
    """{table: sorted rows} of the database at `uri`, read through a fresh app."""
    with running(make_app(uri, FROZEN_NOW=NOW)):
        tables = inspect(db.engine).get_table_names()
        return {name: sorted(map(repr, db.session.execute(
            select(text("*")).select_from(text(f'"{name}"'))).all())) for name in tables}


def test_a_backup_restores_to_a_working_app_with_every_row(served, runner, database_path,
                                                           database_uri, tmp_path):
    copy = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", str(copy)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600  # it holds health data
    db.session.rollback()
    original = every_row(database_uri)
    assert sum(len(rows) for rows in original.values()) > 20
    # Restore: the copy is put where a database goes, and an app opens it.
    restored = tmp_path / "restored.sqlite"
    restored.write_bytes(copy.read_bytes())
    assert every_row(f"sqlite:///{restored}") == original
    with running(make_app(f"sqlite:///{restored}", FROZEN_NOW=NOW)) as app:
        client = app.test_client()
        assert client.get("/readyz").status_code == 200  # migrations at head
        assert client.get("/api/v1/booking", headers={"X-Manage-Token": "x"}).status_code == 404
        assert len(client.get("/api/v1/services").get_json()["services"]) == 1


def test_a_backup_taken_during_a_write_holds_what_was_committed_and_nothing_else(
        served, runner, database_path, database_uri, tmp_path):
    db.session.rollback()
    committed = every_row(database_uri)
    writer = sqlite3.connect(database_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the app is in the middle of writing
    writer.execute("DELETE FROM waitlist_entry")
    writer.execute("UPDATE patient SET phone = '+380000000000'")
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "during.sqlite")])
    finally:
        writer.execute("COMMIT")  # and then finishes
        writer.close()
    assert result.exit_code == 0, result.output
    assert every_row(f"sqlite:///{tmp_path / 'during.sqlite'}") == committed


def test_an_existing_file_is_replaced_only_when_asked(served, runner, database_path, tmp_path):
    target = tmp_path / "backup.sqlite"
    target.write_text("yesterday's backup")
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert target.read_text() == "yesterday's backup"
    assert runner.invoke(args=["backup", "--force", str(target)]).exit_code == 0
    assert target.read_bytes().startswith(b"SQLite format 3")


def test_the_database_itself_is_never_the_target(served, runner, database_path):
    result = runner.invoke(args=["backup", "--force", database_path])
    assert result.exit_code != 0


def test_postgresql_is_backed_up_with_pg_dump(tmp_path):
    app = make_app("postgresql+psycopg://expio@127.0.0.1:1/expio")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code != 0
    assert "pg_dump -Fc" in result.output
    assert not (tmp_path / "x.dump").exists()
