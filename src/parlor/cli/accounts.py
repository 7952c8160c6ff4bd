"""``parlor accounts``: the operator's commands for player accounts, on the database itself.

Players register themselves (the web's register page, ``POST /api/v1/accounts``);
these are for the person who runs the house: open an account for someone, see
every account and its chips, grant or take back chips, and set a new password
for a player who lost theirs. Every change goes through the accounts house, so
the ledger records it and balances.

A password is read from the terminal without echo (twice), or from standard
input with ``--password-stdin``, never from an argument: arguments show in
``ps`` and in the shell's history.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from parlor.cli.options import Database, settings_from

if TYPE_CHECKING:
    from parlor.house.accounts import AccountsHouse

accounts_app = typer.Typer(
    help="Player accounts: create, list, grant chips, reset a password (the operator's tools).",
    no_args_is_help=True,
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts).",
    ),
]
Username = Annotated[str, typer.Argument(help="The account's username (any letter case).")]


def _house(database: str | None) -> AccountsHouse:
    from parlor.house.accounts import AccountsHouse
    from parlor.store.db import open_database
    from parlor.store.schema import migrate

    settings = settings_from(database_url=database)
    db = open_database(settings.database_url)
    migrate(db)
    return AccountsHouse(db, realm=settings.auth_realm, starting_chips=settings.starting_chips)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    try:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    except typer.Abort:
        typer.echo(
            "parlor accounts: no password was typed: at a terminal, type it twice; from a"
            " script, pass it on standard input with --password-stdin",
            err=True,
        )
        raise typer.Exit(2) from None


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"parlor accounts: {error}", err=True)
    return typer.Exit(1)


@accounts_app.command()
def create(
    username: Username,
    chips: Annotated[
        int | None,
        typer.Option(help="Chips to start with \\[default: PARLOR_STARTING_CHIPS, 1000]", min=0),
    ] = None,
    password_stdin: PasswordStdin = False,
    database: Database = None,
) -> None:
    """Open an account; the house grants its starting chips.

    The password is asked twice at the terminal, or read from standard input with
    --password-stdin. Names are 2 to 32 letters, digits and '.', '_', '-' of one
    script, compared without case; passwords at least 10 characters, not a common one.
    """
    from parlor.house.errors import HouseError

    house = _house(database)
    try:
        account = house.create(username, _password(password_stdin), chips=chips)
    except HouseError as error:
        raise _fail(error) from None
    typer.echo(f"created {account.username} with {account.balance:,} chips")


@accounts_app.command("list")
def list_accounts(database: Database = None) -> None:
    """Every account: its chips, the chips out in open games, and when it was opened."""
    from rich.console import Console
    from rich.table import Table

    table = Table("username", "chips", "in play", "open games", "created")
    for account in _house(database).accounts(limit=1_000_000):
        table.add_row(
            account.username,
            f"{account.balance:,}",
            f"{account.in_play:,}",
            str(len(account.open_sessions)),
            account.created_at[:19].replace("T", " "),
        )
    Console().print(table)


# "-500" is a number here, not an unknown option.
@accounts_app.command(context_settings={"ignore_unknown_options": True})
def grant(
    username: Username,
    chips: Annotated[int, typer.Argument(help="Chips to give; negative to take back.")],
    database: Database = None,
) -> None:
    """Give an account chips from the house, or, negative, take some back (never more
    than it holds)."""
    from parlor.house.errors import HouseError

    try:
        account = _house(database).grant(username, chips)
    except HouseError as error:
        raise _fail(error) from None
    typer.echo(f"{account.username} now holds {account.balance:,} chips")


@accounts_app.command("reset-password")
def reset_password(
    username: Username, password_stdin: PasswordStdin = False, database: Database = None
) -> None:
    """Set a new password for an account; its logins everywhere end.

    The password is asked twice at the terminal, or read from standard input with
    --password-stdin.
    """
    from parlor.house.errors import HouseError

    house = _house(database)
    try:
        house.reset_password(username, _password(password_stdin))
    except HouseError as error:
        raise _fail(error) from None
    typer.echo(f"the password of {username} is reset; its tokens are revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")
