"""The waitlist's emails ("you are on the waitlist", "a time has become free", "the free time
has been taken"): rendered in the patient's language and queued in the caller's transaction, with
absolute links on CANONICAL_URL; and wished weekdays in words (for the emails and the pages).
"""
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..notifications import messages, outbox


def link(endpoint, **values):
    """An absolute link for an email, on CANONICAL_URL (never a request's Host header)."""
    return messages.canonical_url(endpoint, **values)


def queue_email(name, entry, **context):
    """Render templates/email/waitlist_<name>.txt/.html in the patient's language and queue
    the message in the current transaction."""
    subjects = {
        "joined": _l("You are on the waitlist at %(clinic)s"),
        "offer": _l("A time has become free at %(clinic)s"),
        "gone": _l("The free time at %(clinic)s has been taken"),
    }
    clinic = current_app.config["CLINIC_SHORT_NAME"]
    with force_locale(entry.language or "en"):
        context = {"entry": entry, "weekday_names": weekday_names(entry.weekdays), **context}
        subject = str(subjects[name]) % {"clinic": clinic}
        text_body = render_template(f"email/waitlist_{name}.txt", **context)
        html_body = render_template(f"email/waitlist_{name}.html", **context)
    return outbox.queue(f"waitlist_{name}", to_address=entry.email, to_name=entry.full_name,
                        subject=subject, text_body=text_body, html_body=html_body,
                        language=entry.language or "en")


WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def weekday_names(weekdays):
    return [str(WEEKDAY_NAMES[day]) for day in sorted(weekdays or ()) if 0 <= day <= 6]
