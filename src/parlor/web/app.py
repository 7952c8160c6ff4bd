"""The web application for people, as one WSGI app: its pipes, then its pages.

It talks to the REST service only over HTTP, through ``RouletteClient`` (and
``ChessClient`` for the chess pages); its
own table in the database is the visits store (``parlor.wsgi.sessions``),
nothing of the game: the seed's "two servers and a client".

``create_app(client, store)`` builds it (tests hand in a client whose
transport calls an in-process service, and a store of their own);
``app_from_env()`` builds it in each worker's app process
(``parlor.run.targets.web_app``), configured from ``PARLOR_*`` variables that
``parlor web`` sets. The pipeline is the list in ``create_app``, outermost first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import falcon

from parlor.client import ChessClient, ClientError, RouletteClient
from parlor.settings import Settings
from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.store.web_sessions import DatabaseSessions
from parlor.web import accounts
from parlor.web.chess import add_chess_routes
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
from parlor.web.records import MAX_RECORD, RecordDownload, Verify
from parlor.web.render import Renderer, Static, static_folder
from parlor.web.table import TableReader
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.authz import Authorize
from parlor.wsgi.cache import Cache
from parlor.wsgi.errors import Errors, leave_to_errors_pipe
from parlor.wsgi.forms import Forms
from parlor.wsgi.head import HeadRouter
from parlor.wsgi.sessions import Sessions, SessionStore
from parlor.wsgi.throttle import Throttle, for_registrations
from parlor.wsgi.types import WSGIApp
from parlor.wsgi.uploads import UploadStore

#: The pages that are the same for every visitor until a restart, and the chess pages,
#: of which only a finished game's PGN is marked public (it never changes again).
CACHED = frozenset({"/rules", "/static/", "/chess/"})
#: The web's forms are a few short fields (the largest: a password twice), and one
#: upload: a game record for the verify page.
MAX_FORM_FIELDS = 32
MAX_FORM_BODY = MAX_RECORD + 16 * 1024


def create_falcon_app(
    client: RouletteClient,
    *,
    chess: ChessClient | None = None,
    idle: float = 1200.0,
    max_age: float = 43200.0,
    clock: Callable[[], float] = time.time,
) -> falcon.App[falcon.Request, falcon.Response]:
    """The bare Falcon app: what sits inside the pipes.

    ``chess`` reaches the chess API; by default a client of the roulette
    client's service, with its timeout.
    """
    if chess is None:
        chess = ChessClient(client.base_url, timeout=client.timeout, retries=1)
    render = Renderer()
    errors = ErrorPages(render)
    # Middleware runs in this order before a resource, and in reverse after it.
    middleware: list[Any] = [SecurityHeaders(), CsrfGuard()]
    app = falcon.App(media_type=falcon.MEDIA_HTML, middleware=middleware, router=HeadRouter())
    app.req_options.strip_url_path_trailing_slash = True
    app.set_error_serializer(errors.serialize)
    app.add_error_handler(Exception, leave_to_errors_pipe)
    app.add_error_handler(ClientError, errors.on_client_error)

    # The table page's bets read goes out beside its spins read.
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="parlor-web")
    deps = Deps(client, render, TableReader(client, pool))
    logins = Throttle(clock=clock)
    app.add_route("/", Start(deps))
    app.add_route("/table", TablePage(deps))
    app.add_route("/bets", PlaceBet(deps))
    app.add_route("/withdraw", Withdraw(deps))
    app.add_route("/spin", Spin(deps))
    app.add_route("/end", EndSession(deps))
    app.add_route("/rules", Rules(deps))
    app.add_route("/fairness", Fairness(deps))
    app.add_route("/expired", Expired(deps, idle=idle, max_age=max_age))
    app.add_route(accounts.LOGIN_PATH, accounts.Login(deps, logins))
    app.add_route("/register", accounts.Register(deps, logins, for_registrations(clock)))
    app.add_route("/logout", accounts.Logout(deps, logins))
    app.add_route("/account", accounts.AccountPage(deps, logins))
    app.add_route("/account/password", accounts.ChangePassword(deps, logins))
    app.add_route("/fairness/record", RecordDownload(deps))
    app.add_route("/verify", Verify(deps))
    app.add_route("/static/{name}", Static(render.assets))
    add_chess_routes(app, deps, chess)
    return app


def create_app(
    client: RouletteClient,
    store: SessionStore,
    *,
    uploads: Path,
    chess: ChessClient | None = None,
    idle: float = 1200.0,
    max_age: float = 43200.0,
    clock: Callable[[], float] = time.time,
) -> WSGIApp:
    """The web app with its pipeline, outermost first; uploads go to ``uploads``."""
    upload_store = UploadStore(
        uploads, max_file_bytes=MAX_RECORD, max_files=1, served=[static_folder()]
    )
    pipeline: list[Callable[[WSGIApp], WSGIApp]] = [
        AccessLog,
        Errors,
        lambda app: Cache(app, paths=CACHED),
        lambda app: Sessions(app, store=store, idle=idle, max_age=max_age, clock=clock),
        accounts.VisitIdentity,
        lambda app: Authorize(app, rules=accounts.RULES, login_path=accounts.LOGIN_PATH),
        lambda app: Forms(
            app, max_fields=MAX_FORM_FIELDS, max_body=MAX_FORM_BODY, uploads=upload_store
        ),
    ]
    app: WSGIApp = create_falcon_app(client, chess=chess, idle=idle, max_age=max_age, clock=clock)
    for pipe in reversed(pipeline):
        app = pipe(app)
    return app


def app_from_env() -> WSGIApp:
    """Granian's factory: one client (one connection pool) and one store per worker process."""
    settings = Settings.from_env()
    client = RouletteClient(
        settings.service_base_url, timeout=settings.web_service_timeout, retries=1
    )
    return web_from_settings(settings, client)


def web_from_settings(
    settings: Settings, client: RouletteClient, *, chess: ChessClient | None = None
) -> WSGIApp:
    """The web app as ``settings`` configure it, reaching the service through ``client``
    (and ``chess``, by default a client of the same service)."""
    db = open_database(
        settings.database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
    )
    migrate(db)
    return create_app(
        client,
        DatabaseSessions(db),
        uploads=Path(settings.upload_dir),
        chess=chess,
        idle=settings.web_idle_timeout,
        max_age=settings.web_max_age,
    )
