"""A patient's data export: everything held about one patient as plain JSON-ready values (times
ISO 8601 with the clinic's offset), the clinic's answer to a data-subject request. Audited
"patient.export" with counts only. What belongs to a patient is the same scope the erasure in
booking/privacy.py uses.
"""
from flask import current_app
from sqlalchemy import or_, select

from . import audit
from .database import begin_write
from .diary import data_rights as diary_data
from .extensions import db
from .models import (
    Appointment,
    Course,
    FollowUpRequest,
    InfusionSession,
    Intake,
    OutboxMessage,
    PainRating,
    Patient,
    WaitlistEntry,
)
from .privacy import _counts, _in, _instant, _plain, _rows, _scope
from .timeutil import utcnow

EXPORT_FORMAT = "expio-patient-export/1"


def _appointment_row(appointment):
    return {
        "id": appointment.id,
        "reference": appointment.reference,
        "starts_at": _instant(appointment.starts_at),
        "ends_at": _instant(appointment.ends_at),
        "service": appointment.service.name,
        "practitioner": appointment.practitioner.full_name,
        "status": appointment.status,
        "source": appointment.source,
        "course_reference": appointment.course.reference if appointment.course else None,
        "course_day": appointment.course_day,
        "booked_at": _instant(appointment.created_at),
        "cancelled_at": _instant(appointment.cancelled_at),
        "cancelled_by": appointment.cancelled_by,
        "cancel_reason": appointment.cancel_reason,
    }


def _course_row(course):
    return {
        "id": course.id,
        "reference": course.reference,
        "service": course.service.name,
        "practitioner": course.practitioner.full_name,
        "sessions": course.sessions_count,
        "status": course.status,
        "booked_at": _instant(course.created_at),
        "reviewed_at": _instant(course.reviewed_at),
        "review_note": course.review_note,
    }


def _intake_row(intake, references):
    return {
        "id": intake.id,
        "appointment_reference": references.get(intake.appointment_id),
        "status": intake.status,
        "language": intake.language,
        "urgent": intake.urgent,
        "started_at": _instant(intake.started_at),
        "updated_at": _instant(intake.updated_at),
        "submitted_at": _instant(intake.submitted_at),
        "answers": _plain(intake.answers or {}),  # {step: {question: answer}}
        "history_flags": {
            "chronic_migraine_criteria": intake.chronic_migraine_criteria,
            "medication_overuse_classes": _plain(intake.medication_overuse_classes),
            "high_acute_medication_use": intake.high_acute_medication_use,
            "resistant_migraine_criteria": intake.resistant_migraine_criteria,
        },
        "scores": [{
            "instrument": r.instrument, "version": r.version, "language": r.language,
            "items": _plain(r.items), "total": r.total, "band": r.band,
            "flags": _plain(r.flags), "warnings": _plain(r.warnings),
            "loinc_total": r.loinc_total, "recorded_at": _instant(r.recorded_at),
        } for r in intake.responses],
        "flags": [{"code": f.code, "urgent": f.urgent, "action": f.action,
                   "details": _plain(f.details)} for f in intake.flags],
        "acute_medicines": [{"name": m.name, "class": m.drug_class,
                             "days_per_month": m.days_per_month, "effect": m.effect}
                            for m in intake.acute_medications],
        "preventive_treatments": [{"drug": p.drug, "class": p.drug_class, "dose": p.dose,
                                   "weeks": p.weeks, "outcome": p.outcome}
                                  for p in intake.preventives],
        "reviewed_at": _instant(intake.reviewed_at),
        "review_note": intake.review_note,
    }


def _session_row(record, references):
    return {
        "id": record.id,
        "appointment_reference": references.get(record.appointment_id),
        "course_day": record.course_day,
        "started_at": _instant(record.started_at),
        "ended_at": _instant(record.ended_at),
        "dosing_weight_kg": _plain(record.dosing_weight_kg),
        "pain_before": record.pain_before,
        "pain_after": record.pain_after,
        "total_dose_mg": _plain(record.total_dose_mg),
        "max_rate_mg_per_h": _plain(record.max_rate_mg_per_h),
        "max_rate_mg_per_kg_h": _plain(record.max_rate_mg_per_kg_h),
        "stopped": record.stopped,
        "paused": record.paused,
        "stop_reason": record.stop_reason,
        "discharge_criteria_met": record.discharge_criteria_met,
        "escort_present": record.escort_present,
        "vital_sign_alert": record.alert,
        "vital_sign_alert_reasons": _plain(record.alert_reasons),
        "rates": [{"from_minute": r.from_minute, "mg_per_kg_h": _plain(r.mg_per_kg_h),
                   "mg_per_h": _plain(r.mg_per_h)} for r in record.rates],
        "vital_signs": [{"minute": v.minute, "systolic": v.systolic, "diastolic": v.diastolic,
                         "heart_rate": v.heart_rate, "spo2": v.spo2} for v in record.vitals],
        "adverse_events": [{"code": e.code, "severity": e.severity, "note": e.note}
                           for e in record.adverse_events],
        "recorded_at": _instant(record.created_at),
    }


def export_patient(patient_id, *, actor=None):
    """Everything held about one patient, as a dict ready for json.dumps. Audited
    "patient.export" (ids and counts only) in its own transaction. LookupError when unknown."""
    try:
        begin_write()
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            raise LookupError("patient")
        scope = _scope(patient)
        data = _export_data(scope)
        audit.record("patient.export", object_type="patient", object_id=patient.id,
                     details={"counts": _counts(scope)}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return data


def _export_data(scope):
    patient = scope.patient
    appointments = sorted(_rows(Appointment, scope.appointment_ids),
                          key=lambda a: (a.starts_at, a.id))
    references = {a.id: a.reference for a in appointments}
    intakes = _rows(Intake, scope.intake_ids, "id")
    sessions = sorted(_rows(InfusionSession, scope.session_ids),
                      key=lambda s: (s.started_at or s.created_at, s.id))
    pain = db.session.execute(
        select(PainRating).where(or_(PainRating.patient_id == patient.id,
                                     _in(PainRating.intake_id, scope.intake_ids)))
        .order_by(PainRating.recorded_at, PainRating.id)).scalars().all()
    follow_ups = _rows(FollowUpRequest, scope.follow_up_ids, "id")
    course_refs = {c.id: c.reference for c in _rows(Course, scope.course_ids)}
    entries = _rows(WaitlistEntry, scope.waitlist_entry_ids, "id")
    messages = _rows(OutboxMessage, scope.outbox_ids, "id")
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _instant(utcnow()),
        "clinic": current_app.config["CLINIC_NAME"],
        "patient": {
            "id": patient.id,
            "full_name": patient.full_name,
            "email": patient.email,
            "phone": patient.phone,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "language": patient.language,
            "first_contact_at": _instant(patient.created_at),
            "messages_by": patient.preferred_channel,
            "messages_opt_in_at": _instant(patient.channel_consent_at),
            "telegram_chat": patient.telegram_chat_id,
        },
        "consents": [{"kind": c.kind, "version": c.version, "given_at": _instant(c.given_at)}
                     for c in patient.consents],
        "appointments": [_appointment_row(a) for a in appointments],
        "courses": [_course_row(c) for c in _rows(Course, scope.course_ids, "id")],
        "intakes": [_intake_row(i, references) for i in intakes],
        "pain_ratings": [{"source": r.source, "kind": r.kind, "value": r.value,
                          "recorded_at": _instant(r.recorded_at),
                          "intake_id": r.intake_id, "loinc": r.loinc} for r in pain],
        "treatment_sessions": [_session_row(s, references) for s in sessions],
        "follow_ups": [{
            "course_reference": course_refs.get(f.course_id), "label": f.label,
            "due_on": f.due_on.isoformat(), "answered_at": _instant(f.answered_at),
            "pain": f.pain, "headache_days": f.headache_days, "midas": _plain(f.midas),
        } for f in follow_ups],
        "waitlist_entries": [{
            "service": e.service.name,
            "practitioner": e.practitioner.full_name if e.practitioner else None,
            "full_name": e.full_name, "email": e.email, "phone": e.phone,
            "date_of_birth": e.date_of_birth.isoformat(), "language": e.language,
            "first_day": e.first_day.isoformat(), "last_day": e.last_day.isoformat(),
            "earliest": _plain(e.earliest), "latest": _plain(e.latest),
            "weekdays": _plain(e.weekdays), "status": e.status,
            "joined_at": _instant(e.created_at),
        } for e in entries],
        "headache_diary": diary_data.export(patient.id, _instant),
        "emails": [{"kind": m.kind, "to": m.to_address, "subject": m.subject,
                    "status": m.status, "queued_at": _instant(m.created_at),
                    "sent_at": _instant(m.sent_at)}
                   for m in messages if m.channel == "email"],
        "messages": [{"kind": m.kind, "channel": m.channel, "to": m.to_address,
                      "text": m.text_body, "status": m.status,
                      "queued_at": _instant(m.created_at), "sent_at": _instant(m.sent_at)}
                     for m in messages if m.channel != "email"],
    }
