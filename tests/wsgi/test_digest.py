"""HTTP Digest as pure functions: RFC 7616's own examples, the header grammar, nonces, nc."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import re
import threading
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor.wsgi import digest
from parlor.wsgi.digest import (
    DigestAuthorization,
    DigestChallenge,
    DigestError,
    MemoryNonceCounts,
    NonceState,
    answer_challenge,
    check_nonce,
    expected_response,
    make_nonce,
    parse_authorization,
    parse_challenge,
    render_authorization,
    render_challenge,
)

# RFC 7616 §3.9.1, "Example with SHA-256 and MD5": the published inputs and responses. The RFC
# folds the fields over several lines for print; on the wire they are one line.
RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC_RESPONSES = {
    "MD5": "8ca523f5e9506fed4657c9700eebdbec",
    "SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
}
RFC_CHALLENGE = (
    f'Digest realm="{RFC_REALM}", qop="auth, auth-int", algorithm={{algorithm}}, '
    f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"'
)
RFC_AUTHORIZATION = (
    f'Digest username="Mufasa", realm="{RFC_REALM}", uri="/dir/index.html", '
    f'algorithm={{algorithm}}, nonce="{RFC_NONCE}", nc=00000001, cnonce="{RFC_CNONCE}", '
    f'qop=auth, response="{{response}}", opaque="{RFC_OPAQUE}"'
)

# RFC 7616 §3.9.2, "Example with SHA-512-256, Charset, and Userhash". The RFC prints a userhash
# and a response that are SHA-512 cut to 256 bits, not SHA-512/256 (which has its own initial
# values); erratum 4897 reports it, and the values below are those of the real SHA-512/256.
JASON = "J\u00e4s\u00f8n Doe"
JASON_REALM = "api@example.org"
JASON_NONCE = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"
JASON_CNONCE = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"
JASON_OPAQUE = "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"
RFC_PRINTED_USERHASH = "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"
ERRATUM_USERHASH = "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
ERRATUM_RESPONSE = "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"

needs_sha512_256 = pytest.mark.skipif(
    "SHA-512-256" not in digest.ALGORITHMS, reason="this Python's hashlib has no sha512_256"
)

SECRET = b"0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_rfc_7616_example_answers_the_published_response(algorithm: str) -> None:
    challenge = parse_challenge(RFC_CHALLENGE.format(algorithm=algorithm))
    assert challenge == DigestChallenge(
        realm=RFC_REALM,
        nonce=RFC_NONCE,
        algorithm=algorithm,
        qop=("auth", "auth-int"),
        opaque=RFC_OPAQUE,
    )
    answer = answer_challenge(
        challenge,
        username="Mufasa",
        password="Circle of Life",
        method="GET",
        uri="/dir/index.html",
        cnonce=RFC_CNONCE,
    )
    assert answer.response == RFC_RESPONSES[algorithm]
    expected = RFC_AUTHORIZATION.format(algorithm=algorithm, response=RFC_RESPONSES[algorithm])
    assert render_authorization(answer) == expected
    assert parse_authorization(expected) == answer


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_rfc_7616_example_checks_from_the_stored_ha1(algorithm: str) -> None:
    stored = digest.ha1(algorithm, "Mufasa", RFC_REALM, "Circle of Life")
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm]
    assert stored == hashlib.new(name, b"Mufasa:http-auth@example.org:Circle of Life").hexdigest()
    given = parse_authorization(
        RFC_AUTHORIZATION.format(algorithm=algorithm, response=RFC_RESPONSES[algorithm])
    )
    response = expected_response(
        stored,
        algorithm=algorithm,
        method="GET",
        uri=given.uri,
        nonce=given.nonce,
        nc=1,
        cnonce=RFC_CNONCE,
        qop="auth",
    )
    assert response == given.response


def test_a_challenge_renders_in_rfc_7616_order() -> None:
    text = RFC_CHALLENGE.format(algorithm="SHA-256")
    assert render_challenge(parse_challenge(text)) == text


@needs_sha512_256
def test_rfc_7616_userhash_example_as_corrected_by_erratum_4897() -> None:
    assert digest.userhash("SHA-512-256", JASON, JASON_REALM) == ERRATUM_USERHASH
    # What the RFC printed is SHA-512 truncated, which is why it differs:
    truncated = hashlib.sha512(f"{JASON}:{JASON_REALM}".encode()).hexdigest()[:64]
    assert truncated == RFC_PRINTED_USERHASH
    challenge = DigestChallenge(
        realm=JASON_REALM,
        nonce=JASON_NONCE,
        algorithm="SHA-512-256",
        opaque=JASON_OPAQUE,
        userhash=True,
    )
    answer = answer_challenge(
        challenge,
        username=JASON,
        password="Secret, or not?",
        method="GET",
        uri="/doe.json",
        cnonce=JASON_CNONCE,
    )
    assert (answer.username, answer.response, answer.userhash) == (
        ERRATUM_USERHASH,
        ERRATUM_RESPONSE,
        True,
    )
    assert render_authorization(answer).endswith(", userhash=true")


def test_userhash_with_sha_256_against_an_independent_computation() -> None:
    # The §3.9.2 inputs under SHA-256, recomputed here with hashlib from RFC 7616 §3.4.4.
    expected = hashlib.sha256("J\u00e4s\u00f8n Doe:api@example.org".encode()).hexdigest()
    assert digest.userhash("SHA-256", JASON, JASON_REALM) == expected


def test_a_non_ascii_name_without_userhash_goes_as_username_star() -> None:
    # RFC 7616 §3.9.2 gives this form for the same name: username*=UTF-8''J%C3%A4s%C3%B8n%20Doe
    answer = answer_challenge(
        DigestChallenge(realm=JASON_REALM, nonce=JASON_NONCE),
        username=JASON,
        password="Secret, or not?",
        method="GET",
        uri="/doe.json",
        cnonce=JASON_CNONCE,
    )
    header = render_authorization(answer)
    assert "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe," in header
    assert parse_authorization(header).username == JASON
    latin1 = header.replace("UTF-8''J%C3%A4s%C3%B8n", "iso-8859-1'en'J%E4s%F8n")
    assert parse_authorization(latin1) == answer


def test_sess_variants_hash_the_cnonce_into_ha1() -> None:
    def response(ha1: str, algorithm: str) -> str:
        return expected_response(
            ha1, algorithm=algorithm, method="GET", uri="/", nonce="n", nc=1, cnonce="c", qop="auth"
        )

    base = digest.ha1("SHA-256", "Mufasa", RFC_REALM, "Circle of Life")
    session_key = hashlib.sha256(f"{base}:n:c".encode()).hexdigest()
    assert response(base, "SHA-256-sess") == response(session_key, "SHA-256")
    assert response(base, "SHA-256-sess") != response(base, "SHA-256")


def test_parsing_is_lenient_where_rfc_9110_asks() -> None:
    header = (
        'digest  , USERNAME=Mufasa,realm = "a \\"quoted\\" \\\\ realm" ,, uri="/x", '
        'nonce=abc, ALGORITHM="sha-256", response="ABCDEF", unknown="ignored", qop=auth, '
        "nc=0000000A, cnonce=xyz , "
    )
    assert parse_authorization(header) == DigestAuthorization(
        username="Mufasa",
        realm='a "quoted" \\ realm',
        nonce="abc",
        uri="/x",
        response="abcdef",
        algorithm="SHA-256",
        qop="auth",
        nc=10,
        cnonce="xyz",
    )


_MINIMAL = 'username="u", realm="r", nonce="n", uri="/", response="00"'


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "scheme"),
        ("Basic dTpw", "scheme"),
        ("Digest", "'username' is missing"),
        ('Digest realm="r", nonce="n", uri="/", response="00"', "'username' is missing"),
        ('Digest username="u", nonce="n", uri="/", response="00"', "'realm' is missing"),
        ('Digest username="u", realm="r", uri="/", response="00"', "'nonce' is missing"),
        ('Digest username="u", realm="r", nonce="n", response="00"', "'uri' is missing"),
        ('Digest username="u", realm="r", nonce="n", uri="/"', "'response' is missing"),
        (f'Digest {_MINIMAL}, realm="r"', "'realm' is given twice"),
        (f'Digest {_MINIMAL}, REALM="r"', "'realm' is given twice"),
        (f"Digest {_MINIMAL}, qop=auth", "'nc' and 'cnonce' are required"),
        (f"Digest {_MINIMAL}, qop=auth, nc=1, cnonce=c", "nc must be 8 hex digits"),
        (f"Digest {_MINIMAL}, qop=auth, nc=0000000g, cnonce=c", "nc must be 8 hex digits"),
        ('Digest username="u", realm="r", nonce="n", uri="/", response="xyz"', "lowercase hex"),
        (f"Digest {_MINIMAL}, userhash=maybe", "true or false"),
        (f"Digest {_MINIMAL}, username*=UTF-8''u", "username* cannot come with"),
        (f"Digest {_MINIMAL.replace('username=', 'username*=')}", "ext-value"),
        (
            "Digest username*=UTF-8''%FF, realm=r, nonce=n, uri=\"/\", response=00",
            "not valid UTF-8",
        ),
        ('Digest username="unterminated, realm="r"', "expected ','"),
        ("Digest username", "expected name=value"),
        ("Digest =x", "expected name=value"),
        ('Digest username="u" realm="r"', "expected ','"),
        ('Digest username="a\nb", realm="r"', "expected name=value"),
        ('Digest username="a\\', "expected name=value"),
        ("Digest a=b=c", "expected ','"),
        ("Digest " + "x" * 5000, "longer than 4096"),
        ("Digest a" + " " * 4000 + "b", "expected name=value"),  # no quadratic scheme match
    ],
)
def test_a_malformed_authorization_raises_digest_error(header: str, message: str) -> None:
    with pytest.raises(DigestError, match=re.escape(message)):
        parse_authorization(header)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ('Digest nonce="n"', "'realm' is missing"),
        ('Digest realm="r"', "'nonce' is missing"),
        ('Digest realm="r", nonce="n", stale=perhaps', "true or false"),
    ],
)
def test_a_malformed_challenge_raises_digest_error(header: str, message: str) -> None:
    with pytest.raises(DigestError, match=message):
        parse_challenge(header)


@given(st.text(max_size=300))
def test_any_text_parses_or_raises_digest_error_only(text: str) -> None:
    for header in (text, "Digest " + text):
        with contextlib.suppress(DigestError):
            parse_authorization(header)


_FIELD = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=20)


@given(
    st.builds(
        DigestAuthorization,
        username=st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
        realm=_FIELD,
        nonce=_FIELD,
        uri=_FIELD,
        response=st.text("0123456789abcdef", min_size=1, max_size=64),
        algorithm=st.sampled_from(digest.ALGORITHMS),
        qop=st.just("auth"),
        nc=st.integers(0, 0xFFFFFFFF),
        cnonce=_FIELD,
        opaque=st.none() | _FIELD,
        userhash=st.booleans(),
    )
)
def test_authorization_round_trips(authorization: DigestAuthorization) -> None:
    if authorization.userhash and not authorization.username.isprintable():
        authorization = dataclasses.replace(authorization, username="0a1b")
    assert parse_authorization(render_authorization(authorization)) == authorization


@given(
    st.builds(
        DigestChallenge,
        realm=_FIELD,
        nonce=_FIELD,
        algorithm=st.sampled_from(digest.ALGORITHMS),
        qop=st.lists(st.sampled_from(["auth", "auth-int"]), unique=True).map(tuple),
        opaque=st.none() | _FIELD,
        userhash=st.booleans(),
        stale=st.booleans(),
    )
)
def test_challenge_round_trips(challenge: DigestChallenge) -> None:
    assert parse_challenge(render_challenge(challenge)) == challenge


def test_values_that_cannot_be_rendered_or_computed_raise_digest_error() -> None:
    with pytest.raises(DigestError, match="control character"):
        render_challenge(DigestChallenge(realm="a\nb", nonce="n"))
    with pytest.raises(DigestError, match="not supported here"):
        digest.ha1("SHA-1", "u", "r", "p")
    with pytest.raises(DigestError, match="only qop=auth"):
        expected_response(
            "00",
            algorithm="MD5",
            method="GET",
            uri="/",
            nonce="n",
            nc=1,
            cnonce="c",
            qop="auth-int",
        )
    with pytest.raises(DigestError, match="8 hex digits"):
        expected_response(
            "00",
            algorithm="MD5",
            method="GET",
            uri="/",
            nonce="n",
            nc=2**32,
            cnonce="c",
            qop="auth",
        )
    with pytest.raises(DigestError, match="UTF-8"):
        digest.ha1("MD5", "\udc80", "r", "p")
    with pytest.raises(DigestError, match="does not offer qop=auth"):
        answer_challenge(
            DigestChallenge(realm="r", nonce="n", qop=("auth-int",)),
            username="u",
            password="p",
            method="GET",
            uri="/",
        )
    with pytest.raises(DigestError, match="8 hex digits"):
        DigestAuthorization("u", "r", "n", "/", "00", qop="auth", nc=-1, cnonce="c")


def test_algorithms_this_python_lacks_are_left_out() -> None:
    assert not digest._has_hash("no-such-hash")
    assert {"MD5", "SHA-256", "MD5-sess", "SHA-256-sess"} <= set(digest.ALGORITHMS)


def test_a_fresh_nonce_checks_and_goes_stale_after_its_lifetime() -> None:
    nonce = make_nonce(SECRET, 1000.0)
    assert check_nonce(nonce, SECRET, 1000.0, 300.0) is NonceState.FRESH
    assert check_nonce(nonce, SECRET, 1300.0, 300.0) is NonceState.FRESH
    assert check_nonce(nonce, SECRET, 1300.001, 300.0) is NonceState.STALE
    # Another worker's clock a little ahead is tolerated; far ahead is not.
    assert check_nonce(nonce, SECRET, 1000.0 - digest.CLOCK_SKEW, 300.0) is NonceState.FRESH
    assert check_nonce(nonce, SECRET, 990.0, 300.0) is NonceState.STALE


def test_nonces_are_random_and_made_as_specified() -> None:
    assert make_nonce(SECRET, 1.0) != make_nonce(SECRET, 1.0)
    nonce = make_nonce(SECRET, 1.5, random=bytes(range(16)))
    raw = base64.b64decode(nonce)
    body = (1500).to_bytes(8, "big") + bytes(range(16))
    assert raw == body + hmac.digest(SECRET, body, "sha256")
    with pytest.raises(ValueError, match="16 random bytes"):
        make_nonce(SECRET, 1.0, random=b"short")


def _flip(nonce: str, index: int) -> str:
    raw = bytearray(base64.b64decode(nonce))
    raw[index] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _look_alike(nonce: str) -> str:
    # 56 bytes leave 2 unused bits in the last base64 character: flipping one keeps the bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet[alphabet.index(nonce[-2]) ^ 1]
    assert base64.b64decode(nonce[:-2] + last + "=") == base64.b64decode(nonce)
    return nonce[:-2] + last + "="


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda n: _flip(n, 0), id="timestamp changed"),
        pytest.param(lambda n: _flip(n, 10), id="random changed"),
        pytest.param(lambda n: _flip(n, -1), id="mac changed"),
        pytest.param(lambda n: n[:-4], id="truncated"),
        pytest.param(_look_alike, id="same bytes, other spelling"),
        pytest.param(lambda n: "!" + n[1:], id="not base64"),
        pytest.param(lambda n: "\u00e9" + n[1:], id="not ascii"),
        pytest.param(lambda n: "", id="empty"),
        pytest.param(lambda n: RFC_NONCE, id="someone else's"),
    ],
)
def test_a_forged_or_damaged_nonce_is_invalid(forge: Callable[[str], str]) -> None:
    nonce = make_nonce(SECRET, 1000.0)
    assert check_nonce(forge(nonce), SECRET, 1000.0, 300.0) is NonceState.INVALID


def test_a_nonce_from_another_secret_is_invalid() -> None:
    nonce = make_nonce(b"another secret, another server", 1000.0)
    assert check_nonce(nonce, SECRET, 1000.0, 300.0) is NonceState.INVALID


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_nonce_counts_accept_only_rising_counts() -> None:
    counts = MemoryNonceCounts(clock=Clock())
    assert counts.advance("a", 1)
    assert not counts.advance("a", 1)  # replayed
    assert counts.advance("a", 3)  # counts may skip (requests in flight out of order)
    assert not counts.advance("a", 2)  # lower
    assert not counts.advance("b", 0)  # 0 is never a count
    assert counts.advance("b", 1)


def test_nonce_counts_expire_with_the_nonce_and_stay_bounded() -> None:
    clock = Clock()
    counts = MemoryNonceCounts(clock=clock, lifetime=300.0, limit=3)
    assert counts.advance("a", 1)
    clock.now += 300.0 + digest.CLOCK_SKEW  # "a" is stale now, but still remembered
    assert not counts.advance("a", 1)
    clock.now += 0.001
    for name in "bcde":
        assert counts.advance(name, 1)
    assert len(counts) == 3  # "a" expired, then "b" was dropped as the oldest
    assert counts.advance("b", 1)
    assert not counts.advance("e", 1)
    with pytest.raises(ValueError, match="at least 1"):
        MemoryNonceCounts(clock=clock, limit=0)


def test_nonce_counts_let_one_of_many_racing_threads_use_a_count() -> None:
    counts = MemoryNonceCounts(clock=Clock())
    wins: list[bool] = []
    barrier = threading.Barrier(16)

    def race() -> None:
        barrier.wait()
        for nc in range(1, 201):
            wins.append(counts.advance("n", nc))

    threads = [threading.Thread(target=race) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(wins) <= 200
    assert not counts.advance("n", 200)
