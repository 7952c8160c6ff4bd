"""Waiting for a version without a thread: published changes, polled changes, timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

from loop_support import run_async

from parlor.run.changes import Changes, Topic
from parlor.run.threads import RequestThreads


def run_with_threads(changes: Changes, body: object) -> object:
    async def main() -> object:
        threads = RequestThreads(2)
        threads.start(asyncio.get_running_loop())
        changes.start(asyncio.get_running_loop(), threads)
        try:
            return await body(threads)  # type: ignore[operator]
        finally:
            threads.stop()

    return run_async(main())


def test_a_published_change_wakes_only_waiters_it_passes() -> None:
    changes = Changes()

    async def body(threads: RequestThreads) -> None:
        early = asyncio.ensure_future(changes.wait("t", 3, 5))
        late = asyncio.ensure_future(changes.wait("t", 4, 0.2))
        await asyncio.sleep(0.01)
        assert changes.waiting == 2
        started = time.perf_counter()
        # From another thread, as the house publishes after its commit.
        await threads.run(lambda: changes.publish("t", 4))
        assert await early is True
        assert time.perf_counter() - started < 0.1
        assert await late is False  # version 4 is not past 4: it timed out
        assert changes.waiting == 0

    run_with_threads(changes, body)


def test_publishing_with_nobody_waiting_costs_nothing_and_wakes_nothing() -> None:
    changes = Changes()
    changes.publish("t", 9)  # not started: ignored

    async def body(threads: RequestThreads) -> None:
        changes.publish("other", 1)
        assert await changes.wait("t", 0, 0.05) is False

    run_with_threads(changes, body)


def test_changes_made_elsewhere_are_found_by_polling() -> None:
    versions: dict[Topic, int] = {"t": 1}
    asked: list[list[Topic]] = []

    def current(topics: Sequence[Topic]) -> Mapping[Topic, int]:
        asked.append(list(topics))
        return {topic: versions[topic] for topic in topics if topic in versions}

    changes = Changes(current, poll_interval=0.01)

    async def body(threads: RequestThreads) -> None:
        waiter = asyncio.ensure_future(changes.wait("t", 1, 5))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        versions["t"] = 2  # another process committed; nobody published here
        started = time.perf_counter()
        assert await waiter is True
        assert time.perf_counter() - started < 0.1
        assert ["t"] in asked

    run_with_threads(changes, body)


def test_a_failing_poll_is_reported_and_retried() -> None:
    calls = 0

    def current(topics: Sequence[Topic]) -> Mapping[Topic, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store busy")
        return {"t": 5}

    changes = Changes(current, poll_interval=0.01)

    async def body(threads: RequestThreads) -> None:
        assert await changes.wait("t", 4, 2) is True

    run_with_threads(changes, body)
    assert calls >= 2
