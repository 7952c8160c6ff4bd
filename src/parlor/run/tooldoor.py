"""One tool's WSGI app behind a front door of its own: ``parlor dump``, ``environ``, ``convert``.

The tools are served as parlor's other WSGI apps are (``parlor.run.serve``,
``parlor.run.targets``): Granian runs the event-loop front door, which reads every body
whole under a size limit and a deadline, and the app runs in the front door's app process.
Granian's WSGI interface alone would let a few stalled uploads hold every request thread
(the project's main security finding), and a request dump is exactly the server people
point odd clients at.

``TOOLS`` is the table: each tool's command, the label it prints, and the Granian factory
its workers import (``dump``, ``environ``, ``convert`` below, each building its app
process from the matching ``*_app``). ``run_tool`` serves one in this process until SIGINT
or SIGTERM, on one worker (they are tools for one person at a time). ``run_converter`` is
``parlor convert`` without ``--no-browser``: the converter on a free loopback port as a
child (``parlor.run.supervisor``), and the browser opened on it once it answers, as
``parlor desktop`` does for the game.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import IO

from parlor.run.desktop import HOST, free_port, open_browser
from parlor.run.frontdoor import FrontDoor
from parlor.run.request import AppSetup, Publish
from parlor.run.serve import DoorProcess, front_door_environment, run_front_door, say_line
from parlor.run.supervisor import Supervisor
from parlor.run.targets import app_process_door
from parlor.settings import Settings
from parlor.wsgi.accesslog import BackgroundWriter


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool served over HTTP."""

    command: str
    #: What it prints: "parlor {label} listening on …".
    label: str
    #: The Granian factory (an RSGI front door) its workers import.
    target: str


TOOLS = {
    tool.command: tool
    for tool in (
        Tool("dump", "dump", "parlor.run.tooldoor:dump"),
        Tool("environ", "environ", "parlor.run.tooldoor:environ"),
        Tool("convert", "converter", "parlor.run.tooldoor:convert"),
    )
}


# -- what Granian's workers import -----------------------------------------------------------


def dump() -> FrontDoor:
    """Granian's factory for ``parlor dump``: its own refusals (413, 408) are problem+json."""
    return app_process_door("parlor.run.tooldoor:dump_app", Settings.from_env())


def environ() -> FrontDoor:
    """Granian's factory for ``parlor environ``."""
    return app_process_door("parlor.run.tooldoor:environ_app", Settings.from_env(), pages=True)


def convert() -> FrontDoor:
    """Granian's factory for ``parlor convert``."""
    return app_process_door("parlor.run.tooldoor:convert_app", Settings.from_env(), pages=True)


def dump_app(publish: Publish) -> AppSetup:
    """The request dump, bounded as its front door is (``PARLOR_MAX_BODY_BYTES``)."""
    from parlor.tools.dump import create_app

    settings = Settings.from_env()
    return AppSetup(create_app(max_body=settings.max_body_bytes, write=BackgroundWriter().write))


def environ_app(publish: Publish) -> AppSetup:
    from parlor.tools.environ import create_app

    return AppSetup(create_app())


def convert_app(publish: Publish) -> AppSetup:
    from parlor.tools.converter import create_app

    return AppSetup(create_app())


# -- serving -------------------------------------------------------------------------------


def run_tool(command: str, settings: Settings, port: int, *, out: IO[str] | None = None) -> None:
    """Serve the tool ``command`` of ``TOOLS`` on ``settings.host:port`` until SIGINT or SIGTERM.

    Raises ``parlor.run.serve.PortInUse`` when the port is taken.
    """
    tool = TOOLS[command]
    settings = replace(settings, workers=1)
    os.environ.update(front_door_environment(settings))
    run_front_door(
        tool.target,
        host=settings.host,
        port=port,
        workers=settings.workers,
        label=tool.label,
        body_timeout=settings.body_timeout,
        out=out,
    )


def run_converter(
    *,
    host: str = HOST,
    port: int | None = None,
    opener: Callable[[str], bool] | None = None,
    out: IO[str] | None = None,
) -> int:
    """The converter as a desktop application: serve, open the browser once ready; the exit
    status. ``port`` None: a free one."""
    port = free_port(host) if port is None else port
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    stream = out or sys.stderr
    argv = [
        sys.executable, "-m", "parlor", "convert", "--no-browser",
        "--host", host, "--port", str(port),
    ]  # fmt: skip
    # The child reads the rest of its settings from the PARLOR_* variables it inherits.
    door = DoorProcess("converter", argv, host, port)
    return Supervisor([door], out=stream).run(
        on_ready=lambda: announce(url, opener=opener, out=stream)
    )


def announce(url: str, *, opener: Callable[[str], bool] | None, out: IO[str]) -> bool:
    """Say where the converter is and open it in the browser; without one, say to open it."""
    say_line(f"parlor convert: the converter is at {url}", out)
    # open_browser's own "no browser" line names parlor desktop: say ours instead.
    opened = open_browser(url, opener=opener, out=io.StringIO())
    if not opened:
        say_line(f"parlor convert: no browser could be opened here; open {url} in one", out)
    return opened
