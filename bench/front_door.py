"""The front door under siege: bets with 500 stalled uploads open, and 1,000 long polls held.

Two measurements on a real `parlor service` (SQLite, one worker):

- **stalled**: `wrk` bets (as bench/rest_bet.py) with no other client, then
  with 500 connections open that sent a POST's headers and stall in the body;
  rounds alternate, medians compared. The anchor is the same server without
  the stalled clients: the bar is ≥ 90% of its figure.
- **long polls**: 1,000 clients each hold `GET /api/v1/sessions/{id}?wait=30`
  on a session of its own; the server's memory (RSS of the service and its
  worker) before and after gives the cost per waiter. Then a bet on each
  session in turn, timed from the bet's answer to the waiter's answer: the
  wake latency, p50 and p99.

    .venv/bin/python bench/front_door.py [--seconds 10] [--rounds 3] [--write-md]
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress

from mdsection import replace_section
from rest_bet import (
    LUA_BET,
    LUA_REPORT,
    free_port,
    load_arguments,
    open_sessions,
    server,
    wrk,
)

SECTION = "Front door: stalled uploads and long polls"
STALLED = 500
WAITERS = 1000


def stall(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n"
        )
        sockets.append(sock)
    return sockets


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every process below it (the worker, its app process)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1]) * 1024
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


async def read_response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


async def long_polls(port: int, pid: int, sessions: list[tuple[str, int]]) -> dict[str, float]:
    before = tree_rss(pid)
    waiters = []
    for session, version in sessions:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/v1/sessions/{session}?wait=30&since={version} HTTP/1.1\r\n"
            "Host: x\r\n\r\n".encode()
        )
        waiters.append((reader, writer))
    await asyncio.sleep(2)  # every one parked
    held = tree_rss(pid)
    bettor_reader, bettor = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"proposition": "red", "amount": 10}'
    latencies = []
    for (session, _), (reader, writer) in zip(sessions, waiters, strict=True):
        bettor.write(
            f"POST /api/v1/sessions/{session}/bets HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await read_response(bettor_reader)
        answered = time.perf_counter()
        state = json.loads(await read_response(reader))
        latencies.append(time.perf_counter() - answered)
        assert state["bet_count"] == 1, state
        writer.close()
    bettor.close()
    latencies.sort()
    return {
        "rss_before": before,
        "rss_held": held,
        "per_waiter": (held - before) / len(sessions),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    args = load_arguments(__doc__)
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-door-"))
    env = {
        **os.environ,
        # Stalled clients must stay stalled for the whole wrk run.
        "PARLOR_BODY_TIMEOUT": "600",
    }
    port = free_port()
    argv = [
        sys.executable, "-m", "parlor", "service", "--port", str(port),
        "--database", f"sqlite:///{work / 'door.db'}",
    ]  # fmt: skip
    with server(argv, port, work / "parlor.log", env):
        sessions = open_sessions(f"http://127.0.0.1:{port}")
    script = work / "bet.lua"
    script.write_text(LUA_BET % ", ".join(f'"{s}"' for s in sessions) + LUA_REPORT)

    results: dict[str, list[dict[str, float]]] = {"alone": [], "stalled": []}
    with console.status("") as status:
        for round_ in range(1, args.rounds + 1):
            for name in ("alone", "stalled") if round_ % 2 else ("stalled", "alone"):
                status.update(f"round {round_}/{args.rounds}: bets, {name}")
                with server(argv, port, work / "parlor.log", env):
                    stalled = stall(port, STALLED) if name == "stalled" else []
                    try:
                        results[name].append(wrk(f"http://127.0.0.1:{port}/", script, args.seconds))
                    finally:
                        for sock in stalled:
                            sock.close()
    med = {name: statistics.median(r["rps"] for r in rs) for name, rs in results.items()}
    kept = med["stalled"] / med["alone"]
    errors = sum(r["errors"] for rs in results.values() for r in rs)
    if errors:
        raise SystemExit(f"{errors} requests failed: see {work}/parlor.log")

    with server(argv, port, work / "parlor.log", env):
        proc_pid = int(
            subprocess.run(
                ["pgrep", "-f", f"parlor service --port {port}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[0]
        )
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("opening 1,000 sessions", total=WAITERS)
            opened = []
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                for i in range(WAITERS):
                    state = client.post("/api/v1/sessions", json={"name": f"w{i}"}).json()
                    opened.append((state["session"], state["version"]))
                    progress.advance(task)
        console.print("holding 1,000 long polls, then waking each with a bet…")
        polls = asyncio.run(long_polls(port, proc_pid, opened))

    verdict = "PASS" if kept >= 0.9 else "FAIL"
    console.print(
        f"bets/s alone {med['alone']:,.0f}, with {STALLED} stalled uploads {med['stalled']:,.0f}:"
        f" {kept:.1%} kept (bar 90%: {verdict})"
    )
    console.print(
        f"{WAITERS} long polls: {polls['per_waiter'] / 1024:.1f} KiB per waiter"
        f" ({polls['rss_before'] / 2**20:.0f} → {polls['rss_held'] / 2**20:.0f} MiB);"
        f" wake after a bet p50 {polls['p50_ms']:.2f} ms, p99 {polls['p99_ms']:.2f} ms,"
        f" max {polls['max_ms']:.2f} ms"
    )
    if args.write_md:
        command = (
            f".venv/bin/python bench/front_door.py --seconds {args.seconds}"
            f" --rounds {args.rounds} --write-md"
        )
        ranges = {
            name: f"{min(r['rps'] for r in rs):,.0f}–{max(r['rps'] for r in rs):,.0f}"
            for name, rs in results.items()
        }
        replace_section(
            SECTION,
            f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
one `parlor service` (SQLite, 1 worker), `bench/front_door.py`.

**Stalled uploads.** `wrk -t1 -c32 -d{args.seconds}s` bets as in the REST benchmark, with no
other client (the anchor) and with {STALLED} connections open that sent a POST's headers
and stall in its body (the body deadline raised to 600 s so that none is dropped during
the run); {args.rounds} alternating rounds, medians.

| clients | bets/s (median) | range |
| --- | ---: | ---: |
| wrk alone (anchor) | {med["alone"]:,.0f} | {ranges["alone"]} |
| wrk with {STALLED} stalled uploads open | {med["stalled"]:,.0f} | {ranges["stalled"]} |

**Kept: {kept:.1%}** of the bets/s. Bar (≥ 90%): **{verdict}**.

**Long polls.** {WAITERS} clients each hold `GET /api/v1/sessions/{{id}}?wait=30&since=V`
on a session of its own. Memory of the service (main process, worker and app process):
{polls["rss_before"] / 2**20:.1f} MiB before, {polls["rss_held"] / 2**20:.1f} MiB with all held:
**{polls["per_waiter"] / 1024:.1f} KiB per waiter**, and no thread. Then a bet on each
session in turn; from the bet's answer to the waiter's: **p50 {polls["p50_ms"]:.2f} ms,
p99 {polls["p99_ms"]:.2f} ms** (max {polls["max_ms"]:.2f} ms).

Reproduce: `{command}`
""",
        )


if __name__ == "__main__":
    main()
