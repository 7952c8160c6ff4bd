"""Response headers that make every page safer to show, whatever its content.

Also two that every page needs: ``Cache-Control`` private unless a page says
otherwise, and redirects that stay under the app's mount point (SCRIPT_NAME).

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
        if resp.get_header("Cache-Control") is None:
            # A page is drawn for one visit: no shared cache may keep it, and going
            # back to it fetches it afresh rather than showing stale chips. The few
            # pages that are the same for everyone (rules, static files) say so.
            resp.cache_control = ["private", "no-store"]
        root = req.root_path
        location = resp.location
        if root and location and location.startswith("/") and not location.startswith("//"):
            # Mounted under a prefix (`parlor serve --one-port`: /play), the app's
            # own redirects are to its own paths.
            resp.location = root + location
