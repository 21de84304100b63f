"""The Telegram bot against a local fake of the Bot API over real HTTP: linking a chat with a
one-time start code, the webhook's secret, /stop, a reminder's buttons (I will come, Cancel
with its confirmation and the online cut-off, Change time), a blocked bot, rate limits, and
polling."""
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, Consent, Patient, TelegramLink
from booking.notifications import messages, sender
from booking.scheduler import services as booking
from tests.conftest import NOW

from .conftest import WEBHOOK_SECRET, outbox_rows

KYIV = ZoneInfo("Europe/Kyiv")
THURSDAY_10 = datetime(2026, 12, 10, 10, 0, tzinfo=KYIV)
CHAT = 555000111
OTHER_CHAT = 555000222


@pytest.fixture
def booked(app, telegram, consultation):
    appointment, token = booking.book(
        service_id=consultation.id, start=THURSDAY_10, consent=True, language="en",
        patient={"full_name": "Olena Patient", "email": "olena@example.com",
                 "phone": "+380501234567", "date_of_birth": "1985-03-04"})
    return appointment, token


def webhook(client, update, secret=WEBHOOK_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/telegram/webhook", json=update, headers=headers)


def start_link(client, token):
    """Press "Get reminders in Telegram" on the manage page: the t.me link it leads to."""
    response = client.post(f"/manage/{token}/telegram")
    assert response.status_code == 303
    return response.headers["Location"]


def start_code(link):
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", "/ExpioTestBot")
    return parse_qs(parts.query)["start"][0]


def link_chat(client, telegram, token, chat=CHAT):
    code = start_code(start_link(client, token))
    assert webhook(client, telegram.message_update(chat, f"/start {code}")).status_code == 200
    return code


def patient_of(appointment):
    db.session.rollback()
    return db.session.get(Patient, appointment.patient_id)


# --- Linking ---------------------------------------------------------------------------------------

def test_the_manage_page_offers_telegram_and_the_start_code_links_the_chat(
        client, telegram, booked):
    appointment, token = booked
    page = client.get(f"/manage/{token}?new=1").get_data(as_text=True)
    assert "Get reminders in Telegram" in page
    code = start_code(start_link(client, token))
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", code)  # 192 bits, what Telegram's start allows
    stored = db.session.execute(select(TelegramLink)).scalar_one()
    assert code not in stored.code_hash and len(stored.code_hash) == 64  # kept hashed only

    response = webhook(client, telegram.message_update(CHAT, f"/start {code}"))
    assert response.status_code == 200
    patient = patient_of(appointment)
    assert (patient.telegram_chat_id, patient.preferred_channel) == (str(CHAT), "telegram")
    assert patient.channel_consent_at == NOW  # the opt-in, with its time
    assert db.session.execute(select(Consent).where(Consent.kind == "messages")).scalar_one()
    [reply] = telegram.texts_to(CHAT)
    assert "now come here" in reply and "/stop" in reply
    assert "Your Telegram chat is linked" in client.get(f"/manage/{token}").get_data(
        as_text=True)


def test_a_start_code_works_once_and_not_from_another_chat(client, telegram, booked):
    appointment, token = booked
    code = link_chat(client, telegram, token)
    webhook(client, telegram.message_update(OTHER_CHAT, f"/start {code}"))
    assert patient_of(appointment).telegram_chat_id == str(CHAT)
    [refusal] = telegram.texts_to(OTHER_CHAT)
    assert "does not work any more" in refusal
    webhook(client, telegram.message_update(CHAT, f"/start {code}"))  # the same chat again
    assert "linked already" in telegram.texts_to(CHAT)[-1]


@pytest.mark.parametrize("text", ["/start wrongcodewrongcodewrongcodewrong", "/start " + "x" * 70,
                                  "/start"])
def test_a_wrong_start_code_links_nothing(client, telegram, booked, text):
    appointment, _token = booked
    webhook(client, telegram.message_update(CHAT, text))
    assert patient_of(appointment).telegram_chat_id is None
    [reply] = telegram.texts_to(CHAT)
    assert "Get reminders in Telegram" in reply


def test_an_expired_start_code_links_nothing(app, client, telegram, booked):
    appointment, token = booked
    code = start_code(start_link(client, token))
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=72)
    webhook(client, telegram.message_update(CHAT, f"/start {code}"))
    assert patient_of(appointment).telegram_chat_id is None
    assert "does not work any more" in telegram.texts_to(CHAT)[0]


@pytest.mark.parametrize("secret, status", [(None, 403), ("wrong-secret", 403), ("", 403)])
def test_the_webhook_refuses_updates_without_the_secret(client, telegram, booked, secret,
                                                        status):
    _appointment, token = booked
    code = start_code(start_link(client, token))
    assert webhook(client, telegram.message_update(CHAT, f"/start {code}"),
                   secret=secret).status_code == status
    assert telegram.sent == [] and db.session.execute(select(TelegramLink.used_at)).scalar() \
        is None


def test_without_a_webhook_secret_set_up_there_is_no_webhook(app, client, telegram, booked):
    app.config["TELEGRAM_WEBHOOK_SECRET"] = None
    assert webhook(client, telegram.message_update(CHAT, "/stop"), secret="").status_code == 404


def test_without_a_bot_the_manage_page_offers_no_telegram(app, client, booked):
    app.config.update(TELEGRAM_BOT_TOKEN=None)
    _appointment, token = booked
    assert "Get reminders in Telegram" not in client.get(f"/manage/{token}").get_data(
        as_text=True)
    assert client.post(f"/manage/{token}/telegram").status_code == 404


def test_stop_unlinks_the_chat_and_reminders_come_by_email_again(app, client, telegram, booked):
    appointment, token = booked
    link_chat(client, telegram, token)
    webhook(client, telegram.message_update(CHAT, "/stop"))
    patient = patient_of(appointment)
    assert (patient.telegram_chat_id, patient.preferred_channel) == (None, "email")
    assert "no more messages here" in telegram.texts_to(CHAT)[-1]
    app.config.update(FROZEN_NOW=THURSDAY_10 - timedelta(hours=23), INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()
    assert [(row.channel, row.status) for row in outbox_rows("reminder")] == [
        ("email", "pending")]


# --- A reminder's buttons ---------------------------------------------------------------------

def reminded(app, client, telegram, booked):
    """The patient linked Telegram and got their reminder; the buttons' data by label."""
    appointment, token = booked
    link_chat(client, telegram, token)
    app.config.update(FROZEN_NOW=THURSDAY_10 - timedelta(hours=23), INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()
    sender.send_due()
    [reminder] = [body for body in telegram.sent if "reminder: appointment" in body["text"]]
    return {button["text"]: button["callback_data"]
            for row in reminder["reply_markup"]["inline_keyboard"] for button in row}


def press(client, telegram, data, chat=CHAT):
    assert webhook(client, telegram.button_update(chat, data)).status_code == 200
    return telegram.callback_answers[-1]


def test_i_will_come_is_noted_for_the_desk(app, client, telegram, booked, staff_client):
    buttons = reminded(app, client, telegram, booked)
    answer = press(client, telegram, buttons["I will come"])
    assert answer["text"].startswith("Thank you! See you on")
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "appointment.attending")).scalar_one()
    assert event.object_id == booked[0].id
    page = staff_client("receptionist").get(f"/staff/appointments/{booked[0].id}")
    assert "The patient said they will come (Telegram)" in page.get_data(as_text=True)


def test_cancel_asks_first_then_cancels_and_the_notice_follows(app, client, telegram, booked):
    buttons = reminded(app, client, telegram, booked)
    press(client, telegram, buttons["Cancel"])
    question = telegram.sent[-1]
    assert question["text"].startswith("Cancel your appointment on")
    confirm = {b["text"]: b["callback_data"]
               for row in question["reply_markup"]["inline_keyboard"] for b in row}
    assert db.session.get(booking.Appointment, booked[0].id).status == "booked"
    press(client, telegram, confirm["No, keep it"])
    db.session.rollback()
    assert db.session.get(booking.Appointment, booked[0].id).status == "booked"
    answer = press(client, telegram, confirm["Yes, cancel it"])
    assert "is cancelled" in answer["text"]
    db.session.rollback()
    assert db.session.get(booking.Appointment, booked[0].id).status == "cancelled"
    sender.send_due()
    assert "cancelled" in telegram.texts_to(CHAT)[-1]  # the usual notice, on Telegram
    again = press(client, telegram, confirm["Yes, cancel it"])  # pressed twice: nothing more
    assert again["text"] == "This appointment is no longer booked."


def test_cancel_keeps_the_online_cut_off(app, client, telegram, booked):
    buttons = reminded(app, client, telegram, booked)
    app.config["FROZEN_NOW"] = THURSDAY_10 - timedelta(hours=2)  # inside MANAGE_CUTOFF_HOURS
    press(client, telegram, buttons["Cancel"])
    assert "too late" in telegram.texts_to(CHAT)[-1] and "+380" in telegram.texts_to(CHAT)[-1]
    press(client, telegram, f"cancel_yes:{booked[0].id}")
    db.session.rollback()
    assert db.session.get(booking.Appointment, booked[0].id).status == "booked"


def test_change_time_sends_a_manage_link_that_works(app, client, telegram, booked):
    buttons = reminded(app, client, telegram, booked)
    press(client, telegram, buttons["Change time"])
    link = re.search(r"(/manage/[\w-]+)", telegram.texts_to(CHAT)[-1])[1]
    assert "Change the time" in client.get(link).get_data(as_text=True)


def test_a_button_from_another_chat_does_nothing(app, client, telegram, booked):
    buttons = reminded(app, client, telegram, booked)
    answer = press(client, telegram, buttons["Cancel"].replace("cancel", "cancel_yes"),
                   chat=OTHER_CHAT)
    assert answer["text"] == "This button no longer works."
    db.session.rollback()
    assert db.session.get(booking.Appointment, booked[0].id).status == "booked"


# --- Delivery failures ---------------------------------------------------------------------------

def test_a_blocked_bot_unlinks_the_chat_and_the_reminder_comes_by_email(
        app, client, telegram, booked):
    appointment, token = booked
    link_chat(client, telegram, token)
    telegram.blocked.add(str(CHAT))
    app.config.update(FROZEN_NOW=THURSDAY_10 - timedelta(hours=23), INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()
    first = sender.send_due()
    assert first.failed == 1 and first.retried == 0
    rows = {row.channel: row for row in outbox_rows("reminder")}
    assert rows["telegram"].status == "failed"
    assert "Telegram 403 Forbidden: bot was blocked by the user" in rows["telegram"].last_error
    assert rows["email"].status == "pending"
    assert patient_of(appointment).telegram_chat_id is None
    sender.send_due()
    assert {row.channel: row.status for row in outbox_rows("reminder")} == {
        "telegram": "failed", "email": "sent"}


def test_a_rate_limit_waits_at_least_retry_after(app, client, telegram, booked):
    _appointment, token = booked
    link_chat(client, telegram, token)
    telegram.retry_after = 600
    now = THURSDAY_10 - timedelta(hours=23)
    app.config.update(FROZEN_NOW=now, INTAKE_NUDGE_HOURS=0)
    messages.queue_due_reminders()
    assert sender.send_due().retried == 1
    [row] = [r for r in outbox_rows("reminder") if r.channel == "telegram"]
    assert row.next_attempt_at == now + timedelta(seconds=600)
    app.config["FROZEN_NOW"] = now + timedelta(seconds=600)
    assert sender.send_due().sent == 1
    assert sum("reminder: appointment" in text for text in telegram.texts_to(CHAT)) == 1


# --- Polling ---------------------------------------------------------------------------------------

def test_polling_handles_waiting_updates_once(app, client, runner, telegram, booked):
    _appointment, token = booked
    code = start_code(start_link(client, token))
    telegram.user_sends(CHAT, f"/start {code}")
    telegram.user_sends(CHAT, "hello")
    result = runner.invoke(args=["telegram-poll", "--once"])
    assert result.exit_code == 0 and "2 update(s) handled." in result.output
    assert len(telegram.texts_to(CHAT)) == 2
    assert runner.invoke(args=["telegram-poll", "--once"]).output.startswith("0 update(s)")
    assert telegram.updates == []  # confirmed: Telegram will not send them again


def test_the_webhook_command_gives_telegram_the_address_and_secret(app, runner, telegram):
    app.config["CANONICAL_URL"] = "https://booking.expio.com.ua"
    assert runner.invoke(args=["telegram-webhook"]).exit_code == 0
    assert telegram.webhook["url"] == "https://booking.expio.com.ua/telegram/webhook"
    assert telegram.webhook["secret_token"] == WEBHOOK_SECRET
    assert runner.invoke(args=["telegram-webhook", "--delete"]).exit_code == 0
    assert telegram.webhook is None


# --- The diary's quick answer --------------------------------------------------------------------

def test_a_diary_prompt_on_telegram_has_a_no_headache_answer(app, client, telegram, booked):
    from booking.diary import reminders
    from booking.models import DiaryEntry

    appointment, token = booked
    link_chat(client, telegram, token)
    day = NOW.astimezone(KYIV).date()
    reminders.queue_prompt(patient_of(appointment), day, NOW)
    db.session.commit()
    sender.send_due()
    [prompt] = [body for body in telegram.sent if "reply_markup" in body]
    keyboard = prompt["reply_markup"]["inline_keyboard"]
    assert keyboard[1][0]["text"] == "Open my diary" and "/diary" in keyboard[1][0]["url"]
    answer = press(client, telegram, keyboard[0][0]["callback_data"])
    assert answer["text"] == "Noted: no headache that day. Thank you!"
    db.session.rollback()
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert (entry.patient_id, entry.entry_on, entry.headache) == (appointment.patient_id, day,
                                                                  False)
    assert press(client, telegram, keyboard[0][0]["callback_data"],
                 chat=OTHER_CHAT)["text"] == "This button no longer works."


# --- Production settings ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, problem", [
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s"}, "TELEGRAM_BOT_USERNAME"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_BOT_USERNAME": "ExpioBot"},
     "TELEGRAM_WEBHOOK_SECRET"),
])
def test_production_refuses_a_bot_that_could_not_link_or_hear(change, problem):
    from booking.security import InsecureConfiguration, check_production_settings
    from tests.test_security import production_settings

    with pytest.raises(InsecureConfiguration, match=problem):
        check_production_settings(production_settings(**change))
    check_production_settings(production_settings(
        TELEGRAM_BOT_TOKEN="1:x", TELEGRAM_BOT_USERNAME="ExpioBot", TELEGRAM_POLLING=True))
