"""Queue an email in the outbox, inside the caller's transaction (the caller commits).

Nothing is sent here: `flask --app wsgi send-mail` delivers what is queued, so a message exists
exactly when the change that causes it was committed.
"""
from ..extensions import db
from ..models import OutboxMessage
from ..timeutil import utcnow


def clean_header(value, longest):
    """Header text with line breaks and other control characters removed: names with CR/LF can
    never reach a header (no header injection), whatever a person typed."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value or ""))
    return " ".join(text.split())[:longest]


def queue(kind, *, to_address, subject, text_body, to_name="", html_body="", language="uk",
          ics=None, ics_method=None, appointment_id=None, dedupe_key=None, send_after=None):
    """Add one message to the outbox (in the current transaction) and return it."""
    message = OutboxMessage(
        kind=kind, to_address=clean_header(to_address, 254), to_name=clean_header(to_name, 120),
        subject=clean_header(subject, 200), text_body=text_body, html_body=html_body,
        language=language, ics=ics, ics_method=ics_method, appointment_id=appointment_id,
        dedupe_key=dedupe_key, status="pending", next_attempt_at=send_after or utcnow(),
    )
    db.session.add(message)
    return message
