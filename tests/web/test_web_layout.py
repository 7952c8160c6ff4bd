"""The betting layout, from the rules: every inside, dozen and column bet, once, in place."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import parlor.web
from parlor.roulette.bets import EVEN_MONEY, all_bets
from parlor.roulette.wheel import AMERICAN, EUROPEAN, Wheel
from parlor.web.forms import read_proposition
from parlor.web.layout import bet_value, build_layout, layout_html, open_stakes


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
        assert f"pays {bet.odds} to 1" in cell.name


@pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN])
def test_no_two_cells_share_a_place(wheel: Wheel) -> None:
    places = Counter((c.row, c.column) for c in build_layout(wheel).cells)
    assert max(places.values()) == 1


def test_cells_sit_where_a_chip_would() -> None:
    cells = {c.value: c for c in build_layout(AMERICAN).cells}
    assert cells["straight:1"].place == "gr3 gc2 sc2"
    assert (cells["straight:17"].row, cells["straight:17"].color) == (13, "black")
    assert cells["split:17,18"].place == "gr13 gc7"
    assert cells["split:17,20"].place == "gr14 gc5 sc2"
    assert cells["corner:1,2,4,5"].place == "gr4 gc4"
    assert cells["street:34,35,36"].place == "gr25 gc1"
    assert cells["six_line:31,32,33,34,35,36"].row == 24
    assert cells["five:0,1,2,3,00"].place == "gr2 gc1"
    assert cells["dozen:3"].place == "gr19 gc10 sr7"
    assert cells["column:2"].place == "gr26 gc5 sc2"
    assert cells["straight:00"].color == "green"


@pytest.mark.parametrize("wheel", [AMERICAN, EUROPEAN])
def test_every_place_has_its_css_rule(wheel: Wheel) -> None:
    css = (Path(parlor.web.__file__).parent / "static" / "parlor.css").read_text()
    for cell in build_layout(wheel).cells:
        for name in cell.place.split():
            assert f".{name} {{" in css, name


def test_the_layout_markup_marks_the_hit_and_the_chips() -> None:
    layout = build_layout(AMERICAN)
    html = layout_html(layout, hit="straight:17", stakes={"split:17,20": 15})
    assert html.count("<button") == 147
    assert 'class="straight black gr13 gc5 sc2 hit"' in html
    assert 'class="split gr14 gc5 sc2 staked" title="Split 17-20, pays 17 to 1">' in html
    assert '<span class="chip" aria-hidden="true">15</span></button>' in html
    assert "style=" not in html


def test_open_stakes_add_up_by_cell() -> None:
    stakes = open_stakes([("split", [17, 20], 10), ("split", [17, 20], 5), ("straight", ["00"], 7)])
    assert stakes == {"split:17,20": 15, "straight:00": 7}
