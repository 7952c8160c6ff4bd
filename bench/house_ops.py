"""The roulette house's hot path beside a bare-sqlite3 "anchor", measured in the same run.

Run:  .venv/bin/python bench/house_ops.py [--ops N] [--rounds R] [--write-md]

Everything runs in this process, on SQLite files in a temporary directory (``--dir`` picks where:
``--dir /dev/shm`` takes the disk out and leaves parlor's CPU cost), with parlor's defaults (WAL,
synchronous=NORMAL, foreign_keys=ON). Each parlor operation is timed beside an
anchor: the same SQL work written as the least bare stdlib code, on its own database file whose
schema parlor's own ``migrate()`` created, so both sides write the same rows into the same tables.

What is measured, per round (R rounds; the median over rounds is reported):

* place-bet: N ``RouletteHouse.place_bet`` calls, round-robin over 100 sessions, against N anchor
  transactions: BEGIN IMMEDIATE, SELECT the session row, UPDATE sessions, INSERT INTO bets …
  RETURNING id, INSERT two ledger rows, COMMIT.
* spin: ``RouletteHouse.spin`` on a session holding exactly 3 open bets, placed just before and
  NOT timed; against the anchor: BEGIN IMMEDIATE, SELECT the session, ``fairness.draw`` for the
  pocket, SELECT its open bets, UPDATE each bet as settled, INSERT payout ledger rows for the
  winners, UPDATE the session, INSERT the spin, COMMIT. The anchor settles with an inline table
  lookup (covers, multiple) instead of rebuilding each ``Bet``: same writes, least Python.
* place-bet ×4 threads: ``--thread-ops`` bets in all by 4 threads, each on its own 25 sessions,
  through one shared house; against 4 threads each with its own sqlite3 connection, BEGIN
  IMMEDIATE and a 5 s busy timeout (SQLite's busy handler, which sleeps; a "database is locked"
  after the timeout is counted and retried). Reported as wall-clock throughput.

Within a round parlor and anchor alternate, and which goes first flips every round, so drift on
a noisy machine falls on both. Timed loops run in chunks; the progress bar is redrawn only
between chunks, outside the timed code. A refused bet is counted and fails the run, and at the
end both databases must pass ``parlor.house.ledger.check_ledger`` and hold the same number of
bets and spins.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mdsection import replace_section
from parlor.house.errors import HouseError
from parlor.house.ledger import HOUSE_ACCOUNT, check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.roulette import fairness
from parlor.roulette.bets import make_bet
from parlor.roulette.wheel import wheel_for
from parlor.settings import HouseLimits
from parlor.store.db import SQLiteDatabase, open_database
from parlor.store.schema import migrate

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
SECTION = "House operations (in-process, SQLite)"
BAR = 2.0  # the bar: a place-bet costs at most 2× the bare transaction

SESSIONS = 100
THREADS = 4
BETS_PER_SPIN = 3
CHUNK = 250  # operations per timed chunk; the progress bar redraws between chunks
LIMITS = HouseLimits()
BANKROLL = LIMITS.max_bankroll
TABLE_MAX = LIMITS.max_bet

# Propositions placed in turn (american wheel): outside, inside, winners and losers.
PROPOSITIONS: tuple[tuple[str, list[int] | None], ...] = (
    ("red", None),
    ("straight", [17]),
    ("split", [17, 20]),
    ("dozen", [2]),
    ("corner", [1, 2, 4, 5]),
    ("odd", None),
    ("column", [3]),
)
AMOUNTS = (1, 2, 5)
# The three bets each timed spin settles.
SPIN_BETS: tuple[tuple[str, list[int] | None, int], ...] = (
    ("red", None, 2),
    ("straight", [17], 1),
    ("dozen", [2], 1),
)

_WHEEL = wheel_for("american")
# The anchor writes exactly what parlor writes: the canonical kind and numbers of each bet.
CANONICAL = {
    (kind, tuple(numbers or ())): (
        (bet := make_bet(kind, numbers, _WHEEL)).kind.value,
        ",".join(map(str, bet.numbers)),
    )
    for kind, numbers in PROPOSITIONS + tuple((k, n) for k, n, _ in SPIN_BETS)
}
# The anchor's trivial settlement rule: stored (kind, numbers) -> (covered pockets, multiple).
RULES = {}
for _kind, _numbers in CANONICAL:
    _bet = make_bet(_kind, list(_numbers), _WHEEL)
    RULES[CANONICAL[_kind, _numbers]] = (_bet.covers, _bet.odds + 1)
POCKETS = {"american": 38, "european": 37}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# -- the anchor: the same SQL, bare ------------------------------------------------------------


class Anchor:
    """One bare sqlite3 connection doing each operation's writes and nothing else."""

    def __init__(self, path: str, *, busy_timeout: float = 5.0) -> None:
        conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self.cur = conn.cursor()
        self.busy = 0  # "database is locked" answers to BEGIN IMMEDIATE, each retried

    def begin(self) -> None:
        while True:
            try:
                self.cur.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                self.busy += 1

    def place_bet(self, session_id: str, kind: str, numbers: str, amount: int) -> int:
        cur = self.cur
        self.begin()
        try:
            cur.execute(
                "SELECT wheel, table_min, table_max, balance, open_stake, bet_count, status"
                " FROM sessions WHERE id = ?",
                (session_id,),
            )
            _wheel, _low, _high, balance, _open, bet_count, _status = cur.fetchone()
            now = _now()
            confirmation = bet_count + 1
            cur.execute(
                "UPDATE sessions SET balance = ?, open_stake = open_stake + ?, bet_count = ?"
                " WHERE id = ?",
                (balance - amount, amount, confirmation, session_id),
            )
            cur.execute(
                "INSERT INTO bets (session_id, confirmation, kind, numbers, amount, status,"
                " placed_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
                (session_id, confirmation, kind, numbers, amount, now),
            )
            bet_id = cur.lastrowid
            cur.execute(
                "INSERT INTO ledger (account, amount, reason, session_id, bet_id, spin, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)",
                (session_id, -amount, "bet", session_id, bet_id, None, now,
                 HOUSE_ACCOUNT, amount, "bet", session_id, bet_id, None, now),
            )  # fmt: skip
            cur.execute("COMMIT")
        except BaseException:
            self.conn.rollback()
            raise
        return confirmation

    def spin(self, session_id: str) -> int:
        """Spin and settle; return how many bets were settled."""
        cur = self.cur
        self.begin()
        try:
            cur.execute(
                "SELECT wheel, la_partage, balance, spin_count, server_seed, client_seed, status,"
                " settled_through FROM sessions WHERE id = ?",
                (session_id,),
            )
            wheel, _partage, balance, spin_count, seed, client_seed, _status, mark = cur.fetchone()
            number = spin_count + 1
            pocket = fairness.draw(seed, client_seed, number, POCKETS[wheel])
            now = _now()
            cur.execute(
                "SELECT id, confirmation, kind, numbers, amount, status, spin, payout, outcome,"
                " placed_at FROM bets WHERE session_id = ? AND confirmation > ?"
                " AND status = 'open' ORDER BY confirmation",
                (session_id, mark),
            )
            updates = []
            ledger = []
            paid = 0
            for bet_id, _conf, kind, numbers, amount, *_ in cur.fetchall():
                covers, multiple = RULES[kind, numbers]
                payout = amount * multiple if pocket in covers else 0
                updates.append((number, payout, payout - amount, bet_id))
                if payout:
                    paid += payout
                    ledger.append((session_id, payout, "payout", session_id, bet_id, number, now))
                    ledger.append(
                        (HOUSE_ACCOUNT, -payout, "payout", session_id, bet_id, number, now)
                    )
            if updates:
                cur.executemany(
                    "UPDATE bets SET status = 'settled', spin = ?, payout = ?, outcome = ?"
                    " WHERE id = ? AND status = 'open'",
                    updates,
                )
            if ledger:
                cur.executemany(
                    "INSERT INTO ledger (account, amount, reason, session_id, bet_id, spin, at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ledger,
                )
            cur.execute(
                "UPDATE sessions SET balance = ?, open_stake = 0, spin_count = ?,"
                " settled_through = bet_count WHERE id = ?",
                (balance + paid, number, session_id),
            )
            cur.execute(
                "INSERT INTO spins (session_id, n, pocket, spun_at) VALUES (?, ?, ?, ?)",
                (session_id, number, pocket, now),
            )
            cur.execute("COMMIT")
        except BaseException:
            self.conn.rollback()
            raise
        return len(updates)

    def close(self) -> None:
        self.conn.close()


# -- the two sides, driven the same way ------------------------------------------------------


Place = Callable[[str, object, object, int], object]


@dataclass
class Side:
    """One side of the comparison: how to place a bet and spin, and its sessions."""

    name: str
    #: Called in the timed loops directly: ``place(session, kind, numbers, amount)``.
    place: Place
    spin: Callable[[str], object]
    #: How many bets a spin's return value says were settled (checked after timing).
    settled: Callable[[object], int]
    #: (kind, numbers) as this side takes them, from the bench's (kind, numbers).
    args: Callable[[str, list[int] | None], tuple[object, object]]
    bet_sessions: list[str]
    spin_sessions: list[str]
    thread_sessions: list[list[str]]
    #: Per thread: a place function (the shared house, or one anchor connection each).
    thread_place: list[Place]
    refused: int = 0
    open_stake: dict[str, int] = field(default_factory=dict)


def _open_sessions(house: RouletteHouse, prefix: str, count: int) -> list[str]:
    return [
        house.open_session(f"{prefix}-{i}", bankroll=BANKROLL, table_min=1, table_max=TABLE_MAX).id
        for i in range(count)
    ]


def _parlor_side(path: Path) -> tuple[Side, SQLiteDatabase]:
    db = open_database(f"sqlite:///{path}")
    assert isinstance(db, SQLiteDatabase)
    migrate(db)
    house = RouletteHouse(db)
    threads = [_open_sessions(house, f"t{t}", SESSIONS // THREADS) for t in range(THREADS)]
    side = Side(
        "parlor",
        house.place_bet,
        house.spin,
        lambda result: len(result.settled),
        lambda kind, numbers: (kind, numbers),
        _open_sessions(house, "bet", SESSIONS),
        _open_sessions(house, "spin", SESSIONS),
        threads,
        [house.place_bet] * THREADS,
    )
    return side, db


def _anchor_side(path: Path) -> tuple[Side, list[Anchor]]:
    # The schema and the sessions come from parlor itself, so both files hold the same shape;
    # after that only bare sqlite3 touches this file.
    setup = SQLiteDatabase(str(path))
    migrate(setup)
    house = RouletteHouse(setup)
    bets = _open_sessions(house, "bet", SESSIONS)
    spins = _open_sessions(house, "spin", SESSIONS)
    threads = [_open_sessions(house, f"t{t}", SESSIONS // THREADS) for t in range(THREADS)]
    setup.close()
    anchor = Anchor(str(path))
    per_thread = [Anchor(str(path)) for _ in range(THREADS)]
    side = Side(
        "anchor",
        anchor.place_bet,
        anchor.spin,
        lambda settled: settled,
        lambda kind, numbers: CANONICAL[kind, tuple(numbers or ())],
        bets,
        spins,
        threads,
        [a.place_bet for a in per_thread],
    )
    return side, [anchor, *per_thread]


# -- the timed phases --------------------------------------------------------------------------


Work = list[tuple[str, object, object, int]]


def _bet_work(side: Side, sessions: Sequence[str], count: int, offset: int = 0) -> Work:
    """``count`` bets round-robin over ``sessions``, as ``side.place`` takes them."""
    work: Work = []
    for i in range(count):
        kind, numbers = side.args(*PROPOSITIONS[(i + offset) % len(PROPOSITIONS)])
        amount = AMOUNTS[(i + offset) % len(AMOUNTS)]
        work.append((sessions[i % len(sessions)], kind, numbers, amount))
    return work


def _ensure_room(side: Side, work: Work) -> None:
    """Spin (untimed) the sessions whose open bets would reach the table maximum."""
    coming: dict[str, int] = {}
    for sid, _kind, _numbers, amount in work:
        coming[sid] = coming.get(sid, 0) + amount
    for sid, extra in coming.items():
        if side.open_stake.get(sid, 0) + extra > TABLE_MAX:
            side.spin(sid)
            side.open_stake[sid] = 0
        side.open_stake[sid] = side.open_stake.get(sid, 0) + extra


def _timed_bets(side: Side, work: Work, tick: Callable[[int], None]) -> float:
    """Place every bet of ``work``; return the seconds spent inside the timed loops."""
    place = side.place
    elapsed = 0.0
    gc.collect()
    for start in range(0, len(work), CHUNK):
        chunk = work[start : start + CHUNK]
        refused = 0
        t0 = time.perf_counter()
        for sid, kind, numbers, amount in chunk:
            try:
                place(sid, kind, numbers, amount)
            except HouseError:
                refused += 1
        elapsed += time.perf_counter() - t0
        side.refused += refused
        tick(len(chunk))
    return elapsed


def _timed_spins(side: Side, count: int, tick: Callable[[int], None]) -> float:
    """``count`` spins, each settling BETS_PER_SPIN bets placed just before, untimed."""
    elapsed = 0.0
    sessions = side.spin_sessions
    bets = [(*side.args(kind, numbers), amount) for kind, numbers, amount in SPIN_BETS]
    gc.collect()
    done = 0
    while done < count:
        batch = sessions[: min(len(sessions), count - done)]
        for sid in batch:  # untimed: the bets the spin will settle
            for kind, numbers, amount in bets:
                try:
                    side.place(sid, kind, numbers, amount)
                except HouseError:
                    side.refused += 1
        results = []
        spin = side.spin
        t0 = time.perf_counter()
        for sid in batch:
            results.append(spin(sid))
        elapsed += time.perf_counter() - t0
        settled = [side.settled(result) for result in results]
        if any(n != BETS_PER_SPIN for n in settled):
            raise SystemExit(f"{side.name}: spins settled {settled} bets, not {BETS_PER_SPIN}")
        done += len(batch)
        tick(len(batch))
    return elapsed


def _threaded_bets(side: Side, total: int, round_no: int) -> tuple[float, int]:
    """``total`` bets by THREADS threads at once; return the wall-clock seconds and refusals."""
    per_thread = total // THREADS
    works = [
        _bet_work(side, side.thread_sessions[t], per_thread, offset=round_no)
        for t in range(THREADS)
    ]
    refused = [0] * THREADS
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS + 1)

    def run(t: int) -> None:
        place = side.thread_place[t]
        barrier.wait()
        try:
            for sid, kind, numbers, amount in works[t]:
                try:
                    place(sid, kind, numbers, amount)
                except HouseError:
                    refused[t] += 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    gc.collect()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return elapsed, sum(refused)


# -- the run -----------------------------------------------------------------------------------


@dataclass
class Results:
    bet: dict[str, list[float]] = field(default_factory=lambda: {"parlor": [], "anchor": []})
    spin: dict[str, list[float]] = field(default_factory=lambda: {"parlor": [], "anchor": []})
    threads: dict[str, list[float]] = field(default_factory=lambda: {"parlor": [], "anchor": []})
    busy: int = 0
    #: Group commit in parlor's threaded runs: operations written, and commits they shared.
    grouped_ops: int = 0
    grouped_commits: int = 0

    @property
    def ops_per_commit(self) -> float:
        return self.grouped_ops / self.grouped_commits if self.grouped_commits else 0.0


def run(args: argparse.Namespace, console: Console) -> Results:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="parlor-bench-", dir=args.dir) as tmp:
        parlor, db = _parlor_side(Path(tmp) / "parlor.db")
        anchor, conns = _anchor_side(Path(tmp) / "anchor.db")
        sides = (parlor, anchor)
        columns = (
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        per_round = 2 * (args.ops + args.spins + args.thread_ops)
        with Progress(*columns, console=console, auto_refresh=False, transient=True) as progress:
            task = progress.add_task("warming up", total=args.rounds * per_round)

            def tick(n: int) -> None:
                progress.advance(task, n)
                progress.refresh()

            # Warm-up, untimed: caches, statement caches, page cache, lazy imports.
            for side in sides:
                warm = _bet_work(side, side.bet_sessions, min(args.ops, 500))
                _ensure_room(side, warm)
                _timed_bets(side, warm, lambda n: None)
                _timed_spins(side, min(args.spins, SESSIONS), lambda n: None)

            for r in range(args.rounds):
                order = sides if r % 2 == 0 else sides[::-1]
                for side in order:
                    progress.update(task, description=f"round {r + 1}: {side.name} place-bet")
                    work = _bet_work(side, side.bet_sessions, args.ops, offset=r)
                    _ensure_room(side, work)
                    seconds = _timed_bets(side, work, tick)
                    results.bet[side.name].append(seconds / args.ops * 1e6)
                for side in order:
                    progress.update(task, description=f"round {r + 1}: {side.name} spin")
                    seconds = _timed_spins(side, args.spins, tick)
                    results.spin[side.name].append(seconds / args.spins * 1e6)
                for side in order:
                    progress.update(task, description=f"round {r + 1}: {side.name} ×{THREADS}")
                    progress.refresh()
                    ops, commits = db.operations_written, db.commits
                    seconds, refused = _threaded_bets(side, args.thread_ops, r)
                    if side is parlor:
                        results.grouped_ops += db.operations_written - ops
                        results.grouped_commits += db.commits - commits
                    side.refused += refused
                    done = args.thread_ops // THREADS * THREADS
                    results.threads[side.name].append(seconds / done * 1e6)
                    tick(args.thread_ops)

        results.busy = sum(c.busy for c in conns)
        for c in conns:
            c.close()
        _audit(db, Path(tmp) / "anchor.db", sides, console)
    return results


def _audit(db: SQLiteDatabase, anchor_path: Path, sides: Sequence[Side], console: Console) -> None:
    """Fail unless nothing was refused and both databases are whole and alike."""
    problems = [f"{s.name}: {s.refused} bets refused" for s in sides if s.refused]
    anchor_db = SQLiteDatabase(str(anchor_path))
    counts = []
    for name, store in (("parlor", db), ("anchor", anchor_db)):
        report = check_ledger(store)
        problems += [f"{name} ledger: {p}" for p in report.problems[:5]]
        with store.transaction(write=False) as tx:
            counts.append(
                (
                    tx.one("SELECT COUNT(*) FROM bets"),
                    tx.one("SELECT COUNT(*) FROM spins"),
                    tx.one("SELECT COUNT(*) FROM ledger WHERE reason = 'bet'"),
                )
            )
        store.close()
    if counts[0] != counts[1]:
        problems.append(f"parlor and anchor differ in (bets, spins, bet entries): {counts}")
    if problems:
        for problem in problems:
            console.print(f"[red]FAIL[/red] {problem}")
        raise SystemExit(1)


# -- reporting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    parlor_us: float
    anchor_us: float

    @property
    def ratio(self) -> float:
        return self.parlor_us / self.anchor_us


def summarize(results: Results) -> list[Row]:
    med = statistics.median
    return [
        Row("place-bet", med(results.bet["parlor"]), med(results.bet["anchor"])),
        Row(
            f"spin ({BETS_PER_SPIN} bets)",
            med(results.spin["parlor"]),
            med(results.spin["anchor"]),
        ),
        Row(
            f"place-bet ×{THREADS} threads",
            med(results.threads["parlor"]),
            med(results.threads["anchor"]),
        ),
    ]


def bar_met(rows: Sequence[Row]) -> bool:
    return rows[0].ratio <= BAR


def print_table(
    rows: Sequence[Row], results: Results, args: argparse.Namespace, c: Console
) -> None:
    table = Table(
        title=f"House operations: median of {args.rounds} rounds (parlor vs bare sqlite3)",
        caption="ratio = parlor µs/op ÷ anchor µs/op",
    )
    table.add_column("operation")
    for name in ("parlor µs/op", "parlor ops/s", "anchor µs/op", "anchor ops/s", "ratio"):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(
            row.label,
            f"{row.parlor_us:.1f}",
            f"{1e6 / row.parlor_us:,.0f}",
            f"{row.anchor_us:.1f}",
            f"{1e6 / row.anchor_us:,.0f}",
            f"{row.ratio:.2f}×",
        )
    c.print(table)
    for label, series in (
        ("place-bet", results.bet),
        ("spin", results.spin),
        (f"×{THREADS}", results.threads),
    ):
        spread = ", ".join(f"{name} {min(v):.1f}–{max(v):.1f}" for name, v in series.items())
        c.print(f"  per-round µs/op range, {label}: {spread}")
    c.print(f"  anchor lock timeouts retried (threads): {results.busy}")
    c.print(
        f"  parlor group commit, ×{THREADS} threads: {results.ops_per_commit:.2f} bets per commit"
    )
    verdict = "[green]PASS[/green]" if bar_met(rows) else "[red]FAIL[/red]"
    c.print(f"Bar: a place-bet costs at most {BAR:g}× the bare transaction — {verdict}"
            f" ({rows[0].ratio:.2f}×)")  # fmt: skip


def _filesystem(path: str) -> str:
    """The type of the filesystem holding ``path`` (Linux), or "filesystem unknown"."""
    best, kind = "", "filesystem unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    target = os.path.realpath(path)
    for line in mounts:
        fields = line.split()
        if (
            len(fields) > 2
            and (target + "/").startswith(fields[1].rstrip("/") + "/")
            and len(fields[1]) >= len(best)
        ):
            best, kind = fields[1], fields[2]
    return kind


def command_line(args: argparse.Namespace) -> str:
    return (
        f".venv/bin/python bench/house_ops.py --ops {args.ops} --rounds {args.rounds}"
        f" --spins {args.spins} --thread-ops {args.thread_ops}"
        + (f" --dir {args.dir}" if args.dir else "")
        + " --write-md"
    )


def markdown(rows: Sequence[Row], results: Results, args: argparse.Namespace) -> str:
    cores = os.cpu_count()
    python = platform.python_version()
    met = bar_met(rows)
    lines = [
        f"## {SECTION}",
        "",
        f"Measured {datetime.now().date().isoformat()} on a {cores}-core machine"
        f" ({platform.system()} {platform.machine()}), Python {python},"
        f" SQLite {sqlite3.sqlite_version}; WAL, synchronous=NORMAL, database files in"
        f" {args.dir or tempfile.gettempdir()} ({_filesystem(args.dir or tempfile.gettempdir())}).",
        "",
        f"Reproduce: `{command_line(args)}`",
        "",
        "Each parlor operation (`RouletteHouse` over `SQLiteDatabase`) beside an *anchor*: the",
        "same SQL written as bare stdlib `sqlite3`, on its own file whose schema `migrate()` made,",
        "with the same pragmas, measured in the same run. Parlor and anchor alternate within each",
        f"round (which goes first flips every round); the figures are medians over {args.rounds}"
        " rounds.",
        "",
        f"- **place-bet**: {args.ops} bets per round, round-robin over {SESSIONS} sessions.",
        f"- **spin**: {args.spins} spins per round, each settling {BETS_PER_SPIN} open bets placed"
        " just before and not timed; the anchor draws the pocket with `fairness.draw` too and"
        " settles by an inline lookup.",
        f"- **place-bet ×{THREADS} threads**: {args.thread_ops} bets per round by {THREADS}"
        " threads on separate sessions; µs/op is wall time ÷ bets. Parlor shares one house, the"
        " anchor gives"
        " each thread its own connection (BEGIN IMMEDIATE, 5 s busy timeout;"
        f" {results.busy} lock timeouts).",
        "",
        "| operation | parlor µs/op | parlor ops/s | anchor µs/op | anchor ops/s | parlor/anchor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {row.parlor_us:.1f} | {1e6 / row.parlor_us:,.0f}"
            f" | {row.anchor_us:.1f} | {1e6 / row.anchor_us:,.0f} | {row.ratio:.2f}× |"
        )
    spread = "; ".join(
        f"{label} " + ", ".join(f"{n} {min(v):.0f}–{max(v):.0f}" for n, v in series.items())
        for label, series in (
            ("place-bet", results.bet),
            ("spin", results.spin),
            (f"×{THREADS} threads", results.threads),
        )
    )
    lines += [
        "",
        f"Per-round range, µs/op: {spread}. `--dir /dev/shm` takes the disk out of both sides.",
        "",
        f"Group commit: with {THREADS} threads, parlor wrote {results.ops_per_commit:.2f} bets per"
        " commit on average (the anchor, like any plain sqlite3 code, commits each one alone).",
        "",
        f"Bar: a place-bet costs at most {BAR:g}× the bare transaction —"
        f" **{'PASS' if met else 'FAIL'}** ({rows[0].ratio:.2f}×).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ops", type=int, default=5000, help="place-bets per round and side")
    parser.add_argument("--rounds", type=int, default=7, help="rounds; medians are reported")
    parser.add_argument("--spins", type=int, default=500, help="spins per round and side")
    parser.add_argument(
        "--thread-ops", type=int, default=2000, help=f"bets per round and side by {THREADS} threads"
    )
    parser.add_argument(
        "--dir", help="where the database files go (default: the system's temp directory)"
    )
    parser.add_argument("--write-md", action="store_true", help=f"rewrite {BENCHMARKS_MD.name}")
    args = parser.parse_args(argv)
    if min(args.ops, args.rounds, args.spins) < 1 or args.thread_ops < THREADS:
        parser.error(f"--ops, --rounds and --spins must be positive, --thread-ops ≥ {THREADS}")
    console = Console()
    started = time.perf_counter()
    results = run(args, console)
    rows = summarize(results)
    print_table(rows, results, args, console)
    console.print(f"  ({time.perf_counter() - started:.0f} s in all)")
    if args.write_md:
        replace_section(SECTION, markdown(rows, results, args))
        console.print(f"Wrote the {SECTION!r} section of {BENCHMARKS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
