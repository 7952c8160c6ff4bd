"""Where 1,000 long polls' time goes: CPU per wake in the front door, the app and the client.

One `parlor service` (SQLite, one worker) with nothing else to do; 1,000
waiters on one game (bench/chess_waiters.py's clients) while its players move
every `--interval` seconds for `--seconds`. Each wake is two HTTP messages for
the front door: the answer with the new version, and the client's next
`?wait=30&since=V`, which the door parks without asking the app. Reports the
CPU seconds each process spent per wake, and the wake latencies; medians of
`--rounds` rounds, each on a fresh server.

    .venv/bin/python bench/chess_wake_cost.py [--seconds 10] [--interval 0.5] [--rounds 3]
        [--write-md]
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from chess_moves import _cpu_seconds, service_processes
from chess_waiters import WAITERS, watched_round
from mdsection import replace_section
from rest_bet import free_port, load_arguments, server

SECTION = "Chess: where 1,000 long polls' time goes"


def one_round(work: Path, seconds: float, interval: float) -> dict[str, float]:
    port = free_port()
    argv = [
        sys.executable, "-m", "parlor", "service", "--port", str(port),
        "--database", f"sqlite:///{work / f'wakes{port}.db'}",
    ]  # fmt: skip
    with server(argv, port, work / "parlor.log", dict(os.environ)):
        processes = service_processes(port)
        time.sleep(1)
        before = {name: _cpu_seconds(pid) for name, pid in processes.items()}
        client_before = time.process_time()
        wakes, played = asyncio.run(watched_round(port, seconds, interval))
        client = time.process_time() - client_before
        spent = {name: _cpu_seconds(pid) - before[name] for name, pid in processes.items()}
    count = len(wakes.latencies)
    if wakes.wrong or count != WAITERS * played:
        raise SystemExit(f"{count} wakes for {played} moves, {wakes.wrong} stale: see {work}")
    latencies = sorted(wakes.latencies)
    return {
        "moves": played,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(count * 0.99) - 1] * 1000,
        "door_us": spent["door"] / count * 1e6,
        "app_us": spent["app"] / count * 1e6,
        "client_us": client / count * 1e6,
    }


def main() -> None:
    args = load_arguments(
        __doc__, lambda parser: parser.add_argument("--interval", type=float, default=0.5)
    )
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-wakes-"))
    rounds = []
    with console.status("") as status:
        for round_ in range(1, args.rounds + 1):
            status.update(f"round {round_}/{args.rounds}: {WAITERS:,} waiters, one game")
            rounds.append(one_round(work, args.seconds, args.interval))
    med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    span = {key: (min(r[key] for r in rounds), max(r[key] for r in rounds)) for key in rounds[0]}
    console.print(
        f"CPU per wake: front door {med['door_us']:.0f} µs ({span['door_us'][0]:.0f}–"
        f"{span['door_us'][1]:.0f}), app {med['app_us']:.0f} µs, the waiters' own client"
        f" {med['client_us']:.0f} µs; wake latency p50 {med['p50_ms']:.1f} ms, p99"
        f" {med['p99_ms']:.1f} ms"
    )
    if not args.write_md:
        return
    command = (
        f".venv/bin/python bench/chess_wake_cost.py --seconds {args.seconds:g}"
        f" --interval {args.interval:g} --rounds {args.rounds} --write-md"
    )
    per_move_ms = (med["door_us"] + med["client_us"]) * WAITERS / 1000
    body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
`bench/chess_wake_cost.py`. The same {WAITERS:,} waiters as above on an otherwise idle
`parlor service` (SQLite, 1 worker), a move every {args.interval:g} s for {args.seconds:g} s;
medians of {args.rounds} rounds, each on a fresh server; every waiter woke after every move.

| CPU per wake | median | range |
| --- | ---: | ---: |
| the front door | {med["door_us"]:.0f} µs | {span["door_us"][0]:.0f}–{span["door_us"][1]:.0f} µs |
| the app | {med["app_us"]:.0f} µs | {span["app_us"][0]:.0f}–{span["app_us"][1]:.0f} µs |
| the waiters' own client (same two cores) | {med["client_us"]:.0f} µs | {span["client_us"][0]:.0f}–{span["client_us"][1]:.0f} µs |

Wake latency on the idle service: p50 {med["p50_ms"]:.1f} ms, p99 {med["p99_ms"]:.1f} ms.

The app's share is small because one app call answers all {WAITERS:,} waiters (the front door
shares it among identical requests). A wake is two HTTP messages for the door: the answer,
then the client's next `?wait=30&since=V`, which the door parks without asking the app.
Each message costs the door about what any request through it costs. So each move's
{WAITERS:,} wakes take about {per_move_ms:,.0f} ms of CPU from the door and the client
together. On two cores that the bets alone keep busy, that is what the bets above lose.
The wake latency is the same door work, spread over the thousand.

Reproduce: `{command}`
"""  # noqa: E501
    replace_section(SECTION, body)


if __name__ == "__main__":
    main()
