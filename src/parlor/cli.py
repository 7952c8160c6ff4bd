"""The one `parlor` command."""

import typer

app = typer.Typer(help="parlor: a client-server game house.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """parlor: roulette and chess over REST, HTML and a line protocol."""


def main() -> None:
    app()
