"""The waitlist: join, be offered freed time in join order, first to confirm gets it."""
import logging
import re
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from booking import clinic_closures
from booking.extensions import db
from booking.models import (
    Appointment,
    AuditEvent,
    Closure,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
)
from booking.scheduler import services as booking
from booking.scheduler import appointment_changes, manage_links
from booking.waitlist import freed_time

TUESDAY_10 = datetime(2026, 12, 8, 8, tzinfo=timezone.utc)  # 10:00 Kyiv
OFFER_LINK = re.compile(r"/waitlist/offer/([A-Za-z0-9_-]+)")
LEAVE_LINK = re.compile(r"/waitlist/leave/([A-Za-z0-9_-]+)")


def text(response):
    return response.get_data(as_text=True)


def wishes(**changes):
    data = {"practitioner": "any", "first_day": "2026-12-07", "last_day": "2026-12-18",
            "weekdays": ["0", "1", "2", "3", "4"], "earliest": "10:00", "latest": "19:00",
            "full_name": "Olena Petrenko", "email": "olena@example.com",
            "phone": "+380 50 123 45 67", "date_of_birth": "1990-05-17", "consent": "y"}
    data.update(changes)
    return data


def outbox(kind=None):
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    else:  # the booking's own emails (confirmations, ...) are not the waitlist's
        query = query.where(OutboxMessage.kind.startswith("waitlist_"))
    return db.session.execute(query).scalars().all()


def offer_token(message):
    return OFFER_LINK.search(message.text_body)[1]


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service(name="First consultation", duration_minutes=60)
    doctor = create_practitioner([service], full_name="Dr Alpha")
    other = create_practitioner([service], full_name="Dr Beta")
    booked, _token = booking.book(
        service_id=service.id, start=TUESDAY_10, practitioner_id=doctor.id, consent=True,
        patient={"full_name": "Booked Patient", "email": "booked@example.com",
                 "phone": "+380501112233", "date_of_birth": "1980-01-01"})
    return SimpleNamespace(service=service, doctor=doctor, other=other, booked=booked)


def join(client, clinic, **changes):
    response = client.post(f"/waitlist/join?service={clinic.service.id}", data=wishes(**changes))
    assert response.status_code == 303, text(response)
    return response


@pytest.fixture
def waiting(client, clinic):
    """Four people join in this order: two match a freed Tuesday 10:00 with Dr Alpha, two do
    not (Mondays only; Dr Beta only); then one more who matches (the third in order)."""
    join(client, clinic, full_name="Anna First", email="anna@example.com")
    join(client, clinic, full_name="Bohdan Second", email="bohdan@example.com",
         first_day="2026-12-08", last_day="2026-12-08", weekdays=["1"], latest="12:00")
    join(client, clinic, full_name="Mondays Only", email="monday@example.com", weekdays=["0"])
    join(client, clinic, full_name="Beta Only", email="beta@example.com",
         practitioner=str(clinic.other.id))
    join(client, clinic, full_name="Afternoon Only", email="afternoon@example.com",
         earliest="14:00")
    join(client, clinic, full_name="Kateryna Third", email="kateryna@example.com",
         phone="+380671234567")
    return clinic


# --- Joining --------------------------------------------------------------------------------------

def test_the_slots_page_invites_to_the_waitlist(client, clinic):
    page = text(client.get(f"/book/{clinic.service.id}"))
    assert "No time suits? Join the waitlist" in page
    assert f"/waitlist/join?service={clinic.service.id}" in page


def test_the_join_form_shows_sensible_defaults(client, clinic):
    response = client.get(f"/waitlist/join?service={clinic.service.id}")
    assert response.status_code == 200
    page = text(response)
    assert 'value="2026-12-07"' in page and 'value="10:00"' in page and 'value="19:00"' in page
    assert "Dr Beta" in page
    assert "First consultation" in page


def test_an_unknown_service_has_no_waitlist(client, clinic):
    assert client.get("/waitlist/join?service=999").status_code == 404
    assert client.get("/waitlist/join").status_code == 404


def test_joining_sends_a_private_link_to_leave(client, clinic):
    response = join(client, clinic)
    assert "/waitlist/leave/" in response.headers["Location"]
    entry = db.session.execute(select(WaitlistEntry)).scalar_one()
    assert (entry.full_name, entry.email, entry.phone) == (
        "Olena Petrenko", "olena@example.com", "+380501234567")
    assert entry.weekdays == [0, 1, 2, 3, 4] and entry.status == "waiting"
    [message] = outbox("waitlist_joined")
    assert message.to_address == "olena@example.com"
    token = LEAVE_LINK.search(message.text_body)[1]
    assert entry.token_hash == manage_links.hash_token(token)
    assert token in message.html_body
    assert "First consultation" not in message.text_body + message.subject  # neutral email
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "You are on the waitlist" in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "waitlist.join")).scalar_one()
    assert event.details["consent_version"]


@pytest.mark.parametrize("changes, field, message", [
    ({"last_day": "2027-02-20"}, "last_day", "at most 60 days"),
    ({"last_day": "2026-12-01"}, "last_day", "must not be before the first day"),
    ({"first_day": "2026-12-01", "last_day": "2026-12-04"}, "first_day", "cannot be in the past"),
    ({"weekdays": []}, "weekdays", "at least one day of the week"),
    ({"weekdays": ["6"]}, "weekdays", "choose from the list"),
    ({"earliest": "18:30"}, "latest", "takes 60 minutes"),
    ({"earliest": "08:00"}, "earliest", "open from 10:00 to 19:00"),
    ({"email": "not-an-email"}, "email", "email address like"),
    ({"date_of_birth": "2015-01-01"}, "date_of_birth", "adults"),
    ({"consent": ""}, "consent", "agree to the processing"),
    ({"practitioner": "999"}, "practitioner", "choose from the list"),
])
def test_invalid_wishes_are_refused_next_to_the_field_keeping_the_input(
        client, clinic, changes, field, message):
    data = wishes(full_name="Typed Name", **changes)
    response = client.post(f"/waitlist/join?service={clinic.service.id}", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert f'id="{field}-error"' in page
    assert 'value="Typed Name"' in page
    assert db.session.execute(select(WaitlistEntry)).first() is None
    assert outbox() == []


def test_leaving_through_the_link(client, clinic):
    location = join(client, clinic).headers["Location"]
    response = client.post(location.split("?")[0])
    assert response.status_code == 303
    assert "You have left the waitlist" in text(client.get(response.headers["Location"]))
    db.session.rollback()
    assert db.session.execute(select(WaitlistEntry.status)).scalar_one() == "left"
    appointment_changes.cancel_by_staff(clinic.booked.id)
    assert outbox("waitlist_offer") == []


def test_a_wrong_leave_link_is_a_404(client, clinic):
    assert client.get("/waitlist/leave/nonsense").status_code == 404
    assert client.post("/waitlist/leave/nonsense").status_code == 404


# --- Offers --------------------------------------------------------------------------------------

def test_a_cancellation_offers_the_time_to_matching_entries_in_join_order(waiting):
    appointment_changes.cancel_by_patient(waiting.booked.id)
    offers = outbox("waitlist_offer")
    assert [m.to_address for m in offers] == [
        "anna@example.com", "bohdan@example.com", "kateryna@example.com"]
    rows = db.session.execute(select(WaitlistOffer).order_by(WaitlistOffer.id)).scalars().all()
    assert len(rows) == 3
    assert {(r.starts_at, r.practitioner_id, r.status) for r in rows} == {
        (TUESDAY_10, waiting.doctor.id, "offered")}
    assert len({offer_token(m) for m in offers}) == 3
    assert "Tuesday, 8 December 2026, 10:00" in offers[0].text_body
    assert "First consultation" not in offers[0].text_body + offers[0].html_body


def test_a_reschedule_offers_the_old_time(waiting):
    appointment_changes.reschedule_by_staff(waiting.booked.id, TUESDAY_10 + timedelta(hours=5))
    assert [m.to_address for m in outbox("waitlist_offer")] == [
        "anna@example.com", "bohdan@example.com", "kateryna@example.com"]


def test_removing_a_closure_offers_its_time(waiting, create_staff):
    closure = Closure(practitioner_id=waiting.doctor.id, reason="Meeting",
                      starts_at=TUESDAY_10 + timedelta(hours=4),
                      ends_at=TUESDAY_10 + timedelta(hours=5))
    db.session.add(closure)
    db.session.commit()
    admin = create_staff("boss@example.com", roles=("admin",))
    clinic_closures.delete_closure(closure.id, actor=admin)
    # 14:00-15:00 suits everyone but Bohdan (until 12:00) and the Mondays and Dr Beta people.
    assert [m.to_address for m in outbox("waitlist_offer")] == [
        "anna@example.com", "afternoon@example.com", "kateryna@example.com"]


def test_at_most_twenty_entries_are_offered_one_freed_time(client, clinic):
    for number in range(23):
        join(client, clinic, full_name=f"Person {number}", email=f"p{number}@example.com")
    appointment_changes.cancel_by_staff(clinic.booked.id)
    assert [m.to_address for m in outbox("waitlist_offer")] == [
        f"p{number}@example.com" for number in range(20)]


def test_a_waitlist_failure_never_breaks_the_cancellation(waiting, monkeypatch, caplog):
    def broken(*args, **kwargs):
        db.session.add(WaitlistOffer(entry_id=1, starts_at=TUESDAY_10, practitioner_id=1,
                                     token_hash="x" * 64))
        raise RuntimeError("Anna First anna@example.com")

    monkeypatch.setattr(freed_time, "offer_freed_time", broken)
    # Running the migrations in this process (alembic's fileConfig) disabled existing loggers.
    monkeypatch.setattr(logging.getLogger("booking.waitlist"), "disabled", False)
    with caplog.at_level(logging.WARNING):
        appointment_changes.cancel_by_patient(waiting.booked.id)
    db.session.rollback()
    assert db.session.get(Appointment, waiting.booked.id).status == "cancelled"
    assert db.session.execute(select(WaitlistOffer)).first() is None  # rolled back
    assert "RuntimeError" in caplog.text
    assert "anna" not in caplog.text.lower()


def test_the_first_to_confirm_gets_the_time(client, waiting, monkeypatch):
    calls = []
    real_book = booking.book

    def spy(**kwargs):
        calls.append(kwargs)
        return real_book(**kwargs)

    monkeypatch.setattr(booking, "book", spy)
    appointment_changes.cancel_by_staff(waiting.booked.id)
    anna, bohdan, kateryna = (offer_token(m) for m in outbox("waitlist_offer"))

    page = client.get(f"/waitlist/offer/{bohdan}")
    assert page.status_code == 200 and "Book this time" in text(page)
    assert page.headers["Cache-Control"] == "no-store"

    response = client.post(f"/waitlist/offer/{bohdan}")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/manage/")
    assert len(calls) == 1 and calls[0]["source"] == "online" and calls[0]["consent"] is True
    db.session.rollback()
    appointment = db.session.execute(
        select(Appointment).where(Appointment.status == "booked")).scalar_one()
    assert appointment.starts_at == TUESDAY_10 and appointment.practitioner_id == waiting.doctor.id
    assert appointment.patient.email == "bohdan@example.com"
    assert appointment.source == "online"
    statuses = {o.entry.email: o.status
                for o in db.session.execute(select(WaitlistOffer)).scalars()}
    assert statuses == {"anna@example.com": "gone", "bohdan@example.com": "taken",
                        "kateryna@example.com": "gone"}
    entries = {e.email: e.status for e in db.session.execute(select(WaitlistEntry)).scalars()}
    assert entries["bohdan@example.com"] == "booked" and entries["anna@example.com"] == "waiting"
    assert [m.to_address for m in outbox("waitlist_gone")] == [
        "anna@example.com", "kateryna@example.com"]

    late = client.post(f"/waitlist/offer/{anna}")
    assert late.status_code == 409
    assert "This time has just been taken" in text(late)
    assert "You are still on the waitlist" in text(late)
    assert client.get(f"/waitlist/offer/{kateryna}").status_code == 409
    assert len(calls) == 1  # a gone offer does not even try
    assert len(outbox("waitlist_gone")) == 2  # nobody is told twice


def test_a_second_click_of_the_winner_does_not_book_twice(client, waiting):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    anna = offer_token(outbox("waitlist_offer")[0])
    assert client.post(f"/waitlist/offer/{anna}").status_code == 303
    again = client.post(f"/waitlist/offer/{anna}")
    assert again.status_code == 409 and "You have already booked" in text(again)
    db.session.rollback()
    assert len(db.session.execute(
        select(Appointment).where(Appointment.status == "booked")).scalars().all()) == 1


def test_a_time_taken_at_the_desk_is_gone_for_the_offer(client, waiting, patient_details):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    anna = offer_token(outbox("waitlist_offer")[0])
    booking.book_by_staff(service_id=waiting.service.id, start=TUESDAY_10,
                          practitioner_id=waiting.doctor.id, actor=None,
                          patient=patient_details, consent=True)
    response = client.post(f"/waitlist/offer/{anna}")
    assert response.status_code == 409 and "just been taken" in text(response)
    assert [m.to_address for m in outbox("waitlist_gone")] == ["anna@example.com"]


def test_an_offer_for_a_time_in_the_past_answers_409(app, client, waiting):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    anna = offer_token(outbox("waitlist_offer")[0])
    app.config["FROZEN_NOW"] = TUESDAY_10 + timedelta(minutes=5)
    assert client.get(f"/waitlist/offer/{anna}").status_code == 409
    response = client.post(f"/waitlist/offer/{anna}")
    assert response.status_code == 409 and "no longer available" in text(response)


def test_a_wrong_offer_link_is_a_404(client, clinic):
    assert client.get("/waitlist/offer/nonsense").status_code == 404
    assert client.post("/waitlist/offer/nonsense").status_code == 404


def test_leaving_from_an_offer_page(client, waiting):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    anna = offer_token(outbox("waitlist_offer")[0])
    response = client.post(f"/waitlist/offer/{anna}/leave")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "You have left the waitlist" in text(page)
    db.session.rollback()
    entry = db.session.execute(
        select(WaitlistEntry).where(WaitlistEntry.email == "anna@example.com")).scalar_one()
    assert entry.status == "left"
    assert client.post(f"/waitlist/offer/{anna}").status_code == 200  # "you left", no booking


def test_two_confirms_at_once_give_one_booking(app, waiting):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    tokens = [offer_token(m) for m in outbox("waitlist_offer")]
    db.session.rollback()
    barrier = threading.Barrier(len(tokens))
    statuses = [None] * len(tokens)

    def run(index):
        client = app.test_client()
        barrier.wait()
        statuses[index] = client.post(f"/waitlist/offer/{tokens[index]}").status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303, 409, 409]
    db.session.rollback()
    booked = db.session.execute(
        select(Appointment).where(Appointment.status == "booked")).scalars().all()
    assert len(booked) == 1 and booked[0].starts_at == TUESDAY_10
    offers = db.session.execute(select(WaitlistOffer)).scalars().all()
    assert sorted(o.status for o in offers) == ["gone", "gone", "taken"]
    winner = next(o for o in offers if o.status == "taken")
    assert winner.appointment_id == booked[0].id
    assert len(outbox("waitlist_gone")) == 2


# --- Staff ------------------------------------------------------------------------------------

def test_staff_see_the_waitlist_of_a_service_in_join_order(staff_client, waiting):
    appointment_changes.cancel_by_staff(waiting.booked.id)
    desk = staff_client("receptionist")
    response = desk.get(f"/staff/waitlist?service={waiting.service.id}")
    assert response.status_code == 200
    page = text(response)
    names = ["Anna First", "Bohdan Second", "Mondays Only", "Beta Only", "Afternoon Only",
             "Kateryna Third"]
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)
    assert "+380671234567" in page and "kateryna@example.com" in page
    assert "Dr Beta" in page  # Beta Only's wish
    assert "from 14:00, ending by 19:00" in page
    assert page.count(">offered<") + page.count(": offered") >= 3


def test_the_staff_waitlist_picker_counts_who_waits(staff_client, waiting):
    admin = staff_client("admin")
    page = text(admin.get("/staff/waitlist"))
    assert "First consultation (6 waiting)" in page


def test_an_unknown_service_on_the_staff_waitlist_is_a_404(staff_client, clinic):
    desk = staff_client("receptionist")
    assert desk.get("/staff/waitlist?service=999").status_code == 404
    assert desk.get("/staff/waitlist?service=abc").status_code == 404


def test_a_clinician_only_account_cannot_see_the_waitlist(staff_client, waiting):
    clinician = staff_client("clinician", practitioner=waiting.doctor)
    assert clinician.get(f"/staff/waitlist?service={waiting.service.id}").status_code == 403
