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

Grid tracks (1-based, as CSS counts them; ``.layout`` in parlor.css sizes
them): column 1 is the edge, each number column takes two tracks so that the
American 0 and 00 can share the zero row evenly, a narrow track between
number columns holds splits and corners, and column 10 holds the dozens. Row
1 holds the zeros, row 2 is the gap below them, then number rows (3, 5, …
25) alternate with gap rows (4, 6, … 24); row 26 holds the columns.
Even-money bets are not on the layout: the seed's form offers them in a
select.

Each cell's ``value`` ("split:17,20", "straight:00", "dozen:2") is what its
button submits; ``forms.read_bet`` turns it back into a bet through
``make_bet``, so the layout can offer nothing the rules refuse (a test checks
every cell, and that every proposition of ``all_bets`` but the even-money ones
has exactly one cell).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from parlor.roulette.bets import ODDS, Bet, BetKind, make_bet
from parlor.roulette.wheel import WHEELS, Wheel, WheelKind, color, label


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
    #: First grid row and column (1-based), and how many each spans.
    row: int
    column: int
    rows: int = 1
    columns: int = 1
    #: "red", "black", "green" for a number; "" for the rest.
    color: str = ""

    @property
    def place(self) -> str:
        """The CSS classes that put the cell on the grid (rules in parlor.css).

        Classes rather than inline styles: the page's Content-Security-Policy
        allows no inline style, and the page is smaller.
        """
        classes = [f"gr{self.row}", f"gc{self.column}"]
        if self.rows > 1:
            classes.append(f"sr{self.rows}")
        if self.columns > 1:
            classes.append(f"sc{self.columns}")
        return " ".join(classes)


@dataclass(frozen=True, slots=True)
class Layout:
    wheel: WheelKind
    cells: tuple[Cell, ...]


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


Place = tuple[int, int, int, int]


def _at(row: int, column: int, rows: int = 1, columns: int = 1) -> Place:
    return (row, column, rows, columns)


def _cell(wheel: Wheel, kind: BetKind, numbers: Sequence[int | str], text: str, at: Place) -> Cell:
    bet = make_bet(kind, numbers, wheel)
    name = f"{bet.describe().capitalize()}, pays {ODDS[kind]} to 1"
    shade = color(bet.numbers[0]) if kind is BetKind.STRAIGHT else ""
    return Cell(kind.value, bet_value(bet), text, name, *at, color=shade)


@lru_cache(maxsize=4)
def build_layout(wheel: Wheel) -> Layout:
    """Every layout cell of ``wheel``, in reading order (zeros, rows, dozens, columns)."""
    cells: list[Cell] = []
    if wheel.kind is WheelKind.AMERICAN:
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["0"], "0", _at(1, 2, columns=4)))
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["00"], "00", _at(1, 6, columns=4)))
        cells.append(_cell(wheel, BetKind.FIVE, ["0", "00", 1, 2, 3], "5", _at(2, 1)))
    else:
        cells.append(_cell(wheel, BetKind.STRAIGHT, ["0"], "0", _at(1, 2, columns=8)))
        cells.append(_cell(wheel, BetKind.FIRST_FOUR, ["0", 1, 2, 3], "4", _at(2, 1)))
    for r in range(12):
        row, gap = _number_row(r), _number_row(r) + 1
        street = [3 * r + 1, 3 * r + 2, 3 * r + 3]
        cells.append(_cell(wheel, BetKind.STREET, street, "", _at(row, 1)))
        for c in range(3):
            n, column = 3 * r + c + 1, _number_column(c)
            cells.append(_cell(wheel, BetKind.STRAIGHT, [n], str(n), _at(row, column, columns=2)))
            if c < 2:
                cells.append(_cell(wheel, BetKind.SPLIT, [n, n + 1], "", _at(row, column + 2)))
            if r < 11:
                cells.append(
                    _cell(wheel, BetKind.SPLIT, [n, n + 3], "", _at(gap, column, columns=2))
                )
                if c < 2:
                    square = [n, n + 1, n + 3, n + 4]
                    cells.append(_cell(wheel, BetKind.CORNER, square, "", _at(gap, column + 2)))
        if r < 11:
            six = list(range(3 * r + 1, 3 * r + 7))
            cells.append(_cell(wheel, BetKind.SIX_LINE, six, "", _at(gap, 1)))
    for d in (1, 2, 3):
        first = _number_row(4 * (d - 1))
        cells.append(_cell(wheel, BetKind.DOZEN, [d], f"{d}·12", _at(first, 10, rows=7)))
    for c in (1, 2, 3):
        cells.append(
            _cell(wheel, BetKind.COLUMN, [c], "2:1", _at(26, _number_column(c - 1), columns=2))
        )
    return Layout(wheel.kind, tuple(cells))


@lru_cache(maxsize=4)
def _cell_markup(layout: Layout) -> tuple[tuple[str, str, str], ...]:
    """Each cell's button as (value, opening up to its class list, the rest up to its text)."""
    parts = []
    for cell in layout.cells:
        shade = f" {cell.color}" if cell.color else ""
        # A button in a form submits it: no type="submit", 147 times over.
        head = (
            f'<button name="bet" value="{escape(cell.value)}"'
            f' class="{escape(cell.kind)}{escape(shade)} {escape(cell.place)}'
        )
        # With no text of its own, a button's title is its accessible name (HTML-AAM).
        tail = f'" title="{escape(cell.name)}">{escape(cell.text)}'

        parts.append((cell.value, head, tail))
    return tuple(parts)


def layout_html(layout: Layout, *, hit: str = "", stakes: Mapping[str, int]) -> Markup:
    """The layout's buttons: ``hit`` marks the last spin's number, ``stakes`` the chips on it.

    The 147 buttons are escaped and assembled once per wheel; a page only adds
    its few dynamic classes and chips, and a page shown again as it was costs
    a cache look-up. A Jinja loop over the cells cost more than the rest of
    the table page together.
    """
    return _layout_html(layout.wheel, hit, tuple(sorted(stakes.items())))


@lru_cache(maxsize=256)
def _layout_html(wheel: WheelKind, hit: str, stakes: tuple[tuple[str, int], ...]) -> Markup:
    # Keyed by the wheel, not the layout: hashing 147 cells cost more than the look-up saved.
    chips = dict(stakes)
    out: list[str] = []
    for value, head, tail in _cell_markup(build_layout(WHEELS[wheel])):
        out.append(head)
        stake = chips.get(value)
        if value == hit:
            out.append(" hit")
        if stake:
            out.append(" staked")
        out.append(tail)
        if stake:
            out.append(f'<span class="chip" aria-hidden="true">{int(stake)}</span>')
        out.append("</button>")
    return Markup("".join(out))  # noqa: S704 - every part escaped above


def open_stakes(bets: list[tuple[str, list[int | str], int]]) -> dict[str, int]:
    """Chips in open bets by layout value: ``(proposition, numbers, amount)`` from the service."""
    stakes: dict[str, int] = {}
    for proposition, numbers, amount in bets:
        key = f"{proposition}:{','.join(str(n) for n in numbers)}"
        stakes[key] = stakes.get(key, 0) + amount
    return stakes
