"""How a WSGI app asks its server to hold a request until something changes.

A long poll must not hold a thread while it waits, and a WSGI app cannot
give its thread back. So the app asks instead: parlor's front door puts a
callable under ``WAIT_FOR`` in the environ; an app that wants to wait calls
it with a topic, the version it has seen and a timeout, and returns at once
(its response is discarded). The front door waits on its event loop and then
runs the request again without the key, and the app answers with what it
finds. Behind a server without the key, ``ask_to_wait`` says no and the app
answers at once.
"""

from __future__ import annotations

from collections.abc import Hashable

from parlor.wsgi.types import WSGIEnvironment

#: The environ key of the front door's park callable.
WAIT_FOR = "parlor.wait_for"
#: The longest any request may wait, in seconds.
MAX_WAIT = 30.0
#: Set in the environ of a request that asked to wait: its response is not
#: the answer, so the access log leaves it out.
PARKED = "parlor.parked"


def ask_to_wait(environ: WSGIEnvironment, topic: Hashable, since: int, timeout: float) -> bool:
    """Ask to be run again once ``topic`` passes version ``since``; False: answer now."""
    wait_for = environ.get(WAIT_FOR)
    if wait_for is None or timeout <= 0:
        return False
    wait_for(topic, since, min(timeout, MAX_WAIT))
    environ[PARKED] = True
    return True
