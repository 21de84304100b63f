"""The headache diary in a real browser: a 360 px phone, Ukrainian and English, light and dark,
and without JavaScript.

A patient booked on a consultation that invites to the diary (set on the demo service here)
opens the diary through their private link, says "no headache" for today in one tap, fills
yesterday's headache on one short page, reads the month as a calendar and sets a reminder. A
clinician sees the diary beside the pain chart. No page scrolls sideways at 360 px; every page
passes axe-core and the touch-target check (browsing.Visitor.seen), and its HTML goes to the
validity check.
"""
import itertools
from datetime import date, timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser_tools fixture says what is missing
    expect = None

from .browsing import Visitor
from .conftest import CLINICIAN, LANGUAGES, THEMES
from .test_journeys import sign_in

COMBOS = [f"{lang}-{theme}" for lang in LANGUAGES for theme in THEMES]
NARROW = {"width": 360, "height": 740}
FIRST_DAY = date(2026, 12, 8)  # the day after NOW
_numbers = itertools.count(1)

WIDEST = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def book_patient(live_server):
    """A new patient booked on the demo neurologist consultation, which invites to the diary;
    their intake lists sumatriptan. Returns (patient id, manage token)."""
    from booking.extensions import db
    from booking.models import Intake, Service
    from booking.scheduler import services as booking
    from booking.scheduler import availability

    number = next(_numbers)
    with live_server.app.app_context():
        service = db.session.get(Service, live_server.services[
            "First consultation with a neurologist"])
        service.offers_diary = True
        db.session.commit()
        slots = availability.find_slots(service, FIRST_DAY, FIRST_DAY + timedelta(days=21))
        appointment, token = booking.book(
            service_id=service.id, start=slots[0].start, consent=True,
            source="staff", patient={"full_name": f"Diary Person {number}",
                                     "email": f"diary{number}@example.com",
                                     "phone": "+380501239900", "date_of_birth": "1988-02-02"})
        db.session.add(Intake(appointment_id=appointment.id, patient_id=appointment.patient_id,
                              answers={"medicines": {"acute": [
                                  {"name": "Sumatriptan", "class": "triptan",
                                   "days_per_month": 4, "effect": "good"}]}}))
        db.session.commit()
        patient_id = appointment.patient_id
        db.session.remove()
    return patient_id, token


def look(visitor, name=None):
    """Visitor.seen (its screenshots set the phone width back to 390 px): then 360 px again."""
    visitor.seen(name)
    visitor.page.set_viewport_size(NARROW)


# What sticks out of the page, not counting what scrolls inside its own box (a chart).
WIDE_ELEMENTS = """() => {
  const scrolls = (el) => { for (let up = el.parentElement; up; up = up.parentElement) {
    if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return true; }
    return false; };
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(el => !scrolls(el))
    .slice(0, 6).map(el => el.outerHTML.slice(0, 120));
}"""


def no_sideways_scroll(page):
    assert page.evaluate(WIDEST) <= NARROW["width"], page.evaluate(WIDE_ELEMENTS)


def click_label(page, name, value):
    page.click(f'input[name="{name}"][value="{value}"] + label')


@pytest.mark.parametrize("combo", COMBOS)
def test_a_patient_keeps_the_diary_on_a_360_px_phone(combo, browser, live_server,
                                                     visited_pages, screenshots):
    lang, theme = combo.split("-")
    patient_id, token = book_patient(live_server)
    visitor = Visitor(browser, live_server, visited_pages, lang=lang, theme=theme,
                      label=f"{combo}-diary",
                      screenshots=screenshots if combo in ("uk-light", "en-dark") else None)
    page = visitor.page
    page.set_viewport_size(NARROW)
    try:
        page.goto(f"/manage/{token}?lang={lang}")
        look(visitor)
        with page.expect_navigation():
            page.click(".diary-invitation a.button")
        look(visitor, "diary-home")
        no_sideways_scroll(page)
        rows = page.locator(".diary-day-row")
        expect(rows).to_have_count(8)

        # "No headache" today: one tap.
        with page.expect_navigation():
            rows.nth(0).locator("button.diary-no").click()
        look(visitor)
        expect(page.locator(".flash-success")).to_be_visible()
        expect(rows.nth(0)).to_have_class("diary-day-row diary-day-done")

        # Yesterday's headache, on one short page: length, pain, two features, the medicine.
        with page.expect_navigation():
            rows.nth(1).locator("a.diary-yes").click()
        look(visitor, "diary-day")
        no_sideways_scroll(page)
        click_label(page, "duration", "4_h_or_more")
        click_label(page, "worst_pain", "7")
        click_label(page, "features", "one_side")
        click_label(page, "features", "nausea_vomiting")
        click_label(page, "medicines", "m0")
        with page.expect_navigation():
            page.click('button[name="headache"][value="yes"]')
        look(visitor)
        expect(rows.nth(1)).to_have_class("diary-day-row diary-day-done")
        calendar = page.locator(".diary-calendar")
        expect(calendar.locator(".diary-headache")).to_have_count(1)
        expect(calendar.locator(".diary-no_headache")).to_have_count(1)

        # The reminder: an hour, then stopped at once.
        page.select_option('select[name="hour"]', "19")
        with page.expect_navigation():
            page.click(".diary-reminder-form button")
        look(visitor)
        with page.expect_navigation():
            page.click(".diary-reminder .button-danger")
        look(visitor)
        no_sideways_scroll(page)

        with page.expect_navigation():
            page.click(".diary-months a")
        look(visitor, "diary-month")
        no_sideways_scroll(page)
        visitor.assert_no_problems()
    finally:
        visitor.close()

    clinician = Visitor(browser, live_server, visited_pages, lang=lang, theme=theme,
                        label=f"{combo}-diary-clinician",
                        screenshots=screenshots if combo in ("uk-light", "en-dark") else None)
    try:
        sign_in(clinician, CLINICIAN, lang)
        clinician.page.set_viewport_size(NARROW)
        clinician.page.goto(f"/staff/patients/{patient_id}/pain")
        look(clinician, "diary-clinician")
        no_sideways_scroll(clinician.page)
        strip = clinician.page.locator(".dx-strip").last
        expect(strip.locator(".dx-migraine")).to_have_count(1)  # yesterday: 4 h, side, nausea
        expect(strip.locator(".dx-none")).to_have_count(1)
        clinician.assert_no_problems()
    finally:
        clinician.close()


def test_the_diary_works_without_javascript(browser, live_server, visited_pages):
    _patient_id, token = book_patient(live_server)
    visitor = Visitor(browser, live_server, visited_pages, lang="en", theme="light",
                      label="diary-no-js", javascript=False)
    page = visitor.page
    page.set_viewport_size(NARROW)
    try:
        page.goto(f"/manage/{token}/diary?lang=en")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        with page.expect_navigation():
            page.locator(".diary-day-row").nth(0).locator("button.diary-no").click()
        assert "Saved:" in page.locator(".flash-success").inner_text()
        with page.expect_navigation():
            page.locator(".diary-day-row").nth(2).locator("a.diary-yes").click()
        click_label(page, "duration", "30_min_to_4_h")
        click_label(page, "worst_pain", "3")
        with page.expect_navigation():
            page.click('button[name="headache"][value="yes"]')
        assert "Saved:" in page.locator(".flash-success").inner_text()
        assert page.locator(".diary-calendar .diary-headache").count() == 1
        visitor.assert_no_problems()
    finally:
        visitor.close()
