"""Response headers that make every page safer to show, whatever its content.

Autoescaping keeps player data out of the markup; the Content-Security-Policy
is the second line: only this origin's script and stylesheet apply (nothing
inline at all), forms post only here, and no other site may frame the pages
(clickjacking).
"""

from __future__ import annotations

from typing import Any

import falcon

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)


class SecurityHeaders:
    """Falcon middleware: the same few headers on every response."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header("Content-Security-Policy", POLICY)
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "same-origin")
