"""Balance over time: the history recomputed from bets, and its SVG."""

from __future__ import annotations

import re

import pytest

from parlor.web.chart import balance_chart, balance_history


def test_history_from_settled_bets() -> None:
    settled = [(1, -10), (1, 170), (3, -20), (9, 5), (0, 99)]  # spins outside 1..3 are ignored
    assert balance_history(1000, settled, 3) == [1000, 1160, 1160, 1140]


def test_no_spins_is_the_bankroll() -> None:
    assert balance_history(500, [], 0) == [500]


def test_the_chart_draws_every_point() -> None:
    svg = balance_chart([1000, 990, 1160, 1140], first_spin=0)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None
    assert len(points.group(1).split()) == 4
    assert 'role="img"' in svg
    assert "Balance from spin 0 to spin 3: 1000 to 1140 chips" in svg
    assert "lowest 990, highest 1160" in svg
    assert 'class="balance up"' in svg


def test_the_highest_point_is_at_the_top() -> None:
    svg = balance_chart([10, 30, 20])
    xy = [tuple(map(float, p.split(","))) for p in re.findall(r'points="([^"]+)"', svg)[0].split()]
    assert min(xy, key=lambda p: p[1]) == xy[1]
    assert xy[0][0] < xy[1][0] < xy[2][0]


@pytest.mark.parametrize(("history", "trend"), [([5, 5], "flat"), ([5, 4], "down")])
def test_trends(history: list[int], trend: str) -> None:
    assert f'class="balance {trend}"' in balance_chart(history, first_spin=7)
    assert "spin 7" in balance_chart(history, first_spin=7)


def test_one_point_is_not_a_chart() -> None:
    with pytest.raises(ValueError, match="two points"):
        balance_chart([1000])
