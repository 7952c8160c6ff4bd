"""Driving a WSGI app as a server would: what every pipe's tests share."""

from __future__ import annotations

from wsgiref.validate import validator

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment


def drive(
    app: WSGIApp, environ: WSGIEnvironment, start_response: StartResponse, *, validate: bool = True
) -> bytes:
    """Call ``app`` (under wsgiref's validator), read its whole body and close it (PEP 3333)."""
    result = (validator(app) if validate else app)(environ, start_response)
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
