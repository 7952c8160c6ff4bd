"""The sessions pipe alone, under wsgiref's validator, over memory and over the database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.store.web_sessions import DatabaseSessions
from parlor.wsgi.sessions import (
    GRACE,
    REFRESH,
    SESSION,
    Lapse,
    MemoryStore,
    Session,
    Sessions,
    SessionStore,
)
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from tests.web.web_support import Clock

IDLE, MAX_AGE = 1200.0, 43200.0


class App:
    """Does to the session what the request's path says; remembers what it saw."""

    def __init__(self) -> None:
        self.seen: list[Session] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session: Session = environ[SESSION]
        self.seen.append(session)
        action = environ["PATH_INFO"].strip("/")
        if action == "set":
            session["n"] = session.get("n", 0) + 1
        elif action == "login":
            session.rotate()
            session["user"] = "alice"
        elif action == "logout":
            session.end()
        elif action == "end-and-set":
            session.end()
            session["fresh"] = True
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [repr(dict(session)).encode()]


class Counting:
    """A store wrapper that counts writes."""

    def __init__(self, inner: SessionStore) -> None:
        self.inner = inner
        self.writes = 0

    def load(self, key: str) -> Any:
        return self.inner.load(key)

    def save(self, key: str, data: str, created: float, seen: float) -> None:
        self.writes += 1
        self.inner.save(key, data, created, seen)

    def touch(self, key: str, seen: float) -> None:
        self.writes += 1
        self.inner.touch(key, seen)

    def delete(self, key: str) -> None:
        self.writes += 1
        self.inner.delete(key)

    def purge(self, seen_before: float, created_before: float) -> None:
        self.inner.purge(seen_before, created_before)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Iterator[Counting]:
    if request.param == "memory":
        yield Counting(MemoryStore())
        return
    db = open_database(request.getfixturevalue(f"{request.param}_url"))
    migrate(db)
    yield Counting(DatabaseSessions(db))
    db.close()


class Visitor:
    def __init__(self, store: Counting, clock: Clock, **options: Any) -> None:
        self.app = App()
        self.pipe = Sessions(
            validator(self.app), store=store, idle=IDLE, max_age=MAX_AGE, clock=clock, **options
        )
        self.cookie: str | None = None
        self.set_cookie: str | None = None

    def get(self, path: str, *, https: bool = False, cookie: str | None = None) -> Session:
        environ: WSGIEnvironment = {"PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": ""}
        if https:
            environ.update({"wsgi.url_scheme": "https", "HTTPS": "on", "SERVER_PORT": "443"})
        setup_testing_defaults(environ)
        sent = cookie if cookie is not None else self.cookie
        if sent is not None:
            environ["HTTP_COOKIE"] = f"other=1; {self.name(environ)}={sent}"
        headers: list[tuple[str, str]] = []

        def start_response(
            status: str, hs: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            headers.extend(hs)
            return lambda _: None

        body = validator(self.pipe)(environ, start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()
        self.set_cookie = next((v for k, v in headers if k == "Set-Cookie"), None)
        if self.set_cookie is not None:
            value = self.set_cookie.split(";", 1)[0].split("=", 1)[1]
            self.cookie = value or None
        return self.app.seen[-1]

    def name(self, environ: WSGIEnvironment) -> str:
        return self.pipe.cookie_name(environ)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_visit_that_stores_nothing_gets_no_cookie_and_no_row(
    store: Counting, clock: Clock
) -> None:
    visitor = Visitor(store, clock)
    session = visitor.get("/read")
    assert session.is_new
    assert session.lapse is None
    assert visitor.set_cookie is None
    assert store.writes == 0


def test_the_cookie_holds_only_a_random_id_and_the_store_only_its_hash(
    store: Counting, clock: Clock
) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    assert visitor.cookie is not None
    assert len(visitor.cookie) == 43
    assert visitor.set_cookie is not None
    for attribute in ("HttpOnly", "SameSite=Lax", "Path=/", f"Max-Age={int(MAX_AGE + GRACE)}"):
        assert attribute in visitor.set_cookie
    assert "Secure" not in visitor.set_cookie
    assert store.load(hashlib.sha256(visitor.cookie.encode()).hexdigest()) is not None
    assert store.load(visitor.cookie) is None
    again = visitor.get("/set")
    assert dict(again) == {"n": 2}
    assert visitor.set_cookie is None


def test_over_https_the_cookie_is_secure_and_host_prefixed(store: Counting, clock: Clock) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set", https=True)
    assert visitor.set_cookie is not None
    assert visitor.set_cookie.startswith("__Host-parlor_visit_443=")
    assert "Secure" in visitor.set_cookie
    assert "Domain" not in visitor.set_cookie
    assert dict(visitor.get("/read", https=True)) == {"n": 1}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),
        lambda c: c[:-1],
        lambda c: c + "A",
        lambda c: "",
        lambda c: "x" * 5000,
        lambda c: '"' + c + '"x',
        lambda c: c.upper(),
        lambda c: "../../" + c[6:],
    ],
)
def test_a_tampered_cookie_is_a_stranger_and_is_told_to_forget_it(
    store: Counting, clock: Clock, mangle: Callable[[str], str]
) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    assert visitor.cookie is not None
    tampered = mangle(visitor.cookie)
    session = visitor.get("/read", cookie=tampered)
    assert session.is_new
    assert dict(session) == {}
    if tampered:
        assert session.lapse is Lapse.UNKNOWN
        assert visitor.set_cookie is not None
        assert "Max-Age=0" in visitor.set_cookie


def test_a_visit_lapses_after_twenty_idle_minutes(store: Counting, clock: Clock) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    clock.now += IDLE - 1
    assert dict(visitor.get("/read")) == {"n": 1}
    clock.now += IDLE - 1  # the read above restarted the idle clock
    assert dict(visitor.get("/read")) == {"n": 1}
    clock.now += IDLE + 1
    session = visitor.get("/read")
    assert session.lapse is Lapse.EXPIRED
    assert dict(session) == {}


def test_a_busy_visit_still_ends_at_the_absolute_limit(store: Counting, clock: Clock) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    for _ in range(int(MAX_AGE // 600) - 1):
        clock.now += 600
        assert not visitor.get("/read").is_new
    clock.now += 601
    assert visitor.get("/read").lapse is Lapse.EXPIRED


def test_reading_pages_writes_the_last_seen_time_at_most_once_a_minute(
    store: Counting, clock: Clock
) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    writes = store.writes
    for _ in range(5):
        clock.now += 5
        visitor.get("/read")
    assert store.writes == writes
    clock.now += REFRESH
    visitor.get("/read")
    assert store.writes == writes + 1


def test_login_moves_the_data_under_a_new_id_and_the_old_one_is_dead(
    store: Counting, clock: Clock
) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/set")
    before = visitor.cookie
    visitor.get("/login")
    assert visitor.cookie not in (None, before)
    assert dict(visitor.get("/read")) == {"n": 1, "user": "alice"}
    stale = visitor.get("/read", cookie=before)
    assert stale.lapse is Lapse.UNKNOWN
    assert dict(stale) == {}


def test_logout_deletes_the_visit(store: Counting, clock: Clock) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/login")
    old = visitor.cookie
    visitor.get("/logout")
    assert old is not None
    assert store.load(hashlib.sha256(old.encode()).hexdigest()) is None
    assert visitor.get("/read", cookie=old).lapse is Lapse.UNKNOWN


def test_what_is_set_after_an_end_starts_a_new_visit(store: Counting, clock: Clock) -> None:
    visitor = Visitor(store, clock)
    visitor.get("/login")
    old = visitor.cookie
    visitor.get("/end-and-set")
    assert visitor.cookie not in (None, old)
    assert dict(visitor.get("/read")) == {"fresh": True}


def test_ports_keep_their_visits_apart(store: Counting, clock: Clock) -> None:
    pipe = Sessions(validator(App()), store=store, clock=clock)
    assert pipe.cookie_name({"SERVER_PORT": "8008"}) == "parlor_visit_8008"
    assert pipe.cookie_name({"SERVER_PORT": "9000"}) != pipe.cookie_name({"SERVER_PORT": "8008"})


def test_long_dead_rows_are_purged_when_new_visits_come(store: Counting, clock: Clock) -> None:
    first = Visitor(store, clock)
    first.get("/set")
    dead = first.cookie
    assert dead is not None
    clock.now += MAX_AGE + GRACE + 1
    Visitor(store, clock).get("/set")
    assert store.load(hashlib.sha256(dead.encode()).hexdigest()) is None


def test_idle_must_fit_inside_the_absolute_limit() -> None:
    with pytest.raises(ValueError, match="idle"):
        Sessions(App(), store=MemoryStore(), idle=100, max_age=10)
