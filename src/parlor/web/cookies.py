"""The web app's one cookie: a browser's visit, signed, with its session id sealed.

The web app keeps no state of its own (it has no database: DESIGN.md), so what
it must remember about a browser between requests travels in one cookie:

* ``csrf``: the token every form of this visit carries (see ``csrf.py``);
* ``session_id``: the roulette session being played. That id is a bearer
  credential for the session's chips at the REST service, so it never appears
  in the cookie in clear, nor in any page;
* ``started`` and ``seen``: when the visit began and when it was last used,
  for the absolute and the idle expiry;
* ``flash``: what the page after a POST's 303 should say (PRG: the form's
  errors and values, or a notice), shown once and then dropped.

Design rules:

1. **Integrity**: the whole payload is signed by itsdangerous (HMAC-SHA256 over
   the JSON, key derived from the secret): a changed byte makes the cookie
   unreadable, and an unreadable cookie is treated as a lapsed visit.
2. **Confidentiality of the session id**: sealed with a stream cipher built
   from HMAC-SHA256 as a PRF in counter mode (NIST SP 800-38A's CTR mode with
   a PRF in place of the block cipher) under a fresh 128-bit random nonce per
   cookie, then covered by the signature above: encrypt-then-MAC. Its key is
   derived from the secret separately from the signing key. This needs only
   the standard library; the id is 22 characters, so one block suffices.
3. **Expiry is decided here, by the server**, from the signed timestamps:
   idle (``idle`` seconds since the last request, counted to within
   ``REFRESH``: an unchanged visit's cookie is rewritten at most once a
   minute) and absolute (``max_age`` since the visit began). The browser is
   told to keep the cookie a day past the absolute limit, so that a late
   return is recognised and answered with a friendly "expired" page rather
   than silently looking like a stranger.
4. The clock is passed in, so tests can move time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import itsdangerous

COOKIE_PREFIX = "parlor_visit_"


def cookie_name(port: int) -> str:
    """The cookie's name for an app answering on ``port``.

    Browsers do not keep cookies apart by port (RFC 6265 §8.5): without the
    port in its name, a `parlor desktop` and a `parlor web` on one machine
    would overwrite each other's visit.
    """
    return f"{COOKIE_PREFIX}{port}"


#: How long past the absolute limit the browser keeps the cookie, so the server can say why.
GRACE = 86_400.0
#: A visit's cookie is rewritten when it changes, and otherwise at most this often, so
#: the idle limit holds to within this many seconds while a page is read many times.
REFRESH = 60.0
#: Longer ids are not parlor's; refusing them keeps the cookie small.
MAX_SESSION_ID = 128
_NONCE = 16
_FORMAT = 1


def _derive(secret: str, purpose: bytes) -> bytes:
    return hmac.new(secret.encode(), b"parlor-web:" + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )[:length]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(key: bytes, plain: str) -> str:
    """``plain`` encrypted under ``key`` with a fresh nonce; authenticity comes from the signer."""
    data = plain.encode()
    nonce = secrets.token_bytes(_NONCE)
    stream = _keystream(key, nonce, len(data))
    return _b64(nonce + bytes(a ^ b for a, b in zip(data, stream, strict=True)))


def unseal(key: bytes, sealed: str) -> str:
    """The text ``seal`` hid; ValueError when ``sealed`` is not something it made."""
    try:
        raw = _unb64(sealed)
    except (binascii.Error, ValueError):
        raise ValueError("not a sealed value") from None
    nonce, body = raw[:_NONCE], raw[_NONCE:]
    if len(nonce) != _NONCE:
        raise ValueError("not a sealed value")
    stream = _keystream(key, nonce, len(body))
    return bytes(a ^ b for a, b in zip(body, stream, strict=True)).decode()


def _moment(value: object) -> float:
    """A timestamp from the payload: a JSON number, not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("bad timestamp")
    return float(value)


@dataclass(frozen=True, slots=True)
class Flash:
    """What the page after a redirect should show once: a notice, or a form's errors."""

    notice: str = ""
    #: "ok" for a confirmation, "error" for a refusal.
    tone: str = "ok"
    #: Which form ``errors`` and ``values`` belong to ("start", "bet").
    form: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.notice,
            "o": self.tone,
            "f": self.form,
            "e": dict(self.errors),
            "v": dict(self.values),
        }

    @classmethod
    def from_json(cls, value: Any) -> Flash:
        if not isinstance(value, dict):
            raise ValueError("bad flash")
        errors, values = value.get("e", {}), value.get("v", {})
        texts = (value.get("n", ""), value.get("o", "ok"), value.get("f", ""))
        if not all(isinstance(t, str) for t in texts) or not all(
            isinstance(d, dict) and all(isinstance(x, str) for x in (*d, *d.values()))
            for d in (errors, values)
        ):
            raise ValueError("bad flash")
        return cls(texts[0], texts[1], texts[2], errors, values)


@dataclass(frozen=True, slots=True)
class Visit:
    """One browser's visit, as the cookie carries it (with the session id in clear here)."""

    csrf: str
    started: float
    seen: float
    session_id: str | None = None
    flash: Flash | None = None


class Lapse(Enum):
    """Why a cookie that was sent gave no visit."""

    EXPIRED = "expired"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a request's cookie gave: a live visit, or none, and why not."""

    visit: Visit | None
    lapse: Lapse | None = None
    #: When the cookie says the visit was last used (before this request refreshed it).
    seen: float | None = None


class CookieCodec:
    """Turns a ``Visit`` into a cookie value and back, deciding expiry."""

    def __init__(
        self,
        secret: str,
        *,
        idle: float = 1200.0,
        max_age: float = 43200.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("the cookie secret must not be empty")
        if not 0 < idle <= max_age:
            raise ValueError(f"need 0 < idle ({idle}) <= max_age ({max_age})")
        self.idle = idle
        self.max_age = max_age
        self.clock = clock
        self._seal_key = _derive(secret, b"seal")
        # The key is derived here, once, for this purpose alone; itsdangerous
        # would otherwise derive it again on every cookie.
        self._serializer = itsdangerous.URLSafeSerializer(
            _derive(secret, b"sign"),
            signer_kwargs={"digest_method": hashlib.sha256, "key_derivation": "none"},
        )

    def new_visit(self) -> Visit:
        now = self.clock()
        return Visit(csrf=secrets.token_urlsafe(24), started=now, seen=now)

    def dumps(self, visit: Visit) -> str:
        payload: dict[str, Any] = {
            "v": _FORMAT,
            "c": visit.csrf,
            "b": visit.started,
            "t": visit.seen,
        }
        if visit.session_id is not None:
            payload["s"] = seal(self._seal_key, visit.session_id)
        if visit.flash is not None:
            payload["f"] = visit.flash.to_json()
        return self._serializer.dumps(payload)

    def loads(self, value: str | None) -> Loaded:
        """The live visit in ``value``, refreshed to now; or why there is none."""
        if not value:
            return Loaded(None)
        try:
            visit = self._decode(self._serializer.loads(value))
        except (itsdangerous.BadData, ValueError, TypeError, UnicodeDecodeError):
            return Loaded(None, Lapse.UNREADABLE)
        now = self.clock()
        if now - visit.seen > self.idle or now - visit.started > self.max_age:
            # A visit that never opened a session has nothing to lose: start afresh quietly.
            return Loaded(None, Lapse.EXPIRED if visit.session_id is not None else None)
        return Loaded(replace(visit, seen=max(now, visit.seen)), seen=visit.seen)

    def max_age_of(self, visit: Visit) -> int:
        """Seconds the browser should keep the cookie (see rule 3)."""
        return max(int(visit.started + self.max_age + GRACE - self.clock()), 0)

    def _decode(self, payload: Any) -> Visit:
        if not isinstance(payload, dict) or payload.get("v") != _FORMAT:
            raise ValueError("unknown cookie format")
        csrf, started, seen = payload.get("c"), _moment(payload.get("b")), _moment(payload.get("t"))
        if not isinstance(csrf, str):
            raise ValueError("bad cookie fields")
        sealed = payload.get("s")
        session_id = None
        if sealed is not None:
            if not isinstance(sealed, str):
                raise ValueError("bad session field")
            session_id = unseal(self._seal_key, sealed)
            if not 0 < len(session_id) <= MAX_SESSION_ID:
                raise ValueError("bad session id")
        flash = None if payload.get("f") is None else Flash.from_json(payload["f"])
        return Visit(csrf, started, seen, session_id, flash)
