"""Connections and transactions over DB-API 2: stdlib sqlite3 or psycopg 3.

Every statement in parlor is written once, with ``?`` placeholders, in SQL both
engines accept. The few engine differences live here, in ``Dialect``: how a
placeholder is spelled, how a write transaction begins and how a row is
locked for the rest of one.

Exceptions::

    StoreError              the database could not do what was asked
    ├── StoreBusy           the write lock stayed taken past the wait limit: retry later
    └── StoreUnavailable    the database cannot be reached or opened

SQLite: one file in WAL mode, so readers never block the writer. A write
transaction starts with ``BEGIN IMMEDIATE``, which takes the write lock up
front; two transactions that both read and then write can therefore never
deadlock into ``SQLITE_BUSY`` half-way. Within one process, writers first queue
on a ``threading.Lock``, because SQLite's own busy handler polls with sleeps of
up to 100 ms and would turn contention between threads into idle time. Across
processes (``--workers N``) the busy timeout bounds the wait, then
``StoreBusy`` says so: nothing is ever silently dropped.

PostgreSQL: a psycopg_pool connection pool; one transaction per operation, and
operations on one roulette session serialize on ``SELECT … FOR UPDATE`` of its
row, so different sessions proceed in parallel. A read (``write=False``) runs
``REPEATABLE READ, READ ONLY``: every statement sees one snapshot, it takes no
row locks, and the server refuses any write in it.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast
from urllib.parse import unquote, urlsplit

import psycopg
import psycopg_pool

Row = tuple[Any, ...]
T = TypeVar("T")
Params = Sequence[Any]

DEFAULT_SQLITE_URL = "sqlite:///var/parlor.db"


class StoreError(Exception):
    """The database could not do what was asked."""


class StoreBusy(StoreError):
    """The write lock stayed taken longer than the configured wait."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between the engines, and nothing else."""

    name: str
    #: Appended to a SELECT to lock its rows until the transaction ends.
    lock_rows: str
    #: DDL for an auto-numbered 64-bit primary key.
    id_column: str
    #: Run first in a transaction that must exclude every other one (migrations);
    #: SQLite's BEGIN IMMEDIATE already does.
    exclusive_lock: str = ""
    #: Appended to an INSERT to get the new row's id back; empty where the
    #: cursor reports it (``lastrowid``).
    returning_id: str = ""

    def sql(self, statement: str) -> str:
        return _translate(statement, self.name)


@lru_cache(maxsize=512)
def _translate(statement: str, dialect: str) -> str:
    # parlor's SQL never contains a literal "?", so the swap is exact ("%" is escaped).
    if dialect == "postgresql":
        return statement.replace("%", "%%").replace("?", "%s")
    return statement


SQLITE = Dialect("sqlite", lock_rows="", id_column="INTEGER PRIMARY KEY")
POSTGRESQL = Dialect(
    "postgresql",
    lock_rows=" FOR UPDATE",
    id_column="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    returning_id=" RETURNING id",
    # Any constant works; it only has to be the same in every parlor process.
    exclusive_lock="SELECT pg_advisory_xact_lock(3600036001)",
)


class Cursor(Protocol):
    """The part of a DB-API 2 cursor parlor uses."""

    def execute(self, statement: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, statement: Any, params: Any, /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> Any: ...


class Transaction:
    """One open transaction; statements use ``?`` placeholders on every engine."""

    __slots__ = ("_cursor", "dialect")

    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self._cursor = cursor
        self.dialect = dialect

    def execute(self, statement: str, params: Params = ()) -> None:
        self._cursor.execute(self.dialect.sql(statement), params)

    def insert(self, statement: str, params: Params = ()) -> int:
        """Run an INSERT of one row into a table keyed by ``id``; return the new id.

        On SQLite the cursor knows it already: asking with RETURNING costs one
        more sqlite3 step to fetch the row, and every step lets go of the GIL,
        which under load hands it to another request thread.
        """
        self._cursor.execute(self.dialect.sql(statement + self.dialect.returning_id), params)
        if self.dialect.returning_id:
            row = self._cursor.fetchone()
            return int(row[0])
        new_id = cast(sqlite3.Cursor, self._cursor).lastrowid  # only SQLite's reports it
        assert new_id is not None
        return new_id

    def executemany(self, statement: str, rows: Sequence[Params]) -> None:
        if rows:
            self._cursor.executemany(self.dialect.sql(statement), rows)

    def one(self, statement: str, params: Params = ()) -> Row | None:
        self._cursor.execute(self.dialect.sql(statement), params)
        row: Row | None = self._cursor.fetchone()
        return row

    def all(self, statement: str, params: Params = ()) -> list[Row]:
        self._cursor.execute(self.dialect.sql(statement), params)
        return list(self._cursor.fetchall())


class Database(Protocol):
    """A pool of connections that hands out transactions."""

    dialect: Dialect
    url: str

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Transaction]:
        """Yield a ``Transaction``: commit on success, roll back on any error."""
        ...

    def write(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in a write transaction and return its result once committed.

        If ``work`` raises, its writes are undone and the exception propagates.
        """
        ...

    def close(self) -> None: ...


def _sqlite_path(url: str) -> str:
    """``sqlite:///var/x.db`` is relative, ``sqlite:////tmp/x.db`` absolute; bare paths work."""
    if url.startswith("sqlite://"):
        path = unquote(url.removeprefix("sqlite://"))
        return path[1:] if path.startswith("/") else path
    return url


class _Pending(Generic[T]):
    """One operation waiting for a group commit."""

    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[Transaction], T]) -> None:
        self.work = work
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class SQLiteDatabase:
    """A small pool of sqlite3 connections to one WAL-mode file."""

    def __init__(
        self,
        url: str = DEFAULT_SQLITE_URL,
        *,
        busy_timeout: float = 5.0,
        synchronous: str = "NORMAL",
        pool_size: int = 8,
        checkpoint_interval: float = 0.1,
        restart_interval: float = 0.25,
    ) -> None:
        self.url = url
        self.dialect = SQLITE
        self.path = _sqlite_path(url)
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        self._busy_timeout = busy_timeout
        self._synchronous = synchronous.upper()
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending[Any]] = []
        #: Group-commit counters: operations written, and the commits they shared.
        self.operations_written = 0
        self.commits = 0
        #: Checkpoints finished under the write lock, each letting the WAL start over.
        self.wal_restarts = 0
        self._writer: sqlite3.Connection | None = None
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._closed = False
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._idle.put(self._connect())  # fail now, with a clear error, if the file is unusable
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_forever,
            args=(checkpoint_interval, restart_interval),
            name=f"parlor-checkpoint:{self.path}",
            daemon=True,
        )
        self._checkpointer.start()

    def _connect(self) -> sqlite3.Connection:
        try:
            # isolation_level=None: sqlite3 must not open transactions behind our back;
            # we issue BEGIN IMMEDIATE / BEGIN / COMMIT ourselves.
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            # Checkpoints (copying the WAL back into the database file, with an
            # fsync) run on a thread of their own, off the commit path: left to
            # SQLite, every thousandth page written stalls one unlucky commit for
            # milliseconds. See _checkpoint_forever.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot open SQLite database {self.path!r}: {error}") from error
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreUnavailable("the database has been closed")
        self._slots.acquire()
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                yield conn
            finally:
                self._idle.put(conn)
        finally:
            self._slots.release()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        with self._connection() as conn:
            if write:
                with self._write_lock:
                    yield from self._run(conn, "BEGIN IMMEDIATE")
            else:
                yield from self._run(conn, "BEGIN")

    def write(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in a write transaction, sharing the commit with concurrent writers.

        Group commit, leader–follower style: each caller queues its operation and
        waits for the write lock. Whoever gets the lock while its own operation is
        still queued becomes the leader and runs *every* queued operation in one
        transaction, then commits once. Followers whose operation a leader already
        committed find it done and return at once. A lone caller leads a batch of
        one, so an idle server pays no extra wait; a busy one pays one commit per
        batch instead of per operation. No caller returns before its commit.

        Each operation keeps its own fate: one that raises is reported to its
        caller alone. If it raised after changing rows, the batch is rolled back
        and run again without it, a savepoint around each operation; so ``work``
        may run twice, and must do nothing outside ``tx`` that cannot be
        repeated. Its writes must be INSERT, UPDATE or DELETE statements, the
        changes ``sqlite3.Connection.total_changes`` counts.
        """
        pending = _Pending(work)
        with self._queue_lock:
            self._queue.append(pending)
        # No commit delay: sleeping to gather more writers (PostgreSQL's commit_delay)
        # cost more under the GIL than the commits it saved (2 request threads:
        # 2,181 bets/s with 0.2 ms, 3,507 without).
        self._write_lock.acquire()
        try:
            if not pending.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                if self._closed:
                    raise StoreUnavailable("the database has been closed")
                if self._writer is None:
                    # One connection for all group commits: used only under the write lock.
                    # It waits for other processes itself (_begin_write), so no busy timeout.
                    self._writer = self._connect()
                    self._writer.execute("PRAGMA busy_timeout=0")
                self._run_batch(self._writer, batch)
        finally:
            self._write_lock.release()
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    def _begin_write(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE on the writer, waiting out other processes' writers in short steps.

        SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries. With
        several parlor workers on one file, a writer that found another mid-commit
        (a hundred microseconds of work) slept for milliseconds, and the p99 of a
        bet under load reached a second. The writer connection has no busy
        timeout of its own; this retries after 20 µs, doubling up to 1 ms, until
        ``busy_timeout`` has passed.
        """
        deadline = time.monotonic() + self._busy_timeout
        pause = _FIRST_RETRY
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_RETRY)

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Pending[Any]]) -> None:
        try:
            if not self._begin_batch(conn, batch):
                return
            if not self._run_operations(conn, batch, savepoints=False):
                # An operation failed after writing, and its rows share the
                # transaction with everyone else's: start again without it,
                # this time with a savepoint around each operation.
                conn.rollback()
                rest = [pending for pending in batch if pending.error is None]
                if not rest or not self._begin_batch(conn, rest):
                    return
                self._run_operations(conn, rest, savepoints=True)
            written = sum(1 for pending in batch if pending.error is None)
            if not written:
                conn.rollback()
                return
            try:
                conn.execute("COMMIT")
                self.commits += 1
                self.operations_written += written
            except sqlite3.OperationalError as error:
                conn.rollback()
                failure = _busy_or_error(error, self._busy_timeout)
                for pending in batch:
                    if pending.error is None:
                        pending.error, pending.result = failure, None
        except BaseException as error:
            # Anything else (a broken connection, an interrupt) fails the batch whole.
            if conn.in_transaction:
                conn.rollback()
            for pending in batch:
                if pending.error is None:
                    pending.error, pending.result = error, None
            raise
        finally:
            for pending in batch:
                pending.done = True

    def _begin_batch(self, conn: sqlite3.Connection, batch: list[_Pending[Any]]) -> bool:
        """BEGIN IMMEDIATE for ``batch``; if the lock never comes, fail every operation."""
        try:
            self._begin_write(conn)
        except sqlite3.OperationalError as error:
            failure = _busy_or_error(error, self._busy_timeout)
            for pending in batch:
                pending.error = failure
            return False
        return True

    @staticmethod
    def _run_operations(
        conn: sqlite3.Connection, batch: list[_Pending[Any]], *, savepoints: bool
    ) -> bool:
        """Run each operation of ``batch`` in the open transaction, recording its fate.

        Without ``savepoints`` the operations run back to back, which spares
        each one two sqlite3 steps (SAVEPOINT, RELEASE), and every step hands
        the GIL to another request thread. An operation that raises having
        changed no row (the house checks everything before its first write)
        leaves nothing to undo; ``total_changes`` tells. One that raises after
        writing stops the run: returns False, and the caller starts over.
        """
        tx = Transaction(conn.cursor(), SQLITE)
        for pending in batch:
            if savepoints:
                conn.execute("SAVEPOINT op")
            changes = conn.total_changes
            try:
                pending.result = pending.work(tx)
            except Exception as error:  # delivered to its own caller by write()
                pending.error = error
                if savepoints:
                    conn.execute("ROLLBACK TO op")
                elif conn.total_changes != changes:
                    return False
            if savepoints:
                conn.execute("RELEASE op")
        return True

    def _run(self, conn: sqlite3.Connection, begin: str) -> Iterator[Transaction]:
        try:
            conn.execute(begin)
        except sqlite3.OperationalError as error:
            raise _busy_or_error(error, self._busy_timeout) from error
        try:
            yield Transaction(conn.cursor(), SQLITE)
        except BaseException:
            conn.rollback()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            conn.rollback()
            raise _busy_or_error(error, self._busy_timeout) from error

    def _checkpoint_forever(self, interval: float, restart_interval: float) -> None:
        """Copy committed WAL pages back into the database file, off the commit path.

        A PASSIVE checkpoint without any lock copies the bulk, and syncs it,
        while writers go on. That alone never lets the WAL start over under
        steady writes: SQLite rewinds it only when a write begins with every
        frame already copied, and some writer always commits in between. (Under
        wrk the WAL reached 880 MB in 8 s; rewinding and truncating a WAL that
        size stalled a commit for 100 ms and more.) So every ``restart_interval``
        a second pass under the write lock copies the few frames written since,
        and the next write rewinds the WAL: it stays within a quarter second of
        writes, about 40 MB at full load, and the pass holds writers for 1–9 ms.
        """
        conn: sqlite3.Connection | None = None
        last_restart = time.monotonic()
        try:
            while not self._stop_checkpoints.wait(interval):
                if conn is None:
                    conn = self._connect()
                _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > 0 and time.monotonic() - last_restart >= restart_interval:
                    with self._write_lock:
                        busy, frames, copied = conn.execute(
                            "PRAGMA wal_checkpoint(PASSIVE)"
                        ).fetchone()
                    if not busy and frames == copied:
                        self.wal_restarts += 1
                    last_restart = time.monotonic()
        except sqlite3.Error as error:
            # The database stays correct without checkpoints (the WAL just grows);
            # say so once and let the next SQLite connection's recovery handle it.
            print(f"parlor: SQLite checkpoints stopped: {error}", file=sys.stderr)
        finally:
            if conn is not None:
                conn.close()

    def close(self) -> None:
        self._closed = True
        self._stop_checkpoints.set()
        self._checkpointer.join()
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_FIRST_RETRY = 0.00002
_LONGEST_RETRY = 0.001


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _busy_or_error(error: sqlite3.OperationalError, waited: float) -> StoreError:
    if _is_busy(error):
        return StoreBusy(f"the database stayed busy for {waited:g} s; try again shortly")
    return StoreError(f"SQLite error: {error}")


# A read-only snapshot can never fail to serialize, so it needs no retries.
_READ_ONLY = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


class PostgresDatabase:
    """A psycopg_pool pool; each transaction is one pooled connection's transaction."""

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout: float = 10.0) -> None:
        self.url = url
        self.dialect = POSTGRESQL
        self._pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=connect_timeout,
            open=False,
            kwargs={"autocommit": False},
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout)
        except psycopg_pool.PoolTimeout as error:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {_redact(url)}: is the server running?"
            ) from error

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                if not write:
                    cursor.execute(_READ_ONLY)
                yield Transaction(cursor, POSTGRESQL)
        except psycopg_pool.PoolTimeout as error:
            raise StoreBusy(
                "no database connection came free in time; try again shortly"
            ) from error
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"PostgreSQL connection failed: {error}") from error

    def write(self, work: Callable[[Transaction], T]) -> T:
        # PostgreSQL needs no help: sessions lock their own rows, so writers on
        # different sessions run in parallel, and the server groups WAL flushes.
        with self.transaction() as tx:
            return work(tx)

    def close(self) -> None:
        self._pool.close()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def open_database(
    url: str | None = None,
    *,
    pool_size: int = 8,
    busy_timeout: float = 5.0,
    synchronous: str = "NORMAL",
    connect_timeout: float = 10.0,
) -> SQLiteDatabase | PostgresDatabase:
    """Open the database a URL names: postgresql://… or sqlite:///path (the default).

    ``busy_timeout`` and ``synchronous`` apply to SQLite, ``connect_timeout`` to PostgreSQL.
    """
    url = url or DEFAULT_SQLITE_URL
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return PostgresDatabase(url, pool_size=pool_size, connect_timeout=connect_timeout)
    if scheme in ("sqlite", "") or "://" not in url:
        return SQLiteDatabase(
            url, busy_timeout=busy_timeout, synchronous=synchronous, pool_size=pool_size
        )
    raise ValueError(f"unsupported database URL {url!r}: use postgresql://… or sqlite:///path")
