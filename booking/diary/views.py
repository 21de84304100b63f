"""The patient's headache diary, reached through their private link (no account).

    /manage/<token>/diary                    today and the days that can still be filled (one tap
                                             for "no headache"), this month as a calendar, and
                                             the daily reminder
    /manage/<token>/diary/<YYYY-MM-DD>       GET the day's form, POST save it (or "no headache")
    /manage/<token>/diary/month/<YYYY-MM>    a month as a calendar
    /manage/<token>/diary/reminder           POST: set the reminder's hour
    /manage/<token>/diary/reminder/stop      POST: stop the reminders at once

<token> is the manage link of a booking or a course (of a service that offers the diary), or
the diary link of a daily reminder (the diary alone). Views stay thin: services.py decides.
Pages are private (no-store, no referrer, not indexed) and rate-limited like every private
link. Answers travel only in POST bodies; a flash message says a day was saved, never what.
The patient sees what they wrote, as words and symbols: never a score or a classification.
"""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from ..intake.views import private_headers
from . import commands  # noqa: F401  (send-diary-prompts, on the same blueprint)
from . import figures, services
from .blueprint import bp
from .forms import HEADACHE, NO_HEADACHE, DayForm, ReminderForm, StopForm


# Every diary page is reached through a private link: the intake pages' headers (no-store, no
# referrer, not indexed), also on their 404 and 422 pages.
bp.after_request(private_headers)


# --- For the manage pages (scheduler/manage.html, course_manage.html) ---------------------------

@bp.app_template_global()
def diary_offered(appointment):
    """Whether the manage page links to the diary."""
    return services.offers_diary(appointment)


# --- Helpers ------------------------------------------------------------------------------------

def _access_or_404(token):
    access = services.access_by_token(token)
    if access is None:
        abort(404)
    return access


def _day_or_404(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def _month_or_404(text):
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        abort(404)


def day_words(day, today):
    if day == today:
        return _("Today, %(day)s", day=format_date(day, "EEEE d MMMM"))
    if (today - day).days == 1:
        return _("Yesterday, %(day)s", day=format_date(day, "EEEE d MMMM"))
    return format_date(day, "EEEE d MMMM")


def _calendar(access, month, today):
    last = figures.add_months(month, 1)
    days = services.classified_between(access.patient_id, month, last)
    previous = figures.add_months(month, -1)
    following = figures.add_months(month, 1)
    return {
        "month": figures.calendar_month(month, days, today),
        "previous": previous,
        "next": following if following <= figures.month_of(today) else None,
    }


def _page(template, access, token, status=200, **context):
    today = services.today()
    return render_template(
        template, token=token, access=access, today=today, day_words=day_words,
        locked_hint=services.locked_message(),
        month_url=lambda first: url_for(".month", token=token, month=first.strftime("%Y-%m")),
        **context), status


# --- Pages --------------------------------------------------------------------------------------

@bp.route("/manage/<token>/diary")
def home(token):
    access = _access_or_404(token)
    today = services.today()
    days = services.editable_days()
    entries = services.classified_between(access.patient_id, days[-1], days[0])
    settings = services.settings_of(access.patient_id)
    return _page("diary/home.html", access, token, days=days, entries=entries,
                 settings=settings, reminder_form=_reminder_form(settings),
                 stop_form=StopForm(formdata=None),
                 calendar=_calendar(access, figures.month_of(today), today))


def _reminder_form(settings, formdata=None):
    form = ReminderForm(formdata=formdata, hours=services.reminder_hours())
    if formdata is None:
        hour = settings.reminder_hour if settings and settings.reminder_hour is not None else 20
        form.hour.data = str(hour)
    return form


@bp.route("/manage/<token>/diary/month/<month>")
def month(token, month):
    access = _access_or_404(token)
    first = _month_or_404(month)
    today = services.today()
    if first > figures.month_of(today):
        abort(404)
    return _page("diary/month.html", access, token,
                 calendar=_calendar(access, first, today))


@bp.route("/manage/<token>/diary/<day>", methods=["GET", "POST"])
def day(token, day):
    access = _access_or_404(token)
    when = _day_or_404(day)
    today = services.today()
    if when > today:
        abort(404)
    entry = services.entry_on(access.patient_id, when)
    medicines = services.medicine_choices(access.patient_id, entry)
    editable = when in services.editable_days()

    def page(form, status=200, message=None):
        return _page("diary/day.html", access, token, status=status, day=when, entry=entry,
                     form=form, editable=editable, message=message,
                     asks_relief=any(m.drug_class in figures.TRIPTAN_OR_ERGOT
                                     for m in medicines),
                     locked_message=services.locked_message())

    if request.method == "GET":
        return page(DayForm.from_entry(entry, medicines))
    form = DayForm(medicines=medicines)
    choice = request.form.get("headache")
    if choice not in (NO_HEADACHE, HEADACHE):
        return page(form, 422, _("Please choose “No headache”, or answer the questions about "
                                 "the headache and save."))
    # "No headache" reads nothing else (CSRF is checked for every POST by the app).
    if choice == HEADACHE and not form.validate():
        return page(form, 422, _("Please check the answers marked below."))
    try:
        services.save_entry(access.patient_id, when, form.answers(choice == HEADACHE))
    except (services.DayLocked, services.DayNotYet) as error:
        return page(form, error.status, str(error.message))
    except services.DiaryError as error:
        form.add_errors({name: str(text) for name, text in error.fields.items()})
        return page(form, error.status, _("Please check the answers marked below."))
    flash(_("Saved: %(day)s.", day=format_date(when, "EEEE d MMMM")), "success")
    return redirect(url_for(".home", token=token), 303)


@bp.route("/manage/<token>/diary/reminder", methods=["POST"])
def reminder(token):
    access = _access_or_404(token)
    form = _reminder_form(None, formdata=request.form)
    if form.validate():
        try:
            services.set_reminder(access.patient_id, int(form.hour.data))
        except services.DiaryError as error:
            form.hour.errors = list(form.hour.errors) + [str(error.message)]
        else:
            flash(_("Your daily reminder is set for %(time)s.",
                    time=f"{int(form.hour.data):02d}:00"), "success")
            return redirect(url_for(".home", token=token, _anchor="reminder"), 303)
    today = services.today()
    days = services.editable_days()
    settings = services.settings_of(access.patient_id)
    return _page("diary/home.html", access, token, status=422, days=days,
                 entries=services.classified_between(access.patient_id, days[-1], days[0]),
                 settings=settings, reminder_form=form, stop_form=StopForm(formdata=None),
                 calendar=_calendar(access, figures.month_of(today), today))


@bp.route("/manage/<token>/diary/reminder/stop", methods=["POST"])
def stop(token):
    access = _access_or_404(token)
    form = StopForm()
    if not form.validate():
        abort(400)
    services.stop_reminders(access.patient_id)
    flash(_("Your daily reminders are stopped. You can still fill in your diary here."),
          "success")
    return redirect(url_for(".home", token=token, _anchor="reminder"), 303)

