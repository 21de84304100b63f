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


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'expio.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

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
    # The API refuses slot ranges longer than this (both dates inclusive).
    MAX_SLOT_RANGE_DAYS = 62
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
    # Ask MIDAS again at follow-up.
    FOLLOW_UP_MIDAS = True

    # Languages: English text now; Ukrainian catalogues arrive with the languages issue.
    LANGUAGES = ("en", "uk")
    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "en")
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

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 1024 * 1024


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    # Tests point this at a per-test SQLite file; an env var lets CI run on PostgreSQL later.
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Most tests post forms without tokens; CSRF itself has its own tests.
    WTF_CSRF_ENABLED = False
    # Still scrypt, at a cost that keeps hundreds of test sign-ins fast (production: default).
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
