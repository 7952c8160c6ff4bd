"""``parlor simulate martingale`` beside a straightforward per-spin Python loop, same strategy.

Run:  .venv/bin/python bench/simulate.py [--sessions N] [--runs R] [--write-md]

Parlor's side is the real command, run as a subprocess:
``parlor simulate martingale --sessions 1000000 --spins 250 --workers 2 --seed S --json``
(with Lott's defaults: bankroll 100, base 1, table maximum 500, American wheel;
the default policies: cap at the maximum, leave when short). Its spins per
second are the spins actually played (a busted session stops early) over the
seconds the command itself reports for the simulation: chunks, worker
processes and reductions included; interpreter start-up and imports not. The
wall time of the whole command is reported too.

The anchor is the loop anyone would write first: per session, per spin,
``random.randrange(38)``, double after a loss, back to the base after a win,
capped at the maximum, leaving when the next bet is more than what is left. It
runs in this process on fewer sessions (``--anchor-sessions``), and its
spins per second are counted the same way. As a check that both play the same
game, the anchor's mean duration must lie within 4 standard errors of parlor's.

Parlor and anchor alternate, R runs each; medians are reported. Bars: at
least 50 million spins/s, and at least 30× the anchor; goal beyond: 100 million.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mdsection import replace_section

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "Monte Carlo: parlor simulate martingale vs a per-spin Python loop"
BAR_RATE = 50e6
BAR_RATIO = 30.0
GOAL_RATE = 100e6
RED = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
# Registers the command as cli.py does, for a checkout whose `parlor` lacks it.
_FALLBACK = (
    "import typer; from parlor.cli.simulate import simulate; app = typer.Typer();"
    " app.command()(simulate); app()"
)


@dataclass(frozen=True)
class Run:
    spins: int
    seconds: float
    wall: float
    mean_duration: float
    sd_duration: float
    load: float = 0.0

    @property
    def rate(self) -> float:
        return self.spins / self.seconds


def anchor(sessions: int, spins: int, bankroll: int, base: int, table_max: int, seed: int) -> Run:
    """Martingale on red, one spin at a time, in plain Python."""
    rng = random.Random(seed)
    durations = []
    started = time.perf_counter()
    for _ in range(sessions):
        money = bankroll
        bet = base
        played = 0
        for _ in range(spins):
            if bet > money:
                break
            pocket = rng.randrange(38)
            played += 1
            if pocket in RED:
                money += bet
                bet = base
            else:
                money -= bet
                bet = min(2 * bet, table_max)
        durations.append(played)
    seconds = time.perf_counter() - started
    total = sum(durations)
    return Run(total, seconds, seconds, total / sessions, statistics.stdev(durations))


def parlor_command() -> list[str]:
    """``parlor simulate``, or the same function registered on the spot if cli.py lacks it."""
    parlor = shutil.which("parlor", path=str(Path(sys.executable).parent)) or "parlor"
    probe = subprocess.run([parlor, "simulate", "--help"], capture_output=True, check=False)
    return [parlor, "simulate"] if probe.returncode == 0 else [sys.executable, "-c", _FALLBACK]


def parlor(command: list[str], args: list[str]) -> Run:
    started = time.perf_counter()
    done = subprocess.run([*command, *args, "--json"], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    document = json.loads(done.stdout)
    run = document["run"]
    return Run(
        run["spins_played"],
        run["seconds"],
        wall,
        document["mean_duration"],
        document["sd_duration"],
        run["load_seconds"],
    )


def describe_machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cores}-core {model} ({platform.system()} {platform.machine()})"


def versions() -> str:
    import numba
    import numpy

    return (
        f"Python {platform.python_version()}, NumPy {numpy.__version__}, numba {numba.__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--spins", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--anchor-sessions", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side; medians reported")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--write-md", action="store_true", help=f"rewrite its section of {BENCHMARKS_MD.name}"
    )
    args = parser.parse_args(argv)
    if min(args.sessions, args.spins, args.workers, args.anchor_sessions, args.runs) < 1:
        parser.error("every count must be positive")

    bankroll, base, table_max = 100, 1, 500
    command = parlor_command()
    options = [
        "martingale",
        "--sessions",
        str(args.sessions),
        "--spins",
        str(args.spins),
        "--workers",
        str(args.workers),
        "--seed",
        str(args.seed),
    ]
    shown = "parlor simulate " + " ".join(options)
    print(f"parlor: {shown}" + ("" if command[-1] == "simulate" else "  (via simulate_cli)"))
    print(f"anchor: per-spin Python loop, {args.anchor_sessions:,} sessions × {args.spins} spins")
    parlor(command, ["martingale", "--sessions", "1000", "--spins", "10", "--workers", "1"])  # warm
    ours: list[Run] = []
    loops: list[Run] = []
    for index in range(args.runs):
        loops.append(anchor(args.anchor_sessions, args.spins, bankroll, base, table_max, index))
        ours.append(parlor(command, options))
        print(
            f"  run {index + 1}: parlor {ours[-1].rate / 1e6:7.1f} M spins/s"
            f" ({ours[-1].seconds:.2f} s, wall {ours[-1].wall:.2f} s);"
            f" anchor {loops[-1].rate / 1e6:6.2f} M spins/s ({loops[-1].seconds:.2f} s)"
        )
    rate = statistics.median(run.rate for run in ours)
    loop_rate = statistics.median(run.rate for run in loops)
    seconds = statistics.median(run.seconds for run in ours)
    wall = statistics.median(run.wall for run in ours)
    load = statistics.median(run.load for run in ours)
    ratio = rate / loop_rate
    nominal = args.sessions * args.spins / seconds
    played = ours[0].spins
    # Same game? The anchor's mean duration against parlor's, within 4 standard errors.
    mean, sd = ours[0].mean_duration, ours[0].sd_duration
    loop_mean = statistics.fmean(run.mean_duration for run in loops)
    se = sd * (1 / args.sessions + 1 / (args.anchor_sessions * len(loops))) ** 0.5
    same_game = abs(mean - loop_mean) <= 4 * se
    passed = rate >= BAR_RATE and ratio >= BAR_RATIO and same_game
    verdict = "PASS" if passed else "FAIL"
    goal = "met" if rate >= GOAL_RATE else "not met"
    print(
        f"\nmedian parlor {rate / 1e6:.1f} M spins/s, anchor {loop_rate / 1e6:.2f} M spins/s:"
        f" {ratio:.0f}×; bar (≥ {BAR_RATE / 1e6:.0f} M/s and ≥ {BAR_RATIO:.0f}×): {verdict};"
        f" goal (≥ {GOAL_RATE / 1e6:.0f} M/s): {goal}"
    )
    print(f"mean duration: parlor {mean:.3f}, anchor {loop_mean:.3f} (same game: {same_game})")

    if args.write_md:
        today = datetime.now(UTC).date().isoformat()
        how = (
            "`parlor simulate`"
            if command[-1] == "simulate"
            else "`parlor.cli.simulate.simulate` registered on a Typer app as cli.py registers it"
            " (this checkout's `parlor` did not list `simulate` yet)"
        )
        loop_seconds = statistics.median(run.seconds for run in loops)
        lines = [
            f"## {SECTION}",
            "",
            f"Measured {today} on a {describe_machine()};",
            f"{versions()}. One run of this script: {args.runs} runs of each side,",
            "alternating; medians.",
            "",
            f"Reproduce: `.venv/bin/python bench/simulate.py --runs {args.runs} --write-md`",
            "",
            f"- **parlor**: `{shown} --json`, run through {how}.",
            f"  Lott's defaults: bankroll {bankroll}, base {base}, table maximum {table_max},",
            "  American wheel; cap at the maximum, leave when short. Spins/s = spins actually",
            f"  played ({played:,} of {args.sessions:,} × {args.spins}: a session that cannot",
            "  cover its next bet stops) over the simulation's time as the command reports it:",
            "  worker processes, chunks and reductions included; interpreter start-up, imports",
            f"  and loading the cached compiled kernel ({load:.2f} s) not.",
            "- **anchor**: the same strategy as a straightforward per-spin Python loop",
            f"  (`random.randrange(38)` per spin), {args.anchor_sessions:,} sessions, in-process.",
            "",
            "| side | spins/s | time |",
            "|---|---:|---:|",
            f"| parlor simulate, {args.workers} workers | {rate:,.0f} | {seconds:.2f} s"
            f" (whole command {wall:.2f} s) |",
            f"| per-spin Python loop (anchor) | {loop_rate:,.0f} | {loop_seconds:.2f} s"
            f" for {args.anchor_sessions:,} sessions |",
            "",
            f"**Ratio: {ratio:.0f}×** the anchor. Counted as sessions × spins rather than spins",
            f"played: {nominal:,.0f} per second. Mean spins per session: parlor {mean:.2f},",
            f"anchor {loop_mean:.2f} (the same game, within 4 standard errors:"
            f" {'yes' if same_game else 'NO'}).",
            "",
            f"Bar (≥ {BAR_RATE / 1e6:.0f} million spins/s and ≥ {BAR_RATIO:.0f}× the anchor):"
            f" **{verdict}**. Goal beyond (≥ {GOAL_RATE / 1e6:.0f} million spins/s): {goal}.",
        ]
        section = "\n".join(lines) + "\n"
        replace_section(SECTION, section)
        print(f"wrote its section of {BENCHMARKS_MD}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
