"""Ukrainian on every page: each page of the app (tests/site_pages.py, from the url_map), with
the demo data, rendered in Ukrainian, shows no English text that the catalogue translates, and
no English wording of a name the clinic typed in both languages (services, practitioners).

The catalogue is compiled from the committed .po into a temporary folder (as tests/test_i18n.py
does), so this checks the .po and the code together. A catalogue message shown in English on a
Ukrainian page means the page printed the msgid itself: a string that never went through gettext
with the page's language (a module constant translated at import time, a label built in
English, a name without the `localized` filter).

What may stay English: messages whose Ukrainian is the same text (MIDAS's items, "PHQ-9"), and
what people typed (patients' names, addresses, notes).
"""
import re
import shutil
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from flask_migrate import upgrade
from sqlalchemy import select

from booking.extensions import db
from booking.models import Practitioner, Service
from tests.conftest import NOW, make_app, running, sign_in, sqlite_only
from tests.site_pages import every_page, prepare
from tests.test_i18n import CATALOGUE, compiled_translations  # noqa: F401  (a fixture)

pytestmark = sqlite_only  # the demo is built in its own SQLite file; pages do not depend on it

# Text a person reads besides the text between tags.
READ_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "data-label")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class ReadableText(HTMLParser):
    """The lines of text a person reads on a page, each text node and each attribute above as
    one line. Not read: <script> and <style>, what someone typed (<textarea>), and what is
    marked as another language (the language switch's "English")."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines = []
        self._skip, self._skip_tag = 0, None

    def handle_starttag(self, tag, attrs):
        # Script and style, and what is marked as another language (the language switch's
        # "English"), are not read as this page's text.
        if self._skip and tag == self._skip_tag:
            self._skip += 1
        elif not self._skip and (tag in ("script", "style", "textarea") or (
                dict(attrs).get("lang", "uk") != "uk" and tag != "html")):
            self._skip, self._skip_tag = 1, tag
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.lines.append(" ".join(value.split()))
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.lines.append(" ".join((dict(attrs).get("value") or "").split()))

    def handle_endtag(self, tag):
        if self._skip and tag == self._skip_tag:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.lines.append(text)


def readable_lines(page_html):
    parser = ReadableText()
    parser.feed(page_html)
    return [line for line in parser.lines if line]


class English:
    """The English texts that must not appear on a Ukrainian page."""

    def __init__(self, catalogue, names):
        self.whole = set()      # a line that is exactly one of these is English
        self.inside = []        # (text, regex) found inside a line: longer messages
        for message in catalogue:
            if not message.id or message.fuzzy:
                continue
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            strings = message.string if isinstance(message.string, (list, tuple)) \
                else (message.string,)
            for msgid in ids:
                if not msgid or not LATIN_WORD.search(msgid) \
                        or any(msgid in string for string in strings if string):
                    continue  # kept in English on purpose (MIDAS), or no words to read
                self._add(msgid)
        for name in names:
            self._add(name)

    def _add(self, text):
        chunks = [chunk.strip() for chunk in PLACEHOLDER.split(text)[::2] if chunk.strip()]
        if not PLACEHOLDER.search(text):
            self.whole.add(" ".join(text.split()))
        # Inside a longer line: a literal stretch of at least three words (word boundaries).
        for chunk in chunks:
            words = chunk.split()
            if len(LATIN_WORD.findall(chunk)) >= 3:
                self.inside.append((chunk, re.compile(
                    r"(?<![\w])" + r"\s+".join(map(re.escape, words)) + r"(?![\w])")))

    def found_in(self, lines):
        found = [line for line in lines if line in self.whole]
        text = "\n".join(lines)
        for chunk, pattern in self.inside:
            if chunk.split()[0] in text and pattern.search(text):
                found.append(chunk)
        return sorted(set(found))


@pytest.fixture(scope="module")
def demo_site(migrated_template, tmp_path_factory, compiled_translations):  # noqa: F811
    """An app on a copy of the demo (built at NOW), in Ukrainian by default."""
    path = tmp_path_factory.mktemp("ukrainian-pages") / "demo.sqlite"
    shutil.copy(migrated_template, path)
    app = make_app(f"sqlite:///{path}", FROZEN_NOW=NOW, BABEL_DEFAULT_LOCALE="uk",
                   BABEL_TRANSLATION_DIRECTORIES=compiled_translations)
    with running(app):
        from booking.demo import load_demo_data
        upgrade()
        assert load_demo_data(now=NOW)
    site = prepare(app, now=NOW)
    with running(app):
        names = []
        for service in db.session.execute(select(Service)).scalars():
            names += [text for text, uk in ((service.name, service.name_uk),
                                            (service.description, service.description_uk))
                      if uk and uk != text]
        for person in db.session.execute(select(Practitioner)).scalars():
            names += [text for text, uk in ((person.full_name, person.full_name_uk),
                                            (person.title, person.title_uk)) if uk and uk != text]
        pages = every_page(app, site)
    return app, site, pages, names


def test_the_check_finds_an_english_message_and_an_english_name_but_not_midas():
    with CATALOGUE.open("rb") as file:
        english = English(read_po(file, locale="uk"), ["First consultation with a neurologist"])
    lines = readable_lines(
        '<h1>Book an appointment</h1><p>Ваш запис: First consultation with a neurologist.</p>'
        '<p title="Cancel the appointment">x</p><script>var a = "Book an appointment";</script>'
        "<p>On how many days in the last 3 months did you have a headache?</p>"
        "<p>Записатися на прийом</p>")
    assert english.found_in(lines) == ["Book an appointment", "Cancel the appointment",
                                       "First consultation with a neurologist"]


def test_every_page_in_ukrainian_shows_no_english_the_catalogue_translates(demo_site):
    app, site, pages, names = demo_site
    with CATALOGUE.open("rb") as file:
        english = English(read_po(file, locale="uk"), names)
    problems = []
    with running(app):
        patient, staff = app.test_client(), app.test_client()
        assert sign_in(staff, site.staff_email).status_code == 303
        for page in pages:
            client = staff if page.staff else patient
            response = client.get(page.url, follow_redirects=True)
            assert response.status_code == 200, (page.url, response.status_code)
            assert '<html lang="uk"' in response.get_data(as_text=True), page.url
            found = english.found_in(readable_lines(response.get_data(as_text=True)))
            if found:
                problems.append(f"{page.endpoint} {page.label}: " + " | ".join(found[:12]))
    assert not problems, "English on Ukrainian pages:\n" + "\n".join(problems)


def test_every_message_of_the_demo_written_in_ukrainian_has_no_english_the_catalogue_translates(
        demo_site):
    """The emails, SMS, Viber and Telegram messages the demo queued for Ukrainian-speaking
    patients and staff: subject and text (the HTML part holds the same words)."""
    from booking.models import OutboxMessage

    app, _site, _pages, names = demo_site
    with CATALOGUE.open("rb") as file:
        english = English(read_po(file, locale="uk"), names)
    problems, checked = [], 0
    with running(app):
        messages = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.language == "uk")).scalars().all()
        for message in messages:
            checked += 1
            lines = [" ".join(line.split()) for line in
                     [message.subject, *message.text_body.splitlines()] if line.strip()]
            found = english.found_in(lines)
            if found:
                problems.append(f"{message.kind} ({message.channel}): " + " | ".join(found[:8]))
    assert checked >= 10, checked  # the demo writes to its patients
    assert not problems, "English in Ukrainian messages:\n" + "\n".join(problems)


@pytest.mark.parametrize("label, english, ukrainian", [
    ("1m", "1 month", "1 місяць"), ("3m", "3 months", "3 місяці"),
    ("6m", "6 months", "6 місяців"), ("21m", "21 months", "21 місяць"),
])
def test_follow_up_months_take_the_plural_form_of_the_language(
        compiled_translations, label, english, ukrainian):  # noqa: F811
    from flask_babel import force_locale

    from booking.courses.follow_ups import label_words

    app = make_app("sqlite://", BABEL_TRANSLATION_DIRECTORIES=compiled_translations)
    with app.test_request_context():
        with force_locale("en"):
            assert label_words(label) == english
        with force_locale("uk"):
            assert label_words(label) == ukrainian
