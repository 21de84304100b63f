"""The worker's loop: each minute, every job that is due and free runs once, under its lock.

One log line per run (logger "expio.worker"): the job, ok or failed, its counts and how long it
took; a failure names the error's type only (its text may quote data), and the job's own command
shows the detail. A failed job is tried again after FAILED_HOLD_OFF, not at once.
"""
import logging
import os
import socket
import threading
import time as clock_time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..extensions import db
from ..timeutil import clinic_tz, utcnow
from . import locks
from .jobs import JOBS, scheduled_jobs
from .schedule import next_minute

log = logging.getLogger("expio.worker")
FAILED_HOLD_OFF = timedelta(minutes=5)


@dataclass(frozen=True)
class Run:
    job: str
    ok: bool
    counts: dict
    seconds: float


def worker_name():
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs the scheduled jobs; `clock` gives "now" (tests inject one)."""

    def __init__(self, jobs=JOBS, clock=utcnow, name=None):
        self.jobs = scheduled_jobs(jobs)
        self.clock = clock
        self.name = name or worker_name()
        self.stop = threading.Event()
        locks.ensure_rows([job.name for job, _schedule in self.jobs])

    def run_due(self):
        """Every job that is due and free, once each, in order. Returns [Run] of those run."""
        runs = []
        tz = clinic_tz()
        for job, schedule in self.jobs:
            if self.stop.is_set():
                break
            try:
                claim = locks.claim(job.name, owner=self.name, schedule=schedule,
                                    lease=job.lease, now=self.clock(), tz=tz)
                if claim is not None:
                    runs.append(self._run(job, claim))
            finally:
                db.session.remove()  # no connection held between jobs or while asleep
        return runs

    def _run(self, job, claim):
        started = clock_time.monotonic()
        try:
            counts = job.run(self.clock())
        except Exception as error:  # noqa: BLE001  (logged by type; the lock is given back)
            db.session.rollback()
            run = Run(job.name, False, {"error": type(error).__name__},
                      clock_time.monotonic() - started)
            locks.release(job.name, owner=self.name, now=self.clock(), result="failed",
                          previous=claim.previous_start, hold_off=FAILED_HOLD_OFF)
        else:
            run = Run(job.name, True, counts, clock_time.monotonic() - started)
            locks.release(job.name, owner=self.name, now=self.clock(), result="ok")
        details = " ".join(f"{key}={value}" for key, value in run.counts.items())
        (log.info if run.ok else log.error)(
            "job=%s result=%s %s duration=%.2fs", run.job, "ok" if run.ok else "failed",
            details, run.seconds)
        return run

    def run_forever(self):
        """Until `stop` is set (SIGTERM, Ctrl+C): run what is due, sleep to the next minute."""
        log.info("worker %s started: %s", self.name, "; ".join(
            f"{job.name} {schedule.describe()}" for job, schedule in self.jobs))
        while not self.stop.is_set():
            self.run_due()
            now = datetime.now(timezone.utc)
            self.stop.wait(max((next_minute(now) - now).total_seconds(), 1.0))
        log.info("worker %s stopped", self.name)
