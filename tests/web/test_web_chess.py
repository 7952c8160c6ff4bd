"""The chess pages in-process: the web app over the real service, both through their pipes.

Two browsers (each its own cookie jar) create, join and play through the
no-JavaScript forms, each POST a 303 followed like a browser; the tables ask
each bad input once; and the seat tokens the visits hold are looked for in
every answer a browser got.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from wsgiref.validate import validator

import httpx
import pytest
from falcon import testing

from parlor import passwords
from parlor.client import ChessClient, RouletteClient
from parlor.house.accounts import AccountsHouse
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app as create_service
from parlor.store.web_sessions import DatabaseSessions
from parlor.web.app import create_app
from parlor.web.chess_board import MAX_REPLAY_PLIES, clock_text, read_pgn, result_words
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from tests.web.web_support import COOKIE, IDLE, MAX_AGE, SERVICE, Browser, Clock

PASSWORD = "correct horse battery"
BOUNDARY = "parlorchessboundary42"
GAME_LINK = re.compile(r'/chess/([A-Za-z0-9_-]{12})"')


class Recorder(Browser):
    """A browser that keeps every answer it got, to look for secrets in all of them."""

    def __init__(self, client: testing.TestClient) -> None:
        super().__init__(client)
        self.seen: list[testing.Result] = []

    def _keep(self, result: testing.Result) -> testing.Result:
        self.seen.append(result)
        return super()._keep(result)


@pytest.fixture
def chess_web(
    house: RouletteHouse, clock: Clock, store: DatabaseSessions, uploads: Path
) -> Iterator[testing.TestClient]:
    """The web app whose chess client, like its roulette client, calls the service in-process."""
    accounts = AccountsHouse(house.db, hasher=passwords.new_hasher(fast=True))
    transport = httpx.WSGITransport(app=create_service(house, accounts=accounts))
    with (
        RouletteClient(SERVICE, transport=transport, sleep=lambda _: None) as roulette,
        ChessClient(SERVICE, transport=transport, sleep=lambda _: None) as chess,
    ):
        app = create_app(
            roulette, store, uploads=uploads, chess=chess, idle=IDLE, max_age=MAX_AGE, clock=clock
        )
        validated = validator(app)

        # Falcon's test client inspects the app's parameters; the validator takes *args.
        def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            return validated(environ, start_response)

        yield testing.TestClient(wsgi)


@pytest.fixture
def alice(chess_web: testing.TestClient) -> Recorder:
    return Recorder(chess_web)


@pytest.fixture
def bob(chess_web: testing.TestClient) -> Recorder:
    return Recorder(chess_web)


def text_of(result: testing.Result) -> str:
    """The page as a person reads it: tags out, spaces folded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", result.text)))


def new_game(browser: Browser, **fields: str) -> str:
    """Start a game from the lobby's form; the game's id, from the page it lands on."""
    browser.get("/chess")
    result = browser.post("/chess", {"color": "white", **fields})
    assert result.status_code == 303, result.text
    location = result.headers["location"]
    assert location.startswith("/chess/")
    page = browser.get(location)
    assert page.status_code == 200, page.text
    return location.removeprefix("/chess/")


def join(browser: Browser, game_id: str) -> testing.Result:
    browser.get("/chess")
    return browser.submit(f"/chess/{game_id}/join", {})


def move(browser: Browser, game_id: str, text: str, ply: str | None = None) -> testing.Result:
    """Send the page's move form as shown (its ply), or with a ply of the test's choosing."""
    page = browser.get(f"/chess/{game_id}")
    if ply is None:
        found = re.search(r'name="ply" value="(\d+)"', page.text)
        assert found is not None, "no move form on the page"
        ply = found.group(1)
    result = browser.post(f"/chess/{game_id}/move", {"move": text, "ply": ply})
    assert result.status_code == 303, result.text
    assert result.headers["location"] == f"/chess/{game_id}#move"
    return browser.get(result.headers["location"])


def act(browser: Browser, game_id: str, action: str) -> testing.Result:
    browser.get(f"/chess/{game_id}")
    return browser.submit(f"/chess/{game_id}/act", {"action": action})


@pytest.fixture
def game(alice: Recorder, bob: Recorder) -> str:
    """A game alice (white) and bob (black) both sit at."""
    game_id = new_game(alice, name="alice")
    page = join(bob, game_id)
    assert "You play black" in text_of(page)
    return game_id


def register(browser: Browser, name: str) -> None:
    browser.get("/register")
    page = browser.submit(
        "/register", {"username": name, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert page.status_code == 200, page.text


# -- the lobby and a game ---------------------------------------------------------------


def test_the_lobby_offers_a_new_game_and_the_nav_links_it(alice: Recorder) -> None:
    page = alice.get("/chess")
    assert page.status_code == 200
    assert 'href="/chess">Chess</a>' in page.text
    words = text_of(page)
    assert "Start a game" in words
    assert "No game waits for a player" in words
    assert "My games" not in words  # for a signed-in player only


def test_create_join_and_play_through_the_forms(alice: Recorder, bob: Recorder) -> None:
    game_id = new_game(alice, name="alice", minutes="5", increment="3")
    waiting = alice.get(f"/chess/{game_id}")
    assert "Waiting for an opponent to join." in text_of(waiting)
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in waiting.text
    assert "Clock 5+3." in text_of(waiting)

    lobby = bob.get("/chess")
    assert f'action="/chess/{game_id}/join"' in lobby.text
    assert "alice" in text_of(lobby)
    page = join(bob, game_id)
    assert "You joined as black." in text_of(page)
    assert "White to move." in text_of(page)
    assert 'id="move-form"' not in page.text  # not bob's turn: no form, the page refreshes
    assert 'http-equiv="refresh"' in page.text

    page = move(alice, game_id, "e4")
    assert "<span>e4</span>" in page.text
    assert "Black to move." in text_of(page)
    page = move(bob, game_id, "e7e5")  # UCI too; the list shows SAN
    assert "<span>e4</span> <span>e5</span>" in page.text
    assert "Your move." in text_of(page) or "White to move." in text_of(page)
    mine = alice.get(f"/chess/{game_id}")
    assert "Your move." in text_of(mine)
    assert 'http-equiv="refresh"' not in mine.text  # the player on move types undisturbed
    assert 'data-legal="' in mine.text
    assert "g1f3" in mine.text

    # The lobby lists it as being played, to watch.
    assert f'href="/chess/{game_id}">Watch</a>' in bob.get("/chess").text


def test_the_board_is_drawn_for_the_viewer_with_the_last_move(
    alice: Recorder, bob: Recorder, game: str
) -> None:
    move(alice, game, "e4")
    black = bob.get(f"/chess/{game}").text
    white = alice.get(f"/chess/{game}").text
    assert "<svg" in black
    assert "lastmove" in black
    # Black's side at the bottom: a1 is drawn top right.
    assert re.search(r'<rect x="330" y="15" width="45" height="45" class="square dark a1"', black)
    assert re.search(r'<rect x="15" y="330" width="45" height="45" class="square dark a1"', white)
    assert 'style="' not in black  # the page's CSP allows no inline style


def test_check_is_marked(alice: Recorder, bob: Recorder, game: str) -> None:
    for white, black in (("e4", "f6"), ("d4", "g5")):
        move(alice, game, white)
        move(bob, game, black)
    page = move(alice, game, "Qh5")
    assert "1-0: White won by checkmate." in text_of(page)
    assert 'class="check"' in page.text


def test_a_bad_move_is_shown_beside_the_field_with_the_legal_moves(
    alice: Recorder, game: str
) -> None:
    page = move(alice, game, "Ke5")
    error = re.search(r'<p class="error" id="move-error">([^<]+)</p>', page.text)
    assert error is not None
    assert error.group(1).strip()
    assert 'aria-invalid="true"' in page.text
    assert 'value="Ke5"' in page.text
    legal = re.search(r'id="legal-moves">Legal moves: ([^<]+)<', page.text)
    assert legal is not None
    assert "Nf3" in legal.group(1)
    assert "e4" in legal.group(1)
    # The error is shown once: the next look is a clean page.
    assert 'id="move-error"' not in alice.get(f"/chess/{game}").text


@pytest.mark.parametrize(
    ("text", "ply", "words"),
    [
        ("", None, "Enter a move"),
        ("   ", None, "Enter a move"),
        ("x" * 10_000, None, "A move is a few characters"),
        ("<script>", None, None),  # the service's own message, escaped
        ("e2e5", None, None),
        ("0000", None, None),
        ("e4", "", "lost its place"),
        ("e4", "-1", "lost its place"),
        ("e4", "9" * 40, "lost its place"),
        ("e4", "7", None),  # the service: a ply that is not the game's
    ],
)
def test_nonsense_moves_are_refused_beside_the_field(
    alice: Recorder, game: str, text: str, ply: str | None, words: str | None
) -> None:
    page = move(alice, game, text, ply)
    assert page.status_code == 200
    error = re.search(r'id="move-error">([^<]+)<', page.text)
    assert error is not None, page.text
    if words is not None:
        assert words in error.group(1)
    assert "<script>" not in page.text.split("<main", 1)[1]
    assert "No moves yet." in text_of(page)


def test_a_move_from_a_stale_page_gets_the_services_message(
    alice: Recorder, bob: Recorder, game: str
) -> None:
    move(alice, game, "e4")
    move(bob, game, "e5")
    # An old tab's form, drawn before e4: white to move again, but not in that position.
    page = move(alice, game, "d4", ply="0")
    error = re.search(r'id="move-error">([^<]+)<', page.text)
    assert error is not None
    assert "ply" in error.group(1).lower()
    assert "<span>e4</span> <span>e5</span>" in page.text
    # An old form after the move was made: no longer alice's turn.
    move(alice, game, "Nf3")
    page = move(alice, game, "d4", ply="2")
    assert 'id="move-error"' in page.text
    assert 'id="move-form"' not in page.text


def test_a_field_over_the_forms_pipes_limit_is_a_413_page(alice: Recorder, game: str) -> None:
    alice.get(f"/chess/{game}")
    result = alice.post(f"/chess/{game}/move", {"move": "x" * 20_000, "ply": "0"})
    assert result.status_code == 413
    assert "text/html" in result.headers["content-type"]


def test_the_same_form_sent_twice_is_one_move(alice: Recorder, game: str) -> None:
    alice.get(f"/chess/{game}")
    for _ in range(2):
        result = alice.post(f"/chess/{game}/move", {"move": "e4", "ply": "0"})
        assert result.status_code == 303
    page = alice.get(f"/chess/{game}")
    assert 'id="move-error"' not in page.text
    assert page.text.count("<span>e4</span>") == 1


# -- the buttons ----------------------------------------------------------------------


def test_abort_before_the_second_move(alice: Recorder, game: str) -> None:
    page = act(alice, game, "abort")
    assert "You aborted the game." in text_of(page)
    assert "The game was aborted." in text_of(page)
    assert 'id="move-form"' not in page.text
    assert 'name="action"' not in page.text
    assert "http-equiv" not in page.text  # over: nothing more to wait for


def test_abort_is_refused_after_two_moves(alice: Recorder, bob: Recorder, game: str) -> None:
    move(alice, game, "e4")
    move(bob, game, "e5")
    assert 'value="abort"' not in alice.get(f"/chess/{game}").text
    page = act(alice, game, "abort")  # an old page's button
    assert "resign instead" in text_of(page)


def test_a_draw_offered_declined_offered_accepted(
    alice: Recorder, bob: Recorder, game: str
) -> None:
    page = act(alice, game, "offer")
    assert "You offered a draw; it waits for an answer." in text_of(page)
    assert 'value="offer"' not in page.text
    theirs = bob.get(f"/chess/{game}")
    assert "White offers a draw." in text_of(theirs)
    assert 'value="accept"' in theirs.text
    assert 'value="decline"' in theirs.text
    page = act(bob, game, "decline")
    assert "You declined the draw." in text_of(page)
    assert "offers a draw" not in text_of(page)
    act(alice, game, "offer")
    page = act(bob, game, "accept")
    assert "Drawn by agreement." in text_of(page)


def test_resign(alice: Recorder, bob: Recorder, game: str) -> None:
    page = act(bob, game, "resign")
    assert "You resigned." in text_of(page)
    assert "1-0: White won by resignation." in text_of(alice.get(f"/chess/{game}"))


def test_claim_a_draw_by_repetition(alice: Recorder, bob: Recorder, game: str) -> None:
    for _ in range(2):
        for player, text in ((alice, "Nf3"), (bob, "Nf6"), (alice, "Ng1"), (bob, "Ng8")):
            move(player, game, text)
    page = alice.get(f"/chess/{game}")
    assert 'value="claim"' in page.text
    page = act(alice, game, "claim")
    assert "Drawn by threefold repetition, claimed." in text_of(page)


def test_an_unknown_action_is_refused(alice: Recorder, game: str) -> None:
    page = act(alice, game, "explode")
    assert "Choose one of the game's buttons." in text_of(page)


# -- watchers and seats -------------------------------------------------------------------


def test_a_spectator_sees_no_controls_and_cannot_act(
    chess_web: testing.TestClient, alice: Recorder, game: str
) -> None:
    carol = Recorder(chess_web)
    carol.get("/chess")  # a page with forms: the visit's token, for the forged posts below
    move(alice, game, "e4")
    page = carol.get(f"/chess/{game}")
    assert "You are watching." in text_of(page)
    assert 'id="move-form"' not in page.text
    assert 'name="action"' not in page.text
    assert 'data-legal=""' in page.text
    assert '<noscript><meta http-equiv="refresh"' in page.text
    # White's side at the bottom for a watcher.
    assert '<rect x="15" y="330" width="45" height="45" class="square dark a1"' in page.text
    for path, fields in (
        (f"/chess/{game}/move", {"move": "e5", "ply": "1"}),
        (f"/chess/{game}/act", {"action": "resign"}),
    ):
        result = carol.post(path, fields)
        assert result.status_code == 303
        after = carol.get(result.headers["location"])
        assert "You have no seat at this game: you can watch it." in text_of(after)
    assert "<span>e4</span> <span></span>" in alice.get(f"/chess/{game}").text


def test_a_full_game_cannot_be_joined(chess_web: testing.TestClient, game: str) -> None:
    carol = Recorder(chess_web)
    page = join(carol, game)
    assert "both seats of this game are taken" in text_of(page).lower()
    assert "You are watching." in text_of(page)


def test_seat_tokens_appear_in_no_answer(
    alice: Recorder, bob: Recorder, game: str, store: DatabaseSessions
) -> None:
    move(alice, game, "e4")
    move(bob, game, "e5")
    alice.get(f"/chess/{game}/state")
    alice.get(f"/chess/{game}/pgn")
    act(alice, game, "offer")
    act(bob, game, "decline")
    tokens = []
    for browser in (alice, bob):
        stored = store.load(hashlib.sha256((browser.cookie or "").encode()).hexdigest())
        assert stored is not None
        tokens += [seat["token"] for seat in stored.data["chess_seats"].values()]
    assert len(tokens) == 2
    assert all(t.startswith("chess_") for t in tokens)
    for result in (*alice.seen, *bob.seen):
        exposed = result.text + repr(result.headers) + repr(result.cookies)
        for token in tokens:
            assert token not in exposed
            assert token[6:] not in exposed


def test_a_visitor_keeps_seats_at_several_games(alice: Recorder, bob: Recorder) -> None:
    first = new_game(alice)
    second = new_game(alice, color="black")
    join(bob, first)
    join(bob, second)
    assert "Your move." in text_of(alice.get(f"/chess/{first}"))
    assert "You play black" in text_of(alice.get(f"/chess/{second}"))
    assert "Your move." in text_of(bob.get(f"/chess/{second}"))


def test_my_games_and_playing_by_account_alone(
    chess_web: testing.TestClient, alice: Recorder, bob: Recorder
) -> None:
    register(alice, "alice")
    game_id = new_game(alice)
    join(bob, game_id)
    lobby = alice.get("/chess")
    assert "My games" in text_of(lobby)
    assert f'href="/chess/{game_id}">Resume</a>' in lobby.text
    # A new browser, logged in: no seat token in its visit, the account's seat all the same.
    phone = Recorder(chess_web)
    phone.get("/login")
    phone.submit("/login", {"username": "alice", "password": PASSWORD, "next": "/chess"})
    assert f'href="/chess/{game_id}">Resume</a>' in phone.get("/chess").text
    page = phone.get(f"/chess/{game_id}")
    assert "You play white" in text_of(page)
    page = move(phone, game_id, "d4")
    assert "<span>d4</span>" in page.text
    assert 'id="move-error"' not in page.text
    assert "Your move." in text_of(bob.get(f"/chess/{game_id}"))


# -- PGN out and in -------------------------------------------------------------------


def test_the_pgn_downloads_and_a_finished_one_may_be_cached(
    alice: Recorder, bob: Recorder, game: str
) -> None:
    move(alice, game, "e4")
    move(bob, game, "e5")
    playing = alice.get(f"/chess/{game}/pgn")
    assert playing.status_code == 200
    assert playing.headers["content-type"].startswith("application/x-chess-pgn")
    assert playing.headers["content-disposition"].startswith("attachment")
    assert "1. e4 e5" in playing.text
    assert "public" not in playing.headers["cache-control"]
    act(bob, game, "resign")
    finished = bob.get(f"/chess/{game}/pgn")
    assert finished.headers["cache-control"] == "public, max-age=86400"
    assert '[Result "1-0"]' in finished.text
    assert "set-cookie" not in {k.lower() for k in finished.headers}
    # The web's caching pipe keeps it: another visitor's download comes from the store.
    again = alice.get(f"/chess/{game}/pgn")
    assert again.text == finished.text
    assert "age" in {k.lower() for k in again.headers}
    page = alice.get(f"/chess/{game}")
    assert f'href="/chess/{game}/pgn"' in page.text


def multipart(content: bytes, token: str, field: str = "pgn") -> bytes:
    return (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="game.pgn"\r\n'
            "Content-Type: application/x-chess-pgn\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def upload(browser: Browser, content: bytes, field: str = "pgn") -> testing.Result:
    browser.get("/chess")
    assert browser.token is not None
    result = browser.client.simulate_post(
        "/chess/import",
        body=multipart(content, browser.token, field),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        cookies={COOKIE: browser.cookie or ""},
    )
    assert result.status_code == 303, result.text
    return browser.get(result.headers["location"])


SCHOLAR = b"""[Event "Club <night>"]
[White "Anna"]
[Black "Boris"]
[Result "1-0"]

1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# 1-0
"""


def test_an_imported_pgn_replays(alice: Recorder, uploads: Path) -> None:
    page = upload(alice, SCHOLAR)
    words = text_of(page)
    assert "Anna vs Boris" in words
    assert "Club <night>" not in page.text
    assert "Club &lt;night&gt;" in page.text
    assert "After 7 of 7 half-moves. 1-0: checkmate." in words
    assert "Qxf7#" in words
    assert "<svg" in page.text
    step = alice.get("/chess/replay?ply=2")
    assert "After 2 of 7 half-moves. White to move." in text_of(step)
    assert 'href="/chess/replay?ply=3" rel="next"' in step.text
    for odd in ("-1", "x", "99999999999999", "1e3"):
        assert "After" in text_of(alice.get(f"/chess/replay?ply={odd}"))
    assert not list(uploads.glob("*"))  # read, then deleted


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "holds no PGN game"),
        (b"hello world", "holds no PGN game"),
        (b"1. e4 e5 2. Ke3 *", "cannot be read"),
        (b'[Variant "Atomic"]\n\n1. e4 *', "standard chess"),
        (b"\xff\xfe\x00garbage", "holds no PGN game"),
        (b"1. e4 -- 2. d4 *", "null move"),
        (b"1. Nf3 Nf6 2. Ng1 Ng8 " * (MAX_REPLAY_PLIES // 4 + 1) + b"*", "longer than"),
    ],
)
def test_a_bad_pgn_is_refused_beside_the_field(
    alice: Recorder, uploads: Path, content: bytes, words: str
) -> None:
    page = upload(alice, content)
    error = re.search(r'id="pgn-error">([^<]+)<', page.text)
    assert error is not None
    assert words in error.group(1)
    assert not list(uploads.glob("*"))


def test_an_import_without_a_file_and_a_replay_without_an_import(alice: Recorder) -> None:
    page = upload(alice, b"1. e4 *", field="other")
    assert "Choose a PGN file to import." in text_of(page)
    result = alice.get("/chess/replay")
    assert result.status_code == 303
    assert result.headers["location"] == "/chess#import"


# -- the long poll's JSON -------------------------------------------------------------


def test_the_state_endpoint_answers_the_live_part(
    alice: Recorder, bob: Recorder, game: str
) -> None:
    move(alice, game, "e4")
    answer = bob.get(f"/chess/{game}/state?since=1")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert "no-store" in answer.headers["cache-control"]
    state = json.loads(answer.text)
    assert state["over"] is False
    assert state["version"] >= 3
    assert 'id="move-form"' in state["live"]
    assert "<svg" in state["live"]
    assert "<span>e4</span>" in state["live"]
    assert "<html" not in state["live"]
    assert json.loads(bob.get(f"/chess/{game}/state?since=nonsense").text)["version"] >= 3


# -- the new-game form and bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"color": "purple"}, "color", "Pick white, black"),
        ({"minutes": "abc"}, "minutes", "whole number"),
        ({"minutes": "0"}, "minutes", "from 1 to 1,440"),
        ({"minutes": "99999"}, "minutes", "whole number"),
        ({"minutes": "5", "increment": "-1"}, "increment", "whole number"),
        ({"minutes": "5", "increment": "4000"}, "increment", "from 0 to 3,600"),
        ({"increment": "3"}, "minutes", "Give the minutes too"),
        ({"name": "a\u200bb"}, "name", "control or invisible"),
        ({"name": "n" * 41}, "name", "at most 40"),
    ],
)
def test_a_bad_new_game_form_is_shown_beside_its_field(
    alice: Recorder, fields: dict[str, str], field: str, words: str
) -> None:
    alice.get("/chess")
    page = alice.submit("/chess", {"color": "white", **fields})
    error = re.search(rf'id="{field}-error">([^<]+)<', page.text)
    assert error is not None, page.text
    assert words in error.group(1)
    assert "No game waits for a player" in text_of(page)


@pytest.mark.parametrize(
    "path",
    [
        "/chess/nosuchgame00",
        "/chess/nosuchgame00/pgn",
        "/chess/nosuchgame00/state?since=1",
        "/chess/" + "x" * 300,
        "/chess/a.b",
        "/chess/%00",
    ],
)
def test_an_unknown_game_is_a_404_page(alice: Recorder, path: str) -> None:
    result = alice.get(path)
    assert result.status_code == 404
    assert "text/html" in result.headers["content-type"]


@pytest.mark.parametrize("action", ["move", "act", "join"])
def test_a_post_for_an_unknown_game_is_a_404_page(alice: Recorder, action: str) -> None:
    register(alice, "alice")  # signed in: the service itself is asked
    alice.get("/chess")
    fields = {"move": "e4", "ply": "0", "action": "resign"}
    result = alice.post(f"/chess/nosuchgame00/{action}", fields)
    assert result.status_code == 404


def test_forms_without_or_with_a_wrong_token_are_refused(alice: Recorder, game: str) -> None:
    alice.get(f"/chess/{game}")
    missing = alice.post(f"/chess/{game}/move", {"move": "e4", "ply": "0"}, token=False)
    assert missing.status_code == 403
    wrong = alice.post(f"/chess/{game}/act", {"action": "resign", "csrf_token": "forged"})
    assert wrong.status_code == 403
    foreign = alice.post(
        f"/chess/{game}/move", {"move": "e4", "ply": "0"}, headers={"Origin": "https://evil.test"}
    )
    assert foreign.status_code == 403
    assert "No moves yet." in text_of(alice.get(f"/chess/{game}"))


# -- pure pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0, "0:00.0"), (9.44, "0:09.4"), (65.0, "1:05"), (3723.0, "1:02:03"), (-2.0, "0:00.0")],
)
def test_clock_text(seconds: float, shown: str) -> None:
    assert clock_text(seconds) == shown


def test_result_words_for_an_unknown_ending() -> None:
    assert result_words("1-0", None) == "1-0: White won."
    assert result_words("1/2-1/2", None) == "Drawn."
    assert result_words("*", None) == "The game is over."


def test_a_pgn_in_latin_1_and_from_a_position() -> None:
    text = '[White "Jos\xe9"]\n[FEN "4k3/8/8/8/8/8/8/4K2R w K - 0 1"]\n[SetUp "1"]\n\n1. O-O *'
    replay = read_pgn(text.encode("latin-1"))
    assert replay.tags["White"] == "José"
    assert replay.moves == ("e1g1",)
    assert replay.sans() == ["O-O"]


def test_a_replay_continues_as_a_new_game_from_the_position_shown(alice: Recorder) -> None:
    upload(alice, SCHOLAR)
    alice.get("/chess/replay?ply=4")
    started = alice.post("/chess/replay/continue", {"ply": "4", "color": "white"})
    assert started.status_code == 303, started.text
    game_id = started.headers["location"].removeprefix("/chess/")
    page = alice.get(started.headers["location"])
    words = text_of(page)
    assert "The game goes on from move 3: you play white." in words
    assert "Waiting for an opponent" in words or "waiting" in words.lower()
    assert "e4 e5 Bc4 Nc6" in words
    # At the end of a finished game there is nothing to play on.
    over = alice.post("/chess/replay/continue", {"ply": "7", "color": "white"})
    assert over.status_code == 303
    assert "nothing to continue" in text_of(alice.get(over.headers["location"]))
    odd = alice.post("/chess/replay/continue", {"ply": "2", "color": "green"})
    assert "Pick white, black" in text_of(alice.get(odd.headers["location"]))
    assert game_id


def test_without_an_engine_the_lobby_offers_no_computer(alice: Recorder) -> None:
    lobby = alice.get("/chess")
    assert 'name="opponent"' not in lobby.text
    refused = alice.post("/chess", {"color": "white", "opponent": "computer", "level": "3"})
    assert refused.status_code == 303
    assert "has no chess engine" in text_of(alice.get(refused.headers["location"]))
