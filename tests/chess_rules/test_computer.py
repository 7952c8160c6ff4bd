"""The computer's seat: a real Stockfish moving in the house's games, and its failures.

Each test runs ``ComputerSeat`` against a chess house on both engines: the
computer answers a person's move; an engine that will not start or dies calls
the game off with a note instead of leaving it waiting; a server without an
engine says so (409 no_engine) rather than start a game nobody will play.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from parlor.chess.game import Color, Status, Termination
from parlor.house.chess import ChessHouse, GameState
from parlor.house.roulette import RouletteHouse
from parlor.run.chess_engine import ComputerSeat, EngineMissing, find_engine
from parlor.service.app import create_app
from parlor.settings import Settings
from parlor.store.db import Database

STOCKFISH = shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")
needs_stockfish = pytest.mark.skipif(
    STOCKFISH is None and os.environ.get("CI") != "true",
    reason="needs Debian's stockfish (apt-get install stockfish)",
)


def until(house: ChessHouse, game_id: str, ready: object, timeout: float = 15) -> GameState:
    deadline = time.monotonic() + timeout
    while True:
        state = house.game(game_id)
        if callable(ready) and ready(state):
            return state
        assert time.monotonic() < deadline, f"the computer did not answer: {state}"
        time.sleep(0.05)


@pytest.fixture
def seated(db: Database) -> Iterator[tuple[ChessHouse, ComputerSeat]]:
    assert STOCKFISH is not None, "CI installs stockfish: see .ci/run"
    house = ChessHouse(db)
    computer = ComputerSeat(house, STOCKFISH, think=0.05, poll=0.1)
    house.on_change = lambda game_id, version: computer.nudge()
    computer.start()
    yield house, computer
    computer.stop()


@needs_stockfish
def test_the_computer_answers_each_move(seated: tuple[ChessHouse, ComputerSeat]) -> None:
    house, _ = seated
    state, me = house.create("white", computer=3)
    assert (state.game.status, state.engine) == (Status.ACTIVE, (Color.BLACK, 3))
    assert state.players[1].name == "Computer (level 3)"
    for ply, move in ((0, "e4"), (2, "d4")):
        house.move(state.id, me.token, move, ply)
        answered = until(house, state.id, lambda s, p=ply: s.game.ply == p + 2)
        assert answered.game.turn is Color.WHITE


@needs_stockfish
def test_the_computer_opens_when_it_plays_white(seated: tuple[ChessHouse, ComputerSeat]) -> None:
    house, _ = seated
    state, me = house.create("black", computer=0)
    until(house, state.id, lambda s: s.game.ply == 1)
    assert me.color is Color.BLACK


def _failing_engine(tmp_path: Path) -> str:
    script = tmp_path / "broken-engine"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_an_engine_that_dies_calls_the_game_off_with_a_note(db: Database, tmp_path: Path) -> None:
    house = ChessHouse(db)
    computer = ComputerSeat(house, _failing_engine(tmp_path), think=0.05, poll=0.1)
    computer.start()
    try:
        state, _ = house.create("black", computer=5)  # the computer must open
        ended = until(house, state.id, lambda s: s.game.status is Status.OVER)
    finally:
        computer.stop()
    assert (ended.game.termination, ended.game.result) == (Termination.ABORTED, "*")
    assert ended.note is not None
    assert "engine failed" in ended.note


def test_a_missing_engine_is_named_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(EngineMissing, match="apt-get install stockfish"):
        find_engine(str(tmp_path / "nothing-here"))
    with pytest.raises(EngineMissing):
        find_engine("no-such-engine-anywhere")


def test_without_an_engine_the_service_says_so(house: RouletteHouse) -> None:
    app = create_app(house, settings=Settings())
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t") as http:
        offer = http.get("/api/v1/chess/computer").json()
        assert offer["available"] is False
        refused = http.post("/api/v1/chess/games", json={"computer": 5})
        assert (refused.status_code, refused.json()["code"]) == (409, "no_engine")
        assert http.post("/api/v1/chess/games", json={"computer": 21}).status_code == 422


def test_with_an_engine_the_service_offers_it(house: RouletteHouse, tmp_path: Path) -> None:
    engine = _failing_engine(tmp_path)  # the service only needs to know there is one
    app = create_app(house, settings=Settings(chess_engine=engine, chess_engine_time=0.2))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t") as http:
        assert http.get("/api/v1/chess/computer").json() == {
            "available": True, "min_level": 0, "max_level": 20, "think": 0.2,
        }  # fmt: skip
        made = http.post("/api/v1/chess/games", json={"computer": 7, "color": "white"})
        assert made.status_code == 201, made.text
        game = made.json()["game"]
        assert game["computer"] == {"color": "black", "level": 7}
        assert game["status"] == "active"


def test_the_computer_plays_a_bounded_number_of_games(house: RouletteHouse, tmp_path: Path) -> None:
    engine = _failing_engine(tmp_path)  # no seat runs here: only the service's count
    settings = Settings(chess_engine=engine, chess_engine_games=2)
    app = create_app(house, settings=settings)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t") as http:
        made = [http.post("/api/v1/chess/games", json={"computer": 1}) for _ in range(2)]
        assert [m.status_code for m in made] == [201, 201]
        busy = http.post("/api/v1/chess/games", json={"computer": 1})
        assert (busy.status_code, busy.json()["code"]) == (409, "computer_busy")
        assert http.post("/api/v1/chess/games", json={}).status_code == 201  # people still may
        first = made[0].json()
        http.post(
            f"/api/v1/chess/games/{first['game']['game']}/resign",
            headers={"Authorization": f"Bearer {first['token']}"},
            json={},
        )
        assert http.post("/api/v1/chess/games", json={"computer": 1}).status_code == 201
