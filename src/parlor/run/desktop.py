"""``parlor desktop``: the seed's "Desktop Web Application" for roulette.

A web application that does not need the Internet: the REST service and the
web app start on free loopback ports (so a second copy, or a `parlor serve`
on 8008, is never in the way), and once both answer the default browser opens
on the game (Python's ``webbrowser``). On a machine with no browser it says
where to point one instead. Ctrl+C stops everything, as with `parlor serve`.
"""

from __future__ import annotations

import socket
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from typing import IO

from parlor.run.serve import front_doors, say_line
from parlor.run.supervisor import Supervisor
from parlor.settings import Settings

HOST = "127.0.0.1"
#: The page the browser opens: the table, which sends a new player to the start.
START_PATH = "/table"


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def open_browser(
    url: str, *, opener: Callable[[str], bool] | None = None, out: IO[str] | None = None
) -> bool:
    """Open ``url`` in the default browser (or ``opener``); without one, print the address."""
    try:
        opened = (opener or webbrowser.open)(url)
    except webbrowser.Error:
        opened = False
    if not opened:
        say_line(
            f"parlor desktop: no browser could be opened here; open {url} in one",
            out or sys.stderr,
        )
    return opened


def run_desktop(
    settings: Settings,
    *,
    opener: Callable[[str], bool] | None = None,
    out: IO[str] | None = None,
) -> int:
    """Serve on free loopback ports, open the browser once ready; the exit status."""
    local = replace(
        settings,
        host=HOST,
        port=free_port(),
        web_port=free_port(),
        tcp_port=free_port(),
        service_url="",
    )
    url = f"http://{HOST}:{local.web_port}{START_PATH}"
    stream = out or sys.stderr

    def ready() -> None:
        say_line(f"parlor desktop: your table is at {url}", stream)
        open_browser(url, opener=opener, out=stream)

    return Supervisor(front_doors(local), out=stream).run(on_ready=ready)
