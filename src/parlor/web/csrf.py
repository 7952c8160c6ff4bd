"""Refusing forged POSTs: a cross-site check, then the visit's token.

Two independent defences, checked in this order on every state-changing request:

1. **Where it came from.** A browser says so: ``Sec-Fetch-Site`` (Fetch
   Metadata) and ``Origin`` (RFC 6454 §7; sent with every POST by today's
   browsers). A request another site made (``cross-site``), or a sibling
   subdomain (``same-site``), or whose Origin is not this app's own, is
   refused with 403 before anything else is read. Requests without either
   header (curl, old browsers) fall through to the token.
2. **The token.** Every form carries ``csrf_token``, the random token stored
   in the visit on the server (the "synchronizer token" bound to the visit);
   it must match, compared in constant time. A page from another site cannot
   read it, and cannot change the visit. A missing or wrong token on a live
   visit is a 403. When the visit itself has just lapsed (no cookie, an
   expired or unreadable one) the token cannot match, and the person most
   likely left a page open too long: they are sent to the "expired" page,
   having changed nothing, instead of being told off.

``SameSite=Lax`` on the cookie (``parlor.wsgi.sessions``) is a third layer: a browser does
not send it with another site's POST at all.
"""

from __future__ import annotations

import hmac
from typing import Any

import falcon

from parlor.web import visits
from parlor.web.formbody import read_form
from parlor.web.visits import EXPIRED_PATH

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_FIELD = "csrf_token"  # noqa: S105 - a form field's name, not a secret


class Forbidden(falcon.HTTPForbidden):
    """403, with a sentence for the person (``errors.py`` renders it as a page)."""

    def __init__(self, detail: str) -> None:
        super().__init__(title="This form cannot be accepted", description=detail)


def cross_site(origin: str | None, fetch_site: str | None, own_origin: str) -> str | None:
    """Why a request looks like it came from another site, or None when it does not."""
    if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
        return f"Your browser says this form was sent from another site ({fetch_site.strip()})."
    if origin is not None and origin.strip().lower() != own_origin.lower():
        return "This form was sent from a page on another site."
    return None


def token_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def own_origin(req: falcon.Request) -> str:
    """This app's origin as a browser writes it in ``Origin``: scheme://host[:port]."""
    return f"{req.scheme}://{req.netloc}"


class CsrfGuard:
    """Falcon middleware: runs after routing, before any resource's ``on_post``."""

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        if req.method in SAFE_METHODS or not hasattr(resource, f"on_{req.method.lower()}"):
            return  # nothing to guard: Falcon answers 404 or 405
        why = cross_site(
            req.get_header("Origin"), req.get_header("Sec-Fetch-Site"), own_origin(req)
        )
        if why is not None:
            raise Forbidden(why)
        given = read_form(req).get(TOKEN_FIELD, "")
        expected = visits.existing_csrf(req)
        if expected is not None and token_matches(expected, given):
            return
        if visits.is_fresh(req):
            raise falcon.HTTPSeeOther(EXPIRED_PATH)
        raise Forbidden(
            "The form was missing its security token, or it came from an old page."
            " Go back to the table and try again."
        )
