"""Headless Chromium for the kit's browser tests: Debian's `chromium`, driven by Playwright.

    with chromium() as browser:                  # a Playwright Browser
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        screenshot(page, "student-lab-pass")     # -> artifacts/student-lab-pass.png

    with chromium_page() as page:                # or just one page
        refused = block_network(page)
        page.goto(file_url(path))

Playwright's own browser downloads do not work on the course's machines (and are never
needed): the system chromium is used (`apt-get install chromium`; .ci/run installs it).
Without it a browser test fails with that hint: it never passes or skips silently.
"""
import contextlib
import os
import pathlib

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts")


def require_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)")


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Playwright Browser), closed on exit."""
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def chromium_page(width=1200, height=900):
    """A fresh page in a headless Chromium; the browser is closed afterwards."""
    with chromium() as browser:
        yield browser.new_page(viewport={"width": width, "height": height})


def block_network(page, allowed=("file:", "data:")):
    """Refuse every request whose URL does not start with one of `allowed` (by default: local
    files and inline data); returns the list of refused URLs (so a test can assert that a page
    needs nothing from a server, or from anything but its own)."""
    refused = []

    def route(r):
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return refused


def file_url(path):
    return pathlib.Path(path).resolve().as_uri()


def artifact(filename):
    """The path of artifacts/<filename> (the folder is made; it is gitignored)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, filename)


def screenshot(page_or_element, name, **options):
    """Save a PNG of a page (or one element) as artifacts/<name>.png; returns its path.
    `options` go to Playwright's screenshot(), e.g. full_page=True or clip={...}."""
    path = artifact(f"{name}.png")
    page_or_element.screenshot(path=path, **options)
    return path
