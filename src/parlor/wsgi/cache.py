"""Cache: answer GET and HEAD for known URLs from responses kept in memory.

The seed's caching pipe "returns a previous result for known URLs that haven't
expired" and passes new, unknown or expired ones on to the app. It is a shared
cache in the sense of RFC 9111, in front of one app process:

Which requests. GET and HEAD to the given ``paths`` -- exact paths, and
prefixes ending in "/" (``{"/api/v1/rules", "/static/"}``) -- matched against
SCRIPT_NAME + PATH_INFO. Any other request gets the app's own iterable back,
unwrapped, so a list stays on the server's fast path; an unsafe method on a
cached path that is answered without error drops that URL's entries (§4.4).
An entry's key is path and query string, plus the values of the request
fields its response names in ``Vary`` (§4.1).

What is stored (§3). A 200 whose Cache-Control gives ``s-maxage`` or
``max-age`` above zero, and none of ``private``, ``no-store``, ``no-cache``;
not one with Set-Cookie or ``Vary: *``; never the answer to a request with
credentials (Authorization) or ``Cache-Control: no-store``. A Cookie is not
credentials here (RFC 9111 §3.5 names only Authorization): a browser sends
its visit cookie with every request, rules pages and stylesheets included, and
treating it as one would leave nothing for the cache to do. An answer that
depends on the cookie must say so (``private``, or ``Vary: Cookie``), as every
parlor page drawn for one visit does. An entry
is served until its age reaches that lifetime (§4.2), with an Age header.

What goes to the app although stored. Requests with credentials,
``no-store``, ``no-cache`` (or ``Pragma: no-cache``, §5.4) -- whose answer
may then replace the entry -- or a ``max-age`` the entry is older than
(§5.2.1.1), and the preconditions meant for the origin, If-Match and
If-Unmodified-Since (§4.3.2). A HEAD that misses goes to the app untouched.

Bounds. Stored bytes (bodies, headers, keys) never exceed ``max_bytes``: the
least recently used entries make room. A response larger than
``max_entry_bytes`` is not stored; its body streams through as the app sends it.

Validators and conditional GET (RFC 9110 §8.8, §13). Every 200 the pipe
buffers gets a strong ETag, from a hash of its body, if it has none; a stored
one also gets a Last-Modified, the time it was stored. Then If-None-Match
(weak comparison, ``*``), or only without it If-Modified-Since, turns that 200
into a 304 with no body and the fields §15.4.5 lists -- whether it came from
the store or fresh from the app. A field that does not parse never makes a 304.

Threads share the store behind one lock, never held while the app runs;
concurrent misses of one URL all go to the app, and the last answer stays.
Exceptions from the app propagate as they would without the pipe; nothing a
request sends makes the pipe itself raise.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal

from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

Headers = list[tuple[str, str]]
#: The values of the request fields an entry varies on, in the order of its sorted names.
_Values = tuple[str | None, ...]

#: RFC 9111 §1.2.2: a delta-seconds too large to represent counts as 2**31.
_MAX_DELTA = 2**31
#: What a 304 keeps of the 200 it stands for (RFC 9110 §15.4.5), Age being the cache's part.
_NOT_MODIFIED_FIELDS = frozenset(
    {"cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary", "age"}
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # RFC 9110 §9.2.1
#: Safe methods the store has nothing to say about.
_PASSED_ON = _SAFE_METHODS - {"GET", "HEAD"}
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_DIRECTIVE = re.compile(rf'({_TCHARS})(?:=("(?:[^"\\]|\\.)*"|{_TCHARS}))?')
_ENTITY_TAG = r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"'  # RFC 9110 §8.8.3; group 1 is opaque-tag
_ETAG = re.compile(_ENTITY_TAG)
# One OWS run on each side of the tag, never two in a row: two could split a
# long run of spaces n ways, and a malformed field would cost O(n²).
_TAG_LIST_MEMBER = re.compile(rf"[ \t]*(?:{_ENTITY_TAG}[ \t]*)?(?:,|\Z)")


def field_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """All lines of one field (lower-case ``name``) joined by commas (RFC 9110 §5.3), or None."""
    values = [value for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def parse_cache_control(value: str) -> dict[str, str]:
    """Cache-Control directives (RFC 9111 §5.2): lower-case names to arguments ("" for none).

    Lenient on purpose: junk is skipped, so it never hides a directive after
    it. A directive given twice keeps its first argument (§4.2.1).
    """
    directives: dict[str, str] = {}
    for match in _DIRECTIVE.finditer(value):
        argument = match.group(2) or ""
        if argument.startswith('"'):  # recipients accept both forms (§5.2)
            argument = re.sub(r"\\(.)", r"\1", argument[1:-1])
        directives.setdefault(match.group(1).lower(), argument)
    return directives


def delta_seconds(argument: str | None) -> int | None:
    """A delta-seconds argument (RFC 9111 §1.2.2), or None if the argument is not one."""
    if argument is None or not argument.isascii() or not argument.isdigit():
        return None
    # int() refuses over 4,300 digits; anything over ten is past 2**31 anyway.
    return _MAX_DELTA if len(argument) > 10 else min(int(argument), _MAX_DELTA)


def stored_lifetime(status: str, headers: Headers) -> int | None:
    """Seconds a shared cache may serve this response (RFC 9111 §3, §4.2.1); None: not stored."""
    if not status.startswith("200 ") or field_value(headers, "set-cookie") is not None:
        return None
    directives = parse_cache_control(field_value(headers, "cache-control") or "")
    if directives.keys() & {"private", "no-store", "no-cache"}:
        return None  # no-cache="field" too: revalidating on each use is the same as not storing
    lifetime = delta_seconds(directives.get("s-maxage", directives.get("max-age")))
    return lifetime or None


def vary_names(headers: Headers) -> tuple[str, ...] | None:
    """The request fields a response varies on (RFC 9110 §12.5.5), sorted; None for ``*``."""
    names = {name.strip().lower() for name in (field_value(headers, "vary") or "").split(",")}
    names.discard("")
    return None if "*" in names else tuple(sorted(names))


def request_field(environ: WSGIEnvironment, name: str) -> str | None:
    """A request field by lower-case name, from its CGI-style environ key (PEP 3333)."""
    key = name.upper().replace("-", "_")
    value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key)
    return value.strip() if isinstance(value, str) else None


def parse_entity_tags(value: str) -> frozenset[str] | Literal["*"] | None:
    """If-None-Match (RFC 9110 §13.1.2): ``*``, or the opaque tags listed; None if malformed.

    ``W/`` is dropped: If-None-Match compares weakly, opaque tags alone.
    """
    if value.strip(" \t") == "*":
        return "*"
    tags: set[str] = set()
    position = 0
    while position < len(value):
        match = _TAG_LIST_MEMBER.match(value, position)
        if match is None:
            return None
        if match.group(1) is not None:
            tags.add(match.group(1))
        position = match.end()
    return frozenset(tags) or None


def http_date(value: str) -> datetime | None:
    """An HTTP-date in any of its three forms (RFC 9110 §5.6.7), or None if it is not one."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def not_modified(environ: WSGIEnvironment, headers: Headers) -> bool:
    """Whether a GET or HEAD that would get a 200 with ``headers`` gets a 304 instead.

    RFC 9110 §13.2.2, steps 3 and 4: If-None-Match decides when present;
    If-Modified-Since only in its absence, and a date that does not parse is
    ignored (§13.1.3).
    """
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is None and "HTTP_IF_MODIFIED_SINCE" not in environ:
        return False  # the common case, and a cache hit's hot path: no date to parse
    if isinstance(if_none_match, str):
        tags = parse_entity_tags(if_none_match)
        if tags == "*":
            return True  # there is a current representation: this one
        etag = _ETAG.fullmatch((field_value(headers, "etag") or "").strip(" \t"))
        return tags is not None and etag is not None and etag.group(1) in tags
    since = http_date(environ.get("HTTP_IF_MODIFIED_SINCE") or "")
    modified = http_date(field_value(headers, "last-modified") or "")
    return since is not None and modified is not None and modified <= since


def strong_etag(body: bytes) -> str:
    """A strong entity tag for exactly these bytes (RFC 9110 §8.8.3): 128 bits of BLAKE2b."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counts since the pipe was made, and what it holds now."""

    hits: int  # answered from the store, 200 or 304
    misses: int  # a GET or HEAD to a cached path that went to the app
    stores: int  # responses stored, new or replacing one
    evictions: int  # entries dropped to make room (not expired, not invalidated)
    entries: int
    bytes: int  # bodies, headers and keys held


@dataclass(frozen=True, slots=True)
class _Entry:
    status: str
    headers: Headers  # never changed once stored
    body: bytes
    born: float  # clock() when the response was made, as far as can be told (RFC 9111 §4.2.3)
    expires: float  # born + freshness lifetime
    size: int


@dataclass(slots=True)
class _Resource:
    """One URL's entries: the request fields they vary on, and an entry per their values."""

    vary: tuple[str, ...]
    entries: dict[_Values, _Entry] = field(default_factory=dict)


#: A whole response: status line, fields, body.
Answer = tuple[str, Headers, bytes]


class HttpCache:
    """The store and its rules, with no server around it: ``lookup`` before the origin, ``keep``
    after it. The ``Cache`` pipe is one adapter; parlor's front door, which answers a hit on its
    event loop without waking the app at all, is the other.

    ``paths``: the exact paths and "/"-ended prefixes looked at; None for every path (the
    responses themselves then say what may be shared: parlor's mark theirs ``public,
    max-age``, and anything else is never stored).
    """

    def __init__(
        self,
        *,
        paths: Collection[str] | None = None,
        max_bytes: int = 8 * 2**20,
        max_entry_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``max_entry_bytes`` defaults to an eighth of ``max_bytes``."""
        if paths is not None and (
            isinstance(paths, str) or not all(path.startswith("/") for path in paths)
        ):
            raise ValueError(f"paths is a collection of paths, each starting with '/': {paths!r}")
        entry_limit = max_bytes // 8 if max_entry_bytes is None else max_entry_bytes
        if not 0 <= entry_limit <= max_bytes:
            raise ValueError("need 0 <= max_entry_bytes <= max_bytes")
        self._every_path = paths is None
        self._exact = frozenset(path for path in paths or () if not path.endswith("/"))
        self._prefixes = tuple(path for path in paths or () if path.endswith("/"))
        self.max_bytes, self.max_entry_bytes = max_bytes, entry_limit
        self._clock, self._wall_clock = clock, wall_clock
        self._lock = threading.Lock()
        self._resources: dict[str, _Resource] = {}
        self._lru: OrderedDict[tuple[str, _Values], None] = OrderedDict()  # oldest use first
        self._bytes = self._hits = self._misses = self._stores = self._evictions = 0

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._hits, self._misses, self._stores, self._evictions, len(self._lru), self._bytes
            )

    def url(self, environ: WSGIEnvironment) -> str | None:
        """The request's path and query when this cache looks at its path; None otherwise."""
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if not self._every_path and path not in self._exact and not path.startswith(self._prefixes):
            return None
        query = environ.get("QUERY_STRING", "")
        return f"{path}?{query}" if query else path

    def holds(self, path: str, query: str = "") -> bool:
        """Whether anything is stored for this URL (read without the lock: a hint only)."""
        return (f"{path}?{query}" if query else path) in self._resources

    @staticmethod
    def _request_directives(environ: WSGIEnvironment) -> dict[str, str]:
        # Pragma is read only without Cache-Control (RFC 9111 §5.4); its no-cache parses alike.
        cache_control = environ.get("HTTP_CACHE_CONTROL")
        if cache_control is None and "HTTP_PRAGMA" not in environ:
            return {}
        return parse_cache_control(
            cache_control if cache_control is not None else environ.get("HTTP_PRAGMA", "")
        )

    @staticmethod
    def _may_store(environ: WSGIEnvironment, directives: dict[str, str]) -> bool:
        return not ("HTTP_AUTHORIZATION" in environ or "no-store" in directives)

    def lookup(self, environ: WSGIEnvironment) -> Answer | None:
        """The answer to a GET or HEAD from the store (a 200, or the 304 it earns); None: ask."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        url = self.url(environ)
        if url is None:
            return None
        directives = self._request_directives(environ)
        usable = self._may_store(environ, directives) and not (
            "no-cache" in directives
            or "HTTP_IF_MATCH" in environ
            or "HTTP_IF_UNMODIFIED_SINCE" in environ
        )
        hit = self._lookup(url, environ, delta_seconds(directives.get("max-age")), usable)
        if hit is None:
            return None
        entry, age = hit
        return conditional(environ, entry.status, [*entry.headers, ("Age", str(age))], entry.body)

    def keep(self, environ: WSGIEnvironment, status: str, headers: Headers, body: bytes) -> Answer:
        """What the origin answered in full, kept if it may be, as the client should get it.

        A GET's 200 gains validators and may earn a 304; an unsafe method answered
        without error drops its URL's entries (RFC 9111 §4.4); the rest is as sent.
        """
        method = environ.get("REQUEST_METHOD", "")
        url = self.url(environ)
        if url is None or method == "HEAD" or method in _PASSED_ON:
            return status, headers, body
        if method != "GET":
            if status[:1] in ("2", "3"):
                with self._lock:
                    self._drop(url)
            return status, headers, body
        if not status.startswith("200 "):
            return status, headers, body
        may_store = self._may_store(environ, self._request_directives(environ))
        lifetime = stored_lifetime(status, headers) if may_store else None
        vary = vary_names(headers)
        storable = lifetime is not None and vary is not None
        if self._every_path and not storable:
            # Looking at every path, only what may be shared is this cache's business: a
            # validator added to the rest would differ between a GET and its HEAD.
            return status, headers, body
        headers = list(headers)
        if field_value(headers, "etag") is None:
            headers.append(("ETag", strong_etag(body)))
        if lifetime is not None and vary is not None:
            if field_value(headers, "last-modified") is None:
                stored_at = datetime.fromtimestamp(self._wall_clock(), UTC)
                headers.append(("Last-Modified", format_datetime(stored_at, usegmt=True)))
            self._store(url, environ, vary, status, headers, body, lifetime)
        return conditional(environ, status, headers, body)

    def _lookup(
        self, url: str, environ: WSGIEnvironment, max_age: int | None, usable: bool
    ) -> tuple[_Entry, int] | None:
        now = self._clock()
        with self._lock:
            resource = self._resources.get(url) if usable else None
            if resource is not None:
                values = tuple(request_field(environ, name) for name in resource.vary)
                entry = resource.entries.get(values)
                if entry is not None and now >= entry.expires:
                    self._remove(url, values)
                elif entry is not None:
                    age = max(0, int(now - entry.born))
                    if max_age is None or age <= max_age:
                        self._lru.move_to_end((url, values))
                        self._hits += 1
                        return entry, age
            self._misses += 1
            return None

    def _store(
        self,
        url: str,
        environ: WSGIEnvironment,
        vary: tuple[str, ...],
        status: str,
        headers: Headers,
        content: bytes,
        lifetime: int,
    ) -> None:
        values = tuple(request_field(environ, name) for name in vary)
        kept = [(name, value) for name, value in headers if name.lower() != "age"]
        size = len(url) + len(status) + len(content)
        size += sum(len(value or "") for value in values)
        size += sum(len(name) + len(value) + 4 for name, value in kept)  # ": " and CRLF
        if size > self.max_entry_bytes:
            return
        # An Age from upstream is time the response had already lived (RFC 9111 §4.2.3).
        born = self._clock() - (delta_seconds(field_value(headers, "age")) or 0)
        entry = _Entry(status, kept, content, born, born + lifetime, size)
        with self._lock:
            resource = self._resources.get(url)
            if resource is not None and resource.vary != vary:
                self._drop(url)  # the app changed what it varies on: old entries cannot be chosen
            elif resource is not None and values in resource.entries:
                self._remove(url, values)
            while self._bytes + size > self.max_bytes:
                self._remove(*next(iter(self._lru)))
                self._evictions += 1
            self._resources.setdefault(url, _Resource(vary)).entries[values] = entry
            self._lru[(url, values)] = None
            self._bytes += size
            self._stores += 1

    def _remove(self, url: str, values: _Values) -> None:
        """Forget one entry; the lock is held."""
        resource = self._resources[url]
        self._bytes -= resource.entries.pop(values).size
        del self._lru[(url, values)]
        if not resource.entries:
            del self._resources[url]

    def _drop(self, url: str) -> None:
        """Forget every entry of a URL; the lock is held."""
        resource = self._resources.get(url)
        for values in list(resource.entries if resource is not None else ()):
            self._remove(url, values)


class Cache:
    """A pipe that answers GET and HEAD for ``paths`` from stored responses (RFC 9111)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        paths: Collection[str],
        max_bytes: int = 8 * 2**20,
        max_entry_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``max_entry_bytes`` defaults to an eighth of ``max_bytes``."""
        self.app = app
        self.store = HttpCache(
            paths=paths,
            max_bytes=max_bytes,
            max_entry_bytes=max_entry_bytes,
            clock=clock,
            wall_clock=wall_clock,
        )

    @property
    def stats(self) -> CacheStats:
        return self.store.stats

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "")
        if self.store.url(environ) is None or method in _PASSED_ON:
            return self.app(environ, start_response)
        if method not in ("GET", "HEAD"):  # unsafe: a success drops the URL's entries
            return self.app(environ, self._invalidating(environ, start_response))
        hit = self.store.lookup(environ)
        if hit is not None:
            return _send(environ, start_response, hit)
        if method == "HEAD":
            return self.app(environ, start_response)
        return self._fetch(environ, start_response)

    def _fetch(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = _Held()
        body = self.app(environ, response.start_response)
        iterator = iter(body)
        streaming = False
        try:
            for chunk in iterator:
                response.write(chunk)
                if response.size > self.store.max_entry_bytes:
                    start_response(response.status, response.headers)
                    streaming = response.sent = True  # the server closes the body now
                    return _Streamed(response.chunks, iterator, body)
        finally:
            if not streaming:
                _close(body)
        status, headers = response.status, response.headers
        if not status.startswith("200 "):
            start_response(status, headers)
            return response.chunks
        answer = self.store.keep(environ, status, headers, b"".join(response.chunks))
        return _send(environ, start_response, answer)

    def _invalidating(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> StartResponse:
        """start_response for an unsafe method: a non-error answer drops the URL (RFC 9111 §4.4)."""

        def invalidating_start_response(
            status: str, headers: Headers, exc_info: Any = None
        ) -> Callable[[bytes], object]:
            self.store.keep(environ, status, headers, b"")
            return start_response(status, headers, exc_info)

        return invalidating_start_response


def conditional(environ: WSGIEnvironment, status: str, headers: Headers, content: bytes) -> Answer:
    """A 200, or the 304 a conditional GET or HEAD earns instead (RFC 9110 §15.4.5); a HEAD
    gets the fields alone."""
    if not_modified(environ, headers):
        kept = [(name, value) for name, value in headers if name.lower() in _NOT_MODIFIED_FIELDS]
        return "304 Not Modified", kept, b""
    return status, headers, b"" if environ.get("REQUEST_METHOD") == "HEAD" else content


def _send(environ: WSGIEnvironment, start_response: StartResponse, answer: Answer) -> list[bytes]:
    status, headers, body = answer
    start_response(status, headers)
    return [body] if body else []


class _Held:
    """The app's start_response and write(), held back until its whole body is in."""

    def __init__(self) -> None:
        self._status: str | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.sent = False  # whether the server has the status and headers (a streamed body)

    @property
    def status(self) -> str:
        if self._status is None:
            raise RuntimeError("the application sent a body before calling start_response")
        return self._status

    def start_response(
        self, status: str, headers: Headers, exc_info: Any = None
    ) -> Callable[[bytes], object]:
        # PEP 3333: after an error (exc_info), a call replaces the status and
        # headers if the server has none yet, and re-raises if it has.
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self._status, self.headers = status, list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        """The legacy write() callable: its bytes come before the iterable's (PEP 3333)."""
        self.chunks.append(data)
        self.size += len(data)


class _Streamed:
    """A body too large to store: what was read of it, then the rest as the app sends it."""

    def __init__(self, head: list[bytes], rest: Iterator[bytes], body: Iterable[bytes]) -> None:
        self._head, self._rest, self._body = head, rest, body

    def __iter__(self) -> Iterator[bytes]:
        return itertools.chain(self._head, self._rest)

    def close(self) -> None:
        _close(self._body)


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
