"""The roulette house: every operation is one transaction that loads, decides, writes.

Money moves only here, in whole chips, and every movement is written twice to
the ledger (see ``move_chips``). A bet debits the player's balance when it is placed;
a spin settles each open bet of the session exactly once; withdrawing or ending
a session refunds open bets. Operations on one session serialize: SQLite's
``BEGIN IMMEDIATE`` and PostgreSQL's ``SELECT … FOR UPDATE`` of the session row.
Reads lock nothing: they run in read-only transactions on a snapshot (WAL on
SQLite, REPEATABLE READ on PostgreSQL), so a GET never waits behind a bet.

Every check happens before the first write, so a refused operation raises one
of ``parlor.house.errors`` and changes nothing.

A session that has sat at a roulette table (``parlor.house.tables``) is a
*table session*: its bets go through the table and its pockets come from the
table's spins, so this house refuses to bet, withdraw, spin or verify on it
(``PlaysAtTable``). The work inside a transaction that both houses do (read
and lock a session, place a bet, withdraw one, settle open bets on a pocket,
refund them) is written once, as the module's functions below the dataclasses;
each takes the open transaction and the session's locked row.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import NamedTuple, TypeVar

from parlor.house.errors import (
    AccountShort,
    BetNotOpen,
    IdempotencyMismatch,
    InsufficientBalance,
    InvalidBet,
    InvalidRequest,
    NotOnThisWheel,
    OutsideTableLimits,
    PlaysAtTable,
    SeedNotRevealed,
    SessionEnded,
    SpinOutOfTurn,
    TableAction,
    UnknownAccount,
    UnknownBet,
    UnknownSession,
    committed,
    reading,
)
from parlor.house.ledger import (
    HOUSE_ACCOUNT,
    LEDGER_INSERT,
    account_key,
    double_entry,
    transfer,
)
from parlor.roulette import fairness
from parlor.roulette.bets import (
    Bet,
    BetKind,
    RuleViolation,
    WrongWheel,
    make_bet,
    parse_kind,
    settle,
    stored_bet,
    validate_amount,
)
from parlor.roulette.wheel import Spin, WheelKind, describe, wheel_for
from parlor.settings import MAX_ID, HouseLimits
from parlor.store.db import Database, Row, Transaction
from parlor.text import line_problem

__all__ = [
    "HOUSE_ACCOUNT",
    "MAX_ID",
    "BetReceipt",
    "PlacedBet",
    "RouletteHouse",
    "SessionState",
    "SpinRecord",
    "SpinResult",
]

T = TypeVar("T")

_SESSION_COLUMNS = (
    "id, name, wheel, la_partage, table_min, table_max, bankroll, balance, open_stake,"
    " bet_count, spin_count, server_seed, server_seed_hash, client_seed, status,"
    " opened_at, ended_at, version, settled_through, account_id, cashed_out, table_id,"
    " seated_at"
)
_BET_COLUMNS = "id, confirmation, kind, numbers, amount, status, spin, payout, outcome, placed_at"


@dataclass(frozen=True, slots=True)
class SessionState:
    id: str
    name: str
    wheel: WheelKind
    la_partage: bool
    table_min: int
    table_max: int
    bankroll: int
    balance: int
    #: Chips on the table in open bets (already debited from ``balance``).
    open_stake: int
    bet_count: int
    spin_count: int
    server_seed_hash: str
    client_seed: str
    status: str
    opened_at: str
    ended_at: str | None
    #: None while the session is open: the seed is revealed only when it ends.
    server_seed: str | None
    #: 1 when opened, one more with every bet, withdrawal, spin and the end: a
    #: reader that saw this number has seen every change up to it.
    version: int = 1
    #: The player account that funded the session; None for an anonymous one.
    account_id: int | None = None
    #: What went back to that account when the session ended (then balance is 0).
    cashed_out: int | None = None
    #: The table this session plays at, once it has sat at one (``parlor.house.tables``):
    #: from then on its bets and spins are the table's.
    table_id: int | None = None
    #: True while it sits at that table (an ended session sits nowhere).
    seated: bool = False

    @property
    def ended(self) -> bool:
        return self.status == "ended"


@dataclass(frozen=True, slots=True)
class PlacedBet:
    confirmation: int
    bet: Bet
    amount: int
    #: open, withdrawn, settled or refunded.
    status: str
    #: The spin that settled it; None until then.
    spin: int | None
    #: Chips paid back at settlement (stake plus winnings, half under la partage, or 0),
    #: or the stake refunded when the session ended with the bet open.
    returned: int | None
    #: Net chips once settled: returned − amount (odds × amount on a win, −amount on a loss).
    outcome: int | None
    placed_at: str


@dataclass(frozen=True, slots=True)
class BetReceipt:
    bet: PlacedBet
    #: The session's balance right after this operation.
    balance: int
    #: True when an idempotency key matched and this is the first answer again.
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class SpinResult:
    session_id: str
    #: The spin's number within its session, from 1.
    spin: int
    result: Spin
    settled: tuple[PlacedBet, ...]
    balance: int


@dataclass(frozen=True, slots=True)
class SpinRecord:
    #: The spin's number within its session, from 1.
    spin: int
    pocket: int
    spun_at: str
    #: The table round this pocket came from, for a table session's spin.
    table_round: int | None = None


def utc_now() -> datetime:
    """The house's default clock."""
    return datetime.now(UTC)


def _new_session_id() -> str:
    return secrets.token_urlsafe(16)  # 128 bits: the id is the only credential


class SessionRow(NamedTuple):
    """A sessions row, as ``_SESSION_COLUMNS`` selects it: the one place its columns are typed.

    A NamedTuple, not a dataclass: the bet path reads one per request, and
    ``_make`` costs a fraction of building a frozen dataclass of 19 fields.
    """

    id: str
    name: str
    wheel: str
    la_partage: int
    table_min: int
    table_max: int
    bankroll: int
    balance: int
    open_stake: int
    bet_count: int
    spin_count: int
    #: Kept out of ``state`` while the session is open.
    server_seed: str
    server_seed_hash: str
    client_seed: str
    status: str
    opened_at: str
    ended_at: str | None
    version: int
    #: Bets with a confirmation at or below this are settled, withdrawn or refunded.
    settled_through: int
    account_id: int | None
    cashed_out: int | None
    #: The table it plays at once it has sat at one, and since when it sits there (None:
    #: standing).
    table_id: int | None
    seated_at: str | None

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @property
    def seated(self) -> bool:
        return self.seated_at is not None and not self.ended

    @property
    def state(self) -> SessionState:
        return SessionState(
            id=self.id,
            name=self.name,
            wheel=WheelKind(self.wheel),
            la_partage=bool(self.la_partage),
            table_min=self.table_min,
            table_max=self.table_max,
            bankroll=self.bankroll,
            balance=self.balance,
            open_stake=self.open_stake,
            bet_count=self.bet_count,
            spin_count=self.spin_count,
            server_seed_hash=self.server_seed_hash,
            client_seed=self.client_seed,
            status=self.status,
            opened_at=self.opened_at,
            ended_at=self.ended_at,
            server_seed=self.server_seed if self.ended else None,
            version=self.version,
            account_id=self.account_id,
            cashed_out=self.cashed_out,
            table_id=self.table_id,
            seated=self.seated,
        )


def _encode_numbers(bet: Bet) -> str:
    return ",".join(map(str, bet.numbers))


def _bet_from_row(row: Row, wheel: WheelKind) -> PlacedBet:
    _id, confirmation, kind, numbers, amount, status, spin, returned, outcome, placed_at = row
    stored = str(numbers)
    bet = stored_bet(
        str(kind), [int(n) for n in stored.split(",")] if stored else [], wheel_for(wheel)
    )
    return PlacedBet(
        confirmation=int(confirmation),
        bet=bet,
        amount=int(amount),
        status=str(status),
        spin=None if spin is None else int(spin),
        returned=None if returned is None else int(returned),
        outcome=None if outcome is None else int(outcome),
        placed_at=str(placed_at),
    )


def _clean_text(field: str, value: object, max_length: int) -> str:
    """A line of text (``parlor.text``), as given; InvalidRequest otherwise."""
    problem = line_problem(value, max_length)
    if problem is not None:
        raise InvalidRequest(field, f"{field} {problem}")
    assert isinstance(value, str)
    return value


def whole_number(field: str, value: object, low: int, high: int) -> int:
    """``value`` if it is a whole number in ``low..high``; InvalidRequest naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(field, f"{field} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise InvalidRequest(field, f"{field} must be between {low} and {high}, not {value}")
    return value


# -- the work inside a transaction, shared with the tables house ---------------------
#
# Each function takes the open transaction and, where it changes a session, the
# session's row as read under its lock (``read_session(..., lock=True)``).


def read_session(tx: Transaction, session_id: object, *, lock: bool) -> SessionRow:
    """The session's row; with ``lock``, held until ``tx`` ends (writes only)."""
    if not isinstance(session_id, str):
        raise UnknownSession(str(session_id))
    row = tx.one(
        f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?"
        + (tx.dialect.lock_rows if lock else ""),
        (session_id,),
    )
    if row is None:
        raise UnknownSession(session_id)
    return SessionRow._make(row)


def read_sessions(tx: Transaction, where: str, params: Sequence[object]) -> list[SessionRow]:
    """Sessions matching ``where`` (SQL on the sessions table), locked, in the order of their ids.

    One order for every transaction that locks several sessions, so two of them
    can never each hold a row the other waits for. On PostgreSQL a row that
    another transaction changes while this one waits for it is checked against
    ``where`` again, and read as that transaction left it.
    """
    rows = tx.all(
        f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE {where} ORDER BY id" + tx.dialect.lock_rows,
        params,
    )
    return [SessionRow._make(row) for row in rows]


def table_name(tx: Transaction, table_id: int) -> str:
    """The name of the table with ``table_id`` (for a table session's refusals)."""
    row = tx.one("SELECT name FROM roulette_tables WHERE id = ?", (table_id,))
    return "?" if row is None else str(row[0])


def move_chips(
    tx: Transaction,
    session_id: str,
    amount: int,
    reason: str,
    at: str,
    *,
    bet_id: int | None = None,
) -> None:
    """Record ``amount`` chips moving from the house to the session (negative: back)."""
    to_session, from_house = double_entry(session_id, amount, reason, at, bet_id=bet_id)
    tx.execute(LEDGER_INSERT + ", (?, ?, ?, ?, ?, ?, ?)", (*to_session, *from_house))


def check_stake(stake: int, table_min: int, table_max: int, open_stake: int) -> None:
    """OutsideTableLimits unless ``stake`` fits the table, with the chips already on it."""
    if stake < table_min:
        raise OutsideTableLimits(f"{stake} is below the table minimum of {table_min}")
    if stake > table_max:
        raise OutsideTableLimits(f"{stake} is above the table maximum of {table_max}")
    if open_stake + stake > table_max:
        raise OutsideTableLimits(
            f"open bets would total {open_stake + stake}, over the table maximum of"
            f" {table_max}: spin first or bet at most {table_max - open_stake}",
        )


def read_bet(tx: Transaction, session_id: str, confirmation: object, wheel: WheelKind) -> PlacedBet:
    """The session's bet with ``confirmation``; UnknownBet when it has none."""
    if (
        isinstance(confirmation, bool)
        or not isinstance(confirmation, int)
        or not 1 <= confirmation <= MAX_ID
    ):
        raise UnknownBet(session_id, confirmation)
    row = tx.one(
        f"SELECT {_BET_COLUMNS} FROM bets WHERE session_id = ? AND confirmation = ?",
        (session_id, confirmation),
    )
    if row is None:
        raise UnknownBet(session_id, confirmation)
    return _bet_from_row(row, wheel)


def _replay(
    tx: Transaction, session_id: str, key: str, fingerprint: str, wheel: WheelKind
) -> BetReceipt | None:
    found = tx.one(
        "SELECT fingerprint, confirmation, balance FROM idempotency_keys"
        " WHERE session_id = ? AND key = ?",
        (session_id, key),
    )
    if found is None:
        return None
    if found[0] != fingerprint:
        raise IdempotencyMismatch(key)
    return BetReceipt(read_bet(tx, session_id, int(found[1]), wheel), int(found[2]), replayed=True)


def place_bet_on(
    tx: Transaction,
    session: SessionRow,
    kind: BetKind,
    numbers: Sequence[object] | None,
    stake: int,
    now: str,
    *,
    idempotency_key: str | None,
    admit: Callable[[], None],
) -> tuple[BetReceipt, int | None]:
    """Place a bet on the locked ``session`` and debit its stake; return it and the new version.

    The proposition is checked against the session's wheel, then a known
    ``idempotency_key`` answers with its first bet again (version None: nothing
    changed), then ``admit()`` raises if the door asking does not take this
    session's bets now (it has ended; it plays at a table, or not at this one),
    then the table limits and the balance are checked.
    """
    try:
        bet = make_bet(kind, numbers, wheel_for(session.wheel))
    except WrongWheel as error:
        raise NotOnThisWheel(error.field, error.message) from None
    except RuleViolation as error:
        raise InvalidBet(error.field, error.message) from None
    session_id = session.id
    fingerprint = f"{bet.kind}:{_encode_numbers(bet)}:{stake}"
    if idempotency_key is not None:
        replay = _replay(tx, session_id, idempotency_key, fingerprint, WheelKind(session.wheel))
        if replay is not None:
            return replay, None
    admit()
    check_stake(stake, session.table_min, session.table_max, session.open_stake)
    if stake > session.balance:
        raise InsufficientBalance(stake, session.balance)
    confirmation = session.bet_count + 1
    new_balance = session.balance - stake
    new_version = session.version + 1
    tx.execute(
        "UPDATE sessions SET balance = ?, open_stake = open_stake + ?, bet_count = ?,"
        " version = ? WHERE id = ?",
        (new_balance, stake, confirmation, new_version, session_id),
    )
    bet_id = tx.insert(
        "INSERT INTO bets (session_id, confirmation, kind, numbers, amount, status,"
        " placed_at) VALUES (?, ?, ?, ?, ?, 'open', ?)",
        (session_id, confirmation, bet.kind.value, _encode_numbers(bet), stake, now),
    )
    move_chips(tx, session_id, -stake, "bet", now, bet_id=bet_id)
    if idempotency_key is not None:
        tx.execute(
            "INSERT INTO idempotency_keys (session_id, key, fingerprint, confirmation,"
            " balance, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, idempotency_key, fingerprint, confirmation, new_balance, now),
        )
    placed = PlacedBet(confirmation, bet, stake, "open", None, None, None, now)
    return BetReceipt(placed, new_balance), new_version


def withdraw_from(
    tx: Transaction, session: SessionRow, confirmation: object, now: str
) -> tuple[BetReceipt, int]:
    """Take an open bet of the locked ``session`` back and refund it; return it and the version."""
    session_id = session.id
    placed = read_bet(tx, session_id, confirmation, WheelKind(session.wheel))
    if placed.status != "open":
        raise BetNotOpen(placed.confirmation, placed.status)
    row = tx.one(
        "UPDATE bets SET status = 'withdrawn' WHERE session_id = ? AND confirmation = ?"
        " RETURNING id",
        (session_id, placed.confirmation),
    )
    assert row is not None
    balance = tx.one(
        "UPDATE sessions SET balance = balance + ?, open_stake = open_stake - ?,"
        " version = version + 1 WHERE id = ? RETURNING balance, version",
        (placed.amount, placed.amount, session_id),
    )
    assert balance is not None
    move_chips(tx, session_id, placed.amount, "withdraw", now, bet_id=int(row[0]))
    withdrawn = replace(placed, status="withdrawn")
    return BetReceipt(withdrawn, int(balance[0])), int(balance[1])


def settle_open_bets(
    tx: Transaction,
    session: SessionRow,
    pocket: int,
    now: str,
    *,
    table_id: int | None = None,
    table_round: int | None = None,
) -> tuple[SpinResult, int]:
    """Settle each open bet of the locked ``session`` on ``pocket``, once; return it, the version.

    The pocket becomes the session's next spin (with the table round it came
    from, for a table session); each winning bet's payout is a ledger entry.
    """
    session_id = session.id
    number = session.spin_count + 1
    wheel = WheelKind(session.wheel)
    la_partage = bool(session.la_partage)
    settled: list[PlacedBet] = []
    updates: list[tuple[int, int, int, int]] = []
    ledger: list[tuple[object, ...]] = []
    paid = 0
    for bet_row in tx.all(
        f"SELECT {_BET_COLUMNS} FROM bets WHERE session_id = ? AND confirmation > ?"
        " AND status = 'open' ORDER BY confirmation",
        (session_id, session.settled_through),
    ):
        placed = _bet_from_row(bet_row, wheel)
        payout = settle(placed.bet, placed.amount, pocket, la_partage=la_partage)
        outcome = payout - placed.amount
        bet_id = int(bet_row[0])
        updates.append((number, payout, outcome, bet_id))
        if payout:
            paid += payout
            ledger += double_entry(session_id, payout, "payout", now, bet_id=bet_id, spin=number)
        settled.append(  # positionally: a dataclass replace() costs 3x
            PlacedBet(placed.confirmation, placed.bet, placed.amount, "settled", number,
                      payout, outcome, placed.placed_at)
        )  # fmt: skip
    tx.executemany(
        "UPDATE bets SET status = 'settled', spin = ?, payout = ?, outcome = ?"
        " WHERE id = ? AND status = 'open'",
        updates,
    )
    tx.executemany(LEDGER_INSERT, ledger)
    new_balance = session.balance + paid
    new_version = session.version + 1
    tx.execute(
        "UPDATE sessions SET balance = ?, open_stake = 0, spin_count = ?,"
        " settled_through = bet_count, version = ? WHERE id = ?",
        (new_balance, number, new_version, session_id),
    )
    tx.execute(
        "INSERT INTO spins (session_id, n, pocket, spun_at, table_id, table_round)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, number, pocket, now, table_id, table_round),
    )
    result = SpinResult(session_id, number, describe(pocket), tuple(settled), new_balance)
    return result, new_version


def refund_open_bets(tx: Transaction, session: SessionRow, now: str) -> None:
    """Refund every open bet of the locked ``session``: each bet and its ledger entries.

    The caller's own UPDATE of the session moves ``open_stake`` back into
    ``balance`` and sets ``settled_through`` to ``bet_count``, with whatever
    else it changes.
    """
    for bet_id, amount in tx.all(
        "SELECT id, amount FROM bets WHERE session_id = ? AND confirmation > ? AND status = 'open'",
        (session.id, session.settled_through),
    ):
        tx.execute(
            "UPDATE bets SET status = 'refunded', payout = amount, outcome = 0 WHERE id = ?",
            (bet_id,),
        )
        move_chips(tx, session.id, int(amount), "refund", now, bet_id=int(bet_id))


class RouletteHouse:
    """Roulette sessions, bets and spins over one database."""

    def __init__(
        self,
        db: Database,
        *,
        limits: HouseLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
        new_server_seed: Callable[[], str] = fairness.new_server_seed,
        new_session_id: Callable[[], str] = _new_session_id,
        on_change: Callable[[str, int], object] | None = None,
    ) -> None:
        """``on_change(session_id, version)`` hears of every change, once it has committed."""
        self.db = db
        self.on_change = on_change
        self.limits = limits or HouseLimits()
        self._clock = clock
        self._new_server_seed = new_server_seed
        self._new_session_id = new_session_id

    # -- plumbing -------------------------------------------------------------

    def _reading(self) -> AbstractContextManager[Transaction]:
        return reading(self.db)

    def _write(self, work: Callable[[Transaction], T]) -> T:
        """Run ``work`` in a write transaction; SQLite may commit it with others (group commit)."""
        return committed(self.db, work)

    def _change(self, session_id: str, work: Callable[[Transaction], tuple[T, int | None]]) -> T:
        """``_write`` for work that changes a session: it returns (result, new version).

        ``on_change`` hears of the new version after the commit, never before:
        a waiter it wakes must find the change when it reads. None: nothing
        changed (a replayed bet).
        """
        result, version = self._write(work)
        if version is not None and self.on_change is not None:
            self.on_change(session_id, version)
        return result

    def session_versions(self, session_ids: Sequence[str]) -> dict[str, int]:
        """The current version of each of ``session_ids`` that exists (no row locks)."""
        versions: dict[str, int] = {}
        ids = list(dict.fromkeys(session_ids))
        with self._reading() as tx:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for sid, version in tx.all(
                    f"SELECT id, version FROM sessions WHERE id IN ({marks})", chunk
                ):
                    versions[str(sid)] = int(version)
        return versions

    def now(self) -> str:
        """The house clock's time, as every row records it."""
        return self._clock().isoformat(timespec="microseconds")

    @staticmethod
    def _solo(tx: Transaction, session: SessionRow, action: TableAction) -> None:
        """PlaysAtTable when ``session`` is a table session: its table does ``action``."""
        if session.table_id is not None:
            raise PlaysAtTable(session.id, table_name(tx, session.table_id), action)

    # -- sessions ---------------------------------------------------------------

    def open_session(
        self,
        name: object,
        *,
        bankroll: object = None,
        table_min: object = None,
        table_max: object = None,
        wheel: object = WheelKind.AMERICAN,
        la_partage: object = False,
        client_seed: object = None,
        account_id: int | None = None,
    ) -> SessionState:
        """Open a session funded with ``bankroll`` chips: from the house, or from ``account_id``.

        An account's session takes its bankroll from the account's balance
        (``AccountShort`` when there is not enough; with no bankroll asked for,
        the default or all the account holds, if less) and pays its balance back
        when it ends.
        """
        limits = self.limits
        clean_name = _clean_text("name", name, limits.max_name_length)
        if not isinstance(wheel, str):
            raise InvalidRequest("wheel", "wheel must be 'american' or 'european'")
        try:
            wheel_kind = wheel_for(wheel).kind
        except ValueError as error:
            raise InvalidRequest("wheel", str(error)) from None
        chips = whole_number(
            "bankroll",
            limits.default_bankroll if bankroll is None else bankroll,
            1,
            limits.max_bankroll,
        )
        # Either limit alone moves the other's default so that the two fit.
        asked_max = (
            None
            if table_max is None
            else whole_number("table_max", table_max, limits.min_bet, limits.max_bet)
        )
        low = whole_number(
            "table_min",
            (
                min(limits.default_table_min, asked_max or limits.default_table_min)
                if table_min is None
                else table_min
            ),
            limits.min_bet,
            limits.max_bet,
        )
        high = max(limits.default_table_max, low) if asked_max is None else asked_max
        if high < low:
            raise InvalidRequest("table_max", f"table_max ({high}) is below table_min ({low})")
        if not isinstance(la_partage, bool):
            raise InvalidRequest("la_partage", "la_partage must be true or false")
        if la_partage and wheel_kind is not WheelKind.EUROPEAN:
            raise InvalidRequest("la_partage", "la partage is played only on the european wheel")
        seed_for_client = (
            fairness.new_client_seed()
            if client_seed is None
            else _clean_text("client_seed", client_seed, limits.max_client_seed_length)
        )
        server_seed = self._new_server_seed()
        session_id = self._new_session_id()
        now = self.now()

        def work(tx: Transaction) -> SessionState:
            nonlocal chips
            if account_id is not None:
                # No bankroll asked for: the default, or as much as the account holds.
                chips = self._take_from_account(tx, account_id, chips, up_to=bankroll is None)
            tx.execute(
                "INSERT INTO sessions (id, name, wheel, la_partage, table_min, table_max,"
                " bankroll, balance, server_seed, server_seed_hash, client_seed, opened_at,"
                " version, account_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (session_id, clean_name, wheel_kind.value, int(la_partage), low, high, chips,
                 chips, server_seed, fairness.hash_server_seed(server_seed), seed_for_client,
                 now, account_id),
            )  # fmt: skip
            if account_id is None:
                move_chips(tx, session_id, chips, "bankroll", now)
            else:
                tx.executemany(
                    LEDGER_INSERT,
                    transfer(
                        session_id, account_key(account_id), chips, "fund", now,
                        session_id=session_id,
                    ),
                )  # fmt: skip
            return read_session(tx, session_id, lock=False).state

        return self._write(work)

    @staticmethod
    def _take_from_account(tx: Transaction, account_id: int, chips: int, *, up_to: bool) -> int:
        """Take ``chips`` from the account (``up_to``: or all it holds, if less); return them."""
        row = tx.one(
            "SELECT balance FROM accounts WHERE id = ?" + tx.dialect.lock_rows, (account_id,)
        )
        if row is None:
            raise UnknownAccount(f"#{account_id}")
        balance = int(row[0])
        if up_to:
            chips = min(chips, balance)
        if balance < chips or chips == 0:
            raise AccountShort(chips or 1, balance)
        tx.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (chips, account_id))
        return chips

    def session(self, session_id: str) -> SessionState:
        with self._reading() as tx:
            return read_session(tx, session_id, lock=False).state

    def end_session(self, session_id: str) -> SessionState:
        """End the session: refund its open bets and reveal its server seed.

        A table session may end too, seated or not: its open bets are refunded
        here, not settled by the table, and it sits nowhere from then on.
        """

        def work(tx: Transaction) -> tuple[SessionState, int | None]:
            row = read_session(tx, session_id, lock=True)
            if row.ended:
                raise SessionEnded(session_id)
            now = self.now()
            refund_open_bets(tx, row, now)
            tx.execute(
                "UPDATE sessions SET status = 'ended', ended_at = ?,"
                " balance = balance + open_stake, open_stake = 0, settled_through = bet_count,"
                " version = ? WHERE id = ?",
                (now, row.version + 1, session_id),
            )
            if row.account_id is not None:
                self._cash_out(tx, session_id, row.account_id, row.balance + row.open_stake, now)
            state = read_session(tx, session_id, lock=False).state
            return state, state.version

        return self._change(session_id, work)

    @staticmethod
    def _cash_out(tx: Transaction, session_id: str, account_id: int, chips: int, at: str) -> None:
        """Pay an ended session's whole balance back to the account that funded it."""
        tx.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (chips, account_id))
        tx.execute(
            "UPDATE sessions SET balance = 0, cashed_out = ? WHERE id = ?", (chips, session_id)
        )
        if chips:
            tx.executemany(
                LEDGER_INSERT,
                transfer(
                    account_key(account_id), session_id, chips, "cashout", at,
                    session_id=session_id,
                ),
            )  # fmt: skip

    # -- bets -------------------------------------------------------------------

    def place_bet(
        self,
        session_id: str,
        proposition: object,
        numbers: Sequence[object] | None,
        amount: object,
        *,
        idempotency_key: str | None = None,
    ) -> BetReceipt:
        """Place a bet and debit its stake at once."""
        stake, kind = checked_stake_and_kind(amount, proposition)

        def work(tx: Transaction) -> tuple[BetReceipt, int | None]:
            session = read_session(tx, session_id, lock=True)

            def admit() -> None:
                if session.ended:
                    raise SessionEnded(session_id)
                self._solo(tx, session, "bet")

            return place_bet_on(
                tx, session, kind, numbers, stake, self.now(),
                idempotency_key=idempotency_key, admit=admit,
            )  # fmt: skip

        return self._change(session_id, work)

    def withdraw_bet(self, session_id: str, confirmation: object) -> BetReceipt:
        """Take an open bet back off the table and refund its stake."""

        def work(tx: Transaction) -> tuple[BetReceipt, int | None]:
            session = read_session(tx, session_id, lock=True)
            if session.ended:
                raise SessionEnded(session_id)
            self._solo(tx, session, "withdraw")
            return withdraw_from(tx, session, confirmation, self.now())

        return self._change(session_id, work)

    def bet(self, session_id: str, confirmation: object) -> PlacedBet:
        with self._reading() as tx:
            session = read_session(tx, session_id, lock=False)
            return read_bet(tx, session_id, confirmation, WheelKind(session.wheel))

    def bets(
        self, session_id: str, *, status: str | None = None, after: int = 0, limit: int = 100
    ) -> list[PlacedBet]:
        """The session's bets in the order placed, optionally only those with ``status``."""
        if status not in (None, "open", "settled", "withdrawn", "refunded"):
            raise InvalidRequest("status", "status must be open, settled, withdrawn or refunded")
        if not 0 <= after <= MAX_ID:
            raise InvalidRequest("after", f"after must be between 0 and {MAX_ID}")
        if not 1 <= limit <= 10_000:
            raise InvalidRequest("limit", "limit must be between 1 and 10000")
        with self._reading() as tx:
            row = read_session(tx, session_id, lock=False)
            if status == "open":  # none at or below the mark
                after = max(after, row.settled_through)
            query = f"SELECT {_BET_COLUMNS} FROM bets WHERE session_id = ? AND confirmation > ?"
            params: list[object] = [session_id, after]
            if status is not None:
                query += " AND status = ?"
                params.append(status)
            rows = tx.all(query + " ORDER BY confirmation LIMIT ?", [*params, limit])
        return [_bet_from_row(bet_row, WheelKind(row.wheel)) for bet_row in rows]

    # -- spins ------------------------------------------------------------------

    def spin(self, session_id: str, *, expected: object = None) -> SpinResult:
        """Draw the session's next pocket and settle every open bet exactly once.

        ``expected``, when given, is the number this spin must have: a request
        sent again after its answer was lost then finds its spin drawn
        (``SpinOutOfTurn``) instead of drawing another. A table session's
        pockets come from its table (``PlaysAtTable``).
        """
        expected_number = None if expected is None else whole_number("spin", expected, 1, MAX_ID)

        def work(tx: Transaction) -> tuple[SpinResult, int | None]:
            session = read_session(tx, session_id, lock=True)
            if session.ended:
                raise SessionEnded(session_id)
            self._solo(tx, session, "spin")
            number = session.spin_count + 1
            if expected_number is not None and expected_number != number:
                raise SpinOutOfTurn(session_id, expected_number, number - 1)
            pockets = wheel_for(session.wheel).pocket_count
            pocket = fairness.draw(session.server_seed, session.client_seed, number, pockets)
            return settle_open_bets(tx, session, pocket, self.now())

        return self._change(session_id, work)

    def spins(self, session_id: str, *, last: int | None = None) -> list[SpinRecord]:
        """The session's spins, oldest first; only the newest ``last`` when given."""
        columns = "n, pocket, spun_at, table_round"
        with self._reading() as tx:
            read_session(tx, session_id, lock=False)
            if last is None:
                rows = tx.all(
                    f"SELECT {columns} FROM spins WHERE session_id = ? ORDER BY n",
                    (session_id,),
                )
            else:
                rows = tx.all(
                    f"SELECT {columns} FROM spins WHERE session_id = ? ORDER BY n DESC LIMIT ?",
                    (session_id, max(0, last)),
                )[::-1]
        return [
            SpinRecord(int(n), int(pocket), str(at), None if rnd is None else int(rnd))
            for n, pocket, at, rnd in rows
        ]

    def verify(self, session_id: str) -> fairness.Verification:
        """Recompute every spin of an ended session from its revealed seed.

        A table session's pockets come from its table's seed, not its own, so it
        is the table that is verified (``PlaysAtTable`` says which).
        """
        with self._reading() as tx:
            row = read_session(tx, session_id, lock=False)
            self._solo(tx, row, "verify")
        state = row.state
        if state.server_seed is None:
            raise SeedNotRevealed(session_id)
        return fairness.verify(
            state.server_seed,
            state.server_seed_hash,
            state.client_seed,
            [(spin.spin, spin.pocket) for spin in self.spins(session_id)],
            wheel_for(state.wheel).pocket_count,
        )


def checked_stake_and_kind(amount: object, proposition: object) -> tuple[int, BetKind]:
    """The stake and bet kind a request names, checked before any transaction; InvalidBet."""
    try:
        return validate_amount(amount), parse_kind(proposition)
    except RuleViolation as error:
        raise InvalidBet(error.field, error.message) from None
