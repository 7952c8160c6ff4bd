"""The web application for people, as one WSGI app: pages, cookie visits, CSRF, errors.

It talks to the REST service only over HTTP, through ``RouletteClient``, and
never touches the database: the seed's "two servers and a client".

``create_app(client, secret=...)`` builds it (tests hand in a client whose
transport calls an in-process service); ``app_from_env()`` builds it in each
worker's app process (``parlor.run.targets.web_app``), configured from
``PARLOR_*`` variables that ``parlor web`` sets (the cookie secret among them, so that
every worker signs alike).
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import falcon

from parlor.client import ClientError, RouletteClient
from parlor.settings import Settings
from parlor.web.cookies import CookieCodec
from parlor.web.csrf import CsrfGuard
from parlor.web.errors import ErrorPages
from parlor.web.headers import SecurityHeaders
from parlor.web.pages import (
    Deps,
    EndSession,
    Expired,
    Fairness,
    PlaceBet,
    Rules,
    Spin,
    Start,
    TablePage,
    Withdraw,
)
from parlor.web.render import Renderer, Static
from parlor.web.table import TableReader
from parlor.web.visits import Visits
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.head import HeadRouter
from parlor.wsgi.types import WSGIApp


def create_falcon_app(
    client: RouletteClient,
    *,
    secret: str,
    idle: float = 1200.0,
    max_age: float = 43200.0,
    clock: Callable[[], float] = time.time,
) -> falcon.App[falcon.Request, falcon.Response]:
    """The bare Falcon app: what in-process tests drive."""
    codec = CookieCodec(secret, idle=idle, max_age=max_age, clock=clock)
    render = Renderer()
    errors = ErrorPages(render)
    # Middleware runs in this order before a resource, and in reverse after it.
    pipeline: list[Any] = [SecurityHeaders(), Visits(codec), CsrfGuard()]
    app = falcon.App(media_type=falcon.MEDIA_HTML, middleware=pipeline, router=HeadRouter())
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.secure_cookies_by_default = False  # Visits decides, per request
    app.set_error_serializer(errors.serialize)
    app.add_error_handler(Exception, errors.on_unexpected)
    app.add_error_handler(ClientError, errors.on_client_error)

    # The table page's bets read goes out beside its spins read.
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="parlor-web")
    deps = Deps(client, render, TableReader(client, pool))
    app.add_route("/", Start(deps))
    app.add_route("/table", TablePage(deps))
    app.add_route("/bets", PlaceBet(deps))
    app.add_route("/withdraw", Withdraw(deps))
    app.add_route("/spin", Spin(deps))
    app.add_route("/end", EndSession(deps))
    app.add_route("/rules", Rules(deps))
    app.add_route("/fairness", Fairness(deps))
    app.add_route("/expired", Expired(deps, idle=idle, max_age=max_age))
    app.add_route("/static/{name}", Static(render.assets))
    return app


def create_app(
    client: RouletteClient, *, secret: str, idle: float = 1200.0, max_age: float = 43200.0
) -> WSGIApp:
    """The web app with its pipeline, outermost first."""
    app: WSGIApp = create_falcon_app(client, secret=secret, idle=idle, max_age=max_age)
    for pipe in (AccessLog,):
        app = pipe(app)
    return app


def app_from_env() -> WSGIApp:
    """Granian's factory: one client (one connection pool) per worker process."""
    settings = Settings.from_env()
    secret = settings.web_secret
    if not secret:
        # `parlor web` always sets one; without it each worker would sign differently.
        print(
            "parlor web: PARLOR_WEB_SECRET is not set; using a random one for this process",
            file=sys.stderr,
        )
        secret = secrets.token_urlsafe(32)
    client = RouletteClient(
        settings.service_base_url, timeout=settings.web_service_timeout, retries=1
    )
    return create_app(
        client,
        secret=secret,
        idle=settings.web_idle_timeout,
        max_age=settings.web_max_age,
    )
