"""The clinician's list: the appointments of some days, of one practitioner or everyone, with
their intake status and flags; urgent intakes not yet reviewed and courses awaiting a review
first, then the rest in time order, a page at a time. Read side only; plain data for the
template, nothing clinical beyond the flags' words.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..courses.session_checks import record_refusal
from ..courses.session_words import APPOINTMENT_STATUS_LABELS, COURSE_STATUS_LABELS
from ..extensions import db
from ..localized import localized
from ..models import Appointment, AppointmentStatus, Course, CourseStatus, Intake
from ..timeutil import clinic_tz, utcnow
from .review_lookups import changed_since_review, local_today, staff_names
from .review_words import INTAKE_STATUS_LABELS, flag_lines

DEFAULT_DAYS = 7
# The list shows this many appointments a page (with the urgent and awaiting ones on top of
# every page): a big clinic's "everyone" stays quick and small (bench/bench_pages.py).
LIST_PAGE_SIZE = 150
MAX_DAYS = 31


@dataclass(frozen=True)
class ListRow:
    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    patient_name: str
    service_name: str
    practitioner_name: str
    status: str
    status_label: str
    intake_status: str  # not_started, in_progress, submitted
    intake_status_label: str
    urgent: bool
    needs_review: bool  # urgent and not reviewed (or changed since the review)
    reviewed_at: datetime | None
    reviewed_by: str
    changed_since_review: bool
    flags: tuple
    patient_id: int | None = None
    # A session record can be kept: the service needs a resource (a chair) or is a course's.
    session_recordable: bool = False
    course_id: int | None = None
    course_day: int | None = None
    course_sessions: int | None = None
    course_status: str = ""
    course_status_label: str = ""
    course_awaiting_review: bool = False


@dataclass(frozen=True)
class ClinicianList:
    first_day: date
    last_day: date
    days: int
    rows: tuple
    page: int = 1
    pages: int = 1
    total: int = 0  # appointments in the days, on every page


def _day_bounds(first_day, last_day):
    tz = clinic_tz()
    return (datetime.combine(first_day, time(0), tzinfo=tz),
            datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz))


def _needs_review(intake):
    return intake is not None and bool(intake.urgent) and (
        intake.reviewed_at is None or changed_since_review(intake))


def clinician_list(practitioner_id, first_day=None, days=DEFAULT_DAYS, page=1):
    """Appointments (not cancelled) starting on `days` local days from `first_day` (default
    today), of one practitioner or of everyone (None). Urgent intakes that are not reviewed come
    first, then each course awaiting a clinician's review (its first session shown), then
    everything in time order, LIST_PAGE_SIZE a page (the first two groups on every page)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1-{MAX_DAYS}")
    first_day = first_day or local_today()
    last_day = first_day + timedelta(days=days - 1)
    range_start, range_end = _day_bounds(first_day, last_day)
    shown = [Appointment.starts_at >= range_start, Appointment.starts_at < range_end,
             Appointment.status != AppointmentStatus.CANCELLED.value]
    if practitioner_id is not None:
        shown.append(Appointment.practitioner_id == practitioner_id)
    # One page of the time order (one more, to know whether there are more pages); then that
    # page and whatever may be lifted to the top (urgent intakes, courses awaiting review: few)
    # are read together.
    in_order = (Appointment.starts_at, Appointment.practitioner_id, Appointment.id)
    page = max(1, page)
    on_page = db.session.execute(
        select(Appointment.id).where(*shown).order_by(*in_order)
        .limit(LIST_PAGE_SIZE + 1).offset((page - 1) * LIST_PAGE_SIZE)).scalars().all()
    if len(on_page) <= LIST_PAGE_SIZE and page == 1:
        total = len(on_page)
    else:
        total = db.session.execute(select(func.count()).select_from(Appointment)
                                   .where(*shown)).scalar_one()
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    if page > pages:  # past the last page: the last page
        return clinician_list(practitioner_id, first_day, days, pages)
    on_page = on_page[:LIST_PAGE_SIZE]
    query = (
        select(Appointment)
        .outerjoin(Intake, Intake.appointment_id == Appointment.id)
        .outerjoin(Course, Course.id == Appointment.course_id)
        .where(*shown, or_(Appointment.id.in_(on_page), Intake.urgent.is_(True),
                           Course.status == CourseStatus.AWAITING_REVIEW.value))
        .options(joinedload(Appointment.patient), joinedload(Appointment.service),
                 joinedload(Appointment.practitioner), joinedload(Appointment.course),
                 selectinload(Appointment.intake).selectinload(Intake.flags))
        .order_by(*in_order)
    )
    appointments = db.session.execute(query).scalars().all()
    page_ids = set(on_page)
    names = staff_names(a.intake.reviewed_by_id for a in appointments if a.intake)
    now = utcnow()

    rows = []
    for appointment in appointments:
        intake = appointment.intake
        state = "not_started" if intake is None else intake.status
        course = appointment.course
        rows.append(ListRow(
            appointment_id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            patient_name=appointment.patient.full_name,
            service_name=localized(appointment.service, "name"),
            practitioner_name=localized(appointment.practitioner, "full_name"),
            status=appointment.status,
            status_label=str(APPOINTMENT_STATUS_LABELS.get(appointment.status,
                                                           appointment.status)),
            intake_status=state,
            intake_status_label=str(INTAKE_STATUS_LABELS.get(state, state)),
            urgent=bool(intake and intake.urgent),
            needs_review=_needs_review(intake),
            reviewed_at=intake.reviewed_at if intake else None,
            reviewed_by=names.get(intake.reviewed_by_id, "") if intake else "",
            changed_since_review=bool(intake and changed_since_review(intake)),
            flags=flag_lines(intake),
            patient_id=appointment.patient_id,
            # Offered only once the session has started and was neither cancelled nor missed.
            session_recordable=(bool(appointment.service.resource_kind) or course is not None)
            and record_refusal(appointment.status, appointment.starts_at, now, False) is None,
            course_id=appointment.course_id,
            course_day=appointment.course_day,
            course_sessions=course.sessions_count if course else None,
            course_status=course.status if course else "",
            course_status_label=str(COURSE_STATUS_LABELS.get(course.status, course.status))
            if course else "",
            course_awaiting_review=bool(course)
            and course.status == CourseStatus.AWAITING_REVIEW.value,
        ))
    # Urgent intakes not reviewed, then courses awaiting a review (their first row shown),
    # then the rest; the sort is stable, so each group stays in time order.
    lifted = set()

    def group(row):
        first_of_course = row.course_awaiting_review and row.course_id not in lifted
        if row.course_awaiting_review:
            lifted.add(row.course_id)
        if row.needs_review:
            return 0
        return 1 if first_of_course else 2

    groups = [group(row) for row in rows]  # in time order: a course's earliest row is lifted
    # A row of the time order is on its page; a lifted one on every page.
    order = sorted((i for i in range(len(rows))
                    if groups[i] < 2 or rows[i].appointment_id in page_ids),
                   key=lambda i: groups[i])
    return ClinicianList(first_day, last_day, days, tuple(rows[i] for i in order), page,
                         pages, total)
