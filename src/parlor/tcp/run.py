"""``parlor tables``: the tables server, from settings to a listening socket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from parlor.house.accounts import AccountsHouse
from parlor.house.roulette import RouletteHouse
from parlor.house.tables import TablesHouse
from parlor.roulette.wheel import WheelKind
from parlor.settings import Settings
from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.tcp.floor import DEFAULT_WINDOW, Floor
from parlor.tcp.limits import Limits
from parlor.tcp.server import LineServer
from parlor.wsgi.throttle import Throttle

#: The tables a server opens when none is named: the seed's American wheel, and a European.
DEFAULT_TABLES = (("main", WheelKind.AMERICAN), ("euro", WheelKind.EUROPEAN))
_TABLE = re.compile(r"([A-Za-z0-9_-]{1,32}):(american|european)", re.IGNORECASE)


def parse_table(text: str) -> tuple[str, WheelKind]:
    """``NAME:WHEEL`` as ``--table`` takes it; ValueError says the form."""
    found = _TABLE.fullmatch(text.strip())
    if found is None:
        raise ValueError(
            f"{text!r} is not NAME:WHEEL: a name of 1-32 letters, digits, - or _, then"
            " american or european (main:american)"
        )
    return found.group(1), WheelKind(found.group(2).lower())


@dataclass(frozen=True, slots=True)
class TablesConfig:
    host: str = "127.0.0.1"
    port: int = 36001
    tables: Sequence[tuple[str, WheelKind]] = DEFAULT_TABLES
    window: float = DEFAULT_WINDOW
    limits: Limits = field(default_factory=Limits)
    tls_cert: str | None = None
    tls_key: str | None = None
    #: Take passwords in clear from any address, not only loopback.
    clear_passwords: bool = False


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None:
        raise ValueError("--tls-key needs --tls-cert beside it")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def build(settings: Settings, config: TablesConfig) -> tuple[Floor, LineServer]:
    """The floor over the settings' database, and the server that speaks for it."""
    db = open_database(
        settings.database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
    )
    migrate(db)
    roulette = RouletteHouse(db, limits=settings.limits)
    floor = Floor(
        TablesHouse(roulette),
        roulette,
        AccountsHouse(db, realm=settings.auth_realm, starting_chips=settings.starting_chips),
        window=config.window,
        throttle=Throttle(clock=time.monotonic),
        clear_passwords=config.clear_passwords,
    )
    server = LineServer(
        floor.conversation, config.limits, tls=tls_context(config.tls_cert, config.tls_key)
    )
    return floor, server


async def serve(
    settings: Settings,
    config: TablesConfig,
    *,
    ready: Callable[[str, int], object] | None = None,
) -> None:
    floor, server = build(settings, config)

    async def started() -> None:
        await floor.open(config.tables)

    try:
        await server.serve(config.host, config.port, ready=ready, started=started)
    finally:
        await floor.stop()
        floor.roulette.db.close()


def run(settings: Settings, config: TablesConfig, *, announce: Callable[[str], object]) -> None:
    """Serve until interrupted, announcing where; started by ``parlor serve``, end with it
    however it ends (a ``kill -9`` of the supervisor included)."""
    from parlor.run.serve import SUPERVISOR_PID

    supervisor = os.environ.get(SUPERVISOR_PID, "")
    if supervisor.isdigit():
        from parlor.run.lifeline import die_with_parent

        die_with_parent(int(supervisor))

    def ready(host: str, port: int) -> None:
        names = ", ".join(f"{name} ({wheel.value})" for name, wheel in config.tables)
        scheme = "TLS" if config.tls_cert else "plain TCP"
        announce(f"parlor tables listening on {host}:{port} ({scheme}; tables {names})")

    async def until_stopped() -> None:
        # SIGTERM (what `parlor serve` and service managers send) stops it as Ctrl+C does.
        here = asyncio.current_task()
        assert here is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, here.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(settings, config, ready=ready)

    asyncio.run(until_stopped())
