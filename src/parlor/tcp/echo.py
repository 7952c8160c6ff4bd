"""The seed's first socket example, the echo server and its client, with a server's limits.

The chapter's ``EchoHandler`` answers each line with ``Heard: 'TEXT'``; so does
``EchoServer``, for any number of clients at once (asyncio), with the limits
every line server here keeps:

- a line is at most ``max_line`` bytes (``parlor.tcp.protocol.Lines``: LF or
  CRLF, telnet negotiation dropped); a longer one is answered with a refusal and
  skipped to its next newline;
- a connection that sends no complete line for ``idle`` seconds is told so and
  closed, so a client that never finishes a line (slowloris) holds nothing for
  long;
- a client that never reads is dropped once ``max_sendq`` bytes wait for it,
  and everyone else is served.

``send`` is the chapter's ``Client``: connect, send one line, print the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable

from parlor.tcp.limits import DEFAULT_MAX_SENDQ
from parlor.tcp.limits import ECHO_IDLE as DEFAULT_IDLE
from parlor.tcp.limits import ECHO_PORT as DEFAULT_PORT
from parlor.tcp.protocol import MAX_LINE, Lines

_READ = 64 * 1024


def heard(line: bytes) -> bytes:
    """The answer to one line: ``Heard: 'TEXT'`` (bytes that are not UTF-8 shown escaped)."""
    text = line.decode("utf-8", errors="backslashreplace")
    return f"Heard: {text!r}\r\n".encode()


class EchoServer:
    """Answers every line of every client; ``serve`` runs it until cancelled."""

    def __init__(
        self,
        *,
        max_line: int = MAX_LINE,
        idle: float = DEFAULT_IDLE,
        max_sendq: int = DEFAULT_MAX_SENDQ,
    ) -> None:
        self.max_line = max_line
        self.idle = idle
        self.max_sendq = max_sendq
        #: Clients connected now.
        self.clients = 0
        #: Clients dropped for not reading their answers.
        self.dropped = 0
        self._open: set[asyncio.StreamWriter] = set()

    async def serve(
        self, host: str, port: int, *, ready: Callable[[str, int], object] | None = None
    ) -> None:
        server = await asyncio.start_server(self.handle, host, port, reuse_address=True)
        bound = server.sockets[0].getsockname()
        if ready is not None:
            ready(bound[0], bound[1])
        try:
            async with server:
                await server.serve_forever()
        finally:  # stopping: the clients still connected are closed too
            for writer in list(self._open):
                writer.transport.abort()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients += 1
        self._open.add(writer)
        try:
            if await self._converse(reader, writer):
                await asyncio.wait_for(writer.drain(), 5)
        except (ConnectionError, TimeoutError):
            pass  # gone, or not reading its last answers: closed all the same
        finally:
            self.clients -= 1
            self._open.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 5)

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer lines until the client leaves or idles; False if it was dropped."""
        lines = Lines(self.max_line)
        loop = asyncio.get_running_loop()
        # The clock runs from the last complete line, not the last byte: a client that
        # sends a byte now and then and never ends a line (slowloris) is closed as idle.
        deadline = loop.time() + self.idle
        while True:
            try:
                data = await asyncio.wait_for(reader.read(_READ), deadline - loop.time())
            except TimeoutError:
                writer.write(f"Closing: no line for {self.idle:g} s\r\n".encode())
                return True
            if not data:
                return True
            complete = lines.feed(data)
            if complete:
                deadline = loop.time() + self.idle
            for line in complete:
                if line is None:
                    writer.write(
                        f"Heard nothing: the line is longer than {self.max_line} bytes\r\n"
                        .encode()
                    )  # fmt: skip
                else:
                    writer.write(heard(line))
            if writer.transport.get_write_buffer_size() > self.max_sendq:
                self.dropped += 1
                writer.transport.abort()  # it does not read: drop it, serve the others
                return False


class EchoUnreachable(Exception):
    """No echo server answered: the message says what to check."""


def send(text: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT, timeout: float = 5.0) -> str:
    """Send ``text`` as one line, and return the server's answer (without its line end)."""
    if "\n" in text or "\r" in text:
        raise ValueError("send one line: the text holds a line break")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(text.encode() + b"\r\n")
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except TimeoutError:
        raise EchoUnreachable(
            f"the echo server at {host}:{port} did not answer within {timeout:g} s"
        ) from None
    except OSError as error:
        raise EchoUnreachable(
            f"cannot reach an echo server at {host}:{port} ({error.strerror or error}):"
            " is `parlor echo serve` running there?"
        ) from None
    if not answer:
        raise EchoUnreachable(f"the server at {host}:{port} closed without answering")
    return answer.decode("utf-8", errors="backslashreplace").rstrip("\r\n")
