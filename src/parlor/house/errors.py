"""The house's exceptions: every refused operation raises one and changes nothing.

::

    HouseError
    ├── NotFound
    │   ├── UnknownSession        no session has that id
    │   ├── UnknownBet            the session has no bet with that confirmation
    │   ├── UnknownAccount        no account has that name
    │   └── UnknownTable          no roulette table has that name
    ├── InvalidRequest            a bad argument; ``field`` names it
    │   └── InvalidBet            unknown kind, bad geometry, an amount that is not chips
    ├── Conflict                  valid, but not possible in the current state
    │   ├── InsufficientBalance   the stake is more than the balance
    │   ├── OutsideTableLimits    the stake is outside this session's table limits
    │   ├── NotOnThisWheel        a bet of the other wheel's layout (five, first four, 00)
    │   ├── SessionEnded          the session is over
    │   ├── BetNotOpen            the bet was already settled or withdrawn
    │   ├── SeedNotRevealed       the session is still open, so its seed is secret
    │   ├── IdempotencyMismatch   an idempotency key reused for a different bet
    │   ├── UsernameTaken         an account of that name (compared without case) exists
    │   ├── AccountShort          the account has fewer chips than the session asks for
    │   ├── WrongPassword         a password change gave the wrong current password
    │   ├── PlaysAtTable          a table session's bets, spins and proof are its table's
    │   ├── TableNameTaken        a table of that name is open with the other wheel
    │   ├── TableClosed           the table has closed: no more seats, bets or spins
    │   ├── TableStillOpen        the table is open, so its seed is secret
    │   ├── WrongWheelForTable    the session plays the other wheel
    │   ├── NotSeated             the session does not sit at that table
    │   ├── SeatedElsewhere       the session sits at another table
    │   ├── BetsStillOpen         the session's open bets belong to its solo play or another table
    │   └── RoundOutOfTurn        a table spin asked for by round, and it is not the next
    └── HouseBusy                 the store stayed busy; the same call may succeed later

Front doors map these to their own errors (HTTP status, TCP reply code) by
class, so each message here is written for the person who made the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar

from parlor.store.db import Database, StoreBusy, Transaction

T = TypeVar("T")


class HouseError(Exception):
    """Base of every refusal by the house."""

    #: The argument at fault, when there is one: a form shows the message beside it.
    field: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(HouseError):
    pass


class UnknownSession(NotFound):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r}: open one first")
        self.session_id = session_id


class UnknownBet(NotFound):
    def __init__(self, session_id: str, confirmation: object) -> None:
        super().__init__(f"session {session_id!r} has no bet {confirmation!r}")
        self.session_id = session_id
        self.confirmation = confirmation


class InvalidRequest(HouseError):
    """A bad argument; ``field`` names it so a form can show the message beside it."""

    field: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidBet(InvalidRequest):
    pass


class Conflict(HouseError):
    pass


class OutsideTableLimits(Conflict):
    """A valid stake this session's table does not take (another session's might)."""

    field = "amount"


class NotOnThisWheel(Conflict):
    """A bet of a layout, but not of this session's wheel's."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class InsufficientBalance(Conflict):
    field = "amount"

    def __init__(self, amount: int, balance: int) -> None:
        super().__init__(f"a bet of {amount} chips is more than the balance of {balance}")
        self.amount = amount
        self.balance = balance


class SessionEnded(Conflict):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"session {session_id!r} has ended: open a new one to play on")
        self.session_id = session_id


class SpinOutOfTurn(Conflict):
    """A spin asked for by number ("this is spin n") when the session is not at n - 1.

    A client whose answer to a spin was lost can send the same request again:
    if the first one was drawn, this says so instead of drawing another.
    """

    def __init__(self, session_id: str, expected: int, spins: int) -> None:
        if expected <= spins:
            detail = f"spin {expected} of session {session_id!r} has already been drawn"
            detail += "; read it from the session's spins"
        else:
            detail = f"session {session_id!r} has had {spins} spins, so the next is {spins + 1}"
            detail += f", not {expected}"
        super().__init__(detail)
        self.session_id = session_id
        self.expected = expected
        self.spins = spins


class BetNotOpen(Conflict):
    def __init__(self, confirmation: int, status: str) -> None:
        super().__init__(f"bet {confirmation} is {status}, so it can no longer be withdrawn")
        self.confirmation = confirmation
        self.status = status


class SeedNotRevealed(Conflict):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"session {session_id!r} is still open: end it to reveal its server seed")
        self.session_id = session_id


class IdempotencyMismatch(Conflict):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was already used for a different bet: use a new key"
        )
        self.key = key


class UnknownAccount(NotFound):
    def __init__(self, username: str) -> None:
        super().__init__(f"no account is named {username!r}")
        self.username = username


class UsernameTaken(Conflict):
    field = "username"

    def __init__(self, username: str) -> None:
        super().__init__(f"the name {username!r} is taken: choose another")
        self.username = username


class AccountShort(Conflict):
    field = "bankroll"

    def __init__(self, wanted: int, balance: int) -> None:
        empty = "your account has no chips left: ask the house for more, or play without one"
        short = f"a bankroll of {wanted} chips is more than your account's balance of {balance}"
        super().__init__(empty if balance == 0 else short)
        self.wanted = wanted
        self.balance = balance


class WrongPassword(Conflict):
    field = "current_password"

    def __init__(self) -> None:
        super().__init__("the current password is not right: nothing was changed")


#: What a table session was asked to do alone, for ``PlaysAtTable``'s message.
TableAction = Literal["bet", "withdraw", "spin", "verify"]

_AT_THE_TABLE: dict[str, str] = {
    "bet": "place its bets at the table",
    "withdraw": "withdraw its bets at the table",
    "spin": "the table spins, and its next round settles the session's bets",
    "verify": "its pockets come from the table's seed: verify the table once it closes",
}


class PlaysAtTable(Conflict):
    """A table session asked to bet, spin or be verified on its own."""

    def __init__(self, session_id: str, table: str, action: TableAction) -> None:
        super().__init__(
            f"session {session_id!r} plays at table {table!r}: {_AT_THE_TABLE[action]}"
        )
        self.session_id = session_id
        self.table = table
        self.action = action


class UnknownTable(NotFound):
    def __init__(self, table: str) -> None:
        super().__init__(f"no table is named {table!r}: see the list of tables")
        self.table = table


class TableNameTaken(Conflict):
    field = "name"

    def __init__(self, table: str, wheel: str) -> None:
        super().__init__(
            f"table {table!r} is open with the {wheel} wheel: choose another name, or"
            " close it first"
        )
        self.table = table
        self.wheel = wheel


class TableClosed(Conflict):
    def __init__(self, table: str) -> None:
        super().__init__(
            f"table {table!r} has closed and its seed is revealed: open it again for a new"
            " table of that name, or sit at another"
        )
        self.table = table


class TableStillOpen(Conflict):
    def __init__(self, table: str) -> None:
        super().__init__(f"table {table!r} is still open: close it to reveal its server seed")
        self.table = table


class WrongWheelForTable(Conflict):
    def __init__(self, session_id: str, session_wheel: str, table: str, table_wheel: str) -> None:
        super().__init__(
            f"session {session_id!r} plays the {session_wheel} wheel and table {table!r} the"
            f" {table_wheel}: open a session with the {table_wheel} wheel to sit there"
        )
        self.session_id = session_id
        self.table = table


class NotSeated(Conflict):
    def __init__(self, session_id: str, table: str | None) -> None:
        where = "at any table" if table is None else f"at table {table!r}"
        super().__init__(f"session {session_id!r} does not sit {where}: sit down first")
        self.session_id = session_id
        self.table = table


class SeatedElsewhere(Conflict):
    def __init__(self, session_id: str, table: str) -> None:
        super().__init__(f"session {session_id!r} sits at table {table!r}: stand up there first")
        self.session_id = session_id
        self.table = table


class BetsStillOpen(Conflict):
    """A session that would move to a table with open bets that belong elsewhere."""

    def __init__(self, session_id: str, table: str | None) -> None:
        if table is None:
            detail = "has open bets of its own: spin or withdraw them before sitting at a table"
        else:
            detail = (
                f"has bets open at table {table!r}: its next spin settles them; sit elsewhere"
                " after it"
            )
        super().__init__(f"session {session_id!r} {detail}")
        self.session_id = session_id
        self.table = table


class RoundOutOfTurn(Conflict):
    """A table spin asked for by round ("this is round n") when the table is not at n - 1.

    A spin sent again after its answer was lost finds its round spun and says
    so, instead of spinning another.
    """

    def __init__(self, table: str, expected: int, rounds: int) -> None:
        if expected <= rounds:
            detail = f"round {expected} of table {table!r} has already been spun"
            detail += "; read it from the table's last results"
        else:
            detail = f"table {table!r} has spun {rounds} rounds, so the next is {rounds + 1}"
            detail += f", not {expected}"
        super().__init__(detail)
        self.table = table
        self.expected = expected
        self.rounds = rounds


class HouseBusy(HouseError):
    pass


@contextmanager
def reading(db: Database) -> Iterator[Transaction]:
    """A read-only transaction (no row locks), with the store's "busy" said as ``HouseBusy``."""
    try:
        with db.transaction(write=False) as tx:
            yield tx
    except StoreBusy as error:
        raise HouseBusy(str(error)) from error


def committed(db: Database, work: Callable[[Transaction], T]) -> T:
    """``db.write(work)``, with the store's "busy" said as the house says it (``HouseBusy``)."""
    try:
        return db.write(work)
    except StoreBusy as error:
        raise HouseBusy(str(error)) from error
