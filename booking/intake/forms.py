"""Forms of the patient's intake questionnaire: one Flask-WTF form per step, built from
booking/intake/form_fields.py's fields and base forms (what every form offers is listed there).

Field names equal the answer keys of docs/intake-answers.md, so a message the intake service
gives for a key lands next to the field of that name. The forms check SHAPE only: that a required
question is answered, that a number is a whole number, that a choice is one of those offered, that
a list of rows is not absurdly long. What the answers MEAN (ranges, migraine days not above
headache days, an adult's date of birth...) is the service's decision (validation.py), so the
page and any other door give the same answers.

HIT-6 item text is copyrighted: it is never written here, only taken from the clinic's settings.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, StringField, TextAreaField
from wtforms.widgets import DateInput, EmailInput, TelInput

from ..form_rows import RowTables
from . import validation as contract  # the codes of docs/intake-answers.md
from .form_fields import (
    NO,
    REQUIRED,
    YES,
    ChoiceField,
    IntakeForm,
    MaxLength,
    MultiChoiceField,
    NumberChoiceField,
    Required,
    RowForm,
    WholeNumberField,
    YesNoField,
    labelled,
)


# --- About you ---------------------------------------------------------------------------------

SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": lazy_pgettext("sex", "Other"),
              "prefer_not_to_say": _l("I prefer not to say")}
LANGUAGE_LABELS = {"uk": _l("Ukrainian"), "en": _l("English")}


def _text(label, most, *, required=False, required_message=REQUIRED, **kwargs):
    validators = [Required(required_message)] if required else []
    render_kw = {"maxlength": most, **kwargs.pop("render_kw", {})}
    return StringField(label, validators + [MaxLength(most)], render_kw=render_kw, **kwargs)


class AboutForm(IntakeForm):
    step = "about"

    full_name = _text(_l("Full name"), 120, required=True,
                      required_message=_l("Please enter your full name."),
                      render_kw={"autocomplete": "name"})
    date_of_birth = StringField(
        _l("Date of birth"), [Required(_l("Please enter your date of birth.")), MaxLength(40)],
        widget=DateInput(), render_kw={"autocomplete": "bday"},
        description=_l("For example 1990-05-17."))
    sex = ChoiceField(_l("Sex"), [Required()], choices=labelled(contract.SEX, SEX_LABELS))
    phone = _text(_l("Phone"), 40, required=True,
                  required_message=_l("Please enter your phone number."), widget=TelInput(),
                  render_kw={"autocomplete": "tel", "inputmode": "tel"},
                  description=_l("International format, e.g. +380 50 123 45 67."))
    email = _text(_l("Email"), 254, required=True,
                  required_message=_l("Please enter your email address."), widget=EmailInput(),
                  render_kw={"autocomplete": "email"})
    language = ChoiceField(_l("Which language do you prefer?"), [Required()], style="inline",
                           choices=labelled(contract.LANGUAGES, LANGUAGE_LABELS))
    emergency_contact_name = _text(
        _l("Name of someone we can call in an emergency"), 120, required=True,
        required_message=_l("Please enter the name of your emergency contact."),
        render_kw={"autocomplete": "off"})
    emergency_contact_phone = _text(
        _l("Their phone number"), 40, required=True,
        required_message=_l("Please enter your emergency contact's phone number."),
        widget=TelInput(), render_kw={"autocomplete": "off", "inputmode": "tel"},
        description=_l("International format, e.g. +380 50 123 45 67."))
    consent_processing = BooleanField(
        _l("I agree that the clinic processes my personal data, including data about my health, "
           "to prepare and provide my care."),
        [Required(_l("Please agree to the processing of your data so the clinic can prepare "
                     "your visit."))])
    consent_contact = BooleanField(
        _l("The clinic may contact me by phone or email about my care."))


# --- Headache history --------------------------------------------------------------------------

LOCATION_LABELS = {"one_side": _l("On one side of the head"), "both_sides": _l("On both sides"),
                   "varies": _l("It varies")}
CHARACTER_LABELS = {"pulsating": _l("Throbbing or pulsating"),
                    "pressing": _l("Pressing or tight, like a band"),
                    "stabbing": _l("Stabbing"), "other": _l("Something else")}
AURA_LABELS = {"visual": _l("Seeing things: flashing lights, zigzag lines or blind spots"),
               "sensory": _l("Pins and needles or numbness"),
               "speech": _l("Trouble speaking or finding words"),
               "motor": _l("Weakness of an arm or a leg")}
TRIGGER_LABELS = {"stress": _l("Stress"), "sleep": _l("Too much or too little sleep"),
                  "menstruation": _l("Periods"), "alcohol": _l("Alcohol"),
                  "food": _l("Certain foods or drinks"), "weather": _l("Changes in the weather"),
                  "screens": _l("Screens or bright light"), "skipped_meals": _l("Skipping meals")}
MENSTRUAL_LABELS = {"yes": YES, "no": NO, "not_applicable": _l("Does not apply to me")}
DAYS_HINT = _l("Days in an average month recently, from 0 to 31.")


def _days(label, hint=DAYS_HINT):
    return WholeNumberField(label, [Required()], description=hint)


class HistoryForm(IntakeForm):
    step = "history"

    # When it started and how it goes.
    age_at_onset = WholeNumberField(_l("How old were you when your headaches started?"),
                                    [Required()], description=_l("Your age in years."))
    months_at_frequency = WholeNumberField(
        _l("For how many months have your headaches been as frequent as they are now?"),
        [Required()], description=_l("In months: 2 years is 24."))
    getting_worse = YesNoField(_l("Are your headaches getting worse?"), [Required()])
    onset_after_head_injury = BooleanField(_l("A head or neck injury"))
    onset_after_infection = BooleanField(_l("An infection, such as flu or COVID-19"))
    onset_after_new_medicine = BooleanField(_l("Starting a new medicine"))

    # How often.
    headache_days = _days(_l("On how many days a month do you have a headache?"))
    migraine_days = _days(
        _l("On how many of those days does the headache have migraine features?"),
        _l("For example throbbing pain, feeling sick, or being bothered by light or noise. "
           "Not more than your headache days."))
    moderate_severe_days = _days(
        _l("On how many of those days is the headache moderate or severe?"),
        _l("Not more than your headache days."))
    debilitating_days = _days(
        _l("On how many of those days does the headache stop you from doing your usual "
           "activities?"),
        _l("Not more than your headache days."))
    attack_hours = WholeNumberField(
        _l("How many hours does a headache usually last without treatment?"),
        description=_l("Up to 72 hours. If your headache never stops, leave this empty and "
                       "tick the box below."))
    continuous = BooleanField(_l("My headache is continuous: it never fully goes away."))

    # What a headache is like.
    location = ChoiceField(_l("Where is the pain usually?"), [Required()],
                           choices=labelled(contract.LOCATIONS, LOCATION_LABELS))
    character = ChoiceField(_l("What does the pain feel like?"), [Required()],
                            choices=labelled(contract.CHARACTERS, CHARACTER_LABELS))
    worse_with_activity = YesNoField(
        _l("Does everyday activity, such as walking or climbing stairs, make it worse?"),
        [Required()])
    nausea = BooleanField(_l("Feeling sick (nausea)"))
    vomiting = BooleanField(_l("Being sick (vomiting)"))
    photophobia = BooleanField(_l("Light bothers me"))
    phonophobia = BooleanField(_l("Noise bothers me"))

    # Aura.
    aura = YesNoField(
        _l("Do you have an aura: warning symptoms such as flashing lights, zigzag lines or "
           "numbness, before or with the headache?"), [Required()])
    aura_types = MultiChoiceField(_l("What is your aura like?"),
                                  choices=labelled(contract.AURA_TYPES, AURA_LABELS),
                                  description=_l("Only if you have an aura. Tick all that apply."))
    aura_minutes = WholeNumberField(_l("How many minutes does the aura usually last?"),
                                    description=_l("Only if you have an aura."))

    # Triggers and more.
    triggers = MultiChoiceField(_l("What can set off a headache for you?"),
                                choices=labelled(contract.TRIGGERS, TRIGGER_LABELS),
                                description=_l("Tick any that apply."))
    triggers_other = _text(_l("Anything else that sets off your headaches? (optional)"), 200)
    menstrual_relation = ChoiceField(_l("Are your headaches linked to your periods?"),
                                     [Required()], style="inline",
                                     choices=labelled(contract.MENSTRUAL, MENSTRUAL_LABELS))
    several_headache_types = YesNoField(_l("Do you have more than one kind of headache?"),
                                        [Required()])
    prior_attacks_at_least_5 = YesNoField(
        _l("Have you had at least 5 attacks of your usual headache since it started?"),
        [Required()])

    # Warning signs: any "yes" means emergency advice at once.
    red_thunderclap = YesNoField(
        _l("Have you recently had a sudden, very severe headache that reached its worst within "
           "a minute, like the worst headache of your life?"), [Required()])
    red_fever_stiff_neck = YesNoField(
        _l("Do you have a fever together with a stiff neck?"), [Required()])
    red_neuro_deficit = YesNoField(
        _l("Have you recently had new weakness, numbness, loss of vision, trouble speaking or "
           "confusion?"), [Required()])
    red_after_head_injury = YesNoField(
        _l("Did this headache start after a blow to the head or a head injury?"), [Required()])


# --- Pain --------------------------------------------------------------------------------------

NRS_CHOICES = [(str(value), str(value)) for value in range(0, 11)]
NRS_HINT = _l("0 means no pain, 10 the worst pain you can imagine.")


def _nrs(label):
    return NumberChoiceField(label, [Required()], choices=NRS_CHOICES, style="scale",
                             description=NRS_HINT)


class PainForm(IntakeForm):
    step = "pain"

    pain_now = _nrs(_l("How bad is your headache pain right now?"))
    pain_avg_7d = _nrs(_l("On average, how bad was your headache pain over the last 7 days?"))
    pain_worst_month = _nrs(_l("How bad was your worst headache pain in the last month?"))


# --- Medicines ---------------------------------------------------------------------------------

ACUTE_CLASS_LABELS = {
    "triptan": _l("Triptan (e.g. sumatriptan, zolmitriptan)"),
    "ergotamine": _l("Ergotamine"),
    "opioid": _l("Opioid (e.g. codeine, tramadol)"),
    "combination_analgesic": _l("Combination painkiller (several ingredients in one tablet)"),
    "paracetamol": _l("Paracetamol"),
    "aspirin": _l("Aspirin"),
    "nsaid": _l("Other anti-inflammatory painkiller (e.g. ibuprofen, naproxen)"),
    "other": _l("Other, or not sure"),
}
EFFECT_LABELS = {"none": _l("It does not help"), "partial": _l("It helps a little"),
                 "good": _l("It helps well")}
PREVENTIVE_CLASS_LABELS = {
    "beta_blocker": _l("Beta blocker (e.g. propranolol, metoprolol)"),
    "anticonvulsant": _l("Anti-seizure medicine (e.g. topiramate, valproate)"),
    "tricyclic": _l("Tricyclic antidepressant (e.g. amitriptyline)"),
    "snri": _l("SNRI antidepressant (e.g. venlafaxine, duloxetine)"),
    "calcium_channel_blocker": _l("Calcium channel blocker (e.g. flunarizine)"),
    "sartan_ace_inhibitor": _l("Blood pressure medicine: sartan or ACE inhibitor "
                               "(e.g. candesartan, lisinopril)"),
    "cgrp_antibody": _l("CGRP antibody injection (e.g. erenumab, fremanezumab)"),
    "gepant": _l("Gepant (e.g. atogepant, rimegepant)"),
    "botulinum_toxin": _l("Botulinum toxin (Botox) injections"),
    "other": _l("Other, or not sure"),
}
OUTCOME_LABELS = {"ineffective": _l("It did not help"),
                  "not_tolerated": _l("I could not take it (side effects)"),
                  "partial": _l("It helped a little"), "effective": _l("It helped"),
                  "ongoing": _l("I am still taking it")}

MAX_ACUTE_ROWS = contract.MAX_ACUTE_ROWS
MAX_PREVENTIVE_ROWS = contract.MAX_PREVENTIVE_ROWS


class AcuteRowForm(RowForm):
    name = _text(_l("Name of the medicine"), 80, required=True,
                 required_message=_l("Please enter the name of the medicine."))
    days_per_month = WholeNumberField(_l("Days a month you take it"), [Required()],
                                      description=_l("From 0 to 31."))
    effect = ChoiceField(_l("How well does it work?"), [Required()], style="select",
                         choices=labelled(contract.EFFECTS, EFFECT_LABELS))


class PreventiveRowForm(RowForm):
    drug = _text(_l("Name of the medicine"), 80, required=True,
                 required_message=_l("Please enter the name of the medicine."))
    dose = _text(_l("Dose (optional)"), 40, description=_l("For example 50 mg twice a day."))
    weeks = WholeNumberField(_l("For how many weeks did you take it? (optional)"))
    outcome = ChoiceField(_l("How did it work?"), [Required()], style="select",
                          choices=labelled(contract.OUTCOMES, OUTCOME_LABELS))


# "class" is a Python keyword, so these fields are added by name (they stay in the answers as
# "class", as the contract says). They are put second in each row.
setattr(AcuteRowForm, "class", ChoiceField(
    _l("Kind of medicine"), [Required()], style="select",
    choices=labelled(contract.ACUTE_CLASSES, ACUTE_CLASS_LABELS)))
setattr(PreventiveRowForm, "class", ChoiceField(
    _l("Kind of medicine"), [Required()], style="select",
    choices=labelled(contract.PREVENTIVE_CLASSES, PREVENTIVE_CLASS_LABELS)))
AcuteRowForm.FIELD_ORDER = ("name", "class", "days_per_month", "effect")
PreventiveRowForm.FIELD_ORDER = ("drug", "class", "dose", "weeks", "outcome")


class MedicinesForm(RowTables, IntakeForm):
    """Two repeatable tables. Rows are added and removed by submit buttons ("add_<list>",
    "remove_<list>" = the row's position), so no JavaScript is needed; a row left completely
    empty is ignored."""

    step = "medicines"

    # One more than allowed is read, so that too many rows gets a message instead of vanishing.
    acute = FieldList(FormField(AcuteRowForm), _l("Medicines you take when you have a headache"),
                      max_entries=MAX_ACUTE_ROWS + 1)
    any_acute_days = _days(
        _l("On how many days a month do you take any medicine for a headache?"),
        _l("Count a day once, even if you take two medicines that day. From 0 to 31."))
    any_non_opioid_days = _days(
        _l("On how many days a month do you take paracetamol, aspirin or another "
           "anti-inflammatory painkiller such as ibuprofen?"),
        _l("Count a day once, even if you take two of them that day. From 0 to 31."))
    preventives = FieldList(FormField(PreventiveRowForm),
                            _l("Medicines you have taken to prevent headaches"),
                            max_entries=MAX_PREVENTIVE_ROWS + 1)

    LIMITS = {"acute": MAX_ACUTE_ROWS, "preventives": MAX_PREVENTIVE_ROWS}

    def row_lists(self):
        return [self.acute, self.preventives]

    def limit_message(self, name):
        return str(_l("You can list up to %(n)d medicines here.", n=self.LIMITS[name]))


# --- Questionnaires ----------------------------------------------------------------------------

MIDAS_ITEMS = (
    ("midas_q1", _l("On how many days in the last 3 months did you miss work or school because "
                    "of your headaches?"), None),
    ("midas_q2", _l("How many days in the last 3 months was your productivity at work or school "
                    "reduced by half or more because of your headaches?"),
     _l("Do not include days you counted in question 1, when you missed work or school.")),
    ("midas_q3", _l("On how many days in the last 3 months did you not do household work "
                    "because of your headaches?"), None),
    ("midas_q4", _l("How many days in the last 3 months was your productivity in household work "
                    "reduced by half or more because of your headaches?"),
     _l("Do not include days you counted in question 3, when you did not do household work.")),
    ("midas_q5", _l("On how many days in the last 3 months did you miss family, social or "
                    "leisure activities because of your headaches?"), None),
    ("midas_a", _l("On how many days in the last 3 months did you have a headache?"),
     _l("If a headache lasted more than 1 day, count each day.")),
    ("midas_b", _l("On a scale of 0 to 10, on average how painful were these headaches?"),
     _l("0 means no pain at all, 10 means pain as bad as it can be.")),
)
FREQUENCY_CHOICES = [("0", _l("Not at all")), ("1", _l("Several days")),
                     ("2", _l("More than half the days")), ("3", _l("Nearly every day"))]
PHQ9_ITEMS = (
    _l("Little interest or pleasure in doing things"),
    _l("Feeling down, depressed, or hopeless"),
    _l("Trouble falling or staying asleep, or sleeping too much"),
    _l("Feeling tired or having little energy"),
    _l("Poor appetite or overeating"),
    _l("Feeling bad about yourself — or that you are a failure or have let yourself or your "
       "family down"),
    _l("Trouble concentrating on things, such as reading the newspaper or watching television"),
    _l("Moving or speaking so slowly that other people could have noticed? Or the opposite — "
       "being so fidgety or restless that you have been moving around a lot more than usual"),
    _l("Thoughts that you would be better off dead or of hurting yourself in some way"),
)
PHQ9_DIFFICULTY = _l("If you checked off any problems, how difficult have these problems made it "
                     "for you to do your work, take care of things at home, or get along with "
                     "other people?")
DIFFICULTY_CHOICES = [("0", _l("Not difficult at all")), ("1", _l("Somewhat difficult")),
                      ("2", _l("Very difficult")), ("3", _l("Extremely difficult"))]
GAD7_ITEMS = (
    _l("Feeling nervous, anxious or on edge"),
    _l("Not being able to stop or control worrying"),
    _l("Worrying too much about different things"),
    _l("Trouble relaxing"),
    _l("Being so restless that it is hard to sit still"),
    _l("Becoming easily annoyed or irritable"),
    _l("Feeling afraid as if something awful might happen"),
)
HIT6_ANSWER_LABELS = {"never": _l("Never"), "rarely": _l("Rarely"), "sometimes": _l("Sometimes"),
                      "very_often": _l("Very often"), "always": _l("Always")}


class QuestionnairesBase(IntakeForm):
    step = "questionnaires"
    instruments = ()


def questionnaire_form_class(*, midas=True, phq9=True, gad7=True, hit6_item_text=()):
    """The questionnaire step's form with the instruments switched on. HIT-6 items only come
    with the clinic's licensed item text (six strings)."""
    fields, instruments = {}, []
    if midas:
        instruments.append("midas")
        for key, label, hint in MIDAS_ITEMS:
            fields[key] = WholeNumberField(label, [Required()], description=hint or "")
    if phq9:
        instruments.append("phq9")
        for number, text in enumerate(PHQ9_ITEMS, start=1):
            fields[f"phq9_{number}"] = NumberChoiceField(text, [Required()],
                                                         choices=FREQUENCY_CHOICES)
        fields["phq9_difficulty"] = NumberChoiceField(PHQ9_DIFFICULTY, [Required()],
                                                      choices=DIFFICULTY_CHOICES)
    if gad7:
        instruments.append("gad7")
        for number, text in enumerate(GAD7_ITEMS, start=1):
            fields[f"gad7_{number}"] = NumberChoiceField(text, [Required()],
                                                         choices=FREQUENCY_CHOICES)
    if hit6_item_text and len(hit6_item_text) == 6:
        instruments.append("hit6")
        for number, text in enumerate(hit6_item_text, start=1):
            fields[f"hit6_{number}"] = ChoiceField(
                text, [Required()], choices=labelled(contract.HIT6_ANSWERS, HIT6_ANSWER_LABELS))
    fields["instruments"] = tuple(instruments)
    return type("QuestionnairesForm", (QuestionnairesBase,), fields)


# --- Ketamine pre-screen -----------------------------------------------------------------------

KETAMINE_QUESTIONS = {
    "uncontrolled_hypertension": _l("Do you have high blood pressure that is not well "
                                    "controlled?"),
    "coronary_disease_or_recent_cardiac_event": _l(
        "Do you have heart disease, such as angina, or have you recently had a heart attack or "
        "another heart problem?"),
    "arrhythmia": _l("Do you have an irregular heartbeat (arrhythmia)?"),
    "aneurysm": _l("Have you ever been told you have an aneurysm (a bulging blood vessel)?"),
    "stroke": _l("Have you ever had a stroke?"),
    "raised_intracranial_pressure": _l("Have you been told you have raised pressure inside your "
                                       "head (raised intracranial pressure)?"),
    "glaucoma": _l("Do you have glaucoma or raised pressure in the eye?"),
    "liver_disease": _l("Do you have cirrhosis or another serious liver disease?"),
    "hyperthyroidism": _l("Do you have an overactive thyroid that is not well controlled?"),
    "bladder_problems": _l("Do you have bladder problems, such as pain or blood when passing "
                           "urine, or needing to go very often?"),
    "psychotic_disorder": _l("Have you ever had psychosis or schizophrenia, for example hearing "
                             "voices or seeing things that others did not?"),
    "mania": _l("Have you ever had mania or hypomania, or been told you have bipolar disorder?"),
    "family_history_psychosis": _l("Has a parent, brother, sister or child of yours had "
                                   "psychosis or schizophrenia?"),
    "substance_use_48h": _l("Have you had alcohol or recreational drugs in the last 48 hours?"),
    "substance_use_disorder": _l("Have you ever had a problem with alcohol or drugs, such as "
                                 "dependence or addiction?"),
    "prior_ketamine_use": _l("Have you used ketamine before, as a medicine or otherwise?"),
    "pregnancy_or_breastfeeding": _l("Are you pregnant, could you be pregnant, or are you "
                                     "breastfeeding?"),
}


class KetamineBase(IntakeForm):
    step = "ketamine"
    ketamine_items = contract.KETAMINE_ITEMS


KetamineForm = type("KetamineForm", (KetamineBase,), {
    **{code: YesNoField(KETAMINE_QUESTIONS[code], [Required()])
       for code in contract.KETAMINE_ITEMS},
    "current_medicines": TextAreaField(
        _l("Which medicines do you take now? (optional)"), [MaxLength(1000)],
        render_kw={"rows": 3, "maxlength": 1000},
        description=_l("All of them, also for other conditions, with the dose if you know it.")),
    "allergies": TextAreaField(
        _l("Are you allergic to any medicines or anything else? (optional)"), [MaxLength(1000)],
        render_kw={"rows": 3, "maxlength": 1000}),
    "weight_kg": WholeNumberField(_l("Your weight in kilograms"), [Required()],
                                  description=_l("Used to work out the dose.")),
    "height_cm": WholeNumberField(_l("Your height in centimetres"), [Required()]),
})


# --- Which form for which step -----------------------------------------------------------------

FORMS = {"about": AboutForm, "history": HistoryForm, "pain": PainForm, "medicines": MedicinesForm,
         "ketamine": KetamineForm}


def form_class(step, settings):
    """The form of a step that the patient fills in now (questionnaires: the instruments the
    clinic has switched on). LookupError for a step without a form."""
    if step == "questionnaires":
        return questionnaire_form_class(
            midas=settings.midas, phq9=settings.phq9, gad7=settings.gad7,
            hit6_item_text=settings.hit6_item_text if settings.hit6_items else ())
    try:
        return FORMS[step]
    except KeyError:
        raise LookupError(step) from None


def summary_of(step, settings, answers):
    """The saved answers of a step as label/text lines, for read-only pages. The questionnaire
    lines follow what was answered (an instrument switched off later is still shown)."""
    if step == "questionnaires":
        hit6_text = settings.hit6_item_text if len(settings.hit6_item_text or ()) == 6 else tuple(
            str(_l("HIT-6 question %(n)d", n=n)) for n in range(1, 7))
        cls = questionnaire_form_class(
            midas="midas_q1" in answers, phq9="phq9_1" in answers, gad7="gad7_1" in answers,
            hit6_item_text=hit6_text if "hit6_1" in answers else ())
    else:
        cls = form_class(step, settings)
    return cls(formdata=None, data=answers).summary()


class SubmitForm(FlaskForm):
    """The review page's Submit button: nothing but the CSRF token."""
