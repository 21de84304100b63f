"""What the values of an infusion session record mean (clinical.md, "Each infusion session"):
the ranges and limits, `check_record`'s messages keyed like the form's fields ("vitals-2-diastolic")
so each lands next to its field on the right row, and the rules computed from the values.

- `vital_alerts`, `rate_pair`, `max_rates` and `record_refusal` are PURE (stdlib only): plain
  values in, plain values out.
- Records follow time (design.md): a session is recorded only once it has started, and only
  when it was not cancelled or missed (no-show) (`record_refusal`).
- `check_record` checks what the values MEAN (ranges, end after start, a reason for a stop...),
  so every door gets the same answers.
"""
from datetime import time
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import ADVERSE_EVENT_CODES, SEVERITIES

# --- Ranges (clinical.md, "Each infusion session"; the brief of the session-records work) -----

WEIGHT_KG = (Decimal(30), Decimal(250), 1)          # low, high, decimal places
PAIN = (0, 10)
TOTAL_DOSE_MG = (Decimal(0), Decimal(2000), 2)
RATE_MG_PER_KG_H = (Decimal(0), Decimal(10), 3)
RATE_MG_PER_H = (Decimal(0), Decimal(1000), 2)
MINUTE = (0, 720)                                   # minutes from the start
SYSTOLIC = (60, 260)
DIASTOLIC = (30, 160)
HEART_RATE = (30, 220)
SPO2 = (50, 100)
NOTE_MAX = 500
REASON_MAX = 500
DECISION_NOTE_MAX = 2000
MAX_ROWS = {"rates": 24, "vitals": 96, "adverse_events": 24}

CHECK_VALUES = _l("Please correct the values marked below. Nothing was saved.")
# Why a session cannot be recorded (record_refusal; the words for it are session_words.py's).
NOT_STARTED, CANCELLED, MISSED = "not_started", "cancelled", "no_show"


# --- PURE: vital-sign alerts and maximum rates (stdlib only) ---------------------------------

# (measure key, name in the reason, threshold key for "above", threshold key for "below")
_VITAL_CHECKS = (
    ("systolic", "systolic", "systolic_high", "systolic_low"),
    ("diastolic", "diastolic", "diastolic_high", "diastolic_low"),
    ("heart_rate", "heart rate", "heart_rate_high", "heart_rate_low"),
    ("spo2", "SpO2", None, "spo2_low"),
)


def _get(row, key):
    if isinstance(row, dict):
        return row.get(key)
    return getattr(row, key, None)


def vital_alerts(vitals, thresholds):
    """Every reading beyond a clinic threshold, as reasons such as
    "systolic 190 > 180 at minute 30" (above a "high" value) or "SpO2 91 < 92 at minute 45"
    (below a "low" value). A reading equal to a threshold is not an alert. Readings are taken
    in minute order; a missing reading or a threshold that is not set is skipped.

    `vitals`: dicts (or objects) with minute, systolic, diastolic, heart_rate, spo2;
    `thresholds`: a mapping with keys systolic_high, systolic_low, diastolic_high,
    diastolic_low, heart_rate_high, heart_rate_low, spo2_low.
    """
    reasons = []
    def minute_order(row):
        minute = _get(row, "minute")
        return (minute is None, minute or 0)

    ordered = sorted(vitals, key=minute_order)
    for row in ordered:
        minute = _get(row, "minute")
        for key, name, high_key, low_key in _VITAL_CHECKS:
            value = _get(row, key)
            if value is None:
                continue
            high = thresholds.get(high_key) if high_key else None
            low = thresholds.get(low_key) if low_key else None
            if high is not None and value > high:
                reasons.append(f"{name} {value} > {high} at minute {minute}")
            elif low is not None and value < low:
                reasons.append(f"{name} {value} < {low} at minute {minute}")
    return reasons


_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")


def rate_pair(mg_per_kg_h, mg_per_h, weight_kg):
    """Both forms of one rate: the one not given is computed from the dosing weight
    (mg/h = mg/kg/h x kg, rounded to 0.01; mg/kg/h = mg/h / kg, rounded to 0.001).
    A form that cannot be computed (no weight) stays None."""
    if mg_per_h is None and mg_per_kg_h is not None and weight_kg:
        mg_per_h = (Decimal(mg_per_kg_h) * Decimal(weight_kg)).quantize(_CENT, ROUND_HALF_UP)
    if mg_per_kg_h is None and mg_per_h is not None and weight_kg:
        mg_per_kg_h = (Decimal(mg_per_h) / Decimal(weight_kg)).quantize(_MILLI, ROUND_HALF_UP)
    return mg_per_kg_h, mg_per_h


def max_rates(rates, weight_kg):
    """(max mg/h, max mg/kg/h) over the rate rows, each None when no row gives it."""
    per_h, per_kg_h = [], []
    for row in rates:
        kg_h, h = rate_pair(_get(row, "mg_per_kg_h"), _get(row, "mg_per_h"), weight_kg)
        if h is not None:
            per_h.append(Decimal(h))
        if kg_h is not None:
            per_kg_h.append(Decimal(kg_h))
    return (max(per_h) if per_h else None), (max(per_kg_h) if per_kg_h else None)


def record_refusal(status, starts_at, now, recorded):
    """Why the session of an appointment (its status and start) cannot be recorded at `now`,
    or None when it can: NOT_STARTED before its start; CANCELLED or MISSED (a no-show) when
    nothing was recorded for it. A record already made stays editable (corrections)."""
    if now < starts_at:
        return NOT_STARTED
    if not recorded and status in (CANCELLED, MISSED):
        return status
    return None


# --- What the values mean: ranges and rules, messages keyed by field --------------------------

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _places(value):
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent)


def _check_whole(errors, key, value, low, high, *, required=False, label_range=None):
    if value is None:
        if required:
            errors[key] = _("Please enter a whole number from %(low)d to %(high)d.",
                            low=low, high=high)
        return
    if not _is_int(value):
        errors[key] = _("Please enter a whole number.")
    elif not low <= value <= high:
        errors[key] = label_range or _("Please enter a number from %(low)d to %(high)d.",
                                       low=low, high=high)


def _check_decimal(errors, key, value, spec):
    low, high, places = spec
    if value is None:
        return
    if _is_int(value):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        errors[key] = _("Please enter a number.")
    elif not low <= value <= high:
        errors[key] = _("Please enter a number from %(low)s to %(high)s.", low=low, high=high)
    elif _places(value) > places:
        errors[key] = (_("Please use at most one decimal place.") if places == 1 else
                       _("Please use at most %(n)d decimal places.", n=places))


def _weight_usable(data, errors):
    weight = data.get("dosing_weight_kg")
    return weight if weight is not None and "dosing_weight_kg" not in errors else None


def _check_rates(rows, data, errors):
    weight = _weight_usable(data, errors)
    seen = set()
    for index, row in enumerate(rows):
        key = f"rates-{index}-"
        minute = row.get("from_minute")
        if minute is None:
            errors[key + "from_minute"] = _("Please enter the minute this rate started (0 is the "
                                            "start).")
        else:
            _check_whole(errors, key + "from_minute", minute, *MINUTE)
            if key + "from_minute" not in errors:
                if minute in seen:
                    errors[key + "from_minute"] = _("Another rate row starts at this minute.")
                seen.add(minute)
        kg_h, h = row.get("mg_per_kg_h"), row.get("mg_per_h")
        _check_decimal(errors, key + "mg_per_kg_h", kg_h, RATE_MG_PER_KG_H)
        _check_decimal(errors, key + "mg_per_h", h, RATE_MG_PER_H)
        if kg_h is None and h is None:
            errors[key + "mg_per_kg_h"] = _("Please enter the rate in mg/kg/h, in mg/h, or both.")
        elif (kg_h is None or h is None) and weight is None:
            missing = key + ("mg_per_h" if h is None else "mg_per_kg_h")
            errors[missing] = _("Please enter this rate too, or the dosing weight to compute it.")


def _check_vitals(rows, errors):
    for index, row in enumerate(rows):
        key = f"vitals-{index}-"
        if row.get("minute") is None:
            errors[key + "minute"] = _("Please enter the minute of the reading (0 is the start).")
        else:
            _check_whole(errors, key + "minute", row["minute"], *MINUTE)
        systolic, diastolic = row.get("systolic"), row.get("diastolic")
        _check_whole(errors, key + "systolic", systolic, *SYSTOLIC)
        _check_whole(errors, key + "diastolic", diastolic, *DIASTOLIC)
        _check_whole(errors, key + "heart_rate", row.get("heart_rate"), *HEART_RATE)
        _check_whole(errors, key + "spo2", row.get("spo2"), *SPO2)
        if systolic is not None and diastolic is None:
            errors[key + "diastolic"] = _("Please enter the diastolic pressure too.")
        elif diastolic is not None and systolic is None:
            errors[key + "systolic"] = _("Please enter the systolic pressure too.")
        elif systolic is not None and key + "systolic" not in errors \
                and key + "diastolic" not in errors and not diastolic < systolic:
            errors[key + "diastolic"] = _("The diastolic pressure must be below the systolic "
                                          "pressure.")
        if all(row.get(name) is None for name in ("systolic", "diastolic", "heart_rate", "spo2")):
            errors[key + "systolic"] = _("Please enter at least one reading: blood pressure, "
                                         "heart rate or SpO2.")


def _check_events(rows, errors):
    for index, row in enumerate(rows):
        key = f"adverse_events-{index}-"
        if row.get("code") not in ADVERSE_EVENT_CODES:
            errors[key + "code"] = _("Please choose the event from the list.")
        if row.get("severity") not in SEVERITIES:
            errors[key + "severity"] = _("Please choose how severe it was.")
        note = row.get("note") or ""
        if not isinstance(note, str) or len(note) > NOTE_MAX:
            errors[key + "note"] = _("Please keep the note to %(n)d characters.", n=NOTE_MAX)
        elif row.get("code") == "other" and not note.strip():
            errors[key + "note"] = _("Please describe the event in the note.")


def check_record(data):
    """Messages for every value that breaks a rule, keyed by field ("pain_after",
    "vitals-0-spo2"); empty when the record may be saved. Checks meaning, not shape."""
    errors = {}
    started, ended = data.get("started_at"), data.get("ended_at")
    for key, value in (("started_at", started), ("ended_at", ended)):
        if value is not None and not isinstance(value, time):
            errors[key] = _("Please enter a time such as 10:30.")
    if ended is not None and started is None and "ended_at" not in errors:
        errors["started_at"] = _("Please enter the start time too.")
    elif isinstance(started, time) and isinstance(ended, time) and not ended > started:
        errors["ended_at"] = _("The end must be after the start.")

    _check_decimal(errors, "dosing_weight_kg", data.get("dosing_weight_kg"), WEIGHT_KG)
    for key in ("pain_before", "pain_after"):
        _check_whole(errors, key, data.get(key), *PAIN,
                     label_range=_("Please enter a pain rating from 0 (no pain) to 10 (worst "
                                   "imaginable)."))
    _check_decimal(errors, "total_dose_mg", data.get("total_dose_mg"), TOTAL_DOSE_MG)

    for name, limit in MAX_ROWS.items():
        if len(data.get(name) or ()) > limit:
            errors[name] = _("Please enter at most %(n)d rows here.", n=limit)
    _check_rates(data.get("rates") or (), data, errors)
    _check_vitals(data.get("vitals") or (), errors)
    _check_events(data.get("adverse_events") or (), errors)

    reason = data.get("stop_reason") or ""
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        errors["stop_reason"] = _("Please keep the reason to %(n)d characters.", n=REASON_MAX)
    elif (data.get("stopped") or data.get("paused")) and not reason.strip():
        errors["stop_reason"] = _("Please say why the infusion was stopped or paused.")
    elif reason.strip() and not (data.get("stopped") or data.get("paused")):
        errors["stop_reason"] = _("Tick “stopped” or “paused”, or leave the reason empty.")
    for key in ("discharge_criteria_met", "escort_present"):
        if data.get(key) not in (True, False, None):
            errors[key] = _("Please choose yes or no.")
    return errors
