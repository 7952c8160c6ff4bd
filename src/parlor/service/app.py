"""The REST service as one WSGI app: its pipes, then its routes.

``create_app(house)`` builds it around a house (tests pass their own);
``house_from_settings`` opens the store a server's app process uses
(``parlor.run.targets.service_app``, which also wires the long polls).
The pipeline is the list in ``create_app``, outermost first.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Collection
from typing import Any

import falcon

from parlor.chess.errors import ChessError
from parlor.house.accounts import AccountsHouse, Credentials
from parlor.house.chess import ChessHouse, is_seat_token
from parlor.house.errors import HouseError
from parlor.house.roulette import RouletteHouse
from parlor.house.tables import TablesHouse
from parlor.service import codec, represent
from parlor.service.accounts import RULES, add_account_routes
from parlor.service.api import PREFIX, add_api_routes
from parlor.service.chess import add_chess_routes
from parlor.service.openapi import openapi_document
from parlor.service.problems import handle_chess_error, handle_house_error, serialize_problem
from parlor.service.seed_routes import HouseWheel, add_seed_routes
from parlor.service.tables import add_table_routes
from parlor.settings import Settings
from parlor.store.db import open_database
from parlor.store.nonces import DatabaseNonceCounts
from parlor.store.schema import migrate
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.auth import Authenticate, Identity, StoredCredentials
from parlor.wsgi.authz import Authorize
from parlor.wsgi.cache import Cache
from parlor.wsgi.errors import Errors, leave_to_errors_pipe
from parlor.wsgi.head import HeadRouter
from parlor.wsgi.throttle import Throttle, for_registrations
from parlor.wsgi.types import WSGIApp

#: The service's answers that are the same for everyone until a restart.
CACHED = frozenset({f"{PREFIX}/rules", f"{PREFIX}/openapi.json"})


class IdConverter(falcon.routing.BaseConverter):
    """A path segment of 1–19 ASCII digits, as an int; anything else is no match (404).

    Falcon's ``int`` converter uses ``int()``, which also reads "1_0" and
    full-width digits; ids are written only one way.
    """

    def convert(self, value: str) -> int | None:
        if value.isascii() and value.isdigit() and len(value) <= 19:
            return int(value)
        return None


def create_falcon_app(
    house: RouletteHouse,
    wheel: HouseWheel | None = None,
    accounts: AccountsHouse | None = None,
    *,
    chess: ChessHouse | None = None,
    computer_think: float | None = None,
    computer_games: int = 20,
    logins: Throttle | None = None,
    front_ends: Collection[str] = (),
) -> falcon.App[falcon.Request, falcon.Response]:
    """The bare Falcon app, without pipes: what in-process tests drive.

    ``chess`` defaults to a chess house over the roulette house's store;
    ``computer_think``: the computer plays chess, thinking so long a move.
    ``logins`` is the authentication pipe's throttle, which a password change
    counts against too.
    """
    app = falcon.App(media_type=falcon.MEDIA_JSON, router=HeadRouter())
    # The seed's URLs end in "/" ("/json/"); with stripping on, routes are declared
    # without it and "/json/" and "/json" both reach the same resource.
    app.req_options.strip_url_path_trailing_slash = True
    json_handler = codec.media_handler()
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.router_options.converters["id"] = IdConverter
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, leave_to_errors_pipe)
    app.add_error_handler(HouseError, handle_house_error)
    app.add_error_handler(ChessError, handle_chess_error)
    add_seed_routes(app, house, wheel or HouseWheel())
    add_api_routes(app, house, represent.rules(house.limits), openapi_document())
    add_account_routes(
        app,
        accounts or AccountsHouse(house.db),
        logins=logins or Throttle(clock=time.time),
        registrations=for_registrations(time.time),
        front_ends=front_ends,
    )
    add_chess_routes(
        app, chess or ChessHouse(house.db), think=computer_think, computer_games=computer_games
    )
    add_table_routes(app, TablesHouse(house))
    return app


class AccountCredentials:
    """The accounts house as the authentication pipe's ``Credentials``."""

    def __init__(self, accounts: AccountsHouse, realm: str) -> None:
        self._accounts = accounts
        self._realm = realm

    def _stored(self, found: Credentials | None) -> StoredCredentials | None:
        if found is None:
            return None
        # Digest secrets made for another realm prove nothing here.
        ha1 = found.digest_ha1 if found.digest_realm == self._realm else {}
        return StoredCredentials(found.account_id, found.username, found.password_hash, ha1)

    def lookup(self, username: str) -> StoredCredentials | None:
        return self._stored(self._accounts.credentials(username))

    def lookup_userhash(self, userhash: str, algorithm: str) -> StoredCredentials | None:
        return self._stored(self._accounts.credentials_by_userhash(userhash, algorithm))

    def bearer(self, token: str) -> Identity | None:
        found = self._accounts.token_account(token)
        return None if found is None else Identity(found[0], found[1], "bearer")


def create_app(
    house: RouletteHouse,
    wheel: HouseWheel | None = None,
    *,
    accounts: AccountsHouse | None = None,
    chess: ChessHouse | None = None,
    settings: Settings | None = None,
) -> WSGIApp:
    """The service with its pipeline, outermost first."""
    settings = settings or Settings()
    accounts = accounts or accounts_from_settings(house, settings)
    credentials = AccountCredentials(accounts, settings.auth_realm)
    secret = (settings.auth_secret or secrets.token_urlsafe(32)).encode()
    logins = Throttle(clock=time.time)
    front_ends = login_front_ends(settings)
    pipeline: list[Any] = [
        AccessLog,
        lambda app: Errors(app, json_only=True),
        lambda app: Cache(app, paths=CACHED),
        lambda app: Authenticate(
            app,
            realm=settings.auth_realm,
            credentials=credentials,
            secret=secret,
            nonce_lifetime=settings.nonce_lifetime,
            counts=DatabaseNonceCounts(house.db, lifetime=settings.nonce_lifetime),
            bearer=credentials.bearer,
            others=is_seat_token,  # a chess seat's token: the chess routes check it
            hasher=accounts.hasher,
            throttle=logins,
            front_ends=front_ends,
        ),
        lambda app: Authorize(app, rules=RULES, json_only=True),
    ]
    app: WSGIApp = create_falcon_app(
        house,
        wheel,
        accounts,
        chess=chess,
        computer_think=settings.chess_engine_time if settings.chess_engine else None,
        computer_games=settings.chess_engine_games,
        logins=logins,
        front_ends=front_ends,
    )
    for pipe in reversed(pipeline):
        app = pipe(app)
    return app


def login_front_ends(settings: Settings) -> frozenset[str]:
    """The addresses whose failed logins count per account only (see ``Settings``).

    This host's own listening address is one: ``parlor serve --host 192.0.2.2``
    starts the web app beside the service, and it reaches the service at that
    address, so every web login arrives from it.
    """
    listed = {a.strip() for a in settings.login_front_ends.split(",") if a.strip()}
    if settings.host not in ("", "0.0.0.0", "::"):  # noqa: S104 - a comparison, not a bind
        listed.add(settings.host)
    return frozenset(listed)


def accounts_from_settings(house: RouletteHouse, settings: Settings) -> AccountsHouse:
    return AccountsHouse(
        house.db, realm=settings.auth_realm, starting_chips=settings.starting_chips
    )


def house_from_settings(settings: Settings) -> RouletteHouse:
    db = open_database(
        settings.database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
    )
    migrate(db)
    return RouletteHouse(db, limits=settings.limits)
