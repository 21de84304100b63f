"""The patient's diary pages through the private link: one tap for "no headache", the headache
form, the 8 days that can be filled, the locked days, the calendar and the reminder settings.

"Now" is the suite's NOW: Monday 7 December 2026, 09:00 Kyiv. Editable: 30 Nov - 7 Dec."""
import re
import secrets
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from booking.diary import services
from booking.extensions import db
from booking.models import DiaryEntry, DiaryLink, DiarySettings
from booking.scheduler import services as booking
from booking.scheduler import manage_links
from tests.conftest import NOW

from .conftest import TUESDAY_10

TODAY = date(2026, 12, 7)


def entries(patient_id):
    return db.session.execute(select(DiaryEntry).where(DiaryEntry.patient_id == patient_id)
                              .order_by(DiaryEntry.entry_on)).scalars().all()


def headache_form(**overrides):
    data = {"headache": "yes", "duration": "4_h_or_more", "worst_pain": "7",
            "features": ["one_side", "throbbing", "nausea_vomiting"], "aura": "no"}
    data.update(overrides)
    return data


def test_the_manage_page_invites_to_the_diary_when_the_service_offers_it(client, booked):
    _appointment, token = booked
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert "Headache diary" in page
    assert f'href="/manage/{token}/diary"' in page


def test_a_service_without_the_diary_neither_links_nor_opens_it(client, create_service,
                                                                 create_practitioner,
                                                                 patient_details):
    service = create_service(name="Psychotherapy session")
    create_practitioner([service], full_name="Dr Other")
    _appointment, token = booking.book(service_id=service.id, start=TUESDAY_10,
                                       patient=patient_details, consent=True)
    assert "Headache diary" not in client.get(f"/manage/{token}").get_data(as_text=True)
    assert client.get(f"/manage/{token}/diary").status_code == 404
    assert services.settings_of(_appointment.patient_id) is None  # not invited


def test_an_unknown_link_gives_404(client, booked):
    assert client.get("/manage/not-a-token/diary").status_code == 404


def test_no_headache_today_is_one_tap(client, booked):
    appointment, token = booked
    home = client.get(f"/manage/{token}/diary").get_data(as_text=True)
    assert "Today, Monday 7 December" in home
    response = client.post(f"/manage/{token}/diary/2026-12-07", data={"headache": "no"})
    assert response.status_code == 303
    [entry] = entries(appointment.patient_id)
    assert (entry.entry_on, entry.headache, entry.worst_pain) == (TODAY, False, None)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: Monday 7 December." in page


def test_a_headache_is_saved_with_the_patients_own_medicines_and_their_classes(
        client, booked, own_medicines):
    _appointment, token = booked
    form = client.get(f"/manage/{token}/diary/2026-12-06").get_data(as_text=True)
    assert "Sumatriptan" in form and "Ibuprofen" in form
    assert "Another medicine, or not sure which" in form
    assert "pain 2 hours later" in form  # a triptan is on the list
    values = dict(re.findall(r'name="medicines" value="(\w+)"[^>]*>\s*<label[^>]*>([^<]+)<',
                             form))
    chosen = [value for value, name in values.items() if name in ("Sumatriptan",)]
    response = client.post(f"/manage/{token}/diary/2026-12-06", data=headache_form(
        medicines=chosen + ["other"], felt_like_migraine="y", relief_2h="mild"))
    assert response.status_code == 303
    [entry] = entries(own_medicines)
    assert (entry.entry_on, entry.headache, entry.duration, entry.worst_pain) == (
        date(2026, 12, 6), True, "4_h_or_more", 7)
    assert (entry.one_side, entry.throbbing, entry.nausea_vomiting, entry.light_hurts) == (
        True, True, True, False)
    assert entry.felt_like_migraine and entry.relief_2h == "mild"
    assert sorted((m.name, m.drug_class) for m in entry.medicines) == [
        ("", "other"), ("Sumatriptan", "triptan")]


def test_a_headache_without_its_length_or_pain_is_refused_and_nothing_is_saved(client, booked):
    appointment, token = booked
    response = client.post(f"/manage/{token}/diary/2026-12-07",
                           data={"headache": "yes", "aura": "no"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count("Please answer this question.") == 2
    assert entries(appointment.patient_id) == []


def test_correcting_a_day_replaces_its_answers_and_keeps_one_entry(client, booked,
                                                                    own_medicines):
    _appointment, token = booked
    client.post(f"/manage/{token}/diary/2026-12-05", data=headache_form(medicines=["m1"]))
    client.post(f"/manage/{token}/diary/2026-12-05", data={"headache": "no"})
    [entry] = entries(own_medicines)
    assert (entry.headache, entry.duration, entry.one_side, list(entry.medicines)) == (
        False, None, False, [])


@pytest.mark.parametrize("day, status", [("2026-11-30", 303), ("2026-11-29", 422)])
def test_today_and_the_7_days_before_can_be_filled_older_days_are_locked(client, booked, day,
                                                                         status):
    appointment, token = booked
    response = client.post(f"/manage/{token}/diary/{day}", data={"headache": "no"})
    assert response.status_code == status
    assert len(entries(appointment.patient_id)) == (1 if status == 303 else 0)


def test_a_locked_day_shows_no_form(client, booked):
    _appointment, token = booked
    page = client.get(f"/manage/{token}/diary/2026-11-20").get_data(as_text=True)
    assert "older days are locked" in page
    assert 'name="headache"' not in page
    assert "This day was not filled in." in page


def test_a_day_after_today_does_not_exist_yet(client, booked):
    _appointment, token = booked
    assert client.get(f"/manage/{token}/diary/2026-12-08").status_code == 404
    assert client.post(f"/manage/{token}/diary/2026-12-08",
                       data={"headache": "no"}).status_code == 404


def test_the_home_page_lists_the_8_days_that_can_be_filled(client, booked):
    _appointment, token = booked
    page = client.get(f"/manage/{token}/diary").get_data(as_text=True)
    assert page.count('value="no">No headache') == 8
    assert "Yesterday, Sunday 6 December" in page
    assert "Monday 30 November" in page and "Sunday 29 November" not in page


def test_the_calendar_says_each_day_in_words_and_never_shows_a_score(client, booked):
    appointment, token = booked
    client.post(f"/manage/{token}/diary/2026-12-01", data={"headache": "no"})
    client.post(f"/manage/{token}/diary/2026-12-02", data=headache_form(medicines=["other"]))
    page = client.get(f"/manage/{token}/diary").get_data(as_text=True)
    calendar = page[page.index("diary-calendar"):page.index("diary-legend")]
    assert calendar.count(">no headache<") == 1
    assert "headache, medicine taken" in calendar
    # 3-7 December are past or today and not filled: unknown, never "no headache".
    assert calendar.count("not filled in") == 5
    assert "migraine" not in page.lower()


def test_diary_pages_are_private(client, booked):
    _appointment, token = booked
    for path in ("", "/2026-12-07", "/month/2026-11"):
        response = client.get(f"/manage/{token}/diary{path}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_month_after_this_one_does_not_exist_yet(client, booked):
    _appointment, token = booked
    assert client.get(f"/manage/{token}/diary/month/2027-01").status_code == 404
    assert client.get(f"/manage/{token}/diary/month/2026-13").status_code == 404


def test_the_patient_chooses_a_reminder_hour_and_stops_it_at_once(client, booked):
    appointment, token = booked
    assert client.post(f"/manage/{token}/diary/reminder", data={"hour": "20"}).status_code == 303
    settings = services.settings_of(appointment.patient_id)
    assert (settings.reminder_hour, settings.reminding) == (20, True)
    assert "every day at 20:00" in client.get(f"/manage/{token}/diary").get_data(as_text=True)
    assert client.post(f"/manage/{token}/diary/reminder/stop").status_code == 303
    db.session.expire_all()
    assert not services.settings_of(appointment.patient_id).reminding


@pytest.mark.parametrize("hour", ["22", "23", "6", "x"])
def test_a_reminder_after_21_00_or_off_the_list_is_refused(client, booked, hour):
    appointment, token = booked
    assert client.post(f"/manage/{token}/diary/reminder", data={"hour": hour}).status_code == 422
    assert services.settings_of(appointment.patient_id).reminder_hour is None


def test_a_reminders_link_opens_the_diary_alone_until_it_expires(app, client, booked):
    appointment, _token = booked
    token = secrets.token_urlsafe(32)
    db.session.add(DiaryLink(patient_id=appointment.patient_id,
                             token_hash=manage_links.hash_token(token),
                             expires_at=NOW + timedelta(days=1)))
    db.session.commit()
    page = client.get(f"/manage/{token}/diary").get_data(as_text=True)
    assert "Your headache diary" in page
    assert "Back to your appointment" not in page
    assert client.get(f"/manage/{token}").status_code == 404  # not the booking's link
    app.config["FROZEN_NOW"] = NOW + timedelta(days=1, seconds=1)
    assert client.get(f"/manage/{token}/diary").status_code == 404


def test_booking_a_service_that_offers_the_diary_invites_the_patient(app, booked):
    appointment, _token = booked
    assert services.settings_of(appointment.patient_id).invited_at == NOW
    assert db.session.execute(select(func.count()).select_from(DiarySettings)).scalar_one() == 1


@pytest.mark.parametrize("now_utc, kyiv_day", [
    (datetime(2026, 10, 24, 21, 30, tzinfo=timezone.utc), date(2026, 10, 25)),  # 00:30 EEST
    (datetime(2026, 10, 25, 21, 59, tzinfo=timezone.utc), date(2026, 10, 25)),  # 23:59 EET
    (datetime(2026, 10, 25, 22, 0, tzinfo=timezone.utc), date(2026, 10, 26)),  # 00:00 EET
])
def test_a_day_is_the_kyiv_date_and_the_dst_day_is_one_day(app, now_utc, kyiv_day):
    assert services.today(now_utc) == kyiv_day


def test_an_admin_chooses_which_services_invite_to_the_diary(app, staff_client, create_service,
                                                             create_practitioner):
    from booking.models import Service

    service = create_service(name="Follow-up consultation")
    practitioner = create_practitioner([service], full_name="Dr Admin Form")
    admin = staff_client("admin")
    form = admin.get(f"/staff/admin/services/{service.id}").get_data(as_text=True)
    assert "Invite patients to the headache diary" in form
    response = admin.post(f"/staff/admin/services/{service.id}", data={
        "name": "Follow-up consultation", "duration_minutes": "30", "grid_minutes": "30",
        "buffer_minutes": "0", "online_bookable": "y", "active": "y", "offers_diary": "y",
        "practitioner_ids": [str(practitioner.id)]})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, service.id).offers_diary is True
