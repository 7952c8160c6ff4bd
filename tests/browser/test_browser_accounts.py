"""A person opens an account in Chromium, plays from it, and sees the same chips over REST."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.browser_support import Parlor

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}


def test_register_play_from_the_account_log_out_and_back_in(
    page: Any, parlor: Parlor, screenshots: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(parlor.web_url + "/account")
    page.wait_for_url("**/login?next=%2Faccount")  # the account page needs a login
    page.screenshot(path=str(screenshots / "login-desktop.png"), full_page=True)
    page.get_by_role("link", name="Open an account").click()
    page.get_by_label("Username").fill("Bettina")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("short")
    page.get_by_role("button", name="Open my account").click()
    page.wait_for_load_state()
    assert "at least 10 characters" in page.inner_text("#password-error")  # beside its field
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Open my account").click()
    page.wait_for_url("**/account")
    assert "Welcome, Bettina" in page.inner_text(".flash")
    page.screenshot(path=str(screenshots / "account-desktop.png"), full_page=True)

    page.get_by_role("link", name="Start a game").click()
    page.get_by_label("Your name").fill("Bettina")
    page.get_by_role("button", name="Start playing").click()
    page.wait_for_url("**/table")
    assert "from your account" in page.inner_text(".flash")
    rest = httpx.DigestAuth("Bettina", PASSWORD)
    me = httpx.get(parlor.process.base_url + "/api/v1/accounts/me", auth=rest).json()
    assert (me["balance"], me["in_play"]) == (0, 1000)

    page.get_by_role("button", name="End the game").click()
    page.wait_for_url("**/fairness")
    back = re.search(r"([\d,]+) chips went back", page.inner_text(".flash"))
    assert back
    me = httpx.get(parlor.process.base_url + "/api/v1/accounts/me", auth=rest).json()
    assert me["balance"] == int(back.group(1).replace(",", ""))

    page.goto(parlor.web_url + "/account")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(parlor.web_url + "/")
    assert "signed out" in page.inner_text(".flash")
    page.goto(parlor.web_url + "/login?next=/rules")
    page.get_by_label("Username").fill("bettina")  # any letter case
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/rules")
