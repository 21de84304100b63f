"""Practitioners' private calendar feeds: a secret .ics URL an admin creates and rotates."""
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlalchemy import select

from booking.extensions import db
from booking.models import Appointment, AuditEvent, CalendarFeed
from booking.notifications import feeds
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes, manage_links
from tests.conftest import NOW

FEED_URL = re.compile(r'value="https?://[^"/]+(/feeds/[A-Za-z0-9_-]+\.ics)"')


def person(name, email, dob="1990-05-17"):
    return {"full_name": name, "email": email, "phone": "+380501234567", "date_of_birth": dob}


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="Ketamine infusion consultation", duration_minutes=60)
    doctor_a = create_practitioner([service], full_name="Dr Alpha")
    doctor_b = create_practitioner([service], full_name="Dr Beta")

    def book(who, start, practitioner):
        appointment, _token = booking.book(service_id=service.id, start=start,
                                           patient=who, consent=True,
                                           practitioner_id=practitioner.id)
        return appointment

    tuesday_10 = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)  # 10:00 Kyiv
    mine = book(person("Olena Petrenko", "olena@example.com"), tuesday_10, doctor_a)
    later = book(person("Ivan Franko", "ivan@example.com", "1985-01-02"),
                 tuesday_10 + timedelta(days=1, hours=2), doctor_a)
    cancelled = book(person("Taras Shevchenko", "taras@example.com", "1970-03-09"),
                     tuesday_10 + timedelta(days=2), doctor_a)
    appointment_changes.cancel_by_staff(cancelled.id)
    other_doctor = book(person("Lesya Ukrainka", "lesya@example.com", "1980-02-25"),
                        tuesday_10, doctor_b)
    past = book(person("Past Patient", "past@example.com", "1975-07-07"),
                tuesday_10 + timedelta(hours=3), doctor_a)
    # An appointment of last week: outside the feed's window (from today on).
    past.starts_at -= timedelta(days=7)
    past.ends_at -= timedelta(days=7)
    past.blocks_until -= timedelta(days=7)
    db.session.commit()
    return SimpleNamespace(service=service, doctor_a=doctor_a, doctor_b=doctor_b, mine=mine,
                           later=later, cancelled=cancelled, other_doctor=other_doctor,
                           past=past)


@pytest.fixture
def admin(staff_client):
    return staff_client("admin", email="admin@example.com")


def create_feed(admin, practitioner):
    response = admin.post(f"/staff/admin/feeds/{practitioner.id}")
    assert response.status_code == 200
    match = FEED_URL.search(response.get_data(as_text=True))
    assert match, "the new address is shown once on the page"
    return match[1]


def events(body):
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_the_feed_holds_only_that_practitioners_upcoming_active_appointments(
        client, admin, clinic):
    path = create_feed(admin, clinic.doctor_a)
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    found = {str(event["UID"]) for event in events(response.data)}
    assert found == {f"{clinic.mine.reference}@expio-booking",
                     f"{clinic.later.reference}@expio-booking"}


def test_events_use_kyiv_time_with_a_vtimezone_and_the_sequence(client, admin, clinic):
    appointment_changes.reschedule_by_staff(clinic.later.id,
                                            datetime(2026, 12, 10, 12, tzinfo=timezone.utc))
    path = create_feed(admin, clinic.doctor_a)
    calendar = Calendar.from_ical(client.get(path).data)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Kyiv"]
    by_uid = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    first = by_uid[f"{clinic.mine.reference}@expio-booking"]
    assert first["DTSTART"].params["TZID"] == "Europe/Kyiv"
    assert first.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == "2026-12-08 10:00"
    assert first.decoded("DTEND").strftime("%H:%M") == "11:00"
    assert int(first["SEQUENCE"]) == 0
    moved = by_uid[f"{clinic.later.reference}@expio-booking"]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART").strftime("%Y-%m-%d %H:%M") == "2026-12-10 14:00"


def test_the_feed_names_patients_by_initials_only(client, admin, clinic):
    path = create_feed(admin, clinic.doctor_a)
    body = client.get(path).get_data(as_text=True)
    summaries = sorted(str(e["SUMMARY"]) for e in events(body.encode()))
    assert summaries == ["Appointment: I. F.", "Appointment: O. P."]
    for secret in ("Olena", "Petrenko", "olena@example.com", "+380501234567",
                   "Ketamine", "infusion", "Ivan Franko"):
        assert secret not in body


@pytest.mark.parametrize("name, expected", [
    ("Olena Petrenko", "O. P."),
    ("olena maria petrenko", "O. P."),
    ("Anna-Maria Kovalenko", "A. K."),
    ("Cher", "C."),
    ("", "?"),
])
def test_initials(name, expected):
    assert feeds.initials(name) == expected


def test_course_sessions_are_marked_with_their_day(app):
    appointment = SimpleNamespace(patient=SimpleNamespace(full_name="Olena Petrenko"),
                                  course_id=3, course_day=2,
                                  course=SimpleNamespace(sessions_count=5))
    assert feeds.event_summary(appointment) == "Appointment: O. P. (course day 2/5)"


def test_feed_responses_are_private(client, admin, clinic):
    path = create_feed(admin, clinic.doctor_a)
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_wrong_token_is_a_404(client, clinic):
    response = client.get("/feeds/not-a-real-token.ics")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_only_the_token_hash_is_stored(admin, clinic):
    path = create_feed(admin, clinic.doctor_a)
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    feed = db.session.execute(select(CalendarFeed)).scalar_one()
    assert feed.token_hash == manage_links.hash_token(token)
    assert token not in feed.token_hash


def test_rotating_kills_the_old_url_at_once(client, admin, clinic):
    old = create_feed(admin, clinic.doctor_a)
    assert client.get(old).status_code == 200
    new = create_feed(admin, clinic.doctor_a)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_rotation_is_audited_without_the_token(admin, clinic):
    first = create_feed(admin, clinic.doctor_a)
    second = create_feed(admin, clinic.doctor_a)
    rows = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "feed.rotate")).scalars().all()
    assert len(rows) == 2
    assert [row.details["created"] for row in rows] == [True, False]
    assert {row.details["practitioner_id"] for row in rows} == {clinic.doctor_a.id}
    assert {row.actor for row in rows} == {"admin@example.com"}
    for row in rows:
        text = str(row.details)
        for path in (first, second):
            assert path.removeprefix("/feeds/").removesuffix(".ics") not in text


def test_the_admin_page_lists_practitioners_without_showing_addresses_again(admin, clinic):
    create_feed(admin, clinic.doctor_a)
    page = admin.get("/staff/admin/feeds")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Dr Alpha" in text and "Dr Beta" in text
    assert ".ics" not in text
    assert "Renew the address" in text and "Create an address" in text


def test_a_receptionist_cannot_rotate_or_see_feeds(staff_client, clinic):
    desk = staff_client("receptionist")
    assert desk.post(f"/staff/admin/feeds/{clinic.doctor_a.id}").status_code == 403
    assert desk.get("/staff/admin/feeds").status_code == 403
    assert db.session.execute(select(CalendarFeed)).first() is None


def test_rotating_for_an_unknown_practitioner_is_a_404(admin, clinic):
    assert admin.post("/staff/admin/feeds/9999").status_code == 404


def test_the_feed_window_is_bounded_by_the_staff_horizon(app, clinic):
    start, end = feeds.feed_window(NOW)
    assert start.isoformat() == "2026-12-07T00:00:00+02:00"
    assert (end - start).days == app.config["STAFF_BOOKING_HORIZON_DAYS"] + 1
    beyond = db.session.get(Appointment, clinic.later.id)
    beyond.starts_at = end + timedelta(hours=10)
    beyond.ends_at = end + timedelta(hours=11)
    beyond.blocks_until = beyond.ends_at
    db.session.commit()
    ids = [a.id for a in feeds.upcoming_appointments(clinic.doctor_a.id, NOW)]
    assert ids == [clinic.mine.id]
