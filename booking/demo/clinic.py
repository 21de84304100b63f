"""The demo clinic itself: services, practitioners and their hours, chairs, a closure, and (in
development) one staff account per role."""
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..auth import services as staff_accounts
from ..extensions import db
from ..models import Closure, Practitioner, Resource, Service, WorkingHours

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

# One account per role (development only): email, role, name, the practitioner a clinician is.
STAFF = [
    ("reception.demo@example.org", "receptionist", "Halyna Demo (reception)", None),
    ("clinician.demo@example.org", "clinician", "Andrii Melnyk (demo clinician)",
     "Dr Andrii Melnyk"),
    ("admin.demo@example.org", "admin", "Admin Demo", None),
]


@dataclass(frozen=True)
class Clinic:
    services: dict        # name -> Service id
    practitioners: dict   # name -> Practitioner id


@dataclass(frozen=True)
class StaffAccount:
    email: str
    role: str
    password: str  # shown once by seed-demo; only its hash is stored
    user: object


def _clock(value):
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def build_clinic():
    """Services, practitioners with their weekly hours, and the chairs. One commit."""
    services = {}
    for position, (name, minutes, grid, buffer, description) in enumerate(SERVICES):
        infusion = name.startswith("Ketamine")
        course = name.endswith("course")
        services[name] = Service(
            name=name, duration_minutes=minutes, grid_minutes=grid, buffer_minutes=buffer,
            description=description, position=position, name_uk=IN_UKRAINIAN[name],
            description_uk=IN_UKRAINIAN[description], needs_ketamine_prescreen=infusion,
            resource_kind="infusion_chair" if infusion else None,
            observation_minutes=INFUSION_OBSERVATION_MINUTES if infusion else 0,
            is_course=course, min_sessions=3 if course else None,
            max_sessions=7 if course else None, clinician_confirms_courses=course and infusion)
        db.session.add(services[name])
    ordered = list(services.values())
    practitioners = {}
    for name, title, service_indexes, periods in PRACTITIONERS:
        practitioner = Practitioner(full_name=name, title=title, full_name_uk=IN_UKRAINIAN[name],
                                    title_uk=IN_UKRAINIAN[title],
                                    services=[ordered[i] for i in service_indexes])
        for weekday, spans in periods.items():
            for start, end in spans:
                practitioner.working_hours.append(
                    WorkingHours(weekday=weekday, start_time=_clock(start), end_time=_clock(end)))
        db.session.add(practitioner)
        practitioners[name] = practitioner
    for chair in CHAIRS:
        db.session.add(Resource(name=chair, kind="infusion_chair"))
    db.session.commit()
    return Clinic({name: row.id for name, row in services.items()},
                  {name: row.id for name, row in practitioners.items()})


def add_training_closure(today, tz):
    """A clinic-wide closure: staff training on the afternoon of the second Friday from now."""
    friday = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
    db.session.add(Closure(starts_at=datetime.combine(friday, time(14), tzinfo=tz),
                           ends_at=datetime.combine(friday, time(19), tzinfo=tz),
                           reason="Staff training"))
    db.session.commit()


def create_staff_accounts(clinic):
    """One account per role, each with a random password (returned once, never stored)."""
    accounts = []
    for email, role, name, practitioner in STAFF:
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        practitioner_id = clinic.practitioners[practitioner] if practitioner else None
        user = staff_accounts.create_staff(email, password, (role,), full_name=name,
                                           practitioner_id=practitioner_id)
        accounts.append(StaffAccount(email, role, password, user))
    return accounts


def has_services():
    return db.session.execute(select(Service.id).limit(1)).first() is not None
