"""A real browser for the admin pages: Debian's chromium driven by Playwright.

Playwright's own browser download is not used (``executable_path``). Where
the browser cannot start (no chromium installed), the tests are skipped
with the launch error as the reason; ``.ci/run`` installs chromium.
"""

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Error, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A common laptop screen: what staff see.
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread while
    # the browser is open; the test's own ORM calls (set-up, checks) are still
    # plain synchronous code, which Django would otherwise refuse there. Set
    # for this test only: the browser is launched per test.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"Chromium cannot start ({CHROMIUM}): {exc.message.splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
