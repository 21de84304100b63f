"""The API's reference data comes from a per-worker cache (booking/scheduler/reference.py): the
slots it gives are the booking service's own, every change to services, practitioners, hours,
closures or resources is seen at once (by every worker: the version lives in the database), a
booking changes nothing cached, and the routes run few queries."""
from contextlib import contextmanager
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from booking.extensions import db
from booking.models import Closure, Resource, WorkingHours
from booking.scheduler import reference, services
from booking.scheduler import availability

KYIV = ZoneInfo("Europe/Kyiv")
MONDAY, FRIDAY = date(2026, 12, 14), date(2026, 12, 18)
WEEK = f"from={MONDAY}&to={FRIDAY}"


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


@pytest.fixture
def clinic(create_service, create_practitioner, patient_details):
    consultation = create_service(name="First consultation", duration_minutes=60)
    infusion = create_service(name="Infusion", duration_minutes=60, grid_minutes=60,
                              observation_minutes=60, resource_kind="infusion_chair")
    mornings = {day: [(time(10), time(14))] for day in range(5)}
    neuro = create_practitioner([consultation, infusion], full_name="Dr Neuro")
    psych = create_practitioner([consultation], full_name="Dr Psych", hours=mornings)
    create_practitioner([consultation], full_name="Dr Away", active=False)
    db.session.add_all([
        Resource(name="Chair 1", kind="infusion_chair"),
        Closure(practitioner_id=None, starts_at=at(MONDAY, 13), ends_at=at(MONDAY, 15),
                reason="Staff meeting"),
        Closure(practitioner_id=psych.id, starts_at=at(date(2026, 12, 2), 10),
                ends_at=at(date(2026, 12, 2), 11), rrule="FREQ=WEEKLY;BYDAY=WE",
                reason="Supervision"),
        Closure(practitioner_id=neuro.id, starts_at=at(date(2026, 11, 2), 9),
                ends_at=at(date(2026, 11, 2), 19), reason="Old leave"),
    ])
    db.session.commit()
    for start, service in ((at(MONDAY, 10), consultation), (at(date(2026, 12, 15), 11), infusion),
                           (at(date(2026, 12, 17), 12), consultation)):
        services.book(service_id=service.id, start=start, patient=patient_details, consent=True,
                      practitioner_id=neuro.id)
    return {"consultation": consultation, "infusion": infusion, "neuro": neuro, "psych": psych}


def api_slots(client, service, practitioner=None):
    query = f"service={service.id}&{WEEK}" + (f"&practitioner={practitioner.id}"
                                              if practitioner else "")
    response = client.get(f"/api/v1/slots?{query}")
    assert response.status_code == 200
    return [(s["start"], s["end"], s["practitioner_id"]) for s in response.get_json()["slots"]]


def service_slots(service, practitioner=None):
    """What the booking service itself (fresh ORM reads) offers."""
    db.session.rollback()
    service = db.session.get(type(service), service.id)
    practitioner = db.session.get(type(practitioner), practitioner.id) if practitioner else None
    return [(s.start.isoformat(), s.end.isoformat(), s.practitioner_id)
            for s in availability.find_slots(service, MONDAY, FRIDAY, practitioner)]


@pytest.mark.parametrize("service, practitioner", [
    ("consultation", None), ("consultation", "neuro"), ("consultation", "psych"),
    ("infusion", None),
])
def test_the_api_offers_exactly_what_the_booking_service_offers(client, clinic, service,
                                                                practitioner):
    chosen = clinic[practitioner] if practitioner else None
    offered = api_slots(client, clinic[service], chosen)
    assert offered, "a week with free times"
    assert offered == service_slots(clinic[service], chosen)
    # And again from the memo: the same answer.
    assert api_slots(client, clinic[service], chosen) == offered


def test_a_closed_slot_disappears_as_time_passes(app, client, clinic):
    before = api_slots(client, clinic["consultation"])
    app.config["FROZEN_NOW"] = datetime(2026, 12, 14, 9, 0, tzinfo=KYIV)  # Monday 09:00
    after = api_slots(client, clinic["consultation"])
    assert after == service_slots(clinic["consultation"])
    assert [s for s in before if s[0] >= "2026-12-14T11:00"] == after  # 2 hours' notice


def test_a_booking_is_seen_at_once_and_leaves_the_cache_alone(client, clinic, patient_details):
    version = reference.current().version
    first = api_slots(client, clinic["consultation"], clinic["psych"])
    services.book(service_id=clinic["consultation"].id, start=at(date(2026, 12, 16), 12),
                  patient=patient_details, consent=True, practitioner_id=clinic["psych"].id)
    after = api_slots(client, clinic["consultation"], clinic["psych"])
    assert ("2026-12-16T12:00:00+02:00", "2026-12-16T13:00:00+02:00",
            clinic["psych"].id) in set(first) - set(after)
    assert reference.current().version == version


@pytest.mark.parametrize("change", ["hours", "closure", "practitioner", "offer", "service",
                                    "chair"])
def test_every_change_to_reference_data_is_seen_at_once(client, clinic, change):
    api_slots(client, clinic["consultation"])  # cached
    api_slots(client, clinic["infusion"])
    version = reference.current().version
    neuro, psych = clinic["neuro"], clinic["psych"]
    if change == "hours":
        psych.working_hours.append(WorkingHours(weekday=0, start_time=time(15),
                                                end_time=time(19)))
    elif change == "closure":
        db.session.add(Closure(practitioner_id=None, starts_at=at(FRIDAY, 10),
                               ends_at=at(FRIDAY, 19), reason="Holiday"))
    elif change == "practitioner":
        psych.active = False
    elif change == "offer":
        neuro.services.remove(clinic["consultation"])
    elif change == "service":
        clinic["consultation"].grid_minutes = 60
    elif change == "chair":
        db.session.get(Resource, 1).active = False
    db.session.commit()
    assert reference.current().version != version
    for service in ("consultation", "infusion"):
        assert api_slots(client, clinic[service]) == service_slots(clinic[service])


def test_a_change_made_by_another_worker_is_seen(client, clinic, make_test_app):
    api_slots(client, clinic["consultation"])
    other = make_test_app()
    with other.app_context():
        db.session.add(Closure(practitioner_id=None, starts_at=at(MONDAY, 10),
                               ends_at=at(FRIDAY, 19), reason="Closed all week"))
        db.session.commit()
        db.session.remove()
    db.session.rollback()  # a new request: a new transaction (the tests share one session)
    assert api_slots(client, clinic["consultation"]) == []


def test_services_and_practitioners_follow_a_change_too(client, clinic):
    client.get("/api/v1/services")
    clinic["consultation"].name = "Consultation"
    db.session.commit()
    names = [s["name"] for s in client.get("/api/v1/services").get_json()["services"]]
    assert names == ["Consultation", "Infusion"]
    clinic["psych"].full_name = "Dr Psychiatrist"
    db.session.commit()
    listed = client.get(f"/api/v1/practitioners?service={clinic['consultation'].id}").get_json()
    assert [p["name"] for p in listed["practitioners"]] == ["Dr Neuro", "Dr Psychiatrist"]


@contextmanager
def counted_queries():
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT", "SELECT 1")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("path, most", [
    ("/api/v1/services", 1),
    ("/api/v1/practitioners", 1),
    ("/api/v1/slots?service=1&" + WEEK, 1),  # the appointments, and the version with them
    ("/api/v1/slots?service=2&" + WEEK, 2),  # and the chairs' appointments
])
def test_the_read_routes_run_few_queries(client, clinic, path, most):
    assert client.get(path).status_code == 200  # the cache is filled
    db.session.rollback()
    with counted_queries() as statements:
        assert client.get(path).status_code == 200
    assert len(statements) <= most, statements


def test_the_cache_is_loaded_again_only_after_a_change(client, clinic):
    client.get("/api/v1/services")
    with counted_queries() as statements:
        client.get("/api/v1/services")
        client.get("/api/v1/services")
    assert len(statements) == 2  # the version, twice
    clinic["consultation"].position = 5
    db.session.commit()
    with counted_queries() as statements:
        client.get("/api/v1/services")
    assert len(statements) > 2  # the version, then the reference data


def test_a_booking_writes_no_version(client, clinic, patient_details):
    with counted_queries() as statements:
        services.book(service_id=clinic["consultation"].id, start=at(FRIDAY, 10),
                      patient=patient_details, consent=True)
    assert not [s for s in statements if "clinic_setting" in s]


def test_only_the_appointments_in_the_range_are_read(client, clinic):
    with counted_queries() as statements:
        client.get(f"/api/v1/slots?service=1&{WEEK}")
    [busy] = [s for s in statements if "FROM appointment" in s]
    assert "appointment.starts_at >=" in busy and "appointment.starts_at <" in busy
