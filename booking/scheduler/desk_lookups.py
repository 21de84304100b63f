"""The small reads every reception desk page shares: the services and practitioners the desk may
choose from, a patient by id, and appointments loaded with what a desk page shows of them.

The desk's read models live beside this module, one page or job each: desk_board.py (the
calendar), desk_booking.py (booking a caller, moving an appointment), desk_patients.py,
desk_appointment_page.py and desk_course_pages.py. Read side only: the changes (book, cancel,
move, statuses) go through services.py, the one engine every door shares; nothing here writes.

Two habits hold throughout:
- Every query is bounded by the dates shown (a day, a week, a patient's last 12 months and their
  booked future), using the indexes on appointment.starts_at and (practitioner_id, starts_at).
- Reception never receives clinical content: intake rows are loaded with their status columns
  only, so answers, scores and flags never even reach the page code.
"""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Appointment, AppointmentStatus, Intake, Patient, Practitioner, Service

CANCELLED = AppointmentStatus.CANCELLED.value


def with_desk_details(query):
    """Load what a desk page shows with each appointment, in a few queries (no N+1): the
    patient, the service, the practitioner and the intake's status, never its content."""
    return query.options(
        selectinload(Appointment.patient),
        selectinload(Appointment.service),
        selectinload(Appointment.practitioner),
        selectinload(Appointment.intake).load_only(
            Intake.id, Intake.appointment_id, Intake.status, Intake.urgent),
    )


# --- Services and practitioners the desk may choose from. ---------------------------------------

def staff_services():
    """Every active service the desk books as one appointment, including those not bookable
    online. Courses (several sessions booked as one unit) are booked through the course
    service, not here."""
    return db.session.execute(
        select(Service).where(Service.active.is_(True), Service.is_course.is_not(True))
        .order_by(Service.position, Service.id)
    ).scalars().all()


def active_practitioners():
    return db.session.execute(
        select(Practitioner).where(Practitioner.active.is_(True))
        .order_by(Practitioner.full_name, Practitioner.id)
    ).scalars().all()


def active_practitioner(practitioner_id):
    practitioner = db.session.get(Practitioner, practitioner_id) if practitioner_id else None
    return practitioner if practitioner is not None and practitioner.active else None


def get_patient(patient_id):
    return db.session.get(Patient, patient_id) if patient_id else None


@dataclass
class Entry:
    """An appointment as a calendar cell or a list shows it."""

    appointment: Appointment
    intake: str  # intake_status(): not_started, in_progress, submitted, urgent
    continued: bool = False  # started in an earlier row of the same column

    @property
    def movable(self):
        return not self.continued and self.appointment.status == AppointmentStatus.BOOKED.value
