"""Jinja helpers: clinic details everywhere, instants shown in the clinic's time zone in the
page's language, decimals with the language's decimal sign, phone numbers in international
format, and the language switch."""
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, urlencode

from flask import current_app, request
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .localized import localized
from .scheduler.contacts import international_phone, phone_link

# The switch names each language in that language (an autonym is never translated).
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}
# ?lang=xx is remembered this long in the "lang" cookie (booking.select_locale reads it).
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# A browser asking for one of these is given the language it maps to, at the same preference.
# In Kyiv a browser set to Russian belongs to someone who reads Ukrainian: Ukrainian, not English.
READ_AS = {"ru": "uk"}


def preferred_language(accept_languages, supported, default):
    """The language for a browser's Accept-Language ([(tag, quality)], best first): the
    supported language it prefers most, counting READ_AS ("ru" as "uk"); English only when it
    is preferred over Ukrainian; a tie, or nothing we speak, gives `default`."""
    preference = {}
    for tag, quality in accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        code = READ_AS.get(primary, primary)
        if code in supported and quality > 0:
            preference[code] = max(preference.get(code, 0), quality)
    if not preference:
        return default
    best = max(preference.values())
    if preference.get(default) == best:
        return default
    return next(code for code in supported if preference.get(code) == best)

# Patterns shared by both languages; Babel supplies the names: "пт, 4 грудня, 10:00" /
# "Fri, 4 December, 10:00". Always the 24-hour clock (HH), never a.m./p.m.
DATE_LONG = "EEEE, d MMMM y"          # "пʼятниця, 4 грудня 2026" / "Friday, 4 December 2026"
DATETIME_LONG = "EEEE, d MMMM y, HH:mm"
DATE_SHORT = "EEE, d MMMM"            # "пт, 4 грудня" / "Fri, 4 December"
DATETIME_SHORT = "EEE, d MMMM, HH:mm"  # "пт, 4 грудня, 10:00" / "Fri, 4 December, 10:00"
TIME = "HH:mm"

# The clinic's details come from config (English defaults). Each one is shown through gettext,
# so the defaults below are translated; a value set in the environment that has no
# translation is shown as it is.
CLINIC_TEXTS = (
    _l("Center of Psychotherapy, Psychosomatics and Psychedelic Medicine Expio"),
    _l("Kyiv"),
    _l("Kyiv, Ukraine"),
)


def local_number(value):
    """A number as the page's language writes it, with exactly the digits it was given: "3.5" ->
    "3,5" in Ukrainian, "3.5" in English; "0.750" keeps three decimals, "4.0" keeps one (the
    pure modules round; this only writes). Text that is not a number (the em dash of a figure
    that cannot be worked out) is shown as it is. Pages and emails only: CSV and JSON keep the
    dot, for programs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    places = max(0, -number.as_tuple().exponent)
    return format_decimal(number, format="#,##0" + ("." + "0" * places if places else ""))


def hryvnias(value):
    """A price in whole hryvnias as the page's language writes it: "1 500 грн" / "1,500 UAH"."""
    return gettext("%(amount)s UAH", amount=format_decimal(value, format="#,##0"))


def _same_page():
    """This page's path, safe to put in a link: percent-encoded, and with one leading slash (a
    path such as //example.org would otherwise link to another site)."""
    return quote(request.script_root + "/" + request.path.lstrip("/"))


def language_links():
    """[(code, name, url, current)] for the switch: the page being shown, with its query kept and
    lang=<code> set (the view keeps working on GET; a form's POST is shown as its page)."""
    current = str(get_locale())
    supported = current_app.config["LANGUAGES"]
    # Ukrainian first (the default), then the others.
    codes = [code for code in LANGUAGE_NAMES if code in supported]
    codes += [code for code in supported if code not in codes]
    args = request.args.copy()
    links = []
    for code in codes:
        args["lang"] = code
        url = f"{_same_page()}?{urlencode(list(args.items(multi=True)))}"
        links.append((code, LANGUAGE_NAMES.get(code, code), url, code == current))
    return links


def remember_language(response):
    """after_request: ?lang=xx (a supported language) is kept in a long-lived cookie, so the
    next pages, and the patient's booking, stay in that language."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/",
                            samesite="Lax", httponly=True,
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    # The same URL is shown in another language for another cookie or browser language.
    if response.mimetype == "text/html":
        response.vary.update(("Cookie", "Accept-Language"))
    return response


# The colour theme chosen by hand: ?theme=dark|light on any page, remembered in the "theme"
# cookie (static/theme.js writes the same cookie without a reload); ?theme=auto forgets it. With
# no choice the device's prefers-color-scheme decides (static/style.css).
THEMES = ("light", "dark")
THEME_COOKIE = "theme"


def chosen_theme():
    """"light", "dark", or None (follow the device), for <html data-theme="...">."""
    value = request.args.get("theme") or request.cookies.get(THEME_COOKIE)
    return value if value in THEMES and request.args.get("theme") != "auto" else None


def theme_link():
    """(theme, url): the other theme than the one chosen, on the page being shown."""
    target = "light" if chosen_theme() == "dark" else "dark"
    args = request.args.copy()
    args["theme"] = target
    return target, f"{_same_page()}?{urlencode(list(args.items(multi=True)))}"


def remember_theme(response):
    """after_request: keep ?theme=light|dark in a cookie (not HttpOnly: theme.js sets it too)."""
    chosen = request.args.get("theme")
    if chosen in THEMES and request.cookies.get(THEME_COOKIE) != chosen:
        response.set_cookie(THEME_COOKIE, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/",
                            samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    elif chosen == "auto" and THEME_COOKIE in request.cookies:
        response.delete_cookie(THEME_COOKIE, path="/")
    return response


def register_template_helpers(app):
    # <html lang="..."> and language-aware templates; Flask-Babel 4 does not add it itself.
    app.add_template_global(get_locale, "get_locale")
    app.add_template_global(language_links, "language_links")
    app.after_request(remember_language)
    app.add_template_global(chosen_theme, "chosen_theme")
    app.add_template_global(theme_link, "theme_link")
    app.after_request(remember_theme)

    @app.context_processor
    def clinic_details():
        config = app.config
        return {
            "clinic": {
                "name": gettext(config["CLINIC_NAME"]),
                "short_name": config["CLINIC_SHORT_NAME"],
                "city": gettext(config["CLINIC_CITY"]),
                "address": gettext(config["CLINIC_ADDRESS"]),
                # The configured number, written like every other phone number on the site.
                "phone": international_phone(config["CLINIC_PHONE"]),
                "phone_link": phone_link(config["CLINIC_PHONE"]),
                "opens": config["CLINIC_OPENS"],
                "closes": config["CLINIC_CLOSES"],
            }
        }

    # Instants are stored in UTC; Flask-Babel shows them in BABEL_DEFAULT_TIMEZONE (the
    # clinic's zone), in the page's language (format_* use get_locale()), 24-hour clock.
    # Plain dates are shown as they are.
    @app.template_filter("local_time")
    def local_time(instant):
        return format_time(instant, TIME)

    @app.template_filter("local_date")
    def local_date(value, style=DATE_LONG):
        return format_date(value, DATE_SHORT if style == "short" else style)

    @app.template_filter("local_datetime")
    def local_datetime(instant, style=DATETIME_LONG):
        return format_datetime(instant, DATETIME_SHORT if style == "short" else style)

    app.add_template_filter(international_phone, "phone")
    # {{ service | localized("name") }}: the Ukrainian wording of a name on Ukrainian pages.
    app.add_template_filter(localized, "localized")
    app.add_template_filter(local_number, "number")
    app.add_template_filter(hryvnias, "hryvnias")
