"""Small time helpers shared by services and views (the pure slot engine has its own)."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow():
    """The current instant. Tests freeze it with app.config["FROZEN_NOW"] (an aware datetime),
    so that rules such as minimum notice and the cancellation cut-off can be pinned exactly."""
    if has_app_context():
        frozen = current_app.config.get("FROZEN_NOW")
        if frozen is not None:
            return frozen
    return datetime.now(timezone.utc)


def clinic_tz():
    return ZoneInfo(current_app.config["CLINIC_TZ"])


def to_local(instant):
    """An aware instant shown in the clinic's time zone."""
    return instant.astimezone(clinic_tz())
