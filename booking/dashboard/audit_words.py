"""The audit log as sentences (dashboard/admin/audit.html): who did what, to which appointment,
course, patient or setting, when (Kyiv time), in the page's language. The stored events stay as
they are (codes and ids); an action without words here is shown by its code.
"""
from flask import url_for
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "access.refused": _l("was refused a page"),
    "appointment.attending": _l("changed who attends"),
    "appointment.cancel": _l("cancelled"),
    "appointment.create": _l("booked"),
    "appointment.reschedule": _l("moved"),
    "appointment.status": _l("changed the status of"),
    "attention.acknowledge": _l("acted on the urgent mark of"),
    "attention.raise": _l("raised an urgent mark for"),
    "attention.reopen": _l("reopened the urgent mark of"),
    "closure.create": _l("added a closure"),
    "closure.delete": _l("removed a closure"),
    "course.cancel_rest": _l("cancelled the rest of"),
    "course.complete": _l("completed"),
    "course.confirm": _l("confirmed"),
    "course.create": _l("booked"),
    "course.decline": _l("declined"),
    "course.move_rest": _l("moved the rest of"),
    "course.not_attended": _l("closed as not attended"),
    "diary.preventive": _l("noted a new preventive for"),
    "diary.view": _l("viewed the headache diary of"),
    "feed.rotate": _l("made a new calendar feed link for"),
    "follow_up.answer": _l("answered a follow-up:"),
    "follow_up.create": _l("asked for a follow-up:"),
    "follow_up.view": _l("viewed the follow-ups of"),
    "intake.review": _l("marked the intake reviewed of"),
    "intake.view": _l("viewed the intake of"),
    "outbox.retry": _l("retried an email:"),
    "outcomes.export": _l("exported the outcomes report"),
    "outcomes.view": _l("viewed the outcomes report"),
    "pain_chart.view": _l("viewed the pain chart of"),
    "patient.channel": _l("changed how the clinic writes to"),
    "patient.erase": _l("erased"),
    "patient.export": _l("exported the data of"),
    "practitioner.create": _l("added"),
    "practitioner.hours": _l("changed the working hours of"),
    "practitioner.update": _l("changed"),
    "privacy.purge": _l("removed data past its retention period"),
    "service.create": _l("added"),
    "service.update": _l("changed"),
    "session_record.change": _l("changed the session record of"),
    "session_record.view": _l("viewed the session record of"),
    "setting.change": _l("changed a setting:"),
    "sign_in.failure": _l("failed to sign in"),
    "sign_in.refused_locked": _l("was refused sign-in (locked)"),
    "sign_in.success": _l("signed in"),
    "sign_out": _l("signed out"),
    "staff.alerts": _l("changed the alerts of"),
    "staff.create": _l("created the account of"),
    "staff.password_change": _l("changed their password"),
    "staff.password_reset": _l("reset the password of"),
    "staff.role_change": _l("changed the roles of"),
    "staff.update": _l("changed the account of"),
    "telegram.unlinked": _l("unlinked Telegram of"),
    "waitlist.book": _l("booked from the waitlist:"),
    "waitlist.join": _l("joined the waitlist:"),
    "waitlist.leave": _l("left the waitlist:"),
}

# object type -> (its words, the staff page that shows it and the page's argument, or None)
OBJECTS = {
    "appointment": (_l("appointment #%(id)s"), "dashboard.desk_appointment", "appointment_id"),
    "course": (_l("course #%(id)s"), "dashboard.desk_course", "course_id"),
    "patient": (_l("patient #%(id)s"), "dashboard.desk_patient", "patient_id"),
    "practitioner": (_l("practitioner #%(id)s"), "dashboard.practitioner_edit",
                     "practitioner_id"),
    "service": (_l("service #%(id)s"), "dashboard.service_edit", "service_id"),
    "staff_user": (_l("staff account #%(id)s"), "dashboard.staff_edit", "user_id"),
    "closure": (_l("closure #%(id)s"), None, None),
    "attention_item": (_l("urgent mark #%(id)s"), None, None),
    "calendar_feed": (_l("calendar feed #%(id)s"), None, None),
    "follow_up_request": (_l("follow-up #%(id)s"), None, None),
    "infusion_session": (_l("session record #%(id)s"), None, None),
    "intake": (_l("intake #%(id)s"), None, None),
    "outbox_message": (_l("email #%(id)s"), None, None),
    "waitlist_entry": (_l("waitlist entry #%(id)s"), None, None),
}
WHO = {"patient": _l("The patient (online)"), "system": _l("The system"), "": _l("The system")}


def sentence(event):
    """(who, what, object words or None, link or None) of one audit event."""
    who = WHO.get(event.actor or "", event.actor)
    what = ACTIONS.get(event.action)
    what = str(what) if what is not None else event.action
    thing, link = None, None
    if event.object_type in OBJECTS and event.object_id is not None:
        words, endpoint, argument = OBJECTS[event.object_type]
        thing = words % {"id": event.object_id}
        if endpoint:
            link = url_for(endpoint, **{argument: event.object_id})
    elif event.object_id is not None:
        # A kind without words here (a setting, the outcomes report: named by the action, and
        # their details say which): its id only, never the English code on a translated page.
        thing = f"#{event.object_id}"
    return str(who), what, thing, link
