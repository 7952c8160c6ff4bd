"""App factories for the app-process tests (imported by name, in a child process too)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from typing import Any

from parlor.run.request import AppSetup, Publish
from parlor.wsgi.types import StartResponse, WSGIEnvironment
from parlor.wsgi.waiting import ask_to_wait


def counter(publish: Publish) -> AppSetup:
    """GET /pid, /slow, /boom, /wait; POST /bump publishes ("n", count)."""
    count = 0

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        nonlocal count
        path = environ["PATH_INFO"]
        if path == "/bump":
            count += 1
            publish(("n",), count)
        elif path == "/slow":
            time.sleep(1)
        elif path == "/boom":
            raise RuntimeError("boom")
        elif path == "/wait" and ask_to_wait(environ, ("n",), count, 1.0):
            start_response("204 No Content", [])
            return []
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{os.getpid()} {count} {environ['REQUEST_METHOD']}".encode()]

    def current(topics: Sequence[Any]) -> dict[Any, int]:
        return {("n",): count} if ("n",) in topics else {}

    return AppSetup(app, current)


def broken(publish: Publish) -> AppSetup:
    raise RuntimeError("this app cannot be built")
