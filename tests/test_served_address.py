"""Development serves on any address, and links in emails and the API lead back to it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import served_address

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("environ", "address"), [
    ({}, "http://127.0.0.1:5000"),
    ({"FLASK_RUN_PORT": "5123"}, "http://127.0.0.1:5123"),
    ({"FLASK_RUN_HOST": "192.168.1.20", "FLASK_RUN_PORT": "8080"}, "http://192.168.1.20:8080"),
    ({"FLASK_RUN_HOST": "0.0.0.0", "FLASK_RUN_PORT": "5123"}, "http://127.0.0.1:5123"),
    ({"FLASK_RUN_HOST": "::1", "FLASK_RUN_PORT": "5123"}, "http://[::1]:5123"),
])
def test_the_served_address_is_where_flask_run_listens(environ, address):
    assert served_address(environ) == address


def development_canonical_url(**environ):
    """CANONICAL_URL of the development settings as a fresh process reads them."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("CANONICAL_URL", "FLASK_RUN_HOST", "FLASK_RUN_PORT")}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", "from config import DevelopmentConfig as c; print(c.CANONICAL_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_development_links_follow_the_port_served():
    assert development_canonical_url(FLASK_RUN_PORT="5123") == "http://127.0.0.1:5123"


def test_a_canonical_url_in_the_environment_wins_over_the_port_served():
    assert development_canonical_url(FLASK_RUN_PORT="5123",
                                     CANONICAL_URL="https://staging.expio.example") \
        == "https://staging.expio.example"
