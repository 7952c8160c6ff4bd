"""Accounts on the web, in-process: register, log in and out, a new password, and one
balance shared with the REST service."""

from __future__ import annotations

import re

import httpx
import pytest

from parlor.client import RouletteClient
from parlor.house.ledger import check_ledger
from parlor.store.db import Database
from tests.web.web_support import Browser

PASSWORD = "correct horse battery"


def words(browser: Browser) -> str:
    assert browser.last is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.last.text))


def register(browser: Browser, name: str = "alice", password: str = PASSWORD) -> None:
    browser.get("/register")
    page = browser.submit(
        "/register", {"username": name, "password": password, "confirm": password}
    )
    assert page.status_code == 200, page.text


def test_registering_logs_in_with_a_new_visit_id(browser: Browser) -> None:
    browser.get("/register")
    before = browser.cookie
    register(browser, "Alice")
    assert browser.cookie not in (None, before)  # session fixation: a new id at login
    text = words(browser)
    assert "Welcome, Alice: your account holds 1,000 chips." in text
    assert "In your account 1,000 chips" in text


def test_the_account_page_sends_a_stranger_to_log_in_and_back(
    browser: Browser, sdk: RouletteClient
) -> None:
    sdk.register("bob", PASSWORD)
    result = browser.get("/account")
    assert result.status_code == 303
    assert result.headers["location"] == "/login?next=%2Faccount"
    browser.get(result.headers["location"])
    assert 'name="next" value="/account"' in browser.last.text  # type: ignore[union-attr]
    posted = browser.post("/login", {"username": "BOB", "password": PASSWORD, "next": "/account"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/account"
    browser.get(posted.headers["location"])
    assert "Welcome back, bob." in words(browser)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "bob", "password": "wrong password!"}, "password", "do not match"),
        ({"username": "nobody", "password": PASSWORD}, "password", "do not match"),
        ({"username": "", "password": PASSWORD}, "username", "Enter your username"),
        ({"username": "bob", "password": ""}, "password", "Enter your password"),
    ],
)
def test_a_refused_login_shows_why_beside_the_field(
    browser: Browser, sdk: RouletteClient, fields: dict[str, str], field: str, message: str
) -> None:
    sdk.register("bob", PASSWORD)
    browser.get("/login")
    page = browser.submit("/login", fields)
    assert f'id="{field}-error"' in page.text
    assert message in page.text
    assert browser.get("/account").status_code == 303  # still nobody


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "p\u0430ypal", "password": PASSWORD, "confirm": PASSWORD}, "username",
         "mix letters"),
        ({"username": "carol", "password": "short", "confirm": "short"}, "password",
         "at least 10"),
        ({"username": "carol", "password": PASSWORD, "confirm": PASSWORD + "x"}, "confirm",
         "differ"),
        ({"username": "ALICE", "password": PASSWORD, "confirm": PASSWORD}, "username", "taken"),
    ],
)  # fmt: skip
def test_a_refused_registration_shows_why_beside_the_field(
    browser: Browser, sdk: RouletteClient, fields: dict[str, str], field: str, message: str
) -> None:
    sdk.register("alice", PASSWORD)
    browser.get("/register")
    page = browser.submit("/register", fields)
    assert f'id="{field}-error"' in page.text, page.text
    assert message in page.text


def test_one_balance_across_the_web_and_rest(
    browser: Browser, sdk: RouletteClient, database: Database
) -> None:
    register(browser, "dave")
    browser.get("/")
    table = browser.submit("/", {"name": "dave", "wheel": "european"})
    assert "1,000 chips from your account" in table.text
    rest = httpx.BasicAuth("dave", PASSWORD)
    account = sdk.account(auth=rest)
    assert (account.balance, account.in_play) == (0, 1000)
    browser.bet(100, proposition="red")
    browser.submit("/spin", {"spin": "1"})
    page = browser.submit("/end", {})
    match = re.search(r"Game over: ([\d,]+) chips went back to your account", page.text)
    assert match, page.text
    back = int(match.group(1).replace(",", ""))
    after = sdk.account(auth=rest)
    assert (after.balance, after.in_play, after.open_sessions) == (back, 0, ())
    # A session the same player opens over REST draws on the same chips.
    session = sdk.open_session("dave", bankroll=back, auth=rest)
    assert session.from_account
    assert sdk.account(auth=rest).balance == 0
    browser.get("/account")
    assert f"Out in open games {back:,} chips" in words(browser)
    assert check_ledger(database).ok


def test_logging_out_ends_the_visit_and_its_token(browser: Browser, sdk: RouletteClient) -> None:
    register(browser, "erin")
    old = browser.cookie
    page = browser.submit("/logout", {})
    assert "You are signed out." in page.text
    assert browser.get("/account").status_code == 303
    browser.cookie = old  # the visit before the logout is gone from the store
    assert browser.get("/account").status_code == 303


def test_a_new_password_needs_the_current_one(browser: Browser, sdk: RouletteClient) -> None:
    register(browser, "frank")
    browser.get("/account")
    cases = [
        ({"current_password": "not it at all", "password": "a new long passphrase",
          "confirm": "a new long passphrase"}, "current_password"),
        ({"current_password": PASSWORD, "password": "short", "confirm": "short"}, "password"),
        ({"current_password": PASSWORD, "password": "a new long passphrase",
          "confirm": "another"}, "confirm"),
    ]  # fmt: skip
    for fields, field in cases:
        page = browser.submit("/account/password", fields)
        assert f'id="{field}-error"' in page.text, (field, page.text)
    new = "a new long passphrase"
    page = browser.submit(
        "/account/password", {"current_password": PASSWORD, "password": new, "confirm": new}
    )
    assert "Your password is changed" in page.text
    assert browser.get("/account").status_code == 200  # still logged in, on a new token
    assert sdk.account(auth=httpx.BasicAuth("frank", new)).username == "frank"


def test_failed_logins_from_one_browser_are_throttled(
    browser: Browser, sdk: RouletteClient
) -> None:
    sdk.register("gina", PASSWORD)
    browser.get("/login")
    for n in range(5):
        browser.submit("/login", {"username": f"guess{n}", "password": "wrong password!"})
    page = browser.submit("/login", {"username": "gina", "password": PASSWORD})
    assert "Too many failed logins: try again in" in page.text
    assert browser.get("/account").status_code == 303


def test_the_login_form_needs_its_token(browser: Browser, sdk: RouletteClient) -> None:
    sdk.register("hank", PASSWORD)
    browser.get("/login")
    result = browser.post("/login", {"username": "hank", "password": PASSWORD}, token=False)
    assert result.status_code == 403
    assert browser.get("/account").status_code == 303


def test_a_login_that_lapsed_elsewhere_sends_the_player_to_log_in(
    browser: Browser, sdk: RouletteClient
) -> None:
    register(browser, "ivan")
    # The password changes over REST: every token, the web visit's too, is revoked.
    sdk.change_password(PASSWORD, "a new long passphrase", auth=httpx.BasicAuth("ivan", PASSWORD))
    browser.get("/")
    result = browser.post("/", {"name": "ivan", "wheel": "american"})
    assert result.status_code == 303
    assert result.headers["location"] == "/login"
    browser.get("/login")
    assert "Your login has ended" in words(browser)


def test_accounts_opened_from_one_browser_are_throttled(browser: Browser) -> None:
    for n in range(5):
        register(browser, f"flood{n}")
        browser.submit("/logout", {})
    browser.get("/register")
    page = browser.submit(
        "/register", {"username": "one-more", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert "Too many accounts opened from here" in page.text
