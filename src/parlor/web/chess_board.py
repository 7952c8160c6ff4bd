"""What the chess pages draw, as pure functions of the service's answers: no I/O here.

* ``board_svg``: python-chess's SVG board, oriented to the viewer, with the
  last move and a check marked. The page's Content-Security-Policy allows no
  inline style, and python-chess writes a few ``style="fill:…; stroke:…"``
  attributes (the knights): they become the equivalent presentation
  attributes, which the policy does not touch.
* ``move_rows``, ``status_line``, ``clock_text``: the move list, the words
  for where the game stands, the clocks.
* ``Replay``: an imported PGN game (its first game, main line), checked and
  kept small enough to live in the visit.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import chess
import chess.pgn
import chess.svg
from markupsafe import Markup

from parlor.chess.game import Color, Status, Termination
from parlor.wire.chess import Game

#: The board's size in CSS pixels before the stylesheet scales it to the column.
BOARD_SIZE = 480
#: The longest game an import keeps: far beyond any real game, small in a visit.
MAX_REPLAY_PLIES = 1200
#: The PGN tags a replay shows, and the longest value kept of each.
REPLAY_TAGS = ("Event", "Site", "Date", "White", "Black", "Result")
MAX_TAG = 80
#: What python-chess writes for a tag the file did not give.
_UNSET = frozenset({"?", "????.??.??", "*"})
_STYLE = re.compile(r'style="fill:(#[0-9a-fA-F]{3,6}|none); stroke:(#[0-9a-fA-F]{3,6}|none);"')

_ENDINGS = {
    Termination.CHECKMATE: "checkmate",
    Termination.STALEMATE: "stalemate",
    Termination.INSUFFICIENT_MATERIAL: "insufficient material",
    Termination.SEVENTYFIVE_MOVES: "the 75-move rule",
    Termination.FIVEFOLD_REPETITION: "fivefold repetition",
    Termination.FIFTY_MOVES: "the 50-move rule, claimed",
    Termination.THREEFOLD_REPETITION: "threefold repetition, claimed",
    Termination.RESIGNATION: "resignation",
    Termination.AGREEMENT: "agreement",
    Termination.OUT_OF_TIME: "time",
    Termination.ABORTED: "abort",
}


def board_svg(position: chess.Board, *, orientation: Color, lastmove: str | None) -> Markup:
    """The position as inline SVG: markup this app made, the one place marked safe."""
    check = position.king(position.turn) if position.is_check() else None
    drawn = chess.svg.board(
        position,
        orientation=orientation.side,
        lastmove=None if lastmove is None else chess.Move.from_uci(lastmove),
        check=check,
        size=BOARD_SIZE,
    )
    return Markup(_STYLE.sub(r'fill="\1" stroke="\2"', drawn))  # noqa: S704 - ours, not input


def game_board(game: Game, orientation: Color) -> Markup:
    last = game.moves[-1].uci if game.moves else None
    return board_svg(chess.Board(game.fen), orientation=orientation, lastmove=last)


def move_rows(sans: Sequence[str]) -> list[tuple[int, str, str]]:
    """The moves in pairs, as a score sheet writes them: (1, "e4", "e5"), (2, "Nf3", "")."""
    return [
        (i // 2 + 1, sans[i], sans[i + 1] if i + 1 < len(sans) else "")
        for i in range(0, len(sans), 2)
    ]


def clock_text(seconds: float) -> str:
    """Time left as a chess clock shows it: 4:05, 1:02:03, 0:09.4 in the last ten seconds."""
    if seconds < 10:
        return f"0:{max(seconds, 0):04.1f}"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def clock_words(initial: float, increment: float) -> str:
    """A time control as players say it: "5+3" (minutes + seconds)."""
    return f"{initial / 60:g}+{increment:g}"


def status_line(game: Game, viewer: Color | None) -> str:
    """Where the game stands, in words for this viewer."""
    if game.status is Status.WAITING:
        return "Waiting for an opponent to join."
    if game.status is Status.OVER:
        return result_words(game.result, game.termination)
    side = game.turn.value.capitalize()
    mover = "Your move" if viewer is game.turn else f"{side} to move"
    return f"Check! {mover}." if game.check else f"{mover}."


def result_words(result: str, termination: Termination | None) -> str:
    """A finished game's result and how it ended: "0-1: black won by checkmate."."""
    how = _ENDINGS.get(termination, "") if termination is not None else ""
    if termination is Termination.ABORTED:
        return "The game was aborted."
    if result == "1/2-1/2":
        return f"Drawn by {how}." if how else "Drawn."
    if result in ("1-0", "0-1"):
        winner = "White" if result == "1-0" else "Black"
        return f"{result}: {winner} won by {how}." if how else f"{result}: {winner} won."
    return "The game is over."


def replay_status(position: chess.Board) -> str:
    """Where a replayed position stands: whose move, a check, or how the game ended there."""
    outcome = position.outcome()
    if outcome is not None:
        return f"{outcome.result()}: {outcome.termination.name.replace('_', ' ').lower()}."
    side = "White" if position.turn == chess.WHITE else "Black"
    return f"Check! {side} to move." if position.is_check() else f"{side} to move."


def san_moves(fen: str, uci_moves: Sequence[str]) -> list[str]:
    """Legal moves of a position (UCI) in SAN, for a refused move's message."""
    position = chess.Board(fen)
    return [position.san(chess.Move.from_uci(u)) for u in uci_moves]


# -- an imported game ----------------------------------------------------------------


class PgnRefused(ValueError):
    """An uploaded file that is no game this app can replay; the message says why."""


@dataclass(frozen=True, slots=True)
class Replay:
    """An imported game: its tags, its start position and its moves (UCI)."""

    tags: Mapping[str, str]
    start: str
    moves: tuple[str, ...]

    def to_json(self) -> dict[str, str]:
        return {
            **{f"tag:{k}": v for k, v in self.tags.items()},
            "start": self.start,
            "moves": " ".join(self.moves),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, str]) -> Replay | None:
        """The replay a visit stored; None for anything that does not replay."""
        tags = {k[4:]: v for k, v in value.items() if k.startswith("tag:")}
        try:
            replay = cls(tags, value["start"], tuple(value["moves"].split()))
            replay.sans()
        except (KeyError, ValueError):
            return None
        return replay

    def position(self, ply: int) -> chess.Board:
        """The position after the first ``ply`` moves."""
        position = chess.Board(self.start)
        for uci in self.moves[:ply]:
            position.push(chess.Move.from_uci(uci))
        return position

    def sans(self) -> list[str]:
        position = chess.Board(self.start)
        found = []
        for uci in self.moves:
            move = chess.Move.from_uci(uci)
            if not position.is_legal(move):
                raise ValueError(f"{uci} is not legal here")
            found.append(position.san(move))
            position.push(move)
        return found


def read_pgn(data: bytes) -> Replay:
    """The first game of a PGN file, main line only; ``PgnRefused`` says what is wrong."""
    text = data.decode("utf-8-sig") if _is_utf8(data) else data.decode("latin-1")
    game = chess.pgn.read_game(io.StringIO(text))
    if game is None or (game.next() is None and not set(game.headers.values()) - _UNSET):
        raise PgnRefused("That file holds no PGN game.")
    if game.errors:
        raise PgnRefused(f"The game cannot be read: {game.errors[0]}.")
    start = game.board()
    if type(start) is not chess.Board or start.chess960:
        raise PgnRefused("Only games of standard chess can be replayed here.")
    played = list(game.mainline_moves())
    if not all(played):  # "--" and "Z0" read as null moves, which no game here holds
        raise PgnRefused("The game holds a null move (--), which chess has not: remove it.")
    moves = tuple(move.uci() for move in played)
    if len(moves) > MAX_REPLAY_PLIES:
        raise PgnRefused(f"The game is longer than {MAX_REPLAY_PLIES} half-moves.")
    tags = {tag: _tag(game.headers.get(tag, "")) for tag in REPLAY_TAGS}
    return Replay({k: v for k, v in tags.items() if v and v != "?"}, start.fen(), moves)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _tag(value: str) -> str:
    """A tag's value as one short line of printable text (the page escapes it too)."""
    return "".join(c for c in value if c.isprintable())[:MAX_TAG].strip()
