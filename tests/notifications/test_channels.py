"""The channel rules (booking/channels.py, pure): which channel a message goes by, its fallback,
SMS lengths, and the data of Telegram buttons."""
import pytest

from booking import channels
from booking.channels import Reach, route

ALL = ("email", "sms", "viber", "telegram")
PATIENT = dict(email="olena@example.com", phone="+380501234567", telegram_chat="4242")


def reach(preferred, consented=True, **changes):
    return Reach(**{**PATIENT, **changes}, preferred=preferred, consented=consented)


@pytest.mark.parametrize("kind", ["reminder", "intake_nudge", "waitlist_offer", "follow_up",
                                  "course_confirmed", "diary_reminder", "diary_prompt"])
@pytest.mark.parametrize("channel", ["sms", "viber", "telegram"])
def test_reminders_offers_follow_ups_and_diary_prompts_go_by_the_chosen_channel(kind, channel):
    way = route(kind, reach(channel), ALL)
    assert (way.channel, way.email_fallback, way.email_too) == (channel, True, False)
    assert way.address == ("4242" if channel == "telegram" else "+380501234567")


@pytest.mark.parametrize("kind", ["confirmation", "course_confirmation", "waitlist_joined",
                                  "urgent_alert"])
def test_confirmations_and_other_messages_stay_email(kind):
    way = route(kind, reach("sms"), ALL)
    assert (way.channel, way.address, way.email_fallback) == ("email", "olena@example.com",
                                                              False)


def test_a_change_with_a_calendar_update_goes_both_ways():
    way = route("reschedule", reach("viber"), ALL, carries_calendar=True)
    assert (way.channel, way.email_too, way.email_fallback) == ("viber", True, False)


@pytest.mark.parametrize("why, patient, offered", [
    ("no opt-in", reach("sms", consented=False), ALL),
    ("the clinic has no SMS gateway", reach("sms"), ("email", "telegram")),
    ("no Telegram chat linked yet", reach("telegram", telegram_chat=None), ALL),
    ("no phone number", reach("viber", phone=None), ALL),
    ("chose email", reach("email"), ALL),
])
def test_without_consent_a_gateway_or_an_address_it_is_email(why, patient, offered):
    assert route("reminder", patient, offered).channel == "email", why


def test_only_the_gateways_set_up_are_offered():
    assert channels.available_channels(turbosms=False, telegram=False) == ("email",)
    assert channels.available_channels(turbosms=True, telegram=True) == ALL
    assert channels.offered({"TELEGRAM_BOT_TOKEN": "t"}) == ("email",)  # no username: no link


@pytest.mark.parametrize("text, segments", [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("я" * 70, 1), ("я" * 71, 2), ("я" * 134, 2), ("я" * 135, 3),
    ("Expio: " + "€" * 76, 1),  # an extension character counts twice
    ("Expio: " + "€" * 77, 2),
])
def test_sms_segments_follow_gsm_7_and_ucs_2(text, segments):
    assert channels.sms_segments(text) == segments


@pytest.mark.parametrize("data, parsed", [
    ("come:12", ("come", 12)), ("cancel_yes:7", ("cancel_yes", 7)),
    ("drop:1", None), ("come:", None), ("come:-1", None), ("come:1x", None), ("", None),
    (None, None), ("come:" + "9" * 13, None),
])
def test_button_data_is_parsed_strictly(data, parsed):
    assert channels.parse_button_data(data) == parsed


def test_button_data_fits_telegrams_64_bytes():
    data = channels.button_data("cancel_yes", 10 ** 12 - 1)
    assert len(data.encode()) <= 64 and channels.parse_button_data(data) == ("cancel_yes",
                                                                              10 ** 12 - 1)


def test_a_diary_buttons_data_names_the_patient_and_the_day():
    from datetime import date

    data = channels.diary_button_data(42, date(2026, 12, 7))
    assert data == "nohead:42:20261207" and len(data.encode()) <= 64
    assert channels.parse_diary_button(data) == (42, date(2026, 12, 7))
    for wrong in ("nohead:42", "nohead:x:20261207", "nohead:42:20261332", "come:42:20261207",
                  "nohead:42:2026120", None):
        assert channels.parse_diary_button(wrong) is None
