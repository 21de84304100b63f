"""The models, one module per aggregate. Importing this package registers every table."""
from .appointment import ACTIVE_STATUSES, Appointment, AppointmentStatus
from .calendar import Closure, WorkingHours
from .patient import Consent, Patient
from .service import Practitioner, Service, practitioner_service

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "Closure",
    "Consent",
    "Patient",
    "Practitioner",
    "Service",
    "WorkingHours",
    "practitioner_service",
]
