"""Waiting for a version without a thread: changes reported, changes polled, timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import pytest

from parlor.run.changes import Changes
from parlor.run.request import Topic
from tests.run.loop_support import run_async


def test_a_change_wakes_only_the_waiters_it_passes() -> None:
    changes = Changes()

    async def main() -> None:
        early = asyncio.ensure_future(changes.wait("t", 3, 5))
        late = asyncio.ensure_future(changes.wait("t", 4, 0.2))
        await asyncio.sleep(0.01)
        assert changes.waiting == 2
        started = time.perf_counter()
        changes.advance("t", 4)
        changes.advance("other", 99)
        assert await early is True
        assert time.perf_counter() - started < 0.1
        assert await late is False  # version 4 is not past 4: it timed out
        assert changes.waiting == 0

    run_async(main())


def test_changes_made_elsewhere_are_found_by_polling() -> None:
    versions: dict[Topic, int] = {"t": 1}
    asked: list[list[Topic]] = []

    async def current(topics: Sequence[Topic]) -> Mapping[Topic, int]:
        asked.append(list(topics))
        return {topic: versions[topic] for topic in topics if topic in versions}

    changes = Changes(current, poll_interval=0.01)

    async def main() -> None:
        waiter = asyncio.ensure_future(changes.wait("t", 1, 5))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        versions["t"] = 2  # another process committed; nobody here reported it
        started = time.perf_counter()
        assert await waiter is True
        assert time.perf_counter() - started < 0.1
        assert ["t"] in asked

    run_async(main())


def test_a_failing_poll_is_reported_and_retried(capsys: pytest.CaptureFixture[str]) -> None:
    calls = 0

    async def current(topics: Sequence[Topic]) -> Mapping[Topic, int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("store busy")
        return {"t": 5}

    changes = Changes(current, poll_interval=0.01)

    async def main() -> None:
        assert await changes.wait("t", 4, 2) is True

    run_async(main())
    assert calls >= 2
    assert "store busy" in capsys.readouterr().err
