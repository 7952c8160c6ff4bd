"""The chess service's wire: every request and answer body of /api/v1/chess, defined once.

As in ``parlor.wire.roulette``: the service decodes and encodes these, the
client SDK (``parlor.client.chess``) decodes the same, and the OpenAPI
document's schemas are generated from them.

One deliberate looseness: ``MoveRequest``'s ``move`` and ``ply`` are read as
any JSON value, and the house checks them, because a refusal must come from
the first check that fails in the documented order (the game, the seat, the
game's state, the turn and the ply, then the move). A number sent as the
move is therefore 422 with the legal moves when it is your turn, and 409 when
it is not, rather than always 422 before anything else is looked at. The
document still says what each member must be.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType, field

from parlor.chess.game import MAX_MOVE_TEXT, MAX_OPENING, Color, Status, Termination
from parlor.text import LINE_PATTERN
from parlor.wire.base import Answer, Request

#: The computer's skill levels (Stockfish's "Skill Level").
MIN_LEVEL, MAX_LEVEL = 0, 20
#: The longest name a player may give (an account's own name is used when signed in).
MAX_PLAYER_NAME = 40

ColorChoice = Literal["white", "black", "random"]
DrawAction = Literal["offer", "accept", "decline", "claim"]
#: Every draw action, in the order they are documented.
DRAW_ACTIONS: tuple[DrawAction, ...] = ("offer", "accept", "decline", "claim")
#: Every status a game can have.
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)
Timestamp = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]
PlayerName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_PLAYER_NAME,
        pattern=LINE_PATTERN,
        description="One line of text, no space at either end, no control characters.",
    ),
]
Uci = Annotated[str, Meta(pattern="^[a-h][1-8][a-h][1-8][qrbn]?$", description="A move in UCI.")]


# -- requests ------------------------------------------------------------------------


class ClockRequest(Request, frozen=True):
    """A Fischer clock: ``initial`` seconds for each player, ``increment`` more per move."""

    initial: Annotated[float, Meta(ge=1, le=86_400)]
    increment: Annotated[float, Meta(ge=0, le=3_600)] = 0.0


class CreateGame(Request, frozen=True):
    """Start a game and take a seat; the other waits for a second player (``join``)."""

    color: ColorChoice = "white"
    #: Omitted or null: an untimed game, as in the seed.
    clock: ClockRequest | None = None
    #: The name others see; a signed-in player's is their account's.
    name: PlayerName | None = None
    #: Moves already played from the start position (UCI or SAN): the game continues
    #: after them, as from an imported PGN's last position.
    opening: Annotated[
        list[Annotated[str, Meta(min_length=1, max_length=MAX_MOVE_TEXT)]],
        Meta(max_length=MAX_OPENING),
    ] = msgspec.field(default_factory=list)
    #: Play the computer at this skill level (0 weakest, 20 strongest): it takes the other
    #: seat at once. Only on a server started with --chess-engine (409 no_engine otherwise).
    computer: Annotated[int, Meta(ge=MIN_LEVEL, le=MAX_LEVEL)] | None = None


class JoinGame(Request, frozen=True):
    """Take the free seat of a waiting game."""

    name: PlayerName | None = None


class MoveRequest(Request, frozen=True):
    """A move, and the ply of the position it was chosen in."""

    #: UCI (``e2e4``, ``e7e8q``) or SAN (``Nf3``, ``O-O``, ``e8=Q``).
    move: Annotated[
        Any,
        Meta(
            extra_json_schema={
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_MOVE_TEXT,
                "description": "UCI (e2e4, e7e8q) or SAN (Nf3, O-O, e8=Q).",
            }
        ),
    ] = None
    #: The number of half-moves played in the position the player saw.
    ply: Annotated[
        Any,
        Meta(
            extra_json_schema={
                "type": "integer",
                "minimum": 0,
                "description": "Half-moves already played in the position you saw.",
            }
        ),
    ] = None


class DrawRequest(Request, frozen=True):
    """Offer a draw, accept or decline the opponent's offer, or claim one the rules allow."""

    action: DrawAction


# -- answers -------------------------------------------------------------------------


class Player(Answer, frozen=True):
    """One side of the board."""

    seated: bool
    #: The player's name, or null when they gave none.
    name: str | None


class Players(Answer, frozen=True):
    white: Player
    black: Player


class Clock(Answer, frozen=True):
    initial: float
    increment: float


class Clocks(Answer, frozen=True):
    """Seconds left, as of the answer; ``running`` is the clock counting down, if any."""

    white: float
    black: float
    running: Color | None


class Computer(Answer, frozen=True):
    """The computer's seat in a game."""

    color: Color
    level: Annotated[int, Meta(ge=MIN_LEVEL, le=MAX_LEVEL)]


class ComputerOffer(Answer, frozen=True):
    """Whether this server plays chess against people, and how strong it can be."""

    available: bool
    min_level: int
    max_level: int
    #: Seconds the computer thinks about each move.
    think: float


class Move(Answer, frozen=True):
    uci: Uci
    san: str


class Game(Answer, frozen=True):
    """Everything a client needs to draw the game and to repair itself after a lost answer."""

    id: str = field(name="game")
    status: Status
    #: The position, in FEN (for display: the state is the moves, replayed).
    fen: str
    #: Every move played, in order.
    moves: tuple[Move, ...]
    #: Half-moves played: send it back as a move's ``ply``.
    ply: Annotated[int, Meta(ge=0)]
    #: The side to move.
    turn: Color
    #: Whether the side to move is in check.
    check: bool
    #: "1-0", "0-1", "1/2-1/2", or "*" while it goes on (and for an aborted game).
    result: Literal["1-0", "0-1", "1/2-1/2", "*"]
    termination: Termination | None
    #: Who has offered a draw that waits for an answer, if anyone.
    draw_offer: Color | None
    #: Whether the side to move may claim a draw now (threefold, fifty moves).
    can_claim_draw: bool
    players: Players
    #: The computer's seat, when it plays one.
    computer: Computer | None
    #: Why the house called the game off, when it did (the computer's engine failed).
    note: str | None
    clock: Clock | None
    clocks: Clocks | None
    #: The legal moves (UCI) of the side to move; empty unless the game is active.
    legal_moves: tuple[Uci, ...]
    #: 1 when created, one more with every change: pass it as ``since`` to wait for the next.
    version: Annotated[int, Meta(ge=1)]
    created_at: Timestamp
    updated_at: Timestamp


class SeatGrant(Answer, frozen=True):
    """Your seat: keep the token, it is the only proof that the seat is yours."""

    color: Color
    #: Send as ``Authorization: Bearer <token>`` with each move. Shown this once.
    token: str
    game: Game


class SeatView(Answer, frozen=True):
    """The side a token (or a signed-in account) holds in a game."""

    color: Color


class GameSummary(Answer, frozen=True):
    """A game as a list shows it."""

    id: str = field(name="game")
    status: Status
    ply: Annotated[int, Meta(ge=0)]
    result: Literal["1-0", "0-1", "1/2-1/2", "*"]
    termination: Termination | None
    players: Players
    clock: Clock | None
    version: Annotated[int, Meta(ge=1)]
    created_at: Timestamp
    updated_at: Timestamp


class GameVersions(Answer, frozen=True):
    """The version of each game asked about that exists."""

    versions: dict[str, Annotated[int, Meta(ge=1)]]


class GameList(Answer, frozen=True):
    """One page of games, newest first."""

    games: tuple[GameSummary, ...]
    #: Pass as ``cursor`` for the next page; absent on the last one.
    next: str | UnsetType = UNSET


REQUESTS: tuple[type[msgspec.Struct], ...] = (
    ClockRequest,
    CreateGame,
    JoinGame,
    MoveRequest,
    DrawRequest,
)
ANSWERS: tuple[type[msgspec.Struct], ...] = (
    Game,
    SeatGrant,
    SeatView,
    GameSummary,
    GameList,
    GameVersions,
    ComputerOffer,
)
#: The most games one ``versions`` request may ask about.
MAX_VERSIONS = 100


def topic(game_id: str) -> tuple[str, str]:
    """What a long poll on a game waits on (``parlor.run.changes``), in the service and in
    the web app alike."""
    return ("chess", game_id)


def structs() -> tuple[type[msgspec.Struct], ...]:
    return (*REQUESTS, *ANSWERS)
