"""No header line from patient data, on any Python 3.11 patch level: names holding RFC 2047
encoded words that hide CR/LF (CVE-2024-6923: the email package before 3.11.10 decodes them into
the header it writes) are booked through the API, delivered to a real SMTP server, and the
message that arrives has exactly the headers we wrote."""
import re
from email import policy
from email.message import EmailMessage

import pytest

from booking.notifications import sender
from booking.notifications.outbox import clean_header
from booking.scheduler.openapi import EXAMPLE_PATIENT

OUR_HEADERS = {"from", "to", "subject", "date", "message-id", "auto-submitted", "content-type",
               "mime-version", "content-transfer-encoding", "content-language"}

PAYLOADS = {
    "q-encoding": "Eve =?utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
    "b-encoding": "Eve =?UTF-8?B?DQpCY2M6IGF0dGFja2VyQGV2aWwuZXhhbXBsZQ==?=",
    "mixed case": "Eve =?UtF-8?Q?=0d=0aBcC:_attacker@evil.example?=",
    "folded": "Eve " + "x" * 68 + " =?utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
    "two words": "Eve =?utf-8?q?=0D=0A?= =?utf-8?q?Bcc:_attacker@evil.example?=",
    "another charset": "Eve =?iso-8859-1?q?=0D=0ABcc:_attacker@evil.example?=",
    "cyrillic name": "Єва =?utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
    "several headers": "=?utf-8?q?Eve=0D=0ACc:_a@evil.example=0D=0AX-Injected:_yes?=",
    "no space before": "Eve=?utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
    "doubled start": "Eve ==??utf-8?q?=0D=0ABcc:_attacker@evil.example?=",
}


def header_names(raw):
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode().lower() for line in head.split(b"\r\n")
            if line and line[:1] not in (b" ", b"\t")]


@pytest.fixture
def booked_by(client, consultation):
    """Book Tuesday 10:00 through the API for a patient with this name."""
    def book(full_name):
        response = client.post("/api/v1/bookings", json={
            "service_id": consultation.id, "start": "2026-12-08T10:00:00+02:00",
            "consent": True, "language": "en",
            "patient": {**EXAMPLE_PATIENT, "full_name": full_name}})
        assert response.status_code == 201, response.get_json()
    return book


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_an_encoded_word_in_a_name_never_becomes_a_header_line(mail_app, smtp_server, runner,
                                                               booked_by, name):
    booked_by(PAYLOADS[name])
    result = runner.invoke(args=["send-mail"])
    assert "1 sent" in result.output, result.output
    [received] = smtp_server.received
    assert received.rcpt_tos == [EXAMPLE_PATIENT["email"]]
    names = header_names(received.raw)
    assert set(names) <= OUR_HEADERS and len(names) == len(set(names)), names
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"^(bcc|cc|x-injected)\s*:", head, re.MULTILINE | re.IGNORECASE)
    email = received.email
    assert email["Bcc"] is None and email["Cc"] is None
    assert [a.addr_spec for a in email["To"].addresses] == [EXAMPLE_PATIENT["email"]]
    # The name arrives as the patient typed it, one space aside, as text and nothing else.
    shown = email["To"].addresses[0].display_name
    assert "\r" not in shown and "\n" not in shown
    assert shown.replace("= ?", "=?") == " ".join(PAYLOADS[name].split())


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_cleaned_header_text_holds_no_encoded_word(name):
    cleaned = clean_header(PAYLOADS[name], 120)
    assert "=?" not in cleaned
    assert len(cleaned) <= 120


def test_a_message_with_a_header_line_we_did_not_write_is_refused():
    message = EmailMessage(policy=policy.SMTP)
    message["To"] = "eve@example.com"
    message["Subject"] = "Hello"
    message["Bcc"] = "attacker@evil.example"
    message.set_content("Text")
    with pytest.raises(sender.InvalidAddress):
        sender.check_header_lines(message)


def test_a_message_with_one_of_our_headers_twice_is_refused():
    message = EmailMessage(policy=policy.SMTP)
    message["To"] = "eve@example.com"
    message.set_content("Text")
    message["Content-Language"] = "en"
    message["Content-Language"] = "uk"
    with pytest.raises(sender.InvalidAddress):
        sender.check_header_lines(message)
