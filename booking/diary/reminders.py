"""The diary's daily reminder: `queue_due_prompts(now)` (the worker's job "send-diary-prompts",
and the command of the same name for cron, every 5 minutes).

A patient who chose an hour (DiarySettings.reminder_hour, clinic time, never after 21:00) gets
one email a day, queued from that hour on, at most once per patient and date (the outbox's
unique dedupe_key "diary_prompt:<patient>:<date>"), and only
- while their diary goes on (services.active_until: a course's last session + the last
  follow-up's days, another visit of a service offering the diary + DIARY_DAYS_AFTER_VISIT),
- when today's entry is not filled in yet, the reminders are not stopped, and the patient has an
  address (an erased one has none);
- never after 21:00 clinic time: a reminder missed by then (the worker was down) is skipped.

Each email carries a fresh diary link (DiaryLink, the token's sha256 stored, valid
DIARY_LINK_DAYS days): it opens the diary and nothing else. The text is neutral: no word of
headaches, treatments or answers (design.md: no health data in emails).
"""
import secrets
from datetime import time, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..database import begin_write
from ..extensions import db
from ..models import DiaryEntry, DiaryLink, DiarySettings, OutboxMessage, Patient
from ..notifications.messages import canonical_url, email_language, queue_plain, render_email
from ..scheduler.manage_links import hash_token
from ..timeutil import clinic_tz, utcnow
from . import services

LATEST = time(services.LATEST_REMINDER_HOUR, 0)


def link_days():
    return int(current_app.config.get("DIARY_LINK_DAYS", 8))


def _reachable(patient):
    email = (patient.email or "").strip()
    return bool(email) and not email.endswith("@invalid")


def new_link(patient_id, now):
    """A fresh diary link for the patient (in the caller's transaction); their expired links
    go. Returns the token (shown once: in the email)."""
    db.session.execute(delete(DiaryLink).where(DiaryLink.patient_id == patient_id,
                                               DiaryLink.expires_at <= now)
                       .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)  # 256 bits
    db.session.add(DiaryLink(patient_id=patient_id, token_hash=hash_token(token), created_at=now,
                             expires_at=now + timedelta(days=link_days())))
    return token


def queue_prompt(patient, day, now):
    """One reminder email for `day`, in the caller's transaction (dedupe key per patient and
    date: a second one raises IntegrityError at flush)."""
    token = new_link(patient.id, now)
    language = email_language(patient.language)
    with force_locale(language):
        subject = _("Your daily reminder from %(clinic)s",
                    clinic=current_app.config["CLINIC_SHORT_NAME"])
    text, html = render_email("diary_prompt", language, patient_name=patient.full_name,
                              subject=subject, link=canonical_url("diary.home", token=token),
                              link_days=link_days())
    message = queue_plain("diary_prompt", patient.email, patient.full_name, language, subject,
                          text, html, dedupe_key=services.prompt_key(patient.id, day),
                          patient=patient)  # or by the chosen channel (SMS, Viber, Telegram)
    db.session.flush()
    return message


def queue_due_prompts(now=None):
    """Queue every diary reminder due now (see the module's docstring). Safe to run from cron
    and the worker at once. Returns the dedupe keys queued."""
    now = now or utcnow()
    local = now.astimezone(clinic_tz())
    if local.time().replace(second=0, microsecond=0) > LATEST:
        return []
    day = local.date()
    queued = []
    try:
        begin_write()  # SQLite: BEGIN IMMEDIATE, a second run waits and then sees these rows
        rows = db.session.execute(
            select(DiarySettings, Patient)
            .join(Patient, DiarySettings.patient_id == Patient.id)
            .where(DiarySettings.reminder_hour.is_not(None),
                   DiarySettings.reminder_hour <= local.hour,
                   DiarySettings.reminders_stopped_at.is_(None))
            .order_by(DiarySettings.patient_id)).all()
        patients = {patient.id: patient for _settings, patient in rows if _reachable(patient)}
        ids = list(patients)
        until = services.active_until(ids, now)
        ids = [patient_id for patient_id in ids if patient_id in until]  # diary period over
        filled, existing = set(), set()
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            filled.update(db.session.execute(select(DiaryEntry.patient_id).where(
                DiaryEntry.patient_id.in_(part), DiaryEntry.entry_on == day)).scalars())
            existing.update(db.session.execute(select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_([services.prompt_key(p, day) for p in part]))
            ).scalars())
        for patient_id in ids:
            patient = patients[patient_id]
            key = services.prompt_key(patient_id, day)
            if key in existing or patient_id in filled or until.get(patient_id, day) < day:
                continue
            try:
                with db.session.begin_nested():  # a duplicate undoes this email and its link
                    queue_prompt(patient, day, now)
            except IntegrityError:
                continue  # another run queued it first
            queued.append(key)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return queued
