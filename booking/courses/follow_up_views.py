"""The patient's follow-up page, reached through the private link of a follow-up request.

    GET  /follow-up/<token>   the questions (pain now, headache days, MIDAS at 3 months when
                              switched on), or, once answered, "thank you" with the answers,
                              read-only; once the answer window has closed (config
                              FOLLOW_UP_WINDOWS), "closed" with the clinic's phone, no questions
    POST /follow-up/<token>   save the answers, once; 303 back to the page. An answer sent after
                              the window closed (from a page opened before) is saved all the
                              same, as a late answer: kept and shown to clinicians, left out of
                              the outcomes report (booking/courses/follow_up_answers.py).

No sign-in: the link is the key (404 for a wrong one). The pages are never cached and never
leak the link as a referrer. Answers travel in POST bodies and pages only: never in a URL, a
flash message or a log line.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import limiter
from ..intake.form_fields import IntakeForm, NumberChoiceField, Required, WholeNumberField
from ..intake.forms import MIDAS_ITEMS, NRS_CHOICES, NRS_HINT
from ..security import limit_blueprint
from . import follow_up_answers

bp = Blueprint("follow_up", __name__)
limit_blueprint(limiter, bp, "RATELIMIT_PRIVATE_LINKS")

CHECK_ANSWERS = _l("Please check the answers marked below.")


class FollowUpBase(IntakeForm):
    step = "follow_up"
    instruments = ()


def follow_up_form_class(midas):
    """The follow-up questions: pain now and headache days, then MIDAS when switched on (the
    intake's own MIDAS wording)."""
    fields = {
        "pain": NumberChoiceField(
            _l("How bad is your headache pain right now?"), [Required()], choices=NRS_CHOICES,
            style="scale", description=NRS_HINT),
        "headache_days": WholeNumberField(
            _l("On how many days in the last month did you have a headache?"), [Required()],
            description=_l("Count every day with a headache, from 0 to 31.")),
    }
    if midas:
        for key, label, hint in MIDAS_ITEMS:
            fields[key] = WholeNumberField(label, [Required()], description=hint or "")
    fields["instruments"] = ("midas",) if midas else ()
    return type("FollowUpForm", (FollowUpBase,), fields)


@bp.after_request
def private_headers(response):
    """Reached through a private link: never cached, never sent on as a referrer (also on the
    404 and 422 pages)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _state_or_404(token):
    state = follow_up_answers.follow_up_by_token(token)
    if state is None:
        abort(404)
    return state


def _answered_page(state, token, *, message=None, status=200):
    cls = follow_up_form_class(state.ask_midas)
    summary = cls(formdata=None, data=state.answers).summary()
    return render_template("follow_up/answered.html", state=state, token=token,
                           summary=summary, message=message), status


def _closed_page(state, token):
    return render_template("follow_up/closed.html", state=state, token=token)


def _form_page(state, token, form, *, message=None, status=200):
    return render_template("follow_up/form.html", state=state, token=token, form=form,
                           message=message), status


@bp.route("/follow-up/<token>", methods=["GET"])
def page(token):
    state = _state_or_404(token)
    if state.answered:
        return _answered_page(state, token)
    if state.closed:
        return _closed_page(state, token)
    form = follow_up_form_class(state.ask_midas)(formdata=None)
    return _form_page(state, token, form)


@bp.route("/follow-up/<token>", methods=["POST"])
def send(token):
    state = _state_or_404(token)
    if state.answered:
        return _answered_page(state, token,
                              message=follow_up_answers.AlreadyAnswered().message, status=422)
    form = follow_up_form_class(state.ask_midas)()
    if not form.validate():
        # The shape is wrong somewhere; say what else is out of range at the same time.
        try:
            follow_up_answers.check_answers(form.to_answers(), midas=state.ask_midas)
        except follow_up_answers.InvalidFollowUp as error:
            form.add_errors({key: message for key, message in error.fields.items()
                             if key in form and not form[key].errors})
        return _form_page(state, token, form, message=CHECK_ANSWERS, status=422)
    try:
        follow_up_answers.answer(state.id, form.to_answers(), language=str(get_locale()))
    except follow_up_answers.InvalidFollowUp as error:
        form.add_errors(error.fields)
        return _form_page(state, token, form, message=error.message, status=error.status)
    except follow_up_answers.AlreadyAnswered as error:
        return _answered_page(_state_or_404(token), token, message=error.message,
                              status=error.status)
    except LookupError:
        abort(404)
    flash(_("Thank you. Your answers were sent to the clinic."), "success")
    return redirect(url_for(".page", token=token), 303)
