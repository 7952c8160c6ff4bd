"""``parlor chess play`` and ``parlor chess watch``: chess in a terminal, over the REST API.

``play`` starts a game (or joins one with ``--game``, or resumes a seat with
``--game`` and ``--token``), draws the board from the player's side, asks
for moves in SAN or UCI, and waits for the opponent by long polling with a
spinner. A refused move is explained and asked again. A lost connection is
waited out (``--patience``): a move is always sent with the same
Idempotency-Key until it is answered, so it is played once however often it
had to be sent. At the end it prints the result and the PGN (``--pgn FILE``
saves it).

Exit status: 0 when the game is over or the player left it (``quit``, end
of input: it can be resumed), 2 when the service refused or could not be
reached, 130 after Ctrl+C.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    import chess
    from rich.console import Console

    from parlor.client.chess import ChessClient
    from parlor.wire.chess import DrawAction, Game

T = TypeVar("T")

FAILED = 2
INTERRUPTED = 130
#: How long one long poll waits before asking again (the service allows 30 s).
POLL_SECONDS = 25.0

chess_app = typer.Typer(
    help="Chess in the terminal: play a game against another player, or watch one.",
    no_args_is_help=True,
)

ServerArgument = Annotated[
    str,
    typer.Argument(
        help="Base URL of the REST service, as `parlor serve` prints it.",
        show_default=True,
    ),
]
AsciiOption = Annotated[
    bool, typer.Option("--ascii", help="Letters for pieces (KQRBNP, kqrbnp) instead of glyphs.")
]
PatienceOption = Annotated[
    float,
    typer.Option(
        min=0,
        help="Seconds to keep trying while the service cannot be reached, before giving up.",
    ),
]

HELP = """Type a move in SAN (Nf3, exd5, O-O, e8=Q) or UCI (g1f3, e7e8q), or:
  moves    the legal moves
  board    draw the board again
  draw     offer a draw (or accept your opponent's, or claim one the rules allow)
  decline  decline your opponent's draw offer
  resign   resign the game
  abort    call the game off (before the second move)
  quit     leave for now (resume later with --game and --token)
  help     this text"""


class Left(Exception):
    """The player left the game unfinished (``quit`` or the end of input)."""


class Failed(Exception):
    """The game cannot go on from here: the message says why."""


class Terminal:
    """One player's seat at one game, driven from a terminal.

    ``ask`` reads a line after a prompt (``input`` in a terminal; tests script
    it), ``console`` writes (Rich: the spinner only animates on a terminal).
    """

    def __init__(
        self,
        client: ChessClient,
        console: Console,
        *,
        ask: Callable[[str], str],
        ascii: bool = False,
        patience: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.console = console
        self.ask = ask
        self.ascii = ascii
        self.patience = patience
        self.sleep = sleep

    # -- the service, with patience ----------------------------------------------------

    def patiently(self, call: Callable[[], T]) -> T:
        """``call()``, again and again while the service cannot be reached, up to patience.

        Only for calls that may be repeated: reads, and moves (each sent with
        one Idempotency-Key until answered).
        """
        from parlor.client import ServiceUnavailable

        deadline = time.monotonic() + self.patience
        while True:
            try:
                return call()
            except ServiceUnavailable as error:
                if time.monotonic() >= deadline:
                    raise Failed(f"{error} (gave up after {self.patience:g} s)") from None
                self.console.print(f"[yellow]connection lost ({error}); trying again…[/]")
                self.sleep(1.0)

    # -- drawing -------------------------------------------------------------------------

    def show(self, game: Game, side: str) -> None:
        from parlor.chess.game import Color
        from parlor.chess.render import draw
        from parlor.client.chess import board

        position = board(game)
        self.console.print(draw(position, Color(side), ascii=self.ascii), highlight=False)
        self.console.print(_status_line(game, side, position), highlight=False)

    # -- playing -------------------------------------------------------------------------

    def play(self, game_id: str, token: str, side: str) -> Game:
        """Play until the game is over (returned), or raise Left or Failed."""
        game = self.patiently(lambda: self.client.game(game_id))
        self.show(game, side)
        while game.status != "over":
            if game.status == "active" and game.turn == side:
                game = self._turn(game, token, side)
            else:
                game = self._wait(game, side)
        return game

    def _wait(self, game: Game, side: str) -> Game:
        """Long-poll until something changes; say what the opponent did."""
        waiting = (
            "Waiting for an opponent to join…"
            if game.status == "waiting"
            else f"Waiting for {game.turn} to move…"
        )
        with self.console.status(waiting):
            seen = game.version
            while game.version == seen:
                game = self.patiently(
                    partial(self.client.game, game.id, wait=POLL_SECONDS, since=seen)
                )
        self._news(game, side)
        return game

    def _news(self, game: Game, side: str) -> None:
        if game.moves and game.turn == side:
            self.console.print(f"{_other(side)} played {game.moves[-1].san}")
        if game.draw_offer is not None and game.draw_offer != side:
            self.console.print(
                f"{game.draw_offer} offers a draw: type `draw` to accept, `decline` to refuse"
            )
        self.show(game, side)

    def _turn(self, game: Game, token: str, side: str) -> Game:
        """Ask for a move or a command until one changes the game."""
        from parlor.client import Conflict, InvalidInput, ProblemError
        from parlor.client.chess import board

        while True:
            try:
                line = self.ask(f"Your move ({side}) > ").strip()
            except EOFError:
                raise Left() from None
            if not line:
                continue
            word = line.lower()
            try:
                if word == "help":
                    self.console.print(HELP, highlight=False)
                elif word == "moves":
                    position = board(game)
                    legal = sorted(position.san(m) for m in position.legal_moves)
                    self.console.print(" ".join(legal), highlight=False)
                elif word == "board":
                    self.show(game, side)
                elif word == "quit":
                    raise Left()
                elif word in ("draw", "decline", "resign", "abort"):
                    return self._act(game, token, word, side)
                else:
                    key = uuid.uuid4().hex  # one key for every attempt of this move
                    moved = self.patiently(
                        partial(
                            self.client.move,
                            game.id,
                            line,
                            game.ply,
                            token=token,
                            idempotency_key=key,
                        )
                    )
                    self.show(moved, side)
                    return moved
            except InvalidInput as refused:
                self.console.print(f"[red]{refused}[/]  (type `moves` for the legal ones)")
            except Conflict as refused:
                self.console.print(f"[red]{refused}[/]")
                return self.patiently(lambda: self.client.game(game.id))
            except ProblemError as refused:
                raise Failed(str(refused)) from None

    def _act(self, game: Game, token: str, word: str, side: str) -> Game:
        if word == "draw":
            action: DrawAction = (
                "accept"
                if game.draw_offer not in (None, side)
                else ("claim" if game.can_claim_draw else "offer")
            )
            after = self.client.draw(game.id, action, token=token)
            if action == "offer":
                self.console.print("You offered a draw; it lapses if your opponent moves.")
        elif word == "decline":
            after = self.client.draw(game.id, "decline", token=token)
        elif word == "resign":
            after = self.client.resign(game.id, token=token)
        else:
            after = self.client.abort(game.id, token=token)
        self.show(after, side)
        return after

    def watch(self, game_id: str) -> Game:
        """Follow a game until it is over."""
        game = self.patiently(lambda: self.client.game(game_id))
        self.show(game, "white")
        while game.status != "over":
            seen = game.version
            with self.console.status("Watching…"):
                while game.version == seen:
                    game = self.patiently(
                        partial(self.client.game, game_id, wait=POLL_SECONDS, since=seen)
                    )
            if game.moves:
                self.console.print(f"{_other(game.turn)} played {game.moves[-1].san}")
            self.show(game, "white")
        return game


def _other(side: str) -> str:
    return "black" if side == "white" else "white"


_ENDINGS = {
    "checkmate": "by checkmate",
    "stalemate": "stalemate",
    "insufficient_material": "insufficient material",
    "seventyfive_moves": "the 75-move rule",
    "fivefold_repetition": "fivefold repetition",
    "fifty_moves": "the 50-move rule, claimed",
    "threefold_repetition": "threefold repetition, claimed",
    "resignation": "by resignation",
    "agreement": "agreed",
    "outoftime": "on time",
    "aborted": "aborted",
}


def result_line(game: Game) -> str:
    """The result in words: "0-1: black wins by checkmate"."""
    how = _ENDINGS.get(game.termination or "", game.termination or "")
    if game.result == "1-0":
        return f"1-0: white wins {how}"
    if game.result == "0-1":
        return f"0-1: black wins {how}"
    if game.result == "1/2-1/2":
        return f"1/2-1/2: a draw, {how}"
    return f"no result: {how}" if how else "no result"


def _status_line(game: Game, side: str, position: chess.Board) -> str:
    if game.status == "over":
        return result_line(game)
    if game.status == "waiting":
        return f"Game {game.id}: waiting for a second player."
    clocks = ""
    if game.clocks is not None:
        clocks = f"  white {_clock(game.clocks.white)} · black {_clock(game.clocks.black)}"
    check = " (check)" if position.is_check() else ""
    whose = "your move" if game.turn == side else f"{game.turn} to move"
    return f"Move {position.fullmove_number}, {whose}{check}.{clocks}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def _finish(console: Console, client: ChessClient, game: Game, pgn: Path | None) -> None:
    console.print(f"[bold]{result_line(game)}[/]", highlight=False)
    text = client.pgn(game.id)
    console.print(text, highlight=False, markup=False)
    if pgn is not None:
        pgn.write_text(text, encoding="utf-8")
        console.print(f"PGN saved to {pgn}")


@chess_app.command()
def play(
    server: ServerArgument = "http://127.0.0.1:36000",
    game_id: Annotated[
        str | None,
        typer.Option(
            "--game", help="Join this waiting game (or, with --token, resume your seat in it)."
        ),
    ] = None,
    color: Annotated[
        str,
        typer.Option(help="The color to play in a new game: white, black or random."),
    ] = "white",
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PARLOR_CHESS_TOKEN",
            help="Your seat's token, to resume a game you left (shown when you sat down).",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The name your opponent sees.")] = None,
    clock: Annotated[
        str | None,
        typer.Option(help="A clock for a new game, MINUTES+INCREMENT seconds: 5+3, 0.5+0."),
    ] = None,
    pgn: Annotated[
        Path | None, typer.Option(help="Save the finished game's PGN to this file.")
    ] = None,
    ascii: AsciiOption = False,
    patience: PatienceOption = 60.0,
) -> None:
    """Play chess against another player, in this terminal.

    Without --game it starts a game and prints the command your opponent runs to
    join it. Type moves in SAN or UCI; `help` lists the commands (moves, draw,
    resign, quit, ...). While your opponent thinks, it waits by long polling,
    and waits out a lost connection for --patience seconds.

    Exit status: 0 when the game is over or you left it (it can be resumed with
    --game and --token), 2 when the service refused or could not be reached,
    130 after Ctrl+C.
    """
    from parlor.client import ClientError

    if color not in ("white", "black", "random"):
        raise typer.BadParameter("use white, black or random", param_hint="'--color'")
    terminal = _terminal(server, ascii=ascii, patience=patience)
    client, console = terminal.client, terminal.console
    try:
        with client:
            game_id, token, side = _sit(client, console, server, game_id, token, color, name, clock)
            game = terminal.play(game_id, token, side)
            _finish(console, client, game, pgn)
    except Left:
        console.print(
            f"You left the game. Resume it with:\n  parlor chess play {server}"
            f" --game {game_id} --token {token}",
            highlight=False,
        )
    except (Failed, ClientError) as error:
        typer.echo(f"parlor chess play: {error}", err=True)
        raise typer.Exit(FAILED) from None
    except KeyboardInterrupt:
        typer.echo("parlor chess play: interrupted", err=True)
        raise typer.Exit(INTERRUPTED) from None


def _terminal(server: str, *, ascii: bool, patience: float) -> Terminal:
    """A terminal seat on the service at ``server`` (a bad URL is a usage error)."""
    from rich.console import Console

    from parlor.client import ChessClient

    console = Console(highlight=False, soft_wrap=True)  # commands stay whole, to copy
    try:
        client = ChessClient(server, retries=2)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'SERVER'") from None
    return Terminal(client, console, ask=console.input, ascii=ascii, patience=patience)


def _sit(
    client: ChessClient,
    console: Console,
    server: str,
    game_id: str | None,
    token: str | None,
    color: str,
    name: str | None,
    clock: str | None,
) -> tuple[str, str, str]:
    """(game id, token, color) of the player's seat: a new game, a joined one, or resumed."""
    if game_id is not None and token is not None:
        mine = client.seat(game_id, token=token).color
        console.print(f"Resuming game {game_id} as {mine}.")
        return game_id, token, mine
    if game_id is not None:
        grant = client.join(game_id, name=name)
        console.print(f"You joined game {game_id} as {grant.color}.")
    else:
        grant = client.create_game(color, clock=_parse_clock(clock), name=name)
        console.print(
            f"Game {grant.game.id} started; you play {grant.color}. Your opponent joins with:\n"
            f"  parlor chess play {server} --game {grant.game.id}",
            highlight=False,
        )
    console.print(f"Your seat's token (to resume later): {grant.token}", highlight=False)
    return grant.game.id, grant.token, grant.color


def _parse_clock(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    minutes, _, increment = text.partition("+")
    try:
        return float(minutes) * 60, float(increment or 0)
    except ValueError:
        raise typer.BadParameter(
            "write MINUTES+INCREMENT, e.g. 5+3", param_hint="'--clock'"
        ) from None


@chess_app.command()
def watch(
    game_id: Annotated[str, typer.Option("--game", help="The game to follow.")],
    server: ServerArgument = "http://127.0.0.1:36000",
    ascii: AsciiOption = False,
    patience: PatienceOption = 60.0,
    pgn: Annotated[
        Path | None, typer.Option(help="Save the finished game's PGN to this file.")
    ] = None,
) -> None:
    """Follow a game live: each move as it is played, until the game ends."""
    from parlor.client import ClientError

    terminal = _terminal(server, ascii=ascii, patience=patience)
    client, console = terminal.client, terminal.console
    try:
        with client:
            game = terminal.watch(game_id)
            _finish(console, client, game, pgn)
    except (Failed, ClientError) as error:
        typer.echo(f"parlor chess watch: {error}", err=True)
        raise typer.Exit(FAILED) from None
    except KeyboardInterrupt:
        raise typer.Exit(INTERRUPTED) from None


def register(app: typer.Typer) -> None:
    app.add_typer(chess_app, name="chess")
