"""Idempotency-Key on the API's POSTs: a retry gets the first answer and nothing is done twice;
the key with another request is refused; two racing requests never both run; keys live 24
hours, in the database, unreadable there."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import idempotency, retention
from booking.extensions import db
from booking.models import Appointment, IdempotencyKey, OutboxMessage
from booking.scheduler.openapi import EXAMPLE_PATIENT
from tests.conftest import NOW, postgres_only, run_at_once
from tests.test_availability import write_lock_held

TUESDAY_10 = "2026-12-08T10:00:00+02:00"
TUESDAY_12 = "2026-12-08T12:00:00+02:00"
KEY = "2f1c7b9e-4a53-4d0e-9b8f-1c2d3e4f5a6b"


@pytest.fixture
def clinic(create_service, create_practitioner):
    service = create_service()
    create_practitioner([service], full_name="Dr Neuro")
    create_practitioner([service], full_name="Dr Psych")
    return service


def body(start=TUESDAY_10, **changes):
    return {"service_id": 1, "start": start, "consent": True, "patient": dict(EXAMPLE_PATIENT),
            **changes}


def post(client, json, key=KEY, path="/api/v1/bookings"):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(path, json=json, headers=headers)


def count(model, *conditions):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*conditions)
                              ).scalar_one()


def test_a_retry_gets_the_first_answer_and_books_nothing_more(client, clinic):
    first = post(client, body())
    assert first.status_code == 201
    again = post(client, body())
    assert again.status_code == 201
    assert again.get_json() == first.get_json()  # the same reference and private link
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cache-Control"] == "no-store"
    assert "Idempotent-Replayed" not in first.headers
    # "Any practitioner" would have booked the second one: nothing was done again.
    assert (count(Appointment), count(OutboxMessage)) == (1, 1)


def test_without_a_key_each_post_runs(client, clinic):
    assert post(client, body(), key=None).status_code == 201
    assert post(client, body(), key=None).status_code == 201
    assert count(Appointment) == 2


def test_a_refusal_is_given_again_too(client, clinic):
    refused = post(client, body(start="2026-12-08T09:30:00+02:00"))
    assert refused.status_code == 422
    again = post(client, body(start="2026-12-08T09:30:00+02:00"))
    assert (again.status_code, again.get_json()) == (422, refused.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"


def test_the_same_body_in_another_order_is_the_same_request(client, clinic):
    assert post(client, body()).status_code == 201
    reordered = dict(reversed(list(body().items())))
    assert post(client, reordered).headers.get("Idempotent-Replayed") == "true"


def test_the_key_with_another_body_is_refused_with_422(client, clinic):
    assert post(client, body()).status_code == 201
    other = post(client, body(start="2026-12-08T12:00:00+02:00"))
    assert other.status_code == 422
    assert other.get_json()["error"] == "key_reused"
    assert "Idempotency-Key" in other.get_json()["fields"]
    assert count(Appointment) == 1


def test_the_key_on_another_endpoint_is_refused_with_422(client, clinic):
    assert post(client, body()).status_code == 201
    other = post(client, {"service_id": 1, "first_day": "2026-12-08", "last_day": "2026-12-18",
                          "weekdays": [0], "earliest": "10:00", "latest": "19:00",
                          "consent": True, "patient": dict(EXAMPLE_PATIENT)},
                 path="/api/v1/waitlist")
    assert (other.status_code, other.get_json()["error"]) == (422, "key_reused")


def test_the_key_with_another_bookings_token_never_gives_that_bookings_answer(client, clinic):
    first = post(client, body(), key=None).get_json()
    second = post(client, body(start=TUESDAY_12), key=None).get_json()
    cancelled = client.post("/api/v1/booking/cancel", json={}, headers={
        "Idempotency-Key": KEY, "X-Manage-Token": first["manage_token"]})
    assert cancelled.status_code == 200
    other = client.post("/api/v1/booking/cancel", json={}, headers={
        "Idempotency-Key": KEY, "X-Manage-Token": second["manage_token"]})
    assert (other.status_code, other.get_json()["error"]) == (422, "key_reused")
    assert first["reference"] not in other.get_data(as_text=True)
    assert count(Appointment, Appointment.status == "booked") == 1


@pytest.mark.parametrize("key", ["", "with space", "x" * 256, "ключ"])
def test_a_malformed_key_is_refused_with_400(client, clinic, key):
    response = post(client, body(), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["fields"]
    assert count(Appointment) == 0


def test_after_24_hours_the_key_is_forgotten(app, client, clinic):
    assert post(client, body()).status_code == 201
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=24)
    later = post(client, body(start="2026-12-09T12:00:00+02:00"))
    assert later.status_code == 201  # a new request: no 422 for "another body"
    assert "Idempotent-Replayed" not in later.headers
    assert count(Appointment) == 2


def test_a_request_in_progress_makes_a_retry_wait_with_409(app, client, clinic):
    claim = idempotency.begin(KEY, "POST", "/api/v1/bookings", body())
    assert isinstance(claim, idempotency.Claimed)
    retry = post(client, body())
    assert retry.status_code == 409
    assert retry.get_json()["error"] == "in_progress"
    assert int(retry.headers["Retry-After"]) == app.config["IDEMPOTENCY_LEASE_SECONDS"]
    assert count(Appointment) == 0


def test_a_claim_whose_worker_died_runs_out_and_the_retry_runs(app, client, clinic):
    idempotency.begin(KEY, "POST", "/api/v1/bookings", body())  # and then nothing, ever
    app.config["FROZEN_NOW"] = NOW + timedelta(seconds=app.config["IDEMPOTENCY_LEASE_SECONDS"])
    assert post(client, body()).status_code == 201
    assert post(client, body()).headers["Idempotent-Replayed"] == "true"
    assert count(Appointment) == 1


def test_requests_racing_with_one_key_never_both_run(make_test_app, clinic):
    instances = [make_test_app() for _ in range(4)]
    results = run_at_once(instances, _post_through_current_app)  # each through its own app
    statuses = sorted(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    bookings = {answer["reference"] for status, answer, _ in results if status == 201}
    assert len(bookings) == 1  # a replay, never a second booking
    assert all(answer["error"] == "in_progress" and retry for status, answer, retry in results
               if status == 409)
    assert count(Appointment) == 1


def _post_through_current_app():
    from flask import current_app

    response = post(current_app.test_client(), body())
    return response.status_code, response.get_json(), response.headers.get("Retry-After")


def test_keys_and_answers_are_unreadable_in_the_database(client, clinic):
    answer = post(client, body()).get_json()
    token = answer["manage_url"].rsplit("/", 1)[1]
    row = db.session.execute(select(IdempotencyKey)).scalar_one()
    assert KEY not in row.key_hash and row.status_code == 201
    assert token.encode() not in row.response and answer["reference"].encode() not in row.response
    assert idempotency.unseal(idempotency._secret(KEY), row.response) is not None
    assert idempotency.unseal(idempotency._secret("another key"), row.response) is None


def test_the_purge_removes_keys_older_than_24_hours(app, client, clinic):
    post(client, body())
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=2)
    post(client, body(start="2026-12-08T12:00:00+02:00"), key="second-key")
    counts = retention.purge(now=NOW + timedelta(hours=24, minutes=1))
    assert counts["idempotency_keys"] == 1
    assert count(IdempotencyKey) == 1
    # The younger key still answers.
    app.config["FROZEN_NOW"] = NOW + timedelta(hours=24, minutes=2)
    again = post(client, body(start="2026-12-08T12:00:00+02:00"), key="second-key")
    assert again.headers["Idempotent-Replayed"] == "true"


@postgres_only
def test_a_request_that_fails_with_503_drops_its_claim_and_the_retry_runs(
        make_test_app, database_uri, clinic):
    impatient = make_test_app(DATABASE_LOCK_WAIT_MS=300)
    client = impatient.test_client()
    with write_lock_held(database_uri):  # the practitioners: booking waits, the claim does not
        assert post(client, body()).status_code == 503
    assert count(IdempotencyKey) == 0
    assert post(client, body()).status_code == 201
    assert count(Appointment) == 1
