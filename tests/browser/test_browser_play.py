"""A person plays roulette in Chromium, against a real ``parlor serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browser_support import Parlor, start_parlor

pytestmark = pytest.mark.slow

HOSTILE = "<script>alert(1)</script>"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def start(page: Any, parlor: Parlor, name: str, wheel: str = "american") -> None:
    page.goto(parlor.web_url + "/")
    page.get_by_label("Your name").fill(name)
    page.locator(f"input[name=wheel][value={wheel}]").check()
    page.get_by_role("button", name="Start playing").click()
    page.wait_for_url("**/table")


def bet_from_select(page: Any, amount: int, proposition: str) -> None:
    page.get_by_label("Amount (chips)").fill(str(amount))
    page.get_by_label("Even-money bet").select_option(proposition)
    page.get_by_role("button", name="Bet", exact=True).click()
    page.wait_for_load_state()


def bet_on_layout(page: Any, amount: int, value: str) -> None:
    page.get_by_label("Amount (chips)").fill(str(amount))
    page.locator(f"button[name=bet][value='{value}']").click()
    page.wait_for_load_state()


def spin(page: Any) -> None:
    page.get_by_role("button", name="Spin the wheel").click()
    page.wait_for_url("**/table#result")


def test_a_whole_game(page: Any, parlor: Parlor) -> None:
    """Start, bet red, bet a split on the layout, spin: the page agrees with the service."""
    start(page, parlor, "alice")
    assert "table limits\n10–500" in page.inner_text(".summary").lower()
    sid = parlor.session_id("alice")

    bet_from_select(page, 10, "red")
    assert "Bet placed: red, 10 chips." in page.inner_text(".flash")
    # The split between 17 and 20, found as a screen reader finds it: by its name.
    page.get_by_label("Amount (chips)").fill("20")
    page.get_by_role("button", name="Split 17-20, pays 17 to 1").click()
    page.wait_for_load_state()
    assert "Bet placed: split 17-20, 20 chips." in page.inner_text(".flash")
    assert page.locator("#open-bets tbody tr").count() == 2
    assert page.locator("button[value='split:17,20'] .chip").inner_text() == "20"

    spin(page)
    state = parlor.json(f"/api/v1/sessions/{sid}")
    (record,) = parlor.json(f"/api/v1/sessions/{sid}/spins")["spins"]
    bets = {b["confirmation"]: b for b in parlor.json(f"/api/v1/sessions/{sid}/bets")["bets"]}
    pocket = page.locator("#result .pocket")
    assert pocket.get_attribute("data-number") == str(record["result"]["number"])
    assert pocket.get_attribute("data-color") == record["result"]["color"]
    assert page.locator("#balance").get_attribute("data-balance") == str(state["balance"])
    rows = page.locator("#last-results tbody tr")
    assert rows.count() == 2
    for i in range(2):
        row = rows.nth(i)
        bet = bets[int(row.get_attribute("data-confirmation"))]
        assert row.get_attribute("data-outcome") == str(bet["outcome"])
        assert ("won" if bet["outcome"] > 0 else "lost") in row.inner_text()
    assert state["balance"] == 1000 + sum(b["outcome"] for b in bets.values())
    assert page.locator("#open-bets").inner_text().count("No open bets.") == 1

    # The rules of this wheel, then the end of the game and its verification.
    page.get_by_role("link", name="Payouts and house edge").click()
    assert "Payouts on the american wheel" in page.inner_text("h1")
    page.goto(parlor.web_url + "/fairness")
    assert page.inner_text("#seed-hash") == state["server_seed_hash"]
    page.get_by_role("button", name="End the game and reveal the seed").click()
    page.wait_for_url("**/fairness")
    ended = parlor.json(f"/api/v1/sessions/{sid}")
    assert page.inner_text("#server-seed") == ended["server_seed"]
    assert "Verified: every spin was fair" in page.inner_text("#verification")


def test_reload_and_back_after_a_post_do_not_bet_again(page: Any, parlor: Parlor) -> None:
    start(page, parlor, "bob")
    sid = parlor.session_id("bob")

    def bet_count() -> int:
        return len(parlor.json(f"/api/v1/sessions/{sid}/bets")["bets"])

    bet_from_select(page, 10, "black")
    assert page.url.endswith("/table#bet")
    assert bet_count() == 1
    page.reload()
    page.reload()
    assert bet_count() == 1
    spin(page)
    page.reload()
    assert parlor.json(f"/api/v1/sessions/{sid}")["spin_count"] == 1
    for _ in range(2):
        page.go_back()
    assert bet_count() == 1
    assert parlor.json(f"/api/v1/sessions/{sid}")["spin_count"] == 1
    # A double click on a layout cell is one bet.
    page.goto(parlor.web_url + "/table")
    page.locator("button[name=bet][value='straight:7']").dblclick()
    page.wait_for_url("**/table#bet")
    assert bet_count() == 2


def test_a_hostile_name_is_shown_as_text(page: Any, parlor: Parlor) -> None:
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    start(page, parlor, HOSTILE)
    assert page.inner_text(".player") == HOSTILE
    assert page.locator("script").count() == 1  # parlor.js, and nothing the player wrote
    assert page.title() == f"{HOSTILE} at the table · parlor"
    page.goto(parlor.web_url + "/fairness")
    assert dialogs == []


@pytest.fixture
def impatient_parlor(tmp_path: Path, chromium: Any) -> Iterator[Parlor]:
    """A parlor whose visits expire after 2 idle seconds."""
    yield from start_parlor(tmp_path, env={"PARLOR_WEB_IDLE_TIMEOUT": "2"})


def test_an_expired_visit_is_told_so_and_can_start_again(
    page: Any, impatient_parlor: Parlor
) -> None:
    parlor = impatient_parlor
    start(page, parlor, "carol")
    bet_from_select(page, 10, "odd")
    sid = parlor.session_id("carol")
    page.wait_for_timeout(2500)
    page.get_by_role("button", name="Spin the wheel").click()
    page.wait_for_url("**/expired")
    assert "Your visit has ended" in page.inner_text("h1")
    assert "after 2 seconds without activity" in page.inner_text("main")
    assert parlor.json(f"/api/v1/sessions/{sid}")["spin_count"] == 0  # nothing happened
    page.get_by_role("link", name="Start a new game").first.click()
    page.wait_for_url(parlor.web_url + "/")
    page.get_by_label("Your name").fill("carol again")
    page.get_by_role("button", name="Start playing").click()
    page.wait_for_url("**/table")
    assert "carol again" in page.inner_text(".player")


NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
    .filter(e => e.labels.length === 0).map(e => e.name)"""
NAMELESS_BUTTONS = """() => [...document.querySelectorAll('button')]
    .filter(b => !(b.getAttribute('aria-label') || b.title || b.innerText.trim())).length"""


def test_screenshots_and_every_page_at_phone_and_desktop_width(
    page: Any, parlor: Parlor, screenshots: Path
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    start(page, parlor, "Dana")
    plays = ["split:17,20", "corner:1,2,4,5", "dozen:2", "straight:0", "street:4,5,6"]
    for i in range(8):
        bet_from_select(page, 20, "red" if i % 2 else "black")
        bet_on_layout(page, 10, plays[i % len(plays)])
        spin(page)
    bet_on_layout(page, 25, "split:17,20")
    bet_on_layout(page, 10, "straight:00")
    bet_on_layout(page, 10, "column:3")
    page.goto(parlor.web_url + "/table")
    assert page.locator(".spins li").count() == 8
    assert page.locator("svg.chart polyline").count() == 1
    page.screenshot(path=str(screenshots / "table-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.screenshot(path=str(screenshots / "table-phone.png"), full_page=True)

    for width in (PHONE, DESKTOP):
        page.set_viewport_size(width)
        for path in ("/", "/table", "/rules", "/fairness", "/expired", "/nowhere"):
            page.goto(parlor.web_url + path)
            assert page.evaluate(NO_OVERFLOW), f"{path} scrolls sideways at {width['width']} px"
            assert page.evaluate(UNLABELLED) == [], path
            assert page.evaluate(NAMELESS_BUTTONS) == 0, path
    page.goto(parlor.web_url + "/")
    page.screenshot(path=str(screenshots / "start-desktop.png"), full_page=True)
    assert refused == []  # nothing on any page needs what the policy forbids
    for name in ("table-desktop", "table-phone", "start-desktop"):
        assert (screenshots / f"{name}.png").stat().st_size > 10_000
