# ruff: noqa: F811  (pytest fixtures imported from tests.test_i18n are used as arguments)
"""Names the clinic types (services, practitioners) in the page's language.

Ukrainian pages and emails show the Ukrainian wording an admin gave; English pages the main
one; an empty Ukrainian wording falls back to the main one. The app runs as production does
(Ukrainian by default) with the catalogue compiled from the committed .po.
"""
from flask_babel import force_locale
from sqlalchemy import select

from booking.demo import load_demo_data
from booking.extensions import db
from booking.localized import localized, practitioner_label
from booking.models import AuditEvent, Practitioner, Service
from booking.notifications import calendar
from tests.conftest import add_consultation
from tests.test_i18n import client, compiled_translations, signed_in, uk_app  # noqa: F401

NEUROLOGIST = "Первинна консультація невролога"


def add_service(**names):
    return add_consultation(description="History and a plan.", practitioner_fields={
        "title": "Neurologist", "full_name_uk": "Д-р Олена Коваленко", "title_uk": "Невролог"},
        **names)


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_services_page_shows_the_ukrainian_names_and_the_english_ones_in_english(client):
    add_service(name_uk=NEUROLOGIST, description_uk="Розпитування і план лікування.")
    ukrainian = page(client, "/")
    assert NEUROLOGIST in ukrainian and "Розпитування і план лікування." in ukrainian
    assert "First consultation" not in ukrainian
    english = page(client, "/?lang=en")
    assert "First consultation" in english and "History and a plan." in english
    assert NEUROLOGIST not in english


def test_a_name_without_ukrainian_wording_is_shown_as_typed(client):
    add_service()
    assert "First consultation" in page(client, "/")


def test_the_practitioner_choice_on_the_times_page_is_in_the_pages_language(client):
    service = add_service(name_uk=NEUROLOGIST)
    ukrainian = page(client, f"/book/{service.id}")
    assert "Д-р Олена Коваленко, Невролог" in ukrainian and NEUROLOGIST in ukrainian
    english = page(client, f"/book/{service.id}?lang=en")
    assert "Dr Olena Kovalenko, Neurologist" in english


def test_an_admin_types_both_wordings_and_the_change_is_audited(uk_app, client):
    service = add_service()
    admin = signed_in(uk_app, "admin")
    form = page(admin, f"/staff/admin/services/{service.id}")
    assert 'name="name_uk"' in form and 'name="description_uk"' in form
    response = admin.post(f"/staff/admin/services/{service.id}", data={
        "name": "First consultation", "name_uk": NEUROLOGIST,
        "description": "History and a plan.", "description_uk": "План лікування.",
        "duration_minutes": "60", "grid_minutes": "30", "buffer_minutes": "0",
        "online_bookable": "y", "active": "y",
        "practitioner_ids": [str(service.practitioners[0].id)]})
    assert response.status_code == 303
    db.session.expire_all()
    assert (service.name_uk, service.description_uk) == (NEUROLOGIST, "План лікування.")
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "service.update")).scalar_one()
    assert event.details["changed"] == ["name_uk", "description_uk"]
    assert NEUROLOGIST in page(client, "/")

    practitioner = service.practitioners[0]
    response = admin.post(f"/staff/admin/practitioners/{practitioner.id}", data={
        "full_name": "Dr Olena Kovalenko", "full_name_uk": "Олена Коваленко",
        "title": "Neurologist", "title_uk": "Лікар-невролог", "active": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (practitioner.full_name_uk, practitioner.title_uk) == ("Олена Коваленко",
                                                                  "Лікар-невролог")
    with force_locale("en"):
        assert practitioner_label(practitioner) == "Dr Olena Kovalenko, Neurologist"
    assert "Олена Коваленко, Лікар-невролог" in page(client, f"/book/{service.id}")


def test_a_too_long_ukrainian_name_is_refused_next_to_its_field(uk_app):
    service = add_service()
    admin = signed_in(uk_app, "admin")
    response = admin.post(f"/staff/admin/services/{service.id}?lang=en", data={
        "name": "First consultation", "name_uk": "Я" * 121, "description": "",
        "duration_minutes": "60", "grid_minutes": "30", "buffer_minutes": "0",
        "active": "y"})
    assert response.status_code == 422
    assert "Please use at most 120 characters." in response.get_data(as_text=True)
    db.session.expire_all()
    assert service.name_uk == ""


def test_calendar_titles_and_emails_use_the_wording_of_their_language(uk_app):
    service = add_service(name_uk=NEUROLOGIST)
    with force_locale("uk"):
        assert localized(service, "name") == NEUROLOGIST
    with force_locale("en"):
        assert localized(service, "name") == "First consultation"
    uk_app.config["EMAIL_NAMES_SERVICES"] = True
    appointment = type("Visit", (), {"service": service, "course_id": None})()
    with force_locale("uk"):
        assert NEUROLOGIST in calendar.event_summary(appointment)


def test_every_demo_name_has_its_ukrainian_wording(uk_app):
    load_demo_data()
    for service in db.session.execute(select(Service)).scalars():
        assert service.name_uk and service.description_uk, service.name
    for practitioner in db.session.execute(select(Practitioner)).scalars():
        assert practitioner.full_name_uk and practitioner.title_uk, practitioner.full_name
