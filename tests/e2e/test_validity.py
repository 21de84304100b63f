"""Every HTML page the browser tests were served is valid HTML, and loads its assets only from the
app itself.

The checker is the Nu Html Checker (vnu.jar, from the npm package vnu-jar in tests/e2e), the W3C's
own: it checks the HTML standard itself (nesting, attributes and their values, duplicate ids,
labels pointing at real controls...), more than a parser's error list. It runs once, in one java
process, over the pages tests/e2e/test_journeys.py and test_comfort.py collected, so this module
runs after them (pytest's order: file names).
"""
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .browsing import AXE, VNU
from .conftest import IN_CI

# Attributes that make the browser fetch something, by element.
FETCHES = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
           "source": ("src", "srcset"), "video": ("src", "poster"), "audio": ("src",),
           "embed": ("src",), "object": ("data",), "input": ("src",)}
ELSEWHERE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # http:, https:, //host, ...
LINK_RELS_FETCHED = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest",
                     "apple-touch-icon", "preconnect", "dns-prefetch"}


def vnu_errors(paths):
    """{file path: [messages]} from one run of vnu.jar over the files."""
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
         "--exit-zero-always", *map(str, paths)],
        capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 0, run.stderr
    errors = {}
    for message in json.loads(run.stdout)["messages"]:
        path = message.get("url", "").removeprefix("file:")
        where = f"line {message.get('lastLine', '?')}"
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(os.path.normpath(path), []).append(
            (message["message"], f"{where}: {extract}"))
    return errors


@pytest.fixture
def collected(browser_tools, visited_pages):
    if not visited_pages.pages:
        reason = ("no page was collected: this test checks the pages the other browser tests "
                  "visit, so run tests/e2e as a whole")
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return visited_pages.pages


PLANTED = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Planted</title>'
           '</head><body><p id="twice">a</p><p id="twice">b</p></body></html>')


def test_every_page_the_browser_was_served_is_valid_html(collected, tmp_path):
    files = {}
    for number, (url, status, html) in enumerate(collected):
        path = tmp_path / f"page-{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[os.path.normpath(str(path))] = f"{url} (HTTP {status})"
    # A page with a mistake goes in the same run: the checker must name it.
    planted = os.path.normpath(str(tmp_path / "planted.html"))
    Path(planted).write_text(PLANTED, encoding="utf-8")
    errors = vnu_errors([*files, planted])
    assert any("Duplicate ID" in mistake for mistake, _where in errors.pop(planted, [])), \
        "vnu.jar did not catch the planted duplicate id"
    # The same mistake in a shared template shows on many pages: one line per mistake.
    pages_by_mistake = {}
    for path, messages in errors.items():
        for mistake, where in messages:
            pages_by_mistake.setdefault(mistake, []).append((files.get(path, path), where))
    report = [f"{mistake}\n    e.g. {pages[0][1]}\n    on {len({page for page, _ in pages})} "
              "page(s): " + ", ".join(sorted({page for page, _ in pages})[:6])
              for mistake, pages in pages_by_mistake.items()]
    assert not report, (f"{len(errors)} of {len(files)} pages are not valid HTML:\n"
                        + "\n".join(report))
    assert len(files) >= 20, "fewer pages than the journeys visit"


class AssetFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elsewhere = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and not LINK_RELS_FETCHED & set((attrs.get("rel") or "").lower().split()):
            return
        for name in FETCHES.get(tag, ()):
            for value in re.split(r",\s*", attrs.get(name) or ""):
                if value and ELSEWHERE.match(value) and not value.startswith("data:"):
                    self.elsewhere.append(f"<{tag} {name}={value!r}>")
        if ELSEWHERE.match(attrs.get("style") or "x") or "url(" in (attrs.get("style") or ""):
            self.elsewhere.append(f"<{tag} style={attrs['style']!r}>")


def test_no_page_names_an_asset_on_another_host(collected):
    """No <script>, stylesheet, font, image or frame comes from a CDN or any other server: every
    asset is the app's own, by a path on the same host."""
    found = []
    for url, _status, html in collected:
        finder = AssetFinder()
        finder.feed(html)
        found += [f"{url}: {asset}" for asset in finder.elsewhere]
    assert found == []


def test_axe_catches_a_planted_mistake(browser):
    """The accessibility check would fail on a bad page: axe-core names a picture without a
    text alternative."""
    page = browser.new_page()
    try:
        page.set_content('<!doctype html><html lang="en"><title>Bad</title><main>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>')
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(
            "async () => (await axe.run()).violations.map((v) => v.impact + ' ' + v.id)")
    finally:
        page.close()
    assert "critical image-alt" in found
