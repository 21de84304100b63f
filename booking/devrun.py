"""`make run`: the development web server and the worker, started together, stopped together.

    python -m booking.devrun        (make run sets FLASK_RUN_HOST / FLASK_RUN_PORT)

Each runs as its own process group (`flask run` with its reloader, `flask worker`). Ctrl+C or
SIGTERM stops both (SIGINT to the server, SIGTERM to the worker, which finishes the job in hand);
when either stops by itself (a port already taken), the other is stopped too and its exit
status is this one's.
"""
import os
import signal
import subprocess
import sys
import time

from config import served_address

FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
GRACE_SECONDS = 15


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def _stop(processes):
    for process, signum in processes:
        if process.poll() is None:
            _signal_group(process, signum)
    deadline = time.monotonic() + GRACE_SECONDS
    for process, _signum in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def main():
    stopping = []
    signal.signal(signal.SIGINT, lambda *args: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *args: stopping.append(True))
    print(f"Expio on {served_address()} (staff: {served_address()}/staff/sign-in), "
          f"with the worker beside it. Ctrl+C stops both.", flush=True)
    server = subprocess.Popen([*FLASK, "run"], start_new_session=True)
    worker = subprocess.Popen([*FLASK, "worker"], start_new_session=True)
    processes = [(server, signal.SIGINT), (worker, signal.SIGTERM)]
    status = 0
    try:
        while not stopping:
            ended = [process for process, _signum in processes if process.poll() is not None]
            if ended:
                status = ended[0].returncode
                break
            time.sleep(0.2)
    finally:
        _stop(processes)
    return status


if __name__ == "__main__":
    sys.exit(main())
