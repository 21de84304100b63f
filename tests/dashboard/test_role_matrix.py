"""Every staff route, walked as anonymous, receptionist, clinician and admin.

The expected roles come from this table (what the issue asks), not from the code under test:
a new staff route whose path is not in the table makes the test fail until someone decides.
"""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, Closure, StaffUser
from booking.scheduler import services as booking
from tests.conftest import PATIENT, STAFF_PASSWORD, sign_in

ANYONE = "anyone"
SIGNED_IN = "signed in"
RECEPTION = {"receptionist", "admin"}
CLINICAL = {"clinician"}
ADMIN = {"admin"}

# Longest matching prefix wins.
EXPECTED = {
    "/staff/sign-in": ANYONE,
    "/staff/sign-out": SIGNED_IN,
    "/staff/password": SIGNED_IN,
    "/staff/calendar": RECEPTION,
    "/staff/book": RECEPTION,
    "/staff/appointments": RECEPTION,
    "/staff/patients": RECEPTION,
    "/staff/closures": RECEPTION,
    "/staff/clinician": CLINICAL,
    "/staff/attention": CLINICAL,
    "/staff/alerts": CLINICAL,  # a clinician's own on-call alerts (SMS, Telegram)
    "/staff/attention.json": CLINICAL,
    "/staff/intakes": CLINICAL,
    "/staff/admin": ADMIN,
    "/staff/admin/outbox": RECEPTION,  # failed emails: reception calls those patients
    "/staff/outcomes": {"clinician", "admin"},
    "/staff/outcomes.csv": {"clinician", "admin"},
    "/staff/outcomes.json": {"clinician", "admin"},
    "/staff/sessions": CLINICAL,
    "/staff/courses": CLINICAL,
    "/staff/courses/book": RECEPTION,
    "/staff/desk": RECEPTION,
    "/staff/waitlist": RECEPTION,
    "/staff/patients/<int:patient_id>/pain": CLINICAL,
}
PEOPLE = ["anonymous", "receptionist", "clinician", "admin"]


def expected_for(path):
    matches = [prefix for prefix in EXPECTED if path == prefix or path.startswith(prefix + "/")]
    assert matches, f"{path} is a staff route with no expected roles: add it to EXPECTED"
    return EXPECTED[max(matches, key=len)]


@pytest.fixture
def world(app, create_service, create_practitioner, create_staff):
    service = create_service()
    practitioner = create_practitioner([service])
    appointment, _ = booking.book(service_id=service.id,
                                  start=datetime(2026, 12, 8, 8, tzinfo=timezone.utc),
                                  patient=dict(PATIENT), consent=True)
    closure = Closure(starts_at=datetime(2026, 12, 9, 8, tzinfo=timezone.utc),
                      ends_at=datetime(2026, 12, 9, 9, tzinfo=timezone.utc), reason="Meeting")
    db.session.add(closure)
    db.session.commit()
    clients = {"anonymous": app.test_client()}
    for role in PEOPLE[1:]:
        create_staff(f"{role}@example.com", roles=[role],
                     practitioner=practitioner if role == "clinician" else None)
        clients[role] = app.test_client()
        assert sign_in(clients[role], f"{role}@example.com").status_code == 303
    ids = {"appointment_id": appointment.id, "patient_id": appointment.patient_id,
           "service_id": service.id, "practitioner_id": practitioner.id,
           "closure_id": closure.id, "intake_id": appointment.id, "course_id": 1, "day": 1, "message_id": 1, "item_id": 1,
           "user_id": db.session.execute(select(StaffUser.id)).scalars().first(),
           "staff_id": db.session.execute(select(StaffUser.id)).scalars().first(),
           "id": appointment.id}
    return clients, ids


def staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/staff"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def build(rule, ids):
    missing = [name for name in rule.arguments if name not in ids]
    assert not missing, f"{rule.rule}: add an id for {missing} to the world fixture"
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
    return path


def test_every_staff_route_allows_exactly_the_expected_roles(app, world):
    clients, ids = world
    checked = 0
    for rule, method in staff_routes(app):
        path = build(rule, ids)
        expected = expected_for(rule.rule)
        for person in PEOPLE:
            if rule.rule == "/staff/sign-out" and person != "anonymous":
                continue  # signing out would end the session used by the next checks
            response = clients[person].open(path, method=method, data={})
            status = response.status_code
            where = f"{method} {path} as {person}: {status}"
            assert status < 500, where
            if expected == ANYONE:
                assert status not in (401, 403), where
            elif person == "anonymous":
                assert status == 302 and "/staff/sign-in" in response.headers["Location"], where
            elif expected == SIGNED_IN or person in expected:
                assert status != 403 and not (
                    status == 302 and "/staff/sign-in" in response.headers.get("Location", "")
                ), where
            else:
                assert status == 403, where
            checked += 1
    assert checked > 20


def test_a_refused_access_is_audited(world):
    clients, _ids = world
    assert clients["receptionist"].get("/staff/admin").status_code == 403
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "access.refused")).scalars().first()
    assert event is not None
    assert event.actor == "receptionist@example.com"
    assert event.details["endpoint"] == "dashboard.admin_home"


def test_the_audit_log_refuses_updates_and_deletes(world):
    from sqlalchemy.exc import IntegrityError

    event = db.session.execute(select(AuditEvent)).scalars().first()
    event.action = "tampered"
    with pytest.raises(IntegrityError, match="append_only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.merge(event))
    with pytest.raises(IntegrityError, match="append_only"):
        db.session.commit()
    db.session.rollback()


def test_no_password_or_token_is_ever_written_to_the_audit_log(app, world):
    clients, _ids = world
    sign_in(app.test_client(), "receptionist@example.com", "a wrong pass phrase")
    texts = [str(e.details) + e.actor + e.action
             for e in db.session.execute(select(AuditEvent)).scalars()]
    assert texts
    for text in texts:
        assert STAFF_PASSWORD not in text and "a wrong pass phrase" not in text
