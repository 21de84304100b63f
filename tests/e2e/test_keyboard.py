"""Reception with the keyboard only: Tab, Shift+Tab, Enter and Space, never the mouse.

A receptionist signs in, reaches the calendar, moves to the next day, to the week, the next week
and back, opens a day from the week, opens an appointment from that day's board and marks the
patient arrived. The server's clock is half an hour before that appointment (statuses follow
time: arrival is marked from an hour before the start), so "today" is NEXT_TUESDAY. Every stop
of the focus on the way shows a visible ring (browsing.Visitor.tab_to records any stop without
one), and every page passes the checks of browsing.Visitor.seen (axe-core, touch targets).
Moving an appointment by dragging is a mouse extra (static/calendar.js); the keyboard path to the
same move is the appointment page's "Move" link (tests/dashboard).
"""
from datetime import date, timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser_tools fixture says what is missing (skip, or fail in CI)
    expect = None

from tests.conftest import STAFF_PASSWORD

from .browsing import Visitor
from .conftest import RECEPTIONIST

NEXT_TUESDAY = date(2026, 12, 15)  # in the week after NOW's (Monday 7 December 2026)
RUNS = {"uk-light": "Kateryna Klaviatura", "en-dark": "Keith Keyboard"}


def book_for(live_server, name):
    """A booking on NEXT_TUESDAY, made through the booking service in the server's app:
    (its id, its start)."""
    from booking.extensions import db
    from booking.models import Service
    from booking.scheduler import services as booking
    from booking.scheduler import availability

    with live_server.app.app_context():
        service = db.session.get(Service, live_server.services[
            "First consultation with a neurologist"])
        slot = availability.find_slots(service, NEXT_TUESDAY, NEXT_TUESDAY)[0]
        appointment, _token = booking.book(
            service_id=service.id, start=slot.start, practitioner_id=slot.practitioner_id,
            consent=True, source="staff", patient={
                "full_name": name, "email": f"{name.split()[1].lower()}@example.com",
                "phone": "+380501239900", "date_of_birth": "1988-04-12"})
        appointment_id, start = appointment.id, appointment.starts_at
        db.session.remove()
    return appointment_id, start


def follow(visitor, selector, key="Enter", backwards=False):
    """Tab (or Shift+Tab) to the link or button, check its focus ring, press the key, and wait
    for the page it leads to."""
    state = visitor.tab_to(selector, backwards=backwards)
    assert state["outline"] != "none" and state["outlineWidth"] >= 2, state
    with visitor.page.expect_navigation():
        visitor.page.keyboard.press(key)
    visitor.seen()


@pytest.mark.parametrize("run", list(RUNS))
def test_a_receptionist_works_the_calendar_with_the_keyboard_only(
        browser, live_server, visited_pages, server_clock, run):
    lang, theme = run.split("-")
    appointment_id, start = book_for(live_server, RUNS[run])
    server_clock(start - timedelta(minutes=30))  # before signing in
    desk = Visitor(browser, live_server, visited_pages, lang=lang, theme=theme,
                   label=f"keyboard-{run}")
    page = desk.page
    try:
        # Sign in: type into each box, Enter on the button.
        page.goto(f"/staff/sign-in?lang={lang}")
        desk.seen()
        desk.tab_to("#email")
        page.keyboard.type(RECEPTIONIST)
        desk.tab_to("#password")
        page.keyboard.type(STAFF_PASSWORD)
        follow(desk, 'button[type="submit"]')
        assert page.url.endswith("/staff/calendar"), page.url  # today's board

        # Days and weeks ("today" is NEXT_TUESDAY, the 15th).
        follow(desk, '.cal-nav a[rel="next"]')  # the next day
        assert "day=2026-12-16" in page.url, page.url
        follow(desk, '.cal-nav a[href^="/staff/calendar/week"]')  # the week
        assert "week=2026-12-16" in page.url, page.url
        follow(desk, '.cal-nav a[rel="next"]')  # the next week
        assert "week=2026-12-21" in page.url, page.url
        follow(desk, '.cal-nav a[rel="prev"]')  # and back
        assert "week=2026-12-14" in page.url, page.url
        follow(desk, f'.week-day h2 a[href="/staff/calendar?day={NEXT_TUESDAY}"]')
        assert page.url.endswith(f"day={NEXT_TUESDAY}"), page.url
        expect(page.locator("h1")).to_contain_text("15")

        # The appointment, from the board; then "arrived", reached backwards, with Space.
        link = f'a.cal-entry-link[href="/staff/appointments/{appointment_id}"]'
        expect(page.locator(link).first).to_contain_text(RUNS[run])
        follow(desk, link)
        assert page.url.endswith(f"/staff/appointments/{appointment_id}"), page.url
        expect(page.locator(".badge-status-booked").first).to_be_visible()
        follow(desk, 'button[name="status"][value="arrived"]', key="Space", backwards=True)
        expect(page.locator(".flash-success")).to_be_visible()
        expect(page.locator(".badge-status-arrived").first).to_be_visible()
        desk.assert_no_problems()
    finally:
        desk.close()
