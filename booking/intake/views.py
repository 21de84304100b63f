"""The patient's intake questionnaire pages, reached through the private manage link.

    /manage/<token>/intake            -> the first step not filled in yet (the answers once sent
                                         and no longer editable)
    /manage/<token>/intake/<step>     -> one step: GET shows it, POST saves it, 303 to the next
    /manage/<token>/intake/review     -> every step's answers with "Change" links, and Submit
    /manage/<token>/intake/submit     -> POST: send the intake to the clinic
    /manage/<token>/intake/answers    -> what was sent, read-only (answers only: scores are for
                                         clinicians)

Views stay thin: they parse the form, ask the intake service, then render or redirect. What the
answers mean is the service's business; the forms only check their shape.

Health data never travels in a URL, a flash message or the session cookie: steps go by name in
the path, answers only in POST bodies and in the pages themselves, and the urgent advice (crisis
contacts, emergency care) is worked out from the saved answers on every page, not carried over.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..clinic_hours import contact_promise
from ..extensions import limiter
from ..scheduler import services as booking
from ..security import limit_blueprint
from . import services as intake
from .forms import SubmitForm, form_class, summary_of
from .scoring import CRISIS_CONTACTS

bp = Blueprint("intake", __name__)
limit_blueprint(limiter, bp, "RATELIMIT_PRIVATE_LINKS")

STEP_TITLES = {
    "about": _l("About you"),
    "history": _l("Headache history"),
    "pain": _l("Pain"),
    "medicines": _l("Medicines"),
    "questionnaires": _l("Questionnaires"),
    "ketamine": _l("Before ketamine treatment"),
    "review": _l("Review and submit"),
}
CRISIS_LABELS = {
    "emergency": _l("Emergency"),
    "ambulance": _l("Ambulance"),
    "lifeline_ukraine": _l("Lifeline Ukraine"),
}
CHECK_ANSWERS = _l("Please check the answers marked below.")


@bp.after_request
def private_headers(response):
    """Every intake page is reached through the private link: never cached, never leaked as a
    referrer (the same headers as the manage pages, also on their 404 and 422 pages)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- For the manage page (scheduler/manage.html), without touching its view. --------------------

@bp.app_template_global()
def intake_status_of(appointment):
    """"not_started" | "in_progress" | "submitted" | "urgent"."""
    return intake.intake_status(appointment)


@bp.app_template_global()
def intake_url_of(token):
    return url_for("intake.start", token=token)


@bp.app_template_global()
def intake_state_of(appointment):
    """What the manage page needs to word its link: the status, whether the answers were sent,
    and whether they can still be changed."""
    return {
        "status": intake.intake_status(appointment),
        "sent": intake.is_submitted(appointment),
        "editable": intake.is_editable(appointment),
    }


# --- Helpers -------------------------------------------------------------------------------------

def _appointment_or_404(token):
    appointment = booking.appointment_by_token(token)
    if appointment is None:
        abort(404)
    return appointment


def _language():
    return str(get_locale())


def _step_url(token, step):
    if step == "review":
        return url_for(".review", token=token)
    return url_for(".step", token=token, step=step)


def _is_sent(appointment):
    return intake.is_submitted(appointment)


@bp.app_template_global()
def urgent_advice_of(appointment):
    """What templates/intake/_alerts.html needs (intake pages and both manage pages): the
    alerts, the crisis numbers, and when the clinic will honestly get in touch."""
    return {
        "alerts": intake.alerts(appointment),
        "crisis_contacts": [(CRISIS_LABELS[code], number) for code, number in CRISIS_CONTACTS],
        "emergency_number": dict(CRISIS_CONTACTS)["ambulance"],
        "promise": contact_promise(),
    }


def _page(template, appointment, token, *, status=200, **context):
    """Render an intake page with what every one of them shows: the alerts from the saved
    answers at the top (intake/_layout.html), and the steps for the progress line."""
    return render_template(
        template, appointment=appointment, token=token, titles=STEP_TITLES,
        steps=intake.steps_for(appointment), **context,
    ), status


def _render_step(appointment, token, step, *, form=None, status=200, message=None):
    steps = intake.steps_for(appointment)
    editable = form is not None
    summary = None
    if not editable and step in intake.completed_steps(appointment):
        summary = summary_of(step, intake.settings(), intake.step_answers(appointment, step))
    index = steps.index(step)
    return _page(
        "intake/step.html", appointment, token, status=status, step=step, form=form,
        editable=editable, summary=summary, message=message, position=index + 1,
        total=len(steps),
        previous_url=_step_url(token, steps[index - 1]) if index > 0 else None,
    )


def _render_review(appointment, token, *, missing=(), message=None, status=200):
    settings = intake.settings()
    done = intake.completed_steps(appointment)
    steps = intake.steps_for(appointment)
    sections = [
        {"step": step, "title": STEP_TITLES[step], "done": step in done,
         "url": _step_url(token, step),
         "summary": (summary_of(step, settings, intake.step_answers(appointment, step))
                     if step in done else None)}
        for step in steps if step != "review"
    ]
    return _page(
        "intake/review.html", appointment, token, status=status, sections=sections,
        missing=[{"title": STEP_TITLES[step], "url": _step_url(token, step)}
                 for step in missing if step in STEP_TITLES],
        message=message, editable=intake.is_editable(appointment), sent=_is_sent(appointment),
        position=len(steps), total=len(steps), form=SubmitForm(formdata=None),
    )


# --- Pages ---------------------------------------------------------------------------------------

@bp.route("/manage/<token>/intake")
def start(token):
    appointment = _appointment_or_404(token)
    if _is_sent(appointment) and not intake.is_editable(appointment):
        return redirect(url_for(".answers", token=token), 303)
    return redirect(_step_url(token, intake.first_open_step(appointment)), 303)


@bp.route("/manage/<token>/intake/review")
def review(token):
    appointment = _appointment_or_404(token)
    return _render_review(appointment, token)


@bp.route("/manage/<token>/intake/submit", methods=["POST"])
def submit(token):
    appointment = _appointment_or_404(token)
    try:
        intake.submit(appointment.id, language=_language())
    except intake.IntakeIncomplete as error:
        return _render_review(appointment, token, missing=error.missing, message=error.message,
                              status=error.status)
    except intake.IntakeError as error:  # IntakeLocked
        return _render_review(appointment, token, message=error.message, status=error.status)
    flash(_("Thank you. Your answers were sent to the clinic."), "success")
    return redirect(url_for(".answers", token=token), 303)


@bp.route("/manage/<token>/intake/answers")
def answers(token):
    appointment = _appointment_or_404(token)
    sent = intake.submitted_summary(appointment)
    if sent is None:
        return redirect(url_for(".start", token=token), 303)
    settings = intake.settings()
    # Only the answers: scores and flags are information for clinicians.
    sections = [{"step": step, "title": STEP_TITLES[step], "url": _step_url(token, step),
                 "summary": summary_of(step, settings, saved)}
                for step, saved in sent["answers"].items() if saved]
    return _page("intake/answers.html", appointment, token, sections=sections,
                 submitted_at=sent["submitted_at"], editable=intake.is_editable(appointment))


@bp.route("/manage/<token>/intake/<step>", methods=["GET", "POST"])
def step(token, step):
    appointment = _appointment_or_404(token)
    if step not in intake.steps_for(appointment) or step == "review":
        abort(404)

    if not intake.is_editable(appointment):
        # Read-only: the answers as they are, and nothing is saved.
        status = 422 if request.method == "POST" else 200
        message = intake.IntakeLocked().message if request.method == "POST" else None
        return _render_step(appointment, token, step, status=status, message=message)

    cls = form_class(step, intake.settings())
    if request.method == "GET":
        form = cls(formdata=None, data=intake.step_answers(appointment, step))
        if step == "medicines":
            form.add_blank_rows()
        return _render_step(appointment, token, step, form=form)

    form = cls()
    if step == "medicines" and form.apply_row_buttons(request.form):
        return _render_step(appointment, token, step, form=form)  # nothing saved
    if not form.validate():
        return _render_step(appointment, token, step, form=form, status=422,
                            message=CHECK_ANSWERS)
    try:
        saved = intake.save_step(appointment.id, step, form.to_answers(), language=_language())
    except intake.InvalidAnswers as error:
        form.add_errors(error.fields)
        return _render_step(appointment, token, step, form=form, status=error.status,
                            message=error.message)
    except intake.IntakeLocked as error:
        return _render_step(appointment, token, step, status=error.status, message=error.message)
    except LookupError:
        abort(404)
    flash(_("Saved."), "success")
    return redirect(_step_url(token, saved.next_step), 303)
