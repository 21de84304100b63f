"""The models, one module per aggregate. Importing this package registers every table."""
from .appointment import ACTIVE_STATUSES, Appointment, AppointmentStatus
from .attention import AttentionItem, AttentionOutcome
from .calendar import Closure, WorkingHours
from .course import Course, CourseStatus
from .diary import DiaryEntry, DiaryLink, DiaryMedicine, DiarySettings, PreventiveStart
from .follow_up import FollowUpRequest
from .idempotency import IdempotencyKey
from .intake import (
    AcuteMedicationUse,
    Intake,
    IntakeFlag,
    PainRating,
    PreventiveTrial,
    QuestionnaireResponse,
)
from .job_lock import JobLock
from .messaging import MessageLink, TelegramLink
from .notification import CalendarFeed, OutboxMessage, WaitlistEntry, WaitlistOffer
from .patient import Consent, Patient
from .resource import RESOURCE_KINDS, Resource
from .service import Practitioner, Service, practitioner_service
from .session_record import (
    ADVERSE_EVENT_CODES,
    SEVERITIES,
    AdverseEvent,
    InfusionRate,
    InfusionSession,
    VitalSign,
)
from .setting import ClinicSetting
from .staff import ROLES, AuditEvent, SignInThrottle, StaffUser

__all__ = [
    "ACTIVE_STATUSES",
    "AttentionItem",
    "AttentionOutcome",
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
    "ADVERSE_EVENT_CODES",
    "AdverseEvent",
    "CalendarFeed",
    "Closure",
    "OutboxMessage",
    "WaitlistEntry",
    "WaitlistOffer",
    "FollowUpRequest",
    "IdempotencyKey",
    "JobLock",
    "MessageLink",
    "TelegramLink",
    "InfusionRate",
    "InfusionSession",
    "SEVERITIES",
    "VitalSign",
    "Course",
    "DiaryEntry",
    "DiaryLink",
    "DiaryMedicine",
    "DiarySettings",
    "PreventiveStart",
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
