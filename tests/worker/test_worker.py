"""The worker: every periodic job on its schedule, each under a database lock, one log line per
run. The clock is the app's FROZEN_NOW, moved by each test."""
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import JobLock
from booking.notifications import messages
from booking.worker.runner import Worker
from tests.conftest import NOW, run_at_once

ALL_JOBS = ["send-mail", "send-reminders", "send-diary-prompts", "send-followups", "purge"]
EVERY_5 = ["send-mail", "send-reminders", "send-diary-prompts"]


def at(app, moment):
    app.config["FROZEN_NOW"] = moment
    return moment


def names(runs):
    return [run.job for run in runs]


def lock_rows():
    db.session.rollback()  # see what other app instances committed
    return {row.name: row for row in db.session.execute(select(JobLock)).scalars()}


def worker_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "expio.worker"
            and r.getMessage().startswith("job=")]


def test_the_first_run_runs_every_job_and_a_second_in_the_same_minute_none(app):
    worker = Worker()
    assert names(worker.run_due()) == ALL_JOBS
    at(app, NOW + timedelta(seconds=40))
    assert worker.run_due() == []
    assert {row.last_result for row in lock_rows().values()} == {"ok"}


def test_each_job_falls_due_on_its_own_schedule(app):
    # NOW is Monday 09:00 in Kyiv.
    worker = Worker()
    worker.run_due()
    at(app, NOW + timedelta(minutes=1))
    assert names(worker.run_due()) == ["send-mail"]
    at(app, NOW + timedelta(minutes=5, seconds=3))
    assert names(worker.run_due()) == EVERY_5
    at(app, datetime(2026, 12, 8, 0, 30, 0, tzinfo=timezone.utc))   # Tuesday 02:30 Kyiv
    assert names(worker.run_due()) == EVERY_5 + ["purge"]
    at(app, datetime(2026, 12, 8, 7, 0, 0, tzinfo=timezone.utc))    # Tuesday 09:00 Kyiv
    assert names(worker.run_due()) == EVERY_5 + ["send-followups"]


def test_two_workers_on_one_database_run_each_job_once(app, make_test_app):
    instances = [make_test_app() for _ in range(4)]

    def one_pass():
        return names(Worker().run_due())

    ran = run_at_once(instances, one_pass)
    assert sorted(job for jobs in ran for job in jobs) == sorted(ALL_JOBS)
    # And a minute later, again once: send-mail by whichever worker got there first.
    for instance in instances:
        instance.config["FROZEN_NOW"] = NOW + timedelta(minutes=1)
    ran = run_at_once(instances, one_pass)
    assert sorted(job for jobs in ran for job in jobs) == ["send-mail"]


def test_a_job_held_by_another_worker_waits_until_its_lease_runs_out(app):
    worker = Worker()
    db.session.execute(update(JobLock).where(JobLock.name == "purge").values(
        locked_by="elsewhere:1:dead", locked_until=NOW + timedelta(minutes=30)))
    db.session.commit()
    assert "purge" not in names(worker.run_due())
    at(app, NOW + timedelta(minutes=29))
    assert "purge" not in names(worker.run_due())
    at(app, NOW + timedelta(minutes=30))  # that worker crashed: its lease is over
    assert "purge" in names(worker.run_due())
    assert lock_rows()["purge"].locked_by is None


def test_a_failed_job_is_logged_by_its_error_type_and_tried_again_after_a_pause(app, caplog):
    caplog.set_level(logging.INFO, logger="expio.worker")
    app.config.update(MAIL_SERVER=None, MAIL_CONSOLE=False)  # send-mail refuses to run
    worker = Worker()
    assert [run.ok for run in worker.run_due()] == [False, True, True, True, True]
    assert "job=send-mail result=failed error=MailNotConfigured" in worker_lines(caplog)[0]
    at(app, NOW + timedelta(minutes=1))
    assert worker.run_due() == []  # not hammered every minute
    at(app, NOW + timedelta(minutes=5))
    app.config["MAIL_CONSOLE"] = True
    assert names(worker.run_due()) == EVERY_5
    assert lock_rows()["send-mail"].last_result == "ok"


def test_one_log_line_per_run_with_counts_and_no_personal_data(app, caplog, create_service,
                                                               create_practitioner):
    caplog.set_level(logging.INFO, logger="expio.worker")
    service = create_service()
    create_practitioner([service], full_name="Dr Lines")
    from booking.scheduler import services as booking

    booking.book(service_id=service.id, start=datetime(2026, 12, 9, 10, tzinfo=timezone.utc),
                 consent=True, patient={"full_name": "Halyna Privatna",
                                        "email": "halyna.private@example.org",
                                        "phone": "+380501234567", "date_of_birth": "1980-02-03"})
    Worker().run_due()
    lines = worker_lines(caplog)
    assert [line.split()[0] for line in lines] == [f"job={job}" for job in ALL_JOBS]
    assert "sent=1" in lines[0] and "duration=" in lines[0]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert "Halyna" not in everything and "halyna.private" not in everything


def test_the_schedule_setting_moves_a_job_or_switches_it_off(app):
    app.config["WORKER_SCHEDULE"] = {"purge": None, "send-followups": "10:00"}
    at(app, datetime(2026, 12, 7, 8, 0, 30, tzinfo=timezone.utc))  # Monday 10:00:30 Kyiv
    worker = Worker()
    assert names(worker.run_due()) == EVERY_5 + ["send-followups"]
    at(app, datetime(2026, 12, 8, 7, 0, tzinfo=timezone.utc))  # Tuesday 09:00 Kyiv
    assert "send-followups" not in names(worker.run_due())
    at(app, datetime(2026, 12, 8, 8, 0, tzinfo=timezone.utc))  # Tuesday 10:00 Kyiv
    assert "send-followups" in names(worker.run_due())


def test_a_schedule_naming_no_job_is_refused(app, runner):
    app.config["WORKER_SCHEDULE"] = {"send-fax": 5}
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert "send-fax" in result.output


def test_worker_once_runs_what_is_due_and_exits(app, runner, smtp_server):
    app.config.update(smtp_server.settings())
    messages.queue_plain("waitlist_offer", "someone@example.org", "Someone", "en",
                         "A time is free", "Body.")
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0
    assert "5 job(s) run." in result.output
    assert [received.email["Subject"] for received in smtp_server.received] == ["A time is free"]
    assert "0 job(s) run." in runner.invoke(args=["worker", "--once"]).output


def test_worker_once_exits_with_1_when_a_job_failed(app, runner):
    app.config.update(MAIL_SERVER=None, MAIL_CONSOLE=False)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 1
    assert "failed: send-mail" in result.output
