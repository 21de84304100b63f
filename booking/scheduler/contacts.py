"""Checking and normalising what a patient types about themselves. Plain functions, no Flask.

The HTML form and the JSON API both end up here (through the booking service), so one set of
rules and one set of messages serves both doors.
"""
import re
from dataclasses import dataclass
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

MIN_AGE_YEARS = 18
MAX_AGE_YEARS = 120
MAX_NAME_LENGTH = 120
# Numbers typed without a country code are read as Ukrainian (050 123 45 67).
DEFAULT_PHONE_REGION = "UA"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PatientDetails:
    full_name: str
    email: str
    phone: str  # E.164
    date_of_birth: date


class InvalidDetails(Exception):
    """Some fields are wrong; `fields` maps each field name to a message for the person."""

    def __init__(self, fields):
        super().__init__("invalid patient details")
        self.fields = fields


def normalise_phone(raw):
    """'+380 50 123 45 67', '050-123-45-67' -> '+380501234567'; ValueError when not a phone."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international_phone(number):
    """A phone number as people read it, the same everywhere (pages, emails, calendar files):
    Ukrainian numbers grouped the Ukrainian way, '+380501234567' -> '+380 50 123 45 67';
    others in the international format of their country. Text that is not a valid number is
    returned as it is (stored data is never hidden)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(str(number), DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return str(number)
    if not phonenumbers.is_valid_number(parsed):
        return str(number)
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == 380 and len(national) == 9:
        return f"+380 {national[:2]} {national[2:5]} {national[5:7]} {national[7:]}"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_link(number):
    """A tel: link for a number: E.164 when it is a valid number, else the text without spaces."""
    try:
        return "tel:" + normalise_phone(str(number))
    except ValueError:
        return "tel:" + str(number).replace(" ", "")


def normalise_email(raw):
    """Syntax check only (no DNS: the clinic must work offline); lower-cased for matching."""
    result = validate_email(raw, check_deliverability=False)
    return result.normalized.lower()


def age_on(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def clean_patient_details(full_name, email, phone, date_of_birth, *, today):
    """Return PatientDetails, or raise InvalidDetails naming every wrong field at once."""
    errors = {}

    full_name = " ".join(str(full_name or "").split())
    if not full_name:
        errors["full_name"] = _l("Please enter your full name.")
    elif len(full_name) > MAX_NAME_LENGTH or _CONTROL_CHARS.search(full_name):
        errors["full_name"] = _l("Please enter a name of at most %(n)d letters.", n=MAX_NAME_LENGTH)

    clean_email = None
    try:
        clean_email = normalise_email(str(email or "").strip())
    except EmailNotValidError:
        errors["email"] = _l("Please enter an email address like name@example.com.")

    clean_phone = None
    try:
        clean_phone = normalise_phone(str(phone or "").strip())
    except ValueError:
        errors["phone"] = _l("Please enter a phone number in international format, e.g. +380 50 123 45 67.")

    if isinstance(date_of_birth, str):
        try:
            date_of_birth = date.fromisoformat(date_of_birth)
        except ValueError:
            date_of_birth = None
    if not isinstance(date_of_birth, date):
        errors["date_of_birth"] = _l("Please enter your date of birth (YYYY-MM-DD).")
    elif date_of_birth > today or age_on(date_of_birth, today) > MAX_AGE_YEARS:
        errors["date_of_birth"] = _l("Please check your date of birth.")
    elif age_on(date_of_birth, today) < MIN_AGE_YEARS:
        errors["date_of_birth"] = _l(
            "Online booking is for adults (18 and over). Please call the clinic."
        )

    if errors:
        raise InvalidDetails({field: str(message) for field, message in errors.items()})
    return PatientDetails(full_name, clean_email, clean_phone, date_of_birth)
