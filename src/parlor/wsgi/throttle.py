"""Throttling failed logins: a burst of free tries per key, then exponentially growing waits.

Each login attempt is counted under several keys at once: the account it names and the address
it comes from (the authentication pipe builds them as ``"account:" + name.casefold()`` and
``"address:" + REMOTE_ADDR``). Guessing one account's password from many addresses is slowed by
the first key, guessing many accounts' from one address by the second.

The policy, per key, with ``n`` failures counted so far:

- while ``n < burst`` an attempt may go ahead at once (people mistype);
- after that the next attempt must wait ``min(max_delay, delay * 2 ** (n - burst))`` seconds
  from the latest failure: 1 s, 2 s, 4 s, … up to 15 minutes with the defaults;
- a success clears the *account*'s count (:meth:`Throttle.succeeded`), never the address's, so
  an attacker cannot reset their address by logging into an account of their own;
- a key with no failure for ``forget_after`` seconds is forgotten.

:meth:`Throttle.check` is asked *before* the password is verified: a throttled attempt is
refused without being tried, so it tells the attacker nothing and costs no password hashing; it
does not count as a failure either. Memory is bounded: past ``max_keys`` keys, the key that
failed longest ago is forgotten first. That is the price of a bound: someone cycling through
more than ``max_keys`` addresses can wash an account's count out early.

The clock is passed in; the class is thread-safe and does no I/O.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Throttle", "for_registrations", "wait_words", "whole_seconds"]

# 2 ** 64 seconds is beyond any max_delay: no need to let the exponent grow further.
_MAX_DOUBLINGS = 64


@dataclass
class _Record:
    failures: int
    last_failure: float


class Throttle:
    """Counts failed logins per key and says how long the next attempt must wait."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        burst: int = 5,
        delay: float = 1.0,
        max_delay: float = 900.0,
        forget_after: float = 3600.0,
        max_keys: int = 100_000,
    ) -> None:
        if burst < 1 or max_keys < 1:
            raise ValueError("burst and max_keys must be at least 1")
        if not 0 < delay <= max_delay <= forget_after:
            raise ValueError("need 0 < delay <= max_delay <= forget_after")
        self._clock = clock
        self._burst = burst
        self._delay = delay
        self._max_delay = max_delay
        self._forget_after = forget_after
        self._max_keys = max_keys
        self._lock = threading.Lock()
        # Ordered by latest failure, oldest first: what to forget is always at the front.
        self._records: OrderedDict[str, _Record] = OrderedDict()
        # Attempts let through and not yet decided, per key (see ``attempt``).
        self._pending: Counter[str] = Counter()

    def check(self, keys: Iterable[str]) -> float:
        """Return how many seconds an attempt under ``keys`` must still wait (0.0: go ahead)."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            waits = [self._wait(self._records.get(key), now, self._pending[key]) for key in keys]
        return max(waits, default=0.0)

    @contextmanager
    def attempt(self, keys: Iterable[str]) -> Iterator[float]:
        """``check``, and while the block runs, count the attempt as pending under ``keys``.

        A password check takes the hasher's time: without this, forty guesses sent
        at once would all pass ``check`` before the first failure was counted.
        Pending attempts count as failures would, until the block ends (by which
        time ``failed`` or ``succeeded`` has said what they were).
        """
        names = list(keys)
        now = self._clock()
        with self._lock:
            self._forget(now)
            wait = max(
                (self._wait(self._records.get(key), now, self._pending[key]) for key in names),
                default=0.0,
            )
            if wait == 0:
                self._pending.update(names)
        try:
            yield wait
        finally:
            if wait == 0:
                with self._lock:
                    self._pending.subtract(names)
                    self._pending += Counter()  # drop the keys back at zero

    def failed(self, keys: Iterable[str]) -> None:
        """Count one failed attempt under each of ``keys``."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            for key in keys:
                record = self._records.pop(key, None) or _Record(0, now)
                record.failures += 1
                record.last_failure = now
                self._records[key] = record
            while len(self._records) > self._max_keys:
                self._records.popitem(last=False)

    def succeeded(self, account_key: str) -> None:
        """Clear the count of ``account_key``, whose owner has just proved who they are."""
        with self._lock:
            self._records.pop(account_key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _wait(self, record: _Record | None, now: float, pending: int = 0) -> float:
        failures = (0 if record is None else record.failures) + pending
        if failures < self._burst:
            return 0.0
        if record is None or record.failures < self._burst:
            # Only attempts still being decided fill the burst: wait for them, briefly.
            return self._delay
        doublings = min(failures - self._burst, _MAX_DOUBLINGS)
        pause = min(self._max_delay, self._delay * 2.0**doublings)
        return max(0.0, record.last_failure + pause - now)

    def _forget(self, now: float) -> None:
        records = self._records
        while records and next(iter(records.values())).last_failure + self._forget_after < now:
            records.popitem(last=False)


def for_registrations(clock: Callable[[], float]) -> Throttle:
    """The policy for opening accounts, per client address: five at once, then one after
    a minute, doubling to one an hour. Each account comes with the house's chips, and
    each costs an argon2 hash: a flood of them is free chips and a loaded CPU."""
    return Throttle(clock=clock, burst=5, delay=60.0, max_delay=3600.0, forget_after=86400.0)


def whole_seconds(wait: float) -> int:
    """A wait as Retry-After's delay-seconds (RFC 9110 §10.2.3): whole, and at least 1."""
    return max(1, math.ceil(wait))


def wait_words(wait: float) -> str:
    """A wait as a person says it: "1 second", "40 seconds", "3 minutes"."""
    seconds = whole_seconds(wait)
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{math.ceil(seconds / 60)} minutes"
