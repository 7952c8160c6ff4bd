"""Tests for parlor.roulette.strategies: golden bet sequences, policies, the live Player."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from parlor.roulette import strategies as s
from parlor.roulette.bets import BetKind, all_bets, make_bet
from parlor.roulette.plans import (
    AtLimit,
    FibonacciWin,
    Plan,
    PlanError,
    Proposition,
    Stopped,
    Strategy,
    WhenEmpty,
    WhenShort,
)
from parlor.roulette.strategies import WATCH, Player, Wager, draw_index
from parlor.roulette.wheel import AMERICAN, DOUBLE_ZERO, EUROPEAN

RED, BLACK, ZERO = 1, 2, 0
POCKET = {"W": RED, "L": BLACK, "R": RED, "B": BLACK, "Z": ZERO}


def replay(plan: Plan, outcomes: str, bankroll: int = 100_000) -> list[int | None]:
    """Bets placed while replaying win/loss outcomes, then the next one (None: stopped).

    W and L are a win and a loss of the bet (a red and a black pocket for a bet
    on red); R, B and Z are the pockets red, black and zero, for seven reds.
    A watched spin shows as 0.
    """
    player = Player(plan, bankroll)
    bets: list[int | None] = []
    for outcome in outcomes:
        decision = player.next_bet()
        if decision is None:
            break
        amount = decision.amount if isinstance(decision, Wager) else 0
        bets.append(amount)
        pocket = POCKET[outcome]
        won = outcome == "W" or (isinstance(decision, Wager) and decision.bet.wins(pocket))
        player.record(won, pocket)
    decision = player.next_bet()
    bets.append(None if decision is None else decision.amount if isinstance(decision, Wager) else 0)
    return bets


SEQUENCES = ["".join(seq) for seq in itertools.product("WL", repeat=4)]

# Every sequence of four outcomes: the four bets, then the fifth (None: the player left).
GOLDEN_1326 = [
    [1, 3, 2, 6, 1], [1, 3, 2, 6, 1], [1, 3, 2, 1, 3], [1, 3, 2, 1, 1],
    [1, 3, 1, 3, 2], [1, 3, 1, 3, 1], [1, 3, 1, 1, 3], [1, 3, 1, 1, 1],
    [1, 1, 3, 2, 6], [1, 1, 3, 2, 1], [1, 1, 3, 1, 3], [1, 1, 3, 1, 1],
    [1, 1, 1, 3, 2], [1, 1, 1, 3, 1], [1, 1, 1, 1, 3], [1, 1, 1, 1, 1],
]  # fmt: skip
GOLDEN_FIBONACCI = [  # Lott's: a win goes back to the first term
    [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 2],
    [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 2, 1], [1, 1, 1, 2, 3],
    [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 2],
    [1, 1, 2, 1, 1], [1, 1, 2, 1, 1], [1, 1, 2, 3, 1], [1, 1, 2, 3, 5],
]  # fmt: skip
GOLDEN_CANCELLATION = [  # [1..6]: bet first + last; a win crosses both out, a loss appends
    [7, 7, 7, None], [7, 7, 7, None], [7, 7, 7, 10, 4], [7, 7, 7, 10, 13],
    [7, 7, 9, 8, 4], [7, 7, 9, 8, 11], [7, 7, 9, 11, 10], [7, 7, 9, 11, 13],
    [7, 8, 8, 8, 4], [7, 8, 8, 8, 11], [7, 8, 8, 10, 9], [7, 8, 8, 10, 12],
    [7, 8, 9, 9, 9], [7, 8, 9, 9, 11], [7, 8, 9, 10, 10], [7, 8, 9, 10, 11],
]  # fmt: skip
GOLDEN_MARTINGALE = [
    [1, 1, 1, 1, 1], [1, 1, 1, 1, 2], [1, 1, 1, 2, 1], [1, 1, 1, 2, 4],
    [1, 1, 2, 1, 1], [1, 1, 2, 1, 2], [1, 1, 2, 4, 1], [1, 1, 2, 4, 8],
    [1, 2, 1, 1, 1], [1, 2, 1, 1, 2], [1, 2, 1, 2, 1], [1, 2, 1, 2, 4],
    [1, 2, 4, 1, 1], [1, 2, 4, 1, 2], [1, 2, 4, 8, 1], [1, 2, 4, 8, 16],
]  # fmt: skip
GOLDEN_DALEMBERT = [  # one unit up after a loss, one down after a win, never below one
    [1, 1, 1, 1, 1], [1, 1, 1, 1, 2], [1, 1, 1, 2, 1], [1, 1, 1, 2, 3],
    [1, 1, 2, 1, 1], [1, 1, 2, 1, 2], [1, 1, 2, 3, 2], [1, 1, 2, 3, 4],
    [1, 2, 1, 1, 1], [1, 2, 1, 1, 2], [1, 2, 1, 2, 1], [1, 2, 1, 2, 3],
    [1, 2, 3, 2, 1], [1, 2, 3, 2, 3], [1, 2, 3, 4, 3], [1, 2, 3, 4, 5],
]  # fmt: skip
GOLDEN_PAROLI = [  # double after a win, three wins in a row bank the profit
    [1, 2, 4, 1, 2], [1, 2, 4, 1, 1], [1, 2, 4, 1, 2], [1, 2, 4, 1, 1],
    [1, 2, 1, 2, 4], [1, 2, 1, 2, 1], [1, 2, 1, 1, 2], [1, 2, 1, 1, 1],
    [1, 1, 2, 4, 1], [1, 1, 2, 4, 1], [1, 1, 2, 1, 2], [1, 1, 2, 1, 1],
    [1, 1, 1, 2, 4], [1, 1, 1, 2, 1], [1, 1, 1, 1, 2], [1, 1, 1, 1, 1],
]  # fmt: skip


@pytest.mark.parametrize(
    ("strategy", "golden"),
    [
        (Strategy.ONE_THREE_TWO_SIX, GOLDEN_1326),
        (Strategy.FIBONACCI, GOLDEN_FIBONACCI),
        (Strategy.CANCELLATION, GOLDEN_CANCELLATION),
        (Strategy.MARTINGALE, GOLDEN_MARTINGALE),
        (Strategy.DALEMBERT, GOLDEN_DALEMBERT),
        (Strategy.PAROLI, GOLDEN_PAROLI),
    ],
)
def test_every_sequence_of_four_outcomes(strategy: Strategy, golden: list[list[int]]) -> None:
    plan = Plan(strategy)
    assert [replay(plan, sequence) for sequence in SEQUENCES] == golden


def test_flat_always_bets_the_base() -> None:
    plan = Plan(Strategy.FLAT, base=5)
    for sequence in SEQUENCES:
        assert replay(plan, sequence) == [5] * 5


def test_bets_are_units_of_the_base() -> None:
    assert replay(Plan(Strategy.MARTINGALE, base=5), "LLL") == [5, 10, 20, 40]
    assert replay(Plan(Strategy.CANCELLATION, base=10), "WL") == [70, 70, 90]


@pytest.mark.parametrize(
    ("outcomes", "golden"),
    [
        ("LLLLW", [1, 1, 2, 3, 5, 2]),  # from the fifth term (5) back to the third (2)
        ("LLLLLWW", [1, 1, 2, 3, 5, 8, 3, 1]),
        ("WWW", [1, 1, 1, 1]),
    ],
)
def test_fibonacci_back_two(outcomes: str, golden: list[int]) -> None:
    assert replay(Plan(Strategy.FIBONACCI, fibonacci_win=FibonacciWin.BACK_TWO), outcomes) == golden


def test_cancellation_restart_writes_the_list_again() -> None:
    plan = Plan(Strategy.CANCELLATION, when_empty=WhenEmpty.RESTART)
    assert replay(plan, "WWWWL") == [7, 7, 7, 7, 7, 9]


def test_cancellation_bets_a_single_number_once() -> None:
    # L: [1..6, 7]; W: 1+7 → [2..6]; W: 2+6 → [3, 4, 5]; W: 3+5 → [4]; then bet 4, not 8.
    assert replay(Plan(Strategy.CANCELLATION), "LWWWW") == [7, 8, 8, 8, 4, None]


def test_seven_reds_waits_for_the_streak_then_plays_martingale_on_black() -> None:
    plan = Plan(Strategy.SEVENREDS)
    assert plan.side is Proposition.BLACK
    # Six reds are not enough; the seventh arms it; reds keep it armed and double the bet.
    assert replay(plan, "RRRRRR") == [0] * 6 + [0]
    assert replay(plan, "RRRRRRR") == [0] * 7 + [1]
    assert replay(plan, "RRRRRRRRRB") == [0] * 7 + [1, 2, 4, 0]
    # A black, or a zero, resets the count.
    assert replay(plan, "RRRRRRBRRRRRRR") == [0] * 14 + [1]
    assert replay(plan, "RRRRRRZRRRRRRR") == [0] * 14 + [1]
    # A zero also loses the bet: the doubled stake waits for the next streak.
    assert replay(plan, "RRRRRRRZRRRRRRR") == [0] * 7 + [1] + [0] * 7 + [2]


def test_seven_reds_decides_watch() -> None:
    player = Player(Plan(Strategy.SEVENREDS), 100)
    assert player.next_bet() is WATCH
    player.record(False, RED)
    assert player.spins == 1
    assert player.wagered == 0
    assert player.bankroll == 100


def test_seven_reds_on_another_side_watches_its_opposite() -> None:
    plan = Plan(Strategy.SEVENREDS, proposition=Proposition.EVEN)
    player = Player(plan, 100)
    for _ in range(7):
        assert player.next_bet() is WATCH
        player.record(False, 3)  # odd
    decision = player.next_bet()
    assert isinstance(decision, Wager)
    assert decision.bet == make_bet("even", None, AMERICAN)


def test_martingale_stops_when_busted() -> None:
    # 1 + 2 + 4 lost from 7: nothing left.
    assert replay(Plan(Strategy.MARTINGALE), "LLLL", bankroll=7) == [1, 2, 4, None]


# ---------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "golden"),
    [
        (AtLimit.CAP, [1, 2, 4, 8, 8, 8, 8, 1]),
        (AtLimit.LEAVE, [1, 2, 4, 8, None]),
        (AtLimit.RESET, [1, 2, 4, 8, 1, 2, 4, 1]),
    ],
)
def test_at_limit(policy: AtLimit, golden: list[int | None]) -> None:
    plan = Plan(Strategy.MARTINGALE, table_max=8, at_limit=policy)
    assert replay(plan, "LLLLLLW") == golden


@pytest.mark.parametrize(
    ("policy", "golden"),
    [
        (WhenShort.LEAVE, [1, 2, 4, None]),  # 3 left, 8 wanted
        (WhenShort.ALL_IN, [1, 2, 4, 3, None]),
        (WhenShort.RESET, [1, 2, 4, 1, 2, None]),  # 1 + 2 lost again: nothing left
    ],
)
def test_when_short(policy: WhenShort, golden: list[int | None]) -> None:
    plan = Plan(Strategy.MARTINGALE, when_short=policy)
    assert replay(plan, "LLLLL", bankroll=10) == golden


def test_reset_that_still_does_not_fit_leaves() -> None:
    # Cancellation restarts at 7 units: above a maximum of 5, and above 6 chips.
    assert replay(Plan(Strategy.CANCELLATION, table_max=5, at_limit=AtLimit.RESET), "L") == [None]
    plan = Plan(Strategy.CANCELLATION, when_short=WhenShort.RESET)
    assert replay(plan, "L", bankroll=6) == [None]


def test_all_in_wins_back() -> None:
    player = Player(Plan(Strategy.MARTINGALE, when_short=WhenShort.ALL_IN), 5)
    for pocket in (BLACK, BLACK):  # lose 1, then 2
        assert player.next_bet() is not None
        player.record(False, pocket)
    decision = player.next_bet()
    assert isinstance(decision, Wager)
    assert decision.amount == 2  # 4 wanted, 2 left
    player.record(True, RED)
    assert player.bankroll == 4


def test_progressions_saturate_instead_of_overflowing() -> None:
    for strategy in (Strategy.MARTINGALE, Strategy.FIBONACCI):
        plan = Plan(strategy, table_max=10**9)
        bets = replay(plan, "L" * 120, bankroll=10**15)
        assert bets[-1] == 10**9
        assert all(bet is not None and 0 < bet <= 10**9 for bet in bets)


# ---------------------------------------------------------------------------
# The random strategy
# ---------------------------------------------------------------------------


def test_random_bets_one_unit_on_any_proposition() -> None:
    player = Player(Plan(Strategy.RANDOM, base=2), 10**9, rng=np.random.default_rng(5))
    layout = list(all_bets(AMERICAN))
    seen: Counter[str] = Counter()
    for pocket in range(6000):
        decision = player.next_bet()
        assert isinstance(decision, Wager)
        assert decision.amount == 2
        assert decision.bet in layout
        seen[decision.bet.describe()] += 1
        player.record(decision.bet.wins(pocket % 38), pocket % 38)
    assert len(seen) == len(layout) == 153
    assert max(seen.values()) < 3 * 6000 / 153


def test_random_golden_sequence() -> None:
    # Seed 2024's first picks, each settled on the pocket beside it.
    player = Player(Plan(Strategy.RANDOM), 100, rng=np.random.default_rng(2024))
    golden = [
        ("street 25-26-27", 26, 111),
        ("straight 32", 32, 146),
        ("split 6-9", 9, 163),
        ("corner 23-24-26-27", 1, 162),
        ("high", 36, 163),
        ("straight 21", 11, 162),
    ]
    for name, pocket, bankroll in golden:
        decision = player.next_bet()
        assert isinstance(decision, Wager)
        assert (decision.bet.describe(), decision.amount) == (name, 1)
        player.record(decision.bet.wins(pocket), pocket)
        assert player.bankroll == bankroll


def test_random_is_reproducible_from_its_rng() -> None:
    def picks(seed: int) -> list[str]:
        player = Player(Plan(Strategy.RANDOM), 1000, rng=np.random.default_rng(seed))
        out = []
        for _ in range(20):
            decision = player.next_bet()
            assert isinstance(decision, Wager)
            out.append(decision.bet.describe())
            player.record(False, ZERO)
        return out

    assert picks(1) == picks(1)
    assert picks(1) != picks(2)


def test_player_pays_the_bets_payout() -> None:
    player = Player(Plan(Strategy.RANDOM), 100, rng=np.random.default_rng(0))
    decision = player.next_bet()
    assert isinstance(decision, Wager)
    pocket = min(decision.bet.covers)
    player.record(True, pocket)
    assert player.bankroll == 100 + decision.bet.odds


# ---------------------------------------------------------------------------
# The Player wrapper
# ---------------------------------------------------------------------------


def test_player_next_bet_is_idempotent_until_recorded() -> None:
    player = Player(Plan(Strategy.MARTINGALE), 100)
    first = player.next_bet()
    assert first == player.next_bet() == Wager(make_bet("red", None, AMERICAN), 1)
    player.record(False, BLACK)
    assert player.next_bet() == Wager(make_bet("red", None, AMERICAN), 2)


def test_player_counts_its_own_bankroll_or_takes_the_house_word() -> None:
    player = Player(Plan(Strategy.MARTINGALE), 100)
    player.next_bet()
    player.record(False, BLACK)
    assert (player.bankroll, player.spins, player.wagered) == (99, 1, 1)
    player.next_bet()
    player.record(True, RED, bankroll=250)
    assert (player.bankroll, player.spins, player.wagered) == (250, 2, 3)
    assert player.state == (1, 0)


def test_player_refuses_out_of_order_and_foreign_pockets() -> None:
    player = Player(Plan(Strategy.FLAT, wheel=EUROPEAN), 100)
    with pytest.raises(RuntimeError):
        player.record(True, RED)
    player.next_bet()
    with pytest.raises(ValueError, match="not a pocket"):
        player.record(False, DOUBLE_ZERO)
    with pytest.raises(PlanError) as error:
        Player(Plan(Strategy.FLAT), -1)
    assert error.value.option == "bankroll"


def test_player_stays_stopped() -> None:
    player = Player(Plan(Strategy.FLAT), 1)
    player.next_bet()
    player.record(False, BLACK)
    assert player.next_bet() is None
    assert player.stopped
    assert player.next_bet() is None


MARTINGALE = Plan(Strategy.MARTINGALE)
CAPPED_AT_8 = Plan(Strategy.MARTINGALE, table_max=8)
LEAVES_ABOVE_8 = Plan(Strategy.MARTINGALE, table_max=8, at_limit=AtLimit.LEAVE)
RESETS_WHEN_SHORT = Plan(Strategy.MARTINGALE, base=2, when_short=WhenShort.RESET)
RESETS_ABOVE_5 = Plan(Strategy.CANCELLATION, table_max=5, at_limit=AtLimit.RESET)


@pytest.mark.parametrize(
    ("plan", "outcomes", "bankroll", "reason", "wanted"),
    [
        (MARTINGALE, "LLL", 7, Stopped.BUSTED, 0),
        (MARTINGALE, "LLL", 10, Stopped.SHORT, 8),  # 3 left
        (CAPPED_AT_8, "LLLL", 20, Stopped.SHORT, 8),  # 16 wanted, capped at 8; 5 left
        (RESETS_WHEN_SHORT, "LLL", 15, Stopped.SHORT, 2),  # 1 left: even the restart is short
        (LEAVES_ABOVE_8, "LLLL", 99, Stopped.ABOVE_MAX, 16),
        (RESETS_ABOVE_5, "", 99, Stopped.ABOVE_MAX, 7),  # the list asks 1 + 6, even restarted
        (Plan(Strategy.CANCELLATION), "WWW", 99, Stopped.LIST_DONE, 0),
    ],
)
def test_player_says_why_it_stopped(
    plan: Plan, outcomes: str, bankroll: int, reason: Stopped, wanted: int
) -> None:
    player = Player(plan, bankroll)
    before = player.stop_reason
    assert before is None
    for outcome in outcomes:
        assert player.next_bet() is not None
        player.record(outcome == "W", POCKET[outcome])
    assert player.next_bet() is None
    assert player.stop_reason == reason
    assert player.wanted == wanted


def test_player_cancellation_list_outgrows_its_first_room() -> None:
    plan = Plan(Strategy.CANCELLATION, table_max=10**9)
    player = Player(plan, 10**15)
    for _ in range(300):  # far beyond the 64 spins of room the player starts with
        assert player.next_bet() is not None
        player.record(False, BLACK)
    assert len(player.state) == 6 + 300
    assert player.state[:7] == (1, 2, 3, 4, 5, 6, 7)


def labouchere(outcomes: str, restart: bool) -> list[int | None]:
    """The cancellation system on a plain list, as Lott describes it: the test's oracle."""
    numbers = [1, 2, 3, 4, 5, 6]
    bets: list[int | None] = []
    for outcome in [*outcomes, None]:
        if not numbers and restart:
            numbers = [1, 2, 3, 4, 5, 6]
        if not numbers:
            bets.append(None)
            break
        bet = numbers[0] + numbers[-1] if len(numbers) > 1 else numbers[0]
        bets.append(bet)
        if outcome == "W":
            numbers = numbers[1:-1]
        elif outcome == "L":
            numbers.append(bet)
    return bets


def test_player_cancellation_list_slides_back_when_it_can() -> None:
    player = Player(Plan(Strategy.CANCELLATION, table_max=10**9), 10**15)
    room = len(player._st)
    # Two losses and a win keep six numbers on the list, but move it one place on.
    expected = [min(bet, 10**9) for bet in labouchere("LLW" * 150, False) if bet is not None]
    assert replay(player.plan, "LLW" * 150, bankroll=10**15) == expected
    for outcome in "LLW" * 150:
        player.next_bet()
        player.record(outcome == "W", RED if outcome == "W" else BLACK)
    assert len(player.state) == 6
    assert len(player._st) == room


@pytest.mark.parametrize("restart", [False, True])
def test_cancellation_matches_a_plain_list(restart: bool) -> None:
    rng = np.random.default_rng(3)
    plan = Plan(
        Strategy.CANCELLATION,
        table_max=10**9,
        when_empty=WhenEmpty("restart" if restart else "leave"),
    )
    for _ in range(30):
        outcomes = "".join(rng.choice(["W", "L"], size=400, p=[0.45, 0.55]))
        expected = labouchere(outcomes, restart)
        assert replay(plan, outcomes, bankroll=10**15) == expected


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"base": 0}, "base"),
        ({"base": 600}, "base"),
        ({"table_max": 0}, "max"),
        ({"table_max": 10**10}, "max"),
    ],
)
def test_plan_names_the_bad_option(options: dict[str, int], option: str) -> None:
    with pytest.raises(PlanError) as error:
        Plan(Strategy.MARTINGALE, **options)  # type: ignore[arg-type]
    assert error.value.option == option


def test_random_takes_no_proposition() -> None:
    with pytest.raises(PlanError) as error:
        Plan(Strategy.RANDOM, proposition=Proposition.RED)
    assert error.value.option == "proposition"


def test_codes_follow_the_enums() -> None:
    assert [s.FLAT, s.MARTINGALE, s.FIBONACCI, s.ONE_THREE_TWO_SIX, s.CANCELLATION] == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert list(Strategy).index(Strategy.RANDOM) == s.RANDOM
    assert list(Strategy).index(Strategy.SEVENREDS) == s.SEVENREDS
    assert list(Strategy).index(Strategy.DALEMBERT) == s.DALEMBERT
    assert list(Strategy).index(Strategy.PAROLI) == s.PAROLI
    assert list(AtLimit).index(AtLimit.RESET) == s.AT_LIMIT_RESET
    assert list(WhenShort).index(WhenShort.ALL_IN) == s.ALL_IN
    assert list(WhenEmpty).index(WhenEmpty.RESTART) == s.EMPTY_RESTART
    assert list(FibonacciWin).index(FibonacciWin.BACK_TWO) == s.FIB_BACK_TWO


def test_params_point_at_the_layout() -> None:
    plan = Plan(Strategy.SEVENREDS, wheel=EUROPEAN)
    p = s.params(plan)
    assert plan.bets[p[s.P_PROPOSITION]].kind is BetKind.BLACK
    assert plan.bets[p[s.P_WATCH]].kind is BetKind.RED
    assert p[s.P_POCKETS] == 37
    assert p[s.P_CHOICES] == len(plan.bets) == 152
    ret = s.payout_table(plan)
    assert ret.shape == (152, 37)
    assert ret[p[s.P_WATCH], RED] == 2
    assert ret[p[s.P_WATCH], ZERO] == 0


def test_theoretical_edge() -> None:
    assert Plan(Strategy.MARTINGALE).theoretical_edge() == Fraction(-1, 19)
    assert Plan(Strategy.MARTINGALE, wheel=EUROPEAN).theoretical_edge() == Fraction(-1, 37)
    # The five-number bet (6 to 1 on 5 pockets) is the one worse than −1/19.
    assert (
        Plan(Strategy.RANDOM).theoretical_edge() == (152 * Fraction(-1, 19) - Fraction(3, 38)) / 153
    )
    assert Plan(Strategy.RANDOM, wheel=EUROPEAN).theoretical_edge() == Fraction(-1, 37)


# ---------------------------------------------------------------------------
# Draws
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 37, 38, 152, 153])
def test_draw_index_is_in_range_and_uniform(n: int) -> None:
    rng = np.random.default_rng(n)
    draws = np.array([draw_index(rng, n) for _ in range(200 * n)])
    assert draws.min() >= 0
    assert draws.max() == n - 1
    counts = np.bincount(draws, minlength=n)
    expected = 200
    # A loose chi-square bound: mean n − 1, sd √(2(n − 1)).
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < n - 1 + 6 * np.sqrt(2 * max(n - 1, 1))


def test_draw_index_is_determined_by_the_generator() -> None:
    first = [draw_index(np.random.default_rng(9), 38) for _ in range(1)]
    again = [draw_index(np.random.default_rng(9), 38) for _ in range(1)]
    assert first == again
