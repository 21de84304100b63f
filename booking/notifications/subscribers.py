"""What notifications do when services publish events (booking/events.py): queue outbox rows
inside the publisher's transaction, nothing more."""
from .. import events
from ..extensions import db
from ..models import Course
from . import messages


@events.subscriber("course_confirmed")
def tell_patient_course_confirmed(course_id):
    messages.queue_course_decision(db.session.get(Course, course_id), confirmed=True)


@events.subscriber("course_declined")
def tell_patient_course_declined(course_id):
    messages.queue_course_decision(db.session.get(Course, course_id), confirmed=False)
