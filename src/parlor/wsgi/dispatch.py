"""Dispatch: send each request to the app mounted at its leading path segment.

The seed's "system of pipes" starts here: one WSGI app in front of others,
choosing by the first segment of the path, as ``wsgiref.util.shift_path_info``
would. The segment moves from ``PATH_INFO`` to the end of ``SCRIPT_NAME``, so
the mounted app sees its own paths and can still build full URLs:

    Dispatch({"play": web}, default=service)
    GET /play/table?x=1  ->  web:     SCRIPT_NAME "/play", PATH_INFO "/table"
    GET /play            ->  web:     SCRIPT_NAME "/play", PATH_INFO ""
    GET /api/v1/rules    ->  service: SCRIPT_NAME "",      PATH_INFO "/api/v1/rules"

Unlike ``shift_path_info`` it does not normalise the path (no folding of
``//`` or ``..``): a path means what its client sent, and each app decides
what its own paths mean. A request no mount takes goes to ``default``, or is
answered 404. The query string is passed on untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

_NOT_FOUND = b"Not Found: no application is mounted at this path.\n"


class Dispatch:
    """A WSGI app that hands each request to the app mounted at its first path segment."""

    def __init__(self, mounts: Mapping[str, WSGIApp], *, default: WSGIApp | None = None) -> None:
        for name in mounts:
            if not name or "/" in name or name in (".", ".."):
                raise ValueError(f"a mount is one path segment, not {name!r}")
        self._mounts = dict(mounts)
        self._default = default

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        segment, slash, rest = path[1:].partition("/") if path.startswith("/") else ("", "", "")
        app = self._mounts.get(segment)
        if app is not None:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/" + segment
            environ["PATH_INFO"] = slash + rest
            return app(environ, start_response)
        if self._default is not None:
            return self._default(environ, start_response)
        start_response(
            "404 Not Found",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(_NOT_FOUND))),
            ],
        )
        return [_NOT_FOUND]
