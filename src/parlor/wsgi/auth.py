"""The authentication pipe: who is asking, from the ``Authorization`` header. Never who may.

``Authenticate(app, realm=…, credentials=…, secret=…)`` reads ``Authorization`` and calls
``app`` with three environ keys set, whatever the header held:

- :data:`USER`: the :class:`Identity` proved, or None;
- :data:`AUTH_FAILURE`: None with a user, else the :class:`Failure` saying why there is none
  (``"missing"`` when no credentials came);
- :data:`CHALLENGES`: a callable returning the ``("WWW-Authenticate", value)`` headers for a
  401, one challenge per header: Digest SHA-256, Digest MD5, then Basic (RFC 9110 §11.6.1 lets a
  401 offer several; clients take the first they support, so the strongest goes first).
  After a stale nonce the Digest ones say ``stale=true``, so clients retry without asking.

Deciding that a request needs a user, and answering 401, is the authorization pipe's job
(STYLE.md 4). The one answer given here is 429 Too Many Requests, with ``Retry-After`` and a
problem+json body, when a login attempt is throttled (:mod:`parlor.wsgi.throttle`): the app is
not called and the password is not tried.

Schemes:

- Basic (RFC 7617): base64 of UTF-8 ``user-id ":" password``, split at the first colon; control
  characters refused. The password is prepared as it was when hashed (RFC 8265 OpaqueString, as
  RFC 7617 §2.1 asks under ``charset="UTF-8"``: :func:`parlor.passwords.verify`) and checked
  against the account's argon2id hash, slow by design; an unknown name costs the same hashing,
  so timing does not say which names exist.
- Digest (RFC 7616, :mod:`parlor.wsgi.digest`), ``qop=auth``, with ``userhash``. Checked in
  this order: an offered algorithm and qop; the realm; the ``uri`` against the request target
  (compared after percent-decoding); the nonce's MAC (made by this pipe with ``secret``, so any
  worker sharing it can check one); the response; the nonce's age; and last ``nc``
  (:class:`~parlor.wsgi.digest.NonceCounts`, refusing replays). A stale nonce is reported only
  when the response was right, as RFC 7616 §3.3 asks of ``stale=true``.
- Bearer (RFC 6750 §2.1), when a ``bearer`` callback is given: it maps a token to an Identity.
  Tokens that ``others`` recognises (a chess seat's, say) are the app's own to check: to this
  pipe they are no credentials at all, neither a user nor a failure.
  Unknown tokens are not throttled: tokens are long random strings, not guessable passwords.

No header can make this pipe raise: anything malformed is just no user, reason ``malformed``.
Exceptions from ``credentials`` or ``bearer`` (a store that is down) do propagate.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import hmac
import re
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias
from urllib.parse import unquote_to_bytes

from argon2 import PasswordHasher

from parlor import passwords
from parlor.wsgi import digest
from parlor.wsgi.errors import error_response
from parlor.wsgi.throttle import Throttle, wait_words, whole_seconds
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

__all__ = [
    "AUTH_FAILURE",
    "CHALLENGES",
    "USER",
    "Authenticate",
    "Credentials",
    "Failure",
    "Identity",
    "StoredCredentials",
    "parse_basic",
    "render_basic",
]

#: The :class:`Identity` the request proved, or None.
USER = "parlor.user"
#: Why there is no user (a :class:`Failure`), or None when there is one.
AUTH_FAILURE = "parlor.auth_failure"
#: A callable returning the ``WWW-Authenticate`` headers for a 401, as (name, value) pairs.
CHALLENGES = "parlor.challenges"


class Failure(enum.StrEnum):
    """Why a request carries no user."""

    MISSING = "missing"  # no Authorization header
    MALFORMED = "malformed"
    UNSUPPORTED = "unsupported"  # a scheme, algorithm or qop not offered; no digest HA1 stored
    WRONG_REALM = "wrong-realm"
    WRONG_URI = "wrong-uri"
    INVALID_NONCE = "invalid-nonce"  # not made with our secret: forged or damaged
    STALE_NONCE = "stale-nonce"
    REPLAYED_NONCE = "replayed-nonce"  # an nc no higher than one already used
    UNKNOWN_USER = "unknown-user"
    WRONG_PASSWORD = "wrong-password"  # noqa: S105  (a reason, not a password)
    UNKNOWN_TOKEN = "unknown-token"  # noqa: S105
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Identity:
    """Who a request proved to be, and how."""

    account_id: int
    username: str
    scheme: Literal["basic", "digest", "bearer"]


@dataclass(frozen=True)
class StoredCredentials:
    """What the server keeps about an account to check its logins."""

    account_id: int
    username: str  # canonical spelling
    password_hash: str  # argon2id PHC string
    digest_ha1: Mapping[str, str] = field(default_factory=dict)  # algorithm → H(user:realm:pw)


class Credentials(Protocol):
    """Where accounts are looked up (by name, or by Digest userhash)."""

    def lookup(self, username: str) -> StoredCredentials | None: ...

    def lookup_userhash(self, userhash: str, algorithm: str) -> StoredCredentials | None:
        """The account whose ``H(username:realm)`` under ``algorithm`` is ``userhash``; None if
        there is none or the store cannot tell."""
        ...


_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 9110 §11.2


def parse_basic(credentials: str) -> tuple[str, str]:
    """Return (user-id, password) from a Basic token68; raise ValueError if malformed."""
    if not _TOKEN68.fullmatch(credentials):
        raise ValueError("Basic credentials are not a token68")
    try:
        raw = base64.b64decode(credentials, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError("Basic credentials are not base64 of UTF-8 text") from error
    # Canonical base64 only (RFC 4648 §3.5): padded exactly, no stray bits, nothing after.
    if base64.b64encode(raw).decode("ascii") != credentials:
        raise ValueError("Basic credentials are not canonical base64")
    username, colon, password = text.partition(":")
    if not colon:
        raise ValueError("Basic credentials have no colon")
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise ValueError("Basic credentials hold a control character")  # RFC 7617 §2
    return username, password


def render_basic(username: str, password: str) -> str:
    """Return the ``Authorization`` value for ``username`` and ``password`` (RFC 7617)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


@dataclass(frozen=True)
class _Throttled:
    wait: float


_Outcome: TypeAlias = Identity | Failure | _Throttled


class Authenticate:
    """A WSGI pipe that identifies the user of each request; see the module docstring."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        realm: str,
        credentials: Credentials,
        secret: bytes,
        clock: Callable[[], float] = time.time,
        nonce_lifetime: float = 300.0,
        counts: digest.NonceCounts | None = None,
        throttle: Throttle | None = None,
        bearer: Callable[[str], Identity | None] | None = None,
        others: Callable[[str], bool] | None = None,
        hasher: PasswordHasher | None = None,
        algorithms: Sequence[str] = ("SHA-256", "MD5"),
        front_ends: Collection[str] = (),
    ) -> None:
        """``front_ends``: addresses of apps that log people in on their behalf and throttle
        them per address themselves (parlor's web app). Their failed logins count per
        account only: counted per address, one person's typos there would lock every
        other person of that front end out."""
        if len(secret) < 16:
            raise ValueError("the nonce secret must be at least 16 bytes")
        unknown = [name for name in algorithms if name not in digest.ALGORITHMS]
        if unknown:
            raise ValueError(f"Digest algorithms not available here: {unknown}")
        self._app = app
        self._realm = realm
        self._credentials = credentials
        self._secret = secret
        self._clock = clock
        self._lifetime = nonce_lifetime
        # "is None", not "or": an empty Throttle or MemoryNonceCounts has len() 0, so is falsy.
        if counts is None:
            counts = digest.MemoryNonceCounts(clock=clock, lifetime=nonce_lifetime)
        self._counts = counts
        self._throttle = Throttle(clock=clock) if throttle is None else throttle
        self._bearer = bearer
        self._others = others
        self._hasher = PasswordHasher() if hasher is None else hasher
        self._algorithms = tuple(algorithms)
        self._front_ends = frozenset(front_ends)
        # Opaque only has to come back unchanged (RFC 7616 §3.3); derived, so workers agree.
        mac = hmac.digest(secret, b"parlor digest opaque:" + realm.encode(), "sha256")
        self._opaque = base64.urlsafe_b64encode(mac[:18]).decode("ascii")

    def _keys(self, stored: StoredCredentials | None, environ: WSGIEnvironment) -> tuple[str, ...]:
        """The throttle keys of an attempt: its account first (if it names one), then its
        client address (unless that is a front end's).

        A name that is no account gets no key of its own: an attacker sending a
        hundred thousand made-up names would otherwise push real accounts' counts
        out of the throttle's bounded memory, and with them their lockouts.
        """
        address = environ.get("REMOTE_ADDR", "")
        keys = () if stored is None else (f"account:{stored.username.casefold()}",)
        return keys if address in self._front_ends else (*keys, f"address:{address}")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        outcome = self._identify(environ)
        if isinstance(outcome, _Throttled):
            return _too_many_requests(outcome.wait, environ, start_response)
        identified = isinstance(outcome, Identity)
        environ[USER] = outcome if identified else None
        environ[AUTH_FAILURE] = None if identified else outcome
        environ[CHALLENGES] = functools.partial(self._challenges, outcome is Failure.STALE_NONCE)
        return self._app(environ, start_response)

    def _challenges(self, stale: bool) -> list[tuple[str, str]]:
        nonce = digest.make_nonce(self._secret, self._clock())
        headers = [
            digest.render_challenge(
                digest.DigestChallenge(
                    realm=self._realm,
                    nonce=nonce,
                    algorithm=algorithm,
                    opaque=self._opaque,
                    userhash=True,
                    stale=stale,
                )
            )
            for algorithm in self._algorithms
        ]
        headers.append(f'Basic realm={digest.quote_string(self._realm)}, charset="UTF-8"')
        return [("WWW-Authenticate", value) for value in headers]

    def _identify(self, environ: WSGIEnvironment) -> _Outcome:
        header = environ.get("HTTP_AUTHORIZATION")
        if header is None:
            return Failure.MISSING
        try:
            # PEP 3333 hands header bytes over as latin-1; the parameters are UTF-8 (RFC 7616 §4).
            text = header.encode("latin-1").decode("utf-8")
        except (AttributeError, UnicodeError):
            return Failure.MALFORMED
        if len(text) > digest.MAX_HEADER_LENGTH:
            return Failure.MALFORMED
        match = digest.SCHEME.fullmatch(text.strip(" \t"))
        if match is None:
            return Failure.MALFORMED
        scheme, rest = match[1].lower(), match[2] or ""
        if scheme == "basic":
            return self._basic(rest, environ)
        if scheme == "digest":
            return self._digest(text, environ)
        if scheme == "bearer" and self._others is not None and self._others(rest):
            return Failure.MISSING  # another credential of the app's: not an account's
        if scheme == "bearer" and self._bearer is not None:
            if not _TOKEN68.fullmatch(rest):
                return Failure.MALFORMED
            identity = self._bearer(rest)
            return Failure.UNKNOWN_TOKEN if identity is None else identity
        return Failure.UNSUPPORTED

    @functools.cached_property
    def _decoy_hash(self) -> str:
        """Checked against when the name is unknown, so that costs what a wrong password
        costs; made at the first such login, not at start-up (argon2 takes its time)."""
        return self._hasher.hash("parlor: no such account")

    def _basic(self, token: str, environ: WSGIEnvironment) -> _Outcome:
        try:
            username, password = parse_basic(token)
        except ValueError:
            return Failure.MALFORMED
        stored = self._credentials.lookup(username)
        keys = self._keys(stored, environ)
        with self._throttle.attempt(keys) as wait:
            if wait > 0:
                return _Throttled(wait)
            if stored is None:
                passwords.verify(self._hasher, self._decoy_hash, password)  # a wrong one's cost
                self._throttle.failed(keys)
                return Failure.UNKNOWN_USER
            if not passwords.verify(self._hasher, stored.password_hash, password):
                self._throttle.failed(keys)
                return Failure.WRONG_PASSWORD
            self._throttle.succeeded(keys[0])
            return Identity(stored.account_id, stored.username, "basic")

    def _digest(self, header: str, environ: WSGIEnvironment) -> _Outcome:
        try:
            given = digest.parse_authorization(header)
        except digest.DigestError:
            return Failure.MALFORMED
        if given.algorithm not in self._algorithms:
            return Failure.UNSUPPORTED
        if given.qop != "auth" or given.nc is None or given.cnonce is None:
            return Failure.UNSUPPORTED
        if given.nc < 1:  # counts start at 1 (RFC 7616 §3.4): 0 would be a use no store counts
            return Failure.MALFORMED
        if given.realm != self._realm:
            return Failure.WRONG_REALM
        if not _is_request_target(given.uri, environ):
            return Failure.WRONG_URI
        nonce = digest.check_nonce(given.nonce, self._secret, self._clock(), self._lifetime)
        if nonce is digest.NonceState.INVALID:
            return Failure.INVALID_NONCE
        stored = self._digest_account(given)
        keys = self._keys(stored, environ)
        with self._throttle.attempt(keys) as wait:
            if wait > 0:
                return _Throttled(wait)
            if stored is None:
                self._throttle.failed(keys)
                return Failure.UNKNOWN_USER
            return self._check_digest(given, stored, nonce, keys, environ)

    def _check_digest(
        self,
        given: digest.DigestAuthorization,
        stored: StoredCredentials,
        nonce: digest.NonceState,
        keys: tuple[str, ...],
        environ: WSGIEnvironment,
    ) -> _Outcome:
        ha1 = stored.digest_ha1.get(given.algorithm.removesuffix("-sess"))
        if ha1 is None or given.nc is None or given.cnonce is None or given.qop is None:
            return Failure.UNSUPPORTED  # (the last three were refused before: for the types)
        expected = digest.expected_response(
            ha1,
            algorithm=given.algorithm,
            method=environ.get("REQUEST_METHOD", "GET"),
            uri=given.uri,
            nonce=given.nonce,
            nc=given.nc,
            cnonce=given.cnonce,
            qop=given.qop,
        )
        if not hmac.compare_digest(expected, given.response):
            self._throttle.failed(keys)
            return Failure.WRONG_PASSWORD
        if nonce is digest.NonceState.STALE:
            return Failure.STALE_NONCE
        if not self._counts.advance(given.nonce, given.nc):
            return Failure.REPLAYED_NONCE
        self._throttle.succeeded(keys[0])
        return Identity(stored.account_id, stored.username, "digest")

    def _digest_account(self, given: digest.DigestAuthorization) -> StoredCredentials | None:
        if not given.userhash:
            return self._credentials.lookup(given.username)
        base = given.algorithm.removesuffix("-sess")
        stored = self._credentials.lookup_userhash(given.username, base)
        # Trust the store's match only as far as the hash really is this account's.
        if stored is None:
            return None
        actual = digest.userhash(base, stored.username, self._realm)
        claimed = given.username.lower().encode("utf-8", "surrogatepass")
        return stored if hmac.compare_digest(actual.encode(), claimed) else None


def _is_request_target(uri: str, environ: WSGIEnvironment) -> bool:
    """Whether Digest's ``uri`` names this request (RFC 7616 §3.4.6).

    Compared after percent-decoding, as PATH_INFO is: "/a%7Eb" and "/a~b" are one target.
    """
    if uri == environ.get("REQUEST_URI"):  # not PEP 3333, but many servers set it
        return True
    path, _, query = uri.partition("?")
    if not path.startswith("/"):
        return False
    target: str = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    query_string: str = environ.get("QUERY_STRING", "")
    # PEP 3333 strings are bytes as latin-1; unquote_to_bytes reads the path as UTF-8.
    return unquote_to_bytes(path).decode("latin-1") == target and query == query_string


def _too_many_requests(
    wait: float, environ: WSGIEnvironment, start_response: StartResponse
) -> list[bytes]:
    return error_response(
        environ,
        start_response,
        429,
        "Too many failed logins",
        "Too many failed logins for this account or from this address: "
        f"try again in {wait_words(wait)}.",
        [("Retry-After", str(whole_seconds(wait)))],
        code="login_throttled",
        json_only=True,
    )
