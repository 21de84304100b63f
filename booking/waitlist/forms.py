"""The waitlist's forms: shape only. What the values mean (dates in range, a real phone number,
an adult, a window long enough) is decided by booking.waitlist.services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, DateInput, EmailInput, ListWidget, TelInput, TimeInput

ANY = "any"
MAX_FIELD = 254


class CheckboxesField(SelectMultipleField):
    """Tick as many as apply; the service checks the values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass  # the service says which days are allowed, next to the field


def _text(label, widget=None, longest=40, **render_kw):
    return StringField(label, widget=widget,
                       validators=[Optional(), Length(max=longest,
                                                      message=_l("That is too long."))],
                       render_kw=render_kw)


class JoinForm(FlaskForm):
    practitioner = SelectField(_l("Practitioner"), default=ANY, validate_choice=False)
    first_day = _text(_l("From"), DateInput(), 10, required=True)
    last_day = _text(_l("To"), DateInput(), 10, required=True)
    weekdays = CheckboxesField(_l("On these days"), choices=[])
    earliest = _text(_l("Earliest start"), TimeInput(), 8, required=True)
    latest = _text(_l("Latest end"), TimeInput(), 8, required=True)
    full_name = _text(_l("Full name"), None, MAX_FIELD, autocomplete="name", required=True,
                      maxlength=120)
    phone = _text(_l("Phone"), TelInput(), 40, autocomplete="tel", required=True,
                  inputmode="tel")
    email = _text(_l("Email"), EmailInput(), MAX_FIELD, autocomplete="email", required=True)
    date_of_birth = _text(_l("Date of birth"), DateInput(), 40, autocomplete="bday",
                          required=True)
    consent = BooleanField(render_kw={"required": True})

    FIELDS = ("practitioner", "first_day", "last_day", "weekdays", "earliest", "latest",
              "full_name", "phone", "email", "date_of_birth")

    def values(self):
        values = {name: self[name].data for name in self.FIELDS}
        values["weekdays"] = list(self.weekdays.data or [])
        values["consent"] = self.consent.data is True
        return values

    def add_errors(self, fields):
        """Put the service's messages next to their fields; return those naming no field."""
        general = []
        for name, message in fields.items():
            target = self._fields.get(name)
            if target is None or name == "csrf_token":
                general.append(str(message))
            else:
                target.errors = [*target.errors, str(message)]
        return general


class ConfirmForm(FlaskForm):
    """The offer page's button (and the leave buttons): the CSRF token only."""
