"""The visit cookie around each request: read before routing, written after.

``Visits`` is a Falcon middleware. Before routing it puts the live visit in
``req.context.visit`` (a new one when the cookie is missing, expired or
unreadable; then ``req.context.lapse`` says which of the last two it was, and
``req.context.fresh`` is true). Resources replace the visit as they act
(``update``); after the response, whatever the outcome, the visit goes back
out as the cookie: HttpOnly, SameSite=Lax, Secure when the request came over
https; rewritten whenever the visit changed, and otherwise once a minute at
most, which restarts its idle clock.

The helpers below are how resources read and change the visit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import falcon

from parlor.web.cookies import REFRESH, CookieCodec, Flash, Lapse, Visit, cookie_name

STATIC_PREFIX = "/static/"
EXPIRED_PATH = "/expired"


class Visits:
    def __init__(self, codec: CookieCodec) -> None:
        self._codec = codec

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.path.startswith(STATIC_PREFIX):
            req.context.visit = None
            return
        values = req.get_cookie_values(cookie_name(req.port))
        loaded = self._codec.loads(values[0] if values else None)
        req.context.lapse = loaded.lapse
        req.context.fresh = loaded.visit is None
        req.context.visit = loaded.visit or self._codec.new_visit()
        req.context.as_loaded = (loaded.visit, loaded.seen)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        visit: Visit | None = req.context.get("visit")
        if visit is None:
            return
        # The page is this visitor's alone: no shared cache may keep it, and going
        # back to it fetches it afresh rather than showing stale chips.
        resp.cache_control = ["private", "no-store"]
        loaded, seen = req.context.as_loaded
        if visit is loaded and seen is not None and visit.seen - seen < REFRESH:
            return  # unchanged, and its idle clock was restarted less than a minute ago
        resp.set_cookie(
            cookie_name(req.port),
            self._codec.dumps(visit),
            max_age=self._codec.max_age_of(visit),
            path="/",
            secure=req.scheme == "https",
            http_only=True,
            same_site="Lax",
        )


def current(req: falcon.Request) -> Visit:
    visit: Visit = req.context.visit
    return visit


def update(req: falcon.Request, **changes: Any) -> Visit:
    """Replace fields of the request's visit; the response carries the change out."""
    visit = replace(current(req), **changes)
    req.context.visit = visit
    return visit


def require_session(req: falcon.Request) -> str:
    """The roulette session this visit plays, or a redirect: to "expired", or to the start.

    Only a visit that timed out is told so. An unreadable cookie (a restart
    with a new secret, a tampered value) starts afresh at the start page.
    """
    session_id = current(req).session_id
    if session_id is None:
        raise falcon.HTTPSeeOther(EXPIRED_PATH if req.context.lapse is Lapse.EXPIRED else "/")
    return session_id


def take_flash(req: falcon.Request) -> Flash:
    """What the previous POST left to show, now removed from the visit (shown once)."""
    flash = current(req).flash
    if flash is None:
        return Flash()
    update(req, flash=None)
    return flash


def notice(req: falcon.Request, text: str, *, tone: str = "ok") -> None:
    update(req, flash=Flash(notice=text, tone=tone))


def form_errors(
    req: falcon.Request, form: str, errors: dict[str, str], values: dict[str, str]
) -> None:
    update(req, flash=Flash(tone="error", form=form, errors=errors, values=values))
