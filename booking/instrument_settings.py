"""The intake's questionnaire switches (MIDAS, PHQ-9, GAD-7, the HIT-6 items): read from the
clinic's settings over the configured defaults, and switched by an admin (audited as
setting.change).
"""
from dataclasses import dataclass

from flask import current_app

from . import settings as clinic_settings
from .admin_fields import typed_flag
from .database import begin_write
from .extensions import db

INSTRUMENT_KEYS = ("midas", "phq9", "gad7", "hit6_items")


@dataclass
class InstrumentSwitches:
    midas: bool
    phq9: bool
    gad7: bool
    hit6_items: bool
    hit6_text_configured: bool  # the clinic supplied its six licensed HIT-6 items


def instrument_switches():
    stored = clinic_settings.get("INTAKE_INSTRUMENTS") or {}
    defaults = current_app.config["INTAKE_INSTRUMENTS"]
    values = {key: bool(stored.get(key, defaults.get(key, False))) for key in INSTRUMENT_KEYS}
    configured = len(tuple(current_app.config.get("HIT6_ITEM_TEXT") or ())) == 6
    return InstrumentSwitches(**values, hit6_text_configured=configured)


def set_instrument_switches(*, actor, **switches):
    """Switch the intake's questionnaires on or off (audited as setting.change). Returns False
    when nothing changed (nothing is written then)."""
    current = instrument_switches()
    value = {key: typed_flag(switches.get(key)) for key in INSTRUMENT_KEYS}
    if value == {key: getattr(current, key) for key in INSTRUMENT_KEYS}:
        return False
    begin_write()
    # Load the actor under the write lock first: settings.put reads actor.id after adding its
    # row, and an expired actor would autoflush that row before its value is set.
    db.session.refresh(actor)
    clinic_settings.put("INTAKE_INSTRUMENTS", value, actor=actor)  # commits, or rolls back
    return True
