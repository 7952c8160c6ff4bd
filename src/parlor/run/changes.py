"""Waiting for a change without a thread: the long-poll primitive.

Anything that changes has a *topic* (``("session", id)``) and a *version*, an
integer that grows with every change. A request that wants to hear of the
next change asks the front door to park it (``environ["parlor.wait_for"]``,
see ``frontdoor``); the front door awaits ``Changes.wait`` on its event loop,
holding no thread, and runs the request again once the topic's version passes
the one the client has seen, or when its time is up.

Two ways a change is heard of:

- ``publish(topic, version)``, called by whoever made the change in this
  process, after it committed. It costs a dict lookup when nobody waits on the
  topic, and one wake-up of the loop when somebody does.
- Changes made by other processes (``--workers N``, other hosts on
  PostgreSQL) reach no ``publish`` here, so while anyone waits the loop asks
  ``current(topics)`` (the database) every ``poll_interval`` seconds, on a
  request thread. It also covers the moment between an app reading a version
  and its request being parked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Protocol

from parlor.run.threads import report_unexpected

Topic = Hashable
#: Given the topics someone waits on, their current versions (missing: unknown).
CurrentVersions = Callable[[Sequence[Topic]], Mapping[Topic, int]]


class BlockingRunner(Protocol):
    def run(self, work: Callable[[], Mapping[Topic, int]]) -> asyncio.Future[Mapping[Topic, int]]:
        """Run ``work`` off the loop; the future resolves with its result."""
        ...


class Changes:
    """The versions that waiting requests wait on, in one process."""

    def __init__(self, current: CurrentVersions | None = None, *, poll_interval: float = 0.05):
        self.current = current
        self.poll_interval = poll_interval
        # topic -> [(version seen, future)], touched only on the loop's thread;
        # ``publish`` only reads whether a topic is in it (atomic under the GIL).
        self._waiters: dict[Topic, list[tuple[int, asyncio.Future[None]]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: BlockingRunner | None = None
        self._poller: asyncio.Task[None] | None = None

    def start(self, loop: asyncio.AbstractEventLoop, runner: BlockingRunner) -> None:
        self._loop = loop
        self._runner = runner

    @property
    def waiting(self) -> int:
        """How many requests are parked now."""
        return sum(len(waiters) for waiters in self._waiters.values())

    def publish(self, topic: Topic, version: int) -> None:
        """``topic`` is now at ``version`` (any thread; after the change committed)."""
        loop = self._loop
        if loop is None or topic not in self._waiters:
            return
        # RuntimeError: the loop has closed, the worker is stopping.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._advance, topic, version)

    async def wait(self, topic: Topic, since: int, timeout: float) -> bool:
        """Until ``topic`` passes version ``since`` (True) or ``timeout`` seconds pass (False)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (since, future)
        self._waiters.setdefault(topic, []).append(entry)
        if self.current is not None and (self._poller is None or self._poller.done()):
            self._poller = loop.create_task(self._poll())
        try:
            async with asyncio.timeout(timeout):
                await future
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(topic)
            if waiters is not None:
                waiters.remove(entry)
                if not waiters:
                    del self._waiters[topic]

    def _advance(self, topic: Topic, version: int) -> None:
        for since, future in self._waiters.get(topic, ()):
            if version > since and not future.done():
                future.set_result(None)

    async def _poll(self) -> None:
        current, runner = self.current, self._runner
        if current is None or runner is None:
            return
        while self._waiters:
            await asyncio.sleep(self.poll_interval)
            topics = list(self._waiters)
            if not topics:
                break
            try:
                versions = await runner.run(partial(current, topics))
            except Exception as error:  # a busy store: the next poll tries again
                report_unexpected(error, "the long-poll watcher")
                continue
            for topic, version in versions.items():
                self._advance(topic, version)
