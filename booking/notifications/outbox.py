"""Queue an email in the outbox, inside the caller's transaction (the caller commits).

Nothing is sent here: `flask --app wsgi send-mail` delivers what is queued, so a message exists
exactly when the change that causes it was committed.

Also the staff side (the outbox page): what has not gone out, and "retry now".
"""
from sqlalchemy import case, select, update

from .. import audit
from ..database import begin_write
from ..extensions import db
from ..models import OutboxMessage
from ..timeutil import utcnow
from . import short_messages


def clean_header(value, longest):
    """Header text with line breaks and other control characters removed: names with CR/LF can
    never reach a header (no header injection), whatever a person typed.

    Nor can an RFC 2047 encoded word typed as text ("Eve =?utf-8?q?=0D=0ABcc:_x@evil?="): the
    email package of Python 3.11 before 3.11.10 (CVE-2024-6923) decodes such words in the
    text it is given and writes what they hide, CR/LF included, as header lines. Every "=?" is
    written "= ?", so no encoded word can start, on any patch level; a real name never has one.
    """
    text = "".join(ch if ch.isprintable() else " " for ch in str(value or ""))
    return " ".join(text.replace("=?", "= ?").split())[:longest]


def queue(kind, *, to_address, subject, text_body, to_name="", html_body="", language="uk",
          ics=None, ics_method=None, appointment_id=None, dedupe_key=None, send_after=None,
          patient=None, short=None):
    """Add one message to the outbox (in the current transaction) and return it.

    A kind that goes by the patient's chosen channel (a reminder, a waitlist offer, ...) also
    gets its short message there, the email held as its fallback: short_messages.route, with
    `patient` (else the one patient with this address) and `short(channel)`, its text."""
    message = OutboxMessage(
        kind=kind, to_address=clean_header(to_address, 254), to_name=clean_header(to_name, 120),
        subject=clean_header(subject, 200), text_body=text_body, html_body=html_body,
        language=language, ics=ics, ics_method=ics_method, appointment_id=appointment_id,
        dedupe_key=dedupe_key, status="pending", next_attempt_at=send_after or utcnow(),
    )
    db.session.add(message)
    return short_messages.route(message, patient=patient, short=short)


# --- Staff: what has not gone out yet (the outbox page) ------------------------------------------

ATTENTION_STATUSES = ("failed", "pending", "sending")
ATTENTION_LIMIT = 200


class NotRetryable(Exception):
    """The message was sent already (or is being sent): nothing to retry."""


def needing_attention(limit=ATTENTION_LIMIT):
    """Failed, pending and sending messages: failed first (newest first), then by when they are
    due. Only what staff need to act: never a subject or a body. Bounded by `limit`."""
    failed_first = case((OutboxMessage.status == "failed", 0), else_=1)
    return db.session.execute(
        select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.channel,
               OutboxMessage.to_address,
               OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.next_attempt_at,
               OutboxMessage.last_error, OutboxMessage.created_at,
               OutboxMessage.appointment_id)
        .where(OutboxMessage.status.in_(ATTENTION_STATUSES))
        .order_by(failed_first,
                  case((OutboxMessage.status == "failed", OutboxMessage.created_at),
                       else_=None).desc(),
                  OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()


def retry_now(message_id, *, now=None):
    """Make a failed or pending message due now (the next send-mail run tries it; a failed one
    gets one more attempt). Audited. Raises LookupError or NotRetryable."""
    now = now or utcnow()
    try:
        begin_write()
        message = db.session.get(OutboxMessage, message_id)
        if message is None:
            raise LookupError("outbox message")
        before = message.status
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id,
                   OutboxMessage.status.in_(("failed", "pending")))
            .values(status="pending", next_attempt_at=now)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise NotRetryable(before)
        audit.record("outbox.retry", object_type="outbox_message", object_id=message_id,
                     details={"kind": message.kind, "status_before": before,
                              "attempts": message.attempts})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
