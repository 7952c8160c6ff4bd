"""The accounts API in-process, through real HTTP clients (httpx) and the service's pipes.

Each test drives ``create_app`` — authentication, authorization, caching and
errors in front of the routes — over ``httpx.WSGITransport``, so Basic and
Digest are answered by httpx's own ``BasicAuth`` and ``DigestAuth``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from parlor import passwords
from parlor.client import Bearer, Conflict, InvalidInput, RouletteClient, Unauthorized
from parlor.house.accounts import AccountsHouse
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app
from parlor.store.db import Database

BASE = "http://service.test"
PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(house: RouletteHouse) -> AccountsHouse:
    return AccountsHouse(house.db, hasher=passwords.new_hasher(fast=True))


@pytest.fixture
def http(house: RouletteHouse, accounts: AccountsHouse, db: Database) -> Iterator[httpx.Client]:
    app = create_app(house, accounts=accounts)
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE) as client:
        yield client
    report = check_ledger(db)
    assert report.ok, report.problems


@pytest.fixture
def sdk(http: httpx.Client, house: RouletteHouse, accounts: AccountsHouse) -> RouletteClient:
    transport = http._transport  # the same app, through the SDK
    return RouletteClient(BASE, transport=transport, sleep=lambda _: None)


def register(
    http: httpx.Client, username: str = "alice", password: str = PASSWORD
) -> httpx.Response:
    return http.post("/api/v1/accounts", json={"username": username, "password": password})


def test_registering_answers_the_account_and_where_it_lives(http: httpx.Client) -> None:
    response = register(http, "Alice")
    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/accounts/me"
    body = response.json()
    assert (body["username"], body["balance"], body["in_play"], body["open_sessions"]) == (
        "Alice", 1000, 0, []
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"username": "ALICE", "password": PASSWORD}, 409, "username_taken", "username"),
        ({"username": "bob", "password": "short"}, 422, "invalid_request", "password"),
        ({"username": "bob", "password": "password123"}, 422, "invalid_request", "password"),
        ({"username": "p\u0430ypal", "password": PASSWORD}, 422, "invalid_request", "username"),
        ({"username": "\u3164\u3164", "password": PASSWORD}, 422, "invalid_request", "username"),
        ({"username": "bob"}, 422, "invalid_request", "password"),
        ({"username": "bob", "password": PASSWORD, "admin": True}, 422, "invalid_request", None),
        ({"username": 7, "password": PASSWORD}, 422, "invalid_request", "username"),
    ],
)
def test_refused_registrations_say_why_and_change_nothing(
    http: httpx.Client, accounts: AccountsHouse, body: object, status: int, code: str,
    field: str | None,
) -> None:  # fmt: skip
    register(http)
    response = http.post("/api/v1/accounts", json=body)
    assert response.status_code == status
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code
    if field is not None:
        assert problem.get("field") == field
    assert [a.username for a in accounts.accounts()] == ["alice"]


def test_a_malformed_body_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/accounts", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_the_account_needs_credentials_and_offers_each_challenge(http: httpx.Client) -> None:
    register(http)
    response = http.get("/api/v1/accounts/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    challenges = response.headers.get_list("www-authenticate")
    assert [c.split(",")[0] for c in challenges][:1] == ['Digest realm="parlor"']
    assert "algorithm=SHA-256" in challenges[0]
    assert "algorithm=MD5" in challenges[1]
    assert challenges[2].startswith("Basic")


@pytest.mark.parametrize(
    "auth",
    [
        httpx.BasicAuth("alice", PASSWORD),
        httpx.BasicAuth("ALICE", PASSWORD),  # Basic takes the name in any case
        httpx.DigestAuth("alice", PASSWORD),  # SHA-256: the first challenge
    ],
)
def test_basic_and_digest_read_the_balance(http: httpx.Client, auth: httpx.Auth) -> None:
    register(http)
    response = http.get("/api/v1/accounts/me", auth=auth)
    assert response.status_code == 200, response.text
    assert response.json()["balance"] == 1000


@pytest.mark.parametrize(
    "auth",
    [
        httpx.BasicAuth("alice", "not the password"),
        httpx.BasicAuth("nobody", PASSWORD),
        httpx.DigestAuth("alice", "not the password"),
        Bearer("made-up-token"),
    ],
)
def test_refused_credentials_are_401_even_where_anyone_may_go(
    http: httpx.Client, auth: httpx.Auth, house: RouletteHouse
) -> None:
    register(http)
    assert http.get("/api/v1/accounts/me", auth=auth).status_code == 401
    # A client that meant to play as an account is never served as a stranger.
    response = http.post("/api/v1/sessions", json={"name": "x"}, auth=auth)
    assert response.status_code == 401
    assert house.session_versions([]) == {}


def test_a_signed_in_session_is_funded_from_the_account_and_pays_back(
    sdk: RouletteClient,
) -> None:
    sdk.register("carol", PASSWORD)
    auth = httpx.DigestAuth("carol", PASSWORD)
    # Digest answers a challenge, and opening a session is open to anyone, so nothing
    # there challenges: a client reads its account first (which does), and httpx
    # then signs every later request with that nonce.
    assert sdk.account(auth=auth).balance == 1000
    session = sdk.open_session("carol", bankroll=400, auth=auth)
    assert session.from_account
    account = sdk.account(auth=auth)
    assert (account.balance, account.in_play, account.open_sessions) == (600, 400, (session.id,))
    sdk.place_bet(session.id, "red", 50)
    sdk.spin(session.id)
    ended = sdk.end_session(session.id)
    assert ended.balance == 0
    assert ended.cashed_out is not None
    assert sdk.account(auth=auth).balance == 600 + ended.cashed_out
    with pytest.raises(Conflict) as short:
        sdk.open_session("carol", bankroll=5000, auth=auth)
    assert short.value.code == "account_short"


def test_tokens_stand_in_for_the_password_until_revoked(sdk: RouletteClient) -> None:
    sdk.register("dave", PASSWORD)
    token = sdk.new_token(auth=httpx.BasicAuth("dave", PASSWORD)).token
    bearer = Bearer(token)
    assert sdk.account(auth=bearer).username == "dave"
    with pytest.raises(Conflict) as not_a_token:
        sdk.revoke_token(auth=httpx.BasicAuth("dave", PASSWORD))
    assert not_a_token.value.code == "not_a_token"
    sdk.revoke_token(auth=bearer)
    with pytest.raises(Unauthorized):
        sdk.account(auth=bearer)


def test_changing_the_password_needs_the_current_one_and_ends_tokens(
    sdk: RouletteClient,
) -> None:
    sdk.register("erin", PASSWORD)
    old = httpx.BasicAuth("erin", PASSWORD)
    bearer = Bearer(sdk.new_token(auth=old).token)
    with pytest.raises(Conflict) as wrong:
        sdk.change_password("not it at all", "a new long passphrase", auth=old)
    assert wrong.value.code == "wrong_password"
    with pytest.raises(InvalidInput):
        sdk.change_password(PASSWORD, "short", auth=old)
    sdk.change_password(PASSWORD, "a new long passphrase", auth=old)
    with pytest.raises(Unauthorized):
        sdk.account(auth=old)
    with pytest.raises(Unauthorized):
        sdk.account(auth=bearer)
    assert sdk.account(auth=httpx.DigestAuth("erin", "a new long passphrase")).username == "erin"


def test_failed_logins_are_throttled_with_retry_after(http: httpx.Client) -> None:
    register(http)
    wrong = httpx.BasicAuth("alice", "not the password")
    statuses = [http.get("/api/v1/accounts/me", auth=wrong).status_code for _ in range(8)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    throttled = http.get("/api/v1/accounts/me", auth=httpx.BasicAuth("alice", PASSWORD))
    assert throttled.status_code == 429  # the right password waits too: nothing is learnt
    assert int(throttled.headers["retry-after"]) > 0


@pytest.mark.parametrize("path", ["/api/v1/rules", "/api/v1/openapi.json"])
def test_the_rules_and_the_document_come_from_the_cache_with_304s(
    http: httpx.Client, path: str
) -> None:
    first = http.get(path)
    assert first.status_code == 200
    assert "max-age" in first.headers["cache-control"]
    etag = first.headers["etag"]
    again = http.get(path)
    assert int(again.headers["age"]) >= 0  # served from the store
    assert again.content == first.content
    assert http.get(path, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    ("host", "configured", "expected"),
    [
        ("127.0.0.1", "127.0.0.1,::1", {"127.0.0.1", "::1"}),
        ("0.0.0.0", "127.0.0.1,::1", {"127.0.0.1", "::1"}),
        ("192.0.2.2", "127.0.0.1,::1", {"127.0.0.1", "::1", "192.0.2.2"}),
        ("192.0.2.2", "", {"192.0.2.2"}),
    ],
)
def test_the_services_own_address_is_a_login_front_end(
    host: str, configured: str, expected: set[str]
) -> None:
    """With --host 192.0.2.2 the web app reaches the service at that address: its logins
    must not share one per-address count, or one person's typos lock every web user out."""
    from parlor.service.app import login_front_ends
    from parlor.settings import Settings

    assert login_front_ends(Settings(host=host, login_front_ends=configured)) == expected


def test_a_wrong_current_password_counts_as_a_failed_login(sdk: RouletteClient) -> None:
    """A stolen token must not make the password change an oracle for the password."""
    from parlor.client import TooManyAttempts

    sdk.register("kim", PASSWORD)
    bearer = Bearer(sdk.new_token(auth=httpx.BasicAuth("kim", PASSWORD)).token)
    for n in range(5):
        with pytest.raises(Conflict):
            sdk.change_password(f"guess number {n}", "a new long passphrase", auth=bearer)
    with pytest.raises(TooManyAttempts) as throttled:
        sdk.change_password(PASSWORD, "a new long passphrase", auth=bearer)
    assert throttled.value.retry_after is not None


def test_accounts_opened_from_one_address_are_throttled(http: httpx.Client) -> None:
    """Each account brings the house's chips: a flood of them is not free."""
    transport = httpx.WSGITransport(app=http._transport.app, remote_addr="203.0.113.7")  # type: ignore[attr-defined]
    with httpx.Client(transport=transport, base_url=BASE) as stranger:
        statuses = [
            stranger.post(
                "/api/v1/accounts", json={"username": f"flood{n}", "password": PASSWORD}
            ).status_code
            for n in range(7)
        ]
        last = stranger.post("/api/v1/accounts", json={"username": "late", "password": PASSWORD})
    assert statuses[:5] == [201] * 5
    assert statuses[5] == 429
    assert last.json()["code"] == "too_many_accounts"
    assert int(last.headers["retry-after"]) > 0


def test_a_chess_seat_token_is_no_refused_credential(http: httpx.Client) -> None:
    """A seat's Bearer token belongs to the chess routes: elsewhere it is simply no account."""
    signed = {"Authorization": "Bearer chess_0123456789abcdef"}
    assert http.post("/api/v1/sessions", json={"name": "x"}, headers=signed).status_code == 201
    assert http.get("/api/v1/accounts/me", headers=signed).status_code == 401
    made_up = {"Authorization": "Bearer 0123456789abcdef"}
    assert http.post("/api/v1/sessions", json={"name": "x"}, headers=made_up).status_code == 401
