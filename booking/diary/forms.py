"""The diary's forms: one day (shape only; services.save_entry checks the meaning), and the daily
reminder. The day form has two submit buttons: "No headache" (one tap: nothing else is read) and
"Save" (the headache's details)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField
from wtforms.validators import InputRequired

from ..intake.form_fields import ChoiceField, MultiChoiceField, NumberChoiceField, Required
from . import figures
from .services import Answers

NO_HEADACHE = "no"
HEADACHE = "yes"

DURATION_CHOICES = (
    (figures.UNDER_30_MIN, _l("Less than 30 minutes")),
    (figures.FROM_30_MIN_TO_4_H, _l("30 minutes to 4 hours")),
    (figures.AT_LEAST_4_H, _l("4 hours or more")),
)
PAIN_CHOICES = tuple((value, str(value)) for value in range(1, 11))
FEATURE_CHOICES = (
    ("one_side", _l("On one side")),
    ("throbbing", _l("Throbbing")),
    ("worse_with_activity", _l("Worse when moving")),
    ("nausea_vomiting", _l("Nausea or vomiting")),
    ("light_hurts", _l("Light hurt")),
    ("sound_hurts", _l("Sound hurt")),
)
AURA_CHOICES = (
    ("no", _l("No")),
    ("visual", _l("Seeing things")),
    ("other", _l("Other symptoms")),
)
OTHER_MEDICINE = _l("Another medicine, or not sure which")
RELIEF_CHOICES = (
    ("none", _l("No pain")),
    ("mild", _l("Mild")),
    ("moderate", _l("Moderate")),
    ("severe", _l("Severe")),
)


class DayForm(FlaskForm):
    duration = ChoiceField(_l("How long did it last in total?"), [Required()],
                           choices=DURATION_CHOICES)
    worst_pain = NumberChoiceField(
        _l("How bad was it at its worst?"), [Required()], choices=PAIN_CHOICES, style="scale",
        description=_l("1-3 mild, 4-6 moderate, 7-10 severe."))
    features = MultiChoiceField(_l("Was it…"), choices=FEATURE_CHOICES,
                                description=_l("Tick any that apply."))
    aura = ChoiceField(
        _l("Aura: for 5 to 60 minutes before or with the headache"), [Required()],
        choices=AURA_CHOICES, style="inline",
        description=_l("For example flashes, zigzag lines or a blind spot (seeing things), or "
                       "tingling or trouble speaking (other symptoms)."))
    felt_like_migraine = BooleanField(_l("When it started, it felt like my migraine"))
    medicines = MultiChoiceField(
        _l("Medicines taken for this headache"),
        description=_l("Tick each one you took today. Leave all empty if you took none."))
    relief_2h = ChoiceField(
        _l("If you took a triptan or ergotamine: pain 2 hours later"), choices=RELIEF_CHOICES,
        style="inline", description=_l("You can add this later today or in the next days."))

    def __init__(self, *args, medicines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.medicine_choices = list(medicines)
        self.medicines.choices = [(m.value, m.name or OTHER_MEDICINE)
                                  for m in self.medicine_choices]

    def answers(self, headache):
        """The cleaned Answers for services.save_entry."""
        if not headache:
            return Answers(headache=False)
        chosen = set(self.medicines.data or [])
        return Answers(
            headache=True, duration=self.duration.answer(), worst_pain=self.worst_pain.answer(),
            features=tuple(self.features.answer() or ()), aura=self.aura.answer() or "no",
            felt_like_migraine=bool(self.felt_like_migraine.data),
            medicines=tuple(m for m in self.medicine_choices if m.value in chosen),
            relief_2h=self.relief_2h.answer())

    def add_errors(self, fields):
        for name, message in fields.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = list(field.errors or []) + [message]

    @classmethod
    def from_entry(cls, entry, medicines):
        """The form filled from a saved entry (or empty, "no aura" chosen)."""
        form = cls(formdata=None, medicines=medicines)
        form.aura.data = "no"
        if entry is None or not entry.headache:
            return form
        form.duration.data = entry.duration
        form.worst_pain.data = None if entry.worst_pain is None else str(entry.worst_pain)
        form.features.data = [name for name in figures.FEATURES if getattr(entry, name)]
        form.aura.data = entry.aura or "no"
        form.felt_like_migraine.data = bool(entry.felt_like_migraine)
        saved = {(m.name, m.drug_class) for m in entry.medicines}
        form.medicines.data = [m.value for m in medicines if (m.name, m.drug_class) in saved]
        form.relief_2h.data = entry.relief_2h
        return form


class ReminderForm(FlaskForm):
    hour = ChoiceField(_l("Remind me every day at"), [Required()], choices=(), style="select")

    def __init__(self, *args, hours=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.hour.choices = [(str(h), f"{h:02d}:00") for h in hours]


class StopForm(FlaskForm):
    """Stop the reminders: one button."""


class PreventiveForm(FlaskForm):
    """Clinicians: the date a new preventive treatment began (ends earlier courses' follow-up)."""

    started_on = DateField(_l("A new preventive treatment began on"),
                           [InputRequired(message=_l("Please enter a date."))],
                           format="%Y-%m-%d",
                           description=_l("The diary's follow-up of earlier courses ends the day "
                                          "before. For example 2026-12-01."))
