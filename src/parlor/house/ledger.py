"""The books: how chips are written down, and the audit that proves they balance.

Every movement of chips is a double entry (``transfer``): the amount to one
ledger account and its negation to another, so the sum over all accounts never
changes. A ledger account is the house (``HOUSE_ACCOUNT``), a roulette session
(its id), or a player account (``account_key(id)``: ``account:7``, which no
session id can spell). The house writes entries with ``LEDGER_INSERT``, and
nothing else does.

``check_ledger()`` reads the whole store in one read transaction and checks:

1. all ledger entries, players and house together, sum to zero;
2. each session's balance, and each player account's, equals the sum of its
   own entries;
3. each session's ``open_stake`` equals the stakes of its open bets;
4. each bet was debited exactly once, and credited at most once
   (a payout, a withdrawal or a refund — never two);
5. no open bet lies at or below its session's ``settled_through`` mark, where
   a spin would never look for it.

(No balance can go negative: the schema's CHECK constraint refuses it.)

Tests call it after every scenario; an operator can run it at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

from parlor.store.db import Database

HOUSE_ACCOUNT = "house"

#: One ledger entry; ``double_entry`` makes them in pairs.
LEDGER_INSERT = (
    "INSERT INTO ledger (account, amount, reason, session_id, bet_id, spin, at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)

Entry = tuple[str, int, str, str | None, int | None, int | None, str]

_ACCOUNT_PREFIX = "account:"


def account_key(account_id: int) -> str:
    """The ledger account of player account ``account_id``."""
    return f"{_ACCOUNT_PREFIX}{account_id}"


def transfer(
    to: str,
    source: str,
    amount: int,
    reason: str,
    at: str,
    *,
    session_id: str | None,
    bet_id: int | None = None,
    spin: int | None = None,
) -> tuple[Entry, Entry]:
    """``amount`` chips moving from ledger account ``source`` to ``to``, as two entries."""
    return (
        (to, amount, reason, session_id, bet_id, spin, at),
        (source, -amount, reason, session_id, bet_id, spin, at),
    )


def double_entry(
    session_id: str,
    amount: int,
    reason: str,
    at: str,
    *,
    bet_id: int | None = None,
    spin: int | None = None,
) -> tuple[Entry, Entry]:
    """``amount`` chips moving from the house to the session (negative: back), as two entries."""
    return transfer(
        session_id,
        HOUSE_ACCOUNT,
        amount,
        reason,
        at,
        session_id=session_id,
        bet_id=bet_id,
        spin=spin,
    )


@dataclass(frozen=True, slots=True)
class LedgerReport:
    entries: int
    total: int
    house_balance: int
    sessions: int
    problems: tuple[str, ...]
    accounts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger(db: Database) -> LedgerReport:
    problems: list[str] = []
    with db.transaction(write=False) as tx:
        count, total = tx.one("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger") or (0, 0)
        if int(total) != 0:
            problems.append(f"ledger entries sum to {total}, not 0")
        house = tx.one(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE account = ?", (HOUSE_ACCOUNT,)
        )
        # Aggregate once per table and join, so the audit stays linear in the ledger's size.
        sessions = tx.all(
            "SELECT s.id, s.balance, s.open_stake, COALESCE(l.total, 0), COALESCE(b.total, 0)"
            " FROM sessions s"
            " LEFT JOIN (SELECT account, SUM(amount) AS total FROM ledger GROUP BY account) l"
            "  ON l.account = s.id"
            " LEFT JOIN (SELECT session_id, SUM(amount) AS total FROM bets"
            "  WHERE status = 'open' GROUP BY session_id) b ON b.session_id = s.id"
        )
        for sid, balance, open_stake, entries, open_bets in sessions:
            if int(balance) != int(entries):
                problems.append(
                    f"session {sid}: balance {balance} but its entries sum to {entries}"
                )
            if int(open_stake) != int(open_bets):
                problems.append(
                    f"session {sid}: open_stake {open_stake} but open bets total {open_bets}"
                )
        accounts = tx.all(
            "SELECT a.id, a.balance, COALESCE(l.total, 0) FROM accounts a"
            " LEFT JOIN (SELECT account, SUM(amount) AS total FROM ledger"
            f"  WHERE account LIKE '{_ACCOUNT_PREFIX}%' GROUP BY account) l"
            f"  ON l.account = '{_ACCOUNT_PREFIX}' || CAST(a.id AS TEXT)"
        )
        for account_id, balance, entries in accounts:
            if int(balance) != int(entries):
                problems.append(
                    f"account {account_id}: balance {balance} but its entries sum to {entries}"
                )
        for bet_id, status, debits, credits in tx.all(
            "SELECT b.id, b.status, COALESCE(m.debits, 0), COALESCE(m.credits, 0) FROM bets b"
            " LEFT JOIN (SELECT bet_id,"
            "  SUM(CASE WHEN reason = 'bet' THEN 1 ELSE 0 END) AS debits,"
            "  SUM(CASE WHEN reason <> 'bet' THEN 1 ELSE 0 END) AS credits"
            "  FROM ledger WHERE account <> ? AND bet_id IS NOT NULL GROUP BY bet_id) m"
            " ON m.bet_id = b.id",
            (HOUSE_ACCOUNT,),
        ):
            if int(debits) != 1:
                problems.append(f"bet {bet_id}: debited {debits} times")
            if int(credits) > 1:
                problems.append(f"bet {bet_id}: credited {credits} times")
            if status in ("withdrawn", "refunded") and int(credits) != 1:
                problems.append(f"bet {bet_id}: {status} but credited {credits} times")
        for sid, confirmation, mark in tx.all(
            "SELECT b.session_id, b.confirmation, s.settled_through FROM bets b"
            " JOIN sessions s ON s.id = b.session_id"
            " WHERE b.status = 'open' AND b.confirmation <= s.settled_through"
        ):
            problems.append(
                f"session {sid}: bet {confirmation} is open but at or below settled_through {mark}"
            )
    return LedgerReport(
        entries=int(count),
        total=int(total),
        house_balance=int(house[0]) if house else 0,
        sessions=len(sessions),
        problems=tuple(problems),
        accounts=len(accounts),
    )
