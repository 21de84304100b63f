"""The patient's booking pages: home -> a week of times -> details -> booked.

"Now" is Monday 7 December 2026, 09:00 in Kyiv (conftest.NOW); the minimum notice is two
hours, so Monday's first time is 11:00 and Tuesday's is 10:00.
"""
import html
import re
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Patient

KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY = date(2026, 12, 8)
NEXT_MONDAY = date(2026, 12, 14)


# --- Helpers ----------------------------------------------------------------------------------

def at(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=KYIV)


def text(response):
    return response.get_data(as_text=True)


def links(response):
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', text(response))]


def slot_links(response):
    """The slot buttons of a slot page, as (start, practitioner) pairs in page order."""
    found = []
    for href in links(response):
        if "/details?" in href:
            query = dict(pair.split("=", 1) for pair in urlsplit(href).query.split("&"))
            start = datetime.fromisoformat(query["start"].replace("%2B", "+"))
            found.append((start, query["practitioner"]))
    return found


def details_url(service_id, start, practitioner="any"):
    return f"/book/{service_id}/details?" + urlencode(
        {"start": start.isoformat(), "practitioner": practitioner})


def form_data(details, start, consent=True, **changes):
    data = {**details, "start": start.isoformat(), **changes}
    if consent:
        data["consent"] = "y"
    return data


def appointment_count():
    return db.session.execute(select(func.count()).select_from(Appointment)).scalar_one()


def patient_count():
    return db.session.execute(select(func.count()).select_from(Patient)).scalar_one()


@pytest.fixture
def consultation(create_service, create_practitioner):
    service = create_service("First consultation", duration_minutes=60)
    create_practitioner([service], full_name="Dr Olena Kovalenko", title="Neurologist")
    return service


# --- Home -------------------------------------------------------------------------------------

def test_home_shows_the_clinic_its_hours_phone_and_the_services_bookable_online(
        client, create_service, app):
    create_service("First consultation", duration_minutes=60)
    create_service("Follow-up consultation", duration_minutes=30)
    create_service("Retired service", active=False)
    create_service("Phone-only service", online_bookable=False)

    response = client.get("/")

    page = text(response)
    assert response.status_code == 200
    assert "Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio" in page
    assert "Kyiv" in page
    assert "Monday to Friday, 10:00–19:00 (Kyiv time)" in page
    assert 'href="tel:+380737308088"' in page
    assert "+380 73 730 80 88" in page
    assert "First consultation" in page and "60 minutes" in page
    assert "Follow-up consultation" in page and "30 minutes" in page
    assert "Retired service" not in page
    assert "Phone-only service" not in page


def test_each_service_on_the_home_page_has_a_book_link_to_its_times(client, consultation):
    response = client.get("/")

    assert f"/book/{consultation.id}" in links(response)
    assert ">Book<" in text(response)


# --- A week of free times ---------------------------------------------------------------------

def test_slot_page_lists_10_00_first_on_a_weekday_and_nothing_at_weekends(client, consultation):
    response = client.get(f"/book/{consultation.id}?week={NEXT_MONDAY}")

    starts = [start for start, _ in slot_links(response)]
    assert response.status_code == 200
    assert starts[0] == at(NEXT_MONDAY, "10:00")
    assert {start.date() for start in starts} == {NEXT_MONDAY + timedelta(days=i) for i in range(5)}
    for day in range(5):
        first_of_day = min(s for s in starts if s.date() == NEXT_MONDAY + timedelta(days=day))
        assert first_of_day.time() == time(10, 0)
        last_of_day = max(s for s in starts if s.date() == NEXT_MONDAY + timedelta(days=day))
        assert last_of_day.time() == time(18, 0)  # a 60-minute visit ends by 19:00
    assert "Saturday" not in text(response) and "Sunday" not in text(response)


def test_slot_page_groups_times_by_day_with_weekday_and_date_in_kyiv_time(client, consultation):
    response = client.get(f"/book/{consultation.id}")

    page = text(response)
    assert "7 December – 13 December 2026" in page
    assert "Monday, 7 December 2026" in page
    assert "Tuesday, 8 December 2026" in page
    assert "Friday, 11 December 2026" in page
    # Today starts two hours from now (09:00 + notice); tomorrow at opening time.
    today = [s for s, _ in slot_links(response) if s.date() == date(2026, 12, 7)]
    assert today[0] == at(date(2026, 12, 7), "11:00")
    assert ">10:00</a>" in page
    assert all(s.utcoffset() == timedelta(hours=2) for s, _ in slot_links(response))


def test_the_current_week_has_no_previous_link_and_links_to_the_next(client, consultation):
    response = client.get(f"/book/{consultation.id}")

    assert "Previous week" not in text(response)
    assert f"/book/{consultation.id}?practitioner=any&week={NEXT_MONDAY}" in links(response)


def test_a_later_week_links_back_to_the_previous_one(client, consultation):
    response = client.get(f"/book/{consultation.id}?week=2026-12-16")  # any day of that week

    assert "14 December – 20 December 2026" in text(response)
    assert f"/book/{consultation.id}?practitioner=any&week=2026-12-07" in links(response)
    assert f"/book/{consultation.id}?practitioner=any&week=2026-12-21" in links(response)


def test_there_is_no_next_link_beyond_the_booking_horizon(client, consultation, app):
    # 60 days from Monday 7 December is Friday 5 February 2027: its week is the last one.
    last_week = date(2027, 2, 1)

    response = client.get(f"/book/{consultation.id}?week={last_week}")

    assert response.status_code == 200
    assert "1 February – 7 February 2027" in text(response)
    assert "Next week" not in text(response)
    assert max(s for s, _ in slot_links(response)).date() == date(2027, 2, 5)


@pytest.mark.parametrize("week", [
    "nonsense", "2026-13-45", "14.12.2026", "2026-12-07T10:00", "2020-01-06", "2031-01-06", "",
])
def test_a_bad_week_value_falls_back_to_the_current_week(client, consultation, week):
    response = client.get(f"/book/{consultation.id}?week={week}")

    assert response.status_code == 200
    assert "7 December – 13 December 2026" in text(response)
    assert slot_links(response)[0][0] == at(date(2026, 12, 7), "11:00")


def test_a_week_without_free_times_says_so_and_offers_the_next_week(client, consultation, app):
    # Friday 17:30: with two hours' notice nothing is left this week.
    app.config["FROZEN_NOW"] = at(date(2026, 12, 11), "17:30").astimezone(timezone.utc)

    response = client.get(f"/book/{consultation.id}?week=2026-12-11")

    assert response.status_code == 200
    assert "7 December – 13 December 2026" in text(response)
    assert "There are no free times this week." in text(response)
    assert slot_links(response) == []
    assert f"/book/{consultation.id}?practitioner=any&week={NEXT_MONDAY}" in links(response)


def test_without_a_week_asked_the_first_week_with_free_times_is_shown(client, consultation, app):
    # Friday 17:30: this week is over, so the page opens on next week.
    app.config["FROZEN_NOW"] = at(date(2026, 12, 11), "17:30").astimezone(timezone.utc)

    response = client.get(f"/book/{consultation.id}")

    assert "14 December – 20 December 2026" in text(response)
    assert slot_links(response)[0][0] == at(NEXT_MONDAY, "10:00")


def test_any_practitioner_shows_each_start_once(client, create_service, create_practitioner):
    service = create_service()
    create_practitioner([service], full_name="Dr A")
    create_practitioner([service], full_name="Dr B")

    response = client.get(f"/book/{service.id}?week={NEXT_MONDAY}")

    starts = slot_links(response)
    assert len(starts) == len(set(starts))
    assert starts.count((at(NEXT_MONDAY, "10:00"), "any")) == 1
    assert len(starts) == 5 * 17  # 10:00 .. 18:00 every half hour, Monday to Friday


def test_choosing_a_practitioner_shows_only_their_times(client, create_service,
                                                        create_practitioner):
    service = create_service()
    create_practitioner([service], full_name="Dr Morning",
                        hours={d: [(time(10), time(13))] for d in range(5)})
    afternoon = create_practitioner([service], full_name="Dr Afternoon",
                                    hours={d: [(time(14), time(19))] for d in range(5)})

    response = client.get(f"/book/{service.id}?week={NEXT_MONDAY}&practitioner={afternoon.id}")

    starts = slot_links(response)
    assert starts[0] == (at(NEXT_MONDAY, "14:00"), str(afternoon.id))
    assert all(practitioner == str(afternoon.id) for _, practitioner in starts)
    assert f'<option selected value="{afternoon.id}">Dr Afternoon</option>' in text(response)


def test_the_practitioner_choice_is_a_labelled_get_form_that_works_without_javascript(
        client, create_service, create_practitioner):
    service = create_service()
    create_practitioner([service], full_name="Dr A")

    page = text(client.get(f"/book/{service.id}"))

    assert re.search(r'<form[^>]*method="get"', page)
    assert '<label class="label" for="practitioner">Practitioner</label>' in page
    assert '<option selected value="any">Any practitioner</option>' in page
    assert 'type="submit">Show times</button>' in page


@pytest.mark.parametrize("practitioner", ["999", "someone", ""])
def test_an_unknown_practitioner_on_the_slot_page_shows_everyone(client, consultation,
                                                                 practitioner):
    response = client.get(f"/book/{consultation.id}?practitioner={practitioner}")

    assert response.status_code == 200
    assert slot_links(response)[0][1] == "any"


@pytest.mark.parametrize("kind", ["unknown", "inactive", "not_online"])
def test_an_unknown_or_unbookable_service_is_404(client, create_service, create_practitioner,
                                                  kind):
    fields = {"inactive": {"active": False}, "not_online": {"online_bookable": False}}
    service = create_service(**fields.get(kind, {}))
    create_practitioner([service])
    service_id = 999 if kind == "unknown" else service.id

    assert client.get(f"/book/{service_id}").status_code == 404
    assert client.get(details_url(service_id, at(TUESDAY, "10:00"))).status_code == 404


# --- Details and booking ----------------------------------------------------------------------

def test_booking_from_the_slot_page_to_the_manage_page(client, consultation, patient_details):
    slots_page = client.get(f"/book/{consultation.id}")
    link = next(href for href in links(slots_page)
                if "/details?" in href and "2026-12-08T10:00:00%2B02:00" in href)

    details = client.get(link)
    assert details.status_code == 200
    assert "First consultation" in text(details)
    assert "Tuesday, 8 December 2026" in text(details)
    assert "10:00" in text(details)
    assert 'for="consent"' in text(details)

    typed = {**patient_details, "phone": "050 123 45 67"}
    booked = client.post(link, data=form_data(typed, at(TUESDAY, "10:00")))

    assert booked.status_code == 303
    location = booked.headers["Location"]
    assert re.fullmatch(r"/manage/[A-Za-z0-9_-]{40,}\?new=1", location)
    manage = client.get(location)
    appointment = db.session.execute(select(Appointment)).scalar_one()
    assert "Your appointment is booked" in text(manage)
    assert appointment.reference in text(manage)
    assert "Tuesday, 8 December 2026" in text(manage)
    assert appointment.starts_at == at(TUESDAY, "10:00")
    assert appointment.source == "online"
    assert appointment.patient.phone == "+380501234567"
    assert appointment.patient.full_name == "Test Patient"
    assert appointment.patient.consents[0].version == "2026-11-v1"


def test_the_booked_time_is_no_longer_offered(client, consultation, patient_details):
    client.post(details_url(consultation.id, at(TUESDAY, "10:00")),
                data=form_data(patient_details, at(TUESDAY, "10:00")))

    starts = [start for start, _ in slot_links(client.get(f"/book/{consultation.id}"))]

    assert at(TUESDAY, "10:00") not in starts
    assert at(TUESDAY, "09:30") not in starts
    assert at(TUESDAY, "11:00") in starts


def test_booking_a_chosen_practitioner_books_them(client, create_service, create_practitioner,
                                                  patient_details):
    service = create_service()
    create_practitioner([service], full_name="Dr A")
    chosen = create_practitioner([service], full_name="Dr B")
    url = details_url(service.id, at(TUESDAY, "10:00"), practitioner=chosen.id)

    assert "Dr B" in text(client.get(url))
    response = client.post(url, data=form_data(patient_details, at(TUESDAY, "10:00")))

    assert response.status_code == 303
    assert db.session.execute(select(Appointment)).scalar_one().practitioner_id == chosen.id


@pytest.mark.parametrize("practitioner", ["999", "nobody"])
def test_details_for_an_unknown_practitioner_is_404(client, consultation, patient_details,
                                                     practitioner):
    url = details_url(consultation.id, at(TUESDAY, "10:00"), practitioner=practitioner)

    assert client.get(url).status_code == 404
    assert client.post(url, data=form_data(patient_details, at(TUESDAY, "10:00"))
                       ).status_code == 404
    assert appointment_count() == 0


@pytest.mark.parametrize("query", [
    "practitioner=any",
    "start=tomorrow&practitioner=any",
    "start=2026-12-08T10:00:00&practitioner=any",  # no UTC offset
    "start=" + "9" * 200,
])
def test_details_without_a_usable_start_goes_back_to_the_times(client, consultation, query):
    response = client.get(f"/book/{consultation.id}/details?{query}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/book/{consultation.id}?practitioner=any"
    assert "Please choose a time for your appointment." in text(client.get(
        response.headers["Location"]))


def test_an_unencoded_plus_in_the_start_is_understood(client, consultation):
    # Someone copying the link by hand: '+' in a query string arrives as a space.
    response = client.get(
        f"/book/{consultation.id}/details?start=2026-12-08T10:00:00+02:00&practitioner=any")

    assert response.status_code == 200
    assert "Tuesday, 8 December 2026" in text(response)


@pytest.mark.parametrize("field, typed, message", [
    ("email", "not-an-email", "Please enter an email address like name@example.com."),
    ("phone", "12", "Please enter a phone number in international format"),
    ("date_of_birth", "2010-06-01", "Online booking is for adults (18 and over). Please call"),
    ("date_of_birth", "17/05/1990", "Please enter your date of birth (YYYY-MM-DD)."),
    ("full_name", "   ", "Please enter your full name."),
])
def test_invalid_details_are_shown_next_to_the_field_and_nothing_is_saved(
        client, consultation, patient_details, field, typed, message):
    data = form_data({**patient_details, field: typed}, at(TUESDAY, "10:00"))

    response = client.post(details_url(consultation.id, at(TUESDAY, "10:00")), data=data)

    page = text(response)
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in html.unescape(error.group(1))
    field_input = re.search(rf'<input[^>]*id="{field}"[^>]*>', page).group(0)
    assert f"{field}-error" in field_input and 'aria-invalid="true"' in field_input
    # Everything typed is still there, the bad value too.
    for name, value in data.items():
        if name not in ("consent", "start", field):
            assert f'value="{html.escape(value, quote=True)}"' in page
    assert f'value="{html.escape(typed.strip(), quote=True)}"' in page or not typed.strip()
    assert appointment_count() == 0 and patient_count() == 0


def test_booking_without_consent_is_refused_next_to_the_checkbox(client, consultation,
                                                                 patient_details):
    response = client.post(details_url(consultation.id, at(TUESDAY, "10:00")),
                           data=form_data(patient_details, at(TUESDAY, "10:00"), consent=False))

    page = text(response)
    assert response.status_code == 422
    assert '<p class="field-error" id="consent-error">' in page
    assert "Please agree to the processing of your data" in page
    assert re.search(r'<input[^>]*aria-describedby="consent-hint consent-error"[^>]*id="consent"',
                     page)
    assert 'value="Test Patient"' in page and 'value="patient@example.com"' in page
    assert appointment_count() == 0


def test_several_wrong_fields_are_all_reported_at_once(client, consultation, patient_details):
    data = form_data({**patient_details, "email": "x", "phone": "1"}, at(TUESDAY, "10:00"),
                     consent=False)

    page = text(client.post(details_url(consultation.id, at(TUESDAY, "10:00")), data=data))

    for field in ("email", "phone", "consent"):
        assert f'id="{field}-error"' in page


def test_a_second_patient_for_the_same_time_gets_409_and_other_times_of_that_day(
        client, consultation, patient_details):
    url = details_url(consultation.id, at(TUESDAY, "10:00"))
    assert client.post(url, data=form_data(patient_details, at(TUESDAY, "10:00"))
                       ).status_code == 303
    second = {"full_name": "Second Person", "email": "second@example.com",
              "phone": "+380671112233", "date_of_birth": "1985-02-03"}

    response = client.post(url, data=form_data(second, at(TUESDAY, "10:00")))

    page = text(response)
    assert response.status_code == 409
    assert "that time has just been taken" in page
    assert 'value="Second Person"' in page and 'value="second@example.com"' in page
    offered = re.findall(r'<input class="slot-radio" type="radio" name="start"[^>]*value="([^"]+)"',
                         page)
    assert at(TUESDAY, "11:00").isoformat() in offered
    assert at(TUESDAY, "10:00").isoformat() not in offered
    assert all(datetime.fromisoformat(value).date() == TUESDAY for value in offered)
    assert appointment_count() == 1

    # They pick another time in the same form and press Book again.
    again = client.post(url, data=form_data(second, at(TUESDAY, "11:00")))
    assert again.status_code == 303
    assert appointment_count() == 2


def test_when_the_day_is_full_after_a_clash_the_rest_of_the_week_is_offered(
        client, create_service, create_practitioner, patient_details):
    service = create_service(duration_minutes=60)
    create_practitioner([service], hours={1: [(time(10), time(11))], 3: [(time(10), time(12))]})
    url = details_url(service.id, at(TUESDAY, "10:00"))
    client.post(url, data=form_data(patient_details, at(TUESDAY, "10:00")))

    response = client.post(url, data=form_data({**patient_details, "email": "b@example.com"},
                                               at(TUESDAY, "10:00")))

    page = text(response)
    assert response.status_code == 409
    assert "Thursday, 10 December 2026" in page
    assert at(date(2026, 12, 10), "10:00").isoformat() in page


@pytest.mark.parametrize("start, message", [
    (at(TUESDAY, "08:00"), "outside the clinic's opening hours"),
    (at(TUESDAY, "18:30"), "outside the clinic's opening hours"),  # would end at 19:30
    (at(TUESDAY, "10:10"), "not on the booking grid"),
    (at(date(2026, 12, 12), "10:00"), "closed at weekends"),
    (at(date(2026, 12, 7), "10:00"), "That time is too soon to book online"),
    (at(date(2026, 12, 4), "10:00"), "That time is in the past."),
    (at(date(2027, 3, 1), "10:00"), "too far ahead"),
])
def test_a_time_breaking_a_clinic_rule_is_refused_with_422(client, consultation,
                                                           patient_details, start, message):
    response = client.post(details_url(consultation.id, start),
                           data=form_data(patient_details, start))

    assert response.status_code == 422
    assert message in html.unescape(text(response))
    assert 'id="start-error"' in text(response)
    assert 'value="Test Patient"' in text(response)
    assert appointment_count() == 0


def test_a_time_nobody_works_is_refused_with_422(client, create_service, create_practitioner,
                                                 patient_details):
    service = create_service()
    create_practitioner([service], hours={d: [(time(14), time(19))] for d in range(5)})

    response = client.post(details_url(service.id, at(TUESDAY, "10:00")),
                           data=form_data(patient_details, at(TUESDAY, "10:00")))

    assert response.status_code == 422
    assert "No practitioner works at that time" in text(response)
    assert appointment_count() == 0


def test_a_returning_patient_keeps_one_patient_record(client, consultation, patient_details):
    first = client.post(details_url(consultation.id, at(TUESDAY, "10:00")),
                        data=form_data(patient_details, at(TUESDAY, "10:00")))
    again = {**patient_details, "email": "Patient@Example.com", "phone": "+380 67 999 88 77"}
    second = client.post(details_url(consultation.id, at(TUESDAY, "14:00")),
                         data=form_data(again, at(TUESDAY, "14:00")))

    assert first.status_code == second.status_code == 303
    assert patient_count() == 1
    assert appointment_count() == 2
    patient = db.session.execute(select(Patient)).scalar_one()
    assert patient.phone == "+380679998877"  # the number given most recently


def test_the_patients_details_never_appear_in_a_redirect(client, consultation,
                                                         patient_details):
    details = {**patient_details, "full_name": "Unique Name", "email": "unique.person@example.com"}
    locations = []
    for url, data in [
        (details_url(consultation.id, at(TUESDAY, "10:00")),
         form_data(details, at(TUESDAY, "10:00"))),
        (f"/book/{consultation.id}/details?practitioner=any",
         {**details, "start": "garbage", "consent": "y"}),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 303
        locations.append(response.headers["Location"])

    for location in locations:
        for secret in ("Unique", "Name", "unique.person", "example.com", "501234567", "1990"):
            assert secret.lower() not in location.lower()


def test_pages_have_no_inline_scripts_or_styles(client, consultation, patient_details):
    booked = client.post(details_url(consultation.id, at(TUESDAY, "10:00")),
                         data=form_data(patient_details, at(TUESDAY, "10:00")))
    pages = [
        client.get("/"),
        client.get(f"/book/{consultation.id}"),
        client.get(details_url(consultation.id, at(TUESDAY, "11:00"))),
        client.get(booked.headers["Location"]),
        client.get("/book/999"),
    ]
    for response in pages:
        page = text(response)
        assert " style=" not in page and "<style" not in page
        assert re.findall(r"<script(?![^>]*\ssrc=)", page) == []
        assert "//cdn" not in page and "fonts.googleapis" not in page


def test_every_input_on_the_details_page_has_a_visible_label(client, consultation):
    page = text(client.get(details_url(consultation.id, at(TUESDAY, "10:00"))))

    ids = re.findall(r'<input(?![^>]*type="hidden")[^>]*\sid="([^"]+)"', page)
    assert set(ids) == {"full_name", "phone", "email", "date_of_birth", "consent"}
    for input_id in ids:
        assert f'for="{input_id}"' in page
    assert 'type="date"' in page and 'type="tel"' in page and 'type="email"' in page
    assert "+380" in page  # the phone hint


def test_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(app, client, consultation,
                                                                    patient_details):
    app.config["WTF_CSRF_ENABLED"] = True
    url = details_url(consultation.id, at(TUESDAY, "10:00"))

    assert 'name="csrf_token"' in text(client.get(url))
    response = client.post(url, data=form_data(patient_details, at(TUESDAY, "10:00")))

    assert response.status_code == 400
    assert appointment_count() == 0
