"""The diary's daily reminder: at the patient's hour, once a day, never after 21:00 Kyiv time,
not when today is filled in, stopped at once, with nothing clinical in it.

The patient is booked for Tuesday 8 December 2026 (a consultation offering the diary); their
diary goes on until DIARY_DAYS_AFTER_VISIT (28) days after it. Kyiv is UTC+2 in December."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from booking.diary import reminders, services
from booking.extensions import db
from booking.models import OutboxMessage
from tests.conftest import NOW


def kyiv(day, hour, minute=0):
    return datetime(2026, 12, day, hour - 2, minute, tzinfo=timezone.utc)


@pytest.fixture
def reminding(booked):
    appointment, _token = booked
    services.set_reminder(appointment.patient_id, 20)
    return appointment.patient_id


def prompts():
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "diary_prompt")
                              .order_by(OutboxMessage.id)).scalars().all()


def test_nothing_is_due_before_the_chosen_hour(reminding):
    assert reminders.queue_due_prompts(kyiv(7, 19, 59)) == []


def test_the_reminder_is_queued_once_a_day_from_the_chosen_hour(reminding):
    assert reminders.queue_due_prompts(kyiv(7, 20)) == [f"diary_prompt:{reminding}:2026-12-07"]
    assert reminders.queue_due_prompts(kyiv(7, 20, 5)) == []
    assert reminders.queue_due_prompts(kyiv(8, 20)) == [f"diary_prompt:{reminding}:2026-12-08"]
    assert len(prompts()) == 2


def test_nothing_is_queued_after_21_00(booked):
    appointment, _token = booked
    services.set_reminder(appointment.patient_id, 21)
    assert reminders.queue_due_prompts(kyiv(7, 21, 1)) == []
    assert len(reminders.queue_due_prompts(kyiv(7, 21, 0))) == 1


def test_a_day_already_filled_in_gets_no_reminder(client, booked, reminding):
    _appointment, token = booked
    client.post(f"/manage/{token}/diary/2026-12-07", data={"headache": "no"})
    assert reminders.queue_due_prompts(kyiv(7, 20)) == []


def test_the_reminder_says_nothing_clinical_and_its_link_opens_the_diary(app, client,
                                                                           reminding):
    reminders.queue_due_prompts(kyiv(7, 20))
    [message] = prompts()
    everything = " ".join((message.subject, message.text_body, message.html_body)).lower()
    for word in ("headache", "migraine", "pain", "medicine", "neurologist", "consultation",
                 "treatment"):
        assert word not in everything
    assert message.subject == "Your daily reminder from Expio"
    link = re.search(r"http://[^\s\"<]+/manage/([^/\s]+)/diary", message.text_body)
    assert link is not None
    app.config["FROZEN_NOW"] = kyiv(7, 20)
    page = client.get(f"/manage/{link.group(1)}/diary")
    assert page.status_code == 200 and "Stop the reminders" in page.get_data(as_text=True)


def test_stopping_takes_effect_at_once_and_withdraws_a_reminder_not_sent_yet(reminding):
    reminders.queue_due_prompts(kyiv(7, 20))
    services.stop_reminders(reminding)
    assert prompts() == []
    assert reminders.queue_due_prompts(kyiv(8, 20)) == []


def test_reminders_end_with_the_diary_period(reminding):
    # The visit is on 8 December: the diary goes on until 28 days after it, 5 January.
    assert len(reminders.queue_due_prompts(datetime(2027, 1, 5, 18, tzinfo=timezone.utc))) == 1
    assert reminders.queue_due_prompts(datetime(2027, 1, 6, 18, tzinfo=timezone.utc)) == []


def test_the_command_queues_the_due_reminders(app, runner, reminding):
    app.config["FROZEN_NOW"] = kyiv(7, 20)
    result = runner.invoke(args=["send-diary-prompts"])
    assert result.exit_code == 0 and "1 diary reminder(s) queued." in result.output
    app.config["FROZEN_NOW"] = NOW


def test_an_erased_patient_gets_no_reminder(app, reminding):
    from booking import privacy

    privacy.erase_patient(reminding, "ERASE")
    assert reminders.queue_due_prompts(kyiv(7, 20)) == []


def test_a_reminders_link_expires_after_the_link_days(app, client, reminding):
    reminders.queue_due_prompts(kyiv(7, 20))
    token = re.search(r"/manage/([^/\s]+)/diary", prompts()[0].text_body).group(1)
    app.config["FROZEN_NOW"] = kyiv(7, 20) + timedelta(days=8, seconds=1)
    assert client.get(f"/manage/{token}/diary").status_code == 404


def test_the_worker_runs_the_diary_reminders(app, reminding):
    from booking.worker.runner import Worker

    app.config["FROZEN_NOW"] = kyiv(7, 20)
    runs = Worker().run_due()
    assert "send-diary-prompts" in [run.job for run in runs]
    assert len(prompts()) == 1
    app.config["FROZEN_NOW"] = NOW
