"""Realistic demo data for a headache and psychotherapy clinic (names are invented)."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from .extensions import db
from .courses import services as courses
from .models import Closure, Practitioner, Resource, Service, WorkingHours
from .scheduler import services as booking
from .timeutil import clinic_tz, utcnow

SERVICES = [
    # name, minutes, grid, buffer, description (the last one needs the ketamine pre-screen)
    ("First consultation with a neurologist", 60, 30, 0,
     "Headache and migraine: history, examination and a treatment plan."),
    ("Follow-up consultation", 30, 30, 0, "Review of treatment and next steps."),
    ("Psychotherapy session", 50, 60, 10, "Individual session for depression, PTSD or anxiety."),
    ("Ketamine infusion session", 120, 60, 30,
     "A single infusion session under medical supervision, after a consultation."),
    ("Ketamine infusion course", 120, 60, 30,
     "3 to 7 infusion sessions on consecutive clinic days at the same time, booked as one "
     "course; a clinician reviews your questionnaire before the course is confirmed."),
]
# The Ukrainian wording of the names above (admins type both in the service and practitioner
# forms): what Ukrainian pages and emails show.
IN_UKRAINIAN = {
    "First consultation with a neurologist": "Первинна консультація невролога",
    "Headache and migraine: history, examination and a treatment plan.":
        "Головний біль і мігрень: розпитування, огляд і план лікування.",
    "Follow-up consultation": "Повторна консультація",
    "Review of treatment and next steps.": "Оцінка лікування і наступні кроки.",
    "Psychotherapy session": "Сеанс психотерапії",
    "Individual session for depression, PTSD or anxiety.":
        "Індивідуальний сеанс при депресії, ПТСР або тривозі.",
    "Ketamine infusion session": "Сеанс інфузії кетаміну",
    "A single infusion session under medical supervision, after a consultation.":
        "Один сеанс інфузії під наглядом лікаря, після консультації.",
    "Ketamine infusion course": "Курс інфузій кетаміну",
    "3 to 7 infusion sessions on consecutive clinic days at the same time, booked as one "
    "course; a clinician reviews your questionnaire before the course is confirmed.":
        "Від 3 до 7 сеансів інфузії в робочі дні клініки поспіль в один і той самий час, "
        "записаних як один курс; лікар переглядає Вашу анкету, перш ніж підтвердити курс.",
    "Dr Olena Kovalenko": "Д-р Олена Коваленко",
    "Neurologist, headache specialist": "Невролог, спеціаліст із головного болю",
    "Dr Andrii Melnyk": "Д-р Андрій Мельник",
    "Psychiatrist, anaesthesia-trained": "Психіатр, з підготовкою з анестезіології",
    "Iryna Shevchenko": "Ірина Шевченко",
    "Clinical psychologist, psychotherapist": "Клінічний психолог, психотерапевт",
}

# The infusion services need an infusion chair, kept for an hour of observation afterwards.
INFUSION_OBSERVATION_MINUTES = 60
CHAIRS = ("Infusion chair 1", "Infusion chair 2")

# name, title, services (indexes into SERVICES), working periods {weekday: [(start, end), ...]}
PRACTITIONERS = [
    ("Dr Olena Kovalenko", "Neurologist, headache specialist", [0, 1, 3],
     {d: [("10:00", "14:00"), ("15:00", "19:00")] for d in range(5)}),
    ("Dr Andrii Melnyk", "Psychiatrist, anaesthesia-trained", [1, 3, 4],
     {**{d: [("10:00", "13:00"), ("14:00", "19:00")] for d in range(4)},
      4: [("10:00", "16:00")]}),
    ("Iryna Shevchenko", "Clinical psychologist, psychotherapist", [2],
     {0: [("10:00", "16:00")], 1: [("11:00", "19:00")], 2: [("11:00", "19:00")],
      3: [("11:00", "19:00")]}),
]

PATIENTS = [
    ("Mariia Bondarenko", "mariia.demo@example.com", "+380501112233", "1987-03-14"),
    ("Taras Hnatiuk", "taras.demo@example.com", "+380672223344", "1979-11-02"),
    ("Sofiia Lysenko", "sofiia.demo@example.com", "+380933334455", "1995-06-21"),
    ("Oleksii Tkachenko", "oleksii.demo@example.com", "+380634445566", "1969-01-30"),
]


def _clock(value):
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def load_demo_data():
    """Fill an empty database; returns a short summary, or None when it already had services."""
    if db.session.execute(select(func.count()).select_from(Service)).scalar_one():
        return None
    services = []
    for position, (name, minutes, grid, buffer, description) in enumerate(SERVICES):
        infusion = name.startswith("Ketamine")
        course = name.endswith("course")
        service = Service(name=name, duration_minutes=minutes, grid_minutes=grid,
                          buffer_minutes=buffer, description=description, position=position,
                          name_uk=IN_UKRAINIAN[name], description_uk=IN_UKRAINIAN[description],
                          needs_ketamine_prescreen=infusion,
                          resource_kind="infusion_chair" if infusion else None,
                          observation_minutes=INFUSION_OBSERVATION_MINUTES if infusion else 0,
                          is_course=course, min_sessions=3 if course else None,
                          max_sessions=7 if course else None,
                          clinician_confirms_courses=course and infusion)
        db.session.add(service)
        services.append(service)
    for name, title, service_indexes, periods in PRACTITIONERS:
        practitioner = Practitioner(full_name=name, title=title, full_name_uk=IN_UKRAINIAN[name],
                                    title_uk=IN_UKRAINIAN[title],
                                    services=[services[i] for i in service_indexes])
        for weekday, spans in periods.items():
            for start, end in spans:
                practitioner.working_hours.append(
                    WorkingHours(weekday=weekday, start_time=_clock(start), end_time=_clock(end))
                )
        db.session.add(practitioner)

    for chair in CHAIRS:
        db.session.add(Resource(name=chair, kind="infusion_chair"))

    # A clinic-wide closure: staff training on the afternoon of the second Friday from now.
    tz = clinic_tz()
    today = utcnow().astimezone(tz).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
    db.session.add(Closure(
        starts_at=datetime.combine(friday, time(14), tzinfo=tz),
        ends_at=datetime.combine(friday, time(19), tzinfo=tz),
        reason="Staff training",
    ))
    db.session.commit()

    # Some appointments in the coming days, booked through the real booking service.
    chooser = random.Random(2026)
    booked = 0
    for service in services:
        if service.is_course:
            continue  # a demo course is booked below
        slots = booking.find_slots(service, today, today + timedelta(days=14))
        for name, email, phone, born in PATIENTS:
            if not slots:
                break
            slot = slots.pop(chooser.randrange(len(slots)))
            try:
                booking.book(service_id=service.id, start=slot.start,
                             practitioner_id=slot.practitioner_id, consent=True, source="staff",
                             patient={"full_name": name, "email": email, "phone": phone,
                                      "date_of_birth": born})
                booked += 1
            except booking.BookingError:
                continue  # overlaps another demo booking; demo data need not be complete
    course_service = next(s for s in services if s.is_course)
    starts = courses.find_course_starts(course_service, 5, today + timedelta(days=7),
                                        today + timedelta(days=21))
    if starts:
        name, email, phone, born = PATIENTS[0]
        courses.book_course(service_id=course_service.id, start=starts[0].start, sessions=5,
                            consent=True, source="staff", patient={
                                "full_name": name, "email": email, "phone": phone,
                                "date_of_birth": born})
    return f"{len(services)} services, {len(PRACTITIONERS)} practitioners, {booked} appointments"
