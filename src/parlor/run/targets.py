"""The apps Granian imports in each worker: each WSGI app behind its front door.

``parlor service`` and ``parlor web`` hand Granian these factories (by
name, ``parlor.run.targets:service``); each builds its app from the
``PARLOR_*`` variables the command set, in the worker process.
"""

from __future__ import annotations

from parlor.run.bodies import BodyLimits
from parlor.run.changes import Changes
from parlor.run.frontdoor import FrontDoor
from parlor.run.proxy import TrustedProxies
from parlor.run.threads import RequestThreads
from parlor.settings import Settings
from parlor.wsgi.accesslog import BackgroundWriter
from parlor.wsgi.types import WSGIApp


def front_door(app: WSGIApp, settings: Settings, changes: Changes | None = None) -> FrontDoor:
    """``app`` behind a front door configured by ``settings``."""
    return FrontDoor(
        app,
        threads=RequestThreads(settings.request_threads),
        changes=changes,
        limits=BodyLimits(max_bytes=settings.max_body_bytes, timeout=settings.body_timeout),
        proxies=TrustedProxies.parse(settings.forwarded_allow_ips),
        log=BackgroundWriter().write,
        multiprocess=settings.workers > 1,
    )


def service() -> FrontDoor:
    """The REST service; a bet on a session wakes whoever long-polls it."""
    from parlor.service.app import create_app, house_from_settings, watch_sessions

    settings = Settings.from_env()
    changes = Changes()
    house = house_from_settings(settings)
    watch_sessions(house, changes)
    return front_door(create_app(house), settings, changes)


def web() -> FrontDoor:
    from parlor.web.app import app_from_env

    return front_door(app_from_env(), Settings.from_env())
