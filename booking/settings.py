"""Clinic settings: a default in config.py, optionally overridden by an admin in the database."""
from flask import current_app

from . import audit
from .extensions import db
from .models import ClinicSetting
from .timeutil import utcnow

# Settings an admin may change in the dashboard (others stay in config / the environment).
EDITABLE = ("INTAKE_INSTRUMENTS",)


def get(key):
    if key in EDITABLE:
        row = db.session.get(ClinicSetting, key)
        if row is not None:
            return row.value
    return current_app.config[key]


def put(key, value, *, actor):
    """Store an admin's change, audited (settings hold no clinical data)."""
    if key not in EDITABLE:
        raise KeyError(key)
    actor_id = actor.id  # read first: loading an expired actor must not flush a half-built row
    try:
        row = db.session.get(ClinicSetting, key)
        before = row.value if row else current_app.config[key]
        if row is None:
            row = ClinicSetting(key=key, value=value, updated_at=utcnow(), updated_by_id=actor_id)
            db.session.add(row)
        row.value, row.updated_at, row.updated_by_id = value, utcnow(), actor_id
        audit.record("setting.change", object_type="setting", details={
            "key": key, "before": before, "after": value}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
