"""The accounts' wire: registering, the account itself, password changes, tokens.

As in ``parlor.wire.roulette``, each body is defined once, here, and the
service, the client SDK and the OpenAPI document all use these. Bounds are
``parlor.names`` and ``parlor.passwords``'s; what they cannot state as a
schema (one script per name, passwords attackers try first) the house checks,
and a 422 says which rule a value broke.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from parlor import names, passwords
from parlor.wire.base import Answer, Request

Username = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=4 * names.MAX_LENGTH,  # before NFKC; the house counts after it
        description=(
            f"{names.MIN_LENGTH} to {names.MAX_LENGTH} letters, digits and '.', '_', '-',"
            " of one script; compared without case."
        ),
    ),
]
Password = Annotated[
    str,
    Meta(
        max_length=passwords.MAX_LENGTH,
        description=f"At least {passwords.MIN_LENGTH} characters; not a common password.",
    ),
]
Chips = Annotated[int, Meta(ge=0)]


class AccountRequest(Request, frozen=True):
    """Register: a username and a password."""

    username: Username
    password: Password


class PasswordChange(Request, frozen=True):
    """A new password, given the current one."""

    current_password: Password
    password: Password


class Account(Answer, frozen=True):
    """A player account, as its holder sees it."""

    #: The account's number.
    id: Annotated[int, Meta(ge=1)]
    username: str
    #: Chips in the account, not counting those out in open sessions.
    balance: Chips
    #: Chips in the account's open roulette sessions (balances and open bets).
    in_play: Chips
    #: The ids of those sessions, oldest first.
    open_sessions: tuple[str, ...]
    created_at: Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]


class Token(Answer, frozen=True):
    """A bearer token for the account: send ``Authorization: Bearer <token>``."""

    token: str
    expires_at: Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]


REQUESTS: tuple[type[msgspec.Struct], ...] = (AccountRequest, PasswordChange)
ANSWERS: tuple[type[msgspec.Struct], ...] = (Account, Token)


def structs() -> tuple[type[msgspec.Struct], ...]:
    return (*REQUESTS, *ANSWERS)
