"""The roulette house on both engines: whole scenarios, then every refusal.

The ``house`` fixture audits the ledger after each test (tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.roulette import fairness
from parlor.roulette.bets import BetKind
from parlor.roulette.wheel import AMERICAN, DOUBLE_ZERO, EUROPEAN, RED_NUMBERS, label
from parlor.store.db import Database

SEED = "11" * 32


def fixed_house(db: Database) -> RouletteHouse:
    """A house whose server seed is known, so a test can predict every spin."""
    return RouletteHouse(
        db,
        new_server_seed=lambda: SEED,
        clock=lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    )


def next_pocket(client_seed: str, n: int, wheel_pockets: int = 38) -> int:
    return fairness.draw(SEED, client_seed, n, wheel_pockets)


def snapshot(house: RouletteHouse, session_id: str) -> tuple[Any, ...]:
    """Everything an operation could change about one session."""
    return (
        house.session(session_id),
        house.bets(session_id, limit=10_000),
        house.spins(session_id),
        check_ledger(house.db).entries,
    )


def test_open_session_defaults(house: RouletteHouse) -> None:
    state = house.open_session("alice")
    assert (state.name, state.balance, state.bankroll) == ("alice", 1000, 1000)
    assert (state.table_min, state.table_max) == (10, 500)
    assert state.wheel == "american"
    assert state.status == "open"
    assert state.server_seed is None  # secret until the session ends
    assert len(state.server_seed_hash) == 64
    assert len(state.client_seed) == 32
    assert len(state.id) >= 22  # 128 bits from secrets
    assert house.session(state.id) == state
    assert check_ledger(house.db).house_balance == -1000


def test_open_session_options(house: RouletteHouse) -> None:
    state = house.open_session(
        "bob",
        bankroll=5000,
        table_min=25,
        table_max=2000,
        wheel="European",
        la_partage=True,
        client_seed="my seed",
    )
    assert (state.name, state.balance, state.table_min, state.table_max) == ("bob", 5000, 25, 2000)
    assert (state.wheel, state.la_partage, state.client_seed) == ("european", True, "my seed")
    # A table minimum above the default maximum lifts the maximum with it, and a
    # maximum below the default minimum lowers the minimum.
    assert house.open_session("carol", table_min=800).table_max == 800
    assert house.open_session("dave", table_max=5).table_min == 5


def test_full_round_pays_every_kind_correctly(db: Database) -> None:
    house = fixed_house(db)
    state = house.open_session("alice", client_seed="c", table_max=500)
    pocket = next_pocket("c", 1)
    winner = label(pocket)
    receipts = [
        house.place_bet(state.id, "straight", [winner], 10),
        house.place_bet(state.id, "Red", None, 20),
        house.place_bet(state.id, "dozen", [2], 10),
        house.place_bet(state.id, "split", [17, 20], 10),
    ]
    assert [r.bet.confirmation for r in receipts] == [1, 2, 3, 4]
    assert receipts[-1].balance == 1000 - 50
    assert house.session(state.id).open_stake == 50

    result = house.spin(state.id)
    assert result.spin == 1
    assert result.result.pocket == pocket
    outcomes = {b.confirmation: b.outcome for b in result.settled}
    assert outcomes[1] == 350
    red_won = pocket in RED_NUMBERS
    assert outcomes[2] == (20 if red_won else -20)
    assert outcomes[3] == (20 if 13 <= pocket <= 24 else -10)
    assert outcomes[4] == (170 if pocket in (17, 20) else -10)
    paid = sum(b.returned or 0 for b in result.settled)
    assert result.balance == 1000 - 50 + paid
    after = house.session(state.id)
    assert (after.balance, after.open_stake, after.spin_count) == (result.balance, 0, 1)

    # GET of a settled bet shows the outcome; open bets show None.
    assert house.bet(state.id, 1).outcome == 350
    assert house.bet(state.id, 1).spin == 1
    house.place_bet(state.id, "black", [], 10)
    assert house.bet(state.id, 5).outcome is None
    assert [b.confirmation for b in house.bets(state.id, status="open")] == [5]
    assert [b.confirmation for b in house.bets(state.id, status="settled")] == [1, 2, 3, 4]


def test_spin_without_bets_and_history(house: RouletteHouse) -> None:
    state = house.open_session("alice")
    numbers = [house.spin(state.id).spin for _ in range(25)]
    assert numbers == list(range(1, 26))
    assert [s.spin for s in house.spins(state.id, last=20)] == list(range(6, 26))
    assert len(house.spins(state.id)) == 25
    assert house.session(state.id).balance == 1000


def test_a_spin_asked_for_by_number_is_drawn_once(house: RouletteHouse, db: Database) -> None:
    state = house.open_session("alice")
    house.place_bet(state.id, "red", None, 10)
    first = house.spin(state.id, expected=1)
    assert first.spin == 1
    before = (house.session(state.id), house.spins(state.id), check_ledger(db))
    # The same request again, as after a lost answer: refused, and nothing changes.
    with pytest.raises(errors.SpinOutOfTurn, match=r"spin 1 .* has already been drawn"):
        house.spin(state.id, expected=1)
    with pytest.raises(errors.SpinOutOfTurn, match="the next is 2, not 5"):
        house.spin(state.id, expected=5)
    assert (house.session(state.id), house.spins(state.id), check_ledger(db)) == before
    assert house.spin(state.id, expected=2).spin == 2


@pytest.mark.parametrize("expected", ["1", 0, -1, True, 1.0, 2**63, [1]])
def test_a_bad_spin_number_is_refused(house: RouletteHouse, expected: object) -> None:
    state = house.open_session("alice")
    with pytest.raises(errors.InvalidRequest) as refused:
        house.spin(state.id, expected=expected)
    assert refused.value.field == "spin"
    assert house.spins(state.id) == []


def test_spins_follow_the_fair_draw(db: Database) -> None:
    house = fixed_house(db)
    state = house.open_session("alice", client_seed="alice-seed", wheel="european")
    drawn = [house.spin(state.id).result.pocket for _ in range(10)]
    assert drawn == [next_pocket("alice-seed", n, 37) for n in range(1, 11)]


def test_withdraw_refunds_and_cannot_repeat(house: RouletteHouse) -> None:
    state = house.open_session("alice")
    house.place_bet(state.id, "odd", None, 100)
    receipt = house.withdraw_bet(state.id, 1)
    assert receipt.bet.status == "withdrawn"
    assert receipt.balance == 1000
    assert house.session(state.id).open_stake == 0
    with pytest.raises(errors.BetNotOpen):
        house.withdraw_bet(state.id, 1)
    house.place_bet(state.id, "even", None, 10)
    house.spin(state.id)
    with pytest.raises(errors.BetNotOpen, match="settled"):
        house.withdraw_bet(state.id, 2)
    # The withdrawn bet was not settled by the spin.
    assert house.bet(state.id, 1).status == "withdrawn"
    assert house.bet(state.id, 1).outcome is None


def test_end_session_refunds_and_reveals(db: Database) -> None:
    house = fixed_house(db)
    state = house.open_session("alice", client_seed="c")
    for _ in range(5):
        house.place_bet(state.id, "red", None, 10)
        house.spin(state.id)
    house.place_bet(state.id, "high", None, 50)
    balance_before = house.session(state.id).balance
    ended = house.end_session(state.id)
    assert ended.status == "ended"
    assert ended.server_seed == SEED
    assert fairness.hash_server_seed(SEED) == ended.server_seed_hash
    assert ended.balance == balance_before + 50
    assert house.bet(state.id, 6).status == "refunded"
    assert house.bet(state.id, 6).outcome == 0
    verification = house.verify(state.id)
    assert verification.ok
    assert verification.spins_checked == 5
    assert check_ledger(db).ok


def test_verify_names_a_tampered_spin(house: RouletteHouse, db: Database) -> None:
    state = house.open_session("alice")
    for _ in range(3):
        house.spin(state.id)
    with pytest.raises(errors.SeedNotRevealed):
        house.verify(state.id)
    house.end_session(state.id)
    real = house.spins(state.id)[1].pocket
    forged = (real + 1) % 38
    with db.transaction() as tx:
        tx.execute("UPDATE spins SET pocket = ? WHERE session_id = ? AND n = 2", (forged, state.id))
    verification = house.verify(state.id)
    assert not verification.ok
    assert [(m.nonce, m.recorded, m.expected) for m in verification.mismatches] == [
        (2, forged, real)
    ]


def test_la_partage_returns_half(db: Database) -> None:
    house = fixed_house(db)
    # Find a client seed whose first European spin is zero: about one in 37 is.
    seed = next(f"s{i}" for i in range(10_000) if next_pocket(f"s{i}", 1, 37) == 0)
    state = house.open_session("eve", wheel="european", la_partage=True, client_seed=seed)
    house.place_bet(state.id, "red", None, 21)
    house.place_bet(state.id, "dozen", [1], 10)
    result = house.spin(state.id)
    assert result.result.pocket == 0
    assert [b.returned for b in result.settled] == [10, 0]  # half of 21, rounded down; nothing
    assert [b.outcome for b in result.settled] == [-11, -10]
    assert result.balance == 1000 - 31 + 10


def test_zero_pockets_bet_and_win(db: Database) -> None:
    house = fixed_house(db)
    seed = next(f"z{i}" for i in range(10_000) if next_pocket(f"z{i}", 1) == DOUBLE_ZERO)
    state = house.open_session("zed", client_seed=seed)
    house.place_bet(state.id, "straight", ["00"], 10)
    house.place_bet(state.id, "five", [0, "00", 1, 2, 3], 10)
    house.place_bet(state.id, "low", None, 10)
    result = house.spin(state.id)
    assert result.result.pocket == DOUBLE_ZERO
    assert [b.outcome for b in result.settled] == [350, 60, -10]


def test_idempotency_key_places_once(house: RouletteHouse) -> None:
    state = house.open_session("alice")
    first = house.place_bet(state.id, "red", None, 10, idempotency_key="k1")
    again = house.place_bet(state.id, "Red", [], 10, idempotency_key="k1")
    assert again.replayed
    assert not first.replayed
    assert again.bet.confirmation == first.bet.confirmation
    assert again.balance == first.balance == 990
    assert house.session(state.id).balance == 990
    with pytest.raises(errors.IdempotencyMismatch):
        house.place_bet(state.id, "red", None, 20, idempotency_key="k1")
    # The same key on another session is another bet.
    other = house.open_session("bob")
    assert house.place_bet(other.id, "red", None, 10, idempotency_key="k1").bet.confirmation == 1
    # A retry after the session ended still gets the first answer.
    house.end_session(state.id)
    assert house.place_bet(state.id, "red", None, 10, idempotency_key="k1").replayed


def test_sum_of_open_bets_is_limited(house: RouletteHouse) -> None:
    state = house.open_session("alice", table_min=10, table_max=100)
    house.place_bet(state.id, "red", None, 60)
    with pytest.raises(errors.OutsideTableLimits, match="bet at most 40") as info:
        house.place_bet(state.id, "black", None, 50)
    assert info.value.field == "amount"
    house.place_bet(state.id, "black", None, 40)
    house.spin(state.id)
    house.place_bet(state.id, "black", None, 100)  # the spin cleared the table


BAD_SESSION_OPTIONS = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "  bob  "}, "name"),  # not trimmed: what is sent is what is stored, or refused
    ({"name": "bo\u200bb"}, "name"),
    ({"name": None}, "name"),
    ({"name": 42}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": "bad\x00name"}, "name"),
    ({"name": "two\nlines"}, "name"),
    ({"bankroll": 0}, "bankroll"),
    ({"bankroll": -5}, "bankroll"),
    ({"bankroll": 10.5}, "bankroll"),
    ({"bankroll": "1000"}, "bankroll"),
    ({"bankroll": True}, "bankroll"),
    ({"bankroll": 10**12}, "bankroll"),
    ({"table_min": 0}, "table_min"),
    ({"table_min": 10**9}, "table_min"),
    ({"table_max": 5, "table_min": 10}, "table_max"),
    ({"table_max": 1.5}, "table_max"),
    ({"wheel": "french"}, "wheel"),
    ({"wheel": 3}, "wheel"),
    ({"la_partage": True}, "la_partage"),  # American wheel
    ({"la_partage": "yes", "wheel": "european"}, "la_partage"),
    ({"client_seed": ""}, "client_seed"),
    ({"client_seed": "s" * 65}, "client_seed"),
    ({"client_seed": ["a"]}, "client_seed"),
]


@pytest.mark.parametrize(("options", "field"), BAD_SESSION_OPTIONS)
def test_bad_session_options_change_nothing(
    house: RouletteHouse, options: dict[str, Any], field: str
) -> None:
    before = check_ledger(house.db)
    arguments = {"name": "alice", **options}
    name = arguments.pop("name")
    with pytest.raises(errors.InvalidRequest) as info:
        house.open_session(name, **arguments)
    assert info.value.field == field
    after = check_ledger(house.db)
    assert (after.entries, after.sessions) == (before.entries, before.sessions)


BAD_BETS = [
    # (proposition, numbers, amount, exception, field)
    ("purple", None, 10, errors.InvalidBet, "proposition"),
    (None, None, 10, errors.InvalidBet, "proposition"),
    ("split", [17, 21], 10, errors.InvalidBet, "numbers"),
    ("split", [3, 4], 10, errors.InvalidBet, "numbers"),
    ("split", [17], 10, errors.InvalidBet, "numbers"),
    ("street", [3, 4, 5], 10, errors.InvalidBet, "numbers"),
    ("corner", [3, 4, 6, 7], 10, errors.InvalidBet, "numbers"),
    ("first four", [0, 1, 2, 3], 10, errors.NotOnThisWheel, "proposition"),  # European only
    ("straight", [37], 10, errors.InvalidBet, "numbers"),
    ("straight", "17", 10, errors.InvalidBet, "numbers"),
    ("dozen", [4], 10, errors.InvalidBet, "numbers"),
    ("red", [1], 10, errors.InvalidBet, "numbers"),
    ("red", None, 0, errors.InvalidBet, "amount"),
    ("red", None, -10, errors.InvalidBet, "amount"),
    ("red", None, 10.0, errors.InvalidBet, "amount"),
    ("red", None, 12.5, errors.InvalidBet, "amount"),
    ("red", None, "10", errors.InvalidBet, "amount"),
    ("red", None, True, errors.InvalidBet, "amount"),
    ("red", None, None, errors.InvalidBet, "amount"),
    ("red", None, 5, errors.OutsideTableLimits, "amount"),  # below the minimum of 10
    ("red", None, 501, errors.OutsideTableLimits, "amount"),  # above the maximum of 500
    ("red", None, 10**30, errors.OutsideTableLimits, "amount"),
]


@pytest.mark.parametrize(("proposition", "numbers", "amount", "error", "field"), BAD_BETS)
def test_bad_bets_change_nothing(
    house: RouletteHouse,
    proposition: Any,
    numbers: Any,
    amount: Any,
    error: type[errors.HouseError],
    field: str,
) -> None:
    state = house.open_session("alice")
    house.place_bet(state.id, "red", None, 10)
    before = snapshot(house, state.id)
    with pytest.raises(error) as info:
        house.place_bet(state.id, proposition, numbers, amount)
    assert info.value.field == field
    assert info.value.message
    assert snapshot(house, state.id) == before


def test_insufficient_balance_changes_nothing(house: RouletteHouse) -> None:
    state = house.open_session("alice", bankroll=100, table_max=500)
    house.place_bet(state.id, "red", None, 60)
    before = snapshot(house, state.id)
    with pytest.raises(errors.InsufficientBalance, match="balance of 40"):
        house.place_bet(state.id, "red", None, 41)
    assert snapshot(house, state.id) == before
    house.place_bet(state.id, "red", None, 40)
    assert house.session(state.id).balance == 0


@pytest.mark.parametrize(
    "operation",
    [
        lambda h, s: h.place_bet(s, "red", None, 10),
        lambda h, s: h.spin(s),
        lambda h, s: h.withdraw_bet(s, 1),
        lambda h, s: h.end_session(s),
    ],
    ids=["bet", "spin", "withdraw", "end"],
)
def test_ended_session_refuses_everything(house: RouletteHouse, operation: Any) -> None:
    state = house.open_session("alice")
    house.place_bet(state.id, "red", None, 10)
    house.end_session(state.id)
    before = snapshot(house, state.id)
    with pytest.raises(errors.SessionEnded):
        operation(house, state.id)
    assert snapshot(house, state.id) == before


@pytest.mark.parametrize(
    "operation",
    [
        lambda h, s: h.place_bet(s, "red", None, 10),
        lambda h, s: h.spin(s),
        lambda h, s: h.withdraw_bet(s, 1),
        lambda h, s: h.end_session(s),
        lambda h, s: h.session(s),
        lambda h, s: h.bet(s, 1),
        lambda h, s: h.bets(s),
        lambda h, s: h.spins(s),
        lambda h, s: h.verify(s),
    ],
    ids=["bet", "spin", "withdraw", "end", "session", "get-bet", "bets", "spins", "verify"],
)
@pytest.mark.parametrize("session_id", ["nope", "", "x" * 500, "'; DROP TABLE bets; --", 7])
def test_unknown_session(house: RouletteHouse, operation: Any, session_id: Any) -> None:
    with pytest.raises(errors.UnknownSession):
        operation(house, session_id)


@pytest.mark.parametrize("confirmation", [2, 0, -1, "1", None, 1.0, True])
def test_unknown_bet(house: RouletteHouse, confirmation: Any) -> None:
    state = house.open_session("alice")
    house.place_bet(state.id, "red", None, 10)
    before = snapshot(house, state.id)
    with pytest.raises(errors.UnknownBet):
        house.bet(state.id, confirmation)
    with pytest.raises(errors.UnknownBet):
        house.withdraw_bet(state.id, confirmation)
    assert snapshot(house, state.id) == before


def test_bets_listing_rejects_unknown_status(house: RouletteHouse) -> None:
    state = house.open_session("alice")
    with pytest.raises(errors.InvalidRequest):
        house.bets(state.id, status="lost")


def test_error_tree() -> None:
    """Front doors map errors by class: the tree in errors.py must hold."""
    assert issubclass(errors.InvalidBet, errors.InvalidRequest)
    for conflict in (
        errors.InsufficientBalance,
        errors.SessionEnded,
        errors.BetNotOpen,
        errors.IdempotencyMismatch,
        errors.SeedNotRevealed,
    ):
        assert issubclass(conflict, errors.Conflict)
    for missing in (errors.UnknownSession, errors.UnknownBet):
        assert issubclass(missing, errors.NotFound)
    for kind in (errors.NotFound, errors.InvalidRequest, errors.Conflict, errors.HouseBusy):
        assert issubclass(kind, errors.HouseError)


def test_every_layout_bet_round_trips_through_the_store(house: RouletteHouse) -> None:
    """All 153 American propositions can be placed, stored, read back and settled."""
    from parlor.roulette.bets import all_bets

    state = house.open_session("alice", bankroll=10_000, table_min=1, table_max=1000)
    placed = [
        house.place_bet(state.id, bet.kind.value, bet.numbers_json(), 1).bet.bet
        for bet in all_bets(AMERICAN)
    ]
    stored = [b.bet for b in house.bets(state.id, status="open", limit=1000)]
    assert stored == placed
    result = house.spin(state.id)
    winners = [b for b in result.settled if b.outcome and b.outcome > 0]
    assert all(b.bet.wins(result.result.pocket) for b in winners)
    assert {b.bet.kind for b in winners} >= {BetKind.STRAIGHT}


def test_european_first_four(house: RouletteHouse) -> None:
    state = house.open_session("eu", wheel="european")
    receipt = house.place_bet(state.id, "First Four", [3, 2, 1, 0], 10)
    assert receipt.bet.bet.numbers == (0, 1, 2, 3)
    assert EUROPEAN.pocket_count == 37


def test_every_change_raises_the_version_and_is_reported_after_it_commits(
    house: RouletteHouse, db: Database
) -> None:
    heard: list[tuple[str, int, int]] = []

    def on_change(session_id: str, version: int) -> None:
        # Reported after the commit: a reader already sees the new version.
        heard.append((session_id, version, house.session(session_id).version))

    house.on_change = on_change
    state = house.open_session("alice")
    assert state.version == 1
    sid = state.id
    house.place_bet(sid, "red", None, 10, idempotency_key="k")
    house.place_bet(sid, "red", None, 10, idempotency_key="k")  # a replay changes nothing
    house.place_bet(sid, "black", None, 10)
    house.withdraw_bet(sid, 2)
    house.spin(sid)
    with pytest.raises(errors.OutsideTableLimits):  # a refusal changes nothing
        house.place_bet(sid, "red", None, 500_000)
    ended = house.end_session(sid)
    assert ended.version == 6
    assert heard == [(sid, v, v) for v in (2, 3, 4, 5, 6)]
    assert house.session_versions([sid, "nobody"]) == {sid: 6}
    assert house.session_versions([]) == {}


@pytest.mark.parametrize(
    ("wheel", "proposition", "numbers"),
    [("european", "straight", ["00"]), ("european", "five", [0, "00", 1, 2, 3]),
     ("american", "first_four", [0, 1, 2, 3])],
)  # fmt: skip
def test_a_bet_of_the_other_wheel_is_a_conflict_not_bad_input(
    house: RouletteHouse, wheel: str, proposition: str, numbers: list[int | str]
) -> None:
    """Valid on some table, so 409 on this one: the request is fine, the table is not."""
    state = house.open_session("wheels", wheel=wheel)
    with pytest.raises(errors.NotOnThisWheel) as info:
        house.place_bet(state.id, proposition, numbers, 10)
    assert info.value.field in ("proposition", "numbers")
    assert house.session(state.id) == state
