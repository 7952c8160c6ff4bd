"""A live tables server on loopback for the tests, and raw-socket helpers to talk to it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parlor.settings import Settings
from parlor.tcp.floor import Floor
from parlor.tcp.limits import Limits
from parlor.tcp.run import TablesConfig, build
from parlor.tcp.server import LineServer


@dataclass
class Live:
    host: str
    port: int
    floor: Floor
    server: LineServer

    def raw(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=5)


@contextmanager
def live_tables(
    database_url: str, *, window: float = 0.3, limits: Limits | None = None, **config: Any
) -> Iterator[Live]:
    """``parlor tables`` on its own loop in a thread, on a free port; stopped on exit."""
    settings = Settings.from_env(database_url=database_url)
    tables = TablesConfig(port=0, window=window, limits=limits or Limits(), **config)
    floor, server = build(settings, tables)
    loop = asyncio.new_event_loop()
    bound: list[tuple[str, int]] = []
    started = threading.Event()
    failed: list[BaseException] = []

    async def main() -> None:
        async def opened() -> None:
            await floor.open(tables.tables)

        def ready(host: str, port: int) -> None:
            bound.append((host, port))
            started.set()

        try:
            await server.serve(tables.host, 0, ready=ready, started=opened)
        finally:
            await floor.stop()

    serving: list[asyncio.Task[None]] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        serving.append(loop.create_task(main()))
        try:
            loop.run_until_complete(serving[0])
        except asyncio.CancelledError:
            pass
        except BaseException as error:  # reported to the test below
            failed.append(error)
            started.set()
        finally:  # the connections' own tasks end too, before the loop does
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(15)
    if failed:
        raise failed[0]
    host, port = bound[0]
    try:
        yield Live(host, port, floor, server)
    finally:
        # The connections the test closed are seen out first, as a server that stops
        # gracefully would.
        deadline = time.monotonic() + 5
        while server.admission.count and time.monotonic() < deadline:
            time.sleep(0.02)
        loop.call_soon_threadsafe(serving[0].cancel)
        thread.join(10)
        floor.roulette.db.close()


def read_until(sock: socket.socket, ending: bytes, timeout: float = 5.0) -> bytes:
    """What the server writes until ``ending`` has arrived (or it closes, or time runs out)."""
    sock.settimeout(timeout)
    got = b""
    deadline = time.monotonic() + timeout
    while ending not in got and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        got += chunk
    return got


def closed_by_server(sock: socket.socket, timeout: float = 5.0) -> bool:
    """True once the server has closed ``sock`` (whatever it wrote first)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'tables.db'}"
