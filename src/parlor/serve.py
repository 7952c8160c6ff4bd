"""Running the front doors: one Granian server per WSGI app, and a supervisor for all.

``parlor service`` and ``parlor web`` each run one front door in this process
(Granian spawns its workers, each running ``parlor.run.frontdoor`` before the
WSGI app). ``parlor serve`` is a small supervisor: it starts each front door
as a child process (``python -m parlor service …``, ``… web …``), waits until
each accepts connections, prints where everything listens, and on SIGINT or
SIGTERM stops the children and exits 0. A child that dies takes the others
down with it, and the supervisor says which one and why it probably did; a
supervisor that dies, even by ``kill -9``, takes its children with it
(``parlor.run.lifeline``).
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
from typing import IO, Any

from parlor.settings import Settings

SERVICE_TARGET = "parlor.run.targets:service"
WEB_TARGET = "parlor.run.targets:web"
#: Set in the front doors' environment by ``parlor serve``: whose death ends them.
SUPERVISOR_PID = "PARLOR_SUPERVISOR_PID"
#: Requests a worker holds at once: stalled uploads and long polls cost a
#: coroutine each, so this is far above the request threads.
BACKPRESSURE = 10_000


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
        **front_door_environment(settings),
    }


def front_door_environment(settings: Settings) -> dict[str, str]:
    """The PARLOR_* variables every front door's workers read."""
    return {
        "PARLOR_WORKERS": str(settings.workers),
        "PARLOR_REQUEST_THREADS": str(settings.request_threads),
        "PARLOR_BODY_TIMEOUT": str(settings.body_timeout),
        "PARLOR_MAX_BODY_BYTES": str(settings.max_body_bytes),
        "PARLOR_FORWARDED_ALLOW_IPS": settings.forwarded_allow_ips,
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
        **front_door_environment(settings),
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
    threads: int,
    out: IO[str] | None = None,
) -> None:
    """Serve a WSGI app factory on Granian's own WSGI interface, without a front door.

    Not how parlor serves (its bodies would reach the app unread, with no
    deadline): the benchmarks' anchor, plain Granian with parlor's counts.
    """
    from granian.constants import Interfaces

    _serve_granian(
        target,
        Interfaces.WSGI,
        host=host,
        port=port,
        workers=workers,
        label=label,
        out=out,
        blocking_threads=threads,
    )


def run_front_door(
    target: str,
    *,
    host: str,
    port: int,
    workers: int,
    label: str,
    body_timeout: float,
    out: IO[str] | None = None,
    flag: str = "--port",
) -> None:
    """Serve an RSGI front-door factory (``parlor.run.targets``) until SIGINT or SIGTERM."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    ensure_port_free(host, port, flag)
    supervisor = os.environ.get(SUPERVISOR_PID)
    if supervisor and supervisor.isdigit():
        from parlor.run.lifeline import die_with_parent

        die_with_parent(int(supervisor))
    _serve_granian(
        target,
        Interfaces.RSGI,
        host=host,
        port=port,
        workers=workers,
        label=label,
        out=out,
        blocking_threads=1,  # the front door's loop; its request threads are its own
        backpressure=BACKPRESSURE,
        # Headers get the same deadline as bodies (Granian's default is 30 s).
        http1_settings=HTTP1Settings(header_read_timeout=int(body_timeout * 1000)),
    )


def _serve_granian(
    target: str,
    interface: Any,
    *,
    host: str,
    port: int,
    workers: int,
    label: str,
    out: IO[str] | None,
    **options: Any,
) -> None:
    from granian.log import LogLevels
    from granian.server import Server

    server = Server(
        target,
        address=host,
        port=port,
        interface=interface,
        workers=workers,
        factory=True,
        log_level=LogLevels.warning,
        # A worker that will not stop (a request stuck in the store) is killed.
        workers_kill_timeout=5,
        **options,
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
    run_front_door(
        SERVICE_TARGET,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        label="REST service",
        body_timeout=settings.body_timeout,
    )


def run_web(settings: Settings) -> None:
    """The web app for people, talking to the service at ``settings.service_base_url``."""
    os.environ.update(web_environment(settings))
    run_front_door(
        WEB_TARGET,
        host=settings.host,
        port=settings.web_port,
        workers=settings.workers,
        label="web app",
        body_timeout=settings.body_timeout,
        flag="--web-port",
    )


@dataclass(frozen=True, slots=True)
class DoorProcess:
    label: str
    argv: Sequence[str]
    host: str
    port: int
    #: The option that chooses this door's port, for messages.
    flag: str = "--port"


def front_doors(settings: Settings) -> list[DoorProcess]:
    python = [sys.executable, "-m", "parlor"]
    common = ["--host", settings.host, "--database", settings.database_url]
    proxies = ["--forwarded-allow-ips", settings.forwarded_allow_ips]
    return [
        DoorProcess(
            "REST service",
            [
                *python,
                "service",
                *common,
                "--port",
                str(settings.port),
                "--workers",
                str(settings.workers),
                *proxies,
            ],
            settings.host,
            settings.port,
        ),
        DoorProcess(
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
                *proxies,
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

    def __init__(self, doors: Sequence[DoorProcess], *, out: IO[str] | None = None) -> None:
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
            # Each child ends itself when this process dies (parlor.run.lifeline).
            environment = {**os.environ, SUPERVISOR_PID: str(os.getpid())}
            self._children = [
                subprocess.Popen(door.argv, process_group=0, env=environment)  # noqa: S603
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
