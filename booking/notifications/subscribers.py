"""What notifications do when services publish events (booking/events.py): queue outbox rows
inside the publisher's transaction, nothing more."""
from .. import events
from ..extensions import db
from ..models import Appointment, Course
from . import messages


@events.subscriber("booked")
def confirm_booking(appointment_id, manage_token):
    messages.queue_confirmation(db.session.get(Appointment, appointment_id), manage_token)


@events.subscriber("moved")
def tell_patient_moved(appointment_id):
    messages.queue_moved(db.session.get(Appointment, appointment_id))


@events.subscriber("cancelled")
def tell_patient_cancelled(appointment_id):
    messages.queue_cancellation(db.session.get(Appointment, appointment_id))


@events.subscriber("course_booked")
def confirm_course(course_id, manage_token):
    messages.queue_course_confirmation(db.session.get(Course, course_id), manage_token)


@events.subscriber("course_changed")
def tell_patient_course_changed(course_id, change, appointment_ids):
    sessions = [db.session.get(Appointment, appointment_id) for appointment_id in appointment_ids]
    messages.queue_course_change(db.session.get(Course, course_id), change, sessions)


@events.subscriber("course_confirmed")
def tell_patient_course_confirmed(course_id):
    messages.queue_course_decision(db.session.get(Course, course_id), confirmed=True)


@events.subscriber("course_declined")
def tell_patient_course_declined(course_id):
    messages.queue_course_decision(db.session.get(Course, course_id), confirmed=False)
