"""The patient's intake questionnaire pages, reached through the private manage link.

    /manage/<token>/intake            -> the first page not filled in yet (the answers once sent
                                         and no longer editable)
    /manage/<token>/intake/<page>     -> one page (pages.py: a step, or a part of one): GET shows
                                         it, POST saves it, 303 to the next page not filled in
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
from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..clinic_hours import contact_promise
from ..extensions import limiter
from ..scheduler import manage_links
from ..security import limit_blueprint
from . import services as intake
from .forms import SubmitForm, form_class, summary_of
from .pages import TITLES, field_names, first_open, pages_for
from .scoring import CRISIS_CONTACTS

bp = Blueprint("intake", __name__)
limit_blueprint(limiter, bp, "RATELIMIT_PRIVATE_LINKS")

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
    appointment = manage_links.appointment_by_token(token)
    if appointment is None:
        abort(404)
    return appointment


def _pages(appointment):
    return pages_for(intake.steps_for(appointment),
                     form_class("questionnaires", intake.settings()))


def _saved(appointment):
    return (appointment.intake.answers or {}) if appointment.intake else {}


def _page_summary(page, appointment, settings, answers=None):
    """The saved answers of one page as label/text lines (a part of a step: its keys only)."""
    saved = intake.step_answers(appointment, page.step) if answers is None else answers
    lines = summary_of(page.step, settings, saved)
    return lines if page.keys is None else [line for line in lines if line.key in page.keys]


def _language():
    return str(get_locale())


def _step_url(token, slug):
    if slug == "review":
        return url_for(".review", token=token)
    return url_for(".step", token=token, step=slug)


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
    answers at the top (intake/_layout.html)."""
    return render_template(template, appointment=appointment, token=token, titles=TITLES,
                           **context), status


def _render_step(appointment, token, page, *, form=None, status=200, message=None):
    """One page; a POST of a whole step that has several pages (see step()) comes back as the
    step's first page with all its questions."""
    pages = _pages(appointment)
    shown = page if page in pages else next(p for p in pages if p.step == page.step)
    parts = [shown] if page in pages else [p for p in pages if p.step == page.step]
    editable = form is not None
    summary = None
    if not editable and page.done(_saved(appointment).get(page.step)):
        summary = _page_summary(page, appointment, intake.settings())
    index = pages.index(shown)
    return _page(
        "intake/step.html", appointment, token, status=status, page=shown, parts=parts,
        form=form, editable=editable, summary=summary, message=message, position=index + 1,
        total=len(pages), previous=pages[index - 1] if index > 0 else None,
        previous_url=_step_url(token, pages[index - 1].slug) if index > 0 else None,
    )


def _render_review(appointment, token, *, missing=(), message=None, status=200):
    settings = intake.settings()
    saved = _saved(appointment)
    pages = _pages(appointment)
    sections = [
        {"step": page.slug, "title": page.title, "done": page.done(saved.get(page.step)),
         "url": _step_url(token, page.slug),
         "summary": (_page_summary(page, appointment, settings)
                     if page.done(saved.get(page.step)) else None)}
        for page in pages if page.step != "review"
    ]
    # The steps that failed the check: their pages not sent yet, else their first page.
    unfinished = []
    for step in missing:
        of_step = [page for page in pages if page.step == step]
        unfinished += [page for page in of_step if not page.done(saved.get(step))] or of_step[:1]
    return _page(
        "intake/review.html", appointment, token, status=status, sections=sections,
        missing=[{"title": page.title, "url": _step_url(token, page.slug)}
                 for page in unfinished],
        message=message, editable=intake.is_editable(appointment), sent=_is_sent(appointment),
        position=len(pages), total=len(pages), form=SubmitForm(formdata=None),
    )


# --- Pages ---------------------------------------------------------------------------------------

@bp.route("/manage/<token>/intake")
def start(token):
    appointment = _appointment_or_404(token)
    if _is_sent(appointment) and not intake.is_editable(appointment):
        return redirect(url_for(".answers", token=token), 303)
    return redirect(_step_url(token, first_open(_pages(appointment), _saved(appointment)).slug),
                    303)


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
    sections = [{"step": page.slug, "title": page.title, "url": _step_url(token, page.slug),
                 "summary": _page_summary(page, appointment, settings,
                                          sent["answers"][page.step])}
                for page in _pages(appointment)
                if sent["answers"].get(page.step) and page.done(sent["answers"][page.step])]
    return _page("intake/answers.html", appointment, token, sections=sections,
                 submitted_at=sent["submitted_at"], editable=intake.is_editable(appointment))


def _page_form(cls, page):
    """The step's form for a POST of `page`, with only the page's own questions (the answers
    of the step's other pages stay as saved)."""
    form = cls()
    if page.keys is not None:
        for name in [name for name in form._fields if name != "csrf_token"]:
            if name not in page.keys:
                del form[name]
    return form


def _sends_whole_step(page, cls):
    """Does this POST carry questions of the step's other pages too? (A client that sends the
    whole step, as the pages once did: it is saved as a whole.)"""
    others = set(field_names(cls)) - set(page.keys)
    return any(name.split("-", 1)[0] in others for name in request.form)


@bp.route("/manage/<token>/intake/<step>", methods=["GET", "POST"])
def step(token, step):
    appointment = _appointment_or_404(token)
    pages = _pages(appointment)
    page = next((page for page in pages if page.slug == step and page.step != "review"), None)
    if page is None:
        # A step shown on several pages, by its own name: GET opens its first page; a POST of
        # the whole step (an older page, a client) is saved as a whole.
        of_step = [p for p in pages if p.step == step and step != "review"]
        if not of_step:
            abort(404)
        if request.method == "GET":
            return redirect(_step_url(token, of_step[0].slug), 303)
        page = replace(of_step[0], keys=None)

    if not intake.is_editable(appointment):
        # Read-only: the answers as they are, and nothing is saved.
        status = 422 if request.method == "POST" else 200
        message = intake.IntakeLocked().message if request.method == "POST" else None
        return _render_step(appointment, token, page, status=status, message=message)

    cls = form_class(page.step, intake.settings())
    if request.method == "GET":
        form = cls(formdata=None, data=intake.step_answers(appointment, page.step))
        if page.step == "medicines":
            form.add_blank_rows()
        return _render_step(appointment, token, page, form=form)

    if page.keys is not None and _sends_whole_step(page, cls):
        page = replace(page, keys=None)
    form = _page_form(cls, page)
    if page.step == "medicines" and form.apply_row_buttons(request.form):
        return _render_step(appointment, token, page, form=form)  # nothing saved
    if not form.validate():
        return _render_step(appointment, token, page, form=form, status=422,
                            message=CHECK_ANSWERS)
    keys = None if page.keys is None else tuple(form.to_answers())
    try:
        intake.save_step(appointment.id, page.step, form.to_answers(), language=_language(),
                         keys=keys)
    except intake.InvalidAnswers as error:
        form.add_errors(error.fields)
        return _render_step(appointment, token, page, form=form, status=error.status,
                            message=error.message)
    except intake.IntakeLocked as error:
        return _render_step(appointment, token, page, status=error.status,
                            message=error.message)
    except LookupError:
        abort(404)
    flash(_("Saved."), "success")
    appointment = _appointment_or_404(token)
    return redirect(_step_url(token, first_open(pages, _saved(appointment)).slug), 303)

