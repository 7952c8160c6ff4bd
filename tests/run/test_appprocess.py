"""The app process: its frames in-process over a socketpair, then a real child process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from parlor.run import frames
from parlor.run.appprocess import AppGone, AppProcess
from parlor.run.appworker import AppServer, load_factory
from parlor.run.request import Reply, Request
from tests.run.loop_support import run_async
from tests.run.tiny_apps import counter

HERE = Path(__file__).resolve().parent
#: The checkout, from which an app process imports tests.run.tiny_apps.
ROOT = HERE.parent.parent


def request(path: str, method: str = "GET", body: bytes = b"") -> Request:
    return Request(method, path, "", "1.1", "127.0.0.1:1", "http", "127.0.0.1", [], body, 0.0)


class Peer:
    """The front door's end of a socketpair, spoken to by hand."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = frames.FrameReader()
        self.pending: list[Any] = []

    def send(self, *message: Any) -> None:
        self.sock.sendall(frames.encode(message))

    def receive(self) -> Any:
        while not self.pending:
            data = self.sock.recv(65536)
            assert data, "the app process closed the channel"
            self.pending.extend(self.reader.feed(data))
        return self.pending.pop(0)


@pytest.fixture
def served() -> Any:
    ours, theirs = socket.socketpair()
    server = AppServer(theirs, counter, threads=2, multiprocess=False)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    peer = Peer(ours)
    assert peer.receive() == ("ready",)
    yield peer
    ours.close()
    thread.join(timeout=5)
    assert not thread.is_alive(), "the app server did not end when its channel closed"


def test_a_call_is_answered_with_its_changes(served: Peer) -> None:
    served.send("call", 7, request("/bump", "POST").to_wire(), True)
    kind, ident, wire = served.receive()
    assert (kind, ident) == ("reply", 7)
    reply = Reply.from_wire(wire)
    assert reply.status == 200
    assert reply.changes == [(("n",), 1)]
    assert reply.body.endswith(b" 1 POST")


def test_a_wait_is_asked_only_when_allowed(served: Peer) -> None:
    served.send("call", 1, request("/wait").to_wire(), True)
    reply = Reply.from_wire(served.receive()[2])
    assert reply.wait is not None
    assert (reply.wait.topic, reply.wait.since, reply.wait.timeout) == (("n",), 0, 1.0)
    served.send("call", 2, request("/wait").to_wire(), False)
    assert Reply.from_wire(served.receive()[2]).status == 200


def test_versions_and_a_failing_app(served: Peer, capsys: pytest.CaptureFixture[str]) -> None:
    served.send("versions", 3, [("n",), ("other",)])
    assert served.receive() == ("versions", 3, [(("n",), 0)])
    served.send("call", 4, request("/boom").to_wire(), True)
    assert Reply.from_wire(served.receive()[2]).status == 500
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_requests_run_side_by_side(served: Peer) -> None:
    served.send("call", 1, request("/slow").to_wire(), True)
    served.send("call", 2, request("/pid").to_wire(), True)
    assert served.receive()[1] == 2  # not stuck behind the slow one


def test_load_factory_names_module_and_function() -> None:
    assert load_factory("tests.run.tiny_apps:counter") is counter


def test_a_real_app_process_answers_dies_and_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    app = AppProcess("tests.run.tiny_apps:counter", threads=2)

    async def main() -> None:
        app.start(asyncio.get_running_loop())
        try:
            first = await app.call(request("/bump", "POST"), allow_wait=True)
            pid = int(first.body.split()[0])
            assert pid != os.getpid()
            assert first.changes == [(("n",), 1)]
            assert await app.versions([("n",)]) == {("n",): 1}
            slow = asyncio.ensure_future(app.call(request("/slow"), allow_wait=True))
            await asyncio.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(AppGone):
                await slow
            for _ in range(100):  # a new one starts; its state is its own
                try:
                    again = await app.call(request("/pid"), allow_wait=True)
                    break
                except AppGone:
                    await asyncio.sleep(0.05)
            assert int(again.body.split()[0]) not in (pid, os.getpid())
            assert again.body.endswith(b" 0 GET")
        finally:
            app.stop()

    run_async(main())
    assert app.process is not None
    assert app.process.returncode is not None


def test_an_app_that_cannot_be_built_fails_the_start(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    app = AppProcess("tests.run.tiny_apps:broken", threads=1)

    async def main() -> None:
        with pytest.raises(RuntimeError, match="did not start"):
            app.start(asyncio.get_running_loop())

    run_async(main())
    assert app.process is not None
    assert app.process.wait(timeout=10) != 0
    assert "this app cannot be built" in capfd.readouterr().err
