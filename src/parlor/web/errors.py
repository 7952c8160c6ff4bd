"""Every error the web app answers is an HTML page; none shows a traceback.

::

    falcon.HTTPError                Falcon's own (400, 404, 405, 413, 415) and ours,
    │                               rendered by ``ErrorPages.serialize``
    ├── csrf.Forbidden (403)        a cross-site POST, or one without the visit's token
    └── ServiceDown (503 / 502)     the REST service gave no usable answer

    parlor.client.ClientError       what the SDK raises, mapped by ``on_client_error``:
    ├── Unauthorized                the player's token has lapsed: log in again (303)
    ├── NotFound (unknown_session)  the house no longer knows the session: forget it,
    │                               back to the start page (303) with a notice
    ├── OutcomeUnknown              503: the service may have acted; look before retrying
    ├── ServiceUnavailable          503 with Retry-After: down, slow or busy
    └── anything else               502: an answer this app did not expect (logged)

    Exception                       500, its traceback logged on stderr only

The SDK bounds every wait (``timeout``) and repeats only safe requests, so a
slow service becomes a 503 page within seconds rather than a hung browser.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

import falcon

from parlor.client import (
    ClientError,
    NotFound,
    OutcomeUnknown,
    ServiceUnavailable,
    Unauthorized,
)
from parlor.web import visits

#: How long a 503 page asks a browser or proxy to wait before trying again.
RETRY_AFTER = "5"


class ServiceDown(falcon.HTTPError):
    def __init__(self, status: str, detail: str, *, retry: bool = True) -> None:
        super().__init__(
            status,
            title="The roulette service is not answering",
            description=detail,
            headers={"Retry-After": RETRY_AFTER} if retry else None,
        )


class ErrorPages:
    """Falcon's error serializer and handlers, drawing pages with ``render(name, **context)``."""

    def __init__(self, render: Callable[..., str]) -> None:
        self._render = render

    def serialize(
        self, req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError
    ) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self._render(
            "error.html",
            root=req.root_path,
            status=error.status_code,
            title=error.title,
            detail=error.description or "",
        )

    def on_client_error(
        self, req: falcon.Request, resp: falcon.Response, error: ClientError, params: Any
    ) -> None:
        if isinstance(error, Unauthorized):
            # The player's token lapsed or was revoked (a new password, set elsewhere).
            visits.sign_out(req)
            visits.notice(req, "Your login has ended: log in again.", tone="error")
            raise falcon.HTTPSeeOther("/login")
        if isinstance(error, NotFound) and error.code == "unknown_session":
            visits.forget_game(req)
            visits.notice(
                req, "The house no longer knows your game. Start a new one.", tone="error"
            )
            raise falcon.HTTPSeeOther("/")
        if isinstance(error, OutcomeUnknown):
            raise ServiceDown(
                falcon.HTTP_503,
                "The roulette service stopped answering while it was acting on your request,"
                " so it may or may not have happened. Open the table in a moment to see.",
                retry=False,
            )
        if isinstance(error, ServiceUnavailable):
            raise ServiceDown(
                falcon.HTTP_503,
                "The roulette service is down or too slow right now. Your chips are safe;"
                " try again in a moment.",
            )
        print(f"parlor web: unexpected answer from the service: {error!r}", file=sys.stderr)
        raise ServiceDown(
            falcon.HTTP_502,
            "The roulette service gave an answer this page did not expect. Try again,"
            " or start a new game.",
            retry=False,
        )

    def on_unexpected(
        self, req: falcon.Request, resp: falcon.Response, error: Exception, params: Any
    ) -> None:
        """Last resort: the traceback goes to the server's log, the person gets a page."""
        if isinstance(error, falcon.HTTPError | falcon.HTTPStatus):
            raise error
        traceback.print_exception(error, file=sys.stderr)
        raise falcon.HTTPInternalServerError(
            title="Something went wrong",
            description="The web app hit an unexpected error; it has been logged.",
        )
