"""Delivering the outbox: `flask --app wsgi send-mail` runs `send_due()` once.

Each message is sent exactly once, even with two senders running at once:
1. claim: one conditional UPDATE (pending -> sending, with this run's name and the time)
   `WHERE id = ? AND status = 'pending' AND next_attempt_at <= now`, in a write transaction
   (BEGIN IMMEDIATE on SQLite), committed before anything is sent. Only one sender's UPDATE
   can match; the other sees 0 rows and moves on;
2. send over SMTP (or, in development without MAIL_SERVER, print to the console);
3. mark: sent, or back to pending with a later next_attempt_at (1, 5, 15, 60, 240 minutes),
   or failed after MAIL_MAX_ATTEMPTS attempts, with the last error kept for staff.
A message left in "sending" for longer than STALE_AFTER (its sender crashed) is released back
to pending by the next run, counted as an attempt.

Every channel goes through this same run: a row's `channel` picks its gateway (email: SMTP; sms,
viber: TurboSMS; telegram: the Bot API; gateways.py), with the same claim, retries and backoff
(a Telegram 429 waits at least its retry_after). What a gateway accepted is stored with the
provider's message id. A permanent failure (a blocked bot, an invalid number) is not retried:
the row fails at once and its held fallback (the same message by email) becomes due; a sent
row's held fallback is dropped. A chat that blocked the bot is unlinked.

Headers cannot be injected: the message is an email.message.EmailMessage with
email.headerregistry.Address values; names and subjects were cleaned of CR/LF and of "=?" (no
RFC 2047 encoded word, which Python 3.11 before 3.11.10 would decode into header lines:
CVE-2024-6923) when queued and again here, and an address holding CR/LF (or anything else that
is not an address) is refused. The serialized message is checked last: a header line we did
not write fails the message. The SMTP envelope names exactly the one recipient of the row,
whatever the headers say.
"""
import os
import smtplib
import socket
import ssl
import sys
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import case, select, update

from ..database import begin_write
from ..extensions import db
from .. import audit
from ..models import OutboxMessage, Patient, StaffUser
from ..timeutil import utcnow
from . import gateways
from .outbox import clean_header

STALE_AFTER = timedelta(minutes=10)
# CRLF line ends; headers folded only past RFC 5322's hard limit (the 78-column folding of
# Python's email package can put a subject on a continuation line with a leading space).
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
ICS_FILENAME = "expio.ics"


class InvalidAddress(ValueError):
    """Not an address we will put in a header: the message fails at once (no retry)."""


class MailNotConfigured(RuntimeError):
    """MAIL_SERVER is not set, and printing to the console is not allowed (MAIL_CONSOLE)."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0      # claimed by another sender first
    released: int = 0     # stuck in "sending" and handed back
    errors: list = field(default_factory=list)  # (message id, error) of this run


# --- Building the email --------------------------------------------------------------------------

def _address(display_name, addr_spec):
    if not addr_spec or any(ch in addr_spec for ch in "\r\n") or "@" not in addr_spec:
        raise InvalidAddress("not an email address")
    try:
        return Address(display_name=clean_header(display_name, 120), addr_spec=addr_spec)
    except (ValueError, IndexError, TypeError) as error:
        raise InvalidAddress("not an email address") from error


def sender_address():
    name, addr = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return _address(name, addr)


def build_email(row, *, now=None):
    """The EmailMessage for an outbox row (a mapping or an OutboxMessage): plain text, HTML
    alternative, and the .ics attachment when there is one."""
    get = row.get if isinstance(row, dict) else (lambda key: getattr(row, key))
    sender = sender_address()
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = _address(get("to_name"), get("to_address"))
    message["Subject"] = clean_header(get("subject"), 200)
    message["Date"] = format_datetime(now or utcnow())
    # The same id on every attempt, so a server that got it twice can tell.
    created = get("created_at")
    stamp = int(created.timestamp()) if created else 0
    message["Message-ID"] = f"<outbox.{get('id')}.{stamp}@{sender.domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(get("text_body"), cte="quoted-printable")
    if get("html_body"):
        message.add_alternative(get("html_body"), subtype="html", cte="quoted-printable")
    if get("ics"):
        method = get("ics_method") or "REQUEST"
        message.add_attachment(get("ics"), subtype="calendar", filename=ICS_FILENAME,
                               params={"method": method}, cte="quoted-printable")
    language = clean_header(get("language"), 5)
    if language:  # after the parts: making a multipart moves Content-* headers into them
        message["Content-Language"] = language
    check_header_lines(message)
    return message


# The header lines a message of ours has, each once; the serialized message is checked against
# this list before it goes anywhere (belt and braces to clean_header).
HEADER_LINES = ("from", "to", "subject", "date", "message-id", "auto-submitted", "content-type",
                "content-transfer-encoding", "mime-version", "content-language")


def check_header_lines(message):
    """Refuse (InvalidAddress: the message fails, never retried) a message whose serialized
    header block has a line we did not write (a Bcc, a Cc, anything), or one of ours twice:
    whatever the email package of this Python does with the text it is given, no header line
    comes from patient data."""
    head = message.as_bytes(policy=MAIL_POLICY).split(b"\r\n\r\n", 1)[0]
    names = [line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
             for line in head.split(b"\r\n") if line and line[:1] not in (b" ", b"\t")]
    if set(names) - set(HEADER_LINES) or len(names) != len(set(names)):
        raise InvalidAddress("refused: the message would have a header line we did not write")


# --- Transports ----------------------------------------------------------------------------------

class SMTPTransport:
    """One SMTP connection for a run, opened on the first message and reopened after an
    error."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def _connect(self):
        config = self.config
        host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        local_hostname = config.get("MAIL_LOCAL_HOSTNAME")
        if config.get("MAIL_USE_SSL"):
            connection = smtplib.SMTP_SSL(host, port, local_hostname=local_hostname,
                                          timeout=timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
            if config.get("MAIL_USE_TLS"):
                connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, message, envelope_from, recipient):
        try:
            if self.connection is None:
                self.connection = self._connect()
            refused = self.connection.send_message(message, from_addr=envelope_from,
                                                   to_addrs=[recipient])
        except Exception:
            self.close()
            raise
        if refused:  # only possible with several recipients; we never have more than one
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self):
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except Exception:  # noqa: BLE001  (already broken: nothing more to do)
                connection.close()


class ConsoleTransport:
    """Development without MAIL_SERVER: print each message (headers, the text part, and which
    attachments it has) to standard output instead of sending it."""

    def send(self, message, envelope_from, recipient):
        out = sys.stdout
        out.write("-" * 72 + "\n")
        for name in ("From", "To", "Subject", "Date", "Message-ID"):
            out.write(f"{name}: {message[name]}\n")
        out.write(f"(envelope: {envelope_from} -> {recipient})\n\n")
        body = message.get_body(preferencelist=("plain",))
        out.write(body.get_content() if body is not None else "")
        for part in message.iter_attachments():
            out.write(f"[attachment: {part.get_filename()} ({part.get_content_type()}; "
                      f"method={part.get_param('method')})]\n")
        out.write("-" * 72 + "\n")
        out.flush()

    def close(self):
        pass


def transport_for(config):
    if config.get("MAIL_SERVER"):
        return SMTPTransport(config)
    if config.get("MAIL_CONSOLE"):  # development and tests only
        return ConsoleTransport()
    raise MailNotConfigured("MAIL_SERVER is not set: refusing to print patients' emails to "
                            "the console outside development (MAIL_CONSOLE).")


# --- The run: claim, send, mark ------------------------------------------------------------------

def sender_name():
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _retry_delay(attempts):
    minutes = tuple(current_app.config["MAIL_RETRY_MINUTES"]) or (1,)
    return timedelta(minutes=minutes[min(attempts, len(minutes)) - 1])


def _release_fallbacks(message_id, now):
    """The message failed for good: its held fallback goes out now."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.fallback_for_id == message_id, OutboxMessage.status == "held")
        .values(status="pending", next_attempt_at=now)
        .execution_options(synchronize_session=False))


def _drop_fallbacks(message_id):
    """The message was delivered: its held fallback is not needed."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.fallback_for_id == message_id, OutboxMessage.status == "held")
        .values(status="dropped")
        .execution_options(synchronize_session=False))


def _settle_fallbacks(now):
    """Held fallbacks whose message failed for good (also when a crashed sender's last attempt
    ran out) go out; those whose message was sent, or was removed, are dropped."""
    failed = select(OutboxMessage.id).where(OutboxMessage.status == "failed").scalar_subquery()
    done = select(OutboxMessage.id).where(OutboxMessage.status == "sent").scalar_subquery()
    held = OutboxMessage.status == "held"
    for condition, values in (
            (OutboxMessage.fallback_for_id.in_(failed),
             {"status": "pending", "next_attempt_at": now}),
            (OutboxMessage.fallback_for_id.in_(done) | OutboxMessage.fallback_for_id.is_(None),
             {"status": "dropped"})):
        db.session.execute(update(OutboxMessage).where(held, condition).values(**values)
                           .execution_options(synchronize_session=False))


def _forget_chat(chat_id):
    """Telegram says the chat is gone (the bot was blocked): nobody is linked to it any more,
    so later messages go by email at once."""
    for model in (Patient, StaffUser):
        ids = db.session.execute(select(model.id).where(model.telegram_chat_id == chat_id)
                                 ).scalars().all()
        for object_id in ids:
            db.session.execute(update(model).where(model.id == object_id)
                               .values(telegram_chat_id=None)
                               .execution_options(synchronize_session=False))
            audit.record("telegram.unlinked", object_type=model.__tablename__,
                         object_id=object_id, details={"by": "blocked"}, actor_label="system")


def _failed_for_good(row, error, now):
    """What else happens, in the same transaction, when a row fails for good."""
    def after():
        _release_fallbacks(row["id"], now)
        if getattr(error, "chat_gone", False) and row.get("channel") == "telegram":
            _forget_chat(row["to_address"])
    return after


def release_stale(now):
    """Hand messages stuck in "sending" (a crashed sender) back to pending, counting the lost
    attempt: failed when that was the last one."""
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    try:
        begin_write()
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "sending",
                   OutboxMessage.claimed_at < now - STALE_AFTER)
            .values(status=case((OutboxMessage.attempts + 1 >= max_attempts, "failed"),
                                else_="pending"),
                    attempts=OutboxMessage.attempts + 1, next_attempt_at=now,
                    claimed_by=None, claimed_at=None,
                    last_error="The sender stopped while sending; released for another try.")
            .execution_options(synchronize_session=False))
        _settle_fallbacks(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result.rowcount or 0


def _due_ids(now, limit):
    ids = db.session.execute(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)).scalars().all()
    db.session.rollback()  # end the read: claims take the write lock one by one
    return ids


def claim(message_id, name, now):
    """Take one message for this sender, or None when another sender has it (or it is not due).
    Returns the row as a plain dict, read under the same lock."""
    table = OutboxMessage.__table__
    try:
        begin_write()
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                   OutboxMessage.next_attempt_at <= now)
            .values(status="sending", claimed_by=name, claimed_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.rollback()
            return None
        row = dict(db.session.execute(select(table).where(table.c.id == message_id))
                   .mappings().one())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


def _finish(message_id, name, after=None, **values):
    """Write the outcome of this sender's attempt (only while the claim is still ours), and
    then, in the same transaction, `after()` (what else the outcome changes)."""
    try:
        begin_write()
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending",
                   OutboxMessage.claimed_by == name)
            .values(claimed_by=None, claimed_at=None, **values)
            .execution_options(synchronize_session=False))
        if after is not None and result.rowcount == 1:
            after()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _smtp_text(code, message):
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {message}"


def _describe(error):
    """What went wrong, for staff: the SMTP reply as the server gave it, or the error."""
    if isinstance(error, smtplib.SMTPResponseException):
        detail = _smtp_text(error.smtp_code, error.smtp_error)
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(_smtp_text(*reply) for reply in error.recipients.values())
    else:
        detail = str(error)
    text = f"{type(error).__name__}: {detail}"
    return " ".join(text.split())[:500]


def _deliver(row, transport, envelope_from, gateways_in_use, now):
    """Send one claimed row by its channel; the provider's message id (None for email)."""
    channel = row.get("channel") or "email"
    if channel == "email":
        transport.send(build_email(row, now=now), envelope_from, row["to_address"])
        return None
    return gateways_in_use[channel].send(row)


def _retry_at(error, attempts, now):
    delay = _retry_delay(attempts)
    wait = getattr(error, "retry_after", None)
    if wait:
        delay = max(delay, timedelta(seconds=wait))
    return now + delay


def send_due(*, limit=100, now=None, transport=None, ids=None):
    """One pass: release stuck messages, then claim, send and mark up to `limit` due ones
    (only the rows `ids`, when given: the bot's answers, sent at once)."""
    clock = (lambda: now) if now is not None else utcnow
    config = current_app.config
    max_attempts = config["MAIL_MAX_ATTEMPTS"]
    transport = transport or transport_for(config)
    gateways_in_use = gateways.Gateways(config)
    name = sender_name()
    report = SendReport(released=release_stale(clock()) if ids is None else 0)
    try:
        envelope_from = sender_address().addr_spec
        for message_id in (_due_ids(clock(), limit) if ids is None else ids):
            row = claim(message_id, name, clock())
            if row is None:
                report.skipped += 1
                continue
            attempts = row["attempts"] + 1
            try:
                provider_id = _deliver(row, transport, envelope_from, gateways_in_use, clock())
            except (InvalidAddress, gateways.PermanentFailure) as error:
                _finish(message_id, name, after=_failed_for_good(row, error, clock()),
                        status="failed", attempts=attempts, last_error=_describe(error))
                report.failed += 1
                report.errors.append((message_id, _describe(error)))
            except Exception as error:  # noqa: BLE001  (any failure: retry later, keep why)
                if attempts >= max_attempts:
                    _finish(message_id, name, after=_failed_for_good(row, error, clock()),
                            status="failed", attempts=attempts, last_error=_describe(error))
                    report.failed += 1
                else:
                    _finish(message_id, name, status="pending", attempts=attempts,
                            next_attempt_at=_retry_at(error, attempts, clock()),
                            last_error=_describe(error))
                    report.retried += 1
                report.errors.append((message_id, _describe(error)))
            else:
                _finish(message_id, name, after=lambda: _drop_fallbacks(message_id),
                        status="sent", attempts=attempts, sent_at=clock(), last_error=None,
                        provider_message_id=provider_id)
                report.sent += 1
    finally:
        transport.close()
        gateways_in_use.close()
    return report
