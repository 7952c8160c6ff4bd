"""``parlor verify``: recompute an ended session's spins from its revealed seed, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from parlor.wire.records import GameRecord


def verify(
    server: Annotated[
        str | None,
        typer.Option(help="Base URL of the REST service, e.g. http://127.0.0.1:36000"),
    ] = None,
    session: Annotated[
        str | None, typer.Option(help="The session id, as POST /session/ returned it")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="A TCP table's name: check its rounds once it has closed"),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            help="A game record (the web's fairness page offers it) to check without the server",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
) -> None:
    """Recompute every spin of an ended session from its revealed seed, on this machine.

    Give --server and --session to fetch the session from the service (or
    --server and --table for a closed TCP table's rounds), or --record FILE to
    check a game record with nothing but the file. Exits 0
    when the seed matches its published hash and every spin matches, 1 when
    anything does not, 2 when the session cannot be checked.
    """
    from rich.console import Console

    from parlor.wire import records

    console = Console()
    if record is not None:
        try:
            game = records.decode(record.read_bytes()[: 64 * 1024 * 1024])
        except ValueError as error:
            console.print(f"[red]Cannot verify {record}:[/] {error}")
            raise typer.Exit(2) from None
        title = f"Record {record.name}"
    elif server is not None and session is not None:
        game = _fetch(console, server, session)
        title = f"Session {session}"
    elif server is not None and table is not None:
        game = _fetch_table(console, server, table)
        title = f"Table {table}"
    else:
        console.print(
            "[red]Say what to verify:[/] --server URL --session ID, --server URL --table NAME,"
            " or --record FILE"
        )
        raise typer.Exit(2)
    result = records.check(game)
    console.print(f"{title} ({game.wheel} wheel, client seed {game.client_seed!r})")
    console.print(result.describe())
    console.print("[green]fair[/]" if result.ok else "[red]NOT fair[/]")
    raise typer.Exit(0 if result.ok else 1)


def _fetch(console: Console, server: str, session: str) -> GameRecord:
    from parlor.client import ClientError, RouletteClient
    from parlor.wire import records

    try:
        with RouletteClient(server) as client:
            state = client.session(session)
            if state.server_seed is None:
                console.print(
                    f"[red]Session {session} is still open[/]: its server seed is secret until"
                    " it ends. End it (POST /api/v1/sessions/ID/end), then verify."
                )
                raise typer.Exit(2)
            return records.record_of(state, client.spins(session))
    except ClientError as error:
        console.print(f"[red]Cannot verify:[/] {error}")
        raise typer.Exit(2) from None


def _fetch_table(console: Console, server: str, table: str) -> GameRecord:
    from parlor.client import ClientError, Conflict, RouletteClient

    try:
        with RouletteClient(server) as client:
            return client.table_record(table)
    except Conflict:
        console.print(
            f"[red]Table {table} is still open[/]: its server seed is secret until it closes."
        )
        raise typer.Exit(2) from None
    except ClientError as error:
        console.print(f"[red]Cannot verify:[/] {error}")
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command()(verify)
