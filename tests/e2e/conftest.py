"""Browser tests: the real app on a real HTTP server, driven in Debian's Chromium by Playwright.

The server runs in a thread of the test process on 127.0.0.1 (a free port), on its own SQLite
file migrated by the real migrations and seeded with the demo data, plus a receptionist and a
clinician made with booking.auth.services.create_staff. "Now" is frozen at NOW (Monday 7 December
2026, 09:00 Kyiv), as in the rest of the suite, so the free times are the same on every run. CSRF
protection is ON here (the browser posts the real forms with their tokens).

What the tests need besides Python: Chromium (/usr/bin/chromium, or E2E_CHROMIUM), the npm
packages of tests/e2e/package.json (`npm ci --prefix tests/e2e --ignore-scripts`: axe-core and
vnu.jar) and java for vnu.jar. When one is missing the tests skip with the reason, except in CI
(CI=true), where that is a failure.
"""
import os
import shutil
import threading
from dataclasses import dataclass, field
from datetime import timezone
from urllib.request import urlopen

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import NOW, ON_POSTGRES, STAFF_PASSWORD, make_app

from .browsing import AXE, CHROMIUM_ARGS, SCREENSHOTS, VNU, page_title

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
LANGUAGES = ("uk", "en")
THEMES = ("light", "dark")

RECEPTIONIST = "reception.e2e@example.com"
CLINICIAN = "clinician.e2e@example.com"


def missing_tools():
    """What the browser tests cannot run without, in words (empty when all is there)."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (make install-dev)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for path in (AXE, VNU):
        if not path.is_file():
            missing.append(f"{path} (npm ci --prefix tests/e2e --ignore-scripts)")
    if shutil.which("java") is None:
        missing.append("java, for vnu.jar (apt-get install -y default-jre-headless)")
    return missing


@pytest.fixture(scope="session")
def browser_tools():
    """Every test that needs the server, the browser or the checkers skips (outside CI) or fails
    (CI=true) when a tool is missing. (The stylesheet tests need none of them.)"""
    if ON_POSTGRES:
        pytest.skip("the browser tests run on their own SQLite file, so only in the SQLite pass "
                    "(TEST_DATABASE_URL is set)")
    missing = missing_tools()
    if missing:
        reason = "the browser tests need " + "; ".join(missing)
        if IN_CI:
            pytest.fail("CI=true: " + reason, pytrace=False)
        pytest.skip(reason)


# --- The server ----------------------------------------------------------------------------------

class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@dataclass
class LiveServer:
    url: str
    app: object
    ukrainian: bool  # a Ukrainian catalogue is compiled: ?lang=uk pages are in Ukrainian
    services: dict  # the demo services' ids by name


def _seed(app):
    from booking.auth import services as staff_accounts
    from booking.demo import load_demo_data
    from booking.extensions import db
    from booking.models import Practitioner, Service

    with app.app_context():
        upgrade()
        assert load_demo_data(), "the demo data did not load"
        neurologist = db.session.execute(
            db.select(Practitioner).where(Practitioner.full_name == "Dr Olena Kovalenko")
        ).scalar_one()
        staff_accounts.create_staff(RECEPTIONIST, STAFF_PASSWORD, ("receptionist",),
                                    full_name="Halyna Reception")
        staff_accounts.create_staff(CLINICIAN, STAFF_PASSWORD, ("clinician",),
                                    full_name="Olena Kovalenko", practitioner_id=neurologist.id)
        services = dict(db.session.execute(db.select(Service.name, Service.id)).all())
        db.session.remove()
    return services


@pytest.fixture(scope="session")
def live_server(browser_tools, tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = make_app(f"sqlite:///{path}", FROZEN_NOW=NOW, WTF_CSRF_ENABLED=True)
    services = _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    with urlopen(f"{url}/?lang=uk") as uk, urlopen(f"{url}/?lang=en") as en:
        ukrainian = page_title(uk.read().decode()) != page_title(en.read().decode())
    yield LiveServer(url=url, app=app, ukrainian=ukrainian, services=services)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def server_clock(live_server):
    """server_clock(instant): the server's "now" for this test, NOW again afterwards. Statuses
    follow time (a patient is marked arrived from an hour before the start), so a test that
    marks one moves the clock first. Set it before signing in: a jump ends a staff session."""
    def set_clock(instant):
        live_server.app.config["FROZEN_NOW"] = instant.astimezone(timezone.utc)
    yield set_clock
    live_server.app.config["FROZEN_NOW"] = NOW


# --- The browser ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser(browser_tools):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a new, empty profile (user-data dir) of its own.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class VisitedPages:
    """Every HTML page the browser was served (as the server sent it), for the validity check."""
    pages: list = field(default_factory=list)
    seen: set = field(default_factory=set)

    def add(self, url, status, html):
        key = hash(html)
        if key not in self.seen:
            self.seen.add(key)
            self.pages.append((url, status, html))


@pytest.fixture(scope="session")
def visited_pages():
    return VisitedPages()


@pytest.fixture(scope="session")
def screenshots():
    """tests/e2e/screenshots/ (git ignores it), emptied of the last run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink(missing_ok=True)  # another run in the same tree may have taken it already
    return SCREENSHOTS
