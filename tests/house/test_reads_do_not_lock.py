"""Reads take no row locks: a GET never waits behind a writer holding the session.

Another connection takes the session's row (PostgreSQL: ``SELECT … FOR
UPDATE``; SQLite: the write lock, ``BEGIN IMMEDIATE`` and an update) and holds
it for ``HOLD`` seconds. Every read of the house must answer while it is held,
and see the state as it was before the holder's uncommitted change.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from parlor.house.roulette import RouletteHouse
from parlor.store.db import Database, PostgresDatabase

#: How long the other connection holds the row; every read must finish well inside it.
HOLD = 10.0


@contextmanager
def _row_held(db: Database, db_url: str, session_id: str) -> Iterator[None]:
    """Hold ``session_id``'s row in another connection, with an uncommitted change to it."""
    change = "UPDATE sessions SET balance = balance + 1 WHERE id = "
    if isinstance(db, PostgresDatabase):
        with psycopg.connect(db_url) as conn:
            conn.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (session_id,))
            conn.execute(change + "%s", (session_id,))
            yield
            conn.rollback()
    else:
        writer = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute(change + "?", (session_id,))
            yield
            writer.execute("ROLLBACK")
        finally:
            writer.close()


def _finishes_while_held(read: Callable[[], Any]) -> Any:
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(read())
        except BaseException as error:  # reported below, with the read that raised it
            errors.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(HOLD / 2)
    assert not worker.is_alive(), "a read waited for the lock held by another connection"
    assert not errors, errors
    return results[0]


def test_every_read_answers_while_a_writer_holds_the_session(
    house: RouletteHouse, db: Database, db_url: str
) -> None:
    sid = house.open_session("reader", bankroll=500).id
    house.place_bet(sid, "red", None, 10)
    house.spin(sid)
    house.place_bet(sid, "dozen", [2], 20)
    before = house.session(sid)
    with _row_held(db, db_url, sid):
        state = _finishes_while_held(lambda: house.session(sid))
        assert state == before  # the holder's change is not committed, so not seen
        assert len(_finishes_while_held(lambda: house.bets(sid))) == 2
        assert len(_finishes_while_held(lambda: house.bets(sid, status="open"))) == 1
        assert _finishes_while_held(lambda: house.bet(sid, 2)).amount == 20
        assert len(_finishes_while_held(lambda: house.spins(sid))) == 1
        assert _finishes_while_held(lambda: house.session_versions([sid])) == {sid: before.version}
    assert house.session(sid) == before  # the holder rolled back


@pytest.mark.postgres
def test_a_read_transaction_on_postgresql_refuses_to_write(postgres_url: str) -> None:
    from parlor.store.db import open_database
    from parlor.store.schema import migrate

    db = open_database(postgres_url)
    try:
        migrate(db)
        house = RouletteHouse(db)
        sid = house.open_session("reader").id
        with (
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
            db.transaction(write=False) as tx,
        ):
            tx.execute("UPDATE sessions SET balance = 0 WHERE id = ?", (sid,))
        assert house.session(sid).balance > 0
    finally:
        db.close()
