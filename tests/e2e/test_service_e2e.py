"""End to end: a real `parlor serve` process, real HTTP over loopback, both engines."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from parlor.house.ledger import check_ledger
from parlor.roulette.wheel import RED_NUMBERS
from parlor.store.db import open_database

Running = Any  # tests/e2e/conftest.py's Running: conftest modules are not importable by name

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
PAYOUTS = {"straight": 35, "split": 17, "street": 11, "corner": 8, "six_line": 5}
PAYOUTS |= {"dozen": 2, "column": 2, "red": 1, "black": 1, "even": 1, "odd": 1}


def call(
    base: str,
    method: str,
    path: str,
    body: object = None,
    *,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, response.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        with error:
            text = error.read()
            parsed = json.loads(text) if error.headers.get_content_type().endswith("json") else text
            return error.code, error.headers, parsed


def check_spin_fields(spin: dict[str, Any]) -> None:
    assert set(spin) == {"number", "color", "even", "high", "twelve", "column"}
    number = spin["number"]
    if number in ("0", "00"):
        assert spin == {
            "number": number,
            "color": "green",
            "even": False,
            "high": None,
            "twelve": None,
            "column": None,
        }
        return
    assert isinstance(number, int)
    assert 1 <= number <= 36
    assert spin["color"] == ("red" if number in RED_NUMBERS else "black")
    assert spin["even"] == (number % 2 == 0)
    assert spin["high"] == (number >= 19)
    assert spin["twelve"] == (number - 1) // 12 + 1
    assert spin["column"] == (number - 1) % 3 + 1


def test_the_seeds_wheelclient_unchanged(server: tuple[Running, str]) -> None:
    running, _ = server
    sys.path.insert(0, str(HERE))
    try:
        import wheelclient
    finally:
        sys.path.remove(str(HERE))
    wheelclient.URL = running.base_url + "/json/"
    for _ in range(200):
        check_spin_fields(wheelclient.get_a_spin())

    printed = subprocess.run(
        [sys.executable, str(HERE / "wheelclient.py"), running.base_url + "/json/"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert re.fullmatch(r"\{'number': .*, 'column': .*\}\n", printed)

    with urllib.request.urlopen(running.base_url + "/html/") as page:
        text = page.read().decode()
    assert "Wheel service is spinning." in text
    served = int(re.search(r"Served (\d+) spins", text).group(1))  # type: ignore[union-attr]
    assert served >= 201


def test_a_full_game_over_the_wire(server: tuple[Running, str]) -> None:
    running, db_url = server
    base = running.base_url
    status, _, session = call(base, "POST", "/session/", {"name": "alice", "table_max": 500})
    assert status == 201
    sid = session["session"]
    bets = [
        {"proposition": "Red", "amount": 10},
        {"proposition": "split", "numbers": [17, 20], "amount": 10},
        {"proposition": "straight", "numbers": ["00"], "amount": 10},
        {"proposition": "dozen", "numbers": [2], "amount": 20},
        {"proposition": "corner", "numbers": [1, 2, 4, 5], "amount": 10},
        {"proposition": "column", "numbers": [3], "amount": 10},
    ]
    for confirmation, bet in enumerate(bets, start=1):
        status, _, receipt = call(base, "POST", f"/bet/{sid}/", bet)
        assert status == 201
        assert receipt["confirmation"] == confirmation
    assert receipt["balance"] == 1000 - 70

    status, _, spin = call(base, "POST", f"/spin/{sid}/")
    assert status == 201
    check_spin_fields(spin["result"])
    number = spin["result"]["number"]
    pocket = 37 if number == "00" else int(number)
    outcomes = {}
    for confirmation in range(1, len(bets) + 1):
        _, _, got = call(base, "GET", f"/bet/{sid}/{confirmation}/")
        bet = got["bet"]
        covers = {
            "red": RED_NUMBERS,
            "split": {17, 20},
            "straight": {37},
            "dozen": set(range(13, 25)),
            "corner": {1, 2, 4, 5},
            "column": set(range(3, 37, 3)),
        }[bet["proposition"]]
        expected = (
            PAYOUTS[bet["proposition"]] * bet["amount"] if pocket in covers else -bet["amount"]
        )
        assert got["outcome"] == expected
        outcomes[confirmation] = expected
    assert {s["confirmation"]: s["outcome"] for s in spin["settled"]} == outcomes
    assert spin["balance"] == 1000 + sum(outcomes.values())

    # The versioned API on the same session.
    api = f"/api/v1/sessions/{sid}"
    _, _, settled = call(base, "GET", f"{api}/bets?status=settled")
    assert [b["confirmation"] for b in settled["bets"]] == list(range(1, 7))
    status, _, open_bet = call(base, "POST", f"{api}/bets", {"proposition": "odd", "amount": 10})
    assert status == 201
    status, _, withdrawn = call(base, "DELETE", f"{api}/bets/{open_bet['confirmation']}")
    assert (status, withdrawn["bet"]["status"]) == (200, "withdrawn")
    key = {"Idempotency-Key": "retry-me"}
    first = call(base, "POST", f"{api}/bets", {"proposition": "even", "amount": 10}, headers=key)
    again = call(base, "POST", f"{api}/bets", {"proposition": "even", "amount": 10}, headers=key)
    assert first[2] == again[2]
    other = call(base, "POST", f"{api}/bets", {"proposition": "even", "amount": 20}, headers=key)
    assert other[0] == 422
    assert other[1]["Content-Type"] == "application/problem+json"
    _, _, state = call(base, "GET", api)
    assert state["balance"] == spin["balance"] - 10  # one even bet, placed once
    status, _, ended = call(base, "POST", f"{api}/end")
    assert status == 200
    assert ended["server_seed"]
    _, _, verification = call(base, "GET", f"{api}/verification")
    assert verification["ok"] is True

    db = open_database(db_url)
    try:
        assert check_ledger(db).ok
    finally:
        db.close()


BAD_REQUESTS = [
    ("POST", "/api/v1/sessions", b"{not json", "application/json", 400),
    ("PUT", "/spin/{sid}/", None, None, 405),
    ("POST", "/api/v1/sessions/{sid}/bets", b" " * 70_000, "application/json", 413),
    ("POST", "/api/v1/sessions/{sid}/bets", b'{"amount": 1}', "text/plain", 415),
    ("POST", "/api/v1/sessions/{sid}/bets", b'{"proposition": "red"}', "application/json", 422),
    ("GET", "/api/v1/sessions/nope", None, None, 404),
    ("GET", "/bet/{sid}/99/", None, None, 404),
]


def test_bad_requests_over_the_wire_leave_the_server_working(
    server: tuple[Running, str],
) -> None:
    running, _ = server
    base = running.base_url
    _, _, session = call(base, "POST", "/session/", {"name": "bob"})
    sid = session["session"]
    for method, path, raw, content_type, expected in BAD_REQUESTS:
        headers = {"Content-Type": content_type} if content_type else {}
        status, response_headers, problem = call(
            base, method, path.format(sid=sid), raw=raw, headers=headers
        )
        assert status == expected, (method, path, problem)
        assert response_headers["Content-Type"] == "application/problem+json"
        assert problem["status"] == expected
        if expected == 405:
            assert "POST" in response_headers["Allow"]
        # and the server still answers
        assert call(base, "GET", "/json/")[0] == 200
    _, _, state = call(base, "GET", f"/api/v1/sessions/{sid}")
    assert (state["balance"], state["bet_count"]) == (1000, 0)
    # The log is written in batches every 50 ms: give the last lines a moment.
    running.wait_for_line(f"GET /api/v1/sessions/{sid} 200", timeout=5)
    log = "".join(running.lines)
    assert re.search(r"^PUT /spin/\S+/ 405 \d+\.\dms$", log, re.M)
    assert re.search(r"^POST /api/v1/sessions 400 \d+\.\dms$", log, re.M)


def test_sixteen_concurrent_players(server: tuple[Running, str]) -> None:
    running, db_url = server
    base = running.base_url
    finals: dict[str, tuple[int, int]] = {}
    errors: list[BaseException] = []

    def player(index: int) -> None:
        try:
            _, _, session = call(
                base, "POST", "/api/v1/sessions", {"name": f"p{index}", "bankroll": 5000}
            )
            sid = session["session"]
            outcome_total = 0
            for round_ in range(6):
                for bet in range(5):
                    kind = ["red", "black", "odd", "even", "high"][(index + bet + round_) % 5]
                    status, _, _ = call(
                        base, "POST", f"/bet/{sid}/", {"proposition": kind, "amount": 10}
                    )
                    assert status == 201
                _, _, spin = call(base, "POST", f"/spin/{sid}/")
                outcome_total += sum(s["outcome"] for s in spin["settled"])
            _, _, state = call(base, "GET", f"/api/v1/sessions/{sid}")
            finals[sid] = (state["balance"], 5000 + outcome_total)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=player, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(finals) == 16
    assert all(actual == expected for actual, expected in finals.values())
    db = open_database(db_url)
    try:
        report = check_ledger(db)
        assert report.ok, report.problems
        assert report.sessions == 16
    finally:
        db.close()


def test_sigint_stops_cleanly(sqlite_url: str, parlor_factory: Callable[..., Running]) -> None:
    running = parlor_factory("--database", sqlite_url)
    assert call(running.base_url, "GET", "/json/")[0] == 200
    assert running.stop(signal.SIGINT) == 0
    assert any("parlor stopped" in line for line in running.lines)
    listening = [line for line in running.lines if "listening on" in line]
    assert listening == [f"parlor REST service listening on {running.base_url}/\n"]


def test_a_second_server_on_the_same_port_is_refused(
    sqlite_url: str, parlor_factory: Callable[..., Running]
) -> None:
    first = parlor_factory("--database", sqlite_url)
    second = parlor_factory("--database", sqlite_url, port=first.port, ready=False)
    assert second.process.wait(timeout=30) == 1
    second.stop()
    assert any(f"cannot listen on 127.0.0.1:{first.port}" in line for line in second.lines)
    assert call(first.base_url, "GET", "/json/")[0] == 200  # the first is untouched


def test_two_workers_share_one_sqlite_file(
    sqlite_url: str, parlor_factory: Callable[..., Running]
) -> None:
    running = parlor_factory("--database", sqlite_url, "--workers", "2")
    errors: list[BaseException] = []

    def play(index: int) -> None:
        try:
            _, _, session = call(running.base_url, "POST", "/session/", {"name": f"w{index}"})
            for _ in range(10):
                bet = {"proposition": "red", "amount": 10}
                assert call(running.base_url, "POST", f"/bet/{session['session']}/", bet)[0] == 201
                assert call(running.base_url, "POST", f"/spin/{session['session']}/")[0] == 201
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=play, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert running.stop() == 0
    db = open_database(sqlite_url)
    try:
        report = check_ledger(db)
        assert report.ok, report.problems
        assert report.sessions == 6
    finally:
        db.close()
