"""What a browser test does on every page a person sees: keep the HTML the server sent (for the
validity check), run axe-core, check the touch targets, and take screenshots on request. Also the
keyboard: Tab until an element has the focus, checking that every stop shows a focus ring.
"""
import re
from pathlib import Path
from urllib.parse import urlsplit

E2E_DIR = Path(__file__).resolve().parent
AXE = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
VNU = E2E_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = E2E_DIR / "screenshots"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Chromium as root, headless, with nothing that calls home (this machine has no network).
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TOUCH_PX = 44  # --touch in static/style.css (2.75rem)
SERIOUS = ("critical", "serious")
TOKEN = re.compile(r"(/manage/)[^/?#]+")

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + ": " + (n.failureSummary || "")),
  }));
}"""

# Controls a finger must hit: at least 44 px high (inline links inside a sentence are exempt).
SMALL_TARGETS = """(touch) => {
  const small = [];
  const describe = (el, r) => el.outerHTML.split(">")[0].slice(0, 90) + "> " +
    `"${(el.innerText || el.value || "").trim().slice(0, 30)}" ` +
    `${Math.round(r.width)}x${Math.round(r.height)}`;
  const shown = (el, r) =>
    r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  const big = "button, .button, input:not([type=hidden]):not([type=radio]):not([type=checkbox])," +
    " select, textarea, label.slot, .choice, .course-start, .cal-free-link, .site-header a," +
    " .staff-nav a, .back a, .week-nav a";
  for (const el of document.querySelectorAll(big)) {
    const r = el.getBoundingClientRect();
    if (el.matches(".visually-hidden[tabindex='-1']")) continue;  // Enter's default button
    if (shown(el, r) && r.height < touch - 0.5) small.push(describe(el, r));
  }
  const boxes = "input[type=radio]:not(.slot-radio), input[type=checkbox]";
  for (const el of document.querySelectorAll(boxes)) {
    const r = el.getBoundingClientRect();
    if (shown(el, r) && (r.height < 23.5 || r.width < 23.5)) small.push(describe(el, r));
  }
  return small;
}"""

FOCUS_STATE = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  // A slot's radio button is hidden under its label: the ring is drawn around the label.
  const ring = el.matches(".slot-radio") ? el.nextElementSibling : el;
  const style = getComputedStyle(ring);
  const r = ring.getBoundingClientRect();
  // The ring sits just outside the element: it is seen against the first background around it.
  let around = ring.parentElement;
  while (around && getComputedStyle(around).backgroundColor === "rgba(0, 0, 0, 0)") {
    around = around.parentElement;
  }
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
    type: el.getAttribute("type") || "", cls: typeof el.className === "string" ? el.className : "",
    text: (el.innerText || el.value || "").trim().slice(0, 40),
    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
    outlineColour: style.outlineColor,
    around: around ? getComputedStyle(around).backgroundColor : "rgb(255, 255, 255)",
    shadow: style.boxShadow, onScreen: r.width > 0 && r.height > 0,
    wanted: el.matches(selector),
  };
}"""


def page_title(html):
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    return " ".join(match[1].split()) if match else ""


def redact(url):
    """Test output names pages without their private tokens."""
    return TOKEN.sub(r"\1[token]", url)


class Visitor:
    """One person in their own browser context (cookies, language, theme), on a phone-sized page.

    `seen(name)` is called on every page of a journey: it keeps the served HTML, runs axe-core and
    the touch-target check, and (with a name) takes the phone and desktop screenshots. Problems are
    collected and reported together by `assert_no_problems()`, with every request that did not go
    to the test server.
    """

    def __init__(self, browser, server, visited_pages, *, lang, theme, label, screenshots=None,
                 javascript=True, bypass_csp=True, color_scheme="light"):
        self.server = server
        self.visited_pages = visited_pages
        self.label = label
        self.screenshots = screenshots
        self.problems = []
        self.requests = []
        # bypass_csp lets axe-core be added as a <script> (the app's CSP allows only its own).
        self.context = browser.new_context(
            viewport=PHONE, base_url=server.url, bypass_csp=bypass_csp,
            java_script_enabled=javascript, color_scheme=color_scheme,
            locale="uk-UA" if lang == "uk" else "en-GB", timezone_id="Europe/Kyiv")
        self.context.set_default_timeout(15_000)
        host = urlsplit(server.url).hostname
        cookies = [{"name": "lang", "value": lang, "domain": host, "path": "/"}]
        if theme == "dark":
            cookies.append({"name": "theme", "value": "dark", "domain": host, "path": "/"})
        self.context.add_cookies(cookies)
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self._document = None
        self.page.on("response", self._keep_document)

    def _keep_document(self, response):
        # The page's own HTML (redirects are only a step towards it).
        if (response.request.resource_type == "document" and response.frame == self.page.main_frame
                and not 300 <= response.status < 400):
            self._document = response

    def close(self):
        self.context.close()

    # --- On every page ---------------------------------------------------------------------

    def seen(self, name=None):
        """The page now shown: keep its HTML, check it, and take screenshots when named."""
        page = self.page
        page.wait_for_load_state("load")
        where = redact(urlsplit(page.url).path + ("?" + urlsplit(page.url).query
                                                   if urlsplit(page.url).query else ""))
        document = self._document
        assert document is not None, f"no HTML document was served for {where}"
        self.visited_pages.add(where, document.status, document.text())
        if not page.evaluate("() => !!window.axe"):
            page.add_script_tag(path=str(AXE))
        for violation in page.evaluate(AXE_RUN):
            if violation["impact"] in SERIOUS:
                self.problems.append(
                    f"[{self.label}] {where}: axe {violation['impact']} {violation['id']} "
                    f"({violation['help']}): " + " | ".join(violation["nodes"]))
        for small in page.evaluate(SMALL_TARGETS, TOUCH_PX):
            self.problems.append(
                f"[{self.label}] {where}: touch target under {TOUCH_PX}px: {small}")
        if name and self.screenshots is not None:
            self.shoot(name)
        return document

    def shoot(self, name):
        stem = f"{self.label}-{name}"
        self.page.screenshot(path=str(self.screenshots / f"{stem}-phone.png"), full_page=True)
        self.page.set_viewport_size(DESKTOP)
        self.page.screenshot(path=str(self.screenshots / f"{stem}-desktop.png"), full_page=True)
        self.page.set_viewport_size(PHONE)

    def assert_no_problems(self):
        elsewhere = [url for url in self.requests
                     if urlsplit(url).scheme != "http" or urlsplit(url).netloc
                     != urlsplit(self.server.url).netloc]
        problems = self.problems + [f"[{self.label}] a request left the test server: {redact(url)}"
                                    for url in elsewhere]
        assert not problems, "\n".join(problems)

    # --- Keyboard ----------------------------------------------------------------------------

    def tab_to(self, selector, *, limit=250, backwards=False):
        """Press Tab until the focused element matches `selector`; every stop on the way must
        show a focus ring (an outline of at least 2px, or a box shadow)."""
        page = self.page
        for _stop in range(limit):
            page.keyboard.press("Shift+Tab" if backwards else "Tab")
            state = page.evaluate(FOCUS_STATE, selector)
            if state is None:
                continue
            ring = (state["outline"] != "none" and state["outlineWidth"] >= 2) or \
                state["shadow"] not in ("", "none")
            if not ring or not state["onScreen"]:
                self.problems.append(
                    f"[{self.label}] {redact(page.url)}: no visible focus on {state}")
            if state["wanted"]:
                return state
        raise AssertionError(f"Tab never reached {selector} on {redact(page.url)}")

    def press_enter_on(self, selector):
        """Tab to the element and press Enter, waiting for the page it leads to."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
