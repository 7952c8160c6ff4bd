"""The betting layout, from the rules: every inside, dozen and column bet, once, in place."""

from __future__ import annotations

from collections import Counter

import pytest

from parlor.roulette.bets import EVEN_MONEY, all_bets
from parlor.roulette.wheel import AMERICAN, EUROPEAN, Wheel
from parlor.web.forms import read_proposition
from parlor.web.layout import bet_value, build_layout, open_stakes


@pytest.mark.parametrize(("wheel", "cells"), [(AMERICAN, 147), (EUROPEAN, 146)])
def test_one_cell_per_proposition(wheel: Wheel, cells: int) -> None:
    layout = build_layout(wheel)
    offered = [cell.value for cell in layout.cells]
    expected = [bet_value(bet) for bet in all_bets(wheel) if bet.kind not in EVEN_MONEY]
    assert len(offered) == cells
    assert Counter(offered) == Counter(expected)


@pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN])
def test_every_cell_is_a_bet_the_form_accepts(wheel: Wheel) -> None:
    for cell in build_layout(wheel).cells:
        bet, value = read_proposition({"bet": cell.value}, wheel)
        assert value == cell.value
        assert bet_value(bet) == cell.value
        assert cell.name.lower().startswith(bet.kind.value.replace("_", " "))
        assert f"pays {bet.payout} to 1" in cell.name


@pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN])
def test_no_two_cells_share_a_place(wheel: Wheel) -> None:
    places = Counter(
        (c.row.split(" ")[0], c.column.split(" ")[0]) for c in build_layout(wheel).cells
    )
    assert max(places.values()) == 1


def test_cells_sit_where_a_chip_would() -> None:
    cells = {c.value: c for c in build_layout(AMERICAN).cells}
    assert (cells["straight:1"].row, cells["straight:1"].column) == ("3", "2 / span 2")
    assert (cells["straight:17"].row, cells["straight:17"].color) == ("13", "black")
    assert (cells["split:17,18"].row, cells["split:17,18"].column) == ("13", "7")
    assert (cells["split:17,20"].row, cells["split:17,20"].column) == ("14", "5 / span 2")
    assert (cells["corner:1,2,4,5"].row, cells["corner:1,2,4,5"].column) == ("4", "4")
    assert (cells["street:34,35,36"].row, cells["street:34,35,36"].column) == ("25", "1")
    assert cells["six_line:31,32,33,34,35,36"].row == "24"
    assert cells["five:0,1,2,3,00"].row == "2"
    assert cells["dozen:3"].row == "19 / span 7"
    assert cells["column:2"].column == "5 / span 2"
    assert cells["straight:00"].color == "green"


def test_open_stakes_add_up_by_cell() -> None:
    stakes = open_stakes([("split", [17, 20], 10), ("split", [17, 20], 5), ("straight", ["00"], 7)])
    assert stakes == {"split:17,20": 15, "straight:00": 7}
