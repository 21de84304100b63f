"""Names the clinic types (services, practitioners) in the language of the page or email.

The pages' own text goes through gettext; names typed in the admin pages cannot. Each such name
has a main wording (English, the site's source language) and a Ukrainian one in `<field>_uk`.
Ukrainian pages and Ukrainian emails (rendered under force_locale) show the Ukrainian wording
when the clinic gave one, and the main wording otherwise. Exports, the API, audit snapshots and
CSV files keep the main wording: they are for programs and records, not for reading in a language.
"""
from flask_babel import get_locale


def localized(thing, field):
    """`thing.<field>` in the current language: `thing.<field>_uk` on Ukrainian pages when it is
    not empty. Anything without a Ukrainian field (a patient's name) is shown as it is."""
    if thing is None:
        return None
    value = getattr(thing, field)
    locale = get_locale()
    if locale is not None and locale.language == "uk":
        return getattr(thing, f"{field}_uk", "") or value
    return value


def practitioner_label(practitioner):
    """"Name, title" as a practitioner is offered in a list, in the current language."""
    name, title = localized(practitioner, "full_name"), localized(practitioner, "title")
    return f"{name}, {title}" if title else name
