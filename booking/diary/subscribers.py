"""The diary listens for bookings (booking/events.py): booking a service that offers the diary
invites the patient, inside the booking's transaction (DiarySettings.invited_at)."""
from .. import events
from ..extensions import db
from ..models import Course
from . import services


@events.subscriber("booked")
def invite_on_booking(appointment_id, manage_token=None, **_payload):
    services.invite_for_appointment(appointment_id)


@events.subscriber("course_booked")
def invite_on_course(course_id, manage_token=None, **_payload):
    course = db.session.get(Course, course_id)
    if course is not None and course.service is not None and course.service.offers_diary:
        services.invite(course.patient_id)
