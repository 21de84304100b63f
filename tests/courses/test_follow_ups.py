"""Follow-ups after a course: created once when due (1 and 3 months after the last session), and
the patient's private page that saves the answers once."""
import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.courses import follow_up_answers, follow_ups
from booking.courses import services as courses
from booking.extensions import db
from booking.models import AuditEvent, Course, FollowUpRequest, InfusionSession
from booking.scheduler.manage_links import hash_token

KYIV = ZoneInfo("Europe/Kyiv")
# Courses booked in these tests start on Wednesday 9 December 2026, three sessions: Wed 9,
# Thu 10 and Fri 11 December. The last session's local date is Friday 11 December.
FIRST_DAY = date(2026, 12, 9)
LAST_DAY = date(2026, 12, 11)


def at(day, hour=10, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=KYIV)


def person(n=1):
    return {"full_name": f"Follow Patient {n}", "email": f"follow{n}@example.com",
            "phone": "+380501234567", "date_of_birth": "1980-01-01"}


def make_course_service(create_service, create_practitioner):
    service = create_service(name="Ketamine infusion course", duration_minutes=60,
                             grid_minutes=60, is_course=True, min_sessions=3, max_sessions=7)
    create_practitioner([service], full_name="Dr Course")
    return service


@pytest.fixture
def course_service(create_service, create_practitioner):
    return make_course_service(create_service, create_practitioner)


def book_course_with_sessions(service, *, n=1, hour=10, status="confirmed",
                              pains=((7, 3), (6, 2), (5, 1))):
    """A course of len(pains) sessions from FIRST_DAY at `hour`, with each session recorded
    (pain before and after) and the course in `status`."""
    course, _token = courses.book_course(service_id=service.id, start=at(FIRST_DAY, hour),
                                         sessions=len(pains), patient=person(n), consent=True)
    for appointment, (before, after) in zip(course.appointments, pains):
        db.session.add(InfusionSession(
            appointment_id=appointment.id, course_id=course.id, course_day=appointment.course_day,
            started_at=appointment.starts_at + timedelta(minutes=5),
            ended_at=appointment.ends_at - timedelta(minutes=5),
            pain_before=before, pain_after=after))
    course.status = status
    db.session.commit()
    return course


def days_after_last_session(app, days, hour=9, minute=0):
    """Move the frozen clock to `days` after the last session, at a local time."""
    app.config["FROZEN_NOW"] = at(LAST_DAY + timedelta(days=days), hour, minute)


def requests(course_id=None):
    db.session.rollback()  # see what other sessions and apps committed
    query = select(FollowUpRequest).order_by(FollowUpRequest.id)
    if course_id is not None:
        query = query.where(FollowUpRequest.course_id == course_id)
    return db.session.execute(query).scalars().all()


# --- When requests are created ---------------------------------------------------------------------

def test_the_one_month_follow_up_is_not_due_on_day_29_and_due_on_day_30(app, course_service):
    course = book_course_with_sessions(course_service)
    days_after_last_session(app, 29)
    assert follow_ups.create_due_follow_ups() == []
    assert requests() == []

    days_after_last_session(app, 30)
    created = follow_ups.create_due_follow_ups()
    assert [(c.course_reference, c.label) for c in created] == [(course.reference, "1m")]
    [row] = requests()
    assert (row.course_id, row.label, row.due_on) == (course.id, "1m", date(2027, 1, 10))
    assert row.answered_at is None


def test_the_day_counts_in_kyiv_time_not_utc(app, course_service):
    book_course_with_sessions(course_service)
    # 00:30 on day 30 in Kyiv is still day 29 in UTC: due.
    days_after_last_session(app, 30, hour=0, minute=30)
    assert [c.label for c in follow_ups.create_due_follow_ups()] == ["1m"]


def test_the_three_month_follow_up_comes_on_day_90_and_a_late_run_still_creates_the_one_month(
        app, course_service):
    course = book_course_with_sessions(course_service)
    days_after_last_session(app, 44)  # runs missed since day 30; the 1-month window is open
    assert [c.label for c in follow_ups.create_due_follow_ups()] == ["1m"]
    days_after_last_session(app, 89)
    assert follow_ups.create_due_follow_ups() == []
    days_after_last_session(app, 90)
    assert [c.label for c in follow_ups.create_due_follow_ups()] == ["3m"]
    assert [(r.label, r.due_on) for r in requests(course.id)] == [
        ("1m", date(2027, 1, 10)), ("3m", date(2027, 3, 11))]


@pytest.mark.parametrize("day, labels", [
    (45, ["1m"]),  # the last day of the 1-month window (21-45)
    (46, []),  # closed: no link that could only say so
    (100, ["3m"]),  # a run missed for three months: only the 3-month request is still open
    (120, ["3m"]),
    (121, []),
])
def test_no_request_is_created_once_its_window_has_closed(app, course_service, day, labels):
    book_course_with_sessions(course_service)
    days_after_last_session(app, day)
    assert [c.label for c in follow_ups.create_due_follow_ups()] == labels


def test_the_token_is_random_and_only_its_hash_is_stored(app, course_service):
    book_course_with_sessions(course_service, n=1, hour=10)
    book_course_with_sessions(course_service, n=2, hour=12)
    days_after_last_session(app, 30)
    created = follow_ups.create_due_follow_ups()
    assert len(created) == 2 and created[0].token != created[1].token
    assert len(created[0].token) >= 43  # 32 random bytes
    stored = {r.token_hash for r in requests()}
    assert stored == {hash_token(c.token) for c in created}
    assert not any(c.token in repr(c) for c in created)


@pytest.mark.parametrize("status", ["cancelled", "declined", "awaiting_review"])
def test_no_follow_up_for_a_course_that_was_not_confirmed(app, course_service, status):
    book_course_with_sessions(course_service, status=status)
    days_after_last_session(app, 100)
    assert follow_ups.create_due_follow_ups() == []
    assert requests() == []


def test_no_follow_up_before_every_session_of_the_course_is_over(app, course_service):
    course = book_course_with_sessions(course_service)
    # During the last session: not over yet.
    app.config["FROZEN_NOW"] = at(LAST_DAY, 10, 30)
    assert follow_ups.create_due_follow_ups() == []
    db.session.rollback()
    assert db.session.get(Course, course.id).status == "confirmed"


def test_a_confirmed_course_whose_sessions_are_over_becomes_completed(app, course_service):
    course = book_course_with_sessions(course_service)
    app.config["FROZEN_NOW"] = at(LAST_DAY, 12)
    assert follow_ups.create_due_follow_ups() == []  # completed, no follow-up due yet
    db.session.rollback()
    assert db.session.get(Course, course.id).status == "completed"
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "course.complete" in actions


def test_cancelled_last_sessions_do_not_count(app, course_service):
    """A course cut short: the follow-ups count from the last session that was held."""
    course = book_course_with_sessions(course_service)
    last = course.appointments[-1]
    last.status = "cancelled"
    db.session.commit()
    # Day 30 after Thursday 10 December (the last session held) is 9 January.
    app.config["FROZEN_NOW"] = at(date(2027, 1, 9), 9)
    [created] = follow_ups.create_due_follow_ups()
    assert created.due_on == date(2027, 1, 9)


def test_courses_long_past_are_not_looked_at(app, course_service):
    """The query is bounded: a course whose last session ended more than the last follow-up
    plus a month ago is not a candidate any more."""
    book_course_with_sessions(course_service)
    days_after_last_session(app, 90 + follow_ups.GRACE_DAYS + 2)
    assert follow_ups.create_due_follow_ups() == []


# --- Completed only when someone came -----------------------------------------------------------

def book_course_with_statuses(service, statuses, recorded_days=(), *, n=1, hour=10):
    """A confirmed course from FIRST_DAY with one session per status (the desk's marks) and
    infusion records on `recorded_days` only."""
    course, _token = courses.book_course(service_id=service.id, start=at(FIRST_DAY, hour),
                                         sessions=len(statuses), patient=person(n), consent=True)
    for appointment, status in zip(course.appointments, statuses):
        appointment.status = status
        if appointment.course_day in recorded_days:
            db.session.add(InfusionSession(
                appointment_id=appointment.id, course_id=course.id,
                course_day=appointment.course_day, pain_before=6, pain_after=3))
    course.status = "confirmed"
    db.session.commit()
    return course


@pytest.mark.parametrize("statuses, recorded_days, ends_as", [
    (("no_show", "no_show", "no_show"), (), "not_attended"),
    (("booked", "booked", "booked"), (), "not_attended"),  # never marked, nothing recorded
    (("no_show", "cancelled", "booked"), (), "not_attended"),
    (("no_show", "arrived", "no_show"), (), "completed"),
    (("no_show", "no_show", "completed"), (), "completed"),
    (("booked", "booked", "booked"), (2,), "completed"),  # recorded, the desk never marked it
    (("no_show", "no_show", "no_show"), (1,), "completed"),  # a record outweighs a no-show
])
def test_a_course_is_completed_only_when_a_session_was_attended(
        app, course_service, statuses, recorded_days, ends_as):
    course = book_course_with_statuses(course_service, statuses, recorded_days)
    days_after_last_session(app, 30)
    created = follow_ups.create_due_follow_ups()
    db.session.rollback()
    assert db.session.get(Course, course.id).status == ends_as
    if ends_as == "not_attended":
        assert created == [] and requests() == []  # no follow-up for a course nobody attended
        event = db.session.execute(select(AuditEvent).where(
            AuditEvent.action == "course.not_attended")).scalar_one()
        assert (event.object_id, event.actor) == (course.id, "system")
    else:
        assert [c.label for c in created] == ["1m"]


def test_a_course_nobody_attended_becomes_completed_when_the_desk_corrects_a_mark(
        app, course_service):
    course = book_course_with_statuses(course_service, ("no_show", "no_show", "no_show"))
    days_after_last_session(app, 1)
    assert follow_ups.create_due_follow_ups() == []
    assert db.session.get(Course, course.id).status == "not_attended"
    course.appointments[0].status = "completed"  # the desk finds it was a mistake
    db.session.commit()
    days_after_last_session(app, 2)
    follow_ups.create_due_follow_ups()
    db.session.rollback()
    assert db.session.get(Course, course.id).status == "completed"


def test_the_follow_ups_count_from_the_last_attended_session(app, course_service):
    """Day 3 was missed: the course ended on Thursday 10 December, day 2."""
    book_course_with_statuses(course_service, ("completed", "completed", "no_show"))
    app.config["FROZEN_NOW"] = at(date(2027, 1, 9), 9)  # 10 Dec + 30 days
    [created] = follow_ups.create_due_follow_ups()
    assert created.due_on == date(2027, 1, 9)


# --- Exactly once --------------------------------------------------------------------------------

def test_running_the_command_twice_creates_each_request_once(app, course_service, runner):
    course = book_course_with_sessions(course_service)
    days_after_last_session(app, 30)
    first = runner.invoke(args=["send-followups"])
    assert first.exit_code == 0, first.output
    assert f"{course.reference}  1m" in first.output
    assert "1 follow-up request(s) created." in first.output
    second = runner.invoke(args=["send-followups"])
    assert second.exit_code == 0, second.output
    assert "0 follow-up request(s) created." in second.output
    assert len(requests()) == 1


def test_two_app_instances_on_one_database_create_each_request_once(
        app, course_service, make_test_app):
    book_course_with_sessions(course_service)
    later = at(LAST_DAY + timedelta(days=30), 9)
    totals = []
    for _ in range(2):
        other = make_test_app(FROZEN_NOW=later)
        with other.app_context():
            totals.append(len(follow_ups.create_due_follow_ups()))
            db.session.remove()
            db.engine.dispose()
    assert totals == [1, 0]
    assert len(requests()) == 1


def test_two_copies_racing_create_each_request_once(app, course_service, make_test_app):
    book_course_with_sessions(course_service, n=1, hour=10)
    book_course_with_sessions(course_service, n=2, hour=12)
    # Both labels due and open at once (the windows widened for this test only).
    windows = {"1m": (21, 100), "3m": (75, 120)}
    app.config["FOLLOW_UP_WINDOWS"] = windows
    later = at(LAST_DAY + timedelta(days=95), 9)
    apps = [make_test_app(FROZEN_NOW=later, FOLLOW_UP_WINDOWS=windows) for _ in range(3)]
    barrier = threading.Barrier(len(apps))
    totals, errors = [0] * len(apps), []

    def run(index):
        with apps[index].app_context():
            try:
                barrier.wait()
                totals[index] = len(follow_ups.create_due_follow_ups())
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for other in apps:
        with other.app_context():
            db.engine.dispose()
    assert errors == []
    assert sum(totals) == 4  # two courses x ("1m", "3m")
    rows = requests()
    assert len(rows) == 4
    assert len({(r.course_id, r.label) for r in rows}) == 4


def test_the_unique_constraint_is_the_last_guard(app, course_service, monkeypatch):
    """Even when the check misses a request another copy has just inserted, the insert of the
    duplicate is undone on its own and the run goes on."""
    book_course_with_sessions(course_service)
    days_after_last_session(app, 30)
    assert len(follow_ups.create_due_follow_ups()) == 1
    monkeypatch.setattr(follow_ups, "_existing_requests", lambda course_ids: set())
    days_after_last_session(app, 90)
    assert [c.label for c in follow_ups.create_due_follow_ups()] == ["3m"]
    assert sorted(r.label for r in requests()) == ["1m", "3m"]


def test_the_command_output_contains_no_token_and_no_health_data(
        app, course_service, runner, monkeypatch):
    book_course_with_sessions(course_service, pains=((9, 8), (8, 7), (7, 6)))
    monkeypatch.setattr(follow_ups.secrets, "token_urlsafe", lambda n: "KNOWN-SECRET-TOKEN-xyz")
    days_after_last_session(app, 30)
    result = runner.invoke(args=["send-followups"])
    assert result.exit_code == 0, result.output
    assert "KNOWN-SECRET-TOKEN-xyz" not in result.output
    assert hash_token("KNOWN-SECRET-TOKEN-xyz") not in result.output
    assert "/follow-up/" not in result.output
    assert "Follow Patient" not in result.output and "follow1@example.com" not in result.output
    events = db.session.execute(select(AuditEvent)).scalars().all()
    assert not any("KNOWN-SECRET-TOKEN-xyz" in str(e.details) for e in events)


# --- The patient's page --------------------------------------------------------------------------

@pytest.fixture
def follow_up_link(app, course_service):
    """A course 30 days over and its 1-month request: (token, request id)."""
    book_course_with_sessions(course_service)
    days_after_last_session(app, 30)
    [created] = follow_ups.create_due_follow_ups()
    return created.token, created.request_id


@pytest.fixture
def three_month_link(app, course_service):
    """A course 90 days over and its 3-month request (MIDAS is asked): (token, request id)."""
    book_course_with_sessions(course_service)
    days_after_last_session(app, 90)
    [created] = follow_ups.create_due_follow_ups()
    assert created.label == "3m"
    return created.token, created.request_id


MIDAS_ANSWERS = {"midas_q1": "2", "midas_q2": "3", "midas_q3": "1", "midas_q4": "0",
                 "midas_q5": "4", "midas_a": "20", "midas_b": "5"}


def answers(**changes):
    return {"pain": "3", "headache_days": "6", **MIDAS_ANSWERS, **changes}


def test_the_page_asks_pain_headache_days_and_midas_privately(client, three_month_link):
    token, _id = three_month_link
    response = client.get(f"/follow-up/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "How bad is your headache pain right now?" in page
    assert 'type="radio" id="pain-10"' in page and 'value="10"' in page
    assert "On how many days in the last month did you have a headache?" in page
    assert "did you miss work or school because of your headaches?" in page  # MIDAS Q1
    assert 'method="post"' in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_without_midas_only_pain_and_headache_days_are_asked(app, client, three_month_link):
    app.config["FOLLOW_UP_MIDAS"] = False
    token, request_id = three_month_link
    assert "midas_q1" not in client.get(f"/follow-up/{token}").get_data(as_text=True)
    response = client.post(f"/follow-up/{token}", data={"pain": "4", "headache_days": "2"})
    assert response.status_code == 303
    row = requests()[0]
    assert (row.pain, row.headache_days, row.midas) == (4, 2, None)


def test_an_answer_is_saved_once_and_a_second_visit_says_thank_you(client, three_month_link):
    token, request_id = three_month_link
    response = client.post(f"/follow-up/{token}", data=answers())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/follow-up/{token}")
    row = requests()[0]
    assert (row.pain, row.headache_days) == (3, 6)
    assert row.answered_at is not None
    assert row.midas["answers"]["midas_q5"] == 4
    assert (row.midas["total"], row.midas["band"]) == (10, "II")

    page = client.get(f"/follow-up/{token}").get_data(as_text=True)
    assert "Thank you" in page and "already answered" in page
    assert "<form" not in page.split("<main", 1)[1].split("</main>")[0]  # read-only

    again = client.post(f"/follow-up/{token}", data=answers(pain="9", headache_days="20"))
    assert again.status_code == 422
    assert "already answered" in again.get_data(as_text=True)
    row = requests()[0]
    assert (row.pain, row.headache_days) == (3, 6)  # the first answer stands
    answered = db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "follow_up.answer")).scalar_one()
    assert answered == 1


def test_the_service_refuses_a_second_answer(app, follow_up_link):
    _token, request_id = follow_up_link
    follow_up_answers.answer(request_id, {"pain": 2, "headache_days": 1,
                                          **{k: int(v) for k, v in MIDAS_ANSWERS.items()}})
    with pytest.raises(follow_up_answers.AlreadyAnswered):
        follow_up_answers.answer(request_id, {"pain": 9, "headache_days": 9,
                                              **{k: int(v) for k, v in MIDAS_ANSWERS.items()}})
    assert requests()[0].pain == 2


@pytest.mark.parametrize("field, typed, message", [
    ("pain", "11", "Please choose one of the options."),
    ("pain", "-1", "Please choose one of the options."),
    ("headache_days", "-1", "Please enter a number from 0 to 31."),
    ("headache_days", "32", "Please enter a number from 0 to 31."),
    ("headache_days", "", "Please answer this question."),
    ("midas_q1", "91", "Please enter a number from 0 to 90."),
    ("midas_b", "11", "Please enter a number from 0 to 10."),
])
def test_answers_out_of_range_are_refused_with_a_message_and_kept(
        client, three_month_link, field, typed, message):
    token, _id = three_month_link
    response = client.post(f"/follow-up/{token}", data=answers(**{field: typed}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page  # next to the field
    if field != "pain":
        assert f'value="{typed}"' in page  # what the person typed is kept
    else:
        assert 'value="6"' in page  # the other answers are kept
    assert requests()[0].answered_at is None


def test_several_wrong_answers_are_all_named_at_once(client, follow_up_link):
    token, _id = follow_up_link
    page = client.post(f"/follow-up/{token}",
                       data=answers(pain="11", headache_days="32")).get_data(as_text=True)
    assert "Please choose one of the options." in page
    assert "Please enter a number from 0 to 31." in page


def test_a_wrong_token_gives_404_privately(client, follow_up_link):
    for method in ("get", "post"):
        response = getattr(client, method)("/follow-up/not-a-real-token")
        assert response.status_code == 404
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_answers_never_travel_in_the_url_or_the_audit_log(client, follow_up_link):
    token, _id = follow_up_link
    response = client.post(f"/follow-up/{token}", data=answers(pain="7", headache_days="13"))
    assert "13" not in response.headers["Location"].replace(token, "")
    details = [str(e.details) for e in db.session.execute(select(AuditEvent)).scalars()]
    assert not any("13" in text or "'pain'" in text for text in details)


# --- MIDAS at 3 months only; the window on the patient's page ---------------------------------------

def test_the_one_month_page_does_not_ask_midas(client, follow_up_link):
    """MIDAS asks about the last 3 months: at the 3-month follow-up only."""
    token, _id = follow_up_link
    page = client.get(f"/follow-up/{token}").get_data(as_text=True)
    assert "How bad is your headache pain right now?" in page
    assert "midas_q1" not in page and "last 3 months" not in page
    response = client.post(f"/follow-up/{token}", data={"pain": "4", "headache_days": "2"})
    assert response.status_code == 303
    row = requests()[0]
    assert (row.pain, row.headache_days, row.midas) == (4, 2, None)


@pytest.mark.parametrize("day, open_", [(45, True), (46, False)])
def test_the_link_says_the_window_has_closed_and_gives_the_clinic_phone(
        app, client, follow_up_link, day, open_):
    token, _id = follow_up_link
    days_after_last_session(app, day, hour=23, minute=30)
    response = client.get(f"/follow-up/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert ("<form" in main) is open_
    assert ("These questions have closed" in main) is not open_
    if not open_:
        # 11 Dec + 45 days = 25 January 2027, the last day an answer counted.
        assert "25 January 2027" in main
        # config CLINIC_PHONE "+380 7373 080 88", written as every phone number on the site.
        assert ('please call the clinic: <a href="tel:+380737308088">+380 73 730 80 88</a>'
                in " ".join(main.split()))
    assert response.headers["Cache-Control"] == "no-store"


def test_an_answer_sent_after_the_window_closed_is_kept_and_marked_late(
        app, client, follow_up_link):
    """The page was opened on day 45 and sent on day 46: nothing the patient typed is lost."""
    token, request_id = follow_up_link
    days_after_last_session(app, 45, hour=23, minute=50)
    assert "<form" in client.get(f"/follow-up/{token}").get_data(as_text=True)
    days_after_last_session(app, 46, hour=0, minute=10)
    response = client.post(f"/follow-up/{token}", data={"pain": "5", "headache_days": "8"})
    assert response.status_code == 303
    row = requests()[0]
    assert (row.pain, row.headache_days) == (5, 8)
    state = follow_up_answers.follow_up_by_token(token)
    assert state.answered and state.late
    page = client.get(f"/follow-up/{token}").get_data(as_text=True)
    assert "Thank you" in page  # the patient sees their answer was received
    event = db.session.execute(select(AuditEvent).where(
        AuditEvent.action == "follow_up.answer")).scalar_one()
    assert event.details["late"] is True


def test_an_answer_inside_the_window_is_not_late(app, follow_up_link):
    token, request_id = follow_up_link
    state = follow_up_answers.answer(request_id, {"pain": 3, "headache_days": 2},
                                     now=at(LAST_DAY + timedelta(days=45), 23, 59))
    assert state.answered and not state.late
