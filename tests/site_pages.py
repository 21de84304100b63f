"""Every page a person can open, built from the app's url_map, with ids from the demo data.

`prepare(app)` picks (or books, through the real services) what the pages need from a database
holding the demo data: a future consultation and a future course with fresh private links, a
submitted intake, a course with session records, a follow-up request, a waitlist entry and an
offer, and one staff account holding every role. `every_page(app, site)` then walks the url_map:
every rule that answers GET with an HTML page becomes one or more URLs. A new page is covered
the moment its route exists; a route whose URL arguments this module cannot fill makes
`every_page` fail with its name (add the argument to _by_name, or the route to _variants).

Used by the browser tests (tests/e2e/test_every_page.py: widths, heights, axe-core, Nu) and by
tests/test_ukrainian_pages.py (no English left on Ukrainian pages).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import url_for
from sqlalchemy import select

from booking.extensions import db
from booking.models import (Appointment, Closure, Course, FollowUpRequest, InfusionSession,
                            Intake, MessageLink, Patient, Service, StaffUser, WaitlistEntry,
                            WaitlistOffer)
from booking.scheduler.manage_links import hash_token
from tests.conftest import STAFF_PASSWORD

EVERY_ROLE = "every-role.pages@example.com"  # receptionist, clinician and admin in one account
CONSULTATION = "First consultation with a neurologist"
COURSE = "Ketamine infusion course"

# Routes that never show a page to a person: files, JSON, health checks, the API and the
# static files. (POST-only routes drop out by themselves.)
NOT_PAGES = {"static", "health.healthz", "health.readyz", "feeds.practitioner_feed",
             "notifications.calendar_file", "dashboard.privacy_export"}
NOT_PAGE_SUFFIXES = (".json", ".csv", ".ics")


@dataclass(frozen=True)
class Page:
    url: str
    endpoint: str
    staff: bool     # a staff page: checked from 768 px up (phones: every other page)
    label: str = ""  # which variant, in test output

    @property
    def intake_step(self):
        return self.endpoint == "intake.step"


@dataclass
class Site:
    """What the pages need, as plain values (ids, tokens, query arguments)."""
    ids: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)         # the future consultation's intake pages
    course_steps: list = field(default_factory=list)  # the future course's intake pages
    course_days: int = 0
    staff_email: str = EVERY_ROLE


def _one(statement):
    found = db.session.execute(statement.limit(1)).scalars().first()
    assert found is not None, f"the demo data has nothing for: {statement}"
    return found


def _stop_link(patient_id, now):
    """A "Stop messages" link such as an SMS carries (MessageLink, hashed)."""
    token = f"pages-stop-{patient_id}"
    db.session.add(MessageLink(token_hash=hash_token(token), purpose="stop", patient_id=patient_id,
                               channel="sms", created_at=now,
                               expires_at=now + timedelta(days=365)))
    return token


def _token(row, column, name):
    """Give a stored row a private link we know (only hashes are stored)."""
    token = f"pages-{name}-{row.id}"
    setattr(row, column, hash_token(token))
    return token


def prepare(app, *, now):
    """Pick and make what every page needs, in `app`'s database (demo data loaded). Books a
    consultation and a course a few weeks ahead (not the first free times, which the journeys
    take) and re-keys a few private links; commits. Returns a Site."""
    from booking.auth import services as staff_accounts
    from booking.courses import services as courses
    from booking.intake import services as intake
    from booking.intake.forms import form_class
    from booking.intake.pages import pages_for
    from booking.scheduler import services as booking
    from booking.scheduler import availability
    from booking.timeutil import clinic_tz

    site = Site()
    with app.app_context():
        service = _one(select(Service).where(Service.name == CONSULTATION))
        course_service = _one(select(Service).where(Service.name == COURSE))
        practitioner = service.practitioners[0]
        today = now.astimezone(clinic_tz()).date()
        later = today + timedelta(days=21)
        slots = availability.find_slots(service, later, later + timedelta(days=14), now=now)
        assert slots, "no free consultation three weeks ahead"
        appointment, manage = booking.book(
            service_id=service.id, start=slots[len(slots) // 2].start,
            practitioner_id=slots[len(slots) // 2].practitioner_id, consent=True,
            language="uk", now=now, patient={
                "full_name": "Sofiia Storinka", "email": "sofiia.pages@example.com",
                "phone": "+380501230099", "date_of_birth": "1984-02-29"})
        course_service.offers_diary = True  # the course's link opens its headache diary
        db.session.commit()
        sessions = courses.session_counts(course_service).start
        starts = courses.find_course_starts(course_service, sessions, later + timedelta(days=7),
                                            later + timedelta(days=35), now=now)
        assert starts, "no course start four to eight weeks ahead"
        course, course_manage = courses.book_course(
            service_id=course_service.id, start=starts[-1].start, sessions=sessions,
            consent=True, language="uk", now=now, patient={
                "full_name": "Taras Kursovyi", "email": "taras.pages@example.com",
                "phone": "+380501230098", "date_of_birth": "1979-11-03"})
        first_free = availability.find_slots(service, today, today + timedelta(days=28), now=now)[0]
        course_start = courses.find_course_starts(
            course_service, sessions, today, today + timedelta(days=28), now=now)[0]

        # Pages about what has happened: a submitted intake, a recorded session, a follow-up.
        submitted = _one(select(Appointment).join(Intake).where(Intake.status == "submitted")
                         .order_by(Appointment.starts_at.desc()))
        recorded = _one(select(Appointment).join(InfusionSession)
                        .order_by(Appointment.starts_at.desc()))
        done_course = db.session.get(Course, recorded.course_id) if recorded.course_id else \
            _one(select(Course).where(Course.status == "completed"))
        waiting_course = _one(select(Course).where(Course.status == "awaiting_review"))
        follow_up = _one(select(FollowUpRequest).where(FollowUpRequest.answered_at.is_(None))
                         .order_by(FollowUpRequest.label.desc(), FollowUpRequest.due_on.desc()))
        answered = _one(select(FollowUpRequest).where(FollowUpRequest.answered_at.is_not(None)))
        entry = _one(select(WaitlistEntry).where(WaitlistEntry.status == "waiting"))
        first = max(entry.first_day, today + timedelta(days=1))
        offered = availability.find_slots(entry.service, first, max(first, entry.last_day), now=now)
        offer_start = (offered[0].start if offered else now + timedelta(days=30))
        offer = WaitlistOffer(entry=entry, starts_at=offer_start,
                              practitioner_id=(offered[0].practitioner_id if offered
                                               else practitioner.id),
                              token_hash=hash_token(f"pages-offer-{entry.id}"), status="offered",
                              created_at=now, details={"service_id": entry.service_id})
        db.session.add(offer)
        db.session.flush()
        site.tokens = {
            "manage": manage, "course": course_manage,
            "submitted": _token(submitted, "manage_token_hash", "submitted"),
            "follow_up": _token(follow_up, "token_hash", "follow-up"),
            "follow_up_answered": _token(answered, "token_hash", "answered"),
            "waitlist": _token(entry, "token_hash", "waitlist"),
            "offer": f"pages-offer-{entry.id}",
            "stop": _stop_link(done_course.patient_id, now),
        }
        patient = db.session.get(Patient, done_course.patient_id)
        site.ids = {
            "service": service.id, "course_service": course_service.id,
            "practitioner": practitioner.id, "appointment": appointment.id,
            "submitted": submitted.id, "recorded": recorded.id, "course": done_course.id,
            "waiting_course": waiting_course.id, "new_course": course.id,
            "patient": patient.id,
            "closure": _one(select(Closure.id)),
            "user": _one(select(StaffUser.id).order_by(StaffUser.id)),
        }
        site.query = {
            "start": first_free.start.isoformat(), "start_practitioner": first_free.practitioner_id,
            "course_start": course_start.start.isoformat(), "sessions": sessions,
            "day": first_free.start.astimezone(clinic_tz()).date().isoformat(),
            "outcomes_from": (today - timedelta(days=200)).isoformat(),
            "outcomes_to": today.isoformat(),
            "today": today.isoformat(), "month": today.strftime("%Y-%m"),
            "locked_day": (today - timedelta(days=20)).isoformat(),
        }
        questionnaires = form_class("questionnaires", intake.settings())
        site.steps = [page.slug for page in pages_for(intake.steps_for(appointment),
                                                      questionnaires) if page.step != "review"]
        first_session = db.session.execute(
            select(Appointment).where(Appointment.course_id == course.id)
            .order_by(Appointment.course_day)).scalars().first()
        site.course_steps = [page.slug for page in pages_for(intake.steps_for(first_session),
                                                             questionnaires)
                             if page.step != "review"]
        site.course_days = sessions
        db.session.commit()
        staff_accounts.create_staff(EVERY_ROLE, STAFF_PASSWORD, ("receptionist", "clinician", "admin"),
                                    full_name="Pavlo Storinkovyi", practitioner_id=practitioner.id)
        db.session.remove()
    return site


# --- The walk -------------------------------------------------------------------------------------

def _by_name(site):
    """URL arguments by name, for the routes that take them."""
    return {
        "service_id": site.ids["service"], "appointment_id": site.ids["appointment"],
        "course_id": site.ids["course"], "patient_id": site.ids["patient"],
        "practitioner_id": site.ids["practitioner"], "user_id": site.ids["user"],
        "closure_id": site.ids["closure"],
    }


# Which private link a <token> is, by the start of the route.
TOKEN_KINDS = (("/manage/", "manage"), ("/follow-up/", "follow_up"),
               ("/waitlist/leave/", "waitlist"), ("/waitlist/offer/", "offer"),
               ("/stop/", "stop"))


def _variants(site):
    """endpoint -> [(label, URL arguments)] where one set of arguments is not enough, or the
    page needs query arguments. Every other route gets its arguments by name (_by_name)."""
    ids, tokens, query = site.ids, site.tokens, site.query
    course = ids["course_service"]
    return {
        "scheduler.slots": [("consultation", {"service_id": ids["service"]})],
        "scheduler.details": [("", {"service_id": ids["service"], "start": query["start"],
                                    "practitioner": query["start_practitioner"]})],
        "scheduler.course_starts": [("", {"service_id": course})],
        "scheduler.course_details": [("", {"service_id": course, "start": query["course_start"],
                                           "sessions": query["sessions"]})],
        "scheduler.manage": [("single", {"token": tokens["manage"]}),
                             ("single-new", {"token": tokens["manage"], "new": 1}),
                             ("course", {"token": tokens["course"]}),
                             ("submitted", {"token": tokens["submitted"]})],
        "scheduler.course_move_session": [
            (f"day-{day}", {"token": tokens["course"], "day": day})
            for day in range(1, site.course_days + 1)],
        "scheduler.course_move": [("", {"token": tokens["course"]})],
        "scheduler.course_cancel": [],
        "intake.step": [(step, {"token": tokens["manage"], "step": step}) for step in site.steps]
        + [(f"course-{step}", {"token": tokens["course"], "step": step})
           for step in site.course_steps if step not in site.steps],
        "intake.answers": [("", {"token": tokens["submitted"]})],
        "follow_up.page": [("open", {"token": tokens["follow_up"]}),
                           ("answered", {"token": tokens["follow_up_answered"]})],
        "waitlist.join": [("", {"service": ids["service"]})],
        "diary.home": [("", {"token": tokens["course"]})],
        "diary.day": [("today", {"token": tokens["course"], "day": query["today"]}),
                      ("locked", {"token": tokens["course"], "day": query["locked_day"]})],
        "diary.month": [("", {"token": tokens["course"], "month": query["month"]})],
        "dashboard.calendar_day": [("", {}), ("with-bookings", {"day": query["day"]}),
                                   ("by-chair", {"day": query["day"], "by": "chair"})],
        "dashboard.calendar_print": [("", {}), ("practitioner", {
            "day": query["day"], "practitioner": ids["practitioner"]})],
        "dashboard.clinician_list": [("mine", {}), ("everyone", {"who": "all", "days": 14})],
        "dashboard.book_caller": [("", {}), ("time-chosen", {
            "service": ids["service"], "day": query["day"], "start": query["start"],
            "practitioner": query["start_practitioner"]})],
        "dashboard.desk_course_book": [("", {}), ("course", {"service": course})],
        "dashboard.outcomes_report": [("", {}), ("half-year", {
            "from": query["outcomes_from"], "to": query["outcomes_to"]})],
        "dashboard.intake_review": [("submitted", {"appointment_id": ids["submitted"]}),
                                    ("course", {"appointment_id": ids["recorded"]})],
        "dashboard.session_record": [("", {"appointment_id": ids["recorded"]})],
        "dashboard.appointment_pain": [("", {"appointment_id": ids["recorded"]})],
        "dashboard.desk_appointment": [("future", {"appointment_id": ids["appointment"]}),
                                       ("past", {"appointment_id": ids["submitted"]})],
        "dashboard.course_view": [("completed", {"course_id": ids["course"]}),
                                  ("awaiting-review", {"course_id": ids["waiting_course"]})],
        "dashboard.desk_course": [("", {"course_id": ids["new_course"]})],
        "dashboard.desk_course_move": [("", {"course_id": ids["new_course"]})],
        "dashboard.course_intake": [("", {"course_id": ids["waiting_course"]})],
        "dashboard.service_edit": [("course", {"service_id": course})],
    }


def page_rules(app):
    """The url_map's rules that answer GET with a page, sorted by path."""
    rules = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES
                or rule.endpoint.startswith("api.") or rule.rule.startswith("/api/")
                or rule.rule.endswith(NOT_PAGE_SUFFIXES)):
            continue
        rules.append(rule)
    return sorted(rules, key=lambda rule: rule.rule)


def every_page(app, site):
    """[Page] for every GET page of the app. Fails naming a route it cannot fill."""
    by_name, variants = _by_name(site), _variants(site)
    pages, unknown = [], []
    with app.test_request_context():
        for rule in page_rules(app):
            staff = rule.rule.startswith("/staff") and rule.endpoint != "auth.sign_in"
            if rule.endpoint in variants:
                for label, values in variants[rule.endpoint]:
                    pages.append(Page(url_for(rule.endpoint, **values), rule.endpoint, staff,
                                      label))
                continue
            values, missing = {}, []
            for name in rule.arguments:
                if name == "token":
                    kind = next((k for prefix, k in TOKEN_KINDS if rule.rule.startswith(prefix)),
                                None)
                    if kind is None:
                        missing.append(name)
                    else:
                        values[name] = site.tokens[kind]
                elif name in by_name:
                    values[name] = by_name[name]
                else:
                    missing.append(name)
            if missing:
                unknown.append(f"{rule.rule} ({rule.endpoint}): {', '.join(missing)}")
                continue
            pages.append(Page(url_for(rule.endpoint, **values), rule.endpoint, staff))
    assert not unknown, ("tests/site_pages.py cannot fill the URL arguments of these routes "
                         "(add them to _by_name or _variants there):\n" + "\n".join(unknown))
    return pages
