"""``parlor environ``: the seed's ``dump_all_app``, behind parlor's pipes, each key signed.

The chapter's app answers every request with every key of its WSGI environ and the value's
escaped ``str``. Here the same app sits behind the seed's pipes, assembled as parlor's own
apps assemble theirs (one visible list, outermost first: ``PIPELINE``), so a reader sees what
each pipe adds. Between every two pipes a ``Checkpoint`` notes the keys that appeared, or
whose value was replaced, since the last one: a key is marked with the pipe that set it
("front door" for what the server put in, before any pipe), and with each pipe that
replaced its value afterwards (the forms pipe puts a fresh ``wsgi.input`` back, say).

What the pipes do here, to have something to show:

- ``sessions`` keeps a visit counter in a server-side session (in memory), so a second
  visit sends the cookie back and shows the session it names;
- ``authentication`` knows no accounts: it reports who asked (nobody) and why (no
  credentials, or credentials it cannot check, which the next pipe answers with 401);
- ``authorization`` has no rules: anyone may look;
- ``forms`` parses the page's own little form when it is posted (``parlor.form``);
- ``cache`` remembers nothing (the page is ``no-store``): it only passes requests on.

Values are shown as ``repr`` (a string's quotes and escapes show what it really holds;
PEP 3333's native strings are bytes as latin-1, so UTF-8 shows as its bytes), mappings as
their items, each cut to ``MAX_VALUE`` characters. HTML by default, ``?format=json`` for
JSON; every value is escaped.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parlor.tools.pages import HTML, json_query, render, security_headers, wants_json_format
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.auth import Authenticate, StoredCredentials
from parlor.wsgi.authz import Authorize
from parlor.wsgi.cache import Cache
from parlor.wsgi.errors import Errors
from parlor.wsgi.forms import Forms
from parlor.wsgi.sessions import SESSION, MemoryStore, Session, Sessions
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

#: The environ key of the request's ``Trace``: this app's own bookkeeping.
TRACE = "parlor.environ.trace"
#: Who set the keys present before the first pipe.
SERVER = "front door"
#: Who set the keys that appear inside the last pipe (this app's own).
APP = "environ dump"
#: The longest value shown, in characters.
MAX_VALUE = 2000


@dataclass(repr=False)
class Trace:
    """Who set each environ key, and who replaced its value since, checkpoint by checkpoint."""

    set_by: dict[str, str] = field(default_factory=dict)
    changed_by: dict[str, list[str]] = field(default_factory=dict)
    removed_by: dict[str, str] = field(default_factory=dict)
    _seen: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Shown on the page as its own row: a summary, not every key a second time.
        counts = Counter(self.set_by.values())
        noted = ", ".join(f"{count} by {by}" for by, count in counts.items())
        return f"Trace({len(self.set_by)} keys: {noted})"

    def mark(self, environ: Mapping[str, Any], by: str) -> None:
        """Note what changed in ``environ`` since the last mark: ``by`` did it."""
        for key, value in environ.items():
            if key == TRACE:
                continue
            if key not in self._seen:
                self.set_by.setdefault(key, by)
            elif _replaced(self._seen[key], value):
                self.changed_by.setdefault(key, []).append(by)
        for key in self._seen.keys() - environ.keys():
            self.removed_by[key] = by
        self._seen = {key: value for key, value in environ.items() if key != TRACE}


def _replaced(old: Any, new: Any) -> bool:
    """Whether ``new`` is another value than ``old``: another object that is not equal."""
    if old is new:
        return False
    try:
        return bool(old != new)
    except Exception:  # a value whose comparison fails: another object is another value
        return True


class Checkpoint:
    """A pipe that marks what the pipe outside it added to the environ, then passes on."""

    def __init__(self, app: WSGIApp, by: str) -> None:
        self.app = app
        self.by = by

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        trace = environ.get(TRACE)
        if not isinstance(trace, Trace):
            trace = environ[TRACE] = Trace()
        trace.mark(environ, self.by)
        return self.app(environ, start_response)


def traced(pipeline: Iterable[tuple[str, Callable[[WSGIApp], WSGIApp]]], app: WSGIApp) -> WSGIApp:
    """``app`` inside ``pipeline`` (outermost first), a ``Checkpoint`` inside every pipe and
    one before the first."""
    for name, pipe in reversed(list(pipeline)):
        app = pipe(Checkpoint(app, name))
    return Checkpoint(app, SERVER)


def describe(value: Any) -> str:
    """A value as the page shows it: its ``repr``, a mapping's items; at most ``MAX_VALUE``."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        text = f"{type(value).__name__}({dict(value)!r})"
    else:
        text = repr(value)
    if len(text) > MAX_VALUE:
        text = f"{text[:MAX_VALUE]}… ({len(text) - MAX_VALUE:,} more characters)"
    return text


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    value: str
    type: str
    set_by: str
    changed_by: tuple[str, ...]


def entries(environ: Mapping[str, Any]) -> list[Entry]:
    """Every key of ``environ``, sorted, with its value described and who set it."""
    trace = environ.get(TRACE)
    trace = trace if isinstance(trace, Trace) else Trace()
    return [
        Entry(
            key=key,
            value=describe(value),
            type=type(value).__name__,
            set_by=APP if key == TRACE else trace.set_by.get(key, APP),
            changed_by=tuple(trace.changed_by.get(key, ())),
        )
        for key, value in sorted(environ.items())
    ]


class EnvironDump:
    """The seed's ``dump_all_app``: every environ key and value, sorted and escaped."""

    def __init__(self, pipeline: Iterable[str]) -> None:
        """``pipeline``: the names of the pipes in front of it, outermost first."""
        self.pipeline = (SERVER, *pipeline, APP)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session = environ.get(SESSION)
        visits = 0
        if isinstance(session, Session):
            previous = session.get("visits", 0)
            visits = (previous if isinstance(previous, int) else 0) + 1
            session["visits"] = visits  # something for the sessions pipe to keep
        rows = entries(environ)
        if wants_json_format(environ):
            document = {
                "pipeline": list(self.pipeline),
                "environ": [
                    {
                        "key": row.key,
                        "value": row.value,
                        "type": row.type,
                        "set_by": row.set_by,
                        "changed_by": list(row.changed_by),
                    }
                    for row in rows
                ],
            }
            content_type, page = "application/json", json.dumps(document, indent=2).encode()
        else:
            query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8", "replace")
            content_type = HTML
            page = render(
                "environ.html",
                rows=rows,
                pipeline=self.pipeline,
                visits=visits,
                json_query=json_query(query),
            ).encode()
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(page))),
            ("Vary", "Accept"),
            *security_headers(),
        ]
        start_response("200 OK", headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [page]


class NoAccounts:
    """A credentials store that knows nobody: the authentication pipe can only say who not."""

    def lookup(self, username: str) -> StoredCredentials | None:
        return None

    def lookup_userhash(self, userhash: str, algorithm: str) -> StoredCredentials | None:
        return None


def pipeline(*, write: Callable[[str], object] | None = None) -> list[tuple[str, Any]]:
    """The pipes in front of the dump, outermost first, by the names the page shows.

    ``write`` gets the access log's lines (by default a background writer on stderr).
    """
    store = MemoryStore()
    secret = secrets.token_bytes(32)  # keys this run's Digest nonces (there are no accounts)
    return [
        ("access log", lambda app: AccessLog(app, write=write)),
        ("errors", Errors),
        ("cache", lambda app: Cache(app, paths=())),
        ("sessions", lambda app: Sessions(app, store=store, cookie="parlor_environ")),
        (
            "authentication",
            lambda app: Authenticate(
                app,
                realm="parlor environ",
                credentials=NoAccounts(),
                secret=secret,
            ),
        ),
        ("authorization", lambda app: Authorize(app, rules=())),
        ("forms", lambda app: Forms(app, max_fields=64, max_body=64 * 1024)),
    ]


def create_app(*, write: Callable[[str], object] | None = None) -> WSGIApp:
    """The environ dump behind ``pipeline()``, a checkpoint between every two pipes."""
    pipes = pipeline(write=write)
    return traced(pipes, EnvironDump(name for name, _ in pipes))
