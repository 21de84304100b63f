"""The clinician's pages in words: labels for the codes an intake stores (statuses, instruments,
bands, flags, answers), and an intake's flags as sentences (what was found, what it means, what
was done for the patient and what to do now). Plain strings for the templates; the scores,
bands and flags themselves are the ones stored on submission (scoring.py computes them).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from . import scoring, validation

INTAKE_STATUS_LABELS = {
    "not_started": _l("Intake not started"), "in_progress": _l("Intake in progress"),
    "submitted": _l("Intake submitted"),
}
INSTRUMENT_NAMES = {"midas": "MIDAS", "phq9": "PHQ-9", "gad7": "GAD-7", "hit6": "HIT-6"}
INSTRUMENT_ORDER = ("midas", "hit6", "phq9", "gad7")

BAND_LABELS = {
    "midas": {"I": _l("Grade I"), "II": _l("Grade II"), "III": _l("Grade III"),
              "IV": _l("Grade IV")},
    "phq9": {"minimal": _l("Minimal"), "mild": _l("Mild"), "moderate": _l("Moderate"),
             "moderately_severe": _l("Moderately severe"), "severe": _l("Severe")},
    "gad7": {"minimal": _l("Minimal"), "mild": _l("Mild"), "moderate": _l("Moderate"),
             "severe": _l("Severe")},
    "hit6": {"little_or_none": _l("Little or no impact"), "some": _l("Some impact"),
             "substantial": _l("Substantial impact"), "severe": _l("Severe impact")},
}
BAND_MEANINGS = {
    "midas": {
        "I": _l("Little or no disability from headache over the last 3 months."),
        "II": _l("Mild disability from headache over the last 3 months."),
        "III": _l("Moderate disability from headache over the last 3 months."),
        "IV": _l("Severe disability from headache over the last 3 months."),
    },
    "phq9": {
        "minimal": _l("Minimal depressive symptoms over the last 2 weeks."),
        "mild": _l("Mild depressive symptoms over the last 2 weeks."),
        "moderate": _l("Moderate depressive symptoms over the last 2 weeks."),
        "moderately_severe": _l("Moderately severe depressive symptoms over the last 2 weeks."),
        "severe": _l("Severe depressive symptoms over the last 2 weeks."),
    },
    "gad7": {
        "minimal": _l("Minimal anxiety symptoms over the last 2 weeks."),
        "mild": _l("Mild anxiety symptoms over the last 2 weeks."),
        "moderate": _l("Moderate anxiety symptoms over the last 2 weeks."),
        "severe": _l("Severe anxiety symptoms over the last 2 weeks."),
    },
    "hit6": {
        "little_or_none": _l("Little or no impact of headaches on daily life (last 4 weeks)."),
        "some": _l("Some impact of headaches on daily life (last 4 weeks)."),
        "substantial": _l("Substantial impact of headaches on daily life (last 4 weeks)."),
        "severe": _l("Severe impact of headaches on daily life (last 4 weeks)."),
    },
}
MIDAS_WARNINGS = {
    "midas_q1_q2_over_90": _l("Q1 + Q2 add up to more than 90 days (they should be different "
                              "days of the same 3 months)."),
    "midas_q3_q4_over_90": _l("Q3 + Q4 add up to more than 90 days (they should be different "
                              "days of the same 3 months)."),
    "midas_item_over_a": _l("A question (Q1-Q5) counts more days than the headache days (A)."),
}

# Flags as stored in IntakeFlag.code (scoring.red_flags), in words.
FLAG_TITLES = {
    "phq9_item9": _l("PHQ-9 item 9 answered above 0"),
    "headache_thunderclap": _l("Sudden, \"worst ever\" (thunderclap) headache"),
    "headache_fever_stiff_neck": _l("Fever with a stiff neck"),
    "headache_neuro_deficit": _l("New neurological deficit"),
    "headache_after_head_injury": _l("Headache after a head injury"),
    "ketamine_prescreen_positive": _l("Ketamine pre-screen positive"),
    "gad7_high": _l("GAD-7 at or above the further-evaluation cut-off"),
    "midas_grade_iv": _l("MIDAS grade IV"),
    "hit6_severe": _l("HIT-6 severe impact"),
    "medication_overuse": _l("Medication-overuse criteria met by history"),
    "possible_medication_overuse": _l("Possible medication overuse (a note)"),
    "chronic_migraine": _l("Chronic migraine criteria met by history"),
    "resistant_migraine": _l("Resistant migraine criteria met by history"),
    # Not a stored flag: the intake was marked urgent by an answer the patient later changed.
    "urgent_answer_changed": _l("An urgent answer was saved, then changed"),
}
FLAG_ACTIONS = {
    "phq9_item9": "crisis_contacts",
    "headache_thunderclap": "emergency_care",
    "headache_fever_stiff_neck": "emergency_care",
    "headache_neuro_deficit": "emergency_care",
    "headache_after_head_injury": "emergency_care",
    "urgent_answer_changed": "contact_patient",
}
URGENT = _l("Urgent")
CRISIS_LABELS = {"emergency": _l("emergency"), "ambulance": _l("ambulance"),
                 "lifeline_ukraine": _l("Lifeline Ukraine")}

ACUTE_CLASS_LABELS = {
    "triptan": _l("Triptan"), "ergotamine": _l("Ergotamine"), "opioid": _l("Opioid"),
    "combination_analgesic": _l("Combination analgesic"), "paracetamol": _l("Paracetamol"),
    "aspirin": _l("Aspirin"), "nsaid": _l("Other NSAID"), "other": _l("Other / not sure"),
    "non_opioid_analgesics": _l("Non-opioid analgesics (paracetamol, aspirin, NSAIDs together)"),
    "multiple_classes": _l("Multiple classes"),
}
EFFECT_LABELS = {"none": _l("No help"), "partial": _l("Helps a little"), "good": _l("Helps well")}
PREVENTIVE_CLASS_LABELS = {
    "beta_blocker": _l("Beta blocker"), "anticonvulsant": _l("Anticonvulsant"),
    "tricyclic": _l("Tricyclic antidepressant"), "snri": _l("SNRI"),
    "calcium_channel_blocker": _l("Calcium channel blocker"),
    "sartan_ace_inhibitor": _l("Sartan / ACE inhibitor"), "cgrp_antibody": _l("CGRP antibody"),
    "gepant": _l("Gepant"), "botulinum_toxin": _l("Botulinum toxin"),
    "other": _l("Other / not sure"),
}
OUTCOME_LABELS = {
    "ineffective": _l("Ineffective"), "not_tolerated": _l("Not tolerated"),
    "partial": _l("Partial effect"), "effective": _l("Effective"), "ongoing": _l("Ongoing"),
}
KETAMINE_LABELS = {
    "uncontrolled_hypertension": _l("Uncontrolled hypertension"),
    "coronary_disease_or_recent_cardiac_event": _l("Coronary disease or recent cardiac event"),
    "arrhythmia": _l("Arrhythmia"),
    "aneurysm": _l("Aneurysm"),
    "stroke": _l("Stroke"),
    "raised_intracranial_pressure": _l("Raised intracranial pressure"),
    "glaucoma": _l("Glaucoma or raised eye pressure"),
    "liver_disease": _l("Cirrhosis or severe liver disease"),
    "hyperthyroidism": _l("Uncontrolled hyperthyroidism"),
    "bladder_problems": _l("Bladder problems"),
    "psychotic_disorder": _l("Psychotic disorder"),
    "mania": _l("Mania or hypomania (bipolar disorder)"),
    "family_history_psychosis": _l("First-degree family history of psychosis"),
    "substance_use_48h": _l("Alcohol or drugs in the last 48 hours"),
    "substance_use_disorder": _l("Substance use disorder"),
    "prior_ketamine_use": _l("Earlier ketamine use"),
    "pregnancy_or_breastfeeding": _l("Pregnancy (possible) or breastfeeding"),
}
SEX_LABELS = {"female": _l("Female"), "male": _l("Male"), "other": lazy_pgettext("sex", "Other"),
              "prefer_not_to_say": _l("Prefers not to say")}
LANGUAGE_LABELS = {"uk": _l("Ukrainian"), "en": _l("English")}
LOCATION_LABELS = {"one_side": _l("One side"), "both_sides": _l("Both sides"),
                   "varies": _l("Varies")}
CHARACTER_LABELS = {"pulsating": _l("Pulsating"), "pressing": _l("Pressing / tightening"),
                    "stabbing": _l("Stabbing"),
                    "other": lazy_pgettext("headache character", "Other")}
AURA_LABELS = {"visual": _l("visual"), "sensory": _l("sensory"), "speech": _l("speech"),
               "motor": _l("motor")}
TRIGGER_LABELS = {"stress": _l("stress"), "sleep": _l("too much or too little sleep"),
                  "menstruation": _l("menstruation"), "alcohol": _l("alcohol"),
                  "food": _l("foods or drinks"), "weather": _l("weather changes"),
                  "screens": _l("screens or bright light"), "skipped_meals": _l("skipped meals")}
MENSTRUAL_LABELS = {"yes": _l("Yes"), "no": _l("No"), "not_applicable": _l("Not applicable")}
FEATURE_LABELS = {"nausea": _l("nausea"), "vomiting": _l("vomiting"),
                  "photophobia": _l("photophobia"), "phonophobia": _l("phonophobia")}
ONSET_LABELS = {"onset_after_head_injury": _l("a head or neck injury"),
                "onset_after_infection": _l("an infection"),
                "onset_after_new_medicine": _l("a new medicine")}
PAIN_LABELS = {"pain_now": _l("Now"), "pain_avg_7d": _l("Average over the last 7 days"),
               "pain_worst_month": _l("Worst in the last month")}
HIT6_ANSWER_LABELS = {"never": _l("Never"), "rarely": _l("Rarely"), "sometimes": _l("Sometimes"),
                      "very_often": _l("Very often"), "always": _l("Always")}
YES, NO, NONE = _l("Yes"), _l("No"), _l("None")


def join(codes, labels):
    return ", ".join(str(labels.get(code, code)) for code in codes)


@dataclass(frozen=True)
class FlagLine:
    code: str
    urgent: bool
    text: str          # "PHQ-9 item 9 answered above 0", with the named items or classes
    meaning: str = ""  # what it means
    action: str = ""   # what was done for the patient, what to do now


def _flag_text(code, details):
    title = str(FLAG_TITLES.get(code, code))
    if code == "ketamine_prescreen_positive" and details:
        return f"{title}: {join(details, KETAMINE_LABELS)}"
    if code in ("medication_overuse", "possible_medication_overuse") and details:
        return f"{title}: {join(details, ACUTE_CLASS_LABELS)}"
    return title


def _flag_meaning(code, details, thresholds):
    t = thresholds
    meanings = {
        "phq9_item9": _l("The patient reported thoughts that they would be better off dead or of "
                         "hurting themselves in the last 2 weeks. Urgent whatever the PHQ-9 "
                         "total."),
        "headache_thunderclap": _l("A sudden, very severe headache that reached its worst within "
                                   "a minute."),
        "headache_fever_stiff_neck": _l("Fever together with a stiff neck."),
        "headache_neuro_deficit": _l("Recent new weakness, numbness, loss of vision, trouble "
                                     "speaking or confusion."),
        "headache_after_head_injury": _l("The headache started after a blow to the head or a "
                                         "head injury."),
        "ketamine_prescreen_positive": _l("A possible contraindication or caution for ketamine "
                                          "was answered yes: %(items)s.",
                                          items=join(details, KETAMINE_LABELS)),
        "gad7_high": _l("GAD-7 total of %(n)d or more: further evaluation for an anxiety "
                        "disorder is recommended.", n=t.gad7_further_evaluation),
        "midas_grade_iv": _l("Severe disability from headache over the last 3 months "
                             "(MIDAS 21 or more)."),
        "hit6_severe": _l("Severe impact of headaches on daily life (HIT-6 60 or more)."),
        "medication_overuse": _l("ICHD-3 8.2 criteria met by history (%(days)d or more headache "
                                 "days a month for more than %(months)d months) for: %(classes)s.",
                                 days=t.overuse_min_headache_days,
                                 months=t.overuse_more_than_months,
                                 classes=join(details, ACUTE_CLASS_LABELS)),
        "possible_medication_overuse": _l(
            "The medicines of one class reach the ICHD-3 8.2 threshold (%(n)d days a month) "
            "only if they were taken on different days, which the answers cannot tell: "
            "%(classes)s. Ask the patient on how many days a month they take any of them.",
            n=t.overuse_min_days_per_class, classes=join(details, ACUTE_CLASS_LABELS)),
        "chronic_migraine": _l("ICHD-3 1.3 criteria met by history."),
        "resistant_migraine": _l("EHF 2020 criteria met by history."),
        "urgent_answer_changed": _l("The intake was marked urgent when an urgent answer (PHQ-9 "
                                    "item 9 or a headache warning sign) was saved; the current "
                                    "answers no longer show it."),
    }
    return str(meanings.get(code, ""))


def _action_text(action):
    if action == "crisis_contacts":
        numbers = ", ".join(f"{CRISIS_LABELS.get(name, name)} {number}"
                            for name, number in scoring.CRISIS_CONTACTS)
        return str(_l("The patient was shown crisis contacts at once (%(numbers)s) and told the "
                      "clinic will contact them today. To do: same-day follow-up, contact the "
                      "patient today.", numbers=numbers))
    if action == "emergency_care":
        return str(_l("The patient was told to seek emergency care now. To do: contact the "
                      "patient today to check that they did."))
    if action == "contact_patient":
        return str(_l("The patient was shown the urgent advice when they saved it. To do: "
                      "contact the patient today."))
    return str(_l("To do: review before the visit."))


def _flag_line(code, urgent, action, details, thresholds=None):
    text = _flag_text(code, details)
    if urgent:
        text = f"{URGENT}: {text}"
    if thresholds is None:
        return FlagLine(code, urgent, text)
    return FlagLine(code, urgent, text, _flag_meaning(code, details, thresholds),
                    _action_text(action))


def flag_lines(intake, thresholds=None):
    """The intake's flags in words, urgent first. Submitted: the stored IntakeFlag rows; in
    progress: the urgent answers saved so far (nothing is computed before submission)."""
    if intake is None:
        return ()
    if intake.status == "submitted":
        lines = [_flag_line(flag.code, flag.urgent, flag.action, list(flag.details or ()),
                            thresholds) for flag in intake.flags]
    else:
        lines = [_flag_line(code, True, FLAG_ACTIONS[code], [], thresholds)
                 for code in validation.urgent_codes(intake.answers or {})]
    if intake.urgent and not any(line.urgent for line in lines):
        # Urgent is sticky (services.py): say why the marker is there.
        lines.append(_flag_line("urgent_answer_changed", True, "contact_patient", [], thresholds))
    return tuple(sorted(lines, key=lambda line: not line.urgent))
