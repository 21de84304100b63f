"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts, and helpers
to read them back: the envelope, the parsed email, its text, HTML and .ics parts."""
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    raw: bytes

    @property
    def email(self):
        return message_from_bytes(self.raw, policy=policy.default)

    @property
    def text(self):
        return self.email.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self):
        return self.email.get_body(preferencelist=("html",)).get_content()

    @property
    def ics_part(self):
        parts = [p for p in self.email.iter_attachments()
                 if p.get_content_type() == "text/calendar"]
        return parts[0] if parts else None

    @property
    def calendar(self):
        part = self.ics_part
        return Calendar.from_ical(part.get_content()) if part is not None else None

    @property
    def everything(self):
        """The raw bytes and every part decoded (quoted-printable or base64 hides nothing)."""
        texts = [self.raw.decode("utf-8", "replace")]
        for part in self.email.walk():
            if not part.is_multipart():
                texts.append(part.get_content() if part.get_content_maintype() == "text"
                             else repr(part.get_content()))
        for name, value in self.email.items():
            texts.append(f"{name}: {value}")
        return "\n".join(texts)


class Capture:
    """The aiosmtpd handler: refuses DATA with `refuse` ("451 ...") while it is set."""

    def __init__(self):
        self.received = []
        self.refuse = None
        self.lock = threading.Lock()
        self.port = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        return "250 Message accepted"

    def settings(self):
        """App config that delivers to this server."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_USE_TLS": False,
                "MAIL_USE_SSL": False, "MAIL_TIMEOUT": 10, "MAIL_LOCAL_HOSTNAME": "localhost"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    capture = Capture()
    capture.port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=capture.port,
                            server_hostname="localhost")
    controller.start()
    try:
        yield capture
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app, smtp_server):
    """The test app, delivering to the test SMTP server."""
    app.config.update(smtp_server.settings())
    return app


# --- A clinic to book at -------------------------------------------------------------------------

@pytest.fixture
def consultation(create_service, create_practitioner):
    service = create_service(name="Psychotherapy for migraine", duration_minutes=60)
    create_practitioner([service], full_name="Dr Test")
    return service


@pytest.fixture
def course_service(create_service, create_practitioner):
    from booking.extensions import db
    from booking.models import Resource

    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, observation_minutes=60,
                             resource_kind="infusion_chair", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True)
    create_practitioner([service], full_name="Dr Course")
    db.session.add(Resource(name="Chair 1", kind="infusion_chair"))
    db.session.commit()
    return service


def outbox_rows(kind=None):
    from sqlalchemy import select

    from booking.extensions import db
    from booking.models import OutboxMessage

    db.session.rollback()  # see what other sessions and apps committed
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.execute(query).scalars().all()


# --- Fake providers (fakes.py) -------------------------------------------------------------------

WEBHOOK_SECRET = "test-webhook-secret_1"


@pytest.fixture
def turbosms(app):
    """A TurboSMS on 127.0.0.1, and the app set up to send SMS and Viber through it."""
    from .fakes import FakeTurboSMS

    fake = FakeTurboSMS().start()
    app.config.update(fake.settings())
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def telegram(app):
    """A Telegram Bot API on 127.0.0.1, and the app's bot set up to use it (with a webhook
    secret)."""
    from .fakes import FakeBotAPI

    fake = FakeBotAPI().start()
    app.config.update(fake.settings(), TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
    try:
        yield fake
    finally:
        fake.stop()
