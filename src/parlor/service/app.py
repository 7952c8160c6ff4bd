"""The REST service as one WSGI app: routes, error handling, access log.

``create_app(house)`` builds it around a house (tests pass their own);
``house_from_settings`` opens the store a server's app process uses
(``parlor.run.targets.service_app``, which also wires the long polls).
"""

from __future__ import annotations

import falcon

from parlor.house.errors import HouseError
from parlor.house.roulette import RouletteHouse
from parlor.service import codec, represent
from parlor.service.api import add_api_routes
from parlor.service.openapi import openapi_document
from parlor.service.problems import handle_house_error, handle_unexpected, serialize_problem
from parlor.service.seed_routes import HouseWheel, add_seed_routes
from parlor.settings import Settings
from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.head import HeadRouter
from parlor.wsgi.types import WSGIApp


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
    house: RouletteHouse, wheel: HouseWheel | None = None
) -> falcon.App[falcon.Request, falcon.Response]:
    """The bare Falcon app, without pipes: what in-process tests drive."""
    app = falcon.App(media_type=falcon.MEDIA_JSON, router=HeadRouter())
    # The seed's URLs end in "/" ("/json/"); with stripping on, routes are declared
    # without it and "/json/" and "/json" both reach the same resource.
    app.req_options.strip_url_path_trailing_slash = True
    json_handler = codec.media_handler()
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.router_options.converters["id"] = IdConverter
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(HouseError, handle_house_error)
    add_seed_routes(app, house, wheel or HouseWheel())
    add_api_routes(app, house, represent.rules(house.limits), openapi_document())
    return app


def create_app(house: RouletteHouse, wheel: HouseWheel | None = None) -> WSGIApp:
    """The service with its pipeline, outermost first."""
    app: WSGIApp = create_falcon_app(house, wheel)
    for pipe in (AccessLog,):
        app = pipe(app)
    return app


def house_from_settings(settings: Settings) -> RouletteHouse:
    db = open_database(
        settings.database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
    )
    migrate(db)
    return RouletteHouse(db, limits=settings.limits)
