"""Database plumbing the services rely on: UTC timestamps and write transactions taken up front."""
import functools
from contextlib import contextmanager
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import DateTime, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """An instant, stored as UTC and always handed back timezone-aware.

    SQLite has no time zone support (DateTime(timezone=True) silently drops the offset there),
    so we store naive UTC and re-attach UTC on the way out. Naive input is refused: every
    instant in this code base is aware, and a naive one is a bug we want to see at once.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from a trigger-built row
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def begin_write():
    """Start the session's transaction as a write transaction, before anything is read.

    On SQLite this is BEGIN IMMEDIATE: the write lock is taken up front, so a check followed by
    an insert cannot interleave with another writer doing the same (a plain BEGIN would let
    both read "free" and then one fail to upgrade its lock). On PostgreSQL the services lock the
    rows they depend on instead (SELECT ... FOR UPDATE) and the database constraint is the guard.
    """
    session = db.session()
    if session.in_transaction():
        # Anything read so far may be stale; the check must happen under the lock.
        session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})


CONNECT_TIMEOUT_SECONDS = 5
BRIEF_LOCK_WAIT_MS = 500


@contextmanager
def brief_lock_wait(wait_ms=BRIEF_LOCK_WAIT_MS):
    """Within the block, the session's statements wait at most `wait_ms` for another's lock
    (for clean-up after a failure that a busy database may have caused: not another full wait).
    Commit or roll back after the block."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "sqlite":
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
    elif dialect == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
    try:
        yield
    finally:
        if dialect == "sqlite":
            usual = current_app.config["DATABASE_LOCK_WAIT_MS"]
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(usual)}")


def install_lock_wait(engine, wait_ms):
    """How long a statement waits for another connection's lock before it fails (then the
    request answers 503 with Retry-After; booking.errors): SQLite's busy timeout, PostgreSQL's
    lock_timeout. Without it a PostgreSQL request would wait until gunicorn kills its worker."""
    if engine.dialect.name == "sqlite":
        install_sqlite_behaviour(engine, wait_ms)
    elif engine.dialect.name == "postgresql":
        @event.listens_for(engine, "do_connect")
        def connect_within(dialect, connection_record, cargs, cparams):
            # A server that does not answer at all (stopped host, dropped packets) fails the
            # request in seconds instead of hanging until the worker is killed.
            cparams.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection, connection_record):
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(wait_ms)}")
            dbapi_connection.autocommit = autocommit


def install_sqlite_behaviour(engine, busy_timeout_ms=15000):
    """Let us issue BEGIN ourselves on SQLite, turn on foreign keys, WAL and a busy timeout."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, connection_record):
        # Disable pysqlite's own transaction handling so that ours (below) is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Wait for a competing writer instead of failing at once with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database and engine.url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# PostgreSQL: serialization failure and deadlock. The transaction did nothing; run it again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}
RETRY_ATTEMPTS = 3


def _sqlstate(error):
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


def retry_on_conflict(function):
    """Run a service's transaction again when PostgreSQL reports a serialization failure or a
    deadlock (each attempt starts afresh; the services roll back before re-raising)."""
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except DBAPIError as error:
                db.session.rollback()
                if _sqlstate(error) not in RETRYABLE_SQLSTATES or attempt == RETRY_ATTEMPTS:
                    raise
    return wrapped
