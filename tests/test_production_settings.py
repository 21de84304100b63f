"""Production settings: the session cookie is a `__Host-` cookie, and request rate limits are
never counted per worker (memory:// with more than one gunicorn worker refuses to start)."""
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from booking.security import InsecureConfiguration, check_production_settings
from tests.conftest import NOW, make_app
from tests.notifications.conftest import free_port
from tests.test_security import production_settings

ROOT = Path(__file__).resolve().parents[1]


# --- The session cookie ---------------------------------------------------------------------------

@pytest.fixture
def production_app(database_uri, create_staff):
    settings = production_settings(SQLALCHEMY_DATABASE_URI=database_uri,
                                   ALLOW_SQLITE_IN_PRODUCTION=True, FROZEN_NOW=NOW,
                                   PASSWORD_HASH_METHOD="scrypt:1024:8:1",
                                   WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    create_staff("desk@example.com")
    return make_app(database_uri, **{k: v for k, v in settings.items()
                                     if k != "SQLALCHEMY_DATABASE_URI"})


def test_the_production_session_cookie_is_a_host_cookie(production_app):
    from tests.conftest import STAFF_PASSWORD

    client = production_app.test_client()
    response = client.post("/staff/sign-in", base_url="https://booking.expio.example",
                           data={"email": "desk@example.com", "password": STAFF_PASSWORD})
    assert response.status_code == 303
    [cookie] = [value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("__Host-")]
    name, _ = cookie.split("=", 1)
    assert name == "__Host-expio_session"
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes
    assert not any(part.startswith("domain") for part in attributes)
    # The browser sends it back on the next page: the person stays signed in.
    assert client.get("/staff/calendar", base_url="https://booking.expio.example"
                      ).status_code == 200


@pytest.mark.parametrize("change", [
    {"SESSION_COOKIE_NAME": "session"},
    {"SESSION_COOKIE_DOMAIN": "expio.example"},
    {"SESSION_COOKIE_PATH": "/staff"},
])
def test_production_refuses_a_session_cookie_other_hosts_could_set(change):
    with pytest.raises(InsecureConfiguration, match="__Host-"):
        check_production_settings(production_settings(**change))


# --- Rate limits across workers ------------------------------------------------------------------

def test_memory_rate_limits_with_several_workers_are_refused():
    with pytest.raises(InsecureConfiguration, match="RATELIMIT_STORAGE_URI"):
        check_production_settings(production_settings(WORKER_PROCESSES=4))


@pytest.mark.parametrize("change", [
    {"WORKER_PROCESSES": 1},
    {"WORKER_PROCESSES": 4, "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0"},
    {"WORKER_PROCESSES": 4, "RATELIMIT_ENABLED": False},  # nothing is counted (benchmarks)
])
def test_one_worker_or_a_shared_store_is_accepted(change):
    check_production_settings(production_settings(**change))


def gunicorn(database_uri, workers, port, error_log, **env):
    environment = {
        **os.environ, "APP_CONFIG": "production", "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_uri, "ALLOW_SQLITE_IN_PRODUCTION": "1",
        "CANONICAL_URL": "https://booking.expio.example", "MAIL_SERVER": "smtp.example",
        "RATELIMIT_STORAGE_URI": "memory://", "PYTHONPATH": str(ROOT), **env}
    environment.pop("WEB_CONCURRENCY", None)
    environment.pop("EXPIO_WORKER_PROCESSES", None)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--error-logfile", str(error_log), "wsgi:app"],
        cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def answers(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_gunicorn_with_several_workers_and_memory_limits_refuses_to_start(database_path):
    with tempfile.TemporaryDirectory() as logs:
        error_log = Path(logs) / "error.log"
        process = gunicorn(f"sqlite:///{database_path}", 2, free_port(), error_log)
        try:
            process.wait(timeout=60)
        finally:
            stop(process)
        assert process.returncode != 0
        assert "RATELIMIT_STORAGE_URI is memory:// but 2 worker processes" in error_log.read_text()


def test_gunicorn_with_one_worker_and_memory_limits_serves(database_path):
    with tempfile.TemporaryDirectory() as logs:
        port = free_port()
        process = gunicorn(f"sqlite:///{database_path}", 1, port, Path(logs) / "error.log")
        try:
            deadline = time.monotonic() + 60
            while answers(port) != 200 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert answers(port) == 200
        finally:
            stop(process)
