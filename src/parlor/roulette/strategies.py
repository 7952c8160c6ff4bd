"""Betting strategies as small state machines: pure rules, written once.

Rule 1: each strategy is defined exactly once, by the compiled functions below,
and everything that plays a strategy calls them. The simulator's kernel
(``play``) runs them for thousands of sessions in a loop over plain arrays; a
live bot wraps one session in a ``Player``, whose state is the same kind of
array, one session long. There is no second, "fast" or "simple" version to
drift from the first.

Rule 2: no I/O, no clock, no hidden state. A session's state is one ``int64``
array ``st``; the table's rules and the strategy's options are one ``int64``
array ``p`` (``Plan.params()``). Randomness comes in as a NumPy ``Generator``,
drawn by ``draw_index``; the random strategy's pick is drawn by the caller and
passed in, so that the rules stay functions.

One spin of a session:

1. ``decide(p, st, bankroll, choice)`` → ``(proposition, stake)``: a stake > 0
   is a bet; 0 watches the spin without betting (seven reds waiting for its
   streak); ``STOP`` (-1) ends the session: busted, or leaving by policy.
   Deciding may reset the progression (the ``reset`` policies).
2. The wheel spins; the bet settles by ``ret[proposition, pocket]``
   (``Plan.payout_table()``: the stake multiple handed back, payout + 1 or 0).
3. ``observe(p, st, stake, won, watched)`` moves the state on. It sees the
   pocket only as "won" and "watched" (of the colour seven reds counts), which
   lets the exact solver (``exact.py``) take alike pockets together.

Progressions are counted in *units* of the base bet. The state follows the
bets the strategy *wanted*; the table-limit and short-bankroll policies change
only what is actually staked (``AtLimit``, ``WhenShort``).

Functions are compiled by numba with ``cache=True``. Numba checks a cached
function against its own file only, so the kernel lives here, beside the
strategies it inlines: editing this file recompiles both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from parlor.roulette.bets import Bet
from parlor.roulette.plans import (
    OPPOSITE,
    AtLimit,
    FibonacciWin,
    Plan,
    PlanError,
    Stopped,
    Strategy,
    WhenEmpty,
    WhenShort,
    layout,
    proposition_index,
)
from parlor.roulette.wheel import Wheel

Int64s = npt.NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(fn: _F) -> _F:
    """Compile ``fn`` with numba (cached on disk, GIL released), keeping its type for mypy.

    Coverage traces Python, not the machine code numba runs, so compiled functions are
    marked ``no cover``; tests reach every branch through ``Player`` and the kernel.
    """
    return cast(_F, njit(cache=True, nogil=True, inline="always", error_model="numpy")(fn))


def _kernel(fn: _F) -> _F:
    """Compile a hot loop: as ``_jit``, and without reference counting (see below)."""
    # The rules inline here, and passing arrays into them made numba count
    # references (two atomic operations) on every call: 5-8x the cost of the
    # rules themselves. The loop allocates nothing, so it needs no counting.
    options: dict[str, Any] = {"_nrt": False}  # numba's own switch; its stubs do not list it
    return cast(_F, njit(cache=True, nogil=True, error_model="numpy", **options)(fn))


# Integer codes the compiled code sees. Enum order is code order; a test checks it.
FLAT, MARTINGALE, FIBONACCI, ONE_THREE_TWO_SIX, CANCELLATION = 0, 1, 2, 3, 4
DALEMBERT, PAROLI, SEVENREDS, RANDOM = 5, 6, 7, 8
CAP, AT_LIMIT_LEAVE, AT_LIMIT_RESET = 0, 1, 2
SHORT_LEAVE, ALL_IN, SHORT_RESET = 0, 1, 2
EMPTY_LEAVE, EMPTY_RESTART = 0, 1
FIB_RESET, FIB_BACK_TWO = 0, 1

# Layout of the parameter vector ``p``.
P_STRATEGY, P_BASE, P_MAX, P_AT_LIMIT, P_WHEN_SHORT, P_WHEN_EMPTY, P_FIB_WIN = range(7)
P_PROPOSITION, P_WATCH, P_POCKETS, P_CHOICES, P_MAX_UNITS, P_SIZE = 7, 8, 9, 10, 11, 12

#: ``decide``'s stake when the session ends.
STOP = -1
#: Progressions saturate here, far above any table maximum, so nothing overflows.
UNIT_CEILING = 1 << 52
#: The streak seven reds waits for, and the wins Paroli lets ride.
SEVEN = 7
PAROLI_WINS = 3
CANCELLATION_START = (1, 2, 3, 4, 5, 6)
#: Words before a Labouchère list in ``st``: the list is st[st[0]:st[1]].
LIST_AT = 2


def _fibonacci(terms: int) -> Int64s:
    sequence = [1, 1]
    while len(sequence) < terms:
        sequence.append(sequence[-1] + sequence[-2])
    return np.array(sequence, dtype=np.int64)


#: 1, 1, 2, 3, 5, … as in Lott; 80 terms (the last < 2**56) outlast any bankroll.
FIBONACCI_UNITS = _fibonacci(80)
ONE_THREE_TWO_SIX_UNITS = np.array([1, 3, 2, 6], dtype=np.int64)

_TWO53 = 9007199254740992.0
_MASK53 = (1 << 53) - 1


# ---------------------------------------------------------------------------
# The rules (compiled). Every function takes p, st first; none allocates.
# ---------------------------------------------------------------------------


@_jit
def draw_index(rng: np.random.Generator, n: int) -> int:  # pragma: no cover
    """A uniform integer in [0, n), exactly (n < 2**10).

    Lemire's multiply-shift on the 53 random bits of ``rng.random()``, with its
    rejection step, so no pocket is favoured even by a rounding error.
    """
    m = np.int64(rng.random() * _TWO53) * n
    low = m & _MASK53
    if low < n:
        threshold = ((1 << 53) - n) % n  # = 2**53 mod n
        while low < threshold:
            m = np.int64(rng.random() * _TWO53) * n
            low = m & _MASK53
    return int(m >> 53)


@_jit
def reset(p: Int64s, st: Int64s) -> None:  # pragma: no cover
    """Restart the progression (not seven reds' streak count)."""
    kind = p[P_STRATEGY]
    if kind in (MARTINGALE, DALEMBERT):
        st[0] = 1
    elif kind == SEVENREDS:
        st[1] = 1
    elif kind == CANCELLATION:
        st[0] = LIST_AT
        st[1] = LIST_AT + len(CANCELLATION_START)
        for k in range(len(CANCELLATION_START)):
            st[LIST_AT + k] = CANCELLATION_START[k]
    else:  # Fibonacci term, 1-3-2-6 position, Paroli wins; flat and random keep nothing
        st[0] = 0


@_jit
def start(p: Int64s, st: Int64s) -> None:  # pragma: no cover
    """A fresh session's state."""
    st[0] = 0
    st[1] = 0
    reset(p, st)


@_jit
def wanted_units(p: Int64s, st: Int64s) -> int:  # pragma: no cover
    """The next bet in units of the base: 0 to watch, -1 when a Labouchère list is empty."""
    kind = p[P_STRATEGY]
    if kind in (MARTINGALE, DALEMBERT):
        return int(st[0])
    if kind == FIBONACCI:
        return int(FIBONACCI_UNITS[st[0]])
    if kind == ONE_THREE_TWO_SIX:
        return int(ONE_THREE_TWO_SIX_UNITS[st[0]])
    if kind == PAROLI:
        return int(1 << st[0])
    if kind == SEVENREDS:
        return int(st[1]) if st[0] >= SEVEN else 0
    if kind == CANCELLATION:
        head, tail = st[0], st[1]
        if tail == head:
            return -1
        # One number left: bet it (the usual rule), not twice it.
        return int(st[head]) if tail - head == 1 else int(st[head] + st[tail - 1])
    return 1  # flat, random


@_jit
def _stake(p: Int64s, units: int) -> int:  # pragma: no cover
    # Anything above the maximum is max + 1: only "above or not" matters, and it cannot overflow.
    return int(units * p[P_BASE] if units <= p[P_MAX_UNITS] else p[P_MAX] + 1)


@_jit
def decide(  # pragma: no cover
    p: Int64s, st: Int64s, bankroll: int, choice: int
) -> tuple[int, int]:
    """The next bet as (proposition index, stake); stake 0 watches, STOP ends the session.

    ``choice`` is the random strategy's pick among the layout's propositions
    (drawn by the caller, so that this stays a function); others ignore it.
    """
    if bankroll <= 0:
        return 0, STOP
    units = wanted_units(p, st)
    if units < 0:  # the Labouchère list is empty
        if p[P_WHEN_EMPTY] == EMPTY_LEAVE:
            return 0, STOP
        reset(p, st)
        units = wanted_units(p, st)
    if units == 0:
        return int(p[P_PROPOSITION]), 0
    stake = _stake(p, units)
    if stake > p[P_MAX]:
        policy = p[P_AT_LIMIT]
        if policy == CAP:
            stake = p[P_MAX]
        elif policy == AT_LIMIT_LEAVE:
            return 0, STOP
        else:
            reset(p, st)
            stake = _stake(p, wanted_units(p, st))
            if stake > p[P_MAX]:
                return 0, STOP
    if stake > bankroll:
        policy = p[P_WHEN_SHORT]
        if policy == ALL_IN:
            stake = bankroll
        elif policy == SHORT_LEAVE:
            return 0, STOP
        else:
            reset(p, st)
            stake = _stake(p, wanted_units(p, st))
            if stake > bankroll or stake > p[P_MAX]:
                return 0, STOP
    proposition = choice if p[P_STRATEGY] == RANDOM else p[P_PROPOSITION]
    return int(proposition), int(stake)


@_jit
def observe(  # pragma: no cover
    p: Int64s, st: Int64s, stake: int, won: bool, watched: bool
) -> None:
    """Move the state on after a spin: the bet of ``stake`` (0: none) ``won`` or not.

    ``watched``: the pocket is of the colour seven reds watches (``ret[p[P_WATCH], pocket]``).
    """
    kind = p[P_STRATEGY]
    if kind == SEVENREDS:
        if stake > 0:
            st[1] = 1 if won else min(2 * st[1], UNIT_CEILING)
        # Only the watched colour extends the streak: the other colour and a zero reset it.
        st[0] = min(st[0] + 1, SEVEN) if watched else 0
    elif stake == 0:
        return
    elif kind == MARTINGALE:
        doubled = min(2 * st[0], UNIT_CEILING)
        st[0] = 1 if won else doubled  # both arms computed: a select, not a mispredicted jump
    elif kind == FIBONACCI:
        if not won:
            st[0] = min(st[0] + 1, len(FIBONACCI_UNITS) - 1)
        elif p[P_FIB_WIN] == FIB_RESET:
            st[0] = 0
        else:
            st[0] = max(st[0] - 2, 0)
    elif kind == ONE_THREE_TWO_SIX:
        st[0] = (st[0] + 1) % 4 if won else 0
    elif kind == PAROLI:
        st[0] = (st[0] + 1) % PAROLI_WINS if won else 0
    elif kind == DALEMBERT:
        st[0] = max(st[0] - 1, 1) if won else min(st[0] + 1, UNIT_CEILING)
    elif kind == CANCELLATION:
        _cancellation_observe(p, st, won)


@_jit
def _cancellation_observe(p: Int64s, st: Int64s, won: bool) -> None:  # pragma: no cover
    head, tail = st[0], st[1]
    if won:  # cross out the first and the last number (or the only one)
        st[0] = min(head + 1, tail)
        st[1] = max(tail - 1, st[0])
        return
    units = min(wanted_units(p, st), UNIT_CEILING)
    if tail == len(st):  # out of room: slide the list back to the front
        for k in range(tail - head):
            st[LIST_AT + k] = st[head + k]
        tail = LIST_AT + tail - head
        st[0] = LIST_AT
    st[tail] = units
    st[1] = tail + 1


@_kernel
def play(  # pragma: no cover
    p: Int64s,
    ret: Int64s,
    rng: np.random.Generator,
    bankroll: int,
    spins: int,
    st: Int64s,
    duration: Int64s,
    final: Int64s,
    high: Int64s,
    wagered: Int64s,
    paths: Int64s,
) -> None:
    """Play ``len(duration)`` sessions one after another, drawing pockets from ``rng``.

    Per session i it writes the spins played, the final bankroll, the highest
    bankroll after any spin (the initial one if no spin was played) and the
    chips wagered. For i < len(paths), paths[i, k] is the bankroll after spin k
    (paths[i, 0] the initial bankroll); the caller fills the rest beforehand.
    """
    pockets = p[P_POCKETS]
    choices = p[P_CHOICES] if p[P_STRATEGY] == RANDOM else 0
    watch = p[P_WATCH]
    for i in range(len(duration)):
        start(p, st)
        money = bankroll
        top = -1  # below any bankroll: the first spin sets it
        bet_total = 0
        played = 0
        for _ in range(spins):
            choice = draw_index(rng, choices) if choices > 0 else 0
            proposition, stake = decide(p, st, money, choice)
            if stake == STOP:
                break
            pocket = draw_index(rng, pockets)
            # Read the table unconditionally: branch-free code here is markedly faster.
            back = ret[proposition, pocket]
            money += stake * (back - 1)
            bet_total += stake
            observe(p, st, stake, back > 0, ret[watch, pocket] > 0)
            played += 1
            top = max(top, money)
            if i < len(paths):
                paths[i, played] = money
        duration[i] = played
        final[i] = money
        high[i] = top if played > 0 else bankroll
        wagered[i] = bet_total


# ---------------------------------------------------------------------------
# The plan: a strategy with every option that shapes its bets, validated.
# ---------------------------------------------------------------------------
# A plan as the compiled rules read it.
# ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _payout_table(wheel: Wheel) -> Int64s:
    bets = layout(wheel)
    ret = np.zeros((len(bets), wheel.pocket_count), dtype=np.int64)
    for index, bet in enumerate(bets):
        for pocket in bet.covers:
            ret[index, pocket] = bet.odds + 1
    ret.flags.writeable = False
    return ret


def payout_table(plan: Plan) -> Int64s:
    """``ret[proposition, pocket]``: stake multiple handed back (payout + 1, or 0)."""
    return _payout_table(plan.wheel)


def params(plan: Plan) -> Int64s:
    """The parameter vector ``p`` the compiled rules read."""
    p = np.zeros(P_SIZE, dtype=np.int64)
    p[P_STRATEGY] = list(Strategy).index(plan.strategy)
    p[P_BASE] = plan.base
    p[P_MAX] = plan.table_max
    p[P_AT_LIMIT] = list(AtLimit).index(plan.at_limit)
    p[P_WHEN_SHORT] = list(WhenShort).index(plan.when_short)
    p[P_WHEN_EMPTY] = list(WhenEmpty).index(plan.when_empty)
    p[P_FIB_WIN] = list(FibonacciWin).index(plan.fibonacci_win)
    p[P_PROPOSITION] = proposition_index(plan.wheel, plan.side)
    p[P_WATCH] = proposition_index(plan.wheel, OPPOSITE[plan.side])
    p[P_POCKETS] = plan.wheel.pocket_count
    p[P_CHOICES] = len(plan.bets)
    p[P_MAX_UNITS] = plan.table_max // plan.base  # spares a division per spin
    return p


def new_state(plan: Plan, spins: int) -> Int64s:
    """A state array with room for ``spins`` spins (a Labouchère list grows one a loss)."""
    room = len(CANCELLATION_START) + spins + 1 if plan.strategy is Strategy.CANCELLATION else 0
    return np.zeros(LIST_AT + room, dtype=np.int64)


def state_key(plan: Plan, st: Int64s) -> tuple[int, ...]:
    """What the state means, without unused room: equal keys play identically."""
    if plan.strategy is Strategy.CANCELLATION:
        return tuple(int(units) for units in st[st[0] : st[1]])
    return (int(st[0]), int(st[1]))


# ---------------------------------------------------------------------------
# One live player: the same rules on arrays one session long.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wager:
    """Bet ``amount`` chips on ``bet``."""

    bet: Bet
    amount: int


@dataclass(frozen=True, slots=True)
class Watch:
    """Place no bet this spin, but spin and ``record`` the pocket (seven reds waiting)."""


WATCH = Watch()


class Player:
    """One session of a strategy, for a live bot: ``next_bet()``, spin, ``record()``, repeat.

    The bot owns the table (and any limit on the number of spins); the player
    owns the decisions, and once it stops, ``stop_reason`` says why. ``rng`` is
    used only by the random strategy.
    """

    def __init__(
        self, plan: Plan, bankroll: int, *, rng: np.random.Generator | None = None
    ) -> None:
        if bankroll < 0:
            raise PlanError("bankroll", f"the bankroll cannot be negative: {bankroll}")
        self.plan = plan
        self.bankroll = bankroll
        self.spins = 0
        self.wagered = 0
        self.stopped = False
        #: Once stopped: why, and the stake it would have placed (0 when there was none).
        self.stop_reason: Stopped | None = None
        self.wanted = 0
        self._p = params(plan)
        self._ret = payout_table(plan)
        self._st = new_state(plan, 64)
        self._rng = rng if rng is not None else np.random.default_rng()
        self._pending: tuple[int, int] | None = None
        start(self._p, self._st)

    @property
    def state(self) -> tuple[int, ...]:
        """The strategy's state (see ``state_key``), for logs and tests."""
        return state_key(self.plan, self._st)

    def next_bet(self) -> Wager | Watch | None:
        """The bet for the next spin, ``WATCH`` to sit it out, None once the player stops.

        Asking again before ``record`` returns the same answer.
        """
        if self._pending is not None:
            return self._describe(*self._pending)
        if self.stopped:
            return None
        choice = 0
        if self.plan.strategy is Strategy.RANDOM:
            choice = draw_index(self._rng, len(self.plan.bets))
        proposition, stake = decide(self._p, self._st, self.bankroll, choice)
        if stake == STOP:
            self.stopped = True
            self.stop_reason, self.wanted = self._why_stopped()
            return None
        self._pending = (proposition, stake)
        return self._describe(proposition, stake)

    def record(self, won: bool, pocket: int, *, bankroll: int | None = None) -> None:
        """The spin's result for the pending decision; ``bankroll``, if given, is the house's word.

        ``won`` is what the house settled; without ``bankroll`` the player counts
        its own: + stake × payout on a win, − stake otherwise.
        """
        if self._pending is None:
            raise RuntimeError("record() needs a decision from next_bet() first")
        if not self.plan.wheel.has(pocket):
            raise ValueError(f"{pocket!r} is not a pocket of the {self.plan.wheel.kind} wheel")
        proposition, stake = self._pending
        self._pending = None
        if self.plan.strategy is Strategy.CANCELLATION and self._list_full():
            self._st = np.concatenate([self._st, np.zeros(len(self._st), dtype=np.int64)])
        watched = bool(self._ret[self._p[P_WATCH], pocket] > 0)
        observe(self._p, self._st, stake, won and stake > 0, watched)
        self.spins += 1
        self.wagered += stake
        if bankroll is not None:
            self.bankroll = bankroll
        elif stake > 0:
            self.bankroll += stake * self.plan.bets[proposition].odds if won else -stake

    def _why_stopped(self) -> tuple[Stopped, int]:
        # Read back from the state ``decide`` left: it stops for exactly these reasons, and
        # a reset it made on the way is already in the state (so is its restarted bet).
        if self.bankroll <= 0:
            return Stopped.BUSTED, 0
        units = int(wanted_units(self._p, self._st))
        if units < 0:
            return Stopped.LIST_DONE, 0
        stake = units * self.plan.base  # a Python int: no overflow, unlike _stake's
        if stake > self.plan.table_max:
            if self.plan.at_limit is not AtLimit.CAP:
                return Stopped.ABOVE_MAX, stake
            stake = self.plan.table_max
        return Stopped.SHORT, stake

    def _list_full(self) -> bool:
        # A live session has no spin limit here, so a long losing run may outgrow the room.
        return int(self._st[1] - self._st[0]) + LIST_AT >= len(self._st)

    def _describe(self, proposition: int, stake: int) -> Wager | Watch:
        return WATCH if stake == 0 else Wager(self.plan.bets[proposition], stake)
