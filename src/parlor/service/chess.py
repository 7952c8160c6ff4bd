"""The chess REST API under /api/v1/chess: games, seats, moves, draws, PGN.

Each resource reads the request, calls one chess house operation, and writes
its value as JSON (``parlor.wire.chess``). Refusals are raised: the house's
and the rules' exceptions become problem+json in ``problems.py``, so the
order of checks is the house's (the game 404, the seat 401 and 403, then the
rules: the game's state, the turn and the ply 409, the move 422).

A player is their seat's token, sent as ``Authorization: Bearer chess_…``
(the authentication pipe leaves such tokens to these routes), or, without
one, the signed-in account that took the seat.

Watching is reading: ``GET …/games/{id}`` answers everyone, with an ETag
from the game's version (304 for ``If-None-Match``), and waits for the next
change on ``?wait=S&since=V`` without holding a thread (``ask_to_wait``).
"""

from __future__ import annotations

import base64
import binascii
import functools
from datetime import datetime

import falcon
import msgspec

from parlor.chess import game as rules
from parlor.chess.game import Clock, Color, Status
from parlor.house.chess import (
    GAME_ID,
    PAGE_MAX,
    ChessHouse,
    GameState,
    GameSummary,
    Player,
    is_seat_token,
)
from parlor.service.api import PREFIX, long_poll, parked
from parlor.service.bodies import idempotency_key, read_body
from parlor.service.problems import Problem
from parlor.wire import chess as wire
from parlor.wire.base import NoFields
from parlor.wsgi.auth import USER, Identity

GAMES = f"{PREFIX}/chess/games"
#: The versions of many games at once.
VERSIONS = f"{PREFIX}/chess/versions"
#: Whether the computer plays.
COMPUTER = f"{PREFIX}/chess/computer"
#: The signed-in account's games: under /accounts/me, which only its holder may read.
MY_GAMES = f"{PREFIX}/accounts/me/chess/games"
PGN = "application/x-chess-pgn"
#: How long anyone may keep a finished game's PGN: it never changes again.
FINISHED_MAX_AGE = 86_400


chess_topic = wire.topic


def etag(state: GameState | GameSummary) -> str:
    # Weak: the clocks in the answer count down between two reads of one version.
    return f'W/"{state.version}"'


# -- answers --------------------------------------------------------------------------


def _player(player: Player) -> wire.Player:
    return wire.Player(seated=player.seated, name=player.name)


def _players(players: tuple[Player, Player]) -> wire.Players:
    return wire.Players(white=_player(players[0]), black=_player(players[1]))


def _clock(clock: Clock | None) -> wire.Clock | None:
    return None if clock is None else wire.Clock(initial=clock.initial, increment=clock.increment)


def represent(state: GameState, now: float) -> wire.Game:
    """The game as the wire writes it, its clocks as of ``now``."""
    answer = _answer(state)
    clocks = rules.clocks_at(state.game, now)
    if clocks is None or answer.clocks is None or answer.clocks.running is None:
        return answer
    return msgspec.structs.replace(
        answer,
        clocks=wire.Clocks(
            white=round(clocks[0], 3), black=round(clocks[1], 3), running=answer.clocks.running
        ),
    )


@functools.lru_cache(maxsize=1024)
def _answer(state: GameState) -> wire.Game:
    """The answer for one version of a game, worked out once: python-chess's legal moves,
    FEN and repetition checks cost more than the rest of a request, and a move wakes
    every watcher of the game to read the same version. (A running clock is set apart,
    in ``represent``.)"""
    game = state.game
    seen = rules.facts(game)
    active = game.status is Status.ACTIVE
    stored = game.remaining
    return wire.Game(
        id=state.id,
        status=game.status,
        fen=seen.fen,
        moves=tuple(wire.Move(uci=u, san=s) for u, s in zip(game.moves, game.san, strict=True)),
        ply=game.ply,
        turn=game.turn,
        check=seen.check,
        result=game.result,  # type: ignore[arg-type]  # the rules write only these four
        termination=game.termination,
        draw_offer=game.draw_offer,
        can_claim_draw=active and seen.claimable,
        players=_players(state.players),
        computer=(
            None
            if state.engine is None
            else wire.Computer(color=state.engine[0], level=state.engine[1])
        ),
        note=state.note,
        clock=_clock(game.clock),
        clocks=(
            None
            if stored is None
            else wire.Clocks(
                white=round(stored[0], 3),
                black=round(stored[1], 3),
                running=game.turn if active and game.turn_started is not None else None,
            )
        ),
        legal_moves=seen.legal if active else (),
        version=state.version,
        created_at=datetime.fromisoformat(state.created_at),
        updated_at=datetime.fromisoformat(state.updated_at),
    )


def summary(found: GameSummary) -> wire.GameSummary:
    return wire.GameSummary(
        id=found.id,
        status=found.status,
        ply=found.ply,
        result=found.result,  # type: ignore[arg-type]
        termination=found.termination,
        players=_players(found.players),
        clock=_clock(found.clock),
        version=found.version,
        created_at=datetime.fromisoformat(found.created_at),
        updated_at=datetime.fromisoformat(found.updated_at),
    )


# -- who is asking --------------------------------------------------------------------


def _signed_in(req: falcon.Request) -> Identity | None:
    found: Identity | None = req.env.get(USER)
    return found


def seat_token(req: falcon.Request) -> str | None:
    """The seat's token from ``Authorization: Bearer chess_…``, if one was sent."""
    header = req.get_header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and is_seat_token(token):
        return token
    return None


def _account(req: falcon.Request) -> int | None:
    found = _signed_in(req)
    return None if found is None else found.account_id


def _name(req: falcon.Request, given: str | None) -> str | None:
    found = _signed_in(req)
    return given if found is None else found.username


# -- cursors --------------------------------------------------------------------------


def _cursor(found: GameSummary) -> str:
    raw = f"{found.created_at}|{found.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(text: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        created_at, game_id = raw.split("|", 1)
        datetime.fromisoformat(created_at)
        if not GAME_ID.fullmatch(game_id) or not created_at.isprintable():
            raise ValueError("not a cursor this service gave")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            falcon.HTTP_400,
            "cursor is not one this service gave: pass a page's next member as it was",
            code="bad_cursor",
            field="cursor",
        ) from None
    return created_at, game_id


# -- resources ------------------------------------------------------------------------


def _grant(house: ChessHouse, state: GameState, color: Color, token: str) -> wire.SeatGrant:
    return wire.SeatGrant(color=color, token=token, game=represent(state, house.clock()))


class Games:
    """POST starts a game; GET lists games, newest first, a page at a time."""

    def __init__(
        self, house: ChessHouse, computer: wire.ComputerOffer, computer_games: int
    ) -> None:
        self._house = house
        self._computer = computer
        self._computer_games = computer_games

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, wire.CreateGame)
        if body.computer is not None and not self._computer.available:
            raise Problem(
                falcon.HTTP_409,
                "this server has no chess engine to play you: its operator starts it with"
                " --chess-engine PATH (GET /api/v1/chess/computer says whether it has one)",
                code="no_engine",
                field="computer",
            )
        if body.computer is not None and self._house.computer_games() >= self._computer_games:
            raise Problem(
                falcon.HTTP_409,
                f"the computer plays {self._computer_games} games at once already: try again"
                " when one ends, or play a person",
                code="computer_busy",
                field="computer",
            )
        clock = None if body.clock is None else Clock(body.clock.initial, body.clock.increment)
        state, seat = self._house.create(
            body.color,
            clock,
            account_id=_account(req),
            name=_name(req, body.name),
            opening=body.opening,
            computer=body.computer,
        )
        resp.status = falcon.HTTP_201
        resp.location = f"{GAMES}/{state.id}"
        resp.media = _grant(self._house, state, seat.color, seat.token)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.cache_control = ["no-cache"]
        resp.media = _page(self._house, req, account_id=None)


class MyGames:
    """GET: the games whose seats the signed-in account took (the authorization pipe
    lets only an account this far)."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        account = _account(req)
        if account is None:  # behind the authorization pipe, never; bare in a test, say so
            raise falcon.HTTPUnauthorized(description="sign in to list your games")
        resp.cache_control = ["private", "no-cache"]
        resp.media = _page(self._house, req, account_id=account)


def _page(house: ChessHouse, req: falcon.Request, *, account_id: int | None) -> wire.GameList:
    status = req.get_param("status")
    if status is not None and status not in wire.STATUSES:
        raise falcon.HTTPInvalidParam(f"use one of {', '.join(wire.STATUSES)}", "status")
    limit = req.get_param_as_int("limit", min_value=1, max_value=PAGE_MAX, default=50)
    cursor = req.get_param("cursor")
    found = house.games(
        None if status is None else Status(status),
        limit=limit + 1,  # one more than asked: whether there is a next page
        before=None if cursor is None else _read_cursor(cursor),
        account_id=account_id,
    )
    page = found[:limit]
    if len(found) > limit:
        return wire.GameList(games=tuple(summary(g) for g in page), next=_cursor(page[-1]))
    return wire.GameList(games=tuple(summary(g) for g in page))


class ComputerInfo:
    """GET: whether this server plays chess against people (``--chess-engine``)."""

    def __init__(self, offer: wire.ComputerOffer) -> None:
        self._offer = offer

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.cache_control = ["no-cache"]
        resp.media = self._offer


class Versions:
    """GET: the version of each game named (``?game=…``, repeated): what a watcher that
    holds many games' pages (the web app's front door) compares, in one request."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        asked = req.get_param_as_list("game") or []
        if len(asked) > wire.MAX_VERSIONS:
            raise falcon.HTTPInvalidParam(f"ask about at most {wire.MAX_VERSIONS} games", "game")
        resp.cache_control = ["no-cache"]
        resp.media = wire.GameVersions(versions=self._house.versions(asked))


class OneGame:
    """GET: the game, for players and watchers; a long poll with ``wait`` and ``since``."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        wait, since = long_poll(req)
        state = self._house.game(game_id)
        over = state.game.status is Status.OVER  # a finished game changes no more
        if parked(req, resp, chess_topic(state.id), state.version, wait, since, over):
            return
        resp.etag = etag(state)
        resp.cache_control = ["no-cache"]
        if not wait and _matches(req, resp.etag):
            resp.status = falcon.HTTP_304
            return
        resp.media = represent(state, self._house.clock())


def _matches(req: falcon.Request, tag: str) -> bool:
    """Whether If-None-Match names ``tag`` (compared weakly, RFC 9110 §13.1.2)."""
    given = req.get_header("If-None-Match")
    if given is None:
        return False
    if given.strip() == "*":
        return True
    bare = tag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in given.split(","))


class Join:
    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        body = read_body(req, wire.JoinGame)
        state, seat = self._house.join(
            game_id, account_id=_account(req), name=_name(req, body.name)
        )
        resp.media = _grant(self._house, state, seat.color, seat.token)


class Moves:
    """POST: play a move as the player whose seat the token holds."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        body = read_body(req, wire.MoveRequest)
        state = self._house.move(
            game_id,
            seat_token(req),
            body.move,
            body.ply,
            account_id=_account(req),
            idempotency_key=idempotency_key(req),
        )
        resp.status = falcon.HTTP_201  # a retry answers as the first did
        resp.etag = etag(state)
        resp.media = represent(state, self._house.clock())


class SeatOf:
    """GET: which side the token sent (or the signed-in account) holds: for resuming."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        color = self._house.seat(game_id, seat_token(req), account_id=_account(req))
        resp.cache_control = ["private", "no-store"]
        resp.media = wire.SeatView(color=color)


class Resign:
    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        read_body(req, NoFields)
        state = self._house.resign(game_id, seat_token(req), account_id=_account(req))
        resp.media = represent(state, self._house.clock())


class Abort:
    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        read_body(req, NoFields)
        state = self._house.abort(game_id, seat_token(req), account_id=_account(req))
        resp.media = represent(state, self._house.clock())


class Draw:
    """POST: offer a draw, accept or decline the opponent's, or claim one."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house
        self._acts = {
            "offer": house.offer_draw,
            "accept": house.accept_draw,
            "decline": house.decline_draw,
            "claim": house.claim_draw,
        }

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        body = read_body(req, wire.DrawRequest)
        act = self._acts[body.action]
        state = act(game_id, seat_token(req), account_id=_account(req))
        resp.media = represent(state, self._house.clock())


class Pgn:
    """GET: the game in PGN; a finished game's may be kept (it never changes again)."""

    def __init__(self, house: ChessHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        state = self._house.game(game_id)
        resp.content_type = PGN
        resp.etag = etag(state)
        resp.downloadable_as = f"parlor-{state.id}.pgn"
        if state.game.status is Status.OVER:
            resp.cache_control = ["public", f"max-age={FINISHED_MAX_AGE}"]
        else:
            resp.cache_control = ["no-cache"]
        if _matches(req, resp.etag):
            resp.status = falcon.HTTP_304
            return
        resp.text = self._house.pgn(state)


def add_chess_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    house: ChessHouse,
    *,
    think: float | None = None,
    computer_games: int = 20,
) -> None:
    """The chess routes; ``think``: the computer's seconds a move, None: no computer;
    ``computer_games``: how many it plays at once."""
    offer = wire.ComputerOffer(
        available=think is not None,
        min_level=wire.MIN_LEVEL,
        max_level=wire.MAX_LEVEL,
        think=think or 0.0,
    )
    app.add_route(GAMES, Games(house, offer, computer_games))
    app.add_route(COMPUTER, ComputerInfo(offer))
    app.add_route(MY_GAMES, MyGames(house))
    app.add_route(VERSIONS, Versions(house))
    app.add_route(f"{GAMES}/{{game_id}}", OneGame(house))
    app.add_route(f"{GAMES}/{{game_id}}/join", Join(house))
    app.add_route(f"{GAMES}/{{game_id}}/moves", Moves(house))
    app.add_route(f"{GAMES}/{{game_id}}/seat", SeatOf(house))
    app.add_route(f"{GAMES}/{{game_id}}/resign", Resign(house))
    app.add_route(f"{GAMES}/{{game_id}}/draw", Draw(house))
    app.add_route(f"{GAMES}/{{game_id}}/abort", Abort(house))
    app.add_route(f"{GAMES}/{{game_id}}/pgn", Pgn(house))
