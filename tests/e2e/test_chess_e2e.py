"""Chess against a real ``parlor serve``: long polls, two engines, two terminal clients.

* A long poll wakes within 100 ms of the opponent's move, in one worker and
  across two (where the other worker hears of it by polling the store).
* Two Stockfish processes (python-chess's ``chess.engine``) play whole games
  through the REST API; each game's PGN replays in python-chess to its result.
* Two ``parlor chess play`` processes, fed moves on stdin, play to checkmate;
  one leaves and resumes its seat with its token.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import chess
import chess.engine
import chess.pgn
import httpx
import pytest

from parlor.client import ChessClient
from tests.e2e.conftest import StartParlor
from tests.e2e.e2e_support import ParlorProcess

STOCKFISH = shutil.which("stockfish") or shutil.which("stockfish", path="/usr/games")


def _wake_latency(client: ChessClient, watcher: httpx.Client, game_id: str, token: str) -> float:
    """Seconds from the move's answer to the long poll's, for one move."""
    state = client.game(game_id)
    woke: list[float] = []
    seen: list[int] = []

    def poll() -> None:
        answer = watcher.get(
            f"/api/v1/chess/games/{game_id}", params={"wait": 10, "since": state.version}
        )
        woke.append(time.perf_counter())
        seen.append(answer.json()["version"])

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)  # the poll is parked
    position = chess.Board()
    for played in state.moves:
        position.push_uci(played.uci)
    move = next(iter(position.legal_moves)).uci()
    client.move(game_id, move, state.ply, token=token)
    moved = time.perf_counter()
    thread.join(15)
    assert seen == [state.version + 1]
    return woke[0] - moved


@pytest.mark.parametrize("workers", [1, 2])
def test_a_long_poll_wakes_within_100_ms_of_the_move(
    running_parlor: StartParlor, sqlite_url: str, workers: int
) -> None:
    server = running_parlor(sqlite_url, workers=workers)
    with (
        ChessClient(server.base_url) as client,
        httpx.Client(base_url=server.base_url, timeout=20) as watcher,
    ):
        made = client.create_game("white")
        joined = client.join(made.game.id)
        tokens = {"white": made.token, "black": joined.token}
        latencies = []
        for ply in range(6):
            side = "white" if ply % 2 == 0 else "black"
            latencies.append(_wake_latency(client, watcher, made.game.id, tokens[side]))
    assert statistics.median(latencies) < 0.1, latencies
    assert max(latencies) < 1.0, latencies


def test_an_unchanged_etag_is_304_on_the_live_server(shared_server: ParlorProcess) -> None:
    with httpx.Client(base_url=shared_server.base_url) as http:
        made = http.post("/api/v1/chess/games", json={}).json()
        url = f"/api/v1/chess/games/{made['game']['game']}"
        tag = http.get(url).headers["etag"]
        assert http.get(url, headers={"If-None-Match": tag}).status_code == 304


@pytest.mark.skipif(
    STOCKFISH is None and os.environ.get("CI") != "true",
    reason="needs Debian's stockfish (apt-get install stockfish)",
)
def test_two_engines_play_whole_games_through_the_api(server: ParlorProcess) -> None:
    assert STOCKFISH is not None, "CI installs stockfish: see .ci/run"
    engines = [chess.engine.SimpleEngine.popen_uci(STOCKFISH) for _ in range(2)]
    try:
        for engine, level in zip(engines, (0, 3), strict=True):
            engine.configure({"Skill Level": level, "Threads": 1, "Hash": 16})
        with ChessClient(server.base_url, timeout=10) as client:
            for game_number in range(3):
                made = client.create_game("white", name=f"stockfish {game_number}")
                joined = client.join(made.game.id, name="stockfish b")
                seats = {"white": (made.token, engines[0]), "black": (joined.token, engines[1])}
                state = joined.game
                while state.status == "active":
                    token, engine = seats[state.turn]
                    position = chess.Board()
                    for played in state.moves:
                        position.push_uci(played.uci)
                    if state.can_claim_draw:
                        state = client.draw(state.id, "claim", token=token)
                        break
                    chosen = engine.play(position, chess.engine.Limit(depth=2, nodes=2_000))
                    assert chosen.move is not None
                    state = client.move(state.id, chosen.move.uci(), state.ply, token=token)
                assert state.status == "over"
                record = chess.pgn.read_game(io.StringIO(client.pgn(state.id)))
                assert record is not None
                assert record.headers["Result"] == state.result
                final = record.end().board()
                assert [m.uci() for m in final.move_stack] == [m.uci for m in state.moves]
                outcome = final.outcome(claim_draw=True)
                assert outcome is not None
                assert outcome.result() == state.result
    finally:
        for engine in engines:
            engine.quit()


# -- two terminal clients --------------------------------------------------------------


class Player:
    """A ``parlor chess play`` process, its stdin open for moves, its stdout collected."""

    def __init__(self, *args: str) -> None:
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "parlor", "chess", "play", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "100", "TERM": "dumb"},
        )
        self._pumping = threading.Thread(target=self._pump, daemon=True)
        self._pumping.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def send(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def close_input(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                assert left > 0, f"no {text!r} in:\n" + "\n".join(self.lines)
                self._seen.wait(left)

    def finish(self, timeout: float = 30) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._pumping.join(5)
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def test_two_terminal_clients_play_to_checkmate(
    shared_server: ParlorProcess, tmp_path: Path
) -> None:
    url = shared_server.base_url
    saved = tmp_path / "game.pgn"
    white = Player(url, "--color", "white", "--name", "wanda", "--pgn", str(saved), "--ascii")
    started = white.wait_for("started; you play white")
    game_id = started.split()[1]
    black = Player(url, "--game", game_id, "--name", "boris")
    black.wait_for("You joined game")
    white.send("f3", "moves", "g4")
    black.send("e5", "Qh5??", "Qh4#")
    assert white.finish() == 0, white.output
    assert black.finish() == 0, black.output
    for player in (white, black):
        player.wait_for("0-1: black wins by checkmate")
        player.wait_for('[Termination "normal"]')
    assert "is not a legal move here" in black.output  # asked again after the refusal
    assert "white played g4" in black.output
    record = chess.pgn.read_game(io.StringIO(saved.read_text()))
    assert record is not None
    assert (record.headers["White"], record.headers["Black"]) == ("wanda", "boris")
    assert record.end().board().is_checkmate()


def test_a_player_leaves_and_resumes_with_the_token(
    shared_server: ParlorProcess, tmp_path: Path
) -> None:
    url = shared_server.base_url
    white = Player(url, "--color", "white")
    game_id = white.wait_for("started; you play white").split()[1]
    token = white.wait_for("Your seat's token").rsplit(" ", 1)[1]
    black = Player(url, "--game", game_id)
    white.send("e4", "quit")  # quit is read at white's next turn, after black's move
    black.send("e5")
    assert white.finish() == 0, white.output
    white.wait_for(f"--game {game_id} --token {token}")
    black.wait_for("Move 2, white to move")
    again = Player(url, "--game", game_id, "--token", token)
    again.wait_for("Resuming game")
    again.send("resign")
    assert again.finish() == 0, again.output
    assert black.finish() == 0, black.output
    black.wait_for("0-1: black wins by resignation")


def test_web_pages_wait_for_moves_without_holding_a_thread(server: ParlorProcess) -> None:
    """Twenty browser long polls on the web app, four times its request threads: none
    holds one, so a page still answers at once; a move wakes all twenty."""
    with ChessClient(server.base_url) as client:
        made = client.create_game("white")
        joined = client.join(made.game.id)
        version = joined.game.version
        answers: list[dict[str, object]] = []

        def poll() -> None:
            with httpx.Client(base_url=server.web_url, timeout=30) as web:
                answer = web.get(f"/chess/{made.game.id}/state", params={"since": version})
                assert answer.status_code == 200, answer.text
                answers.append(answer.json())

        threads = [threading.Thread(target=poll) for _ in range(20)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)  # all parked
        with httpx.Client(base_url=server.web_url, timeout=10) as web:
            started = time.perf_counter()
            assert web.get("/chess").status_code == 200
            assert time.perf_counter() - started < 2.0
        assert answers == []  # still waiting
        client.move(made.game.id, "e4", 0, token=made.token)
        for thread in threads:
            thread.join(15)
    assert len(answers) == 20
    assert {a["version"] for a in answers} == {version + 1}


def test_many_versions_are_read_in_one_request(shared_server: ParlorProcess) -> None:
    with ChessClient(shared_server.base_url) as client:
        games = [client.create_game("white").game for _ in range(3)]
        assert client.versions([g.id for g in games] + ["no-such-game"]) == {
            g.id: g.version for g in games
        }
        assert client.versions([]) == {}
    with httpx.Client(base_url=shared_server.base_url) as http:
        too_many = http.get("/api/v1/chess/versions", params=[("game", "x")] * 101)
        assert too_many.status_code == 400


@pytest.mark.skipif(
    STOCKFISH is None and os.environ.get("CI") != "true",
    reason="needs Debian's stockfish (apt-get install stockfish)",
)
def test_the_computer_plays_on_a_live_server(running_parlor: StartParlor, sqlite_url: str) -> None:
    assert STOCKFISH is not None, "CI installs stockfish: see .ci/run"
    server = running_parlor(
        sqlite_url,
        env={"PARLOR_CHESS_ENGINE": STOCKFISH, "PARLOR_CHESS_ENGINE_TIME": "0.1"},
    )
    with ChessClient(server.base_url, timeout=10) as client:
        assert client.computer_offer().available
        made = client.create_game("white", computer=2)
        assert made.game.computer is not None
        state = client.move(made.game.id, "e4", 0, token=made.token)
        answered = client.game(made.game.id, wait=10, since=state.version)
        assert (answered.ply, answered.turn) == (2, "white")
    with httpx.Client(base_url=server.web_url) as web:
        assert 'name="opponent"' in web.get("/chess").text


def test_a_terminal_player_waits_out_a_restart_of_the_server(
    running_parlor: StartParlor, sqlite_url: str
) -> None:
    first = running_parlor(sqlite_url)
    url = first.base_url
    white = Player(url, "--color", "white", "--patience", "60")
    game_id = white.wait_for("started; you play white").split()[1]
    black = Player(url, "--game", game_id, "--patience", "60")
    white.send("e4")
    black.wait_for("Move 1, your move")
    white.wait_for("Move 1, black to move")
    first.stop()  # white is long polling for black's move: its connection drops
    white.wait_for("connection lost")
    running_parlor(sqlite_url, port=first.port)  # the same game, from the same database
    black.send("e5")
    white.wait_for("black played e5", timeout=30)
    white.send("resign")
    assert white.finish() == 0, white.output
    assert black.finish() == 0, black.output
    black.wait_for("0-1: black wins by resignation")
