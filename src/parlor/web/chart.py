"""Balance over time as inline SVG: a pure function of the points, no plotting library.

``balance_history`` recomputes the balance after each spin from the session's
settled bets; ``balance_chart`` draws it as one polyline against a dashed line
at the starting bankroll. The SVG scales to its container's width (viewBox),
carries a text alternative (``role="img"`` and ``aria-label``), and holds
nothing but numbers and fixed words, escaped all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

WIDTH = 640
HEIGHT = 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 76, 14, 16, 30


def balance_history(bankroll: int, settled: Iterable[tuple[int, int]], spins: int) -> list[int]:
    """The balance after each spin 0..``spins``, from ``(spin, net outcome)`` of settled bets.

    The balance here counts open bets as not yet placed: after a spin every
    earlier bet is settled, so this is the chips held right after that spin.
    """
    net = [0] * (spins + 1)
    for spin, outcome in settled:
        if 1 <= spin <= spins:
            net[spin] += outcome
    history, balance = [], bankroll
    for change in net:
        balance += change
        history.append(balance)
    return history


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def balance_chart(history: Sequence[int], *, first_spin: int = 0) -> str:
    """An SVG line of ``history[i]``, the balance after spin ``first_spin + i``."""
    if len(history) < 2:
        raise ValueError("a chart needs at least two points")
    start = history[0]
    low, high = min(history), max(history)
    if low == high:
        low, high = low - 1, high + 1
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    last = len(history) - 1

    def x(i: int) -> float:
        return _LEFT + plot_w * i / last

    def y(value: int) -> float:
        return _TOP + plot_h * (high - value) / (high - low)

    line = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in enumerate(history))
    first, final = first_spin, first_spin + last
    label = (
        f"Balance from spin {first} to spin {final}: {start} to {history[-1]} chips,"
        f" lowest {min(history)}, highest {max(history)}"
    )
    trend = "up" if history[-1] > start else "down" if history[-1] < start else "flat"
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{WIDTH - _RIGHT}"'
        f' y2="{_TOP + plot_h}"/>',
        f'<line class="start" x1="{_LEFT}" y1="{_fmt(y(start))}" x2="{WIDTH - _RIGHT}"'
        f' y2="{_fmt(y(start))}"/>',
        f'<polyline class="balance {trend}" points="{line}"/>',
        f'<circle class="now" cx="{_fmt(x(last))}" cy="{_fmt(y(history[-1]))}" r="4"/>',
        f'<text x="{_LEFT - 6}" y="{_TOP + 5}" text-anchor="end">{high}</text>',
        f'<text x="{_LEFT - 6}" y="{_TOP + plot_h}" text-anchor="end">{low}</text>',
        f'<text x="{_LEFT}" y="{HEIGHT - 8}">spin {first}</text>',
        f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 8}" text-anchor="end">spin {final}</text>',
        "</svg>",
    ]
    return "".join(parts)
