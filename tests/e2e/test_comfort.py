"""Made for people in pain: less motion when asked, a dark theme chosen by hand that stays, the
same dark colours whichever way dark was chosen, a visible focus ring with enough contrast on
every control of the main pages, and nothing loaded from another host.
"""
import re
from pathlib import Path

import pytest

from tests.conftest import STAFF_PASSWORD

from .browsing import FOCUS_STATE, PHONE, redact
from .conftest import RECEPTIONIST

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "style.css"
DARK_DEVICE = "(prefers-color-scheme: dark)"
DARK_BG = "rgb(24, 27, 29)"     # --bg of the dark theme (#181b1d)
LIGHT_BG = "rgb(246, 245, 241)"  # --bg of the light theme (#f6f5f1)


# --- The stylesheet, read as rules ---------------------------------------------------------------

def css_rules(text):
    """[(media, selector, {property: value})] for every style rule; media is the condition of the
    @media block around it ("" at the top level). Enough CSS for our one stylesheet."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules = []

    def walk(chunk, media):
        position = 0
        while (opening := chunk.find("{", position)) >= 0:
            head = " ".join(chunk[position:opening].split())
            depth, end = 1, opening + 1
            while depth:
                depth += {"{": 1, "}": -1}.get(chunk[end], 0)
                end += 1
            body = chunk[opening + 1:end - 1]
            if head.startswith("@media"):
                walk(body, head.removeprefix("@media").strip())
            elif not head.startswith("@"):
                declarations = {}
                for declaration in body.split(";"):
                    name, colon, value = declaration.partition(":")
                    if colon:
                        declarations[name.strip()] = " ".join(value.split())
                for selector in head.split(","):
                    rules.append((media, selector.strip(), declarations))
            position = end

    walk(text, "")
    return rules


def merged(rules, media, keep=lambda selector: True):
    """{selector: declarations} of the rules under one media condition, later rules winning."""
    result = {}
    for rule_media, selector, declarations in rules:
        if rule_media == media and keep(selector):
            result.setdefault(selector, {}).update(declarations)
    return result


def by_hand(selector, theme):
    return f':root[data-theme="{theme}"]' if selector == ":root" else \
        f'[data-theme="{theme}"] {selector}'


def test_the_stylesheet_stops_every_animation_and_transition_for_reduced_motion():
    rules = css_rules(STYLESHEET.read_text(encoding="utf-8"))
    still = [declarations for media, selector, declarations in rules
             if "prefers-reduced-motion: reduce" in media and selector == "*"]
    assert still, "no `@media (prefers-reduced-motion: reduce) { * { ... } }` block"
    assert any(d.get("animation") == "none !important" and d.get("transition") == "none !important"
               for d in still), still


def test_the_dark_theme_by_hand_has_exactly_the_values_of_the_device_dark_theme():
    """Every rule under prefers-color-scheme: dark has a twin for <html data-theme="dark"> with the
    same values, and a "light by hand" twin on a dark device with the light values again."""
    rules = css_rules(STYLESHEET.read_text(encoding="utf-8"))
    not_by_hand = lambda selector: "data-theme" not in selector  # noqa: E731
    device_dark = merged(rules, DARK_DEVICE, not_by_hand)
    top = merged(rules, "")
    light_on_dark_device = merged(rules, DARK_DEVICE)
    assert ":root" in device_dark and "--bg" in device_dark[":root"]
    differences = []
    for selector, declarations in device_dark.items():
        dark_twin = top.get(by_hand(selector, "dark"), {})
        light_twin = light_on_dark_device.get(by_hand(selector, "light"), {})
        for name, value in declarations.items():
            if dark_twin.get(name) != value:
                differences.append(f"{by_hand(selector, 'dark')} {{ {name}: {value} }} "
                                   f"(has {dark_twin.get(name)})")
            light = top.get(selector, {}).get(name)
            if light_twin.get(name) != light:
                differences.append(f"{DARK_DEVICE} {by_hand(selector, 'light')} "
                                   f"{{ {name}: {light} }} (has {light_twin.get(name)})")
    assert not differences, "missing or different in static/style.css:\n" + "\n".join(differences)
    assert top[':root[data-theme="dark"]'].get("color-scheme") == "dark"
    assert top[':root[data-theme="light"]'].get("color-scheme") == "light"


# --- In the browser ------------------------------------------------------------------------------

@pytest.fixture
def context(browser, live_server):
    """new(**options) -> (browser context, page): a phone, no CSP bypass (the app's own policy
    holds), every request and every policy complaint in the console recorded."""
    made = []

    def new(**options):
        context = browser.new_context(viewport=PHONE, base_url=live_server.url,
                                      locale="en-GB", **options)
        context.requests = []
        context.complaints = []
        context.on("request", lambda request: context.requests.append(request.url))
        page = context.new_page()
        page.on("console", lambda message: context.complaints.append(message.text)
                if "Content Security Policy" in message.text else None)
        made.append(context)
        return context, page

    yield new
    for context in made:
        context.close()


def root_colours(page):
    return page.evaluate("""() => {
      const style = getComputedStyle(document.documentElement);
      const names = [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
        .filter((rule) => rule.selectorText === ":root")
        .flatMap((rule) => [...rule.style]).filter((name) => name.startsWith("--"));
      return Object.fromEntries(
        [...new Set(names)].map((name) => [name, style.getPropertyValue(name).trim()]));
    }""")


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def served_theme(response):
    match = re.search(r"<html[^>]*\sdata-theme=\"(\w+)\"", response.text())
    return match and match[1]


def test_reduced_motion_leaves_nothing_moving_on_the_page(context):
    """With the device asking for less motion, nothing on the page has an animation or a
    transition, not even a part whose own rule asks for one (a probe added to the stylesheet)."""
    _, page = context(reduced_motion="reduce")
    page.goto("/book/1?lang=en")
    moving = page.evaluate("""() => {
      const sheet = document.styleSheets[0];
      sheet.insertRule("@keyframes e2e-pulse { from { opacity: 0.2; } to { opacity: 1; } }",
                       sheet.cssRules.length);
      sheet.insertRule(".e2e-probe, .e2e-probe::after { transition: opacity 2s, color 1s; " +
                       "animation: e2e-pulse 1s infinite; content: ''; }", sheet.cssRules.length);
      const probe = document.createElement("p");
      probe.className = "e2e-probe";
      document.querySelector("main").append(probe);
      const found = [];
      for (const element of document.querySelectorAll("*")) {
        for (const pseudo of [null, "::before", "::after"]) {
          const style = getComputedStyle(element, pseudo);
          const times = (style.transitionDuration + "," + style.animationDuration).split(",");
          if (style.animationName !== "none" || times.some((time) => parseFloat(time) > 0)) {
            found.push(element.tagName + (pseudo || "") + "." + element.className);
          }
        }
      }
      return found;
    }""")
    assert moving == []


def test_a_dark_theme_chosen_by_hand_stays_on_the_next_pages(context, live_server):
    """On a light device, the header's switch (Tab, Enter) turns the page dark at once, and the
    pages after it, public and staff, come dark from the server; the switch turns it back."""
    ctx, page = context(color_scheme="light")
    page.goto("/?lang=en")
    assert background(page) == LIGHT_BG
    for _stop in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('[data-theme-switch]')"):
            break
    state = page.evaluate(FOCUS_STATE, "[data-theme-switch]")
    assert state["wanted"] and state["outline"] != "none", state
    page.keyboard.press("Enter")
    assert page.get_attribute("html", "data-theme") == "dark"
    page.wait_for_function(f"getComputedStyle(document.body).backgroundColor === '{DARK_BG}'")
    assert "theme=light" in page.get_attribute("[data-theme-switch]", "href")

    for path in ("/book/1", "/staff/sign-in"):
        response = page.goto(path)
        assert served_theme(response) == "dark", path
        assert background(page) == DARK_BG, path
    page.fill("#email", RECEPTIONIST)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert background(page) == DARK_BG and page.get_attribute("html", "data-theme") == "dark"

    page.click("[data-theme-switch]")
    response = page.goto("/")
    assert served_theme(response) == "light" and background(page) == LIGHT_BG
    assert ctx.complaints == [], "theme.js broke the Content Security Policy"


def test_the_theme_switch_works_without_javascript(context):
    _, page = context(java_script_enabled=False, color_scheme="light")
    page.goto("/?lang=en")
    with page.expect_navigation():
        page.click("[data-theme-switch]")
    assert page.get_attribute("html", "data-theme") == "dark"
    assert background(page) == DARK_BG
    response = page.goto("/book/1")
    assert served_theme(response) == "dark" and background(page) == DARK_BG
    response = page.goto("/book/1?theme=auto")  # back to the device's choice
    assert served_theme(response) is None and background(page) == LIGHT_BG


def test_dark_by_hand_and_dark_from_the_device_give_the_same_colours(context, live_server):
    def page_for(device, chosen=None):
        ctx, page = context(color_scheme=device)
        if chosen:
            ctx.add_cookies([{"name": "theme", "value": chosen, "url": live_server.url}])
        page.goto("/?lang=en")
        return page

    device_dark, hand_dark = page_for("dark"), page_for("light", "dark")
    device_light, hand_light = page_for("light"), page_for("dark", "light")
    assert root_colours(hand_dark) == root_colours(device_dark)
    assert root_colours(hand_light) == root_colours(device_light)
    assert root_colours(device_dark)["--bg"] != root_colours(device_light)["--bg"]
    assert background(hand_dark) == background(device_dark) == DARK_BG
    assert background(hand_light) == background(device_light) == LIGHT_BG


def contrast(first, second):
    def luminance(colour):
        red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", colour)[:3])
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in (red, green, blue)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_control_of_the_main_pages_shows_a_focus_ring_that_stands_out(context, theme):
    """Tab through every stop of the home, times and sign-in pages and the reception calendar:
    each shows an outline of at least 2px, in a colour of at least 3:1 against what is around it
    (WCAG 1.4.11)."""
    ctx, page = context(color_scheme=theme)
    page.goto("/staff/sign-in?lang=en")
    page.fill("#email", RECEPTIONIST)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    problems = []
    for path in ("/?lang=en", "/book/1", "/staff/calendar"):
        page.goto(path)
        first, stops = None, 0
        while stops < 400:
            page.keyboard.press("Tab")
            stops += 1
            state = page.evaluate(FOCUS_STATE, "*")
            if state is None:
                continue
            key = (state["tag"], state["id"], state["text"], state["cls"])
            if key == first:
                break  # round the page once
            first = first or key
            ratio = contrast(state["outlineColour"], state["around"])
            if state["outline"] == "none" or state["outlineWidth"] < 2:
                problems.append(f"{path}: no ring on {key}")
            elif ratio < 3:
                problems.append(f"{path}: ring {state['outlineColour']} on {state['around']} "
                                f"({ratio:.2f}:1) on {key}")
        assert stops > 5, path
    assert not problems, "\n".join(problems)


def test_no_request_leaves_the_test_server(context, live_server):
    """Every request a page makes (styles, scripts, images, fonts) goes to 127.0.0.1."""
    ctx, page = context(color_scheme="dark")
    for path in ("/?lang=uk", "/book/1", "/book/5/course", "/staff/sign-in"):
        page.goto(path)
    page.fill("#email", RECEPTIONIST)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/staff/calendar/week")
    assert len(ctx.requests) >= 10
    elsewhere = [redact(url) for url in ctx.requests
                 if not url.startswith(live_server.url + "/")]
    assert elsewhere == []
    assert live_server.url.startswith("http://127.0.0.1:")
