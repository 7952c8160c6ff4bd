"""parlor.bot against a real ``parlor serve``: every strategy live, the house's figures, faults.

The central check is ``replay``: a fresh ``Player`` is fed the house's record
of the session (its spins, and how each bet settled) and must want, spin by
spin, exactly the bet the bot placed, end with the house's balance, and stop
where the bot stopped.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from parlor.bots.roulette import Bot, Round, Stop, Summary, open_table
from parlor.client import RouletteClient, Session, SpinOutcome
from parlor.house.ledger import LedgerReport
from parlor.roulette.plans import AtLimit, Plan, Stopped, Strategy, WhenShort
from parlor.roulette.strategies import Player, Wager, Watch
from parlor.roulette.wheel import EUROPEAN, parse_pocket, wheel_for
from tests.bot.flaky_proxy import BEFORE, DROP, LOSE, UNAVAILABLE, Fault, FlakyProxy
from tests.e2e.e2e_support import ParlorProcess

Audit = Callable[[], LedgerReport]
SEED = 20240607


def start(
    client: RouletteClient,
    strategy: Strategy,
    *,
    budget: int = 1000,
    base: int | None = None,
    table_max: int | None = None,
    max_spins: int | None = 15,
    **options: object,
) -> Bot:
    session = open_table(client, strategy, budget=budget, base=base, table_max=table_max)
    plan = Plan(
        strategy,
        base=base or session.table_min,
        table_max=session.table_max,
        wheel=wheel_for(session.wheel),
        **options,  # type: ignore[arg-type]
    )
    player = Player(plan, session.balance, rng=np.random.default_rng(SEED))
    return Bot(client, session, player, max_spins=max_spins)


@contextlib.contextmanager
def flaky_client(
    parlor: ParlorProcess, faults: list[Fault], retries: int = 2
) -> Iterator[tuple[FlakyProxy, RouletteClient]]:
    """A client of ``parlor`` through a proxy that strikes ``faults``."""
    with (
        FlakyProxy("127.0.0.1", parlor.port, faults) as proxy,
        RouletteClient(proxy.base_url, backoff=0.01, retries=retries) as client,
    ):
        yield proxy, client


def play_out(bot: Bot) -> tuple[list[Round], Summary]:
    rounds = list(bot.play())
    return rounds, bot.finish()


def replay(client: RouletteClient, bot: Bot, summary: Summary) -> None:
    """A fresh Player, told what the house recorded, wants every bet the bot placed."""
    session_id = summary.session_id
    spins = client.spins(session_id)
    bets = {bet.spin: bet for bet in client.bets(session_id, limit=1000)}
    assert all(bet.status == "settled" for bet in bets.values())
    player = Player(bot.player.plan, summary.bankroll, rng=np.random.default_rng(SEED))
    for record in spins:
        decision = player.next_bet()
        bet = bets.get(record.spin)
        if isinstance(decision, Wager):
            assert bet is not None, f"spin {record.spin}: the player wanted {decision}"
            wanted = (decision.bet.kind.value, tuple(decision.bet.numbers_json()), decision.amount)
            assert (bet.proposition, bet.numbers, bet.amount) == wanted, f"spin {record.spin}"
            assert bet.outcome is not None
            won = bet.outcome > 0
        else:
            assert isinstance(decision, Watch), f"spin {record.spin}: the player had stopped"
            assert bet is None, f"spin {record.spin}: the player watched, the bot bet {bet}"
            won = False
        player.record(won, parse_pocket(record.result.pocket, player.plan.wheel))
    # The player counted its own bankroll from the payouts: the house agrees.
    assert player.bankroll == summary.balance
    if summary.stop.value in set(Stopped):  # (after --max-spins, it may stop next, or not)
        assert player.next_bet() is None
        assert player.stop_reason is not None
        assert player.stop_reason.value == summary.stop.value


def assert_summary_is_the_houses(client: RouletteClient, summary: Summary) -> None:
    state = client.session(summary.session_id)
    bets = client.bets(summary.session_id, limit=1000)
    assert summary.ended
    assert state.ended
    assert summary.balance == state.balance
    assert summary.spins == state.spin_count
    assert summary.bets == len(bets) == state.bet_count
    assert summary.wagered == sum(bet.amount for bet in bets)
    assert summary.largest_bet == max((bet.amount for bet in bets), default=0)
    assert summary.net == sum(bet.outcome or 0 for bet in bets) == state.balance - state.bankroll


@pytest.mark.parametrize("strategy", list(Strategy))
def test_every_strategy_plays_the_bets_its_player_wants(
    client: RouletteClient, audit: Audit, strategy: Strategy
) -> None:
    bot = start(client, strategy, max_spins=15)
    rounds, summary = play_out(bot)
    assert [r.spin for r in rounds] == list(range(1, len(rounds) + 1))
    assert summary.stop is Stop.MAX_SPINS or summary.stop.value in set(Stopped)
    if summary.stop is Stop.MAX_SPINS:
        assert summary.spins == 15
    assert not summary.failed
    assert_summary_is_the_houses(client, summary)
    replay(client, bot, summary)
    audit()


def test_the_random_strategy_bets_all_over_the_layout(client: RouletteClient) -> None:
    bot = start(client, Strategy.RANDOM, max_spins=30)
    rounds, summary = play_out(bot)
    kinds = {r.wager.bet.kind for r in rounds if r.wager is not None}
    assert len(kinds) > 3  # 30 picks among 153 propositions of 11 kinds
    replay(client, bot, summary)


def test_martingale_doubles_after_a_loss_and_caps_at_the_table_maximum(
    client: RouletteClient, audit: Audit
) -> None:
    # Table 10-20: the third bet of a losing run wants 40 and is capped at 20. A hundred
    # spins without two losses in a row happen with a probability of about 1e-10.
    bot = start(client, Strategy.MARTINGALE, budget=100_000, base=10, table_max=20, max_spins=100)
    rounds, summary = play_out(bot)
    assert bot.session.table_max == 20
    stakes = [r.wager.amount for r in rounds if r.wager is not None]
    assert len(stakes) == 100
    assert stakes[0] == 10
    for before, after in itertools.pairwise(rounds):
        assert before.wager is not None
        assert after.wager is not None
        expected = 10 if before.won else min(2 * before.wager.amount, 20)
        assert after.wager.amount == expected, (before, after)
    losing_runs = sum(1 for a, b in itertools.pairwise(rounds) if not a.won and not b.won)
    assert losing_runs > 0
    assert summary.largest_bet == 20
    replay(client, bot, summary)
    audit()


def test_the_player_must_sit_at_the_sessions_table(client: RouletteClient) -> None:
    session = open_table(client, Strategy.FLAT, budget=100)
    with pytest.raises(ValueError, match="wheel"):
        Bot(client, session, Player(Plan(Strategy.FLAT, base=10, wheel=EUROPEAN), 100))
    with pytest.raises(ValueError, match="table maximum"):
        Bot(client, session, Player(Plan(Strategy.FLAT, base=10, table_max=20), 100))
    client.end_session(session.id)


def _stopped_player(plan: Plan, bankroll: int, outcomes: str) -> Player:
    """A player driven offline (W: a red pocket, L: a black one) up to where it stops."""
    player = Player(plan, bankroll)
    for outcome in outcomes:
        assert player.next_bet() is not None
        player.record(outcome == "W", 1 if outcome == "W" else 2)
    return player


@pytest.mark.parametrize(
    ("plan", "outcomes", "bankroll", "stop", "detail"),
    [
        (Plan(Strategy.MARTINGALE, base=1, table_max=8), "LLL", 7, Stop.BUSTED, "no chips"),
        (Plan(Strategy.MARTINGALE, base=1, table_max=8), "LLL", 10, Stop.SHORT, "next bet, 8,"),
        (
            Plan(Strategy.MARTINGALE, base=1, table_max=8, at_limit=AtLimit.LEAVE),
            "LLLL",
            99,
            Stop.ABOVE_MAX,
            "--at-limit leave",
        ),
        (Plan(Strategy.CANCELLATION, base=1, table_max=8), "WWW", 99, Stop.LIST_DONE, "list"),
    ],
)
def test_the_bot_says_why_the_strategy_stopped(
    client: RouletteClient, plan: Plan, outcomes: str, bankroll: int, stop: Stop, detail: str
) -> None:
    session = client.open_session("stops", bankroll=100, table_min=1, table_max=8)
    bot = Bot(client, session, _stopped_player(plan, bankroll, outcomes))
    assert list(bot.play()) == []
    summary = bot.finish()
    assert summary.stop is stop
    assert detail in summary.detail
    assert not summary.failed
    assert summary.spins == 0


def test_an_all_in_below_the_table_minimum_stops_short(
    client: RouletteClient, audit: Audit
) -> None:
    bot = start(client, Strategy.MARTINGALE, budget=5, when_short=WhenShort.ALL_IN)
    rounds, summary = play_out(bot)
    assert rounds == []
    assert summary.stop is Stop.SHORT
    assert "5 chips left are below the table minimum of 10" in summary.detail
    assert summary.balance == 5
    audit()


def test_a_refused_bet_stops_the_bot_and_the_session_still_ends(
    client: RouletteClient, audit: Audit
) -> None:
    bot = start(client, Strategy.FLAT, max_spins=10)
    assert bot.step() is not None
    client.end_session(bot.session.id)  # behind the bot's back
    assert bot.step() is None
    assert bot.stop is Stop.REFUSED
    assert "the house refused" in bot.detail
    assert "ended" in bot.detail
    assert bot.step() is None  # stopped stays stopped
    summary = bot.finish()
    assert summary.failed
    assert summary.ended  # by someone else, but ended
    assert summary.spins == 1
    assert_summary_is_the_houses(client, summary)
    audit()


def test_lost_answers_never_bet_or_spin_twice(parlor: ParlorProcess, audit: Audit) -> None:
    faults = [
        Fault("POST", "/bets", UNAVAILABLE, times=2),  # a gateway while the service restarts
        Fault("POST", "/bets", LOSE, after=3),  # bet placed, answer lost: sent again, same key
        Fault("POST", "/bets", DROP, after=6),  # never arrived: sent again
        Fault("POST", "/spins", LOSE, after=1),  # spun, answer lost: read from the history
        Fault("POST", "/spins", DROP, after=4),  # never spun: the history says so, spin again
    ]
    with flaky_client(parlor, faults) as (proxy, client):
        # Eight losses in a row stake 10+20+…+320+500+500 = 1,630 at most: with
        # 2,000 the bot always lasts its 8 spins, whatever the wheel draws.
        bot = start(client, Strategy.MARTINGALE, budget=2000, max_spins=8)
        rounds, summary = play_out(bot)
        assert summary.stop is Stop.MAX_SPINS, summary.detail
        assert [r.spin for r in rounds] == list(range(1, 9))
        assert_summary_is_the_houses(client, summary)
        replay(client, bot, summary)
        # Every fault struck, and each resent bet carried the key of its first try.
        assert all(fault.seen > fault.after for fault in faults)
        posts = proxy.seen("POST", "/bets")
        keys = [seen.idempotency_key for seen in posts]
        assert None not in keys
        assert len(posts) == 8 + 2 + 1 + 1
        assert len(set(keys)) == 8
        assert len(proxy.seen("POST", "/spins")) == 8 + 1  # only the dropped spin again
    report = audit()
    assert report.ok


def test_a_service_that_stays_unavailable_stops_the_bot(
    parlor: ParlorProcess, audit: Audit
) -> None:
    faults = [Fault("POST", "/bets", UNAVAILABLE, after=2, times=1000)]
    with flaky_client(parlor, faults) as (_, client):
        bot = start(client, Strategy.FLAT)
        rounds, summary = play_out(bot)
    assert len(rounds) == 2
    assert summary.stop is Stop.UNAVAILABLE
    assert "503" in summary.detail
    assert summary.failed
    assert summary.ended  # ending was not refused
    audit()


def test_a_spin_lost_every_time_gives_up(parlor: ParlorProcess, audit: Audit) -> None:
    faults = [Fault("POST", "/spins", DROP, times=1000)]
    with flaky_client(parlor, faults) as (_, client):
        bot = start(client, Strategy.FLAT)
        rounds, summary = play_out(bot)
    assert rounds == []
    assert summary.stop is Stop.UNAVAILABLE
    assert "lost 3 times" in summary.detail
    assert summary.balance == 1000  # the open bet was refunded when the session ended
    audit()


def test_an_unreachable_service_leaves_the_session_open(
    parlor: ParlorProcess, audit: Audit
) -> None:
    proxy = FlakyProxy("127.0.0.1", parlor.port, [])
    with RouletteClient(proxy.base_url, backoff=0.01, retries=1) as client:
        bot = start(client, Strategy.FLAT)
        assert bot.step() is not None
        proxy.close()  # the service vanishes
        assert bot.step() is None
        summary = bot.finish()
    assert summary.stop is Stop.UNAVAILABLE
    assert "cannot reach" in summary.detail
    assert not summary.ended
    assert summary.spins == 1
    audit()


class InterruptedClient(RouletteClient):
    """A Ctrl+C that arrives just after the house spun, before its answer was read."""

    def spin(self, session_id: str, *, number: int | None = None) -> SpinOutcome:
        super().spin(session_id, number=number)
        raise KeyboardInterrupt


def test_an_interrupt_mid_spin_still_records_the_spin(parlor: ParlorProcess, audit: Audit) -> None:
    with InterruptedClient(parlor.base_url) as client:
        bot = start(client, Strategy.MARTINGALE)
        with pytest.raises(KeyboardInterrupt):
            bot.step()
        bot.interrupt()
        summary = bot.finish()
        state: Session = client.session(summary.session_id)
    assert summary.stop is Stop.INTERRUPTED
    assert summary.spins == 1 == state.spin_count
    assert summary.balance == state.balance
    assert summary.ended
    assert not summary.failed
    audit()


def test_finishing_before_a_stop_counts_as_interrupted(client: RouletteClient) -> None:
    bot = start(client, Strategy.FLAT)
    summary = bot.finish()
    assert summary.stop is Stop.INTERRUPTED
    assert summary.ended


def test_an_interrupt_between_rounds_stops_cleanly(client: RouletteClient, audit: Audit) -> None:
    bot = start(client, Strategy.FLAT)
    assert bot.step() is not None
    bot.interrupt()
    assert bot.step() is None
    summary = bot.finish()
    assert summary.stop is Stop.INTERRUPTED
    assert summary.spins == 1
    assert_summary_is_the_houses(client, summary)
    audit()


def test_a_session_that_cannot_be_ended_is_a_failure(parlor: ParlorProcess, audit: Audit) -> None:
    faults = [Fault("POST", "/end", UNAVAILABLE, times=1000)]
    with flaky_client(parlor, faults, retries=1) as (proxy, client):
        bot = start(client, Strategy.FLAT, max_spins=2)
        rounds, summary = play_out(bot)
        assert len(proxy.seen("POST", "/end")) == 2  # looked between the tries: not ended
    assert len(rounds) == 2
    assert summary.stop is Stop.UNAVAILABLE
    assert summary.detail.startswith("the session could not be ended: the answer to ending")
    assert not summary.ended
    audit()


def test_a_spin_drawn_by_someone_else_is_taken_as_the_round_not_doubled(
    parlor: ParlorProcess, audit: Audit
) -> None:
    """Another client draws spin 1 just before the bot asks for spin 1.

    The bot asks by number, so it cannot draw a second spin for the same round:
    the house refuses (spin_out_of_turn), the bot reads spin 1, which settled
    its bet, records that, and plays on.
    """

    def spin_first(path: str) -> None:
        with RouletteClient(parlor.base_url) as other:
            other.spin(path.split("/")[4])

    faults = [Fault("POST", "/spins", BEFORE, after=1, hook=spin_first)]
    with flaky_client(parlor, faults) as (_, client):
        bot = start(client, Strategy.FLAT, max_spins=3)
        rounds, summary = play_out(bot)
        bets = client.bets(summary.session_id, limit=10)
    assert [r.spin for r in rounds] == [1, 2, 3]
    assert [bet.spin for bet in bets] == [1, 2, 3]  # one bet a round, each settled once
    assert summary.stop is Stop.MAX_SPINS
    assert summary.ended
    audit()
