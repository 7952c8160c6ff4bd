"""The authentication pipe against real clients, over a real loopback HTTP server.

The pipe wraps a tiny app that answers 401 with ``environ[CHALLENGES]()`` when no one is signed
in and 200 with the username otherwise, under the standard library's ``wsgiref`` server. The
clients are independent implementations of RFC 7616 and RFC 7617:

- httpx's ``DigestAuth`` (takes the first Digest challenge: SHA-256) and ``BasicAuth``;
- urllib's ``HTTPDigestAuthHandler``, which reads only the *first* ``WWW-Authenticate`` header
  and knows MD5 and SHA-1 but not SHA-256: a small subclass hands it the MD5 challenge instead
  (``MD5DigestHandler``); and urllib's ``HTTPBasicAuthHandler``, which looks at every header;
- curl's ``--digest`` (SHA-256, and it honours ``userhash=true``) and ``--basic``. Without curl
  these skip, saying so; under CI=true they fail instead.

A name that is not ASCII ("Jäsøn Doe", RFC 7616 §3.9.2's) goes through Basic with every client
and through Digest with curl (hashed, under userhash). httpx and urllib cannot send it by
Digest at all: httpx puts the raw name in a header it then encodes as ASCII, urllib hashes
``A1`` as ASCII; neither knows ``username*``. So their Digest tests use ASCII names only.
"""

from __future__ import annotations

import dataclasses
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.validate import validator

import httpx
import pytest

from parlor.wsgi.auth import CHALLENGES, USER, Authenticate, Identity
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from tests.clients_support import MD5DigestHandler, curl
from tests.wsgi.test_auth import JASON, REALM, SECRET, USERS, Accounts, CountingHasher

PATH = "/dir/index.html?x=1&y=%20z"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclasses.dataclass
class Served:
    url: str
    #: Every Authorization header the server received, in order.
    authorizations: list[str]


@pytest.fixture
def served() -> Iterator[Served]:
    """The pipe around the door app, behind wsgiref's server on a free loopback port."""
    authorizations: list[str] = []

    def door(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" in environ:
            authorizations.append(environ["HTTP_AUTHORIZATION"])
        user: Identity | None = environ[USER]
        if user is None:
            body = b"Sign in first.\n"
            headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            start_response("401 Unauthorized", headers + environ[CHALLENGES]())
            return [body]
        body = user.username.encode()
        start_response(
            "200 OK",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    hasher = CountingHasher()
    pipe = Authenticate(
        validator(door),
        realm=REALM,
        credentials=Accounts(hasher, USERS),
        secret=SECRET,
        hasher=hasher,
    )
    server = make_server("127.0.0.1", 0, validator(pipe), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", authorizations)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("username", ["Mufasa", "colon"])
def test_httpx_digest_takes_sha_256_and_counts_its_requests(served: Served, username: str) -> None:
    with httpx.Client(auth=httpx.DigestAuth(username, USERS[username]), timeout=10) as client:
        first = client.get(served.url + PATH)
        second = client.get(served.url + PATH)  # the same nonce again, with nc=00000002
    assert (first.status_code, first.text) == (200, username)
    assert (second.status_code, second.text) == (200, username)
    assert "algorithm=SHA-256" in served.authorizations[0]
    assert "nc=00000002" in served.authorizations[1]


def test_httpx_digest_with_a_wrong_password_is_401(served: Served) -> None:
    with httpx.Client(auth=httpx.DigestAuth("Mufasa", "wrong"), timeout=10) as client:
        answer = client.get(served.url + PATH)
    assert answer.status_code == 401
    assert len(answer.headers.get_list("WWW-Authenticate")) == 3


@pytest.mark.parametrize("username", ["Mufasa", JASON])
def test_httpx_basic(served: Served, username: str) -> None:
    with httpx.Client(auth=httpx.BasicAuth(username, USERS[username]), timeout=10) as client:
        answer = client.get(served.url + PATH)
    assert (answer.status_code, answer.text) == (200, username)


def _urllib_get(url: str, handler: urllib.request.BaseHandler) -> tuple[int, str]:
    opener = urllib.request.build_opener(handler)
    with opener.open(url, timeout=10) as answer:
        return answer.status, answer.read().decode()


@pytest.mark.parametrize("username", ["Mufasa", "colon"])
def test_urllib_digest_answers_the_md5_challenge(served: Served, username: str) -> None:
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, served.url, username, USERS[username])
    assert _urllib_get(served.url + PATH, MD5DigestHandler(passwords)) == (200, username)
    assert 'algorithm="MD5"' in served.authorizations[-1]


def test_urllib_basic(served: Served) -> None:
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, served.url, "Mufasa", "Circle of Life")
    handler = urllib.request.HTTPBasicAuthHandler(passwords)
    assert _urllib_get(served.url + PATH, handler) == (200, "Mufasa")


def test_urllib_without_credentials_gets_the_401(served: Served) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(served.url + PATH, timeout=10)
    with refused.value:
        assert refused.value.code == 401
        challenges = refused.value.headers.get_all("WWW-Authenticate") or []
    assert [c.split(",")[0] for c in challenges] == [
        'Digest realm="parlor"',
        'Digest realm="parlor"',
        'Basic realm="parlor"',
    ]


@pytest.mark.parametrize("username", ["Mufasa", JASON])
def test_curl_digest_takes_sha_256_with_userhash(served: Served, username: str) -> None:
    status, body = curl("--digest", "--user", f"{username}:{USERS[username]}", served.url + PATH)
    assert (status, body) == ("200", username)
    sent = served.authorizations[-1]
    assert "algorithm=SHA-256" in sent
    assert "userhash=true" in sent


@pytest.mark.parametrize("username", ["Mufasa", JASON])
def test_curl_basic(served: Served, username: str) -> None:
    status, body = curl("--basic", "--user", f"{username}:{USERS[username]}", served.url + PATH)
    assert (status, body) == ("200", username)


def test_curl_with_a_wrong_password_is_401(served: Served) -> None:
    status, _ = curl("--digest", "--user", "Mufasa:wrong", served.url + PATH)
    assert status == "401"
