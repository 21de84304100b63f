"""The periodic jobs the worker runs: each calls the same function as its own CLI command (the
commands stay, for cron and for tests). A job returns counts for its log line: never a name, an
address, a link or a value.

To add a job (the diary and message prompts, for example): write `def _my_job(now)` calling the
service function with `now`, returning {"what": count}; add `Job("my-job", _my_job, default)`
to JOBS, with its default schedule (minutes, or "HH:MM" clinic time); document it in config.py's
WORKER_SCHEDULE comment. Nothing else changes: the worker, its locks and its log pick it up.
"""
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app

from . import schedule as schedules


MAIL_BATCH = 100  # messages per send-mail run (as the command's default); the rest a minute later


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable  # (now) -> {label: count}
    default_schedule: object  # minutes (int) or "HH:MM"
    lease: timedelta = timedelta(minutes=15)  # longer than a run can take


def _send_mail(now):
    from ..notifications import sender

    report = sender.send_due(limit=MAIL_BATCH, now=now)
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed,
            "skipped": report.skipped, "released": report.released}


def _send_reminders(now):
    from ..notifications import messages

    queued = messages.queue_due_reminders(now)
    reminders = sum(1 for key in queued if key.startswith("reminder:"))
    return {"reminders": reminders, "nudges": len(queued) - reminders}


def _send_diary_prompts(now):
    from ..diary.reminders import queue_due_prompts

    return {"reminders": len(queue_due_prompts(now))}


def _send_followups(now):
    from ..courses.follow_ups import create_due_follow_ups
    from ..notifications.messages import queue_follow_ups

    created = create_due_follow_ups(now)
    return {"requests": len(created), "emails": queue_follow_ups(created)}


def _telegram_poll(now):
    """The bot's updates through getUpdates, for a clinic without a webhook: off unless
    switched on (TELEGRAM_POLLING sets WORKER_SCHEDULE["telegram-poll"] = 1)."""
    if not current_app.config.get("TELEGRAM_BOT_TOKEN"):
        return {"updates": 0}
    from ..notifications import bot

    handled, _offset = bot.poll(once=True)
    return {"updates": handled}


def _purge(now):
    from .. import retention

    counts = retention.purge(now=now)
    return {"removed": sum(counts.values()),
            **{kind: count for kind, count in counts.items() if count}}


JOBS = (
    Job("send-mail", _send_mail, 1),
    Job("send-reminders", _send_reminders, 5),
    Job("send-diary-prompts", _send_diary_prompts, 5),
    Job("send-followups", _send_followups, "09:00", lease=timedelta(minutes=30)),
    Job("purge", _purge, "02:30", lease=timedelta(hours=1)),
    Job("telegram-poll", _telegram_poll, None),  # off by default: TELEGRAM_POLLING
    # Later jobs go here (the diary and message prompts): see the module's docstring.
)


def scheduled_jobs(jobs=JOBS):
    """[(job, schedule)] of the jobs switched on: WORKER_SCHEDULE overrides a job's default
    schedule; None switches the job off (e.g. where cron still runs it)."""
    settings = current_app.config.get("WORKER_SCHEDULE") or {}
    unknown = set(settings) - {job.name for job in jobs}
    if unknown:
        raise ValueError(f"WORKER_SCHEDULE names no such job: {', '.join(sorted(unknown))}")
    chosen = []
    for job in jobs:
        value = settings.get(job.name, job.default_schedule)
        if value is not None:
            chosen.append((job, schedules.parse(value)))
    return chosen
