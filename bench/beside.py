"""Measuring this checkout beside an older commit, in alternating rounds of one run.

``beside(ref, rounds, measure)`` checks ``ref`` out into a temporary git
worktree, calls ``measure(src)`` for the older ``src/`` and for this
checkout's, alternating which goes first each round so drift on a noisy
machine falls on both, and returns every result by "before" and "after".
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def beside(
    ref: str,
    rounds: int,
    measure: Callable[[Path], T],
    show: Callable[[T], str] = str,
) -> dict[str, list[T]]:
    results: dict[str, list[T]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(worktree), ref],
            cwd=ROOT,
            check=True,
        )
        try:
            for round_ in range(rounds):
                order = ["before", "after"] if round_ % 2 == 0 else ["after", "before"]
                for which in order:
                    result = measure(worktree / "src" if which == "before" else ROOT / "src")
                    results[which].append(result)
                    print(f"round {round_ + 1} {which:>6}: {show(result)}", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)],
                cwd=ROOT,
                check=True,
            )
    return results
