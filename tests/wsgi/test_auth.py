"""The authentication pipe, in-process under wsgiref's PEP 3333 validator; and the throttle."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor import passwords
from parlor.wsgi import digest
from parlor.wsgi.auth import (
    AUTH_FAILURE,
    CHALLENGES,
    USER,
    Authenticate,
    Failure,
    Identity,
    StoredCredentials,
    parse_basic,
    render_basic,
)
from parlor.wsgi.throttle import Throttle, wait_words
from parlor.wsgi.types import StartResponse, WSGIEnvironment

REALM = "parlor"
SECRET = b"a test secret of thirty-two byte"
NOW = 1_000_000.0
JASON = "J\u00e4s\u00f8n Doe"  # RFC 7616 §3.9.2's name: not ASCII
USERS = {
    "Mufasa": "Circle of Life",
    JASON: "Secret, or not?",
    "colon": "pass:word",
    "Nala": "caf\u00e9\u00a0au lait",  # as RFC 8265 prepares it: NFC, and U+00A0 is a space
}


class CountingHasher(PasswordHasher):
    """argon2id at its cheapest, for tests, counting the verifications it does."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifies = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifies += 1
        return super().verify(hash, password)


class Accounts:
    """An in-memory :class:`~parlor.wsgi.auth.Credentials`: names match case-insensitively."""

    def __init__(self, hasher: PasswordHasher, users: Mapping[str, str], realm: str = REALM):
        self._by_name: dict[str, StoredCredentials] = {}
        self._by_hash: dict[tuple[str, str], StoredCredentials] = {}
        algorithms = [name for name in digest.ALGORITHMS if not name.endswith("-sess")]
        for account_id, (name, password) in enumerate(users.items(), start=1):
            stored = StoredCredentials(
                account_id=account_id,
                username=name,
                password_hash=hasher.hash(passwords.normalized(password)),
                digest_ha1={a: digest.ha1(a, name, realm, password) for a in algorithms},
            )
            self.add(stored)
            for algorithm in algorithms:
                self._by_hash[digest.userhash(algorithm, name, realm), algorithm] = stored

    def add(self, stored: StoredCredentials) -> None:
        self._by_name[stored.username.casefold()] = stored

    def lookup(self, username: str) -> StoredCredentials | None:
        return self._by_name.get(username.casefold())

    def lookup_userhash(self, userhash: str, algorithm: str) -> StoredCredentials | None:
        return self._by_hash.get((userhash.lower(), algorithm))


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Seen:
    """What the app behind the pipe found in its environ."""

    user: Identity | None
    failure: Failure | None
    challenges: list[tuple[str, str]]


@dataclasses.dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    seen: Seen | None  # None: the app was not called

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def wire(text: str) -> str:
    """A header as PEP 3333 hands it over: its UTF-8 bytes, each as one latin-1 character."""
    return text.encode("utf-8").decode("latin-1")


class Rig:
    """The pipe around a recording app, both under the validator, with a settable clock."""

    def __init__(
        self,
        *,
        throttle: Throttle | None = None,
        bearer: Callable[[str], Identity | None] | None = None,
        counts: digest.NonceCounts | None = None,
        front_ends: tuple[str, ...] = (),
    ) -> None:
        self.clock = Clock()
        self.hasher = CountingHasher()
        self.accounts = Accounts(self.hasher, USERS)
        self.pipe = validator(
            Authenticate(
                validator(self._app),
                realm=REALM,
                credentials=self.accounts,
                secret=SECRET,
                clock=self.clock,
                throttle=throttle,
                counts=counts,
                bearer=bearer,
                hasher=self.hasher,
                front_ends=front_ends,
            )
        )
        self._seen: Seen | None = None

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self._seen = Seen(environ[USER], environ[AUTH_FAILURE], environ[CHALLENGES]())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def request(
        self,
        authorization: str | None = None,
        *,
        path: str = "/dir/index.html",
        query: str = "",
        script_name: str = "",
        remote: str = "192.0.2.1",
        **extra: str,
    ) -> Answer:
        environ: WSGIEnvironment = {
            "PATH_INFO": path,
            "SCRIPT_NAME": script_name,
            "QUERY_STRING": query,
            "REMOTE_ADDR": remote,
            **extra,
        }
        if authorization is not None:
            environ["HTTP_AUTHORIZATION"] = authorization
        setup_testing_defaults(environ)
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
        ) -> Callable[[bytes], object]:
            started.append((status, headers))
            return lambda data: None

        self._seen = None
        result = self.pipe(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        status, headers = started[0]
        return Answer(status, headers, body, self._seen)

    def failure(self, authorization: str | None = None, **environ: str) -> Failure | None:
        seen = self.request(authorization, **environ).seen
        assert seen is not None
        assert (seen.user is None) != (seen.failure is None)
        return seen.failure

    def user(self, authorization: str | None = None, **environ: str) -> Identity | None:
        seen = self.request(authorization, **environ).seen
        assert seen is not None
        return seen.user


def digest_header(
    *,
    username: str = "Mufasa",
    password: str = "Circle of Life",
    algorithm: str = "SHA-256",
    userhash: bool = False,
    issued: float = NOW,
    nc: int = 1,
    uri: str = "/dir/index.html",
    method: str = "GET",
    changes: Mapping[str, Any] | None = None,
) -> str:
    """A Digest answer to a challenge of this pipe's, with ``changes`` made after computing.

    The nonce is the pipe's own, issued at ``issued``, and the same for the same ``issued``.
    """
    challenge = digest.DigestChallenge(
        realm=REALM,
        nonce=digest.make_nonce(SECRET, issued, random=bytes(16)),
        algorithm=algorithm,
        userhash=userhash,
    )
    answer = digest.answer_challenge(
        challenge, username=username, password=password, method=method, uri=uri, nc=nc
    )
    return wire(digest.render_authorization(dataclasses.replace(answer, **(changes or {}))))


def basic(username: str, password: str) -> str:
    return wire(render_basic(username, password))


def b64(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


# --- identifying ---------------------------------------------------------------------------


def test_without_credentials_there_is_no_user_and_every_challenge_is_offered() -> None:
    answer = Rig().request()
    assert answer.status == "200 OK"  # deciding to answer 401 is not this pipe's job
    assert answer.seen is not None
    assert (answer.seen.user, answer.seen.failure) == (None, Failure.MISSING)
    names = [name for name, _ in answer.seen.challenges]
    assert names == ["WWW-Authenticate"] * 3
    sha256, md5, basic_challenge = (value for _, value in answer.seen.challenges)
    for value, algorithm in ((sha256, "SHA-256"), (md5, "MD5")):
        challenge = digest.parse_challenge(value)
        assert (challenge.realm, challenge.algorithm, challenge.qop) == (
            REALM,
            algorithm,
            ("auth",),
        )
        assert (challenge.userhash, challenge.stale) == (True, False)
        assert challenge.opaque
        assert digest.check_nonce(challenge.nonce, SECRET, NOW, 300.0) is digest.NonceState.FRESH
    assert basic_challenge == 'Basic realm="parlor", charset="UTF-8"'


@pytest.mark.parametrize(
    ("authorization", "username"),
    [
        (basic("Mufasa", "Circle of Life"), "Mufasa"),
        (basic("mufasa", "Circle of Life"), "Mufasa"),  # the store's canonical spelling
        (basic(JASON, "Secret, or not?"), JASON),
        (basic("colon", "pass:word"), "colon"),  # RFC 7617: split at the first colon
        (basic("Nala", "cafe\u0301 au lait"), "Nala"),  # the same password, in NFD
        (basic("Mufasa", "Circle of Life").replace("Basic ", "bAsIc  "), "Mufasa"),
    ],
)
def test_basic_identifies_the_account(authorization: str, username: str) -> None:
    user = Rig().user(authorization)
    assert user is not None
    assert (user.username, user.scheme) == (username, "basic")


def test_basic_wrong_password_and_unknown_user_cost_the_same_hashing() -> None:
    rig = Rig()
    assert rig.failure(basic("Mufasa", "circle of life")) is Failure.WRONG_PASSWORD
    assert rig.failure(basic("Scar", "Circle of Life")) is Failure.UNKNOWN_USER
    assert rig.hasher.verifies == 2


def test_a_stored_hash_that_is_not_argon2_is_a_wrong_password_not_an_error() -> None:
    rig = Rig()
    rig.accounts.add(StoredCredentials(9, "broken", "$not$a$hash"))
    assert rig.failure(basic("broken", "anything")) is Failure.WRONG_PASSWORD


@pytest.mark.parametrize("algorithm", ["SHA-256", "MD5"])
@pytest.mark.parametrize("userhash", [False, True])
@pytest.mark.parametrize("username", ["Mufasa", JASON])
def test_digest_identifies_the_account(algorithm: str, userhash: bool, username: str) -> None:
    password = USERS[username]
    header = digest_header(
        username=username, password=password, algorithm=algorithm, userhash=userhash
    )
    assert Rig().user(header) == Identity(list(USERS).index(username) + 1, username, "digest")


def test_digest_counts_must_rise() -> None:
    rig = Rig()
    assert rig.user(digest_header(nc=1)) is not None
    assert rig.user(digest_header(nc=2)) is not None
    assert rig.failure(digest_header(nc=2)) is Failure.REPLAYED_NONCE
    assert rig.failure(digest_header(nc=1)) is Failure.REPLAYED_NONCE


def test_digest_uri_is_the_request_target_however_it_was_encoded() -> None:
    rig = Rig()
    uri = "/mount/a%20b/%C3%A9?x=1&y=%20"
    path = "/a b/\u00e9".encode().decode("latin-1")  # PATH_INFO as PEP 3333 has it
    header = digest_header(uri=uri)
    assert rig.user(header, script_name="/mount", path=path, query="x=1&y=%20") is not None
    header = digest_header(uri="/%64ir/index.html", nc=2)  # "%64" is "d"
    assert rig.user(header) is not None
    header = digest_header(uri="/raw target", nc=3)
    assert rig.user(header, path="/elsewhere", REQUEST_URI="/raw target") is not None
    assert rig.failure(digest_header(uri=uri), path="/a b/", query="x=1") is Failure.WRONG_URI
    assert rig.failure(digest_header(uri="http://example.org/")) is Failure.WRONG_URI


def test_a_stale_nonce_with_the_right_password_asks_for_a_retry_with_stale_true() -> None:
    rig = Rig()
    seen = rig.request(digest_header(issued=NOW - 301.0)).seen
    assert seen is not None
    assert (seen.user, seen.failure) == (None, Failure.STALE_NONCE)
    challenges = [value for _, value in seen.challenges]
    assert [digest.parse_challenge(v).stale for v in challenges[:2]] == [True, True]
    assert "stale" not in challenges[2]
    # RFC 7616 §3.3: stale only when the client knows the password.
    stale_and_wrong = digest_header(issued=NOW - 301.0, password="wrong")
    assert rig.failure(stale_and_wrong) is Failure.WRONG_PASSWORD


def test_digest_accounts_without_a_stored_ha1_cannot_use_digest() -> None:
    rig = Rig()
    rig.accounts.add(StoredCredentials(9, "basic-only", rig.hasher.hash("pw")))
    header = digest_header(username="basic-only", password="pw")
    assert rig.failure(header) is Failure.UNSUPPORTED


def test_a_userhash_the_store_mismatched_is_not_trusted() -> None:
    rig = Rig()
    mufasa = rig.accounts.lookup("Mufasa")
    rig.accounts.lookup_userhash = lambda userhash, algorithm: mufasa  # type: ignore[method-assign]
    assert rig.failure(digest_header(username="Scar", userhash=True)) is Failure.UNKNOWN_USER


def _digest_with(**changes: Any) -> Callable[[], str]:
    return lambda: digest_header(changes=changes)


_HUGE = "Basic " + base64.b64encode(b"Mufasa:" + b"x" * 4000).decode()
_GOOD_DIGEST = digest_header()


@pytest.mark.parametrize(
    ("make", "failure"),
    [
        pytest.param(lambda: "", Failure.MALFORMED, id="empty"),
        pytest.param(lambda: "   ", Failure.MALFORMED, id="blank"),
        pytest.param(lambda: "Basic", Failure.MALFORMED, id="basic alone"),
        pytest.param(lambda: "Basic !!!", Failure.MALFORMED, id="basic not base64"),
        pytest.param(lambda: "Basic dXNlcjpwYXNz=", Failure.MALFORMED, id="bad padding"),
        pytest.param(lambda: "Basic YTp=", Failure.MALFORMED, id="stray bits"),  # "YTo=" is "a:"
        pytest.param(lambda: "Basic dXNl cjpw", Failure.MALFORMED, id="basic two tokens"),
        pytest.param(lambda: b64(b"no colon"), Failure.MALFORMED, id="no colon"),
        pytest.param(lambda: b64(b"\xff\xfe:pw"), Failure.MALFORMED, id="not utf-8"),
        pytest.param(lambda: b64(b"Mu\x00fasa:pw"), Failure.MALFORMED, id="nul in name"),
        pytest.param(lambda: b64(b"Mufasa:pw\x7f"), Failure.MALFORMED, id="del in password"),
        pytest.param(lambda: b64("Mufasa:\u0085".encode()), Failure.MALFORMED, id="c1 control"),
        pytest.param(lambda: _HUGE, Failure.MALFORMED, id="huge header"),
        pytest.param(lambda: "Basic \u20ac", Failure.MALFORMED, id="not latin-1 (a bad server)"),
        pytest.param(lambda: "Digest", Failure.MALFORMED, id="digest alone"),
        pytest.param(lambda: "Digest username=", Failure.MALFORMED, id="digest no value"),
        pytest.param(lambda: "Digest ,,=,,", Failure.MALFORMED, id="digest garbage"),
        pytest.param(lambda: "Digest " + "a" * 5000, Failure.MALFORMED, id="digest huge"),
        pytest.param(
            lambda: "Digest a" + " " * 60_000 + "b", Failure.MALFORMED, id="digest huge, spaces"
        ),
        pytest.param(lambda: 'Digest username="\xff"', Failure.MALFORMED, id="digest not utf-8"),
        pytest.param(
            lambda: _GOOD_DIGEST + ', realm="parlor"', Failure.MALFORMED, id="duplicated realm"
        ),
        pytest.param(
            lambda: _GOOD_DIGEST.replace("nonce=", "n0nce="), Failure.MALFORMED, id="no nonce"
        ),
        pytest.param(
            lambda: _GOOD_DIGEST.replace("nc=00000001", "nc=1"), Failure.MALFORMED, id="bad nc"
        ),
        pytest.param(_digest_with(algorithm="SHA-1"), Failure.UNSUPPORTED, id="unknown algorithm"),
        pytest.param(
            _digest_with(algorithm="SHA-512-256"), Failure.UNSUPPORTED, id="algorithm not offered"
        ),
        pytest.param(_digest_with(qop="auth-int"), Failure.UNSUPPORTED, id="qop=auth-int"),
        pytest.param(
            _digest_with(qop=None, nc=None, cnonce=None), Failure.UNSUPPORTED, id="rfc 2069"
        ),
        pytest.param(_digest_with(realm="other"), Failure.WRONG_REALM, id="wrong realm"),
        pytest.param(_digest_with(uri="/dir/other.html"), Failure.WRONG_URI, id="wrong uri"),
        pytest.param(
            _digest_with(nonce=digest.make_nonce(b"not our secret, not our nonce", NOW)),
            Failure.INVALID_NONCE,
            id="forged nonce",
        ),
        pytest.param(_digest_with(nonce="garbage"), Failure.INVALID_NONCE, id="garbage nonce"),
        pytest.param(_digest_with(response="0" * 64), Failure.WRONG_PASSWORD, id="wrong response"),
        pytest.param(
            lambda: digest_header(password="wrong"), Failure.WRONG_PASSWORD, id="wrong password"
        ),
        pytest.param(lambda: digest_header(username="Scar"), Failure.UNKNOWN_USER, id="no user"),
        pytest.param(
            lambda: digest_header(username="Scar", userhash=True),
            Failure.UNKNOWN_USER,
            id="no userhash",
        ),
        pytest.param(_digest_with(nc=0), Failure.MALFORMED, id="nc=0"),
        pytest.param(lambda: "Negotiate abc", Failure.UNSUPPORTED, id="unknown scheme"),
        pytest.param(lambda: "Bearer abc", Failure.UNSUPPORTED, id="bearer not configured"),
    ],
)
def test_bad_credentials_are_no_user_with_a_reason(
    make: Callable[[], str], failure: Failure
) -> None:
    rig = Rig()
    answer = rig.request(make())
    assert answer.status == "200 OK"
    assert answer.seen is not None
    assert (answer.seen.user, answer.seen.failure) == (None, failure)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(max_size=200).map(lambda t: "Digest " + t),
        st.binary(max_size=60).map(b64),
        st.binary(max_size=200).map(lambda b: "Digest " + b.decode("latin-1")),
    )
)
def test_no_header_makes_the_pipe_raise(authorization: str) -> None:
    answer = Rig(throttle=Throttle(clock=Clock(), burst=10**6)).request(authorization)
    assert answer.status == "200 OK"
    assert answer.seen is not None
    assert (answer.seen.user is None) != (answer.seen.failure is None)


def test_bearer_tokens_go_to_the_callback_and_are_not_throttled() -> None:
    tokens = {"tok3n-_.~+/=": Identity(7, "Rafiki", "bearer")}
    rig = Rig(bearer=tokens.get)
    assert rig.user("Bearer tok3n-_.~+/=") == Identity(7, "Rafiki", "bearer")
    for _ in range(20):
        assert rig.failure("Bearer wrong") is Failure.UNKNOWN_TOKEN
    assert rig.failure("Bearer") is Failure.MALFORMED
    assert rig.failure("Bearer a b") is Failure.MALFORMED
    assert rig.user(basic("Mufasa", "Circle of Life")) is not None


def nothing(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("204 No Content", [])
    return []


def test_the_pipe_refuses_a_weak_secret_and_unknown_algorithms() -> None:
    accounts = Accounts(PasswordHasher(), {})
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Authenticate(nothing, realm=REALM, credentials=accounts, secret=b"short")
    with pytest.raises(ValueError, match="not available here"):
        Authenticate(
            nothing, realm=REALM, credentials=accounts, secret=SECRET, algorithms=["SHA-1"]
        )


def test_basic_parse_and_render_are_inverse() -> None:
    token = render_basic(JASON, "a:b").removeprefix("Basic ")
    assert parse_basic(token) == (JASON, "a:b")


# --- throttling ----------------------------------------------------------------------------


def _is_429(answer: Answer, retry_after: str) -> None:
    assert answer.status == "429 Too Many Requests"
    assert answer.seen is None  # the app was not called
    assert answer.header("Retry-After") == retry_after
    assert answer.header("Content-Type") == "application/problem+json"
    problem = json.loads(answer.body)
    assert problem["type"] == "about:blank"
    assert (problem["title"], problem["status"]) == ("Too Many Requests", 429)
    assert f"try again in {wait_words(float(retry_after))}." in problem["detail"]
    assert problem["code"] == "login_throttled"


def test_an_account_is_throttled_after_the_burst_whatever_the_address() -> None:
    rig = Rig()
    for n in range(5):
        assert rig.failure(basic("Mufasa", "guess"), remote=f"198.51.100.{n}") is not None
    verifies = rig.hasher.verifies
    # Even the right password waits now, and is not tried: nothing is learnt, no hashing spent.
    _is_429(rig.request(basic("MUFASA", "Circle of Life"), remote="203.0.113.9"), "1")
    _is_429(rig.request(digest_header(), remote="203.0.113.9"), "1")
    assert rig.hasher.verifies == verifies
    rig.clock.now += 1.0
    assert rig.user(basic("Mufasa", "Circle of Life"), remote="203.0.113.9") is not None


def test_an_address_is_throttled_after_the_burst_whatever_the_account() -> None:
    rig = Rig()
    for name in ("Scar", "Nala", "Simba", "Zazu"):
        rig.request(basic(name, "guess"))
    rig.request(digest_header(password="guess"))
    _is_429(rig.request(basic("Mufasa", "Circle of Life")), "1")
    assert rig.user(basic("Mufasa", "Circle of Life"), remote="203.0.113.9") is not None


def test_a_front_end_is_throttled_per_account_only() -> None:
    """The web app logs many people in from one address and throttles each browser itself:
    a burst of one person's failures there must not lock the others out."""
    rig = Rig(front_ends=("127.0.0.1",))
    for name in ("Scar", "Nala", "Simba", "Zazu", "Rafiki", "Timon"):
        assert rig.failure(basic(name, "guess"), remote="127.0.0.1") is not None
    assert rig.user(basic("Mufasa", "Circle of Life"), remote="127.0.0.1") is not None
    for _ in range(5):
        rig.request(basic("Mufasa", "guess"), remote="127.0.0.1")
    _is_429(rig.request(basic("Mufasa", "Circle of Life"), remote="127.0.0.1"), "1")


def test_the_wait_doubles_and_a_success_clears_only_the_account() -> None:
    rig = Rig()
    for n in range(4):
        rig.request(basic("Mufasa", "guess"), remote=f"198.51.100.{n}")
    assert rig.user(basic("Mufasa", "Circle of Life"), remote="203.0.113.1") is not None
    for n in range(5):  # a fresh burst: the success cleared the account's four
        assert rig.failure(basic("Mufasa", "guess"), remote=f"198.51.100.{n}") is not None
    _is_429(rig.request(basic("Mufasa", "guess"), remote="203.0.113.2"), "1")
    rig.clock.now += 1.0
    assert rig.failure(basic("Mufasa", "guess"), remote="203.0.113.2") is not None
    _is_429(rig.request(basic("Mufasa", "guess"), remote="203.0.113.2"), "2")
    rig.clock.now += 0.5
    _is_429(rig.request(basic("Mufasa", "guess"), remote="203.0.113.2"), "2")  # rounded up


def test_the_throttle_and_nonce_counts_given_are_the_ones_used() -> None:
    clock = Clock()
    counts = digest.MemoryNonceCounts(clock=clock)
    throttle = Throttle(clock=clock, burst=1)
    rig = Rig(throttle=throttle, counts=counts)
    assert rig.user(digest_header()) is not None
    assert len(counts) == 1
    rig.request(basic("Mufasa", "guess"))
    _is_429(rig.request(basic("Mufasa", "Circle of Life")), "1")
    assert len(throttle) == 2


def test_the_throttle_policy() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, burst=3, delay=1.0, max_delay=8.0, forget_after=20.0)
    keys = ("account:a", "address:x")
    waits = []
    for _ in range(7):  # each attempt as soon as it is allowed, and failing
        waits.append(throttle.check(keys))
        clock.now += waits[-1]
        throttle.failed(keys)
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
    assert throttle.check(keys) == 8.0  # capped
    clock.now += 3.0
    assert throttle.check(keys) == 5.0
    assert throttle.check(["account:b"]) == 0.0
    assert throttle.check([]) == 0.0
    throttle.succeeded("account:a")
    assert throttle.check(["account:a"]) == 0.0
    assert throttle.check(["address:x"]) == 5.0
    clock.now += 20.001
    assert throttle.check(["address:x"]) == 0.0  # forgotten
    assert len(throttle) == 0


def test_the_throttle_waits_grow_exponentially_to_the_cap() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock, burst=2, delay=1.0, max_delay=900.0)
    waits = []
    for _ in range(16):
        throttle.failed(["k"])
        waits.append(throttle.check(["k"]))
    assert waits == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0] + [900.0] * 5
    for _ in range(200):  # no overflow however long it goes on
        throttle.failed(["k"])
    assert throttle.check(["k"]) == 900.0


def test_the_throttle_stays_bounded_and_checks_its_options() -> None:
    throttle = Throttle(clock=Clock(), max_keys=3)
    for n in range(10):
        throttle.failed([f"k{n}"])
    assert len(throttle) == 3
    with pytest.raises(ValueError, match="at least 1"):
        Throttle(clock=Clock(), burst=0)
    with pytest.raises(ValueError, match="max_delay <= forget_after"):
        Throttle(clock=Clock(), max_delay=7200.0)


def test_made_up_names_get_no_throttle_key_to_wash_real_ones_out() -> None:
    """A flood of unknown names must not push a real account's lockout out of memory."""
    clock = Clock()
    throttle = Throttle(clock=clock, max_keys=20)
    rig = Rig(throttle=throttle, front_ends=("127.0.0.1",))
    for _ in range(5):
        rig.request(basic("Mufasa", "guess"), remote="127.0.0.1")
    for n in range(200):
        assert rig.failure(basic(f"nobody{n}", "guess"), remote="127.0.0.1") is not None
    assert len(throttle) == 1  # Mufasa's count alone
    _is_429(rig.request(basic("Mufasa", "Circle of Life"), remote="127.0.0.1"), "1")


def test_attempts_still_being_checked_count_against_the_burst() -> None:
    """Forty guesses sent at once must not all pass the check before the first fails."""
    throttle = Throttle(clock=Clock())
    keys = ("account:mufasa",)
    with contextlib.ExitStack() as stack:
        waits = [stack.enter_context(throttle.attempt(keys)) for _ in range(8)]
    assert waits[:5] == [0.0] * 5
    assert all(wait > 0 for wait in waits[5:])
    assert throttle.check(keys) == 0.0  # none failed: nothing is held against the account


@pytest.mark.parametrize(
    ("wait", "words"),
    [(0.2, "1 second"), (1.0, "1 second"), (1.5, "2 seconds"), (119, "119 seconds"),
     (120, "2 minutes"), (900, "15 minutes")],
)  # fmt: skip
def test_waits_are_said_as_people_say_them(wait: float, words: str) -> None:
    assert wait_words(wait) == words


def test_bearer_tokens_the_app_checks_itself_are_no_credentials_here() -> None:
    """A chess seat's token is the chess routes' business: no user, and no failure either
    (a failure would be a 401 on every route, and count against nobody's throttle)."""
    rig = Rig(bearer=lambda token: None)
    pipe = Authenticate(
        validator(rig._app), realm=REALM, credentials=rig.accounts, secret=SECRET,
        bearer=lambda token: None, others=lambda token: token.startswith("chess_"),
        hasher=rig.hasher,
    )  # fmt: skip
    rig.pipe = validator(pipe)
    assert rig.failure("Bearer chess_abc123") is Failure.MISSING
    assert rig.failure("Bearer someone-elses") == Failure.UNKNOWN_TOKEN
