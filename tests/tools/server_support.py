"""Helpers of the tools' live tests: a real ``parlor dump|environ|convert`` process, raw HTTP.

``ToolProcess`` runs the real command (``python -m parlor …``) in a session of its own on a
free loopback port, reads its output on background threads, and ``stop()`` checks the stop
a person gets from Ctrl+C: SIGINT to the whole group (as a terminal sends it), exit status
0 within 15 s, the command's "stopped" line, and nothing of the group left running.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from parlor.run.environ import build_environ
from parlor.run.proxy import Peer
from parlor.run.supervisor import port_answers
from tests.e2e.e2e_support import _session_members, free_port

STOP_TIMEOUT = 15.0


class ToolProcess:
    """One ``parlor <command>`` and everything it printed."""

    def __init__(
        self,
        command: str,
        *options: str,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stopped_line: str | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port() if port is None else port
        self.argv = [sys.executable, "-m", "parlor", command, "--port", str(self.port), *options]
        self.stopped_line = stopped_line
        # Only what a test hands in on purpose may configure the tool.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLOR_")}
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=environment | dict(env or {}),
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self.pgid = self.process.pid
        self._reader = threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def _pump(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            with self._changed:
                self._lines.append(line.rstrip("\r\n"))
                self._changed.notify_all()

    @property
    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    def describe(self) -> str:
        return f"{' '.join(self.argv)}\n  exit: {self.process.returncode}\n    " + "\n    ".join(
            self.lines
        )

    def wait_for(
        self, predicate: Callable[[list[str]], bool], what: str, timeout: float = 30.0
    ) -> list[str]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._lines):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no {what} in time\n{self.describe()}")
                self._changed.wait(min(remaining, 0.1))
            return list(self._lines)

    def wait_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first line matching ``pattern``, once printed."""
        compiled = re.compile(pattern)
        lines = self.wait_for(lambda ls: any(compiled.search(x) for x in ls), pattern, timeout)
        return next(m for line in lines if (m := compiled.search(line)))

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until it has said where it listens and that port answers."""
        self.wait_line(rf"listening on http://127\.0\.0\.1:{self.port}/", timeout)
        deadline = time.monotonic() + timeout
        while not port_answers(self.host, self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"port {self.port} never answered\n{self.describe()}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ctrl+C, and check the stop was clean."""
        if self.process.poll() is None:
            os.killpg(self.pgid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError(f"it did not stop within {STOP_TIMEOUT:g} s") from None
        self._reader.join(timeout=5)
        self._close_output()
        problems = []
        if code != 0:
            problems.append(f"exit status {code}")
        if self.stopped_line and not any(self.stopped_line in line for line in self.lines):
            problems.append(f"no {self.stopped_line!r}")
        deadline = time.monotonic() + 3
        while (left := _session_members(self.pgid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if left:
            problems.append(f"left running: {left}")
        assert not problems, f"unclean stop: {'; '.join(problems)}\n{self.describe()}"

    def close(self) -> None:
        """Last resort in teardown: nothing of this session survives."""
        for pid, _ in _session_members(self.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        self._close_output()

    def _close_output(self) -> None:
        stream = self.process.stdout
        if stream is not None and not self._reader.is_alive():
            stream.close()


# -- HTTP by hand ----------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    target: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    """One request through ``http.client``: (status, headers by lower-case name, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        data = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return response.status, found, data
    finally:
        connection.close()


def exchange(port: int, payload: bytes, *, timeout: float = 10.0) -> bytes:
    """Send ``payload`` on a raw socket and read one response (to its Content-Length, or EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
                head, sep, rest = received.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length: *(\d+)", head)
                if sep and length and len(rest) >= int(length.group(1)):
                    break
        return received


def status_of(response: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", response)
    return int(match.group(1)) if match else None


def stalled(port: int, head: bytes, first: bytes = b"") -> socket.socket:
    """A client that sends ``head`` (and ``first`` bytes of its body), then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head + first)
    return sock


def answers_promptly(port: int, target: str = "/", within: float = 2.0) -> float:
    """Seconds a plain GET took; fails if it took longer than ``within``."""
    started = time.monotonic()
    status, _, _ = request(port, "GET", target, timeout=within + 5)
    took = time.monotonic() - started
    assert status == 200, status
    assert took < within, f"a plain GET took {took:.2f} s"
    return took


def environ_of(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> dict[str, Any]:
    """An environ as parlor's front door builds one (``path`` is Granian's decoded text)."""
    return build_environ(
        method=method,
        path=path,
        query_string=query,
        http_version="1.1",
        server="127.0.0.1:8008",
        peer=Peer("http", "127.0.0.1"),
        headers=[("host", "127.0.0.1:8008"), *(headers or [])],
        body=body,
        multiprocess=False,
    )
