"""`make run` starts the web server and the worker together (booking/devrun.py), and one
Ctrl+C stops both."""
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import sqlite_only
from tests.notifications.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


def wait_for(condition, seconds=40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@sqlite_only
def test_one_command_serves_the_site_and_runs_the_worker_and_one_ctrl_c_stops_both(
        database_path, tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("CANONICAL_URL", "APP_CONFIG", "MAIL_SERVER")}
    env.update(FLASK_RUN_HOST="127.0.0.1", FLASK_RUN_PORT=str(port),
               DATABASE_URL=f"sqlite:///{database_path}", PYTHONUNBUFFERED="1")
    log = tmp_path / "devrun.log"
    with open(log, "wb") as output:
        launcher = subprocess.Popen([sys.executable, "-m", "booking.devrun"], cwd=ROOT, env=env,
                                    stdout=output, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}/") == 200), log.read_text()
        assert wait_for(lambda: "job=send-mail result=ok" in log.read_text()), log.read_text()
        # Ctrl+C in a terminal signals the whole foreground group.
        os.killpg(launcher.pid, signal.SIGINT)
        assert launcher.wait(timeout=30) == 0
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
    text = log.read_text()
    assert answers(f"http://127.0.0.1:{port}/") is None  # the server is gone
    assert re.search(r"expio\.worker INFO worker \S+ stopped", text)  # so is the worker
    assert f"Expio on http://127.0.0.1:{port}" in text
