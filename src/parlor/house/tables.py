"""Roulette tables: many sessions at one wheel, in one provably fair sequence of rounds.

The house behind the TCP tables (``docs/protocol.md``). A table is a house
object; the players at it are ordinary roulette sessions (``RouletteHouse``),
anonymous or funded from an account, whose chips, limits and ledger entries are
what they always are. Every operation is one transaction, every check comes
before the first write, and a refusal raises one of ``parlor.house.errors`` and
changes nothing.

A table
-------
- Its name is 1–32 ASCII letters, digits, ``-`` or ``_``, compared without case
  and kept in lower case. One table of a name is open at a time.
  ``open_table(name, wheel)`` for a name already open with that wheel returns it
  unchanged; with the other wheel it is ``TableNameTaken``. A closed table keeps
  its name and history, and opening the name again makes a new table.
- When it opens, the house commits to a secret server seed (its SHA-256 is
  public in ``TableState``) and picks a public client seed; the round counter is
  0. Round ``n`` (from 1) lands on ``fairness.draw(server_seed, client_seed, n,
  pockets)``: the session scheme of ``parlor.roulette.fairness``, with the round
  as the nonce. ``close_table`` reveals the seed, and ``verify(name)`` checks the
  newest closed table of that name: the seed hashes to the commitment and every
  recorded round's pocket is the draw.

Seats
-----
- ``sit(name, session_id)`` seats an open session of the table's wheel. From
  then on it is a *table session* (``sessions.table_id``): its bets go through
  the table, and its pockets come from the table's rounds, so the roulette house
  refuses to bet, withdraw, spin or verify on it alone (``PlaysAtTable``; verify
  the table instead). Sitting again where it sits is a no-op. A session sits at
  one table at a time; it may move to another only standing (``SeatedElsewhere``)
  with no bets open (``BetsStillOpen``), and a session with open bets of its own
  solo play may not sit down until they are settled or withdrawn.
- ``stand(session_id)`` stands it up (standing already: a no-op). Its open bets
  stay in the round: the table's next spin settles them whether the player is
  seated, standing or gone. Standing, it may sit at this table again, bets and
  all.
- Ending a table session (``RouletteHouse.end_session``) refunds its open bets,
  as for any session, and it sits nowhere from then on; the table's version does
  not move, so stand it up first if the table should hear of it.

Bets and rounds
---------------
- ``place_bet`` and ``withdraw_bet`` take a session seated at that table
  (``NotSeated``), with the roulette house's own rules and code: the REST names
  of every proposition, the session's balance, its table minimum and maximum,
  its open-stake limit and (on the European wheel) its la partage.
- ``spin(name)`` is one transaction: round ``n = round + 1`` is drawn, and every
  open bet of every open session whose table this is, seated or standing, is
  settled exactly once (the roulette house's settlement, ledger entries and all);
  each such session's spin count, balance and version move, and its spin records
  the pocket and the round. The round is recorded (``table_spins``) and the
  table's round and version move. ``expected_round`` makes a retried spin refuse
  (``RoundOutOfTurn``) instead of spinning twice. A session with no bet open is
  not in the round: nothing is recorded for it.
- A bet belongs to the first round whose spin begins after the bet commits. A
  bet answered before ``spin`` was called is in that round; one placed while the
  spin runs is in it or in the next, never in neither, never in both. (The TCP
  server closes its betting window before it spins, so players do not race it.)

Locks, and why they cannot deadlock
-----------------------------------
Writers take a table's row before any session's row, and several sessions' rows
in the order of their ids (``read_sessions``):

- ``spin`` and ``close_table``: the table's row, then its sessions with bets open
  (and, to close, the seated ones);
- ``sit`` and ``stand``: the table's row, then the session's;
- ``place_bet`` and ``withdraw_bet``, like every write of the roulette house: the
  session's row alone. They read the table without a lock, *after* taking the
  session's, so a close committed before they had it is seen.

No transaction waits for a table's row while holding a session's, so none can
wait in a circle: a bet at the moment of a spin cannot deadlock on PostgreSQL,
and bets never queue behind a table lock. On SQLite every write is serialized
(``BEGIN IMMEDIATE``), so a bet is wholly before a spin or wholly after it. On
PostgreSQL (READ COMMITTED) the spin's statement that locks the betting sessions
decides: a bet committed before it began is settled; a bet holding its session's
lock then is waited for and settled too (the row is read again as the bet left
it); a bet that asks for the lock later waits for the spin's commit and belongs
to the next round. A first bet of the round that commits just after that
statement began is not seen by it and stays open for the next round.

Closing
-------
``close_table`` refunds every open bet at the table (ledger reason ``refund``)
rather than refusing while bets are open: a busy table can always be closed at
once, and no chip is left on a table that will never spin. It stands everyone
up and reveals the seed; the sessions stay table sessions of a closed table,
free to end or to move to another table.

Versions and hooks
------------------
A table's version is 1 when it opens and one more with every sit, stand, spin
and close. After each commit, ``on_change(table_name, version)`` hears of the
table's new version, and the roulette house's ``on_change(session_id, version)``
of each session that changed (bets, seats, settlements, refunds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, TypeVar

from parlor.house.errors import (
    BetsStillOpen,
    HouseBusy,
    InvalidRequest,
    NotSeated,
    RoundOutOfTurn,
    SeatedElsewhere,
    SessionEnded,
    TableClosed,
    TableNameTaken,
    TableStillOpen,
    UnknownTable,
    WrongWheelForTable,
    committed,
    reading,
)
from parlor.house.roulette import (
    MAX_ID,
    BetReceipt,
    PlacedBet,
    RouletteHouse,
    SessionRow,
    checked_stake_and_kind,
    place_bet_on,
    read_session,
    read_sessions,
    refund_open_bets,
    settle_open_bets,
    table_name,
    utc_now,
    whole_number,
    withdraw_from,
)
from parlor.roulette import fairness
from parlor.roulette.wheel import Spin, WheelKind, describe, wheel_for
from parlor.store.db import Row, Transaction

__all__ = [
    "Settlement",
    "TableSpin",
    "TableSpinRecord",
    "TableState",
    "TablesHouse",
]

T = TypeVar("T")

#: The most results ``last`` gives at once.
MAX_LAST = 1000

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TABLE_COLUMNS = (
    "id, name, wheel, server_seed, server_seed_hash, client_seed, round, status, opened_at,"
    " closed_at, version"
)
_SEATED = "table_id = ? AND status = 'open' AND seated_at IS NOT NULL"


@dataclass(frozen=True, slots=True)
class TableState:
    id: int
    name: str
    wheel: WheelKind
    #: Rounds spun so far: the next spin is round ``round + 1``.
    round: int
    server_seed_hash: str
    client_seed: str
    #: open or closed.
    status: str
    #: Sessions seated now.
    seated: int
    opened_at: str
    closed_at: str | None
    #: None while the table is open: the seed is revealed when it closes.
    server_seed: str | None
    #: 1 when opened, one more with every sit, stand, spin and the close.
    version: int

    @property
    def closed(self) -> bool:
        return self.status == "closed"


@dataclass(frozen=True, slots=True)
class Settlement:
    """One session's part in a round: what it had on the table and what came back."""

    session_id: str
    name: str
    staked: int
    returned: int
    #: The session's balance once its bets are settled.
    balance: int
    bets: tuple[PlacedBet, ...]


@dataclass(frozen=True, slots=True)
class TableSpin:
    round: int
    result: Spin
    #: Each session that had bets open, in the order of their ids.
    settlements: tuple[Settlement, ...]


@dataclass(frozen=True, slots=True)
class TableSpinRecord:
    round: int
    pocket: int
    spun_at: str
    #: What the round settled: sessions, bets, and their chips.
    sessions: int
    bets: int
    staked: int
    returned: int

    @property
    def result(self) -> Spin:
        return describe(self.pocket)


class _TableRow(NamedTuple):
    """A roulette_tables row, as ``_TABLE_COLUMNS`` selects it."""

    id: int
    name: str
    wheel: str
    #: Kept out of ``state`` while the table is open.
    server_seed: str
    server_seed_hash: str
    client_seed: str
    round: int
    status: str
    opened_at: str
    closed_at: str | None
    version: int

    @property
    def closed(self) -> bool:
        return self.status == "closed"

    def state(self, seated: int) -> TableState:
        return TableState(
            id=self.id,
            name=self.name,
            wheel=WheelKind(self.wheel),
            round=self.round,
            server_seed_hash=self.server_seed_hash,
            client_seed=self.client_seed,
            status=self.status,
            seated=seated,
            opened_at=self.opened_at,
            closed_at=self.closed_at,
            server_seed=self.server_seed if self.closed else None,
            version=self.version,
        )


#: What a change committed: the table's new (name, version) if it moved, and each
#: session's that did.
_Changes = tuple[tuple[str, int] | None, list[tuple[str, int]]]


def _table_name(value: object) -> str:
    """A table's name as kept (lower case); InvalidRequest when it cannot be one."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidRequest(
            "table", "a table's name is 1 to 32 letters, digits, '-' or '_', such as 'main'"
        )
    return value.lower()


def _wheel_kind(value: object) -> WheelKind:
    if isinstance(value, str):
        try:
            return wheel_for(value).kind
        except ValueError:
            pass
    raise InvalidRequest("wheel", "wheel must be 'american' or 'european'")


def _open_row(tx: Transaction, name: str, *, lock: bool = False) -> _TableRow | None:
    row = tx.one(
        f"SELECT {_TABLE_COLUMNS} FROM roulette_tables WHERE name = ? AND status = 'open'"
        + (tx.dialect.lock_rows if lock else ""),
        (name,),
    )
    return None if row is None else _TableRow._make(row)


def _locked_row(tx: Transaction, table_id: int) -> _TableRow:
    """The table with ``table_id`` (a session's: it exists), its row locked."""
    row = tx.one(
        f"SELECT {_TABLE_COLUMNS} FROM roulette_tables WHERE id = ?" + tx.dialect.lock_rows,
        (table_id,),
    )
    assert row is not None  # sessions.table_id references it
    return _TableRow._make(row)


def _newest_row(tx: Transaction, name: str) -> _TableRow | None:
    """The open table of that name, or else the one that closed last."""
    row = tx.one(
        f"SELECT {_TABLE_COLUMNS} FROM roulette_tables WHERE name = ?"
        " ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, id DESC LIMIT 1",
        (name,),
    )
    return None if row is None else _TableRow._make(row)


def _open_table(tx: Transaction, name: str, *, lock: bool) -> _TableRow:
    """The open table of that name (with ``lock``, its row locked); TableClosed, UnknownTable."""
    row = _open_row(tx, name, lock=lock)
    if row is None:
        raise TableClosed(name) if _newest_row(tx, name) else UnknownTable(name)
    return row


def _named_table(tx: Transaction, name: str) -> _TableRow:
    row = _newest_row(tx, name)
    if row is None:
        raise UnknownTable(name)
    return row


def _seated_count(tx: Transaction, table_id: int) -> int:
    row = tx.one(f"SELECT COUNT(*) FROM sessions WHERE {_SEATED}", (table_id,))
    return int(row[0]) if row else 0


def _state(tx: Transaction, row: _TableRow) -> TableState:
    return row.state(_seated_count(tx, row.id))


def _bump(tx: Transaction, table_id: int) -> _TableRow:
    """One more on the table's version (a seat changed); its row as it is now."""
    row = tx.one(
        f"UPDATE roulette_tables SET version = version + 1 WHERE id = ? RETURNING {_TABLE_COLUMNS}",
        (table_id,),
    )
    assert row is not None
    return _TableRow._make(row)


def _admit(session: SessionRow, table: _TableRow) -> None:
    """Refuse a bet or a withdrawal unless the session sits at this open table."""
    if session.ended:
        raise SessionEnded(session.id)
    if table.closed:
        raise TableClosed(table.name)
    if session.table_id != table.id or not session.seated:
        raise NotSeated(session.id, table.name)


def _check_can_sit(tx: Transaction, table: _TableRow, session: SessionRow) -> None:
    """Refuse to seat ``session`` at ``table`` (not seated there already) unless it may sit."""
    if session.ended:
        raise SessionEnded(session.id)
    if session.wheel != table.wheel:
        raise WrongWheelForTable(session.id, session.wheel, table.name, table.wheel)
    if session.table_id == table.id:
        return  # standing here: it sits down again, its open bets still in the round
    if session.table_id is not None and session.seated:
        raise SeatedElsewhere(session.id, table_name(tx, session.table_id))
    if session.open_stake:
        # Open bets belong to the spin that would have settled them: solo, or another table's.
        elsewhere = None if session.table_id is None else table_name(tx, session.table_id)
        raise BetsStillOpen(session.id, elsewhere)


def _record(row: Row) -> TableSpinRecord:
    round_, pocket, spun_at, sessions, bets, staked, returned = row
    return TableSpinRecord(
        round=int(round_),
        pocket=int(pocket),
        spun_at=str(spun_at),
        sessions=int(sessions),
        bets=int(bets),
        staked=int(staked),
        returned=int(returned),
    )


class TablesHouse:
    """Roulette tables over the roulette house's database and sessions."""

    def __init__(
        self,
        roulette: RouletteHouse,
        *,
        clock: Callable[[], datetime] = utc_now,
        new_server_seed: Callable[[], str] = fairness.new_server_seed,
        new_client_seed: Callable[[], str] = fairness.new_client_seed,
        on_change: Callable[[str, int], object] | None = None,
    ) -> None:
        """``on_change(table_name, version)`` hears of every table change, once committed."""
        self.roulette = roulette
        self.db = roulette.db
        self.on_change = on_change
        self._clock = clock
        self._new_server_seed = new_server_seed
        self._new_client_seed = new_client_seed

    # -- plumbing -------------------------------------------------------------

    def _now(self) -> str:
        return self._clock().isoformat(timespec="microseconds")

    def _change(self, work: Callable[[Transaction], tuple[T, _Changes]]) -> T:
        """Run ``work`` in one write transaction; after the commit, tell the hooks what changed."""
        result, (table, sessions) = committed(self.db, work)
        hear_session = self.roulette.on_change
        if hear_session is not None:
            for session_id, version in sessions:
                hear_session(session_id, version)
        if table is not None and self.on_change is not None:
            self.on_change(*table)
        return result

    # -- tables ---------------------------------------------------------------

    def open_table(self, name: object, wheel: object) -> TableState:
        """Open a table of ``wheel``; the open table of that name if it has that wheel already."""
        clean = _table_name(name)
        kind = _wheel_kind(wheel)
        server_seed = self._new_server_seed()
        client_seed = self._new_client_seed()

        def work(tx: Transaction) -> tuple[TableState, _Changes]:
            row = _open_row(tx, clean)
            created = row is None
            if row is None:
                # ON CONFLICT: when another process opens the name at the same moment, its
                # insert wins and this one reads its table.
                tx.execute(
                    "INSERT INTO roulette_tables (name, wheel, server_seed, server_seed_hash,"
                    " client_seed, opened_at) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (name) WHERE status = 'open' DO NOTHING",
                    (clean, kind.value, server_seed, fairness.hash_server_seed(server_seed),
                     client_seed, self._now()),
                )  # fmt: skip
                row = _open_table(tx, clean, lock=False)
            if row.wheel != kind.value:
                raise TableNameTaken(clean, row.wheel)
            return _state(tx, row), ((clean, row.version) if created else None, [])

        return self._change(work)

    def tables(self) -> list[TableState]:
        """The open tables, by name, each with the number seated at it."""
        with reading(self.db) as tx:
            rows = tx.all(
                f"SELECT {_TABLE_COLUMNS}, (SELECT COUNT(*) FROM sessions s"
                "  WHERE s.table_id = t.id AND s.status = 'open' AND s.seated_at IS NOT NULL)"
                " FROM roulette_tables t WHERE t.status = 'open' ORDER BY t.name"
            )
        return [_TableRow._make(row[:-1]).state(int(row[-1])) for row in rows]

    def table(self, name: object) -> TableState:
        """The open table of that name, or else the one that closed last."""
        clean = _table_name(name)
        with reading(self.db) as tx:
            return _state(tx, _named_table(tx, clean))

    def seated(self, name: object) -> list[tuple[str, str]]:
        """(session id, player's name) of each session seated at the table, first seated first."""
        clean = _table_name(name)
        with reading(self.db) as tx:
            row = _named_table(tx, clean)
            found = tx.all(
                f"SELECT id, name FROM sessions WHERE {_SEATED} ORDER BY seated_at, id",
                (row.id,),
            )
        return [(str(session_id), str(player)) for session_id, player in found]

    def close_table(self, name: object) -> TableState:
        """Close the table: refund every open bet at it, stand everyone up, reveal its seed."""
        clean = _table_name(name)

        def work(tx: Transaction) -> tuple[TableState, _Changes]:
            table = _open_table(tx, clean, lock=True)
            now = self._now()
            changed: list[tuple[str, int]] = []
            for session in read_sessions(
                tx,
                "table_id = ? AND status = 'open' AND (open_stake > 0 OR seated_at IS NOT NULL)",
                (table.id,),
            ):
                refund_open_bets(tx, session, now)
                version = tx.one(
                    "UPDATE sessions SET balance = balance + open_stake, open_stake = 0,"
                    " settled_through = bet_count, seated_at = NULL, version = version + 1"
                    " WHERE id = ? RETURNING version",
                    (session.id,),
                )
                assert version is not None
                changed.append((session.id, int(version[0])))
            row = tx.one(
                "UPDATE roulette_tables SET status = 'closed', closed_at = ?,"
                f" version = version + 1 WHERE id = ? RETURNING {_TABLE_COLUMNS}",
                (now, table.id),
            )
            assert row is not None
            closed = _TableRow._make(row)
            return closed.state(0), ((clean, closed.version), changed)

        return self._change(work)

    def record(self, name: object) -> tuple[TableState, list[tuple[int, int]]]:
        """The table of that name that closed last, its seed revealed, and its rounds
        (round, pocket) in order: what anyone needs to check it."""
        clean = _table_name(name)
        with reading(self.db) as tx:
            found = tx.one(
                f"SELECT {_TABLE_COLUMNS} FROM roulette_tables WHERE name = ?"
                " AND status = 'closed' ORDER BY id DESC LIMIT 1",
                (clean,),
            )
            if found is None:
                raise TableStillOpen(clean) if _open_row(tx, clean) else UnknownTable(clean)
            table = _TableRow._make(found)
            rounds = tx.all(
                "SELECT round, pocket FROM table_spins WHERE table_id = ? ORDER BY round",
                (table.id,),
            )
            state = _state(tx, table)
        return state, [(int(n), int(pocket)) for n, pocket in rounds]

    def verify(self, name: object) -> fairness.Verification:
        """Recompute every round of the table of that name that closed last, from its seed."""
        state, rounds = self.record(name)
        assert state.server_seed is not None  # a closed table's is revealed
        return fairness.verify(
            state.server_seed,
            state.server_seed_hash,
            state.client_seed,
            rounds,
            wheel_for(state.wheel).pocket_count,
        )

    # -- seats ----------------------------------------------------------------

    def sit(self, name: object, session_id: str) -> TableState:
        """Seat an open session of the table's wheel at the table (again: a no-op)."""
        clean = _table_name(name)

        def work(tx: Transaction) -> tuple[TableState, _Changes]:
            table = _open_table(tx, clean, lock=True)  # the table's row first: see "Locks"
            session = read_session(tx, session_id, lock=True)
            if session.table_id == table.id and session.seated:
                return _state(tx, table), (None, [])
            _check_can_sit(tx, table, session)
            version = tx.one(
                "UPDATE sessions SET table_id = ?, seated_at = ?, version = version + 1"
                " WHERE id = ? RETURNING version",
                (table.id, self._now(), session.id),
            )
            assert version is not None
            row = _bump(tx, table.id)
            return _state(tx, row), ((clean, row.version), [(session.id, int(version[0]))])

        return self._change(work)

    def table_of(self, session_id: str) -> str | None:
        """The name of the table a session plays at (open or closed); None for a solo one."""
        with reading(self.db) as tx:
            table_id = read_session(tx, session_id, lock=False).table_id
            return None if table_id is None else table_name(tx, table_id)

    def stand(self, session_id: str) -> TableState:
        """Stand the session up from its table (standing already: a no-op); its bets stay."""

        def work(tx: Transaction) -> tuple[TableState, _Changes]:
            # Which table, read without a lock, so that its row is locked before the session's.
            table_id = read_session(tx, session_id, lock=False).table_id
            if table_id is None:
                raise NotSeated(session_id, None)
            table = _locked_row(tx, table_id)
            session = read_session(tx, session_id, lock=True)
            if session.table_id != table.id:
                # It moved between the two reads (PostgreSQL only): this table is not its own.
                raise HouseBusy("the session moved to another table meanwhile: stand up again")
            if not session.seated:
                return _state(tx, table), (None, [])
            version = tx.one(
                "UPDATE sessions SET seated_at = NULL, version = version + 1"
                " WHERE id = ? RETURNING version",
                (session.id,),
            )
            assert version is not None
            row = _bump(tx, table.id)
            return _state(tx, row), ((row.name, row.version), [(session.id, int(version[0]))])

        return self._change(work)

    # -- bets -----------------------------------------------------------------

    def place_bet(
        self,
        name: object,
        session_id: str,
        proposition: object,
        numbers: Sequence[object] | None,
        amount: object,
        *,
        idempotency_key: str | None = None,
    ) -> BetReceipt:
        """Place a bet for the table's next round, for a session seated at it."""
        clean = _table_name(name)
        stake, kind = checked_stake_and_kind(amount, proposition)

        def work(tx: Transaction) -> tuple[BetReceipt, _Changes]:
            session = read_session(tx, session_id, lock=True)
            table = _named_table(tx, clean)  # after the session's lock: see "Locks"
            receipt, version = place_bet_on(
                tx, session, kind, numbers, stake, self._now(),
                idempotency_key=idempotency_key, admit=lambda: _admit(session, table),
            )  # fmt: skip
            return receipt, (None, [] if version is None else [(session.id, version)])

        return self._change(work)

    def withdraw_bet(self, name: object, session_id: str, confirmation: object) -> BetReceipt:
        """Take an open bet back before its round is spun, for a session seated at the table."""
        clean = _table_name(name)

        def work(tx: Transaction) -> tuple[BetReceipt, _Changes]:
            session = read_session(tx, session_id, lock=True)
            table = _named_table(tx, clean)  # after the session's lock: see "Locks"
            _admit(session, table)
            receipt, version = withdraw_from(tx, session, confirmation, self._now())
            return receipt, (None, [(session.id, version)])

        return self._change(work)

    # -- rounds ---------------------------------------------------------------

    def spin(self, name: object, *, expected_round: object = None) -> TableSpin:
        """Spin the table's next round and settle every open bet at it, each exactly once."""
        clean = _table_name(name)
        expected = (
            None
            if expected_round is None
            else whole_number("expected_round", expected_round, 1, MAX_ID)
        )

        def work(tx: Transaction) -> tuple[TableSpin, _Changes]:
            table = _open_table(tx, clean, lock=True)
            number = table.round + 1
            if expected is not None and expected != number:
                raise RoundOutOfTurn(clean, expected, table.round)
            pockets = wheel_for(table.wheel).pocket_count
            pocket = fairness.draw(table.server_seed, table.client_seed, number, pockets)
            now = self._now()
            settlements, changed = self._settle_round(tx, table.id, number, pocket, now)
            tx.execute(
                "INSERT INTO table_spins (table_id, round, pocket, spun_at, sessions, bets,"
                " staked, returned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (table.id, number, pocket, now, len(settlements),
                 sum(len(s.bets) for s in settlements), sum(s.staked for s in settlements),
                 sum(s.returned for s in settlements)),
            )  # fmt: skip
            version = tx.one(
                "UPDATE roulette_tables SET round = ?, version = version + 1 WHERE id = ?"
                " RETURNING version",
                (number, table.id),
            )
            assert version is not None
            spun = TableSpin(number, describe(pocket), tuple(settlements))
            return spun, ((clean, int(version[0])), changed)

        return self._change(work)

    @staticmethod
    def _settle_round(
        tx: Transaction, table_id: int, number: int, pocket: int, now: str
    ) -> tuple[list[Settlement], list[tuple[str, int]]]:
        """Settle the open bets of every session at the table (locked, by id) on ``pocket``."""
        settlements: list[Settlement] = []
        changed: list[tuple[str, int]] = []
        for session in read_sessions(
            tx, "table_id = ? AND status = 'open' AND open_stake > 0", (table_id,)
        ):
            result, version = settle_open_bets(
                tx, session, pocket, now, table_id=table_id, table_round=number
            )
            settlements.append(
                Settlement(
                    session_id=session.id,
                    name=session.name,
                    staked=sum(bet.amount for bet in result.settled),
                    returned=sum(bet.returned or 0 for bet in result.settled),
                    balance=result.balance,
                    bets=result.settled,
                )
            )
            changed.append((session.id, version))
        return settlements, changed

    def last(self, name: object, n: object = 10) -> list[TableSpinRecord]:
        """The table's last ``n`` rounds, newest first."""
        clean = _table_name(name)
        count = whole_number("n", n, 1, MAX_LAST)
        with reading(self.db) as tx:
            table = _named_table(tx, clean)
            rows = tx.all(
                "SELECT round, pocket, spun_at, sessions, bets, staked, returned"
                " FROM table_spins WHERE table_id = ? ORDER BY round DESC LIMIT ?",
                (table.id, count),
            )
        return [_record(row) for row in rows]
