"""Tests for parlor.roulette.exact: exact figures, against brute force and the Monte Carlo."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import pytest

from parlor.roulette.exact import ExactTooLarge, solve
from parlor.roulette.plans import AtLimit, FibonacciWin, Plan, Strategy, WhenEmpty, WhenShort
from parlor.roulette.simulation import FIGURES, Simulation, simulate
from parlor.roulette.strategies import Player, Wager
from parlor.roulette.wheel import EUROPEAN

#: What the Monte Carlo estimates (the theoretical edge it only computes).
MC_FIGURES = tuple(name for name in FIGURES if name != "theoretical_edge")


@dataclass(frozen=True)
class Case:
    plan: Plan
    bankroll: int
    spins: int

    def __str__(self) -> str:
        return f"{self.plan.strategy}-b{self.bankroll}-s{self.spins}-max{self.plan.table_max}"


# ---------------------------------------------------------------------------
# Against brute force: every sequence of red / black / zero, weighted.
# ---------------------------------------------------------------------------


def brute_force(case: Case) -> dict[str, float]:
    """Expectations over all 3**spins sequences of red, black and zero, by replaying Players.

    Every strategy here bets red or black and watches red, so a pocket matters
    only as red, black or zero.
    """
    wheel = case.plan.wheel
    zeros = wheel.pocket_count - 36
    classes = [
        (1, Fraction(18, wheel.pocket_count)),
        (2, Fraction(18, wheel.pocket_count)),
        (0, Fraction(zeros, wheel.pocket_count)),
    ]
    sums = dict.fromkeys(("d", "d2", "full", "ahead", "final", "high", "wagered"), Fraction(0))
    for sequence in itertools.product(classes, repeat=case.spins):
        weight = Fraction(1)
        for _, probability in sequence:
            weight *= probability
        player = Player(case.plan, case.bankroll)
        high = None
        for pocket, _ in sequence:
            decision = player.next_bet()
            if decision is None:
                break
            player.record(isinstance(decision, Wager) and decision.bet.wins(pocket), pocket)
            high = player.bankroll if high is None else max(high, player.bankroll)
        sums["d"] += weight * player.spins
        sums["d2"] += weight * player.spins**2
        sums["full"] += weight * (player.spins == case.spins)
        sums["ahead"] += weight * (player.bankroll > case.bankroll)
        sums["final"] += weight * player.bankroll
        sums["high"] += weight * (case.bankroll if high is None else high)
        sums["wagered"] += weight * player.wagered
    return {
        "mean_duration": float(sums["d"]),
        "sd_duration": float(sums["d2"] - sums["d"] ** 2) ** 0.5,
        "p_full": float(sums["full"]),
        "p_ahead": float(sums["ahead"]),
        "mean_final": float(sums["final"]),
        "mean_max": float(sums["high"]),
        "mean_wagered": float(sums["wagered"]),
    }


BRUTE = [
    Case(Plan(Strategy.FLAT, base=3), 10, 6),
    Case(Plan(Strategy.MARTINGALE), 10, 6),
    Case(Plan(Strategy.MARTINGALE, table_max=4), 30, 7),
    Case(Plan(Strategy.MARTINGALE, table_max=4, at_limit=AtLimit.RESET, wheel=EUROPEAN), 30, 7),
    Case(Plan(Strategy.MARTINGALE, table_max=4, at_limit=AtLimit.LEAVE), 30, 7),
    Case(Plan(Strategy.MARTINGALE, when_short=WhenShort.ALL_IN), 6, 6),
    Case(Plan(Strategy.MARTINGALE, when_short=WhenShort.RESET), 6, 6),
    Case(Plan(Strategy.FIBONACCI, fibonacci_win=FibonacciWin.BACK_TWO), 12, 6),
    Case(Plan(Strategy.ONE_THREE_TWO_SIX), 12, 6),
    Case(Plan(Strategy.CANCELLATION), 40, 6),
    Case(Plan(Strategy.CANCELLATION, when_empty=WhenEmpty.RESTART, table_max=12), 30, 7),
    Case(Plan(Strategy.DALEMBERT), 8, 6),
    Case(Plan(Strategy.PAROLI), 8, 6),
    Case(Plan(Strategy.SEVENREDS), 3, 8),
]


@pytest.mark.parametrize("case", BRUTE, ids=str)
def test_exact_equals_brute_force(case: Case) -> None:
    exact = solve(case.plan, case.bankroll, case.spins)
    expected = brute_force(case)
    for name, value in expected.items():
        assert getattr(exact, name) == pytest.approx(value, rel=1e-9, abs=1e-9), name


def test_one_flat_spin_by_hand() -> None:
    exact = solve(Plan(Strategy.FLAT), 10, 1)
    assert exact.mean_duration == 1
    assert exact.sd_duration == 0
    assert exact.p_full == 1
    assert exact.p_ahead == pytest.approx(18 / 38)
    assert exact.mean_final == pytest.approx(10 - 1 / 19)
    assert exact.mean_max == pytest.approx(10 - 1 / 19)
    assert exact.mean_wagered == 1
    assert exact.edge == pytest.approx(-1 / 19)


@pytest.mark.parametrize(
    "plan",
    [
        Plan(Strategy.MARTINGALE, table_max=16),
        Plan(Strategy.DALEMBERT, wheel=EUROPEAN),
        Plan(Strategy.SEVENREDS),
        Plan(Strategy.PAROLI, when_short=WhenShort.ALL_IN),
    ],
    ids=lambda plan: str(plan.strategy),
)
def test_no_strategy_beats_the_edge(plan: Plan) -> None:
    # Each bet loses the house edge on average, whatever came before: so must the whole.
    exact = solve(plan, 50, 60)
    assert exact.edge == pytest.approx(float(plan.theoretical_edge()), rel=1e-9)
    assert exact.mean_net == pytest.approx(exact.edge * exact.mean_wagered)


def test_figures_scale_totals_by_sessions() -> None:
    exact = solve(Plan(Strategy.MARTINGALE), 20, 10)
    figures = exact.figures(1000)
    assert figures["total_wagered"] == pytest.approx(1000 * exact.mean_wagered)
    assert figures["net"] == pytest.approx(1000 * exact.mean_net)
    assert figures["theoretical_edge"] == pytest.approx(-1 / 19)


def test_too_many_states() -> None:
    with pytest.raises(ExactTooLarge):
        solve(Plan(Strategy.RANDOM), 100, 250)
    with pytest.raises(ExactTooLarge):
        solve(Plan(Strategy.CANCELLATION, when_empty=WhenEmpty.RESTART), 10**6, 250)
    with pytest.raises(ExactTooLarge):
        solve(Plan(Strategy.MARTINGALE), 100, 250, max_cells=1000)
    with pytest.raises(ExactTooLarge):
        solve(Plan(Strategy.DALEMBERT), 100, 250, max_states=100)


def test_the_true_error_of_a_sample_sd() -> None:
    exact = solve(Plan(Strategy.MARTINGALE), 30, 40)
    assert 0 < exact.sd_duration_se(10_000) < exact.sd_duration
    assert exact.sd_duration_se(40_000) == pytest.approx(exact.sd_duration_se(10_000) / 2)
    assert solve(Plan(Strategy.FLAT), 100, 10).sd_duration_se(10) == 0


# ---------------------------------------------------------------------------
# Against the Monte Carlo: 10**5 sessions, every figure within 4 standard errors.
# ---------------------------------------------------------------------------

AGREE = [
    Case(Plan(Strategy.FLAT), 100, 50),
    Case(Plan(Strategy.FLAT, base=2, wheel=EUROPEAN), 20, 50),
    Case(Plan(Strategy.MARTINGALE), 100, 50),
    Case(Plan(Strategy.MARTINGALE, table_max=8), 50, 40),  # the table maximum binds
    Case(
        Plan(Strategy.MARTINGALE, base=5, table_max=40, at_limit=AtLimit.RESET, wheel=EUROPEAN),
        200,
        30,
    ),
    Case(Plan(Strategy.MARTINGALE, when_short=WhenShort.ALL_IN), 50, 30),
    Case(Plan(Strategy.DALEMBERT), 40, 30),
    Case(Plan(Strategy.ONE_THREE_TWO_SIX), 40, 40),
    Case(Plan(Strategy.PAROLI), 30, 40),
    Case(Plan(Strategy.SEVENREDS), 20, 50),
    Case(Plan(Strategy.FIBONACCI, fibonacci_win=FibonacciWin.BACK_TWO), 60, 30),
    Case(Plan(Strategy.RANDOM), 4, 3),
]


@pytest.mark.parametrize("case", AGREE, ids=str)
def test_monte_carlo_agrees_with_exact(case: Case) -> None:
    sessions = 100_000
    solved = solve(case.plan, case.bankroll, case.spins)
    exact = solved.figures(sessions)
    report = simulate(Simulation(case.plan, sessions, case.spins, case.bankroll, seed=31))
    compared = 0
    for name in MC_FIGURES:
        estimate = report.estimates[name]
        se = estimate.se
        if name == "sd_duration":
            # A sample's sd and its estimated error move together when short sessions are
            # rare (a sample with fewer of them has a smaller sd *and* a smaller error):
            # measure it against the true standard error instead.
            se = solved.sd_duration_se(sessions)
        if se == 0:  # no spread: e.g. every flat session plays every spin
            assert estimate.value == pytest.approx(exact[name]), name
            continue
        assert abs(estimate.value - exact[name]) <= 4 * se, (name, estimate, exact[name])
        compared += 1
    assert compared >= 5
