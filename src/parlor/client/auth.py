"""How a client signs its requests as an account: a token, or a password.

``Bearer(token)`` sends ``Authorization: Bearer <token>`` (RFC 6750 §2.1) with
every request; a password goes through httpx's own ``BasicAuth`` or
``DigestAuth`` (httpx answers the service's SHA-256 Digest challenge).
"""

from __future__ import annotations

from collections.abc import Generator

import httpx


class Bearer(httpx.Auth):
    """An account's bearer token, from ``POST /api/v1/accounts/me/tokens``."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def __repr__(self) -> str:
        return "Bearer(…)"  # never the token itself, in a log or a traceback
