"""Administration: staff accounts, services, practitioners and working hours, the intake
questionnaire switches and the audit log. Admins only."""
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking import audit
from booking.auth import services as accounts
from booking.extensions import db
from booking.intake import services as intake
from booking.models import AuditEvent, Service, WorkingHours
from tests.conftest import NOW, sign_in

KYIV = ZoneInfo("Europe/Kyiv")
NEW_PASSWORD = "amber meadow violin"


def events(action):
    db.session.rollback()
    return db.session.execute(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).scalars().all()


def user(email):
    db.session.rollback()
    return accounts.user_by_email(email)


def text(response):
    return response.get_data(as_text=True)


def is_ticked(page, input_id):
    tag = re.search(rf'<input[^>]*\bid="{input_id}"[^>]*>', page)
    assert tag, input_id
    return " checked" in tag[0]


@pytest.fixture
def admin(staff_client):
    return staff_client("admin", email="admin@example.com")


# --- Staff accounts -------------------------------------------------------------------------------

def test_an_admin_creates_a_clinician_linked_to_a_practitioner_who_can_then_sign_in(
        app, admin, create_service, create_practitioner):
    practitioner = create_practitioner([create_service()], full_name="Dr Olena Koval")
    response = admin.post("/staff/admin/staff/new", data={
        "email": "Olena@Example.com", "full_name": "Olena Koval", "roles": ["clinician"],
        "practitioner_id": str(practitioner.id), "password": NEW_PASSWORD})
    assert response.status_code == 303
    created = user("olena@example.com")
    assert response.headers["Location"].endswith(f"/staff/admin/staff/{created.id}")
    assert created.roles == {"clinician"} and created.practitioner_id == practitioner.id

    listing = text(admin.get("/staff/admin/staff"))
    assert "olena@example.com" in listing and "Dr Olena Koval" in listing
    assert "Clinician" in listing

    doctor = app.test_client()
    signed_in = sign_in(doctor, "olena@example.com", NEW_PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].endswith("/staff/clinician")
    assert events("staff.create")[-1].object_id == created.id


def test_a_person_may_hold_several_roles(admin, create_service, create_practitioner):
    practitioner = create_practitioner([create_service()])
    response = admin.post("/staff/admin/staff/new", data={
        "email": "both@example.com", "roles": ["admin", "clinician"],
        "practitioner_id": str(practitioner.id), "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert user("both@example.com").roles == {"admin", "clinician"}


def test_a_new_account_needs_a_practitioner_for_a_clinician_and_a_good_password(admin):
    response = admin.post("/staff/admin/staff/new", data={
        "email": "doc@example.com", "full_name": "Doc", "roles": ["clinician"],
        "practitioner_id": "", "password": "password123"})
    assert response.status_code == 422
    page = text(response)
    assert "A clinician is linked to a practitioner." in page
    assert "too common" in page
    assert 'value="doc@example.com"' in page  # what was typed stays...
    assert "password123" not in page  # ...but never the password
    assert user("doc@example.com") is None


def test_a_role_change_is_audited_with_the_roles_before_and_after(
        admin, create_staff, create_service, create_practitioner):
    practitioner = create_practitioner([create_service()])
    desk = create_staff("desk@example.com", roles=["receptionist"])
    response = admin.post(f"/staff/admin/staff/{desk.id}", data={
        "roles": ["receptionist", "clinician"], "practitioner_id": str(practitioner.id)})
    assert response.status_code == 303
    assert user("desk@example.com").roles == {"receptionist", "clinician"}
    event = events("staff.role_change")[-1]
    assert event.object_id == desk.id and event.actor == "admin@example.com"
    assert event.details["before"]["roles"] == ["receptionist"]
    assert event.details["after"]["roles"] == ["clinician", "receptionist"]
    assert "Clinician, Receptionist" in text(admin.get(f"/staff/admin/staff/{desk.id}"))


def test_disabling_an_account_ends_that_persons_session(admin, staff_client, app):
    desk = staff_client("receptionist", email="desk@example.com")
    assert desk.get("/staff/calendar").status_code == 200
    desk_id = user("desk@example.com").id

    response = admin.post(f"/staff/admin/staff/{desk_id}/active", data={"active": "0"})
    assert response.status_code == 303
    assert "The account is disabled" in text(admin.get(response.headers["Location"]))
    refused = desk.get("/staff/calendar")
    assert refused.status_code == 302 and "/staff/sign-in" in refused.headers["Location"]
    assert sign_in(app.test_client(), "desk@example.com").status_code == 401
    assert events("staff.update")[-1].details["after"]["active"] is False

    assert admin.post(f"/staff/admin/staff/{desk_id}/active",
                      data={"active": "1"}).status_code == 303
    assert sign_in(app.test_client(), "desk@example.com").status_code == 303


def test_an_admin_sets_a_new_password_which_ends_the_persons_sessions(admin, staff_client, app):
    desk = staff_client("receptionist", email="desk@example.com")
    desk_id = user("desk@example.com").id
    response = admin.post(f"/staff/admin/staff/{desk_id}/password",
                          data={"new_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert desk.get("/staff/calendar").status_code == 302
    assert sign_in(app.test_client(), "desk@example.com").status_code == 401
    assert sign_in(app.test_client(), "desk@example.com", NEW_PASSWORD).status_code == 303
    event = events("staff.password_reset")[-1]
    assert event.object_id == desk_id and NEW_PASSWORD not in str(event.details)


def test_a_weak_new_password_is_refused_next_to_the_field(admin, create_staff):
    desk = create_staff("desk@example.com")
    response = admin.post(f"/staff/admin/staff/{desk.id}/password",
                          data={"new_password": "qwertyuiop"})
    assert response.status_code == 422
    assert re.search(r'class="field-error" id="new_password-error">.*?too common',
                     text(response), re.S)
    assert sign_in(admin.application.test_client(), "desk@example.com").status_code == 303


def test_a_new_password_lifts_a_sign_in_lock(admin, create_staff, app):
    desk = create_staff("desk@example.com")
    for _attempt in range(5):
        sign_in(app.test_client(), "desk@example.com", "wrong password here")
    assert sign_in(app.test_client(), "desk@example.com").status_code == 429
    admin.post(f"/staff/admin/staff/{desk.id}/password", data={"new_password": NEW_PASSWORD})
    assert sign_in(app.test_client(), "desk@example.com", NEW_PASSWORD).status_code == 303


def test_an_admin_cannot_disable_themselves_or_drop_their_own_admin_role(admin):
    me = user("admin@example.com")
    response = admin.post(f"/staff/admin/staff/{me.id}/active", data={"active": "0"})
    assert response.status_code == 422
    assert "You cannot disable your own account." in text(response)

    response = admin.post(f"/staff/admin/staff/{me.id}", data={"roles": ["receptionist"],
                                                               "practitioner_id": ""})
    assert response.status_code == 422
    assert "You cannot remove your own admin role." in text(response)

    assert user("admin@example.com").active and user("admin@example.com").roles == {"admin"}
    assert admin.get("/staff/admin").status_code == 200


def test_unknown_accounts_give_404(admin):
    assert admin.get("/staff/admin/staff/999").status_code == 404
    assert admin.post("/staff/admin/staff/999/active", data={"active": "0"}).status_code == 404


# --- Services -------------------------------------------------------------------------------------

def service_form(practitioner, **changes):
    data = {"name": "Migraine review", "description": "A short review of the treatment.",
            "duration_minutes": "45", "grid_minutes": "15", "buffer_minutes": "5",
            "online_bookable": "y", "active": "y", "practitioner_ids": [str(practitioner.id)]}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_new_service_is_bookable_online_until_it_is_deactivated(
        admin, client, create_practitioner):
    practitioner = create_practitioner([], full_name="Dr Iryna Melnyk")
    response = admin.post("/staff/admin/services/new", data=service_form(practitioner))
    assert response.status_code == 303
    service = db.session.execute(select(Service)).scalar_one()
    assert (service.duration_minutes, service.grid_minutes, service.buffer_minutes) == (45, 15, 5)
    assert [p.id for p in service.practitioners] == [practitioner.id]

    page = client.get(f"/book/{service.id}")
    assert page.status_code == 200 and "Migraine review" in text(page)
    assert "Migraine review" in text(client.get("/"))

    response = admin.post(f"/staff/admin/services/{service.id}",
                          data=service_form(practitioner, name="Migraine follow-up",
                                            active=None))
    assert response.status_code == 303
    assert client.get(f"/book/{service.id}").status_code == 404
    assert "Migraine follow-up" not in text(client.get("/"))
    listing = text(admin.get("/staff/admin/services"))
    assert "Migraine follow-up" in listing and "No, inactive" in listing

    assert events("service.create")[-1].object_id == service.id
    update = events("service.update")[-1]
    assert update.details["changed"] == ["active", "name"]
    assert update.details["before"]["active"] is True and update.details["after"]["active"] is False


def test_the_edit_page_shows_the_service_as_saved(admin, create_service, create_practitioner):
    service = create_service(name="Ketamine infusion", duration_minutes=120,
                             needs_ketamine_prescreen=True)
    create_practitioner([service], full_name="Dr Petro Bondar")
    page = text(admin.get(f"/staff/admin/services/{service.id}"))
    assert 'value="Ketamine infusion"' in page and 'value="120"' in page
    assert is_ticked(page, "needs_ketamine_prescreen") and is_ticked(page, "active")
    assert is_ticked(page, "practitioner_ids-0") and "Dr Petro Bondar" in page


def test_an_admin_has_a_clinician_confirm_every_course_of_a_service(
        admin, create_service, create_practitioner):
    service = create_service(name="Ketamine infusion course", is_course=True, min_sessions=3,
                             max_sessions=7, needs_ketamine_prescreen=True)
    practitioner = create_practitioner([service], full_name="Dr Petro Bondar")
    page = text(admin.get(f"/staff/admin/services/{service.id}"))
    assert "A clinician confirms every course" in page
    assert not is_ticked(page, "clinician_confirms_courses")

    response = admin.post(f"/staff/admin/services/{service.id}", data=service_form(
        practitioner, name="Ketamine infusion course", needs_ketamine_prescreen="y",
        clinician_confirms_courses="y"))
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Service, service.id).clinician_confirms_courses is True
    assert is_ticked(text(admin.get(f"/staff/admin/services/{service.id}")),
                     "clinician_confirms_courses")
    assert "a clinician confirms every course" in text(admin.get("/staff/admin/services"))
    update = events("service.update")[-1]
    assert "clinician_confirms_courses" in update.details["changed"]
    assert update.details["before"]["clinician_confirms_courses"] is False
    assert update.details["after"]["clinician_confirms_courses"] is True


@pytest.mark.parametrize("field, value, message", [
    ("duration_minutes", "600", "from 5 to 540"),
    ("duration_minutes", "forty", "from 5 to 540"),
    ("grid_minutes", "0", "from 5 to 540"),
    ("buffer_minutes", "300", "from 0 to 240"),
    ("name", "  ", "Please enter the service"),
])
def test_service_values_out_of_range_are_refused_and_kept(
        admin, create_practitioner, field, value, message):
    practitioner = create_practitioner([])
    response = admin.post("/staff/admin/services/new",
                          data=service_form(practitioner, **{field: value}))
    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'id="{field}-error">.*?{message}', page, re.S)
    assert f'value="{value}"' in page
    assert db.session.execute(select(Service)).first() is None


# --- Practitioners and working hours --------------------------------------------------------------

def test_an_admin_adds_and_renames_a_practitioner(admin):
    response = admin.post("/staff/admin/practitioners/new",
                          data={"full_name": "Dr Taras Shevchuk", "title": "Neurologist",
                                "active": "y"})
    assert response.status_code == 303
    practitioner_id = events("practitioner.create")[-1].object_id
    assert response.headers["Location"].endswith(f"/practitioners/{practitioner_id}/hours")
    response = admin.post(f"/staff/admin/practitioners/{practitioner_id}",
                          data={"full_name": "Dr Taras Shevchuk", "title": "Headache specialist"})
    assert response.status_code == 303
    listing = text(admin.get("/staff/admin/practitioners"))
    assert "Headache specialist" in listing and "inactive" in listing
    update = events("practitioner.update")[-1]
    assert update.details["after"] == {"full_name": "Dr Taras Shevchuk", "full_name_uk": "",
                                       "title": "Headache specialist", "title_uk": "",
                                       "active": False}


def hours_form(rows):
    data = {}
    for index, (weekday, start, end) in enumerate(rows):
        data.update({f"hours-{index}-weekday": str(weekday), f"hours-{index}-start_time": start,
                     f"hours-{index}-end_time": end})
    return data


def stored_hours(practitioner_id):
    db.session.rollback()
    return [(h.weekday, h.start_time.strftime("%H:%M"), h.end_time.strftime("%H:%M"))
            for h in db.session.execute(
                select(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id)
                .order_by(WorkingHours.weekday, WorkingHours.start_time)).scalars()]


@pytest.mark.parametrize("rows, field, message", [
    ([(0, "09:00", "12:00")], "hours-0-start_time", "within the clinic&#39;s opening hours"),
    ([(1, "15:00", "19:30")], "hours-0-end_time", "within the clinic&#39;s opening hours"),
    ([(5, "10:00", "12:00")], "hours-0-weekday", "The clinic is closed on that day."),
    ([(2, "15:00", "14:00")], "hours-0-end_time", "The end must be after the start."),
    ([(3, "10:00", "13:00"), (3, "12:00", "15:00")], "hours-1-start_time",
     "This period overlaps 10:00-13:00 on the same day."),
    ([(4, "ten", "12:00")], "hours-0-start_time", "Please enter a time like 10:00."),
])
def test_working_hours_that_break_a_rule_are_refused_next_to_the_field(
        admin, create_practitioner, rows, field, message):
    practitioner = create_practitioner([])
    before = stored_hours(practitioner.id)
    response = admin.post(f"/staff/admin/practitioners/{practitioner.id}/hours",
                          data=hours_form(rows))
    assert response.status_code == 422
    assert re.search(rf'id="{field}-error">.*?{re.escape(message)}', text(response), re.S)
    assert stored_hours(practitioner.id) == before
    assert not events("practitioner.hours")


def slot_starts(client, service, first, last=None):
    response = client.get("/api/v1/slots", query_string={
        "service": service.id, "from": first.isoformat(), "to": (last or first).isoformat()})
    assert response.status_code == 200
    return [datetime.fromisoformat(s["start"]).astimezone(KYIV).strftime("%a %H:%M")
            for s in response.get_json()["slots"]]


def test_new_working_hours_change_the_slots_offered(
        admin, client, create_service, create_practitioner):
    service = create_service(duration_minutes=60, grid_minutes=30)
    practitioner = create_practitioner([service])
    monday, friday = date(2026, 12, 14), date(2026, 12, 18)
    assert "Tue 14:00" in slot_starts(client, service, monday, friday)

    response = admin.post(f"/staff/admin/practitioners/{practitioner.id}/hours", data=hours_form(
        [(0, "15:00", "17:00"), (0, "10:00", "12:00"), (2, "10:00", "11:00"), (4, "", "")]))
    assert response.status_code == 303
    assert slot_starts(client, service, monday, friday) == [
        "Mon 10:00", "Mon 10:30", "Mon 11:00", "Mon 15:00", "Mon 15:30", "Mon 16:00",
        "Wed 10:00"]
    event = events("practitioner.hours")[-1]
    assert event.details["after"] == [[0, "10:00", "12:00"], [0, "15:00", "17:00"],
                                      [2, "10:00", "11:00"]]
    assert len(event.details["before"]) == 5


def test_rows_are_added_and_removed_without_javascript(admin, create_practitioner):
    practitioner = create_practitioner([], hours={0: [(time(10), time(19))]})
    url = f"/staff/admin/practitioners/{practitioner.id}/hours"
    page = text(admin.get(url))
    assert "Period 1" in page and "Period 2" in page and "Period 3" not in page  # + a blank row
    added = admin.post(url, data={**hours_form([(0, "10:00", "13:00"), (0, "14:00", "19:00")]),
                                  "add_row": "1"})
    assert added.status_code == 200 and "Period 3" in text(added)
    assert 'value="14:00"' in text(added)
    removed = admin.post(url, data={**hours_form([(0, "10:00", "13:00"), (0, "14:00", "19:00")]),
                                    "remove_row": "0"})
    assert 'value="13:00"' not in text(removed) and 'value="14:00"' in text(removed)
    assert stored_hours(practitioner.id) == [(0, "10:00", "19:00")]  # nothing saved yet


# --- Intake questionnaires ------------------------------------------------------------------------

def test_the_instrument_switches_change_the_intake(admin, app):
    assert intake.settings().midas is True
    page = text(admin.get("/staff/admin/settings"))
    assert "HIT6_ITEM_TEXT" in page and "type a HIT-6 total" in page

    response = admin.post("/staff/admin/settings", data={"phq9": "y", "gad7": "y",
                                                         "hit6_items": "y"})
    assert response.status_code == 303
    db.session.rollback()
    switched = intake.settings()
    assert (switched.midas, switched.phq9, switched.gad7) == (False, True, True)
    assert switched.hit6_items is False  # no licensed item text configured
    app.config["HIT6_ITEM_TEXT"] = tuple(f"Licensed item {n}" for n in range(1, 7))
    assert intake.settings().hit6_items is True

    event = events("setting.change")[-1]
    assert event.details["key"] == "INTAKE_INSTRUMENTS"
    assert event.details["before"]["midas"] is True and event.details["after"]["midas"] is False
    page = text(admin.get("/staff/admin/settings"))
    assert not is_ticked(page, "midas") and is_ticked(page, "phq9")


def test_saving_unchanged_switches_writes_nothing(admin):
    admin.post("/staff/admin/settings", data={"midas": "y", "phq9": "y", "gad7": "y"})
    assert not events("setting.change")


# --- Audit log ------------------------------------------------------------------------------------

def test_the_audit_log_lists_events_newest_first_and_filters_by_action_and_actor(
        admin, staff_client, create_staff):
    other = staff_client("admin", email="other@example.com")
    admin.post("/staff/admin/practitioners/new", data={"full_name": "Dr One", "active": "y"})
    other.post("/staff/admin/practitioners/new", data={"full_name": "Dr Two", "active": "y"})

    page = text(admin.get("/staff/admin/audit"))
    table = page[page.index("<tbody>"):]
    assert "practitioner.create" in table and "sign_in.success" in table
    assert table.index("Dr Two") < table.index("Dr One")  # newest first

    by_action = text(admin.get("/staff/admin/audit", query_string={"action": "practitioner"}))
    assert "Dr One" in by_action and "Dr Two" in by_action
    assert "sign_in.success" not in by_action

    by_actor = text(admin.get("/staff/admin/audit", query_string={
        "action": "practitioner.create", "actor": "Other@Example.com"}))
    assert "Dr Two" in by_actor and "Dr One" not in by_actor


def test_the_audit_log_shows_the_last_7_days_unless_asked(admin):
    audit.record("test.old", actor_label="someone@example.com")
    db.session.flush()
    db.session.execute(AuditEvent.__table__.insert().values(
        at=NOW - timedelta(days=10), actor="old@example.com", action="test.ancient",
        object_type="", details={}, ip=""))
    db.session.commit()
    assert "test.ancient" not in text(admin.get("/staff/admin/audit"))
    asked = admin.get("/staff/admin/audit", query_string={"first_day": "2026-11-25",
                                                          "last_day": "2026-11-30"})
    assert asked.status_code == 200
    assert "test.ancient" in text(asked) and "test.old" not in text(asked)
    backwards = admin.get("/staff/admin/audit", query_string={"first_day": "2026-12-07",
                                                              "last_day": "2026-12-01"})
    assert backwards.status_code == 422
    assert "must not be before the first day" in text(backwards)


def test_the_audit_log_has_pages_of_100(admin):
    for number in range(130):
        audit.record("test.bulk", object_type="thing", object_id=number,
                     actor_label="bulk@example.com")
    db.session.commit()
    first = text(admin.get("/staff/admin/audit", query_string={"action": "test.bulk"}))
    assert first.count("<code>test.bulk</code>") == 100
    assert "<span>#129</span>" in first and "<span>#29</span>" not in first
    assert "Older" in first and "Newer" not in first
    second = text(admin.get("/staff/admin/audit",
                            query_string={"action": "test.bulk", "page": "2"}))
    assert second.count("<code>test.bulk</code>") == 30
    assert "<span>#29</span>" in second and "Newer" in second and "Older" not in second


# --- Who may enter --------------------------------------------------------------------------------

def test_a_receptionist_gets_403_on_every_admin_route_but_may_use_closures(app, staff_client):
    desk = staff_client("receptionist", email="desk@example.com")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/admin") or rule.rule.startswith("/staff/admin/outbox"):
            continue  # (the outbox of failed emails is for reception too)
        path = re.sub(r"<(int:)?[a-z_]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            assert desk.open(path, method=method, data={}).status_code == 403, (method, path)
            checked += 1
    assert checked >= 15
    assert desk.get("/staff/closures").status_code == 200
    assert desk.get("/staff/closures/new").status_code == 200


def test_a_clinician_who_is_not_an_admin_gets_403(staff_client, create_practitioner):
    doctor = staff_client("clinician", practitioner=create_practitioner([]))
    assert doctor.get("/staff/admin").status_code == 403
    assert doctor.get("/staff/closures").status_code == 403


def test_the_admin_home_links_every_section(admin):
    page = text(admin.get("/staff/admin"))
    for path in ("/staff/admin/staff", "/staff/admin/services", "/staff/admin/practitioners",
                 "/staff/closures", "/staff/admin/settings", "/staff/admin/audit"):
        assert f'href="{path}"' in page


def test_the_audit_log_reads_as_sentences_with_a_link_and_details_behind_a_toggle(admin):
    admin.post("/staff/admin/practitioners/new", data={"full_name": "Dr One", "active": "y"})
    created = events("practitioner.create")[-1]
    page = text(admin.get("/staff/admin/audit", query_string={"action": "practitioner"}))
    table = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.index("<tbody>"):]))
    assert f"admin@example.com added practitioner #{created.object_id}" in table
    assert f'href="/staff/admin/practitioners/{created.object_id}"' in page
    assert "<details" in page and "Before and after" in page and "Dr One" in page

    ukrainian = text(admin.get("/staff/admin/audit",
                               query_string={"action": "practitioner", "lang": "uk"}))
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", ukrainian[ukrainian.index("<tbody>"):]))
    assert f"admin@example.com додав(-ла): фахівець #{created.object_id}" in words
    assert "Before and after" not in ukrainian


def test_every_action_the_app_audits_has_words_in_the_log():
    """An action without words would show its English code on a Ukrainian page."""
    from pathlib import Path

    from booking.dashboard.audit_words import ACTIONS

    recorded = set()
    for path in Path("booking").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        # The action as the call's first argument, or set in a variable just before it.
        places = [call.group(1)[:120] for call in
                  re.finditer(r"audit\.record(?:_now)?\((.{0,160})", source, re.S)]
        places += re.findall(r"\baction = (.+)", source)
        for place in places:
            recorded.update(re.findall(r'"((?:[a-z_]+\.)?[a-z_]+)"(?=\s*(?:if|else|,|\)|$))',
                                       place))
    recorded = {action for action in recorded if "." in action or action == "sign_out"}
    assert len(recorded) > 40
    assert recorded <= set(ACTIONS), sorted(recorded - set(ACTIONS))
