"""Purge what is past retention (`flask --app wsgi purge`, and the worker's nightly job).

`purge(dry_run=...)` removes what is older than the retention periods (config
PRIVACY_RETENTION, defaults in RETENTION_DEFAULTS) in one transaction, audited "privacy.purge"
with counts. It never touches the audit log (append-only) and never deletes the clinical record
of a treated patient: submitted intakes, session records and follow-up answers of patients who
came stay. People who booked but never came are anonymised by the erasure of booking/privacy.py.
Expired one-time links (Telegram start codes, the private links of short messages) go as soon
as they expire: they open nothing any more, and each names a patient.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from . import audit, idempotency
from .database import begin_write
from .extensions import db
from .models import (
    Appointment,
    AppointmentStatus,
    Course,
    IdempotencyKey,
    InfusionSession,
    Intake,
    MessageLink,
    OutboxMessage,
    Patient,
    SignInThrottle,
    TelegramLink,
    WaitlistEntry,
    WaitlistOffer,
)
from .privacy import _chunks, _delete_ids, _delete_intakes, _erase, _ids, _in
from .timeutil import to_local, utcnow

# Retention periods in days; config PRIVACY_RETENTION overrides any of them (None switches a
# kind off). See `retention()`.
RETENTION_DEFAULTS = {
    # Emails that went out: the patient has their copy; ours is kept for questions a while.
    "outbox_sent_days": 90,
    # Emails that never went out: kept longer so staff can see what failed and why.
    "outbox_failed_days": 180,
    # Waitlist entries whose wished period ended (with their offers).
    "waitlist_days": 90,
    # Failed staff sign-ins (typed emails) once their window and lock are over.
    "sign_in_throttle_days": 1,
    # Intakes never submitted, of appointments that started this long ago.
    "unfinished_intake_days": 365,
    # People who booked but never came (every appointment cancelled, no session record):
    # anonymised as by an erasure this long after their last booking activity.
    "cancelled_unconfirmed_patient_days": 730,
}



PURGE_KINDS = (
    "outbox_sent", "outbox_failed", "waitlist_entries", "waitlist_offers", "sign_in_throttle",
    "unfinished_intakes", "patients_anonymised", "idempotency_keys", "telegram_links",
    "message_links",
)


def retention():
    """The retention periods in days: RETENTION_DEFAULTS, overridden by config
    PRIVACY_RETENTION (a partial dict is fine). None switches that kind of purge off."""
    configured = current_app.config.get("PRIVACY_RETENTION", RETENTION_DEFAULTS) or {}
    periods = {**RETENTION_DEFAULTS, **configured}
    for key, value in periods.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"PRIVACY_RETENTION[{key!r}] must be a whole number of days >= 1 "
                             f"or None")
    return periods


def _cutoff(now, days):
    return None if days is None else now - timedelta(days=days)


@dataclass
class PurgePlan:
    ids: dict  # kind -> ids (patients_anonymised: patient ids)

    @property
    def counts(self):
        return {kind: len(self.ids.get(kind, ())) for kind in PURGE_KINDS}


def _plan(now, periods):
    ids = {kind: [] for kind in PURGE_KINDS}

    cutoff = _cutoff(now, periods["outbox_sent_days"])
    if cutoff is not None:
        ids["outbox_sent"] = _ids(select(OutboxMessage.id).where(
            OutboxMessage.status.in_(("sent", "dropped")),  # dropped: a fallback not needed
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff)
            .order_by(OutboxMessage.id))

    cutoff = _cutoff(now, periods["outbox_failed_days"])
    if cutoff is not None:
        ids["outbox_failed"] = _ids(select(OutboxMessage.id).where(
            OutboxMessage.status == "failed", OutboxMessage.created_at < cutoff)
            .order_by(OutboxMessage.id))

    cutoff = _cutoff(now, periods["waitlist_days"])
    if cutoff is not None:
        # An entry has ended by the last day it wished for at the latest.
        last_day = to_local(cutoff).date()
        ids["waitlist_entries"] = _ids(select(WaitlistEntry.id).where(
            WaitlistEntry.last_day < last_day).order_by(WaitlistEntry.id))
        ids["waitlist_offers"] = _ids(select(WaitlistOffer.id).where(
            _in(WaitlistOffer.entry_id, ids["waitlist_entries"])).order_by(WaitlistOffer.id))

    cutoff = _cutoff(now, periods["sign_in_throttle_days"])
    if cutoff is not None:
        ids["sign_in_throttle"] = list(db.session.execute(
            select(SignInThrottle.email).where(
                SignInThrottle.window_started_at < cutoff,
                or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < cutoff))
            .order_by(SignInThrottle.email)).scalars())

    cutoff = _cutoff(now, periods["unfinished_intake_days"])
    if cutoff is not None:
        ids["unfinished_intakes"] = _ids(
            select(Intake.id).join(Appointment, Intake.appointment_id == Appointment.id)
            .where(Intake.status != "submitted", Intake.submitted_at.is_(None),
                   Appointment.starts_at < cutoff).order_by(Intake.id))

    cutoff = _cutoff(now, periods["cancelled_unconfirmed_patient_days"])
    if cutoff is not None:
        ids["patients_anonymised"] = _never_came(cutoff)
    # The API's idempotency keys live IDEMPOTENCY_HOURS (24), whatever the retention settings.
    ids["idempotency_keys"] = _ids(idempotency.expired(now))
    # One-time links live until they expire, whatever the retention settings.
    ids["telegram_links"] = _ids(select(TelegramLink.id).where(TelegramLink.expires_at < now)
                                 .order_by(TelegramLink.id))
    ids["message_links"] = _ids(select(MessageLink.id).where(MessageLink.expires_at < now)
                                .order_by(MessageLink.id))
    return PurgePlan(ids)


def _never_came(cutoff):
    """Patients who booked but never came: every appointment cancelled (none booked, arrived,
    completed or missed), no treatment session record, nothing booked, started or cancelled
    since `cutoff` (no recent waitlist entry either), created before it, not erased already."""
    cancelled = AppointmentStatus.CANCELLED.value
    not_cancelled = select(Appointment.id).where(Appointment.patient_id == Patient.id,
                                                 Appointment.status != cancelled)
    recent = select(Appointment.id).where(
        Appointment.patient_id == Patient.id,
        or_(Appointment.starts_at >= cutoff, Appointment.created_at >= cutoff,
            Appointment.cancelled_at >= cutoff))
    recent_course = select(Course.id).where(
        Course.patient_id == Patient.id,
        or_(Course.created_at >= cutoff, Course.status.in_(("awaiting_review", "confirmed",
                                                            "completed", "not_attended"))))
    waiting = select(WaitlistEntry.id).where(
        func.lower(WaitlistEntry.email) == func.lower(Patient.email),
        WaitlistEntry.date_of_birth == Patient.date_of_birth,
        or_(WaitlistEntry.created_at >= cutoff, WaitlistEntry.last_day >= to_local(cutoff).date()))
    treated = select(InfusionSession.id).join(
        Appointment, InfusionSession.appointment_id == Appointment.id).where(
        Appointment.patient_id == Patient.id)
    return _ids(select(Patient.id).where(
        Patient.created_at < cutoff, ~Patient.email.like("erased-%@invalid"),
        ~not_cancelled.exists(), ~recent.exists(), ~recent_course.exists(), ~waiting.exists(),
        ~treated.exists())
        .order_by(Patient.id))


def purge(*, dry_run=False, now=None):
    """Remove what is past retention, in one transaction; or, with dry_run, only count it.
    Returns {kind: count}. Audited "privacy.purge" (counts and periods) unless dry_run."""
    now = now or utcnow()
    periods = retention()
    if dry_run:
        try:
            return _plan(now, periods).counts
        finally:
            db.session.rollback()  # a read: nothing to keep
    try:
        begin_write()
        plan = _plan(now, periods)
        counts = plan.counts
        ids = plan.ids
        _delete_ids(OutboxMessage, ids["outbox_sent"] + ids["outbox_failed"])
        _delete_ids(WaitlistOffer, ids["waitlist_offers"])
        _delete_ids(WaitlistEntry, ids["waitlist_entries"])
        for part in _chunks(ids["sign_in_throttle"]):
            db.session.execute(delete(SignInThrottle).where(SignInThrottle.email.in_(part))
                               .execution_options(synchronize_session=False))
        _delete_intakes(ids["unfinished_intakes"])
        _delete_ids(IdempotencyKey, ids["idempotency_keys"])
        _delete_ids(TelegramLink, ids["telegram_links"])
        _delete_ids(MessageLink, ids["message_links"])
        for patient_id in ids["patients_anonymised"]:
            _erase(db.session.get(Patient, patient_id))
        audit.record("privacy.purge", details={"counts": counts, "retention_days": periods},
                     actor_label="system")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
