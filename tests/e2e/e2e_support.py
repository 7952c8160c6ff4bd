"""Helpers for the end-to-end suite: a real ``parlor serve`` process, and roulette by hand.

``ParlorProcess`` starts ``python -m parlor serve`` on a loopback port in a
process group of its own, reads its stderr (and stdout) on background threads
so the pipes never fill, and stops it with a signal. ``stop()`` is the checked
stop every test ends with: exit status 0 within 15 s, "parlor stopped" printed,
and no process of the group left behind.

The roulette helpers recompute, independently of ``parlor``, what a spin result
must look like and what each bet must return, from the rules as published.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

from parlor.run.supervisor import port_answers

#: Under CI=true every test must run: a missing component fails instead of skipping.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
READY = "parlor is ready"
STOPPED = "parlor stopped"
#: One access-log line: "METHOD /path?query STATUS 1.2ms".
ACCESS_LINE = re.compile(
    r"^(?P<method>[A-Z]+) (?P<target>/\S*) (?P<status>[1-5]\d\d) (?P<ms>\d+\.\d)ms$"
)
STOP_TIMEOUT = 15.0


def cannot_run(what: str, problem: str) -> NoReturn:
    """Skip, saying ``problem``; under CI=true fail instead, because CI must run ``what``."""
    if IN_CI:
        pytest.fail(f"CI=true requires {what}: {problem}")
    pytest.skip(problem)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now: bind port 0, read it, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _session_members(sid: int) -> list[tuple[int, str]]:
    """Live (non-zombie) processes of session ``sid``, as (pid, command).

    The session, not the process group: ``parlor serve`` puts each server in
    a group of its own, and all of them stay in the session it was started in.
    """
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session …": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            members.append((int(entry), cmdline.replace(b"\0", b" ").decode(errors="replace")))
    return members


class ParlorProcess:
    """One ``parlor serve`` (or ``parlor service``) process and everything it printed.

    ``command="service"`` starts the REST service alone, which has no
    supervisor: it is ready when it says where it listens, and prints nothing
    when it stops. ``bare=True`` passes no flags at all, as ``make run`` does:
    the server then uses its defaults (ports 36000 and 8008, ./var/parlor.db).
    """

    def __init__(
        self,
        database_url: str,
        *,
        cwd: Path,
        port: int | None = None,
        workers: int = 1,
        host: str = "127.0.0.1",
        web_port: int | None = None,
        env: dict[str, str] | None = None,
        command: str = "serve",
        bare: bool = False,
        one_port: bool = False,
    ) -> None:
        self.database_url = database_url
        self.cwd = cwd
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.web_port = web_port if web_port is not None else free_port(host)
        #: The TCP tables, which `parlor serve` starts beside the HTTP doors.
        self.tcp_port = free_port(host)
        self.workers = workers
        self.base_url = f"http://{host}:{self.port}"
        #: The web app for people, which `parlor serve` starts beside the service
        #: (or, with ``one_port``, under /play/ on the service's port).
        self.web_url = f"{self.base_url}/play" if one_port else f"http://{host}:{self.web_port}"
        #: What it prints once it serves, and as it stops (None: nothing).
        self.ready_line = READY if command == "serve" else "listening on"
        self.stopped_line = STOPPED if command == "serve" else None
        flags = [
            "--host", host,
            "--port", str(self.port),
            *(["--web-port", str(self.web_port)] if command == "serve" else []),
            *(["--tcp-port", str(self.tcp_port)] if command == "serve" else []),
            "--database", database_url,
            "--workers", str(workers),
            *(["--one-port"] if one_port else []),
        ]  # fmt: skip
        self.argv = [sys.executable, "-m", "parlor", command, *([] if bare else flags)]
        # Flags only: no PARLOR_* variable of the caller may change what runs,
        # except those a test hands in on purpose (``env``).
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLOR_")} | (env or {})
        self._lines: list[str] = []
        self._stdout: list[str] = []
        self._changed = threading.Condition()
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            # A group of its own: a test can send "Ctrl+C" to all of it, and
            # teardown can find any process it left behind.
            start_new_session=True,
        )
        self.pgid = self.process.pid
        self._readers = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in (
                (self.process.stderr, self._lines),
                (self.process.stdout, self._stdout),
            )
        ]
        for reader in self._readers:
            reader.start()
        self.stop_checked = False
        #: Processes of the group found alive after the supervisor exited (none, normally).
        self.left_behind: list[tuple[int, str]] = []

    # -- output -------------------------------------------------------------------

    def _pump(self, stream: IO[str] | None, sink: list[str]) -> None:
        assert stream is not None
        for line in stream:
            with self._changed:
                sink.append(line.rstrip("\r\n"))
                self._changed.notify_all()

    @property
    def lines(self) -> list[str]:
        """Every line printed on stderr so far."""
        with self._changed:
            return list(self._lines)

    @property
    def stdout_lines(self) -> list[str]:
        with self._changed:
            return list(self._stdout)

    def access_lines(self) -> list[re.Match[str]]:
        return [m for line in self.lines if (m := ACCESS_LINE.match(line))]

    def describe(self) -> str:
        """The command line and everything it printed, for assertion messages."""
        return (
            f"{' '.join(self.argv)}\n  exit: {self.process.returncode}\n  stderr:\n    "
            + "\n    ".join(self.lines)
            + "\n  stdout:\n    "
            + "\n    ".join(self.stdout_lines)
        )

    def wait_until(
        self, predicate: Callable[[list[str]], bool], timeout: float, what: str
    ) -> list[str]:
        """Wait until ``predicate(stderr lines)`` holds; fail with the output otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._lines):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
                self._changed.wait(min(remaining, 0.1))
            return list(self._lines)

    def wait_ready(self, timeout: float = 30.0) -> None:
        ready = self.ready_line

        def ready_or_dead(lines: list[str]) -> bool:
            return any(ready in line for line in lines) or self.process.poll() is not None

        try:
            self.wait_until(ready_or_dead, timeout, f"{ready!r}")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.describe()}") from None
        if not any(ready in line for line in self.lines):
            self.process.wait()
            self._finish_output()
            raise AssertionError(f"parlor serve exited before it was ready\n{self.describe()}")
        # `parlor service` alone says where it listens from a Granian startup hook,
        # which runs before the workers bind: the port answers a moment later.
        deadline = time.monotonic() + timeout
        while not port_answers(self.host, self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"port {self.port} never answered\n{self.describe()}")
            time.sleep(0.01)

    def wait_for_access_lines(self, count: int, timeout: float = 10.0) -> list[re.Match[str]]:
        """Wait for at least ``count`` access-log lines (each is written as its request ends)."""

        def enough(lines: list[str]) -> bool:
            return sum(1 for line in lines if ACCESS_LINE.match(line)) >= count

        self.wait_until(enough, timeout, f"{count} access-log lines")
        return self.access_lines()

    # -- stopping -----------------------------------------------------------------

    def send(self, sig: int, *, group: bool = False) -> None:
        if self.process.poll() is None:
            if group:
                os.killpg(self.pgid, sig)
            else:
                self.process.send_signal(sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for the supervisor to exit; kill its whole group if it will not."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.process.wait()
            self._finish_output()
            raise AssertionError(
                f"parlor serve did not exit within {timeout:g} s\n{self.describe()}"
            ) from None
        # Whatever of its group still runs now, the supervisor left behind: note it, end it.
        self.left_behind = self.leftovers()
        if self.left_behind:
            self.kill_group()
        self._finish_output()
        return code

    def expect_exit(self, timeout: float = 30.0) -> int:
        """For a server meant to fail: wait for its exit and hand the status to the test."""
        self.stop_checked = True
        return self.wait_exit(timeout)

    def leftovers(self, grace: float = 3.0) -> list[tuple[int, str]]:
        """Processes of the group still alive after the supervisor exited (there should be none)."""
        deadline = time.monotonic() + grace
        while (members := _session_members(self.pgid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return members

    def kill_group(self) -> None:
        """Kill everything started from this server's session, whatever its group."""
        for pid, _command in _session_members(self.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _finish_output(self) -> None:
        # The pipes close when every process holding them has gone; a leftover
        # grandchild keeps them open, so do not wait for it forever.
        for reader in self._readers:
            reader.join(timeout=5)
        if any(reader.is_alive() for reader in self._readers):
            self.kill_group()
            for reader in self._readers:
                reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None and not any(r.is_alive() for r in self._readers):
                stream.close()

    def stop(
        self, sig: int = signal.SIGTERM, *, group: bool = False, timeout: float = STOP_TIMEOUT
    ) -> None:
        """Stop with ``sig`` and check a clean stop: exit 0, "parlor stopped", nothing left."""
        self.stop_checked = True
        self.send(sig, group=group)
        code = self.wait_exit(timeout)
        left = self.left_behind
        problems = []
        if code != 0:
            problems.append(f"exit status {code}, not 0")
        stopped = self.stopped_line
        if stopped is not None and not any(stopped in line for line in self.lines):
            problems.append(f"it never printed {stopped!r}")
        if left:
            problems.append(f"processes left running after it exited: {left}")
        assert not problems, f"unclean stop ({'; '.join(problems)})\n{self.describe()}"

    def close(self) -> None:
        """Last resort in teardown: make sure nothing of this group survives."""
        if self.process.poll() is None:
            self.kill_group()
            self.process.wait()
        self._finish_output()
        if _session_members(self.pgid):
            self.kill_group()


# -- roulette, recomputed by hand ------------------------------------------------------

RED = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
#: Winnings per chip ("to one") by proposition.
PAYOUT = {
    "straight": 35, "split": 17, "street": 11, "corner": 8, "six_line": 5,
    "five": 6, "first_four": 8, "dozen": 2, "column": 2,
    "red": 1, "black": 1, "even": 1, "odd": 1, "low": 1, "high": 1,
}  # fmt: skip
INSIDE = frozenset({"straight", "split", "street", "corner", "six_line", "five", "first_four"})
SPIN_FIELDS = {"number", "color", "even", "high", "twelve", "column"}

#: One of each kind worth checking, as a client sends them (note the spellings).
SAMPLE_BETS: list[dict[str, Any]] = [
    {"proposition": "Red", "amount": 10},
    {"proposition": "split", "numbers": [17, 20], "amount": 10},
    {"proposition": "straight", "numbers": ["00"], "amount": 10},
    {"proposition": "straight", "numbers": ["0"], "amount": 10},
    {"proposition": "straight", "numbers": [17], "amount": 10},
    {"proposition": "dozen", "numbers": [2], "amount": 10},
    {"proposition": "corner", "numbers": [1, 2, 4, 5], "amount": 10},
    {"proposition": "column", "numbers": [1], "amount": 10},
    {"proposition": "street", "numbers": [4, 5, 6], "amount": 10},
    {"proposition": "Six_Line", "numbers": [31, 32, 33, 34, 35, 36], "amount": 10},
    {"proposition": "five", "numbers": ["0", 1, 2, 3, "00"], "amount": 10},
    {"proposition": "BLACK", "amount": 10},
    {"proposition": "even", "amount": 10},
    {"proposition": "odd", "amount": 10},
    {"proposition": "low", "amount": 10},
    {"proposition": "high", "amount": 10},
]


@contextlib.contextmanager
def module_server(
    tmp_path_factory: pytest.TempPathFactory, name: str, **options: Any
) -> Iterator[ParlorProcess]:
    """One ``parlor serve`` on a fresh SQLite file for a module's tests (``options``: what
    ``ParlorProcess`` takes, ``env`` and ``one_port`` say), stopped cleanly at the end."""
    work = tmp_path_factory.mktemp(name)
    server = ParlorProcess(
        f"sqlite:///{work / f'{name}.db'}", cwd=tmp_path_factory.mktemp(f"{name}-cwd"), **options
    )
    try:
        server.wait_ready()
        yield server
        server.stop()
    finally:
        server.close()


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends on ``sock`` until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP/1.1 answer."""
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert match, answer[:200]
    return int(match.group(1))


def exchange(
    server: ParlorProcess, payload: bytes, *, timeout: float = 10.0, half_close: bool = False
) -> bytes:
    """Send ``payload`` (which asks for Connection: close) and read until the server closes.

    ``half_close`` shuts the sending side after it: the front door takes that for a
    client that has gone.
    """
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def canonical_kind(proposition: str) -> str:
    key = "".join(ch for ch in proposition.lower() if ch.isalnum())
    return {"sixline": "six_line", "firstfour": "first_four"}.get(key, key)


def pocket_number(number: object) -> int | None:
    """A spin's ``number`` as an int 1–36, or None for "0" and "00"."""
    if number in ("0", "00"):
        return None
    assert isinstance(number, int), number
    assert not isinstance(number, bool), number
    assert 1 <= number <= 36, number
    return number


def check_spin_fields(spin: dict[str, Any]) -> None:
    """Every field of a spin result, against the rules (the seed's bugs corrected)."""
    assert set(spin) == SPIN_FIELDS, spin
    n = pocket_number(spin["number"])
    if n is None:
        expected: dict[str, Any] = {
            "color": "green", "even": False, "high": None, "twelve": None, "column": None,
        }  # fmt: skip
    else:
        expected = {
            "color": "red" if n in RED else "black",
            "even": n % 2 == 0,
            "high": n >= 19,
            "twelve": (n - 1) // 12 + 1,
            "column": (n - 1) % 3 + 1,
        }
    actual = {key: spin[key] for key in expected}
    assert actual == expected, f"spin {spin} should read {expected}"
    # bool, not 0/1: JSON true/false
    assert type(spin["even"]) is bool


def covers(proposition: str, numbers: Sequence[object] | None) -> set[str]:
    """The pockets a bet covers, written as the spin's number is ("0", "00", "17")."""
    kind = canonical_kind(proposition)
    given = list(numbers or ())
    if kind in INSIDE:
        return {str(n) for n in given}
    all_numbers = range(1, 37)
    if kind == "dozen":
        return {str(n) for n in all_numbers if (n - 1) // 12 + 1 == int(str(given[0]))}
    if kind == "column":
        return {str(n) for n in all_numbers if (n - 1) % 3 + 1 == int(str(given[0]))}
    rules: dict[str, Callable[[int], bool]] = {
        "red": lambda n: n in RED,
        "black": lambda n: n not in RED,
        "even": lambda n: n % 2 == 0,
        "odd": lambda n: n % 2 == 1,
        "low": lambda n: n <= 18,
        "high": lambda n: n >= 19,
    }
    return {str(n) for n in all_numbers if rules[kind](n)}


def expected_outcome(bet: dict[str, Any], number: object) -> int:
    """Net result of ``bet`` on ``number``: payout × amount if it won, −amount if it lost."""
    kind = canonical_kind(bet["proposition"])
    amount: int = bet["amount"]
    if str(number) in covers(kind, bet.get("numbers")):
        return PAYOUT[kind] * amount
    return -amount
