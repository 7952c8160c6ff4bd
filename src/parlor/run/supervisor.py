"""``parlor serve``: start every front door as a child process and watch them.

It starts each door of ``parlor.run.serve.DOORS`` as a child (``python -m
parlor service …``, ``… web …``), waits until each accepts connections,
prints where everything listens, and on SIGINT or SIGTERM stops the children
and exits 0. A child that dies takes the others down with it, and the
supervisor says which one and why it probably did; a supervisor that dies,
even by ``kill -9``, takes its children with it (``parlor.run.lifeline``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import IO

from parlor.run.serve import SUPERVISOR_PID, DoorProcess, PortInUse, ensure_port_free, say_line


def port_answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at ``host:port`` right now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Supervisor:
    """Start front doors as children; stop them all on a signal or when one dies."""

    def __init__(self, doors: Sequence[DoorProcess], *, out: IO[str] | None = None) -> None:
        self.doors = list(doors)
        self._out = out or sys.stderr
        self._stopping = False
        self._children: list[subprocess.Popen[bytes]] = []

    def _say(self, text: str) -> None:
        say_line(text, self._out)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def run(
        self, *, ready_timeout: float = 60.0, on_ready: Callable[[], object] | None = None
    ) -> int:
        """Start every door; once all accept connections, say so and call ``on_ready``."""
        try:
            for door in self.doors:
                ensure_port_free(door.host, door.port, door.flag)
        except PortInUse as error:
            self._say(f"parlor: {error}")
            return 1
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            # argv is built by front_doors() from this interpreter and typed settings.
            # Each child leads a process group of its own, with its workers: a
            # terminal's Ctrl+C then reaches only this supervisor, which stops
            # each server in order, and a server that will not stop is killed
            # with all its workers, leaving nothing behind.
            # Each child ends itself when this process dies (parlor.run.lifeline).
            environment = {**os.environ, SUPERVISOR_PID: str(os.getpid())}
            self._children = [
                subprocess.Popen(door.argv, process_group=0, env=environment)  # noqa: S603
                for door in self.doors
            ]
            failed = self._wait_until_ready(ready_timeout)
            if failed is None and not self._stopping:
                self._say("parlor is ready; press Ctrl+C to stop")
                if on_ready is not None:
                    on_ready()
                failed = self._watch()
            return self._stop(failed)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _wait_until_ready(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        pending = set(range(len(self.doors)))
        while pending and not self._stopping:
            for index in sorted(pending):
                door, child = self.doors[index], self._children[index]
                if child.poll() is not None:
                    return index
                if port_answers(door.host, door.port):
                    pending.discard(index)
            if time.monotonic() > deadline:
                self._say(
                    f"parlor: {self.doors[min(pending)].label} did not start within {timeout:g} s"
                )
                return min(pending)
            time.sleep(0.05)
        return None

    def _watch(self) -> int | None:
        while not self._stopping:
            for index, child in enumerate(self._children):
                if child.poll() is not None:
                    return index
            time.sleep(0.2)
        return None

    def _stop(self, failed: int | None) -> int:
        if failed is not None:
            door, code = self.doors[failed], self._children[failed].poll()
            self._say(
                f"parlor: the {door.label} stopped (exit {code}); if port {door.port} is"
                f" already in use, choose another with {door.flag}"
            )
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self._children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._say(f"parlor: pid {child.pid} did not stop within 15 s; killing it")
            # Workers outlive a server killed from outside; none may stay.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        if failed is None:
            self._say("parlor stopped")
            return 0
        return 1
