"""Where 1,000 long polls' time goes: CPU per wake in the front door, the app and the client.

One `parlor service` (SQLite, one worker) with nothing else to do; 1,000
waiters on one game (bench/chess_waiters.py's clients) while its players move
every `--interval` seconds for `--seconds`. Each wake is two HTTP messages for
the front door: the answer with the new version, and the client's next
`?wait=30&since=V`, which the door parks without asking the app. Reports the
CPU seconds each process spent per wake, and the wake latencies.

    .venv/bin/python bench/chess_wake_cost.py [--seconds 10] [--interval 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chess_moves import _cpu_seconds, service_processes
from chess_waiters import watched_round
from rest_bet import free_port, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-wakes-"))
    port = free_port()
    argv = [
        sys.executable, "-m", "parlor", "service", "--port", str(port),
        "--database", f"sqlite:///{work / 'wakes.db'}",
    ]  # fmt: skip
    with server(argv, port, work / "parlor.log", dict(os.environ)):
        processes = service_processes(port)
        time.sleep(1)
        before = {name: _cpu_seconds(pid) for name, pid in processes.items()}
        client_before = time.process_time()
        wakes, played = asyncio.run(watched_round(port, args.seconds, args.interval))
        client = time.process_time() - client_before
        spent = {name: _cpu_seconds(pid) - before[name] for name, pid in processes.items()}
    count = len(wakes.latencies)
    latencies = sorted(wakes.latencies)
    print(
        f"{played} moves, {count:,} wakes (stale: {wakes.wrong}); wake latency p50"
        f" {statistics.median(latencies) * 1000:.1f} ms, p99"
        f" {latencies[int(count * 0.99) - 1] * 1000:.1f} ms; CPU per wake: front door"
        f" {spent['door'] / count * 1e6:.0f} µs, app {spent['app'] / count * 1e6:.0f} µs,"
        f" the waiters' own client {client / count * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
