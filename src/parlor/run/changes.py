"""Waiting for a change without a thread: the long-poll primitive.

Anything that changes has a *topic* (``("session", id)``) and a *version*, an
integer that grows with every change. A request that wants to hear of the
next change asks to be parked (``environ["parlor.wait_for"]``, see
``frontdoor``); the front door awaits ``Changes.wait`` on its event loop,
holding no thread, and runs the request again once the topic's version passes
the one the client has seen, or when its time is up.

Two ways a change is heard of, both on the loop's thread:

- ``advance(topic, version)``: every reply from the app carries the changes
  the app made while it answered (the house reports each after its commit),
  and the front door advances them before it sends the reply.
- Changes made by other workers, processes or hosts reach no reply here, so
  while anyone waits, the loop asks ``current(topics)`` (the database, through
  the app) every ``poll_interval`` seconds. That also covers the moment
  between the app reading a version and its request being parked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence

from parlor.run.request import Topic, Wait, report_unexpected

#: Given the topics someone waits on, their current versions (missing: unknown).
AsyncVersions = Callable[[Sequence[Topic]], Awaitable[Mapping[Topic, int]]]
#: The most park decisions remembered (``remember``); past it they are all forgotten.
MAX_REMEMBERED = 4096


class Changes:
    """The versions that parked requests wait on, in one event loop."""

    def __init__(self, current: AsyncVersions | None = None, *, poll_interval: float = 0.05):
        self.current = current
        self.poll_interval = poll_interval
        # Each topic's waiters, the version each has seen by its future: a thousand
        # watchers of one game come and go one at a time, each in O(1).
        self._waiters: dict[Topic, dict[asyncio.Future[None], int]] = {}
        self._poller: asyncio.Task[None] | None = None
        #: One more with every change heard of that woke someone or made a park decision
        #: stale (and with every reply that reports a change): the front door joins only
        #: identical requests in flight since the last one.
        self.epoch = 0
        # Park decisions by request (``remember``), and the requests each topic holds.
        self._decided: dict[Hashable, Wait] = {}
        self._decided_by_topic: dict[Topic, set[Hashable]] = {}

    @property
    def waiting(self) -> int:
        """How many requests are parked now."""
        return sum(len(waiters) for waiters in self._waiters.values())

    def advance(self, topic: Topic, version: int) -> None:
        """``topic`` is now at ``version``: wake whoever waits for less."""
        heard = False
        for future, since in self._waiters.get(topic, {}).items():
            if version > since and not future.done():
                future.set_result(None)
                heard = True
        decided = self._decided_by_topic.get(topic)
        if decided:  # the decisions to wait for less than this version are stale now
            for request in [r for r in decided if self._stale(r, version)]:
                decided.discard(request)
                self._decided.pop(request, None)
                heard = True
            if not decided:
                del self._decided_by_topic[topic]
        if heard:
            self.epoch += 1

    def remember(self, request: Hashable, wait: Wait) -> None:
        """The app asked ``request`` to wait: the same request may wait without asking it,
        until ``wait.topic`` changes (``recall``).

        This is what lets a thousand watchers of one game ask again after each
        move at the cost of one app call, not a thousand. A change this loop
        does not hear of at once (made in another worker) reaches it by the
        poller, which watches every topic someone waits on, so a request
        parked on a stale decision is woken within ``poll_interval``.
        """
        if len(self._decided) >= MAX_REMEMBERED:
            self._decided.clear()
            self._decided_by_topic.clear()
        self._decided[request] = wait
        self._decided_by_topic.setdefault(wait.topic, set()).add(request)

    def _stale(self, request: Hashable, version: int) -> bool:
        wait = self._decided.get(request)
        return wait is None or wait.since < version

    def recall(self, request: Hashable) -> Wait | None:
        """The wait the app asked of ``request`` before, while its topic has not changed."""
        return self._decided.get(request)

    def watch(self, topic: Topic, since: int) -> asyncio.Future[None]:
        """A future done once ``topic`` passes ``since``; ``unwatch`` it when done with it.

        A bare future, not a task: a parked request awaits it beside its
        client's disconnect, with its timeout, and no coroutine of its own.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiters.setdefault(topic, {})[future] = since
        if self.current is not None and (self._poller is None or self._poller.done()):
            self._poller = loop.create_task(self._poll(self.current))
        return future

    def unwatch(self, topic: Topic, future: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(topic)
        if waiters is not None:
            waiters.pop(future, None)
            if not waiters:
                del self._waiters[topic]

    async def wait(self, topic: Topic, since: int, timeout: float) -> bool:
        """Until ``topic`` passes version ``since`` (True) or ``timeout`` seconds pass (False)."""
        future = self.watch(topic, since)
        try:
            async with asyncio.timeout(timeout):
                await future
            return True
        except TimeoutError:
            return False
        finally:
            self.unwatch(topic, future)

    async def _poll(self, current: AsyncVersions) -> None:
        while self._waiters:
            await asyncio.sleep(self.poll_interval)
            topics = list(self._waiters)
            if not topics:
                break
            try:
                versions = await current(topics)
            except Exception as error:  # a busy store: the next poll tries again
                report_unexpected(error, "the long-poll watcher")
                continue
            for topic, version in versions.items():
                self.advance(topic, version)
