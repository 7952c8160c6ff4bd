"""A real `parlor serve` on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A `parlor serve` child process and everything it printed."""

    process: subprocess.Popen[str]
    base_url: str
    port: int
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def wait_for_line(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None and self._reader and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"never printed {text!r}; printed:\n" + "".join(self.lines))

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code


def start_parlor(*args: str, port: int | None = None) -> Running:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "parlor", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    running = Running(process, f"http://127.0.0.1:{port}", port)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:  # drained for ever, so the pipe never fills
            running.lines.append(line)
        process.stdout.close()

    running._reader = threading.Thread(target=read, daemon=True)
    running._reader.start()
    return running


@pytest.fixture
def parlor_factory() -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def start(*args: str, port: int | None = None, ready: bool = True) -> Running:
        running = start_parlor(*args, port=port)
        started.append(running)
        if ready:
            running.wait_for_line("parlor is ready")
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            try:
                running.stop(signal.SIGTERM)  # the supervisor takes its children down too
            except subprocess.TimeoutExpired:
                running.stop(signal.SIGKILL)


@pytest.fixture
def server(db_url: str, parlor_factory: Callable[..., Running]) -> Iterator[tuple[Running, str]]:
    """`parlor serve --database DB` on each engine; stopped cleanly afterwards."""
    running = parlor_factory("--database", db_url)
    yield running, db_url
    assert running.stop() == 0
    assert any("parlor stopped" in line for line in running.lines)
