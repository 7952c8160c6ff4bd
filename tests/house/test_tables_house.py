"""The tables house on both engines: rounds shared by many sessions, then every refusal.

The ``house`` fixture audits the ledger after each test (tests/conftest.py); the
scenarios check it on the way too.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse, SessionState
from parlor.house.tables import TablesHouse, TableSpin, TableState
from parlor.roulette import fairness
from parlor.roulette.bets import all_bets, make_bet, settle
from parlor.roulette.wheel import AMERICAN, EUROPEAN, json_number
from parlor.store.db import Database, PostgresDatabase, open_database
from parlor.store.schema import migrate

SEED = "22" * 32
CLIENT = "table client seed"


def fixed_tables(house: RouletteHouse, **options: Any) -> TablesHouse:
    """A tables house whose seeds are known, so a test can predict every round.

    Its clock ticks a second each time it is read, so players sit in a known order.
    """
    ticks = itertools.count()
    return TablesHouse(
        house,
        new_server_seed=lambda: SEED,
        new_client_seed=lambda: CLIENT,
        clock=lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC) + timedelta(seconds=next(ticks)),
        **options,
    )


def pocket_of(n: int, pockets: int = 38) -> int:
    return fairness.draw(SEED, CLIENT, n, pockets)


def seated_player(
    tables: TablesHouse, name: str, table: str = "main", **options: Any
) -> SessionState:
    """A session opened with the table's wheel and seated at it."""
    state = tables.roulette.open_session(name, wheel=tables.table(table).wheel, **options)
    tables.sit(table, state.id)
    return tables.roulette.session(state.id)


def snapshot(tables: TablesHouse, *session_ids: str) -> tuple[Any, ...]:
    """Everything a refused operation could have changed."""
    house = tables.roulette
    return (
        tables.tables(),
        [tables.last(t.name, 1000) for t in tables.tables()],
        [(house.session(s), house.bets(s, limit=10_000), house.spins(s)) for s in session_ids],
        check_ledger(tables.db),
    )


def refused(
    tables: TablesHouse,
    expected: type[errors.HouseError],
    call: Callable[[], object],
    *session_ids: str,
) -> errors.HouseError:
    """Run ``call``, which must raise ``expected``, say why, and change nothing."""
    before = snapshot(tables, *session_ids)
    with pytest.raises(expected) as caught:
        call()
    assert caught.value.message
    assert snapshot(tables, *session_ids) == before
    return caught.value


@pytest.fixture
def tables(house: RouletteHouse) -> TablesHouse:
    """A known-seed tables house with the American table ``main`` open."""
    tables = fixed_tables(house)
    tables.open_table("main", "american")
    return tables


# -- tables -----------------------------------------------------------------------------


def test_open_table_commits_to_a_secret_seed(house: RouletteHouse) -> None:
    tables = fixed_tables(house)
    state = tables.open_table("Main", "american")
    assert (state.name, state.wheel, state.round, state.status) == ("main", "american", 0, "open")
    assert state.server_seed is None  # secret until the table closes
    assert state.server_seed_hash == fairness.hash_server_seed(SEED)
    assert (state.client_seed, state.seated, state.version) == (CLIENT, 0, 1)
    assert tables.table("MAIN") == state
    # Opening it again with the same wheel finds the same table and changes nothing.
    assert tables.open_table("main", "American") == state
    assert refused(
        tables, errors.TableNameTaken, lambda: tables.open_table("main", "european")
    ).message.startswith("table 'main' is open with the american wheel")
    euro = tables.open_table("euro", "european")
    assert euro.id != state.id
    assert [t.name for t in tables.tables()] == ["euro", "main"]


@pytest.mark.parametrize(
    "name", ["", "x" * 33, "two words", "café", "main\n", None, 7, "a;b", "../x", "ma\x00in"]
)
def test_a_table_name_is_short_and_plain(tables: TablesHouse, name: object) -> None:
    for call in (
        lambda: tables.open_table(name, "american"),
        lambda: tables.table(name),
        lambda: tables.spin(name),
        lambda: tables.last(name),
    ):
        error = refused(tables, errors.InvalidRequest, call)
        assert isinstance(error, errors.InvalidRequest)
        assert error.field == "table"


@pytest.mark.parametrize("wheel", ["french", "", None, 38])
def test_a_table_wheel_is_american_or_european(tables: TablesHouse, wheel: object) -> None:
    error = refused(tables, errors.InvalidRequest, lambda: tables.open_table("new", wheel))
    assert isinstance(error, errors.InvalidRequest)
    assert error.field == "wheel"


def test_an_unknown_table_is_not_found(tables: TablesHouse) -> None:
    player = seated_player(tables, "alice")
    for call in (
        lambda: tables.table("nowhere"),
        lambda: tables.seated("nowhere"),
        lambda: tables.last("nowhere"),
        lambda: tables.sit("nowhere", player.id),
        lambda: tables.place_bet("nowhere", player.id, "red", None, 10),
        lambda: tables.withdraw_bet("nowhere", player.id, 1),
        lambda: tables.spin("nowhere"),
        lambda: tables.close_table("nowhere"),
        lambda: tables.verify("nowhere"),
    ):
        error = refused(tables, errors.UnknownTable, call, player.id)
        assert isinstance(error, errors.NotFound)
        assert "nowhere" in error.message


# -- a round ----------------------------------------------------------------------------


def test_three_players_one_spin(house: RouletteHouse, db: Database) -> None:
    tables = fixed_tables(house)
    tables.open_table("main", "american")
    pocket = pocket_of(1)
    alice = seated_player(tables, "alice")
    bob = seated_player(tables, "bob", bankroll=2000, table_max=1000)
    carol = seated_player(tables, "carol", table_min=5)
    dave = seated_player(tables, "dave")  # seated, bets nothing: not in the round
    assert [name for _, name in tables.seated("main")] == ["alice", "bob", "carol", "dave"]
    assert tables.table("main").seated == 4
    wagers: dict[str, list[tuple[str, list[object] | None, int]]] = {
        alice.id: [("straight", [json_number(pocket)], 10), ("red", None, 20)],
        bob.id: [("dozen", ["2"], 100), ("split", ["17", "20"], 50), ("Black", None, 25)],
        carol.id: [("column", [1], 5), ("odd", None, 10), ("straight", ["00"], 5)],
    }
    for session_id, bets in wagers.items():
        for proposition, numbers, amount in bets:
            tables.place_bet("main", session_id, proposition, numbers, amount)
    assert tables.table("main").round == 0  # bets do not spin

    spun = tables.spin("main")

    assert (spun.round, spun.result.pocket) == (1, pocket)
    by_id = {s.session_id: s for s in spun.settlements}
    # Every session with bets, once, and only those (in the order of their ids, which is
    # the engine's text order: PostgreSQL's collation is not Python's).
    assert len(spun.settlements) == 3
    assert set(by_id) == set(wagers)
    for session_id, bets in wagers.items():
        settled = by_id[session_id]
        state = house.session(session_id)
        rules = [make_bet(p, n, AMERICAN) for p, n, _ in bets]
        returned = [settle(bet, a, pocket) for bet, (_, _, a) in zip(rules, bets, strict=True)]
        assert [b.bet for b in settled.bets] == rules
        assert [b.returned for b in settled.bets] == returned
        assert all(b.status == "settled" and b.spin == 1 for b in settled.bets)
        assert settled.staked == sum(a for _, _, a in bets)
        assert settled.returned == sum(returned)
        assert settled.balance == state.balance == state.bankroll - settled.staked + sum(returned)
        assert settled.name == state.name
        assert (state.open_stake, state.spin_count) == (0, 1)
        assert [(s.spin, s.pocket, s.table_round) for s in house.spins(session_id)] == [
            (1, pocket, 1)
        ]
    assert by_id[alice.id].bets[0].outcome == 350  # the straight up always wins here
    assert house.session(dave.id).spin_count == 0
    assert house.spins(dave.id) == []
    table = tables.table("main")
    assert (table.round, table.seated) == (1, 4)
    [record] = tables.last("main")
    assert (record.round, record.pocket, record.result.pocket) == (1, pocket, pocket)
    assert (record.sessions, record.bets) == (3, 8)
    assert record.staked == sum(s.staked for s in spun.settlements)
    assert record.returned == sum(s.returned for s in spun.settlements)
    assert check_ledger(db).ok


def test_rounds_follow_the_fair_draw_and_last_is_newest_first(tables: TablesHouse) -> None:
    for _ in range(12):
        tables.spin("main")
    assert [r.pocket for r in tables.last("main", 12)] == [pocket_of(n) for n in range(12, 0, -1)]
    assert [r.round for r in tables.last("main")] == list(range(12, 2, -1))  # 10 by default
    assert [r.round for r in tables.last("main", 1)] == [12]
    for n in (0, -1, "3", 1001, True):
        refused(tables, errors.InvalidRequest, partial(tables.last, "main", n))


def test_every_bet_kind_by_its_rest_names(house: RouletteHouse) -> None:
    """All 153 American propositions, sent as the REST service names them, settle by the rules."""
    tables = fixed_tables(house)
    tables.open_table("main", "american")
    player = seated_player(tables, "alice", bankroll=10_000, table_min=1, table_max=1000)
    layout = list(all_bets(AMERICAN))
    for bet in layout:
        # As text, the way a line like "BET 5 split 17 20" arrives.
        numbers = [str(n) for n in bet.numbers_json()] or None
        proposition = bet.kind.value.replace("_", " ")
        receipt = tables.place_bet("main", player.id, proposition, numbers, 1)
        assert receipt.bet.bet == bet
    spun = tables.spin("main")
    [settlement] = spun.settlements
    assert [b.bet for b in settlement.bets] == layout
    assert [b.returned for b in settlement.bets] == [
        settle(bet, 1, spun.result.pocket) for bet in layout
    ]


def test_la_partage_travels_with_the_session(house: RouletteHouse) -> None:
    """A European session with la partage keeps its rule at a European table."""
    client = next(f"z{i}" for i in range(10_000) if fairness.draw(SEED, f"z{i}", 1, 37) == 0)
    tables = TablesHouse(house, new_server_seed=lambda: SEED, new_client_seed=lambda: client)
    tables.open_table("euro", "european")
    halves = seated_player(tables, "halves", table="euro", la_partage=True)
    plain = seated_player(tables, "plain", table="euro")
    for player in (halves, plain):
        tables.place_bet("euro", player.id, "red", None, 20)
    spun = tables.spin("euro")
    assert spun.result.pocket == 0
    assert [s.returned for s in spun.settlements] == [
        10 if s.session_id == halves.id else 0 for s in spun.settlements
    ]


def test_a_stood_up_player_is_settled_all_the_same(tables: TablesHouse) -> None:
    house = tables.roulette
    alice = seated_player(tables, "alice")
    bob = seated_player(tables, "bob")
    tables.place_bet("main", alice.id, "red", None, 10)
    tables.place_bet("main", alice.id, "straight", [json_number(pocket_of(1))], 10)
    tables.place_bet("main", bob.id, "black", None, 10)
    left = tables.stand(alice.id)  # a player who disconnects mid-round
    assert (left.name, left.seated) == ("main", 1)
    assert tables.seated("main") == [(bob.id, "bob")]
    assert house.session(alice.id).seated is False
    # Standing, it can place no more bets, but those it placed stay in the round.
    refused(
        tables,
        errors.NotSeated,
        lambda: tables.place_bet("main", alice.id, "red", None, 10),
        alice.id,
    )
    spun = tables.spin("main")
    assert {s.session_id for s in spun.settlements} == {alice.id, bob.id}
    settled = next(s for s in spun.settlements if s.session_id == alice.id)
    assert len(settled.bets) == 2
    assert house.session(alice.id).open_stake == 0
    assert house.session(alice.id).balance == settled.balance
    # Standing again is a no-op; it may sit down again.
    assert tables.stand(alice.id).version == tables.table("main").version
    assert tables.sit("main", alice.id).seated == 2
    assert check_ledger(tables.db).ok


def test_a_spin_asked_for_by_round_is_spun_once(tables: TablesHouse) -> None:
    player = seated_player(tables, "alice")
    tables.place_bet("main", player.id, "red", None, 10)
    assert tables.spin("main", expected_round=1).round == 1
    # The same request again, as after a lost answer: refused, nothing changes.
    error = refused(
        tables, errors.RoundOutOfTurn, lambda: tables.spin("main", expected_round=1), player.id
    )
    assert "round 1 of table 'main' has already been spun" in error.message
    error = refused(
        tables, errors.RoundOutOfTurn, lambda: tables.spin("main", expected_round=5), player.id
    )
    assert "the next is 2, not 5" in error.message
    for bad in ("2", 0, -1, True, 2.0, 2**63):
        refused(
            tables,
            errors.InvalidRequest,
            partial(tables.spin, "main", expected_round=bad),
            player.id,
        )
    assert tables.spin("main", expected_round=2).round == 2


def test_an_idempotent_bet_is_placed_once(tables: TablesHouse) -> None:
    player = seated_player(tables, "alice")
    first = tables.place_bet("main", player.id, "red", None, 10, idempotency_key="k1")
    again = tables.place_bet("main", player.id, "red", None, 10, idempotency_key="k1")
    assert (again.bet, again.balance, again.replayed) == (first.bet, first.balance, True)
    refused(
        tables,
        errors.IdempotencyMismatch,
        lambda: tables.place_bet("main", player.id, "black", None, 10, idempotency_key="k1"),
        player.id,
    )
    assert len(tables.roulette.bets(player.id)) == 1


def test_withdraw_at_the_table(tables: TablesHouse) -> None:
    house = tables.roulette
    player = seated_player(tables, "alice")
    tables.place_bet("main", player.id, "red", None, 10)
    tables.place_bet("main", player.id, "odd", None, 30)
    receipt = tables.withdraw_bet("main", player.id, 2)
    assert (receipt.bet.status, receipt.balance) == ("withdrawn", 990)
    refused(tables, errors.BetNotOpen, lambda: tables.withdraw_bet("main", player.id, 2))
    refused(tables, errors.UnknownBet, lambda: tables.withdraw_bet("main", player.id, 9))
    spun = tables.spin("main")
    assert [b.confirmation for b in spun.settlements[0].bets] == [1]
    assert house.bet(player.id, 2).status == "withdrawn"


# -- refusals ---------------------------------------------------------------------------


def test_a_session_of_the_other_wheel_cannot_sit(tables: TablesHouse) -> None:
    euro = tables.roulette.open_session("eve", wheel="european")
    error = refused(tables, errors.WrongWheelForTable, lambda: tables.sit("main", euro.id), euro.id)
    assert "open a session with the american wheel" in error.message
    assert tables.seated("main") == []


def test_bets_need_a_seat_at_that_table(tables: TablesHouse) -> None:
    tables.open_table("side", "american")
    solo = tables.roulette.open_session("solo")
    elsewhere = seated_player(tables, "other", table="side")
    stood = seated_player(tables, "stood")
    tables.stand(stood.id)
    for session_id in (solo.id, elsewhere.id, stood.id):
        error = refused(
            tables,
            errors.NotSeated,
            partial(tables.place_bet, "main", session_id, "red", None, 10),
            session_id,
        )
        assert "does not sit at table 'main'" in error.message
        refused(tables, errors.NotSeated, partial(tables.withdraw_bet, "main", session_id, 1))
    refused(
        tables, errors.UnknownSession, lambda: tables.place_bet("main", "nobody", "red", None, 10)
    )


def test_limits_and_balance_are_the_sessions(tables: TablesHouse) -> None:
    player = seated_player(tables, "alice", bankroll=100, table_min=5, table_max=60)
    sid = player.id

    def place(
        proposition: object, numbers: list[object] | None, amount: object
    ) -> Callable[[], object]:
        return lambda: tables.place_bet("main", sid, proposition, numbers, amount)

    refused(tables, errors.OutsideTableLimits, place("red", None, 4), sid)
    refused(tables, errors.OutsideTableLimits, place("red", None, 61), sid)
    tables.place_bet("main", sid, "red", None, 50)
    error = refused(tables, errors.OutsideTableLimits, place("black", None, 20), sid)
    assert "bet at most 10" in error.message  # the open-stake limit
    tables.place_bet("main", sid, "black", None, 10)
    for bad in (0, -5, 10.0, "10", True, None):
        refused(tables, errors.InvalidBet, place("red", None, bad), sid)
    refused(tables, errors.InvalidBet, place("purple", None, 10), sid)
    refused(tables, errors.InvalidBet, place("split", ["17", "21"], 10), sid)
    refused(tables, errors.NotOnThisWheel, place("first four", [0, 1, 2, 3], 10), sid)


def test_over_the_balance_is_refused(tables: TablesHouse) -> None:
    player = seated_player(tables, "alice", bankroll=30, table_min=1, table_max=100)
    tables.place_bet("main", player.id, "red", None, 25)
    error = refused(
        tables,
        errors.InsufficientBalance,
        lambda: tables.place_bet("main", player.id, "red", None, 6),
        player.id,
    )
    assert "more than the balance of 5" in error.message


def test_the_other_wheels_bets_at_a_european_table(house: RouletteHouse) -> None:
    tables = fixed_tables(house)
    tables.open_table("euro", "european")
    player = seated_player(tables, "eu", table="euro")
    for proposition, numbers in (("straight", ["00"]), ("five", [0, "00", 1, 2, 3])):
        refused(
            tables,
            errors.NotOnThisWheel,
            partial(tables.place_bet, "euro", player.id, proposition, numbers, 10),
            player.id,
        )
    assert tables.place_bet("euro", player.id, "first four", [0, 1, 2, 3], 10).bet.bet == (
        make_bet("first four", [0, 1, 2, 3], EUROPEAN)
    )


def test_a_table_session_plays_only_at_its_table(tables: TablesHouse) -> None:
    house = tables.roulette
    player = seated_player(tables, "alice")
    tables.place_bet("main", player.id, "red", None, 10)
    for call, action in (
        (lambda: house.spin(player.id), "the table spins"),
        (lambda: house.spin(player.id, expected=1), "the table spins"),
        (lambda: house.place_bet(player.id, "red", None, 10), "place its bets at the table"),
        (lambda: house.withdraw_bet(player.id, 1), "withdraw its bets at the table"),
        (lambda: house.verify(player.id), "its pockets come from the table's seed"),
    ):
        error = refused(tables, errors.PlaysAtTable, call, player.id)
        assert f"plays at table 'main': {action}" in error.message
    # Standing up does not make it a solo session again.
    tables.stand(player.id)
    refused(tables, errors.PlaysAtTable, lambda: house.spin(player.id), player.id)
    assert house.session(player.id).table_id == tables.table("main").id
    assert tables.table_of(player.id) == "main"
    assert tables.table_of(house.open_session("solo").id) is None


def test_where_a_session_may_sit(tables: TablesHouse) -> None:
    house = tables.roulette
    tables.open_table("side", "american")
    player = seated_player(tables, "alice")
    # Sitting again where it sits changes nothing.
    before = snapshot(tables, player.id)
    assert tables.sit("main", player.id).seated == 1
    assert snapshot(tables, player.id) == before
    refused(tables, errors.SeatedElsewhere, lambda: tables.sit("side", player.id), player.id)
    tables.place_bet("main", player.id, "red", None, 10)
    tables.stand(player.id)
    error = refused(tables, errors.BetsStillOpen, lambda: tables.sit("side", player.id), player.id)
    assert "bets open at table 'main'" in error.message
    tables.spin("main")
    assert tables.sit("side", player.id).seated == 1  # moved, with nothing open
    assert tables.table_of(player.id) == "side"
    assert tables.table("main").seated == 0
    # Its solo bets must be settled before a session sits down.
    solo = house.open_session("bob")
    house.place_bet(solo.id, "red", None, 10)
    error = refused(tables, errors.BetsStillOpen, lambda: tables.sit("main", solo.id), solo.id)
    assert "spin or withdraw them" in error.message
    house.spin(solo.id)
    assert tables.sit("main", solo.id).seated == 1
    # Ended sessions sit nowhere.
    ended = house.open_session("carol")
    house.end_session(ended.id)
    refused(tables, errors.SessionEnded, lambda: tables.sit("main", ended.id), ended.id)
    refused(tables, errors.UnknownSession, lambda: tables.sit("main", "nobody"))
    never_sat = house.open_session("dan")
    refused(tables, errors.NotSeated, lambda: tables.stand(never_sat.id), never_sat.id)
    refused(tables, errors.UnknownSession, lambda: tables.stand("nobody"))


def test_ending_a_seated_session_refunds_it(tables: TablesHouse) -> None:
    house = tables.roulette
    player = seated_player(tables, "alice")
    tables.place_bet("main", player.id, "red", None, 10)
    ended = house.end_session(player.id)
    assert (ended.balance, ended.open_stake, ended.seated) == (1000, 0, False)
    assert tables.seated("main") == []
    assert tables.table("main").seated == 0
    assert tables.spin("main").settlements == ()
    assert tables.stand(player.id).seated == 0  # sits nowhere: a no-op
    refused(
        tables,
        errors.SessionEnded,
        lambda: tables.place_bet("main", player.id, "red", None, 10),
        player.id,
    )


# -- closing and verifying --------------------------------------------------------------


def test_close_refunds_stands_up_and_reveals(tables: TablesHouse) -> None:
    house = tables.roulette
    alice = seated_player(tables, "alice")
    bob = seated_player(tables, "bob")
    for _ in range(5):
        tables.place_bet("main", alice.id, "red", None, 10)
        tables.spin("main")
    tables.place_bet("main", alice.id, "odd", None, 40)
    tables.place_bet("main", bob.id, "even", None, 30)
    balances = {s: house.session(s).balance for s in (alice.id, bob.id)}
    refused(tables, errors.TableStillOpen, lambda: tables.verify("main"), alice.id, bob.id)

    closed = tables.close_table("main")
    assert closed.closed

    assert (closed.status, closed.round, closed.seated, closed.server_seed) == (
        "closed", 5, 0, SEED,
    )  # fmt: skip
    assert fairness.hash_server_seed(SEED) == closed.server_seed_hash
    assert house.session(alice.id).balance == balances[alice.id] + 40
    assert house.session(bob.id).balance == balances[bob.id] + 30
    assert [b.status for b in house.bets(bob.id)] == ["refunded"]
    assert tables.seated("main") == []
    assert tables.tables() == []
    assert check_ledger(tables.db).ok
    for call in (
        lambda: tables.sit("main", alice.id),
        lambda: tables.place_bet("main", alice.id, "red", None, 10),
        lambda: tables.withdraw_bet("main", alice.id, 1),
        lambda: tables.spin("main"),
        lambda: tables.close_table("main"),
    ):
        refused(tables, errors.TableClosed, call, alice.id, bob.id)

    verification = tables.verify("main")
    assert verification.ok
    assert verification.spins_checked == 5
    # What verify checks, done by hand: the seed and every pocket.
    assert [r.pocket for r in tables.last("main")] == [
        fairness.draw(SEED, closed.client_seed, n, 38) for n in range(5, 0, -1)
    ]
    # Each session's own spins are the table's pockets, round by round.
    assert [(s.table_round, s.pocket) for s in house.spins(alice.id)] == [
        (n, pocket_of(n)) for n in range(1, 6)
    ]


def test_verify_names_a_tampered_round(tables: TablesHouse) -> None:
    for _ in range(3):
        tables.spin("main")
    tables.close_table("main")
    table_id = tables.table("main").id
    with tables.db.transaction() as tx:
        tx.execute(
            "UPDATE table_spins SET pocket = ? WHERE table_id = ? AND round = 2",
            ((pocket_of(2) + 1) % 38, table_id),
        )
    verification = tables.verify("main")
    assert not verification.ok
    assert [m.nonce for m in verification.mismatches] == [2]


def test_a_closed_name_opens_again_as_a_new_table(house: RouletteHouse) -> None:
    seeds = iter(["aa" * 32, "bb" * 32])
    tables = TablesHouse(house, new_server_seed=lambda: next(seeds))
    first = tables.open_table("main", "american")
    player = seated_player(tables, "alice")
    tables.spin("main")
    tables.close_table("main")
    second = tables.open_table("main", "european")
    assert second.id != first.id
    assert (second.round, second.wheel, second.status) == (0, "european", "open")
    assert second.server_seed_hash == fairness.hash_server_seed("bb" * 32)
    assert tables.table("main") == second
    assert tables.last("main") == []
    # verify() checks the one that closed last; the open one stays secret.
    assert tables.verify("main").spins_checked == 1
    # The old table's session may not sit at a table of the other wheel.
    refused(tables, errors.WrongWheelForTable, lambda: tables.sit("main", player.id), player.id)


# -- hooks, restarts, races ------------------------------------------------------------


def test_changes_are_heard_after_they_commit(tables: TablesHouse) -> None:
    house = tables.roulette
    heard_tables: list[tuple[str, int, int]] = []
    heard_sessions: list[tuple[str, int, int]] = []
    tables.on_change = lambda name, v: heard_tables.append((name, v, tables.table(name).version))
    house.on_change = lambda s, v: heard_sessions.append((s, v, house.session(s).version))
    player = house.open_session("alice")
    tables.sit("main", player.id)  # table 2, session 2
    tables.sit("main", player.id)  # nothing
    tables.place_bet("main", player.id, "red", None, 10)  # session 3
    tables.spin("main")  # table 3, session 4
    tables.spin("main")  # table 4; no bets, so no session
    tables.stand(player.id)  # table 5, session 5
    tables.open_table("main", "american")  # nothing
    tables.close_table("main")  # table 6
    assert heard_tables == [("main", v, v) for v in (2, 3, 4, 5, 6)]
    assert heard_sessions == [(player.id, v, v) for v in (2, 3, 4, 5)]


def test_a_restart_keeps_tables_rounds_and_seats(db_url: str) -> None:
    db = open_database(db_url)
    try:
        migrate(db)
        tables = fixed_tables(RouletteHouse(db))
        tables.open_table("main", "american")
        tables.open_table("euro", "european")
        alice = seated_player(tables, "alice")
        bob = seated_player(tables, "bob")
        tables.stand(bob.id)
        for _ in range(3):
            tables.place_bet("main", alice.id, "red", None, 10)
            tables.spin("main")
        tables.place_bet("main", alice.id, "black", None, 10)
        before = (tables.tables(), tables.seated("main"), tables.last("main"))
    finally:
        db.close()

    db = open_database(db_url)
    try:
        migrate(db)
        tables = fixed_tables(RouletteHouse(db))
        assert (tables.tables(), tables.seated("main"), tables.last("main")) == before
        assert [t.round for t in tables.tables()] == [0, 3]
        spun = tables.spin("main")  # round 4 goes on from the same seed
        assert (spun.round, spun.result.pocket) == (4, pocket_of(4))
        assert [b.confirmation for b in spun.settlements[0].bets] == [4]
        assert tables.sit("main", bob.id).seated == 2
        assert check_ledger(db).ok
    finally:
        db.close()


def test_a_stand_racing_a_move(tables: TablesHouse, db: Database) -> None:
    """A stand that finds its session moved to another table since it looked is not lost.

    On PostgreSQL the stand reads the session's table, locks that table, then the
    session, which a move holds: it finds the move and asks to be sent again
    (``HouseBusy``). On SQLite writes are serialized, so it stands up from the new table.
    """
    side = tables.open_table("side", "american")
    player = seated_player(tables, "alice")
    tables.stand(player.id)
    moving = threading.Event()
    outcome: list[object] = []

    def stand() -> None:
        moving.wait()
        try:
            outcome.append(tables.stand(player.id))
        except errors.HouseBusy as error:
            outcome.append(error)

    with ThreadPoolExecutor(1) as pool:
        standing = pool.submit(stand)
        with db.transaction() as tx:  # a move to "side", held uncommitted for a moment
            tx.execute(
                "UPDATE sessions SET table_id = ?, seated_at = 'now' WHERE id = ?",
                (side.id, player.id),
            )
            moving.set()
            time.sleep(0.3)
        standing.result()
    [result] = outcome
    if isinstance(db, PostgresDatabase):
        assert isinstance(result, errors.HouseBusy)
        assert "stand up again" in result.message
        assert tables.seated("side") == [(player.id, "alice")]
    else:
        assert isinstance(result, TableState)
        assert (result.name, result.seated) == ("side", 0)
    assert tables.stand(player.id).name == "side"
    assert tables.seated("side") == []


@dataclass(frozen=True)
class _Acked:
    session_id: str
    confirmation: int
    called: float
    answered: float


@dataclass(frozen=True)
class _Spun:
    called: float
    answered: float
    spin: TableSpin


PROPOSITIONS: list[tuple[str, list[object] | None]] = [
    ("red", None),
    ("black", None),
    ("dozen", [2]),
    ("split", [17, 20]),
    ("straight", ["00"]),
    ("corner", [1, 2, 4, 5]),
]


@pytest.mark.slow
def test_bets_racing_spins_are_settled_once_in_their_round(house: RouletteHouse) -> None:
    """Four bettors and a sitter race eighty spins: each bet is settled once, in its round.

    A bet answered before a spin was called belongs to that spin's round or an
    earlier one; a bet settled in round r was called before round r's spin
    answered. On PostgreSQL a deadlock would fail a thread, and so the test.
    """
    tables = TablesHouse(house)
    tables.open_table("race", "american")
    players = [
        seated_player(
            tables, f"p{i}", table="race", bankroll=1_000_000, table_min=1, table_max=100_000
        ).id
        for i in range(5)
    ]
    acked: list[_Acked] = []
    spun: list[_Spun] = []
    done = threading.Event()

    def bettor(index: int) -> None:
        rng = random.Random(index)
        session_id = players[index]
        while not done.is_set():
            proposition, numbers = rng.choice(PROPOSITIONS)
            called = time.monotonic()
            try:
                receipt = tables.place_bet(
                    "race", session_id, proposition, numbers, rng.randint(1, 20)
                )
            except errors.NotSeated:
                assert index == 4  # the one that stands and sits
                continue
            acked.append(_Acked(session_id, receipt.bet.confirmation, called, time.monotonic()))
            if index == 4:  # stands up and sits down again, racing spins and its own bets
                tables.stand(session_id)
                tables.sit("race", session_id)

    def spinner() -> None:
        try:
            for _ in range(80):
                called = time.monotonic()
                result = tables.spin("race")
                spun.append(_Spun(called, time.monotonic(), result))
                time.sleep(0.002)
        finally:
            done.set()

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(bettor, i) for i in range(5)] + [pool.submit(spinner)]
        for future in futures:
            future.result()

    assert [s.spin.round for s in spun] == list(range(1, 81))
    rounds_of = {  # each session's spin n came from table round rounds_of[session][n - 1]
        session_id: [s.table_round for s in house.spins(session_id)] for session_id in players
    }
    settled_in: dict[tuple[str, int], int] = {}
    for s in spun:
        for settlement in s.spin.settlements:
            for bet in settlement.bets:
                key = (settlement.session_id, bet.confirmation)
                assert key not in settled_in  # settled exactly once
                settled_in[key] = s.spin.round
                assert bet.returned == settle(bet.bet, bet.amount, s.spin.result.pocket)
    assert len({(a.session_id, a.confirmation) for a in acked}) == len(acked)
    for ack in acked:
        stored = house.bet(ack.session_id, ack.confirmation)
        key = (ack.session_id, ack.confirmation)
        if stored.status == "open":
            assert key not in settled_in
            assert ack.answered >= spun[-1].called  # else the last spin should have had it
            continue
        assert stored.status == "settled"
        assert stored.spin is not None
        rnd = settled_in[key]
        assert rounds_of[ack.session_id][stored.spin - 1] == rnd
        assert ack.called < spun[rnd - 1].answered  # not settled before it was placed
        if rnd > 1:
            assert ack.answered >= spun[rnd - 2].called  # else round rnd - 1 should have had it
    # Nothing settled that was not acknowledged, nothing acknowledged lost.
    assert set(settled_in) <= {(a.session_id, a.confirmation) for a in acked}
    for session_id in players:
        state = house.session(session_id)
        bets = house.bets(session_id, limit=10_000)
        assert len(bets) == state.bet_count == sum(a.session_id == session_id for a in acked)
        assert state.open_stake == sum(b.amount for b in bets if b.status == "open")
    report = check_ledger(house.db)
    assert report.ok, report.problems


def test_every_new_error_is_in_the_tree() -> None:
    for conflict in (
        errors.PlaysAtTable,
        errors.TableNameTaken,
        errors.TableClosed,
        errors.TableStillOpen,
        errors.WrongWheelForTable,
        errors.NotSeated,
        errors.SeatedElsewhere,
        errors.BetsStillOpen,
        errors.RoundOutOfTurn,
    ):
        assert issubclass(conflict, errors.Conflict)
    assert issubclass(errors.UnknownTable, errors.NotFound)


def test_the_rest_service_says_plays_at_table(tables: TablesHouse) -> None:
    """The one new refusal the REST service can meet: a table session played alone."""
    from parlor.service.problems import house_error, problem_body

    player = seated_player(tables, "alice")
    with pytest.raises(errors.PlaysAtTable) as caught:
        tables.roulette.spin(player.id)
    body = problem_body(house_error(caught.value))
    assert (body.status, body.code) == (409, "plays_at_table")
    assert "plays at table 'main'" in body.detail
