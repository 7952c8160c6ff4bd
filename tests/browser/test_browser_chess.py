"""Two people play chess in Chromium, against a real ``parlor serve``.

With JavaScript: a move made by clicking a piece and then a square, and the
other player's page showing it arrive without a reload (``chess.js`` long
polls the web app). Without: the typed move form, its refusal beside the
field, and a waiting page that refreshes itself (the meta refresh in
``<noscript>``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browser_support import Parlor

pytestmark = pytest.mark.slow

#: A copy of the game page's screenshot outside the checkout, to look at by hand.
SCREENSHOT = Path("/tmp/chess_page.png")
VIEWPORT = {"width": 1280, "height": 900}


def _two_players(chromium: Any, **options: Any) -> Iterator[tuple[Any, Any]]:
    """Two players, each a browser context of their own (their own cookies)."""
    contexts = [chromium.new_context(viewport=VIEWPORT, **options) for _ in range(2)]
    tabs = [context.new_page() for context in contexts]
    for tab in tabs:
        tab.set_default_timeout(15_000)
    yield tabs[0], tabs[1]
    for context in contexts:
        context.close()


@pytest.fixture
def scripted(chromium: Any) -> Iterator[tuple[Any, Any]]:
    yield from _two_players(chromium)


@pytest.fixture
def scriptless(chromium: Any) -> Iterator[tuple[Any, Any]]:
    """Two players whose browsers run no JavaScript."""
    yield from _two_players(chromium, java_script_enabled=False)


def start_and_join(parlor: Parlor, white: Any, black: Any) -> str:
    """White starts a game from the lobby, black joins it from its page; the page's URL."""
    white.goto(parlor.web_url + "/chess")
    white.get_by_label("White", exact=True).check()
    white.get_by_role("button", name="Start a game").click()
    white.wait_for_url("**/chess/*")
    url: str = white.url
    black.goto(url)
    black.get_by_role("button", name="Join as black").click()
    black.wait_for_load_state()
    assert "You play black" in black.inner_text("main")
    return url


def click_square(page: Any, square: str) -> None:
    # The piece drawn over the square takes the click, as it would for a person.
    page.locator(f"#chess-board rect.square.{square}").click(force=True)


def test_a_click_move_arrives_on_the_other_page_without_a_reload(
    parlor: Parlor, scripted: tuple[Any, Any], screenshots: Path
) -> None:
    white, black = scripted
    url = start_and_join(parlor, white, black)
    # White's page was drawn while waiting: the script brings the joined game in place.
    white.wait_for_function("document.getElementById('chess-status').textContent === 'Your move.'")
    black.evaluate("window.stillTheSamePage = true")

    click_square(white, "e2")
    assert white.locator("rect.square.selected.e2").count() == 1
    assert white.locator("rect.square.target.e4").count() == 1
    click_square(white, "e4")
    white.wait_for_url(url + "#move")
    assert "e4" in white.inner_text("#chess-moves")

    black.wait_for_function(
        "document.getElementById('chess-moves').textContent.includes('e4')", timeout=30_000
    )
    assert black.evaluate("window.stillTheSamePage") is True
    assert black.inner_text("#chess-status") == "Your move."
    assert black.locator("#move-form").count() == 1
    assert black.locator("meta[http-equiv=refresh]").count() == 0  # the script's job now

    click_square(black, "e7")
    click_square(black, "e5")
    black.wait_for_load_state()
    white.wait_for_function(
        "document.getElementById('chess-moves').textContent.includes('e5')", timeout=30_000
    )
    for path in (screenshots / "chess-game.png", SCREENSHOT):
        white.screenshot(path=str(path), full_page=True)
    assert white.locator("#chess-board svg rect.lastmove").count() == 2


def test_without_javascript_the_form_plays_and_the_page_refreshes(
    parlor: Parlor, scriptless: tuple[Any, Any]
) -> None:
    white, black = scriptless
    url = start_and_join(parlor, white, black)
    white.goto(url)
    white.get_by_label("Your move").fill("Ke5")
    white.get_by_role("button", name="Move", exact=True).click()
    white.wait_for_url(url + "#move")
    assert white.locator("#move-error").count() == 1
    assert "Nf3" in white.inner_text("#legal-moves")

    assert "White to move." in black.inner_text("#chess-status")
    white.get_by_label("Your move").fill("Nf3")
    white.get_by_role("button", name="Move", exact=True).click()
    white.wait_for_url(url + "#move")
    assert "Nf3" in white.inner_text("#chess-moves")
    # Black's page, untouched, refreshes itself and shows the move (no script runs).
    black.wait_for_selector("#move-form", timeout=15_000)
    assert "Nf3" in black.inner_text("#chess-moves")
    assert black.inner_text("#chess-status") == "Your move."
