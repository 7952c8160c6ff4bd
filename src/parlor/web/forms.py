"""The web app's forms, checked as pure functions: fields in, an order or field errors out.

Each reader takes the submitted fields (first value of each, as text) and what
it must be checked against, and returns a typed order or raises ``FormInvalid``
carrying one message per field, worded for the person at the form, and the
values to show again. Nothing here talks to the service: a form that passes
may still be refused there (another tab spent the balance), and ``pages.py``
maps those refusals onto the same fields.

Bet form fields: ``amount``, plus either ``bet`` (a layout button's value,
"split:17,20"; see ``layout.py``) or ``proposition`` (the seed's select of
even-money bets). Errors are reported on ``amount`` and on ``proposition``
(which covers the layout too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from parlor import names, passwords
from parlor.roulette.bets import Bet, RuleViolation, make_bet
from parlor.roulette.wheel import JsonPocket, Wheel, wheel_for
from parlor.settings import HouseLimits
from parlor.text import line_problem

#: The even-money propositions of the seed's select, in the order it lists them.
SELECT_CHOICES = ("red", "black", "even", "odd", "high", "low")
WHEEL_CHOICES = ("american", "european")
#: Longest echo of a submitted value kept for re-display: enough for any valid input.
ECHO_LIMIT = 80
MAX_NAME = HouseLimits().max_name_length
_MAX_DIGITS = 12


class FormInvalid(ValueError):
    """A form with bad fields: ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str], values: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.values = values


@dataclass(frozen=True, slots=True)
class Table:
    """What a bet is checked against: the session's wheel, limits and chips."""

    wheel: Wheel
    table_min: int
    table_max: int
    balance: int
    open_stake: int


@dataclass(frozen=True, slots=True)
class BetOrder:
    bet: Bet
    amount: int
    #: The form value naming the bet ("split:17,20" or "red").
    value: str

    @property
    def numbers(self) -> list[JsonPocket] | None:
        """The numbers as the REST API takes them; None for bets that take none."""
        return self.bet.numbers_json() or None


@dataclass(frozen=True, slots=True)
class StartOrder:
    name: str
    wheel: str


def echo(fields: Mapping[str, str], *names: str) -> dict[str, str]:
    """The submitted values worth showing again, cut to a sane length."""
    return {name: fields[name][:ECHO_LIMIT] for name in names if name in fields}


def read_amount(text: str, table: Table) -> int:
    """A stake in whole chips within the table's limits and the balance; ValueError says why."""
    text = text.strip()
    if not text:
        raise ValueError("Enter how many chips to bet.")
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        raise ValueError("The amount must be a whole number of chips, like 10.")
    amount = int(text)
    if amount <= 0:
        raise ValueError("The amount must be more than 0.")
    if amount < table.table_min:
        raise ValueError(f"The table minimum is {table.table_min} chips.")
    if amount > table.table_max:
        raise ValueError(f"The table maximum is {table.table_max} chips.")
    if table.open_stake + amount > table.table_max:
        room = table.table_max - table.open_stake
        raise ValueError(
            f"Your open bets would total {table.open_stake + amount}, over the table maximum"
            f" of {table.table_max}: spin first, or bet at most {room}."
        )
    if amount > table.balance:
        raise ValueError(f"You have only {table.balance} chips.")
    return amount


def read_proposition(fields: Mapping[str, str], wheel: Wheel) -> tuple[Bet, str]:
    """The bet a layout button (``bet``) or the select (``proposition``) names."""
    chosen = fields.get("bet", "").strip()
    if chosen:
        kind, _, numbers = chosen.partition(":")
        listed = [n for n in numbers.split(",") if n] if numbers else []
        try:
            bet = make_bet(kind, listed, wheel)
        except RuleViolation as error:
            raise ValueError(f"That is not a bet on this table: {error.message}.") from None
        return bet, chosen
    selected = fields.get("proposition", "").strip().lower()
    if not selected:
        raise ValueError("Choose a bet: pick one from the list, or click the layout.")
    if selected not in SELECT_CHOICES:
        raise ValueError(f"Choose one of {', '.join(SELECT_CHOICES)}.")
    return make_bet(selected, None, wheel), selected


def read_bet(fields: Mapping[str, str], table: Table) -> BetOrder:
    """The bet the form asks for, or ``FormInvalid`` with a message beside each bad field."""
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = read_amount(fields.get("amount", ""), table)
    except ValueError as error:
        errors["amount"] = str(error)
    try:
        bet, value = read_proposition(fields, table.wheel)
    except ValueError as error:
        errors["proposition"] = str(error)
    if errors:
        raise FormInvalid(errors, echo(fields, "amount", "proposition", "bet"))
    return BetOrder(bet, amount, value)


def read_start(fields: Mapping[str, str]) -> StartOrder:
    """A player's name and a wheel, or ``FormInvalid``."""
    errors: dict[str, str] = {}
    name = fields.get("name", "").strip()
    if not name:
        errors["name"] = "Enter a name to play under."
    elif len(name) > MAX_NAME:
        errors["name"] = f"Use at most {MAX_NAME} characters."
    elif line_problem(name, MAX_NAME) is not None:  # the house's own rule, parlor.text
        errors["name"] = "The name cannot hold control or invisible characters."
    wheel = fields.get("wheel", "").strip().lower()
    if wheel not in WHEEL_CHOICES:
        errors["wheel"] = "Pick the American or the European wheel."
    else:
        wheel = wheel_for(wheel).kind.value
    if errors:
        raise FormInvalid(errors, echo(fields, "name", "wheel"))
    return StartOrder(name, wheel)


# -- accounts ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str


def read_login(fields: Mapping[str, str]) -> Credentials:
    """The login form: both fields filled in (whether they match is the service's to say)."""
    username, password = fields.get("username", ""), fields.get("password", "")
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = "Enter your username."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 - a message
    if errors:
        raise FormInvalid(errors, {"username": username[:ECHO_LIMIT]})
    return Credentials(username, password)


def read_register(fields: Mapping[str, str]) -> Credentials:
    """The register form: a name the house takes, a strong password, typed twice alike."""
    username, password = fields.get("username", ""), fields.get("password", "")
    errors: dict[str, str] = {}
    if problem := names.username_problem(username):
        errors["username"] = f"A username {problem}."
    if problem := passwords.password_problem(password, username):
        errors["password"] = f"The password {problem}."
    elif fields.get("confirm", "") != password:
        errors["confirm"] = "The two passwords differ: type the same one twice."
    if errors:
        raise FormInvalid(errors, {"username": username[:ECHO_LIMIT]})
    return Credentials(username, password)


def read_password_change(fields: Mapping[str, str], username: str) -> tuple[str, str]:
    """The change-password form: the current password, and a new one typed twice alike."""
    current, new = fields.get("current_password", ""), fields.get("password", "")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password."  # noqa: S105
    if problem := passwords.password_problem(new, username):
        errors["password"] = f"The new password {problem}."
    elif fields.get("confirm", "") != new:
        errors["confirm"] = "The two new passwords differ: type the same one twice."
    if errors:
        raise FormInvalid(errors, {})
    return current, new
