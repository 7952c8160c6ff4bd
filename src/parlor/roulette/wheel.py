"""Roulette wheels and what a pocket means: pure values, no I/O.

A pocket is an ``int``: 1–36 are the numbers, 0 is the single zero and
``DOUBLE_ZERO`` (37) stands for "00". Using 37 rather than a string keeps every
pocket a small integer, so the same value indexes arrays in the simulator, is
stored in one integer column and is what the provably-fair draw returns
(index k is pocket k). ``label()`` and ``parse_pocket()`` convert at the edges.

The seed's ``Wheel.spin()`` computed ``high`` as ``n >= 18``, ``twelve`` as
``n // 12`` and ``column`` as ``n % 3``, and ignored its own ``self.rng``.
``describe()`` gives the corrected meanings (DESIGN.md "Seed corrections"):
``high`` is 19–36, ``twelve`` is the dozen 1–3, ``column`` is 1–3 with
1, 4, 7, … in column 1, and all three are ``None`` for 0 and 00.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

DOUBLE_ZERO = 37
ZERO_POCKETS = frozenset({0, DOUBLE_ZERO})
NUMBERS = range(1, 37)
RED_NUMBERS = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})

Color = Literal["red", "black", "green"]


class WheelKind(StrEnum):
    AMERICAN = "american"
    EUROPEAN = "european"


@dataclass(frozen=True, slots=True)
class Wheel:
    """One wheel: which pockets it has, and their order around the rim."""

    kind: WheelKind
    #: Pockets in the order they sit around the physical wheel, from 0 clockwise.
    rim: tuple[int, ...]

    @property
    def pockets(self) -> tuple[int, ...]:
        """Pockets in draw order: index k of the fair draw is ``pockets[k]`` == k."""
        return tuple(sorted(self.rim))

    @property
    def pocket_count(self) -> int:
        return len(self.rim)

    def has(self, pocket: int) -> bool:
        return 0 <= pocket < self.pocket_count


# fmt: off
AMERICAN = Wheel(
    WheelKind.AMERICAN,
    (0, 28, 9, 26, 30, 11, 7, 20, 32, 17, 5, 22, 34, 15, 3, 24, 36, 13, 1,
     DOUBLE_ZERO, 27, 10, 25, 29, 12, 8, 19, 31, 18, 6, 21, 33, 16, 4, 23, 35, 14, 2),
)
EUROPEAN = Wheel(
    WheelKind.EUROPEAN,
    (0, 32, 15, 19, 4, 21, 2, 25, 17, 34, 6, 27, 13, 36, 11, 30, 8, 23, 10,
     5, 24, 16, 33, 1, 20, 14, 31, 9, 22, 18, 29, 7, 28, 12, 35, 3, 26),
)
# fmt: on
WHEELS = {AMERICAN.kind: AMERICAN, EUROPEAN.kind: EUROPEAN}


def wheel_for(kind: str) -> Wheel:
    """The wheel named ``kind`` ("american" or "european", any case); ValueError otherwise."""
    try:
        return WHEELS[WheelKind(kind.lower())]
    except (ValueError, AttributeError):
        raise ValueError(f"unknown wheel {kind!r}: choose one of {', '.join(WheelKind)}") from None


def label(pocket: int) -> str:
    """How people write a pocket: "00" for the double zero, digits otherwise."""
    return "00" if pocket == DOUBLE_ZERO else str(pocket)


#: A pocket as JSON writes it (the seed's ``number``): 1–36 as a number, the zeros as text.
JsonPocket = int | Literal["0", "00"]


def json_number(pocket: int) -> JsonPocket:
    """The seed's JSON ``number`` field: an int for 1–36, the strings "0" and "00"."""
    if pocket == 0:
        return "0"
    return "00" if pocket == DOUBLE_ZERO else pocket


def parse_pocket(value: object, wheel: Wheel) -> int:
    """Read a pocket written as an int (0–36) or a string ("0", "00", "17").

    Raises ValueError naming the value when it is not a pocket of ``wheel``.
    """
    pocket: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        pocket = value if 0 <= value <= 36 else None
    elif isinstance(value, str):
        text = value.strip()
        if text == "00":
            pocket = DOUBLE_ZERO
        elif text.isdigit() and text.isascii() and len(text) <= 2:
            number = int(text)
            # "07" is not how anyone writes a pocket; refuse rather than guess.
            pocket = number if number <= 36 and str(number) == text else None
    if pocket is None or not wheel.has(pocket):
        raise ValueError(f"{value!r} is not a pocket of the {wheel.kind} wheel")
    return pocket


def color(pocket: int) -> Color:
    if pocket in ZERO_POCKETS:
        return "green"
    return "red" if pocket in RED_NUMBERS else "black"


def dozen(pocket: int) -> int | None:
    """1 for 1–12, 2 for 13–24, 3 for 25–36, None for the zeros."""
    return None if pocket in ZERO_POCKETS else (pocket - 1) // 12 + 1


def column(pocket: int) -> int | None:
    """1 for 1, 4, 7, …; 2 for 2, 5, 8, …; 3 for 3, 6, 9, …; None for the zeros."""
    return None if pocket in ZERO_POCKETS else (pocket - 1) % 3 + 1


@dataclass(frozen=True, slots=True)
class Spin:
    """The seed's spin result, with the corrected meanings."""

    pocket: int
    color: Color
    even: bool
    high: bool | None
    twelve: int | None
    column: int | None


def describe(pocket: int) -> Spin:
    """Everything a bettor reads off a pocket."""
    if pocket in ZERO_POCKETS:
        return Spin(pocket, "green", even=False, high=None, twelve=None, column=None)
    return Spin(
        pocket,
        color(pocket),
        even=pocket % 2 == 0,
        high=pocket >= 19,
        twelve=dozen(pocket),
        column=column(pocket),
    )
