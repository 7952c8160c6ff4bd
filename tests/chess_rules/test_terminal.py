"""The terminal client's parts in-process: the board as text, and one seat's turn at a time.

The live runs (two ``parlor chess play`` processes, a restart waited out) are
in tests/e2e/test_chess_e2e.py; here the same ``Terminal`` is driven with a
scripted ``ask`` over the service in-process, so each command's answer is
checked on its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import chess
import httpx
import pytest
from rich.console import Console

from parlor.chess.game import Color
from parlor.chess.render import draw, san_list
from parlor.cli.chess import HELP, Failed, Left, Terminal, _parse_clock, result_line
from parlor.client import ChessClient, ServiceUnavailable
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app
from parlor.wire.chess import Game

BASE = "http://service.test"


def test_the_board_is_drawn_from_each_side_with_the_last_move_marked() -> None:
    board = chess.Board()
    board.push_san("e4")
    white = draw(board, Color.WHITE, ascii=True).splitlines()
    assert white[0] == "8  r  n  b  q  k  b  n  r "
    assert white[4] == "4  .  .  .  . [P] .  .  . "
    assert white[6] == "2  P  P  P  P [.] P  P  P "
    assert white[-1] == "   a  b  c  d  e  f  g  h "
    black = draw(board, Color.BLACK, ascii=True).splitlines()
    assert black[0].startswith("1  R  N  B  K  Q")
    assert black[-1] == "   h  g  f  e  d  c  b  a "
    assert "♚" in draw(board, Color.WHITE)
    board.push_san("e5")
    assert san_list(board) == "1. e4 e5"
    assert san_list(chess.Board()) == ""


class Script:
    """``ask`` answering from a list; then the end of input."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)


@pytest.fixture
def client(house: RouletteHouse) -> Iterator[ChessClient]:
    app = create_app(house)
    with ChessClient(BASE, transport=httpx.WSGITransport(app=app), sleep=lambda _: None) as c:
        yield c


def seat(client: ChessClient, *lines: str) -> tuple[Terminal, io.StringIO, Script]:
    out = io.StringIO()
    script = Script(*lines)
    console = Console(file=out, width=100, highlight=False, soft_wrap=True)
    return Terminal(client, console, ask=script, ascii=True, patience=0), out, script


def started(client: ChessClient) -> tuple[Game, str, str]:
    made = client.create_game("white")
    joined = client.join(made.game.id)
    return joined.game, made.token, joined.token


def test_a_turn_answers_commands_refuses_a_bad_move_and_plays_a_good_one(
    client: ChessClient,
) -> None:
    game, white, _ = started(client)
    terminal, out, script = seat(client, "", "help", "moves", "board", "e5", "e4")
    moved = terminal._turn(game, white, "white")
    assert (moved.ply, moved.moves[0].san) == (1, "e4")
    text = out.getvalue()
    assert HELP.splitlines()[0] in text
    assert "Nf3" in text  # the legal moves, in SAN
    assert "is not a legal move here" in text
    assert "type `moves` for the legal ones" in text
    assert script.prompts == ["Your move (white) > "] * 6


def test_draws_resignation_and_abort_from_the_prompt(client: ChessClient) -> None:
    game, white, black = started(client)
    terminal, out, _ = seat(client, "draw")
    offered = terminal._turn(game, white, "white")
    assert offered.draw_offer == "white"
    assert "You offered a draw" in out.getvalue()
    declined = seat(client, "decline")[0]._turn(offered, black, "black")
    assert declined.draw_offer is None
    aborted = seat(client, "abort")[0]._turn(declined, black, "black")
    assert (aborted.status, aborted.termination) == ("over", "aborted")
    other, w2, b2 = started(client)
    client.draw(other.id, "offer", token=w2)
    accepted = seat(client, "draw")[0]._turn(client.game(other.id), b2, "black")
    assert (accepted.result, accepted.termination) == ("1/2-1/2", "agreement")
    third, w3, _ = started(client)
    resigned = seat(client, "resign")[0]._turn(third, w3, "white")
    assert result_line(resigned) == "0-1: black wins by resignation"


def test_a_stale_turn_rereads_the_game(client: ChessClient) -> None:
    game, white, _ = started(client)
    client.move(game.id, "e4", 0, token=white)  # played elsewhere meanwhile
    terminal, out, _ = seat(client, "d4")
    fresh = terminal._turn(game, white, "white")
    assert fresh.ply == 1
    assert "black's turn" in out.getvalue()


def test_quit_and_the_end_of_input_leave_the_game(client: ChessClient) -> None:
    game, white, _ = started(client)
    with pytest.raises(Left):
        seat(client, "quit")[0]._turn(game, white, "white")
    with pytest.raises(Left):
        seat(client)[0]._turn(game, white, "white")


def test_a_finished_game_is_shown_with_its_result(client: ChessClient) -> None:
    game, white, black = started(client)
    for token, move, ply in ((white, "f3", 0), (black, "e5", 1), (white, "g4", 2)):
        client.move(game.id, move, ply, token=token)
    mated = client.move(game.id, "Qh4#", 3, token=black)
    terminal, out, _ = seat(client)
    assert terminal.play(game.id, white, "white").result == "0-1"
    assert terminal.watch(game.id).status == "over"
    assert "0-1: black wins by checkmate" in out.getvalue()
    assert result_line(mated) == "0-1: black wins by checkmate"


def test_a_lost_connection_is_waited_out_then_given_up(client: ChessClient) -> None:
    terminal, out, _ = seat(client)
    failures = [ServiceUnavailable("cannot reach the chess service")]

    def flaky() -> str:
        if failures:
            raise failures.pop()
        return "answered"

    patient = Terminal(client, terminal.console, ask=Script(), patience=60, sleep=lambda _: None)
    assert patient.patiently(flaky) == "answered"
    assert "connection lost" in out.getvalue()

    def unreachable() -> str:
        raise ServiceUnavailable("cannot reach the chess service")

    with pytest.raises(Failed, match="gave up after 0 s"):
        terminal.patiently(unreachable)


@pytest.mark.parametrize(
    ("text", "clock"), [("5+3", (300.0, 3.0)), ("0.5+0", (30.0, 0.0)), ("10", (600.0, 0.0))]
)
def test_a_clock_is_minutes_plus_seconds(text: str, clock: tuple[float, float]) -> None:
    assert _parse_clock(text) == clock
    assert _parse_clock(None) is None
