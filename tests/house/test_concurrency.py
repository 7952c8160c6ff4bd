"""Many threads on one session, on both engines: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse

pytestmark = pytest.mark.slow

PROPOSITIONS = [
    ("red", None),
    ("black", None),
    ("odd", None),
    ("dozen", [2]),
    ("split", [17, 20]),
    ("straight", ["00"]),
    ("corner", [1, 2, 4, 5]),
]


def run_threads(count: int, work: Callable[[int], None]) -> None:
    """Start ``count`` threads together and re-raise the first failure."""
    start = threading.Barrier(count)

    def go(index: int) -> None:
        start.wait()
        work(index)

    with ThreadPoolExecutor(count) as pool:
        for future in [pool.submit(go, i) for i in range(count)]:
            future.result()


def test_mixed_operations_on_one_session(house: RouletteHouse) -> None:
    """8 threads × 200 mixed bets, withdrawals and spins on one session."""
    state = house.open_session("crowd", bankroll=100_000, table_min=1, table_max=5_000)
    accepted: list[list[int]] = [[] for _ in range(8)]
    withdrawn: list[list[int]] = [[] for _ in range(8)]
    spins: list[list[int]] = [[] for _ in range(8)]

    def work(index: int) -> None:
        rng = random.Random(index)
        for _ in range(200):
            roll = rng.random()
            try:
                if roll < 0.6:
                    kind, numbers = rng.choice(PROPOSITIONS)
                    receipt = house.place_bet(state.id, kind, numbers, rng.randint(1, 50))
                    accepted[index].append(receipt.bet.confirmation)
                elif roll < 0.75 and accepted[index]:
                    confirmation = rng.choice(accepted[index])
                    house.withdraw_bet(state.id, confirmation)
                    withdrawn[index].append(confirmation)
                else:
                    spins[index].append(house.spin(state.id).spin)
            except (errors.BetNotOpen, errors.OutsideTableLimits, errors.InsufficientBalance):
                pass  # a lost race (already settled) or the table is full: refused cleanly

    run_threads(8, work)

    all_accepted = sorted(c for per in accepted for c in per)
    all_spins = sorted(n for per in spins for n in per)
    bets = house.bets(state.id, limit=10_000)
    final = house.session(state.id)

    # Every accepted bet exists, once, with the confirmation it was given.
    assert all_accepted == list(range(1, len(all_accepted) + 1))
    assert [b.confirmation for b in bets] == all_accepted
    # Every spin happened once, numbered without gaps.
    assert all_spins == list(range(1, final.spin_count + 1))
    # A bet reported withdrawn was never also settled.
    for confirmation in (c for per in withdrawn for c in per):
        assert bets[confirmation - 1].status == "withdrawn"
    # Money: the balance is the bankroll plus every settled outcome, less what is open.
    settled = [b for b in bets if b.status == "settled"]
    assert all(b.spin is not None and b.outcome is not None for b in settled)
    net = sum(b.outcome or 0 for b in settled)
    assert final.balance == 100_000 + net - final.open_stake
    assert final.open_stake == sum(b.amount for b in bets if b.status == "open")
    assert final.balance >= 0
    report = check_ledger(house.db)
    assert report.ok, report.problems


def test_parallel_spends_of_the_whole_balance(house: RouletteHouse) -> None:
    """50 threads each try to stake the whole balance: exactly one may win."""
    state = house.open_session("all-in", bankroll=1000, table_min=1, table_max=1000)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(_: int) -> None:
        try:
            house.place_bet(state.id, "red", None, 1000)
            result = "placed"
        except (errors.InsufficientBalance, errors.OutsideTableLimits) as error:
            result = type(error).__name__
        with lock:
            outcomes.append(result)

    run_threads(50, work)
    assert outcomes.count("placed") == 1
    assert len(outcomes) == 50
    final = house.session(state.id)
    assert (final.balance, final.open_stake) == (0, 1000)
    assert len(house.bets(state.id)) == 1


def test_parallel_spins_settle_each_bet_once(house: RouletteHouse) -> None:
    """Bets placed while 8 threads spin are each settled by exactly one spin."""
    state = house.open_session("spinners", bankroll=50_000, table_min=1, table_max=50_000)
    for _ in range(100):
        house.place_bet(state.id, "red", None, 10)

    def work(_: int) -> None:
        for _ in range(10):
            house.spin(state.id)

    run_threads(8, work)
    bets = house.bets(state.id, limit=1000)
    assert all(b.status == "settled" and b.spin == 1 for b in bets)
    assert house.session(state.id).spin_count == 80


def test_sessions_in_parallel(house: RouletteHouse) -> None:
    """Separate sessions on separate threads do not disturb each other."""
    ids = [house.open_session(f"p{i}", bankroll=1000).id for i in range(8)]

    def work(index: int) -> None:
        for _ in range(25):
            house.place_bet(ids[index], "black", None, 10)
            house.spin(ids[index])

    run_threads(8, work)
    for session_id in ids:
        state = house.session(session_id)
        assert (state.bet_count, state.spin_count) == (25, 25)
        settled = house.bets(session_id, status="settled")
        assert state.balance == 1000 + sum(b.outcome or 0 for b in settled)
