"""Authorization: who may do what, by path and method, declared in one table.

Authentication (``parlor.wsgi.auth``, or a web visit's login) only says who
the request is from, in ``environ[USER]``; this pipe decides. Each app
declares its rules once, as a tuple of ``Rule`` values, and the pipe applies
the first rule whose path and method match (none: anyone may). A rule's
``allow`` is a predicate on the identity; ``SIGNED_IN`` lets any account in.

What a refusal looks like depends on who is asking:

- **an API** (``page=False``) answers 401 with the authentication pipe's
  challenges (``environ[CHALLENGES]``: one ``WWW-Authenticate`` header each,
  RFC 9110 §11.6.1) when no one is signed in, and 403 when the identity may
  not (RFC 9110 §15.5.4: "the server understood the request but refuses to
  fulfill it");
- **an HTML page** (``page=True``) sends a person who is not signed in to the
  login page with 303, carrying where they were going in ``next`` so the
  login can bring them back (``safe_next`` checks it on the way back).

One more rule holds everywhere: credentials that were sent and did not work
(a wrong password, a stale nonce) get 401, even where anyone may enter. A
client that meant to act as an account must never be served as a stranger
(it would open an anonymous session, say, and play with chips not its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from parlor.wsgi.auth import AUTH_FAILURE, CHALLENGES, USER, Failure, Identity
from parlor.wsgi.errors import error_response
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

_SLASHES = re.compile("/{2,}")


def signed_in(identity: Identity) -> bool:
    return True


SIGNED_IN: Callable[[Identity], bool] = signed_in


@dataclass(frozen=True, slots=True)
class Rule:
    """Requests to ``path`` (exact, or a prefix when it ends in "/") by ``methods``."""

    path: str
    allow: Callable[[Identity], bool] = SIGNED_IN
    #: None: every method.
    methods: frozenset[str] | None = None
    #: An HTML page: a stranger is sent to log in rather than answered 401.
    page: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        if self.path.endswith("/"):
            return path.startswith(self.path) or path == self.path[:-1]
        return path == self.path


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site; ``default`` otherwise.

    A login's ``next`` comes from the query string, so anyone can write one:
    only a local absolute path is followed ("//evil.example" and "/\\evil" are
    other sites to a browser), or the login would redirect to a phishing page.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or "\\" in target
        or not target.isprintable()  # controls of any kind, not only CR and LF
        or len(target) > 2000
    ):
        return default
    # A Location header is ASCII: anything else goes percent-encoded (RFC 3986 §2.1).
    return quote(target, safe="/?#[]@!$&'()*+,;=:%-._~")


class Authorize:
    """The pipe: applies ``rules`` in order before the app sees the request."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        rules: Sequence[Rule],
        login_path: str = "/login",
        json_only: bool = False,
    ) -> None:
        """``json_only``: refusals are problem+json whatever the Accept (for an API)."""
        self.app = app
        self.rules = tuple(rules)
        self.login_path = login_path
        self.json_only = json_only

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        identity: Identity | None = environ.get(USER)
        if identity is None and environ.get(AUTH_FAILURE) not in (None, Failure.MISSING):
            return self._unauthorized(environ, start_response, "Those credentials were refused.")
        method = environ.get("REQUEST_METHOD", "GET")
        method = "GET" if method == "HEAD" else method
        if method == "OPTIONS":
            # What a resource allows is no secret, and browsers send OPTIONS (a CORS
            # preflight) without credentials by design (Fetch, "CORS-preflight request").
            return self.app(environ, start_response)
        # "//account" reaches the same resource as "/account" in most routers: match the
        # path as they will route it, or a doubled slash would walk past the table.
        path = _SLASHES.sub("/", environ.get("PATH_INFO", ""))
        rule = next((r for r in self.rules if r.matches(method, path)), None)
        if rule is None:
            return self.app(environ, start_response)
        if identity is None:
            if rule.page:
                return self._to_login(environ, start_response)
            return self._unauthorized(environ, start_response, "Sign in to use this.")
        if not rule.allow(identity):
            return error_response(
                environ, start_response, 403, "Not allowed",
                f"The account {identity.username!r} may not do this.",
                code="forbidden", json_only=self.json_only,
            )  # fmt: skip
        return self.app(environ, start_response)

    def _unauthorized(
        self, environ: WSGIEnvironment, start_response: StartResponse, detail: str
    ) -> Iterable[bytes]:
        challenges = environ.get(CHALLENGES)
        headers = list(challenges()) if challenges is not None else []
        return error_response(
            environ, start_response, 401, "Sign in needed",
            detail + " Send your account's credentials (HTTP Basic or Digest, or a token).",
            headers, code="unauthorized", json_only=self.json_only,
        )  # fmt: skip

    def _to_login(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # ``next`` is a path of the app's own, as its links are: the login's redirect
        # goes under the app's mount point (SCRIPT_NAME) like every other.
        script = environ.get("SCRIPT_NAME", "")
        here = quote(environ.get("PATH_INFO", "") or "/", safe="/")
        if environ.get("QUERY_STRING"):
            here += "?" + environ["QUERY_STRING"]
        location = f"{script}{self.login_path}?next={quote(here, safe='')}"
        start_response(
            "303 See Other",
            [
                ("Location", location),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", "0"),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b""]
