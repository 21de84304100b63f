"""Forms of the patient's booking path, and the small parsers for their query arguments.

The forms check shape only (lengths, that a box is a box). What the details mean (a real phone
number, an adult, a free time) is decided by the booking service, so the HTML page and the JSON
API give the same answers.
"""
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import DateInput, EmailInput, TelInput

ANY = "any"
# Generous caps: the service gives the precise messages; these only stop absurd posts.
MAX_FIELD = 254
MAX_REASON = 500
MAX_START = 40


class PractitionerChoiceForm(FlaskForm):
    """The small GET form above the slots: which practitioner's times to show."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    practitioner = SelectField(_l("Practitioner"), default=ANY)
    week = HiddenField()


CHANNEL_LABELS = {"email": _l("Email"), "sms": _l("SMS"), "viber": _l("Viber"),
                  "telegram": _l("Telegram")}


class ChannelForm(FlaskForm):
    """How the patient wants reminders and changes (booking/channels.py): at booking, on the
    manage page, and at the desk for a caller. Only the channels the clinic offers are choices
    (`offer`); anything but email needs the box ticked (the service checks it)."""

    channel = RadioField(_l("Send reminders and changes by"), validators=[Optional()])
    channel_consent = BooleanField(_l("I agree to get messages about my appointments by SMS, "
                                      "Viber or Telegram. I can stop them at any time."))

    def offer(self, channels):
        self.channel.choices = [(channel, CHANNEL_LABELS[channel]) for channel in channels]
        if self.channel.data is None:
            self.channel.data = "email"
        return self

    def choice(self):
        """(channel, consent) as sent; channel None when the form offered no choice."""
        if len(self.channel.choices or ()) < 2:
            return None, False
        return self.channel.data or None, self.channel_consent.data is True


class DetailsForm(ChannelForm):
    """Step 3: who is coming. Values are kept exactly as typed and handed to services.book."""

    start = HiddenField()
    full_name = StringField(
        _l("Full name"),
        validators=[Optional(), Length(max=MAX_FIELD, message=_l("That is too long."))],
        render_kw={"autocomplete": "name", "required": True, "maxlength": 120},
    )
    phone = StringField(
        _l("Phone"),
        widget=TelInput(),
        validators=[Optional(), Length(max=40, message=_l("That is too long."))],
        render_kw={"autocomplete": "tel", "required": True, "inputmode": "tel"},
    )
    email = StringField(
        _l("Email"),
        widget=EmailInput(),
        validators=[Optional(), Length(max=MAX_FIELD, message=_l("That is too long."))],
        render_kw={"autocomplete": "email", "required": True},
    )
    # Typed as text so the service sees exactly what was sent (a browser sends YYYY-MM-DD).
    date_of_birth = StringField(
        _l("Date of birth"),
        widget=DateInput(),
        validators=[Optional(), Length(max=40, message=_l("That is too long."))],
        render_kw={"autocomplete": "bday", "required": True},
    )
    consent = BooleanField(render_kw={"required": True})

    # Fields the booking service may name in InvalidDetails / SlotNotBookable.
    SERVICE_FIELDS = ("full_name", "email", "phone", "date_of_birth", "consent", "start",
                      "channel", "channel_consent")

    def patient_details(self):
        return {
            "full_name": self.full_name.data or "",
            "email": self.email.data or "",
            "phone": self.phone.data or "",
            "date_of_birth": self.date_of_birth.data or "",
        }

    def add_errors(self, fields):
        """Put the service's messages next to the fields they belong to."""
        for name, message in fields.items():
            field = self._fields.get(name)
            if field is not None:
                field.errors = [*field.errors, str(message)]


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=MAX_REASON,
                                       message=_l("Please keep it under 500 characters."))],
        render_kw={"rows": 3, "maxlength": MAX_REASON},
    )


class RescheduleForm(FlaskForm):
    """The times are radio buttons named `start`, drawn by the template from the free slots."""

    start = StringField(validators=[Optional(), Length(max=MAX_START)])
    week = HiddenField()


# --- Parsers for query arguments: a bad value never becomes a 500. ------------------------------

def parse_start(value):
    """An ISO 8601 instant WITH its UTC offset, or None.

    A '+' left unencoded in a URL arrives as a space; put it back before parsing.
    """
    if not value or len(value) > MAX_START:
        return None
    try:
        start = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        return None
    if start.tzinfo is None or start.utcoffset() is None:
        return None
    return start


def parse_practitioner(value, practitioners):
    """The chosen practitioner among those offered, or None for "any" (and for anything unknown)."""
    if not value or value == ANY:
        return None
    try:
        wanted = int(value)
    except ValueError:
        return None
    return next((p for p in practitioners if p.id == wanted), None)


def practitioner_choice(value):
    """For step 3: None for "any", an int id, or False when the value is not either."""
    if not value or value == ANY:
        return None
    try:
        return int(value)
    except ValueError:
        return False


def monday_of(day):
    return day - timedelta(days=day.weekday())


def parse_week(value, today, last_bookable_day):
    """The Monday of the week asked for; the current week when the value is missing, malformed,
    in the past or beyond the booking horizon."""
    current = monday_of(today)
    try:
        asked = date.fromisoformat(value) if value else today
    except (TypeError, ValueError):
        return current
    monday = monday_of(asked)
    if monday < current or monday > last_bookable_day:
        return current
    return monday
