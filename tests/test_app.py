"""The app as a whole: error pages, the appointments command (the demo: tests/test_demo.py)."""
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Appointment, Service

KYIV = ZoneInfo("Europe/Kyiv")


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_unknown_page_gives_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We could not find that page" in page
    assert "+380 73 730 80 88" in page


def test_a_crash_gives_a_500_page_and_nothing_half_written(app, client):
    @app.route("/boom")
    def boom():
        db.session.add(Service(name="Half-written", duration_minutes=30))
        db.session.flush()
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    db.session.remove()
    assert count(Service) == 0


def test_a_crash_under_the_api_answers_in_json(app, client):
    @app.route("/api/v1/boom")
    def api_boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"] == "server_error"


def test_the_appointments_command_lists_a_day_with_intake_status(runner):
    runner.invoke(args=["seed-demo"])
    first = db.session.execute(select(Appointment).where(~Appointment.intake.has())
                               .order_by(Appointment.starts_at)).scalars().first()
    day = first.starts_at.astimezone(KYIV).date()
    result = runner.invoke(args=["appointments", "--from", day.isoformat()])
    assert first.reference in result.output
    assert "intake: not_started" in result.output
    assert first.patient.email not in result.output
