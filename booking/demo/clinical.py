"""Plausible clinical answers for the demo (clinical.md): intakes, infusion session records and
follow-up answers. PURE: a random.Random and plain values in, the services' documented shapes
out (docs/intake-answers.md; booking.courses.session_records; booking.courses.follow_ups).

The figures are invented but keep to the instruments' ranges and rules: MIDAS items never above
the headache days of item A, day counts never above the headache days, every record's vitals in
range, a rate in mg/kg/h with its mg/h from the dosing weight.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..intake.validation import KETAMINE_ITEMS
from .people import emergency_contact

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


# --- The intake ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Severity:
    """How bad a patient's headaches are: drives the intake and the course."""

    headache_days: int   # per month
    admission_pain: int  # NRS before the first infusion


def severity_of(chooser, *, chronic):
    days = chooser.randint(15, 27) if chronic else chooser.randint(4, 14)
    return Severity(headache_days=days, admission_pain=chooser.randint(6, 9) if chronic
                    else chooser.randint(4, 7))


def intake_answers(person, severity, chooser, *, today, ketamine=False, urgent=None,
                   prescreen_positive=None):
    """{step: answers} for every step of the intake. `urgent`: None, "phq9_item9" (PHQ-9 item
    9 answered 1) or "thunderclap" (a headache red flag). `prescreen_positive`: a
    KETAMINE_ITEMS code answered yes."""
    age = today.year - person.date_of_birth.year - 1
    contact_name, contact_phone = emergency_contact(person, chooser)
    headache = severity.headache_days
    migraine = chooser.randint(max(1, headache // 3), max(1, headache * 3 // 4))
    aura = chooser.random() < 0.3
    continuous = headache >= 25 and chooser.random() < 0.5
    answers = {
        "about": {
            **person.details(), "sex": person.sex, "language": person.language,
            "emergency_contact_name": contact_name, "emergency_contact_phone": contact_phone,
            "consent_processing": True, "consent_contact": chooser.random() < 0.6,
        },
        "history": {
            "age_at_onset": chooser.randint(12, min(35, age)),
            "months_at_frequency": chooser.choice((6, 9, 12, 18, 24, 36, 60)),
            "getting_worse": chooser.random() < 0.5,
            "onset_after_head_injury": False, "onset_after_infection": chooser.random() < 0.1,
            "onset_after_new_medicine": False,
            "headache_days": headache, "migraine_days": migraine,
            "moderate_severe_days": chooser.randint(migraine, headache),
            "debilitating_days": chooser.randint(0, migraine),
            "attack_hours": None if continuous else chooser.choice((4, 8, 12, 24, 48)),
            "continuous": continuous,
            "location": chooser.choice(("one_side", "both_sides", "varies")),
            "character": chooser.choice(("pulsating", "pulsating", "pressing", "stabbing")),
            "worse_with_activity": chooser.random() < 0.7, "nausea": chooser.random() < 0.6,
            "vomiting": chooser.random() < 0.2, "photophobia": chooser.random() < 0.8,
            "phonophobia": chooser.random() < 0.7, "aura": aura,
            "aura_types": ["visual"] + (["sensory"] if chooser.random() < 0.3 else []) if aura
            else [],
            "aura_minutes": chooser.choice((15, 20, 30, 45)) if aura else None,
            "triggers": sorted(chooser.sample(
                ("stress", "sleep", "alcohol", "food", "weather", "screens", "skipped_meals"),
                chooser.randint(1, 3))),
            "triggers_other": "",
            "menstrual_relation": chooser.choice(("yes", "no")) if person.sex == "female"
            else "not_applicable",
            "several_headache_types": chooser.random() < 0.15,
            "prior_attacks_at_least_5": True,
            "red_thunderclap": urgent == "thunderclap", "red_fever_stiff_neck": False,
            "red_neuro_deficit": False, "red_after_head_injury": False,
        },
        "pain": {"pain_now": chooser.randint(2, severity.admission_pain),
                 "pain_avg_7d": chooser.randint(4, severity.admission_pain),
                 "pain_worst_month": chooser.randint(max(7, severity.admission_pain), 10)},
        "medicines": _medicines(headache, chooser),
        "questionnaires": _questionnaires(headache, chooser, urgent == "phq9_item9"),
    }
    if ketamine:
        answers["ketamine"] = {
            **{code: code == prescreen_positive for code in KETAMINE_ITEMS},
            "current_medicines": chooser.choice(("", "Propranolol 40 mg", "Amitriptyline 25 mg",
                                                 "Erenumab 140 mg monthly")),
            "allergies": chooser.choice(("", "", "Penicillin")),
            "weight_kg": chooser.randint(52, 98), "height_cm": chooser.randint(156, 192),
        }
    return answers


def _medicines(headache_days, chooser):
    triptan = chooser.randint(3, min(12, headache_days))
    nsaid = chooser.randint(2, min(10, headache_days))
    any_acute = min(31, max(triptan, nsaid) + chooser.randint(0, min(triptan, nsaid)))
    preventives = chooser.sample((
        {"drug": "Topiramate", "class": "anticonvulsant", "dose": "100 mg", "weeks": 16,
         "outcome": "not_tolerated"},
        {"drug": "Propranolol", "class": "beta_blocker", "dose": "80 mg", "weeks": 12,
         "outcome": "ineffective"},
        {"drug": "Amitriptyline", "class": "tricyclic", "dose": "25 mg", "weeks": 12,
         "outcome": "partial"},
        {"drug": "Venlafaxine", "class": "snri", "dose": "75 mg", "weeks": 10,
         "outcome": "ineffective"},
        {"drug": "Erenumab", "class": "cgrp_antibody", "dose": "140 mg", "weeks": 24,
         "outcome": "partial"},
    ), chooser.randint(1, 3))
    return {
        "acute": [
            {"name": "Sumatriptan", "class": "triptan", "days_per_month": triptan,
             "effect": chooser.choice(("partial", "good"))},
            {"name": "Ibuprofen", "class": "nsaid", "days_per_month": nsaid,
             "effect": chooser.choice(("none", "partial"))},
        ],
        "any_acute_days": any_acute, "any_non_opioid_days": nsaid, "preventives": preventives,
    }


def _questionnaires(headache_days, chooser, item9):
    a = min(90, headache_days * 3 + chooser.randint(-5, 5))
    midas = {f"midas_q{n}": chooser.randint(0, min(a, 4 + headache_days)) for n in range(1, 6)}
    phq = {f"phq9_{n}": chooser.choice((0, 0, 1, 1, 2)) for n in range(1, 9)}
    return {
        **midas, "midas_a": a, "midas_b": chooser.randint(5, 9),
        **phq, "phq9_9": 1 if item9 else 0, "phq9_difficulty": chooser.randint(0, 2),
        **{f"gad7_{n}": chooser.choice((0, 0, 1, 1, 2, 3)) for n in range(1, 8)},
    }


# --- Infusion sessions -----------------------------------------------------------------------

@dataclass(frozen=True)
class CoursePlan:
    """How a course goes: pain before and after each session, and what happens on which day."""

    weight_kg: Decimal
    pain: tuple          # ((before, after), ...) per session, course day order
    rates: tuple         # mg/kg/h per session (the rate after titration)
    adverse: dict        # course day -> [(code, severity, note)]
    alert_day: int | None = None  # a session whose blood pressure crosses the alert line


def plan_course(chooser, sessions, severity, response):
    """`response`: "strong", "moderate" or "none": how far the pain falls by discharge."""
    admission = severity.admission_pain
    fall = {"strong": chooser.randint(4, 6), "moderate": chooser.randint(2, 3),
            "none": chooser.randint(0, 1)}[response]
    discharge = max(0, admission - fall)
    pain, before = [], admission
    for day in range(1, sessions + 1):
        # The "after" values slide from admission to discharge; each next day starts a little
        # above the last "after" (the relief of one session does not all last to the next).
        after = round(admission - fall * day / sessions)
        after = max(discharge, min(before, after + chooser.choice((0, 0, 1)) * (day < sessions)))
        pain.append((before, after))
        before = min(admission, after + chooser.choice((0, 1, 1)))
    rates = tuple(Decimal("0.50") + Decimal("0.10") * min(day, 4) for day in range(sessions))
    adverse = {}
    for day in range(1, sessions + 1):
        if chooser.random() < 0.18:
            adverse[day] = [chooser.choice((
                ("dissociation", "mild", "Felt detached for about 20 minutes"),
                ("dissociation", "moderate", "Rate lowered for 15 minutes"),
                ("nausea", "mild", "Ondansetron 4 mg given"),
                ("dizziness", "mild", ""),
                ("blurred_vision", "mild", ""),
                ("anxiety", "mild", "Settled with reassurance"),
            ))]
    alert_day = chooser.randint(min(2, sessions), sessions) if chooser.random() < 0.2 else None
    if alert_day:
        adverse.setdefault(alert_day, []).append(("hypertension", "moderate",
                                                 "Rate halved until the pressure settled"))
    return CoursePlan(Decimal(chooser.randint(55, 96)), tuple(pain), rates, adverse, alert_day)


def _clock(instant, tz):
    local = instant.astimezone(tz)
    return time(local.hour, local.minute)


def session_record(plan, day, starts_at, chooser, tz):
    """The record of course day `day` (1-based) of a session starting at `starts_at`."""
    before, after = plan.pain[day - 1]
    started = starts_at + timedelta(minutes=chooser.choice((0, 5, 10)))
    minutes = 100  # the infusion; the clinician's part of the visit is two hours
    base, top = plan.rates[day - 1] - Decimal("0.20"), plan.rates[day - 1]
    weight = plan.weight_kg
    rates = [{"from_minute": 0, "mg_per_kg_h": base,
              "mg_per_h": (base * weight).quantize(CENT, ROUND_HALF_UP)},
             {"from_minute": 30, "mg_per_kg_h": top,
              "mg_per_h": (top * weight).quantize(CENT, ROUND_HALF_UP)}]
    total = (base * weight * Decimal(30) / 60 + top * weight * Decimal(minutes - 30) / 60)
    systolic = chooser.randint(112, 138)
    diastolic = chooser.randint(68, 84)
    pulse = chooser.randint(62, 84)
    vitals = []
    for minute in (0, 30, 60, 90, 120):
        rise = 0 if minute in (0, 120) else chooser.randint(4, 14)
        if plan.alert_day == day and minute == 30:
            rise = 186 - systolic  # above the clinic's 180 line: the session is marked
        vitals.append({"minute": minute, "systolic": systolic + rise,
                       "diastolic": diastolic + rise // 3, "heart_rate": pulse + rise // 2,
                       "spo2": chooser.randint(96, 99)})
    return {
        "started_at": _clock(started, tz),
        "ended_at": _clock(started + timedelta(minutes=minutes + 5), tz),
        "dosing_weight_kg": weight, "pain_before": before, "pain_after": after,
        "rates": rates, "total_dose_mg": total.quantize(CENT, ROUND_HALF_UP), "vitals": vitals,
        "adverse_events": [{"code": code, "severity": severity, "note": note}
                           for code, severity, note in plan.adverse.get(day, ())],
        "stopped": False, "paused": False, "stop_reason": "",
        "discharge_criteria_met": True, "escort_present": True,
    }


# --- Follow-up answers -----------------------------------------------------------------------

def follow_up_answers(plan, severity, label, chooser, *, sustained):
    """The patient's answers at a follow-up: pain, headache days in the last month, MIDAS."""
    admission = plan.pain[0][0]
    discharge = plan.pain[-1][1]
    if sustained:
        pain = min(admission - 2, discharge + chooser.randint(0, 2 if label == "1m" else 3))
    else:
        pain = max(discharge, admission - chooser.randint(0, 1))
    pain = max(0, pain)
    days = max(0, min(31, severity.headache_days - (chooser.randint(4, 10) if sustained
                                                    else chooser.randint(-2, 3))))
    a = min(90, days * 3)
    midas = {f"midas_q{n}": chooser.randint(0, min(a, 3 + days // 2)) for n in range(1, 6)}
    return {"pain": pain, "headache_days": days, **midas, "midas_a": a,
            "midas_b": max(0, min(10, pain + chooser.randint(0, 2)))}


def at_local(day, clock, tz):
    """The instant of a local date and wall-clock time."""
    return datetime.combine(day, clock, tzinfo=tz)
