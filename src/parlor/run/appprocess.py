"""The front door's side of its app process: spawn it, talk to it, replace it if it dies.

``AppProcess(target)`` starts ``python -m parlor.run.appworker`` on one end
of a socketpair and speaks the frames described there over the other end, on
the front door's event loop: each ``call`` writes a frame and awaits the reply
with its id, so any number of requests are in flight at once and none holds a
thread here. If the app process dies, the requests in flight are answered
503 and a new one is started.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from parlor.run import frames
from parlor.run.request import Reply, Request, Topic

#: Seconds an app process may take to build its app and say so.
READY_TIMEOUT = 60.0
#: The least time between two starts of an app process that keeps dying.
RESTART_INTERVAL = 1.0


class AppGone(Exception):
    """The app process ended before it answered."""


class _Channel(asyncio.Protocol):
    def __init__(self, on_lost: Any) -> None:
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.transport: asyncio.Transport | None = None
        self._reader = frames.FrameReader()
        self._on_lost = on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            messages = self._reader.feed(data)
        except frames.FrameError:
            if self.transport is not None:
                self.transport.close()
            return
        for message in messages:
            if message[0] == "ready":
                if not self.ready.done():
                    self.ready.set_result(None)
                continue
            future = self.pending.pop(message[1], None)
            if future is not None and not future.done():
                future.set_result(message[2])

    def connection_lost(self, exc: Exception | None) -> None:
        gone = AppGone("the application process stopped before it answered")
        if not self.ready.done():
            self.ready.set_exception(gone)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(gone)
        self.pending.clear()
        self._on_lost(self)


class AppProcess:
    """A WSGI app factory (``module:function``) served by a child process."""

    def __init__(self, target: str, *, threads: int, multiprocess: bool = False) -> None:
        self.target = target
        self.threads = threads
        self.multiprocess = multiprocess
        self.process: subprocess.Popen[bytes] | None = None
        self._channel: asyncio.Future[_Channel] | None = None
        self._connected: _Channel | None = None
        self._next_id = 0
        self._stopping = False
        self._spawned_at = 0.0

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Spawn the app process and wait until it is ready (the worker serves after this).

        A worker that cannot build its app fails here, at start, with the
        app process's error in the log, rather than answering 503 for ever.
        """
        sock = self._spawn()
        try:
            _read_ready(sock, timeout=READY_TIMEOUT)
        except (OSError, frames.FrameError) as error:
            sock.close()
            raise RuntimeError(
                f"the application process ({self.target}) did not start: {error};"
                " its error is above"
            ) from None
        self._begin(loop, sock, ready=True)

    def _spawn(self) -> socket.socket:
        ours, theirs = socket.socketpair()
        argv = [sys.executable, "-m", "parlor.run.appworker", self.target, str(theirs.fileno())]
        argv += [str(self.threads), "1" if self.multiprocess else "0"]
        try:
            # Arguments from parlor's own settings: a factory name and numbers.
            self.process = subprocess.Popen(argv, pass_fds=[theirs.fileno()])  # noqa: S603
        finally:
            theirs.close()
        self._spawned_at = time.monotonic()
        return ours

    def _begin(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, *, ready: bool) -> None:
        self._channel = loop.create_task(self._connect(sock, ready=ready))
        # A process that dies before it is ready fails this task; the requests
        # waiting on it get the error, and nobody else needs to hear of it.
        self._channel.add_done_callback(_retrieve)

    async def _connect(self, sock: socket.socket, *, ready: bool) -> _Channel:
        loop = asyncio.get_running_loop()
        _, channel = await loop.create_connection(lambda: _Channel(self._lost), sock=sock)
        if ready:
            channel.ready.set_result(None)
        await channel.ready
        self._connected = channel
        return channel

    def _lost(self, channel: _Channel) -> None:
        if self._connected is channel:
            self._connected = None
        if self.process is not None:
            # The channel closes as the process ends: reap it (a moment at most).
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)
        if self._stopping:
            return
        # One that dies as it starts (a store that cannot be opened) is not
        # started again more than once a second; calls meanwhile get 503.
        lived = time.monotonic() - self._spawned_at
        delay = max(0.0, RESTART_INTERVAL - lived)
        sys.stderr.write(
            f"parlor: the application process ({self.target}) stopped;"
            f" starting another{f' in {delay:.1f} s' if delay else ''}\n"
        )
        asyncio.get_running_loop().call_later(delay, self._restart)

    def _restart(self) -> None:
        if not self._stopping:
            # Not start(): the loop runs now, and must not wait for the new one.
            self._begin(asyncio.get_running_loop(), self._spawn(), ready=False)

    def stop(self) -> None:
        """End the app process (called as the worker stops, with the loop no longer running).

        SIGTERM rather than closing the channel: closing an asyncio transport
        waits for the loop's next turn, which never comes here. The worker has
        stopped serving by now, so no request is lost.
        """
        self._stopping = True
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    async def _ask(self, *message: Any) -> Any:
        channel = self._connected
        if channel is None:  # starting, or starting again
            if self._channel is None:
                raise RuntimeError("AppProcess.start(loop) was not called")
            channel = await asyncio.shield(self._channel)
        transport = channel.transport
        if transport is None or transport.is_closing():
            raise AppGone("the application process is restarting")
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        channel.pending[ident] = future
        transport.write(frames.encode((message[0], ident, *message[1:])))
        return await future

    async def call(self, request: Request, *, allow_wait: bool) -> Reply:
        return Reply.from_wire(await self._ask("call", request.to_wire(), allow_wait))

    async def versions(self, topics: Sequence[Topic]) -> Mapping[Topic, int]:
        found = await self._ask("versions", list(topics))
        if found is None:
            raise RuntimeError("the application could not read versions (see its log)")
        return dict(found)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def _read_ready(sock: socket.socket, *, timeout: float) -> None:
    """Block until the app process's first frame, which must be ("ready",)."""
    sock.settimeout(timeout)
    reader = frames.FrameReader()
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                raise frames.FrameError("the application process exited")
            messages = reader.feed(data)
            if messages:
                if messages != [("ready",)]:
                    raise frames.FrameError(f"it said {messages[0]!r} first, not ready")
                return
    finally:
        sock.settimeout(None)
