"""HTTP Digest access authentication (RFC 7616) as pure functions on values.

The exchange
------------
A request without valid credentials is answered 401 with one challenge per algorithm the server
offers, each in a ``WWW-Authenticate`` field of its own, preferred first (RFC 7616 §3.3)::

    Digest realm="parlor", qop="auth", algorithm=SHA-256, nonce="…", opaque="…", userhash=true

The client picks one and repeats the request with (§3.4)::

    Digest username="…", realm="parlor", uri="/x?y=1", algorithm=SHA-256, nonce="…",
           nc=00000001, cnonce="…", qop=auth, response="…", opaque="…"

With ``H(s)`` the algorithm's hash of the UTF-8 bytes of ``s`` as lowercase hex (§3.4.1–3.4.3)::

    HA1      = H(username ":" realm ":" password)       what a server stores: :func:`ha1`
    HA1-sess = H(HA1 ":" nonce ":" cnonce)              the "-sess" algorithms only
    HA2      = H(method ":" uri)                        qop=auth
    response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   nc as 8 lowercase hex digits

With ``userhash=true`` the ``username`` field carries ``H(username ":" realm)`` (§3.4.4:
:func:`userhash`), so the name never crosses the wire. A name that is not printable ASCII and
not hashed goes as ``username*=UTF-8''…`` (§3.4, RFC 8187). Algorithms: MD5, SHA-256 and
SHA-512-256 (when this Python's hashlib has it), each also as "-sess". Only ``qop=auth``:
``auth-int`` would hash the body, which a pipe must not read.

Parsing
-------
``parse_*`` read the auth-param list of RFC 9110 §11.2: names are case-insensitive; a value is a
token or a quoted-string with backslash escapes, and either form is accepted for every parameter
(urllib quotes ``algorithm`` though RFC 7616 says not to); empty list elements are skipped
(RFC 9110 §5.6.1); unknown parameters are ignored; a parameter given twice is refused, since
"which one wins" is how two parsers come to disagree. A header longer than
:data:`MAX_HEADER_LENGTH` is refused unread. Every malformed header raises :class:`DigestError`
with a message saying what is wrong, and nothing else. ``render_*`` are the inverses:
``parse_authorization(render_authorization(a)) == a``.

Nonces
------
:func:`make_nonce` is stateless: ``base64(issued ‖ random ‖ HMAC-SHA256(secret, issued ‖ random))``
with ``issued`` the time in milliseconds as 8 big-endian bytes and 16 random bytes, so any process
holding the secret can check one (:func:`check_nonce`) without shared memory. A nonce whose MAC
does not verify is ``INVALID`` (forged, damaged, or from another secret); one older than its
lifetime, or dated more than :data:`CLOCK_SKEW` ahead, is ``STALE``: the server challenges again
with ``stale=true`` and the client retries without asking its user (§3.3).

A nonce may be used for many requests, each with a higher ``nc`` (§3.4). :class:`NonceCounts`
remembers the highest ``nc`` per nonce, so a captured request cannot be replayed;
:class:`MemoryNonceCounts` is the in-process one. This module does no I/O and reads no clock:
times are passed in. Randomness comes only from :mod:`secrets`, for new nonces and cnonces.

Exceptions
----------
::

    ValueError
     └── DigestError    a malformed header or value; an algorithm or qop not supported here
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import secrets
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, unquote_to_bytes

__all__ = [
    "ALGORITHMS",
    "CLOCK_SKEW",
    "MAX_HEADER_LENGTH",
    "SCHEME",
    "DigestAuthorization",
    "DigestChallenge",
    "DigestError",
    "MemoryNonceCounts",
    "NonceCounts",
    "NonceState",
    "answer_challenge",
    "check_nonce",
    "expected_response",
    "ha1",
    "make_nonce",
    "parse_authorization",
    "parse_challenge",
    "quote_string",
    "render_authorization",
    "render_challenge",
    "userhash",
]


class DigestError(ValueError):
    """A Digest header or value that is malformed, or asks for what this module does not do."""


def _has_hash(name: str) -> bool:
    try:
        hashlib.new(name)
    except ValueError:  # not built into this OpenSSL, or refused by FIPS mode (MD5)
        return False
    return True


_HASH_NAMES = {
    name: hash_name
    for name, hash_name in (("SHA-512-256", "sha512_256"), ("SHA-256", "sha256"), ("MD5", "md5"))
    if _has_hash(hash_name)
}
#: The algorithms this Python can compute, strongest first.
ALGORITHMS: tuple[str, ...] = tuple(name + sess for name in _HASH_NAMES for sess in ("", "-sess"))
# Algorithm names are compared case-insensitively, as curl and httpx do, and kept as RFC 7616
# spells them.
_CANONICAL = {name.upper(): name for name in ALGORITHMS}

MAX_HEADER_LENGTH = 4096
#: How far ahead of this clock another worker's clock may be and its nonces still count as fresh.
CLOCK_SKEW = 2.0

_TCHARS = r"!#$%&'*+\-.^_`|~0-9A-Za-z"  # RFC 9110 §5.6.2
_TOKEN = re.compile(f"[{_TCHARS}]+")
# RFC 9110 §5.6.4: qdtext is anything but '"', '\' and controls other than HTAB (non-ASCII is
# obs-text); a quoted-pair escapes any of those but a control.
_CTL = r"\x00-\x08\x0a-\x1f\x7f"
_PARAM = re.compile(
    rf'[ \t]*([{_TCHARS}]+)[ \t]*=[ \t]*(?:([{_TCHARS}]+)|"((?:[^"\\{_CTL}]|\\[^{_CTL}])*)")[ \t]*'
)
_QUOTED_PAIR = re.compile(r"\\(.)")
_EMPTY_ELEMENTS = re.compile(r"[ \t,]*")
#: An auth-scheme and what follows it (RFC 9110 §11.4), in a header stripped of spaces first:
#: a lazy ".*?" before a trailing "[ \t]*" would take time quadratic in a run of inner spaces.
SCHEME = re.compile(rf"([{_TCHARS}]+)(?:[ \t]+(.*))?", re.DOTALL)
_HEX = re.compile(r"[0-9a-f]+")
_NC = re.compile(r"[0-9a-fA-F]{8}")
_EXT_VALUE = re.compile(  # RFC 8187 §3.2.1, the two charsets recipients must support
    r"(UTF-8|ISO-8859-1)'[A-Za-z0-9-]*'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*)", re.I
)
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def _digest_params(header: str, scheme: str) -> dict[str, str]:
    if len(header) > MAX_HEADER_LENGTH:
        raise DigestError(f"the header is longer than {MAX_HEADER_LENGTH} characters")
    match = SCHEME.fullmatch(header.strip(" \t"))
    if match is None or match[1].lower() != scheme.lower():
        raise DigestError(f"the header does not start with the scheme {scheme!r}")
    text = match[2] or ""
    params: dict[str, str] = {}
    pos = _skip_empty(text, 0)
    while pos < len(text):
        param = _PARAM.match(text, pos)
        if param is None:
            raise DigestError(f"expected name=value at character {pos + 1} of the parameters")
        name = param[1].lower()
        if name in params:
            raise DigestError(f"the parameter {name!r} is given twice")
        params[name] = param[2] if param[2] is not None else _QUOTED_PAIR.sub(r"\1", param[3])
        pos = param.end()
        if pos < len(text) and text[pos] != ",":
            raise DigestError(f"expected ',' at character {pos + 1} of the parameters")
        pos = _skip_empty(text, pos)
    return params


def _skip_empty(text: str, pos: int) -> int:
    match = _EMPTY_ELEMENTS.match(text, pos)
    return pos if match is None else match.end()


def _required(params: dict[str, str], name: str) -> str:
    if name not in params:
        raise DigestError(f"the parameter {name!r} is missing")
    return params[name]


def _boolean(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise DigestError(f"{name} must be true or false, not {value!r}")
    return value == "true"


def quote_string(value: str) -> str:
    """Return ``value`` as an RFC 9110 §5.6.4 quoted-string; a control character is refused."""
    if re.search(f"[{_CTL}]", value):
        raise DigestError(f"a quoted-string cannot hold a control character: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _token_or_quoted(value: str) -> str:
    return value if _TOKEN.fullmatch(value) else quote_string(value)


@dataclass(frozen=True)
class DigestChallenge:
    """One ``WWW-Authenticate: Digest`` challenge (RFC 7616 §3.3)."""

    realm: str
    nonce: str
    algorithm: str = "SHA-256"
    qop: tuple[str, ...] = ("auth",)
    opaque: str | None = None
    userhash: bool = False
    stale: bool = False


def render_challenge(challenge: DigestChallenge) -> str:
    """Return the ``WWW-Authenticate`` value of ``challenge``, parameters in RFC 7616's order."""
    parts = [f"realm={quote_string(challenge.realm)}"]
    if challenge.qop:
        parts.append(f"qop={quote_string(', '.join(challenge.qop))}")
    parts.append(f"algorithm={_token_or_quoted(challenge.algorithm)}")
    parts.append(f"nonce={quote_string(challenge.nonce)}")
    if challenge.opaque is not None:
        parts.append(f"opaque={quote_string(challenge.opaque)}")
    if challenge.userhash:
        parts.append("userhash=true")
    if challenge.stale:
        parts.append("stale=true")
    return "Digest " + ", ".join(parts)


def parse_challenge(header: str) -> DigestChallenge:
    """Read one ``WWW-Authenticate: Digest`` value; raise :class:`DigestError` if malformed."""
    params = _digest_params(header, "Digest")
    algorithm = params.get("algorithm", "MD5")  # §3.3: absent means MD5
    qop = params.get("qop")
    return DigestChallenge(
        realm=_required(params, "realm"),
        nonce=_required(params, "nonce"),
        algorithm=_CANONICAL.get(algorithm.upper(), algorithm),
        qop=() if qop is None else tuple(q for q in (p.strip(" \t") for p in qop.split(",")) if q),
        opaque=params.get("opaque"),
        userhash=_boolean(params, "userhash"),
        stale=_boolean(params, "stale"),
    )


@dataclass(frozen=True)
class DigestAuthorization:
    """The parameters of an ``Authorization: Digest`` header (RFC 7616 §3.4).

    ``username`` is the name (decoded from ``username*`` if it came so) or, with ``userhash``,
    the hex hash of it. ``qop`` is None only for RFC 2069 clients; with it, ``nc`` and
    ``cnonce`` are required.
    """

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: int | None = None
    cnonce: str | None = None
    opaque: str | None = None
    userhash: bool = False

    def __post_init__(self) -> None:
        if self.qop is not None and (self.nc is None or self.cnonce is None):
            raise DigestError("with qop, the parameters 'nc' and 'cnonce' are required")
        if self.nc is not None and not 0 <= self.nc <= 0xFFFFFFFF:
            raise DigestError(f"nc must fit in 8 hex digits, not {self.nc}")
        if not _HEX.fullmatch(self.response):
            raise DigestError(f"response must be lowercase hex, not {self.response!r}")


def parse_authorization(header: str) -> DigestAuthorization:
    """Read an ``Authorization: Digest`` value; raise :class:`DigestError` if malformed."""
    params = _digest_params(header, "Digest")
    hashed = _boolean(params, "userhash")
    if "username*" in params:
        if "username" in params or hashed:
            raise DigestError("username* cannot come with username, nor with userhash=true")
        username = _decode_ext_value(params["username*"])
    else:
        username = _required(params, "username")
    nc = params.get("nc")
    if nc is not None and not _NC.fullmatch(nc):
        raise DigestError(f"nc must be 8 hex digits, not {nc!r}")
    algorithm = params.get("algorithm", "MD5")
    return DigestAuthorization(
        username=username,
        realm=_required(params, "realm"),
        nonce=_required(params, "nonce"),
        uri=_required(params, "uri"),
        response=_required(params, "response").lower(),
        algorithm=_CANONICAL.get(algorithm.upper(), algorithm),
        qop=params.get("qop"),
        nc=None if nc is None else int(nc, 16),
        cnonce=params.get("cnonce"),
        opaque=params.get("opaque"),
        userhash=hashed,
    )


def _decode_ext_value(value: str) -> str:
    match = _EXT_VALUE.fullmatch(value)
    if match is None:
        raise DigestError(f"username* is not an RFC 8187 ext-value: {value!r}")
    try:
        return unquote_to_bytes(match[2]).decode(match[1].lower())
    except UnicodeDecodeError as error:
        raise DigestError(f"username* is not valid {match[1]}") from error


def render_authorization(authorization: DigestAuthorization) -> str:
    """Return the ``Authorization`` value for ``authorization``, in RFC 7616's order."""
    a = authorization
    if a.userhash or _PRINTABLE_ASCII.fullmatch(a.username):
        parts = [f"username={quote_string(a.username)}"]
    else:
        # RFC 8187 attr-chars stay; quote() also keeps ALPHA / DIGIT / "-._~".
        parts = [f"username*=UTF-8''{quote(a.username.encode(), safe='!#$&+^`|')}"]
    parts += [f"realm={quote_string(a.realm)}", f"uri={quote_string(a.uri)}"]
    parts += [f"algorithm={_token_or_quoted(a.algorithm)}", f"nonce={quote_string(a.nonce)}"]
    if a.qop is not None:
        parts += [f"nc={a.nc:08x}", f"cnonce={quote_string(a.cnonce or '')}"]
        parts.append(f"qop={_token_or_quoted(a.qop)}")
    parts.append(f'response="{a.response}"')
    if a.opaque is not None:
        parts.append(f"opaque={quote_string(a.opaque)}")
    if a.userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)


def _hash(algorithm: str, text: str) -> str:
    hash_name = _HASH_NAMES.get(algorithm.removesuffix("-sess"))
    if hash_name is None:
        raise DigestError(f"the algorithm {algorithm!r} is not supported here")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: no UTF-8 form, so no digest
        raise DigestError("a Digest field is not encodable as UTF-8") from error
    return hashlib.new(hash_name, data).hexdigest()


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """Return ``H(username:realm:password)``, what a server keeps instead of the password."""
    return _hash(algorithm, f"{username}:{realm}:{password}")


def userhash(algorithm: str, username: str, realm: str) -> str:
    """Return ``H(username:realm)``, the ``username`` field under ``userhash=true`` (§3.4.4)."""
    return _hash(algorithm, f"{username}:{realm}")


def expected_response(
    ha1: str, *, algorithm: str, method: str, uri: str, nonce: str, nc: int, cnonce: str, qop: str
) -> str:
    """Return the ``response`` a client knowing the password sends (RFC 7616 §3.4.1)."""
    if qop != "auth":
        raise DigestError(f"qop={qop!r} is not supported here, only qop=auth")
    if not 0 <= nc <= 0xFFFFFFFF:
        raise DigestError(f"nc must fit in 8 hex digits, not {nc}")
    key = _hash(algorithm, f"{ha1}:{nonce}:{cnonce}") if algorithm.endswith("-sess") else ha1
    ha2 = _hash(algorithm, f"{method}:{uri}")
    return _hash(algorithm, f"{key}:{nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}")


def answer_challenge(
    challenge: DigestChallenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> DigestAuthorization:
    """Return a client's answer to ``challenge`` (a fresh random cnonce unless one is given)."""
    if "auth" not in challenge.qop:
        raise DigestError("the challenge does not offer qop=auth")
    cnonce = secrets.token_urlsafe(24) if cnonce is None else cnonce
    algorithm, realm = challenge.algorithm, challenge.realm
    return DigestAuthorization(
        username=userhash(algorithm, username, realm) if challenge.userhash else username,
        realm=realm,
        nonce=challenge.nonce,
        uri=uri,
        response=expected_response(
            ha1(algorithm, username, realm, password),
            algorithm=algorithm,
            method=method,
            uri=uri,
            nonce=challenge.nonce,
            nc=nc,
            cnonce=cnonce,
            qop="auth",
        ),
        algorithm=algorithm,
        qop="auth",
        nc=nc,
        cnonce=cnonce,
        opaque=challenge.opaque,
        userhash=challenge.userhash,
    )


class NonceState(enum.Enum):
    """What :func:`check_nonce` found."""

    FRESH = "fresh"
    STALE = "stale"
    INVALID = "invalid"


_ISSUED = struct.Struct(">Q")
_RANDOM_BYTES = 16
_NONCE_BYTES = _ISSUED.size + _RANDOM_BYTES + hashlib.sha256().digest_size
_NONCE_LENGTH = len(base64.b64encode(bytes(_NONCE_BYTES)))


def make_nonce(secret: bytes, now: float, *, random: bytes | None = None) -> str:
    """Return a server nonce issued at ``now`` (seconds since the epoch), signed with ``secret``."""
    random = secrets.token_bytes(_RANDOM_BYTES) if random is None else random
    if len(random) != _RANDOM_BYTES:
        raise ValueError(f"a nonce takes {_RANDOM_BYTES} random bytes, not {len(random)}")
    body = _ISSUED.pack(round(now * 1000)) + random
    return base64.b64encode(body + hmac.digest(secret, body, "sha256")).decode("ascii")


def check_nonce(nonce: str, secret: bytes, now: float, lifetime: float) -> NonceState:
    """Say whether ``nonce`` was made with ``secret`` and, if so, whether it is still fresh."""
    if len(nonce) != _NONCE_LENGTH or not nonce.isascii():
        return NonceState.INVALID
    try:
        raw = base64.b64decode(nonce, validate=True)
    except ValueError:  # binascii.Error: not base64
        return NonceState.INVALID
    if base64.b64encode(raw).decode("ascii") != nonce:  # one spelling per nonce: no look-alikes
        return NonceState.INVALID
    body, mac = raw[: -hashlib.sha256().digest_size], raw[-hashlib.sha256().digest_size :]
    if not hmac.compare_digest(mac, hmac.digest(secret, body, "sha256")):
        return NonceState.INVALID
    age = now - _ISSUED.unpack_from(body)[0] / 1000
    return NonceState.FRESH if -CLOCK_SKEW <= age <= lifetime else NonceState.STALE


class NonceCounts(Protocol):
    """Where the highest ``nc`` seen for each nonce is kept, so no request is replayed."""

    def advance(self, nonce: str, nc: int) -> bool:
        """Record ``nc`` and return True if it is higher than any seen for ``nonce``, else False."""
        ...


class MemoryNonceCounts:
    """:class:`NonceCounts` in this process's memory: thread-safe, at most ``limit`` nonces.

    Entries are kept ``lifetime + CLOCK_SKEW`` after a nonce is first seen, by which time the
    nonce is stale and refused before its count is asked. Over ``limit``, the nonce first seen
    longest ago is dropped: its next use would be taken as new. A process's memory is its own,
    so behind several worker processes give them one shared store instead.
    """

    def __init__(
        self, *, clock: Callable[[], float], lifetime: float = 300.0, limit: int = 100_000
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        self._clock = clock
        self._keep = lifetime + CLOCK_SKEW
        self._limit = limit
        self._lock = threading.Lock()
        self._seen: OrderedDict[str, tuple[float, int]] = OrderedDict()  # first seen, highest nc

    def advance(self, nonce: str, nc: int) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values()))[0] + self._keep < now:
                self._seen.popitem(last=False)
            first_seen, highest = self._seen.get(nonce, (now, 0))
            if nc <= highest:
                return False
            self._seen[nonce] = (first_seen, nc)
            if len(self._seen) > self._limit:
                self._seen.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)
