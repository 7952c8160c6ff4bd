"""What Granian imports in each worker, and what each worker's app process builds.

``service`` and ``web`` are the RSGI factories ``parlor service`` and
``parlor web`` hand Granian: a front door configured from ``PARLOR_*``, whose
app process builds ``service_app`` or ``web_app``. Those take the ``publish``
that long polls hear changes through, and return the app with how to read
versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from parlor.run.appprocess import AppProcess
from parlor.run.bodies import BodyLimits
from parlor.run.frontdoor import AppRunner, FrontDoor
from parlor.run.proxy import TrustedProxies
from parlor.run.request import AppSetup, Publish, Topic
from parlor.settings import Settings
from parlor.wsgi.accesslog import BackgroundWriter
from parlor.wsgi.cache import HttpCache

if TYPE_CHECKING:
    from parlor.client import ChessClient


def front_door(runner: AppRunner, settings: Settings, *, pages: bool = False) -> FrontDoor:
    """``runner``'s app behind a front door configured by ``settings``.

    The door's cache looks at every path: what the app marks ``public, max-age``
    (the rules, the OpenAPI document, static files) is answered from the loop.
    ``pages``: a door of the web app, whose own refusals a browser sees as a page.
    """
    return FrontDoor(
        runner,
        limits=BodyLimits(max_bytes=settings.max_body_bytes, timeout=settings.body_timeout),
        proxies=TrustedProxies.parse(settings.forwarded_allow_ips),
        log=BackgroundWriter().write,
        cache=HttpCache(max_bytes=settings.cache_bytes),
        json_only=not pages,
    )


def app_process_door(target: str, settings: Settings, *, pages: bool = False) -> FrontDoor:
    """A front door whose app process builds the app factory named ``target``."""
    runner = AppProcess(target, threads=settings.request_threads, multiprocess=settings.workers > 1)
    return front_door(runner, settings, pages=pages)


def service() -> FrontDoor:
    """Granian's factory for the REST service."""
    return app_process_door("parlor.run.targets:service_app", Settings.from_env())


def web() -> FrontDoor:
    """Granian's factory for the web app for people."""
    return app_process_door("parlor.run.targets:web_app", Settings.from_env(), pages=True)


def service_app(publish: Publish) -> AppSetup:
    """The REST service; a change to a session or a chess game wakes whoever long-polls it."""
    from parlor.house.chess import ChessHouse
    from parlor.service.api import session_topic
    from parlor.service.app import create_app, house_from_settings
    from parlor.service.chess import chess_topic

    settings = Settings.from_env()
    house = house_from_settings(settings)
    house.on_change = lambda session_id, version: publish(session_topic(session_id), version)
    chess = ChessHouse(house.db)
    computer = None
    if settings.chess_engine:
        from parlor.run.chess_engine import ComputerSeat

        computer = ComputerSeat(chess, settings.chess_engine, think=settings.chess_engine_time)
        computer.start()

    def changed(game_id: str, version: int) -> None:
        publish(chess_topic(game_id), version)
        if computer is not None:
            computer.nudge()

    chess.on_change = changed
    readers = {"session": house.session_versions, "chess": chess.versions}
    makers = {"session": session_topic, "chess": chess_topic}

    def current(topics: Sequence[Topic]) -> dict[Topic, int]:
        versions: dict[Topic, int] = {}
        for kind, read in readers.items():
            ids = [t[1] for t in topics if isinstance(t, tuple) and len(t) == 2 and t[0] == kind]
            if ids:
                versions.update({makers[kind](i): v for i, v in read(ids).items()})
        return versions

    return AppSetup(create_app(house, chess=chess, settings=settings), current)


def web_app(publish: Publish) -> AppSetup:
    """The web app for people; a chess page's long poll waits on the game's version, which
    the door learns from the service (one request for every game someone waits on)."""
    from parlor.client import ChessClient, RouletteClient
    from parlor.web.app import web_from_settings

    settings = Settings.from_env()
    timeout, base = settings.web_service_timeout, settings.service_base_url
    chess = ChessClient(base, timeout=timeout, retries=1)
    app = web_from_settings(settings, RouletteClient(base, timeout=timeout, retries=1), chess=chess)
    return AppSetup(app, chess_versions(chess))


def chess_versions(chess: ChessClient) -> Callable[[Sequence[Topic]], dict[Topic, int]]:
    """The versions of the chess games among ``topics``, asked of the service."""
    from parlor.wire.chess import MAX_VERSIONS, topic

    def current(topics: Sequence[Topic]) -> dict[Topic, int]:
        ids = [t[1] for t in topics if isinstance(t, tuple) and len(t) == 2 and t[0] == "chess"]
        versions: dict[Topic, int] = {}
        for start in range(0, len(ids), MAX_VERSIONS):
            found = chess.versions(ids[start : start + MAX_VERSIONS])
            versions.update({topic(game_id): v for game_id, v in found.items()})
        return versions

    return current


def one_port() -> FrontDoor:
    """Granian's factory for ``parlor one-port``: the service at /, the web app at /play/."""
    return app_process_door("parlor.run.targets:one_port_app", Settings.from_env())


#: Where ``parlor one-port`` mounts the web app: its first path segment.
WEB_MOUNT = "play"


def one_port_app(publish: Publish) -> AppSetup:
    """The service and the web app in one process, dispatched by the path's first segment.

    The web app still reaches the service only through the client SDK, but
    in-process (``httpx.WSGITransport``): over loopback HTTP to its own port,
    each page would hold a request thread while waiting for another.
    """
    import httpx

    from parlor.client import ChessClient, RouletteClient
    from parlor.web.app import web_from_settings
    from parlor.wsgi.dispatch import Dispatch

    service = service_app(publish)
    settings = Settings.from_env()
    transport = httpx.WSGITransport(app=service.app)
    client = RouletteClient(
        settings.service_base_url,
        transport=transport,
        timeout=settings.web_service_timeout,
        retries=1,
    )
    chess = ChessClient(
        settings.service_base_url,
        transport=transport,
        timeout=settings.web_service_timeout,
        retries=1,
    )
    web = web_from_settings(settings, client, chess=chess)
    return AppSetup(Dispatch({WEB_MOUNT: web}, default=service.app), service.current)
