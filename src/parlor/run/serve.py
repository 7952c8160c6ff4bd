"""Running one front door on Granian, and the table of every front door.

``parlor service`` and ``parlor web`` each run one door of ``DOORS`` in this
process (``run_door``): Granian spawns its workers, each running
``parlor.run.frontdoor`` before the WSGI app. ``parlor serve`` starts each door
as a child process (``parlor.run.supervisor``); a new kind of door is one more
row of ``DOORS``.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from parlor.settings import Settings

SERVICE_TARGET = "parlor.run.targets:service"
WEB_TARGET = "parlor.run.targets:web"
ONE_PORT_TARGET = "parlor.run.targets:one_port"
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
        "PARLOR_AUTH_REALM": settings.auth_realm,
        # Every worker must key nonces alike; without a configured secret, one per run.
        "PARLOR_AUTH_SECRET": settings.auth_secret or secrets.token_urlsafe(32),
        "PARLOR_NONCE_LIFETIME": str(settings.nonce_lifetime),
        "PARLOR_STARTING_CHIPS": str(settings.starting_chips),
        "PARLOR_CHESS_ENGINE": settings.chess_engine,
        "PARLOR_CHESS_ENGINE_TIME": str(settings.chess_engine_time),
        "PARLOR_CHESS_ENGINE_GAMES": str(settings.chess_engine_games),
        "PARLOR_LOGIN_FRONT_ENDS": settings.login_front_ends,
        "PARLOR_HOST": settings.host,  # the service's own address is a front end's too
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
    """The PARLOR_* variables the web app's workers read."""
    return {
        "PARLOR_SERVICE_URL": settings.service_base_url,
        # The visits live in the database: every worker, and every restart, finds them.
        "PARLOR_DATABASE_URL": settings.database_url,
        "PARLOR_SQLITE_BUSY_TIMEOUT": str(settings.sqlite_busy_timeout),
        "PARLOR_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
        "PARLOR_UPLOAD_DIR": settings.upload_dir,
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


@dataclass(frozen=True, slots=True)
class Door:
    """One front door: the command that runs it alone, and how it is configured."""

    #: The ``parlor`` command that runs this door alone: ``parlor service``.
    command: str
    label: str
    #: The Granian factory its workers import (``parlor.run.targets``).
    target: str
    #: The option that chooses its port, for messages.
    flag: str
    port: Callable[[Settings], int]
    #: The PARLOR_* variables its workers read.
    environment: Callable[[Settings], dict[str, str]]
    #: Its command's options, when ``parlor serve`` starts it as a child.
    options: Callable[[Settings], list[str]]


def _service_options(settings: Settings) -> list[str]:
    return ["--database", settings.database_url, "--port", str(settings.port)]


def _web_options(settings: Settings) -> list[str]:
    return [
        "--database",
        settings.database_url,
        "--web-port",
        str(settings.web_port),
        "--service-url",
        settings.service_base_url,
    ]


#: Every front door ``parlor serve`` starts, in the order it starts them.
DOORS: tuple[Door, ...] = (
    Door(
        command="service",
        label="REST service",
        target=SERVICE_TARGET,
        flag="--port",
        port=lambda settings: settings.port,
        environment=settings_environment,
        options=_service_options,
    ),
    Door(
        command="web",
        label="web app",
        target=WEB_TARGET,
        flag="--web-port",
        port=lambda settings: settings.web_port,
        environment=web_environment,
        options=_web_options,
    ),
)
#: ``parlor serve --one-port``: both apps behind one door, the web app under /play/.
ONE_PORT = Door(
    command="one-port",
    label="REST service and web app (/play/)",
    target=ONE_PORT_TARGET,
    flag="--port",
    port=lambda settings: settings.port,
    environment=lambda settings: {**web_environment(settings), **settings_environment(settings)},
    options=_service_options,
)
DOOR_BY_COMMAND = {door.command: door for door in (*DOORS, ONE_PORT)}


def run_door(door: Door, settings: Settings) -> None:
    """Serve ``door`` in this process until SIGINT or SIGTERM."""
    os.environ.update(door.environment(settings))
    run_front_door(
        door.target,
        host=settings.host,
        port=door.port(settings),
        workers=settings.workers,
        label=door.label,
        body_timeout=settings.body_timeout,
        flag=door.flag,
    )


@dataclass(frozen=True, slots=True)
class DoorProcess:
    label: str
    argv: Sequence[str]
    host: str
    port: int
    #: The option that chooses this door's port, for messages.
    flag: str = "--port"


def front_doors(settings: Settings, *, one_port: bool = False) -> list[DoorProcess]:
    """Each of ``DOORS`` (or ``ONE_PORT`` alone) as the child process ``parlor serve`` starts."""
    common = [
        "--host",
        settings.host,
        "--workers",
        str(settings.workers),
        "--forwarded-allow-ips",
        settings.forwarded_allow_ips,
    ]
    doors = [
        DoorProcess(
            door.label,
            [sys.executable, "-m", "parlor", door.command, *common, *door.options(settings)],
            settings.host,
            door.port(settings),
            door.flag,
        )
        for door in ((ONE_PORT,) if one_port else DOORS)
    ]
    return [*doors, tables_process(settings)]


def tables_process(settings: Settings) -> DoorProcess:
    """``parlor tables serve``, as ``parlor serve`` starts it beside the HTTP doors."""
    argv = [
        sys.executable, "-m", "parlor", "tables", "serve",
        "--host", settings.host,
        "--tcp-port", str(settings.tcp_port),
        "--database", settings.database_url,
        "--betting-window", f"{settings.betting_window:g}",
    ]  # fmt: skip
    return DoorProcess("tables", argv, settings.host, settings.tcp_port, "--tcp-port")
