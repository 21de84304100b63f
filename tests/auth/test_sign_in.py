"""Staff sign-in: accounts, passwords, throttling across workers, sessions that really end."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, StaffUser
from tests.conftest import NOW, STAFF_PASSWORD, sign_in


def audit_actions():
    db.session.rollback()
    return [e.action for e in db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_create_staff_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["create-staff", "Admin@Example.com", "--role", "admin",
                                 "--password-stdin"], input=STAFF_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(StaffUser)).scalar_one()
    assert user.email == "admin@example.com"
    assert user.roles == {"admin"}
    assert STAFF_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")


def test_create_staff_prompts_twice(runner):
    result = runner.invoke(args=["create-staff", "a@example.com", "--role", "admin"],
                           input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output


@pytest.mark.parametrize("password, message", [
    ("short1", "at least 8 characters"),
    ("password123", "too common"),
    ("qwertyuiop", "too common"),
])
def test_weak_passwords_are_refused(runner, password, message):
    result = runner.invoke(args=["create-staff", "a@example.com", "--role", "admin",
                                 "--password-stdin"], input=password + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.execute(select(StaffUser)).first() is None


def test_a_long_passphrase_without_digits_or_symbols_is_fine(create_staff):
    from booking.auth import services

    user = services.create_staff("b@example.com", "the kettle sings by the window at dawn",
                                 ["clinician"])
    assert user.roles == {"clinician"}


def test_there_is_no_default_account(client):
    for email, password in [("admin@example.com", "admin"), ("admin", "admin123")]:
        assert sign_in(client, email, password).status_code == 401


def test_signing_in_lands_on_the_role_home_and_is_audited(client, create_staff):
    create_staff("desk@example.com", roles=["receptionist"])
    response = sign_in(client, "desk@example.com")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/calendar")
    assert client.get("/staff/calendar").status_code == 200
    assert "sign_in.success" in audit_actions()


def test_unknown_account_and_wrong_password_look_the_same(client, create_staff):
    create_staff("desk@example.com")
    wrong = sign_in(client, "desk@example.com", "not the password at all")
    unknown = sign_in(client, "nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an active account" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True) == unknown.get_data(as_text=True).replace(
        "nobody@example.com", "desk@example.com")
    assert audit_actions().count("sign_in.failure") == 2


def test_five_failures_lock_the_account_for_15_minutes_across_app_instances(
        app, make_test_app, create_staff):
    """Two app instances (two workers) on one database share the throttle."""
    create_staff("desk@example.com")
    other_worker = make_test_app()
    clients = [app.test_client(), other_worker.test_client()]
    for attempt in range(5):
        assert sign_in(clients[attempt % 2], "desk@example.com", "wrong password here").status_code == 401
    locked = sign_in(clients[1], "desk@example.com")  # even the right password
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    # 14 minutes later: still locked; 16 minutes later: open again.
    for instance in (app, other_worker):
        instance.config["FROZEN_NOW"] = NOW + timedelta(minutes=14)
    assert sign_in(clients[0], "desk@example.com").status_code == 429
    for instance in (app, other_worker):
        instance.config["FROZEN_NOW"] = NOW + timedelta(minutes=16)
    assert sign_in(clients[0], "desk@example.com").status_code == 303


def test_failures_spread_over_more_than_15_minutes_do_not_lock(app, client, create_staff):
    create_staff("desk@example.com")
    for minute in (0, 5, 10, 16, 20):
        app.config["FROZEN_NOW"] = NOW + timedelta(minutes=minute)
        sign_in(client, "desk@example.com", "wrong password here")
    assert sign_in(client, "desk@example.com").status_code == 303


def test_an_old_session_cookie_stops_working_after_sign_out(app, create_staff):
    create_staff("desk@example.com")
    client = app.test_client()
    sign_in(client, "desk@example.com")
    stolen = client.get_cookie("session").value
    assert client.post("/staff/sign-out").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/staff/calendar")
    assert response.status_code == 302
    assert "/staff/sign-in" in response.headers["Location"]


def test_a_password_change_ends_other_sessions(app, create_staff):
    create_staff("desk@example.com")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "desk@example.com")
    sign_in(phone, "desk@example.com")
    response = laptop.post("/staff/password", data={
        "current_password": STAFF_PASSWORD, "new_password": "amber meadow violin"})
    assert response.status_code == 303
    assert laptop.get("/staff/calendar").status_code == 200
    assert phone.get("/staff/calendar").status_code == 302
    assert "staff.password_change" in audit_actions()


def test_changing_the_password_needs_the_current_one(staff_client):
    client = staff_client("receptionist")
    response = client.post("/staff/password", data={
        "current_password": "wrong password here", "new_password": "amber meadow violin"})
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(app, create_staff, staff_client):
    from booking.auth import services

    desk = staff_client("receptionist", email="desk@example.com")
    admin = create_staff("boss@example.com", roles=["admin"])
    user = services.user_by_email("desk@example.com")
    services.update_staff(user.id, active=False, actor=admin)
    assert desk.get("/staff/calendar").status_code == 302
    assert sign_in(app.test_client(), "desk@example.com").status_code == 401


def test_an_idle_session_ends_after_30_minutes(app, staff_client):
    client = staff_client("receptionist")
    app.config["FROZEN_NOW"] = NOW + timedelta(minutes=29)
    assert client.get("/staff/calendar").status_code == 200
    app.config["FROZEN_NOW"] = NOW + timedelta(minutes=58)  # 29 idle minutes since: still fine
    assert client.get("/staff/calendar").status_code == 200
    app.config["FROZEN_NOW"] = NOW + timedelta(minutes=89)
    assert client.get("/staff/calendar").status_code == 302


def test_a_session_ends_after_12_hours_however_busy(app, staff_client):
    client = staff_client("receptionist")
    for minutes in range(20, 12 * 60, 20):
        app.config["FROZEN_NOW"] = NOW + timedelta(minutes=minutes)
        assert client.get("/staff/calendar").status_code == 200
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=12, minutes=1)
    assert client.get("/staff/calendar").status_code == 302


def test_signing_in_starts_a_fresh_session(app, create_staff):
    create_staff("desk@example.com")
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sign_in(client, "desk@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize("target, allowed", [
    ("/staff/patients", True),
    ("https://evil.example/", False),
    ("//evil.example/", False),
    ("/\\evil.example", False),
    ("javascript:alert(1)", False),
])
def test_next_only_redirects_within_the_site(client, create_staff, target, allowed):
    create_staff("desk@example.com")
    response = client.post("/staff/sign-in?next=" + target,
                           data={"email": "desk@example.com", "password": STAFF_PASSWORD})
    location = response.headers["Location"]
    assert (location == target) is allowed
    if not allowed:
        assert location.endswith("/staff/calendar")


def test_the_sign_in_page_keeps_the_email_but_never_the_password(client, create_staff):
    create_staff("desk@example.com")
    page = sign_in(client, "desk@example.com", "my wrong secret phrase").get_data(as_text=True)
    assert 'value="desk@example.com"' in page
    assert "my wrong secret phrase" not in page
