"""Request threads beside an event loop, in one process: ``RequestThreads`` and ``ThreadedApp``.

An event loop must never run application code: a WSGI app may wait on a
database for as long as its busy timeout, and the loop must go on reading
bodies, firing deadlines and waking long polls meanwhile. ``RequestThreads``
runs blocking work for a loop: a job goes through one ``queue.SimpleQueue``
(one C lock), and results come back through a deque, the thread that finds no
wake-up pending scheduling one ``drain`` on the loop, so under load many
results share one wake-up of the loop's self-pipe. Hello-world through it ran
at 25k requests/s where ``loop.run_in_executor`` ran 9.7k and Granian's own
WSGI threads 37k.

But a request thread and the loop share one GIL, and every sqlite3 call lets
go of it: under load a bet waited on the loop again and again, and bets/s fell
to half of Granian's WSGI figure. So the servers run their apps in an app
process of their own (``appprocess``); ``ThreadedApp`` runs an app on these
threads in the front door's own process, for tests and for the few who want
one process.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from parlor.run.request import AppSetup, ChangeLog, Publish, Reply, Request, Topic, run_app

T = TypeVar("T")

_STOP: Any = object()


class _Job(Generic[T]):
    __slots__ = ("future", "work")

    def __init__(self, work: Callable[[], T], future: asyncio.Future[T]) -> None:
        self.work = work
        self.future = future


class RequestThreads:
    """``count`` threads that run blocking work for one event loop.

    ``start(loop)`` must be called on the loop's own process (after any fork):
    threads do not survive a fork, and a thread alive at fork time can leave a
    lock taken in the child.
    """

    def __init__(self, count: int, *, name: str = "parlor-request") -> None:
        if count < 1:
            raise ValueError("a front door needs at least one request thread")
        self.count = count
        self._name = name
        self._jobs: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._done: deque[tuple[_Job[Any], bool, Any]] = deque()
        self._wake_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._threads:
            return
        self._loop = loop
        for index in range(self.count):
            thread = threading.Thread(target=self._serve, name=f"{self._name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Let each thread finish the job it has, then end it."""
        for _ in self._threads:
            self._jobs.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """Run ``work()`` on a request thread; await the returned future for its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("RequestThreads.start(loop) was not called")
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(work, future))
        return future

    def _serve(self) -> None:
        get, done = self._jobs.get, self._done
        while (job := get()) is not _STOP:
            try:
                result, ok = job.work(), True
            except BaseException as error:  # handed to the awaiting coroutine
                result, ok = error, False
            done.append((job, ok, result))
            # Order matters: append, then look at the flag. ``_drain`` clears the
            # flag before it empties the deque, so a result appended after the
            # drain has looked is either seen by that drain or schedules another.
            if not self._wake_pending:
                self._wake_pending = True
                loop = self._loop
                assert loop is not None
                try:
                    loop.call_soon_threadsafe(self._drain)
                except RuntimeError:  # the loop has closed: nobody awaits any more
                    return
            del job, result

    def _drain(self) -> None:
        self._wake_pending = False
        done = self._done
        while done:
            job, ok, result = done.popleft()
            future = job.future
            if future.done():  # its request gave up waiting (cancelled)
                continue
            if ok:
                future.set_result(result)
            else:
                future.set_exception(result)


class ThreadedApp:
    """An app factory's app, run on ``RequestThreads`` in this process."""

    def __init__(self, factory: Callable[[Publish], AppSetup], threads: RequestThreads) -> None:
        self._log = ChangeLog()
        self._setup = factory(self._log.publish)
        self.threads = threads

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.threads.start(loop)

    def stop(self) -> None:
        self.threads.stop()

    async def call(self, request: Request, *, allow_wait: bool) -> Reply:
        app, log = self._setup.app, self._log
        return await self.threads.run(lambda: run_app(app, request, allow_wait=allow_wait, log=log))

    async def versions(self, topics: Sequence[Topic]) -> Mapping[Topic, int]:
        current = self._setup.current
        if current is None:
            return {}
        return await self.threads.run(partial(current, topics))
