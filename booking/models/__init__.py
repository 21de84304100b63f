"""The models, one module per aggregate. Importing this package registers every table."""
from .appointment import ACTIVE_STATUSES, Appointment, AppointmentStatus
from .calendar import Closure, WorkingHours
from .course import Course, CourseStatus
from .intake import (
    AcuteMedicationUse,
    Intake,
    IntakeFlag,
    PainRating,
    PreventiveTrial,
    QuestionnaireResponse,
)
from .patient import Consent, Patient
from .resource import RESOURCE_KINDS, Resource
from .service import Practitioner, Service, practitioner_service
from .setting import ClinicSetting
from .staff import ROLES, AuditEvent, SignInThrottle, StaffUser

__all__ = [
    "ACTIVE_STATUSES",
    "ROLES",
    "AuditEvent",
    "ClinicSetting",
    "SignInThrottle",
    "StaffUser",
    "AcuteMedicationUse",
    "Intake",
    "IntakeFlag",
    "PainRating",
    "PreventiveTrial",
    "QuestionnaireResponse",
    "Appointment",
    "AppointmentStatus",
    "Closure",
    "Course",
    "CourseStatus",
    "RESOURCE_KINDS",
    "Resource",
    "Consent",
    "Patient",
    "Practitioner",
    "Service",
    "WorkingHours",
    "practitioner_service",
]
