"""Intake services: save a step, submit, and read the state of a patient's intake.

Each step is saved in its own transaction when the patient sends it; nothing invalid is stored
(validation.py decides). On submission the scores, flags, medicines and pain ratings are computed
by the pure scoring module and stored beside the answers; a later change of answers (allowed until
the appointment starts) recomputes them in the same transaction, so stored scores always equal
what scoring.py computes from the stored answers.
"""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from .. import events
from .. import settings as clinic_settings
from ..database import begin_write
from ..extensions import db
from ..models import (
    AcuteMedicationUse,
    Appointment,
    AppointmentStatus,
    AttentionItem,
    Intake,
    IntakeFlag,
    PainRating,
    PreventiveTrial,
    QuestionnaireResponse,
)
from ..timeutil import clinic_tz, utcnow
from ..courses import services as courses
from . import scoring, validation
from .errors import IntakeError, IntakeIncomplete, IntakeLocked, InvalidAnswers

__all__ = ["IntakeError", "IntakeIncomplete", "IntakeLocked", "InvalidAnswers"]

STEP_ORDER = ("about", "history", "pain", "medicines", "questionnaires", "ketamine", "review")
ANSWER_STEPS = STEP_ORDER[:-1]


@dataclass(frozen=True)
class IntakeSettings:
    midas: bool
    phq9: bool
    gad7: bool
    hit6_items: bool  # HIT-6 items shown to patients: only with licensed item text configured
    hit6_item_text: tuple
    thresholds: scoring.Thresholds


@dataclass(frozen=True)
class StepSaved:
    intake: Intake
    next_step: str
    alerts: tuple


def settings():
    config = current_app.config
    instruments = clinic_settings.get("INTAKE_INSTRUMENTS")
    hit6_text = tuple(config.get("HIT6_ITEM_TEXT") or ())
    return IntakeSettings(
        midas=bool(instruments.get("midas", True)),
        phq9=bool(instruments.get("phq9", True)),
        gad7=bool(instruments.get("gad7", True)),
        hit6_items=bool(instruments.get("hit6_items", False)) and len(hit6_text) == 6,
        hit6_item_text=hit6_text,
        thresholds=scoring.Thresholds(**config["INTAKE_THRESHOLDS"]),
    )


# --- Reading ------------------------------------------------------------------------------------

def steps_for(appointment):
    return [step for step in STEP_ORDER
            if step != "ketamine" or appointment.service.needs_ketamine_prescreen]


def intake_status(appointment):
    """"not_started", "in_progress", "submitted", or "urgent" (which wins over the others)."""
    intake = appointment.intake
    if intake is None:
        return "not_started"
    return "urgent" if intake.urgent else intake.status


def is_editable(appointment, now=None):
    return appointment.status == AppointmentStatus.BOOKED.value \
        and (now or utcnow()) < appointment.starts_at


def step_answers(appointment, step):
    if step not in steps_for(appointment) or step == "review":
        raise LookupError(step)
    intake = appointment.intake
    saved = (intake.answers or {}).get(step) if intake else None
    if saved:
        return dict(saved)
    if step == "about":  # what the booking already told us
        patient = appointment.patient
        return {"full_name": patient.full_name, "email": patient.email, "phone": patient.phone,
                "date_of_birth": patient.date_of_birth.isoformat(), "language": patient.language}
    return {}


def completed_steps(appointment):
    intake = appointment.intake
    if intake is None:
        return set()
    done = set(intake.answers or {}) & set(steps_for(appointment))
    if intake.status == "submitted":
        done.add("review")
    return done


def is_submitted(appointment):
    """Has the patient sent their intake? (The status may say "urgent" either way.)"""
    return appointment.intake is not None and appointment.intake.status == "submitted"


def first_open_step(appointment):
    done = completed_steps(appointment)
    for step in steps_for(appointment):
        if step not in done:
            return step
    return "review"


def _alerts_from(answers):
    found = []
    if (answers.get("questionnaires") or {}).get("phq9_9"):
        found.append("crisis_contacts")
    history = answers.get("history") or {}
    if any(history.get(key) for key in validation.RED_FLAG_KEYS):
        found.append("emergency_care")
    return tuple(found)


def alerts(appointment):
    """What the patient must be told at once: from their saved answers, and, while the urgent
    mark is on (it is sticky), from the urgent reasons recorded when it was raised."""
    intake = appointment.intake
    if intake is None:
        return ()
    found = list(_alerts_from(intake.answers or {}))
    if intake.urgent:
        reasons = db.session.execute(
            select(AttentionItem.reasons).where(AttentionItem.intake_id == intake.id)
        ).scalar_one_or_none() or ()
        for code in reasons:
            action = "crisis_contacts" if code == "phq9_item9" else "emergency_care"
            if action not in found:
                found.append(action)
    return tuple(sorted(found))


def submitted_summary(appointment):
    """What the patient sent (answers only are shown to them), or None before submission."""
    intake = appointment.intake
    if intake is None or intake.status != "submitted":
        return None
    return {"answers": {step: dict(intake.answers.get(step) or {})
                        for step in steps_for(appointment) if step != "review"},
            "scores": list(intake.responses), "submitted_at": intake.submitted_at}


# --- Writing ------------------------------------------------------------------------------------

def _locked_appointment(appointment_id, now):
    begin_write()
    appointment = db.session.execute(
        select(Appointment).where(Appointment.id == appointment_id).with_for_update()
    ).scalar_one()
    if not is_editable(appointment, now):
        raise IntakeLocked()
    return appointment


def _validate(step, answers, appointment, saved):
    today = utcnow().astimezone(clinic_tz()).date()
    if step == "about":
        return validation.validate_about(answers, today=today)
    if step == "history":
        about = saved.get("about") or {"date_of_birth": appointment.patient.date_of_birth.isoformat()}
        return validation.validate_history(answers, age=validation.age_from(about, today))
    if step == "pain":
        return validation.validate_pain(answers)
    if step == "medicines":
        return validation.validate_medicines(answers)
    if step == "questionnaires":
        return validation.validate_questionnaires(answers, settings=settings())
    if step == "ketamine":
        return validation.validate_ketamine(answers)
    raise LookupError(step)


def _validate_part(step, answers, appointment, saved, keys):
    """A page that asks part of a step (pages.py): the step's saved answers with this page's
    `keys` from `answers`, validated as a whole. A wrong answer among these keys, or among the
    step's keys answered before, is an error; a key of a page still to come is not (submit
    checks the whole step). Returns the cleaned keys of this page and of the earlier ones."""
    before = dict(saved.get(step) or {})
    kept = set(keys) | set(before)
    merged = {**before, **{key: value for key, value in answers.items() if key in keys}}
    try:
        cleaned = _validate(step, merged, appointment, saved)
    except InvalidAnswers as error:
        wrong = {key: message for key, message in error.fields.items() if key in kept}
        if wrong:
            raise InvalidAnswers(wrong) from None
        cleaned = error.clean
    return {key: value for key, value in cleaned.items() if key in kept}


def save_step(appointment_id, step, answers, *, language, now=None, keys=None):
    """Validate and store one step, or with `keys` the part of it one page asks (the other
    answers of the step stay). Raises InvalidAnswers, IntakeLocked or LookupError."""
    now = now or utcnow()
    try:
        appointment = _locked_appointment(appointment_id, now)
        if step not in steps_for(appointment) or step == "review":
            raise LookupError(step)
        intake = appointment.intake
        saved = dict(intake.answers or {}) if intake else {}
        cleaned = _validate(step, answers, appointment, saved) if keys is None \
            else _validate_part(step, answers, appointment, saved, keys)
        if intake is None:
            intake = Intake(appointment=appointment, patient=appointment.patient, started_at=now,
                            answers={})
            db.session.add(intake)
        intake.answers = {**saved, step: cleaned}  # a new dict, so the JSON change is saved
        intake.language = language
        intake.updated_at = now
        if step == "about":
            appointment.patient.language = cleaned["language"]
        current_alerts = _alerts_from(intake.answers)
        # Sticky: once an urgent answer was given, a clinician must see it even if the
        # patient changes it later. Raised the moment it is saved, not only on submission.
        _mark_urgent(intake, validation.urgent_codes(intake.answers))
        if intake.status == "submitted":
            _derive(intake, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return StepSaved(intake, first_open_step(appointment), current_alerts)


def submit(appointment_id, *, language, now=None):
    """Check every step, compute and store scores and flags, mark the intake submitted."""
    now = now or utcnow()
    try:
        appointment = _locked_appointment(appointment_id, now)
        intake = appointment.intake
        saved = dict(intake.answers or {}) if intake else {}
        missing = []
        for step in steps_for(appointment):
            if step == "review":
                continue
            try:
                # Settings may have changed since the step was saved (an instrument switched on).
                _validate(step, saved.get(step) or {}, appointment, saved)
            except InvalidAnswers:
                missing.append(step)
        if missing:
            raise IntakeIncomplete(missing)
        intake.language = language
        intake.status = "submitted"
        intake.submitted_at = now
        _derive(intake, now)
        courses.after_intake_submitted(appointment)  # a clean intake confirms a held course
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return intake


def _mark_urgent(intake, codes):
    """Mark the intake urgent and tell the rest of the app (the attention queue opens an item
    and alerts staff, once), inside this transaction. Publishing again with the same codes
    changes nothing."""
    if not codes:
        return
    intake.urgent = True
    db.session.flush()  # a new intake gets its id
    events.publish("intake_urgent", intake_id=intake.id, reasons=tuple(codes))


def _derive(intake, now):
    """(Re)compute everything clinicians query from the answers, replacing what was there."""
    answers = intake.answers
    rules = settings()
    questionnaires = answers.get("questionnaires") or {}
    history = answers.get("history") or {}
    medicines = answers.get("medicines") or {}
    ketamine = answers.get("ketamine") or {}

    scores = {}
    if "midas_q1" in questionnaires:
        scores["midas"] = scoring.score_midas(
            *(questionnaires[f"midas_q{n}"] for n in range(1, 6)),
            a=questionnaires["midas_a"], b=questionnaires["midas_b"])
    if "phq9_1" in questionnaires:
        scores["phq9"] = scoring.score_phq9(
            [questionnaires[f"phq9_{n}"] for n in range(1, 10)],
            difficulty=questionnaires["phq9_difficulty"])
    if "gad7_1" in questionnaires:
        scores["gad7"] = scoring.score_gad7(
            [questionnaires[f"gad7_{n}"] for n in range(1, 8)], thresholds=rules.thresholds)
    if "hit6_1" in questionnaires:
        scores["hit6"] = scoring.score_hit6([questionnaires[f"hit6_{n}"] for n in range(1, 7)])

    failed_classes = {row["class"] for row in medicines.get("preventives", [])
                      if row["outcome"] in validation.FAILED_OUTCOMES}
    flags_by_history = scoring.history_flags(
        headache_days=history["headache_days"], migraine_days=history["migraine_days"],
        months_at_frequency=history["months_at_frequency"],
        prior_migraine_attacks_at_least_5=history["prior_attacks_at_least_5"],
        acute_medications=[scoring.AcuteMedication(row["class"], row["days_per_month"])
                           for row in medicines.get("acute", [])],
        any_acute_days=medicines["any_acute_days"],
        any_non_opioid_days=medicines["any_non_opioid_days"],
        failed_preventive_classes=len(failed_classes),
        debilitating_days=history["debilitating_days"], thresholds=rules.thresholds,
    )
    found = scoring.red_flags(
        phq9=scores.get("phq9"), gad7=scores.get("gad7"), midas=scores.get("midas"),
        hit6=scores.get("hit6"),
        headache_red_flags=[key.removeprefix("red_") for key in validation.RED_FLAG_KEYS
                            if history.get(key)],
        ketamine_prescreen_positive=[key for key in validation.KETAMINE_ITEMS
                                     if ketamine.get(key)],
        history=flags_by_history, thresholds=rules.thresholds,
    )

    intake.chronic_migraine_criteria = flags_by_history.chronic_migraine
    intake.medication_overuse_classes = list(flags_by_history.medication_overuse)
    intake.high_acute_medication_use = flags_by_history.high_acute_medication_use
    intake.resistant_migraine_criteria = flags_by_history.resistant_migraine
    _mark_urgent(intake, [flag.code for flag in found if flag.urgent])

    # Replace the derived rows (delete-orphan cascades remove the old ones). A HIT-6 total a
    # clinician typed from a licensed paper form (no item answers) is not derived from the
    # answers, so it and its flag are kept.
    typed_hit6 = [r for r in intake.responses if r.instrument == "hit6" and not r.items]
    if "hit6" in scores:
        typed_hit6 = []
    intake.responses = typed_hit6 + [
        QuestionnaireResponse(
            instrument=score.instrument, version=score.version,
            # The language the questions were SHOWN in: MIDAS has no official Ukrainian
            # version, so it is always asked in English.
            language="en" if score.instrument == "midas" else intake.language,
            items=list(score.items), total=score.total, band=score.band, flags=list(score.flags),
            warnings=list(score.warnings), recorded_at=now,
            loinc_total=scoring.INSTRUMENTS[score.instrument]["loinc"].get("total"),
        )
        for score in scores.values()
    ]
    kept_flags = [f for f in intake.flags if f.code == "hit6_severe" and typed_hit6]
    intake.flags = kept_flags + [
        IntakeFlag(code=flag.code, urgent=flag.urgent, action=flag.action,
                   details=list(flag.details)) for flag in found]
    intake.acute_medications = [
        AcuteMedicationUse(name=row["name"], drug_class=row["class"],
                           days_per_month=row["days_per_month"], effect=row["effect"])
        for row in medicines.get("acute", [])
    ]
    intake.preventives = [
        PreventiveTrial(drug=row["drug"], drug_class=row["class"], dose=row["dose"],
                        weeks=row["weeks"], outcome=row["outcome"])
        for row in medicines.get("preventives", [])
    ]
    pain = answers.get("pain") or {}
    intake.pain_ratings = [
        PainRating(patient_id=intake.patient.id, source="intake", kind=kind.removeprefix("pain_"),
                   value=pain[kind], recorded_at=now)
        for kind in validation.PAIN_KEYS if kind in pain
    ]
