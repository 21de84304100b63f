"""Six months of clinic life ending today, and the weeks ahead: the demo's plan.

Everything is placed relative to today (the clinic's date of the app's "now") and chosen with
a fixed seed, so the same day gives the same demo and another day the same demo moved along.
Each thing happens through the service a person would use (booking.timeline plays them in
time order at their own moments): patients book online, cancel and move through their link
and fill their intake; reception books callers, marks arrivals, completions and no-shows and
takes late cancellations; the clinician reviews intakes, confirms or declines courses, records
each infusion session and acknowledges urgent intakes; the daily follow-up job creates the
follow-up requests, which patients answer (mostly inside their windows, a couple late, some
never). Nothing is written behind the services' backs.
"""
import random

from flask import current_app
from dataclasses import dataclass, field
from datetime import time, timedelta, timezone

from sqlalchemy import select

from ..attention import services as attention
from ..courses import services as courses
from ..courses import session_records
from ..courses.follow_ups import create_due_follow_ups
from ..extensions import db
from ..intake import review_changes
from ..intake import services as intake
from ..models import Appointment, AttentionItem, Course, Practitioner, Service
from ..notifications.messages import queue_follow_ups
from ..scheduler import services as booking
from ..scheduler import appointment_changes, attendance, availability, booking_rules
from ..waitlist import services as waitlist
from . import clinical
from .people import invent_people
from .timeline import StaffIdentity, Timeline, as_staff

SEED = 2026
PAST_DAYS = 182  # about six months
PEOPLE = 150

NEUROLOGIST, PSYCHIATRIST, PSYCHOLOGIST = ("Dr Olena Kovalenko", "Dr Andrii Melnyk",
                                           "Iryna Shevchenko")
FIRST, FOLLOW_UP, THERAPY, INFUSION, COURSE = (
    "First consultation with a neurologist", "Follow-up consultation", "Psychotherapy session",
    "Ketamine infusion session", "Ketamine infusion course")

# Ketamine courses: (start, in days from today; sessions; hour; what happens).
#   done            every session attended and recorded
#   declined        the clinician declines it (a positive pre-screen item): the slots are freed
#   not_attended    the patient misses day 1 and calls off the rest: no session attended
#   stopped         two sessions, then stopped after an adverse event (the rest cancelled)
#   missed_day      one session missed (no-show), the others attended
#   awaiting_review booked and its intake sent: waiting for the clinician
COURSES = [
    (-176, 5, 10, "done"), (-168, 5, 14, "done"), (-160, 4, 10, "done"),
    (-150, 5, 14, "declined"), (-141, 5, 10, "done"), (-133, 3, 14, "done"),
    (-124, 5, 10, "done"), (-116, 3, 14, "not_attended"), (-108, 5, 10, "done"),
    (-100, 5, 14, "done"), (-92, 5, 10, "done"), (-85, 4, 14, "done"), (-78, 5, 10, "done"),
    (-71, 5, 14, "stopped"), (-64, 5, 10, "done"), (-57, 5, 14, "done"),
    (-50, 5, 10, "missed_day"), (-43, 6, 14, "done"), (-36, 7, 10, "done"),
    (-29, 5, 14, "done"), (-22, 5, 10, "done"), (-15, 4, 14, "done"),
    (-3, 5, 10, "done"),                                 # under way today
    (6, 5, 14, "done"), (13, 5, 10, "awaiting_review"),  # ahead
]
# Follow-up answers that must be there whatever the dice say: (course index, label) -> when.
FIXED_ANSWERS = {(2, "1m"): "late", (5, "3m"): "late", (0, "1m"): "window", (0, "3m"): "window",
                 (9, "1m"): "never"}
# Weekly psychotherapy: (weekday, hour, first week, last week), weeks from this week's Monday.
THERAPY_SERIES = [(0, 11, -26, -12), (2, 15, -22, 2), (1, 17, -14, 3), (3, 12, -9, 3)]
# How single visits go.
VISIT_OUTCOMES = (("attend", 78), ("no_show", 7), ("late_cancel", 5), ("cancel", 6),
                  ("move", 4))
THERAPY_OUTCOMES = (("attend", 88), ("no_show", 4), ("late_cancel", 4), ("cancel", 4))


@dataclass
class Counts:
    appointments: int = 0
    courses: int = 0
    records: int = 0
    intakes: int = 0
    follow_up_answers: int = 0
    waitlist: int = 0
    skipped: int = 0  # a wished time that had no free slot left (rare; the demo moves on)


@dataclass
class CourseStory:
    person: object
    sessions: int
    hour: int
    kind: str
    severity: object
    plan: object
    answers: dict = field(default_factory=dict)  # label -> "window" / "late" / "never"
    sustained: dict = field(default_factory=dict)  # label -> bool


class Story:
    def __init__(self, clinic, staff, now, tz):
        self.clinic = clinic
        self.staff = {account.role: StaffIdentity.of(account.user) for account in staff}
        self.now = now
        self.tz = tz
        self.today = now.astimezone(tz).date()
        self.first_day = self.today - timedelta(days=PAST_DAYS)
        self.rng = random.Random(SEED)
        self.people = invent_people(PEOPLE, SEED)
        self.patient_ids = {}   # email -> patient id, once they booked
        self.stories = {}       # course id -> CourseStory
        self.timeline = Timeline()
        self.job_days = set()   # days the follow-up job runs
        self.counts = Counts()

    # --- Time ------------------------------------------------------------------------------

    def day(self, offset):
        return self.today + timedelta(days=offset)

    def moment(self, day, hour, minute=0):
        return clinical.at_local(day, time(hour, minute), self.tz).astimezone(timezone.utc)

    def local(self, instant):
        return instant.astimezone(self.tz)

    @staticmethod
    def clinic_day(day):
        """`day`, or the next Monday when it falls on a weekend."""
        return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() > 4 else day

    @staticmethod
    def desk_day(day):
        """`day`, or the Friday before when it falls on a weekend (reception works weekdays)."""
        return day - timedelta(days=day.weekday() - 4) if day.weekday() > 4 else day

    def at(self, moment, action, *args, **kwargs):
        """Plan an action; one after the real now never happens, and one before the demo's
        first morning happens then (the clinic had a past before the demo's)."""
        moment = max(moment, self.moment(self.first_day, 8))
        if moment <= self.now:
            self.timeline.at(moment, action, *args, **kwargs)

    def pick(self, weighted):
        names = [name for name, _weight in weighted]
        return self.rng.choices(names, weights=[weight for _name, weight in weighted])[0]

    # --- The plan ----------------------------------------------------------------------------

    def play(self):
        people = iter(self.people)
        for index, (offset, sessions, hour, kind) in enumerate(COURSES):
            self.plan_course(index, next(people), offset, sessions, hour, kind)
        self.plan_neurology(people)
        self.plan_therapy(people)
        self.plan_urgent_and_waiting(people)
        self.timeline.play(self.now)
        return self.counts

    def plan_course(self, index, person, offset, sessions, hour, kind):
        chronic = self.rng.random() < 0.8
        severity = clinical.severity_of(self.rng, chronic=chronic)
        response = self.pick((("strong", 45), ("moderate", 35), ("none", 20)))
        story = CourseStory(person, sessions, hour, kind, severity,
                            clinical.plan_course(self.rng, sessions, severity, response))
        for label, weights in (("1m", (("window", 70), ("late", 8), ("never", 22))),
                               ("3m", (("window", 62), ("late", 8), ("never", 30)))):
            story.answers[label] = FIXED_ANSWERS.get((index, label)) or self.pick(weights)
            story.sustained[label] = response != "none" and self.rng.random() < (
                0.85 if label == "1m" else 0.6)
        start_day = self.clinic_day(self.day(offset))
        # A first consultation with the neurologist three weeks before, booked online.
        consult = self.clinic_day(start_day - timedelta(days=21))
        if consult >= self.first_day:  # (earlier ones were before the demo's six months)
            self.plan_single(person, FIRST, NEUROLOGIST, consult, days_before=6, source="online",
                             outcome="attend", hour=self.rng.choice((10, 11, 15, 16)),
                             intake="submitted" if self.rng.random() < 0.5 else None)
        if index % 4 == 0 and kind == "done":
            # Back for a single maintenance infusion about two months after the course.
            self.plan_single(person, INFUSION, PSYCHIATRIST,
                             self.clinic_day(start_day + timedelta(days=63)), days_before=7,
                             source="staff", outcome="attend", hour=hour)
        # Reception books the course ten days before it starts.
        booked = self.moment(self.desk_day(start_day - timedelta(days=10)), 12, 30)
        if kind == "awaiting_review":
            booked = self.moment(self.desk_day(self.day(-2)), 12, 30)
        self.at(booked, self.book_course, story, start_day)

    def plan_neurology(self, people):
        week0 = self.today - timedelta(days=self.today.weekday())
        for week in range(-26, 3):
            monday = week0 + timedelta(weeks=week)
            for weekday, hour in ((1, 10), (3, 15)):
                day = monday + timedelta(days=weekday)
                if not self.first_day <= day <= self.today + timedelta(days=20):
                    continue
                person = next(people)
                outcome = self.pick(VISIT_OUTCOMES)
                wished = self.rng.random()
                kind = ("submitted" if wished < 0.55 else "started" if wished < 0.7 else None)
                self.plan_single(person, FIRST, NEUROLOGIST, day,
                                 days_before=self.rng.randint(3, 12),
                                 source=self.rng.choice(("online", "online", "staff")),
                                 outcome=outcome, hour=hour, intake=kind,
                                 follow_up=outcome in ("attend", "move")
                                 and self.rng.random() < 0.5)

    def plan_therapy(self, people):
        week0 = self.today - timedelta(days=self.today.weekday())
        for weekday, hour, first_week, last_week in THERAPY_SERIES:
            person = next(people)
            for week in range(first_week, last_week + 1):
                day = week0 + timedelta(weeks=week, days=weekday)
                if day < self.first_day:
                    continue
                self.plan_single(person, THERAPY, PSYCHOLOGIST, day, days_before=7,
                                 source="staff", outcome=self.pick(THERAPY_OUTCOMES), hour=hour)

    def plan_urgent_and_waiting(self, people):
        # Two urgent intakes in the past, acknowledged by the clinician; one open now.
        for offset, urgent in ((-120, "urgent_phq9"), (-60, "urgent_thunderclap"),
                               (3, "urgent_phq9")):
            self.plan_single(next(people), FIRST, NEUROLOGIST, self.clinic_day(self.day(offset)),
                             days_before=5, source="online", outcome="attend", hour=11,
                             intake=urgent)
        # The waitlist: two waiting now, one whose days have passed.
        for offset, service, weekdays, earliest, latest, days in (
                (-40, THERAPY, (0, 2), "16:00", "19:00", 18), (-5, THERAPY, (0, 2, 3), "17:00",
                                                               "19:00", 30),
                (-2, FIRST, (0, 1, 2, 3, 4), "10:00", "14:00", 14)):
            self.at(self.moment(self.day(offset), 20, 15), self.join_waitlist, next(people),
                    service, weekdays, earliest, latest, days)

    # --- Single visits -----------------------------------------------------------------------

    def plan_single(self, person, service, practitioner, day, *, days_before, source, outcome,
                    hour, intake=None, follow_up=False):
        booked_day = day - timedelta(days=days_before)
        booked = (self.moment(self.desk_day(booked_day), self.rng.randint(10, 18),
                              self.rng.choice((5, 20, 40)))
                  if source == "staff" else
                  self.moment(booked_day, self.rng.randint(8, 22), self.rng.randint(0, 59)))
        self.at(booked, self.book_single, person, service, practitioner, day, source, outcome,
                hour, intake, follow_up)

    def _free_slot(self, service, practitioner, day, hour, *, staff):
        rules = booking_rules.clinic_rules(for_staff=staff)
        for attempt in range(5):
            wished = self.clinic_day(day + timedelta(days=attempt))
            slots = availability.find_slots(service, wished, wished, practitioner, rules=rules)
            later = [s for s in slots if self.local(s.start).hour >= hour]
            if later or slots:
                return (later or slots)[0]
        return None

    def book_single(self, person, service_name, practitioner_name, day, source, outcome, hour,
                    intake_kind, follow_up):
        service = db.session.get(Service, self.clinic.services[service_name])
        practitioner = db.session.get(Practitioner, self.clinic.practitioners[practitioner_name])
        slot = self._free_slot(service, practitioner, day, hour, staff=source == "staff")
        if slot is None:
            self.counts.skipped += 1
            return
        if source == "staff":
            with as_staff(self.staff["receptionist"]):
                known = self.patient_ids.get(person.email)
                appointment, _token = booking.book_by_staff(
                    service_id=service.id, start=slot.start, actor=self.staff["receptionist"],
                    practitioner_id=practitioner.id, patient_id=known,
                    patient=None if known else person.details(), consent=known is None,
                    language=person.language)
        else:
            appointment, _token = booking.book(
                service_id=service.id, start=slot.start, practitioner_id=practitioner.id,
                patient=person.details(), consent=True, source="online",
                language=person.language)
        self.patient_ids[person.email] = appointment.patient_id
        self.counts.appointments += 1
        if intake_kind:
            self.plan_intake(appointment.id, person, appointment.starts_at, intake_kind)
        self.plan_visit(appointment.id, appointment.starts_at, appointment.ends_at, outcome,
                        person, follow_up=follow_up, service=service_name)

    def plan_visit(self, appointment_id, starts, ends, outcome, person, *, follow_up=False,
                   service=None):
        booked_at = self.timeline.now
        if outcome == "cancel":
            moment = booked_at + (starts - booked_at) / 3
            if moment < starts - timedelta(hours=24):
                self.at(moment, self.patient_cancels, appointment_id)
                return
            outcome = "late_cancel"
        if outcome == "late_cancel":
            self.at(max(booked_at + timedelta(minutes=5),
                        starts - timedelta(hours=self.rng.randint(2, 10))),
                    self.desk_cancels, appointment_id)
            return
        if outcome == "move":
            moment = booked_at + (starts - booked_at) / 2
            if moment < starts - timedelta(hours=24):
                self.at(moment, self.patient_moves, appointment_id, person, follow_up)
                return
            outcome = "attend"
        if outcome == "no_show":
            self.at(starts + timedelta(minutes=25), self.set_status, appointment_id, "no_show")
            return
        self.at(starts - timedelta(minutes=self.rng.randint(5, 25)), self.set_status,
                appointment_id, "arrived")
        self.at(ends + timedelta(minutes=2), self.set_status, appointment_id, "completed")
        if service == INFUSION:
            plan = clinical.plan_course(self.rng, 1, clinical.severity_of(self.rng, chronic=True),
                                        "moderate")
            self.at(ends + timedelta(minutes=1), self.record_session, appointment_id, plan, 1)
        if follow_up:
            weeks = self.rng.randint(4, 6)
            self.at(ends + timedelta(minutes=10), self.book_follow_up, appointment_id, person,
                    weeks)

    def book_follow_up(self, appointment_id, person, weeks):
        visit = db.session.get(Appointment, appointment_id)
        day = self.local(visit.starts_at).date() + timedelta(weeks=weeks)
        practitioner = visit.practitioner.full_name
        self.book_single(person, FOLLOW_UP, practitioner, day, "staff",
                         self.pick(VISIT_OUTCOMES[:3]), self.local(visit.starts_at).hour, None,
                         False)

    def set_status(self, appointment_id, status):
        with as_staff(self.staff["receptionist"]):
            attendance.set_status(appointment_id, status)

    def desk_cancels(self, appointment_id):
        with as_staff(self.staff["receptionist"]):
            appointment_changes.cancel_by_staff(appointment_id, self.rng.choice((
                "Called: unwell today", "Called: cannot get away from work",
                "Called: no one to look after the children")), cancelled_by="patient")

    def patient_cancels(self, appointment_id):
        appointment_changes.cancel_by_patient(appointment_id, self.rng.choice((
            "", "Feeling better", "Found an earlier appointment elsewhere", "Travelling")))

    def patient_moves(self, appointment_id, person, follow_up):
        visit = db.session.get(Appointment, appointment_id)
        day = self.local(visit.starts_at).date()
        slots = availability.find_slots(visit.service, day + timedelta(days=2),
                                        day + timedelta(days=6), visit.practitioner)
        if not slots:
            self.plan_visit(appointment_id, visit.starts_at, visit.ends_at, "attend", person,
                            follow_up=follow_up)
            return
        moved = appointment_changes.reschedule_by_patient(appointment_id, slots[0].start)
        self.plan_visit(appointment_id, moved.starts_at, moved.ends_at, "attend", person,
                        follow_up=follow_up)

    # --- Intakes -----------------------------------------------------------------------------

    def plan_intake(self, appointment_id, person, starts, kind, *, ketamine=False,
                    prescreen_positive=None, severity=None):
        """The patient fills the intake a day after booking (in the evening), step by step."""
        booked = self.timeline.now
        first = self.moment(self.local(booked).date() + timedelta(days=1), 20, 10)
        if first >= starts - timedelta(hours=2):
            first = booked + (starts - booked) / 2
        severity = severity or clinical.severity_of(self.rng, chronic=self.rng.random() < 0.6)
        urgent = {"urgent_phq9": "phq9_item9", "urgent_thunderclap": "thunderclap"}.get(kind)
        answers = clinical.intake_answers(person, severity, self.rng, today=self.today,
                                          ketamine=ketamine, urgent=urgent,
                                          prescreen_positive=prescreen_positive)
        steps = list(answers) if kind != "started" else ["about", "history"]
        for number, step in enumerate(steps):
            self.at(first + timedelta(minutes=3 * number), self.save_step, appointment_id, step,
                    answers[step], person.language)
        if kind != "started":
            self.at(first + timedelta(minutes=3 * len(steps)), self.submit_intake,
                    appointment_id, person.language)
        if urgent and self.local(starts).date() < self.today:
            # A clinician acts on it the same evening (the one ahead stays open: the queue).
            self.at(first + timedelta(hours=2), self.acknowledge, appointment_id, kind)

    def save_step(self, appointment_id, step, answers, language):
        intake.save_step(appointment_id, step, answers, language=language)

    def submit_intake(self, appointment_id, language):
        intake.submit(appointment_id, language=language)
        self.counts.intakes += 1

    def acknowledge(self, appointment_id, kind):
        item = db.session.execute(select(AttentionItem).where(
            AttentionItem.appointment_id == appointment_id)).scalar_one()
        clinician = self.staff["clinician"]
        with as_staff(clinician):
            if kind == "urgent_phq9":
                attention.acknowledge(item.id, outcome="contacted", actor=clinician, note=(
                    "Called the patient the same evening: no plan or intent, safety plan agreed, "
                    "crisis numbers given; seen at the consultation as booked."))
            else:
                attention.acknowledge(item.id, outcome="other", actor=clinician, note=(
                    "Called at once: the patient went to the emergency department that evening; "
                    "CT and lumbar puncture normal. Consultation kept."))

    # --- Courses -----------------------------------------------------------------------------

    def book_course(self, story, start_day):
        service = db.session.get(Service, self.clinic.services[COURSE])
        practitioner = db.session.get(Practitioner, self.clinic.practitioners[PSYCHIATRIST])
        starts = courses.find_course_starts(service, story.sessions, start_day,
                                            start_day + timedelta(days=10), practitioner,
                                            for_staff=True)
        if not starts:
            self.counts.skipped += 1
            return
        # The earliest day it fits, at the wished hour when it fits then.
        first_day = self.local(starts[0].start).date()
        chosen = next((s for s in starts if self.local(s.start).date() == first_day
                       and self.local(s.start).hour == story.hour), starts[0])
        person = story.person
        with as_staff(self.staff["receptionist"]):
            known = self.patient_ids.get(person.email)
            course, _token = courses.book_course(
                service_id=service.id, start=chosen.start, sessions=story.sessions,
                consent=known is None, patient=None if known else person.details(),
                patient_id=known, practitioner_id=practitioner.id, source="staff",
                language=person.language)
        self.patient_ids[person.email] = course.patient_id
        self.stories[course.id] = story
        self.counts.courses += 1
        self.counts.appointments += story.sessions
        sessions = sorted(course.appointments, key=lambda a: a.course_day)
        first = sessions[0]
        positive = "uncontrolled_hypertension" if story.kind == "declined" else None
        self.plan_intake(first.id, person, first.starts_at, "submitted", ketamine=True,
                         prescreen_positive=positive, severity=story.severity)
        decided = self.moment(self.clinic_day(self.local(self.timeline.now).date()
                                              + timedelta(days=2)), 13, 15)
        if story.kind != "awaiting_review":
            self.at(min(decided, first.starts_at - timedelta(hours=3)), self.decide, course.id,
                    first.id, story.kind != "declined")
        if story.kind == "declined":
            return
        for visit in sessions:
            self.plan_session(course.id, visit, story)

    def decide(self, course_id, first_appointment_id, confirm):
        clinician = self.staff["clinician"]
        with as_staff(clinician):
            review_changes.mark_reviewed(
                first_appointment_id, "Pre-screen checked." if confirm else
                "Blood pressure too high for ketamine at present.", clinician)
            courses.decide(course_id, confirm=confirm, actor=clinician, note="" if confirm else (
                "Pre-screen: uncontrolled hypertension (172/104 at the consultation). Please "
                "see your GP to treat it first; we will gladly review the course afterwards."))

    def plan_session(self, course_id, visit, story):
        day = visit.course_day
        starts, ends = visit.starts_at, visit.ends_at
        if story.kind == "not_attended" and day == 1:
            self.at(starts + timedelta(minutes=30), self.set_status, visit.id, "no_show")
            self.at(starts + timedelta(hours=2), self.cancel_rest, course_id,
                    "Patient called: unwell, will book again later")
            self.plan_follow_up_job(self.local(starts).date())
            return
        if story.kind == "not_attended" or (story.kind == "stopped" and day > 2):
            return  # cancelled with the rest
        if story.kind == "missed_day" and day == 3:
            self.at(starts + timedelta(minutes=30), self.set_status, visit.id, "no_show")
            return
        self.at(starts - timedelta(minutes=15), self.set_status, visit.id, "arrived")
        self.at(ends + timedelta(minutes=5), self.record_session, visit.id, story.plan, day,
                stopped=story.kind == "stopped" and day == 2)
        self.at(ends + timedelta(minutes=6), self.set_status, visit.id, "completed")
        if story.kind == "stopped" and day == 2:
            self.at(ends + timedelta(hours=1), self.cancel_rest, course_id,
                    "Stopped after two sessions: vomiting; the patient prefers not to go on")
        last = story.sessions if story.kind != "stopped" else 2
        if day == last:
            self.at(ends + timedelta(minutes=30), self.book_follow_up, visit.id, story.person, 2)
            self.plan_follow_up_job(self.local(starts).date())

    def record_session(self, appointment_id, plan, day, *, stopped=False):
        visit = db.session.get(Appointment, appointment_id)
        data = clinical.session_record(plan, day, visit.starts_at, self.rng, self.tz)
        if stopped:
            data["adverse_events"].append({"code": "vomiting", "severity": "moderate",
                                           "note": "Twice, at minute 70 and 85"})
            data.update(paused=True, stop_reason="Paused 15 minutes for vomiting, then finished "
                                                 "at a lower rate")
        clinician = self.staff["clinician"]
        with as_staff(clinician):
            session_records.save_session_record(appointment_id, data, actor=clinician)
        self.counts.records += 1

    def cancel_rest(self, course_id, reason):
        with as_staff(self.staff["receptionist"]):
            courses.cancel_rest(course_id, reason=reason, cancelled_by="patient", by_staff=True)

    # --- Follow-ups (the daily job, as the worker runs it) -----------------------------------

    def plan_follow_up_job(self, last_day):
        """The daily follow-up job (send-followups, as the worker runs it at 09:00), on the days
        after a course's last session when it has something to do: the next morning (the course
        is marked completed or not attended) and the mornings its requests fall due."""
        for label, days in (("end", 1), *current_app.config["FOLLOW_UPS"]):
            day = last_day + timedelta(days=days)
            if day not in self.job_days:
                self.job_days.add(day)
                self.at(self.moment(day, 9), self.daily_follow_ups)

    def daily_follow_ups(self):
        created = create_due_follow_ups()
        queue_follow_ups(created)
        for item in created:
            story = self.stories.get(item.course_id)
            if story is None:
                continue
            when = story.answers.get(item.label, "never")
            if when == "never":
                continue
            if item.label == "1m":
                wait = self.rng.randint(0, 13) if when == "window" else self.rng.randint(19, 24)
            else:
                wait = self.rng.randint(0, 27) if when == "window" else self.rng.randint(32, 38)
            moment = self.moment(item.due_on + timedelta(days=wait), self.rng.randint(18, 22))
            self.at(moment, self.answer_follow_up, item.request_id, story, item.label)

    def answer_follow_up(self, request_id, story, label):
        from ..courses.follow_up_answers import answer

        answers = clinical.follow_up_answers(story.plan, story.severity, label, self.rng,
                                             sustained=story.sustained[label])
        answer(request_id, answers, language=story.person.language)
        self.counts.follow_up_answers += 1

    # --- The waitlist ------------------------------------------------------------------------

    def join_waitlist(self, person, service_name, weekdays, earliest, latest, days):
        service_id = self.clinic.services[service_name]
        first = self.local(self.timeline.now).date() + timedelta(days=1)
        waitlist.join_waitlist(service_id, {
            "practitioner": "any", "first_day": first.isoformat(),
            "last_day": (first + timedelta(days=days)).isoformat(),
            "weekdays": [str(day) for day in weekdays], "earliest": earliest, "latest": latest,
            **person.details(), "consent": True}, language=person.language)
        self.counts.waitlist += 1


def courses_by_status():
    """{status: count} of the demo's courses (for the summary)."""
    counts = {}
    for status in db.session.execute(select(Course.status)).scalars():
        counts[status] = counts.get(status, 0) + 1
    return counts
