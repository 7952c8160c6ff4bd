"""``parlor serve``, ``service``, ``web`` and ``desktop``: the servers."""

from __future__ import annotations

from typing import Annotated

import typer

from parlor.cli.options import (
    BettingWindow,
    ChessEngine,
    Database,
    ForwardedAllowIps,
    Host,
    Port,
    ServiceUrl,
    TcpPort,
    WebPort,
    Workers,
    settings_from,
)
from parlor.settings import Settings


def _run_alone(command: str, settings: Settings) -> None:
    from parlor.run.serve import DOOR_BY_COMMAND, PortInUse, run_door

    try:
        run_door(DOOR_BY_COMMAND[command], settings)
    except PortInUse as error:
        typer.echo(f"parlor: {error}", err=True)
        raise typer.Exit(1) from None


def serve(
    host: Host = None,
    port: Port = None,
    web_port: WebPort = None,
    tcp_port: TcpPort = None,
    betting_window: BettingWindow = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
    chess_engine: ChessEngine = None,
    one_port: Annotated[
        bool,
        typer.Option(
            "--one-port",
            help="Serve the REST service at / and the web app at /play/, both on --port"
            " (--web-port is then not used)",
        ),
    ] = False,
) -> None:
    """Start every front door (REST, web, the TCP tables) and print where each listens;
    Ctrl+C stops them all."""
    from parlor.run.serve import front_doors
    from parlor.run.supervisor import Supervisor

    settings = settings_from(
        host=host,
        port=port,
        web_port=web_port,
        tcp_port=tcp_port,
        betting_window=betting_window,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
        chess_engine=chess_engine,
    )
    raise typer.Exit(Supervisor(front_doors(settings, one_port=one_port)).run())


def service(
    host: Host = None,
    port: Port = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
    chess_engine: ChessEngine = None,
) -> None:
    """Start the REST/JSON service alone (the seed's Roulette Server)."""
    settings = settings_from(
        host=host,
        port=port,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
        chess_engine=chess_engine,
    )
    _run_alone("service", settings)


def web(
    host: Host = None,
    web_port: WebPort = None,
    service_url: ServiceUrl = None,
    port: Port = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
) -> None:
    """Start the web app for people alone (the seed's Roulette web application).

    It talks to the REST service over HTTP only (--service-url), so the two may
    run on different hosts. Visits live in the database (--database), so
    every worker serves every visit and a restart keeps them.
    """
    settings = settings_from(
        host=host,
        web_port=web_port,
        service_url=service_url,
        port=port,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    _run_alone("web", settings)


def one_port(
    host: Host = None,
    port: Port = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
) -> None:
    """Start the REST service at / and the web app at /play/, both on one port.

    What `parlor serve --one-port` runs: one address for a proxy or a firewall
    to pass. The web app reaches the service through the client SDK as ever,
    in the same process.
    """
    settings = settings_from(
        host=host,
        port=port,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    _run_alone("one-port", settings)


def desktop(database: Database = None) -> None:
    """Play in your browser: start parlor on free local ports and open the game.

    The seed's desktop application. Without a browser it prints the address to
    open. Ctrl+C stops it.
    """
    from parlor.run.desktop import run_desktop

    raise typer.Exit(run_desktop(settings_from(database_url=database)))


def register(app: typer.Typer) -> None:
    for command in (serve, service, web, desktop):
        app.command()(command)
    app.command("one-port")(one_port)
