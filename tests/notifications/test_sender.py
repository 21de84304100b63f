"""Delivery: each message sent exactly once even with two senders at once, retries with
backoff after SMTP failures, crashed senders, and the staff outbox page."""
import re
from datetime import timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, OutboxMessage
from booking.notifications import messages, sender
from tests.conftest import NOW, STAFF_PASSWORD, run_at_once

from .conftest import free_port, outbox_rows


def queue_many(count, start=0):
    for n in range(start, start + count):
        messages.queue_plain("waitlist_offer", f"person{n}@example.com", f"Person {n}", "en",
                             f"Message {n}", f"Body of message {n}.")
    db.session.commit()


def minutes(n):
    return timedelta(minutes=n)


# --- Exactly once --------------------------------------------------------------------------------

def test_two_senders_running_at_once_send_each_message_exactly_once(
        app, smtp_server, make_test_app):
    queue_many(40)
    instances = [make_test_app(**smtp_server.settings()) for _ in range(2)]
    reports = run_at_once(instances, lambda: sender.send_due(limit=100), timeout=120)
    subjects = sorted(received.email["Subject"] for received in smtp_server.received)
    assert subjects == sorted(f"Message {n}" for n in range(40))  # none twice, none missing
    assert sum(report.sent for report in reports) == 40
    assert sum(report.skipped for report in reports) == sum(
        report.sent + report.skipped for report in reports) - 40
    rows = outbox_rows()
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
    assert all(row.claimed_by is None for row in rows)


def test_a_second_run_sends_nothing_again(mail_app, smtp_server, runner):
    queue_many(3)
    assert "3 sent" in runner.invoke(args=["send-mail"]).output
    assert "0 sent" in runner.invoke(args=["send-mail"]).output
    assert len(smtp_server.received) == 3


def test_the_limit_option_bounds_one_run(mail_app, smtp_server, runner):
    queue_many(5)
    assert "2 sent" in runner.invoke(args=["send-mail", "--limit", "2"]).output
    assert len(smtp_server.received) == 2
    assert "3 sent" in runner.invoke(args=["send-mail"]).output


def test_a_message_already_claimed_by_another_sender_is_left_alone(mail_app, smtp_server):
    queue_many(1)
    [row] = outbox_rows()
    assert sender.claim(row.id, "other-sender", NOW) is not None
    assert sender.claim(row.id, "me", NOW) is None
    report = sender.send_due()
    assert report.sent == 0 and smtp_server.received == []
    assert outbox_rows()[0].claimed_by == "other-sender"


def test_a_message_stuck_in_sending_after_a_crash_is_released_and_sent(
        mail_app, smtp_server):
    queue_many(2)
    crashed, recent = outbox_rows()
    db.session.execute(
        OutboxMessage.__table__.update().where(OutboxMessage.id == crashed.id).values(
            status="sending", claimed_by="dead", claimed_at=NOW - minutes(11)))
    db.session.execute(
        OutboxMessage.__table__.update().where(OutboxMessage.id == recent.id).values(
            status="sending", claimed_by="busy", claimed_at=NOW - minutes(5)))
    db.session.commit()
    report = sender.send_due()
    assert (report.released, report.sent) == (1, 1)
    crashed, recent = outbox_rows()
    assert (crashed.status, crashed.attempts) == ("sent", 2)
    assert (recent.status, recent.claimed_by) == ("sending", "busy")  # still within 10 minutes
    assert [r.email["Subject"] for r in smtp_server.received] == ["Message 0"]


# --- Failures and retries ------------------------------------------------------------------------

def test_a_refused_message_is_retried_later_and_sent_once(mail_app, smtp_server, runner):
    queue_many(1)
    smtp_server.refuse = "451 4.3.0 Mailbox busy, try again"
    result = runner.invoke(args=["send-mail"])
    assert "1 to retry" in result.output
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in row.last_error and "Mailbox busy" in row.last_error
    assert row.next_attempt_at == NOW + minutes(1)

    smtp_server.refuse = None
    assert "0 sent" in runner.invoke(args=["send-mail"]).output  # not due yet
    mail_app.config["FROZEN_NOW"] = NOW + minutes(1)
    assert "1 sent" in runner.invoke(args=["send-mail"]).output
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.received) == 1


def test_a_closed_port_is_a_failure_to_retry(mail_app, smtp_server):
    queue_many(1)
    mail_app.config["MAIL_PORT"] = free_port()  # nothing listens there
    report = sender.send_due()
    assert report.retried == 1
    [row] = outbox_rows()
    assert row.status == "pending" and "ConnectionRefusedError" in row.last_error
    mail_app.config["MAIL_PORT"] = smtp_server.port
    report = sender.send_due(now=NOW + minutes(1))
    assert report.sent == 1 and outbox_rows()[0].attempts == 2


def test_backoff_is_1_5_15_60_240_minutes_then_failed(mail_app, smtp_server):
    queue_many(1)
    smtp_server.refuse = "554 5.7.1 Rejected"
    now, delays = NOW, []
    for _attempt in range(5):
        sender.send_due(now=now)
        [row] = outbox_rows()
        assert row.status == "pending"
        delays.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert delays == [minutes(1), minutes(5), minutes(15), minutes(60), minutes(240)]
    report = sender.send_due(now=now)
    assert report.failed == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("failed", 6)
    assert "554" in row.last_error
    assert sender.send_due(now=now + timedelta(days=1)).sent == 0  # failed stays failed
    assert smtp_server.received == []


# --- The staff page ------------------------------------------------------------------------------

def failed_message(mail_app, smtp_server):
    queue_many(1)
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 1
    smtp_server.refuse = "550 5.1.1 No such user here"
    sender.send_due()
    smtp_server.refuse = None
    [row] = outbox_rows()
    assert row.status == "failed"
    return row


def test_failed_and_waiting_emails_are_listed_for_reception_without_their_bodies(
        mail_app, smtp_server, staff_client):
    failed_message(mail_app, smtp_server)
    queue_many(1, start=1)
    page = staff_client("receptionist").get("/staff/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "person0@example.com" in html and "person1@example.com" in html
    assert "550 5.1.1 No such user here" in html
    assert "Failed" in html and "Waiting" in html and "Waitlist: offer" in html
    assert "Body of message" not in html and "Message 0" not in html
    assert staff_client("admin").get("/staff/admin/outbox").status_code == 200


def test_clinicians_and_strangers_cannot_see_the_outbox(mail_app, staff_client, client):
    assert staff_client("clinician").get("/staff/admin/outbox").status_code == 403
    assert client.get("/staff/admin/outbox").status_code == 302
    queue_many(1)
    [row] = outbox_rows()
    assert staff_client("clinician", email="c2@example.com").post(
        f"/staff/admin/outbox/{row.id}/retry").status_code == 403


def test_retry_now_sends_a_failed_message_on_the_next_run(
        mail_app, smtp_server, staff_client, runner):
    row = failed_message(mail_app, smtp_server)
    desk = staff_client("receptionist")
    response = desk.post(f"/staff/admin/outbox/{row.id}/retry")
    assert response.status_code == 303
    page = desk.get(response.headers["Location"]).get_data(as_text=True)
    assert "will be tried again" in page
    [row] = outbox_rows()
    assert row.status == "pending" and row.next_attempt_at == NOW
    assert "1 sent" in runner.invoke(args=["send-mail"]).output
    assert outbox_rows()[0].status == "sent" and len(smtp_server.received) == 1
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "outbox.retry")).scalar_one()
    assert event.object_id == row.id and event.actor == "receptionist@example.com"
    assert desk.get("/staff/admin/outbox").get_data(as_text=True).count("Retry now") == 0


def test_retry_now_of_a_sent_or_unknown_message(mail_app, smtp_server, staff_client):
    queue_many(1)
    sender.send_due()
    [row] = outbox_rows()
    desk = staff_client("admin")
    response = desk.post(f"/staff/admin/outbox/{row.id}/retry", follow_redirects=True)
    assert "has been sent already" in response.get_data(as_text=True)
    assert outbox_rows()[0].status == "sent"
    assert desk.post("/staff/admin/outbox/999/retry").status_code == 404


def csrf_token(response):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))[1]


def test_the_retry_form_works_with_csrf_protection_on_and_fails_without_a_token(
        mail_app, smtp_server, make_test_app, create_staff):
    row = failed_message(mail_app, smtp_server)
    create_staff("desk@example.com", roles=("receptionist",))
    desk = make_test_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(desk.get("/staff/sign-in"))
    assert desk.post("/staff/sign-in", data={"email": "desk@example.com", "csrf_token": token,
                                             "password": STAFF_PASSWORD}).status_code == 303
    url = f"/staff/admin/outbox/{row.id}/retry"
    assert desk.post(url).status_code == 400
    assert outbox_rows()[0].status == "failed"
    token = csrf_token(desk.get("/staff/admin/outbox"))
    assert desk.post(url, data={"csrf_token": token}).status_code == 303
    assert outbox_rows()[0].status == "pending"


def test_no_smtp_server_is_contacted_when_nothing_is_due(mail_app):
    mail_app.config["MAIL_PORT"] = free_port()  # a connection would fail
    report = sender.send_due()
    assert (report.sent, report.retried, report.failed, report.errors) == (0, 0, 0, [])


def test_a_crash_on_the_last_attempt_leaves_the_message_failed_for_staff(mail_app, smtp_server):
    queue_many(1)
    [row] = outbox_rows()
    db.session.execute(
        OutboxMessage.__table__.update().where(OutboxMessage.id == row.id).values(
            status="sending", claimed_by="dead", claimed_at=NOW - minutes(30), attempts=5))
    db.session.commit()
    assert sender.send_due().released == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == ("failed", 6)
    assert "stopped while sending" in row.last_error
    assert smtp_server.received == []
