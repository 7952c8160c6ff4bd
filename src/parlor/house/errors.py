"""The house's exceptions: every refused operation raises one and changes nothing.

::

    HouseError
    ├── NotFound
    │   ├── UnknownSession        no session has that id
    │   ├── UnknownBet            the session has no bet with that confirmation
    │   └── UnknownAccount        no account has that name
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
    │   └── WrongPassword         a password change gave the wrong current password
    └── HouseBusy                 the store stayed busy; the same call may succeed later

Front doors map these to their own errors (HTTP status, TCP reply code) by
class, so each message here is written for the person who made the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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


class HouseBusy(HouseError):
    pass


def committed(db: Database, work: Callable[[Transaction], T]) -> T:
    """``db.write(work)``, with the store's "busy" said as the house says it (``HouseBusy``)."""
    try:
        return db.write(work)
    except StoreBusy as error:
        raise HouseBusy(str(error)) from error
