"""The chess REST API in-process, through its pipes, on both engines.

Every ending the rules know is played through HTTP and its PGN checked; the
bad-input table asks each refusal once, in the documented order; the SDK
(``ChessClient``) is used where a program would, raw httpx where the exact
status and headers are the point.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import chess
import chess.pgn
import httpx
import pytest

from parlor import passwords
from parlor.client import ChessClient, Conflict, Forbidden, InvalidInput, Unauthorized
from parlor.house.accounts import AccountsHouse
from parlor.house.chess import ChessHouse
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app
from parlor.store.db import Database

BASE = "http://service.test"
GAMES = "/api/v1/chess/games"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def http(house: RouletteHouse, clock: Clock) -> Iterator[httpx.Client]:
    accounts = AccountsHouse(house.db, hasher=passwords.new_hasher(fast=True))
    app = create_app(house, accounts=accounts, chess=ChessHouse(house.db, clock=clock))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE) as client:
        yield client


@pytest.fixture
def sdk(http: httpx.Client) -> ChessClient:
    return ChessClient(BASE, transport=http._transport, sleep=lambda _: None)


class Table:
    """A game with both seats taken, and a way to play it through the API."""

    def __init__(self, http: httpx.Client, **create: Any) -> None:
        self.http = http
        made = http.post(GAMES, json={"color": "white", "name": "alice", **create})
        assert made.status_code == 201, made.text
        self.id: str = made.json()["game"]["game"]
        self.white: str = made.json()["token"]
        joined = http.post(f"{GAMES}/{self.id}/join", json={"name": "bob"})
        assert joined.status_code == 200, joined.text
        self.black: str = joined.json()["token"]
        self.state: dict[str, Any] = joined.json()["game"]

    def token(self, color: str) -> str:
        return self.white if color == "white" else self.black

    def post(self, action: str, color: str, body: object = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(color)}", **kw.pop("headers", {})}
        return self.http.post(
            f"{GAMES}/{self.id}/{action}", json=body if body is not None else {}, headers=headers
        )

    def play(self, *moves: str) -> dict[str, Any]:
        for text in moves:
            answer = self.post(
                "moves", self.state["turn"], {"move": text, "ply": self.state["ply"]}
            )
            assert answer.status_code == 201, answer.text
            self.state = answer.json()
        return self.state

    def pgn(self) -> chess.pgn.Game:
        text = self.http.get(f"{GAMES}/{self.id}/pgn")
        assert text.status_code == 200
        assert text.headers["content-type"].startswith("application/x-chess-pgn")
        record = chess.pgn.read_game(io.StringIO(text.text))
        assert record is not None
        return record


def _ended(state: dict[str, Any], result: str, termination: str) -> None:
    assert (state["status"], state["result"], state["termination"]) == (
        "over", result, termination,
    )  # fmt: skip
    assert state["legal_moves"] == []


# -- endings ---------------------------------------------------------------------------


def test_fools_mate_ends_the_game_and_its_pgn_says_so(http: httpx.Client) -> None:
    table = Table(http)
    state = table.play("f3", "e5", "g4", "Qh4#")
    _ended(state, "0-1", "checkmate")
    assert state["check"] is True
    assert [m["san"] for m in state["moves"]] == ["f3", "e5", "g4", "Qh4#"]
    assert [m["uci"] for m in state["moves"]] == ["f2f3", "e7e5", "g2g4", "d8h4"]
    record = table.pgn()
    assert (record.headers["Result"], record.headers["Termination"]) == ("0-1", "normal")
    assert (record.headers["White"], record.headers["Black"]) == ("alice", "bob")
    assert record.end().board().is_checkmate()


def test_a_stalemate_is_a_draw(http: httpx.Client) -> None:
    # Sam Loyd's ten-move stalemate.
    table = Table(http)
    moves = "e3 a5 Qh5 Ra6 Qxa5 h5 h4 Rah6 Qxc7 f6 Qxd7+ Kf7 Qxb7 Qd3 Qxb8 Qh7 Qxc8 Kg6 Qe6"
    _ended(table.play(*moves.split()), "1/2-1/2", "stalemate")
    assert table.pgn().headers["Result"] == "1/2-1/2"


KNIGHTS_DANCE = ["Nf3", "Nf6", "Ng1", "Ng8"]


def test_threefold_is_claimed_fivefold_ends_by_itself(http: httpx.Client) -> None:
    table = Table(http)
    table.play(*KNIGHTS_DANCE)  # the start position twice
    assert not table.state["can_claim_draw"]
    early = table.post("draw", "white", {"action": "claim"})
    assert (early.status_code, early.json()["code"]) == (409, "not_allowed")
    table.play(*KNIGHTS_DANCE)  # three times: claimable, not automatic
    assert table.state["status"] == "active"
    assert table.state["can_claim_draw"]
    claimed = table.post("draw", "white", {"action": "claim"})
    _ended(claimed.json(), "1/2-1/2", "threefold_repetition")

    fivefold = Table(http)
    _ended(fivefold.play(*KNIGHTS_DANCE * 4), "1/2-1/2", "fivefold_repetition")
    assert fivefold.pgn().headers["Result"] == "1/2-1/2"


def test_the_75_move_rule_ends_the_game(http: httpx.Client) -> None:
    """150 half-moves without a capture or a pawn move, shuffling pieces, no repetition five
    times: a walk of the knights and rooks found by search is overkill, so the game is
    replayed from a known-good sequence made here with python-chess."""
    board = chess.Board()
    # Open the position with pawn moves, then wander without captures or pawn moves.
    opening = ["e4", "e5", "d4", "d5", "c4", "c5", "b3", "b6", "g3", "g6"]
    for san in opening:
        board.push_san(san)
    moves = list(opening)
    import random

    rng = random.Random(7)
    while not board.is_seventyfive_moves():
        quiet = [
            m
            for m in board.legal_moves
            if not board.is_capture(m)
            and board.piece_type_at(m.from_square) != chess.PAWN
            and not board.gives_check(m)
        ]
        rng.shuffle(quiet)
        for candidate in quiet:
            board.push(candidate)
            if board.is_repetition(4) or board.is_checkmate() or board.is_stalemate():
                board.pop()
                continue
            moves.append(board.peek().uci())
            break
        else:
            pytest.fail("the walk found no quiet move")
    table = Table(http)
    state = table.play(*moves)
    _ended(state, "1/2-1/2", "seventyfive_moves")


def test_promotion_castling_both_ways_and_en_passant(http: httpx.Client) -> None:
    table = Table(http)
    table.play("e4", "d5", "e5", "f5")
    state = table.play("exf6")  # en passant
    assert state["moves"][-1] == {"uci": "e5f6", "san": "exf6"}
    state = table.play("Nc6", "fxg7", "Be6", "Nf3", "Qd6", "Bc4", "O-O-O")
    assert state["moves"][-1] == {"uci": "e8c8", "san": "O-O-O"}
    no_piece = table.post("moves", "white", {"move": "g7h8", "ply": state["ply"]})
    assert (no_piece.status_code, no_piece.json()["code"]) == (422, "illegal_move")
    assert "g7h8q" in no_piece.json()["legal_moves"]
    # An under-promotion, then castling written as the king taking its rook.
    state = table.play("g7h8=N", "a6", "e1h1")
    assert [m["san"] for m in state["moves"][-3:]] == ["gxh8=N", "a6", "O-O"]
    assert state["moves"][-1]["uci"] == "e1g1"


def test_resignation_and_agreed_draws_are_in_the_pgn(http: httpx.Client) -> None:
    table = Table(http)
    table.play("e4")
    _ended(table.post("resign", "black").json(), "1-0", "resignation")
    record = table.pgn()
    assert (record.headers["Result"], record.headers["Termination"]) == ("1-0", "normal")
    assert "black resigned" in record.end().comment

    agreed = Table(http)
    agreed.play("d4")
    offered = agreed.post("draw", "white", {"action": "offer"})
    assert offered.json()["draw_offer"] == "white"
    _ended(agreed.post("draw", "black", {"action": "accept"}).json(), "1/2-1/2", "agreement")
    assert "agreed a draw" in agreed.pgn().end().comment


def test_an_offer_is_declined_or_lapses_when_the_opponent_moves(http: httpx.Client) -> None:
    table = Table(http)
    table.play("e4")
    assert table.post("draw", "white", {"action": "offer"}).json()["draw_offer"] == "white"
    declined = table.post("draw", "black", {"action": "decline"}).json()
    assert declined["draw_offer"] is None
    table.post("draw", "white", {"action": "offer"})
    state = table.play("e5")  # black moves instead of answering
    assert state["draw_offer"] is None
    late = table.post("draw", "black", {"action": "accept"})
    assert (late.status_code, late.json()["code"]) == (409, "not_allowed")


def test_abort_before_the_second_move_only(http: httpx.Client) -> None:
    table = Table(http)
    table.play("e4")
    aborted = table.post("abort", "black").json()
    _ended(aborted, "*", "aborted")
    assert table.pgn().headers["Termination"] == "abandoned"
    late = Table(http)
    late.play("e4", "e5")
    refused = late.post("abort", "white")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_allowed")


def test_a_flag_falls_on_the_next_read(http: httpx.Client, clock: Clock) -> None:
    table = Table(http, clock={"initial": 60, "increment": 2})
    assert table.state["clocks"] == {"white": 60.0, "black": 60.0, "running": "white"}
    clock.now += 10
    state = table.play("e4")  # 10 s spent, 2 s back
    assert state["clocks"] == {"white": 52.0, "black": 60.0, "running": "black"}
    clock.now += 30
    read = http.get(f"{GAMES}/{table.id}").json()
    assert read["clocks"]["black"] == 30.0
    clock.now += 31
    _ended(http.get(f"{GAMES}/{table.id}").json(), "1-0", "outoftime")
    record = table.pgn()
    assert (record.headers["Termination"], record.headers["TimeControl"]) == (
        "time forfeit", "60+2",
    )  # fmt: skip


# -- the bad-input table ---------------------------------------------------------------


def _problem(answer: httpx.Response) -> tuple[int, str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return answer.status_code, answer.json()["code"]


BAD_MOVES = [
    ("illegal", {"move": "e2e5", "ply": 0}, (422, "illegal_move")),
    ("unreadable", {"move": "hello", "ply": 0}, (422, "illegal_move")),
    ("null 0000", {"move": "0000", "ply": 0}, (422, "illegal_move")),
    ("null --", {"move": "--", "ply": 0}, (422, "illegal_move")),
    ("a number", {"move": 42, "ply": 0}, (422, "illegal_move")),
    ("a list", {"move": ["e2e4"], "ply": 0}, (422, "illegal_move")),
    ("huge", {"move": "e" * 100_000, "ply": 0}, (413, "body_too_large")),
    ("long", {"move": "e2e4" * 10, "ply": 0}, (422, "illegal_move")),
    ("missing", {"ply": 0}, (422, "illegal_move")),
    ("stale ply", {"move": "e2e4", "ply": 3}, (409, "stale_ply")),
    ("ply as text", {"move": "e2e4", "ply": "0"}, (409, "stale_ply")),
    ("ply as bool", {"move": "e2e4", "ply": False}, (409, "stale_ply")),
    ("no ply", {"move": "e2e4"}, (409, "stale_ply")),
    ("unknown member", {"move": "e2e4", "ply": 0, "x": 1}, (422, "invalid_request")),
]


@pytest.mark.parametrize(("what", "body", "expected"), BAD_MOVES, ids=[c[0] for c in BAD_MOVES])
def test_bad_moves_are_refused_and_change_nothing(
    http: httpx.Client, what: str, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    table = Table(http)
    answer = table.post("moves", "white", body)
    assert _problem(answer) == expected
    if expected[1] == "illegal_move":
        assert set(answer.json()["legal_moves"]) == {m.uci() for m in chess.Board().legal_moves}
        assert answer.json()["field"] == "move"
    after = http.get(f"{GAMES}/{table.id}").json()
    assert (after["ply"], after["version"]) == (0, table.state["version"])


def test_each_refusal_has_one_answer_in_the_documented_order(http: httpx.Client) -> None:
    table = Table(http)
    other = Table(http)
    nonsense = {"move": 7, "ply": "x"}
    cases = {
        # the game first: an unknown game is 404 whatever else is wrong
        "unknown game": (http.post(f"{GAMES}/nope/moves", json=nonsense), (404, "unknown_game")),
        # then the seat
        "no token": (
            http.post(f"{GAMES}/{table.id}/moves", json=nonsense),
            (401, "no_seat_token"),
        ),
        "another game's token": (
            http.post(
                f"{GAMES}/{table.id}/moves",
                json=nonsense,
                headers={"Authorization": f"Bearer {other.white}"},
            ),
            (403, "not_a_player"),
        ),
        "a tampered token": (
            http.post(
                f"{GAMES}/{table.id}/moves",
                json=nonsense,
                headers={"Authorization": f"Bearer {table.white[:-2]}xx"},
            ),
            (403, "not_a_player"),
        ),
        # then the turn
        "out of turn": (table.post("moves", "black", nonsense), (409, "not_your_turn")),
        # then the ply, then the move
        "stale ply": (table.post("moves", "white", nonsense), (409, "stale_ply")),
        "bad move": (table.post("moves", "white", {"move": 7, "ply": 0}), (422, "illegal_move")),
    }
    for what, (answer, expected) in cases.items():
        assert _problem(answer) == expected, what
    assert cases["no token"][0].headers["www-authenticate"].startswith("Bearer")


def test_a_third_player_and_moves_after_the_end_are_409(http: httpx.Client) -> None:
    table = Table(http)
    third = http.post(f"{GAMES}/{table.id}/join", json={})
    assert _problem(third) == (409, "not_allowed")
    table.post("resign", "white")
    after = table.post("moves", "white", {"move": "e4", "ply": 0})
    assert _problem(after) == (409, "game_not_active")
    waiting = http.post(GAMES, json={}).json()
    early = http.post(
        f"{GAMES}/{waiting['game']['game']}/moves",
        json={"move": "e4", "ply": 0},
        headers={"Authorization": f"Bearer {waiting['token']}"},
    )
    assert _problem(early) == (409, "game_not_active")


@pytest.mark.parametrize(
    "body",
    [
        {"color": "green"},
        {"clock": {"initial": 0}},
        {"clock": {"initial": 60, "increment": -1}},
        {"clock": {"initial": 10**9}},
        {"name": " padded "},
        {"name": "x" * 41},
        {"colour": "white"},
        [],
    ],
)
def test_a_bad_game_is_not_created(http: httpx.Client, body: object) -> None:
    before = http.get(GAMES).json()["games"]
    assert _problem(http.post(GAMES, json=body))[0] == 422
    assert http.get(GAMES).json()["games"] == before


@pytest.mark.parametrize(
    ("query", "member"),
    [
        ("wait=31", "wait"),
        ("wait=nan", "wait"),
        ("wait=-1", "wait"),
        ("since=-1", "since"),
        ("since=99999999999999999999", "since"),
    ],
)
def test_bad_long_poll_parameters_are_400(http: httpx.Client, query: str, member: str) -> None:
    table = Table(http)
    answer = http.get(f"{GAMES}/{table.id}?{query}")
    assert answer.status_code == 400, answer.text


# -- reading, caching, lists ------------------------------------------------------------


def test_the_etag_is_the_version_and_if_none_match_is_304(http: httpx.Client) -> None:
    table = Table(http)
    first = http.get(f"{GAMES}/{table.id}")
    tag = first.headers["etag"]
    assert tag == f'W/"{first.json()["version"]}"'
    assert first.headers["cache-control"] == "no-cache"
    again = http.get(f"{GAMES}/{table.id}", headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")
    table.play("e4")
    changed = http.get(f"{GAMES}/{table.id}", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.json()["version"] == first.json()["version"] + 1


def test_anyone_may_watch_and_a_finished_pgn_may_be_kept(http: httpx.Client) -> None:
    table = Table(http)
    watched = http.get(f"{GAMES}/{table.id}").json()
    assert watched["legal_moves"]
    assert watched["turn"] == "white"
    assert watched["players"] == {
        "white": {"seated": True, "name": "alice"},
        "black": {"seated": True, "name": "bob"},
    }
    going = http.get(f"{GAMES}/{table.id}/pgn")
    assert going.headers["cache-control"] == "no-cache"
    table.play("f3", "e5", "g4", "Qh4#")
    done = http.get(f"{GAMES}/{table.id}/pgn")
    assert done.headers["cache-control"] == "public, max-age=86400"
    assert (
        http.get(
            f"{GAMES}/{table.id}/pgn", headers={"If-None-Match": done.headers["etag"]}
        ).status_code
        == 304
    )
    assert "attachment" in done.headers["content-disposition"]


def test_games_are_listed_by_status_a_page_at_a_time(http: httpx.Client) -> None:
    waiting = [http.post(GAMES, json={}).json()["game"]["game"] for _ in range(5)]
    active = Table(http)
    listed = http.get(GAMES, params={"status": "waiting", "limit": 2}).json()
    seen = [g["game"] for g in listed["games"]]
    while "next" in listed:
        listed = http.get(
            GAMES, params={"status": "waiting", "limit": 2, "cursor": listed["next"]}
        ).json()
        seen += [g["game"] for g in listed["games"]]
    assert sorted(seen) == sorted(waiting)
    assert len(seen) == len(set(seen))
    assert [g["game"] for g in http.get(GAMES, params={"status": "active"}).json()["games"]] == [
        active.id
    ]
    for bad in ({"status": "nope"}, {"limit": 0}, {"limit": 201}, {"cursor": "!!"}):
        assert http.get(GAMES, params=bad).status_code == 400, bad


def test_an_idempotency_key_makes_a_retried_move_apply_once(sdk: ChessClient) -> None:
    made = sdk.create_game("white")
    joined = sdk.join(made.game.id)
    first = sdk.move(made.game.id, "e4", 0, token=made.token, idempotency_key="k1")
    again = sdk.move(made.game.id, "e4", 0, token=made.token, idempotency_key="k1")
    assert (first.ply, again.ply, again.version) == (1, 1, first.version)
    with pytest.raises(InvalidInput) as reused:
        sdk.move(made.game.id, "d4", 0, token=made.token, idempotency_key="k1")
    assert reused.value.code == "idempotency_key_reused"
    assert sdk.move(made.game.id, "e5", 1, token=joined.token).ply == 2


def test_the_sdk_raises_the_documented_errors(sdk: ChessClient) -> None:
    made = sdk.create_game("black")
    assert made.color == "black"
    joined = sdk.join(made.game.id)
    with pytest.raises(Unauthorized):
        sdk.move(made.game.id, "e4", 0)
    with pytest.raises(Forbidden):
        sdk.move(made.game.id, "e4", 0, token="chess_forged")
    with pytest.raises(Conflict) as turn:
        sdk.move(made.game.id, "e4", 0, token=made.token)
    assert turn.value.code == "not_your_turn"
    with pytest.raises(InvalidInput) as illegal:
        sdk.move(made.game.id, "e5", 0, token=joined.token)
    assert "e2e4" in illegal.value.legal_moves
    assert "[Event" in sdk.pgn(made.game.id)


def test_two_identical_moves_at_once_apply_once(http: httpx.Client, db: Database) -> None:
    table = Table(http)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def send() -> None:
        barrier.wait()
        statuses.append(table.post("moves", "white", {"move": "e4", "ply": 0}).status_code)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 5
    assert http.get(f"{GAMES}/{table.id}").json()["ply"] == 1


# -- accounts ----------------------------------------------------------------------------


def test_a_signed_in_players_seat_is_theirs_from_anywhere(http: httpx.Client) -> None:
    password = "correct horse battery"
    for name in ("carol", "dave"):
        assert (
            http.post("/api/v1/accounts", json={"username": name, "password": password}).status_code
            == 201
        )
    carol, dave = httpx.BasicAuth("carol", password), httpx.BasicAuth("dave", password)
    made = http.post(GAMES, json={"name": "ignored"}, auth=carol).json()
    assert made["game"]["players"]["white"]["name"] == "carol"  # the account's name
    game_id = made["game"]["game"]
    http.post(f"{GAMES}/{game_id}/join", json={}, auth=dave)
    # No token: the account that took the seat plays it.
    moved = http.post(f"{GAMES}/{game_id}/moves", json={"move": "e4", "ply": 0}, auth=carol)
    assert moved.status_code == 201, moved.text
    wrong = http.post(f"{GAMES}/{game_id}/moves", json={"move": "e5", "ply": 1}, auth=carol)
    assert _problem(wrong) == (409, "not_your_turn")
    mine = http.get("/api/v1/accounts/me/chess/games", auth=dave).json()["games"]
    assert [g["game"] for g in mine] == [game_id]
    assert http.get("/api/v1/accounts/me/chess/games").status_code == 401
    stranger = http.post("/api/v1/accounts", json={"username": "erin", "password": password})
    assert stranger.status_code == 201
    erin = httpx.BasicAuth("erin", password)
    refused = http.post(f"{GAMES}/{game_id}/moves", json={"move": "e5", "ply": 1}, auth=erin)
    assert _problem(refused) == (403, "not_a_player")


def test_a_game_may_continue_from_an_opening(http: httpx.Client) -> None:
    made = http.post(GAMES, json={"color": "black", "opening": ["e4", "e7e5", "Nf3"]})
    assert made.status_code == 201, made.text
    game = made.json()["game"]
    assert ([m["san"] for m in game["moves"]], game["ply"], game["turn"]) == (
        ["e4", "e5", "Nf3"], 3, "black",
    )  # fmt: skip
    joined = http.post(f"{GAMES}/{game['game']}/join", json={}).json()
    answer = http.post(
        f"{GAMES}/{game['game']}/moves",
        json={"move": "Nc6", "ply": 3},
        headers={"Authorization": f"Bearer {made.json()['token']}"},
    )
    assert answer.status_code == 201, answer.text
    assert joined["color"] == "white"
    illegal = http.post(GAMES, json={"opening": ["e4", "e4"]})
    assert _problem(illegal) == (422, "illegal_move")
    assert "opening move 2" in illegal.json()["detail"]
    over = http.post(GAMES, json={"opening": ["f3", "e5", "g4", "Qh4#"]})
    assert _problem(over) == (409, "not_allowed")
    too_long = http.post(GAMES, json={"opening": ["Nf3"] * 1_001})
    assert _problem(too_long)[0] == 422


@pytest.mark.parametrize(
    "path",
    [
        f"{GAMES}/%00",
        f"{GAMES}/a%00b/pgn",
        f"{GAMES}/%00/seat",
        f"{GAMES}/{'x' * 65}",
        f"{GAMES}/caf%C3%A9",
    ],
)
def test_ids_no_game_can_have_are_404_on_both_engines(http: httpx.Client, path: str) -> None:
    assert _problem(http.get(path)) == (404, "unknown_game")


def test_nul_bytes_in_joins_versions_and_cursors_are_refused_cleanly(http: httpx.Client) -> None:
    assert _problem(http.post(f"{GAMES}/%00/join", json={})) == (404, "unknown_game")
    assert http.get("/api/v1/chess/versions", params={"game": "a\x00b"}).json() == {"versions": {}}
    import base64

    for raw in (b"2024-01-01T00:00:00|\x00", b"2024-01-01T00:00:00\x00|abc"):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        assert _problem(http.get(GAMES, params={"cursor": cursor})) == (400, "bad_cursor")


def test_a_players_name_cannot_forge_a_pgn_tag(http: httpx.Client) -> None:
    hostile = 'a"] [Result "1-0"] \\'
    made = http.post(GAMES, json={"name": hostile})
    assert made.status_code == 201, made.text
    game_id = made.json()["game"]["game"]
    http.post(f"{GAMES}/{game_id}/join", json={"name": "b"})
    text = http.get(f"{GAMES}/{game_id}/pgn").text
    assert [line for line in text.splitlines() if line.startswith("[Result")] == ['[Result "*"]']
    assert '[White "a\\"] [Result \\"1-0\\"] \\\\"]' in text
