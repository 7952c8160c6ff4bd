"""The request threads: results come back to the loop, errors too, a batch per wake-up."""

from __future__ import annotations

import asyncio
import functools
import threading
import time

import pytest

from parlor.run.threads import RequestThreads
from tests.run.loop_support import run_async


def test_work_runs_off_the_loop_and_comes_back() -> None:
    async def main() -> None:
        threads = RequestThreads(3)
        threads.start(asyncio.get_running_loop())
        try:
            loop_thread = threading.get_ident()
            ran_on = await threads.run(threading.get_ident)
            assert ran_on != loop_thread
            results = await asyncio.gather(
                *(threads.run(functools.partial(pow, i, 2)) for i in range(200))
            )
            assert results == [i * i for i in range(200)]
        finally:
            threads.stop()

    run_async(main())


def test_an_exception_reaches_the_awaiting_coroutine() -> None:
    async def main() -> None:
        threads = RequestThreads(1)
        threads.start(asyncio.get_running_loop())
        try:
            with pytest.raises(ZeroDivisionError):
                await threads.run(lambda: 1 // 0)
            assert await threads.run(lambda: "still serving") == "still serving"
        finally:
            threads.stop()

    run_async(main())


def test_at_most_count_jobs_run_at_once() -> None:
    running, peak = 0, 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    async def main() -> None:
        threads = RequestThreads(2)
        threads.start(asyncio.get_running_loop())
        try:
            await asyncio.gather(*(threads.run(job) for _ in range(10)))
        finally:
            threads.stop()

    run_async(main())
    assert peak == 2


def test_a_cancelled_waiter_does_not_break_the_drain() -> None:
    async def main() -> None:
        threads = RequestThreads(1)
        threads.start(asyncio.get_running_loop())
        try:
            slow = threads.run(lambda: time.sleep(0.05))
            slow.cancel()
            assert await threads.run(lambda: 7) == 7
        finally:
            threads.stop()

    run_async(main())


def test_it_must_be_started_and_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RequestThreads(0)
    with pytest.raises(RuntimeError, match="start"):
        RequestThreads(1).run(lambda: None)
