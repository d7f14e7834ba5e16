"""Debian's Chromium, headless, driven by Playwright (never a browser Playwright downloads)."""

from __future__ import annotations

import contextlib
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, path, javascript: bool = True):
    """A page with every console message, page error and dialog recorded."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.events = []
    page.on("console", lambda message: page.events.append(("console", message.type, message.text)))
    page.on("pageerror", lambda error: page.events.append(("pageerror", "error", str(error))))
    page.on("dialog", lambda dialog: (page.events.append(("dialog", dialog.type, dialog.message)), dialog.dismiss()))
    page.on("request", lambda request: page.events.append(("request", request.method, request.url)))
    page.goto(path.as_uri())
    return page
