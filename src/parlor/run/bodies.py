"""Reading a request body whole, in the event loop, before any thread is involved.

Granian's WSGI interface hands the body to the app as it arrives, with no
deadline, so a client that sends headers and then nothing held a request
thread for as long as it liked: five of them stopped a server. Here the body
is read on the event loop, where a waiting client costs a coroutine and no
thread, under two limits:

- a size: a Content-Length above ``max_bytes`` is refused, and so is a
  chunked body once it grows past it (413). A client that sends its whole
  body before it reads (most do) would lose that answer to a TCP reset if the
  connection closed with its bytes unread, so a body up to ``drain_bytes`` is
  read to its end and dropped first; past that, the answer comes at once;
- a deadline for the whole body (408), however slowly it trickles.

A body that does not arrive whole is never acted on: shorter than its
Content-Length, a broken or unfinished chunked encoding, or a connection that
closed, is refused (400) and reaches no app.

How Granian (2.8) reports a broken body, measured against it in
tests/run/test_bodies_live.py: ``await proto()`` raises ``RSGIProtocolClosed``;
iterating ``proto`` yields one empty chunk at the end of a whole body and a
second one after a broken one (trailers look the same, so they are refused
too). Bodies with a Content-Length use the first, which cannot be fooled;
chunked bodies need the second, to stop reading at the size limit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Protocol


class Disconnection(Awaitable[None], Protocol):
    """Granian's future-like for a connection's end: asked, never awaited here."""

    def done(self) -> bool: ...

    def cancel(self) -> bool: ...


class BodySource(Protocol):
    """The part of Granian's RSGI ``HTTPProtocol`` that reads a request body."""

    def __call__(self) -> Awaitable[bytes]: ...

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def client_disconnect(self) -> Disconnection: ...


@dataclass(frozen=True, slots=True)
class BodyLimits:
    #: The largest body read at all; apps may refuse smaller ones themselves.
    max_bytes: int = 1024 * 1024
    #: Seconds the whole body may take to arrive, from the end of the headers.
    timeout: float = 10.0

    @property
    def drain_bytes(self) -> int:
        """How much of a body that is too large is still read (and dropped) before the 413."""
        return 8 * self.max_bytes


class BodyRefused(Exception):
    """The body will not be handed to any app; answer ``status`` and close."""

    def __init__(self, status: int, title: str, detail: str, code: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        #: The problem document's stable name, as the service's own problems have one.
        self.code = code


def _too_large(limits: BodyLimits) -> BodyRefused:
    return BodyRefused(
        413,
        "Content Too Large",
        f"the request body is larger than {limits.max_bytes:,} bytes",
        "body_too_large",  # the service's own name for its own 413
    )


def _incomplete(detail: str) -> BodyRefused:
    return BodyRefused(400, "Bad Request", detail, "incomplete_body")


async def read_body(source: BodySource, content_length: str | None, limits: BodyLimits) -> bytes:
    """The whole body, or ``BodyRefused``.

    ``content_length`` is the request's Content-Length header (Granian has
    already refused a malformed or repeated one; "0" for a request that may
    act but has no body), or None for a chunked body. An empty body is read
    too: reading it is what tells whether the client is still there.
    """
    if content_length is not None and int(content_length) > limits.drain_bytes:
        raise _too_large(limits)
    # Granian closes the connection when the client half-closes its side, and
    # then no answer can reach the client: a request it has sent whole but can
    # no longer hear the answer to is better not acted on at all. Granian's
    # future-like is looked at, not awaited: a Task around it cost a request
    # a loop wake-up for nothing.
    gone = source.client_disconnect()
    try:
        try:
            async with asyncio.timeout(limits.timeout):
                if content_length is not None and int(content_length) > limits.max_bytes:
                    await _drain(source.__aiter__(), limits.drain_bytes)
                    raise _too_large(limits)
                if content_length is not None:
                    body = await _whole(source)
                else:
                    body = await _chunked(source, limits)
        except TimeoutError:
            raise BodyRefused(
                408,
                "Request Timeout",
                f"the request body did not arrive within {limits.timeout:g} s",
                "body_timeout",
            ) from None
        if gone.done():
            raise _incomplete("the connection closed before the request could be answered")
        return body
    finally:
        gone.cancel()


async def _whole(source: BodySource) -> bytes:
    try:
        return await source()
    except RuntimeError:  # RSGIProtocolClosed, RSGIProtocolError
        raise _incomplete(
            "the request body ended before its Content-Length, or the connection closed"
        ) from None


async def _chunked(source: BodySource, limits: BodyLimits) -> bytes:
    parts: list[bytes] = []
    size = 0
    ends = 0
    # One iterator for the whole body, stepped by hand: Granian's __aiter__
    # returns the protocol itself and refuses to be called twice, which an
    # ``async for`` over the iterator (or a second one to drain) would do.
    chunks = source.__aiter__()
    while (chunk := await _step(chunks)) is not None:
        if not chunk:
            ends += 1
            continue
        if ends:
            break
        size += len(chunk)
        if size > limits.max_bytes:
            await _drain(chunks, limits.drain_bytes - size)
            raise _too_large(limits)
        parts.append(chunk)
    if ends != 1:
        raise _incomplete(
            "the chunked request body is malformed or incomplete (trailers are not accepted)"
        )
    return b"".join(parts)


async def _drain(chunks: AsyncIterator[bytes], budget: int) -> None:
    """Read and drop what is left of a body, up to ``budget`` bytes."""
    while (chunk := await _step(chunks)) is not None:
        budget -= len(chunk)
        if not chunk or budget <= 0:
            return


async def _step(chunks: AsyncIterator[bytes]) -> bytes | None:
    """The next chunk, or None at the end (the ``anext`` builtin took Granian's worker down)."""
    try:
        return await chunks.__anext__()
    except StopAsyncIteration:
        return None
