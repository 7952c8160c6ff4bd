"""Digest nonce counts in the database, shared by every worker process.

RFC 7616 §3.4.5: a server that checks ``nc`` refuses a request whose count is
not higher than the last one it saw for that nonce, so a captured request
cannot be sent again. With ``--workers N`` a replay could reach a worker that
never saw the original, so the counts live in the ``digest_nonces`` table
(migration 5): one upsert per Digest request, which only raises the count.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from parlor.store.db import Database, Transaction


class DatabaseNonceCounts:
    """``parlor.wsgi.digest.NonceCounts`` over the store."""

    def __init__(
        self, db: Database, *, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.lifetime = lifetime
        self.clock = clock
        self._purged = 0.0

    def advance(self, nonce: str, nc: int) -> bool:
        now = self.clock()

        def work(tx: Transaction) -> bool:
            if now - self._purged > self.lifetime:
                self._purged = now
                tx.execute("DELETE FROM digest_nonces WHERE expires_at < ?", (now,))
            # The update applies only when the count rises; otherwise no row comes back.
            row = tx.one(
                "INSERT INTO digest_nonces (nonce, nc, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (nonce) DO UPDATE SET nc = excluded.nc"
                " WHERE digest_nonces.nc < excluded.nc RETURNING nc",
                (nonce, nc, now + 2 * self.lifetime),
            )
            return row is not None

        return self.db.write(work)
