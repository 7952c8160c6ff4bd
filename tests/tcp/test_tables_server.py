"""A live tables server on loopback: three players at one wheel, and an attacker's table of
abuse, each case with raw sockets or the standard library's ftplib."""

from __future__ import annotations

import ftplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parlor.house.ledger import check_ledger
from parlor.tcp.client import TablesClient
from parlor.tcp.limits import Limits
from tests.tcp.tables_support import Live, closed_by_server, live_tables, read_until, sqlite_url


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_tables(sqlite_url(tmp_path), window=0.4, limits=Limits(burst=100)) as server:
        yield server


_OPEN: list[TablesClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(live: Live) -> TablesClient:
    client = TablesClient(live.host, live.port)
    _OPEN.append(client)
    return client


def _seated(live: Live, name: str, table: str = "main") -> TablesClient:
    client = _client(live)
    assert client.greeting.code == 220
    assert client.send(f"USER {name}").code == 230
    assert client.send(f"JOIN {table}").code == 250
    return client


def _chips(reply_text: str) -> int:
    return int(reply_text.split(" chips")[0].rsplit(" ", 1)[-1])


def test_three_players_chat_bet_and_each_hears_the_spin_and_their_own_settlement(
    live: Live,
) -> None:
    alice, bob, carol = (_seated(live, name) for name in ("alice", "bob", "carol"))
    assert alice.wait_for(610).text == "bob joins main"
    assert bob.wait_for(610).text == "carol joins main"
    assert alice.send("CHAT good evening").code == 200
    assert bob.wait_for(620).text == "alice good evening"
    assert carol.wait_for(620).text == "alice good evening"
    assert alice.send("BET 10 red").code == 450  # no window yet
    assert bob.send("SPIN").code == 250
    for player in (alice, bob, carol):
        assert player.wait_for(630).text.startswith("betting opens")
    stakes = {"alice": "BET 10 red", "bob": "BET 20 black", "carol": "BET 10 straight 17"}
    for player, line in zip((alice, bob, carol), stakes.values(), strict=True):
        reply = player.send(line)
        assert reply.code == 250, reply
    for player in (alice, bob, carol):
        player.wait_for(631, timeout=5)
        result = player.wait_for(640, timeout=10)
        mine = player.wait_for(641, timeout=5)
        assert result.text.split(":")[0] == mine.text.split(":")[0]  # the same round
        assert _chips(player.send("CRED").text) == _chips(mine.text)
    assert alice.send("LAST 1").code == 211
    assert check_ledger(live.floor.roulette.db).ok
    for player in (alice, bob, carol):
        assert player.send("QUIT").code == 221
        player.close()


def test_a_player_who_drops_mid_round_is_settled_and_resumes_with_the_token(live: Live) -> None:
    dave = _client(live)
    token = dave.send("USER dave").text.rsplit("resume token ", 1)[1]
    assert dave.send("JOIN main").code == 250
    erin = _seated(live, "erin")
    assert erin.send("SPIN").code == 250
    dave.wait_for(630)
    assert dave.send("BET 50 even").code == 250
    dave.close()  # gone without QUIT, the bet open
    erin.wait_for(640, timeout=10)  # the round is out
    time.sleep(0.2)
    state = live.floor.roulette.session(token)
    assert state.open_stake == 0  # settled though dave was gone
    assert state.balance in (950, 1050)
    again = _client(live)
    back = again.send(f"USER dave {token}")
    assert back.code == 230
    assert "welcome back" in back.text
    assert "at main" in back.text
    assert _chips(again.send("CRED").text) == state.balance
    assert "dave" in again.send("WHO").text
    assert again.send("USER dave not-the-token").code == 503  # logged in already
    stranger = _client(live)
    assert stranger.send(f"USER mallory {token}").code == 530  # the name must match
    assert check_ledger(live.floor.roulette.db).ok


def test_an_account_logs_in_with_pass_and_plays_its_own_chips(live: Live) -> None:
    live.floor.accounts.create("alice", "correct horse battery")
    client = _client(live)
    assert client.send("PASS x").code == 503
    assert client.send("USER alice").code == 331
    assert client.send("PASS wrong password").code == 530
    assert client.send("USER alice").code == 331
    logged = client.send("PASS correct horse battery")
    assert logged.code == 230
    assert "alice logged in" in logged.text
    account = live.floor.accounts.by_name("alice")
    assert account.balance + account.in_play == 1000
    assert client.send("QUIT").code == 221
    time.sleep(0.1)
    assert live.floor.accounts.by_name("alice").balance == 1000  # cashed out whole


# -- what an attacker tries, each against the live server --------------------------------

ABUSE = [
    ("a line past 1,024 bytes", b"NOOP " + b"x" * 2000 + b"\r\n", b"500 "),
    ("invalid UTF-8", b"NOOP \xc3\x28\r\n", b"500 "),
    ("a NUL byte", b"NO\x00OP\r\n", b"500 "),
    ("an empty line", b"\r\n", b"500 "),
    ("binary garbage", bytes(range(1, 32)) + b"\n", b"500 "),
    ("an unknown command", b"FROB\r\n", b"500 FROB is no command"),
    ("a verb too long", b"NOOPS\r\n", b"500 "),
    ("missing arguments", b"JOIN\r\n", b"501 syntax: JOIN table"),
    ("too many arguments", b"NOOP a b\r\n", b"501 "),
    ("BET before USER", b"BET 10 red\r\n", b"503 "),
    ("PASS before USER", b"PASS secret\r\n", b"503 "),
    ("telnet negotiation then a command", b"\xff\xfb\x01\xff\xfd\x03NOOP\r\n", b"200 "),
    ("LF alone", b"NOOP\n", b"200 "),
]


@pytest.mark.parametrize(("case", "sent", "answer"), ABUSE, ids=[c for c, _, _ in ABUSE])
def test_bad_input_is_answered_and_the_connection_stays_usable(
    live: Live, case: str, sent: bytes, answer: bytes
) -> None:
    with live.raw() as sock:
        assert read_until(sock, b"\r\n").startswith(b"220 ")
        sock.sendall(sent)
        got = read_until(sock, b"\r\n")
        assert got.startswith(answer), (case, got)
        sock.sendall(b"NOOP\r\n")
        assert read_until(sock, b"200 ok\r\n").endswith(b"200 ok\r\n"), case


def test_bet_before_join_and_bad_bets_are_refused_and_change_nothing(live: Live) -> None:
    client = _client(live)
    client.send("USER frank")
    assert client.send("BET 10 red").code == 503  # not seated
    client.send("JOIN main")
    client.send("SPIN")
    before = _chips(client.send("CRED").text)
    for line, code in [
        ("BET ten red", 501),
        ("BET 10 purple", 501),
        ("BET 10 straight 99", 501),
        ("BET 10 first_four", 550),  # a European bet on the American wheel
        ("BET 5 red", 550),  # under the table minimum
        ("BET 100000 red", 550),  # over the maximum
        ("WDRW 99", 550),
        ("JOIN nowhere", 550),
    ]:
        assert client.send(line).code == code, line
    assert _chips(client.send("CRED").text) == before
    assert check_ledger(live.floor.roulette.db).ok


def test_ten_unknown_commands_in_a_row_close_the_connection(live: Live) -> None:
    with live.raw() as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"FROB\r\n" * 9 + b"NOOP\r\n" + b"FROB\r\n" * 9)
        got = read_until(sock, b"200 ok\r\n")
        assert b"421" not in got  # a known command starts the count again
        sock.sendall(b"FROB\r\n")
        assert b"421 " in read_until(sock, b"421 ")
        assert closed_by_server(sock)


def test_a_flood_gets_452_and_a_client_that_slows_down_is_served(tmp_path: Path) -> None:
    limits = Limits(burst=5, interval=0.2)
    with live_tables(sqlite_url(tmp_path), limits=limits) as live, live.raw() as sock:
        read_until(sock, b"\r\n")
        sock.sendall(b"NOOP\r\n" * 30)
        time.sleep(0.3)
        got = read_until(sock, b"\r\n", timeout=1)
        assert got.count(b"200 ok") >= 5
        assert b"452 slow down" in got
        time.sleep(1.2)
        sock.sendall(b"NOOP\r\n")
        assert read_until(sock, b"200 ok\r\n").endswith(b"200 ok\r\n")


def test_idle_and_slowloris_connections_are_closed(tmp_path: Path) -> None:
    limits = Limits(idle=0.5)
    with (
        live_tables(sqlite_url(tmp_path), limits=limits) as live,
        live.raw() as idle,
        live.raw() as trickle,
    ):
        read_until(idle, b"\r\n")
        read_until(trickle, b"\r\n")
        for byte in b"NOOP":  # never ends its line
            trickle.sendall(bytes([byte]))
            time.sleep(0.2)
        assert b"421 idle" in read_until(idle, b"421 ", timeout=3)
        assert closed_by_server(idle)
        assert closed_by_server(trickle, timeout=3)


def test_a_client_that_never_reads_is_dropped_and_others_are_served(tmp_path: Path) -> None:
    limits = Limits(max_sendq=4096, burst=10_000, interval=0.001)
    with live_tables(sqlite_url(tmp_path), limits=limits) as live:
        deaf = live.raw()
        deaf.sendall(b"HELP\r\n" * 20_000)  # ~20 MB of replies it never reads
        deadline = time.monotonic() + 10
        while live.server.dropped == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.server.dropped == 1
        with TablesClient(live.host, live.port) as other:
            assert other.send("NOOP").code == 200
        deadline = time.monotonic() + 5
        while live.server.admission.count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert live.server.admission.count == 0  # the deaf one holds nothing now
        deaf.close()


def test_connections_past_the_per_address_limit_get_421(tmp_path: Path) -> None:
    with live_tables(sqlite_url(tmp_path), limits=Limits(per_address=2)) as live:
        first, second = live.raw(), live.raw()
        assert read_until(first, b"\r\n").startswith(b"220")
        assert read_until(second, b"\r\n").startswith(b"220")
        with live.raw() as third:
            assert read_until(third, b"\r\n").startswith(b"421 too many connections")
            assert closed_by_server(third)
        first.close()
        time.sleep(0.1)
        with live.raw() as fourth:
            assert read_until(fourth, b"\r\n").startswith(b"220")
        second.close()


def test_ftplib_reads_every_multi_line_reply(live: Live) -> None:
    """The standard library's FTP reply rule (RFC 959 §4.2) reads ours: HELP, TABL, WHO."""
    ftp = ftplib.FTP()
    welcome = ftp.connect(live.host, live.port, timeout=5)
    assert welcome.startswith("220")
    for command, code in [("HELP", "214"), ("TABL", "211"), ("HELP BET", "214")]:
        ftp.putcmd(command)
        reply = ftp.getmultiline()
        assert reply.startswith(code), reply
        assert reply.splitlines()[-1].startswith(f"{code} ")
    assert "BET amount proposition" in ftp.sendcmd("HELP BET")
    ftp.putcmd("QUIT")
    assert ftp.getmultiline().startswith("221")
    ftp.close()


def test_the_client_waits_out_a_452_and_runs_the_command_once(tmp_path: Path) -> None:
    limits = Limits(burst=2, interval=0.3)
    with live_tables(sqlite_url(tmp_path), limits=limits) as live:
        with TablesClient(live.host, live.port) as client:
            replies = [client.send("NOOP").code for _ in range(6)]
        assert replies == [200] * 6  # each 452 was waited out, then sent again
