"""The tables with clients nobody here wrote, and over TLS: Debian's telnet under a
pseudo-terminal plays a round; passwords in clear are refused off loopback but over TLS."""

from __future__ import annotations

import os
import pty
import select
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from parlor.tcp.client import TablesClient
from tests.e2e.e2e_support import cannot_run
from tests.tcp.tables_support import live_tables, sqlite_url
from tests.tls_support import self_signed


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and this host's other address, by openssl."""
    outside = _outside_address()
    return self_signed(directory, "IP:127.0.0.1" + (f",IP:{outside}" if outside else ""))


def _outside_address() -> str | None:
    """An address of this host that is not loopback, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def _trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def test_a_round_over_tls(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    with live_tables(sqlite_url(tmp_path), tls_cert=str(cert), tls_key=str(key)) as live:
        with TablesClient(live.host, live.port, tls=_trusting(cert)) as client:
            assert client.greeting.code == 220
            assert client.send("USER tess").code == 230
            assert client.send("JOIN main").code == 250
            assert client.send("SPIN").code == 250
            assert client.send("BET 10 odd").code == 250
            assert client.wait_for(641, timeout=10).text.startswith("round 1")
        with socket.create_connection((live.host, live.port), timeout=5) as plain:
            plain.sendall(b"NOOP\r\n")  # plain text to a TLS port: refused, nothing served
            with pytest.raises((ConnectionError, TimeoutError)):
                plain.settimeout(3)
                if not plain.recv(100):
                    raise ConnectionError("closed")


def test_a_password_in_clear_is_refused_off_loopback_but_taken_over_tls(tmp_path: Path) -> None:
    outside = _outside_address()
    if outside is None:
        cannot_run("an address besides loopback", "this host has no address but loopback")
    cert, key = _certificate(tmp_path)
    url = sqlite_url(tmp_path)
    with live_tables(url, host="0.0.0.0") as live:  # the test needs a remote peer
        live.floor.accounts.create("alice", "correct horse battery")
        with TablesClient(outside, live.port) as client:
            assert client.send("USER alice").code == 331
            refused = client.send("PASS correct horse battery")
            assert refused.code == 533
            assert "TLS" in refused.text
        with TablesClient("127.0.0.1", live.port) as local:  # loopback is trusted
            local.send("USER alice")
            assert local.send("PASS correct horse battery").code == 230
    tls: dict[str, Any] = {"tls_cert": str(cert), "tls_key": str(key)}
    clear: dict[str, Any] = {"clear_passwords": True}
    for options, context in [(tls, _trusting(cert)), (clear, None)]:
        with (
            live_tables(url, host="0.0.0.0", **options) as live,
            TablesClient(outside, live.port, tls=context) as client,
        ):
            client.send("USER alice")
            assert client.send("PASS correct horse battery").code == 230


def _read_until(fd: int, wanted: bytes, timeout: float = 10.0) -> bytes:
    got = b""
    deadline = time.monotonic() + timeout
    while wanted not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                got += os.read(fd, 65536)
            except OSError:
                break
    return got


def test_debian_telnet_under_a_pseudo_terminal_plays_a_round(tmp_path: Path) -> None:
    telnet = shutil.which("telnet")
    if telnet is None:
        cannot_run("telnet", "Debian's telnet is not installed: apt-get install telnet")
    with live_tables(sqlite_url(tmp_path), window=0.5) as live:
        main, secondary = pty.openpty()
        process = subprocess.Popen(
            [telnet, live.host, str(live.port)],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            close_fds=True,
        )
        os.close(secondary)
        try:
            assert b"220 parlor tables ready" in _read_until(main, b"220 ")
            for line, answer in [
                (b"user tina", b"230 tina plays anonymously"),
                (b"join main", b"250 you sit at main"),
                (b"spin", b"250 the window is open"),
                (b"bet 10 high", b"250 bet 1: 10 on high"),
            ]:
                os.write(main, line + b"\r")
                got = _read_until(main, answer)
                assert answer in got, (line, got)
            assert b"641 round 1" in _read_until(main, b"641 round 1")
            os.write(main, b"quit\r")
            assert b"221 goodbye, tina" in _read_until(main, b"221 ")
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            os.close(main)


def test_parlor_tables_connect_runs_a_script_and_stops_at_the_first_refusal(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# a comment\nUSER sam\nJOIN main\nSTAT\nQUIT\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("USER sam2\nBET 10 red\nNOOP\n")  # BET before JOIN: 503
    with live_tables(sqlite_url(tmp_path)) as live:
        base = [sys.executable, "-m", "parlor", "tables", "connect", "--port", str(live.port)]
        ran = subprocess.run([*base, "--script", str(good)], capture_output=True, text=True)
        assert ran.returncode == 0, ran.stderr
        assert "230 sam plays anonymously" in ran.stdout
        assert "221 goodbye, sam" in ran.stdout
        refused = subprocess.run([*base, "--script", str(bad)], capture_output=True, text=True)
        assert refused.returncode == 1
        assert "503 sit at a table first" in refused.stdout
        assert "NOOP" not in refused.stdout  # it stopped there
    missing = subprocess.run(
        [sys.executable, "-m", "parlor", "tables", "connect", "--port", "1", "--script", str(good)],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert "is `parlor tables` running there?" in missing.stderr


def test_the_interactive_client_prints_events_while_you_type(tmp_path: Path) -> None:
    with live_tables(sqlite_url(tmp_path)) as live:
        main, secondary = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "parlor", "tables", "connect", "--port", str(live.port)],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            close_fds=True,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
        )
        os.close(secondary)
        try:
            assert b"220" in _read_until(main, b"220")
            time.sleep(0.5)  # the prompt comes up
            os.write(main, b"USER ian\r")
            assert b"230" in _read_until(main, b"230")
            os.write(main, b"JOIN main\r")
            assert b"250" in _read_until(main, b"you sit at main")
            with TablesClient(live.host, live.port) as other:
                other.send("USER jo")
                other.send("JOIN main")
                other.send("CHAT anyone here?")
                # Nothing typed: the event arrives and is printed above the prompt.
                assert b"anyone here?" in _read_until(main, b"anyone here?")
            os.write(main, b"QUIT\r")
            assert b"221" in _read_until(main, b"221")
            assert process.wait(10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            os.close(main)
