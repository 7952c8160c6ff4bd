"""Reading a body whole, against a stand-in for Granian's RSGI protocol object.

The stand-in behaves as Granian 2.8 was measured to (tests/e2e/test_front_door_e2e.py
holds the same cases against the real one): ``await proto()`` raises on a broken
body; iterating yields one empty chunk after a whole body and two after a broken one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from parlor.run.bodies import BodyLimits, BodyRefused, read_body
from tests.run.loop_support import run_async


class Source:
    def __init__(
        self,
        chunks: Sequence[bytes] = (),
        *,
        broken: bool = False,
        delay: float = 0.0,
        gone: bool = False,
    ) -> None:
        self.chunks = list(chunks)
        self.broken = broken
        self.delay = delay
        self.gone = gone
        self.read = False
        self.iterated = False

    async def _collect(self) -> bytes:
        self.read = True
        await asyncio.sleep(self.delay)
        if self.broken:
            raise RuntimeError("RSGI transport is closed")
        return b"".join(self.chunks)

    def __call__(self) -> asyncio.Future[bytes]:
        return asyncio.ensure_future(self._collect())

    def __aiter__(self) -> AsyncIterator[bytes]:
        # As Granian's: the body can be iterated once; a second __aiter__ raises.
        if self.iterated:
            raise RuntimeError("RSGI protocol error: body already consumed")
        self.iterated = True
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        self.read = True
        for chunk in self.chunks:
            await asyncio.sleep(self.delay)
            yield chunk
        yield b""
        if self.broken:
            yield b""

    def client_disconnect(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.gone:
            future.set_result(None)
        return future


LIMITS = BodyLimits(max_bytes=10, timeout=0.2)


def read(source: Source, length: str | None) -> bytes:
    async def main() -> bytes:
        future = asyncio.ensure_future(read_body(source, length, LIMITS))
        await asyncio.sleep(0)  # let client_disconnect's stand-in settle
        return await future

    return run_async(main())


def refused(source: Source, length: str | None) -> BodyRefused:
    with pytest.raises(BodyRefused) as caught:
        read(source, length)
    return caught.value


def test_whole_bodies_are_read() -> None:
    assert read(Source([b"abc"]), "3") == b"abc"
    assert read(Source([b"ab", b"c"]), None) == b"abc"
    assert read(Source(), None) == b""


def test_an_empty_body_is_still_read_to_see_the_client_is_there() -> None:
    assert read(Source(), "0") == b""
    assert refused(Source(gone=True), "0").status == 400


def test_a_length_over_the_limit_is_drained_then_refused() -> None:
    source = Source([b"x" * 11])
    assert refused(source, "11").status == 413
    assert source.read


def test_a_length_past_what_is_worth_draining_is_refused_before_reading() -> None:
    source = Source([b"x" * 81])
    assert refused(source, "81").status == 413
    assert not source.read


def test_a_chunked_body_over_the_limit_is_drained_then_refused() -> None:
    source = Source([b"x" * 6, b"x" * 6, b"x" * 6])
    assert refused(source, None).status == 413
    assert source.iterated


@pytest.mark.parametrize("length", ["5", None])
def test_a_broken_body_is_400(length: str | None) -> None:
    refusal = refused(Source([b"ab"], broken=True), length)
    assert refusal.status == 400
    assert refusal.title == "Bad Request"


@pytest.mark.parametrize("length", ["5", None])
def test_a_slow_body_runs_out_of_time(length: str | None) -> None:
    refusal = refused(Source([b"ab", b"cde"], delay=0.5), length)
    assert refusal.status == 408
    assert "0.2 s" in refusal.detail


def test_a_request_from_a_client_that_left_is_not_acted_on() -> None:
    refusal = refused(Source([b"abc"], gone=True), "3")
    assert refusal.status == 400
    assert "closed" in refusal.detail
