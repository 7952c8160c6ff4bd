"""Response headers that make every page safer to show, whatever its content.

Autoescaping keeps player data out of the markup; the Content-Security-Policy
is the second line: only this origin's script runs (no inline script at all),
forms post only here, and no other site may frame the pages (clickjacking).
Inline ``style`` attributes are allowed because the betting layout places
its cells with them.
"""

from __future__ import annotations

from typing import Any

import falcon

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
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
