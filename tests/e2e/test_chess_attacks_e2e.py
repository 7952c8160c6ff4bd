"""The chess doors against raw sockets on a live ``parlor serve``, as an attacker tries them.

Each attack is followed by the game as it stands: nothing it did may have
moved a piece, and the server keeps answering others all the while. Stalled,
cut-off and oversized bodies; the same move sent on eight connections at the
same instant, with and without one Idempotency-Key; forged, foreign and
malformed tokens; long polls whose clients never read or leave; a web move
with a tampered visit cookie.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.e2e_support import (
    ParlorProcess,
    exchange,
    module_server,
    read_all,
    status_of,
)

pytestmark = pytest.mark.slow

GAMES = "/api/v1/chess/games"


@pytest.fixture(scope="module")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    with module_server(
        tmp_path_factory, "chess-attacks", env={"PARLOR_BODY_TIMEOUT": "2"}
    ) as server:
        yield server


@pytest.fixture(autouse=True)
def still_sound(house: ParlorProcess) -> Iterator[None]:
    yield
    assert httpx.get(f"{house.base_url}{GAMES}", timeout=10).status_code == 200
    assert not any("Traceback" in line for line in house.lines), house.describe()


class Table:
    """A game with both seats taken, over the live service."""

    def __init__(self, house: ParlorProcess) -> None:
        self.house = house
        made = httpx.post(f"{house.base_url}{GAMES}", json={}, timeout=10).json()
        self.id: str = made["game"]["game"]
        self.white: str = made["token"]
        joined = httpx.post(f"{house.base_url}{GAMES}/{self.id}/join", json={}, timeout=10)
        self.black: str = joined.json()["token"]

    def state(self) -> dict[str, object]:
        answer: dict[str, object] = httpx.get(
            f"{self.house.base_url}{GAMES}/{self.id}", timeout=10
        ).json()
        return answer


def move_request(
    game_id: str, token: str, body: bytes, *, length: int | None = None, key: str | None = None
) -> bytes:
    extra = b"" if key is None else b"Idempotency-Key: " + key.encode() + b"\r\n"
    return (
        b"POST " + f"{GAMES}/{game_id}/moves".encode() + b" HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\n" + extra + b"Content-Length: "
        + str(len(body) if length is None else length).encode()
        + b"\r\nConnection: close\r\n\r\n" + body
    )  # fmt: skip


E4 = json.dumps({"move": "e4", "ply": 0}).encode()


def test_a_stalled_move_is_408_and_moves_nothing(house: ParlorProcess) -> None:
    table = Table(house)
    with socket.create_connection(("127.0.0.1", house.port), timeout=15) as stalled:
        stalled.sendall(move_request(table.id, table.white, E4)[:-5])
        # Others are served while it stalls.
        assert httpx.get(f"{house.base_url}{GAMES}/{table.id}", timeout=5).status_code == 200
        answer = read_all(stalled)
    assert status_of(answer) == 408
    assert table.state()["ply"] == 0


def test_a_cut_off_move_is_refused_and_moves_nothing(house: ParlorProcess) -> None:
    table = Table(house)
    answer = exchange(
        house, move_request(table.id, table.white, E4)[:-5], timeout=15, half_close=True
    )
    assert status_of(answer) in (400, 408)
    assert table.state()["ply"] == 0


def test_an_oversized_move_is_413_and_moves_nothing(house: ParlorProcess) -> None:
    table = Table(house)
    # Past what the door drains to keep the connection (8 × its 1 MiB limit): refused at once.
    head = move_request(table.id, table.white, b"", length=9 * 1024 * 1024)
    answer = exchange(house, head + b"{" + b" " * 4096)
    assert status_of(answer) == 413
    assert table.state()["ply"] == 0


def _at_once(house: ParlorProcess, payloads: list[bytes]) -> list[int]:
    """Open a connection per payload, then send them all at the same instant."""
    sockets = [socket.create_connection(("127.0.0.1", house.port), timeout=15) for _ in payloads]
    barrier = threading.Barrier(len(payloads))
    statuses: list[int] = []

    def send(sock: socket.socket, payload: bytes) -> None:
        barrier.wait()
        sock.sendall(payload)
        statuses.append(status_of(read_all(sock)))
        sock.close()

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip(sockets, payloads, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(statuses)


def test_the_same_move_on_eight_connections_at_once_is_played_once(house: ParlorProcess) -> None:
    table = Table(house)
    statuses = _at_once(house, [move_request(table.id, table.white, E4)] * 8)
    assert statuses == [201] + [409] * 7
    assert table.state()["ply"] == 1


def test_one_idempotency_key_on_eight_connections_at_once_plays_once(
    house: ParlorProcess,
) -> None:
    table = Table(house)
    statuses = _at_once(house, [move_request(table.id, table.white, E4, key="once")] * 8)
    assert statuses == [201] * 8  # every one answered as the first was
    assert table.state()["ply"] == 1


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        (b"Bearer chess_forged-token-of-the-right-shape", 403),
        (b"Bearer chess_", 403),
        (b"Bearer ", 401),
        (b"Bearer", 401),
        (b"bearer CHESS_upper", 401),
        (b"Bearer not-a-seat-token", 401),
        (b"Basic Zm9vOmJhcg==", 401),
        (b"Bearer chess_\xff\xfe", 400),
        (b"Bearer chess_" + b"a" * 8000, 401),  # no token is that long: refused as such
    ],
)
def test_forged_and_malformed_tokens_move_nothing(
    house: ParlorProcess, authorization: bytes, status: int
) -> None:
    table = Table(house)
    request = (
        b"POST " + f"{GAMES}/{table.id}/moves".encode() + b" HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: " + authorization + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(E4)).encode() + b"\r\nConnection: close\r\n\r\n" + E4
    )
    assert status_of(exchange(house, request)) == status
    assert table.state()["ply"] == 0


def test_another_games_token_is_403(house: ParlorProcess) -> None:
    table, other = Table(house), Table(house)
    answer = exchange(house, move_request(table.id, other.white, E4))
    assert status_of(answer) == 403
    assert b'"code":"not_a_player"' in answer
    assert table.state()["ply"] == 0


def test_long_polls_that_never_read_or_leave_stop_nobody(house: ParlorProcess) -> None:
    table = Table(house)
    version = int(str(table.state()["version"]))
    poll = (f"GET {GAMES}/{table.id}?wait=20&since={version} HTTP/1.1\r\nHost: x\r\n\r\n").encode()
    idle = []
    for n in range(60):
        sock = socket.create_connection(("127.0.0.1", house.port), timeout=15)
        sock.sendall(poll * (5 if n % 2 else 1))  # some pipeline more, and none reads
        idle.append(sock)
    for sock in idle[:20]:
        sock.close()  # a third leave while parked
    moved = httpx.post(
        f"{house.base_url}{GAMES}/{table.id}/moves",
        json={"move": "e4", "ply": 0},
        headers={"Authorization": f"Bearer {table.white}"},
        timeout=5,
    )
    assert moved.status_code == 201
    with httpx.Client(base_url=house.base_url, timeout=10) as reader:
        answer = reader.get(f"{GAMES}/{table.id}", params={"wait": 5, "since": version})
        assert answer.json()["version"] == version + 1
    for sock in idle[20:]:
        sock.close()


def test_a_web_move_with_a_tampered_visit_moves_nothing(house: ParlorProcess) -> None:
    table = Table(house)
    with httpx.Client(base_url=house.web_url, timeout=10) as browser:
        page = browser.get("/chess")  # a page with forms: a visit, and its form token
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        cookie_name, cookie = next(iter(browser.cookies.items()))
        for forged in (cookie[:-4] + "AAAA", "", "x" * 5000):
            browser.cookies.set(cookie_name, forged)
            answer = browser.post(
                f"/chess/{table.id}/move",
                data={"csrf_token": token.group(1), "move": "e4", "ply": "0"},
                headers={"Origin": house.web_url},
            )
            assert answer.status_code in (303, 403), answer.text
    assert table.state()["ply"] == 0
