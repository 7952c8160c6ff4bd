"""End to end: a real `parlor serve` process, real HTTP over loopback, on both engines.

Tests that take ``server`` run twice: ``parlor serve --database URL`` on a free
port, once on SQLite and once on PostgreSQL, stopped with SIGTERM afterwards
(exit 0, "parlor stopped", no process left behind). The wire-level tests at
the end pin down bugs found this way: chunked bodies, and 413s on keep-alive.
"""

from __future__ import annotations

import ast
import hashlib
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest

from parlor.house.ledger import check_ledger
from parlor.store.db import open_database
from tests.e2e import wheelclient
from tests.e2e.e2e_support import (
    PAYOUT,
    SAMPLE_BETS,
    ParlorProcess,
    canonical_kind,
    check_spin_fields,
    expected_outcome,
)

HERE = Path(__file__).parent
PROBLEM = "application/problem+json"
MAX_BODY = 64 * 1024


@pytest.fixture
def client(server: ParlorProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=15) as http:
        yield http


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> None:
    """An RFC 9457 problem document with ``status`` (and ``code``), and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert body["detail"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["code"] == code, body


def assert_ledger_ok(database_url: str, *, sessions: int | None = None) -> None:
    db = open_database(database_url)
    try:
        report = check_ledger(db)
    finally:
        db.close()
    assert report.ok, report.problems
    if sessions is not None:
        assert report.sessions == sessions


# -- the Wheel service and the seed's own client --------------------------------------


def served_count(client: httpx.Client) -> int:
    page = client.get("/html/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Wheel service is spinning" in page.text
    found = re.search(r"Served (\d+) spins", page.text)
    assert found, page.text
    return int(found.group(1))


def test_the_seeds_wheelclient_against_the_live_service(
    server: ParlorProcess, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = served_count(client)
    monkeypatch.setattr(wheelclient, "URL", f"{server.base_url}/json/")
    spins = [wheelclient.get_a_spin() for _ in range(200)]
    for spin in spins:
        check_spin_fields(spin)
    # 200 draws from a fair 38-pocket wheel: both colours, and many distinct pockets.
    numbers = Counter(str(spin["number"]) for spin in spins)
    assert len(numbers) >= 15, numbers
    assert {spin["color"] for spin in spins} >= {"red", "black"}

    # The ported script itself, as a user runs it: it prints the spin as a dict.
    run = subprocess.run(
        [sys.executable, str(HERE / "wheelclient.py"), f"{server.base_url}/json/"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    printed = ast.literal_eval(run.stdout.strip())
    assert isinstance(printed, dict)
    check_spin_fields(printed)

    # The served count is the wheel's own: exactly one more per spin asked for.
    assert served_count(client) == before + len(spins) + 1


# -- a whole game over the wire ------------------------------------------------------------


def place(client: httpx.Client, path: str, bet: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, json=bet)
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def test_a_full_game_then_the_versioned_api(server: ParlorProcess, client: httpx.Client) -> None:
    opened = client.post("/session/", json={"name": "alice"})
    assert opened.status_code == 201, opened.text
    session = opened.json()
    sid, bankroll = session["session"], session["bankroll"]
    assert opened.headers["location"] == f"/api/v1/sessions/{sid}"
    assert (session["status"], session["balance"], session["server_seed"]) == (
        "open",
        bankroll,
        None,
    )

    balance, confirmation = bankroll, 0
    outcomes: dict[int, int] = {}
    spins: list[Any] = []
    for round_number in (1, 2, 3):
        placed: dict[int, dict[str, Any]] = {}
        for bet in SAMPLE_BETS:
            receipt = place(client, f"/bet/{sid}/", bet)
            confirmation += 1
            balance -= bet["amount"]
            assert receipt["confirmation"] == confirmation
            assert receipt["balance"] == balance
            kind = canonical_kind(bet["proposition"])
            got = receipt["bet"]
            assert (got["proposition"], got["amount"], got["odds"]) == (
                kind,
                bet["amount"],
                PAYOUT[kind],
            )
            assert (got["status"], got["outcome"], got["spin"]) == ("open", None, None)
            placed[confirmation] = bet
        # The seed's own client labels a POST body as a form; the seed's routes accept it.
        request = urllib.request.Request(
            f"{server.base_url}/bet/{sid}/", data=b'{"proposition": "odd", "amount": 10}'
        )
        with urllib.request.urlopen(request, timeout=15) as answer:
            assert answer.status == 201
            receipt = json.loads(answer.read())
        confirmation += 1
        balance -= 10
        assert (receipt["confirmation"], receipt["balance"]) == (confirmation, balance)
        placed[confirmation] = {"proposition": "odd", "amount": 10}

        spun = client.post(f"/spin/{sid}/")
        assert spun.status_code == 201, spun.text
        spin = spun.json()
        assert spin["spin"] == round_number
        check_spin_fields(spin["result"])
        number = spin["result"]["number"]
        spins.append(number)
        expected = {c: expected_outcome(bet, number) for c, bet in placed.items()}
        assert {s["confirmation"]: s["outcome"] for s in spin["settled"]} == expected
        assert [s["confirmation"] for s in spin["settled"]] == sorted(placed)
        balance += sum(placed[c]["amount"] + outcome for c, outcome in expected.items())
        assert spin["balance"] == balance
        outcomes |= expected

        for c, bet in placed.items():
            read = client.get(f"/bet/{sid}/{c}/")
            assert read.status_code == 200, read.text
            body = read.json()
            assert body["outcome"] == expected[c]
            won = expected[c] > 0
            assert body["bet"]["status"] == "settled"
            assert body["bet"]["spin"] == round_number
            assert body["bet"]["returned"] == (bet["amount"] + expected[c] if won else 0)
    assert balance == bankroll + sum(outcomes.values())

    # -- the same session through /api/v1 --------------------------------------------------
    api = f"/api/v1/sessions/{sid}"
    state = client.get(api).json()
    assert (state["balance"], state["open_stake"]) == (balance, 0)
    assert (state["bet_count"], state["spin_count"]) == (len(outcomes), 3)

    settled = client.get(f"{api}/bets", params={"status": "settled", "limit": 1000})
    assert settled.status_code == 200
    assert {b["confirmation"]: b["outcome"] for b in settled.json()["bets"]} == outcomes
    assert client.get(f"{api}/bets", params={"status": "open"}).json() == {"bets": []}
    history = client.get(f"{api}/spins").json()["spins"]
    assert [(s["spin"], s["result"]["number"]) for s in history] == list(enumerate(spins, 1))

    withdrawn_bet = place(client, f"{api}/bets", {"proposition": "high", "amount": 10})
    assert withdrawn_bet["balance"] == balance - 10
    withdrawn = client.delete(f"{api}/bets/{withdrawn_bet['confirmation']}")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["bet"]["status"] == "withdrawn"
    assert withdrawn.json()["balance"] == balance
    assert_problem(
        client.delete(f"{api}/bets/{withdrawn_bet['confirmation']}"), 409, "bet_not_open"
    )

    left_open = place(client, f"{api}/bets", {"proposition": "low", "amount": 20})
    assert left_open["balance"] == balance - 20
    ended = client.post(f"{api}/end")
    assert ended.status_code == 200, ended.text
    final = ended.json()
    assert (final["status"], final["balance"], final["open_stake"]) == ("ended", balance, 0)
    # The seed, secret until now, is the one whose hash the session published when it opened.
    assert final["server_seed"]
    digest = hashlib.sha256(final["server_seed"].encode()).hexdigest()
    assert digest == final["server_seed_hash"] == session["server_seed_hash"]
    refunded = client.get(f"{api}/bets", params={"status": "refunded"}).json()["bets"]
    assert [(b["confirmation"], b["outcome"], b["returned"]) for b in refunded] == [
        (left_open["confirmation"], 0, 20)
    ]
    withdrawn_list = client.get(f"{api}/bets", params={"status": "withdrawn"}).json()["bets"]
    assert [b["confirmation"] for b in withdrawn_list] == [withdrawn_bet["confirmation"]]

    verification = client.get(f"{api}/verification")
    assert verification.status_code == 200
    assert verification.json()["ok"] is True
    assert verification.json()["seed_matches_hash"] is True
    assert verification.json()["spins_checked"] == 3
    assert verification.json()["mismatches"] == []

    assert_problem(client.post(f"/spin/{sid}/"), 409, "session_ended")
    assert_problem(client.post(f"/bet/{sid}/", json=SAMPLE_BETS[0]), 409, "session_ended")
    assert_problem(client.post(f"{api}/end"), 409, "session_ended")

    # And anyone can check the spins offline, with the command line against this server.
    verify = subprocess.run(
        [sys.executable, "-m", "parlor", "verify", "--server", server.base_url, "--session", sid],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "fair" in verify.stdout
    assert "NOT" not in verify.stdout
    assert_ledger_ok(server.database_url, sessions=1)


def test_an_idempotency_key_bets_once(server: ParlorProcess, client: httpx.Client) -> None:
    opened = client.post("/api/v1/sessions", json={"name": "retrier", "bankroll": 1000})
    assert opened.status_code == 201, opened.text
    sid = opened.json()["session"]
    api = f"/api/v1/sessions/{sid}"
    key = {"Idempotency-Key": "order-7f3a"}
    red = {"proposition": "red", "amount": 10}

    first = client.post(f"{api}/bets", json=red, headers=key)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"{api}/bets/{first.json()['confirmation']}"
    retry = client.post(f"{api}/bets", json=red, headers=key)
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    state = client.get(api).json()
    assert (state["balance"], state["bet_count"], state["open_stake"]) == (990, 1, 10)

    changed = client.post(f"{api}/bets", json={**red, "amount": 20}, headers=key)
    assert_problem(changed, 422, "idempotency_key_reused")
    assert client.get(api).json()["balance"] == 990

    # Eight clients retry the same request at the same moment: still one bet.
    split = {"proposition": "split", "numbers": [17, 20], "amount": 10}
    gate = threading.Barrier(8)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as own:
            gate.wait()
            answers.append(own.post(f"{api}/bets", json=split, headers={"Idempotency-Key": "k2"}))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    assert len({a.json()["confirmation"] for a in answers}) == 1
    state = client.get(api).json()
    assert (state["balance"], state["bet_count"], state["open_stake"]) == (980, 2, 20)
    assert len(client.get(f"{api}/bets").json()["bets"]) == 2

    spin = client.post(f"{api}/spins").json()
    assert spin["balance"] == 980 + sum(10 + s["outcome"] for s in spin["settled"])
    assert_ledger_ok(server.database_url, sessions=1)


# -- bad input over the wire ------------------------------------------------------------------


JSON = "application/json"
RED_BET = b'{"proposition": "red", "amount": 10}'
#: (method, path, body, content type, status, code); {sid} is a real session, {api} its API path.
BAD_REQUESTS: list[tuple[str, str, bytes | None, str | None, int, str]] = [
    ("POST", "/session/", b'{"name": ', JSON, 400, "malformed_json"),
    ("POST", "/api/v1/sessions", b"{not json}", JSON, 400, "malformed_json"),
    ("POST", "/bet/{sid}/", b'{"proposition": "\xffred"}', JSON, 400, "malformed_json"),
    ("PUT", "/spin/{sid}/", None, None, 405, "method_not_allowed"),
    ("DELETE", "/json/", None, None, 405, "method_not_allowed"),
    ("POST", "/api/v1/sessions", b'{"name": "x"}', "text/plain", 415, "unsupported_media_type"),
    ("POST", "{api}/bets", RED_BET, "text/plain", 415, "unsupported_media_type"),
    ("POST", "/bet/no-such-session/", RED_BET, JSON, 404, "unknown_session"),
    ("POST", "/spin/no-such-session/", None, None, 404, "unknown_session"),
    ("GET", "/api/v1/sessions/no-such-session", None, None, 404, "unknown_session"),
    ("GET", "/bet/{sid}/99/", None, None, 404, "unknown_bet"),
    ("GET", "/no/such/route", None, None, 404, "not_found"),
    ("POST", "/bet/{sid}/", b'{"proposition": "split", "numbers": [17, 21], "amount": 10}', JSON,
     422, "invalid_bet"),
    ("POST", "{api}/bets", b"[1, 2]", JSON, 422, "invalid_request"),
]  # fmt: skip


class Wire:
    """One persistent HTTP/1.1 connection (http.client), recording every request it sends."""

    def __init__(self, server: ParlorProcess) -> None:
        self.connection = http.client.HTTPConnection(server.host, server.port, timeout=15)
        self.sent: list[tuple[str, str, int]] = []

    def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Content-Type": content_type} if content_type else {}
        self.connection.request(method, path, body=body, headers=headers)
        with self.connection.getresponse() as response:
            data = response.read()
            self.sent.append((method, path, response.status))
            return response.status, response.headers, data

    def close(self) -> None:
        self.connection.close()


def test_bad_input_over_the_wire_is_refused_and_logged(
    server: ParlorProcess, client: httpx.Client
) -> None:
    sent: list[tuple[str, str, int]] = []

    def record(response: httpx.Response) -> None:
        request = response.request
        sent.append((request.method, request.url.raw_path.decode(), response.status_code))

    client.event_hooks["response"] = [record]
    sid = client.post("/session/", json={"name": "bob"}).json()["session"]
    api = f"/api/v1/sessions/{sid}"
    wire = Wire(server)
    try:
        assert wire.call("GET", "/json/")[0] == 200
        for method, template, body, content_type, status, code in BAD_REQUESTS:
            path = template.format(sid=sid, api=api)
            socket_before = wire.connection.sock
            got, headers, data = wire.call(method, path, body, content_type)
            assert got == status, (method, path, data)
            assert headers["Content-Type"] == PROBLEM, (method, path)
            document = json.loads(data)
            assert (document["status"], document["code"]) == (status, code), document
            assert document["title"] == HTTPStatus(status).phrase
            assert b"Traceback" not in data
            if status == 405:
                allowed = {m.strip() for m in headers["Allow"].split(",")}
                assert method not in allowed
                assert ("POST" if path.startswith("/spin/") else "GET") in allowed, allowed
            # The same connection still works: the server answered and kept it open.
            assert wire.call("GET", "/json/")[0] == 200, (method, path)
            assert wire.connection.sock is socket_before, f"{method} {path} closed the connection"
    finally:
        wire.close()

    # Bodies over 64 KiB are refused before they are read, and the server then drops
    # that connection (see test_a_413_says_it_closes_the_connection): send each on a
    # connection of its own, then check the server goes on answering.
    def post_alone(path: str, content: bytes) -> httpx.Response:
        with httpx.Client(
            base_url=server.base_url, timeout=15, event_hooks={"response": [record]}
        ) as alone:
            response = alone.post(path, content=content, headers={"Content-Type": JSON})
            response.read()
            return response

    big = b'{"name": "' + b"x" * (70 * 1024) + b'"}'
    for path in ("/session/", f"{api}/bets"):
        assert_problem(post_alone(path, big), 413, "body_too_large")
        assert client.get("/json/").status_code == 200
    at_limit = b'{"name": "edge"}'.ljust(MAX_BODY)  # trailing blanks are still JSON
    edge = post_alone("/api/v1/sessions", at_limit)
    assert edge.status_code == 201, edge.text
    assert_problem(post_alone("/api/v1/sessions", at_limit + b" "), 413, "body_too_large")
    assert client.get("/json/").status_code == 200

    # None of it changed bob's session.
    state = client.get(api).json()
    assert (state["balance"], state["bet_count"], state["spin_count"]) == (1000, 0, 0)

    # The log: exactly one line per request, each with method, path, status and duration.
    expected = Counter(sent + wire.sent)
    logged = server.wait_for_access_lines(sum(expected.values()))
    assert Counter((m["method"], m["target"], int(m["status"])) for m in logged) == expected
    assert all(float(m["ms"]) >= 0 for m in logged)


def test_a_chunked_body_is_read(shared_server: ParlorProcess) -> None:
    server = shared_server

    def chunks(*parts: bytes) -> Iterator[bytes]:
        yield from parts

    with httpx.Client(base_url=server.base_url, timeout=15) as client:
        answer = client.post(
            "/api/v1/sessions",
            content=chunks(b'{"name": ', b'"carol"}'),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
        too_big = client.post(
            "/api/v1/sessions",
            content=chunks(*[b" " * 1024] * 70),
            headers={"Content-Type": "application/json"},
        )
        assert too_big.status_code == 413, too_big.text


def test_a_413_says_it_closes_the_connection(shared_server: ParlorProcess) -> None:
    server = shared_server
    connection = http.client.HTTPConnection(server.host, server.port, timeout=15)
    try:
        big = b'{"name": "' + b"x" * (70 * 1024) + b'"}'
        connection.request("POST", "/session/", body=big, headers={"Content-Type": JSON})
        with connection.getresponse() as response:
            assert response.status == 413
            response.read()
            announced = response.will_close  # "Connection: close": the client reconnects
        # Either the server said it would close, or this connection still works.
        connection.request("GET", "/json/")
        with connection.getresponse() as response:
            assert response.status == 200
            response.read()
        assert announced or connection.sock is not None
    finally:
        connection.close()


def test_a_huge_body_gets_413_and_an_announced_close(shared_server: ParlorProcess) -> None:
    """Past what is worth draining, the 413 says the connection closes; the next one works."""
    server = shared_server
    huge = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    connection = http.client.HTTPConnection(server.host, server.port, timeout=15)
    try:
        connection.request("POST", "/session/", body=huge, headers={"Content-Type": JSON})
        with connection.getresponse() as response:
            assert response.status == 413
            assert response.getheader("Content-Type") == PROBLEM
            assert response.will_close
            response.read()
    finally:
        connection.close()
    with httpx.Client(base_url=server.base_url, timeout=15) as client:
        assert client.get("/json/").status_code == 200


def test_a_client_trickling_its_body_does_not_stop_the_others(shared_server: ParlorProcess) -> None:
    """A slow sender costs the front door a coroutine, not a request thread.

    Granian's WSGI interface handed the body to the app as it arrived, and a
    trickling client held a thread: five of them stopped the service. Many
    more are in tests/e2e/test_front_door_e2e.py.
    """
    server = shared_server
    with socket.create_connection((server.host, server.port), timeout=15) as slow:
        slow.sendall(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"name":'
        )
        with httpx.Client(base_url=server.base_url, timeout=5) as client:
            for _ in range(3):
                assert client.get("/json/").status_code == 200
                assert client.post("/session/", json={"name": "eve"}).status_code == 201
