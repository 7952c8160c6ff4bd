"""Tests for parlor.roulette.wheel: the rims, pocket meanings, parsing and the house spinner."""

from __future__ import annotations

from collections import Counter

import pytest

from parlor.roulette.wheel import (
    AMERICAN,
    DOUBLE_ZERO,
    EUROPEAN,
    RED_NUMBERS,
    WHEELS,
    ZERO_POCKETS,
    Spin,
    Wheel,
    WheelKind,
    color,
    column,
    describe,
    dozen,
    json_number,
    label,
    parse_pocket,
    wheel_for,
)

#: The real wheel orders, clockwise from 0, written the way a croupier reads them.
# fmt: off
AMERICAN_ORDER = [
    "0", "28", "9", "26", "30", "11", "7", "20", "32", "17", "5", "22", "34", "15", "3", "24",
    "36", "13", "1", "00", "27", "10", "25", "29", "12", "8", "19", "31", "18", "6", "21", "33",
    "16", "4", "23", "35", "14", "2",
]
EUROPEAN_ORDER = [
    "0", "32", "15", "19", "4", "21", "2", "25", "17", "34", "6", "27", "13", "36", "11", "30",
    "8", "23", "10", "5", "24", "16", "33", "1", "20", "14", "31", "9", "22", "18", "29", "7",
    "28", "12", "35", "3", "26",
]
# fmt: on

#: The red numbers of a real layout, listed independently of the source.
REAL_REDS = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}

BOTH_WHEELS = pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN], ids=["american", "european"])


def _pocket(text: str) -> int:
    return DOUBLE_ZERO if text == "00" else int(text)


# --- the wheels --------------------------------------------------------------------------------


def test_double_zero_is_37_and_the_zero_pockets_are_0_and_00() -> None:
    assert DOUBLE_ZERO == 37
    assert frozenset({0, 37}) == ZERO_POCKETS


def test_pocket_counts() -> None:
    assert AMERICAN.pocket_count == 38
    assert EUROPEAN.pocket_count == 37
    assert len(AMERICAN.pockets) == 38
    assert len(EUROPEAN.pockets) == 37


def test_pockets_are_the_draw_indices() -> None:
    # Index k of the fair draw is pocket k: 0..37 with 37 the double zero, 0..36 in Europe.
    assert AMERICAN.pockets == tuple(range(38))
    assert EUROPEAN.pockets == tuple(range(37))


@BOTH_WHEELS
def test_rim_is_a_permutation_of_the_pockets(wheel: Wheel) -> None:
    assert sorted(wheel.rim) == list(wheel.pockets)
    assert len(set(wheel.rim)) == len(wheel.rim)
    assert wheel.rim[0] == 0


def test_american_rim_is_the_real_wheel_order() -> None:
    assert AMERICAN.rim == tuple(_pocket(p) for p in AMERICAN_ORDER)
    assert AMERICAN.rim[:5] == (0, 28, 9, 26, 30)


def test_american_double_zero_is_opposite_zero() -> None:
    assert AMERICAN.rim.index(DOUBLE_ZERO) == 19
    assert AMERICAN.rim.index(DOUBLE_ZERO) == AMERICAN.pocket_count // 2


def test_american_opposite_pockets_are_consecutive_numbers() -> None:
    # A property of the real American wheel: across from n sits n + 1 or n - 1.
    half = AMERICAN.pocket_count // 2
    for i in range(1, half):
        a, b = AMERICAN.rim[i], AMERICAN.rim[i + half]
        assert abs(a - b) == 1, (i, a, b)


def test_european_rim_is_the_real_wheel_order() -> None:
    assert EUROPEAN.rim == tuple(int(p) for p in EUROPEAN_ORDER)
    assert EUROPEAN.rim[:8] == (0, 32, 15, 19, 4, 21, 2, 25)
    assert DOUBLE_ZERO not in EUROPEAN.rim


@BOTH_WHEELS
def test_red_and_black_alternate_around_the_rim_apart_from_the_zeros(wheel: Wheel) -> None:
    rim = wheel.rim
    pairs = [(rim[i], rim[(i + 1) % len(rim)]) for i in range(len(rim))]
    checked = 0
    for a, b in pairs:
        if a in ZERO_POCKETS or b in ZERO_POCKETS:
            continue
        assert {color(a), color(b)} == {"red", "black"}, (a, b)
        checked += 1
    # Every neighbouring pair of numbers was checked: rim length minus the pairs touching a zero.
    assert checked == len(rim) - 2 * len(ZERO_POCKETS & set(rim))


@BOTH_WHEELS
def test_rim_has_eighteen_of_each_colour(wheel: Wheel) -> None:
    numbers = [p for p in wheel.rim if p not in ZERO_POCKETS]
    counts = Counter(color(p) for p in numbers)
    assert counts == {"red": 18, "black": 18}


def test_wheels_registry() -> None:
    assert WHEELS == {WheelKind.AMERICAN: AMERICAN, WheelKind.EUROPEAN: EUROPEAN}
    assert AMERICAN.kind is WheelKind.AMERICAN
    assert EUROPEAN.kind is WheelKind.EUROPEAN


@pytest.mark.parametrize(
    ("wheel", "pocket", "expected"),
    [
        (AMERICAN, 0, True),
        (AMERICAN, 36, True),
        (AMERICAN, DOUBLE_ZERO, True),
        (AMERICAN, 38, False),
        (AMERICAN, -1, False),
        (EUROPEAN, 0, True),
        (EUROPEAN, 36, True),
        (EUROPEAN, DOUBLE_ZERO, False),
        (EUROPEAN, -1, False),
    ],
)
def test_has(wheel: Wheel, pocket: int, expected: bool) -> None:
    assert wheel.has(pocket) is expected


# --- colours -----------------------------------------------------------------------------------


def test_exactly_the_real_eighteen_reds() -> None:
    assert len(RED_NUMBERS) == 18
    assert set(RED_NUMBERS) == REAL_REDS
    assert {n for n in range(1, 37) if color(n) == "red"} == REAL_REDS
    assert {n for n in range(1, 37) if color(n) == "black"} == set(range(1, 37)) - REAL_REDS


@pytest.mark.parametrize("pocket", [0, DOUBLE_ZERO])
def test_zeros_are_green(pocket: int) -> None:
    assert color(pocket) == "green"


@pytest.mark.parametrize(
    ("pocket", "expected"),
    [
        (1, "red"),
        (2, "black"),
        (10, "black"),
        (11, "black"),
        (19, "red"),
        (29, "black"),
        (36, "red"),
    ],
)
def test_color_of_some_numbers(pocket: int, expected: str) -> None:
    assert color(pocket) == expected


# --- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pocket", "text", "as_json"),
    [(0, "0", "0"), (DOUBLE_ZERO, "00", "00"), (1, "1", 1), (17, "17", 17), (36, "36", 36)],
)
def test_label_and_json_number(pocket: int, text: str, as_json: int | str) -> None:
    assert label(pocket) == text
    assert json_number(pocket) == as_json
    assert type(json_number(pocket)) is type(as_json)


# --- describe ----------------------------------------------------------------------------------


def test_high_is_19_to_36() -> None:
    assert describe(18).high is False  # 18 is low
    assert describe(19).high is True
    assert {n for n in range(1, 37) if describe(n).high} == set(range(19, 37))
    assert {n for n in range(1, 37) if describe(n).high is False} == set(range(1, 19))


@pytest.mark.parametrize(
    ("pocket", "expected"),
    [(1, 1), (12, 1), (13, 2), (24, 2), (25, 3), (36, 3)],
)
def test_twelve_is_the_dozen(pocket: int, expected: int) -> None:
    assert describe(pocket).twelve == expected
    assert dozen(pocket) == expected


def test_every_dozen_has_twelve_consecutive_numbers() -> None:
    for d in (1, 2, 3):
        members = [n for n in range(1, 37) if describe(n).twelve == d]
        assert members == list(range(12 * d - 11, 12 * d + 1))


@pytest.mark.parametrize(
    ("pocket", "expected"),
    [(1, 1), (4, 1), (7, 1), (34, 1), (2, 2), (5, 2), (35, 2), (3, 3), (6, 3), (36, 3)],
)
def test_column(pocket: int, expected: int) -> None:
    assert describe(pocket).column == expected
    assert column(pocket) == expected


def test_every_column_has_twelve_numbers_stepping_by_three() -> None:
    for c in (1, 2, 3):
        members = [n for n in range(1, 37) if describe(n).column == c]
        assert members == list(range(c, 37, 3))


def test_even() -> None:
    for n in range(1, 37):
        assert describe(n).even is (n % 2 == 0)


@pytest.mark.parametrize("pocket", [0, DOUBLE_ZERO])
def test_zeros_are_nothing_but_green(pocket: int) -> None:
    spin = describe(pocket)
    assert spin == Spin(pocket, "green", even=False, high=None, twelve=None, column=None)
    assert spin.even is False
    assert spin.high is None
    assert spin.twelve is None
    assert spin.column is None
    assert dozen(pocket) is None
    assert column(pocket) is None


@pytest.mark.parametrize(
    ("pocket", "expected"),
    [
        (0, Spin(0, "green", even=False, high=None, twelve=None, column=None)),
        (DOUBLE_ZERO, Spin(DOUBLE_ZERO, "green", even=False, high=None, twelve=None, column=None)),
        (1, Spin(1, "red", even=False, high=False, twelve=1, column=1)),
        (2, Spin(2, "black", even=True, high=False, twelve=1, column=2)),
        (3, Spin(3, "red", even=False, high=False, twelve=1, column=3)),
        (12, Spin(12, "red", even=True, high=False, twelve=1, column=3)),
        (13, Spin(13, "black", even=False, high=False, twelve=2, column=1)),
        (17, Spin(17, "black", even=False, high=False, twelve=2, column=2)),
        (18, Spin(18, "red", even=True, high=False, twelve=2, column=3)),
        (19, Spin(19, "red", even=False, high=True, twelve=2, column=1)),
        (24, Spin(24, "black", even=True, high=True, twelve=2, column=3)),
        (25, Spin(25, "red", even=False, high=True, twelve=3, column=1)),
        (29, Spin(29, "black", even=False, high=True, twelve=3, column=2)),
        (36, Spin(36, "red", even=True, high=True, twelve=3, column=3)),
    ],
)
def test_describe_table(pocket: int, expected: Spin) -> None:
    assert describe(pocket) == expected


# --- parse_pocket ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wheel", "expected"),
    [
        (0, AMERICAN, 0),
        (36, AMERICAN, 36),
        (17, EUROPEAN, 17),
        ("0", AMERICAN, 0),
        ("0", EUROPEAN, 0),
        ("00", AMERICAN, DOUBLE_ZERO),
        (" 00 ", AMERICAN, DOUBLE_ZERO),
        ("17", AMERICAN, 17),
        ("36", EUROPEAN, 36),
        (" 5 ", AMERICAN, 5),
    ],
)
def test_parse_pocket_accepts(value: object, wheel: Wheel, expected: int) -> None:
    assert parse_pocket(value, wheel) == expected


@pytest.mark.parametrize(
    ("value", "wheel"),
    [
        (37, AMERICAN),  # 00 is written "00", never 37
        (37, EUROPEAN),
        (-1, AMERICAN),
        (38, AMERICAN),
        ("000", AMERICAN),
        ("07", AMERICAN),
        ("37", AMERICAN),
        ("-1", AMERICAN),
        ("", AMERICAN),
        (" ", AMERICAN),
        ("1.0", AMERICAN),
        ("+5", AMERICAN),
        ("\u0661", AMERICAN),  # ARABIC-INDIC DIGIT ONE: a digit, but not how a pocket is written
        (1.0, AMERICAN),
        (True, AMERICAN),
        (False, AMERICAN),
        (None, AMERICAN),
        ("x", AMERICAN),
        ([17], AMERICAN),
        ("00", EUROPEAN),
    ],
)
def test_parse_pocket_rejects(value: object, wheel: Wheel) -> None:
    with pytest.raises(ValueError, match="is not a pocket of the"):
        parse_pocket(value, wheel)


def test_parse_pocket_round_trips_every_label() -> None:
    for wheel in (AMERICAN, EUROPEAN):
        for pocket in wheel.pockets:
            assert parse_pocket(label(pocket), wheel) == pocket


# --- wheel_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("american", AMERICAN),
        ("American", AMERICAN),
        ("AMERICAN", AMERICAN),
        ("european", EUROPEAN),
        ("EUROPEAN", EUROPEAN),
        (WheelKind.EUROPEAN, EUROPEAN),
    ],
)
def test_wheel_for(name: str, expected: Wheel) -> None:
    assert wheel_for(name) is expected


@pytest.mark.parametrize("name", ["french", "", "americanx", " american"])
def test_wheel_for_unknown(name: str) -> None:
    with pytest.raises(ValueError, match="unknown wheel"):
        wheel_for(name)


def test_wheel_for_non_string_is_value_error() -> None:
    with pytest.raises(ValueError, match="unknown wheel"):
        wheel_for(None)  # type: ignore[arg-type]
