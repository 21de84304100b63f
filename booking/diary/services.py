"""Diary services: who a private link belongs to, the days a patient may fill, saving an entry,
the patient's own medicine list, the reminder settings; and loading entries for the figures.

- A diary is reached through the patient's private manage link (a booking or a course of a
  service that offers the diary, or any booking once they were invited) or through the link
  of a daily reminder (`DiaryLink`: the diary alone, for DIARY_LINK_DAYS days). No account.
- A day is a clinic (Kyiv) date. Today and the DIARY_EDIT_DAYS days before can be filled or
  corrected; older days are locked, later ones do not exist yet. Saving is an upsert under the
  unique (patient, date) constraint, so a double tap never makes two entries.
- The acute medicines offered are the patient's own (the acute medicines of their latest
  intake, each with its ICHD class), plus "other / not sure" (class "other").
- Invitation: booking a service that offers the diary (Service.offers_diary) invites the
  patient (`invite`); the manage page links to the diary from then on.

Nothing here logs or audits an answer: audit events carry ids and dates only.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..database import begin_write
from ..extensions import db
from ..intake import scoring
from ..models import (Appointment, AppointmentStatus, DiaryEntry, DiaryLink, DiaryMedicine,
                      DiarySettings, Intake, OutboxMessage, Patient, Service)
from ..rule_error import RuleError
from ..scheduler.manage_links import appointment_by_token, hash_token
from ..timeutil import clinic_tz, utcnow
from . import figures

OTHER_MEDICINE = "other"  # the "other / not sure" choice: class "other", no name
MAX_MEDICINES = 12


class DiaryError(RuleError):
    """A rule broken (422); `fields` maps form fields to messages."""


class DayLocked(DiaryError):
    """The day is older than the days that can still be filled or corrected."""


class DayNotYet(DiaryError):
    """A day after today."""


# --- Settings -----------------------------------------------------------------------------------

def edit_days():
    return int(current_app.config.get("DIARY_EDIT_DAYS", 7))


def reminder_hours():
    """The hours a patient may choose: the setting's, never after 21:00."""
    return tuple(h for h in current_app.config.get("DIARY_REMINDER_HOURS", range(7, 22))
                 if 0 <= int(h) <= LATEST_REMINDER_HOUR)


LATEST_REMINDER_HOUR = 21


def figure_settings(thresholds=None):
    config = current_app.config
    points = (thresholds or scoring.Thresholds(**config.get("INTAKE_THRESHOLDS", {}))
              ).responder_min_points
    return figures.Settings(blocks=int(config.get("DIARY_BLOCKS", figures.DEFAULT_BLOCKS)),
                            min_filled=int(config.get("DIARY_MIN_FILLED_DAYS",
                                                      figures.DEFAULT_MIN_FILLED)),
                            rule=config.get("DIARY_RELAPSE_RULE", figures.DEFAULT_RELAPSE_RULE),
                            min_points=points).checked()


def days_after_course():
    """How long the diary goes on after a course's last session: the setting, or the day of
    the last follow-up (FOLLOW_UPS)."""
    configured = current_app.config.get("DIARY_DAYS_AFTER_COURSE")
    if configured is not None:
        return int(configured)
    return max((int(days) for _label, days in current_app.config.get("FOLLOW_UPS", ())),
               default=figures.DAYS_PER_WINDOW * figure_settings().blocks)


def today(now=None):
    return (now or utcnow()).astimezone(clinic_tz()).date()


def editable_days(now=None):
    """Today first, then the days before that can still be filled or corrected."""
    last = today(now)
    return [last - timedelta(days=n) for n in range(edit_days() + 1)]


def check_editable(day, now=None):
    """Raises DayNotYet or DayLocked for a day that cannot be filled now."""
    current = today(now)
    if day > current:
        raise DayNotYet(_not_yet())
    if day < current - timedelta(days=edit_days()):
        raise DayLocked(_locked(edit_days()))


def _not_yet():
    return _l("This day has not come yet.")


def _locked(days):
    return _l("Only today and the %(days)d days before can be filled in or changed; older "
              "days are locked.", days=days)


def locked_message():
    return _locked(edit_days())


# --- Who a link belongs to -------------------------------------------------------------------------

@dataclass(frozen=True)
class DiaryAccess:
    patient_id: int
    language: str
    via_reminder: bool  # a reminder's diary link: the manage pages are not behind it
    offered: bool = True


def offers_diary(appointment):
    service = appointment.service
    return bool(service is not None and service.offers_diary)


def access_by_token(token, now=None):
    """The diary behind a private link, or None (any wrong or expired token looks the same)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    appointment = appointment_by_token(token)
    if appointment is not None:
        patient = appointment.patient
        if not offers_diary(appointment) and not _invited(patient.id):
            return None
        if _erased(patient):
            return None
        return DiaryAccess(patient.id, patient.language, via_reminder=False)
    link = db.session.execute(
        select(DiaryLink).where(DiaryLink.token_hash == hash_token(token),
                                DiaryLink.expires_at > now)).scalar_one_or_none()
    if link is None:
        return None
    patient = db.session.get(Patient, link.patient_id)
    if patient is None or _erased(patient):
        return None
    return DiaryAccess(patient.id, patient.language, via_reminder=True)


def _erased(patient):
    return (patient.email or "").endswith("@invalid")


def _invited(patient_id):
    return db.session.execute(select(DiarySettings.id).where(
        DiarySettings.patient_id == patient_id,
        DiarySettings.invited_at.is_not(None))).first() is not None


def settings_of(patient_id):
    """The patient's DiarySettings row, or None."""
    return db.session.execute(select(DiarySettings).where(
        DiarySettings.patient_id == patient_id)).scalar_one_or_none()


def invite(patient_id, now=None):
    """Mark the patient invited (once), in the caller's transaction (the booking's)."""
    now = now or utcnow()
    row = settings_of(patient_id)
    if row is None:
        try:
            with db.session.begin_nested():  # a second booking racing this one made it
                db.session.add(DiarySettings(patient_id=patient_id, invited_at=now,
                                             created_at=now, updated_at=now))
        except IntegrityError:
            pass
    elif row.invited_at is None:
        row.invited_at = now
        row.updated_at = now


def invite_for_appointment(appointment_id, now=None):
    """The `booked` / `course_booked` subscribers: invite when the service offers the diary."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is not None and offers_diary(appointment):
        invite(appointment.patient_id, now)


# --- The patient's medicines ------------------------------------------------------------------------

@dataclass(frozen=True)
class MedicineChoice:
    value: str  # what the form posts
    name: str  # "" for "other / not sure"
    drug_class: str


def own_medicines(patient_id):
    """[(name, class)] of the acute medicines in the patient's latest intake (submitted or
    not), in its order, each once."""
    intake = db.session.execute(
        select(Intake).where(Intake.patient_id == patient_id)
        .order_by(Intake.updated_at.desc(), Intake.id.desc()).limit(1)).scalar_one_or_none()
    rows = ((intake.answers or {}).get("medicines") or {}).get("acute") if intake else None
    found = []
    for row in rows or ():
        if not isinstance(row, dict):
            continue
        name = str(row.get("name") or "").strip()[:80]
        class_ = row.get("class")
        if name and class_ in figures.MEDICINE_CLASSES and (name, class_) not in found:
            found.append((name, class_))
    return found[:MAX_MEDICINES]


def medicine_choices(patient_id, entry=None):
    """The patient's own medicines (and any an entry already holds), then "other / not sure"."""
    pairs = own_medicines(patient_id)
    if entry is not None:
        for medicine in entry.medicines:
            pair = (medicine.name, medicine.drug_class)
            if medicine.name and pair not in pairs:
                pairs.append(pair)
    choices = [MedicineChoice(f"m{index}", name, class_)
               for index, (name, class_) in enumerate(pairs)]
    return choices + [MedicineChoice(OTHER_MEDICINE, "", "other")]


# --- Entries ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answers:
    """A day's answers, cleaned by the form (shape) and checked here (meaning)."""

    headache: bool
    duration: str | None = None
    worst_pain: int | None = None
    features: tuple = ()  # codes of figures.FEATURES
    aura: str = figures.AURA_NONE
    felt_like_migraine: bool = False
    medicines: tuple = ()  # MedicineChoice
    relief_2h: str | None = None

    def day_entry(self, day):
        if not self.headache:
            return figures.DayEntry(day, False)
        return figures.DayEntry(
            day, True, duration=self.duration, worst_pain=self.worst_pain,
            aura=self.aura or figures.AURA_NONE, felt_like_migraine=self.felt_like_migraine,
            medicines=tuple(m.drug_class for m in self.medicines), relief_2h=self.relief_2h,
            **{name: name in self.features for name in figures.FEATURES})


def entry_on(patient_id, day):
    return db.session.execute(
        select(DiaryEntry).where(DiaryEntry.patient_id == patient_id, DiaryEntry.entry_on == day)
        .options(selectinload(DiaryEntry.medicines))).scalar_one_or_none()


def save_entry(patient_id, day, answers, now=None):
    """Fill or correct one day (an upsert). Raises DayLocked, DayNotYet, or DiaryError with
    `fields` for answers that break the form's rules. Returns the DiaryEntry."""
    now = now or utcnow()
    check_editable(day, now)
    try:
        figures.check_entry(answers.day_entry(day))
    except scoring.InvalidAnswer as error:
        raise DiaryError(_check_answers(), {_field_of(error.field): _check_answers()})
    for attempt in (1, 2):
        try:
            begin_write()
            entry = entry_on(patient_id, day)
            if entry is None:
                entry = DiaryEntry(patient_id=patient_id, entry_on=day, created_at=now,
                                   headache=answers.headache)
                db.session.add(entry)
            _fill(entry, answers, now)
            db.session.commit()
            return entry
        except IntegrityError:
            db.session.rollback()  # another request made this day's entry: correct that one
            if attempt == 2:
                raise
        except Exception:
            db.session.rollback()
            raise


def _check_answers():
    return _l("Please check this answer.")


def _field_of(name):
    """The form field behind a pure-module field name ("entry 2026-12-07 duration")."""
    return name.rsplit(" ", 1)[-1]


def _fill(entry, answers, now):
    entry.headache = answers.headache
    entry.duration = answers.duration if answers.headache else None
    entry.worst_pain = answers.worst_pain if answers.headache else None
    for name in figures.FEATURES:
        setattr(entry, name, answers.headache and name in answers.features)
    entry.aura = (answers.aura or figures.AURA_NONE) if answers.headache else figures.AURA_NONE
    entry.felt_like_migraine = answers.headache and answers.felt_like_migraine
    entry.relief_2h = answers.relief_2h if answers.headache else None
    entry.medicines.clear()
    if answers.headache:
        for medicine in answers.medicines:
            entry.medicines.append(DiaryMedicine(name=medicine.name,
                                                 drug_class=medicine.drug_class))
    entry.updated_at = now


def day_entry(row):
    """A DiaryEntry row as the pure module's DayEntry."""
    return figures.DayEntry(
        row.entry_on, bool(row.headache), duration=row.duration, worst_pain=row.worst_pain,
        one_side=bool(row.one_side), throbbing=bool(row.throbbing),
        worse_with_activity=bool(row.worse_with_activity),
        nausea_vomiting=bool(row.nausea_vomiting), light_hurts=bool(row.light_hurts),
        sound_hurts=bool(row.sound_hurts), aura=row.aura or figures.AURA_NONE,
        felt_like_migraine=bool(row.felt_like_migraine),
        medicines=tuple(m.drug_class for m in row.medicines), relief_2h=row.relief_2h)


def entries_between(patient_ids, first, last):
    """{patient_id: [DayEntry]} of the entries dated first..last (both included): every read
    of the diary is bounded by the dates it shows."""
    patient_ids = list(patient_ids)
    found = {pid: [] for pid in patient_ids}
    for start in range(0, len(patient_ids), 500):
        rows = db.session.execute(
            select(DiaryEntry)
            .where(DiaryEntry.patient_id.in_(patient_ids[start:start + 500]),
                   DiaryEntry.entry_on >= first, DiaryEntry.entry_on <= last)
            .options(selectinload(DiaryEntry.medicines))
            .order_by(DiaryEntry.patient_id, DiaryEntry.entry_on)).scalars()
        for row in rows:
            found[row.patient_id].append(day_entry(row))
    return found


def classified_between(patient_id, first, last):
    """{date: DayClass} of one patient's entries dated first..last."""
    return figures.classify_all(entries_between([patient_id], first, last)[patient_id])


# --- Reminders ----------------------------------------------------------------------------------------

def set_reminder(patient_id, hour, now=None):
    """Remind the patient every day at `hour` (clinic time). Raises DiaryError for an hour not
    offered (after 21:00, for one)."""
    now = now or utcnow()
    if hour not in reminder_hours():
        message = _l("Please choose one of the times offered.")
        raise DiaryError(message, {"hour": message})
    try:
        begin_write()
        row = settings_of(patient_id)
        if row is None:
            row = DiarySettings(patient_id=patient_id, created_at=now)
            db.session.add(row)
        row.reminder_hour = hour
        row.reminders_stopped_at = None
        row.updated_at = now
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def stop_reminders(patient_id, now=None):
    """Stop the daily reminder at once (nothing more is queued; one queued in the last minutes
    and not sent yet is withdrawn)."""
    now = now or utcnow()
    try:
        begin_write()
        row = settings_of(patient_id)
        if row is not None and row.reminders_stopped_at is None:
            row.reminders_stopped_at = now
            row.updated_at = now
        db.session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"{PROMPT_KEY_PREFIX}{patient_id}:%"),
                   OutboxMessage.status == "pending")
            .execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


PROMPT_KEY_PREFIX = "diary_prompt:"


def prompt_key(patient_id, day):
    return f"{PROMPT_KEY_PREFIX}{patient_id}:{day.isoformat()}"


# --- How long the diary goes on -----------------------------------------------------------------------

def active_until(patient_ids, now=None):
    """{patient_id: last date of their diary period}: after a course's last session
    days_after_course(), after another visit of a service offering the diary
    DIARY_DAYS_AFTER_VISIT; a patient with neither is not in the result. Reads the
    appointments of the last (longest period + 1) days only."""
    now = now or utcnow()
    patient_ids = list(patient_ids)
    if not patient_ids:
        return {}
    after_course = days_after_course()
    after_visit = int(current_app.config.get("DIARY_DAYS_AFTER_VISIT", 28))
    since = now - timedelta(days=max(after_course, after_visit) + 1)
    tz = clinic_tz()
    until = {}
    for start in range(0, len(patient_ids), 500):
        rows = db.session.execute(
            select(Appointment.patient_id, Appointment.starts_at, Appointment.course_id)
            .join(Service, Appointment.service_id == Service.id)
            .where(Appointment.patient_id.in_(patient_ids[start:start + 500]),
                   Appointment.status != AppointmentStatus.CANCELLED.value,
                   Appointment.starts_at >= since, Service.offers_diary.is_(True))).all()
        for patient_id, starts_at, course_id in rows:
            days = after_course if course_id is not None else after_visit
            last = starts_at.astimezone(tz).date() + timedelta(days=days)
            if last > until.get(patient_id, date.min):
                until[patient_id] = last
    return until

