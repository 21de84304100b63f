"""Every page of the app, in a real browser: nothing scrolls sideways, no intake page is longer
than about four phone screens, and axe-core finds no serious or critical problem.

The pages come from the app's url_map (tests/site_pages.py), so a new route is walked as soon as
it exists, with ids from the demo data. Patients' pages are measured at 360 and 390 px, staff
pages at 768 and 1280 px (and 390, for a clinician with a phone in hand); each in Ukrainian and
English. A page
fails when the document is wider than the window (document.documentElement.scrollWidth >
window.innerWidth); the report names the elements that stick out. Hiding the overflow of the
whole page (overflow-x: hidden on <html> or <body>) is not a fix and fails too.

One browser context per language and audience; each page is loaded once and measured at every
width by resizing the window, the widths taking the light and the dark theme in turn (the theme
attribute static/theme.js sets), so every page is seen in both themes and the walk stays quick.
axe-core runs once on every page: every other page in Ukrainian in the light theme, the others
in English in the dark one. The HTML served is kept for the Nu checker (test_validity.py).
"""
import pytest

from tests.conftest import NOW, STAFF_PASSWORD
from tests.site_pages import every_page, prepare

from .browsing import AXE, AXE_RUN, PHONE, SERIOUS, redact
from .conftest import LANGUAGES, THEMES

PHONE_WIDTHS = (360, 390)
STAFF_WIDTHS = (768, 1280, 390)
# An intake page is short enough to fill in with a migraine: about four phone screens at most,
# in Ukrainian (the longer language), at 390 px.
TALLEST_INTAKE_PAGE = 4 * PHONE["height"]

# What sticks out of the window: the deepest elements whose box passes its right edge (their
# parents stick out because of them), and whether the page hides its overflow.
MEASURE = """(theme) => {
  document.documentElement.setAttribute("data-theme", theme);
  const width = window.innerWidth;
  const root = document.documentElement;
  const hidden = [root, document.body].filter((el) =>
    ["hidden", "clip"].includes(getComputedStyle(el).overflowX)).map((el) => el.tagName);
  const all = [...document.body.querySelectorAll("*")];
  const deepest = (found) =>
    found.filter((el) => !found.some((other) => other !== el && el.contains(other)));
  const describe = (el, what) => {
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (typeof el.className === "string" && el.className ? "." + el.className.split(" ").join(".") : "");
    return `${name} "${(el.innerText || "").trim().slice(0, 40)}" ${what}`;
  };
  // Text wider than its own box (a word cut off or running under its neighbour), outside the
  // boxes made to scroll, to end in "...", or to be read by screen readers only.
  const cut = deepest(all.filter((el) => {
    if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) return false;
    const style = getComputedStyle(el);
    for (let box = el.parentElement; box; box = box.parentElement) {  // inside a hidden box
      if (box.clientWidth <= 2 && getComputedStyle(box).overflow !== "visible") return false;
    }
    return el.clientWidth > 2 && !(el instanceof SVGElement)
      && !["auto", "scroll"].includes(style.overflowX) && style.textOverflow !== "ellipsis"
      && !["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
  })).slice(0, 5).map((el) => describe(el, `needs ${el.scrollWidth}px, has ${el.clientWidth}px`));
  if (root.scrollWidth <= width) return {wide: root.scrollWidth, culprits: [], hidden, cut};
  const out = all.filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 0.5;
  });
  const culprits = deepest(out).slice(0, 5).map(
    (el) => describe(el, `right=${Math.round(el.getBoundingClientRect().right)}`));
  return {wide: root.scrollWidth, culprits, hidden, cut};
}"""


def _axe(page, where, theme):
    page.evaluate("(theme) => document.documentElement.setAttribute('data-theme', theme)",
                  theme)
    page.add_script_tag(path=str(AXE))
    return [f"{where} ({theme}): axe {v['impact']} {v['id']} ({v['help']}): "
            + " | ".join(v["nodes"]) for v in page.evaluate(AXE_RUN) if v["impact"] in SERIOUS]


@pytest.fixture(scope="module")
def pages(live_server):
    site = prepare(live_server.app, now=NOW)
    return site, every_page(live_server.app, site)


def _signed_in(context, site):
    page = context.new_page()
    page.goto("/staff/sign-in")
    page.fill("#email", site.staff_email)
    page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/staff/sign-in" not in page.url, "the every-role account could not sign in"
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_page_scrolls_sideways_on_a_phone_or_at_the_desk(browser, live_server, pages,
                                                            visited_pages, lang):
    site, found = pages
    problems, measured = [], set()
    for staff in (False, True):
        widths = STAFF_WIDTHS if staff else PHONE_WIDTHS
        context = browser.new_context(
            viewport={"width": widths[0], "height": PHONE["height"]}, base_url=live_server.url,
            locale="uk-UA" if lang == "uk" else "en-GB", timezone_id="Europe/Kyiv",
            bypass_csp=True)  # axe-core is added as a <script>
        context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        try:
            page = _signed_in(context, site) if staff else context.new_page()
            for target in [p for p in found if p.staff == staff]:
                response = page.goto(target.url)
                if response is None or response.status >= 400:
                    problems.append(f"[{lang}] {redact(target.url)}: HTTP "
                                    f"{response and response.status}")
                    continue
                if page.url in measured:  # a redirect to a page already measured
                    continue
                measured.add(page.url)
                visited_pages.add(redact(target.url), response.status, response.text())
                where = f"[{lang}] {redact(page.url.removeprefix(live_server.url))}"
                if len(measured) % 2 == LANGUAGES.index(lang):
                    problems += _axe(page, where, "light" if lang == "uk" else "dark")
                for number, width in enumerate(widths):
                    theme = THEMES[number % len(THEMES)]
                    page.set_viewport_size({"width": width, "height": PHONE["height"]})
                    result = page.evaluate(MEASURE, theme)
                    found_here = [f"overflow-x hidden on {name}" for name in result["hidden"]]
                    if result["cut"]:
                        found_here.append("text cut off: " + "; ".join(result["cut"]))
                    if result["wide"] > width:
                        found_here.append(f"{result['wide']}px wide: "
                                          + "; ".join(result["culprits"]))
                    if target.intake_step and lang == "uk" and width == PHONE["width"]:
                        height = page.evaluate("document.documentElement.scrollHeight")
                        if height > TALLEST_INTAKE_PAGE:
                            found_here.append(f"{height}px tall: an intake page may be "
                                              f"{TALLEST_INTAKE_PAGE}px (four screens)")
                    problems += [f"{where} at {width}px ({theme}): {problem}"
                                 for problem in found_here]
                page.set_viewport_size({"width": widths[0], "height": PHONE["height"]})
        finally:
            context.close()
    assert len(measured) >= 40, "fewer pages than the app has"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
