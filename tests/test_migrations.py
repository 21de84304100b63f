"""The migrations build exactly the schema the models describe, and can be undone."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from booking.extensions import db
from tests.conftest import make_app, postgres_only, sqlite_only


@sqlite_only
def test_upgrade_on_an_empty_database_gives_the_schema_of_the_models(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        db.engine.dispose()


@sqlite_only
def test_upgrade_installs_the_overlap_and_audit_guards(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'guards.sqlite'}")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            triggers = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        # Batch migrations on SQLite rebuild tables and drop their triggers: this catches it.
        assert sorted(triggers) == ["appointment_no_overlap_insert",
                                    "appointment_no_overlap_update",
                                    "appointment_no_resource_overlap_insert",
                                    "appointment_no_resource_overlap_update",
                                    "audit_event_no_delete", "audit_event_no_update"]
        db.engine.dispose()


@sqlite_only
def test_downgrade_to_nothing_and_up_again(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'roundtrip.sqlite'}")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        assert "appointment" in inspect(db.engine).get_table_names()
        db.engine.dispose()


@postgres_only
def test_postgres_migrations_give_the_schema_of_the_models_and_its_guards(app):
    """The session's PostgreSQL database was built by the migrations: compare it."""
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        constraints = connection.execute(text(
            "SELECT conname FROM pg_constraint WHERE contype = 'x'")).scalars().all()
        triggers = connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars().all()
    assert differences == []
    assert sorted(constraints) == ["appointment_overlap", "appointment_overlap_resource"]
    assert "audit_event_no_change" in triggers
