"""The web app in real Chromium (Python playwright), against a real ``parlor serve``.

Chromium is Debian's (``/usr/bin/chromium``; ``.ci/run`` installs it), launched
by playwright rather than downloaded by it. Without it, or without the
playwright package, these tests skip and say why, except under CI=true, where
a missing browser fails the run: CI must show the pages work in a browser.

``parlor`` is one ``parlor serve`` (service and web app on free ports, SQLite
in a temporary folder) shared by the module's tests; each test gets a fresh
browser context, so its own cookies. Screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browser_support import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Parlor, start_parlor
from tests.e2e.e2e_support import cannot_run


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# Package scope, not session: the sync API keeps its event loop running in the
# main thread while it is open, and a later asyncio.run() there would fail.
@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    problem = _missing()
    if problem is not None:
        cannot_run("the browser tests to run", problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def parlor(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Parlor]:
    yield from start_parlor(tmp_path_factory.mktemp("parlor"))


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
