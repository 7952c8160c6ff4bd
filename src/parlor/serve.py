"""Running the front doors: one Granian server per WSGI app, and a supervisor for all.

``parlor service`` and ``parlor web`` each run one front door in this process
(Granian spawns its workers). ``parlor serve`` is a small supervisor: it starts
each front door as a child process (``python -m parlor service …``, ``… web
…``), waits until each accepts
connections, prints where everything listens, and on SIGINT or SIGTERM stops
the children and exits 0. A child that dies takes the others down with it,
and the supervisor says which one and why it probably did.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import IO

from parlor.settings import Settings

SERVICE_TARGET = "parlor.service.app:app_from_env"
WEB_TARGET = "parlor.web.app:app_from_env"
# Granian's own guidance for WSGI: more threads than 2 × cores + 1 only queue on the GIL.
# Fewer would be faster on SQLite (1 thread: 4,360 bets/s; 5: 3,334, each SQLite
# call handing the GIL over), but Granian's WSGI hands a request body to the app
# as it arrives, with no body timeout: a client trickling its body holds a
# thread, and with one thread a single such client stopped the whole service
# (tests/e2e: a trickled body must not block the others).
BLOCKING_THREADS = 2 * (os.cpu_count() or 1) + 1


def say_line(text: str, stream: IO[str]) -> None:
    """Write one whole line in one write.

    Every front door shares the terminal's stderr. ``print`` writes the text
    and its newline separately, so two servers starting at once could print
    "…36000/parlor web app listening…" on one line.
    """
    stream.write(text + "\n")
    stream.flush()


def settings_environment(settings: Settings) -> dict[str, str]:
    """The PARLOR_* variables that carry ``settings`` into worker processes."""
    return {
        "PARLOR_DATABASE_URL": settings.database_url,
        "PARLOR_SQLITE_BUSY_TIMEOUT": str(settings.sqlite_busy_timeout),
        "PARLOR_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
    }


def web_environment(settings: Settings) -> dict[str, str]:
    """The PARLOR_* variables the web app's workers read: one secret for all of them."""
    return {
        "PARLOR_SERVICE_URL": settings.service_base_url,
        # Every worker must sign alike; without a configured secret, one per run.
        "PARLOR_WEB_SECRET": settings.web_secret or secrets.token_urlsafe(32),
        "PARLOR_WEB_IDLE_TIMEOUT": str(settings.web_idle_timeout),
        "PARLOR_WEB_MAX_AGE": str(settings.web_max_age),
        "PARLOR_WEB_SERVICE_TIMEOUT": str(settings.web_service_timeout),
    }


class PortInUse(Exception):
    """The address a front door should listen on is taken."""

    def __init__(self, host: str, port: int, reason: str, flag: str = "--port") -> None:
        super().__init__(
            f"cannot listen on {host}:{port} ({reason}): is another parlor running?"
            f" Stop it, or choose another port with {flag}"
        )


def ensure_port_free(host: str, port: int, flag: str = "--port") -> None:
    """Fail now if ``host:port`` is taken.

    Granian binds with SO_REUSEPORT, so a second server on a busy port would
    start without complaint and silently share its traffic with the first.
    A plain bind (SO_REUSEADDR only, which TIME_WAIT leftovers need) refuses.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortInUse(host, port, error.strerror or str(error), flag) from None


def run_wsgi(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    label: str,
    out: IO[str] | None = None,
    flag: str = "--port",
) -> None:
    """Serve a WSGI app factory with Granian until SIGINT or SIGTERM."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    ensure_port_free(host, port, flag)

    server = Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # WSGI runs on a thread pool (Granian's default: 512 threads).
        blocking_threads=BLOCKING_THREADS,
        factory=True,
        log_level=LogLevels.warning,
    )
    shown_host = f"[{host}]" if ":" in host else host

    # Granian runs startup hooks before its workers bind the port, so this line
    # comes a moment (about 0.2 s) before the port answers; `parlor serve` waits
    # for the port itself before it says it is ready. Waiting here would need a
    # thread, and a thread alive when Granian forks its workers can leave a lock
    # taken in them (a worker's HTTP calls hung when this was tried).
    def announce() -> None:
        say_line(f"parlor {label} listening on http://{shown_host}:{port}/", out or sys.stderr)

    server.on_startup(announce)
    server.serve()


def run_service(settings: Settings) -> None:
    os.environ.update(settings_environment(settings))
    run_wsgi(
        SERVICE_TARGET,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        label="REST service",
    )


def run_web(settings: Settings) -> None:
    """The web app for people, talking to the service at ``settings.service_base_url``."""
    os.environ.update(web_environment(settings))
    run_wsgi(
        WEB_TARGET,
        host=settings.host,
        port=settings.web_port,
        workers=settings.workers,
        label="web app",
        flag="--web-port",
    )


@dataclass(frozen=True, slots=True)
class FrontDoor:
    label: str
    argv: Sequence[str]
    host: str
    port: int
    #: The option that chooses this door's port, for messages.
    flag: str = "--port"


def front_doors(settings: Settings) -> list[FrontDoor]:
    python = [sys.executable, "-m", "parlor"]
    common = ["--host", settings.host, "--database", settings.database_url]
    return [
        FrontDoor(
            "REST service",
            [
                *python,
                "service",
                *common,
                "--port",
                str(settings.port),
                "--workers",
                str(settings.workers),
            ],
            settings.host,
            settings.port,
        ),
        FrontDoor(
            "web app",
            [
                *python,
                "web",
                "--host",
                settings.host,
                "--web-port",
                str(settings.web_port),
                "--service-url",
                settings.service_base_url,
                "--workers",
                str(settings.workers),
            ],
            settings.host,
            settings.web_port,
            "--web-port",
        ),
    ]


def port_answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at ``host:port`` right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Supervisor:
    """Start front doors as children; stop them all on a signal or when one dies."""

    def __init__(self, doors: Sequence[FrontDoor], *, out: IO[str] | None = None) -> None:
        self.doors = list(doors)
        self._out = out or sys.stderr
        self._stopping = False
        self._children: list[subprocess.Popen[bytes]] = []

    def _say(self, text: str) -> None:
        say_line(text, self._out)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def run(
        self, *, ready_timeout: float = 60.0, on_ready: Callable[[], object] | None = None
    ) -> int:
        """Start every door; once all accept connections, say so and call ``on_ready``."""
        try:
            for door in self.doors:
                ensure_port_free(door.host, door.port, door.flag)
        except PortInUse as error:
            self._say(f"parlor: {error}")
            return 1
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            # argv is built by front_doors() from this interpreter and typed settings.
            # Each child leads a process group of its own, with its workers: a
            # terminal's Ctrl+C then reaches only this supervisor, which stops
            # each server in order, and a server that will not stop is killed
            # with all its workers, leaving nothing behind.
            self._children = [
                subprocess.Popen(door.argv, process_group=0)  # noqa: S603
                for door in self.doors
            ]
            failed = self._wait_until_ready(ready_timeout)
            if failed is None and not self._stopping:
                self._say("parlor is ready; press Ctrl+C to stop")
                if on_ready is not None:
                    on_ready()
                failed = self._watch()
            return self._stop(failed)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _wait_until_ready(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        pending = set(range(len(self.doors)))
        while pending and not self._stopping:
            for index in sorted(pending):
                door, child = self.doors[index], self._children[index]
                if child.poll() is not None:
                    return index
                if port_answers(door.host, door.port):
                    pending.discard(index)
            if time.monotonic() > deadline:
                self._say(
                    f"parlor: {self.doors[min(pending)].label} did not start within {timeout:g} s"
                )
                return min(pending)
            time.sleep(0.05)
        return None

    def _watch(self) -> int | None:
        while not self._stopping:
            for index, child in enumerate(self._children):
                if child.poll() is not None:
                    return index
            time.sleep(0.2)
        return None

    def _stop(self, failed: int | None) -> int:
        if failed is not None:
            door, code = self.doors[failed], self._children[failed].poll()
            self._say(
                f"parlor: the {door.label} stopped (exit {code}); if port {door.port} is"
                f" already in use, choose another with {door.flag}"
            )
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self._children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._say(f"parlor: pid {child.pid} did not stop within 15 s; killing it")
            # Workers outlive a server killed from outside; none may stay.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        if failed is None:
            self._say("parlor stopped")
            return 0
        return 1
