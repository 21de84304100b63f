"""Configuration classes. Environment variables override the defaults.

Every clinic rule that someone may want to change (opening hours, slot grid, notice, horizon,
cancellation cut-off) lives here rather than as a literal in a view.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name, default):
    return int(os.environ.get(name, default))


def served_address(environ=os.environ):
    """The address `flask run` serves in development: FLASK_RUN_HOST and FLASK_RUN_PORT, which
    `flask run` reads and `make run HOST=... PORT=...` sets (defaults 127.0.0.1 and 5000).
    A server on every interface (0.0.0.0, ::) is linked as 127.0.0.1."""
    host = environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    port = environ.get("FLASK_RUN_PORT") or "5000"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:  # an IPv6 address goes in brackets
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")  # production refuses it
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'expio.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a request waits for another connection's lock (SQLite's busy timeout, PostgreSQL's
    # lock_timeout) before it gives up with 503 and Retry-After; below gunicorn's timeout (30 s).
    DATABASE_LOCK_WAIT_MS = _int("DATABASE_LOCK_WAIT_MS", 15000)
    # Retry-After (seconds) of the 503 answered while the database is busy or unreachable.
    DATABASE_RETRY_AFTER_SECONDS = _int("DATABASE_RETRY_AFTER_SECONDS", 5)

    # The clinic.
    CLINIC_NAME = "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio"
    CLINIC_SHORT_NAME = "Expio"
    CLINIC_CITY = "Kyiv"
    CLINIC_ADDRESS = os.environ.get("CLINIC_ADDRESS", "Kyiv, Ukraine")
    CLINIC_PHONE = "+380 7373 080 88"
    CLINIC_TZ = os.environ.get("CLINIC_TZ", "Europe/Kyiv")
    # Opening hours: local wall-clock times, Monday (0) to Friday (4).
    CLINIC_OPEN_WEEKDAYS = (0, 1, 2, 3, 4)
    CLINIC_OPENS = os.environ.get("CLINIC_OPENS", "10:00")
    CLINIC_CLOSES = os.environ.get("CLINIC_CLOSES", "19:00")

    # Booking rules.
    MIN_NOTICE_MINUTES = _int("MIN_NOTICE_MINUTES", 120)
    BOOKING_HORIZON_DAYS = _int("BOOKING_HORIZON_DAYS", 60)
    # Reception may book further ahead (a follow-up in a few months).
    STAFF_BOOKING_HORIZON_DAYS = _int("STAFF_BOOKING_HORIZON_DAYS", 365)
    DEFAULT_SLOT_GRID_MINUTES = _int("DEFAULT_SLOT_GRID_MINUTES", 30)
    # The manage link stops offering cancel/reschedule this long before the start.
    MANAGE_CUTOFF_HOURS = _int("MANAGE_CUTOFF_HOURS", 12)
    # Reception may mark a patient arrived from this long before the start (a no-show or a
    # completed visit only from the start on): statuses follow what has happened.
    ARRIVAL_WINDOW_MINUTES = _int("ARRIVAL_WINDOW_MINUTES", 60)
    # The API refuses slot ranges longer than this (both dates inclusive).
    MAX_SLOT_RANGE_DAYS = 62
    # Idempotency-Key on the API's POSTs (booking/idempotency.py): the first answer is given
    # again for this many hours; a request in progress holds its key this many seconds at most
    # (longer than gunicorn lets a request run, GUNICORN_TIMEOUT).
    IDEMPOTENCY_HOURS = 24
    IDEMPOTENCY_LEASE_SECONDS = _int("IDEMPOTENCY_LEASE_SECONDS", 60)
    # Bump when the consent text changes; each patient's consent stores the version they saw.
    CONSENT_VERSION = os.environ.get("CONSENT_VERSION", "2026-11-v1")

    # Intake. Instruments the patient is asked (clinical.md): MIDAS (an instrument switch, on by
    # default), PHQ-9, GAD-7. HIT-6 items are copyrighted: they are shown only when the clinic
    # switches them on AND supplies its licensed item text (six strings) in HIT6_ITEM_TEXT;
    # a clinician can always type a HIT-6 total from a licensed paper form.
    INTAKE_INSTRUMENTS = {"midas": True, "phq9": True, "gad7": True, "hit6_items": False}
    HIT6_ITEM_TEXT = ()
    # Overrides of booking.intake.scoring.Thresholds (flag cut-offs), e.g. {"gad7_further_evaluation": 10}.
    INTAKE_THRESHOLDS = {}

    # Treatment courses. Vital-sign alert thresholds (a session is marked when a reading is
    # above a "high" or below a "low" value); clinic settings, not clinical literals.
    VITAL_ALERTS = {"systolic_high": 180, "systolic_low": 90, "diastolic_high": 110,
                    "diastolic_low": 50, "heart_rate_high": 120, "heart_rate_low": 50,
                    "spo2_low": 92}
    # Follow-up requests after a course ends: (label, days after the last session).
    FOLLOW_UPS = (("1m", 30), ("3m", 90))
    # Urgent intakes (PHQ-9 item 9, a headache red flag): the staff alert goes to these
    # addresses (comma-separated in the environment); empty: to every active clinician.
    URGENT_ALERT_ADDRESSES = tuple(
        a.strip() for a in os.environ.get("URGENT_ALERT_ADDRESSES", "").split(",") if a.strip())
    # Ask MIDAS again at follow-up.
    FOLLOW_UP_MIDAS = True
    # MIDAS asks about the last 3 months: asked at these follow-ups only (when it is on).
    FOLLOW_UP_MIDAS_LABELS = ("3m",)
    # When a follow-up answer counts in the outcomes report: (first, last) days after the
    # course's last attended session, both included (clinical.md Outcomes). A later answer is
    # kept and shown but left out ("answered late"); the link says the window has closed.
    FOLLOW_UP_WINDOWS = {"1m": (21, 45), "3m": (75, 120)}

    # The headache diary (booking/diary; shared/clinical.md "Headache diary and durability").
    # Today and this many days before can be filled or corrected through the private link;
    # older days are locked.
    DIARY_EDIT_DAYS = 7
    # A 28-day window with fewer dates filled is not evaluable: no figure (never 0), counted apart.
    DIARY_MIN_FILLED_DAYS = 21
    # 28-day blocks after a course: B1 = days 1-28 after its last session, B2 = 29-56, ...
    DIARY_BLOCKS = 3
    # When relief ends, for durability: "R1" headache days above half the baseline, "R2" back
    # to the baseline or above, "R3" pain no longer 2 points below admission (a follow-up answer).
    DIARY_RELAPSE_RULE = "R1"
    # Daily reminders go on until this many days after a course's last session (None: the last
    # follow-up of FOLLOW_UPS, 90 days), and after a visit that is not a course (the baseline of
    # a course that may follow) this many days.
    DIARY_DAYS_AFTER_COURSE = None
    DIARY_DAYS_AFTER_VISIT = 28
    # The hours (clinic time) a patient may choose for the daily reminder; never after 21:00,
    # and nothing is queued after 21:00 (a reminder missed by then is skipped that day).
    DIARY_REMINDER_HOURS = tuple(range(7, 22))
    # A reminder's link opens the diary (and nothing else) for this many days.
    DIARY_LINK_DAYS = 8

    # Languages (README, "Languages"): Ukrainian by default, English on request (?lang=en, the
    # "lang" cookie, or the browser's Accept-Language). Catalogues: translations/<lang>/.
    LANGUAGES = ("en", "uk")
    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "uk")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    # Flask-Babel shows every aware instant in the clinic's zone.
    BABEL_DEFAULT_TIMEZONE = CLINIC_TZ

    # Staff sign-in: lock an email for SIGN_IN_LOCK_MINUTES after SIGN_IN_MAX_FAILURES failures
    # within SIGN_IN_WINDOW_MINUTES (kept in the database, so it holds across workers).
    SIGN_IN_MAX_FAILURES = _int("SIGN_IN_MAX_FAILURES", 5)
    SIGN_IN_WINDOW_MINUTES = _int("SIGN_IN_WINDOW_MINUTES", 15)
    SIGN_IN_LOCK_MINUTES = _int("SIGN_IN_LOCK_MINUTES", 15)
    # Staff sessions end after this much inactivity, and in any case after this long.
    STAFF_IDLE_MINUTES = _int("STAFF_IDLE_MINUTES", 30)
    STAFF_SESSION_HOURS = _int("STAFF_SESSION_HOURS", 12)

    # Request rate limits (Flask-Limiter). memory:// suits one process; with several workers or
    # servers use a shared store, e.g. RATELIMIT_STORAGE_URI=redis://localhost:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "120 per minute")
    RATELIMIT_BOOKING = os.environ.get("RATELIMIT_BOOKING", "10 per minute; 60 per hour")
    RATELIMIT_PRIVATE_LINKS = os.environ.get("RATELIMIT_PRIVATE_LINKS", "60 per minute")
    HSTS_SECONDS = 0
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted
    # (0: none, the app is reached directly).
    PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
    ENV_NAME = "development"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 1024 * 1024

    # Email (booking/notifications). Links in emails are built on CANONICAL_URL, never on the
    # Host header of a request. Without MAIL_SERVER, development (MAIL_CONSOLE) prints messages
    # to the console; anywhere else send-mail refuses to run.
    CANONICAL_URL = os.environ.get("CANONICAL_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 587)
    # STARTTLS on a plain connection (port 587); MAIL_USE_SSL: TLS from the start (port 465).
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "true").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "false").lower() in ("1", "true", "yes")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Expio <booking@expio.ua>")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)  # seconds, per SMTP operation
    # A failed message is tried again after these minutes, up to MAIL_MAX_ATTEMPTS attempts.
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 6)
    MAIL_RETRY_MINUTES = (1, 5, 15, 60, 240)
    # Reminders this many hours before a visit, e.g. (24, 2) for a second one.
    REMINDER_HOURS = (24,)
    # "Please finish your questionnaire" this many hours before, when it is not sent yet.
    INTAKE_NUDGE_HOURS = 72
    # Name the service in email bodies and calendar entries (off: "appointment at Expio").
    EMAIL_NAMES_SERVICES = False

    # Messages beyond email (README, "Messages: SMS, Viber and Telegram"). SMS and Viber go
    # through TurboSMS: a channel is offered only when its token is set. TURBOSMS_SENDER is the
    # sender name TurboSMS approved for the clinic (SMS and Viber alike).
    TURBOSMS_TOKEN = os.environ.get("TURBOSMS_TOKEN") or None
    TURBOSMS_SENDER = os.environ.get("TURBOSMS_SENDER", "Expio")
    TURBOSMS_API_URL = os.environ.get("TURBOSMS_API_URL", "https://api.turbosms.ua")
    # Viber through TurboSMS also carries the SMS, which TurboSMS sends only when the Viber
    # message cannot be delivered (a phone without Viber); False: Viber only.
    TURBOSMS_VIBER_SMS_FALLBACK = os.environ.get(
        "TURBOSMS_VIBER_SMS_FALLBACK", "true").lower() in ("1", "true", "yes")
    # The Telegram bot (from @BotFather): its token and its @username without the @. Updates
    # come to /telegram/webhook (with TELEGRAM_WEBHOOK_SECRET in the header Telegram sends), or,
    # for a clinic without a public address, through `flask --app wsgi telegram-poll`.
    TELEGRAM_BOT_TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN") or None
    TELEGRAM_BOT_USERNAME = os.environ.get("TELEGRAM_BOT_USERNAME") or None
    TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
    TELEGRAM_WEBHOOK_SECRET = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None
    # The worker's telegram-poll job asks for updates each minute (a clinic without a webhook;
    # it switches the job on in WORKER_SCHEDULE below).
    TELEGRAM_POLLING = os.environ.get("TELEGRAM_POLLING", "false").lower() in ("1", "true", "yes")
    # How long a "Get reminders in Telegram" link works (it also works only once).
    TELEGRAM_LINK_HOURS = _int("TELEGRAM_LINK_HOURS", 72)
    # Seconds to wait for TurboSMS or the Bot API before a message is retried later.
    GATEWAY_TIMEOUT_SECONDS = _int("GATEWAY_TIMEOUT_SECONDS", 15)
    # The links short messages carry: a manage link works until this many days after the
    # appointment, a "stop messages" link this many days after the message.
    MESSAGE_LINK_DAYS = _int("MESSAGE_LINK_DAYS", 30)
    STOP_LINK_DAYS = _int("STOP_LINK_DAYS", 365)

    # The worker (`flask --app wsgi worker`): when each periodic job runs, overriding the
    # defaults in booking/worker/jobs.py: a number of minutes (every N minutes on the clock) or
    # "HH:MM" (daily, clinic time); None switches a job off (where cron still runs it).
    # Defaults: send-mail 1, send-reminders 5, send-diary-prompts 5, send-followups "09:00"
    # (patients get the request in the morning, not at dawn), purge "02:30" (a quiet hour);
    # telegram-poll is off, every minute with TELEGRAM_POLLING.
    WORKER_SCHEDULE = {"telegram-poll": 1} if TELEGRAM_POLLING else {}


class DevelopmentConfig(Config):
    DEBUG = True
    # Without MAIL_SERVER, `send-mail` prints the emails instead of sending them.
    MAIL_CONSOLE = True
    # Links in emails and the API follow the address served (`make run PORT=5123`), unless
    # CANONICAL_URL is set in the environment.
    CANONICAL_URL = os.environ.get("CANONICAL_URL") or served_address()


class TestingConfig(Config):
    TESTING = True
    ENV_NAME = "testing"
    # Rate limits have their own tests, which switch them on.
    RATELIMIT_ENABLED = False
    # Tests point this at a per-test SQLite file; an env var lets CI run on PostgreSQL later.
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Most tests post forms without tokens; CSRF itself has its own tests.
    WTF_CSRF_ENABLED = False
    # Still scrypt, at a cost that keeps hundreds of test sign-ins fast (production: default).
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    # Never mail from tests by accident: the email tests start their own SMTP server.
    MAIL_SERVER = None
    MAIL_CONSOLE = True
    # Nor text: the message tests start their own TurboSMS and Bot API servers on 127.0.0.1.
    TURBOSMS_TOKEN = None
    TURBOSMS_API_URL = "http://127.0.0.1:9"
    TELEGRAM_BOT_TOKEN = None
    TELEGRAM_BOT_USERNAME = None
    TELEGRAM_API_URL = "http://127.0.0.1:9"
    TELEGRAM_WEBHOOK_SECRET = None
    # Most tests assert the English text; tests/test_i18n.py checks the Ukrainian pages.
    BABEL_DEFAULT_LOCALE = "en"


class ProductionConfig(Config):
    ENV_NAME = "production"
    # "__Host-": browsers keep it only when Secure, with Path=/ and no Domain, so no other host
    # (a subdomain, a plain-http page) can set or overwrite the session cookie.
    SESSION_COOKIE_NAME = "__Host-expio_session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = 31536000
    ALLOW_SQLITE_IN_PRODUCTION = os.environ.get("ALLOW_SQLITE_IN_PRODUCTION") == "1"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
