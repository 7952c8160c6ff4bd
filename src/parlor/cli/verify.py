"""``parlor verify``: recompute an ended session's spins from its revealed seed."""

from __future__ import annotations

from typing import Annotated

import typer


def verify(
    server: Annotated[
        str, typer.Option(help="Base URL of the REST service, e.g. http://127.0.0.1:36000")
    ],
    session: Annotated[str, typer.Option(help="The session id, as POST /session/ returned it")],
) -> None:
    """Recompute every spin of an ended session from its revealed seed, here, offline.

    Exits 0 when the seed matches its published hash and every spin matches,
    1 when anything does not, 2 when the session cannot be checked.
    """
    from rich.console import Console

    from parlor.client import ClientError, RouletteClient
    from parlor.roulette import fairness
    from parlor.roulette.wheel import parse_pocket, wheel_for

    console = Console()
    try:
        with RouletteClient(server) as client:
            state = client.session(session)
            if state.server_seed is None:
                console.print(
                    f"[red]Session {session} is still open[/]: its server seed is secret until"
                    " it ends. End it (POST /api/v1/sessions/ID/end), then verify."
                )
                raise typer.Exit(2)
            records = client.spins(session)
    except ClientError as error:
        console.print(f"[red]Cannot verify:[/] {error}")
        raise typer.Exit(2) from None
    wheel = wheel_for(state.wheel)

    def pocket(number: int | str) -> int:
        try:
            return parse_pocket(number, wheel)
        except ValueError:
            return -1  # not even a pocket of this wheel: certainly a mismatch

    result = fairness.verify(
        state.server_seed,
        state.server_seed_hash,
        state.client_seed,
        [(record.spin, pocket(record.result.pocket)) for record in records],
        wheel.pocket_count,
    )
    console.print(f"Session {session} ({state.wheel} wheel, client seed {state.client_seed!r})")
    console.print(result.describe())
    console.print("[green]fair[/]" if result.ok else "[red]NOT fair[/]")
    raise typer.Exit(0 if result.ok else 1)


def register(app: typer.Typer) -> None:
    app.command()(verify)
