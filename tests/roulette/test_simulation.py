"""Tests for parlor.roulette.simulation: the kernel is the Player, seeds, workers, estimates."""

from __future__ import annotations

import math
import multiprocessing
from typing import Any

import numpy as np
import pytest

from parlor.roulette.plans import (
    AtLimit,
    FibonacciWin,
    Plan,
    PlanError,
    Strategy,
    WhenEmpty,
    WhenShort,
)
from parlor.roulette.simulation import (
    CHUNK,
    FIGURES,
    Job,
    Simulation,
    Totals,
    chunk_rng,
    play_sessions,
    run_job,
    simulate,
)
from parlor.roulette.strategies import Player, Wager, draw_index
from parlor.roulette.wheel import EUROPEAN

PLANS = [Plan(strategy) for strategy in Strategy] + [
    Plan(Strategy.MARTINGALE, table_max=8, at_limit=AtLimit.RESET, wheel=EUROPEAN),
    Plan(Strategy.MARTINGALE, table_max=8, at_limit=AtLimit.LEAVE),
    Plan(Strategy.MARTINGALE, when_short=WhenShort.ALL_IN),
    Plan(Strategy.DALEMBERT, when_short=WhenShort.RESET, base=2),
    Plan(Strategy.CANCELLATION, when_empty=WhenEmpty.RESTART, table_max=20),
    Plan(Strategy.FIBONACCI, fibonacci_win=FibonacciWin.BACK_TWO, when_short=WhenShort.ALL_IN),
    Plan(Strategy.RANDOM, wheel=EUROPEAN),
]


def replay_with_players(
    plan: Plan, bankroll: int, spins: int, sessions: int, seed: int
) -> dict[str, Any]:
    """The kernel's sessions again, one Player at a time, drawing in the kernel's order."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[int]] = {"duration": [], "final": [], "high": [], "wagered": []}
    paths = []
    for _ in range(sessions):
        player = Player(plan, bankroll, rng=rng)
        path = [bankroll]
        while player.spins < spins:
            decision = player.next_bet()  # draws the random strategy's pick first, as the kernel
            if decision is None:
                break
            pocket = draw_index(rng, plan.wheel.pocket_count)
            won = isinstance(decision, Wager) and decision.bet.wins(pocket)
            player.record(won, pocket)
            path.append(player.bankroll)
        out["duration"].append(player.spins)
        out["final"].append(player.bankroll)
        out["high"].append(max(path[1:]) if len(path) > 1 else bankroll)
        out["wagered"].append(player.wagered)
        paths.append(path)
    out["paths"] = paths  # type: ignore[assignment]
    return out


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: f"{plan.strategy}")
def test_kernel_plays_exactly_what_a_player_plays(plan: Plan) -> None:
    bankroll, spins, sessions = 25, 40, 60
    played = play_sessions(plan, bankroll, spins, sessions, np.random.default_rng(11), paths=5)
    expected = replay_with_players(plan, bankroll, spins, sessions, 11)
    assert played.duration.tolist() == expected["duration"]
    assert played.final.tolist() == expected["final"]
    assert played.high.tolist() == expected["high"]
    assert played.wagered.tolist() == expected["wagered"]
    for row, path in zip(played.paths, expected["paths"], strict=False):
        assert row[: len(path)].tolist() == path
        assert (row[len(path) :] == -1).all()
    assert played.duration.min() < spins or plan.strategy in (Strategy.FLAT, Strategy.SEVENREDS)


def test_same_seed_same_numbers_whatever_the_workers() -> None:
    sim = Simulation(Plan(Strategy.MARTINGALE, table_max=16), CHUNK * 2 + 17, 30, 50, seed=99)
    one = simulate(sim, workers=1, finals=sim.sessions)
    two = simulate(sim, workers=2, finals=sim.sessions)
    three = simulate(sim, workers=3)
    assert one.estimates == two.estimates == three.estimates
    assert one.spins_played == two.spins_played
    assert one.finals is not None
    assert two.finals is not None
    assert (one.finals == two.finals).all()
    other = simulate(Simulation(sim.plan, sim.sessions, sim.spins, sim.bankroll, seed=100))
    assert other.estimates != one.estimates


def test_spawned_workers_give_the_same_numbers() -> None:
    sim = Simulation(Plan(Strategy.PAROLI), CHUNK + 5, 20, 40, seed=5)
    spawned = simulate(sim, workers=2, context=multiprocessing.get_context("spawn"))
    assert spawned.estimates == simulate(sim, workers=1).estimates


def test_chunks_are_seeded_by_index() -> None:
    sim = Simulation(Plan(Strategy.FLAT), CHUNK + 1, 5, 10, seed=7)
    assert [size for _, size in sim.chunk_sizes()] == [CHUNK, 1]
    child = np.random.SeedSequence(7).spawn(2)[1]
    assert chunk_rng(7, 1).random() == np.random.Generator(np.random.PCG64(child)).random()


@pytest.mark.parametrize("wheel", ["american", "european"])
@pytest.mark.parametrize("strategy", list(Strategy))
def test_net_over_wagered_converges_to_the_house_edge(strategy: Strategy, wheel: str) -> None:
    from parlor.roulette.wheel import wheel_for

    plan = Plan(strategy, wheel=wheel_for(wheel))
    report = simulate(Simulation(plan, 100_000, 50, 100, seed=2024))
    edge = report.estimates["edge"]
    theory = report.estimates["theoretical_edge"].value
    assert edge.se > 0
    assert abs(edge.value - theory) <= 4 * edge.se, (edge, theory)
    if strategy is not Strategy.RANDOM:
        assert theory == pytest.approx(-1 / 19 if wheel == "american" else -1 / 37)


def test_estimates_are_consistent() -> None:
    sim = Simulation(Plan(Strategy.MARTINGALE), 20_000, 60, 100, seed=1)
    report = simulate(sim, finals=sim.sessions, paths=7)
    e = report.estimates
    assert set(e) == set(FIGURES)
    assert 0 < e["p_full"].value < 1
    assert 0 < e["mean_duration"].value < 60
    assert e["mean_max"].value >= e["mean_final"].value
    assert e["net"].value == pytest.approx(e["mean_final"].value * 20_000 - 100 * 20_000)
    assert e["edge"].value == pytest.approx(e["net"].value / e["total_wagered"].value)
    low, high = e["mean_final"].ci95
    assert low < e["mean_final"].value < high
    assert high - low == pytest.approx(2 * 1.959963984540054 * e["mean_final"].se)
    assert report.finals is not None
    assert report.finals.shape == (20_000,)
    assert report.finals.mean() == pytest.approx(e["mean_final"].value)
    assert report.paths is not None
    assert report.paths.shape == (7, 61)
    assert (report.paths[:, 0] == 100).all()
    assert report.spins_played == pytest.approx(e["mean_duration"].value * 20_000)


def test_sd_duration_matches_numpy() -> None:
    plan = Plan(Strategy.MARTINGALE)
    sim = Simulation(plan, 3000, 80, 30, seed=4)
    report = simulate(sim)
    played = play_sessions(plan, 30, 80, 3000, chunk_rng(4, 0))
    assert report.estimates["sd_duration"].value == pytest.approx(played.duration.std(ddof=1))
    assert report.estimates["mean_duration"].value == pytest.approx(played.duration.mean())
    highs = played.high.astype(float)
    assert report.estimates["mean_max"].se == pytest.approx(highs.std(ddof=1) / math.sqrt(3000))


def test_finals_are_kept_by_whole_chunks() -> None:
    sim = Simulation(Plan(Strategy.FLAT), CHUNK * 3, 2, 10, seed=1)
    assert simulate(sim).finals is None
    kept = simulate(sim, finals=CHUNK + 1, workers=2).finals
    assert kept is not None
    assert len(kept) == 2 * CHUNK


def test_sessions_that_never_bet() -> None:
    # Cancellation opens with 7 units: 6 chips cannot cover it, so nobody plays a spin.
    report = simulate(Simulation(Plan(Strategy.CANCELLATION), 100, 10, 6, seed=1))
    e = report.estimates
    assert e["mean_duration"].value == 0
    assert e["mean_max"].value == 6  # the initial bankroll, for want of any spin
    assert e["total_wagered"].value == 0
    assert math.isnan(e["edge"].value)
    assert e["p_full"].value == 0


@pytest.mark.parametrize(
    ("fields", "option"),
    [
        ({"sessions": 0}, "sessions"),
        ({"spins": 0}, "spins"),
        ({"spins": 10**6}, "spins"),
        ({"bankroll": 0}, "bankroll"),
        ({"bankroll": 5}, "base"),  # below the base bet of 10
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_simulations_name_the_option(fields: dict[str, int], option: str) -> None:
    values = {"sessions": 10, "spins": 10, "bankroll": 100, "seed": 1} | fields
    with pytest.raises(PlanError) as error:
        Simulation(Plan(Strategy.FLAT, base=10), **values)
    assert error.value.option == option


def test_workers_must_be_positive() -> None:
    with pytest.raises(PlanError) as error:
        simulate(Simulation(Plan(Strategy.FLAT), 10, 10, 10, seed=1), workers=0)
    assert error.value.option == "workers"


def _fail_on_second_chunk(job: Job) -> Totals:
    if job.index == 1:
        raise ArithmeticError("chunk 1 failed")
    return run_job(job)


def test_a_failing_chunk_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from parlor.roulette import simulation

    monkeypatch.setattr(simulation, "run_job", _fail_on_second_chunk)
    sim = Simulation(Plan(Strategy.FLAT), CHUNK * 4, 2, 10, seed=1)
    with pytest.raises(ArithmeticError, match="chunk 1"):
        simulate(sim, workers=2, context=multiprocessing.get_context("fork"))
