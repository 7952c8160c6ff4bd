"""How ``parlor fetch`` answers an HTTP server's ``401``: Digest (strongest offered) or Basic.

A request goes out without credentials. If the answer is ``401 Unauthorized``, every
``WWW-Authenticate`` challenge in it is read (RFC 9110 §11.6.1: one per header field, as
parlor's server sends them, or several in one field), and the request is repeated once with
the strongest one this client can answer:

1. Digest (RFC 7616, ``qop=auth``), by :data:`parlor.wsgi.digest.ALGORITHMS`' order:
   SHA-512-256, SHA-256, then MD5, each before its ``-sess`` variant; ``userhash`` honoured.
   The standard library's urllib answers only MD5 and SHA-1 Digest, and httpx's ``DigestAuth``
   reads a response's challenges as one header, so this one is built on parlor's own pure
   :mod:`parlor.wsgi.digest`, the same code the server checks answers with.
2. Basic (RFC 7617), only when no Digest challenge can be answered.

``mode="basic"`` sends Basic at once without waiting for a challenge (curl's ``--basic``);
``mode="digest"`` never falls back to Basic. A Digest answer refused with ``stale=true`` is
answered once more with the new nonce, as RFC 7616 §3.3 asks, without asking the user.
Anything else (a second 401, no challenge that can be answered) is left to the caller as the
401 it is.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Literal

import httpx

from parlor.tools.credentials import Credentials
from parlor.wsgi import digest
from parlor.wsgi.auth import render_basic

AuthMode = Literal["any", "basic", "digest"]
AUTH_MODES: tuple[AuthMode, ...] = ("any", "basic", "digest")


@dataclass(frozen=True)
class Challenges:
    """What one 401 offers: its Digest challenges this client can answer, and Basic or not."""

    digest: tuple[digest.DigestChallenge, ...]
    basic: bool

    @property
    def schemes(self) -> list[str]:
        """The offered schemes, for an error message."""
        names = [f"Digest {c.algorithm}" for c in self.digest]
        return [*names, "Basic"] if self.basic else names


def _split_challenges(value: str) -> Iterable[str]:
    """One header value → its challenges: a new one starts at an auth-scheme token with a space
    after it (``Digest realm=…, Basic realm=…``), which no auth-param can look like."""
    current: list[str] = []
    for element in value.split(","):
        match = digest.SCHEME.fullmatch(element.strip(" \t"))
        starts = match is not None and match.group(2) is not None and "=" not in match.group(1)
        if starts and current:
            yield ",".join(current)
            current = []
        current.append(element)
    if current:
        yield ",".join(current)


def read_challenges(values: Iterable[str]) -> Challenges:
    """Read the ``WWW-Authenticate`` values of a 401; malformed challenges are skipped."""
    found: list[digest.DigestChallenge] = []
    basic = False
    for value in values:
        for challenge in _split_challenges(value):
            scheme = challenge.strip(" \t").split(" ", 1)[0].casefold()
            if scheme == "basic":
                basic = True
            elif scheme == "digest":
                try:
                    parsed = digest.parse_challenge(challenge.strip(" \t"))
                except digest.DigestError:
                    continue
                if parsed.algorithm in digest.ALGORITHMS and "auth" in parsed.qop:
                    found.append(parsed)
    found.sort(key=lambda c: digest.ALGORITHMS.index(c.algorithm))
    return Challenges(tuple(found), basic)


def _target(request: httpx.Request) -> str:
    """The request-target the Digest ``uri`` must repeat: path and query, as sent."""
    return request.url.raw_path.decode("ascii")


class ChallengeAuth(httpx.Auth):
    """An httpx auth flow answering a 401 with the strongest scheme, as described above."""

    def __init__(self, credentials: Credentials, mode: AuthMode = "any") -> None:
        self._credentials = credentials
        self._mode = mode

    def __repr__(self) -> str:
        return f"ChallengeAuth({self._credentials!r}, mode={self._mode!r})"

    def _basic(self) -> str:
        return render_basic(self._credentials.user, self._credentials.password)

    def _digest(self, challenge: digest.DigestChallenge, request: httpx.Request) -> str:
        answer = digest.answer_challenge(
            challenge,
            username=self._credentials.user,
            password=self._credentials.password,
            method=request.method,
            uri=_target(request),
        )
        return digest.render_authorization(answer)

    def _answer(self, response: httpx.Response, request: httpx.Request) -> str | None:
        offered = read_challenges(response.headers.get_list("www-authenticate"))
        for challenge in offered.digest:
            try:
                return self._digest(challenge, request)
            except digest.DigestError:  # a name or password with no UTF-8 form: try the next
                continue
        if offered.basic and self._mode == "any":
            return self._basic()
        return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._mode == "basic":
            request.headers["Authorization"] = self._basic()
            yield request
            return
        response = yield request
        for _attempt in range(2):  # the answer, then once more if its nonce was stale
            if response.status_code != 401:
                return
            authorization = self._answer(response, request)
            if authorization is None:
                return
            stale_before = "Authorization" in request.headers
            if stale_before and not _is_stale(response):
                return  # the credentials were refused: the caller reports the 401
            request.headers["Authorization"] = authorization
            response = yield request


def _is_stale(response: httpx.Response) -> bool:
    return any(
        c.stale for c in read_challenges(response.headers.get_list("www-authenticate")).digest
    )
