"""The diary's part of a patient's data rights, for booking/privacy.py: what is held (counts),
the export, and the erasure (in the caller's transaction). Entries with their medicines, the
diary settings, reminder links and the new preventives a clinician noted are all about the one
patient, so erasure deletes them all."""
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import DiaryEntry, DiaryLink, DiaryMedicine, DiarySettings, PreventiveStart

COUNT_KEYS = ("diary_entries", "diary_medicines", "diary_links", "preventive_starts")


def _entry_ids(patient_id):
    return select(DiaryEntry.id).where(DiaryEntry.patient_id == patient_id).scalar_subquery()


def _count(model, condition):
    return db.session.execute(select(func.count()).select_from(model).where(condition)
                              ).scalar_one()


def counts(patient_id):
    return {
        "diary_entries": _count(DiaryEntry, DiaryEntry.patient_id == patient_id),
        "diary_medicines": _count(DiaryMedicine, DiaryMedicine.entry_id.in_(
            _entry_ids(patient_id))),
        "diary_links": _count(DiaryLink, DiaryLink.patient_id == patient_id),
        "preventive_starts": _count(PreventiveStart, PreventiveStart.patient_id == patient_id),
    }


def export(patient_id, instant):
    """The diary as plain values; `instant(dt)` writes an instant (privacy.py's format)."""
    entries = db.session.execute(
        select(DiaryEntry).where(DiaryEntry.patient_id == patient_id)
        .order_by(DiaryEntry.entry_on)).scalars().all()
    settings = db.session.execute(select(DiarySettings).where(
        DiarySettings.patient_id == patient_id)).scalar_one_or_none()
    starts = db.session.execute(select(PreventiveStart).where(
        PreventiveStart.patient_id == patient_id).order_by(PreventiveStart.started_on)
    ).scalars().all()
    return {
        "settings": None if settings is None else {
            "invited_at": instant(settings.invited_at),
            "reminder_hour": settings.reminder_hour,
            "reminders_stopped_at": instant(settings.reminders_stopped_at)},
        "entries": [{
            "date": e.entry_on.isoformat(), "headache": e.headache, "duration": e.duration,
            "worst_pain": e.worst_pain, "one_side": e.one_side, "throbbing": e.throbbing,
            "worse_with_activity": e.worse_with_activity, "nausea_vomiting": e.nausea_vomiting,
            "light_hurts": e.light_hurts, "sound_hurts": e.sound_hurts, "aura": e.aura,
            "felt_like_migraine": e.felt_like_migraine, "pain_2_hours_after_triptan":
                e.relief_2h,
            "medicines": [{"name": m.name, "class": m.drug_class} for m in e.medicines],
            "saved_at": instant(e.updated_at)} for e in entries],
        "new_preventives_started_on": [s.started_on.isoformat() for s in starts],
    }


def erase(patient_id):
    """Delete every diary row of the patient (caller's transaction). Returns counts."""
    found = counts(patient_id)
    options = {"synchronize_session": False}
    db.session.execute(delete(DiaryMedicine).where(
        DiaryMedicine.entry_id.in_(_entry_ids(patient_id))).execution_options(**options))
    for model in (DiaryEntry, DiaryLink, DiarySettings, PreventiveStart):
        db.session.execute(delete(model).where(model.patient_id == patient_id)
                           .execution_options(**options))
    return found
