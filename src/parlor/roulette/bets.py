"""Bet kinds, their geometry on the layout, payouts and settlement: pure values.

The layout is the usual 12 rows × 3 columns: row r (0–11) holds 3r+1, 3r+2,
3r+3. Inside bets name the pockets they cover and must be a real shape on it
(a split is two neighbours across or down, a corner a 2×2 square, …). The zeros
are reached only by a straight, the five (American) or the first four
(European); that is the layout whose American form has the 153 distinct
outcomes the house advertises (38 straights, 57 splits, 12 streets, 22 corners,
1 five, 11 six lines, 3 dozens, 3 columns, 6 even-money).

Money here is whole chips. ``settle()`` says how many chips go back to the
player for a stake on a pocket; the house turns that into ledger entries.
La partage (European only, optional) gives back half an even-money stake when
the ball lands on zero; with an odd stake the half is rounded down.

Every invalid bet raises ``RuleViolation(field, message)``, a ValueError that
names the offending field ("proposition", "numbers" or "amount"); a bet that
is valid on the other wheel's layout raises its subclass ``WrongWheel``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

from parlor.roulette.wheel import (
    AMERICAN,
    DOUBLE_ZERO,
    EUROPEAN,
    NUMBERS,
    RED_NUMBERS,
    JsonPocket,
    Wheel,
    WheelKind,
    column,
    dozen,
    json_number,
    label,
    parse_pocket,
)


class RuleViolation(ValueError):
    """A bet the rules do not allow; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class WrongWheel(RuleViolation):
    """A bet of the other wheel's layout: the five, the first four, or a straight on 00."""


class BetKind(StrEnum):
    STRAIGHT = "straight"
    SPLIT = "split"
    STREET = "street"
    CORNER = "corner"
    SIX_LINE = "six_line"
    FIVE = "five"
    FIRST_FOUR = "first_four"
    DOZEN = "dozen"
    COLUMN = "column"
    RED = "red"
    BLACK = "black"
    EVEN = "even"
    ODD = "odd"
    LOW = "low"
    HIGH = "high"


#: Winnings per chip staked, "to one"; the stake comes back on top.
ODDS: dict[BetKind, int] = {
    BetKind.STRAIGHT: 35,
    BetKind.SPLIT: 17,
    BetKind.STREET: 11,
    BetKind.CORNER: 8,
    BetKind.SIX_LINE: 5,
    BetKind.FIVE: 6,
    BetKind.FIRST_FOUR: 8,
    BetKind.DOZEN: 2,
    BetKind.COLUMN: 2,
    BetKind.RED: 1,
    BetKind.BLACK: 1,
    BetKind.EVEN: 1,
    BetKind.ODD: 1,
    BetKind.LOW: 1,
    BetKind.HIGH: 1,
}

#: How many pockets each inside bet names.
_INSIDE_SIZE = {
    BetKind.STRAIGHT: 1,
    BetKind.SPLIT: 2,
    BetKind.STREET: 3,
    BetKind.CORNER: 4,
    BetKind.SIX_LINE: 6,
    BetKind.FIVE: 5,
    BetKind.FIRST_FOUR: 4,
}

EVEN_MONEY = frozenset(
    {BetKind.RED, BetKind.BLACK, BetKind.EVEN, BetKind.ODD, BetKind.LOW, BetKind.HIGH}
)

_OUTSIDE_COVERS: dict[BetKind, frozenset[int]] = {
    BetKind.RED: RED_NUMBERS,
    BetKind.BLACK: frozenset(NUMBERS) - RED_NUMBERS,
    BetKind.EVEN: frozenset(n for n in NUMBERS if n % 2 == 0),
    BetKind.ODD: frozenset(n for n in NUMBERS if n % 2 == 1),
    BetKind.LOW: frozenset(range(1, 19)),
    BetKind.HIGH: frozenset(range(19, 37)),
}

_FIVE = frozenset({0, DOUBLE_ZERO, 1, 2, 3})
_FIRST_FOUR = frozenset({0, 1, 2, 3})
#: Kinds that exist on only one wheel.
_ONLY_ON = {BetKind.FIVE: WheelKind.AMERICAN, BetKind.FIRST_FOUR: WheelKind.EUROPEAN}

# Accept what people type: "Six line", "six-line", "sixline", "First Four", "RED".
_ALIASES = {kind.value.replace("_", ""): kind for kind in BetKind} | {
    "line": BetKind.SIX_LINE,
    "basket": BetKind.FIVE,
    "topline": BetKind.FIVE,
    "manque": BetKind.LOW,
    "passe": BetKind.HIGH,
}


def parse_kind(text: object) -> BetKind:
    """The bet kind a proposition names, in any case and spelling of its words."""
    if isinstance(text, BetKind):
        return text
    if isinstance(text, str):
        key = "".join(ch for ch in text.lower() if ch.isalnum())
        if key in _ALIASES:
            return _ALIASES[key]
    raise RuleViolation(
        "proposition",
        f"unknown proposition {text!r}: use one of {', '.join(BetKind)}",
    )


@dataclass(frozen=True, slots=True)
class Bet:
    """A proposition on the layout, without its stake."""

    kind: BetKind
    #: Canonical selection: the covered pockets (inside bets, ascending, 00 last),
    #: the dozen or column index, or () for the even-money bets.
    numbers: tuple[int, ...]
    covers: frozenset[int] = field(compare=False)

    @property
    def odds(self) -> int:
        return ODDS[self.kind]

    def wins(self, pocket: int) -> bool:
        return pocket in self.covers

    def describe(self) -> str:
        """A short human name: "split 17-20", "straight 00", "dozen 2", "red"."""
        if not self.numbers:
            return self.kind.value
        if self.kind in (BetKind.DOZEN, BetKind.COLUMN):
            return f"{self.kind.value} {self.numbers[0]}"
        return f"{self.kind.value.replace('_', ' ')} " + "-".join(map(label, self.numbers))

    def numbers_json(self) -> list[JsonPocket]:
        """The selection as the REST API writes it: "0"/"00" as strings, others as ints."""
        if self.kind in (BetKind.DOZEN, BetKind.COLUMN):
            return list(self.numbers)
        return [json_number(n) for n in self.numbers]


def _row(n: int) -> int:
    return (n - 1) // 3


def _col(n: int) -> int:
    return (n - 1) % 3


def _is_split(a: int, b: int) -> bool:
    across = _row(a) == _row(b) and abs(_col(a) - _col(b)) == 1
    down = _col(a) == _col(b) and abs(_row(a) - _row(b)) == 1
    return across or down


def _street(row: int) -> frozenset[int]:
    return frozenset(range(3 * row + 1, 3 * row + 4))


def _corner(top_left: int) -> frozenset[int]:
    return frozenset({top_left, top_left + 1, top_left + 3, top_left + 4})


def _shape_ok(kind: BetKind, covers: frozenset[int]) -> bool:
    """Whether ``covers`` (already the right size, no duplicates) is a real ``kind`` shape."""
    if kind is BetKind.STRAIGHT:
        return True
    if kind is BetKind.FIVE:
        return covers == _FIVE
    if kind is BetKind.FIRST_FOUR:
        return covers == _FIRST_FOUR
    if covers & {0, DOUBLE_ZERO}:
        return False
    low = min(covers)
    if kind is BetKind.SPLIT:
        return _is_split(*sorted(covers))
    if kind is BetKind.STREET:
        return covers == _street(_row(low))
    if kind is BetKind.CORNER:
        return _col(low) < 2 and covers == _corner(low)
    # SIX_LINE: two neighbouring streets.
    return _row(low) < 11 and covers == _street(_row(low)) | _street(_row(low) + 1)


def _sorted_pockets(pockets: frozenset[int]) -> tuple[int, ...]:
    # 0 first and 00 (37) last reads naturally: "five 0-1-2-3-00".
    return tuple(sorted(pockets))


def _parse_index(kind: BetKind, numbers: Sequence[object]) -> int:
    if len(numbers) != 1:
        raise RuleViolation("numbers", f"a {kind} bet names one {kind}: 1, 2 or 3")
    value = numbers[0]
    if isinstance(value, str) and value.strip() in ("1", "2", "3"):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3:
        return value
    raise RuleViolation("numbers", f"{value!r} is not a {kind}: use 1, 2 or 3")


def make_bet(kind: object, numbers: Sequence[object] | None, wheel: Wheel) -> Bet:
    """Validate a proposition and return it as a canonical ``Bet``.

    ``numbers`` are what a client sent: pockets (ints, or strings like "00") for
    inside bets, ``[1|2|3]`` for a dozen or column, nothing for even-money bets.
    """
    bet_kind = parse_kind(kind)
    # Every bet of a session and every settlement comes through here, and the
    # layout has only 153 propositions: remember the valid ones. The key keeps
    # each value's type, so True is never mistaken for 1 nor "1" for 1.
    if numbers is None:
        return _valid_bet(bet_kind, None, wheel.kind)
    if isinstance(numbers, list | tuple) and len(numbers) <= 6:
        key = tuple((type(value), value) for value in numbers)
        if all(t is int or t is str for t, _ in key):
            return _valid_bet(bet_kind, key, wheel.kind)
    return _build_bet(bet_kind, numbers, wheel)


@lru_cache(maxsize=4096)
def _valid_bet(
    kind: BetKind, key: tuple[tuple[type, int | str], ...] | None, wheel: WheelKind
) -> Bet:
    numbers = None if key is None else [value for _, value in key]
    return _build_bet(kind, numbers, AMERICAN if wheel is WheelKind.AMERICAN else EUROPEAN)


def _build_bet(bet_kind: BetKind, numbers: Sequence[object] | None, wheel: Wheel) -> Bet:
    if bet_kind in _ONLY_ON and _ONLY_ON[bet_kind] is not wheel.kind:
        raise WrongWheel(
            "proposition",
            f"the {bet_kind} bet exists only on the {_ONLY_ON[bet_kind]} wheel",
        )
    if numbers is not None and (
        isinstance(numbers, str | bytes) or not isinstance(numbers, Sequence)
    ):
        raise RuleViolation("numbers", "numbers must be a list")
    given = list(numbers or ())

    if bet_kind in _OUTSIDE_COVERS:
        if given:
            raise RuleViolation("numbers", f"a {bet_kind} bet takes no numbers")
        return Bet(bet_kind, (), _OUTSIDE_COVERS[bet_kind])

    if bet_kind in (BetKind.DOZEN, BetKind.COLUMN):
        index = _parse_index(bet_kind, given)
        which = dozen if bet_kind is BetKind.DOZEN else column
        return Bet(bet_kind, (index,), frozenset(n for n in NUMBERS if which(n) == index))

    size = _INSIDE_SIZE[bet_kind]
    if len(given) != size:
        raise RuleViolation(
            "numbers", f"a {bet_kind.value.replace('_', ' ')} bet names {size} numbers"
        )
    try:
        pockets = [parse_pocket(value, wheel) for value in given]
    except ValueError as error:
        if bet_kind is BetKind.STRAIGHT and given == ["00"]:  # the European wheel's only gap
            raise WrongWheel("numbers", str(error)) from None
        raise RuleViolation("numbers", str(error)) from None
    covers = frozenset(pockets)
    if len(covers) != size:
        raise RuleViolation("numbers", "the same number is named twice")
    if not _shape_ok(bet_kind, covers):
        shown = "-".join(label(p) for p in _sorted_pockets(covers))
        raise RuleViolation(
            "numbers",
            f"{shown} is not a {bet_kind.value.replace('_', ' ')} on the {wheel.kind} layout",
        )
    return Bet(bet_kind, _sorted_pockets(covers), covers)


def stored_bet(kind: str, numbers: Sequence[int], wheel: Wheel) -> Bet:
    """Rebuild a bet from its canonical form, where the double zero is stored as 37."""
    return make_bet(kind, ["00" if n == DOUBLE_ZERO else n for n in numbers], wheel)


def validate_amount(amount: object) -> int:
    """A stake must be a whole, positive number of chips (not a float, string or bool)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise RuleViolation("amount", f"the amount must be a whole number of chips, not {amount!r}")
    if amount <= 0:
        raise RuleViolation("amount", f"the amount must be positive, not {amount}")
    return amount


def settle(bet: Bet, amount: int, pocket: int, *, la_partage: bool = False) -> int:
    """Chips handed back to the player: stake plus winnings, half (la partage) or none."""
    if pocket in bet.covers:
        return amount * (bet.odds + 1)
    if la_partage and pocket == 0 and bet.kind in EVEN_MONEY:
        return amount // 2
    return 0


def all_bets(wheel: Wheel) -> Iterator[Bet]:
    """Every distinct proposition of ``wheel``'s layout, each once."""
    for pocket in wheel.pockets:
        yield make_bet(BetKind.STRAIGHT, [pocket if pocket != DOUBLE_ZERO else "00"], wheel)
    for a in NUMBERS:
        for b in (a + 1, a + 3):
            if b <= 36 and _is_split(a, b):
                yield make_bet(BetKind.SPLIT, [a, b], wheel)
    for row in range(12):
        yield make_bet(BetKind.STREET, sorted(_street(row)), wheel)
    for n in NUMBERS:
        if _col(n) < 2 and _row(n) < 11:
            yield make_bet(BetKind.CORNER, sorted(_corner(n)), wheel)
    if wheel.kind is WheelKind.AMERICAN:
        yield make_bet(BetKind.FIVE, [0, "00", 1, 2, 3], wheel)
    else:
        yield make_bet(BetKind.FIRST_FOUR, [0, 1, 2, 3], wheel)
    for row in range(11):
        yield make_bet(BetKind.SIX_LINE, sorted(_street(row) | _street(row + 1)), wheel)
    for kind in (BetKind.DOZEN, BetKind.COLUMN):
        for index in (1, 2, 3):
            yield make_bet(kind, [index], wheel)
    for kind in _OUTSIDE_COVERS:
        yield make_bet(kind, [], wheel)


def kinds_for(wheel: Wheel) -> list[BetKind]:
    """The bet kinds this wheel's layout offers."""
    return [kind for kind in BetKind if _ONLY_ON.get(kind, wheel.kind) is wheel.kind]


def expected_return(bet: Bet, wheel: Wheel, *, la_partage: bool = False) -> Fraction:
    """Exact mean net result per chip staked, over every pocket equally likely."""
    total = Fraction(0)
    for pocket in wheel.pockets:
        if pocket in bet.covers:
            total += bet.odds
        elif la_partage and pocket == 0 and bet.kind in EVEN_MONEY:
            total -= Fraction(1, 2)
        else:
            total -= 1
    return total / wheel.pocket_count


def house_edge(bet: Bet, wheel: Wheel, *, la_partage: bool = False) -> Fraction:
    """The house's exact advantage per chip staked (positive: the house wins)."""
    return -expected_return(bet, wheel, la_partage=la_partage)
