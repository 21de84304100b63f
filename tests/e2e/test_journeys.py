"""The main journeys, in a real browser, in both languages and both themes.

For each of uk-light, uk-dark, en-light, en-dark (the language cookie as ?lang= leaves it; the dark
theme chosen by hand, the light one on a light device):
- a patient on a 390 px phone books a first consultation with the keyboard (Tab/Enter to choose
  the service, the time and to send the form) and completes the intake questionnaire;
- a receptionist signs in, finds a booking with a sent intake on the calendar and marks the
  patient arrived;
- a clinician opens such a patient's intake review and sees the questionnaire scores;
- a patient books a treatment course, and the receptionist sees its sessions on the calendar.
Every page on the way is checked (browsing.Visitor.seen): axe-core finds no critical or serious
violation, touch targets are large, every request stays on the test server, and the served HTML
is kept for tests/e2e/test_validity.py. Main pages are photographed at phone and desktop width
into tests/e2e/screenshots/.

The staff's tests make their own booking and intake through the services (booked_with_intake),
so each test passes on its own, in any order.

With the Ukrainian catalogue compiled the "uk" runs are in Ukrainian, else in English with
lang="uk"; the tests find things by structure (names, classes, links), not by English words.
"""
import copy
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser_tools fixture says what is missing (skip, or fail in CI)
    expect = None

from tests.conftest import STAFF_PASSWORD

from .browsing import Visitor, redact
from .conftest import CLINICIAN, LANGUAGES, RECEPTIONIST, THEMES

COMBOS = [f"{lang}-{theme}" for lang in LANGUAGES for theme in THEMES]
PHOTOGRAPHED = ("uk-light", "en-dark")  # both languages, both themes, in half the time
TODAY = date(2026, 12, 7)  # NOW, in Kyiv
CYRILLIC = re.compile("[А-Яа-яІіЇїЄєҐґ]")

PATIENTS = {  # one patient per run, so each run finds its own booking
    "uk-light": ("Nadiia Svitlychna", "+380501230011", "1990-05-17"),
    "uk-dark": ("Nadiia Temnenko", "+380501230012", "1990-05-17"),
    "en-light": ("Oksana Lightfoot", "+380501230013", "1990-05-17"),
    "en-dark": ("Oksana Darkwood", "+380501230014", "1990-05-17"),
}
COURSE_PATIENTS = {
    "uk-light": ("Marta Kursova", "+380671230021"),
    "uk-dark": ("Marta Kursenko", "+380671230022"),
    "en-light": ("Roman Coursey", "+380671230023"),
    "en-dark": ("Roman Coursewood", "+380671230024"),
}

# The intake, page by page (booking/intake/pages.py), as a patient answers it (MIDAS 10,
# PHQ-9 8, GAD-7 7).
INTAKE = {
    "about": {
        "sex": "female", "language": "uk", "emergency_contact_name": "Oksana Kontaktna",
        "emergency_contact_phone": "+380671112233", "consent_processing": "y",
    },
    "history": {
        "age_at_onset": "15", "months_at_frequency": "24", "getting_worse": "no",
        "onset_after_infection": "y", "headache_days": "10", "migraine_days": "6",
        "moderate_severe_days": "5", "debilitating_days": "3", "attack_hours": "12",
    },
    "symptoms": {
        "location": "one_side", "character": "pulsating", "worse_with_activity": "yes",
        "nausea": "y", "photophobia": "y", "aura": "no",
    },
    "triggers": {
        "triggers": ["stress", "sleep"],
        "menstrual_relation": "not_applicable", "several_headache_types": "no",
        "prior_attacks_at_least_5": "yes", "red_thunderclap": "no",
        "red_fever_stiff_neck": "no", "red_neuro_deficit": "no", "red_after_head_injury": "no",
    },
    "pain": {"pain_now": "3", "pain_avg_7d": "5", "pain_worst_month": "8"},
    "medicines": {
        "acute-0-name": "Sumatriptan", "acute-0-class": "triptan",
        "acute-0-days_per_month": "6", "acute-0-effect": "good",
        "any_acute_days": "8", "any_non_opioid_days": "2",
    },
    "midas": {**{f"midas_q{n}": "2" for n in range(1, 6)}, "midas_a": "20", "midas_b": "6"},
    "phq9": {**{f"phq9_{n}": "1" for n in range(1, 9)}, "phq9_9": "0", "phq9_difficulty": "1"},
    "gad7": {f"gad7_{n}": "1" for n in range(1, 8)},
}
SCORES = {"MIDAS": "10", "PHQ-9": "8", "GAD-7": "7"}
STAFF_PATIENTS = {  # the bookings the staff's tests make for themselves
    "reception": ("Vasyl Recepciinyi", "+380631230031"),
    "clinician": ("Lesia Klinichna", "+380631230032"),
}


def booked_with_intake(live_server, combo, role):
    """A consultation at the first free time with its intake sent (the answers above: MIDAS
    10, PHQ-9 8, GAD-7 7), made through the booking and intake services in the server's app:
    {name, reference, day, start}."""
    from booking.extensions import db
    from booking.intake import services as intake
    from booking.models import Service
    from booking.scheduler import services as booking
    from booking.scheduler import availability
    from booking.timeutil import to_local
    from tests.intake.test_services import ANSWERS

    lang = combo.split("-")[0]
    name, phone = STAFF_PATIENTS[role]
    name = f"{name} {combo.replace('-', ' ').title().replace(' ', '')}"
    answers = copy.deepcopy(ANSWERS)
    answers["questionnaires"] = {
        **{f"midas_q{n}": 2 for n in range(1, 6)}, "midas_a": 20, "midas_b": 6,
        **{f"phq9_{n}": 1 for n in range(1, 9)}, "phq9_9": 0, "phq9_difficulty": 1,
        **{f"gad7_{n}": 1 for n in range(1, 8)}}
    with live_server.app.app_context():
        service = db.session.get(Service, live_server.services[
            "First consultation with a neurologist"])
        slot = availability.find_slots(service, TODAY, TODAY + timedelta(days=14))[0]
        appointment, _token = booking.book(
            service_id=service.id, start=slot.start, practitioner_id=slot.practitioner_id,
            consent=True, language=lang, patient={
                "full_name": name, "email": f"{role}-{combo}@example.com", "phone": phone,
                "date_of_birth": "1985-03-14"})
        for step in intake.steps_for(appointment):
            if step != "review":
                intake.save_step(appointment.id, step, answers[step], language=lang)
        intake.submit(appointment.id, language=lang)
        booked = {"name": name, "reference": appointment.reference,
                  "start": appointment.starts_at.isoformat(),
                  "day": to_local(appointment.starts_at).date().isoformat()}
        db.session.remove()
    return booked


@pytest.fixture(scope="module", params=COMBOS)
def combo(request):
    return request.param


@pytest.fixture
def visit(browser, live_server, visited_pages, screenshots, combo):
    """visit(role) -> a Visitor in this run's language and theme; closed after the test."""
    lang, theme = combo.split("-")
    visitors = []

    def make(role):
        visitor = Visitor(browser, live_server, visited_pages, lang=lang, theme=theme,
                          label=f"{combo}-{role}",
                          screenshots=screenshots if combo in PHOTOGRAPHED else None)
        visitors.append(visitor)
        return visitor

    yield make
    for visitor in visitors:
        visitor.close()


FILL = """(answers) => {
  const unanswered = [];
  for (const [name, value] of Object.entries(answers)) {
    const fields = [...document.getElementsByName(name)];
    if (!fields.length) { unanswered.push(name + ": no such field"); continue; }
    const first = fields[0];
    if (first.type === "radio" || first.type === "checkbox") {
      for (const one of [].concat(value)) {
        const box = fields.find((field) => field.value === one);
        // Click the label, as a person would: it is the big target, the box may be hidden.
        if (box && !box.checked) document.querySelector(`label[for="${box.id}"]`).click();
        if (!box || !box.checked) unanswered.push(`${name}=${one}`);
      }
    } else {
      first.value = value;
      first.dispatchEvent(new Event("input", {bubbles: true}));
      first.dispatchEvent(new Event("change", {bubbles: true}));
      if (first.value !== value) unanswered.push(`${name}=${value}`);
    }
  }
  return unanswered;
}"""


def fill(page, answers):
    """Answer a form by field name (boxes, selects, radio buttons, tick boxes) in one go."""
    assert page.evaluate(FILL, answers) == [], redact(page.url)


def sign_in(visitor, email, lang, photo=None):
    page = visitor.page
    page.goto(f"/staff/sign-in?lang={lang}")
    visitor.seen(photo)
    page.fill("#email", email)
    page.fill("#password", STAFF_PASSWORD)
    visitor.press_enter_on('button[type="submit"]')
    visitor.seen()


def type_details(visitor, name, phone, email, born):
    """The details form from the keyboard: Tab to each box and type, Space ticks the consent,
    Enter sends. (The date box gets its value from a script: the order of the digits one types
    there is the browser's own date format, not the page's business.)"""
    page = visitor.page
    for selector, text in (("#full_name", name), ("#phone", phone), ("#email", email)):
        visitor.tab_to(selector)
        page.keyboard.type(text)
    visitor.tab_to("#date_of_birth")
    page.eval_on_selector("#date_of_birth", "(box, value) => { box.value = value; }", born)
    visitor.tab_to("#consent")
    page.keyboard.press("Space")
    assert page.is_checked("#consent")
    visitor.press_enter_on('button[type="submit"]')


def test_patient_books_a_time_with_the_keyboard_and_completes_the_intake(
        combo, visit, live_server):
    lang, theme = combo.split("-")
    name, phone, born = PATIENTS[combo]
    patient = visit("patient")
    page = patient.page

    # Every page the patient's browser loads, to count the screens of the booking path.
    screens = []
    page.on("framenavigated",
            lambda frame: screens.append(urlsplit(frame.url).path)
            if frame == page.main_frame else None)
    page.goto(f"/?lang={lang}")
    patient.seen("home")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    if theme == "dark":
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    consultation = live_server.services["First consultation with a neurologist"]

    # The service, then the first free time: Tab and Enter only.
    patient.press_enter_on(f'a.button[href="/book/{consultation}"]')
    patient.seen("slots")
    focused = patient.tab_to("a.slot")
    assert focused["outline"] != "none"
    start = parse_qs(urlsplit(page.evaluate("document.activeElement.href")).query)["start"][0]
    page.keyboard.press("Enter")
    page.wait_for_url("**/details?**")
    patient.seen("details")
    # In Ukrainian when the catalogue is there (the words, not only <html lang>), else English.
    in_ukrainian = bool(CYRILLIC.search(page.locator("main h1").inner_text()))
    assert in_ukrainian == (lang == "uk" and live_server.ukrainian)

    type_details(patient, name, phone, f"{combo}@example.com", born)
    page.wait_for_url("**/manage/*?new=1")
    patient.seen("booked")
    assert page.locator(".reference").inner_text().strip()
    expect(page.locator("main")).to_contain_text(start[11:16])  # the time chosen
    # Booked in four screens: the services, the free times, the details, the confirmation.
    assert len(screens) == 4, [redact(path) for path in screens]
    assert screens[-1].startswith("/manage/"), redact(screens[-1])

    # The intake: each step answered, then sent with the keyboard.
    patient.press_enter_on(".intake-link a.button")
    for step, answers in INTAKE.items():
        assert f"/intake/{step}" in page.url, page.url
        patient.seen(f"intake-{step}" if step in ("about", "pain") else None)
        fill(page, answers)
        patient.press_enter_on('.step-actions button[type="submit"]')
    assert page.url.endswith("/intake/review"), page.url
    patient.seen("intake-review")
    patient.press_enter_on('button[type="submit"]')
    assert page.url.endswith("/intake/answers"), page.url
    patient.seen()
    expect(page.locator(".flash-success")).to_be_visible()

    patient.assert_no_problems()


def test_receptionist_finds_the_booking_on_the_calendar_and_marks_it_arrived(
        combo, visit, server_clock, live_server):
    journey = booked_with_intake(live_server, combo, "reception")
    server_clock(datetime.fromisoformat(journey["start"]))  # the patient has come
    lang = combo.split("-")[0]
    desk = visit("reception")
    page = desk.page
    sign_in(desk, RECEPTIONIST, lang, photo="staff-sign-in")
    assert "/staff/calendar" in page.url, page.url
    if journey["day"] != TODAY.isoformat():
        page.fill("#day", journey["day"])
        desk.press_enter_on('.cal-jump button[type="submit"]')
    desk.seen("calendar-day")

    entry = page.locator(".cal-entry:not(.cal-continued)").filter(
        has=page.locator("a.cal-entry-link", has_text=journey["name"]))
    expect(entry).to_have_count(1)
    expect(entry.locator(".badge-status-booked")).to_be_visible()
    expect(entry.locator(".badge-intake-submitted")).to_be_visible()
    link = entry.locator("a.cal-entry-link")
    link.focus()  # the board is long: the keyboard path to it is covered on the patient's pages
    with page.expect_navigation():
        page.keyboard.press("Enter")
    desk.seen("desk-appointment")
    expect(page.locator("main")).to_contain_text(journey["reference"])

    desk.press_enter_on('button[name="status"][value="arrived"]')
    desk.seen()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".badge-status-arrived").first).to_be_visible()

    page.goto(f"/staff/calendar?day={journey['day']}")
    desk.seen()
    expect(entry.locator(".badge-status-arrived")).to_be_visible()
    expect(entry).to_have_class(re.compile(r"\bcal-entry-arrived\b"))
    desk.assert_no_problems()


def test_clinician_opens_the_intake_review_and_sees_the_scores(combo, visit, live_server):
    journey = booked_with_intake(live_server, combo, "clinician")
    lang = combo.split("-")[0]
    clinician = visit("clinician")
    page = clinician.page
    sign_in(clinician, CLINICIAN, lang)
    page.goto(f"/staff/clinician?who=all&from={journey['day']}&days=1")
    clinician.seen()
    row = page.locator(".clin-appointment").filter(has_text=journey["name"])
    expect(row).to_have_count(1)
    review = row.locator(".clin-appointment-title a").get_attribute("href")
    clinician.press_enter_on(f'a[href="{review}"]')
    clinician.seen("clinician-review")

    scores = page.locator("table.clin-scores tbody tr")
    found = {}
    for index in range(scores.count()):
        row = scores.nth(index)
        instrument = row.locator("th").inner_text().split("\n")[0].strip()
        found[instrument] = row.locator("td.clin-number").inner_text().strip()
    for instrument, total in SCORES.items():
        assert any(name.startswith(instrument) and value == total
                   for name, value in found.items()), (instrument, total, found)
    clinician.assert_no_problems()


def test_a_booked_course_shows_on_the_calendar(combo, visit, live_server):
    lang = combo.split("-")[0]
    name, phone = COURSE_PATIENTS[combo]
    patient = visit("course-patient")
    page = patient.page
    page.goto(f"/?lang={lang}")
    course = live_server.services["Ketamine infusion course"]
    patient.press_enter_on(f'a.button[href="/book/{course}/course"]')
    patient.seen("course-starts")
    patient.tab_to("a.course-start")
    start = parse_qs(urlsplit(page.evaluate("document.activeElement.href")).query)["start"][0]
    page.keyboard.press("Enter")
    page.wait_for_url("**/course/details?**")
    patient.seen()
    type_details(patient, name, phone, f"course-{combo}@example.com", "1990-05-17")
    page.wait_for_url("**/manage/*?new=1")
    patient.seen("course-booked")
    sessions = page.locator(".course-sessions .course-session")
    expect(sessions).to_have_count(5)
    patient.assert_no_problems()

    desk = visit("course-reception")
    page = desk.page
    sign_in(desk, RECEPTIONIST, lang)
    page.goto(f"/staff/calendar?day={start[:10]}")
    desk.seen()
    entry = page.locator(".cal-entry:not(.cal-continued)").filter(
        has=page.locator("a.cal-entry-link", has_text=name))
    expect(entry).to_have_count(1)
    course_link = entry.locator("a.cal-entry-course")
    expect(course_link).to_be_visible()  # "Course day 1 of 5"
    with page.expect_navigation():
        course_link.click()
    desk.seen("desk-course")
    expect(page.locator("main")).to_contain_text(name)

    # The week: every session of the course in it is there, each marked as a course day.
    page.goto(f"/staff/calendar/week?week={start[:10]}")
    desk.seen("calendar-week")
    sessions = page.locator(".cal-entry:not(.cal-continued)").filter(has_text=name)
    expect(sessions.first).to_be_visible()
    assert 1 <= sessions.count() <= 5
    expect(sessions.locator("a.cal-entry-course")).to_have_count(sessions.count())
    desk.assert_no_problems()
