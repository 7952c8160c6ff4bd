"""Sessions: a cookie that holds only a random id, and the visit's data on the server.

The seed keeps a visit in "cookie sessions with a 20-minute expiry". Here the
cookie carries nothing but a key: 256 bits from ``secrets`` (RFC 6265 §8.4
wants ids an attacker cannot guess). The data lives in a ``SessionStore``
(in parlor, a table of the database: ``parlor.store.web_sessions``), keyed by
a SHA-256 of the id, so a copy of the table lets nobody in. A tampered or
made-up cookie names no row and is a stranger's first visit.

Rules:

1. **Expiry is the server's.** A visit lapses ``idle`` seconds after its last
   request (20 minutes, as the seed says) and ``max_age`` after it began,
   however busy. The last-seen time is written on a change and otherwise at
   most once per ``REFRESH``, so reading pages costs no write each time. A
   lapsed visit's row is kept for ``GRACE`` so its return can be told apart
   from a stranger's (``Lapse.EXPIRED`` against ``Lapse.UNKNOWN``), then purged.
2. **A new id when privilege changes.** ``rotate()`` (at login) moves the
   data under a fresh id and deletes the old row, so an id planted before
   login is worth nothing after (session fixation, OWASP). ``end()`` (at
   logout, and when a game ends) deletes the row; what the request stores
   after it goes under a new id.
3. **Nothing is stored for a visit that stored nothing**: no row, no cookie.
4. **The cookie**: ``HttpOnly``, ``SameSite=Lax``, ``Path=/``; over https
   ``Secure`` with the ``__Host-`` prefix (RFC 6265bis §4.1.3.2: no Domain, so
   no sibling host can set or read it). Its name carries the port: browsers
   share cookies across the ports of one host (RFC 6265 §8.5), and a
   ``parlor desktop`` must not take over a ``parlor web``'s visit.
5. Changes are saved when the app calls ``start_response`` (the headers must
   carry a new cookie), so an app sets the session before it answers; Falcon
   apps always do.

The app reads and writes ``environ[SESSION]``, a ``Session``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

#: The environ key of the request's ``Session``.
SESSION = "parlor.session"
#: How often an unchanged visit's last-seen time is written, at most.
REFRESH = 60.0
#: How long a lapsed visit's row stays, to say "expired" rather than "who are you?".
GRACE = 86_400.0
#: What ``secrets.token_urlsafe(32)`` makes; any other cookie value is not ours.
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Lapse(Enum):
    """Why a cookie that was sent gave no live visit."""

    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Stored:
    data: dict[str, Any]
    created: float
    seen: float


class SessionStore(Protocol):
    """Where visits live, by the SHA-256 of their id. Every method is one transaction."""

    def load(self, key: str) -> Stored | None: ...
    def save(self, key: str, data: str, created: float, seen: float) -> None: ...
    def touch(self, key: str, seen: float) -> None: ...
    def delete(self, key: str) -> None: ...
    def purge(self, seen_before: float, created_before: float) -> None: ...


class MemoryStore:
    """A ``SessionStore`` in a dict: for tests, and one-process tools."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, float, float]] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> Stored | None:
        row = self.rows.get(key)
        return None if row is None else Stored(json.loads(row[0]), row[1], row[2])

    def save(self, key: str, data: str, created: float, seen: float) -> None:
        with self._lock:
            self.rows[key] = (data, created, seen)

    def touch(self, key: str, seen: float) -> None:
        with self._lock:
            if key in self.rows:
                data, created, _ = self.rows[key]
                self.rows[key] = (data, created, seen)

    def delete(self, key: str) -> None:
        with self._lock:
            self.rows.pop(key, None)

    def purge(self, seen_before: float, created_before: float) -> None:
        with self._lock:
            for key in [
                k for k, (_, c, s) in self.rows.items() if s < seen_before or c < created_before
            ]:
                del self.rows[key]


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Session(MutableMapping[str, Any]):
    """One request's visit: a dict of JSON values, and what happened to its cookie."""

    def __init__(
        self, session_id: str | None, stored: Stored | None, lapse: Lapse | None, now: float
    ) -> None:
        self.id = session_id
        self._data: dict[str, Any] = dict(stored.data) if stored else {}
        self.created = stored.created if stored else now
        self.seen = stored.seen if stored else now
        #: Why the cookie sent gave no visit (None: there was none, or it is live).
        self.lapse = lapse
        self.changed = False
        #: Ids whose rows go at the end of the request (rotated away or ended).
        self.retired: list[str] = []

    @property
    def is_new(self) -> bool:
        """True when the request brought no live visit."""
        return self.id is None

    def __getitem__(self, name: str) -> Any:
        return self._data[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._data[name] = value
        self.changed = True

    def __delitem__(self, name: str) -> None:
        del self._data[name]
        self.changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def rotate(self) -> None:
        """Keep the data under a new id (call it at login)."""
        if self.id is not None:
            self.retired.append(self.id)
            self.id = None
        self.changed = True

    def end(self) -> None:
        """Forget this visit: its row goes; anything set after this starts a new one."""
        if self.id is not None:
            self.retired.append(self.id)
        self.id = None
        self._data.clear()
        self.changed = False


class Sessions:
    """The pipe: loads ``environ[SESSION]`` before the app and saves it as the app answers."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        store: SessionStore,
        idle: float = 1200.0,
        max_age: float = 43200.0,
        cookie: str = "parlor_visit",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < idle <= max_age:
            raise ValueError(f"need 0 < idle ({idle}) <= max_age ({max_age})")
        self.app = app
        self.store = store
        self.idle = idle
        self.max_age = max_age
        self.cookie = cookie
        self.clock = clock
        self._purged = 0.0

    def cookie_name(self, environ: WSGIEnvironment) -> str:
        port = environ.get("SERVER_PORT", "")
        name = f"{self.cookie}_{port}" if port else self.cookie
        return f"__Host-{name}" if environ.get("wsgi.url_scheme") == "https" else name

    def load(self, environ: WSGIEnvironment) -> Session:
        now = self.clock()
        sent = _cookie_value(environ.get("HTTP_COOKIE", ""), self.cookie_name(environ))
        if sent is None:
            return Session(None, None, None, now)
        stored = self.store.load(_key(sent)) if _ID.fullmatch(sent) else None
        if stored is None:
            return Session(None, None, Lapse.UNKNOWN, now)
        if now - stored.seen > self.idle or now - stored.created > self.max_age:
            self.store.delete(_key(sent))
            return Session(None, None, Lapse.EXPIRED, now)
        return Session(sent, stored, None, now)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session = self.load(environ)
        environ[SESSION] = session

        def saving_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            cookie = self.save(environ, session)
            if cookie is not None:
                headers = [*headers, ("Set-Cookie", cookie)]
            return start_response(status, headers, exc_info)

        return self.app(environ, saving_start_response)

    def save(self, environ: WSGIEnvironment, session: Session) -> str | None:
        """Write what changed; the Set-Cookie value when the browser must learn a new id."""
        now = self.clock()
        for retired in session.retired:
            self.store.delete(_key(retired))
        session.retired.clear()
        cookie = None
        if session.changed and (session.id is not None or len(session)):
            if session.id is None:
                session.id = secrets.token_urlsafe(32)
                session.created = now
                cookie = self._cookie(environ, session.id)
                self._maybe_purge(now)
            self.store.save(_key(session.id), json.dumps(dict(session)), session.created, now)
            session.changed = False
        elif session.id is not None and now - session.seen >= REFRESH:
            self.store.touch(_key(session.id), now)
        elif session.id is None and session.lapse is not None:
            cookie = self._cookie(environ, "", max_age=0)  # forget the dead id
        session.seen = now
        return cookie

    def _cookie(self, environ: WSGIEnvironment, value: str, *, max_age: float | None = None) -> str:
        keep = self.max_age + GRACE if max_age is None else max_age
        attributes = [f"{self.cookie_name(environ)}={value}", f"Max-Age={int(keep)}", "Path=/"]
        if environ.get("wsgi.url_scheme") == "https":
            attributes.append("Secure")
        return "; ".join([*attributes, "HttpOnly", "SameSite=Lax"])

    def _maybe_purge(self, now: float) -> None:
        if now - self._purged >= REFRESH:
            self._purged = now
            self.store.purge(now - self.idle - GRACE, now - self.max_age - GRACE)


def _cookie_value(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a Cookie header; None when absent or unreadable."""
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value.strip().strip('"')
    return None
