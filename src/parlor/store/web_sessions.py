"""The web app's visits in the database: ``parlor.wsgi.sessions``'s store.

One row per live visit, keyed by a SHA-256 of the cookie's id; every method is
one short transaction, so any worker process serves any visit.
"""

from __future__ import annotations

import json

from parlor.store.db import Database
from parlor.wsgi.sessions import Stored


class DatabaseSessions:
    """A ``SessionStore`` over the ``web_sessions`` table (migration 5)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, key: str) -> Stored | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT data, created_at, seen_at FROM web_sessions WHERE id_hash = ?", (key,)
            )
        if row is None:
            return None
        data = json.loads(str(row[0]))
        return Stored(data if isinstance(data, dict) else {}, float(row[1]), float(row[2]))

    def save(self, key: str, data: str, created: float, seen: float) -> None:
        self.db.write(
            lambda tx: tx.execute(
                "INSERT INTO web_sessions (id_hash, data, created_at, seen_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data,"
                " seen_at = excluded.seen_at",
                (key, data, created, seen),
            )
        )

    def touch(self, key: str, seen: float) -> None:
        self.db.write(
            lambda tx: tx.execute(
                "UPDATE web_sessions SET seen_at = ? WHERE id_hash = ?", (seen, key)
            )
        )

    def delete(self, key: str) -> None:
        self.db.write(lambda tx: tx.execute("DELETE FROM web_sessions WHERE id_hash = ?", (key,)))

    def purge(self, seen_before: float, created_before: float) -> None:
        self.db.write(
            lambda tx: tx.execute(
                "DELETE FROM web_sessions WHERE seen_at < ? OR created_at < ?",
                (seen_before, created_before),
            )
        )
