"""Honest words to a patient with an urgent intake: when will the clinic contact them?"""
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from booking.clinic_hours import contact_promise
from booking.extensions import db
from booking.intake import services as intake
from booking.models import Closure
from booking.scheduler import services as booking
from tests.conftest import PATIENT
from tests.attention.test_attention_queue import TUESDAY_10, clinic  # noqa: F401
from tests.intake.test_services import ANSWERS

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv(*args):
    return datetime(*args, tzinfo=KYIV)


@pytest.mark.parametrize("now, when, day", [
    (kyiv(2026, 12, 7, 14, 0), "today", "2026-12-07"),             # Monday, open
    (kyiv(2026, 12, 7, 10, 0), "today", "2026-12-07"),             # opening minute
    (kyiv(2026, 12, 7, 9, 59), "later_today", "2026-12-07"),       # before opening
    (kyiv(2026, 12, 7, 19, 0), "next_working_day", "2026-12-08"),  # closing time: closed
    (kyiv(2026, 12, 7, 22, 0), "next_working_day", "2026-12-08"),  # 22:00 is not "today"
    (kyiv(2026, 12, 11, 20, 0), "next_working_day", "2026-12-14"),  # Friday night -> Monday
    (kyiv(2026, 12, 12, 11, 0), "next_working_day", "2026-12-14"),  # Saturday
])
def test_the_clinic_promises_today_only_when_it_is_open(app, now, when, day):
    promise = contact_promise(now.astimezone(timezone.utc))
    assert (promise.when, promise.day.isoformat()) == (when, day)


def test_a_clinic_wide_closure_moves_the_promise_to_the_day_after(app):
    db.session.add(Closure(starts_at=kyiv(2026, 12, 14, 0, 0), ends_at=kyiv(2026, 12, 15, 0, 0),
                           reason="Holiday"))
    db.session.commit()
    promise = contact_promise(kyiv(2026, 12, 11, 20, 0).astimezone(timezone.utc))
    assert (promise.when, promise.day.isoformat()) == ("next_working_day", "2026-12-15")


def words(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_at_22_the_patient_is_told_the_next_working_day_by_name(app, client, clinic):  # noqa: F811
    appointment, token = booking.book(service_id=clinic["service"].id, start=TUESDAY_10,
                                      consent=True, patient=dict(PATIENT), language="en")
    app.config["FROZEN_NOW"] = kyiv(2026, 12, 7, 22, 0).astimezone(timezone.utc)
    for step in ("about", "history", "pain", "medicines"):
        intake.save_step(appointment.id, step, ANSWERS[step], language="en")
    intake.save_step(appointment.id, "questionnaires",
                     {**ANSWERS["questionnaires"], "phq9_9": 1}, language="en")

    page = words(client.get(f"/manage/{token}/intake/review?lang=en"))
    assert ("The clinic is closed now. It will contact you on the next working day, "
            "Tuesday, 8 December.") in page
    assert "will contact you today" not in page
    assert "Lifeline Ukraine: 7333" in page

    # The manage page keeps the advice while the mark is on, even after the answer changed.
    intake.save_step(appointment.id, "questionnaires", dict(ANSWERS["questionnaires"]),
                     language="en")
    manage = words(client.get(f"/manage/{token}?lang=en"))
    assert "Help is available now" in manage and "Lifeline Ukraine: 7333" in manage
    assert "Tuesday, 8 December" in manage


def test_a_manage_page_without_an_urgent_mark_shows_no_crisis_advice(app, client, clinic):  # noqa: F811,E501
    _appointment, token = booking.book(service_id=clinic["service"].id, start=TUESDAY_10,
                                       consent=True, patient=dict(PATIENT), language="en")
    page = words(client.get(f"/manage/{token}?lang=en"))
    assert "Help is available now" not in page and "tel:7333" not in page
