"""Closures from the dashboard (reception and admins): one-off and weekly, clinic-wide or for one
practitioner; the appointments they overlap are listed before saving, and never cancelled."""
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, AuditEvent, Closure
from booking.scheduler import services as booking
from tests.conftest import PATIENT, STAFF_PASSWORD

KYIV = ZoneInfo("Europe/Kyiv")
FRIDAYS = (date(2026, 12, 11), date(2026, 12, 18), date(2027, 1, 8))


def local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def text(response):
    return response.get_data(as_text=True)


def slot_times(client, service, day):
    response = client.get("/api/v1/slots", query_string={
        "service": service.id, "from": day.isoformat(), "to": day.isoformat()})
    assert response.status_code == 200
    return [datetime.fromisoformat(s["start"]).astimezone(KYIV).strftime("%H:%M")
            for s in response.get_json()["slots"]]


def closures():
    db.session.rollback()
    return db.session.execute(select(Closure).order_by(Closure.id)).scalars().all()


def audit_rows(action):
    db.session.rollback()
    return db.session.execute(
        select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


WEEKLY_FRIDAY = {"repeat": "weekly", "practitioner_id": "", "reason": "Team meeting",
                 "day": "2026-12-07", "start_time": "14:00", "end_time": "15:00",
                 "weekdays": ["4"], "until": ""}


@pytest.fixture
def desk(staff_client):
    return staff_client("receptionist", email="desk@example.com")


@pytest.fixture
def service(create_service):
    return create_service(name="First consultation", duration_minutes=60, grid_minutes=30)


def test_a_weekly_closure_removes_those_slots_on_several_fridays(
        desk, client, service, create_practitioner):
    create_practitioner([service])
    for friday in FRIDAYS:
        assert "14:00" in slot_times(client, service, friday)

    response = desk.post("/staff/closures/new", data={**WEEKLY_FRIDAY, "action": "save"})
    assert response.status_code == 303

    for friday in FRIDAYS:
        times = slot_times(client, service, friday)
        assert not {"13:30", "14:00", "14:30"} & set(times), friday
        assert "13:00" in times and "15:00" in times
    assert "14:00" in slot_times(client, service, date(2026, 12, 17))  # a Thursday

    [closure] = closures()
    assert closure.rrule == "FREQ=WEEKLY;BYDAY=FR"
    assert closure.starts_at == local(date(2026, 12, 11), 14)
    assert closure.ends_at == local(date(2026, 12, 11), 15)
    assert closure.repeat_until is None and closure.practitioner_id is None
    listing = text(desk.get("/staff/closures"))
    assert "Every Friday, 14:00-15:00, from 11 December 2026 with no end date" in listing
    assert "Team meeting" in listing and "The whole clinic" in listing


def test_a_weekly_closure_on_two_days_stops_at_its_until_date(
        desk, client, service, create_practitioner):
    practitioner = create_practitioner([service], full_name="Dr Olha Savchenko")
    response = desk.post("/staff/closures/new", data={
        **WEEKLY_FRIDAY, "practitioner_id": str(practitioner.id), "weekdays": ["0", "4"],
        "start_time": "10:00", "end_time": "12:00", "until": "2026-12-18", "action": "save"})
    assert response.status_code == 303
    [closure] = closures()
    assert closure.rrule == "FREQ=WEEKLY;BYDAY=MO,FR"
    assert closure.repeat_until == date(2026, 12, 18)
    assert "10:00" not in slot_times(client, service, date(2026, 12, 14))  # Monday
    assert "10:00" not in slot_times(client, service, date(2026, 12, 18))  # Friday, the last
    assert "10:00" in slot_times(client, service, date(2026, 12, 21))  # after until
    listing = text(desk.get("/staff/closures"))
    assert "Every Monday and Friday, 10:00-12:00, from 7 December 2026 until 18 December 2026" \
        in listing
    assert "Dr Olha Savchenko" in listing


def test_the_check_lists_an_appointment_inside_the_closure_and_saving_keeps_it(
        desk, service, create_practitioner):
    create_practitioner([service], full_name="Dr Anna Lysenko")
    appointment, _token = booking.book(service_id=service.id, start=local(FRIDAYS[1], 14),
                                       patient=dict(PATIENT), consent=True)
    outside, _token = booking.book(service_id=service.id, start=local(FRIDAYS[1], 15),
                                   patient={**PATIENT, "email": "other@example.com"},
                                   consent=True)

    check = desk.post("/staff/closures/new", data={**WEEKLY_FRIDAY, "action": "check"})
    assert check.status_code == 200
    page = text(check)
    assert "1 booked appointment falls inside this closure." in page
    assert appointment.reference in page and outside.reference not in page
    assert "Test Patient" in page and "Dr Anna Lysenko" in page and "First consultation" in page
    assert f'href="/staff/appointments/{appointment.id}"' in page
    assert "does NOT cancel them" in page
    assert "Every Friday, 14:00-15:00" in page
    assert 'name="action" value="save"' in page
    assert closures() == []  # nothing saved by the check

    saved = desk.post("/staff/closures/new", data={**WEEKLY_FRIDAY, "action": "save"})
    assert saved.status_code == 303
    assert "was NOT cancelled" in text(desk.get(saved.headers["Location"]))
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == "booked"
    [event] = audit_rows("closure.create")
    assert event.details["overlapping_appointment_ids"] == [appointment.id]
    assert event.actor == "desk@example.com"


def test_a_practitioners_closure_ignores_other_practitioners_appointments(
        desk, service, create_practitioner):
    first = create_practitioner([service], full_name="Dr First")
    second = create_practitioner([service], full_name="Dr Second")
    appointment, _token = booking.book(service_id=service.id, start=local(FRIDAYS[0], 14),
                                       patient=dict(PATIENT), consent=True,
                                       practitioner_id=second.id)
    for practitioner, listed in ((first, False), (second, True)):
        page = text(desk.post("/staff/closures/new", data={
            **WEEKLY_FRIDAY, "practitioner_id": str(practitioner.id), "action": "check"}))
        assert (appointment.reference in page) is listed
    assert "No booked appointment falls inside this closure." in text(desk.post(
        "/staff/closures/new", data={**WEEKLY_FRIDAY, "practitioner_id": str(first.id),
                                     "action": "check"}))


def test_a_clinic_wide_whole_day_closure_removes_every_slot_that_day_until_deleted(
        desk, client, service, create_practitioner):
    create_practitioner([service], full_name="Dr One")
    create_practitioner([service], full_name="Dr Two")
    holiday = date(2026, 12, 9)
    assert slot_times(client, service, holiday)

    response = desk.post("/staff/closures/new", data={
        "repeat": "once", "practitioner_id": "", "reason": "Clinic holiday",
        "day": holiday.isoformat(), "whole_day": "y", "action": "save"})
    assert response.status_code == 303
    assert slot_times(client, service, holiday) == []
    assert slot_times(client, service, date(2026, 12, 8))
    assert slot_times(client, service, date(2026, 12, 10))
    [closure] = closures()
    assert (closure.starts_at, closure.ends_at) == (local(holiday, 0), local(date(2026, 12, 10), 0))
    assert "Whole day, Wednesday, 9 December 2026" in text(desk.get("/staff/closures"))

    deleted = desk.post(f"/staff/closures/{closure.id}/delete")
    assert deleted.status_code == 303
    assert closures() == []
    assert slot_times(client, service, holiday)
    [created] = audit_rows("closure.create")
    [removed] = audit_rows("closure.delete")
    assert created.object_id == removed.object_id == closure.id
    assert datetime.fromisoformat(removed.details["before"]["starts_at"]) == local(holiday, 0)


def test_several_whole_days_and_a_one_off_with_times(desk, client, service, create_practitioner):
    create_practitioner([service])
    response = desk.post("/staff/closures/new", data={
        "repeat": "once", "reason": "Conference", "day": "2026-12-21", "last_day": "2026-12-23",
        "whole_day": "y", "action": "save"})
    assert response.status_code == 303, text(response)
    desk.post("/staff/closures/new", data={
        "repeat": "once", "reason": "Fire drill", "day": "2026-12-10", "start_time": "12:00",
        "end_time": "12:30", "action": "save"})
    for day in (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)):
        assert slot_times(client, service, day) == []
    assert slot_times(client, service, date(2026, 12, 24))
    thursday = slot_times(client, service, date(2026, 12, 10))
    assert "11:30" not in thursday and "12:00" not in thursday and "12:30" in thursday
    listing = text(desk.get("/staff/closures"))
    assert "Whole days, 21 December 2026 to 23 December 2026" in listing
    assert "Thursday, 10 December 2026, 12:00-12:30" in listing
    assert listing.index("Fire drill") < listing.index("Conference")


@pytest.mark.parametrize("changes, field, message", [
    ({"end_time": "13:00"}, "end_time", "The end must be after the start."),
    ({"weekdays": []}, "weekdays", "Please choose at least one day of the week."),
    ({"reason": " "}, "reason", "Please give a reason"),
    ({"start_time": ""}, "start_time", "Please enter a time like 14:00"),
    ({"until": "2026-12-01"}, "until", "The last date is before the first closure"),
    ({"day": "2026-13-01"}, "day", "Please enter a date like"),
    ({"day": "2028-01-10"}, "day", "Closures can be planned up to 2027-12-07."),
    ({"repeat": "once", "day": "2026-12-01"}, "day", "That period is already over."),
    ({"day": "2026-12-01"}, "day", "Please start a weekly closure today or later."),
    ({"repeat": "once", "last_day": "2026-12-12"}, "last_day", "Tick “Whole days”"),
])
def test_a_closure_that_breaks_a_rule_is_refused_with_the_values_kept(
        desk, changes, field, message):
    data = {**WEEKLY_FRIDAY, **changes, "action": "check"}
    response = desk.post("/staff/closures/new", data=data)
    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'id="{field}-error">.*?{re.escape(message)}', page, re.S), page
    assert 'value="Team meeting"' in page or field == "reason"
    assert closures() == []


def test_change_it_goes_back_to_the_form_with_the_values(desk):
    response = desk.post("/staff/closures/new", data={**WEEKLY_FRIDAY, "action": "edit"})
    assert response.status_code == 200
    page = text(response)
    assert 'value="Team meeting"' in page and 'value="14:00"' in page
    assert re.search(r'<input[^>]*checked[^>]*value="4"|<input[^>]*value="4"[^>]*checked', page)


def test_past_closures_are_not_listed_and_unknown_ones_give_404(desk):
    db.session.add(Closure(starts_at=local(date(2026, 12, 1), 10),
                           ends_at=local(date(2026, 12, 1), 12), reason="Long gone"))
    db.session.commit()
    assert "Long gone" not in text(desk.get("/staff/closures"))
    assert desk.post("/staff/closures/999/delete").status_code == 404
    assert db.session.execute(select(func.count()).select_from(Closure)).scalar_one() == 1


def csrf_token(page):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_check_then_save_works_with_csrf_protection_on(make_test_app, create_staff):
    create_staff("desk@example.com")
    desk = make_test_app(WTF_CSRF_ENABLED=True).test_client()
    token = csrf_token(text(desk.get("/staff/sign-in")))
    assert desk.post("/staff/sign-in", data={"email": "desk@example.com", "csrf_token": token,
                                             "password": STAFF_PASSWORD}).status_code == 303

    token = csrf_token(text(desk.get("/staff/closures/new")))
    check = desk.post("/staff/closures/new",
                      data={**WEEKLY_FRIDAY, "action": "check", "csrf_token": token})
    assert check.status_code == 200
    hidden = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', text(check))
    assert ("reason", "Team meeting") in hidden and ("weekdays", "4") in hidden
    data = {}
    for name, value in hidden:
        data.setdefault(name, []).append(value)
    saved = desk.post("/staff/closures/new", data={**data, "csrf_token": csrf_token(text(check)),
                                                   "action": "save"})
    assert saved.status_code == 303
    assert len(closures()) == 1

    refused = desk.post("/staff/closures/new", data={**WEEKLY_FRIDAY, "action": "save"})
    assert refused.status_code == 400  # no token: nothing saved
    assert len(closures()) == 1
