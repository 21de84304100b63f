"""Protections that hold for every response: security headers, no caching of personal pages,
malformed input refused before the database, tokens kept out of logs, production settings
checked at start-up, and request rate limits."""
import logging
import os
import re

from flask import abort, current_app, request
from flask_limiter.util import get_remote_address

# Paths that carry a private token or personal/clinical data: never cached, never referred.
PRIVATE_PREFIXES = ("/manage/", "/follow-up/", "/waitlist/offer/", "/waitlist/leave/", "/feeds/",
                    "/staff", "/stop/")
TOKEN_PATH = re.compile(
    r"/(manage|follow-up|feeds|waitlist/offer|waitlist/leave|stop)/[^/?\s\"]+")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
       "base-uri 'self'; frame-ancestors 'none'")
DEFAULT_SECRET = "dev-only-not-secret"


def redact_tokens(text):
    """/manage/<token>/intake -> /manage/[token]/intake (for log lines)."""
    return TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/[token]", text)


class RedactTokensFilter(logging.Filter):
    """Access logs name paths; private links must not end up in them."""

    def filter(self, record):
        # Render the line first (gunicorn passes a dict of values, werkzeug a tuple), then
        # redact the finished text.
        record.msg = redact_tokens(record.getMessage())
        record.args = ()
        return True


def _has_nul(values):
    return any("\x00" in value for value in values if isinstance(value, str))


def refuse_malformed_input():
    """before_request: NUL bytes anywhere in the query or form are refused with 400."""
    if _has_nul(request.args.values()) or _has_nul(request.path.split("/")):
        abort(400)
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        if _has_nul(request.form.values()) or _has_nul(request.form.keys()):
            abort(400)


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        if not request.path.startswith("/staff"):
            headers["Referrer-Policy"] = "no-referrer"
    if current_app.config.get("HSTS_SECONDS"):
        headers.setdefault("Strict-Transport-Security",
                           f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains")
    return response


class InsecureConfiguration(RuntimeError):
    pass


def check_production_settings(config):
    """Refuse to start in production with settings that would put patients at risk."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET or len(secret) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters "
                        "(python -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if config.get("DEBUG"):
        problems.append("DEBUG must be off.")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE must be on (HTTPS only).")
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        problems.append("SESSION_COOKIE_HTTPONLY must be on.")
    if config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        problems.append("SESSION_COOKIE_SAMESITE must be Lax or Strict.")
    if not str(config.get("SESSION_COOKIE_NAME", "")).startswith("__Host-") or \
            config.get("SESSION_COOKIE_DOMAIN") or \
            config.get("SESSION_COOKIE_PATH") not in ("/", None):
        problems.append("SESSION_COOKIE_NAME must start with __Host- (with Path=/ and no "
                        "SESSION_COOKIE_DOMAIN), so no other host can set the session cookie.")
    if config.get("RATELIMIT_ENABLED", True) and \
            str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://") and \
            int(config.get("WORKER_PROCESSES") or 1) > 1:
        problems.append(f"RATELIMIT_STORAGE_URI is memory:// but {config['WORKER_PROCESSES']} "
                        "worker processes serve requests: each would count the limits alone. "
                        "Use a shared store (RATELIMIT_STORAGE_URI=redis://...) or one worker "
                        "(WEB_CONCURRENCY=1).")
    if not str(config.get("CANONICAL_URL", "")).startswith("https://") or \
            "127.0.0.1" in str(config.get("CANONICAL_URL")):
        problems.append("CANONICAL_URL must be the clinic's public https:// address (links in "
                        "emails are built on it).")
    if not config.get("MAIL_SERVER"):
        problems.append("MAIL_SERVER must be set (confirmations and reminders go by email).")
    if config.get("TELEGRAM_BOT_TOKEN") and not config.get("TELEGRAM_BOT_USERNAME"):
        problems.append("TELEGRAM_BOT_USERNAME must be set with TELEGRAM_BOT_TOKEN (the "
                        "t.me links name the bot).")
    if config.get("TELEGRAM_BOT_TOKEN") and not (config.get("TELEGRAM_WEBHOOK_SECRET")
                                                 or config.get("TELEGRAM_POLLING")):
        problems.append("TELEGRAM_WEBHOOK_SECRET must be set for the bot's webhook (or "
                        "TELEGRAM_POLLING=true): the bot would not hear its patients.")
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite") and \
            not config.get("ALLOW_SQLITE_IN_PRODUCTION"):
        problems.append("DATABASE_URL should point at PostgreSQL in production "
                        "(or set ALLOW_SQLITE_IN_PRODUCTION=1 for a single small server).")
    if problems:
        raise InsecureConfiguration("Refusing to start in production:\n- " + "\n- ".join(problems))


def rate_limit_key():
    return get_remote_address()


def install(app, limiter):
    app.before_request(refuse_malformed_input)
    app.after_request(security_headers)
    token_filter = RedactTokensFilter()
    for name in ("werkzeug", "gunicorn.access"):
        logging.getLogger(name).addFilter(token_filter)
    # How many worker processes serve requests: gunicorn.conf.py exports it to its workers
    # (read here, when the app is made in the worker, not when config.py was first imported).
    app.config.setdefault("WORKER_PROCESSES",
                          int(os.environ.get("EXPIO_WORKER_PROCESSES") or 1))
    if app.config.get("ENV_NAME") == "production":
        check_production_settings(app.config)
    # Rate limits (Flask-Limiter; storage RATELIMIT_STORAGE_URI: memory:// for one process,
    # redis://... when several servers share the limits) are declared where the views are,
    # once per process: `limit_blueprint` and @limiter.limit(booking_limit). Sign-in
    # throttling is separate and lives in the database.


def limit_blueprint(limiter, blueprint, setting):
    """Give every view of a blueprint the rate limit named by a config setting."""
    limiter.limit(lambda: current_app.config[setting])(blueprint)
    return blueprint


def booking_limit():
    """For @limiter.limit on the views that create bookings (POST only)."""
    return current_app.config["RATELIMIT_BOOKING"]


def private_link_limit():
    return current_app.config["RATELIMIT_PRIVATE_LINKS"]
