"""A typed client for the chess REST API (``/api/v1/chess``), with safe retries.

Used by the web app's chess pages, ``parlor chess play`` and ``watch``, and
the engine seat. Every method returns the service's answer as its
``parlor.wire.chess`` struct, or raises one of ``parlor.client.errors``; an
illegal move is ``InvalidInput`` with ``legal_moves`` set.

Retries follow the SDK core (``parlor.client.http``): reads may be repeated,
and so may moves, which always carry an ``Idempotency-Key`` (a retry after a
lost answer is answered with the game, the move played once). Creating or
joining a game, resigning, draws and aborts are sent again only if they
surely never left; otherwise ``OutcomeUnknown`` says to read the game first.

A player acts with their seat's token (``token=``), or, signed in as the
account that took the seat, with the client's own ``auth``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import chess
import httpx

from parlor.client.auth import Bearer
from parlor.client.http import ServiceClient, long_poll, segment
from parlor.wire.chess import (
    ComputerOffer,
    DrawAction,
    Game,
    GameList,
    GameVersions,
    SeatGrant,
    SeatView,
)

__all__ = ["ChessClient", "Game", "GameList", "SeatGrant", "board"]

GAMES = "/api/v1/chess/games"
VERSIONS = "/api/v1/chess/versions"
COMPUTER = "/api/v1/chess/computer"
MY_GAMES = "/api/v1/accounts/me/chess/games"


def board(game: Game) -> chess.Board:
    """The game's position with its history: its moves replayed (the FEN alone has none)."""
    position = chess.Board()
    for played in game.moves:
        position.push(chess.Move.from_uci(played.uci))
    return position


def _seat(token: str | None, auth: httpx.Auth | None = None) -> httpx.Auth | None:
    """How a player's request is signed: the seat's token, else ``auth`` (an account's),
    else the client's own."""
    return auth if token is None else Bearer(token)


class ChessClient(ServiceClient):
    """The chess service's REST API as Python calls."""

    service = "chess service"

    def create_game(
        self,
        color: str = "white",
        *,
        clock: tuple[float, float] | None = None,
        name: str | None = None,
        opening: Sequence[str] = (),
        computer: int | None = None,
        auth: httpx.Auth | None = None,
    ) -> SeatGrant:
        """Start a game as ``color`` (or "random"); ``clock`` is (initial s, increment s).

        ``opening``: moves already played (UCI or SAN); the game continues after them.
        ``computer``: play the computer at this skill level (see ``computer_offer``).
        """
        body: dict[str, Any] = {"color": color}
        if opening:
            body["opening"] = list(opening)
        if computer is not None:
            body["computer"] = computer
        if clock is not None:
            body["clock"] = {"initial": clock[0], "increment": clock[1]}
        if name is not None:
            body["name"] = name
        return self._call("POST", GAMES, SeatGrant, repeatable=False, body=body, auth=auth)

    def join(
        self, game_id: str, *, name: str | None = None, auth: httpx.Auth | None = None
    ) -> SeatGrant:
        """Take the free seat of a waiting game (``Conflict`` when both are taken)."""
        body = {} if name is None else {"name": name}
        return self._call(
            "POST",
            f"{GAMES}/{segment(game_id)}/join",
            SeatGrant,
            repeatable=False,
            body=body,
            auth=auth,
        )

    def game(self, game_id: str, *, wait: float | None = None, since: int | None = None) -> Game:
        """The game now; with ``wait``, once its version has passed ``since`` (a long poll)."""
        return self._call(
            "GET",
            f"{GAMES}/{segment(game_id)}",
            Game,
            repeatable=True,
            params=long_poll(wait, since),
            extra_time=wait or 0.0,
        )

    def games(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> GameList:
        """One page of games, newest first; pass the answer's ``next`` as ``cursor``."""
        return self._call(
            "GET", GAMES, GameList, repeatable=True, params=_page(status, limit, cursor)
        )

    def my_games(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        auth: httpx.Auth | None = None,
    ) -> GameList:
        """The games the signed-in account sits at (the client's ``auth``, or ``auth``)."""
        return self._call(
            "GET",
            MY_GAMES,
            GameList,
            repeatable=True,
            params=_page(status, limit, cursor),
            auth=auth,
        )

    def move(
        self,
        game_id: str,
        move: str,
        ply: int,
        *,
        token: str | None = None,
        auth: httpx.Auth | None = None,
        idempotency_key: str | None = None,
    ) -> Game:
        """Play ``move`` (UCI or SAN) in the position after ``ply`` half-moves.

        Always sent with an ``Idempotency-Key`` (a fresh one unless given), so
        a retry after a lost answer plays the move once.
        """
        key = idempotency_key if idempotency_key is not None else uuid.uuid4().hex
        return self._call(
            "POST",
            f"{GAMES}/{segment(game_id)}/moves",
            Game,
            repeatable=True,
            body={"move": move, "ply": ply},
            headers={"Idempotency-Key": key},
            auth=_seat(token, auth),
        )

    def seat(
        self, game_id: str, *, token: str | None = None, auth: httpx.Auth | None = None
    ) -> SeatView:
        """Which side the token (or the account) holds in the game."""
        return self._call(
            "GET",
            f"{GAMES}/{segment(game_id)}/seat",
            SeatView,
            repeatable=True,
            auth=_seat(token, auth),
        )

    def computer_offer(self) -> ComputerOffer:
        """Whether the service plays chess against people, and at which levels."""
        return self._call("GET", COMPUTER, ComputerOffer, repeatable=True)

    def versions(self, game_ids: Sequence[str]) -> dict[str, int]:
        """The current version of each game named that exists (at most 100)."""
        if not game_ids:
            return {}
        answer = self._call(
            "GET",
            VERSIONS,
            GameVersions,
            repeatable=True,
            params=httpx.QueryParams([("game", game_id) for game_id in game_ids]),
        )
        return dict(answer.versions)

    def resign(
        self, game_id: str, *, token: str | None = None, auth: httpx.Auth | None = None
    ) -> Game:
        return self._act(game_id, "resign", {}, _seat(token, auth))

    def draw(
        self,
        game_id: str,
        action: DrawAction,
        *,
        token: str | None = None,
        auth: httpx.Auth | None = None,
    ) -> Game:
        """``offer``, ``accept``, ``decline`` or ``claim`` a draw."""
        return self._act(game_id, "draw", {"action": action}, _seat(token, auth))

    def abort(
        self, game_id: str, *, token: str | None = None, auth: httpx.Auth | None = None
    ) -> Game:
        return self._act(game_id, "abort", {}, _seat(token, auth))

    def pgn(self, game_id: str) -> str:
        """The game in PGN."""
        return self._call("GET", f"{GAMES}/{segment(game_id)}/pgn", str, repeatable=True)

    def _act(
        self, game_id: str, action: str, body: dict[str, str], auth: httpx.Auth | None
    ) -> Game:
        return self._call(
            "POST",
            f"{GAMES}/{segment(game_id)}/{action}",
            Game,
            repeatable=False,
            body=body,
            auth=auth,
        )


def _page(status: str | None, limit: int | None, cursor: str | None) -> dict[str, str | int]:
    params: dict[str, str | int] = {}
    if status is not None:
        params["status"] = status
    if limit is not None:
        params["limit"] = limit
    if cursor is not None:
        params["cursor"] = cursor
    return params
