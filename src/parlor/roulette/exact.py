"""The simulator's figures computed exactly, by dynamic programming over states.

A session is a Markov chain on (bankroll, strategy state): the strategy's rules
(``strategies.decide`` and ``observe``, the very functions the simulator runs)
give every state's bet, and the wheel gives each outcome's probability. For
martingale the strategy state is the stake level, so the chain is the seed's
(bankroll, stake level, spins left); flat has no state at all. Any strategy
whose chain stays small is solved the same way; when it would not fit in
``max_cells``, ``solve`` raises ``ExactTooLarge`` (the random strategy's
straight-up wins spread the bankroll too far, and a Labouchère list can take
too many shapes, except over a few spins).

Two passes:

1. Breadth-first, from the starting state, every state reachable within the
   session's spins, with its outgoing edges: (next state, probability, stake),
   or "stop". Pockets that look alike to the bet and to seven reds' watch
   (``observe`` sees a pocket through nothing else) are taken together.
2. Forward in time, the probability of each (state, highest bankroll so far);
   mass leaves as sessions stop or their spins run out, and the figures are
   accumulated as it leaves.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

from parlor.roulette.plans import Plan, Strategy
from parlor.roulette.strategies import (
    P_WATCH,
    STOP,
    Int64s,
    decide,
    new_state,
    observe,
    params,
    payout_table,
    start,
    state_key,
)

Floats = npt.NDArray[np.float64]
_F = TypeVar("_F", bound=Callable[..., Any])


class ExactTooLarge(ValueError):
    """The chain has too many states to solve here."""


@dataclass(frozen=True, slots=True)
class Exact:
    """Per-session expectations, exact up to floating-point rounding."""

    mean_duration: float
    sd_duration: float
    #: E (d − E d)⁴ of the duration d: what the standard error of a sample's sd depends on.
    duration_m4: float
    p_full: float
    p_ahead: float
    mean_final: float
    mean_max: float
    mean_wagered: float
    mean_net: float
    theoretical_edge: Fraction
    states: int

    def sd_duration_se(self, sessions: int) -> float:
        """The standard error of the sd of ``sessions`` sampled durations (delta method)."""
        variance = self.sd_duration**2
        if variance == 0:
            return 0.0
        return float(np.sqrt(max(self.duration_m4 - variance**2, 0.0) / (4 * variance * sessions)))

    @property
    def edge(self) -> float:
        """Expected net over expected wagered: what net / wagered converges to."""
        return self.mean_net / self.mean_wagered if self.mean_wagered > 0 else float("nan")

    def figures(self, sessions: int) -> dict[str, float]:
        """The simulator's figures (``simulation.FIGURES``) for ``sessions`` sessions."""
        return {
            "mean_duration": self.mean_duration,
            "sd_duration": self.sd_duration,
            "p_full": self.p_full,
            "p_ahead": self.p_ahead,
            "mean_final": self.mean_final,
            "mean_max": self.mean_max,
            "total_wagered": self.mean_wagered * sessions,
            "net": self.mean_net * sessions,
            "edge": self.edge,
            "theoretical_edge": float(self.theoretical_edge),
        }


@dataclass(slots=True)
class _Chain:
    balance: list[int]
    # Edges of state i: indptr[i]..indptr[i+1]; target -1 means the session stops.
    indptr: list[int]
    target: list[int]
    probability: list[float]
    stake: list[int]


Outcomes = dict[tuple[int, bool], Fraction]


def _outcomes(ret: Int64s, propositions: range | list[int], watch: int) -> Outcomes:
    """P(stake multiple back, watched?) of a spin, the proposition drawn from ``propositions``."""
    pockets = ret.shape[1]
    weights: Counter[tuple[int, bool]] = Counter(
        (int(ret[proposition, pocket]), bool(ret[watch, pocket] > 0))
        for proposition in propositions
        for pocket in range(pockets)
    )
    total = len(propositions) * pockets
    return {outcome: Fraction(count, total) for outcome, count in weights.items()}


def _explore(plan: Plan, bankroll: int, spins: int, max_states: int, max_cells: int) -> _Chain:
    p = params(plan)
    ret = payout_table(plan)
    watch = int(p[P_WATCH])
    mixed: Outcomes | None = None
    if plan.strategy is Strategy.RANDOM:
        # Its pick chooses only the proposition, never the stake or the state: one decision,
        # whose outcomes mix over every proposition of the layout equally.
        mixed = _outcomes(ret, range(len(plan.bets)), watch)
    by_proposition: dict[int, Outcomes] = {}
    first = new_state(plan, spins)
    start(p, first)
    index: dict[tuple[int, tuple[int, ...]], int] = {(bankroll, state_key(plan, first)): 0}
    states: list[tuple[int, Int64s]] = [(bankroll, first)]
    depth = [0]
    widest = bankroll
    chain = _Chain([bankroll], [0], [], [], [])
    queue = deque([0])
    while queue:
        i = queue.popleft()
        money, st = states[i]
        edges: dict[tuple[int, int], Fraction] = {}
        here = st.copy()
        # A state first reached after the last spin needs no edges: sessions end there.
        proposition, stake = decide(p, here, money, 0) if depth[i] < spins else (0, 0)
        if depth[i] < spins and stake == STOP:
            edges[(-1, 0)] = Fraction(1)
        elif depth[i] < spins:
            if mixed is None and proposition not in by_proposition:
                by_proposition[proposition] = _outcomes(ret, [proposition], watch)
            outcomes = mixed if mixed is not None else by_proposition[proposition]
            for (back, watched), weight in outcomes.items():
                after = here.copy()
                observe(p, after, stake, back > 0, watched)
                balance = money + stake * (back - 1)
                key = (balance, state_key(plan, after))
                j = index.get(key)
                if j is None:
                    j = index[key] = len(states)
                    widest = max(widest, balance)
                    if j >= max_states or (j + 1) * (widest + 2) > max_cells:
                        raise ExactTooLarge(
                            f"over {min(j, max_states):,} states, or {max_cells:,} cells of"
                            f" states × bankrolls, within {spins} spins"
                        )
                    states.append((balance, after))
                    depth.append(depth[i] + 1)
                    chain.balance.append(balance)
                    queue.append(j)
                edges[(j, stake)] = edges.get((j, stake), Fraction(0)) + weight
        # States are numbered in discovery order, so indptr grows with i.
        for (j, stake), weight in edges.items():
            chain.target.append(j)
            chain.stake.append(stake)
            chain.probability.append(float(weight))
        chain.indptr.append(len(chain.target))
    return chain


def solve(
    plan: Plan,
    bankroll: int,
    spins: int,
    *,
    max_states: int = 200_000,
    max_cells: int = 10_000_000,
) -> Exact:
    """The exact per-session figures of ``plan`` over ``spins`` spins from ``bankroll``.

    Raises ExactTooLarge when the chain, times the range of bankrolls, exceeds
    ``max_cells`` (the forward pass holds two arrays that size).
    """
    chain = _explore(plan, bankroll, spins, max_states, max_cells)
    balance = np.array(chain.balance, dtype=np.int64)
    columns = int(balance.max()) + 2  # column 0: no spin yet; column v + 1: highest so far v
    sums = _forward(
        np.array(chain.indptr, dtype=np.int64),
        np.array(chain.target, dtype=np.int64),
        np.array(chain.probability, dtype=np.float64),
        np.array(chain.stake, dtype=np.int64),
        balance,
        bankroll,
        spins,
        columns,
    )
    mass, s1, s2, full, ahead, final, high, wagered, s3, s4 = (float(x) for x in sums)
    # The chain conserves probability; dividing by the mass only removes rounding.
    m1, m2, m3, m4 = s1 / mass, s2 / mass, s3 / mass, s4 / mass
    variance = max(m2 - m1 * m1, 0.0)
    return Exact(
        mean_duration=spins - m1,
        sd_duration=float(np.sqrt(variance)),
        # The fourth central moment, from the raw ones (the sign of s does not matter).
        duration_m4=max(m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1**4, 0.0),
        p_full=full / mass,
        p_ahead=ahead / mass,
        mean_final=final / mass,
        mean_max=high / mass,
        mean_wagered=wagered / mass,
        mean_net=final / mass - bankroll,
        theoretical_edge=plan.theoretical_edge(),
        states=len(balance),
    )


def _compiled(fn: _F) -> _F:
    # Cached on disk; it calls nothing outside this file, so numba's per-file
    # cache check is enough to notice an edit.
    return cast(_F, njit(cache=True, nogil=True, error_model="numpy")(fn))


@_compiled
def _forward(  # pragma: no cover - compiled; coverage cannot see inside
    indptr: Int64s,
    target: Int64s,
    probability: Floats,
    stake: Int64s,
    balance: Int64s,
    bankroll: int,
    spins: int,
    columns: int,
) -> Floats:
    """Push probability forward spin by spin; return the sums of what leaves.

    Sums: [mass, E s, E s², P(d = spins), P(final > bankroll), E final, E max, E wagered,
    E s³, E s⁴], where s = spins − d, the spins left unplayed: zero for every session
    that plays them all, so that a spread of zero comes out as exactly zero.
    """
    states = len(balance)
    now = np.zeros((states, columns))
    later = np.zeros((states, columns))
    now[0, 0] = 1.0
    sums = np.zeros(10)
    for spin in range(spins + 1):
        for i in range(states):
            # After a spin the highest bankroll is at least the current one.
            low = 0 if spin == 0 else balance[i] + 1
            for column in range(low, columns):
                mass = now[i, column]
                if mass == 0.0:
                    continue
                now[i, column] = 0.0
                high = bankroll if column == 0 else column - 1
                if spin == spins:  # out of spins: states this deep were never expanded
                    _leave(sums, mass, spin, spins, balance[i], bankroll, high)
                    continue
                for k in range(indptr[i], indptr[i + 1]):
                    share = mass * probability[k]
                    j = target[k]
                    if j < 0:
                        _leave(sums, share, spin, spins, balance[i], bankroll, high)
                    else:
                        sums[7] += share * stake[k]
                        later[j, max(column, balance[j] + 1)] += share
        now, later = later, now
    return sums


@_compiled
def _leave(  # pragma: no cover - compiled
    sums: Floats, mass: float, spin: int, spins: int, final: int, bankroll: int, high: int
) -> None:
    unplayed = spins - spin
    sums[0] += mass
    sums[1] += mass * unplayed
    sums[2] += mass * unplayed**2
    sums[8] += mass * unplayed**3
    sums[9] += mass * unplayed**4
    if spin == spins:
        sums[3] += mass
    if final > bankroll:
        sums[4] += mass
    sums[5] += mass * final
    sums[6] += mass * high
