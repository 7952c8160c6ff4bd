"""The bet and start forms as pure functions: every bad input, and what passes."""

from __future__ import annotations

import pytest

from parlor.roulette.bets import BetKind
from parlor.roulette.wheel import AMERICAN, EUROPEAN
from parlor.web.forms import FormInvalid, Table, read_bet, read_start

TABLE = Table(AMERICAN, table_min=10, table_max=500, balance=1000, open_stake=0)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter how many chips"),
        ("   ", "Enter how many chips"),
        ("abc", "whole number"),
        ("1.5", "whole number"),
        ("-5", "whole number"),
        ("+5", "whole number"),
        ("1e3", "whole number"),
        ("١٢", "whole number"),  # Arabic-Indic digits: digits, but not how chips are written
        ("9" * 13, "whole number"),
        ("0", "more than 0"),
        ("00", "more than 0"),
        ("5", "table minimum is 10"),
        ("501", "table maximum is 500"),
    ],
)
def test_bad_amounts(amount: str, message: str) -> None:
    with pytest.raises(FormInvalid) as raised:
        read_bet({"amount": amount, "proposition": "red"}, TABLE)
    assert set(raised.value.errors) == {"amount"}
    assert message in raised.value.errors["amount"]
    assert raised.value.values["amount"] == amount[:80]


def test_more_than_the_balance() -> None:
    table = Table(AMERICAN, 10, 500, balance=40, open_stake=0)
    with pytest.raises(FormInvalid) as raised:
        read_bet({"amount": "50", "proposition": "red"}, table)
    assert raised.value.errors["amount"] == "You have only 40 chips."


def test_open_bets_over_the_table_maximum() -> None:
    table = Table(AMERICAN, 10, 500, balance=1000, open_stake=450)
    with pytest.raises(FormInvalid) as raised:
        read_bet({"amount": "100", "proposition": "red"}, table)
    assert "would total 550" in raised.value.errors["amount"]
    assert "at most 50" in raised.value.errors["amount"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose a bet"),
        ({"proposition": ""}, "Choose a bet"),
        ({"proposition": "purple"}, "Choose one of red, black"),
        ({"proposition": "split"}, "Choose one of"),
        ({"bet": "split:17,21"}, "17-21 is not a split"),
        ({"bet": "first_four:0,1,2,3"}, "only on the european wheel"),
        ({"bet": "straight:99"}, "not a pocket"),
        ({"bet": "straight:"}, "names 1 numbers"),
        ({"bet": "corner:1,2,3,4"}, "not a corner"),
        ({"bet": "nonsense"}, "unknown proposition"),
        ({"bet": "dozen:4"}, "not a dozen"),
        ({"bet": "red:1"}, "takes no numbers"),
        ({"bet": "<script>:1"}, "unknown proposition"),
    ],
)
def test_impossible_bets(fields: dict[str, str], message: str) -> None:
    with pytest.raises(FormInvalid) as raised:
        read_bet({"amount": "10", **fields}, TABLE)
    assert set(raised.value.errors) == {"proposition"}
    assert message in raised.value.errors["proposition"]


def test_both_fields_wrong_at_once() -> None:
    with pytest.raises(FormInvalid) as raised:
        read_bet({"amount": "x", "bet": "split:1,36"}, TABLE)
    assert set(raised.value.errors) == {"amount", "proposition"}


@pytest.mark.parametrize(
    ("fields", "kind", "numbers"),
    [
        ({"proposition": "red"}, BetKind.RED, None),
        ({"proposition": " High "}, BetKind.HIGH, None),
        ({"bet": "split:17,20"}, BetKind.SPLIT, [17, 20]),
        ({"bet": "straight:00"}, BetKind.STRAIGHT, ["00"]),
        ({"bet": "five:0,1,2,3,00"}, BetKind.FIVE, ["0", 1, 2, 3, "00"]),
        ({"bet": "dozen:2"}, BetKind.DOZEN, [2]),
        # A layout button wins over the select: the person clicked it.
        ({"bet": "column:3", "proposition": "red"}, BetKind.COLUMN, [3]),
    ],
)
def test_good_bets(fields: dict[str, str], kind: BetKind, numbers: list[object] | None) -> None:
    order = read_bet({"amount": " 25 ", **fields}, TABLE)
    assert (order.bet.kind, order.amount, order.numbers) == (kind, 25, numbers)


def test_the_european_layout() -> None:
    table = Table(EUROPEAN, 10, 500, 1000, 0)
    assert read_bet({"amount": "10", "bet": "first_four:0,1,2,3"}, table).bet.kind.value == (
        "first_four"
    )
    with pytest.raises(FormInvalid):
        read_bet({"amount": "10", "bet": "straight:00"}, table)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "wheel": "american"}, "name", "Enter a name"),
        ({"name": "   ", "wheel": "american"}, "name", "Enter a name"),
        ({"name": "x" * 65, "wheel": "american"}, "name", "at most 64"),
        ({"name": "a\x00b", "wheel": "american"}, "name", "control or invisible characters"),
        ({"name": "a\u202eb", "wheel": "american"}, "name", "control or invisible characters"),
        ({"name": "alice", "wheel": "french"}, "wheel", "American or the European"),
        ({"name": "alice"}, "wheel", "American or the European"),
    ],
)
def test_bad_starts(fields: dict[str, str], field: str, message: str) -> None:
    with pytest.raises(FormInvalid) as raised:
        read_start(fields)
    assert set(raised.value.errors) == {field}
    assert message in raised.value.errors[field]


def test_a_good_start() -> None:
    order = read_start({"name": "  <script>alert(1)</script> ", "wheel": "European"})
    assert (order.name, order.wheel) == ("<script>alert(1)</script>", "european")
