"""Which channel a message goes by, and how long a short text is: PURE (stdlib only).

Channels: email, sms, viber, telegram. Every patient has email (they book with it); SMS and
Viber go to their phone through TurboSMS, Telegram to the chat they linked. Anything but email
only with the patient's opt-in (`consented`), and only when the clinic has set that gateway up
(`available`).

The rules (README, "Messages: SMS, Viber and Telegram"):
- Confirmations (with their .ics) always go by email, and so does anything not listed in
  CHOSEN_CHANNEL_KINDS (the waitlist's "you are on the list", staff alerts ...).
- Reminders, questionnaire nudges, changes, course decisions, waitlist offers, follow-ups and
  diary prompts go by the patient's chosen channel. A change that carries a calendar update
  (.ics) is also emailed, so the calendar entry follows the change.
- When the chosen channel fails for good (a blocked bot, an invalid number), the message falls
  back to email: the email is queued with the short message, held, and released only then.
"""
from dataclasses import dataclass
from datetime import date

EMAIL, SMS, VIBER, TELEGRAM = "email", "sms", "viber", "telegram"
CHANNELS = (EMAIL, SMS, VIBER, TELEGRAM)
PHONE_CHANNELS = (SMS, VIBER)  # to the patient's phone number, through TurboSMS
ALERT_CHANNELS = (SMS, TELEGRAM)  # staff urgent alerts on the phone, beside the email

CHOSEN_CHANNEL_KINDS = frozenset({
    "reminder", "intake_nudge", "reschedule", "cancellation", "course_change",
    "course_confirmed", "course_declined", "waitlist_offer", "follow_up",
})
# The diary's prompts (its own kinds, e.g. "diary_reminder") go by the chosen channel too.
CHOSEN_CHANNEL_PREFIXES = ("diary",)


def goes_by_chosen_channel(kind):
    return kind in CHOSEN_CHANNEL_KINDS or kind.startswith(CHOSEN_CHANNEL_PREFIXES)


def needs_consent(channel):
    return channel != EMAIL


def available_channels(*, turbosms, telegram):
    """The channels the clinic offers: email always; SMS and Viber with a TurboSMS token;
    Telegram with a bot (token and username)."""
    return (EMAIL,) + ((SMS, VIBER) if turbosms else ()) + ((TELEGRAM,) if telegram else ())


def offered(config):
    """available_channels from the settings (a mapping: TURBOSMS_TOKEN, TELEGRAM_BOT_TOKEN and
    TELEGRAM_BOT_USERNAME)."""
    return available_channels(
        turbosms=bool(config.get("TURBOSMS_TOKEN")),
        telegram=bool(config.get("TELEGRAM_BOT_TOKEN") and config.get("TELEGRAM_BOT_USERNAME")))


@dataclass(frozen=True)
class Reach:
    """How one patient can be reached, as plain values."""
    email: str | None
    phone: str | None
    telegram_chat: str | None
    preferred: str = EMAIL
    consented: bool = False


def address_for(reach, channel):
    """The patient's address on `channel`, or None when they have none there."""
    if channel == EMAIL:
        return reach.email or None
    if channel in PHONE_CHANNELS:
        return reach.phone or None
    if channel == TELEGRAM:
        return reach.telegram_chat or None
    return None


def chosen_channel(reach, available):
    """The channel the patient's messages go by now: their preference when they opted in, the
    clinic offers it and they have an address there; else email."""
    channel = reach.preferred
    if channel != EMAIL and reach.consented and channel in available \
            and address_for(reach, channel):
        return channel
    return EMAIL


@dataclass(frozen=True)
class Route:
    channel: str           # the channel of the short message, or "email"
    address: str | None    # its address there
    email_too: bool        # the email goes as well (not held as a fallback)
    email_fallback: bool   # the email is held, sent only if the short message fails for good


def route(kind, reach, available, *, carries_calendar=False):
    """How a message of `kind` reaches the patient: by email only, or by a short message on
    their chosen channel with the email held as its fallback (or sent too, for a calendar
    update)."""
    channel = chosen_channel(reach, available) if goes_by_chosen_channel(kind) else EMAIL
    if channel == EMAIL:
        return Route(EMAIL, reach.email or None, email_too=False, email_fallback=False)
    has_email = bool(reach.email)
    return Route(channel, address_for(reach, channel),
                 email_too=has_email and carries_calendar,
                 email_fallback=has_email and not carries_calendar)


# --- SMS length -------------------------------------------------------------------------------

# GSM 03.38: the basic set costs one septet a character, the extension set two.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def sms_segments(text):
    """How many SMS a text takes: GSM-7 160 characters alone or 153 a part; any other
    character (Cyrillic) makes it UCS-2: 70 alone or 67 a part."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        units = sum(2 if ch in GSM_EXTENSION else 1 for ch in text)
        single, part = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


# --- Telegram buttons ---------------------------------------------------------------------------

# A reminder's buttons send back "<action>:<appointment id>" (Telegram allows 64 bytes).
BUTTON_ACTIONS = ("come", "cancel", "cancel_yes", "cancel_no", "move")


def button_data(action, appointment_id):
    if action not in BUTTON_ACTIONS:
        raise ValueError(action)
    return f"{action}:{int(appointment_id)}"


def parse_button_data(data):
    """(action, appointment id) from a button's data, or None for anything else."""
    action, _sep, number = (data or "").partition(":")
    if action not in BUTTON_ACTIONS or not number.isdigit() or len(number) > 12:
        return None
    return action, int(number)


# A diary prompt's quick answer "No headache" sends "nohead:<patient id>:<YYYYMMDD>": the day
# the prompt was for, whenever it is pressed.
DIARY_NO_HEADACHE = "nohead"


def diary_button_data(patient_id, day):
    return f"{DIARY_NO_HEADACHE}:{int(patient_id)}:{day:%Y%m%d}"


def parse_diary_button(data):
    """(patient id, day) from a diary button's data, or None."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != DIARY_NO_HEADACHE or not parts[1].isdigit() \
            or len(parts[1]) > 12 or not parts[2].isdigit() or len(parts[2]) != 8:
        return None
    try:
        day = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:]))
    except ValueError:
        return None
    return int(parts[1]), day
