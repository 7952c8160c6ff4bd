"""The clickable betting layout, built from the rules: one button per proposition.

The table is drawn as people see it from the croupier's end: the zeros on top,
then twelve rows of three numbers (row r holds 3r+1, 3r+2, 3r+3, as in
``roulette.bets``). Every inside and column/dozen proposition of the wheel is
one ``Cell``, placed on a CSS grid where a bettor would put the chip:

* a number: a straight;
* the gap between two numbers across or down: a split;
* the crossing of four numbers: a corner;
* the left edge of a row: a street; the left edge between two rows: a six line;
* the left edge between the zeros and the first row: the five (American) or
  the first four (European);
* the right edge, beside each block of four rows: a dozen; below each column:
  the column.

Grid tracks (1-based, as CSS counts them): column 1 is the edge, each number
column takes two tracks so that the American 0 and 00 can share the zero row
evenly, a narrow track between number columns holds splits and corners, and
column 10 holds the dozens. Row 1 holds the zeros, row 2 is the gap below
them, then number rows (3, 5, … 25) alternate with gap rows (4, 6, … 24);
row 26 holds the columns. Even-money bets are not on the layout: the seed's
form offers them in a select.

Each cell's ``value`` ("split:17,20", "straight:00", "dozen:2") is what its
button submits; ``forms.read_bet`` turns it back into a bet through
``make_bet``, so the layout can offer nothing the rules refuse (a test checks
every cell, and that every proposition of ``all_bets`` but the even-money ones
has exactly one cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from parlor.roulette.bets import PAYOUTS, Bet, BetKind, make_bet
from parlor.roulette.wheel import Wheel, WheelKind, color, label

#: The ``grid-template-columns`` and ``-rows`` the cells' positions assume.
GRID_COLUMNS = "2.1rem 1fr 1fr 1.05rem 1fr 1fr 1.05rem 1fr 1fr 2.3rem"
GRID_ROWS = "2.6rem 1.05rem repeat(11, 2.6rem 1.05rem) 2.6rem 2.3rem"


@dataclass(frozen=True, slots=True)
class Cell:
    """One button of the layout."""

    kind: str
    #: What the button submits as the form's ``bet`` field.
    value: str
    #: What the button shows (often nothing but a chip spot).
    text: str
    #: The accessible name: what a screen reader says and a tooltip shows.
    name: str
    #: CSS ``grid-row`` and ``grid-column``.
    row: str
    column: str
    #: "red", "black", "green" for a number; "" for the rest.
    color: str = ""


@dataclass(frozen=True, slots=True)
class Layout:
    wheel: WheelKind
    cells: tuple[Cell, ...]
    columns: str = GRID_COLUMNS
    rows: str = GRID_ROWS


def bet_value(bet: Bet) -> str:
    """The form value naming ``bet``: its kind, a colon, its numbers as people write them."""
    numbers = (
        bet.numbers if bet.kind in (BetKind.DOZEN, BetKind.COLUMN) else map(label, bet.numbers)
    )
    return f"{bet.kind.value}:{','.join(str(n) for n in numbers)}"


def _number_row(r: int) -> int:
    return 3 + 2 * r


def _number_column(c: int) -> int:
    return 2 + 3 * c


def _cell(
    wheel: Wheel, kind: BetKind, numbers: Sequence[int | str], text: str, row: str, column: str
) -> Cell:
    bet = make_bet(kind, numbers, wheel)
    pays = f"pays {PAYOUTS[kind]} to 1"
    name = f"{bet.describe().capitalize()}, {pays}"
    shade = color(bet.numbers[0]) if kind is BetKind.STRAIGHT else ""
    return Cell(kind.value, bet_value(bet), text, name, row, column, shade)


@lru_cache(maxsize=4)
def build_layout(wheel: Wheel) -> Layout:
    """Every layout cell of ``wheel``, in reading order (zeros, rows, dozens, columns)."""
    cells: list[Cell] = []
    if wheel.kind is WheelKind.AMERICAN:
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["0"], "0", "1", "2 / span 4"))
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["00"], "00", "1", "6 / span 4"))
        cells.append(_cell(wheel, BetKind.FIVE, ["0", "00", 1, 2, 3], "5", "2", "1"))
    else:
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["0"], "0", "1", "2 / span 8"))
        cells.append(_cell(wheel, BetKind.FIRST_FOUR, ["0", 1, 2, 3], "4", "2", "1"))
    for r in range(12):
        row, gap = _number_row(r), _number_row(r) + 1
        cells.append(
            _cell(wheel, BetKind.STREET, [3 * r + 1, 3 * r + 2, 3 * r + 3], "", f"{row}", "1")
        )
        for c in range(3):
            n = 3 * r + c + 1
            span = f"{_number_column(c)} / span 2"
            cells.append(_cell(wheel, BetKind.STRAIGHT, [n], str(n), f"{row}", span))
            if c < 2:
                cells.append(
                    _cell(
                        wheel, BetKind.SPLIT, [n, n + 1], "", f"{row}", f"{_number_column(c) + 2}"
                    )
                )
            if r < 11:
                cells.append(_cell(wheel, BetKind.SPLIT, [n, n + 3], "", f"{gap}", span))
                if c < 2:
                    cells.append(
                        _cell(
                            wheel,
                            BetKind.CORNER,
                            [n, n + 1, n + 3, n + 4],
                            "",
                            f"{gap}",
                            f"{_number_column(c) + 2}",
                        )
                    )
        if r < 11:
            six = list(range(3 * r + 1, 3 * r + 7))
            cells.append(_cell(wheel, BetKind.SIX_LINE, six, "", f"{gap}", "1"))
    for d in (1, 2, 3):
        first = _number_row(4 * (d - 1))
        cells.append(_cell(wheel, BetKind.DOZEN, [d], f"{d}·12", f"{first} / span 7", "10"))
    for c in (1, 2, 3):
        cells.append(
            _cell(wheel, BetKind.COLUMN, [c], "2:1", "26", f"{_number_column(c - 1)} / span 2")
        )
    return Layout(wheel.kind, tuple(cells))


def open_stakes(bets: list[tuple[str, list[int | str], int]]) -> dict[str, int]:
    """Chips in open bets by layout value: ``(proposition, numbers, amount)`` from the service."""
    stakes: dict[str, int] = {}
    for proposition, numbers, amount in bets:
        key = f"{proposition}:{','.join(str(n) for n in numbers)}"
        stakes[key] = stakes.get(key, 0) + amount
    return stakes
