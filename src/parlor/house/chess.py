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
import re
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
from parlor.house.errors import Conflict, HouseError, NotFound, committed
from parlor.store.db import Database, Transaction

T = TypeVar("T")

_GAME_COLUMNS = (
    "id, status, white_token, black_token, ply, result, termination, draw_offer,"
    " clock_initial, clock_increment, white_remaining, black_remaining, turn_started,"
    " version, created_at, updated_at, white_account, black_account, white_name, black_name,"
    " engine_color, engine_level, note"
)
#: The most games one page of a list holds (``games`` reads one more, to tell if there
#: is a next page).
PAGE_MAX = 200
#: How many games' versions ``_load`` keeps the moves of.
_MOVES_KEPT = 1024
#: How a seat's token begins: the authentication pipe leaves such Bearer tokens to the
#: chess routes (they are no account's), and a person can tell one from an account token.
SEAT_TOKEN_PREFIX = "chess_"  # noqa: S105 - a prefix, not a secret


def is_seat_token(token: str) -> bool:
    return token.startswith(SEAT_TOKEN_PREFIX)


#: What a game's id looks like (``secrets.token_urlsafe``); anything else names no game
#: and is not sent to the store (PostgreSQL refuses a NUL in text outright).
GAME_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _known_shape(game_id: object) -> str:
    if not isinstance(game_id, str) or not GAME_ID.fullmatch(game_id):
        raise UnknownGame(game_id[:80] if isinstance(game_id, str) else str(game_id)[:80])
    return game_id


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
    white_account: int | None
    black_account: int | None
    white_name: str | None
    black_name: str | None
    engine_color: str | None
    engine_level: int | None
    note: str | None

    @property
    def players(self) -> tuple[Player, Player]:
        return (
            Player(self.white_name, self.white_account, self.white_token is not None),
            Player(self.black_name, self.black_account, self.black_token is not None),
        )

    @property
    def clock(self) -> Clock | None:
        if self.clock_initial is None:
            return None
        return Clock(float(self.clock_initial), float(self.clock_increment or 0))

    @property
    def game(self) -> Game:
        """The game as the rules see it, once its moves are given (``with_moves``)."""
        return Game(
            status=Status(self.status),
            result=self.result,
            termination=None if self.termination is None else Termination(self.termination),
            draw_offer=None if self.draw_offer is None else Color(self.draw_offer),
            clock=self.clock,
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
    """A token (or account) that holds no seat of this game (a watcher may read, not play)."""

    def __init__(self) -> None:
        super().__init__("that token holds no seat at this game: watch it, or start another")


class NoSeatCredential(HouseError):
    """A player's action sent without the seat's token (and by no account holding a seat)."""

    def __init__(self) -> None:
        super().__init__("send the token your seat was given, as Authorization: Bearer <token>")


class MoveKeyReused(Conflict):
    """An Idempotency-Key sent again with a different move."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different move: use a new key"
        )
        self.key = key


@dataclass(frozen=True, slots=True)
class Player:
    """Who sits at one side of a game, as anyone may see it."""

    #: The name shown for the player: their account's, or the one they gave.
    name: str | None
    #: The account the seat belongs to, when it was taken signed in.
    account_id: int | None
    seated: bool


@dataclass(frozen=True, slots=True)
class Seat:
    color: Color
    #: The player's credential: shown once, when the seat is taken.
    token: str


@dataclass(frozen=True, slots=True)
class GameState:
    id: str
    game: Game
    #: White's and black's.
    players: tuple[Player, Player]
    version: int
    created_at: str
    updated_at: str
    #: The computer's seat and skill level, when it plays one.
    engine: tuple[Color, int] | None = None
    #: Why the house called the game off, when it did.
    note: str | None = None
    #: True when an idempotency key matched: the move was applied before, not now.
    replayed: bool = False

    @property
    def san(self) -> tuple[str, ...]:
        """Each move as SAN, beside ``game.moves`` (UCI)."""
        return self.game.san

    @property
    def seated(self) -> tuple[bool, bool]:
        """Whether each seat is taken."""
        return (self.players[0].seated, self.players[1].seated)

    @property
    def board(self) -> chess.Board:
        return rules.board(self.game)


@dataclass(frozen=True, slots=True)
class GameSummary:
    """A game as a list shows it: its row, without the moves."""

    id: str
    status: Status
    ply: int
    result: str
    termination: Termination | None
    clock: Clock | None
    players: tuple[Player, Player]
    version: int
    created_at: str
    updated_at: str


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
        #: The moves (UCI, SAN) of recently read versions of games (``_load``).
        self._moves_of: dict[tuple[str, int], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        #: The newest committed row and game this process has seen of each game (``move``).
        self._latest: dict[str, tuple[_GameRow, Game]] = {}
        self._stamp = stamp
        self._choose = choose
        self.on_change = on_change

    # -- plumbing ---------------------------------------------------------------------

    def _write(self, work: Callable[[Transaction], T]) -> T:
        return committed(self.db, work)

    def _changed(self, state: GameState) -> GameState:
        """After a change committed: its moves are known, and its watchers are told."""
        self._keep_moves((state.id, state.version), (state.game.moves, state.game.san))
        if self.on_change is not None:
            self.on_change(state.id, state.version)
        return state

    def _load(self, tx: Transaction, game_id: object, *, lock: bool) -> tuple[_GameRow, Game]:
        """The game's row, and the game with its moves from the moves table.

        A version's moves never change (every change makes a new version), so
        the moves of the versions read last are kept: a read at ply 300 then
        costs one row, not 300.
        """
        game_id = _known_shape(game_id)
        found = tx.one(
            f"SELECT {_GAME_COLUMNS} FROM chess_games WHERE id = ?"
            + (tx.dialect.lock_rows if lock else ""),
            (game_id,),
        )
        if found is None:
            raise UnknownGame(game_id)
        row = _GameRow._make(found)
        key = (row.id, int(row.version))
        known = self._moves_of.get(key)
        if known is None:
            stored = tx.all(
                "SELECT uci, san FROM chess_moves WHERE game_id = ? ORDER BY ply", (game_id,)
            )
            known = (tuple(str(u) for u, _ in stored), tuple(str(s) for _, s in stored))
            if not lock:
                # Only what is committed is kept. Under the write lock, a group commit's
                # earlier operation may have written rows it will yet roll back.
                self._keep_moves(key, known)
        return row, replace(row.game, moves=known[0], san=known[1])

    def _keep_moves(
        self, key: tuple[str, int], moves: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> None:
        """Remember a committed version's moves (UCI, SAN). Only committed ones: a version
        number rolled back could come again with other moves."""
        if len(self._moves_of) >= _MOVES_KEPT:
            self._moves_of.clear()  # a memo: starting it afresh loses nothing
        self._moves_of[key] = moves

    @staticmethod
    def _state(row: _GameRow, game: Game) -> GameState:
        engine = (
            None
            if row.engine_color is None
            else (Color(row.engine_color), int(row.engine_level or 0))
        )
        return GameState(
            id=row.id,
            game=game,
            engine=engine,
            note=row.note,
            players=row.players,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _save(self, tx: Transaction, row: _GameRow, before: Game, after: Game) -> GameState:
        """Write ``after`` over ``before``: its new moves, its row, one more version."""
        return self._state(self._write_game(tx, row, before, after), after)

    def _write_game(self, tx: Transaction, row: _GameRow, before: Game, after: Game) -> _GameRow:
        """``_save``'s writes; the row as written."""
        now = self._stamp()
        _insert_moves(tx, row.id, before, after, now)
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
            " black_remaining = ?, turn_started = ?, version = ?, updated_at = ?,"
            " white_account = ?, black_account = ?, white_name = ?, black_name = ?, note = ?"
            " WHERE id = ?",
            (saved.status, saved.white_token, saved.black_token, saved.ply, saved.result,
             saved.termination, saved.draw_offer, saved.white_remaining, saved.black_remaining,
             saved.turn_started, saved.version, saved.updated_at, saved.white_account,
             saved.black_account, saved.white_name, saved.black_name, saved.note, saved.id),
        )  # fmt: skip
        return saved

    def _change(
        self,
        game_id: object,
        token: object,
        account_id: int | None,
        act: Callable[[Game, Color, float], Game],
    ) -> GameState:
        """Load and lock the game, find the player, apply ``act``, save."""

        def work(tx: Transaction) -> GameState:
            row, game = self._load(tx, game_id, lock=True)
            player = _seat_of(row, game, token, account_id)
            return self._save(tx, row, game, act(game, player, self.clock()))

        return self._changed(self._write(work))

    # -- games --------------------------------------------------------------------------

    def create(
        self,
        color: str = "white",
        clock: Clock | None = None,
        *,
        account_id: int | None = None,
        name: str | None = None,
        opening: Sequence[object] = (),
        computer: int | None = None,
    ) -> tuple[GameState, Seat]:
        """A new game waiting for an opponent; the creator sits as ``color`` (or at random).

        ``account_id``: the creator is signed in, and the seat is the account's too.
        ``opening``: moves already played (UCI or SAN): the game goes on after them.
        ``computer``: the computer takes the other seat at once, at this skill level
        (0–20), and the game begins; an engine moves for it (``engine_turns``).
        """
        if color not in ("white", "black", "random"):
            raise NotAllowed("color must be white, black or random")
        seat = self._choose([Color.WHITE, Color.BLACK]) if color == "random" else Color(color)
        game_id = secrets.token_urlsafe(9)
        token = _new_seat_token()
        game = rules.new_game(clock, opening)
        now = self._stamp()
        held = _token_hash(token)
        row = _seated(
            _GameRow(
                game_id, game.status.value, None, None, game.ply, "*", None, None,
                None if clock is None else clock.initial,
                None if clock is None else clock.increment,
                None, None, None, 1, now, now, None, None, None, None, None, None, None,
            ),
            seat, held, account_id, name,
        )  # fmt: skip

        if computer is not None:
            # The computer's seat holds no token anyone has: the house moves for it.
            row = _seated(
                row,
                seat.other,
                _token_hash(_new_seat_token()),
                None,
                f"Computer (level {computer})",
            )._replace(engine_color=seat.other.value, engine_level=computer)
            game = rules.join(game, self.clock())
            row = row._replace(
                status=game.status.value,
                white_remaining=None if game.remaining is None else game.remaining[0],
                black_remaining=None if game.remaining is None else game.remaining[1],
                turn_started=game.turn_started,
            )

        def work(tx: Transaction) -> GameState:
            tx.execute(
                f"INSERT INTO chess_games ({_GAME_COLUMNS}) VALUES ({', '.join('?' * len(row))})",
                row,
            )
            _insert_moves(tx, game_id, rules.new_game(), game, now)
            return self._state(row, game)

        return self._changed(self._write(work)), Seat(seat, token)

    def join(
        self, game_id: object, *, account_id: int | None = None, name: str | None = None
    ) -> tuple[GameState, Seat]:
        """The free seat, if there is one; a third player is refused (NotAllowed)."""
        token = _new_seat_token()

        def work(tx: Transaction) -> tuple[GameState, Seat]:
            row, game = self._load(tx, game_id, lock=True)
            if game.status is not Status.WAITING:
                raise NotAllowed("both seats of this game are taken: watch it, or start another")
            free = Color.WHITE if row.white_token is None else Color.BLACK
            seated = _seated(row, free, _token_hash(token), account_id, name)
            return self._save(tx, seated, game, rules.join(game, self.clock())), Seat(free, token)

        state, seat = self._write(work)
        return self._changed(state), seat

    def game(self, game_id: object) -> GameState:
        """The game as it stands now (a flag that fell is recorded first)."""
        with self.db.transaction(write=False) as tx:
            row, game = self._load(tx, game_id, lock=False)
        self._keep_latest(row, game)
        if rules.at(game, self.clock()) == game:
            return self._state(row, game)

        def work(tx: Transaction) -> GameState:  # the flag fell: say so, once, for everyone
            row, game = self._load(tx, game_id, lock=True)
            after = rules.at(game, self.clock())
            return self._state(row, game) if after == game else self._save(tx, row, game, after)

        return self._changed(self._write(work))

    def games(
        self,
        status: Status | None = None,
        *,
        limit: int = 50,
        before: tuple[str, str] | None = None,
        account_id: int | None = None,
    ) -> list[GameSummary]:
        """The newest games first, in ``status`` if given, seated by ``account_id`` if given.

        ``before``: the (created_at, id) of the last game of the previous page.
        """
        clauses: list[str] = []
        params: list[object] = []
        if status is not None:
            clauses.append("status = ?")
            params.append(status.value)
        if account_id is not None:
            clauses.append("(white_account = ? OR black_account = ?)")
            params += [account_id, account_id]
        if before is not None:
            clauses.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {_GAME_COLUMNS} FROM chess_games {where}"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, min(max(limit, 1), PAGE_MAX + 1)),
            )
        return [_summary(_GameRow._make(found)) for found in rows]

    def versions(self, game_ids: Sequence[str]) -> dict[str, int]:
        """The version of each game that exists: what long polls compare."""
        game_ids = [g for g in game_ids if isinstance(g, str) and GAME_ID.fullmatch(g)]
        if not game_ids:
            return {}
        marks = ", ".join("?" * len(game_ids))
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT id, version FROM chess_games WHERE id IN ({marks})", tuple(game_ids)
            )
        return {str(game_id): int(version) for game_id, version in rows}

    @staticmethod
    def pgn(state: GameState, *, site: str = "parlor") -> str:
        """The game in PGN, with the players' names and the day it began."""
        white, black = state.players
        return rules.pgn(
            state.game,
            white=white.name or "?",
            black=black.name or "?",
            date=state.created_at[:10].replace("-", "."),
            site=site,
        )

    def seat(self, game_id: object, token: object, *, account_id: int | None = None) -> Color:
        """The side ``token`` (or ``account_id``) holds in the game; reads, locks nothing."""
        game_id = _known_shape(game_id)
        with self.db.transaction(write=False) as tx:
            found = tx.one(f"SELECT {_GAME_COLUMNS} FROM chess_games WHERE id = ?", (game_id,))
        if found is None:
            raise UnknownGame(game_id)
        row = _GameRow._make(found)
        return _seat_of(row, row.game, token, account_id)

    # -- the computer's seat ------------------------------------------------------------

    def engine_turns(self, *, limit: int = 50) -> list[GameState]:
        """Active games where it is the computer's turn, the longest waiting first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id FROM chess_games WHERE status = 'active' AND engine_color IS NOT NULL"
                " AND ply % 2 = CASE engine_color WHEN 'white' THEN 0 ELSE 1 END"
                " ORDER BY updated_at LIMIT ?",
                (limit,),
            )
        return [self.game(str(found[0])) for found in rows]

    def computer_games(self) -> int:
        """How many games the computer plays now."""
        with self.db.transaction(write=False) as tx:
            found = tx.one(
                "SELECT COUNT(*) FROM chess_games"
                " WHERE status = 'active' AND engine_color IS NOT NULL"
            )
        return int(found[0]) if found else 0

    def engine_move(self, game_id: object, uci: str, ply: int) -> GameState:
        """The computer plays ``uci`` at ``ply``; refused as anyone's move would be (a second
        worker's engine that chose too is StalePly)."""

        def work(tx: Transaction) -> GameState:
            row, game = self._load(tx, game_id, lock=True)
            if row.engine_color is None:
                raise NotAllowed("the computer plays no seat at this game")
            after = rules.move(game, Color(row.engine_color), uci, ply, self.clock())
            return self._save(tx, row, game, after)

        return self._changed(self._write(work))

    def call_off(self, game_id: object, note: str) -> GameState:
        """End the game without a result, saying why (the computer's engine failed)."""

        def work(tx: Transaction) -> GameState:
            row, game = self._load(tx, game_id, lock=True)
            return self._save(tx, row._replace(note=note), game, rules.abandon(game))

        return self._changed(self._write(work))

    # -- what players do -----------------------------------------------------------------
    #
    # A player is the seat's ``token``, or, sent without one, the signed-in ``account_id``
    # that took the seat.

    def move(
        self,
        game_id: object,
        token: object,
        text: object,
        ply: object,
        *,
        account_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> GameState:
        """Play ``text`` in the position after ``ply`` half-moves.

        With ``idempotency_key``, a retry of a move already applied answers the
        game as it stands (``replayed``) and plays nothing; the same key with a
        different move is ``MoveKeyReused``.
        """

        plan = self._plan_move(game_id, token, account_id, text, ply)

        def work(tx: Transaction) -> tuple[GameState, _GameRow | None]:
            row, game = self._load(tx, game_id, lock=True)
            player = _seat_of(row, game, token, account_id)
            fingerprint = f"{player.value}:{ply!r}:{text!r}"
            if idempotency_key is not None:
                found = tx.one(
                    "SELECT fingerprint FROM chess_idempotency WHERE game_id = ? AND key = ?",
                    (row.id, idempotency_key),
                )
                if found is not None:
                    if found[0] != fingerprint:
                        raise MoveKeyReused(idempotency_key)
                    return replace(self._state(row, game), replayed=True), None
            if plan is not None and plan[0] == row.version and plan[1] is player:
                after = plan[2]  # worked out from this very version
            else:
                after = rules.move(game, player, text, ply, self.clock())
            if idempotency_key is not None:
                tx.execute(
                    "INSERT INTO chess_idempotency (game_id, key, fingerprint, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (row.id, idempotency_key, fingerprint, self._stamp()),
                )
            saved = self._write_game(tx, row, game, after)
            return self._state(saved, after), saved

        state, saved = self._write(work)
        if saved is None:
            return state
        self._keep_latest(saved, state.game)
        return self._changed(state)

    def _plan_move(
        self, game_id: object, token: object, account_id: int | None, text: object, ply: object
    ) -> tuple[int, Color, Game] | None:
        """The move worked out ahead, from the newest version this process has seen: the
        version, the player, the game after it; None when there is nothing to go on.

        The rules (python-chess's legality, SAN, the next position's legal moves) cost
        more than the rest of a move, and the transaction runs under the database's
        write lock, where every other writer waits. So the move is worked out before,
        and the transaction only checks that the game is still at that version; if
        another move came first (another worker's, say) it is worked out again inside.
        A refusal is decided inside too, where it is authoritative.
        """
        known = self._latest.get(game_id) if isinstance(game_id, str) else None
        if known is None:
            return None
        row, game = known
        try:
            player = _seat_of(row, game, token, account_id)
            return row.version, player, rules.move(game, player, text, ply, self.clock())
        except (ChessError, HouseError):
            return None

    def _keep_latest(self, row: _GameRow, game: Game) -> None:
        """Remember a committed version of a game, if no newer one is known."""
        known = self._latest.get(row.id)
        if known is not None and known[0].version >= row.version:
            return
        if len(self._latest) >= _MOVES_KEPT:
            self._latest.clear()  # a memo: starting it afresh loses nothing
        self._latest[row.id] = (row, game)

    def resign(self, game_id: object, token: object, *, account_id: int | None = None) -> GameState:
        return self._change(game_id, token, account_id, rules.resign)

    def offer_draw(
        self, game_id: object, token: object, *, account_id: int | None = None
    ) -> GameState:
        return self._change(game_id, token, account_id, rules.offer_draw)

    def accept_draw(
        self, game_id: object, token: object, *, account_id: int | None = None
    ) -> GameState:
        return self._change(game_id, token, account_id, rules.accept_draw)

    def decline_draw(
        self, game_id: object, token: object, *, account_id: int | None = None
    ) -> GameState:
        return self._change(game_id, token, account_id, rules.decline_draw)

    def claim_draw(
        self, game_id: object, token: object, *, account_id: int | None = None
    ) -> GameState:
        return self._change(game_id, token, account_id, rules.claim_draw)

    def abort(self, game_id: object, token: object, *, account_id: int | None = None) -> GameState:
        return self._change(game_id, token, account_id, rules.abort)


def _insert_moves(tx: Transaction, game_id: str, before: Game, after: Game, now: str) -> None:
    """Store the moves ``after`` has beyond ``before``, in both notations."""
    for ply in range(before.ply + 1, after.ply + 1):
        tx.execute(
            "INSERT INTO chess_moves (game_id, ply, uci, san, played_at) VALUES (?, ?, ?, ?, ?)",
            (game_id, ply, after.moves[ply - 1], after.san[ply - 1], now),
        )


def _seated(
    row: _GameRow, color: Color, token_hash: str, account_id: int | None, name: str | None
) -> _GameRow:
    if color is Color.WHITE:
        return row._replace(white_token=token_hash, white_account=account_id, white_name=name)
    return row._replace(black_token=token_hash, black_account=account_id, black_name=name)


def _summary(row: _GameRow) -> GameSummary:
    game = row.game
    return GameSummary(
        id=row.id,
        status=game.status,
        ply=int(row.ply),
        result=game.result,
        termination=game.termination,
        clock=game.clock,
        players=row.players,
        version=int(row.version),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _seat_of(row: _GameRow, game: Game, token: object, account_id: int | None) -> Color:
    """The color the player holds: by ``token`` (compared in constant time), or else by the
    signed-in ``account_id``; NoSeatCredential with neither, NotAPlayer for anyone else."""
    if token is not None:
        if not isinstance(token, str) or not token:
            raise NotAPlayer()
        given = _token_hash(token)
        for color, stored in ((Color.WHITE, row.white_token), (Color.BLACK, row.black_token)):
            if stored is not None and hmac.compare_digest(given, str(stored)):
                return color
        raise NotAPlayer()
    if account_id is None:
        raise NoSeatCredential()
    held = [
        color
        for color, owner in ((Color.WHITE, row.white_account), (Color.BLACK, row.black_account))
        if owner is not None and int(owner) == account_id
    ]
    if not held:
        raise NotAPlayer()
    # One account in both seats (playing oneself): it acts for the side to move.
    return game.turn if len(held) == 2 else held[0]


__all__ = [
    "ChessError",
    "ChessHouse",
    "GameState",
    "GameSummary",
    "MoveKeyReused",
    "NoSeatCredential",
    "NotAPlayer",
    "Player",
    "Seat",
    "UnknownGame",
]
