"""The TCP tables: idle connections held, NOOP round-trips beside an asyncio echo server, broadcast.

Three measurements, each against a real ``parlor tables serve`` (SQLite) started here:

- **idle**: ``--connections`` (10,000) connections opened and held, each having read the
  greeting; the server's resident memory before and after, per connection; then one
  more client is served a NOOP. (The process's file limit is raised for both sides.)
- **NOOP**: 100 clients (one asyncio process, ``Protocol``-level, so the client costs
  little), each sending NOOP as soon as the previous reply arrives, for ``--seconds``;
  beside it, in alternating rounds, the anchor: a minimal asyncio server that answers
  each line with a line (``asyncio.start_server``, ``readline``, ``write``), loaded by the
  same client. Bar: parlor's round-trips at >= 50% of the anchor's. The flood limit is
  raised for this run (``--burst``): it exists to refuse exactly this load.
- **broadcast**: 100 players at one table; one of them says CHAT lines back to back
  (each waits for its reply), and the other 99 receive each as an event: deliveries per
  second. Then one round: the time from the window's closing (631) at the first
  player to the result (640) at the last.

    .venv/bin/python bench/tables_tcp.py [--seconds 10] [--rounds 3] [--connections 10000]
        [--write-md]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from mdsection import replace_section
from rest_bet import load_arguments

SECTION = "Tables over TCP: idle connections, NOOP round-trips, broadcast"
CLIENTS = 100
PLAYERS = 100

ECHO_SERVER = """
import asyncio, sys

async def handle(reader, writer):
    while line := await reader.readline():
        writer.write(b"200 ok\\r\\n")
    writer.close()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_file_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(hard, max(soft, wanted))
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS")


@contextmanager
def process(argv: list[str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=sink)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"{argv[:4]} exited early: see {log}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{argv[:4]} did not start: see {log}") from None
                    time.sleep(0.05)
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def tables_argv(port: int, work: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "parlor", "tables", "serve", "--tcp-port", str(port),
        "--database", f"sqlite:///{work / 'tables.db'}", "--burst", "100000000",
        "--max-connections", "100000", "--per-address", "100000", *extra,
    ]  # fmt: skip


# -- NOOP round-trips ---------------------------------------------------------------------


class _Pinger(asyncio.Protocol):
    """Sends NOOP, and again each time a reply line arrives (after the greeting)."""

    def __init__(self, counts: list[int], stop: asyncio.Event) -> None:
        self.counts, self.stop = counts, stop
        self.greeted = False
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        lines = self.buffer.count(b"\n")
        if not lines:
            return
        self.buffer = self.buffer[self.buffer.rfind(b"\n") + 1 :]
        if not self.greeted:  # the tables' 220, or nothing from the echo anchor
            self.greeted = True
            lines -= 1
        self.counts[0] += lines
        if lines and not self.stop.is_set():  # one NOOP in flight per client, always
            self.transport.write(b"NOOP\r\n" * lines)


async def _ping(port: int, seconds: float, greets: bool) -> float:
    loop = asyncio.get_running_loop()
    counts, stop = [0], asyncio.Event()
    pingers = []
    for _ in range(CLIENTS):
        _, pinger = await loop.create_connection(lambda: _Pinger(counts, stop), "127.0.0.1", port)
        pingers.append(pinger)
    await asyncio.sleep(0.3)
    for pinger in pingers:
        if not greets:
            pinger.greeted = True
        pinger.transport.write(b"NOOP\r\n")
    await asyncio.sleep(1.0)  # warm up
    start, begun = counts[0], time.perf_counter()
    await asyncio.sleep(seconds)
    done = counts[0] - start
    elapsed = time.perf_counter() - begun
    stop.set()
    for pinger in pingers:
        pinger.transport.close()
    return done / elapsed


def noop_rate(port: int, seconds: float, *, greets: bool) -> float:
    return asyncio.run(_ping(port, seconds, greets))


# -- idle connections ---------------------------------------------------------------------


async def _hold(port: int, count: int) -> list[asyncio.StreamWriter]:
    writers = []
    for start in range(0, count, 500):
        batch = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in range(min(500, count - start)))
        )
        for reader, writer in batch:
            await reader.readline()
            writers.append(writer)
    return writers


def idle_figures(port: int, pid: int, count: int) -> dict[str, float]:
    async def run() -> dict[str, float]:
        before = rss_kib(pid)
        writers = await _hold(port, count)
        await asyncio.sleep(1.0)
        after = rss_kib(pid)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(b"NOOP\r\n")
        answered = (await asyncio.wait_for(reader.readline(), 10)).startswith(b"200")
        writer.close()
        for held in writers:
            held.close()
        return {
            "held": len(writers),
            "before_kib": before,
            "after_kib": after,
            "per_connection_kib": (after - before) / max(1, len(writers)),
            "answered": float(answered),
        }

    return asyncio.run(run())


# -- broadcast ----------------------------------------------------------------------------


async def _broadcast(port: int, seconds: float) -> dict[str, float]:
    players = []
    for n in range(PLAYERS):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await reader.readline()
        writer.write(f"USER p{n}\r\nJOIN main\r\n".encode())
        await reader.readline()
        await reader.readline()
        players.append((reader, writer))
    await asyncio.sleep(0.5)
    for reader, _ in players:  # the joins of those after: drain them
        while True:
            try:
                await asyncio.wait_for(reader.readline(), 0.05)
            except TimeoutError:
                break
    delivered = [0]
    stop = asyncio.Event()

    async def listen(reader: asyncio.StreamReader, wanted: bytes, seen: list[float]) -> None:
        while not stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), 0.5)
            except TimeoutError:
                continue
            if line.startswith(b"620 "):
                delivered[0] += 1
            if line.startswith(wanted):
                seen.append(time.perf_counter())

    closing: list[float] = []
    result: list[float] = []
    listeners = [asyncio.create_task(listen(reader, b"640 ", result)) for reader, _ in players[1:]]
    sender_reader, sender = players[0]
    begun = time.perf_counter()
    said = 0
    while time.perf_counter() - begun < seconds:
        sender.write(b"CHAT the quick brown fox jumps over the lazy dog\r\n")
        await sender_reader.readline()
        said += 1
    elapsed = time.perf_counter() - begun
    await asyncio.sleep(1.0)
    rate = delivered[0] / elapsed
    # One round: SPIN, and when the window closes, how long until the last player has 640.
    for task in listeners:
        task.cancel()
    listeners = [asyncio.create_task(listen(reader, b"640 ", result)) for reader, _ in players[1:]]
    sender.write(b"SPIN\r\n")
    while True:
        line = await sender_reader.readline()
        if line.startswith(b"631 "):
            closing.append(time.perf_counter())
        if line.startswith(b"640 "):
            break
    await asyncio.sleep(2.0)
    stop.set()
    await asyncio.gather(*listeners, return_exceptions=True)
    for _, writer in players:
        writer.close()
    return {
        "said": said,
        "deliveries_per_s": rate,
        "spin_to_last_ms": (max(result) - closing[0]) * 1000 if result and closing else -1,
        "got_result": len(result),
    }


def broadcast_figures(port: int, seconds: float) -> dict[str, float]:
    return asyncio.run(_broadcast(port, seconds))


# -- the run ------------------------------------------------------------------------------


def main() -> None:
    args = load_arguments(
        __doc__, lambda parser: parser.add_argument("--connections", type=int, default=10_000)
    )
    console = Console()
    limit = raise_file_limit(args.connections + 1_000)
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-tables-"))
    log = work / "server.log"
    port = free_port()
    with (
        console.status(f"idle: holding {args.connections:,} connections"),
        process(tables_argv(port, work), port, log) as proc,
    ):
        idle = idle_figures(port, proc.pid, min(args.connections, limit - 200))
    parlor_rates, echo_rates = [], []
    with console.status("") as status:
        for round_ in range(1, args.rounds + 1):
            status.update(f"round {round_}/{args.rounds}: NOOP on parlor tables")
            port = free_port()
            with process(tables_argv(port, work), port, log):
                parlor_rates.append(noop_rate(port, args.seconds, greets=True))
            status.update(f"round {round_}/{args.rounds}: the asyncio echo anchor")
            port = free_port()
            echo = [sys.executable, "-c", ECHO_SERVER, str(port)]
            with process(echo, port, log):
                echo_rates.append(noop_rate(port, args.seconds, greets=False))
    port = free_port()
    with (
        console.status(f"broadcast: {PLAYERS} players at one table"),
        process(tables_argv(port, work, "--betting-window", "0.5"), port, log),
    ):
        broadcast = broadcast_figures(port, args.seconds)
    ratios = [p / e for p, e in zip(parlor_rates, echo_rates, strict=True)]
    parlor, anchor = statistics.median(parlor_rates), statistics.median(echo_rates)
    ratio = parlor / anchor
    verdict = "PASS" if ratio >= 0.5 else "FAIL"
    console.print(
        f"idle: {idle['held']:,.0f} held, {idle['per_connection_kib']:.1f} KiB each,"
        f" answered after: {bool(idle['answered'])}"
    )
    console.print(
        f"NOOP: parlor {parlor:,.0f}/s, asyncio echo {anchor:,.0f}/s = {ratio:.1%}"
        f" (rounds {min(ratios):.1%}-{max(ratios):.1%}; bar 50%: {verdict})"
    )
    console.print(
        f"broadcast: {broadcast['deliveries_per_s']:,.0f} deliveries/s to {PLAYERS - 1} players;"
        f" window close to the last result {broadcast['spin_to_last_ms']:.1f} ms"
        f" ({broadcast['got_result']:.0f} got it)"
    )
    if args.write_md:
        write_markdown(idle, parlor, anchor, ratio, ratios, verdict, broadcast, args)


def write_markdown(
    idle: dict[str, float],
    parlor: float,
    anchor: float,
    ratio: float,
    ratios: list[float],
    verdict: str,
    broadcast: dict[str, float],
    args: argparse.Namespace,
) -> None:
    body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
`parlor tables serve` on SQLite, loaded from one asyncio client process; `bench/tables_tcp.py`.

**Idle connections.** {idle["held"]:,.0f} connections opened and held, each having read
its greeting: the server's resident memory went from {idle["before_kib"] / 1024:,.1f} MiB
to {idle["after_kib"] / 1024:,.1f} MiB, **{idle["per_connection_kib"]:.1f} KiB per
connection** (pyftpdlib publishes about 7 KB). A client that connected after them was
answered: {bool(idle["answered"])}.

**NOOP round-trips.** {CLIENTS} clients, each sending NOOP as soon as its previous reply
arrives, {args.seconds} s per round, {args.rounds} alternating rounds, medians; the flood
limit raised for the run (`--burst`). The anchor: a minimal asyncio server answering each
line with a line.

| server | round-trips/s |
| --- | ---: |
| asyncio `start_server` + `readline` (anchor) | {anchor:,.0f} |
| `parlor tables serve` (codec, flood and idle checks, command table) | {parlor:,.0f} |

**Ratio: {ratio:.1%}** of the anchor (rounds: {", ".join(f"{r:.1%}" for r in ratios)}).
Bar (>= 50%): **{verdict}**.

**Broadcast.** {PLAYERS} players at one table; one says CHAT lines back to back (each
waiting for its reply), the other {PLAYERS - 1} receive each as an event:
**{broadcast["deliveries_per_s"]:,.0f} deliveries per second**. One round: from the
window's close (631) at the first player to the result (640) at the last,
**{broadcast["spin_to_last_ms"]:.1f} ms** (the house's spin transaction included;
{broadcast["got_result"]:.0f} of {PLAYERS - 1} received it).

Reproduce: `.venv/bin/python bench/tables_tcp.py --seconds {args.seconds} --rounds {args.rounds} --connections {args.connections} --write-md`
"""  # noqa: E501
    replace_section(SECTION, body)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
