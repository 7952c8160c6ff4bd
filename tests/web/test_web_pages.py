"""Every page and every form path of the web app, in-process, against the real service."""

from __future__ import annotations

import html
import re

import pytest
from falcon import testing

from parlor.client import RouletteClient
from parlor.house.roulette import RouletteHouse
from parlor.store.db import Database
from parlor.wsgi.sessions import SessionStore
from tests.web.web_support import Browser, Clock, seat

HOSTILE = "<script>alert(1)</script>"


def session_of(house: RouletteHouse, database: Database) -> str:
    """The id of the one session the web app opened (the test cannot see the cookie's)."""
    with database.transaction() as tx:
        rows = tx.all("SELECT id FROM sessions")
    assert len(rows) == 1, rows
    return str(rows[0][0])


def error_beside(page: testing.Result, field: str) -> str:
    """The message shown beside ``field``, from its ``<p class="error" id="FIELD-error">``."""
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page.text)
    assert match is not None, f"no error beside {field}"
    return html.unescape(match.group(1))


def text(page: testing.Result) -> str:
    """The page's text, tags stripped and entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


# -- starting ------------------------------------------------------------------------


def test_the_start_page(browser: Browser) -> None:
    page = browser.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<label for="name">Your name</label>' in page.text
    assert "<legend>Wheel</legend>" in page.text
    assert 'name="csrf_token"' in page.text
    assert "American" in page.text
    assert "European" in page.text
    assert "5.26%" in page.text
    assert "2.70%" in page.text
    assert "Back to your table" not in page.text


def test_starting_a_game_shows_the_table_and_its_limits(
    browser: Browser, house: RouletteHouse, database: Database
) -> None:
    browser.get("/")
    posted = browser.post("/", {"name": "alice", "wheel": "european"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/table"
    page = browser.get("/table")
    assert page.status_code == 200
    words = text(page)
    assert "alice at the european wheel" in words
    assert "Table limits 10–500" in words
    assert "Balance 1,000" in words
    assert "Welcome, alice." in words
    state = house.session(session_of(house, database))
    assert (state.name, state.wheel.value) == ("alice", "european")
    # The welcome is said once: a reload no longer shows it.
    assert "Welcome" not in browser.get("/table").text
    assert "Back to your table" in browser.get("/").text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "wheel": "american"}, "name", "Enter a name to play under."),
        ({"name": "x" * 65, "wheel": "american"}, "name", "Use at most 64 characters."),
        ({"name": "bad\x07bell", "wheel": "american"}, "name", "control or invisible characters"),
        ({"name": "alice", "wheel": "martian"}, "wheel", "Pick the American or the European"),
    ],
)
def test_a_bad_start_shows_the_message_beside_the_field_and_opens_nothing(
    browser: Browser,
    database: Database,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    browser.get("/")
    posted = browser.post("/", fields)
    assert posted.status_code == 303
    assert posted.headers["location"] == "/"
    page = browser.get("/")
    assert message in error_beside(page, field)
    assert 'aria-invalid="true"' in page.text or field == "wheel"
    with database.transaction() as tx:
        assert tx.all("SELECT id FROM sessions") == []
    # Shown once.
    assert "-error" not in browser.get("/").text


def test_a_name_the_service_refuses_is_shown_beside_the_name(
    browser: Browser, sdk: RouletteClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parlor.client import InvalidInput

    def refuse(*args: object, **kwargs: object) -> None:
        raise InvalidInput(422, "x", "name must be nicer", field="name", code="invalid_request")

    monkeypatch.setattr(sdk, "open_session", refuse)
    browser.get("/")
    page = browser.submit("/", {"name": "alice", "wheel": "american"})
    assert error_beside(page, "name") == "name must be nicer"
    assert 'value="alice"' in page.text


def test_a_hostile_name_is_escaped_everywhere(browser: Browser) -> None:
    page = browser.start(name=HOSTILE)
    pages = [page, browser.get("/fairness"), browser.get("/rules")]
    browser.get("/")
    pages.append(browser.submit("/", {"name": HOSTILE + "x" * 70, "wheel": "american"}))
    for shown in pages:
        assert HOSTILE not in shown.text
        assert "<script>" not in shown.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;script&gt;" in pages[-1].text  # echoed back in the refused form, escaped


# -- betting -------------------------------------------------------------------------


def test_a_bet_from_the_select(playing: Browser, sdk: RouletteClient, house: RouletteHouse) -> None:
    posted = playing.post("/bets", {"amount": "25", "proposition": "red"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/table#bet"
    page = playing.get("/table")
    words = text(page)
    assert "Bet placed: red, 25 chips. Balance 975." in words
    assert "Balance 975" in words
    assert re.search(r"red 25 1 to 1 Withdraw", words)
    assert 'value="25"' in page.text  # the amount stays for the next bet


@pytest.mark.parametrize(
    ("value", "description"),
    [
        ("straight:00", "straight 00"),
        ("straight:0", "straight 0"),
        ("split:17,20", "split 17-20"),
        ("split:17,18", "split 17-18"),
        ("street:4,5,6", "street 4-5-6"),
        ("corner:1,2,4,5", "corner 1-2-4-5"),
        ("six_line:31,32,33,34,35,36", "six line 31-32-33-34-35-36"),
        ("five:0,1,2,3,00", "five 0-1-2-3-00"),
        ("dozen:2", "dozen 2"),
        ("column:3", "column 3"),
    ],
)
def test_a_bet_from_the_layout(playing: Browser, value: str, description: str) -> None:
    page = playing.bet(10, bet=value)
    assert f"Bet placed: {description}, 10 chips." in text(page)
    # The open bet is listed and its chip sits on the layout cell.
    assert re.search(rf"{re.escape(description)} 10 \d+ to 1 Withdraw", text(page))
    cell = re.search(rf'<button name="bet" value="{re.escape(value)}"[^>]*>', page.text)
    assert cell is not None
    assert "staked" in cell.group(0)


def test_the_european_layout_offers_the_first_four(browser: Browser) -> None:
    page = browser.start(wheel="european")
    assert 'value="first_four:0,1,2,3"' in page.text
    assert 'value="five:' not in page.text
    assert 'value="straight:00"' not in page.text
    assert "Bet placed: first four 0-1-2-3" in text(browser.bet(10, bet="first_four:0,1,2,3"))


BAD_BETS = [
    ({"amount": "", "proposition": "red"}, "amount", "Enter how many chips to bet."),
    ({"amount": "ten", "proposition": "red"}, "amount", "must be a whole number"),
    ({"amount": "12.5", "proposition": "red"}, "amount", "must be a whole number"),
    ({"amount": "-10", "proposition": "red"}, "amount", "must be a whole number"),
    ({"amount": "0", "proposition": "red"}, "amount", "must be more than 0"),
    ({"amount": "5", "proposition": "red"}, "amount", "The table minimum is 10 chips."),
    ({"amount": "501", "proposition": "red"}, "amount", "The table maximum is 500 chips."),
    ({"amount": "10", "proposition": "purple"}, "proposition", "Choose one of"),
    ({"amount": "10", "proposition": ""}, "proposition", "Choose a bet"),
    ({"amount": "10", "bet": "split:17,21"}, "proposition", "17-21 is not a split"),
    ({"amount": "10", "bet": "first_four:0,1,2,3"}, "proposition", "european wheel"),
    ({"amount": "10", "bet": "straight:37"}, "proposition", "not a pocket"),
    ({"amount": "10", "bet": HOSTILE}, "proposition", "unknown proposition"),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_BETS)
def test_bad_input_re_renders_the_form_and_changes_nothing(
    playing: Browser,
    house: RouletteHouse,
    database: Database,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    posted = playing.post("/bets", fields)
    assert posted.status_code == 303
    page = playing.get(posted.headers["location"])
    assert message in error_beside(page, field)
    if fields.get("amount"):
        assert f'value="{html.escape(fields["amount"])}"' in page.text
    assert HOSTILE not in page.text
    sid = session_of(house, database)
    assert house.bets(sid) == []
    assert house.session(sid).balance == 1000
    assert "-error" not in playing.get("/table").text  # shown once


def test_more_than_the_balance_and_over_the_open_limit(
    browser: Browser, sdk: RouletteClient, store: SessionStore, clock: Clock
) -> None:
    session = sdk.open_session("poor", bankroll=100, table_min=10, table_max=80)
    seat(browser, store, clock, session.id)
    page = browser.bet(60, proposition="red")
    assert "Bet placed" in text(page)
    page = browser.bet(30, proposition="black")
    assert "would total 90, over the table maximum of 80" in error_beside(page, "amount")
    sdk.spin(session.id)  # settles the open bet: the limit frees, the balance is 40 or 160
    balance = sdk.session(session.id).balance
    if balance < 80:
        page = browser.bet(balance + 10, proposition="red")
        assert error_beside(page, "amount") == f"You have only {balance} chips."
    assert len(sdk.bets(session.id)) == 1


def test_refusals_from_the_service_land_beside_their_fields(
    playing: Browser, sdk: RouletteClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parlor.client import Conflict, InvalidInput

    refusals = [
        (InvalidInput(422, "x", "bad amount", field="amount", code="invalid_bet"), "amount"),
        (InvalidInput(422, "x", "bad numbers", field="numbers", code="invalid_bet"), "proposition"),
        (Conflict(409, "x", "no chips", code="insufficient_balance", field="amount"), "amount"),
        (Conflict(409, "x", "over max", code="outside_table_limits", field="amount"), "amount"),
    ]
    for refusal, field in refusals:
        monkeypatch.setattr(sdk, "place_bet", lambda *a, _e=refusal, **k: (_ for _ in ()).throw(_e))
        page = playing.bet(10, proposition="red")
        assert error_beside(page, field) == refusal.detail
    other = Conflict(409, "x", "session 'x' has ended: open a new one", code="session_ended")
    monkeypatch.setattr(sdk, "place_bet", lambda *a, **k: (_ for _ in ()).throw(other))
    page = playing.bet(10, proposition="red")
    assert "has ended" in text(page)


def test_a_form_sent_twice_bets_once(
    playing: Browser, house: RouletteHouse, database: Database
) -> None:
    fields = {"amount": "10", "bet": "split:17,20", "nonce": playing.nonce or ""}
    first = playing.post("/bets", fields)
    again = playing.post("/bets", fields)  # a double click, or a resubmitted old page
    assert first.status_code == again.status_code == 303
    sid = session_of(house, database)
    assert len(house.bets(sid)) == 1
    assert house.session(sid).balance == 990
    # A fresh page has a fresh nonce: the same bet again is a second bet.
    playing.get("/table")
    playing.bet(10, bet="split:17,20")
    assert len(house.bets(sid)) == 2


def test_a_forged_nonce_still_bets_once_per_post(
    playing: Browser, house: RouletteHouse, database: Database
) -> None:
    for _ in range(2):
        assert (
            playing.post("/bets", {"amount": "10", "proposition": "odd", "nonce": "x"}).status_code
            == 303
        )
    assert len(house.bets(session_of(house, database))) == 2


# -- withdrawing -------------------------------------------------------------------


def test_withdraw_an_open_bet(playing: Browser, house: RouletteHouse, database: Database) -> None:
    playing.bet(50, proposition="black")
    sid = session_of(house, database)
    (bet,) = house.bets(sid)
    posted = playing.post("/withdraw", {"confirmation": str(bet.confirmation)})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/table#open-bets"
    page = playing.get("/table")
    assert "Withdrawn: black, 50 chips back. Balance 1,000." in text(page)
    assert "No open bets." in page.text
    # Twice, an unknown bet, nonsense: a notice each, nothing changes.
    for confirmation, notice in [
        (str(bet.confirmation), "That bet is no longer open."),
        ("999", "That bet is no longer open."),
        ("abc", "Choose a bet to withdraw"),
        ("", "Choose a bet to withdraw"),
    ]:
        page = playing.submit("/withdraw", {"confirmation": confirmation})
        assert notice in text(page)
    assert house.session(sid).balance == 1000


# -- spinning ----------------------------------------------------------------------


def test_spin_shows_the_result_and_each_bet(
    playing: Browser, sdk: RouletteClient, house: RouletteHouse, database: Database
) -> None:
    playing.bet(10, proposition="red")
    playing.bet(10, bet="split:17,20")
    playing.bet(10, bet="straight:0")
    posted = playing.post("/spin", {"spin": "1"})
    assert posted.status_code == 303
    assert posted.headers["location"] == "/table#result"
    page = playing.get("/table")
    sid = session_of(house, database)
    state = sdk.session(sid)
    (record,) = sdk.spins(sid)
    bets = sdk.bets(sid)
    words = text(page)
    label, color = record.result.label, record.result.color
    assert f'data-number="{label}" data-color="{color}"' in page.text
    assert f"Spin 1: {label} {color}" in words
    for bet in bets:
        assert bet.outcome is not None
        verdict = "won" if bet.outcome > 0 else "lost"
        shown = f"+{bet.outcome}" if bet.outcome > 0 else f"−{-bet.outcome}"
        assert f"{bet.description} 10 {verdict} {shown}" in words
    net = sum(b.outcome or 0 for b in bets)
    assert f'id="last-net">{"+" if net > 0 else "−" if net < 0 else ""}{abs(net):,}' in page.text
    assert f'data-balance="{state.balance}"' in page.text
    assert state.balance == 1000 + net
    assert "No open bets." in page.text
    assert re.search(
        rf'value="straight:{label}" class="straight {color} [a-z0-9 ]+ hit"', page.text
    )


def test_a_spin_sent_twice_spins_once(
    playing: Browser, sdk: RouletteClient, house: RouletteHouse, database: Database
) -> None:
    playing.post("/spin", {"spin": "1"})
    page = playing.submit("/spin", {"spin": "1"})
    assert "That spin already happened" in text(page)
    assert sdk.session(session_of(house, database)).spin_count == 1
    assert playing.post("/spin", {}).status_code == 303  # no expectation: just spin
    assert sdk.session(session_of(house, database)).spin_count == 2


def test_twenty_five_spins_show_the_last_twenty_and_the_chart(
    playing: Browser, sdk: RouletteClient, house: RouletteHouse, database: Database
) -> None:
    sid = session_of(house, database)
    for _ in range(25):
        sdk.place_bet(sid, "black", 10)
        sdk.spin(sid)
    page = playing.get("/table")
    assert page.text.count('<li class="pill') == 20
    records = sdk.spins(sid, last=20)
    assert f"Spin 25: </span>{records[-1].result.label}<" in page.text
    assert "Spin 5:" not in page.text
    assert '<svg class="chart"' in page.text
    final = sdk.session(sid).balance
    assert f"Balance from spin 0 to spin 25: 1000 to {final} chips" in page.text


def test_a_long_history_is_read_page_by_page(
    playing: Browser,
    sdk: RouletteClient,
    house: RouletteHouse,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parlor.web import table

    monkeypatch.setattr(table, "_PAGE", 2)
    sid = session_of(house, database)
    for _ in range(3):
        sdk.place_bet(sid, "black", 10)
        sdk.place_bet(sid, "red", 10)
        sdk.spin(sid)
    sdk.place_bet(sid, "odd", 10)
    page = playing.get("/table")
    assert re.search(r"odd 10 1 to 1 Withdraw", text(page))
    settled = sdk.session(sid).balance + 10
    assert f"Balance from spin 0 to spin 3: 1000 to {settled} chips" in page.text


# -- rules, fairness, ending -------------------------------------------------------


def test_the_rules_are_one_page_for_everyone(playing: Browser) -> None:
    """The table links to its wheel's rules; the page is the same for every visitor, so a
    cache may keep it (parlor.wsgi.cache does), and it touches no visit."""
    table = playing.get("/table")
    assert 'href="/rules?wheel=american"' in table.text
    page = playing.get("/rules?wheel=american")
    words = text(page)
    assert page.status_code == 200
    assert "Payouts on the american wheel" in words
    assert "five 5 6 to 1 7.89%" in words
    assert "straight 1 35 to 1 5.26%" in words
    assert "first four" not in words
    assert "public" in page.headers["cache-control"]
    assert "set-cookie" not in page.headers
    assert playing.token is not None
    assert playing.token not in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [("wheel=european", "first four 4 8 to 1 2.70%"), ("", "five 5"), ("wheel=<x>", "five 5")],
)
def test_the_rules_without_a_game(browser: Browser, query: str, expected: str) -> None:
    page = browser.get("/rules", query_string=query or None)
    assert page.status_code == 200
    assert expected in text(page)


def test_fairness_then_ending_reveals_and_verifies(
    playing: Browser, sdk: RouletteClient, house: RouletteHouse, database: Database
) -> None:
    sid = session_of(house, database)
    playing.bet(10, proposition="even")
    playing.submit("/spin", {"spin": "1"})
    playing.bet(20, proposition="odd")
    page = playing.get("/fairness")
    state = sdk.session(sid)
    assert f'<code id="seed-hash">{state.server_seed_hash}</code>' in page.text
    assert "server-seed" not in page.text
    assert "End the game and reveal the seed" in page.text
    posted = playing.post("/end")
    assert posted.status_code == 303
    assert posted.headers["location"] == "/fairness"
    page = playing.get("/fairness")
    ended = sdk.session(sid)
    assert ended.server_seed is not None
    assert f'<code id="server-seed">{ended.server_seed}</code>' in page.text
    assert "Verified: every spin was fair" in page.text
    assert f"you leave with {ended.balance:,} chips" in text(page)
    # The table says it is over; betting and spinning are refused with a notice.
    table = playing.get("/table")
    assert "This game has ended" in table.text
    assert 'action="/bets"' not in table.text
    assert 'action="/spin"' not in table.text
    for path, fields in [("/bets", {"amount": "10", "proposition": "red"}), ("/spin", {})]:
        assert "This game has ended" in text(playing.submit(path, fields))
    assert "This game has ended" in text(playing.submit("/end"))
    assert sdk.session(sid).spin_count == 1


def test_a_game_ended_between_page_and_spin(
    playing: Browser,
    sdk: RouletteClient,
    house: RouletteHouse,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parlor.client import Conflict

    monkeypatch.setattr(
        sdk,
        "spin",
        lambda *a, **k: (_ for _ in ()).throw(Conflict(409, "x", "ended", code="session_ended")),
    )
    assert "This game has ended" in text(playing.submit("/spin", {"spin": "1"}))


# -- no game, the expired page ----------------------------------------------------


@pytest.mark.parametrize("path", ["/table", "/fairness"])
def test_pages_of_a_game_without_one_go_to_the_start(browser: Browser, path: str) -> None:
    result = browser.get(path)
    assert result.status_code == 303
    assert result.headers["location"] == "/"


def test_the_expired_page_offers_a_new_game(browser: Browser) -> None:
    page = browser.get("/expired")
    assert page.status_code == 200
    assert "Your visit has ended" in page.text
    assert "after 20 minutes without activity, and after 12 hours in any case" in text(page)
    assert 'href="/"' in page.text


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (1200, "20 minutes"),
        (3600, "1 hour"),
        (43200, "12 hours"),
        (60, "1 minute"),
        (90, "90 seconds"),
        (1, "1 second"),
    ],
)
def test_durations_as_people_say_them(seconds: float, said: str) -> None:
    from parlor.web.pages import _duration

    assert _duration(seconds) == said


def test_a_game_the_house_forgot(browser: Browser, store: SessionStore, clock: Clock) -> None:
    seat(browser, store, clock, "no-such-session-id")
    result = browser.last
    assert result is not None
    assert result.status_code == 303
    assert result.headers["location"] == "/"
    page = browser.get("/")
    assert "The house no longer knows your game" in page.text
    assert browser.get("/table").headers["location"] == "/"  # forgotten for good


# -- static files, headers, unknown routes -----------------------------------------


def test_static_files_are_cached_by_content(browser: Browser) -> None:
    page = browser.get("/")
    css = re.search(r'href="(/static/parlor\.css)\?v=([0-9a-f]+)"', page.text)
    assert css is not None
    result = browser.get(css.group(1))
    assert result.status_code == 200
    assert result.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in result.headers["cache-control"]
    assert "set-cookie" not in result.headers
    again = browser.get(css.group(1), headers={"If-None-Match": result.headers["etag"]})
    assert again.status_code == 304
    assert browser.get("/static/parlor.js").headers["content-type"].startswith("text/javascript")
    assert browser.get("/static/nothing.txt").status_code == 404


def test_every_page_has_safe_headers_and_a_private_cookie(browser: Browser) -> None:
    result = browser.get("/")
    assert "script-src 'self'" in result.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in result.headers["content-security-policy"]
    assert result.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in result.headers["cache-control"]
    cookie = result.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Path=/" in cookie


def test_the_cookie_is_secure_over_https(web: testing.TestClient) -> None:
    result = web.simulate_get("/", protocol="https")
    assert "Secure" in result.headers["set-cookie"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("GET", "/spin", 405), ("DELETE", "/table", 405)],
)
def test_unknown_routes_and_methods_are_pages(
    web: testing.TestClient, method: str, path: str, status: int
) -> None:
    result = web.simulate_request(method, path)
    assert result.status_code == status
    assert result.headers["content-type"].startswith("text/html")
    assert "Back to the table" in result.text
