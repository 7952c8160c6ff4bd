"""The one ``parlor`` command: servers, clients and tools as subcommands.

Options follow one rule: a flag wins, then a ``PARLOR_*`` environment
variable, then the default in ``settings.py``.
"""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    help="parlor: a client-server game house — roulette and chess over REST, HTML and TCP.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _show_version(show: bool) -> None:
    if show:
        from parlor import __version__

        typer.echo(f"parlor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print parlor's version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """parlor: a client-server game house — roulette and chess over REST, HTML and TCP."""


def _register_commands() -> None:
    # Each command group lives in its own module and imports what it needs
    # only when it runs, so `parlor --help` (and every server's workers, which
    # import this package) load no NumPy, numba or httpx.
    from parlor.cli import (
        accounts,
        chess,
        echo,
        fetch,
        ftp,
        play,
        serve,
        simulate,
        tables,
        verify,
        webtools,
    )

    for module in (serve, verify, simulate, play, chess, tables, echo, accounts):
        module.register(app)
    # The chapter's small programs (issue 15).
    for module in (fetch, ftp, webtools):
        module.register(app)


_register_commands()


def main() -> None:
    app()
