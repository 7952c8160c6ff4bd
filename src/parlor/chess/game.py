"""A game of chess for two seats, as a value: the rules here, move legality from python-chess.

A ``Game`` is immutable; each operation takes one and returns the next, or
raises one of ``parlor.chess.errors`` and changes nothing. The house stores
what a ``Game`` holds; nothing here does I/O, and the time is passed in.

Rules:

1. **Seats.** A game is ``waiting`` until its second player joins, then
   ``active``, then ``over``.
2. **State is the start position and the move list**, replayed (``board``).
   Never a FEN alone: threefold and fivefold repetition need the history.
3. **Moves** are read in UCI (``e2e4``, ``e7e8q``) or SAN (``Nf3``, ``exd5``,
   ``e8=Q``), castling in every spelling python-chess knows (``e1g1``, the
   king taking its rook ``e1h1``, ``O-O``, ``0-0``). The null moves
   python-chess parses without complaint (``0000``, ``--``) are refused, and a
   promotion must name its piece. An illegal or unreadable move is refused
   with the legal moves (UCI) of the position.
4. **The game ends by itself** on checkmate, stalemate, insufficient
   material, the 75-move rule and fivefold repetition (FIDE 9.6). A player
   may **claim** a draw when the position has occurred three times or fifty
   moves have passed without a capture or a pawn move (FIDE 9.2, 9.3).
5. **Draw offers.** Either player may offer while the game is active (over
   the board one offers after one's own move; here the offer simply waits).
   The other may accept or decline; an offer lapses when the offerer's
   opponent moves instead. A player may **resign**, and either may **abort**
   before the second move is played.
6. **Clocks** are optional (``Clock``: initial seconds and a Fischer
   increment). Time runs from the moment the game becomes active, for the
   side to move; a move spends it and earns the increment. A flag falls
   the next time anyone reads or moves after it ran out (``at``): the game ends
   ``outoftime``, won by the other side, or drawn when the other side has no
   material to mate with (FIDE 6.9).
7. **PGN** (``pgn``) carries the right ``Result`` and ``Termination``,
   resignations and agreed draws included.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import chess
import chess.pgn

from parlor.chess.errors import (
    GameNotActive,
    IllegalMove,
    NotAllowed,
    NotYourTurn,
    StalePly,
)
from parlor.chess.position import POSITIONS, Facts, legal_moves, worked_out


class Color(StrEnum):
    WHITE = "white"
    BLACK = "black"

    @property
    def other(self) -> Color:
        return Color.BLACK if self is Color.WHITE else Color.WHITE

    @property
    def side(self) -> chess.Color:
        return chess.WHITE if self is Color.WHITE else chess.BLACK


class Status(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    OVER = "over"


class Termination(StrEnum):
    """How a game ended; the PGN ``Termination`` tag says it in words (``TAG_WORDS``)."""

    CHECKMATE = "checkmate"
    STALEMATE = "stalemate"
    INSUFFICIENT_MATERIAL = "insufficient_material"
    SEVENTYFIVE_MOVES = "seventyfive_moves"
    FIVEFOLD_REPETITION = "fivefold_repetition"
    FIFTY_MOVES = "fifty_moves"
    THREEFOLD_REPETITION = "threefold_repetition"
    RESIGNATION = "resignation"
    AGREEMENT = "agreement"
    OUT_OF_TIME = "outoftime"
    ABORTED = "aborted"


#: The PGN standard's Termination values (§9.8.1) for each way a game ends.
TAG_WORDS = {
    Termination.CHECKMATE: "normal",
    Termination.STALEMATE: "normal",
    Termination.INSUFFICIENT_MATERIAL: "normal",
    Termination.SEVENTYFIVE_MOVES: "normal",
    Termination.FIVEFOLD_REPETITION: "normal",
    Termination.FIFTY_MOVES: "normal",
    Termination.THREEFOLD_REPETITION: "normal",
    Termination.RESIGNATION: "normal",
    Termination.AGREEMENT: "normal",
    Termination.OUT_OF_TIME: "time forfeit",
    Termination.ABORTED: "abandoned",
}

_ENDINGS = {
    chess.Termination.CHECKMATE: Termination.CHECKMATE,
    chess.Termination.STALEMATE: Termination.STALEMATE,
    chess.Termination.INSUFFICIENT_MATERIAL: Termination.INSUFFICIENT_MATERIAL,
    chess.Termination.SEVENTYFIVE_MOVES: Termination.SEVENTYFIVE_MOVES,
    chess.Termination.FIVEFOLD_REPETITION: Termination.FIVEFOLD_REPETITION,
}
#: The longest move text anyone writes ("exd8=Q+", "e7e8q"), with room to spare.
MAX_MOVE_TEXT = 16


@dataclass(frozen=True, slots=True)
class Clock:
    """A Fischer clock: ``initial`` seconds each, ``increment`` more after each move."""

    initial: float
    increment: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.initial <= 86_400 or not 0 <= self.increment <= 3_600:
            raise ValueError("a clock is 1 s to 24 h, with an increment of 0 to 60 min")


@dataclass(frozen=True, slots=True)
class Game:
    """Everything the rules need to know about a game, and nothing they can work out."""

    status: Status = Status.WAITING
    #: The moves played, in UCI, from the standard start position.
    moves: tuple[str, ...] = ()
    #: The same moves in SAN, as the score sheet writes them (worked out as they are played).
    san: tuple[str, ...] = ()
    #: "1-0", "0-1", "1/2-1/2", or "*" while it goes on (and for an aborted game).
    result: str = "*"
    termination: Termination | None = None
    #: Who offered the draw now on the table, if anyone.
    draw_offer: Color | None = None
    clock: Clock | None = None
    #: Seconds left, white's and black's, as of ``turn_started``.
    remaining: tuple[float, float] | None = None
    #: When the side to move began to think (None without a clock, or before it runs).
    turn_started: float | None = None

    @property
    def ply(self) -> int:
        """Half-moves played so far."""
        return len(self.moves)

    @property
    def turn(self) -> Color:
        return Color.WHITE if self.ply % 2 == 0 else Color.BLACK

    @property
    def winner(self) -> Color | None:
        return {"1-0": Color.WHITE, "0-1": Color.BLACK}.get(self.result)


def board(game: Game) -> chess.Board:
    """The position, with its history: the start position and every move, replayed.

    The caller may change the board it gets: it is a copy. Replaying 300 moves
    costs about a millisecond, and every read and move needs the position, so
    the last positions replayed are kept (``parlor.chess.position``); a move
    then costs one push on the position before it.
    """
    return POSITIONS.board(game.moves)


def facts(game: Game) -> Facts:
    """What an answer reads of the game's position (FEN, check, legal moves, …), worked
    out once for each position."""
    return POSITIONS.facts(game.moves)


#: The longest opening a new game may start from (a long game is ~300 half-moves).
MAX_OPENING = 1_000


def new_game(clock: Clock | None = None, opening: Sequence[object] = ()) -> Game:
    """A game waiting for its second player, from the start or after ``opening``'s moves.

    ``opening`` (UCI or SAN, as ``move`` reads them) continues an earlier game, an
    imported PGN say, from its last position: IllegalMove names the first move
    that does not follow, and a game already over after them is NotAllowed.
    """
    if len(opening) > MAX_OPENING:
        raise NotAllowed(f"a game may start after at most {MAX_OPENING} half-moves")
    position = chess.Board()
    played, written = [], []
    for number, text in enumerate(opening, start=1):
        try:
            chosen = parse_move(position, text)
        except IllegalMove as error:
            raise IllegalMove(f"opening move {number}: {error.message}", error.legal) from None
        written.append(position.san(chosen))
        position.push(chosen)
        played.append(chosen.uci())
    if opening and position.outcome(claim_draw=False) is not None:
        raise NotAllowed("the game is over after those moves: there is nothing to continue")
    return Game(clock=clock, moves=tuple(played), san=tuple(written))


def join(game: Game, now: float) -> Game:
    """The second player sits down: the game begins, and so does white's clock."""
    if game.status is not Status.WAITING:
        raise NotAllowed("the game already has both its players")
    remaining = None if game.clock is None else (game.clock.initial, game.clock.initial)
    return replace(
        game,
        status=Status.ACTIVE,
        remaining=remaining,
        turn_started=None if game.clock is None else now,
    )


def parse_move(
    position: chess.Board, text: object, legal: tuple[str, ...] | None = None
) -> chess.Move:
    """``text`` as a legal move of ``position`` (UCI or SAN); IllegalMove otherwise.

    ``legal``, the position's legal moves in UCI when they are known already,
    answers the usual case, a move sent as one of them, without asking
    python-chess to check it again.
    """
    if not isinstance(text, str) or not 0 < len(text) <= MAX_MOVE_TEXT:
        raise IllegalMove(
            "a move is a short text, like e2e4 or Nf3",
            legal_moves(position) if legal is None else legal,
        )
    written = text.strip()
    if legal is not None and written in legal:
        return chess.Move.from_uci(written)
    move: chess.Move | None = None
    try:
        move = position.parse_uci(written)
    except ValueError:
        try:
            move = position.parse_san(written)
        except ValueError:
            move = None
    if move is None or not move:  # a null move is falsy: "0000" and "--" parse as one
        raise IllegalMove(
            f"{written!r} is not a legal move here: send one of the legal moves (UCI or SAN)",
            legal_moves(position) if legal is None else legal,
        )
    return move


def at(game: Game, now: float) -> Game:
    """The game as it stands at ``now``: over on time if the side to move's flag fell."""
    if game.status is not Status.ACTIVE or game.remaining is None or game.turn_started is None:
        return game
    mover = game.turn
    left = game.remaining[0 if mover is Color.WHITE else 1] - (now - game.turn_started)
    if left > 0:
        return game
    position = board(game)
    winner = mover.other
    result = "1/2-1/2" if position.has_insufficient_material(winner.side) else _score(winner)
    remaining = (0.0, game.remaining[1]) if mover is Color.WHITE else (game.remaining[0], 0.0)
    return _over(replace(game, remaining=remaining), result, Termination.OUT_OF_TIME)


def clocks_at(game: Game, now: float) -> tuple[float, float] | None:
    """White's and black's seconds left at ``now``, the running clock counted down."""
    if game.remaining is None:
        return None
    if game.status is not Status.ACTIVE or game.turn_started is None:
        return game.remaining
    spent = max(0.0, now - game.turn_started)
    white, black = game.remaining
    if game.turn is Color.WHITE:
        return max(0.0, white - spent), black
    return white, max(0.0, black - spent)


def move(game: Game, player: Color, text: object, ply: object, now: float) -> Game:
    """``player`` plays ``text`` in the position after ``ply`` half-moves (what they saw)."""
    game = at(game, now)
    _check_active(game)
    if player is not game.turn:
        raise NotYourTurn(f"it is {game.turn}'s turn, not {player}'s")
    if isinstance(ply, bool) or not isinstance(ply, int):
        raise StalePly(f"ply must be the number of half-moves played, {game.ply}, not {ply!r}")
    if ply != game.ply:
        raise StalePly(f"the game is at ply {game.ply}, not {ply}: read it again, then move")
    position = board(game)
    chosen = parse_move(position, text, facts(game).legal)
    written = position.san_and_push(chosen)
    remaining, turn_started = _clock_after_move(game, player, now)
    moves = (*game.moves, chosen.uci())
    known = worked_out(position)
    POSITIONS.keep(moves, position, known)  # the next read of the game starts from it
    moved = replace(
        game,
        moves=moves,
        san=(*game.san, written),
        # An offer lapses when the offerer's opponent moves instead of answering it.
        draw_offer=None if game.draw_offer is player.other else game.draw_offer,
        remaining=remaining,
        turn_started=turn_started,
    )
    if known.outcome is None:
        return moved
    return _over(moved, known.outcome.result(), _ENDINGS[known.outcome.termination])


def resign(game: Game, player: Color, now: float) -> Game:
    game = at(game, now)
    _check_active(game)
    return _over(game, _score(player.other), Termination.RESIGNATION)


def offer_draw(game: Game, player: Color, now: float) -> Game:
    game = at(game, now)
    _check_active(game)
    if game.draw_offer is player.other:
        raise NotAllowed("your opponent has offered a draw already: accept or decline it")
    if game.draw_offer is player:
        raise NotAllowed("you have offered a draw already: it waits for an answer")
    return replace(game, draw_offer=player)


def accept_draw(game: Game, player: Color, now: float) -> Game:
    game = at(game, now)
    _check_active(game)
    if game.draw_offer is not player.other:
        raise NotAllowed("there is no draw offer from your opponent to accept")
    return _over(game, "1/2-1/2", Termination.AGREEMENT)


def decline_draw(game: Game, player: Color, now: float) -> Game:
    game = at(game, now)
    _check_active(game)
    if game.draw_offer is not player.other:
        raise NotAllowed("there is no draw offer from your opponent to decline")
    return replace(game, draw_offer=None)


def claim_draw(game: Game, player: Color, now: float) -> Game:
    """A draw by threefold repetition or the fifty-move rule, if the position allows one."""
    game = at(game, now)
    _check_active(game)
    position = board(game)
    if position.is_repetition(3):
        return _over(game, "1/2-1/2", Termination.THREEFOLD_REPETITION)
    if position.halfmove_clock >= 100:
        return _over(game, "1/2-1/2", Termination.FIFTY_MOVES)
    raise NotAllowed(
        "no draw can be claimed: the position has not occurred three times, and fifty"
        " moves have not passed without a capture or a pawn move"
    )


def abort(game: Game, player: Color, now: float) -> Game:
    """Call the game off: while waiting for a player, or before the second move."""
    if game.status is Status.OVER:
        raise GameNotActive("the game is over")
    if game.ply >= 2:
        raise NotAllowed("a game can be aborted only before its second move: resign instead")
    return _over(game, "*", Termination.ABORTED)


def abandon(game: Game) -> Game:
    """The house calls the game off, whatever its ply: the computer's engine cannot move."""
    if game.status is Status.OVER:
        raise GameNotActive("the game is over")
    return _over(game, "*", Termination.ABORTED)


def pgn(
    game: Game, *, white: str = "?", black: str = "?", date: str = "????.??.??", site: str = "?"
) -> str:
    """The game in PGN, its Result and Termination tags right however it ended."""
    record = chess.pgn.Game()
    record.headers.update(
        {
            "Event": "parlor game",
            "Site": _tag(site),
            "Date": _tag(date),
            "White": _tag(white),
            "Black": _tag(black),
        }
    )
    node: chess.pgn.GameNode = record
    for uci in game.moves:
        node = node.add_variation(chess.Move.from_uci(uci))
    record.headers["Result"] = game.result
    if game.termination is not None:
        record.headers["Termination"] = TAG_WORDS[game.termination]
        if game.termination in (Termination.RESIGNATION, Termination.AGREEMENT):
            loser = None if game.winner is None else game.winner.other
            said = "agreed a draw" if loser is None else f"{loser.value} resigned"
            node.comment = said
    if game.clock is not None:
        record.headers["TimeControl"] = f"{game.clock.initial:g}+{game.clock.increment:g}"
    out = io.StringIO()
    record.accept(chess.pgn.FileExporter(out))
    return out.getvalue().rstrip("\n") + "\n"


def _tag(value: str) -> str:
    """A tag's value as PGN writes it (§8.1.1): a quote or a backslash escaped with a
    backslash. python-chess writes values as given, and a player's name is theirs."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _check_active(game: Game) -> None:
    if game.status is Status.WAITING:
        raise GameNotActive("the game is waiting for its second player")
    if game.status is Status.OVER:
        raise GameNotActive(f"the game is over ({game.termination}): start another")


def _score(winner: Color) -> str:
    return "1-0" if winner is Color.WHITE else "0-1"


def _over(game: Game, result: str, termination: Termination) -> Game:
    return replace(
        game,
        status=Status.OVER,
        result=result,
        termination=termination,
        draw_offer=None,
        turn_started=None,
    )


def _clock_after_move(
    game: Game, player: Color, now: float
) -> tuple[tuple[float, float] | None, float | None]:
    """The clocks once ``player`` has moved at ``now``: time spent, increment earned."""
    if game.clock is None or game.remaining is None or game.turn_started is None:
        return game.remaining, game.turn_started
    white, black = game.remaining
    spent = max(0.0, now - game.turn_started) - game.clock.increment
    if player is Color.WHITE:
        white -= spent
    else:
        black -= spent
    return (white, black), now


def replayed(moves: Sequence[str]) -> Game:
    """An active untimed game after ``moves`` (UCI): for tests and imports of finished games."""
    game = join(new_game(), 0.0)
    for uci in moves:
        game = move(game, game.turn, uci, game.ply, 0.0)
    return game
