"""The store: URLs, migrations in place, a busy SQLite, an absent PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.roulette.bets import make_bet, parse_kind
from parlor.roulette.wheel import wheel_for
from parlor.store.db import (
    Database,
    SQLiteDatabase,
    StoreError,
    StoreUnavailable,
    open_database,
)
from parlor.store.schema import LATEST, MIGRATIONS, current_version, migrate


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == LATEST


def test_migrate_twice_is_a_no_op(db_url: str) -> None:
    db = open_database(db_url)
    try:
        assert migrate(db) == LATEST
        assert migrate(db) == LATEST
        with db.transaction() as tx:
            assert tx.all("SELECT version FROM schema_version ORDER BY version") == [
                (v,) for v in range(1, LATEST + 1)
            ]
    finally:
        db.close()


# A version-2 store as that version's house left it, written as raw rows because
# today's house reads columns version 2 lacks. Session "mixed": bet 1 won
# (paid 20), bet 2 was withdrawn, bet 3 is still open. Session "done": its only
# bet lost on spin 1, so nothing is open.
_V2_ROWS = (
    "INSERT INTO sessions (id, name, wheel, table_min, table_max, bankroll, balance,"
    " open_stake, bet_count, spin_count, server_seed, server_seed_hash, client_seed,"
    " opened_at) VALUES"
    " ('mixed', 'old-timer', 'american', 1, 500, 100, 100, 10, 3, 1, 's1', 'h1', 'c1', 't0'),"
    " ('done', 'loser', 'european', 1, 500, 100, 90, 0, 1, 1, 's2', 'h2', 'c2', 't0')",
    "INSERT INTO spins (session_id, n, pocket, spun_at) VALUES ('mixed', 1, 1, 't1'),"
    " ('done', 1, 1, 't1')",
)
_V2_LEDGER: tuple[tuple[str, int, str, int | None], ...] = (
    # (session, amount to the session, reason, bet confirmation or None)
    ("mixed", 100, "bankroll", None),
    ("mixed", -10, "bet", 1),
    ("mixed", -10, "bet", 2),
    ("mixed", -10, "bet", 3),
    ("mixed", 20, "payout", 1),
    ("mixed", 10, "withdraw", 2),
    ("done", 100, "bankroll", None),
    ("done", -10, "bet", 1),
)


_V2_BETS: tuple[tuple[str, int, str, str, int | None, int | None, int | None], ...] = (
    ("mixed", 1, "red", "settled", 1, 20, 10),
    ("mixed", 2, "black", "withdrawn", None, None, None),
    ("mixed", 3, "odd", "open", None, None, None),
    ("done", 1, "even", "settled", 1, 0, -10),
)


def _write_v2_store(db: Database) -> None:
    with db.transaction() as tx:
        for statement in _V2_ROWS:
            tx.execute(statement)
        for session, confirmation, kind, status, spin, payout, outcome in _V2_BETS:
            numbers = make_bet(parse_kind(kind), None, wheel_for("american")).numbers
            tx.execute(
                "INSERT INTO bets (session_id, confirmation, kind, numbers, amount, status,"
                " spin, payout, outcome, placed_at) VALUES (?, ?, ?, ?, 10, ?, ?, ?, ?, 't')",
                (session, confirmation, kind, ",".join(map(str, numbers)), status, spin,
                 payout, outcome),
            )  # fmt: skip
        for session, amount, reason, bet_number in _V2_LEDGER:
            bet = tx.one(
                "SELECT id FROM bets WHERE session_id = ? AND confirmation = ?",
                (session, bet_number),
            )
            bet_id = bet[0] if bet else None
            for account, signed in ((session, amount), ("house", -amount)):
                tx.execute(
                    "INSERT INTO ledger (account, amount, reason, session_id, bet_id, at)"
                    " VALUES (?, ?, ?, ?, ?, 't')",
                    (account, signed, reason, session, bet_id),
                )


def _every_row(db: Database) -> list[list[tuple[object, ...]]]:
    with db.transaction(write=False) as tx:
        return [
            [tuple(row) for row in tx.all(query)]
            for query in (
                "SELECT id, balance, open_stake, bet_count, spin_count, status FROM sessions"
                " ORDER BY id",
                "SELECT * FROM bets ORDER BY id",
                # The columns version 2 had: later migrations add some (NULL in old rows).
                "SELECT session_id, n, pocket, spun_at FROM spins ORDER BY session_id, n",
                "SELECT * FROM ledger ORDER BY id",
            )
        ]


def test_upgrade_in_place_keeps_every_row(db_url: str) -> None:
    """A version-2 store upgrades to the latest with nothing lost, and plays on."""
    db = open_database(db_url)
    try:
        assert migrate(db, target=2) == 2
        _write_v2_store(db)
        before = _every_row(db)

        assert migrate(db) == LATEST
        assert _every_row(db) == before
        with db.transaction(write=False) as tx:
            marks: dict[str, int] = dict(tx.all("SELECT id, settled_through FROM sessions"))
        # Below the oldest open bet; with none open, every bet is behind the mark.
        assert marks == {"mixed": 2, "done": 1}
        # Versions as if kept from the start: 1, plus each bet, withdrawal, spin and end.
        house = RouletteHouse(db)
        assert house.session_versions(["mixed", "done", "missing"]) == {"mixed": 6, "done": 3}
        assert check_ledger(db).ok

        assert [b.confirmation for b in house.bets("mixed", status="open")] == [3]
        spin = house.spin("mixed")
        assert house.session("mixed").version == 7
        assert [b.confirmation for b in spin.settled] == [3]
        assert house.bets("mixed", status="open") == []
        receipt = house.place_bet("done", "black", None, 10, idempotency_key="after-upgrade")
        assert receipt.bet.confirmation == 2
        assert [b.confirmation for b in house.spin("done").settled] == [2]
        assert check_ledger(db).ok
    finally:
        db.close()


def test_concurrent_migrations_run_once(db_url: str) -> None:
    databases = [open_database(db_url) for _ in range(4)]
    results: list[int] = []
    barrier = threading.Barrier(4)

    def run(index: int) -> None:
        barrier.wait()
        results.append(migrate(databases[index]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert results == [LATEST] * 4
        with databases[0].transaction() as tx:
            assert current_version(tx) == LATEST
            assert tx.one("SELECT COUNT(*) FROM schema_version") == (LATEST,)
    finally:
        for database in databases:
            database.close()


def test_busy_sqlite_fails_clearly_and_changes_nothing(tmp_path: Path) -> None:
    """Another process holding the write lock: a bounded wait, then HouseBusy."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    db = SQLiteDatabase(url, busy_timeout=0.2)
    migrate(db)
    house = RouletteHouse(db)
    state = house.open_session("alice")
    before = (house.session(state.id), check_ledger(db))

    # A second connection, like another `parlor serve --workers` process, holds the lock.
    blocker = sqlite3.connect(db.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(errors.HouseBusy, match="busy"):
            house.place_bet(state.id, "red", None, 10)
        with pytest.raises(errors.HouseBusy):
            house.open_session("bob")
        # Reads still work while the writer is blocked (WAL).
        assert house.session(state.id).balance == 1000
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert (house.session(state.id), check_ledger(db)) == before
    house.place_bet(state.id, "red", None, 10)  # and the house recovers at once
    db.close()


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    db = SQLiteDatabase(f"sqlite:///{tmp_path / 'wal.db'}", synchronous="full")
    with db.transaction(write=False) as tx:
        assert tx.one("PRAGMA journal_mode") == ("wal",)
        assert tx.one("PRAGMA synchronous") == (2,)
        assert tx.one("PRAGMA foreign_keys") == (1,)
    db.close()


def test_sqlite_rolls_back_on_error(tmp_path: Path) -> None:
    db = SQLiteDatabase(f"sqlite:///{tmp_path / 'rb.db'}")
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    with db.transaction(write=False) as tx:
        assert tx.one("SELECT COUNT(*) FROM t") == (0,)
    db.close()
    with pytest.raises(StoreUnavailable, match="closed"), db.transaction():
        pass


def test_sqlite_error_that_is_not_busy(tmp_path: Path) -> None:
    db = SQLiteDatabase(f"sqlite:///{tmp_path / 'e.db'}")
    with db.transaction() as tx:
        tx.execute("CREATE TABLE t (x INTEGER)")
    # COMMIT failing for a reason other than a lock surfaces as a plain StoreError.
    with pytest.raises(StoreError, match="SQLite error"), db.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        tx.execute("COMMIT")  # ends the transaction early, so the real COMMIT fails
    db.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/x.db", "var/x.db"),
        ("sqlite:////tmp/parlor-x.db", "/tmp/parlor-x.db"),
        ("plain/path.db", "plain/path.db"),
    ],
)
def test_sqlite_urls(
    url: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = open_database(url)
    assert isinstance(db, SQLiteDatabase)
    assert db.path == expected
    db.close()


def test_default_url_is_sqlite_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    db = open_database(None)
    assert isinstance(db, SQLiteDatabase)
    assert (tmp_path / "var" / "parlor.db").exists()
    db.close()


def test_unsupported_url() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        open_database("mysql://localhost/parlor")


def test_bad_synchronous_setting(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        SQLiteDatabase(f"sqlite:///{tmp_path / 'x.db'}", synchronous="sometimes")


def test_unopenable_sqlite_file(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreUnavailable, match="cannot open"):
        SQLiteDatabase(f"sqlite:///{tmp_path / 'dir.db'}")


def test_unreachable_postgres_says_so() -> None:
    with pytest.raises(StoreUnavailable, match="is the server running") as info:
        open_database("postgresql://parlor:secret@127.0.0.1:1/none", connect_timeout=1.0)
    assert "secret" not in str(info.value)


@pytest.mark.postgres
def test_postgres_connection_lost_mid_transaction(postgres_url: str) -> None:
    db = open_database(postgres_url)
    migrate(db)
    with pytest.raises(StoreUnavailable), db.transaction() as tx:
        tx.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    db.close()


@pytest.mark.postgres
def test_postgres_only_driver_errors_are_translated(postgres_url: str) -> None:
    db = open_database(postgres_url)
    with pytest.raises(psycopg.errors.UndefinedTable), db.transaction() as tx:
        tx.execute("SELECT * FROM no_such_table")
    db.close()
