"""The tables server's connections: the codec on a socket, and every limit a line server keeps.

``LineServer`` accepts connections (asyncio; TLS when given a context), admits
each within the connection limits (``421`` past them), greets it, and reads
its commands one at a time. It answers the framing's refusals itself (``500``
for a line too long, not text, or empty), the flood penalty (``452``), and
closes a connection that idles past its timeout or sends too many unknown
commands in a row (``421``); everything else goes to the connection's
``Conversation``, which answers each command with exactly one reply.

Writes never wait: a reply or an event is queued on the socket, and a client
that lets more than ``max_sendq`` bytes wait unread is dropped, so one client
that never reads holds up nobody. The idle clock runs from the last complete
line, so a client that trickles a line without ever ending it (slowloris) is
closed as idle too.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Protocol

from parlor.tcp.commands import COMMANDS
from parlor.tcp.limits import Admission, Limits, Penalty
from parlor.tcp.protocol import Command, CommandReader, Event, LineRefused, Reply, fitted

_READ = 64 * 1024
#: Lines of one read answered before the loop serves the other connections.
_YIELD_EVERY = 32
#: Seconds a closing connection's last replies may take to leave before it is aborted.
CLOSE_GRACE = 5.0
#: Seconds a TLS client has to finish its handshake, once admitted.
HANDSHAKE_TIMEOUT = 10.0


class Link:
    """One client's side of the server: where its replies and events are written."""

    def __init__(
        self, writer: asyncio.StreamWriter, address: str, *, secure: bool, max_sendq: int
    ) -> None:
        self._writer = writer
        self.address = address
        #: The connection is TLS.
        self.secure = secure
        self._max_sendq = max_sendq
        #: Dropped, or closed: nothing more is written.
        self.closed = False
        #: Dropped for leaving more than the send queue unread.
        self.overflowed = False

    @property
    def loopback(self) -> bool:
        return self.address in ("127.0.0.1", "::1") or self.address.startswith("127.")

    def send(self, message: Reply | Event) -> None:
        """Queue ``message``; past the send queue the client is dropped (it does not read)."""
        if self.closed:
            return
        self._writer.write(fitted(message).encode())
        if self._writer.transport.get_write_buffer_size() > self._max_sendq:
            self.overflowed = True
            self.drop()

    def open(self) -> bool:
        """Still being written to (a method, not the attribute: it changes under a caller)."""
        return not self.closed

    def drop(self) -> None:
        """Abort the connection: what is queued for it is thrown away."""
        if not self.closed:
            self.closed = True
            self._writer.transport.abort()

    def close(self, last: Reply) -> None:
        """Write ``last``, then close once it is sent (the read ends with the close); a
        client that does not read it within ``CLOSE_GRACE`` seconds is aborted."""
        if not self.closed:
            self.send(last)
            self.closed = True
            transport = self._writer.transport
            self._writer.close()
            asyncio.get_running_loop().call_later(CLOSE_GRACE, transport.abort)


class Conversation(Protocol):
    """What a server says to one client: the protocol's meaning, behind the framing."""

    def greeting(self) -> Reply: ...

    async def answer(self, command: Command) -> Reply:
        """The one final reply to ``command`` (``221`` for QUIT ends the connection)."""
        ...

    async def gone(self) -> None:
        """The connection has ended, however it ended."""
        ...


class LineServer:
    """Serves connections, each with a ``Conversation`` from ``converse``."""

    def __init__(
        self,
        converse: Callable[[Link], Conversation],
        limits: Limits | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self._converse = converse
        self._tls = tls
        self.admission = Admission(self.limits.max_connections, self.limits.per_address)
        #: Clients dropped for not reading.
        self.dropped = 0
        self._links: set[Link] = set()

    async def serve(
        self,
        host: str,
        port: int,
        *,
        ready: Callable[[str, int], object] | None = None,
        started: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        # TLS is started by ``handle`` once the connection is admitted: a handshake run
        # before it (start_server's ssl=) holds descriptors no limit counts.
        if started is not None:  # before the port opens: nobody connects to a half-ready server
            await started()
        server = await asyncio.start_server(
            self.handle, host, port, reuse_address=True, backlog=1024
        )
        bound = server.sockets[0].getsockname()
        if ready is not None:
            ready(bound[0], bound[1])
        try:
            async with server:
                await server.serve_forever()
        finally:
            for link in list(self._links):
                link.drop()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        link = Link(writer, address, secure=self._tls is not None, max_sendq=self.limits.max_sendq)
        refusal = self.admission.enter(address)
        if refusal is not None:
            link.send(Reply.of(421, refusal))
            await _close(writer)
            return
        if self._tls is not None:
            try:
                await writer.start_tls(self._tls, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
            except (OSError, ssl.SSLError, TimeoutError):
                self.admission.leave(address)
                writer.transport.abort()
                return
        self._links.add(link)
        conversation = self._converse(link)
        try:
            link.send(conversation.greeting())
            await self._read(reader, link, conversation)
            if not link.closed:
                await asyncio.wait_for(writer.drain(), 5)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            pass  # gone, or not reading its last replies: closed all the same
        finally:
            # The connection counts until its conversation has ended (a player's seat
            # given up, a session cashed out).
            self._links.discard(link)
            self.dropped += link.overflowed
            try:
                await conversation.gone()
                await _close(writer)
            finally:
                self.admission.leave(address)

    async def _read(
        self, reader: asyncio.StreamReader, link: Link, conversation: Conversation
    ) -> None:
        limits = self.limits
        commands = CommandReader()
        penalty = Penalty(limits.burst, limits.interval)
        loop = asyncio.get_running_loop()
        watchdog = _Watchdog(loop, limits.idle, lambda: link.close(_idle_reply(limits.idle)))
        unknown = 0
        try:
            while link.open():
                data = await reader.read(_READ)
                if not data:
                    return
                complete = commands.feed(data)
                if commands.negotiation_flood:
                    link.send(
                        Reply.of(421, "more telnet negotiation than any telnet sends: closing")
                    )
                    return
                if complete:
                    watchdog.touch()
                for count, item in enumerate(complete, start=1):
                    if not link.open():
                        return
                    if count % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # a pipelined flood must not hold the loop
                    # Every line costs its penalty, and every line that is no command
                    # (refused by the framing, or an unknown verb) counts toward the close.
                    if not penalty.admit(loop.time()):
                        wait = penalty.wait(loop.time())
                        link.send(Reply.of(452, f"slow down: try again in {wait:.1f} s"))
                        continue
                    if isinstance(item, LineRefused) or item.verb not in COMMANDS:
                        unknown += 1
                        if unknown >= limits.max_unknown:
                            said = f"{unknown} lines in a row were no command: closing"
                            link.send(Reply.of(421, said))
                            return
                        link.send(
                            Reply.of(500, item.reason)
                            if isinstance(item, LineRefused)
                            else Reply.of(500, f"{item.verb} is no command: HELP lists them")
                        )
                        continue
                    unknown = 0
                    reply = await conversation.answer(item)
                    link.send(reply)
                    if reply.code == 221:
                        return
        finally:
            watchdog.cancel()


def _idle_reply(idle: float) -> Reply:
    return Reply.of(421, f"idle for {idle:g} s: closing")


class _Watchdog:
    """Calls ``expired`` once no line has completed for ``idle`` seconds.

    One timer per connection, moved on only when it fires: a line costs a store
    of the new deadline, not a new timer (``asyncio.wait_for`` on every read cost
    more than the rest of a NOOP).
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, idle: float, expired: Callable[[], object]
    ) -> None:
        self._loop, self._idle, self._expired = loop, idle, expired
        self._deadline = loop.time() + idle
        self._handle = loop.call_at(self._deadline, self._check)

    def touch(self) -> None:
        self._deadline = self._loop.time() + self._idle

    def _check(self) -> None:
        if self._loop.time() >= self._deadline:
            self._expired()
        else:
            self._handle = self._loop.call_at(self._deadline, self._check)

    def cancel(self) -> None:
        self._handle.cancel()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), CLOSE_GRACE)
    except TimeoutError:
        writer.transport.abort()  # it would not take its last bytes
    except (ConnectionError, ssl.SSLError):
        pass
