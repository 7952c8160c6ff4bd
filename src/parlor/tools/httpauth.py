"""How ``parlor fetch`` answers an HTTP server's ``401``: Digest (strongest offered) or Basic.

Pure: values in, header values out; :mod:`parlor.tools.httpget` sends them. A request goes
out without credentials. If the answer is ``401 Unauthorized``, every ``WWW-Authenticate``
challenge in it is read (:func:`read_challenges`; RFC 9110 §11.6.1: one per header field, as
parlor's server sends them, or several in one field), and the request is repeated once with
the strongest one this client can answer (:func:`answer`):

1. Digest (RFC 7616, ``qop=auth``), by :data:`parlor.wsgi.digest.ALGORITHMS`' order:
   SHA-512-256, SHA-256, then MD5, each before its ``-sess`` variant; ``userhash`` honoured.
   The standard library's urllib answers only MD5 and SHA-1 Digest, and httpx's ``DigestAuth``
   reads a response's challenges as one header, so this one is built on parlor's own pure
   :mod:`parlor.wsgi.digest`, the same code the server checks answers with.
2. Basic (RFC 7617), only when no Digest challenge can be answered.

``mode="basic"`` sends Basic at once without waiting for a challenge (:func:`preemptive`,
curl's ``--basic``); ``mode="digest"`` never falls back to Basic. A Digest answer refused with
``stale=true`` is answered once more with the new nonce, as RFC 7616 §3.3 asks, without asking
the user. Anything else (a second 401, no challenge that can be answered) is the caller's to
report as the 401 it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from parlor.tools.credentials import Credentials
from parlor.tools.sources import AUTH_MODES, AuthMode
from parlor.wsgi import digest

__all__ = ["AUTH_MODES", "AuthMode", "Challenges", "answer", "preemptive", "read_challenges"]


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


def _basic(credentials: Credentials) -> str:
    from parlor.wsgi.auth import render_basic  # the pipe's own spelling; it imports argon2

    return render_basic(credentials.user, credentials.password)


def preemptive(credentials: Credentials, mode: AuthMode) -> str | None:
    """The ``Authorization`` to send before any challenge: Basic under ``mode="basic"``."""
    return _basic(credentials) if mode == "basic" else None


def answer(
    offered: Challenges, credentials: Credentials, mode: AuthMode, *, method: str, uri: str
) -> str | None:
    """The ``Authorization`` answering the strongest challenge ``offered`` that this client
    can answer under ``mode``, or None. ``uri`` is the request-target as sent."""
    for challenge in offered.digest:
        try:
            reply = digest.answer_challenge(
                challenge,
                username=credentials.user,
                password=credentials.password,
                method=method,
                uri=uri,
            )
        except digest.DigestError:  # a name or password with no UTF-8 form: try the next
            continue
        return digest.render_authorization(reply)
    if offered.basic and mode == "any":
        return _basic(credentials)
    return None
