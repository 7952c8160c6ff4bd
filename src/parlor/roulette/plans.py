"""What a betting strategy is, as people choose it: names, options and a validated plan.

Pure values with no NumPy and no numba, so the CLI can offer every strategy and
option (``parlor simulate --help``) without compiling anything. The compiled
rules that play a plan are in ``strategies.py``; ``params(plan)`` there turns a
plan into the integer vector they read.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

from parlor.roulette.bets import Bet, all_bets, expected_return, make_bet
from parlor.roulette.wheel import AMERICAN, Wheel
from parlor.settings import HouseLimits


class Strategy(StrEnum):
    FLAT = "flat"
    MARTINGALE = "martingale"
    FIBONACCI = "fibonacci"
    ONE_THREE_TWO_SIX = "1-3-2-6"
    CANCELLATION = "cancellation"
    DALEMBERT = "dalembert"
    PAROLI = "paroli"
    SEVENREDS = "sevenreds"
    RANDOM = "random"


class Proposition(StrEnum):
    """The even-money propositions a progression can ride."""

    RED = "red"
    BLACK = "black"
    EVEN = "even"
    ODD = "odd"
    LOW = "low"
    HIGH = "high"


#: Seven reds bets one side after a streak of the other.
OPPOSITE = {
    Proposition.RED: Proposition.BLACK,
    Proposition.BLACK: Proposition.RED,
    Proposition.EVEN: Proposition.ODD,
    Proposition.ODD: Proposition.EVEN,
    Proposition.LOW: Proposition.HIGH,
    Proposition.HIGH: Proposition.LOW,
}


class AtLimit(StrEnum):
    """When the wanted bet is above the table maximum."""

    CAP = "cap"  # bet the maximum (the seed: "adjust the bets to be the table maximum")
    LEAVE = "leave"
    RESET = "reset"  # restart the progression and bet what it asks for then


class WhenShort(StrEnum):
    """When the wanted bet is more than what is left of the bankroll."""

    LEAVE = "leave"  # as in Lott's simulator: a player who cannot cover the bet stops
    ALL_IN = "all-in"
    RESET = "reset"


class WhenEmpty(StrEnum):
    """Cancellation (Labouchère), when every number of the list is crossed out."""

    LEAVE = "leave"  # as in Lott: the list's 21 units are won, the player retires
    RESTART = "restart"  # write [1, 2, 3, 4, 5, 6] again and play on


class Stopped(StrEnum):
    """Why a ``Player`` stopped: what ``decide``'s STOP meant."""

    BUSTED = "busted"  # no chips left
    SHORT = "short"  # the next bet is more than the bankroll left (WhenShort leave, or reset)
    ABOVE_MAX = "above-max"  # the next bet is above the table maximum (AtLimit leave, or reset)
    LIST_DONE = "list-done"  # cancellation's list is all crossed out (WhenEmpty leave)


class FibonacciWin(StrEnum):
    """Fibonacci, after a win."""

    RESET = "reset"  # back to the first term, as in Lott
    BACK_TWO = "back-two"  # two terms back, as many casino guides teach


class PlanError(ValueError):
    """An option the plan cannot take; ``option`` names it as the CLI spells it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


@lru_cache(maxsize=4)
def layout(wheel: Wheel) -> tuple[Bet, ...]:
    """Every proposition of ``wheel``'s layout, in ``all_bets`` order: the indices ``ret`` uses."""
    return tuple(all_bets(wheel))


def proposition_index(wheel: Wheel, proposition: Proposition) -> int:
    """Where ``proposition`` is in ``layout(wheel)``."""
    return layout(wheel).index(make_bet(proposition.value, None, wheel))


@dataclass(frozen=True, slots=True)
class Plan:
    """How a strategy bets at one table. Defaults are documented in docs/strategies.md."""

    strategy: Strategy
    base: int = 1
    table_max: int = HouseLimits().default_table_max
    wheel: Wheel = AMERICAN
    #: None: red, or black for seven reds (which then watches for reds).
    proposition: Proposition | None = None
    at_limit: AtLimit = AtLimit.CAP
    when_short: WhenShort = WhenShort.LEAVE
    when_empty: WhenEmpty = WhenEmpty.LEAVE
    fibonacci_win: FibonacciWin = FibonacciWin.RESET

    #: Bounds that keep every bankroll and sum far inside int64.
    MAX_CHIPS = 10**9

    def __post_init__(self) -> None:
        if not 1 <= self.base <= self.MAX_CHIPS:
            raise PlanError("base", f"the base bet must be 1 to {self.MAX_CHIPS}, not {self.base}")
        if not 1 <= self.table_max <= self.MAX_CHIPS:
            raise PlanError(
                "max", f"the table maximum must be 1 to {self.MAX_CHIPS}, not {self.table_max}"
            )
        if self.base > self.table_max:
            raise PlanError(
                "base", f"the base bet {self.base} is above the table maximum {self.table_max}"
            )
        if self.strategy is Strategy.RANDOM and self.proposition is not None:
            raise PlanError(
                "proposition", "the random strategy picks its own proposition on every spin"
            )

    @property
    def side(self) -> Proposition:
        """The even-money proposition bet (the random strategy has none of its own)."""
        if self.proposition is not None:
            return self.proposition
        return Proposition.BLACK if self.strategy is Strategy.SEVENREDS else Proposition.RED

    @property
    def bets(self) -> tuple[Bet, ...]:
        return layout(self.wheel)

    def theoretical_edge(self) -> Fraction:
        """Expected net per chip wagered: the house edge of the bets, negated."""
        if self.strategy is Strategy.RANDOM:  # every proposition equally often, same stake
            returns = [expected_return(bet, self.wheel) for bet in self.bets]
            return sum(returns, Fraction(0)) / len(returns)
        return expected_return(make_bet(self.side.value, None, self.wheel), self.wheel)
