"""The worker's job locks: one row per periodic job, held through a lease.

A worker takes a job's lock with one conditional UPDATE ("free, or its lease has run out"), so
two workers (or two servers) never run the same job at once, on SQLite and PostgreSQL alike;
a worker that dies holding a lock loses it when `locked_until` passes. The row also remembers
when the job last ran, so every worker agrees on when it is due next.
"""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class JobLock(db.Model):
    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "send-mail"
    # Who holds it (host, process and a random part) and until when; both empty when free.
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The start and end of the last run that finished (its schedule counts from the start).
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "ok" or "failed" (the log line says why; no personal data is kept here).
    last_result: Mapped[str | None] = mapped_column(String(16))
