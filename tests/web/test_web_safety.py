"""What must never happen: forged POSTs, stale visits, tracebacks, a hung page, a re-sent POST."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from falcon import testing

from parlor.client import RouletteClient
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_falcon_app as create_service
from parlor.store.db import Database
from parlor.web.app import MAX_FORM_BODY as MAX_BODY
from parlor.web.app import app_from_env
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.sessions import MemoryStore
from tests.web.web_support import COOKIE, IDLE, MAX_AGE, SERVICE, Browser, Clock, make_web

# -- CSRF ------------------------------------------------------------------------------


def bets_placed(database: Database) -> int:
    with database.transaction() as tx:
        row = tx.one("SELECT count(*) FROM bets")
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("fields", "headers"),
    [
        ({"csrf_token": ""}, {}),
        ({"csrf_token": "forged"}, {}),
        ({"csrf_token": "é"}, {}),
        ({}, {"Origin": "https://evil.example"}),
        ({}, {"Origin": "null"}),
        ({}, {"Sec-Fetch-Site": "cross-site"}),
        ({}, {"Sec-Fetch-Site": "same-site"}),
    ],
)
@pytest.mark.parametrize("path", ["/bets", "/spin", "/withdraw", "/end", "/"])
def test_a_forged_post_is_refused_and_changes_nothing(
    playing: Browser,
    database: Database,
    house: RouletteHouse,
    path: str,
    fields: dict[str, str],
    headers: dict[str, str],
) -> None:
    token = playing.token
    result = playing.post(
        path,
        {"amount": "10", "proposition": "red", "name": "mallory", "wheel": "american", **fields},
        token="csrf_token" not in fields,
        headers=headers,
    )
    assert result.status_code == 403
    assert "This form cannot be accepted" in result.text
    assert "Traceback" not in result.text
    assert bets_placed(database) == 0
    with database.transaction() as tx:
        (sessions,) = tx.all("SELECT id, spin_count, status FROM sessions")
    assert (sessions[1], sessions[2]) == (0, "open")
    # The visit goes on: the real page's token still works.
    playing.token = token
    assert playing.post("/bets", {"amount": "10", "proposition": "red"}).status_code == 303
    assert bets_placed(database) == 1


def test_a_same_origin_post_passes(playing: Browser, database: Database) -> None:
    headers = {"Origin": "http://falconframework.org", "Sec-Fetch-Site": "same-origin"}
    result = playing.post("/bets", {"amount": "10", "proposition": "red"}, headers=headers)
    assert result.status_code == 303
    assert bets_placed(database) == 1


def test_a_post_without_any_visit_goes_to_the_expired_page(
    web: testing.TestClient, database: Database
) -> None:
    result = Browser(web).post("/bets", {"amount": "10", "proposition": "red"})
    assert result.status_code == 303
    assert result.headers["location"] == "/expired"
    assert bets_placed(database) == 0


def test_a_new_game_rotates_the_token(playing: Browser) -> None:
    old = playing.token
    playing.get("/")
    playing.submit("/", {"name": "bob", "wheel": "american"})
    assert playing.token != old
    playing.token = old
    assert playing.post("/spin", {}).status_code == 403


# -- expiry ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/table", "/fairness"])
def test_an_idle_visit_expires(playing: Browser, clock: Clock, path: str) -> None:
    clock.advance(IDLE + 1)
    result = playing.get(path)
    assert result.status_code == 303
    assert result.headers["location"] == "/expired"
    page = playing.get("/expired")
    assert "Your visit has ended" in page.text
    # The new visit starts clean: the table now sends a person to the start.
    assert playing.get("/table").headers["location"] == "/"
    assert playing.start(name="again").status_code == 200


def test_an_expired_visit_cannot_bet(playing: Browser, clock: Clock, database: Database) -> None:
    clock.advance(IDLE + 1)
    result = playing.post("/bets", {"amount": "10", "proposition": "red"})
    assert result.status_code == 303
    assert result.headers["location"] == "/expired"
    assert bets_placed(database) == 0


def test_activity_keeps_a_visit_until_its_absolute_limit(playing: Browser, clock: Clock) -> None:
    elapsed = 0.0
    while elapsed + IDLE / 2 < MAX_AGE:
        clock.advance(IDLE / 2)
        elapsed += IDLE / 2
        assert playing.get("/table").status_code == 200
    clock.advance(IDLE / 2 + 1)
    assert playing.get("/table").headers["location"] == "/expired"


@pytest.mark.parametrize(
    "mangle", [lambda v: v[:-3] + "xyz", lambda v: "x" + v, lambda v: "garbage"]
)
def test_a_tampered_cookie_starts_afresh(playing: Browser, mangle: Callable[[str], str]) -> None:
    assert playing.cookie is not None
    playing.cookie = mangle(playing.cookie)
    result = playing.get("/table")
    assert result.status_code == 303
    assert result.headers["location"] == "/"
    assert playing.cookie is not None
    assert playing.get("/table").headers["location"] == "/"  # the new visit has no game


def test_each_port_has_its_own_cookie(web: testing.TestClient) -> None:
    assert web.simulate_get("/", port=8008).cookies.get("parlor_visit_8008") is not None
    assert web.simulate_get("/", port=9000).cookies.get("parlor_visit_9000") is not None


def test_the_session_id_never_reaches_the_browser(
    playing: Browser, house: RouletteHouse, database: Database
) -> None:
    with database.transaction() as tx:
        (row,) = tx.all("SELECT id FROM sessions")
    session_id = str(row[0])
    playing.bet(10, proposition="red")
    playing.submit("/spin", {"spin": "1"})
    seen = []
    for path in ("/table", "/rules", "/fairness", "/"):
        result = playing.get(path)
        seen.append(result.text)
        seen.append(result.headers.get("set-cookie", ""))
    playing.post("/end")
    seen.append(playing.get("/fairness").text)
    assert not [page for page in seen if session_id in page]


# -- the service down, slow or strange ------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def web_with(transport: httpx.BaseTransport | None, clock: Clock, url: str = SERVICE) -> Browser:
    client = RouletteClient(url, transport=transport, timeout=0.5, retries=1, sleep=lambda _: None)
    return Browser(make_web(client, clock, MemoryStore(), Path(tempfile.mkdtemp())))


def sitting_at_a_dead_service(
    house: RouletteHouse, clock: Clock, fail: Callable[[httpx.Request], httpx.Response | None]
) -> Browser:
    """A browser playing a real game, whose service then starts failing as ``fail`` says."""
    service = httpx.WSGITransport(app=create_service(house))

    def handler(request: httpx.Request) -> httpx.Response:
        answer = fail(request) if failing else None
        return answer if answer is not None else service.handle_request(request)

    failing = False
    browser = web_with(httpx.MockTransport(handler), clock)
    browser.start()
    failing = True
    return browser


def assert_down_page(result: testing.Result, status: int = 503) -> None:
    assert result.status_code == status, result.text
    assert result.headers["content-type"].startswith("text/html")
    assert "The roulette service is not answering" in result.text
    assert "Traceback" not in result.text
    assert "httpx" not in result.text


def test_a_service_that_is_down(clock: Clock) -> None:
    browser = web_with(None, clock, url=f"http://127.0.0.1:{closed_port()}")
    browser.get("/")
    result = browser.post("/", {"name": "alice", "wheel": "american"})
    assert_down_page(result)
    assert "down or too slow" in result.text
    assert result.headers["retry-after"] == "5"


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("too slow", request=request)


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [
        ("GET", "/table", None),
        ("GET", "/fairness", None),
        ("GET", "/rules", None),
        ("POST", "/bets", {"amount": "10", "proposition": "red"}),
        ("POST", "/withdraw", {"confirmation": "1"}),
        ("POST", "/spin", {}),
        ("POST", "/end", {}),
    ],
)
def test_a_slow_service_is_a_503_page(
    house: RouletteHouse, clock: Clock, method: str, path: str, fields: dict[str, str] | None
) -> None:
    browser = sitting_at_a_dead_service(house, clock, read_timeout)
    result = browser.get(path) if method == "GET" else browser.post(path, fields)
    assert_down_page(result)


def test_a_spin_whose_answer_was_lost(house: RouletteHouse, clock: Clock) -> None:
    def lose_spins(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/spins"):
            raise httpx.ReadError("connection reset", request=request)
        return None

    browser = sitting_at_a_dead_service(house, clock, lose_spins)
    result = browser.post("/spin", {"spin": "1"})
    assert_down_page(result)
    assert "may or may not have happened" in result.text
    assert "retry-after" not in result.headers


def test_a_stranger_answering_is_a_502_page(house: RouletteHouse, clock: Clock) -> None:
    def stranger(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>not parlor</html>")

    browser = sitting_at_a_dead_service(house, clock, stranger)
    assert_down_page(browser.get("/table"), status=502)


def test_an_unexpected_error_is_a_500_page_and_a_logged_traceback(
    playing: Browser,
    sdk: RouletteClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sdk, "session", lambda *a: 1 / 0)
    result = playing.get("/table")
    assert result.status_code == 500
    assert "Something went wrong" in result.text
    assert "Traceback" not in result.text
    assert "ZeroDivisionError" not in result.text
    assert "ZeroDivisionError" in capsys.readouterr().err


# -- bodies, and the 303 after every POST ------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("x" * (MAX_BODY + 1), "application/x-www-form-urlencoded", 413),
        ("&".join(f"f{i}=1" for i in range(40)), "application/x-www-form-urlencoded", 413),
        ('{"amount": 10}', "application/json", 415),
    ],
)
def test_odd_bodies_are_refused_with_a_page(
    playing: Browser, body: str, content_type: str, status: int
) -> None:
    result = playing.client.simulate_post(
        "/bets",
        body=body,
        headers={"Content-Type": content_type},
        cookies={COOKIE: playing.cookie or ""},
    )
    assert result.status_code == status
    assert result.headers["content-type"].startswith("text/html")


def test_every_post_answers_303(playing: Browser, house: RouletteHouse, database: Database) -> None:
    """The PRG rule, route by route, for success and refusal alike."""
    posts = [
        ("/bets", {"amount": "10", "proposition": "red"}),
        ("/bets", {"amount": "x", "proposition": "red"}),
        ("/bets", {"amount": "10", "bet": "split:1,36"}),
        ("/withdraw", {"confirmation": "1"}),
        ("/withdraw", {"confirmation": "1"}),
        ("/bets", {"amount": "10", "bet": "street:1,2,3"}),
        ("/spin", {"spin": "1"}),
        ("/spin", {"spin": "1"}),
        ("/end", {}),
        ("/end", {}),
        ("/bets", {"amount": "10", "proposition": "red"}),
        ("/spin", {}),
        ("/", {"name": "", "wheel": "american"}),
        ("/", {"name": "carol", "wheel": "european"}),
    ]
    for path, fields in posts:
        result = playing.post(path, fields)
        assert result.status_code == 303, (path, fields, result.text)
        assert result.text == ""
        playing.get(result.headers["location"])


# -- the factory Granian imports --------------------------------------------------------


def test_app_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARLOR_SERVICE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("PARLOR_DATABASE_URL", f"sqlite:///{tmp_path / 'web.db'}")
    app = app_from_env()
    assert isinstance(app, AccessLog)  # the pipeline, not the bare app


def test_the_cookie_is_written_only_when_the_visit_gets_a_new_id(
    playing: Browser, clock: Clock
) -> None:
    """The cookie holds only the id; the visit's idle clock restarts on the server."""
    assert "set-cookie" not in playing.get("/table").headers  # just written by the start
    clock.advance(IDLE - 1)
    assert "set-cookie" not in playing.get("/table").headers
    clock.advance(IDLE - 1)  # the read above restarted the idle clock, without a cookie
    assert playing.get("/table").status_code == 200
    assert "set-cookie" not in playing.post("/spin", {}).headers  # a change, the same id
