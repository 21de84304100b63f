"""Languages: Ukrainian (the default) and English.

- The Ukrainian catalogue has every message the code and templates use, none fuzzy, with the
  same placeholders (compared with a fresh `pybabel extract`, as `make messages-extract` runs it).
- No template shows text outside gettext.
- Pages, dates, emails and questionnaires in Ukrainian; the language switch.

The tests use an app created with BABEL_DEFAULT_LOCALE="uk" (the production default; the rest of
the suite runs in English) and a catalogue compiled from the committed .po into a temporary
folder, so they check the .po itself, whether or not `make messages-compile` has run.
"""
import html
import os
import re
from datetime import date, datetime, time
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale
from jinja2 import Environment
from sqlalchemy import select

from booking.extensions import db
from booking.intake import forms as intake_forms
from booking.intake import services as intake
from booking.models import (
    OutboxMessage,
    Patient,
    QuestionnaireResponse,
)
from booking.scheduler import services as booking
from booking.templating import language_links
from config import BASE_DIR, Config, TestingConfig
from booking.auth import services as staff_accounts
from tests.conftest import (NOW, PATIENT, STAFF_PASSWORD, add_consultation, make_app, running,
                            sign_in)
from tests.intake.test_flow import FORM

PROJECT = Path(BASE_DIR)
CATALOGUE = PROJECT / "translations" / "uk" / "LC_MESSAGES" / "messages.po"
TEMPLATES = PROJECT / "templates"
KYIV = ZoneInfo("Europe/Kyiv")
TUESDAY_10 = datetime.combine(date(2026, 12, 8), time(10), tzinfo=KYIV)

# The same keywords and folders as `make messages-extract` (Makefile). Babel's default would skip
# every folder whose name starts with "_" (templates/_macros).
EXTRACT_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")
IGNORE_DIRS = ".* __pycache__ node_modules"

MIDAS_NOTE = "Цей опитувальник наведено англійською: офіційного українського перекладу немає"
PHQ9_ITEM_1_UK = "Мало цікавості або задоволення від того, що Ви робите"
GAD7_ITEM_1_UK = "Відчуття нервовості, тривоги або сильного напруження"
MIDAS_Q1 = ("On how many days in the last 3 months did you miss work or school because of your "
            "headaches?")


# --- Helpers ---------------------------------------------------------------------------------

def text(response):
    return html.unescape(response.get_data(as_text=True))


def words(response):
    """The page as a person reads it: tags dropped, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def switch_links(response):
    """{lang: (href, current)} of the language switch in the page header."""
    nav = re.search(r'<nav class="lang-switch".*?</nav>', text(response), re.S)
    assert nav, "no language switch on the page"
    return {lang: (href, "aria-current" in attrs)
            for href, lang, attrs in re.findall(
                r'<a href="([^"]*)" hreflang="(\w+)"([^>]*)>', nav[0])}


def extract_messages(tmp_path):
    """A fresh extraction of every message, as `make messages-extract` does it."""
    pot = tmp_path / "fresh.pot"
    args = ["pybabel", "-q", "extract", "--mapping-file", str(PROJECT / "babel.cfg"),
            "--ignore-dirs", IGNORE_DIRS, "--output-file", str(pot)]
    for keyword in EXTRACT_KEYWORDS:
        args += ["--keywords", keyword]
    CommandLineInterface().run([*args, str(PROJECT)])
    with pot.open("rb") as file:
        return read_po(file)


def ukrainian_catalogue():
    with CATALOGUE.open("rb") as file:
        return read_po(file, locale="uk")


# --- Fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def compiled_translations(tmp_path_factory):
    """translations/ compiled from the committed .po files into a temporary folder."""
    folder = tmp_path_factory.mktemp("translations")
    for po in (PROJECT / "translations").glob("*/LC_MESSAGES/messages.po"):
        target = folder / po.relative_to(PROJECT / "translations")
        target.parent.mkdir(parents=True)
        with po.open("rb") as source, target.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, read_po(source))
    return str(folder)


@pytest.fixture
def uk_app(database_uri, compiled_translations):
    """The app as production runs it: Ukrainian unless someone asks for English."""
    with running(make_app(database_uri, FROZEN_NOW=NOW, BABEL_DEFAULT_LOCALE="uk",
                          BABEL_TRANSLATION_DIRECTORIES=compiled_translations)) as app:
        yield app


@pytest.fixture
def client(uk_app):
    return uk_app.test_client()


@pytest.fixture
def consultation(uk_app):
    return add_consultation()


@pytest.fixture
def ukrainian_booking(consultation):
    """A booking made from a Ukrainian page (the booking view passes the page's language)."""
    return booking.book(service_id=consultation.id, start=TUESDAY_10, patient=dict(PATIENT),
                        consent=True, source="online", language="uk")


def intake_url(token, step=""):
    return f"/manage/{token}/intake" + (f"/{step}" if step else "")


def signed_in(app, *roles):
    """A test client of `app` signed in as a new member of staff with these roles."""
    email = f"{'-'.join(roles)}@example.com"
    staff_accounts.create_staff(email, STAFF_PASSWORD, roles)
    staff = app.test_client()
    assert sign_in(staff, email).status_code == 303
    return staff


def fill_intake(client, token, *steps):
    for step in steps:
        data = {**FORM[step], "language": "uk"} if step == "about" else FORM[step]
        response = client.post(intake_url(token, step), data=data)
        assert response.status_code == 303, (step, words(response)[:2000])


# --- The catalogue ---------------------------------------------------------------------------

def test_the_configuration_finds_the_committed_catalogues():
    if "BABEL_DEFAULT_LOCALE" not in os.environ:
        assert Config.BABEL_DEFAULT_LOCALE == "uk"
    assert TestingConfig.BABEL_DEFAULT_LOCALE == "en"
    assert Path(Config.BABEL_TRANSLATION_DIRECTORIES) == PROJECT / "translations"
    assert CATALOGUE.is_file()
    assert set(Config.LANGUAGES) == {"uk", "en"}


def test_every_message_has_a_ukrainian_translation_that_is_not_fuzzy(tmp_path):
    fresh = extract_messages(tmp_path)
    catalogue = ukrainian_catalogue()
    missing, fuzzy, empty = [], [], []
    for message in fresh:
        if not message.id:
            continue
        # A message with a context (pgettext) is its own entry: msgctxt + msgid.
        translated = catalogue.get(message.id, message.context)
        name = f"{message.context}|{message.id}" if message.context else message.id
        if translated is None:
            missing.append(name)
        elif translated.fuzzy:
            fuzzy.append(name)
        elif not all(translated.string if message.pluralizable else [translated.string]):
            empty.append(name)
    assert not missing, f"not in the Ukrainian catalogue (make messages-update): {missing[:20]}"
    assert not fuzzy, f"fuzzy in the Ukrainian catalogue (check and unmark them): {fuzzy[:20]}"
    assert not empty, f"not translated into Ukrainian: {empty[:20]}"


def test_ukrainian_messages_keep_their_placeholders_and_three_plural_forms():
    catalogue = ukrainian_catalogue()
    assert catalogue.num_plurals == 3
    problems = [(message.id, [str(error) for error in errors])
                for message, errors in catalogue.check()]
    assert not problems, problems[:10]
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(message.string) == 3 and all(message.string), message.id


def test_messages_in_folders_starting_with_an_underscore_are_extracted(tmp_path):
    """Babel skips folders named "_..." unless told otherwise: templates/_macros holds text too."""
    fresh = extract_messages(tmp_path)
    assert fresh.get("Choose…") is not None  # templates/_macros/choices.html
    assert ukrainian_catalogue().get("Choose…").string == "Виберіть…"


# Short words used in several senses, and the Ukrainian each sense needs (pgettext).
CONTEXTS = [
    ("service", "Name", "Назва"), ("person", "Name", "Імʼя"),
    ("patient books", "Book", "Записатися"), ("staff books a caller", "Book", "Записати"),
    ("change an answer", "Change", "Змінити"), ("difference", "Change", "Зміна"),
    ("service", "Active", "Активна"), ("sex", "Other", "Інша"),
    ("headache character", "Other", "Інший"), ("end of the course", "Discharge", "Кінець курсу"),
    ("course", "Reference", "Номер курсу"), ("the current booking", "Now", "Поточний запис"),
]


@pytest.mark.parametrize("context, word, ukrainian", CONTEXTS)
def test_a_short_word_gets_the_ukrainian_its_sense_needs(uk_app, context, word, ukrainian):
    with uk_app.test_request_context("/"):
        assert render_template_string("{{ pgettext(c, w) }}", c=context, w=word) == ukrainian
        with force_locale("en"):
            assert render_template_string("{{ pgettext(c, w) }}", c=context, w=word) == word


def test_the_catalogue_header_keeps_a_glossary():
    assert "Glossary" in CATALOGUE.read_text(encoding="utf-8").split('msgid ""')[0]


# --- Templates: no text outside gettext ------------------------------------------------------

# Text a template may show as it is: punctuation and numbers, the clinic's brand, an email
# address, a phone number.
ALLOWED_TEXT = re.compile(r"""^(?:
    [\W\d_]+                                  # punctuation, numbers, symbols
  | Expio
  | [\w.+-]+@[\w-]+(?:\.[\w-]+)+              # an email address
  | \+?[\d][\d ()-]{6,}                       # a phone number
)$""", re.X)
# Attributes a person reads or hears.
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
_jinja = Environment(extensions=["jinja2.ext.i18n"])


def template_text(source):
    """The template's own text (outside {{ }} and {% %}, and outside {% trans %} blocks), with a
    space where an expression or a statement was."""
    parts, in_trans, tokens = [], False, list(_jinja.lex(source))
    for index, (_, kind, value) in enumerate(tokens):
        if kind == "block_begin":
            following = next((t for t in tokens[index + 1:] if t[1] != "whitespace"), None)
            if following and following[1] == "name" and following[2] in ("trans", "pluralize"):
                in_trans = True
            elif following and following[1] == "name" and following[2] == "endtrans":
                in_trans = False
            parts.append(" ")
        elif kind == "variable_begin":
            parts.append(" ")
        elif kind == "data" and not in_trans:
            parts.append(value)
    return "".join(parts)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.check(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.check(data)

    def check(self, value):
        value = " ".join(value.split())
        if value and re.search(r"[^\W\d_]", value) and not ALLOWED_TEXT.match(value):
            self.found.append(value)


def untranslated_text(source, *, markup=True):
    """Text a person would read that does not go through gettext."""
    own = template_text(source)
    if not markup:  # plain-text emails: every line is read
        return [line.strip() for line in own.splitlines()
                if re.search(r"[^\W\d_]", line) and not ALLOWED_TEXT.match(line.strip())]
    finder = _TextFinder()
    finder.feed(own)
    finder.close()
    return finder.found


def all_templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("source, found", [
    ("<p>Book now</p>", ["Book now"]),
    ('<input placeholder="Your name">', ["Your name"]),
    ("<p>{{ _('Book now') }}</p>", []),
    ("<p>{% trans %}Book now{% endtrans %}</p>", []),
    ('<p class="x">{{ clinic.phone }} · 10:00–19:00, +380 44 123 45 67</p>', []),
    ("<p>Expio</p><p>booking@expio.ua</p>", []),
    ('<h{{ level }} class="day-title">{{ day }}</h{{ level }}>', []),
])
def test_the_template_check_finds_text_outside_gettext(source, found):
    assert untranslated_text(source) == found


def test_no_template_shows_text_outside_gettext():
    problems = {}
    for path in all_templates():
        found = untranslated_text(path.read_text(encoding="utf-8"), markup=path.suffix == ".html")
        if found:
            problems[str(path.relative_to(PROJECT))] = found
    assert not problems, f"wrap these in {{{{ _(...) }}}}: {problems}"


# --- Pages in Ukrainian, and the switch ------------------------------------------------------

def test_the_home_page_is_in_ukrainian_by_default(client, consultation):
    response = client.get("/")
    page = words(response)
    assert response.status_code == 200
    assert '<html lang="uk"' in text(response)
    assert "Записатися на прийом" in page
    assert "Послуги, на які можна записатися онлайн" in page
    assert "Працюємо з понеділка по пʼятницю, з 10:00 до 19:00 (за київським часом)." in page
    assert "Book an appointment" not in page


def test_lang_en_shows_english_and_is_remembered_in_a_long_lived_cookie(client, consultation):
    response = client.get("/?lang=en")
    assert '<html lang="en"' in text(response)
    assert "Book an appointment" in words(response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;")
    assert int(re.search(r"Max-Age=(\d+)", cookie)[1]) >= 180 * 24 * 3600
    assert "SameSite=Lax" in cookie and "Path=/" in cookie

    later = client.get("/")  # no ?lang: the cookie decides
    assert '<html lang="en"' in text(later)
    assert "Services you can book online" in words(later)

    back = client.get("/?lang=uk")
    assert back.headers["Set-Cookie"].startswith("lang=uk;")
    assert "Записатися на прийом" in words(client.get("/"))


def test_an_unknown_language_is_ignored(client, consultation):
    response = client.get("/?lang=de")
    assert '<html lang="uk"' in text(response)
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize("accept_language, language", [
    ("ru", "uk"),                                    # common in Kyiv: Ukrainian, not English
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),
    ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
    ("de-DE,de;q=0.9", "uk"),                        # nothing we speak: the default
    ("", "uk"),
    ("en;q=0.5,uk;q=0.5", "uk"),                     # a tie: the default
    ("en-US,en;q=0.9", "en"),
    ("en-GB,en;q=0.9,uk;q=0.8", "en"),               # English preferred over Ukrainian
    ("en,ru;q=0.9", "en"),
    ("de,en;q=0.7", "en"),                           # English is the only one we speak
])
def test_the_browsers_languages_choose_ukrainian_unless_english_is_preferred(
        client, consultation, accept_language, language):
    response = client.get("/", headers={"Accept-Language": accept_language})
    assert f'<html lang="{language}"' in text(response)
    assert "Accept-Language" in response.headers["Vary"]


def test_a_chosen_language_beats_the_browsers(client, consultation):
    client.get("/?lang=en")
    response = client.get("/", headers={"Accept-Language": "ru,uk;q=0.9"})
    assert '<html lang="en"' in text(response)


def test_the_switch_keeps_the_page_and_its_query(client, consultation):
    url = f"/book/{consultation.id}?week=2026-12-14&practitioner=any"
    response = client.get(url)
    links = switch_links(response)
    assert set(links) == {"uk", "en"}
    assert links["uk"][1] is True and links["en"][1] is False  # the page's language is marked
    english_href = links["en"][0]
    assert english_href.startswith(f"/book/{consultation.id}?")
    assert "week=2026-12-14" in english_href and "practitioner=any" in english_href
    assert english_href.endswith("lang=en")
    assert re.search(r'<a href="[^"]*" hreflang="uk" lang="uk"[^>]*>Українська</a>', text(response))
    assert re.search(r'<a href="[^"]*" hreflang="en" lang="en"[^>]*>English</a>', text(response))

    english = client.get(english_href)
    assert english.status_code == 200
    assert "14 December – 20 December 2026" in words(english)  # the same week, in English
    assert english.headers["Set-Cookie"].startswith("lang=en;")
    assert switch_links(english)["en"][1] is True


def test_the_switch_never_links_to_another_site(uk_app):
    with uk_app.test_request_context(environ_overrides={"PATH_INFO": "//evil.example/a b"}):
        urls = [url for _code, _name, url, _current in language_links()]
    assert urls == ["/evil.example/a%20b?lang=uk", "/evil.example/a%20b?lang=en"]


def test_the_switch_is_on_staff_pages_too(client):
    response = client.get("/staff/sign-in")
    assert "Вхід для персоналу" in words(response)
    assert switch_links(response)["en"][0] == "/staff/sign-in?lang=en"


def test_names_and_book_buttons_say_what_they_mean_on_ukrainian_pages(uk_app, client,
                                                                       consultation):
    home = text(client.get("/"))
    assert re.search(r'class="button" href="/book/\d+">Записатися<', home)  # the patient books
    staff = signed_in(uk_app, "admin", "receptionist")
    services = words(staff.get("/staff/admin/services"))
    assert "Назва" in services and "Активна" in services and "Імʼя" not in services
    people = words(staff.get("/staff/admin/staff"))
    assert "Імʼя" in people and "Назва" not in people
    assert "Назва" in words(staff.get("/staff/admin/services/new"))  # the form's label
    calendar = words(staff.get("/staff/calendar?day=2026-12-08"))
    assert "Записати за дзвінком" in calendar  # reception books a caller
    book = text(staff.get(f"/staff/book?service={consultation.id}&practitioner=any"
                          "&day=2026-12-08&start=2026-12-08T10:00:00%2B02:00"))
    assert re.search(r'<button class="button button-primary" type="submit">Записати</button>',
                     book)


def test_an_error_page_is_in_ukrainian(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Ми не знайшли цю сторінку." in words(response)


# --- Dates, times and phone numbers ----------------------------------------------------------

def test_the_slot_page_shows_ukrainian_weekdays_and_months_and_24_hour_times(client,
                                                                            consultation):
    page = words(client.get(f"/book/{consultation.id}"))
    assert "вівторок, 8 грудня 2026" in page
    assert "7 грудня – 13 грудня 2026" in page
    assert re.search(r"\b10:00\b", page) and re.search(r"\b17:30\b", page)
    assert not re.search(r"\b(?:AM|PM|a\.m\.|p\.m\.)", page)
    assert "Tuesday" not in page and "December" not in page


@pytest.mark.parametrize("language, expected", [
    ("uk", ["пт, 4 грудня, 10:00", "пʼятниця, 4 грудня 2026, 10:00", "пʼятниця, 4 грудня 2026",
            "17:30"]),
    ("en", ["Fri, 4 December, 10:00", "Friday, 4 December 2026, 10:00",
            "Friday, 4 December 2026", "17:30"]),
])
def test_dates_and_times_are_written_in_the_pages_language(uk_app, language, expected):
    morning = datetime(2026, 12, 4, 10, 0, tzinfo=KYIV)
    evening = datetime(2026, 12, 4, 17, 30, tzinfo=KYIV)
    with uk_app.test_request_context(f"/?lang={language}"):
        shown = render_template_string(
            "{{ at | local_datetime('short') }}|{{ at | local_datetime }}|{{ day | local_date }}"
            "|{{ later | local_time }}", at=morning, day=morning.date(), later=evening)
    assert shown.split("|") == expected


def test_phone_numbers_are_shown_in_international_format(uk_app):
    with uk_app.test_request_context("/"):
        shown = render_template_string(
            "{{ '+380501234567' | phone }}|{{ '0501234567' | phone }}"
            "|{{ '+380 7373 080 88' | phone }}|{{ '+4915123456789' | phone }}"
            "|{{ 'not a phone' | phone }}")
    assert shown.split("|") == ["+380 50 123 45 67", "+380 50 123 45 67", "+380 73 730 80 88",
                                "+49 1512 3456789", "not a phone"]


def test_phones_are_written_alike_on_staff_pages_public_pages_and_emails(
        uk_app, client, ukrainian_booking):
    appointment, _token = ukrainian_booking
    desk = signed_in(uk_app, "receptionist")
    for url in (f"/staff/appointments/{appointment.id}",
                f"/staff/patients/{appointment.patient_id}"):
        page = text(desk.get(url))
        assert "+380 50 123 45 67" in page, url  # the patient's, as stored: +380501234567
        assert 'href="tel:+380501234567"' in page, url
    home = text(client.get("/"))
    assert "+380 73 730 80 88" in home and 'href="tel:+380737308088"' in home  # the clinic's
    email = db.session.execute(select(OutboxMessage)).scalar_one()
    assert "+380 73 730 80 88" in email.text_body and "+380 7373" not in email.text_body


@pytest.mark.parametrize("language, expected", [
    ("uk", ["3,5", "0,750", "2,0", "12\u00a0345,5", "4", "\u2014"]),
    ("en", ["3.5", "0.750", "2.0", "12,345.5", "4", "\u2014"]),
])
def test_decimals_are_written_with_the_languages_decimal_sign(uk_app, language, expected):
    with uk_app.test_request_context(f"/?lang={language}"):
        shown = render_template_string(
            "{{ '3.5' | number }}|{{ amount | number }}|{{ '2.0' | number }}|{{ 12345.5 | number }}"
            "|{{ 4 | number }}|{{ '\u2014' | number }}", amount=Decimal("0.750"))
    assert shown.split("|") == expected


# --- Booking and emails ----------------------------------------------------------------------

def book_from_the_page(client, service, when="2026-12-08T10:00:00+02:00"):
    response = client.post(f"/book/{service.id}/details?start={when}&practitioner=any",
                           data={**PATIENT, "start": when, "consent": "y"})
    assert response.status_code == 303, words(response)[:2000]
    return response


def test_booking_in_ukrainian_remembers_the_language_and_sends_a_ukrainian_email(
        client, consultation):
    details = client.get(f"/book/{consultation.id}/details?start=2026-12-08T10:00:00%2B02:00"
                         "&practitioner=any")
    assert "вівторок, 8 грудня 2026" in words(details)
    assert "Закону України «Про захист персональних даних»" in words(details)

    manage = client.get(book_from_the_page(client, consultation).headers["Location"])
    assert "Вас записано на прийом" in words(manage)

    patient = db.session.execute(select(Patient)).scalar_one()
    assert patient.language == "uk"
    email = db.session.execute(select(OutboxMessage)).scalar_one()
    assert email.kind == "confirmation"
    assert email.language == "uk"
    assert email.subject == "Ваш прийом у клініці Expio: вівторок, 8 грудня 2026, 10:00"
    assert "Вітаємо, Test Patient!" in email.text_body
    assert "Вас записано на прийом у клініці Expio." in email.text_body
    assert "Номер запису:" in email.text_body
    assert "Вас записано на прийом у клініці Expio." in html.unescape(email.html_body)
    assert "Your appointment" not in email.text_body


def test_a_patient_who_chose_english_gets_english_pages_and_emails(client, consultation):
    client.get("/?lang=en")
    book_from_the_page(client, consultation)
    assert db.session.execute(select(Patient)).scalar_one().language == "en"
    email = db.session.execute(select(OutboxMessage)).scalar_one()
    assert email.language == "en"
    assert email.subject == "Your appointment at Expio: Tuesday, 8 December 2026, 10:00"


# --- Questionnaires --------------------------------------------------------------------------

def test_the_questionnaires_page_in_ukrainian(client, ukrainian_booking):
    _, token = ukrainian_booking
    fill_intake(client, token, "about", "history", "pain", "medicines")
    # Each questionnaire is a page of its own (booking/intake/pages.py).
    page = " ".join(words(client.get(intake_url(token, name)))
                    for name in ("midas", "phq9", "gad7"))

    # PHQ-9 and GAD-7: the official Ukrainian wording.
    assert PHQ9_ITEM_1_UK in page
    assert GAD7_ITEM_1_UK in page
    assert "Жодного разу" in page and "Майже щодня" in page
    assert "Little interest or pleasure in doing things" not in page
    # MIDAS: English wording, and the page says why, in Ukrainian.
    assert MIDAS_NOTE in page
    assert MIDAS_Q1 in page
    assert "Please answer these questions about ALL the headaches" in page


def test_midas_keeps_its_english_wording_in_the_ukrainian_catalogue():
    catalogue = ukrainian_catalogue()
    for _key, label, hint in intake_forms.MIDAS_ITEMS:
        for message in (label, hint):
            if message is not None:  # outside an app, a lazy string is its msgid
                assert catalogue.get(str(message)).string == str(message)


def test_each_response_stores_the_language_its_questions_were_shown_in(client,
                                                                      ukrainian_booking):
    appointment, token = ukrainian_booking
    fill_intake(client, token, "about", "history", "pain", "medicines", "questionnaires")
    assert client.post(intake_url(token, "submit")).status_code == 303

    responses = {r.instrument: r.language for r in db.session.execute(
        select(QuestionnaireResponse)).scalars()}
    assert responses == {"phq9": "uk", "gad7": "uk", "midas": "en"}
    assert intake.intake_status(appointment) == "submitted"
