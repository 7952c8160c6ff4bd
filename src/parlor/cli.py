"""The one ``parlor`` command: servers, clients and tools as subcommands.

Options follow one rule: a flag wins, then a ``PARLOR_*`` environment
variable, then the default in ``settings.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from parlor.settings import Settings

app = typer.Typer(
    help="parlor: a client-server game house — roulette and chess over REST, HTML and TCP.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

Host = Annotated[
    str | None,
    typer.Option(
        help="Address to listen on [env PARLOR_HOST; default 127.0.0.1]", show_default=False
    ),
]
Port = Annotated[
    int | None,
    typer.Option(
        help="Port of the REST service [env PARLOR_PORT; default 36000]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
Database = Annotated[
    str | None,
    typer.Option(
        help="sqlite:///path or postgresql://… [env PARLOR_DATABASE_URL;"
        " default sqlite:///var/parlor.db]",
        show_default=False,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        help="Server worker processes [env PARLOR_WORKERS; default 1]", min=1, show_default=False
    ),
]


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


@app.command()
def serve(
    host: Host = None, port: Port = None, database: Database = None, workers: Workers = None
) -> None:
    """Start every front door and print where each listens; Ctrl+C stops them all."""
    from parlor.serve import Supervisor, front_doors

    settings = _settings(host=host, port=port, database_url=database, workers=workers)
    raise typer.Exit(Supervisor(front_doors(settings)).run())


@app.command()
def service(
    host: Host = None, port: Port = None, database: Database = None, workers: Workers = None
) -> None:
    """Start the REST/JSON service alone (the seed's Roulette Server)."""
    from parlor.serve import run_service

    run_service(_settings(host=host, port=port, database_url=database, workers=workers))


def main() -> None:
    app()
