"""Hardening: headers, no caching of personal pages, malformed input, tokens out of logs,
production settings, rate limits."""
import logging

import pytest

from booking.extensions import limiter
from booking.security import InsecureConfiguration, check_production_settings, redact_tokens
from booking.scheduler import services as booking
from config import ProductionConfig
from tests.conftest import PATIENT


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for part in ("script-src 'self'", "object-src 'none'", "base-uri 'self'",
                 "frame-ancestors 'none'"):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.fixture
def booked(create_service, create_practitioner):
    from datetime import datetime, timezone

    service = create_service()
    create_practitioner([service])
    return booking.book(service_id=service.id, start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                        patient=dict(PATIENT), consent=True)


def test_manage_pages_are_not_cached_and_send_no_referrer(client, booked):
    _appointment, token = booked
    response = client.get(f"/manage/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_staff_pages_are_not_cached(client):
    assert client.get("/staff/sign-in").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/?week=2026%00", "/book/1?practitioner=a%00b"])
def test_nul_bytes_in_the_query_are_refused(client, path):
    assert client.get(path).status_code == 400


def test_nul_bytes_in_a_form_are_refused_before_the_database(client):
    response = client.post("/staff/sign-in", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400


def test_a_too_large_body_is_refused(client):
    response = client.post("/api/v1/bookings", data="x" * (2 * 1024 * 1024),
                           content_type="application/json")
    assert response.status_code == 413


def test_private_links_are_redacted_in_log_lines():
    line = '127.0.0.1 - - "GET /manage/AbC123_-x/intake/history HTTP/1.1" 200 -'
    assert redact_tokens(line) == '127.0.0.1 - - "GET /manage/[token]/intake/history HTTP/1.1" 200 -'
    assert "[token]" in redact_tokens("/follow-up/secret123")


def test_the_access_log_filter_redacts_tokens(app, client, booked, caplog):
    _appointment, token = booked
    logger = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('"%s" %s', f"GET /manage/{token} HTTP/1.1", 200)
    assert token not in caplog.text
    assert "/manage/[token]" in caplog.text


def production_settings(**changes):
    settings = {key: getattr(ProductionConfig, key) for key in dir(ProductionConfig)
                if key.isupper()}
    settings.update(SECRET_KEY="x" * 48, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://db/expio",
                    DEBUG=False, CANONICAL_URL="https://booking.expio.example",
                    MAIL_SERVER="smtp.example")
    settings.update(changes)
    return settings


def test_good_production_settings_are_accepted():
    check_production_settings(production_settings())


@pytest.mark.parametrize("change, words", [
    ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"DEBUG": True}, "DEBUG"),
    ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
    ({"SESSION_COOKIE_SAMESITE": None}, "SAMESITE"),
    ({"CANONICAL_URL": "http://127.0.0.1:5000"}, "CANONICAL_URL"),
    ({"MAIL_SERVER": None}, "MAIL_SERVER"),
])
def test_production_refuses_to_start_with_insecure_settings(change, words):
    with pytest.raises(InsecureConfiguration, match=words):
        check_production_settings(production_settings(**change))


def test_the_app_itself_refuses_to_start_in_production_with_the_default_key(database_uri):
    from booking import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": "dev-only-not-secret"}
    with pytest.raises(InsecureConfiguration):
        create_app(type("BadProduction", (ProductionConfig,), settings))


def test_the_api_is_rate_limited(make_test_app, create_service, create_practitioner):
    service = create_service()
    create_practitioner([service])
    app = make_test_app(RATELIMIT_ENABLED=True, RATELIMIT_API="5 per minute")
    limiter.reset()  # the counters live in this process's memory storage
    client = app.test_client()
    statuses = [client.get("/api/v1/services").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    limited = client.get("/api/v1/services")
    assert limited.get_json()["error"] == "throttled"


def test_booking_posts_are_rate_limited(make_test_app, create_service, create_practitioner):
    service = create_service()
    create_practitioner([service])
    app = make_test_app(RATELIMIT_ENABLED=True, RATELIMIT_BOOKING="2 per minute")
    limiter.reset()
    client = app.test_client()
    body = {"service_id": service.id, "start": "2026-12-08T10:00:00+02:00",
            "patient": dict(PATIENT), "consent": True}
    statuses = [client.post("/api/v1/bookings", json=body).status_code for _ in range(3)]
    assert statuses == [201, 409, 429]


def test_gunicorn_style_access_lines_are_redacted_too():
    from booking.security import RedactTokensFilter

    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1,
                               '%(h)s "%(r)s" %(s)s', ({"h": "1.2.3.4", "r": "GET /manage/abc HTTP/1.1",
                                                        "s": "200"},), None)
    RedactTokensFilter().filter(record)
    assert record.getMessage() == '1.2.3.4 "GET /manage/[token] HTTP/1.1" 200'


def test_behind_a_proxy_the_patients_address_is_used(app, make_test_app):
    """With PROXY_FIX_X_FOR=1 the audit log records the address the proxy forwarded."""
    from sqlalchemy import select

    from booking.extensions import db
    from booking.models import AuditEvent

    behind_proxy = make_test_app(PROXY_FIX_X_FOR=1)
    behind_proxy.test_client().post("/staff/sign-in", data={"email": "x@example.com", "password": "wrong one"},
                           headers={"X-Forwarded-For": "203.0.113.7"},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})
    db.session.rollback()
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "sign_in.failure")).scalar_one()
    assert event.ip == "203.0.113.7"


def test_forms_need_their_csrf_token(make_test_app, create_service, create_practitioner):
    """With CSRF on (as in production), a state-changing form without its token is refused."""
    service = create_service()
    create_practitioner([service])
    client = make_test_app(WTF_CSRF_ENABLED=True).test_client()
    booking_form = client.post(f"/book/{service.id}/details?start=2026-12-08T10:00:00%2B02:00"
                               "&practitioner=any", data={**PATIENT, "consent": "y"})
    assert booking_form.status_code == 400
    assert client.post("/staff/sign-in", data={"email": "a@example.com",
                                               "password": "whatever it is"}).status_code == 400
    # The same form with the token from the page goes through.
    page = client.get(f"/book/{service.id}/details?start=2026-12-08T10:00:00%2B02:00"
                      "&practitioner=any").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    booked = client.post(f"/book/{service.id}/details?start=2026-12-08T10:00:00%2B02:00"
                         "&practitioner=any",
                         data={**PATIENT, "consent": "y", "csrf_token": token.group(1)})
    assert booked.status_code == 303
