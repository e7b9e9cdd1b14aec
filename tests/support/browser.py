"""A real browser for tests: Playwright driving the system's Chromium (Debian's ``chromium``).

Browsers cannot be downloaded here, so ``playwright install`` is never run: Playwright launches
the system binary (``make test`` installs it with apt-get when it is missing). A missing browser
fails the test that needs it, in CI and everywhere else; it never skips.

Fixtures (registered for the whole suite by ``tests/conftest.py``):

- ``browser``: one Chromium for the session (starting one costs about a second).
- ``page``: a fresh page in its own context (no shared cookies or storage) at 1280x800.
- ``open_page``: ``open_page(width=390, height=844)`` for more pages, or other sizes.
- ``screenshots``: where to save screenshots for review, ``build/screenshots/`` (gitignored).

Tests that use the browser run last (``pytest_collection_modifyitems`` below): Playwright's sync
API marks an asyncio loop as running in the main thread for as long as it is started, and the
async tests (anyio) cannot start theirs then. Last, one browser serves them all.

    def test_docs(page, live_gateway_url, screenshots):
        page.goto(live_gateway_url + "/docs")
        page.screenshot(path=screenshots / "docs.png")
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

#: Overrides where the browser binary is looked for.
CHROMIUM_ENV = "PLIVO_BLOCKS_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

#: Headless, and quiet on the network: without the background-networking flags Chromium reaches
#: out to Google's services at start-up, and on a closed network those connections are refused.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in containers and CI; the pages are our own
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

#: A page's default timeout: local pages answer in milliseconds; a failure should not wait 30 s.
PAGE_TIMEOUT_MS = 10_000

PageFactory = Callable[..., Page]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests after all the others, each group in its collected order."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


def chromium_path() -> str:
    """The system Chromium; fails the test (never skips, in CI or not) when there is none."""
    configured = os.environ.get(CHROMIUM_ENV)
    found = configured or shutil.which("chromium") or DEFAULT_CHROMIUM
    if not os.access(found, os.X_OK):
        pytest.fail(
            f"no Chromium at {found}: the browser tests need the system's Chromium. Install it with "
            f"`apt-get install -y chromium` (`make test` does), or point {CHROMIUM_ENV} at one.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of the system's Chromium (checked before Playwright's driver is started)."""
    return chromium_path()


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(chromium: str, _playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    launched = _playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_FLAGS))
    yield launched
    launched.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[PageFactory]:
    """``open_page(width=1280, height=800)``: a page in a fresh context; all closed after the test."""
    contexts: list[BrowserContext] = []

    def factory(width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: PageFactory) -> Page:
    """A fresh page at 1280x800."""
    return open_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """``build/screenshots/``: screenshots saved for review (gitignored, kept after the run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
