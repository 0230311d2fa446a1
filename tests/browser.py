"""Headless Chromium for the kit's browser tests: Debian's `chromium` package driven by
Playwright for Python. Playwright's own browser downloads are never used (`playwright
install` does not work on the course machines); .ci/run installs chromium with apt.

    with chromium_page() as page:
        page.goto(file_url(path))
        save_screenshot(page, "class-report.png")    # -> artifacts/class-report.png
"""
import contextlib
import os
import pathlib

import pytest

from grader.demo import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = os.path.join(REPO, "artifacts")   # screenshots for people to look at (gitignored)


@contextlib.contextmanager
def chromium_page(width=1200, height=900):
    """A fresh page in a headless Chromium; the browser is closed afterwards."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def block_network(page):
    """Refuse every request that is not for a local file or inline data; returns the list
    of refused URLs (so a test can assert that a page needs nothing from a server)."""
    refused = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return refused


def file_url(path):
    return pathlib.Path(path).resolve().as_uri()


def save_screenshot(page, name):
    """A full-page screenshot in artifacts/; returns its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.screenshot(path=path, full_page=True)
    return path
