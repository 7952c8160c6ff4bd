"""Reads of a session while bets pour into it, on PostgreSQL: before and after lock-free reads.

Run:  .venv/bin/python bench/pg_reads.py [--before REF] [--rounds 3] [--seconds 5] [--write-md]

Each round runs two child processes, one on this checkout and one on ``--before`` (a git
commit whose reads still took ``SELECT … FOR UPDATE``, checked out into a temporary worktree),
in alternating order. Each child, in a fresh PostgreSQL schema, opens one session and then:

* idle: one reader thread calls ``RouletteHouse.session(id)`` for ``--seconds`` / 2 alone;
* loaded: the same reader while 4 writer threads place 1-chip bets on the same session as fast
  as they can, a spin after every 20th bet, for ``--seconds``.

It reports the reader's median and 99th-percentile latency in both phases and the writers' bets
per second. The anchor of each run is its own idle phase: how much slower a read gets under load.
PostgreSQL is the one at PARLOR_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1/test).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from beside import beside
from mdsection import replace_section

POSTGRES_URL = os.environ.get(
    "PARLOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
WRITERS = 4
SPIN_EVERY = 20
#: The last commit whose read paths locked the session row.
DEFAULT_BEFORE = "34487fc"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def child(seconds: float) -> dict[str, float]:
    """One measurement in this process, on the parlor that PYTHONPATH names."""
    import psycopg

    from parlor.house.roulette import RouletteHouse
    from parlor.store.db import open_database
    from parlor.store.schema import migrate

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    db = open_database(url)
    try:
        migrate(db)
        house = RouletteHouse(db)
        sid = house.open_session("bench", bankroll=1_000_000, table_min=1, table_max=100_000).id

        def read_for(duration: float) -> list[float]:
            latencies = []
            end = time.perf_counter() + duration
            while (start := time.perf_counter()) < end:
                house.session(sid)
                latencies.append(time.perf_counter() - start)
            return latencies

        idle = read_for(seconds / 2)
        stop = threading.Event()
        bets = [0] * WRITERS

        def write(index: int) -> None:
            while not stop.is_set():
                house.place_bet(sid, "red", None, 1)
                bets[index] += 1
                if bets[index] % SPIN_EVERY == 0:
                    house.spin(sid)

        writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for thread in writers:
            thread.start()
        time.sleep(0.2)  # the writers get going
        loaded = read_for(seconds)
        stop.set()
        for thread in writers:
            thread.join()
        return {
            "idle_p50_ms": statistics.median(idle) * 1000,
            "idle_p99_ms": _percentile(idle, 0.99) * 1000,
            "loaded_p50_ms": statistics.median(loaded) * 1000,
            "loaded_p99_ms": _percentile(loaded, 0.99) * 1000,
            "reads": len(loaded),
            "bets_per_s": sum(bets) / (seconds + 0.2),
        }
    finally:
        db.close()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _run(src: Path, seconds: float) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{Path(__file__).parent}"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--seconds", str(seconds)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git ref of the code before")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--write-md", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.seconds)))
        return
    results = beside(args.before, args.rounds, lambda src: _run(src, args.seconds), json.dumps)
    _report(results, args)


def _report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    def med(which: str, key: str) -> float:
        return statistics.median(r[key] for r in results[which])

    def span(which: str, key: str) -> str:
        values = [r[key] for r in results[which]]
        return f"{min(values):.2f}–{max(values):.2f}"

    rows = []
    labels = {
        "before": f"before ({args.before}: reads lock the row)",
        "after": "after (reads lock nothing)",
    }
    for which, label in labels.items():
        slowdown = med(which, "loaded_p50_ms") / med(which, "idle_p50_ms")
        rows.append(
            f"| {label} | {med(which, 'idle_p50_ms'):.2f} | {med(which, 'loaded_p50_ms'):.2f}"
            f" ({span(which, 'loaded_p50_ms')}) | {med(which, 'loaded_p99_ms'):.2f}"
            f" ({span(which, 'loaded_p99_ms')}) | {slowdown:.1f}x"
            f" | {med(which, 'bets_per_s'):,.0f} |"
        )
    command = (
        f".venv/bin/python bench/pg_reads.py --before {args.before} --rounds {args.rounds}"
        f" --seconds {args.seconds:g} --write-md"
    )
    body = f"""## Session reads under a bet load (PostgreSQL)

`{command}`

One reader thread calls `RouletteHouse.session(id)` in a loop, alone (idle) and then while
{WRITERS} writer threads place 1-chip bets on the same session (a spin every {SPIN_EVERY}th
bet), in-process on PostgreSQL. Medians of {args.rounds} rounds, range across rounds in
brackets; the anchor of each row is its own idle read.

| code | idle read p50 ms | loaded read p50 ms | loaded read p99 ms | loaded / idle p50 | bets/s |
| --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Before, every read took `SELECT … FOR UPDATE` and so queued behind each bet's transaction on
the same row (and even idle, locking a row dirtied it: the read's commit had WAL to flush); now
reads run `REPEATABLE READ, READ ONLY` on a snapshot and take no row lock. The writers' bets/s
fall because the reader, no longer stalled, makes 10x the reads in the same time on the same
2 cores and one GIL.
"""
    print(body)
    if args.write_md:
        replace_section("Session reads under a bet load (PostgreSQL)", body)


if __name__ == "__main__":
    main()
