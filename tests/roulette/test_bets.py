"""Tests for parlor.roulette.bets: the layout, payouts, house edge, validation and settlement."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor.roulette.bets import (
    EVEN_MONEY,
    ODDS,
    Bet,
    BetKind,
    RuleViolation,
    all_bets,
    expected_return,
    house_edge,
    kinds_for,
    make_bet,
    parse_kind,
    settle,
    stored_bet,
    validate_amount,
)
from parlor.roulette.wheel import AMERICAN, DOUBLE_ZERO, EUROPEAN, RED_NUMBERS, Wheel

AMERICAN_BETS = list(all_bets(AMERICAN))
EUROPEAN_BETS = list(all_bets(EUROPEAN))
NUMBERS = range(1, 37)

BOTH_WHEELS = pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN], ids=["american", "european"])

OUTSIDE_KINDS = frozenset(
    {
        BetKind.DOZEN,
        BetKind.COLUMN,
        BetKind.RED,
        BetKind.BLACK,
        BetKind.EVEN,
        BetKind.ODD,
        BetKind.LOW,
        BetKind.HIGH,
    }
)

#: Bets whose canonical numbers hold 00 (37): see the xfail on the stored_bet round trip.
_HAS_DOUBLE_ZERO = [bet for bet in AMERICAN_BETS if DOUBLE_ZERO in bet.numbers]


def _bet_id(bet: Bet) -> str:
    return bet.describe()


# --- the layout --------------------------------------------------------------------------------


def test_american_layout_has_153_distinct_bets() -> None:
    assert len(AMERICAN_BETS) == 153
    assert len(set(AMERICAN_BETS)) == 153
    assert len({(bet.kind, bet.covers) for bet in AMERICAN_BETS}) == 153
    assert Counter(bet.kind for bet in AMERICAN_BETS) == {
        BetKind.STRAIGHT: 38,
        BetKind.SPLIT: 57,
        BetKind.STREET: 12,
        BetKind.CORNER: 22,
        BetKind.FIVE: 1,
        BetKind.SIX_LINE: 11,
        BetKind.DOZEN: 3,
        BetKind.COLUMN: 3,
        BetKind.RED: 1,
        BetKind.BLACK: 1,
        BetKind.EVEN: 1,
        BetKind.ODD: 1,
        BetKind.LOW: 1,
        BetKind.HIGH: 1,
    }


def test_european_layout_has_152_distinct_bets() -> None:
    assert len(EUROPEAN_BETS) == 152
    assert len(set(EUROPEAN_BETS)) == 152
    assert len({(bet.kind, bet.covers) for bet in EUROPEAN_BETS}) == 152
    assert Counter(bet.kind for bet in EUROPEAN_BETS) == {
        BetKind.STRAIGHT: 37,
        BetKind.SPLIT: 57,
        BetKind.STREET: 12,
        BetKind.CORNER: 22,
        BetKind.FIRST_FOUR: 1,
        BetKind.SIX_LINE: 11,
        BetKind.DOZEN: 3,
        BetKind.COLUMN: 3,
        BetKind.RED: 1,
        BetKind.BLACK: 1,
        BetKind.EVEN: 1,
        BetKind.ODD: 1,
        BetKind.LOW: 1,
        BetKind.HIGH: 1,
    }


@BOTH_WHEELS
def test_straights_cover_every_pocket_once(wheel: Wheel) -> None:
    straights = [bet for bet in all_bets(wheel) if bet.kind is BetKind.STRAIGHT]
    assert sorted(bet.numbers[0] for bet in straights) == list(wheel.pockets)
    assert all(bet.covers == {bet.numbers[0]} for bet in straights)


def test_splits_are_exactly_the_layout_neighbours() -> None:
    # Independent construction: grid coordinates, neighbours across or down.
    def pos(n: int) -> tuple[int, int]:
        return (n - 1) // 3, (n - 1) % 3

    expected = set()
    for a in NUMBERS:
        for b in NUMBERS:
            (ra, ca), (rb, cb) = pos(a), pos(b)
            if a < b and abs(ra - rb) + abs(ca - cb) == 1:
                expected.add((a, b))
    splits = {bet.numbers for bet in AMERICAN_BETS if bet.kind is BetKind.SPLIT}
    assert splits == expected
    assert len(expected) == 57
    assert (3, 4) not in splits


def test_streets_corners_and_six_lines() -> None:
    streets = {bet.numbers for bet in AMERICAN_BETS if bet.kind is BetKind.STREET}
    assert streets == {(n, n + 1, n + 2) for n in range(1, 37, 3)}
    corners = {bet.numbers for bet in AMERICAN_BETS if bet.kind is BetKind.CORNER}
    assert corners == {(n, n + 1, n + 3, n + 4) for n in range(1, 33) if n % 3 != 0}
    lines = {bet.numbers for bet in AMERICAN_BETS if bet.kind is BetKind.SIX_LINE}
    assert lines == {tuple(range(n, n + 6)) for n in range(1, 32, 3)}


def test_outside_bet_coverage() -> None:
    covers = {(bet.kind, bet.numbers): bet.covers for bet in AMERICAN_BETS}
    assert covers[(BetKind.DOZEN, (1,))] == set(range(1, 13))
    assert covers[(BetKind.DOZEN, (2,))] == set(range(13, 25))
    assert covers[(BetKind.DOZEN, (3,))] == set(range(25, 37))
    assert covers[(BetKind.COLUMN, (1,))] == set(range(1, 37, 3))
    assert covers[(BetKind.COLUMN, (2,))] == set(range(2, 37, 3))
    assert covers[(BetKind.COLUMN, (3,))] == set(range(3, 37, 3))
    assert covers[(BetKind.RED, ())] == RED_NUMBERS
    assert covers[(BetKind.BLACK, ())] == set(NUMBERS) - RED_NUMBERS
    assert covers[(BetKind.EVEN, ())] == set(range(2, 37, 2))
    assert covers[(BetKind.ODD, ())] == set(range(1, 37, 2))
    assert covers[(BetKind.LOW, ())] == set(range(1, 19))
    assert covers[(BetKind.HIGH, ())] == set(range(19, 37))


def test_five_and_first_four() -> None:
    (five,) = [bet for bet in AMERICAN_BETS if bet.kind is BetKind.FIVE]
    assert five.covers == {0, DOUBLE_ZERO, 1, 2, 3}
    assert five.numbers == (0, 1, 2, 3, DOUBLE_ZERO)
    (first_four,) = [bet for bet in EUROPEAN_BETS if bet.kind is BetKind.FIRST_FOUR]
    assert first_four.covers == {0, 1, 2, 3}
    assert first_four.numbers == (0, 1, 2, 3)


def test_kinds_for() -> None:
    assert BetKind.FIVE in kinds_for(AMERICAN)
    assert BetKind.FIRST_FOUR not in kinds_for(AMERICAN)
    assert BetKind.FIRST_FOUR in kinds_for(EUROPEAN)
    assert BetKind.FIVE not in kinds_for(EUROPEAN)
    assert set(kinds_for(AMERICAN)) == {bet.kind for bet in AMERICAN_BETS}
    assert set(kinds_for(EUROPEAN)) == {bet.kind for bet in EUROPEAN_BETS}


# --- payouts and house edge --------------------------------------------------------------------


#: Every bet of both layouts, with its wheel.
EVERY_BET = [(wheel, bet) for wheel in (AMERICAN, EUROPEAN) for bet in all_bets(wheel)]


def _fair_odds(covered: int) -> Fraction:
    """What a bet on ``covered`` of the 36 numbers pays, to one, in a fair game: 36/k - 1."""
    return Fraction(36, covered) - 1


def test_fair_odds() -> None:
    """36/k - 1 gives the odds everyone knows: 35, 17, 11, 8, 5, 2 and 1 to one."""
    assert [_fair_odds(k) for k in (1, 2, 3, 4, 6, 12, 18)] == [35, 17, 11, 8, 5, 2, 1]
    assert _fair_odds(5) == Fraction(31, 5)  # 6.2: the five has no whole fair odds


@pytest.mark.parametrize(
    ("wheel", "bet"), EVERY_BET, ids=[f"{w.kind}-{_bet_id(b)}" for w, b in EVERY_BET]
)
def test_odds_are_those_of_a_fair_game_on_36_numbers(wheel: Wheel, bet: Bet) -> None:
    """A bet covering k of the 36 numbers pays 36/k - 1 to one: the odds come from the definition.

    k is read off the bet's own coverage, so nothing here repeats the table of odds:
    a wrong entry in ``ODDS`` fails, and so does a bet that covers the wrong pockets.
    The documented exception is the American five (0, 00, 1, 2, 3): it covers 5
    pockets, whose fair odds 36/5 - 1 = 6.2 are not whole, and pays 6, the house's
    worse bet. The first four (0, 1, 2, 3) covers 4 and pays the fair 8.
    """
    covered = len(bet.covers)
    fair = _fair_odds(covered)
    if bet.kind is BetKind.FIVE:
        assert (wheel, covered) == (AMERICAN, 5)
        expected = 6
        assert expected < fair
    else:
        assert fair.denominator == 1, f"{bet.describe()} covers {covered} pockets"
        expected = int(fair)
    assert bet.odds == ODDS[bet.kind] == expected
    # settle() hands back the stake plus odds × stake on every pocket the bet covers,
    # and nothing on the others.
    for amount in (1, 7):
        for pocket in wheel.pockets:
            back = amount * (expected + 1) if pocket in bet.covers else 0
            assert settle(bet, amount, pocket) == back, (bet.describe(), pocket)


def test_every_kind_in_the_odds_table_is_checked_against_its_definition() -> None:
    assert {bet.kind for _, bet in EVERY_BET} == set(ODDS) == set(BetKind)


def test_even_money_kinds() -> None:
    assert (
        frozenset(
            {BetKind.RED, BetKind.BLACK, BetKind.EVEN, BetKind.ODD, BetKind.LOW, BetKind.HIGH}
        )
        == EVEN_MONEY
    )


def _edge_by_settling(bet: Bet, wheel: Wheel, *, la_partage: bool = False) -> Fraction:
    """The house edge computed from settle(): chips kept over chips staked, every pocket once."""
    amount = 2  # even, so la partage halves exactly
    returned = sum(settle(bet, amount, p, la_partage=la_partage) for p in wheel.pockets)
    staked = amount * wheel.pocket_count
    return Fraction(staked - returned, staked)


def test_american_house_edge() -> None:
    for bet in AMERICAN_BETS:
        expected = Fraction(3, 38) if bet.kind is BetKind.FIVE else Fraction(2, 38)
        assert house_edge(bet, AMERICAN) == expected, bet
        assert _edge_by_settling(bet, AMERICAN) == expected, bet
        assert expected_return(bet, AMERICAN) == -expected


def test_european_house_edge() -> None:
    for bet in EUROPEAN_BETS:
        assert house_edge(bet, EUROPEAN) == Fraction(1, 37), bet
        assert _edge_by_settling(bet, EUROPEAN) == Fraction(1, 37), bet


def test_european_house_edge_with_la_partage() -> None:
    for bet in EUROPEAN_BETS:
        expected = Fraction(1, 74) if bet.kind in EVEN_MONEY else Fraction(1, 37)
        assert house_edge(bet, EUROPEAN, la_partage=True) == expected, bet
        assert _edge_by_settling(bet, EUROPEAN, la_partage=True) == expected, bet


@BOTH_WHEELS
@pytest.mark.parametrize("la_partage", [False, True])
def test_settle_and_house_edge_agree_for_every_bet(wheel: Wheel, la_partage: bool) -> None:
    for bet in all_bets(wheel):
        assert house_edge(bet, wheel, la_partage=la_partage) == _edge_by_settling(
            bet, wheel, la_partage=la_partage
        ), bet


@pytest.mark.parametrize("pocket", [0, DOUBLE_ZERO])
def test_zeros_lose_every_outside_bet(pocket: int) -> None:
    outside = [bet for bet in AMERICAN_BETS if bet.kind in OUTSIDE_KINDS]
    assert len(outside) == 12
    for bet in outside:
        assert not bet.wins(pocket)
        assert settle(bet, 10, pocket) == 0, bet


# --- settle ------------------------------------------------------------------------------------


def test_settle_winning_straight() -> None:
    bet = make_bet("straight", [17], AMERICAN)
    assert settle(bet, 10, 17) == 360


def test_settle_losing_straight() -> None:
    bet = make_bet("straight", [17], AMERICAN)
    assert settle(bet, 10, 18) == 0
    assert settle(bet, 10, 0) == 0
    assert settle(bet, 10, DOUBLE_ZERO) == 0


def test_settle_straight_double_zero() -> None:
    bet = make_bet("straight", ["00"], AMERICAN)
    assert settle(bet, 1, DOUBLE_ZERO) == 36
    assert settle(bet, 1, 0) == 0


def test_settle_split_and_even_money() -> None:
    split = make_bet("split", [17, 20], AMERICAN)
    assert settle(split, 3, 20) == 54
    assert settle(split, 3, 19) == 0
    red = make_bet("red", None, AMERICAN)
    assert settle(red, 5, 1) == 10
    assert settle(red, 5, 2) == 0


@pytest.mark.parametrize("kind", sorted(EVEN_MONEY))
@pytest.mark.parametrize(("amount", "back"), [(10, 5), (11, 5), (1, 0), (2, 1)])
def test_la_partage_on_zero_returns_half_of_even_money(
    kind: BetKind, amount: int, back: int
) -> None:
    bet = make_bet(kind, None, EUROPEAN)
    assert settle(bet, amount, 0, la_partage=True) == back
    assert settle(bet, amount, 0, la_partage=False) == 0
    assert settle(bet, amount, 0) == 0


def test_la_partage_does_not_apply_to_other_bets_or_other_losses() -> None:
    straight = make_bet("straight", [1], EUROPEAN)
    assert settle(straight, 10, 0, la_partage=True) == 0
    dozen = make_bet("dozen", [1], EUROPEAN)
    assert settle(dozen, 10, 0, la_partage=True) == 0
    red = make_bet("red", None, EUROPEAN)
    # A losing non-zero pocket is a full loss; a win is a full win.
    assert settle(red, 10, 2, la_partage=True) == 0
    assert settle(red, 10, 1, la_partage=True) == 20


# --- make_bet: accepted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "numbers", "wheel", "expected_kind", "expected_numbers"),
    [
        ("Red", None, AMERICAN, BetKind.RED, ()),
        ("red", [], AMERICAN, BetKind.RED, ()),
        ("RED", (), EUROPEAN, BetKind.RED, ()),
        ("black", None, AMERICAN, BetKind.BLACK, ()),
        ("Even", None, AMERICAN, BetKind.EVEN, ()),
        ("odd", None, AMERICAN, BetKind.ODD, ()),
        ("low", None, AMERICAN, BetKind.LOW, ()),
        ("HIGH", None, AMERICAN, BetKind.HIGH, ()),
        ("split", [17, 20], AMERICAN, BetKind.SPLIT, (17, 20)),
        ("split", [20, 17], AMERICAN, BetKind.SPLIT, (17, 20)),
        ("split", ["20", "17"], AMERICAN, BetKind.SPLIT, (17, 20)),
        ("split", [17, 18], AMERICAN, BetKind.SPLIT, (17, 18)),
        ("SPLIT", (35, 36), EUROPEAN, BetKind.SPLIT, (35, 36)),
        ("straight", ["00"], AMERICAN, BetKind.STRAIGHT, (DOUBLE_ZERO,)),
        ("straight", [0], AMERICAN, BetKind.STRAIGHT, (0,)),
        ("straight", [0], EUROPEAN, BetKind.STRAIGHT, (0,)),
        ("straight", ["0"], EUROPEAN, BetKind.STRAIGHT, (0,)),
        ("Straight", [36], AMERICAN, BetKind.STRAIGHT, (36,)),
        ("street", [4, 5, 6], AMERICAN, BetKind.STREET, (4, 5, 6)),
        ("street", [36, 34, 35], AMERICAN, BetKind.STREET, (34, 35, 36)),
        ("corner", [1, 2, 4, 5], AMERICAN, BetKind.CORNER, (1, 2, 4, 5)),
        ("corner", [2, 3, 5, 6], AMERICAN, BetKind.CORNER, (2, 3, 5, 6)),
        ("corner", [36, 35, 33, 32], EUROPEAN, BetKind.CORNER, (32, 33, 35, 36)),
        ("six line", [1, 2, 3, 4, 5, 6], AMERICAN, BetKind.SIX_LINE, (1, 2, 3, 4, 5, 6)),
        ("Six-Line", [6, 5, 4, 3, 2, 1], AMERICAN, BetKind.SIX_LINE, (1, 2, 3, 4, 5, 6)),
        ("six_line", [31, 32, 33, 34, 35, 36], EUROPEAN, BetKind.SIX_LINE, tuple(range(31, 37))),
        ("SIXLINE", [4, 5, 6, 7, 8, 9], AMERICAN, BetKind.SIX_LINE, (4, 5, 6, 7, 8, 9)),
        ("line", [4, 5, 6, 7, 8, 9], AMERICAN, BetKind.SIX_LINE, (4, 5, 6, 7, 8, 9)),
        ("five", [0, "00", 1, 2, 3], AMERICAN, BetKind.FIVE, (0, 1, 2, 3, DOUBLE_ZERO)),
        ("Five", ["00", 3, 2, 1, "0"], AMERICAN, BetKind.FIVE, (0, 1, 2, 3, DOUBLE_ZERO)),
        ("first four", [0, 1, 2, 3], EUROPEAN, BetKind.FIRST_FOUR, (0, 1, 2, 3)),
        ("First_Four", [3, 2, 1, 0], EUROPEAN, BetKind.FIRST_FOUR, (0, 1, 2, 3)),
        ("dozen", [2], AMERICAN, BetKind.DOZEN, (2,)),
        ("dozen", ["2"], AMERICAN, BetKind.DOZEN, (2,)),
        ("Dozen", [" 3 "], EUROPEAN, BetKind.DOZEN, (3,)),
        ("column", [3], AMERICAN, BetKind.COLUMN, (3,)),
        ("COLUMN", [1], EUROPEAN, BetKind.COLUMN, (1,)),
        (BetKind.CORNER, [1, 2, 4, 5], AMERICAN, BetKind.CORNER, (1, 2, 4, 5)),
    ],
)
def test_make_bet_accepts(
    kind: object,
    numbers: list[object] | None,
    wheel: Wheel,
    expected_kind: BetKind,
    expected_numbers: tuple[int, ...],
) -> None:
    bet = make_bet(kind, numbers, wheel)
    assert bet.kind is expected_kind
    assert bet.numbers == expected_numbers
    assert bet in (AMERICAN_BETS if wheel is AMERICAN else EUROPEAN_BETS)


def test_make_bet_is_canonical_regardless_of_order() -> None:
    assert make_bet("split", [20, 17], AMERICAN) == make_bet("split", [17, 20], AMERICAN)
    assert make_bet("corner", [5, 4, 2, 1], AMERICAN) == make_bet("corner", [1, 2, 4, 5], AMERICAN)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("straight", BetKind.STRAIGHT),
        ("Six line", BetKind.SIX_LINE),
        ("six-line", BetKind.SIX_LINE),
        ("sixline", BetKind.SIX_LINE),
        ("First Four", BetKind.FIRST_FOUR),
        ("basket", BetKind.FIVE),
        ("top line", BetKind.FIVE),
        ("manque", BetKind.LOW),
        ("Passe", BetKind.HIGH),
        ("RED", BetKind.RED),
    ],
)
def test_parse_kind(text: str, kind: BetKind) -> None:
    assert parse_kind(text) is kind


# --- make_bet: rejected ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "numbers", "wheel", "field"),
    [
        # unknown propositions
        ("purple", None, AMERICAN, "proposition"),
        (None, None, AMERICAN, "proposition"),
        (5, [5], AMERICAN, "proposition"),
        ("", None, AMERICAN, "proposition"),
        (b"red", None, AMERICAN, "proposition"),
        # a kind that exists on the other wheel only
        ("five", [0, 1, 2, 3], EUROPEAN, "proposition"),
        ("five", [0, "00", 1, 2, 3], EUROPEAN, "proposition"),
        ("first four", [0, 1, 2, 3], AMERICAN, "proposition"),
        # splits
        ("split", [17, 21], AMERICAN, "numbers"),  # not adjacent
        ("split", [3, 4], AMERICAN, "numbers"),  # row wrap: 3 ends a row, 4 starts the next
        ("split", [6, 7], AMERICAN, "numbers"),  # row wrap again
        ("split", [1, 5], AMERICAN, "numbers"),  # diagonal
        ("split", [0, 1], AMERICAN, "numbers"),  # zero splits are not on this layout
        ("split", [0, 1], EUROPEAN, "numbers"),
        ("split", [0, "00"], AMERICAN, "numbers"),
        ("split", [17, 17], AMERICAN, "numbers"),  # duplicate
        ("split", [17, "17"], AMERICAN, "numbers"),  # duplicate, spelled differently
        ("split", [17], AMERICAN, "numbers"),  # too few
        ("split", [1, 2, 3], AMERICAN, "numbers"),  # too many
        ("split", None, AMERICAN, "numbers"),
        ("split", [], AMERICAN, "numbers"),
        # streets
        ("street", [3, 4, 5], AMERICAN, "numbers"),
        ("street", [1, 4, 7], AMERICAN, "numbers"),  # a column slice, not a row
        ("street", [0, 1, 2], AMERICAN, "numbers"),
        ("street", [1, 2], AMERICAN, "numbers"),
        # corners
        ("corner", [3, 4, 6, 7], AMERICAN, "numbers"),  # wraps the row edge
        ("corner", [1, 2, 3, 4], AMERICAN, "numbers"),
        ("corner", [1, 2, 5, 6], AMERICAN, "numbers"),
        ("corner", [0, 1, 2, 3], AMERICAN, "numbers"),  # that is the first four, not a corner
        ("corner", [0, 1, 2, 3], EUROPEAN, "numbers"),
        ("corner", [33, 34, 36, 37], AMERICAN, "numbers"),  # 37 is not a pocket name
        ("corner", [1, 2, 4], AMERICAN, "numbers"),
        # six lines
        ("six line", [3, 4, 5, 6, 7, 8], AMERICAN, "numbers"),
        ("six line", [1, 2, 3, 7, 8, 9], AMERICAN, "numbers"),  # streets not neighbours
        ("six line", [0, 1, 2, 3, 4, 5], AMERICAN, "numbers"),
        ("six line", [1, 2, 3, 4, 5], AMERICAN, "numbers"),
        # five / first four with the wrong pockets
        ("five", [0, 1, 2, 3, 4], AMERICAN, "numbers"),
        ("five", [0, "00", 1, 2], AMERICAN, "numbers"),
        ("first four", [1, 2, 4, 5], EUROPEAN, "numbers"),
        ("first four", [0, 1, 2], EUROPEAN, "numbers"),
        # straights
        ("straight", ["00"], EUROPEAN, "numbers"),
        ("straight", [37], AMERICAN, "numbers"),
        ("straight", [37], EUROPEAN, "numbers"),
        ("straight", [-1], AMERICAN, "numbers"),
        ("straight", ["07"], AMERICAN, "numbers"),
        ("straight", [1, 2], AMERICAN, "numbers"),
        ("straight", [], AMERICAN, "numbers"),
        # dozens and columns
        ("dozen", [0], AMERICAN, "numbers"),
        ("dozen", [4], AMERICAN, "numbers"),
        ("dozen", [True], AMERICAN, "numbers"),
        ("dozen", ["x"], AMERICAN, "numbers"),
        ("dozen", [1, 2], AMERICAN, "numbers"),
        ("dozen", [], AMERICAN, "numbers"),
        ("dozen", None, AMERICAN, "numbers"),
        ("dozen", [2.0], AMERICAN, "numbers"),
        ("dozen", [None], AMERICAN, "numbers"),
        ("column", [0], AMERICAN, "numbers"),
        ("column", ["4"], EUROPEAN, "numbers"),
        # even-money bets take no numbers
        ("red", [1], AMERICAN, "numbers"),
        ("odd", [None], AMERICAN, "numbers"),
        # numbers must be a list
        ("split", "17,20", AMERICAN, "numbers"),
        ("split", b"17,20", AMERICAN, "numbers"),
        ("straight", "5", AMERICAN, "numbers"),
        ("red", "", AMERICAN, "numbers"),
        ("split", {17, 20}, AMERICAN, "numbers"),
        ("split", {17: 20}, AMERICAN, "numbers"),
        ("straight", 5, AMERICAN, "numbers"),
        # bad pocket values
        ("split", [17, None], AMERICAN, "numbers"),
        ("split", [17.0, 20], AMERICAN, "numbers"),
        ("split", [True, 2], AMERICAN, "numbers"),
        ("straight", [None], AMERICAN, "numbers"),
        ("straight", [1.0], AMERICAN, "numbers"),
        ("straight", [True], AMERICAN, "numbers"),
        ("straight", [False], AMERICAN, "numbers"),
        ("straight", [[1]], AMERICAN, "numbers"),
    ],
)
def test_make_bet_rejects(kind: object, numbers: object, wheel: Wheel, field: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        make_bet(kind, numbers, wheel)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == str(caught.value)
    assert caught.value.message


def test_rule_violation_carries_field_and_message() -> None:
    error = RuleViolation("numbers", "bad")
    assert error.field == "numbers"
    assert error.message == "bad"
    assert str(error) == "bad"
    assert isinstance(error, ValueError)


# --- validate_amount ---------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1, 2, 10, 10**9])
def test_validate_amount_accepts(amount: int) -> None:
    assert validate_amount(amount) == amount


@pytest.mark.parametrize("amount", [0, -5, 1.5, 10.0, "10", True, False, None, [10]])
def test_validate_amount_rejects(amount: object) -> None:
    with pytest.raises(RuleViolation) as caught:
        validate_amount(amount)
    assert caught.value.field == "amount"


# --- describe and numbers_json -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "numbers", "wheel", "text", "as_json"),
    [
        ("split", [20, 17], AMERICAN, "split 17-20", [17, 20]),
        ("straight", ["00"], AMERICAN, "straight 00", ["00"]),
        ("straight", [0], EUROPEAN, "straight 0", ["0"]),
        ("straight", [7], EUROPEAN, "straight 7", [7]),
        ("dozen", [2], AMERICAN, "dozen 2", [2]),
        ("column", ["3"], AMERICAN, "column 3", [3]),
        ("red", None, AMERICAN, "red", []),
        ("high", None, EUROPEAN, "high", []),
        ("six line", [1, 2, 3, 4, 5, 6], AMERICAN, "six line 1-2-3-4-5-6", [1, 2, 3, 4, 5, 6]),
        ("street", [4, 5, 6], AMERICAN, "street 4-5-6", [4, 5, 6]),
        ("corner", [1, 2, 4, 5], AMERICAN, "corner 1-2-4-5", [1, 2, 4, 5]),
        ("five", [0, "00", 1, 2, 3], AMERICAN, "five 0-1-2-3-00", ["0", 1, 2, 3, "00"]),
        ("first four", [0, 1, 2, 3], EUROPEAN, "first four 0-1-2-3", ["0", 1, 2, 3]),
    ],
)
def test_describe_and_numbers_json(
    kind: str, numbers: list[object] | None, wheel: Wheel, text: str, as_json: list[int | str]
) -> None:
    bet = make_bet(kind, numbers, wheel)
    assert bet.describe() == text
    assert bet.numbers_json() == as_json
    assert [type(x) for x in bet.numbers_json()] == [type(x) for x in as_json]


@BOTH_WHEELS
def test_describe_is_unique_per_bet(wheel: Wheel) -> None:
    bets = list(all_bets(wheel))
    assert len({bet.describe() for bet in bets}) == len(bets)


@BOTH_WHEELS
def test_numbers_json_feeds_back_into_make_bet(wheel: Wheel) -> None:
    # What the REST API writes is what a client can send back.
    for bet in all_bets(wheel):
        assert make_bet(bet.kind.value, bet.numbers_json(), wheel) == bet


# --- properties --------------------------------------------------------------------------------


@given(
    bet=st.sampled_from(AMERICAN_BETS),
    pocket=st.sampled_from(AMERICAN.pockets),
    amount=st.integers(min_value=1, max_value=10**12),
)
def test_settle_is_all_or_nothing_on_american(bet: Bet, pocket: int, amount: int) -> None:
    back = settle(bet, amount, pocket)
    assert back in (0, amount * (bet.odds + 1))
    assert (back > 0) is (pocket in bet.covers)
    assert bet.wins(pocket) is (pocket in bet.covers)
    # la partage changes nothing for pockets other than 0, nor for non-even-money bets
    if pocket != 0 or bet.kind not in EVEN_MONEY:
        assert settle(bet, amount, pocket, la_partage=True) == back


@given(
    bet=st.sampled_from(EUROPEAN_BETS),
    pocket=st.sampled_from(EUROPEAN.pockets),
    amount=st.integers(min_value=1, max_value=10**12),
)
def test_settle_with_la_partage_on_european(bet: Bet, pocket: int, amount: int) -> None:
    back = settle(bet, amount, pocket, la_partage=True)
    if pocket in bet.covers:
        assert back == amount * (bet.odds + 1)
    elif pocket == 0 and bet.kind in EVEN_MONEY:
        assert back == amount // 2
    else:
        assert back == 0


def test_american_fair_count_is_36_for_every_bet_but_the_five() -> None:
    # Winning pockets × (payout + 1) == 36 for each bet: a fair game would need 38.
    for bet in AMERICAN_BETS:
        winners = sum(1 for pocket in AMERICAN.pockets if bet.wins(pocket))
        assert winners == len(bet.covers)
        if bet.kind is BetKind.FIVE:
            assert winners * (bet.odds + 1) == 35
        else:
            assert winners * (bet.odds + 1) == 36, bet


def test_european_fair_count_is_36_for_every_bet() -> None:
    for bet in EUROPEAN_BETS:
        assert len(bet.covers) * (bet.odds + 1) == 36, bet


# --- stored_bet --------------------------------------------------------------------------------


@BOTH_WHEELS
def test_stored_bet_round_trips_every_bet(wheel: Wheel) -> None:
    bets = list(all_bets(wheel))
    for bet in bets:
        again = stored_bet(bet.kind.value, bet.numbers, wheel)
        assert again == bet
        assert again.covers == bet.covers
    assert len(bets) == (153 if wheel is AMERICAN else 152)


def test_the_american_double_zero_bets() -> None:
    assert [bet.describe() for bet in _HAS_DOUBLE_ZERO] == ["straight 00", "five 0-1-2-3-00"]


@pytest.mark.parametrize("bet", _HAS_DOUBLE_ZERO, ids=_bet_id)
def test_stored_bet_reads_double_zero_stored_as_37(bet: Bet) -> None:
    # Regression: the canonical numbers hold 00 as the int 37, which make_bet alone refuses.
    assert DOUBLE_ZERO in bet.numbers
    again = stored_bet(bet.kind.value, bet.numbers, AMERICAN)
    assert again == bet
    assert again.covers == bet.covers
    with pytest.raises(RuleViolation) as caught:
        make_bet(bet.kind.value, list(bet.numbers), AMERICAN)
    assert caught.value.field == "numbers"


def test_stored_bet_does_not_put_double_zero_on_the_european_wheel() -> None:
    with pytest.raises(RuleViolation) as caught:
        stored_bet("straight", [DOUBLE_ZERO], EUROPEAN)
    assert caught.value.field == "numbers"
