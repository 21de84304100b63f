"""The private manage link: see, cancel and reschedule a booking without an account.

Bookings are made through the booking service (as the details page does); everything after
that goes through the pages, as a patient would. "Now" is Monday 7 December 2026, 09:00 Kyiv.
"""
import html
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.models import Appointment
from booking.scheduler import services

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY = date(2026, 12, 8)
WEDNESDAY = date(2026, 12, 9)


def at(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=KYIV)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def offered_on_slot_page(client, service_id, week=TUESDAY):
    """The starts the public slot page offers (any practitioner)."""
    page = client.get(f"/book/{service_id}?week={week}").get_data(as_text=True)
    return {datetime.fromisoformat(value.replace("%2B", "+"))
            for value in re.findall(r"details\?start=([^&\"]+)", page)}


def offered_for_reschedule(response):
    return re.findall(r'<input class="slot-radio" type="radio" name="start"[^>]*value="([^"]+)"',
                      response.get_data(as_text=True))


def reload(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


@pytest.fixture
def service(create_service, create_practitioner):
    service = create_service("First consultation", duration_minutes=60)
    create_practitioner([service], full_name="Dr Olena Kovalenko", title="Neurologist")
    return service


@pytest.fixture
def book(service, patient_details):
    def book(start=at(TUESDAY, "10:00"), **details):
        appointment, token = services.book(
            service_id=service.id, start=start, patient={**patient_details, **details},
            consent=True, source="online", language="en",
        )
        return appointment, token
    return book


@pytest.fixture
def booking(book):
    return book()


def set_now(app, instant):
    app.config["FROZEN_NOW"] = instant.astimezone(timezone.utc)


# --- Viewing --------------------------------------------------------------------------------

def test_the_manage_link_shows_the_booking(client, booking):
    appointment, token = booking

    response = client.get(f"/manage/{token}")

    page = text(response)
    assert response.status_code == 200
    assert appointment.reference in page
    assert "First consultation" in page
    assert "Dr Olena Kovalenko" in page
    assert "Tuesday, 8 December 2026" in page
    assert "10:00–11:00" in page
    assert "Booked" in page
    assert "Your appointment is booked" not in page
    # Nothing personal on a page reached by a link that may be forwarded.
    assert "Test Patient" not in page and "patient@example.com" not in page


def test_a_new_booking_shows_the_reference_large_and_the_link_to_keep(client, booking):
    appointment, token = booking

    page = text(client.get(f"/manage/{token}?new=1"))

    assert "Your appointment is booked" in page
    assert f'<p class="reference">{appointment.reference}</p>' in page
    assert "Keep this link: it is the only way to change your booking online." in page
    assert f'value="http://localhost/manage/{token}"' in page
    assert '<label class="label" for="manage-link">' in page


@pytest.mark.parametrize("wrong", ["wrong", "x" * 200, "TRUNCATE"])
def test_a_wrong_token_is_404_on_every_manage_page(client, booking, wrong):
    _appointment, token = booking
    if wrong == "TRUNCATE":
        wrong = token[:-1]

    assert client.get(f"/manage/{wrong}").status_code == 404
    assert client.get(f"/manage/{wrong}/reschedule").status_code == 404
    assert client.post(f"/manage/{wrong}/reschedule",
                       data={"start": at(WEDNESDAY, "11:00").isoformat()}).status_code == 404
    assert client.post(f"/manage/{wrong}/cancel").status_code == 404
    assert reload(booking[0]).status == "booked"


@pytest.mark.parametrize("path", ["", "?new=1", "/reschedule", "/nope-404"])
def test_manage_pages_send_no_referrer_and_no_store(client, booking, path):
    _appointment, token = booking

    response = client.get(f"/manage/{token}{path}" if path != "/nope-404" else "/manage/nope")

    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_manage_form_posts_also_send_no_referrer_and_no_store(client, booking):
    _appointment, token = booking

    for response in (
        client.post(f"/manage/{token}/reschedule", data={"start": "garbage"}),
        client.post(f"/manage/{token}/cancel"),
    ):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_stay_cacheable(client, service):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


# --- Cancelling -----------------------------------------------------------------------------

def test_cancelling_frees_the_time_for_others(client, service, booking):
    appointment, token = booking
    assert at(TUESDAY, "10:00") not in offered_on_slot_page(client, service.id)

    response = client.post(f"/manage/{token}/cancel", data={"reason": "Feeling better"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/{token}"
    page = text(client.get(response.headers["Location"]))
    assert "Your appointment has been cancelled." in page
    assert "This appointment is cancelled." in page
    assert f'href="/book/{service.id}">Book again' in page
    assert f"/manage/{token}/cancel" not in page
    cancelled = reload(appointment)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by == "patient"
    assert cancelled.cancel_reason == "Feeling better"
    assert at(TUESDAY, "10:00") in offered_on_slot_page(client, service.id)


def test_the_cancel_form_has_a_labelled_optional_reason_and_a_confirm_button(client, booking):
    _appointment, token = booking

    page = text(client.get(f"/manage/{token}"))

    assert f'action="/manage/{token}/cancel"' in page
    assert '<label class="label" for="reason">Reason (optional)</label>' in page
    assert ">Cancel my appointment</button>" in page
    assert f'href="/manage/{token}/reschedule">Change the time' in page


def test_cancelling_twice_says_it_is_already_cancelled(client, booking):
    _appointment, token = booking
    client.post(f"/manage/{token}/cancel")

    response = client.post(f"/manage/{token}/cancel")

    assert response.status_code == 422
    assert "This booking is already cancelled." in text(response)


def test_a_too_long_reason_is_shown_next_to_the_field(client, booking):
    appointment, token = booking

    response = client.post(f"/manage/{token}/cancel", data={"reason": "x" * 501})

    assert response.status_code == 422
    assert 'id="reason-error"' in text(response)
    assert reload(appointment).status == "booked"


# --- Rescheduling ---------------------------------------------------------------------------

def test_rescheduling_moves_the_booking_and_frees_the_old_time(client, service, booking):
    appointment, token = booking
    new_start = at(WEDNESDAY, "11:00")
    picker = client.get(f"/manage/{token}/reschedule")
    assert picker.status_code == 200
    assert new_start.isoformat() in offered_for_reschedule(picker)
    assert at(TUESDAY, "10:00").isoformat() not in offered_for_reschedule(picker)  # current time

    response = client.post(f"/manage/{token}/reschedule", data={"start": new_start.isoformat()})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/{token}"
    page = text(client.get(response.headers["Location"]))
    assert "Your appointment was moved to Wednesday, 9 December 2026, 11:00." in page
    assert "Wednesday, 9 December 2026" in page
    moved = reload(appointment)
    assert moved.starts_at == new_start
    assert moved.reschedule_count == 1
    offered = offered_on_slot_page(client, service.id)
    assert at(TUESDAY, "10:00") in offered
    assert new_start not in offered


def test_the_reschedule_picker_offers_only_the_bookings_own_practitioner(
        client, create_service, create_practitioner, patient_details):
    service = create_service("Psychotherapy session", duration_minutes=60)
    mornings = create_practitioner([service], full_name="Dr Morning",
                                   hours={d: [(time(10), time(13))] for d in range(5)})
    create_practitioner([service], full_name="Dr Afternoon",
                        hours={d: [(time(14), time(19))] for d in range(5)})
    _appointment, token = services.book(
        service_id=service.id, start=at(TUESDAY, "10:00"), patient=patient_details,
        consent=True, practitioner_id=mornings.id)

    offered = offered_for_reschedule(client.get(f"/manage/{token}/reschedule"))

    assert offered
    assert {datetime.fromisoformat(start).time() for start in offered} == {
        time(10), time(10, 30), time(11), time(11, 30), time(12)}


def test_reschedule_week_navigation_stays_within_the_horizon(client, booking):
    _appointment, token = booking

    this_week = text(client.get(f"/manage/{token}/reschedule"))
    next_week = text(client.get(f"/manage/{token}/reschedule?week=2026-12-14"))
    bad_week = text(client.get(f"/manage/{token}/reschedule?week=soon"))

    assert "Previous week" not in this_week
    assert f"/manage/{token}/reschedule?week=2026-12-14" in this_week
    assert "14 December – 20 December 2026" in next_week
    assert f"/manage/{token}/reschedule?week=2026-12-07" in next_week
    assert "7 December – 13 December 2026" in bad_week


def test_rescheduling_onto_a_taken_time_is_409_and_changes_nothing(client, book):
    appointment, token = book(start=at(TUESDAY, "10:00"))
    book(start=at(WEDNESDAY, "11:00"), email="someone.else@example.com")

    response = client.post(f"/manage/{token}/reschedule",
                           data={"start": at(WEDNESDAY, "11:00").isoformat()})

    assert response.status_code == 409
    assert "that time has just been taken" in text(response)
    assert offered_for_reschedule(response)  # the picker is shown again
    assert reload(appointment).starts_at == at(TUESDAY, "10:00")


@pytest.mark.parametrize("start, message", [
    (at(date(2026, 12, 12), "10:00"), "closed at weekends"),
    (at(WEDNESDAY, "10:10"), "not on the booking grid"),
    (at(WEDNESDAY, "18:30"), "outside the clinic's opening hours"),
    (at(TUESDAY, "10:00"), "That is the time you already have."),
])
def test_rescheduling_to_a_time_breaking_a_rule_is_422(client, booking, start, message):
    appointment, token = booking

    response = client.post(f"/manage/{token}/reschedule", data={"start": start.isoformat()})

    assert response.status_code == 422
    assert message in text(response)
    assert reload(appointment).starts_at == at(TUESDAY, "10:00")
    assert reload(appointment).reschedule_count == 0


@pytest.mark.parametrize("start", ["", "garbage", "2026-12-09T11:00:00"])
def test_rescheduling_without_a_usable_time_asks_to_pick_one(client, booking, start):
    appointment, token = booking

    response = client.post(f"/manage/{token}/reschedule", data={"start": start})

    assert response.status_code == 422
    assert "Please pick a new time." in text(response)
    assert 'id="start-error"' in text(response)
    assert reload(appointment).starts_at == at(TUESDAY, "10:00")


def test_a_cancelled_booking_cannot_be_rescheduled(client, booking):
    appointment, token = booking
    client.post(f"/manage/{token}/cancel")

    picker = client.get(f"/manage/{token}/reschedule")
    post = client.post(f"/manage/{token}/reschedule",
                       data={"start": at(WEDNESDAY, "11:00").isoformat()})

    assert picker.status_code == 303 and picker.headers["Location"] == f"/manage/{token}"
    assert post.status_code == 422
    assert "already cancelled" in text(post)
    assert reload(appointment).starts_at == at(TUESDAY, "10:00")


# --- The cut-off: no online changes in the last 12 hours ------------------------------------

@pytest.mark.parametrize("before, open_", [
    (timedelta(hours=12, minutes=1), True),
    (timedelta(hours=12), False),
    (timedelta(hours=11), False),
    (timedelta(minutes=30), False),
])
def test_online_changes_close_12_hours_before(app, client, booking, before, open_):
    appointment, token = booking
    set_now(app, appointment.starts_at - before)

    page = text(client.get(f"/manage/{token}"))

    assert (f"/manage/{token}/cancel" in page) is open_
    assert (f"/manage/{token}/reschedule" in page) is open_
    assert ("Changes online close 12 hours before the appointment; please call the clinic."
            in page) is not open_


def test_after_the_cut_off_the_page_says_to_call_and_changes_are_refused(app, client, booking):
    appointment, token = booking
    set_now(app, appointment.starts_at - timedelta(hours=11))

    page = text(client.get(f"/manage/{token}"))
    cancel = client.post(f"/manage/{token}/cancel", data={"reason": "late"})
    picker = client.get(f"/manage/{token}/reschedule")
    move = client.post(f"/manage/{token}/reschedule",
                       data={"start": at(WEDNESDAY, "11:00").isoformat()})

    assert "Changes online close 12 hours before the appointment; please call the clinic." in page
    assert 'href="tel:+380737308088"' in page
    assert "<form" not in page
    assert cancel.status_code == 422
    assert "too late to change this booking online" in text(cancel)
    assert picker.status_code == 303
    assert move.status_code == 422
    assert "too late to change this booking online" in text(move)
    unchanged = reload(appointment)
    assert unchanged.status == "booked"
    assert unchanged.starts_at == at(TUESDAY, "10:00")
    assert unchanged.cancel_reason is None


def test_the_cut_off_follows_the_setting(app, client, booking):
    appointment, token = booking
    app.config["MANAGE_CUTOFF_HOURS"] = 48

    page = text(client.get(f"/manage/{token}"))

    assert "Changes online close 48 hours before the appointment" in page
    assert f"/manage/{token}/cancel" not in page


def test_manage_forms_carry_a_csrf_token(app, client, booking):
    _appointment, token = booking
    app.config["WTF_CSRF_ENABLED"] = True

    assert 'name="csrf_token"' in text(client.get(f"/manage/{token}"))
    assert 'name="csrf_token"' in text(client.get(f"/manage/{token}/reschedule"))
    assert client.post(f"/manage/{token}/cancel").status_code == 400
    assert reload(booking[0]).status == "booked"


def test_the_token_stays_out_of_links_to_other_sites(client, booking):
    _appointment, token = booking

    page = text(client.get(f"/manage/{token}?new=1"))

    for href in re.findall(r'href="([^"]+)"', page):
        if token in href:
            assert href.startswith("/manage/")
