"""Every route in-process through Falcon's test client, with tables of bad input."""

from __future__ import annotations

import json
from typing import Any

import falcon
import pytest
from falcon import testing

from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.roulette.wheel import RED_NUMBERS
from parlor.service.app import create_app, create_falcon_app
from parlor.store.db import Database

PROBLEM = "application/problem+json"


@pytest.fixture
def client(house: RouletteHouse) -> testing.TestClient:
    return testing.TestClient(create_falcon_app(house))


@pytest.fixture
def session(client: testing.TestClient) -> str:
    result = client.simulate_post("/api/v1/sessions", json={"name": "alice"})
    assert result.status_code == 201
    session_id: str = result.json["session"]
    return session_id


def assert_problem(result: testing.Result, status: int, code: str | None = None) -> dict[str, Any]:
    assert result.status_code == status, result.text
    assert result.headers["content-type"] == PROBLEM
    body: dict[str, Any] = result.json
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in result.text
    if code is not None:
        assert body["code"] == code
    return body


# -- the seed's routes -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/json/", "/json"])
def test_wheel_json(client: testing.TestClient, path: str) -> None:
    for _ in range(50):
        spin = client.simulate_get(path).json
        assert set(spin) == {"number", "color", "even", "high", "twelve", "column"}
        number = spin["number"]
        if number in ("0", "00"):
            assert (spin["color"], spin["even"], spin["high"]) == ("green", False, None)
            assert (spin["twelve"], spin["column"]) == (None, None)
        else:
            assert 1 <= number <= 36
            assert spin["color"] == ("red" if number in RED_NUMBERS else "black")
            assert spin["high"] == (number >= 19)
            assert spin["twelve"] == (number - 1) // 12 + 1
            assert spin["column"] == (number - 1) % 3 + 1


def test_wheel_html_counts_spins(client: testing.TestClient) -> None:
    for _ in range(3):
        client.simulate_get("/json/")
    page = client.simulate_get("/html/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Wheel service is spinning." in page.text
    assert "Served 3 spins." in page.text


def test_seed_flow(client: testing.TestClient, house: RouletteHouse) -> None:
    opened = client.simulate_post("/session/", json={"name": "seed"})
    assert opened.status_code == 201
    body = opened.json
    for key in ("session", "name", "balance", "wheel", "table_min", "table_max"):
        assert key in body
    assert "server_seed_hash" in body
    sid = body["session"]

    bet = client.simulate_post(f"/bet/{sid}/", json={"proposition": "Red", "amount": 10})
    assert bet.status_code == 201
    assert bet.json["confirmation"] == 1
    assert bet.json["balance"] == 990
    assert bet.json["bet"]["proposition"] == "red"
    # The chapter's urllib2 client would label its JSON as a form: accepted here.
    split = client.simulate_post(
        f"/bet/{sid}/",
        body=json.dumps({"proposition": "split", "numbers": [17, 20], "amount": 10}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert split.status_code == 201
    zero = client.simulate_post(
        f"/bet/{sid}", json={"proposition": "straight", "numbers": ["00"], "amount": 10}
    )
    assert zero.json["bet"]["numbers"] == ["00"]

    pending = client.simulate_get(f"/bet/{sid}/1/")
    assert pending.json["outcome"] is None

    spin = client.simulate_post(f"/spin/{sid}/")
    assert spin.status_code == 201
    assert spin.json["spin"] == 1
    assert set(spin.json["result"]) == {"number", "color", "even", "high", "twelve", "column"}
    settled = {s["confirmation"]: s["outcome"] for s in spin.json["settled"]}
    assert set(settled) == {1, 2, 3}
    for confirmation, outcome in settled.items():
        assert client.simulate_get(f"/bet/{sid}/{confirmation}/").json["outcome"] == outcome
    assert spin.json["balance"] == 1000 + sum(settled.values())
    assert house.session(sid).balance == spin.json["balance"]


# -- /api/v1 -----------------------------------------------------------------------


def test_api_session_lifecycle(client: testing.TestClient) -> None:
    opened = client.simulate_post(
        "/api/v1/sessions",
        json={"name": "bob", "wheel": "european", "la_partage": True, "client_seed": "lucky"},
    )
    assert opened.status_code == 201
    sid = opened.json["session"]
    assert opened.headers["location"] == f"/api/v1/sessions/{sid}"
    assert opened.json["server_seed"] is None
    assert client.simulate_get(f"/api/v1/sessions/{sid}").json == opened.json

    client.simulate_post(f"/api/v1/sessions/{sid}/bets", json={"proposition": "odd", "amount": 20})
    for _ in range(3):
        assert client.simulate_post(f"/api/v1/sessions/{sid}/spins").status_code == 201
    history = client.simulate_get(f"/api/v1/sessions/{sid}/spins").json["spins"]
    assert [s["spin"] for s in history] == [1, 2, 3]
    last = client.simulate_get(f"/api/v1/sessions/{sid}/spins", params={"last": 2}).json
    assert [s["spin"] for s in last["spins"]] == [2, 3]

    assert_problem(
        client.simulate_get(f"/api/v1/sessions/{sid}/verification"), 409, "seed_not_revealed"
    )
    ended = client.simulate_post(f"/api/v1/sessions/{sid}/end")
    assert ended.status_code == 200
    assert ended.json["status"] == "ended"
    assert len(ended.json["server_seed"]) == 64
    verification = client.simulate_get(f"/api/v1/sessions/{sid}/verification").json
    assert verification["ok"] is True
    assert verification["spins_checked"] == 3
    assert_problem(client.simulate_post(f"/api/v1/sessions/{sid}/spins"), 409, "session_ended")


def test_api_bets(client: testing.TestClient, session: str) -> None:
    base = f"/api/v1/sessions/{session}/bets"
    placed = client.simulate_post(base, json={"proposition": "dozen", "numbers": [2], "amount": 10})
    assert placed.status_code == 201
    assert placed.headers["location"] == f"{base}/1"
    client.simulate_post(
        base, json={"proposition": "corner", "numbers": [1, 2, 4, 5], "amount": 10}
    )
    client.simulate_post(f"/api/v1/sessions/{session}/spins")
    client.simulate_post(base, json={"proposition": "high", "amount": 30})

    assert [b["confirmation"] for b in client.simulate_get(base).json["bets"]] == [1, 2, 3]
    settled = client.simulate_get(base, params={"status": "settled"}).json["bets"]
    assert [b["confirmation"] for b in settled] == [1, 2]
    assert all(b["outcome"] is not None for b in settled)
    page = client.simulate_get(base, params={"after": 1, "limit": 1}).json["bets"]
    assert [b["confirmation"] for b in page] == [2]

    withdrawn = client.simulate_delete(f"{base}/3")
    assert withdrawn.status_code == 200
    assert withdrawn.json["bet"]["status"] == "withdrawn"
    assert (
        withdrawn.json["balance"]
        == client.simulate_get(f"/api/v1/sessions/{session}").json["balance"]
    )
    assert_problem(client.simulate_delete(f"{base}/3"), 409, "bet_not_open")
    assert_problem(client.simulate_delete(f"{base}/1"), 409, "bet_not_open")
    got = client.simulate_get(f"{base}/1").json
    assert got["bet"]["confirmation"] == 1
    assert got["outcome"] == got["bet"]["outcome"]


def test_idempotency_key(client: testing.TestClient, session: str, house: RouletteHouse) -> None:
    base = f"/api/v1/sessions/{session}/bets"
    headers = {"Idempotency-Key": "abc-123"}
    first = client.simulate_post(base, json={"proposition": "red", "amount": 10}, headers=headers)
    again = client.simulate_post(base, json={"proposition": "red", "amount": 10}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json == again.json
    assert house.session(session).balance == 990
    other = client.simulate_post(base, json={"proposition": "red", "amount": 20}, headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")
    assert house.session(session).balance == 990


def test_rules(client: testing.TestClient) -> None:
    rules = client.simulate_get("/api/v1/rules").json
    american = {b["proposition"]: b for b in rules["wheels"]["american"]["bets"]}
    european = {b["proposition"]: b for b in rules["wheels"]["european"]["bets"]}
    assert american["straight"]["odds"] == 35
    assert american["five"]["house_edge"]["fraction"] == "3/38"
    assert american["red"]["house_edge"]["fraction"] == "1/19"
    assert "five" not in european
    assert european["first_four"]["odds"] == 8
    assert european["red"]["house_edge"]["fraction"] == "1/37"
    assert rules["wheels"]["european"]["la_partage_edge"]["fraction"] == "1/74"
    assert len(rules["wheels"]["american"]["pockets"]) == 38
    assert rules["limits"]["default_table_max"] == 500


# -- bad input ---------------------------------------------------------------------

BAD_BODIES = [
    # (content type, body, status, code)
    ("application/json", b"{bad", 400, "malformed_json"),
    ("application/json", b"\xff\xfe", 400, "malformed_json"),
    # Not an object from its first byte on: refused for its shape before it is read through.
    ("application/json", b"[" * 50_000, 422, "invalid_request"),
    ("application/json", b'{"amount": 1' + b"0" * 5000 + b"}", 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": 1', 400, "malformed_json"),
    ("application/json", b'{"proposition": "red", "amount": 1} x', 400, "malformed_json"),
    ("application/json", b"[1, 2]", 422, "invalid_request"),
    ("application/json", b'"red"', 422, "invalid_request"),
    ("application/json", b"null", 422, "invalid_request"),
    ("application/json", b" " + b"x" * 70_000, 413, "body_too_large"),
    ("text/plain", b'{"proposition": "red", "amount": 10}', 415, "unsupported_media_type"),
    ("application/x-www-form-urlencoded", b"proposition=red", 415, "unsupported_media_type"),
    ("application/xml", b"<bet/>", 415, "unsupported_media_type"),
    ("application/json", b'{"proposition": "red"}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": 10.5}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": "10"}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": -1}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": 1e400}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red", "amount": 99999999999999999999}', 422, None),
    ("application/json", b'{"proposition": "red", "amount": 5}', 409, "outside_table_limits"),
    ("application/json", b'{"proposition": "red", "amount": 600}', 409, "outside_table_limits"),
    ("application/json", b'{"proposition": "red", "amount": 10, "colour": 1}', 422, "invalid_bet"),
    # A crafted key cannot make the refusal blame a member that is fine.
    ("application/json", b'{"proposition": "red", "amount": 10, "amount`": 1}', 422, "invalid_bet"),
    (
        "application/json",
        b'{"proposition": "red", "amount": 10, "z - at `$.numbers": 1}',
        422,
        "invalid_bet",
    ),
    ("application/json", b'{"proposition": "Six line", "amount": 10}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "red\\n", "amount": 10}', 422, "invalid_bet"),
    ("application/json", b'{"proposition": "split", "numbers": [20, 17], "amount": 10}', 422, None),
    (
        "application/json",
        b'{"proposition": "split", "numbers": ["17", 20], "amount": 1}',
        422,
        None,
    ),
    ("application/json", b'{"proposition": "straight", "numbers": [0], "amount": 10}', 422, None),
    ("application/json", b'{"proposition": 7, "amount": 10}', 422, "invalid_bet"),
    # A whole number written as a float sends the body down a second, slower path:
    # nesting that path cannot walk is refused as the first one saw it, never a 500.
    (
        "application/json",
        b'{"amount": 1.5, "numbers": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        422,
        "invalid_bet",
    ),
    (
        "application/json",
        b'{"amount": 10.0, "numbers": ' + b"[" * 900 + b"]" * 900 + b"}",
        422,
        "invalid_bet",
    ),
    ("application/json", b'{"proposition": "split", "numbers": [1, 5], "amount": 10}', 422, None),
    ("application/json", b'{"proposition": "split", "numbers": "17,20", "amount": 10}', 422, None),
    ("application/json", b'{"proposition": "split", "numbers": {"a": 1}, "amount": 10}', 422, None),
    ("application/json", b'{"proposition": "five", "numbers": [0], "amount": 10}', 422, None),
]


@pytest.mark.parametrize(("content_type", "body", "status", "code"), BAD_BODIES)
@pytest.mark.parametrize("route", ["/api/v1/sessions/{sid}/bets", "/bet/{sid}/"])
def test_bad_bet_bodies_change_nothing(
    client: testing.TestClient,
    session: str,
    house: RouletteHouse,
    route: str,
    content_type: str,
    body: bytes,
    status: int,
    code: str | None,
) -> None:
    if route.startswith("/bet/") and content_type == "application/x-www-form-urlencoded":
        status, code = 400, "malformed_json"  # the seed route reads a form-labelled body as JSON
    before = (house.session(session), house.bets(session))
    result = client.simulate_post(
        route.format(sid=session), body=body, headers={"Content-Type": content_type}
    )
    problem = assert_problem(result, status, code)
    if problem["code"] in ("invalid_bet", "outside_table_limits"):
        known = ("proposition", "numbers", "amount")
        assert problem["field"] in known or problem["detail"].endswith(
            "is not a member of this body; its members are proposition, numbers, amount"
        ), problem
    assert (house.session(session), house.bets(session)) == before


BAD_SESSIONS = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": ["x"]}, "name"),
    ({"name": "a", "bankroll": 0}, "bankroll"),
    ({"name": "a", "bankroll": "lots"}, "bankroll"),
    ({"name": "a", "table_min": 50, "table_max": 20}, "table_max"),
    ({"name": "a", "wheel": "triple-zero"}, "wheel"),
    ({"name": "a", "la_partage": True}, "la_partage"),
    ({"name": "a", "client_seed": ""}, "client_seed"),
]


@pytest.mark.parametrize(("body", "field"), BAD_SESSIONS)
@pytest.mark.parametrize("route", ["/api/v1/sessions", "/session/"])
def test_bad_session_bodies(
    client: testing.TestClient, db: Database, route: str, body: dict[str, Any], field: str
) -> None:
    before = check_ledger(db)
    problem = assert_problem(client.simulate_post(route, json=body), 422, "invalid_request")
    assert problem["field"] == field
    assert check_ledger(db).sessions == before.sessions


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sessions/nope"),
        ("POST", "/api/v1/sessions/nope/end"),
        ("GET", "/api/v1/sessions/nope/verification"),
        ("POST", "/api/v1/sessions/nope/bets"),
        ("GET", "/api/v1/sessions/nope/bets"),
        ("GET", "/api/v1/sessions/nope/bets/1"),
        ("DELETE", "/api/v1/sessions/nope/bets/1"),
        ("POST", "/api/v1/sessions/nope/spins"),
        ("GET", "/api/v1/sessions/nope/spins"),
        ("POST", "/bet/nope/"),
        ("GET", "/bet/nope/1/"),
        ("POST", "/spin/nope/"),
    ],
)
def test_unknown_session_is_404(client: testing.TestClient, method: str, path: str) -> None:
    kwargs: dict[str, Any] = {}
    if (method == "POST" and "bets" in path) or path.startswith("/bet/"):
        kwargs["json"] = {"proposition": "red", "amount": 10}
    assert_problem(client.simulate_request(method, path, **kwargs), 404, "unknown_session")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/sessions/{sid}/bets/99", "/bet/{sid}/99/", "/bet/{sid}/x/", "/bet/{sid}/1.5/"],
)
def test_unknown_bet_is_404(client: testing.TestClient, session: str, path: str) -> None:
    assert_problem(client.simulate_get(path.format(sid=session)), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/spin/{sid}/", "POST"),
        ("GET", "/spin/{sid}/", "POST"),
        ("DELETE", "/session/", "POST"),
        ("POST", "/json/", "GET"),
        ("PATCH", "/api/v1/sessions/{sid}", "GET"),
        ("PUT", "/api/v1/sessions/{sid}/bets/1", "DELETE"),
        ("POST", "/api/v1/rules", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(
    client: testing.TestClient, session: str, method: str, path: str, allowed: str
) -> None:
    result = client.simulate_request(method, path.format(sid=session))
    assert_problem(result, 405, "method_not_allowed")
    assert allowed in result.headers["allow"]


@pytest.mark.parametrize(
    ("params", "route"),
    [
        ({"status": "lost"}, "bets"),
        ({"limit": "0"}, "bets"),
        ({"limit": "1001"}, "bets"),
        ({"after": "-1"}, "bets"),
        ({"after": "x"}, "bets"),
        ({"last": "0"}, "spins"),
        ({"last": "many"}, "spins"),
    ],
)
def test_bad_query_parameters_are_400(
    client: testing.TestClient, session: str, params: dict[str, str], route: str
) -> None:
    result = client.simulate_get(f"/api/v1/sessions/{session}/{route}", params=params)
    assert_problem(result, 400)


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_bad_idempotency_keys_are_400(
    client: testing.TestClient, session: str, house: RouletteHouse, key: str
) -> None:
    result = client.simulate_post(
        f"/api/v1/sessions/{session}/bets",
        json={"proposition": "red", "amount": 10},
        headers={"Idempotency-Key": key},
    )
    assert_problem(result, 400, "bad_idempotency_key")
    assert house.session(session).bet_count == 0


def test_insufficient_balance_is_409(client: testing.TestClient) -> None:
    sid = client.simulate_post("/api/v1/sessions", json={"name": "poor", "bankroll": 15}).json[
        "session"
    ]
    result = client.simulate_post(
        f"/api/v1/sessions/{sid}/bets", json={"proposition": "red", "amount": 20}
    )
    assert_problem(result, 409, "insufficient_balance")


def test_unknown_route_is_404(client: testing.TestClient) -> None:
    assert_problem(client.simulate_get("/nowhere"), 404, "not_found")


def test_unexpected_errors_are_500_without_traceback(
    house: RouletteHouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(house, "spin", broken)
    client = testing.TestClient(create_app(house))  # the errors pipe answers it
    result = client.simulate_post("/spin/abc/")
    problem = assert_problem(result, 500, "internal_error")
    assert "secret internals" not in json.dumps(problem)
    assert "secret internals" in capsys.readouterr().err  # but the operator sees it


def test_busy_store_is_503_with_retry_after(
    house: RouletteHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parlor.house.errors import HouseBusy

    def busy(*args: object, **kwargs: object) -> None:
        raise HouseBusy("the database stayed busy for 5 s; try again shortly")

    monkeypatch.setattr(house, "place_bet", busy)
    client = testing.TestClient(create_falcon_app(house))
    result = client.simulate_post("/bet/abc/", json={"proposition": "red", "amount": 10})
    assert_problem(result, 503, "busy")
    assert result.headers["retry-after"] == "1"


def test_problem_serializer_handles_falcon_errors(client: testing.TestClient) -> None:
    """Falcon's own errors (here: a bad int converter path) still come out as problems."""
    assert falcon.HTTP_404 == "404 Not Found"
    assert_problem(client.simulate_get("/api/v1/sessions/x/bets/notanumber"), 404)


@pytest.mark.parametrize("path", ["/api/v1/sessions/{}/spins", "/spin/{}/"])
def test_a_spin_sent_again_by_number_is_not_drawn_twice(
    client: testing.TestClient, session: str, path: str
) -> None:
    url = path.format(session)
    first = client.simulate_post(url, json={"spin": 1})
    assert first.status_code == 201
    assert first.json["spin"] == 1
    again = client.simulate_post(url, json={"spin": 1})
    body = assert_problem(again, 409, "spin_out_of_turn")
    assert "already been drawn" in body["detail"]
    assert client.simulate_get(f"/api/v1/sessions/{session}").json["spin_count"] == 1
    bad = client.simulate_post(url, json={"spin": "next"})
    assert assert_problem(bad, 422, "invalid_request")["field"] == "spin"
    assert client.simulate_post(url, json={"spin": 2}).status_code == 201


# -- the TCP tables, read-only ---------------------------------------------------


def test_tables_are_listed_read_and_recorded_once_closed(
    house: RouletteHouse, client: testing.TestClient
) -> None:
    from parlor.house.tables import TablesHouse
    from parlor.wire import records

    tables = TablesHouse(house)
    tables.open_table("main", "american")
    tables.open_table("euro", "european")
    state = house.open_session("bob", wheel="european")
    tables.sit("euro", state.id)
    tables.place_bet("euro", state.id, "straight", [17], 10)
    tables.spin("euro")
    listed = client.simulate_get("/api/v1/tables").json["tables"]
    assert [(t["name"], t["wheel"], t["round"], t["seated"]) for t in listed] == [
        ("euro", "european", 1, 1),
        ("main", "american", 0, 0),
    ]
    assert all(t["server_seed"] is None and len(t["server_seed_hash"]) == 64 for t in listed)
    assert client.simulate_get("/api/v1/tables/euro").json["status"] == "open"
    assert_problem(client.simulate_get("/api/v1/tables/euro/record"), 409, "table_still_open")
    tables.close_table("euro")
    record = records.decode(client.simulate_get("/api/v1/tables/euro/record").content)
    assert [s.spin for s in record.spins] == [1]
    assert records.check(record).ok
    assert client.simulate_get("/api/v1/tables/euro").json["server_seed"] == record.server_seed
    assert [t["name"] for t in client.simulate_get("/api/v1/tables").json["tables"]] == ["main"]


@pytest.mark.parametrize("name", ["nowhere", "bad name", "x" * 40, "..", "%00"])
def test_an_unknown_or_malformed_table_is_404(client: testing.TestClient, name: str) -> None:
    for path in (f"/api/v1/tables/{name}", f"/api/v1/tables/{name}/record"):
        result = client.simulate_get(path)
        assert result.status_code == 404, (path, result.text)
        assert "Traceback" not in result.text
