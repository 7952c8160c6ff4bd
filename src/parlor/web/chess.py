"""Chess on the web: the lobby, a game's page, its move form and buttons, PGN out and in.

Every page reaches the service through ``ChessClient`` alone. GETs render a
template; every POST ends in a 303 (PRG), back to the game with the
service's refusal beside the move field or as a notice.

==============================  ==============================================
``GET /chess``                  the lobby: a new game, waiting games to join,
                                active games to watch, my games, a PGN import
``POST /chess``                 start a game and take its seat, then its page
``POST /chess/import``          upload a PGN file, then its replay
``GET /chess/replay?ply=N``     the imported game after N half-moves
``GET /chess/{id}``             board, moves, clocks, and a player's controls
``POST /chess/{id}/join``       take the free seat
``POST /chess/{id}/move``       play the move form's move (UCI or SAN)
``POST /chess/{id}/act``        resign; offer, accept, decline or claim a draw;
                                abort
``GET /chess/{id}/state``       for ``chess.js``: the next version (a long
                                poll) with the page's live part, as JSON
``GET /chess/{id}/pgn``         the game's PGN, as a download
==============================  ==============================================

Who plays. A seat's token lives in the visit only (``visits.chess_seat``). A
signed-in player without one plays the seats the account took, signed with
the account's bearer token, as the web's other account calls are; the
service says which side the account holds there (``ChessClient.seat``), if any.

Without JavaScript a watcher's page refreshes itself every few seconds (a
``<meta http-equiv="refresh">`` inside ``<noscript>``, so the script's long
poll replaces it rather than racing it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import falcon
import jinja2

from parlor.chess.game import Color, Status
from parlor.client import (
    Bearer,
    ChessClient,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from parlor.client.errors import ProblemError
from parlor.web import visits
from parlor.web.chess_board import (
    clock_text,
    clock_words,
    game_board,
    move_rows,
    result_words,
    san_moves,
    status_line,
)
from parlor.web.chess_forms import COLORS, move_key, read_move, read_name, read_new_game
from parlor.web.formbody import read_form
from parlor.web.forms import FormInvalid
from parlor.web.pages import Deps, Page
from parlor.web.visits import ChessSeat, Flash
from parlor.wire import chess as chess_wire
from parlor.wire.chess import DRAW_ACTIONS, DrawAction, Game
from parlor.wsgi.waiting import ask_to_wait

LOBBY = "/chess"
#: How often a page with no script asks again while it waits for the other side.
REFRESH_SECONDS = 5
#: How long the state endpoint waits for a change: well inside every timeout on the way.
LONG_POLL = 20.0
#: How long anyone may keep a finished game's PGN: it never changes again.
PGN_MAX_AGE = 86_400
#: Games a lobby list shows.
LISTED = 20
_GAME_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
VERSION = re.compile(r"[0-9]{1,12}")
#: What each button of the game page does, and what the page then says.
ACTIONS = {
    "resign": "You resigned.",
    "offer": "You offered a draw.",
    "accept": "You accepted the draw.",
    "decline": "You declined the draw.",
    "claim": "You claimed the draw.",
    "abort": "You aborted the game.",
}
_DRAWS: dict[str, DrawAction] = {action: action for action in DRAW_ACTIONS}


def _sentence(text: str) -> str:
    """A service refusal ("it is not your turn") as a sentence: "It is not your turn."."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def to_game(game_id: str, anchor: str = "") -> falcon.HTTPSeeOther:
    """The 303 that ends a POST about a game: back to its page (Post-Redirect-Get)."""
    return falcon.HTTPSeeOther(f"{LOBBY}/{game_id}{anchor}")


def _no_game() -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(
        title="No such game", description="There is no chess game at this address."
    )


def game_id_of(text: str) -> str:
    """A game id from the path, or a 404 before anything is asked of the service."""
    if not _GAME_ID.fullmatch(text):
        raise _no_game()
    return text


# -- who is looking -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person at the page: the color they play (None: watching) and how they sign."""

    color: Color | None = None
    #: A seat's token or the account's bearer token; None for a watcher.
    token: str | None = None


def viewer_of(req: falcon.Request, game: Game, chess: ChessClient) -> Viewer:
    seat = visits.chess_seat(req, game.id)
    if seat is not None:
        return Viewer(Color(seat.color), seat.token)
    player = visits.account(req)
    if player is None or not any(p.seated for p in (game.players.white, game.players.black)):
        return Viewer()
    try:
        held = chess.seat(game.id, auth=Bearer(player.token))
    except (Forbidden, Unauthorized, NotFound):  # no seat of this account's (or it lapsed)
        return Viewer()
    return Viewer(Color(held.color), player.token)


def credential(req: falcon.Request, game_id: str) -> str:
    """What a player's POST is signed with; a refusal when the visitor holds no seat."""
    seat = visits.chess_seat(req, game_id)
    if seat is not None:
        return seat.token
    player = visits.account(req)
    if player is not None:
        return player.token  # the service checks the account holds a seat here
    visits.notice(req, "You have no seat at this game: you can watch it.", tone="error")
    raise to_game(game_id)


@dataclass(frozen=True, slots=True)
class Controls:
    """What the viewer may do now: each a button (or the move form) on the page."""

    move: bool = False
    resign: bool = False
    offer: bool = False
    answer: bool = False
    claim: bool = False
    abort: bool = False
    join: bool = False


def controls(game: Game, viewer: Color | None) -> Controls:
    if viewer is None:
        return Controls(join=game.status is Status.WAITING)
    active = game.status is Status.ACTIVE
    on_move = active and game.turn is viewer
    return Controls(
        move=on_move,
        resign=active,
        offer=active and game.draw_offer is None,
        answer=active and game.draw_offer is viewer.other,
        claim=on_move and game.can_claim_draw,
        abort=game.status is not Status.OVER and game.ply < 2,
    )


# -- resources --------------------------------------------------------------------------


class ChessPage(Page):
    """Base of the chess resources: the page helpers, and the chess client."""

    def __init__(self, deps: Deps, chess: ChessClient) -> None:
        super().__init__(deps)
        self.chess = chess

    def load(self, game_id: str) -> Game:
        try:
            return self.chess.game(game_id_of(game_id))
        except NotFound:
            raise _no_game() from None

    def game_context(self, req: falcon.Request, game: Game, flash: Flash) -> dict[str, Any]:
        """Everything ``chess_game.html`` draws, the live part included."""
        viewer = viewer_of(req, game, self.chess)
        can = controls(game, viewer.color)
        errors = dict(flash.errors) if flash.form == "move" else {}
        clocks = game.clocks
        return {
            "flash": flash,
            "game": game,
            "viewer": viewer.color,
            "can": can,
            "board": game_board(game, viewer.color or Color.WHITE),
            "rows": move_rows([m.san for m in game.moves]),
            "standing": status_line(game, viewer.color),
            "clocks": None
            if clocks is None
            else [
                ("White", clock_text(clocks.white), clocks.running is Color.WHITE),
                ("Black", clock_text(clocks.black), clocks.running is Color.BLACK),
            ],
            "control": None
            if game.clock is None
            else clock_words(game.clock.initial, game.clock.increment),
            "refresh": REFRESH_SECONDS if game.status is not Status.OVER and not can.move else 0,
            "legal": " ".join(game.legal_moves) if can.move else "",
            "errors": errors,
            "move_value": flash.values.get("move", "") if errors else "",
            "legal_san": san_moves(game.fen, game.legal_moves) if errors and can.move else [],
        }

    def refuse(self, req: falcon.Request, error: ProblemError) -> None:
        """A refused action as a notice: the service's words, or ours for a foreign seat."""
        if isinstance(error, NotFound):
            raise _no_game()
        if isinstance(error, Forbidden):
            visits.notice(req, "You have no seat at this game: you can watch it.", tone="error")
        else:
            visits.notice(req, _sentence(error.detail), tone="error")


def account_auth(req: falcon.Request) -> Bearer | None:
    """How the web app signs a call as the visitor's account, if they are signed in."""
    player = visits.account(req)
    return None if player is None else Bearer(player.token)


class Lobby(ChessPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        waiting = self.chess.games(status="waiting", limit=LISTED).games
        active = self.chess.games(status="active", limit=LISTED).games
        auth = account_auth(req)
        mine = () if auth is None else self.chess.my_games(limit=LISTED, auth=auth).games
        held = {g.id for g in (*waiting, *mine) if visits.chess_seat(req, g.id) is not None}
        self.show(
            req,
            resp,
            "chess_lobby.html",
            computer=self.chess.computer_offer(),
            waiting=waiting,
            active=active,
            mine=mine,
            held=held,
            colors=COLORS,
            clock_words=clock_words,
            result_words=result_words,
        )

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start a game: the seat's token goes into the visit, the player to the board."""
        fields = read_form(req)
        auth = account_auth(req)
        try:
            order = read_new_game(fields, signed_in=auth is not None)
            grant = self.chess.create_game(
                order.color, clock=order.clock, name=order.name, computer=order.computer, auth=auth
            )
        except FormInvalid as error:
            visits.form_errors(req, "create", error.errors, error.values)
            raise falcon.HTTPSeeOther(f"{LOBBY}#new") from None
        except (InvalidInput, Conflict) as error:
            if error.code == "no_engine":  # the form offered no computer: a stale page
                visits.notice(req, _sentence(error.detail), tone="error")
                raise falcon.HTTPSeeOther(f"{LOBBY}#new") from None
            field = error.field if error.field in ("name", "color") else "minutes"
            visits.form_errors(req, "create", {field: _sentence(error.detail)}, {})
            raise falcon.HTTPSeeOther(f"{LOBBY}#new") from None
        visits.take_chess_seat(req, grant.game.id, ChessSeat(grant.color.value, grant.token))
        visits.notice(req, f"You play {grant.color.value}. Share this page's address to invite.")
        raise to_game(grant.game.id)


class Join(ChessPage):
    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        game_id = game_id_of(game_id)
        fields = read_form(req)
        auth = account_auth(req)
        errors: dict[str, str] = {}
        name = None if auth is not None else read_name(fields, errors)
        if errors:
            visits.notice(req, errors["name"], tone="error")
            raise to_game(game_id)
        try:
            grant = self.chess.join(game_id, name=name, auth=auth)
        except (Conflict, InvalidInput, NotFound) as error:
            self.refuse(req, error)
            raise to_game(game_id) from None
        visits.take_chess_seat(req, game_id, ChessSeat(grant.color.value, grant.token))
        visits.notice(req, f"You joined as {grant.color.value}.")
        raise to_game(game_id)


class GamePage(ChessPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        game = self.load(game_id)
        context = self.game_context(req, game, visits.take_flash(req))
        self.show(req, resp, "chess_game.html", **context)


class GameState(ChessPage):
    """The long poll behind ``chess.js``: the game's next version, and the page's live part.

    Waiting holds no thread: the request asks the web app's front door to
    run it again once the game passes ``since`` (``ask_to_wait``; the door
    learns the games' versions from the service, ``ChessClient.versions``).
    Behind a server without that, it asks the service to wait instead.
    """

    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        game_id = game_id_of(game_id)
        since = req.get_param("since") or ""
        try:
            game = self.chess.game(game_id)
            if VERSION.fullmatch(since) and game.version <= int(since):
                if ask_to_wait(req.env, chess_wire.topic(game_id), int(since), LONG_POLL):
                    resp.status = falcon.HTTP_204  # discarded: the front door asks again
                    return
                game = self.chess.game(game_id, wait=LONG_POLL, since=int(since))
        except NotFound:
            raise _no_game() from None
        live = self.render_block(
            req, "chess_game.html", "live", self.game_context(req, game, Flash())
        )
        resp.content_type = falcon.MEDIA_JSON
        resp.text = json.dumps(
            {"version": game.version, "over": game.status is Status.OVER, "live": live}
        )

    def render_block(
        self, req: falcon.Request, name: str, block: str, context: dict[str, Any]
    ) -> str:
        """One block of a page template, with the globals ``Page.show`` gives the whole."""
        template: jinja2.Template = self.deps.render.env.get_template(name)
        player = visits.account(req)
        full = {
            "root": req.root_path,
            "csrf": visits.csrf(req),
            "player": player.username if player else None,
            **context,
        }
        return "".join(template.blocks[block](template.new_context(full)))


class Move(ChessPage):
    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        game_id = game_id_of(game_id)
        fields = read_form(req)
        token = credential(req, game_id)
        try:
            order = read_move(fields)
            self.chess.move(
                game_id,
                order.move,
                order.ply,
                token=token,
                idempotency_key=move_key(visits.csrf(req), game_id, order),
            )
        except FormInvalid as error:
            visits.form_errors(req, "move", error.errors, error.values)
        except (InvalidInput, Conflict) as error:
            # An illegal move (422), or one out of turn or from a stale page (409).
            shown = {"move": fields.get("move", "")[:80]}
            visits.form_errors(req, "move", {"move": _sentence(error.detail)}, shown)
        except (Forbidden, NotFound) as error:
            self.refuse(req, error)
        raise to_game(game_id, "#move")


class Act(ChessPage):
    """The game page's buttons: ``action`` is one of ``ACTIONS``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        game_id = game_id_of(game_id)
        action = read_form(req).get("action", "")
        token = credential(req, game_id)
        if action not in ACTIONS:
            visits.notice(req, "Choose one of the game's buttons.", tone="error")
            raise to_game(game_id)
        try:
            if action == "resign":
                self.chess.resign(game_id, token=token)
            elif action == "abort":
                self.chess.abort(game_id, token=token)
            else:
                self.chess.draw(game_id, _DRAWS[action], token=token)
        except (Conflict, InvalidInput, Forbidden, NotFound) as error:
            self.refuse(req, error)
        else:
            visits.notice(req, ACTIONS[action])
        raise to_game(game_id)


class PgnDownload(ChessPage):
    """The game's PGN as a file; a finished game's may be kept by any cache."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, game_id: str) -> None:
        # The game before its PGN: a game that ends in between is then not marked as
        # final, where the other order could let a cache keep a PGN that still grows.
        game = self.load(game_id)
        try:
            text = self.chess.pgn(game.id)
        except NotFound:
            raise _no_game() from None
        resp.content_type = "application/x-chess-pgn; charset=utf-8"
        resp.downloadable_as = f"parlor-chess-{game.id}.pgn"
        if game.status is Status.OVER:
            resp.cache_control = ["public", f"max-age={PGN_MAX_AGE}"]
        resp.text = text


def add_chess_routes(
    app: falcon.App[falcon.Request, falcon.Response], deps: Deps, chess: ChessClient
) -> None:
    from parlor.web.chess_replay import (  # they build on ChessPage
        ContinueReplay,
        ImportPgn,
        ReplayPage,
    )

    app.add_route(LOBBY, Lobby(deps, chess))
    app.add_route(f"{LOBBY}/import", ImportPgn(deps, chess))
    app.add_route(f"{LOBBY}/replay", ReplayPage(deps, chess))
    app.add_route(f"{LOBBY}/replay/continue", ContinueReplay(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}", GamePage(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}/join", Join(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}/move", Move(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}/act", Act(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}/state", GameState(deps, chess))
    app.add_route(f"{LOBBY}/{{game_id}}/pgn", PgnDownload(deps, chess))
