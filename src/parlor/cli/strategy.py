"""The options every strategy command shares: one spelling and one help text each.

``parlor simulate`` and ``parlor play`` both take a strategy and the policies
that shape its bets (docs/strategies.md); they declare them with these types,
so the two commands cannot drift apart. Each command writes its own defaults
in its signature, as Typer reads them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer

from parlor.roulette.plans import (
    AtLimit,
    FibonacciWin,
    PlanError,
    Proposition,
    Strategy,
    WhenEmpty,
    WhenShort,
)
from parlor.roulette.wheel import WheelKind

StrategyArgument = Annotated[
    Strategy,
    typer.Argument(
        help="The betting strategy: " + ", ".join(Strategy) + ".",
        metavar="STRATEGY",
        case_sensitive=False,
        show_default=False,
    ),
]
WheelOption = Annotated[
    WheelKind, typer.Option(case_sensitive=False, help="american (0, 00) or european (0).")
]
PropositionOption = Annotated[
    Proposition | None,
    typer.Option(
        case_sensitive=False,
        help="The even-money bet a progression rides. Default: red (seven reds: black,"
        " after a streak of its opposite). Not for random.",
        show_default=False,
    ),
]
AtLimitOption = Annotated[
    AtLimit,
    typer.Option(
        case_sensitive=False,
        help="When the wanted bet is above --max: bet the maximum (cap), leave the table,"
        " or restart the progression (reset).",
    ),
]
WhenShortOption = Annotated[
    WhenShort,
    typer.Option(
        case_sensitive=False,
        help="When the wanted bet is more than the bankroll left: leave, bet what is left"
        " (all-in), or restart the progression (reset; leave if even that is too much).",
    ),
]
WhenEmptyOption = Annotated[
    WhenEmpty,
    typer.Option(
        case_sensitive=False,
        help="Cancellation, when its list is all crossed out: leave, or restart the list"
        " [1, 2, 3, 4, 5, 6].",
    ),
]
FibonacciWinOption = Annotated[
    FibonacciWin,
    typer.Option(
        case_sensitive=False,
        help="Fibonacci, after a win: back to the first term (reset) or two terms back.",
    ),
]

#: How the library names an option (``PlanError.option``) → how the command line spells it.
FLAGS = {"max": "--max"}


def usage_error(error: PlanError, flags: Mapping[str, str] = FLAGS) -> typer.BadParameter:
    """The usage error (exit status 2) for ``error``, naming the option as typed.

    An option missing from ``flags`` is spelled ``--`` + its name.
    """
    flag = flags.get(error.option, f"--{error.option}")
    return typer.BadParameter(error.message, param_hint=f"'{flag}'")
