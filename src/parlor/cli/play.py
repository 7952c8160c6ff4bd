"""``parlor play``: a betting strategy against a running roulette service, live.

The playing happens in
``parlor.bots.roulette`` (a ``strategies.Player`` driven through the client SDK); this
module reads options, prints a line per spin and the summary, and turns every
way of failing into a message and an exit status:

* 0: the strategy stopped by itself (its spins played, busted, leaving by policy);
* 2: a bad option, a refusal by the house, or no usable answer from the service;
* 130: interrupted by Ctrl+C (the session is still ended, and summed up).
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from parlor.cli.strategy import (
    FLAGS,
    AtLimitOption,
    FibonacciWinOption,
    PropositionOption,
    StrategyArgument,
    WheelOption,
    WhenEmptyOption,
    WhenShortOption,
    usage_error,
)
from parlor.roulette.plans import (
    AtLimit,
    FibonacciWin,
    Plan,
    PlanError,
    Strategy,
    WhenEmpty,
    WhenShort,
)
from parlor.roulette.wheel import WheelKind, color, parse_pocket, wheel_for
from parlor.settings import HouseLimits

if TYPE_CHECKING:
    from parlor.bots.roulette import Round, Summary
    from parlor.client import RouletteClient, Session

#: Exit statuses (see the module docstring).
FAILED = 2
INTERRUPTED = 130

#: The house's names for the table's fields → the options that set them.
_TABLE_FLAGS = {"bankroll": "--budget", "table_min": "--base", "table_max": "--max"}
_PLAN_FLAGS = {**FLAGS, "bankroll": "--budget"}
_START_ONE = "Start one with `parlor serve`, or pass --server with the URL it prints."


class _Failed(Exception):
    """No session to play: the message says why, and the exit status is FAILED."""


def play(
    strategy: StrategyArgument,
    server: Annotated[
        str,
        typer.Option(
            help="Base URL of the REST service, as `parlor serve` prints it,"
            " e.g. http://127.0.0.1:36000",
            show_default=False,
        ),
    ],
    budget: Annotated[
        int, typer.Option(min=1, help="Chips to bring to the table: the session's bankroll.")
    ] = HouseLimits().default_bankroll,
    base: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="The base bet (one unit), asked of the house as the table minimum."
            f" Default: the house's minimum ({HouseLimits().default_table_min}).",
            show_default=False,
        ),
    ] = None,
    table_max: Annotated[
        int | None,
        typer.Option(
            "--max",
            min=1,
            help="The table maximum to ask the house for. Default: the house's"
            f" ({HouseLimits().default_table_max}, or the base if that is higher).",
            show_default=False,
        ),
    ] = None,
    max_spins: Annotated[
        int, typer.Option(min=0, help="Stop after this many spins; 0: no limit.")
    ] = 250,
    wheel: WheelOption = WheelKind.AMERICAN,
    proposition: PropositionOption = None,
    at_limit: AtLimitOption = AtLimit.CAP,
    when_short: WhenShortOption = WhenShort.LEAVE,
    when_empty: WhenEmptyOption = WhenEmpty.LEAVE,
    fibonacci_win: FibonacciWinOption = FibonacciWin.RESET,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seed of the random strategy's picks (no other strategy draws any)."
            " Default: a fresh one, reported.",
            show_default=False,
        ),
    ] = None,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            max=10,
            help="How often a request that is safe to repeat is sent again while the"
            " service is unavailable (waiting 0.25 s, then twice as long each time).",
        ),
    ] = 5,
    timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds to wait for the service, per attempt."),
    ] = 5.0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No line per spin: only the summary.")
    ] = False,
) -> None:
    """Play a betting strategy against a running roulette service, live.

    Opens a session with --budget chips, then bets as the strategy says and
    spins, a line per spin, until --max-spins are played or the strategy stops
    (busted, or leaving by policy), or Ctrl+C. Then it ends the session, which
    reveals the server seed, and sums up: spins, chips wagered, net, the
    largest bet, why it stopped, and how to verify the spins. The strategies
    are those of `parlor simulate`, the same code (docs/strategies.md). Bets
    carry an Idempotency-Key, so a request repeated while the service is
    briefly unavailable never bets twice.

    Exit status: 0 when the strategy stopped by itself, 2 when the house
    refused or could not be reached, 130 after Ctrl+C.
    """
    # Imported here, not at the top: `parlor --help` needs none of them.
    import numpy as np

    from parlor.bots.roulette import Bot
    from parlor.client import RouletteClient
    from parlor.roulette.strategies import Player

    try:  # the options on their own, before asking the house for anything
        draft = Plan(
            strategy,
            base=base or 1,
            table_max=table_max or Plan.MAX_CHIPS,
            proposition=proposition,
            at_limit=at_limit,
            when_short=when_short,
            when_empty=when_empty,
            fibonacci_win=fibonacci_win,
        )
        client = RouletteClient(server, timeout=timeout, retries=retries, backoff=0.25)
    except PlanError as error:
        raise usage_error(error, _PLAN_FLAGS) from None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--server'") from None
    seed = secrets.randbits(64) if seed is None else seed
    try:
        with client:
            session = _open(client, strategy, budget, base, table_max, wheel)
            # It fits: the house keeps table_min <= table_max, and table_min is the base asked.
            plan = dataclasses.replace(
                draft,
                base=base or session.table_min,
                table_max=session.table_max,
                wheel=wheel_for(session.wheel),
            )
            player = Player(plan, session.balance, rng=np.random.default_rng(seed))
            bot = Bot(client, session, player, max_spins=max_spins or None)
            typer.echo(_header(session, plan, seed))
            try:
                for played in bot.play():
                    if not quiet:
                        typer.echo(_line(played, plan))
            except KeyboardInterrupt:
                bot.interrupt()
            summary = bot.finish()
    except _Failed as failure:
        typer.echo(f"parlor play: {failure}", err=True)
        raise typer.Exit(FAILED) from None
    except KeyboardInterrupt:  # before the session opened, or again while ending it
        typer.echo("parlor play: interrupted", err=True)
        raise typer.Exit(INTERRUPTED) from None
    if summary.failed:
        typer.echo(f"parlor play: {_sentence(summary.detail)}", err=True)
    for line in _summary(summary, client.base_url):
        typer.echo(line)
    raise typer.Exit(_exit_code(summary))


def _open(
    client: RouletteClient,
    strategy: Strategy,
    budget: int,
    base: int | None,
    table_max: int | None,
    wheel: WheelKind,
) -> Session:
    """The session the bot plays, or ``_Failed`` saying why there is none."""
    from parlor.bots.roulette import open_table
    from parlor.client import ClientError, OutcomeUnknown, ProblemError

    try:
        return open_table(
            client, strategy, budget=budget, base=base, table_max=table_max, wheel=wheel.value
        )
    except ProblemError as error:
        flag = _TABLE_FLAGS.get(error.field or "")
        what = f"the house refused {flag}" if flag else "the house refused to open a session"
        raise _Failed(f"{what}: {error}") from None
    except OutcomeUnknown as error:
        raise _Failed(
            f"{_sentence(str(error))} A session may have been opened, but nothing was bet:"
            " try again."
        ) from None
    except ClientError as error:
        raise _Failed(f"{_sentence(str(error))} {_START_ONE}") from None


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _header(session: Session, plan: Plan, seed: int) -> str:
    where = (
        f"random propositions (seed {seed})" if plan.strategy is Strategy.RANDOM else f"{plan.side}"
    )
    return (
        f"{plan.strategy} on {where}, base {plan.base:,}: session {session.id},"
        f" {session.wheel} wheel, table {session.table_min:,}–{session.table_max:,},"
        f" bankroll {session.balance:,}"
    )


def _line(played: Round, plan: Plan) -> str:
    pocket = parse_pocket(played.number, plan.wheel)
    landed = f"{played.number} {color(pocket)}"
    if played.wager is None:
        bet, result = "watch", ""
    else:
        bet = f"{played.wager.bet.describe()} {played.wager.amount:,}"
        result = f"won {played.net:+,}" if played.won else f"lost {-played.net:,}"
    return (
        f"spin {played.spin:>4}  {bet:<22} {landed:<9} {result:<14} balance {played.balance:,}"
    ).rstrip()


def _summary(summary: Summary, server: str) -> list[str]:
    lines = [
        f"{summary.strategy} stopped after {summary.spins:,} spin"
        f"{'' if summary.spins == 1 else 's'}: {summary.detail}",
        f"  bets     {summary.bets:,}, wagered {summary.wagered:,} chips,"
        f" largest bet {summary.largest_bet:,}",
        f"  net      {summary.net:+,} chips (bankroll {summary.bankroll:,} → {summary.balance:,})",
    ]
    if summary.ended:
        lines += [
            f"  session  {summary.session_id}, ended: its server seed is revealed. Verify it:",
            f"           parlor verify --server {server} --session {summary.session_id}",
        ]
    else:
        lines.append(
            f"  session  {summary.session_id} is still open: the house could not be told to end it"
        )
    return lines


def _exit_code(summary: Summary) -> int:
    from parlor.bots.roulette import Stop

    if summary.failed:
        return FAILED
    return INTERRUPTED if summary.stop is Stop.INTERRUPTED else 0


def register(app: typer.Typer) -> None:
    app.command()(play)
