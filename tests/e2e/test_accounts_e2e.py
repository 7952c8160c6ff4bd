"""Accounts and the pipes on a live ``parlor serve --one-port``: real clients, then attackers.

One server (SQLite) serves the REST service at / and the web app at /play/ on
one port. Real clients nobody here wrote sign in to it (httpx's Digest with
SHA-256, urllib's with MD5, curl), one account's chips move through the web
and REST, and then every attack is made by hand over a socket: malformed and
replayed credentials, tampered cookies, a 10,000-field form, an upload cut off
half-way, two registrations at the same instant, a client that never reads.
After each, the server still serves, nothing is half-made, the ledger
balances, and no traceback was printed.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from parlor.house.ledger import check_ledger
from parlor.store.db import open_database
from tests.clients_support import MD5DigestHandler, curl
from tests.e2e.e2e_support import (
    ParlorProcess,
    exchange,
    module_server,
    read_all,
    status_of,
)

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    with module_server(
        tmp_path_factory, "accounts", one_port=True, env={"PARLOR_BODY_TIMEOUT": "2"}
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def still_sound(house: ParlorProcess) -> Iterator[None]:
    yield
    assert httpx.get(f"{house.base_url}/api/v1/rules", timeout=10).status_code == 200
    assert not any("Traceback" in line for line in house.lines), house.describe()
    db = open_database(house.database_url)
    try:
        report = check_ledger(db)
    finally:
        db.close()
    assert report.ok, report.problems


def uploads_of(house: ParlorProcess) -> list[Path]:
    return sorted((house.cwd / "var" / "uploads").glob("*"))


def register(house: ParlorProcess, name: str) -> None:
    answer = httpx.post(
        f"{house.base_url}/api/v1/accounts",
        json={"username": name, "password": PASSWORD},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


class Visit:
    """A browser on the web app: its cookie jar, and the last page's form token."""

    def __init__(self, house: ParlorProcess) -> None:
        self.http = httpx.Client(base_url=house.web_url, timeout=10)
        self.token = ""

    def get(self, path: str) -> httpx.Response:
        page = self.http.get(path)
        if match := TOKEN.search(page.text):
            self.token = match.group(1)
        return page

    def submit(self, path: str, fields: dict[str, str]) -> httpx.Response:
        posted = self.http.post(path, data={"csrf_token": self.token, **fields})
        assert posted.status_code == 303, posted.text
        location = posted.headers["location"]
        assert location.startswith("/play/"), location  # links stay under the mount
        return self.get(location.removeprefix("/play"))


# -- real clients ----------------------------------------------------------------------


def test_one_port_serves_the_api_at_the_root_and_the_web_under_play(house: ParlorProcess) -> None:
    assert httpx.get(f"{house.base_url}/api/v1/openapi.json").json()["openapi"] == "3.1.0"
    page = httpx.get(f"{house.web_url}/")
    assert page.status_code == 200
    assert 'href="/play/static/parlor.css' in page.text
    assert 'action="/play/"' in page.text
    assert httpx.get(f"{house.web_url}/static/parlor.css").status_code == 200


def test_httpx_urllib_and_curl_sign_in_to_the_live_service(house: ParlorProcess) -> None:
    register(house, "client-tester")
    me = f"{house.base_url}/api/v1/accounts/me"
    assert httpx.get(me, auth=httpx.DigestAuth("client-tester", PASSWORD)).status_code == 200
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, house.base_url, "client-tester", PASSWORD)
    opener = urllib.request.build_opener(MD5DigestHandler(manager))
    with opener.open(me, timeout=10) as answer:
        assert answer.status == 200
    status, body = curl("--digest", "--user", f"client-tester:{PASSWORD}", me)
    assert status == "200", body
    status, _ = curl("--basic", "--user", f"client-tester:{PASSWORD}", me)
    assert status == "200"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(me, timeout=10)
    assert refused.value.code == 401
    refused.value.close()


def test_one_account_one_balance_through_the_web_and_rest(house: ParlorProcess) -> None:
    register(house, "both-doors")
    rest = httpx.DigestAuth("both-doors", PASSWORD)
    me = f"{house.base_url}/api/v1/accounts/me"
    visit = Visit(house)
    visit.get("/login")
    page = visit.submit("/login", {"username": "Both-Doors", "password": PASSWORD})
    assert "In your account" in page.text
    visit.get("/")
    table = visit.submit("/", {"name": "both", "wheel": "american"})
    assert "1,000 chips from your account" in table.text
    assert httpx.get(me, auth=rest).json()["in_play"] == 1000
    visit.submit("/bets", {"amount": "50", "proposition": "black"})
    visit.submit("/spin", {"spin": "1"})
    ended = visit.submit("/end", {})
    match = re.search(r"Game over: ([\d,]+) chips went back to your account", ended.text)
    assert match, ended.text
    account = httpx.get(me, auth=rest).json()
    assert (account["balance"], account["in_play"]) == (int(match.group(1).replace(",", "")), 0)
    visit.http.close()


def test_the_account_page_sends_a_stranger_to_log_in_and_back_under_play(
    house: ParlorProcess,
) -> None:
    register(house, "comes-back")
    visit = Visit(house)
    away = visit.http.get("/account")
    assert away.status_code == 303
    assert away.headers["location"] == "/play/login?next=%2Faccount"
    visit.get("/login?next=%2Faccount")
    posted = visit.http.post(
        "/login",
        data={"csrf_token": visit.token, "username": "comes-back", "password": PASSWORD,
              "next": "/account"},
    )  # fmt: skip
    assert posted.headers["location"] == "/play/account"
    assert visit.http.get("/account").status_code == 200
    visit.http.close()


# -- attackers -------------------------------------------------------------------------


def get_me(authorization: bytes) -> bytes:
    return (
        b"GET /api/v1/accounts/me HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
        b"Authorization: " + authorization + b"\r\nConnection: close\r\n\r\n"
    )


@pytest.mark.parametrize(
    "authorization",
    [
        b"",
        b"Basic",
        b"Basic !!!!",
        b"Basic " + base64.b64encode(b"no colon here"),
        b"Basic " + base64.b64encode(b"\xff\xfe:\xff"),
        b"Basic " + base64.b64encode(b"a\x00b:pw"),
        b"Digest",
        b'Digest username="a", username="b"',
        b'Digest username="a", realm="parlor", nonce="x", uri="/", response="y"',
        b'Digest username="a", realm="elsewhere", nonce="x", uri="/api/v1/accounts/me", '
        b'response="0000", qop=auth, nc=00000001, cnonce="c", algorithm=SHA-256',
        b'Digest username="a", realm="parlor", nonce="x", uri="/", response="y", qop=auth-int',
        b"Digest " + b"x=" * 3000,
        b"Bearer ",
        b"Bearer made-up",
        b"Negotiate YIIFyQYGKwYBBQUCoIIFvTCC",
        "Basic ünïcode".encode(),
    ],
)
def test_malformed_authorization_is_401_never_500(
    house: ParlorProcess, authorization: bytes
) -> None:
    answer = exchange(house, get_me(authorization))
    assert status_of(answer) in (400, 401), answer[:300]
    assert b"Traceback" not in answer


def test_a_replayed_digest_request_is_refused(house: ParlorProcess) -> None:
    register(house, "replayed")
    seen: list[str] = []

    def keep(request: httpx.Request) -> None:
        seen.append(request.headers.get("authorization", ""))

    with httpx.Client(event_hooks={"request": [keep]}, timeout=10) as client:
        me = f"{house.base_url}/api/v1/accounts/me"
        assert client.get(me, auth=httpx.DigestAuth("replayed", PASSWORD)).status_code == 200
    signed = seen[-1].encode()
    assert signed.startswith(b"Digest ")
    answer = exchange(house, get_me(signed))
    assert status_of(answer) == 401  # the same nonce count again: a replay


@pytest.mark.parametrize(
    "cookie",
    [
        b"parlor_visit_{port}=" + b"A" * 43,
        b"parlor_visit_{port}=../../../../etc/passwd",
        b"parlor_visit_{port}=" + b"x" * 4000,
        b'parlor_visit_{port}="\\"quoted\\""',
        b"parlor_visit_{port}=\xff\xfe",
        b"parlor_visit_{port}",
        b"=;=;=;" * 100,
    ],
)
def test_tampered_cookies_are_a_stranger(house: ParlorProcess, cookie: bytes) -> None:
    cookie = cookie.replace(b"{port}", str(house.port).encode())
    answer = exchange(
        house,
        b"GET /play/table HTTP/1.1\r\nHost: x\r\nCookie: "
        + cookie
        + b"\r\nConnection: close\r\n\r\n",
    )
    assert status_of(answer) in (303, 400), answer[:300]
    if status_of(answer) == 303:
        assert b"location: /play/" in answer.lower()


def test_two_registrations_of_one_name_at_the_same_instant_make_one(house: ParlorProcess) -> None:
    barrier = threading.Barrier(6)

    def attempt(name: str) -> int:
        barrier.wait()
        return httpx.post(
            f"{house.base_url}/api/v1/accounts",
            json={"username": name, "password": PASSWORD},
            timeout=20,
        ).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(attempt, ["twin", "TWIN", "Twin", "twin", "tWin", "twiN"]))
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]


def multipart_head(
    boundary: bytes, length: int, cookie: str, path: bytes = b"/play/verify"
) -> bytes:
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n"
        b"Cookie: " + cookie.encode() + b"\r\nConnection: close\r\n\r\n"
    )


def a_visit(house: ParlorProcess) -> tuple[str, str]:
    """A visit's cookie header and its form token."""
    page = httpx.get(f"{house.web_url}/verify", timeout=10)
    match = TOKEN.search(page.text)
    assert match
    cookie = "; ".join(f"{k}={v}" for k, v in page.cookies.items())
    return cookie, match.group(1)


def test_ten_thousand_fields_are_refused_quickly(house: ParlorProcess) -> None:
    cookie, token = a_visit(house)
    boundary = b"b0und4ry"
    parts = [
        b'--b0und4ry\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode()
    ]
    parts += [
        b'--b0und4ry\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx' % n
        for n in range(10_000)
    ]
    body = b"\r\n".join(parts) + b"\r\n--b0und4ry--\r\n"
    answer = exchange(house, multipart_head(boundary, len(body), cookie) + body)
    assert status_of(answer) == 413


def test_an_upload_cut_off_half_way_leaves_no_file(house: ParlorProcess) -> None:
    cookie, token = a_visit(house)
    body = (
        b'--cut\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode()
        + b'\r\n--cut\r\nContent-Disposition: form-data; name="record"; filename="r.json"\r\n'
        b"Content-Type: application/json\r\n\r\n" + b"{" * 50_000
    )  # fmt: skip
    # Says it is longer than it is, then stops: the front door waits, then gives up.
    answer = exchange(house, multipart_head(b"cut", len(body) + 10_000, cookie) + body)
    assert status_of(answer) in (400, 408)
    # Whole, but the multipart body ends without its closing boundary.
    answer = exchange(house, multipart_head(b"cut", len(body), cookie) + body)
    assert status_of(answer) == 400
    assert uploads_of(house) == []


def test_an_upload_too_large_is_413_and_leaves_no_file(house: ParlorProcess) -> None:
    cookie, token = a_visit(house)
    body = (
        b'--big\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode()
        + b'\r\n--big\r\nContent-Disposition: form-data; name="record"; filename="../../x.json"\r\n'
        b"Content-Type: application/json\r\n\r\n" + b"[" * (3 * 1024 * 1024) + b"\r\n--big--\r\n"
    )  # fmt: skip
    answer = exchange(house, multipart_head(b"big", len(body), cookie) + body)
    assert status_of(answer) == 413
    assert uploads_of(house) == []


def test_clients_that_never_read_do_not_stop_the_others(house: ParlorProcess) -> None:
    request = b"GET /play/rules HTTP/1.1\r\nHost: x\r\n\r\n" * 50
    hogs = []
    for _ in range(20):
        hog = socket.create_connection(("127.0.0.1", house.port), timeout=5)
        hog.sendall(request)
        hogs.append(hog)
    try:
        assert httpx.get(f"{house.web_url}/rules", timeout=5).status_code == 200
        assert httpx.get(f"{house.base_url}/api/v1/rules", timeout=5).status_code == 200
    finally:
        for hog in hogs:
            hog.close()


def test_the_visits_table_holds_no_cookie_value(house: ParlorProcess) -> None:
    page = httpx.get(f"{house.web_url}/", timeout=10)
    value = next(iter(page.cookies.values()))
    path = house.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        keys = [row[0] for row in db.execute("SELECT id_hash FROM web_sessions")]
    assert keys
    assert value not in keys  # only its SHA-256 is stored


# -- the doors' bodies, raw ---------------------------------------------------------


def accounts_named(house: ParlorProcess, name: str) -> int:
    path = house.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM accounts WHERE username = ?", (name,)).fetchone()
    return int(rows)


def form_post(path: bytes, body: bytes, cookie: str, *, length: int | None = None) -> bytes:
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body) if length is None else length).encode() + b"\r\n"
        b"Cookie: " + cookie.encode() + b"\r\nConnection: close\r\n\r\n" + body
    )


@pytest.mark.parametrize("door", ["rest", "web"])
def test_a_stalled_or_short_body_opens_no_account(house: ParlorProcess, door: str) -> None:
    """Headers, part of the body, then nothing: 408 once the deadline passes, no account
    made, and other clients served all the while."""
    name = f"stalled-{door}"
    if door == "rest":
        body = json.dumps({"username": name, "password": PASSWORD}).encode()
        head = (
            b"POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        )
        request = head + body[: len(body) // 2]
    else:
        cookie, _ = a_visit(house)
        page = httpx.get(f"{house.web_url}/register", headers={"Cookie": cookie}, timeout=10)
        token = TOKEN.search(page.text)
        assert token
        fields = f"csrf_token={token.group(1)}&username={name}&password=correct+horse+battery"
        whole = (fields + "&confirm=correct+horse+battery").encode()
        request = form_post(b"/play/register", whole, cookie)[: -len(whole) // 2]
    with socket.create_connection(("127.0.0.1", house.port), timeout=10) as stalled:
        stalled.sendall(request)
        assert httpx.get(f"{house.base_url}/api/v1/rules", timeout=5).status_code == 200
        answer = read_all(stalled)
    assert status_of(answer) == 408
    assert accounts_named(house, name) == 0


def test_two_identical_logins_at_the_same_instant_both_land(house: ParlorProcess) -> None:
    """A double click on Log in: each gets its 303, neither a 500, and the visit works."""
    register(house, "double-click")
    cookie, _ = a_visit(house)
    page = httpx.get(f"{house.web_url}/login", headers={"Cookie": cookie}, timeout=10)
    token = TOKEN.search(page.text)
    assert token
    body = f"csrf_token={token.group(1)}&username=double-click&password=correct+horse+battery"
    request = form_post(b"/play/login", body.encode(), cookie)
    barrier = threading.Barrier(2)

    def send() -> bytes:
        barrier.wait()
        return exchange(house, request)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: send(), range(2)))
    assert [status_of(a) for a in answers] == [303, 303]
    for answer in answers:
        assert b"location: /play/account" in answer.lower()
        new_cookie = re.search(rb"set-cookie: ([^;]+)", answer, re.IGNORECASE)
        assert new_cookie
        account = httpx.get(
            f"{house.web_url}/account", headers={"Cookie": new_cookie.group(1).decode()}
        )
        assert account.status_code == 200  # each login's visit is a working one


@pytest.mark.parametrize("token", ["chess_x", "A" * 43, "", "Bearer", "a" * 5000, "\u00e9t\u00e9"])
def test_a_tampered_bearer_token_is_401_and_changes_nothing(
    house: ParlorProcess, token: str
) -> None:
    register(house, f"tampered-{len(token)}")
    answer = exchange(
        house,
        b"POST /api/v1/accounts/me/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n\r\n",
    )
    assert status_of(answer) in (400, 401)
