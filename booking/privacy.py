"""Patient data rights: see what is held, export it, erase it.

- `patient_holdings(patient_id)`: the patient and counts of what is held about them (the admin's
  privacy page shows numbers only, never a clinical value).
- Export (everything held about one patient as JSON) lives in booking/patient_export.py.
- `erase_patient(patient_id, actor=...)`: ONE transaction. Contact details anonymised, intake
  and everything derived from it deleted, session records deleted, follow-up answers cleared,
  waitlist entries deleted, unsent emails deleted and sent ones blanked, every private link
  (appointments, course, follow-ups, waitlist offers) made unusable. Appointments and courses
  stay (times, status, service, practitioner) so the calendar and the statistics stay true;
  consents stay as (kind, version, given_at). Audited "patient.erase" with counts.
- Purging what is past retention lives in booking/retention.py (it uses the erasure here for
  people who booked but never came).

Audit events carry ids and counts only: never a name, an address, an answer or a value.
"""
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, false, func, or_, select

from . import audit
from .database import begin_write
from .diary import data_rights as diary_data
from .extensions import db
from .models import (
    AcuteMedicationUse,
    AdverseEvent,
    Appointment,
    AttentionItem,
    Consent,
    Course,
    FollowUpRequest,
    InfusionRate,
    InfusionSession,
    Intake,
    IntakeFlag,
    MessageLink,
    OutboxMessage,
    PainRating,
    Patient,
    PreventiveTrial,
    QuestionnaireResponse,
    TelegramLink,
    VitalSign,
    WaitlistEntry,
    WaitlistOffer,
)
from .notifications.outbox import clean_header
from .scheduler.manage_links import hash_token
from .timeutil import to_local

CONFIRM_WORD = "ERASE"
ERASED_TEXT = "[erased]"
ERASED_BIRTH_DATE = date(1900, 1, 1)

_CHUNK = 500  # ids per IN (...) list: SQLite's variable limit


class PrivacyError(Exception):
    """A request that breaks a rule: `fields` holds a message per form field (422)."""

    status = 422

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {key: str(value) for key, value in (fields or {}).items()}


# --- Small helpers --------------------------------------------------------------------------------

def erased_name(patient_id):
    return f"Erased patient #{patient_id}"


def erased_email(patient_id):
    return f"erased-{patient_id}@invalid"


def is_erased(patient):
    return patient.email == erased_email(patient.id) and patient.full_name == erased_name(
        patient.id)


def _dead_hash():
    """A token hash nobody can present: the hash of a random token thrown away at once."""
    return hash_token(secrets.token_urlsafe(32))


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _ids(statement):
    return list(db.session.execute(statement).scalars())


def _delete_ids(model, ids):
    count = 0
    for part in _chunks(ids):
        count += db.session.execute(
            delete(model).where(model.id.in_(part)).execution_options(synchronize_session=False)
        ).rowcount
    return count


def _delete_where(model, condition):
    return db.session.execute(delete(model).where(condition)
                              .execution_options(synchronize_session=False)).rowcount or 0


def _delete_children(model, column, parent_ids):
    count = 0
    for part in _chunks(parent_ids):
        count += db.session.execute(
            delete(model).where(column.in_(part)).execution_options(synchronize_session=False)
        ).rowcount
    return count


def _count(model, *conditions):
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)
                              ).scalar_one()


def _instant(value):
    """An aware instant as ISO 8601 with the clinic's offset, e.g. 2026-12-08T10:00:00+02:00."""
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def _plain(value):
    """A stored value as JSON can carry it."""
    if isinstance(value, datetime):
        return _instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _rows(model, ids, *order):
    if not ids:
        return []
    found = []
    for part in _chunks(ids):
        found.extend(db.session.execute(select(model).where(model.id.in_(part))).scalars())
    return sorted(found, key=lambda row: tuple(getattr(row, name) or 0 for name in order))


# --- What belongs to a patient ---------------------------------------------------------------------

@dataclass
class _Scope:
    """The ids of every row about one patient, read inside the caller's transaction."""

    patient: Patient
    appointment_ids: list = field(default_factory=list)
    course_ids: list = field(default_factory=list)
    intake_ids: list = field(default_factory=list)
    session_ids: list = field(default_factory=list)
    follow_up_ids: list = field(default_factory=list)
    waitlist_entry_ids: list = field(default_factory=list)
    waitlist_offer_ids: list = field(default_factory=list)  # offers of those entries
    linked_offer_ids: list = field(default_factory=list)  # other offers that booked for them
    outbox_ids: list = field(default_factory=list)


def _in(column, ids):
    """column IN ids, as an always-false condition when there are none."""
    return column.in_(ids) if ids else false()


def _scope(patient):
    scope = _Scope(patient)
    pid = patient.id
    scope.appointment_ids = _ids(select(Appointment.id).where(Appointment.patient_id == pid)
                                 .order_by(Appointment.id))
    scope.course_ids = _ids(select(Course.id).where(Course.patient_id == pid).order_by(Course.id))
    scope.intake_ids = _ids(select(Intake.id).where(or_(
        Intake.patient_id == pid, _in(Intake.appointment_id, scope.appointment_ids)))
        .order_by(Intake.id))
    scope.session_ids = _ids(select(InfusionSession.id).where(or_(
        _in(InfusionSession.appointment_id, scope.appointment_ids),
        _in(InfusionSession.course_id, scope.course_ids))).order_by(InfusionSession.id))
    scope.follow_up_ids = _ids(select(FollowUpRequest.id).where(
        _in(FollowUpRequest.course_id, scope.course_ids)).order_by(FollowUpRequest.id))

    # Waitlist entries carry their own contact details: the patient's are those with the same
    # email and date of birth (how a returning patient is recognised), or the entry whose offer
    # booked one of their appointments.
    booked_through = _ids(select(WaitlistOffer.entry_id).where(
        _in(WaitlistOffer.appointment_id, scope.appointment_ids)))
    scope.waitlist_entry_ids = _ids(select(WaitlistEntry.id).where(or_(
        and_(func.lower(WaitlistEntry.email) == patient.email.lower(),
             WaitlistEntry.date_of_birth == patient.date_of_birth),
        _in(WaitlistEntry.id, booked_through))).order_by(WaitlistEntry.id))
    scope.waitlist_offer_ids = _ids(select(WaitlistOffer.id).where(
        _in(WaitlistOffer.entry_id, scope.waitlist_entry_ids)).order_by(WaitlistOffer.id))
    scope.linked_offer_ids = _ids(select(WaitlistOffer.id).where(
        _in(WaitlistOffer.appointment_id, scope.appointment_ids),
        ~_in(WaitlistOffer.id, scope.waitlist_offer_ids)).order_by(WaitlistOffer.id))
    scope.outbox_ids = _outbox_ids(scope)
    return scope


def _outbox_ids(scope):
    """Emails to this patient: those about their appointments, and those addressed to them
    that belong to no appointment (course, follow-up and waitlist emails). When someone else
    (a family member) uses the same address, only those carrying this patient's name count."""
    patient = scope.patient
    entries = db.session.execute(
        select(WaitlistEntry.email, WaitlistEntry.full_name)
        .where(_in(WaitlistEntry.id, scope.waitlist_entry_ids))).all()
    addresses = {patient.email.lower()} | {email.lower() for email, _name in entries}
    names = {clean_header(patient.full_name, 120)} | {clean_header(name, 120)
                                                      for _email, name in entries}
    shared = set(db.session.execute(
        select(func.lower(Patient.email))
        .where(func.lower(Patient.email).in_(addresses), Patient.id != patient.id)).scalars())
    shared |= set(db.session.execute(
        select(func.lower(WaitlistEntry.email))
        .where(func.lower(WaitlistEntry.email).in_(addresses),
               ~_in(WaitlistEntry.id, scope.waitlist_entry_ids))).scalars())
    own = addresses - shared
    addressed = or_(
        func.lower(OutboxMessage.to_address).in_(own) if own else false(),
        and_(func.lower(OutboxMessage.to_address).in_(shared),
             OutboxMessage.to_name.in_(names)) if shared else false(),
    )
    return _ids(select(OutboxMessage.id).where(or_(
        _in(OutboxMessage.appointment_id, scope.appointment_ids),
        OutboxMessage.patient_id == patient.id,  # SMS, Viber, Telegram and the bot's answers
        and_(OutboxMessage.appointment_id.is_(None), addressed))).order_by(OutboxMessage.id))


# --- The privacy page: counts of what is held ------------------------------------------------------

@dataclass
class Holdings:
    patient: Patient
    erased: bool
    counts: dict  # kind -> number, in display order


def patient_holdings(patient_id):
    """The patient and how many rows of each kind are held about them, or None."""
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        return None
    scope = _scope(patient)
    counts = _counts(scope)
    db.session.rollback()  # a read: end the transaction the queries opened
    return Holdings(patient, is_erased(patient), counts)


def _counts(scope):
    intakes, sessions = scope.intake_ids, scope.session_ids
    return {
        "appointments": len(scope.appointment_ids),
        "courses": len(scope.course_ids),
        "consents": _count(Consent, Consent.patient_id == scope.patient.id),
        "intakes": len(intakes),
        "questionnaire_responses": _count(QuestionnaireResponse,
                                          _in(QuestionnaireResponse.intake_id, intakes)),
        "intake_flags": _count(IntakeFlag, _in(IntakeFlag.intake_id, intakes)),
        "attention_items": _count(AttentionItem, _in(AttentionItem.intake_id, intakes)),
        "acute_medications": _count(AcuteMedicationUse,
                                    _in(AcuteMedicationUse.intake_id, intakes)),
        "preventive_trials": _count(PreventiveTrial, _in(PreventiveTrial.intake_id, intakes)),
        "pain_ratings": _count(PainRating, or_(PainRating.patient_id == scope.patient.id,
                                               _in(PainRating.intake_id, intakes))),
        "session_records": len(sessions),
        "vital_signs": _count(VitalSign, _in(VitalSign.session_id, sessions)),
        "infusion_rates": _count(InfusionRate, _in(InfusionRate.session_id, sessions)),
        "adverse_events": _count(AdverseEvent, _in(AdverseEvent.session_id, sessions)),
        "follow_ups": len(scope.follow_up_ids),
        "follow_ups_answered": _count(FollowUpRequest, _in(FollowUpRequest.id, scope.follow_up_ids),
                                      FollowUpRequest.answered_at.is_not(None)),
        "waitlist_entries": len(scope.waitlist_entry_ids),
        "waitlist_offers": len(scope.waitlist_offer_ids),
        "emails_unsent": _count(OutboxMessage, _in(OutboxMessage.id, scope.outbox_ids),
                                OutboxMessage.status != "sent"),
        "emails_sent": _count(OutboxMessage, _in(OutboxMessage.id, scope.outbox_ids),
                              OutboxMessage.status == "sent"),
        **diary_data.counts(scope.patient.id),
    }


COUNT_LABELS = {
    "appointments": _l("Appointments"),
    "courses": _l("Treatment courses"),
    "consents": _l("Consents"),
    "intakes": _l("Intake questionnaires"),
    "questionnaire_responses": _l("Questionnaire scores"),
    "intake_flags": _l("Intake flags"),
    "attention_items": _l("Urgent-intake attention items"),
    "acute_medications": _l("Acute medicines"),
    "preventive_trials": _l("Preventive treatments tried"),
    "pain_ratings": _l("Pain ratings"),
    "session_records": _l("Treatment session records"),
    "vital_signs": _l("Vital-sign readings"),
    "infusion_rates": _l("Infusion rates"),
    "adverse_events": _l("Adverse events"),
    "follow_ups": _l("Follow-up requests"),
    "follow_ups_answered": _l("Follow-ups answered"),
    "waitlist_entries": _l("Waitlist entries"),
    "waitlist_offers": _l("Waitlist offers"),
    "emails_unsent": _l("Emails not sent yet"),
    "emails_sent": _l("Emails sent"),
    "diary_entries": _l("Headache diary days"),
    "diary_medicines": _l("Medicines noted in the diary"),
    "diary_links": _l("Diary reminder links"),
    "preventive_starts": _l("New preventives noted by a clinician"),
}


# --- Erasure ---------------------------------------------------------------------------------------

def check_confirmation(word):
    """The admin must type the word ERASE; anything else is refused (422)."""
    if str(word or "").strip() != CONFIRM_WORD:
        raise PrivacyError(_l("Nothing was erased."), {
            "confirm": _l("Please type %(word)s in capital letters to confirm.",
                          word=CONFIRM_WORD)})


def erase_patient(patient_id, confirm, *, actor=None):
    """Erase one patient's personal and clinical data in ONE transaction (see the module's
    docstring for what goes and what stays). `confirm` is what the admin typed: it must be
    ERASE. Returns the counts (also in the audit event "patient.erase"). Raises PrivacyError
    (422) or LookupError (404)."""
    try:
        begin_write()
        patient = db.session.get(Patient, patient_id)
        if patient is None:
            raise LookupError("patient")
        check_confirmation(confirm)
        if db.session.execute(select(AttentionItem.id).where(
                AttentionItem.patient_id == patient.id, AttentionItem.status == "open")).first():
            # An urgent intake nobody has acted on: erasing would remove the only record that
            # the patient needs to be contacted.
            raise PrivacyError(_l("Nothing was erased: this patient has an urgent intake that no "
                                  "clinician has acknowledged yet. A clinician must contact the "
                                  "patient and acknowledge it on the attention page first."))
        counts = _erase(patient)
        audit.record("patient.erase", object_type="patient", object_id=patient.id,
                     details={"counts": counts}, actor=actor)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts


def _delete_intakes(intake_ids):
    """Intakes with every row derived from them. Returns counts per kind."""
    counts = {
        "attention_items": _delete_children(AttentionItem, AttentionItem.intake_id, intake_ids),
        "questionnaire_responses": _delete_children(
            QuestionnaireResponse, QuestionnaireResponse.intake_id, intake_ids),
        "intake_flags": _delete_children(IntakeFlag, IntakeFlag.intake_id, intake_ids),
        "acute_medications": _delete_children(AcuteMedicationUse, AcuteMedicationUse.intake_id,
                                              intake_ids),
        "preventive_trials": _delete_children(PreventiveTrial, PreventiveTrial.intake_id,
                                              intake_ids),
        "intake_pain_ratings": _delete_children(PainRating, PainRating.intake_id, intake_ids),
    }
    counts["intakes"] = _delete_ids(Intake, intake_ids)
    return counts


def _erase(patient):
    """The erasure itself, in the caller's transaction. Returns counts per kind."""
    scope = _scope(patient)
    pid = patient.id
    counts = {}

    # Clinical data: pain ratings (all sources), intakes and what was derived from them,
    # treatment session records with their readings.
    counts["pain_ratings"] = db.session.execute(
        delete(PainRating).where(PainRating.patient_id == pid)
        .execution_options(synchronize_session=False)).rowcount
    intake_counts = _delete_intakes(scope.intake_ids)
    counts["pain_ratings"] += intake_counts.pop("intake_pain_ratings")
    counts.update(intake_counts)
    counts["vital_signs"] = _delete_children(VitalSign, VitalSign.session_id, scope.session_ids)
    counts["infusion_rates"] = _delete_children(InfusionRate, InfusionRate.session_id,
                                                scope.session_ids)
    counts["adverse_events"] = _delete_children(AdverseEvent, AdverseEvent.session_id,
                                                scope.session_ids)
    counts["session_records"] = _delete_ids(InfusionSession, scope.session_ids)
    counts.update(diary_data.erase(pid))  # the headache diary, its settings and links

    # Follow-ups: the answers go, the request stays (a course's follow-up happened or not),
    # its link dies.
    for row in _rows(FollowUpRequest, scope.follow_up_ids):
        row.pain = None
        row.headache_days = None
        row.midas = None
        row.token_hash = _dead_hash()
    counts["follow_ups_cleared"] = len(scope.follow_up_ids)

    # Emails: unsent ones are deleted, sent ones keep only that they were sent (and when).
    # Collected before the waitlist rows they may be found through are deleted.
    messages = _rows(OutboxMessage, scope.outbox_ids)
    unsent = [m.id for m in messages if m.status != "sent"]
    counts["emails_deleted"] = _delete_ids(OutboxMessage, unsent)
    blanked = 0
    for message in messages:
        if message.status == "sent":
            message.subject = ERASED_TEXT
            message.text_body = ERASED_TEXT
            message.html_body = ERASED_TEXT
            message.ics = None
            message.to_address = erased_email(pid)
            message.to_name = ""
            message.last_error = None
            blanked += 1
    counts["emails_blanked"] = blanked

    # The waitlist: entries (contact details and wishes) and their offers go; another offer
    # that booked one of the patient's appointments loses its link.
    counts["waitlist_offers"] = _delete_ids(WaitlistOffer, scope.waitlist_offer_ids)
    counts["waitlist_entries"] = _delete_ids(WaitlistEntry, scope.waitlist_entry_ids)
    for offer in _rows(WaitlistOffer, scope.linked_offer_ids):
        offer.token_hash = _dead_hash()

    # Appointments and courses stay for the calendar and the statistics; their private links
    # die and free text that may describe the person goes.
    for appointment in _rows(Appointment, scope.appointment_ids):
        appointment.manage_token_hash = _dead_hash()
        appointment.cancel_reason = None
    for course in _rows(Course, scope.course_ids):
        course.manage_token_hash = _dead_hash()
        course.review_note = None
    counts["appointments_kept"] = len(scope.appointment_ids)
    counts["courses_kept"] = len(scope.course_ids)
    counts["links_revoked"] = (len(scope.appointment_ids) + len(scope.course_ids)
                               + len(scope.follow_up_ids) + len(scope.linked_offer_ids))

    # Consents hold (kind, version, given_at) only: kept as the record of what was agreed.
    counts["consents_kept"] = _count(Consent, Consent.patient_id == pid)

    # Messages: the Telegram chat and the links short messages carried go; email only.
    counts["links_revoked"] += _delete_where(TelegramLink, TelegramLink.patient_id == pid)
    counts["links_revoked"] += _delete_where(MessageLink, MessageLink.patient_id == pid)
    patient.telegram_chat_id = None
    patient.preferred_channel = "email"
    patient.channel_consent_at = None

    patient.full_name = erased_name(pid)
    patient.email = erased_email(pid)
    patient.phone = ""
    patient.date_of_birth = ERASED_BIRTH_DATE
    db.session.flush()
    return counts
