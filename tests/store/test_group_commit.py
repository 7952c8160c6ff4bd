"""SQLite group commit: queued writers share one transaction, each keeps its own fate."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from parlor.store.db import SQLiteDatabase, StoreBusy, Transaction


@pytest.fixture
def db(tmp_path: Path) -> SQLiteDatabase:
    RUNS.clear()
    database = SQLiteDatabase(f"sqlite:///{tmp_path / 'g.db'}", busy_timeout=0.2)
    with database.transaction() as tx:
        tx.execute("CREATE TABLE t (x INTEGER NOT NULL CHECK (x >= 0))")
    return database


#: How many times each value's work has run.
RUNS: Counter[int] = Counter()


def insert(value: int) -> object:
    def work(tx: Transaction) -> int:
        RUNS[value] += 1
        if value == 99:
            raise ValueError("refused")  # refused before writing, as the house refuses
        tx.execute("INSERT INTO t (x) VALUES (?)", (value,))
        if value == 13:
            raise ValueError("unlucky")  # refused after writing: must leave no trace
        return value * 10

    return work


def queued_writers(db: SQLiteDatabase, values: list[int]) -> dict[int, object]:
    """Start one writer per value while the write lock is held, then let them all go."""
    results: dict[int, object] = {}

    def run(value: int) -> None:
        try:
            results[value] = db.write(insert(value))  # type: ignore[arg-type]
        except Exception as error:
            results[value] = error

    db._write_lock.acquire()  # a leader is busy: everyone queues behind it
    threads = [threading.Thread(target=run, args=(v,)) for v in values]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(db._queue) < len(values) and time.monotonic() < deadline:
        time.sleep(0.001)
    db._write_lock.release()
    for thread in threads:
        thread.join()
    return results


def test_queued_writers_share_one_commit(db: SQLiteDatabase) -> None:
    commits, written = db.commits, db.operations_written
    results = queued_writers(db, [1, 2, 3, 4, 5])
    assert results == {v: v * 10 for v in range(1, 6)}
    assert db.commits - commits == 1
    assert db.operations_written - written == 5
    with db.transaction(write=False) as tx:
        assert sorted(tx.all("SELECT x FROM t")) == [(v,) for v in range(1, 6)]


def test_a_refusal_in_a_batch_rolls_back_alone(db: SQLiteDatabase) -> None:
    results = queued_writers(db, [1, 13, 2, -1, 3])
    assert isinstance(results[13], ValueError)
    assert "CHECK" in str(results[-1]) or "constraint" in str(results[-1])
    assert [results[v] for v in (1, 2, 3)] == [10, 20, 30]
    with db.transaction(write=False) as tx:
        assert sorted(tx.all("SELECT x FROM t")) == [(1,), (2,), (3,)]
    # 13 wrote before it failed, so the batch started over without it.
    assert RUNS[13] == 1
    assert RUNS[1] == 2


def test_a_refusal_before_writing_costs_the_others_nothing(db: SQLiteDatabase) -> None:
    commits = db.commits
    results = queued_writers(db, [1, 99, 2, -1, 3])
    assert isinstance(results[99], ValueError)
    assert isinstance(results[-1], Exception)  # a failed statement undoes itself
    assert [results[v] for v in (1, 2, 3)] == [10, 20, 30]
    assert db.commits - commits == 1
    assert set(RUNS.values()) == {1}  # nobody ran twice
    with db.transaction(write=False) as tx:
        assert sorted(tx.all("SELECT x FROM t")) == [(1,), (2,), (3,)]


def test_a_batch_where_every_operation_fails_commits_nothing(db: SQLiteDatabase) -> None:
    commits = db.commits
    results = queued_writers(db, [99, 13, -1])
    assert all(isinstance(r, Exception) for r in results.values())
    assert db.commits == commits
    with db.transaction(write=False) as tx:
        assert tx.all("SELECT x FROM t") == []


def test_a_lone_refusal_writes_nothing(db: SQLiteDatabase) -> None:
    with pytest.raises(ValueError, match="unlucky"):
        db.write(insert(13))  # type: ignore[arg-type]
    assert db.write(insert(7)) == 70  # type: ignore[arg-type]
    with db.transaction(write=False) as tx:
        assert tx.all("SELECT x FROM t") == [(7,)]


def test_busy_database_fails_the_whole_batch_clearly(db: SQLiteDatabase) -> None:
    import sqlite3

    blocker = sqlite3.connect(db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        results = queued_writers(db, [1, 2])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert all(isinstance(r, StoreBusy) for r in results.values())
    with db.transaction(write=False) as tx:
        assert tx.all("SELECT x FROM t") == []


def test_checkpoints_keep_the_wal_from_growing(tmp_path: Path) -> None:
    db = SQLiteDatabase(f"sqlite:///{tmp_path / 'c.db'}", checkpoint_interval=0.01)
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (x TEXT)")
    for _ in range(300):
        db.write(lambda tx: tx.execute("INSERT INTO t VALUES (?)", ("x" * 2000,)))
    time.sleep(0.1)  # let the checkpointer finish
    db.write(lambda tx: tx.execute("INSERT INTO t VALUES ('reset')"))
    with db.transaction(write=False) as tx:
        row = tx.one("PRAGMA wal_checkpoint(PASSIVE)")
    assert row is not None
    # Without checkpoints the WAL would hold the ~600 frames of 300 commits; after a
    # full checkpoint the last writer started it over, so it holds only its own.
    assert row[1] < 20
    db.close()
