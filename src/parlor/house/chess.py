"""The chess house: every operation on a game is one transaction that loads, decides, writes.

As in the roulette house: a game's row is locked for the length of a change
(SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's ``SELECT … FOR UPDATE``), so two
moves sent at once never both apply, on either engine and across workers;
the rules (``parlor.chess.game``) decide, given the game as stored; reads lock
nothing. Each change raises the game's ``version``, and ``on_change`` hears
of it once committed (long polls wait on it).

A player is known by the token their seat was given: 192 random bits, of
which the store keeps only a SHA-256. Anyone may read a game.

The rules' refusals (``parlor.chess.errors``) pass through as they are; the
house adds ``UnknownGame`` and ``NotAPlayer``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar

import chess

from parlor.chess import game as rules
from parlor.chess.errors import ChessError, NotAllowed
from parlor.chess.game import Clock, Color, Game, Status, Termination
from parlor.house.errors import HouseError, NotFound, committed
from parlor.store.db import Database, Transaction

T = TypeVar("T")

_GAME_COLUMNS = (
    "id, status, white_token, black_token, ply, result, termination, draw_offer,"
    " clock_initial, clock_increment, white_remaining, black_remaining, turn_started,"
    " version, created_at, updated_at"
)
#: The most games one list answers.
PAGE_MAX = 200
#: How a seat's token begins: the authentication pipe leaves such Bearer tokens to the
#: chess routes (they are no account's), and a person can tell one from an account token.
SEAT_TOKEN_PREFIX = "chess_"  # noqa: S105 - a prefix, not a secret


def is_seat_token(token: str) -> bool:
    return token.startswith(SEAT_TOKEN_PREFIX)


def _new_seat_token() -> str:
    return SEAT_TOKEN_PREFIX + secrets.token_urlsafe(24)


class _GameRow(NamedTuple):
    """A chess_games row, as ``_GAME_COLUMNS`` selects it."""

    id: str
    status: str
    white_token: str | None
    black_token: str | None
    ply: int
    result: str
    termination: str | None
    draw_offer: str | None
    clock_initial: float | None
    clock_increment: float | None
    white_remaining: float | None
    black_remaining: float | None
    turn_started: float | None
    version: int
    created_at: str
    updated_at: str

    @property
    def game(self) -> Game:
        """The game as the rules see it, once its moves are given (``with_moves``)."""
        return Game(
            status=Status(self.status),
            result=self.result,
            termination=None if self.termination is None else Termination(self.termination),
            draw_offer=None if self.draw_offer is None else Color(self.draw_offer),
            clock=(
                None
                if self.clock_initial is None
                else Clock(float(self.clock_initial), float(self.clock_increment or 0))
            ),
            remaining=(
                None
                if self.white_remaining is None
                else (float(self.white_remaining), float(self.black_remaining or 0))
            ),
            turn_started=None if self.turn_started is None else float(self.turn_started),
        )


class UnknownGame(NotFound):
    def __init__(self, game_id: str) -> None:
        super().__init__(f"no chess game {game_id!r}")
        self.game_id = game_id


class NotAPlayer(HouseError):
    """A token that holds no seat of this game (a watcher may read, not play)."""

    def __init__(self) -> None:
        super().__init__("that token holds no seat at this game")


@dataclass(frozen=True, slots=True)
class Seat:
    color: Color
    #: The player's credential: shown once, when the seat is taken.
    token: str


@dataclass(frozen=True, slots=True)
class GameState:
    id: str
    game: Game
    #: Each move as SAN, beside ``game.moves`` (UCI).
    san: tuple[str, ...]
    #: Whether each seat is taken.
    seated: tuple[bool, bool]
    version: int
    created_at: str
    updated_at: str

    @property
    def board(self) -> chess.Board:
        return rules.board(self.game)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ChessHouse:
    """Chess games over one database (the roulette house's)."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], float] = time.time,
        stamp: Callable[[], str] = _utc_now,
        choose: Callable[[Sequence[Color]], Color] = secrets.choice,
        on_change: Callable[[str, int], object] | None = None,
    ) -> None:
        """``clock`` runs the games' clocks (seconds); ``stamp`` dates rows; ``choose``
        picks a random color."""
        self.db = db
        self.clock = clock
        self._stamp = stamp
        self._choose = choose
        self.on_change = on_change

    # -- plumbing ---------------------------------------------------------------------

    def _write(self, work: Callable[[Transaction], T]) -> T:
        return committed(self.db, work)

    def _changed(self, state: GameState) -> GameState:
        if self.on_change is not None:
            self.on_change(state.id, state.version)
        return state

    @staticmethod
    def _load(tx: Transaction, game_id: object, *, lock: bool) -> tuple[_GameRow, Game, list[str]]:
        """The game's row, the game (moves replayed from the moves table) and its SAN."""
        if not isinstance(game_id, str):
            raise UnknownGame(str(game_id))
        found = tx.one(
            f"SELECT {_GAME_COLUMNS} FROM chess_games WHERE id = ?"
            + (tx.dialect.lock_rows if lock else ""),
            (game_id,),
        )
        if found is None:
            raise UnknownGame(game_id)
        row = _GameRow._make(found)
        moves = tx.all(
            "SELECT uci, san FROM chess_moves WHERE game_id = ? ORDER BY ply", (game_id,)
        )
        game = replace(row.game, moves=tuple(str(uci) for uci, _ in moves))
        return row, game, [str(san) for _, san in moves]

    @staticmethod
    def _state(row: _GameRow, game: Game, san: Sequence[str]) -> GameState:
        return GameState(
            id=row.id,
            game=game,
            san=tuple(san),
            seated=(row.white_token is not None, row.black_token is not None),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _save(
        self, tx: Transaction, row: _GameRow, before: Game, after: Game, san: list[str]
    ) -> GameState:
        """Write ``after`` over ``before``: its new moves, its row, one more version."""
        now = self._stamp()
        position = rules.board(before)
        for ply, uci in enumerate(after.moves[before.ply :], start=before.ply + 1):
            move = chess.Move.from_uci(uci)
            san.append(position.san(move))
            position.push(move)
            tx.execute(
                "INSERT INTO chess_moves (game_id, ply, uci, san, played_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (row.id, ply, uci, san[-1], now),
            )
        white_left, black_left = after.remaining if after.remaining is not None else (None, None)
        saved = row._replace(
            status=after.status.value,
            ply=after.ply,
            result=after.result,
            termination=None if after.termination is None else after.termination.value,
            draw_offer=None if after.draw_offer is None else after.draw_offer.value,
            white_remaining=white_left,
            black_remaining=black_left,
            turn_started=after.turn_started,
            version=row.version + 1,
            updated_at=now,
        )
        tx.execute(
            "UPDATE chess_games SET status = ?, white_token = ?, black_token = ?, ply = ?,"
            " result = ?, termination = ?, draw_offer = ?, white_remaining = ?,"
            " black_remaining = ?, turn_started = ?, version = ?, updated_at = ? WHERE id = ?",
            (saved.status, saved.white_token, saved.black_token, saved.ply, saved.result,
             saved.termination, saved.draw_offer, saved.white_remaining, saved.black_remaining,
             saved.turn_started, saved.version, saved.updated_at, saved.id),
        )  # fmt: skip
        return self._state(saved, after, san)

    def _change(
        self,
        game_id: object,
        token: object,
        act: Callable[[Game, Color, float], Game],
    ) -> GameState:
        """Load and lock the game, find the player by token, apply ``act``, save."""

        def work(tx: Transaction) -> GameState:
            row, game, san = self._load(tx, game_id, lock=True)
            player = _seat_of(row, token)
            return self._save(tx, row, game, act(game, player, self.clock()), san)

        return self._changed(self._write(work))

    # -- games --------------------------------------------------------------------------

    def create(self, color: str = "white", clock: Clock | None = None) -> tuple[GameState, Seat]:
        """A new game waiting for an opponent; the creator sits as ``color`` (or at random)."""
        if color not in ("white", "black", "random"):
            raise NotAllowed("color must be white, black or random")
        seat = self._choose([Color.WHITE, Color.BLACK]) if color == "random" else Color(color)
        game_id = secrets.token_urlsafe(9)
        token = _new_seat_token()
        game = rules.new_game(clock)
        now = self._stamp()

        def work(tx: Transaction) -> GameState:
            tx.execute(
                f"INSERT INTO chess_games (id, status, {seat.value}_token, clock_initial,"
                " clock_increment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (game_id, game.status.value, _token_hash(token),
                 None if clock is None else clock.initial,
                 None if clock is None else clock.increment, now, now),
            )  # fmt: skip
            held = _token_hash(token)
            row = _GameRow(
                game_id, game.status.value,
                held if seat is Color.WHITE else None, held if seat is Color.BLACK else None,
                0, "*", None, None,
                None if clock is None else clock.initial,
                None if clock is None else clock.increment,
                None, None, None, 1, now, now,
            )  # fmt: skip
            return self._state(row, game, [])

        return self._changed(self._write(work)), Seat(seat, token)

    def join(self, game_id: object) -> tuple[GameState, Seat]:
        """The free seat, if there is one; a third player is refused (NotAllowed)."""
        token = _new_seat_token()

        def work(tx: Transaction) -> tuple[GameState, Seat]:
            row, game, san = self._load(tx, game_id, lock=True)
            if game.status is not Status.WAITING:
                raise NotAllowed("both seats of this game are taken: watch it, or start another")
            free = Color.WHITE if row.white_token is None else Color.BLACK
            held = _token_hash(token)
            seated = (
                row._replace(white_token=held)
                if free is Color.WHITE
                else row._replace(black_token=held)
            )
            return self._save(tx, seated, game, rules.join(game, self.clock()), san), Seat(
                free, token
            )

        state, seat = self._write(work)
        return self._changed(state), seat

    def game(self, game_id: object) -> GameState:
        """The game as it stands now (a flag that fell is recorded first)."""
        with self.db.transaction(write=False) as tx:
            row, game, san = self._load(tx, game_id, lock=False)
        if rules.at(game, self.clock()) == game:
            return self._state(row, game, san)

        def work(tx: Transaction) -> GameState:  # the flag fell: say so, once, for everyone
            row, game, san = self._load(tx, game_id, lock=True)
            after = rules.at(game, self.clock())
            return (
                self._state(row, game, san)
                if after == game
                else self._save(tx, row, game, after, san)
            )

        return self._changed(self._write(work))

    def games(self, status: Status | None = None, *, limit: int = 50) -> list[str]:
        """Ids of the newest games, in ``status`` if given."""
        where, params = ("WHERE status = ?", [status.value]) if status else ("", [])
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT id FROM chess_games {where} ORDER BY created_at DESC, id LIMIT ?",
                (*params, min(max(limit, 1), PAGE_MAX)),
            )
        return [str(row[0]) for row in rows]

    # -- what players do -----------------------------------------------------------------

    def move(self, game_id: object, token: object, text: object, ply: object) -> GameState:
        return self._change(
            game_id, token, lambda game, player, now: rules.move(game, player, text, ply, now)
        )

    def resign(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.resign)

    def offer_draw(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.offer_draw)

    def accept_draw(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.accept_draw)

    def decline_draw(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.decline_draw)

    def claim_draw(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.claim_draw)

    def abort(self, game_id: object, token: object) -> GameState:
        return self._change(game_id, token, rules.abort)


def _seat_of(row: _GameRow, token: object) -> Color:
    """The color whose token ``token`` is (compared in constant time), or NotAPlayer."""
    if not isinstance(token, str) or not token:
        raise NotAPlayer()
    given = _token_hash(token)
    for color, stored in ((Color.WHITE, row.white_token), (Color.BLACK, row.black_token)):
        if stored is not None and hmac.compare_digest(given, str(stored)):
            return color
    raise NotAPlayer()


__all__ = ["ChessError", "ChessHouse", "GameState", "NotAPlayer", "Seat", "UnknownGame"]
