"""``parlor tables``: roulette tables over TCP (``serve``), and a client for them (``connect``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parlor.cli.options import BettingWindow, Database, TcpPort
from parlor.tcp import limits as defaults

tables_app = typer.Typer(
    help="Roulette tables over TCP: many players at one wheel, chat, events (docs/protocol.md).",
    no_args_is_help=True,
)

Host = Annotated[str, typer.Option(help="The address to listen on, or to connect to.")]


@tables_app.command()
def serve(
    host: Host = "127.0.0.1",
    tcp_port: TcpPort = None,
    database: Database = None,
    table: Annotated[
        list[str] | None,
        typer.Option(
            help="A table as NAME:WHEEL (american or european); repeat for more"
            " \\[default: main:american and euro:european]."
        ),
    ] = None,
    betting_window: BettingWindow = None,
    tls_cert: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="A PEM certificate: serve TLS.")
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its PEM private key.")
    ] = None,
    clear_passwords: Annotated[
        bool,
        typer.Option(
            help="Take PASS in clear from any address (without it: only over TLS or from loopback)."
        ),
    ] = False,
    idle: Annotated[
        float, typer.Option(min=0.1, help="Seconds without a complete line before 421 and close.")
    ] = defaults.DEFAULT_IDLE,
    max_sendq: Annotated[
        int,
        typer.Option(
            "--max-sendq", min=1024, help="Bytes of unread replies after which a client is dropped."
        ),
    ] = defaults.DEFAULT_MAX_SENDQ,
    burst: Annotated[
        int, typer.Option(min=1, help="Commands a connection may send at once before 452.")
    ] = defaults.DEFAULT_BURST,
    max_connections: Annotated[
        int, typer.Option(min=1, help="Connections at once, in all (then 421 on connect).")
    ] = defaults.DEFAULT_MAX_CONNECTIONS,
    per_address: Annotated[
        int, typer.Option(min=1, help="Connections at once from one address.")
    ] = defaults.DEFAULT_PER_ADDRESS,
) -> None:
    """Serve the roulette tables over TCP until Ctrl+C (try: telnet 127.0.0.1 36001)."""
    from parlor.settings import Settings
    from parlor.tcp.limits import Limits
    from parlor.tcp.run import TablesConfig, parse_table, run

    settings = Settings.from_env(
        database_url=database, tcp_port=tcp_port, betting_window=betting_window
    )
    try:
        named = [parse_table(text) for text in table] if table else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--table'") from None
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give --tls-cert and --tls-key together", param_hint="'--tls-key'")
    config = TablesConfig(
        host=host,
        port=settings.tcp_port,
        window=settings.betting_window,
        limits=Limits(
            burst=burst,
            idle=idle,
            max_sendq=max_sendq,
            max_connections=max_connections,
            per_address=per_address,
        ),
        tls_cert=None if tls_cert is None else str(tls_cert),
        tls_key=None if tls_key is None else str(tls_key),
        clear_passwords=clear_passwords,
        **({"tables": named} if named else {}),
    )
    try:
        run(settings, config, announce=lambda line: typer.echo(line, err=True))
    except OSError as error:
        typer.echo(
            f"parlor tables: cannot listen on {host}:{settings.tcp_port}"
            f" ({error.strerror or error}): choose another --tcp-port",
            err=True,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        pass
    typer.echo("parlor tables stopped", err=True)


@tables_app.command()
def connect(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The server's port.")] = 36001,
    script: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Send this file's commands, one a line, print the replies, and exit:"
            " status 1 at the first 4yz or 5yz reply.",
        ),
    ] = None,
    tls: Annotated[bool, typer.Option(help="Connect with TLS.")] = False,
) -> None:
    """Sit at the tables: type commands, see replies and events as they come (HELP lists them)."""
    from parlor.cli.tables_client import interactive, scripted
    from parlor.tcp.client import TablesUnreachable

    try:
        if script is not None:
            raise typer.Exit(scripted(host, port, script, tls=tls))
        raise typer.Exit(interactive(host, port, tls=tls))
    except TablesUnreachable as error:
        typer.echo(f"parlor tables: {error}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.add_typer(tables_app, name="tables")
