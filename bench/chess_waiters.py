"""1,000 long polls on a chess game, held by one `parlor serve` while two players move.

The bar of issue 13: every waiter wakes with the new version after each move,
the wake latency after the move is reported (p50 and p99; goal p99 < 100 ms),
and roulette bets during it keep at least 90% of their throughput without the
waiters.

One `parlor serve` (SQLite, one worker). In alternating rounds, `wrk` bets as
in bench/rest_bet.py for `--seconds`: alone (the anchor), and with 1,000
clients (raw sockets, keep-alive) each holding
`GET /api/v1/chess/games/{id}?wait=30&since=V` on one game while its two
players move in turn, one move every `--interval` seconds. Each waiter, on its
answer, checks the version is the move's, notes the time since the move's
answer arrived, and asks again from the new version.

    .venv/bin/python bench/chess_waiters.py [--seconds 10] [--rounds 3] [--write-md]

``BENCH_MOVE_INTERVAL=0.5`` moves four times as often (the run's figures say which).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import chess
import msgspec
from rich.console import Console

from front_door import read_response
from mdsection import replace_section
from rest_bet import LUA_BET, LUA_REPORT, free_port, load_arguments, open_sessions, server

SECTION = "Chess: 1,000 long polls while two players move"
WAITERS = 1000
#: Seconds between two moves: a blitz pace, and a thousand wakes each time.
INTERVAL = 2.0


@dataclass
class Wakes:
    #: When each version's move was answered (perf_counter).
    moved_at: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    wrong: int = 0
    woken: dict[int, int] = field(default_factory=dict)


class _Version(msgspec.Struct):
    """The one field of a game's answer a waiter reads (msgspec skips the rest unparsed)."""

    version: int


_READ_VERSION = msgspec.json.Decoder(_Version)
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)")


class Waiter(asyncio.Protocol):
    """One watcher: asks ``?wait=30&since=V``, and on each answer checks that the version
    is newer, notes the time since that version's move was answered, and asks again.

    A bare protocol, not a stream reader and a JSON parse of the whole game: the
    thousand waiters share the server's two cores, and with streams their own
    work (about 150 µs a wake) queued the wakes behind each other and took CPU
    from the bets being measured.
    """

    def __init__(self, game_id: str, since: int, wakes: Wakes) -> None:
        self._path = f"/api/v1/chess/games/{game_id}?wait=30&since="
        self._since = since
        self._wakes = wakes
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._ask()

    def _ask(self) -> None:
        assert self._transport is not None
        self._transport.write(f"GET {self._path}{self._since} HTTP/1.1\r\nHost: x\r\n\r\n".encode())

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (head_end := self._buffer.find(b"\r\n\r\n")) >= 0:
            found = _CONTENT_LENGTH.search(self._buffer, 0, head_end)
            end = head_end + 4 + (int(found.group(1)) if found else 0)
            if len(self._buffer) < end:
                return
            body, self._buffer = self._buffer[head_end + 4 : end], self._buffer[end:]
            self._answered(_READ_VERSION.decode(body).version, time.perf_counter())

    def _answered(self, version: int, arrived: float) -> None:
        wakes = self._wakes
        if version <= self._since:
            wakes.wrong += 1
        moved = wakes.moved_at.get(version)
        if moved is not None:
            wakes.latencies.append(arrived - moved)
            wakes.woken[version] = wakes.woken.get(version, 0) + 1
        self._since = version
        self._ask()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def players(
    port: int, game_id: str, tokens: dict[str, str], wakes: Wakes, seconds: float, interval: float
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    board = chess.Board()
    ply = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(interval)
        move = sorted(m.uci() for m in board.legal_moves)[0]
        body = json.dumps({"move": move, "ply": ply}).encode()
        token = tokens["white" if ply % 2 == 0 else "black"]
        writer.write(
            f"POST /api/v1/chess/games/{game_id}/moves HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        answer = json.loads(await read_response(reader))
        wakes.moved_at[answer["version"]] = time.perf_counter()
        board.push_uci(move)
        ply += 1
        if answer["status"] != "active":
            break
    writer.close()
    return ply


async def watched_round(port: int, seconds: float, interval: float) -> tuple[Wakes, int]:
    game = await _json_post(port, "/api/v1/chess/games", {"color": "white"})
    game_id = game["game"]["game"]
    joined = await _json_post(port, f"/api/v1/chess/games/{game_id}/join", {})
    tokens = {"white": game["token"], "black": joined["token"]}
    wakes = Wakes()
    version = joined["game"]["version"]
    loop = asyncio.get_running_loop()
    waiters = []
    for _ in range(WAITERS):
        _, waiter = await loop.create_connection(
            lambda: Waiter(game_id, version, wakes), "127.0.0.1", port
        )
        waiters.append(waiter)
    await asyncio.sleep(2)  # every one parked
    played = await players(port, game_id, tokens, wakes, seconds, interval)
    await asyncio.sleep(0.5)
    for waiter in waiters:
        waiter.close()
    return wakes, played


async def _json_post(port: int, path: str, body: object) -> dict[str, object]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    raw = json.dumps(body).encode()
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(raw)}\r\n\r\n".encode()
        + raw
    )
    answer: dict[str, object] = json.loads(await read_response(reader))
    writer.close()
    return answer


def run_wrk(port: int, script: Path, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        stdout=subprocess.PIPE,
        text=True,
    )


def wrk_rps(process: subprocess.Popen[str]) -> float:
    out, _ = process.communicate(timeout=120)
    for line in out.splitlines():
        if line.startswith("RESULT"):
            requests, errors, duration_us = (int(x) for x in line.split()[1:4])
            if errors:
                raise SystemExit(f"{errors} bets failed")
            return requests / (duration_us / 1e6)
    raise SystemExit(f"unexpected wrk output:\n{out}")


def main() -> None:
    args = load_arguments(__doc__)
    interval = float(os.environ.get("BENCH_MOVE_INTERVAL", INTERVAL))
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-waiters-"))
    port, web_port = free_port(), free_port()
    argv = [
        sys.executable, "-m", "parlor", "serve", "--port", str(port), "--web-port",
        str(web_port), "--database", f"sqlite:///{work / 'waiters.db'}",
    ]  # fmt: skip
    env = dict(os.environ)
    with server(argv, port, work / "parlor.log", env):
        sessions = open_sessions(f"http://127.0.0.1:{port}")
    script = work / "bet.lua"
    script.write_text(LUA_BET % ", ".join(f'"{s}"' for s in sessions) + LUA_REPORT)

    alone: list[float] = []
    watched: list[float] = []
    rounds: list[tuple[Wakes, int]] = []
    with console.status("") as status, server(argv, port, work / "parlor.log", env):
        time.sleep(1)
        for round_ in range(1, args.rounds + 1):
            status.update(f"round {round_}/{args.rounds}: bets alone")
            alone.append(wrk_rps(run_wrk(port, script, args.seconds)))
            status.update(f"round {round_}/{args.rounds}: bets with {WAITERS} waiters")
            bets = run_wrk(port, script, args.seconds + 3)
            outcome = asyncio.run(watched_round(port, args.seconds, interval))
            watched.append(wrk_rps(bets))
            rounds.append(outcome)

    latencies = sorted(lat for wakes, _ in rounds for lat in wakes.latencies)
    moves = sum(played for _, played in rounds)
    expected = WAITERS * moves
    every = (
        all(count == WAITERS for wakes, _ in rounds for count in wakes.woken.values())
        and sum(len(w.woken) for w, _ in rounds) == moves
    )
    wrong = sum(w.wrong for w, _ in rounds)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    kept = statistics.median(watched) / statistics.median(alone)
    verdict = "PASS" if kept >= 0.9 and every and wrong == 0 else "FAIL"
    goal = "met" if p99 < 100 else "not met"
    console.print(
        f"{moves} moves, {len(latencies):,} wakes of {expected:,} expected (every waiter each"
        f" move: {every}; stale answers: {wrong}); wake after the move p50 {p50:.1f} ms,"
        f" p99 {p99:.1f} ms (goal < 100 ms: {goal}); bets/s alone"
        f" {statistics.median(alone):,.0f}, with the waiters {statistics.median(watched):,.0f}:"
        f" {kept:.1%} kept (bar 90%: {verdict})"
    )
    if args.write_md:
        prefix = "" if interval == INTERVAL else f"BENCH_MOVE_INTERVAL={interval:g} "
        command = (
            f"{prefix}.venv/bin/python bench/chess_waiters.py --seconds {args.seconds}"
            f" --rounds {args.rounds} --write-md"
        )
        body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
one `parlor serve` (SQLite, 1 worker), `bench/chess_waiters.py`.

{WAITERS:,} clients (raw keep-alive sockets, one asyncio loop) each hold
`GET /api/v1/chess/games/{{id}}?wait=30&since=V` on one game, and ask again from the new
version on each answer, while its two players move in turn every {interval:g} s; meanwhile
`wrk -t1 -c32` bets as in the REST benchmark. The anchor: the same bets with no waiters;
{args.rounds} alternating rounds of {args.seconds} s, medians.

- **Every waiter woke with the new version after every move**: {every}
  ({len(latencies):,} wakes for {moves} moves × {WAITERS:,} waiters; {wrong} answers
  without a newer version).
- **Wake latency**, from the move's answer to each waiter's: **p50 {p50:.1f} ms,
  p99 {p99:.1f} ms** (max {latencies[-1] * 1000:.1f} ms). Goal (p99 < 100 ms): {goal}.
- **Bets kept**: {statistics.median(watched):,.0f} bets/s with the waiters beside
  {statistics.median(alone):,.0f} alone: **{kept:.1%}** (rounds:
  {", ".join(f"{w / a:.1%}" for w, a in zip(watched, alone, strict=True))}).
  Bar (≥ 90%): **{verdict}**.

Reproduce (needs `wrk`):
`{command}`
"""
        replace_section(SECTION, body)


if __name__ == "__main__":
    main()
