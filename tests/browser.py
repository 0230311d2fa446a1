"""Headless Chromium for the kit's browser tests: Debian's `chromium`, driven by Playwright.

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        ...
        screenshot(page, "student-lab-pass")   # -> artifacts/student-lab-pass.png

Playwright's own browser downloads do not work on the course's machines (and are never
needed): the system chromium is used (`apt-get install chromium`; .ci/run installs it).
Without it the browser tests skip locally and fail under CI, so CI cannot pass silently.
"""
import contextlib
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts")


def require_chromium():
    if os.path.exists(CHROMIUM):
        return
    message = f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


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


def artifact(filename):
    """The path of artifacts/<filename> (the folder is made; it is gitignored)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, filename)


def screenshot(page_or_element, name, **options):
    """Save a PNG of a page (or one element) as artifacts/<name>.png; returns its path.
    `options` go to Playwright's screenshot(), e.g. clip={"x": 0, "y": 0, ...}."""
    path = artifact(f"{name}.png")
    page_or_element.screenshot(path=path, **options)
    return path
