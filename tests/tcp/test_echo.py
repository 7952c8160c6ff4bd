"""The echo server and client against real sockets on loopback, limits included."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.tcp.echo import EchoServer, EchoUnreachable, heard, send


class Running:
    """An EchoServer on its own loop in a thread, on a free port."""

    def __init__(self, server: EchoServer) -> None:
        self.server = server
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        def ready(host: str, port: int) -> None:
            self.port = port
            self._ready.set()

        self._task = self._loop.create_task(self.server.serve("127.0.0.1", 0, ready=ready))
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(self._task)
        # The clients' handlers end too (the server aborted their connections), then the loop.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._task.cancel)
            self._thread.join(10)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@pytest.fixture
def echo() -> Iterator[Running]:
    running = Running(EchoServer(idle=5, max_sendq=64 * 1024))
    yield running
    running.stop()


def read_lines(sock: socket.socket, count: int) -> list[bytes]:
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.splitlines()


def test_each_line_is_heard_whatever_the_packets(echo: Running) -> None:
    with echo.connect() as sock:
        for piece in (b"hel", b"lo\r\nwor", b"ld\n", b"caf\xc3\xa9\n", b"\xc3\x28\n"):
            sock.sendall(piece)
            time.sleep(0.01)
        assert read_lines(sock, 4) == [
            b"Heard: 'hello'", b"Heard: 'world'", b"Heard: 'caf\xc3\xa9'", b"Heard: '\\\\xc3('",
        ]  # fmt: skip
    assert heard(b"it's") == b'Heard: "it\'s"\r\n'


def test_fifty_clients_at_once(echo: Running) -> None:
    answers: list[bytes] = []

    def client(n: int) -> None:
        with echo.connect() as sock:
            sock.sendall(f"client {n}\n".encode())
            answers.extend(read_lines(sock, 1))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert sorted(answers) == sorted(f"Heard: 'client {n}'".encode() for n in range(50))


def test_a_line_too_long_is_refused_and_the_next_is_heard(echo: Running) -> None:
    with echo.connect() as sock:
        sock.sendall(b"x" * 5000 + b"\nnext\n")
        assert read_lines(sock, 2) == [
            b"Heard nothing: the line is longer than 1024 bytes", b"Heard: 'next'",
        ]  # fmt: skip


def test_a_client_that_never_reads_is_dropped_and_others_are_served(echo: Running) -> None:
    hog = socket.socket()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # it reads nothing anyway
    hog.settimeout(10)
    hog.connect(("127.0.0.1", echo.port))
    line = b"y" * 1000 + b"\n"
    sent = 0
    try:
        while sent < 200 * 1024 * 1024:
            hog.sendall(line * 64)
            sent += len(line) * 64
            if echo.server.dropped:
                break
    except OSError:
        pass  # dropped while it still sent
    finally:
        hog.close()
    assert echo.server.dropped == 1
    assert send("still here", port=echo.port) == "Heard: 'still here'"


def test_a_client_without_a_whole_line_is_closed_as_idle() -> None:
    running = Running(EchoServer(idle=0.4))
    try:
        with running.connect() as slow:
            started = time.monotonic()
            closed = b""
            for _ in range(20):  # a byte now and then, never a newline
                try:
                    slow.sendall(b"z")
                except OSError:
                    break
                time.sleep(0.1)
            slow.settimeout(5)
            while chunk := slow.recv(4096):
                closed += chunk
            assert closed == b"Closing: no line for 0.4 s\r\n"
            assert time.monotonic() - started < 3
    finally:
        running.stop()


def test_send_names_an_unreachable_server(echo: Running) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(EchoUnreachable, match="is `parlor echo serve` running there"):
        send("hello", port=port, timeout=2)
    with pytest.raises(ValueError, match="one line"):
        send("two\nlines", port=echo.port)


def test_parlor_echo_send_prints_the_answer_and_fails_clearly(echo: Running) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["echo", "send", "hi there", "--port", str(echo.port)])
    assert (result.exit_code, result.output) == (0, "Heard: 'hi there'\n")
    echo.stop()
    down = runner.invoke(app, ["echo", "send", "hi", "--port", str(echo.port), "--timeout", "1"])
    assert down.exit_code == 2
    assert "parlor echo:" in down.output


def test_parlor_echo_serve_says_where_it_listens_and_stops_on_ctrl_c() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "parlor", "echo", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.strip() == f"parlor echo listening on 127.0.0.1:{port} (Ctrl+C stops it)"
        assert send("from a process", port=port) == "Heard: 'from a process'"
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
        assert "parlor echo stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
