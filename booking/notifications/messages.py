"""The emails patients get, composed and queued in the outbox.

Every `queue_*` function adds its message to the CURRENT transaction (outbox.queue) and commits
nothing: the services call them right before their own commit, so a message exists exactly when
the change that causes it was committed. Delivery is `flask --app wsgi send-mail` (sender.py).

Content rules:
- No health data: never intake answers, scores, a cancellation reason typed by someone, or the
  therapy. The visit is "an appointment at Expio" / "a treatment course at Expio"; the service
  is named in the body (never in the subject) only when EMAIL_NAMES_SERVICES is True.
- Plain text and HTML (templates/email/, HTML escaped by Jinja), in the patient's language
  (flask_babel.force_locale), times in Kyiv time with the weekday.
- Links are built on CANONICAL_URL, never on a request's Host header.
- Only the confirmation carries the private manage link: the token exists only while booking
  (the database keeps its hash). Later messages say "use the link in your confirmation email,
  or call the clinic".
- Only patients with an email address get messages.

Helpers for other areas (e.g. the waitlist): `queue_plain`, `render_email`, `canonical_url`.
"""
import re
from dataclasses import dataclass
from datetime import timedelta

from babel.dates import format_date as babel_format_date
from flask import current_app, render_template
from flask_babel import gettext, force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..database import begin_write
from ..extensions import db
from ..localized import localized
from ..models import Appointment, AppointmentStatus, OutboxMessage, Patient
from ..scheduler.contacts import international_phone
from ..timeutil import clinic_tz, utcnow
from ..channels import button_data
from . import calendar, outbox, short_messages
from .links import canonical_url  # noqa: F401  (messages.canonical_url, for other areas)

DATE_PATTERN = "EEEE, d MMMM y"  # "Tuesday, 8 December 2026"

# Course changes: what happened -> (the .ics method, the template's wording key).
COURSE_CHANGES = {
    "cancel_rest": "CANCEL",       # the patient or the desk cancelled every session still to come
    "move_rest": "REQUEST",        # every session still to come moved
    "move_session": "REQUEST",     # one session moved
    "session_cancelled": "CANCEL",  # one session cancelled by the desk
    "declined": "CANCEL",          # a clinician declined the course: its sessions were freed
}


# --- Building blocks -----------------------------------------------------------------------------

def email_language(language):
    """A language we write in: the patient's, else the default."""
    return language if language in current_app.config["LANGUAGES"] \
        else current_app.config["BABEL_DEFAULT_LOCALE"]


def _reachable(patient):
    """A patient we can write to: an email address, and not erased (data rights)."""
    email = (patient.email or "").strip() if patient is not None else ""
    return bool(email) and not email.endswith("@invalid")


@dataclass(frozen=True)
class Visit:
    """One appointment as an email shows it (already formatted in the message's language)."""

    date: str        # "Tuesday, 8 December 2026"
    starts: str      # "10:00" (Kyiv)
    ends: str
    reference: str
    day: int | None = None     # a course session: day k of n
    count: int | None = None


def _format_day(instant):
    local = instant.astimezone(clinic_tz())
    return babel_format_date(local.date(), DATE_PATTERN, locale=get_locale())


def _clock(instant):
    return instant.astimezone(clinic_tz()).strftime("%H:%M")


def _visit(appointment):
    course = appointment.course if appointment.course_id is not None else None
    return Visit(
        date=_format_day(appointment.starts_at), starts=_clock(appointment.starts_at),
        ends=_clock(appointment.ends_at), reference=appointment.reference,
        day=appointment.course_day if course is not None else None,
        count=course.sessions_count if course is not None else None)


def _sessions(course):
    return sorted(course.appointments, key=lambda a: (a.course_day or 0, a.starts_at))


def needs_escort(service):
    """Infusion services (a chair kept for observation afterwards): the patient needs someone
    to take them home and must not drive that day."""
    return bool(service.observation_minutes) or "infusion" in (service.resource_kind or "")


def _service_name(service):
    """Only when the clinic names services in emails; in the email's language (force_locale)."""
    return localized(service, "name") if current_app.config.get("EMAIL_NAMES_SERVICES") else None


def _clinic():
    """The clinic as emails show it. Emails sign with the short name ("Expio"): the full name
    names the clinic's therapies, which is health data on a lock screen."""
    config = current_app.config
    return {"name": gettext(config["CLINIC_NAME"]), "short_name": config["CLINIC_SHORT_NAME"],
            "address": gettext(config["CLINIC_ADDRESS"]),
            "phone": international_phone(config["CLINIC_PHONE"]),
            "opens": config["CLINIC_OPENS"], "closes": config["CLINIC_CLOSES"]}


def _tidy_text(text):
    """Plain text from a template: no trailing spaces, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_email(template, language, **context):
    """(text, html) of templates/email/<template>.txt and .html, rendered in `language`.

    Both get `clinic` (name, address, phone, hours) and `language`; HTML is escaped by Jinja.
    For other areas' messages (e.g. the waitlist): write the two templates, then queue_plain.
    """
    with force_locale(email_language(language)):
        context = {"clinic": _clinic(), "language": email_language(language), **context}
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
    return _tidy_text(text), html


def _queue(kind, patient, subject, template, context, *, ics=None, ics_method=None,
           appointment_id=None, dedupe_key=None, short=None):
    """Queue the email; a kind that goes by the patient's chosen channel also gets its short
    message there, written by `short(channel)` (short_messages.route)."""
    language = email_language(patient.language)
    text, html = render_email(template, language, patient_name=patient.full_name,
                              subject=subject, **context)
    return outbox.queue(kind, to_address=patient.email, to_name=patient.full_name,
                        subject=subject, text_body=text, html_body=html, language=language,
                        ics=ics, ics_method=ics_method, appointment_id=appointment_id,
                        dedupe_key=dedupe_key, patient=patient, short=short)


def _single_context(appointment, **extra):
    service = appointment.service
    return {"visit": _visit(appointment), "service_name": _service_name(service),
            "escort": needs_escort(service), **extra}


def _queue_single(kind, appointment, subject_of, *, ics_method=None, dedupe_key=None,
                  **extra):
    """Queue the message `kind` (templates email/<kind>.*) about one appointment, in the
    patient's language; None when the patient has no address. `subject_of(visit, clinic)`
    words the subject in that language; `extra` goes to the templates; with `ics_method` the
    message carries the appointment's .ics."""
    patient = appointment.patient
    if not _reachable(patient):
        return None
    language = email_language(patient.language)
    with force_locale(language):
        subject = subject_of(_visit(appointment), current_app.config["CLINIC_SHORT_NAME"])
        context = _single_context(appointment, **extra)
    ics = calendar.build_ics([appointment], ics_method, language=language) if ics_method else None
    return _queue(kind, patient, subject, kind, context, ics=ics, ics_method=ics_method,
                  appointment_id=appointment.id, dedupe_key=dedupe_key,
                  short=lambda channel: short_text(kind, appointment, channel))


# --- Short texts (SMS, Viber, Telegram): short_messages.route asks for them ---------------------

def short_text(kind, appointment, channel, **extra):
    """The short message of `kind` about `appointment` on `channel`, in the current locale."""
    clinic, when = short_messages.clinic(), short_messages.when(appointment.starts_at)
    if kind == "reminder":
        return _reminder_text(appointment, channel)
    if kind == "cancellation":
        text = _("%(clinic)s: appointment %(when)s cancelled.", clinic=clinic, when=when)
        return short_messages.ShortText(
            f"{text}\n{short_messages.stop_line(appointment.patient_id, channel)}")
    texts = {
        "intake_nudge": lambda: _("%(clinic)s: questionnaire to fill in before %(when)s.",
                                  clinic=clinic, when=when),
        "reschedule": lambda: _("%(clinic)s: your appointment moved to %(when)s.",
                                clinic=clinic, when=when),
        "course_change": lambda: _("%(clinic)s: the times of your visits have changed.",
                                   clinic=clinic),
        "course_confirmed": lambda: _("%(clinic)s: your visits are confirmed.", clinic=clinic),
        "course_declined": lambda: _("%(clinic)s: your visits cannot go ahead for now; we "
                                     "will call you.", clinic=clinic),
    }
    return short_messages.ShortText(
        short_messages.with_manage_link(texts[kind](), appointment, channel))


def _reminder_text(appointment, channel):
    """The reminder; on Telegram with its buttons: I will come, Cancel (a single appointment:
    a course is changed on its page), Change time."""
    text = _("%(clinic)s reminder: appointment %(when)s.", clinic=short_messages.clinic(),
             when=short_messages.when(appointment.starts_at))
    if channel != "telegram":
        return short_messages.ShortText(short_messages.with_manage_link(text, appointment,
                                                                        channel))
    answer = [{"text": _("I will come"), "data": button_data("come", appointment.id)}]
    if appointment.course_id is None:
        answer.append({"text": _("Cancel"), "data": button_data("cancel", appointment.id)})
    buttons = [answer, [{"text": _("Change time"), "data": button_data("move", appointment.id)}]]
    return short_messages.ShortText(
        f"{text}\n{_('To stop these messages, send /stop.')}", buttons)


# --- Single appointments -------------------------------------------------------------------------

def queue_confirmation(appointment, token):
    """The booking confirmation, with the private manage link and an .ics (METHOD:REQUEST).
    Called by scheduler.services._create_appointment (online, API and desk bookings)."""
    return _queue_single(
        "confirmation", appointment,
        lambda visit, clinic: _("Your appointment at %(clinic)s: %(date)s, %(time)s",
                                clinic=clinic, date=visit.date, time=visit.starts),
        ics_method="REQUEST", manage_url=canonical_url("scheduler.manage", token=token),
        intake_url=canonical_url("intake.start", token=token))


def queue_moved(appointment):
    """The appointment has a new time: a notice with the updated .ics (same UID, SEQUENCE
    raised). A course session's move is a course change notice. Called by
    scheduler.appointment_changes.move (patient, desk, and course sessions)."""
    if appointment.course_id is not None:
        return queue_course_change(appointment.course, "move_session", [appointment])
    return _queue_single(
        "reschedule", appointment,
        lambda visit, clinic: _("Your appointment at %(clinic)s has moved: %(date)s, %(time)s",
                                clinic=clinic, date=visit.date, time=visit.starts),
        ics_method="REQUEST")


def queue_cancellation(appointment):
    """The appointment is cancelled: a notice with a METHOD:CANCEL .ics. Never repeats the
    reason someone typed (it may say why, medically). Called by
    scheduler.appointment_changes._cancel."""
    if appointment.course_id is not None:
        return queue_course_change(appointment.course, "session_cancelled", [appointment])
    return _queue_single(
        "cancellation", appointment,
        lambda visit, clinic: _("Your appointment at %(clinic)s on %(date)s is cancelled",
                                clinic=clinic, date=visit.date),
        ics_method="CANCEL", by_clinic=appointment.cancelled_by == "clinic",
        book_url=canonical_url("scheduler.index"))


def reminder_key(appointment, hours):
    """One reminder per appointment, time point and version: a moved appointment (sequence
    raised) gets its own."""
    return f"reminder:{hours}:{appointment.id}:{appointment.sequence}"


def intake_nudge_key(appointment):
    return f"intake_nudge:{appointment.id}"


def queue_reminder(appointment, hours):
    """A reminder `hours` before the visit (a course session says which day it is)."""
    return _queue_single(
        "reminder", appointment,
        lambda visit, clinic: _("Reminder: your appointment at %(clinic)s on %(date)s, %(time)s",
                                clinic=clinic, date=visit.date, time=visit.starts),
        dedupe_key=reminder_key(appointment, hours))


def queue_intake_nudge(appointment):
    """"Please finish your questionnaire": no link (we do not have the token), no answers."""
    return _queue_single(
        "intake_nudge", appointment,
        lambda visit, clinic: _("Please fill in your questionnaire before your visit to "
                                "%(clinic)s", clinic=clinic),
        dedupe_key=intake_nudge_key(appointment))


# --- Courses -------------------------------------------------------------------------------------

def _course_context(course, **extra):
    sessions = _sessions(course)
    return {"visits": [_visit(a) for a in sessions], "course_reference": course.reference,
            "count": course.sessions_count, "service_name": _service_name(course.service),
            "escort": needs_escort(course.service), "course_status": course.status, **extra}


def queue_course_confirmation(course, token):
    """ONE message for a booked course: every session ("day k of n", date and time), the manage
    link, and one .ics with a VEVENT per session. Called by courses.services.book_course."""
    patient = course.patient
    if not _reachable(patient):
        return None
    language = email_language(patient.language)
    sessions = _sessions(course)
    with force_locale(language):
        subject = _("Your treatment course at %(clinic)s: %(count)d sessions from %(date)s",
                    clinic=current_app.config["CLINIC_SHORT_NAME"],
                    count=course.sessions_count, date=_format_day(sessions[0].starts_at))
        context = _course_context(
            course, manage_url=canonical_url("scheduler.manage", token=token),
            intake_url=canonical_url("intake.start", token=token))
    return _queue("course_confirmation", patient, subject, "course_confirmation", context,
                  ics=calendar.build_ics(sessions, "REQUEST", language=language),
                  ics_method="REQUEST", appointment_id=sessions[0].id)


def _course_change_intro(change, by_clinic):
    """The first sentence of a course change notice (in the current locale)."""
    clinic = current_app.config["CLINIC_SHORT_NAME"]
    if change == "cancel_rest":
        if by_clinic:
            return _("We are sorry: the clinic had to cancel the remaining sessions of your "
                     "treatment course at %(clinic)s. We will contact you.", clinic=clinic)
        return _("The remaining sessions of your treatment course at %(clinic)s are cancelled, "
                 "as you asked.", clinic=clinic)
    if change == "move_rest":
        return _("The remaining sessions of your treatment course at %(clinic)s have new "
                 "times.", clinic=clinic)
    if change == "move_session":
        return _("A session of your treatment course at %(clinic)s has a new time.",
                 clinic=clinic)
    if change == "session_cancelled":
        if by_clinic:
            return _("We are sorry: the clinic had to cancel a session of your treatment course "
                     "at %(clinic)s. We will contact you.", clinic=clinic)
        return _("A session of your treatment course at %(clinic)s is cancelled, as you asked.",
                 clinic=clinic)
    return _("The clinic cannot go ahead with your treatment course at %(clinic)s for now, so "
             "its sessions are cancelled. We will contact you to talk about what comes next.",
             clinic=clinic)


def queue_course_change(course, change, sessions=None):
    """One notice per change of a course: `change` is a key of COURSE_CHANGES, `sessions` the
    sessions it touched (for "declined": default every cancelled session). The .ics holds
    those sessions: METHOD:CANCEL when they were cancelled, REQUEST with their new times."""
    if change not in COURSE_CHANGES:
        raise ValueError(change)
    patient = course.patient
    if not _reachable(patient):
        return None
    if sessions is None:
        sessions = [a for a in course.appointments
                    if a.status == AppointmentStatus.CANCELLED.value]
    sessions = sorted(sessions, key=lambda a: (a.course_day or 0, a.starts_at))
    if not sessions:
        return None
    method = COURSE_CHANGES[change]
    language = email_language(patient.language)
    with force_locale(language):
        subject = _("Your treatment course at %(clinic)s has changed",
                    clinic=current_app.config["CLINIC_SHORT_NAME"])
        booked = [a for a in _sessions(course) if a.status == AppointmentStatus.BOOKED.value]
        by_clinic = change == "declined" or any(
            a.cancelled_by == "clinic" for a in sessions
            if a.status == AppointmentStatus.CANCELLED.value)
        context = _course_context(
            course, change=change, moved=method == "REQUEST",
            intro=_course_change_intro(change, by_clinic),
            changed=[_visit(a) for a in sessions], still_booked=[_visit(a) for a in booked])
    return _queue("course_change", patient, subject, "course_change", context,
                  ics=calendar.build_ics(sessions, method, language=language),
                  ics_method=method, appointment_id=sessions[0].id,
                  short=lambda channel: short_text("course_change", sessions[0], channel))


def queue_course_decision(course, confirmed):
    """Tell the patient that their held course was confirmed or declined: ONE message per
    decision, sent on the events course_confirmed / course_declined (subscribers.py), in the
    deciding transaction. Never says why, or who looked at what.

    Declined: the course change notice "declined" (the freed sessions, METHOD:CANCEL .ics);
    when no session was freed (all had started), a short notice without sessions instead.
    Confirmed: the sessions still booked, what to bring; no .ics (the confirmation email
    already added them to the calendar, with the same UIDs)."""
    if not confirmed:
        notice = queue_course_change(course, "declined")
        if notice is not None:
            return notice
    patient = course.patient
    if not _reachable(patient):
        return None
    language = email_language(patient.language)
    sessions = _sessions(course)
    booked = [a for a in sessions if a.status == AppointmentStatus.BOOKED.value]
    with force_locale(language):
        clinic = current_app.config["CLINIC_SHORT_NAME"]
        if confirmed:
            subject = _("Your treatment course at %(clinic)s is confirmed", clinic=clinic)
            intro = _("Your treatment course at %(clinic)s is confirmed: your sessions go "
                      "ahead as booked.", clinic=clinic)
        else:
            subject = _("Your treatment course at %(clinic)s has changed", clinic=clinic)
            intro = _course_change_intro("declined", True)
        context = _course_context(course, confirmed=confirmed, intro=intro,
                                  still_booked=[_visit(a) for a in booked])
    kind = "course_confirmed" if confirmed else "course_declined"
    return _queue(kind, patient, subject, "course_decision", context,
                  appointment_id=(booked or sessions)[0].id if sessions else None,
                  short=(lambda channel: short_text(kind, sessions[0], channel))
                  if sessions else None)


# --- Follow-ups ----------------------------------------------------------------------------------

def follow_up_key(request_id):
    return f"follow_up:{request_id}"


def queue_follow_up(item):
    """One email for a CreatedFollowUp (courses.follow_ups), with its private link. In the
    caller's transaction; at most once per request (dedupe key)."""
    patient = db.session.get(Patient, item.patient_id)
    if not _reachable(patient):
        return None
    from ..courses.follow_ups import label_months, label_words

    language = email_language(patient.language)
    with force_locale(language):
        subject = _("How are you since your treatment course at %(clinic)s?",
                    clinic=current_app.config["CLINIC_SHORT_NAME"])
        context = {"link": canonical_url("follow_up.page", token=item.token),
                   "when": label_words(item.label), "months": label_months(item.label),
                   "course_reference": item.course_reference}
    return _queue("follow_up", patient, subject, "follow_up", context,
                  dedupe_key=follow_up_key(item.request_id))


def queue_follow_ups(created):
    """Queue the emails of the follow-up requests just created (send-followups), in one
    transaction; a request that already has its email is skipped. Returns how many were
    queued."""
    if not created:
        return 0
    queued = 0
    try:
        begin_write()
        for item in created:
            try:
                with db.session.begin_nested():  # a duplicate undoes this insert only
                    message = queue_follow_up(item)
            except IntegrityError:
                continue  # already queued
            queued += message is not None
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return queued


# --- Reminders and intake nudges (send-reminders) ------------------------------------------------

def _due_hours(appointment, hours, now):
    """The reminder to send now, or None: of the time points already reached, the latest (the
    nearest to the visit), so a late run sends one reminder, not a burst. None too when the
    appointment was booked or last changed after that point: its confirmation or change
    notice has just told the time."""
    reached = [h for h in hours if appointment.starts_at - timedelta(hours=h) <= now]
    if not reached:
        return None
    chosen = min(reached)
    changed = appointment.updated_at or appointment.created_at
    if changed and changed > appointment.starts_at - timedelta(hours=chosen):
        return None
    return chosen


def _nudge_due(appointment, nudge_hours, now):
    if not nudge_hours or (appointment.course_id is not None and appointment.course_day != 1):
        return False  # a course's intake belongs to its first session
    moment = appointment.starts_at - timedelta(hours=nudge_hours)
    if now < moment:
        return False
    changed = appointment.created_at
    if changed and changed > moment:
        return False  # booked after that point: the confirmation asked for it just now
    intake = appointment.intake
    return intake is None or intake.status != "submitted"


def queue_due_reminders(now=None):
    """Queue every reminder and intake nudge that is due and not queued yet, each exactly once
    (OutboxMessage.dedupe_key is unique; an insert that hits it is "already queued", undone by
    its savepoint). Safe to run from cron every few minutes, from several machines at once.
    Looks only at booked appointments starting within the next max(REMINDER_HOURS,
    INTAKE_NUDGE_HOURS) hours. Returns the dedupe keys queued."""
    now = now or utcnow()
    config = current_app.config
    hours = sorted({int(h) for h in config.get("REMINDER_HOURS") or () if int(h) > 0})
    nudge_hours = int(config.get("INTAKE_NUDGE_HOURS") or 0)
    reach = max(hours + [nudge_hours])
    if reach <= 0:
        return []
    queued = []
    try:
        begin_write()  # SQLite: BEGIN IMMEDIATE, a second run waits and then sees these rows
        appointments = db.session.execute(
            select(Appointment)
            .where(Appointment.status == AppointmentStatus.BOOKED.value,
                   Appointment.starts_at > now,
                   Appointment.starts_at <= now + timedelta(hours=reach))
            .options(selectinload(Appointment.patient), selectinload(Appointment.intake))
            .order_by(Appointment.starts_at, Appointment.id)
        ).scalars().all()
        wanted = []
        for appointment in appointments:
            if not _reachable(appointment.patient):
                continue
            due = _due_hours(appointment, hours, now)
            if due is not None:
                wanted.append((reminder_key(appointment, due), queue_reminder, appointment, due))
            if _nudge_due(appointment, nudge_hours, now):
                wanted.append((intake_nudge_key(appointment), queue_intake_nudge, appointment,
                               None))
        existing = set()
        keys = [key for key, *_rest in wanted]
        for start in range(0, len(keys), 500):
            existing.update(db.session.execute(
                select(OutboxMessage.dedupe_key)
                .where(OutboxMessage.dedupe_key.in_(keys[start:start + 500]))).scalars())
        for key, queue_function, appointment, due in wanted:
            if key in existing:
                continue
            try:
                with db.session.begin_nested():  # a duplicate undoes this insert only
                    if due is None:
                        queue_function(appointment)
                    else:
                        queue_function(appointment, due)
            except IntegrityError:
                continue  # another run queued it first
            queued.append(key)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return queued


# --- Messages other areas write (the waitlist) ---------------------------------------------------

def queue_plain(kind, to_address, to_name, language, subject, text, html="", *,
                dedupe_key=None, appointment_id=None, send_after=None, patient=None,
                short=None):
    """Queue a message whose text the caller wrote, in the caller's transaction (the caller
    commits). `kind` is a short word staff see on the outbox page (e.g. "waitlist_offer").
    Headers are cleaned (no CR/LF); the text must hold no health data. Returns the
    OutboxMessage, or None when there is no address. A dedupe_key that exists already raises
    IntegrityError at flush: use a savepoint (db.session.begin_nested()) when that can happen.
    Use render_email() for a text and HTML body in the person's language, and
    canonical_url() for links.

    A kind that goes by the patient's chosen channel (booking/channels.py: reminders, offers,
    follow-ups, "diary..." prompts) also goes there as a short message: give `patient` (else
    the one patient with this address is found) and, for a text of your own, `short(channel)`
    returning a short_messages.ShortText (else: the subject, the first link, how to stop)."""
    if not (to_address or "").strip():
        return None
    return outbox.queue(kind, to_address=to_address, to_name=to_name or "",
                        subject=subject, text_body=_tidy_text(text), html_body=html or "",
                        language=email_language(language), appointment_id=appointment_id,
                        dedupe_key=dedupe_key, send_after=send_after, patient=patient,
                        short=short)

