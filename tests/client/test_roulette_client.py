"""The client SDK against the real service: in-process through WSGI, and once over TCP.

Most tests drive the real app on a SQLite file through ``httpx.WSGITransport``,
so every error class is checked against an answer the service really gives.
Failures the service cannot be asked for (a lost answer, a busy gateway, a
closed port, a stranger's server) come from transport wrappers and
``httpx.MockTransport``; no test sleeps, because ``sleep`` is injected.
"""

from __future__ import annotations

import email.utils
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from parlor.client import (
    MAX_DELAY,
    BadRequest,
    Bet,
    ClientError,
    Conflict,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    ProblemError,
    ProtocolMismatch,
    RouletteClient,
    ServiceUnavailable,
    Settlement,
    WheelResult,
)
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app
from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.wsgi.types import WSGIApp

BASE = "http://parlor.test"

#: A /json/ answer, for fakes of the service: what the seed's wheel says.
SPUN = {"number": 17, "color": "black", "even": False, "high": False, "twelve": 2, "column": 2}


class SleepSpy:
    """Stands in for time.sleep: records each pause instead of taking it."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


@pytest.fixture
def sqlite_house(tmp_path: Path) -> Iterator[RouletteHouse]:
    """A house on a SQLite file whose ledger must balance after the test."""
    db = open_database(f"sqlite:///{tmp_path}/x.db")
    migrate(db)
    house = RouletteHouse(db)
    yield house
    report = check_ledger(db)
    db.close()
    assert report.ok, report.problems


@pytest.fixture
def app(sqlite_house: RouletteHouse) -> WSGIApp:
    return create_app(sqlite_house)


@pytest.fixture
def sleep() -> SleepSpy:
    return SleepSpy()


@pytest.fixture
def client(app: WSGIApp, sleep: SleepSpy) -> Iterator[RouletteClient]:
    with RouletteClient(BASE, transport=httpx.WSGITransport(app=app), sleep=sleep) as client:
        yield client


@pytest.fixture
def session_id(client: RouletteClient) -> str:
    return client.open_session("alice").id


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], sleep: SleepSpy, **options: Any
) -> RouletteClient:
    return RouletteClient(BASE, transport=httpx.MockTransport(handler), sleep=sleep, **options)


def problem(status: int, detail: str, code: str, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": "x", "status": status, "detail": detail, "code": code}
    return httpx.Response(
        status,
        headers={"Content-Type": "application/problem+json", **headers},
        content=json.dumps(body).encode(),
    )


# -- the happy path ----------------------------------------------------------------------


def test_full_flow(client: RouletteClient) -> None:
    opened = client.open_session("alice", bankroll=1000, client_seed="my-seed")
    sid = opened.id
    assert (opened.name, opened.status, opened.wheel) == ("alice", "open", "american")
    assert (opened.balance, opened.bankroll, opened.client_seed) == (1000, 1000, "my-seed")
    assert opened.server_seed is None
    assert not opened.ended
    assert opened.opened_at.tzinfo is not None

    split = client.place_bet(sid, "split", 10, [17, 20])
    assert split.confirmation == 1
    assert split.bet.numbers == (17, 20)
    assert split.bet.description == "split 17-20"
    assert (split.bet.odds, split.bet.status, split.balance) == (17, "open", 990)
    zero = client.place_bet(sid, "straight", 10, ["00"])
    assert zero.bet.numbers == ("00",)
    assert zero.bet.odds == 35
    red = client.place_bet(sid, "red", 20)
    dozen = client.place_bet(sid, "dozen", 10, [2])
    assert dozen.balance == 950
    assert [b.confirmation for b in client.bets(sid)] == [1, 2, 3, 4]
    assert [b.confirmation for b in client.bets(sid, after=1, limit=2)] == [2, 3]

    withdrawn = client.withdraw_bet(sid, red.confirmation)
    assert withdrawn.bet.status == "withdrawn"
    assert withdrawn.balance == 970
    assert client.session(sid).open_stake == 30

    outcome = client.spin(sid)
    assert outcome.spin == 1
    assert [s.confirmation for s in outcome.settled] == [1, 2, 4]
    assert all(isinstance(s, Settlement) for s in outcome.settled)
    number = outcome.result.pocket
    assert outcome.settled[0].outcome == (170 if number in (17, 20) else -10)
    assert outcome.settled[1].outcome == (350 if number == "00" else -10)
    stakes = {1: 10, 2: 10, 4: 10}
    assert outcome.balance == 970 + sum(stakes[s.confirmation] + s.outcome for s in outcome.settled)

    settled = client.bet(sid, 1)
    first = outcome.settled[0].outcome
    assert (settled.status, settled.spin, settled.outcome) == ("settled", 1, first)
    assert [b.confirmation for b in client.bets(sid, status="settled")] == [1, 2, 4]
    assert [b.status for b in client.bets(sid, status="withdrawn")] == ["withdrawn"]
    client.spin(sid)
    history = client.spins(sid)
    assert [r.spin for r in history] == [1, 2]
    assert history[0].result == outcome.result
    assert [r.spin for r in client.spins(sid, last=1)] == [2]

    ended = client.end_session(sid)
    assert ended.ended
    assert ended.server_seed is not None
    assert ended.ended_at is not None
    assert ended.balance == client.session(sid).balance
    verification = client.verification(sid)
    assert verification.ok
    assert verification.seed_matches_hash
    assert verification.spins_checked == 2
    assert verification.mismatches == ()
    assert "Verified 2 spins" in verification.summary


def test_documents(client: RouletteClient) -> None:
    rules = client.rules()
    assert {b.proposition for b in rules.wheels.american.bets} >= {"five", "red"}
    assert rules.wheels.european.la_partage_edge
    assert rules.limits.default_bankroll == 1000
    spun = client.house_spin()
    assert isinstance(spun, WheelResult)
    if spun.pocket in ("0", "00"):
        assert (spun.color, spun.high, spun.twelve, spun.column) == ("green", None, None, None)
    else:
        assert isinstance(spun.pocket, int)
        assert 1 <= spun.pocket <= 36
        assert spun.label == str(spun.pocket)


def test_european_session_options(client: RouletteClient) -> None:
    opened = client.open_session(
        "bob", bankroll=500, table_min=5, table_max=50, wheel="european", la_partage=True
    )
    assert (opened.wheel, opened.la_partage) == ("european", True)
    assert (opened.bankroll, opened.table_min, opened.table_max) == (500, 5, 50)


# -- refusals: every error class, from a real answer --------------------------------------


def test_unknown_session_is_not_found(client: RouletteClient) -> None:
    with pytest.raises(NotFound) as caught:
        client.session("no-such-session")
    error = caught.value
    assert (error.status, error.title, error.code) == (404, "Not Found", "unknown_session")
    assert error.field is None
    assert str(error) == error.detail == "no session 'no-such-session': open one first"
    assert error.url == f"{BASE}/api/v1/sessions/no-such-session"


def test_unknown_bet_is_not_found(client: RouletteClient, session_id: str) -> None:
    with pytest.raises(NotFound) as caught:
        client.bet(session_id, 7)
    assert caught.value.code == "unknown_bet"


def test_a_session_id_cannot_reach_another_route(client: RouletteClient) -> None:
    # WSGI decodes %2F in PATH_INFO, so "x/end" would reach the route ending session x.
    for bad in ("x/end", "", ".", ".."):
        with pytest.raises(ValueError, match="not an id"):
            client.session(bad)
    with pytest.raises(NotFound):
        client.session("x?end=1#")  # other characters are percent-encoded and arrive intact


@pytest.mark.parametrize(
    ("proposition", "amount", "numbers", "field"),
    [
        ("split", 10, [1, 36], "numbers"),
        ("roulette", 10, None, "proposition"),
    ],
)
def test_invalid_bet_names_the_field(
    client: RouletteClient,
    session_id: str,
    proposition: str,
    amount: int,
    numbers: list[int] | None,
    field: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        client.place_bet(session_id, proposition, amount, numbers)
    assert (caught.value.status, caught.value.code) == (422, "invalid_bet")
    assert caught.value.field == field
    assert client.session(session_id).bet_count == 0


def test_an_amount_outside_the_table_is_a_conflict_naming_it(
    client: RouletteClient, session_id: str
) -> None:
    with pytest.raises(Conflict) as caught:
        client.place_bet(session_id, "red", 5)
    assert (caught.value.code, caught.value.field) == ("outside_table_limits", "amount")
    assert client.session(session_id).bet_count == 0


def test_the_client_writes_what_the_strict_service_reads(
    client: RouletteClient, session_id: str
) -> None:
    """Spellings the rules know, pockets as ints or strings, any order: sent as the wire has it."""
    split = client.place_bet(session_id, "Split", 10, ["20", 17])
    assert (split.bet.proposition, split.bet.numbers) == ("split", (17, 20))
    five = client.place_bet(session_id, "basket", 10, [3, "00", 0, 2, 1])
    assert five.bet.numbers == ("0", 1, 2, 3, "00")
    line = client.place_bet(session_id, "Six line", 10, [6, 5, 4, 3, 2, 1])
    assert line.bet.proposition == "six_line"


def test_invalid_session_field(client: RouletteClient) -> None:
    with pytest.raises(InvalidInput) as caught:
        client.open_session("x", wheel="french")
    assert (caught.value.code, caught.value.field) == ("invalid_request", "wheel")


def test_insufficient_balance_is_a_conflict(client: RouletteClient) -> None:
    sid = client.open_session("carol", bankroll=15, table_min=10).id
    client.place_bet(sid, "black", 10)
    with pytest.raises(Conflict) as caught:
        client.place_bet(sid, "black", 10)
    assert (caught.value.status, caught.value.code) == (409, "insufficient_balance")
    assert str(caught.value) == "a bet of 10 chips is more than the balance of 5"


def test_ended_session_is_a_conflict(client: RouletteClient, session_id: str) -> None:
    client.end_session(session_id)
    for call in (
        lambda: client.spin(session_id),
        lambda: client.place_bet(session_id, "red", 10),
        lambda: client.end_session(session_id),
    ):
        with pytest.raises(Conflict) as caught:
            call()
        assert caught.value.code == "session_ended"


def test_other_conflicts(client: RouletteClient, session_id: str) -> None:
    with pytest.raises(Conflict) as caught:
        client.verification(session_id)
    assert caught.value.code == "seed_not_revealed"
    client.place_bet(session_id, "odd", 10)
    client.spin(session_id)
    with pytest.raises(Conflict) as caught:
        client.withdraw_bet(session_id, 1)
    assert caught.value.code == "bet_not_open"


def test_idempotency_key_replays_and_refuses_reuse(client: RouletteClient, session_id: str) -> None:
    first = client.place_bet(session_id, "red", 10, idempotency_key="bet-1")
    again = client.place_bet(session_id, "red", 10, idempotency_key="bet-1")
    assert again == first
    with pytest.raises(InvalidInput) as caught:
        client.place_bet(session_id, "black", 10, idempotency_key="bet-1")
    assert (caught.value.status, caught.value.code) == (422, "idempotency_key_reused")
    state = client.session(session_id)
    assert (state.bet_count, state.balance) == (1, 990)


def test_bad_requests(client: RouletteClient, session_id: str) -> None:
    with pytest.raises(BadRequest) as caught:
        client.place_bet(session_id, "red", 10, idempotency_key="k" * 256)
    assert (caught.value.code, caught.value.field) == ("bad_idempotency_key", "Idempotency-Key")
    with pytest.raises(BadRequest):
        client.bets(session_id, status="lost")


def test_other_statuses_raise_problem_error(client: RouletteClient, session_id: str) -> None:
    with pytest.raises(ProblemError) as caught:
        client.place_bet(session_id, "straight", 10, [1] * 40_000)  # a body over 64 KiB
    assert type(caught.value) is ProblemError
    assert (caught.value.status, caught.value.code) == (413, "body_too_large")


def test_server_error_is_a_problem_error(sleep: SleepSpy) -> None:
    answer = problem(500, "the server hit an unexpected error", "internal_error")
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answer

    with mock_client(handler, sleep) as client, pytest.raises(ProblemError) as caught:
        client.session("s")
    assert type(caught.value) is ProblemError
    assert "code='internal_error'" in repr(caught.value)
    assert len(calls) == 1  # a 500 is a bug to report, not a state that passes


# -- retries -----------------------------------------------------------------------------


class LoseFirstAnswer(httpx.BaseTransport):
    """Passes requests to the app, but loses the answer to the first matching one.

    The app has acted by then, exactly as when a connection drops after the
    server wrote its answer.
    """

    def __init__(self, inner: httpx.BaseTransport, method: str, path_end: str) -> None:
        self._inner = inner
        self._method = method
        self._path_end = path_end
        self.matching: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == self._method and request.url.path.endswith(self._path_end):
            self.matching.append(request)
            if len(self.matching) == 1:
                response.close()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


def losing_client(
    app: WSGIApp, sleep: SleepSpy, method: str, path_end: str
) -> tuple[RouletteClient, LoseFirstAnswer]:
    transport = LoseFirstAnswer(httpx.WSGITransport(app=app), method, path_end)
    return RouletteClient(BASE, transport=transport, sleep=sleep), transport


def test_lost_bet_answer_is_retried_with_the_same_key(app: WSGIApp, sleep: SleepSpy) -> None:
    client, transport = losing_client(app, sleep, "POST", "/bets")
    with client:
        sid = client.open_session("dave").id
        receipt = client.place_bet(sid, "split", 10, [17, 20])
        assert (receipt.confirmation, receipt.balance) == (1, 990)
        state = client.session(sid)
        assert (state.bet_count, state.balance, state.open_stake) == (1, 990, 10)
        assert len(client.bets(sid)) == 1
    keys = [r.headers["Idempotency-Key"] for r in transport.matching]
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert len(keys[0]) == 32
    int(keys[0], 16)  # a uuid4 in hex
    assert sleep.pauses == [0.2]


def test_every_bet_gets_its_own_key(app: WSGIApp, sleep: SleepSpy) -> None:
    client, transport = losing_client(app, sleep, "POST", "/bets")
    with client:
        sid = client.open_session("erin").id
        client.place_bet(sid, "red", 10)
        client.place_bet(sid, "red", 10)
        assert client.session(sid).bet_count == 2
    keys = [r.headers["Idempotency-Key"] for r in transport.matching]
    assert keys[0] == keys[1] != keys[2]


def test_lost_spin_answer_is_not_retried(app: WSGIApp, sleep: SleepSpy) -> None:
    client, transport = losing_client(app, sleep, "POST", "/spins")
    with client:
        sid = client.open_session("frank").id
        client.place_bet(sid, "red", 10)
        with pytest.raises(OutcomeUnknown) as caught:
            client.spin(sid)
        assert "may have acted" in str(caught.value)
        assert caught.value.attempts == 1
        state = client.session(sid)
        assert state.spin_count == 1
        assert client.bets(sid)[0].status == "settled"
    assert len(transport.matching) == 1
    assert sleep.pauses == []


@pytest.mark.parametrize(
    ("method", "path_end", "call"),
    [
        ("POST", "/sessions", lambda c, sid: c.open_session("again")),
        ("POST", "/end", lambda c, sid: c.end_session(sid)),
        ("DELETE", "/bets/1", lambda c, sid: c.withdraw_bet(sid, 1)),
    ],
)
def test_other_unsafe_requests_are_not_retried(
    app: WSGIApp,
    sleep: SleepSpy,
    method: str,
    path_end: str,
    call: Callable[[RouletteClient, str], object],
) -> None:
    with RouletteClient(BASE, transport=httpx.WSGITransport(app=app)) as setup:
        sid = setup.open_session("gina").id
        setup.place_bet(sid, "red", 10)
    client, transport = losing_client(app, sleep, method, path_end)
    with client, pytest.raises(OutcomeUnknown):
        call(client, sid)
    assert len(transport.matching) == 1
    assert sleep.pauses == []


def test_lost_get_answer_is_retried(app: WSGIApp, sleep: SleepSpy) -> None:
    client, transport = losing_client(app, sleep, "GET", "/rules")
    with client:
        assert client.rules().wheels.american.pockets
    assert len(transport.matching) == 2


def test_503_with_retry_after_then_success(sleep: SleepSpy) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return problem(503, "the store stayed busy", "busy", **{"Retry-After": "2"})
        return httpx.Response(200, json=SPUN)

    with mock_client(handler, sleep) as client:
        assert client.house_spin().pocket == 17
    assert len(calls) == 2
    assert sleep.pauses == [2.0]


def test_busy_spin_is_retried_because_nothing_happened(sleep: SleepSpy) -> None:
    calls: list[httpx.Request] = []
    spun = {
        "spin": 1,
        "result": {
            "number": "0",
            "color": "green",
            "even": False,
            "high": None,
            "twelve": None,
            "column": None,
        },
        "settled": [{"confirmation": 1, "outcome": -10}],
        "balance": 990,
    }

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return problem(503, "the store stayed busy", "busy", **{"Retry-After": "1"})
        return httpx.Response(201, json=spun)

    with mock_client(handler, sleep) as client:
        outcome = client.spin("s")
    assert outcome.result.pocket == "0"
    assert outcome.settled == (Settlement(1, -10),)
    assert len(calls) == 2
    assert sleep.pauses == [1.0]


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_failure_on_a_spin_is_not_retried(sleep: SleepSpy, status: int) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, text="<html>bad gateway</html>")

    with mock_client(handler, sleep) as client, pytest.raises(OutcomeUnknown) as caught:
        client.spin("s")
    assert caught.value.status == status
    assert len(calls) == 1


def test_persistent_503_gives_up_after_the_retries(sleep: SleepSpy) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return problem(503, "the store stayed busy", "busy")

    with (
        mock_client(handler, sleep, retries=3, backoff=0.5) as client,
        pytest.raises(ServiceUnavailable) as caught,
    ):
        client.session("s")
    error = caught.value
    assert (error.attempts, error.status) == (4, 503)
    assert "the store stayed busy" in str(error)
    assert len(calls) == 4
    assert sleep.pauses == [0.5, 1.0, 2.0]  # no Retry-After: exponential backoff


@pytest.mark.parametrize(
    ("retry_after", "pause"),
    [
        ("3600", MAX_DELAY),
        ("0", 0.0),
        ("soon", 0.2),
        ("in an hour", 5.0),  # an HTTP date, made when the test runs (ids must not vary)
    ],
)
def test_retry_after_is_capped(sleep: SleepSpy, retry_after: str, pause: float) -> None:
    if retry_after == "in an hour":
        retry_after = email.utils.format_datetime(
            datetime.now(UTC) + timedelta(hours=1), usegmt=True
        )
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(503, headers={"Retry-After": retry_after})
        return httpx.Response(200, json=SPUN)

    with mock_client(handler, sleep) as client:
        client.house_spin()
    assert sleep.pauses == [pause]


def closed_port() -> int:
    """A loopback port nothing listens on: bound by the OS, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("call", [RouletteClient.rules, lambda c: c.spin("s")])
def test_connection_refused(sleep: SleepSpy, call: Callable[[RouletteClient], object]) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    with (
        RouletteClient(base, timeout=2.0, sleep=sleep) as client,
        pytest.raises(ServiceUnavailable) as caught,
    ):
        call(client)
    assert time.monotonic() - started < 2.0
    error = caught.value
    assert type(error) is ServiceUnavailable  # never sent, so the outcome is known: nothing
    assert error.attempts == 3
    assert sleep.pauses == [0.2, 0.4]  # every attempt was made, with backoff between
    assert base in str(error)
    assert "parlor serve" in str(error)


def test_timeout_on_a_get_is_retried_then_reported(sleep: SleepSpy) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with (
        mock_client(handler, sleep, retries=1, timeout=0.5) as client,
        pytest.raises(ServiceUnavailable) as caught,
    ):
        client.rules()
    assert caught.value.attempts == 2
    assert "within 0.5 s" in str(caught.value)


# -- the wrong server ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(200, text="hello, world"), "text/plain"),
        (httpx.Response(200, headers={"Content-Type": "application/json"}, text="{"), "valid"),
        (httpx.Response(200, json={"ok": True}), "missing required field `session`"),
        (httpx.Response(200, json={"session": 7}), "Expected `str`, got `int` - at `$.session`"),
        (httpx.Response(404, text="<h1>Not Found</h1>"), "404 Not Found"),
        (httpx.Response(200, json=[1, 2]), "Expected `object`, got `array`"),
        (httpx.Response(400, json={"error": "nope"}), "not a problem document"),
        (httpx.Response(500, json=[1, 2]), "not a problem document"),
        (httpx.Response(301, headers={"Location": "https://x/"}), "https://x/"),
    ],
)
def test_protocol_mismatch(sleep: SleepSpy, response: httpx.Response, says: str) -> None:
    with (
        mock_client(lambda request: response, sleep) as client,
        pytest.raises(ProtocolMismatch) as caught,
    ):
        client.session("s")
    assert says in str(caught.value)
    assert isinstance(caught.value, ClientError)


@pytest.mark.parametrize(
    "base_url", ["ftp://example.com", "parlor.test", "http://", "http://x/?q=1", "http://[::1"]
)
def test_bad_base_url(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        RouletteClient(base_url)


@pytest.mark.parametrize(
    "options", [{"timeout": 0}, {"retries": -1}, {"backoff": -1.0}, {"backoff": float("nan")}]
)
def test_bad_options(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        RouletteClient(BASE, **options)


def test_base_url_path_prefix_is_kept(sleep: SleepSpy) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=SPUN)

    with RouletteClient(
        "http://proxy.test/parlor/", transport=httpx.MockTransport(handler), sleep=sleep
    ) as client:
        client.house_spin()
        assert client.base_url == "http://proxy.test/parlor"
    assert seen == ["/parlor/json/"]


# -- over real TCP -------------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The access log pipe already reports requests; wsgiref's own lines are noise."""


@pytest.fixture
def live_url(app: WSGIApp) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_live_loopback(live_url: str) -> None:
    with RouletteClient(live_url, timeout=5.0) as client:
        sid = client.open_session("live", bankroll=100).id
        receipt = client.place_bet(sid, "straight", 10, ["0"])
        assert receipt.balance == 90
        outcome = client.spin(sid)
        assert [s.confirmation for s in outcome.settled] == [1]
        assert isinstance(client.bet(sid, 1), Bet)
        assert client.end_session(sid).ended
        assert client.verification(sid).ok
        with pytest.raises(NotFound):
            client.session("nobody")


def test_a_spin_by_number_is_drawn_once(client: RouletteClient, session_id: str) -> None:
    assert client.spin(session_id, number=1).spin == 1
    with pytest.raises(Conflict) as caught:
        client.spin(session_id, number=1)  # sent again, as after a lost answer
    assert caught.value.code == "spin_out_of_turn"
    assert client.session(session_id).spin_count == 1
    assert client.spin(session_id, number=2).spin == 2
