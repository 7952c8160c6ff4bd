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


Host = Annotated[
    str | None,
    typer.Option(
        help="Address to listen on \\[env PARLOR_HOST; default 127.0.0.1]", show_default=False
    ),
]
Port = Annotated[
    int | None,
    typer.Option(
        help="Port of the REST service \\[env PARLOR_PORT; default 36000]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
Database = Annotated[
    str | None,
    typer.Option(
        help="sqlite:///path or postgresql://… \\[env PARLOR_DATABASE_URL;"
        " default sqlite:///var/parlor.db]",
        show_default=False,
    ),
]
WebPort = Annotated[
    int | None,
    typer.Option(
        "--web-port",
        help="Port of the web app for people \\[env PARLOR_WEB_PORT; default 8008]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
ServiceUrl = Annotated[
    str | None,
    typer.Option(
        help="Where the REST service answers, e.g. http://10.0.0.5:36000"
        " \\[env PARLOR_SERVICE_URL; default this host's --port]",
        show_default=False,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        help="Server worker processes \\[env PARLOR_WORKERS; default 1]", min=1, show_default=False
    ),
]

ForwardedAllowIps = Annotated[
    str | None,
    typer.Option(
        "--forwarded-allow-ips",
        help="Reverse proxies to believe about the scheme and client address"
        " (X-Forwarded-Proto/-For, Forwarded): addresses or networks, comma-separated,"
        " or * for any; behind a TLS proxy this makes cookies Secure"
        " \\[env PARLOR_FORWARDED_ALLOW_IPS; default: none]",
        show_default=False,
    ),
]


def _settings(**overrides: Any) -> Settings:
    from parlor.run.proxy import TrustedProxies

    try:
        settings = Settings.from_env(**overrides)
        TrustedProxies.parse(settings.forwarded_allow_ips)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return settings


@app.command()
def serve(
    host: Host = None,
    port: Port = None,
    web_port: WebPort = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
) -> None:
    """Start every front door and print where each listens; Ctrl+C stops them all."""
    from parlor.serve import Supervisor, front_doors

    settings = _settings(
        host=host,
        port=port,
        web_port=web_port,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    raise typer.Exit(Supervisor(front_doors(settings)).run())


@app.command()
def service(
    host: Host = None,
    port: Port = None,
    database: Database = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
) -> None:
    """Start the REST/JSON service alone (the seed's Roulette Server)."""
    from parlor.serve import PortInUse, run_service

    settings = _settings(
        host=host,
        port=port,
        database_url=database,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    try:
        run_service(settings)
    except PortInUse as error:
        typer.echo(f"parlor: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def web(
    host: Host = None,
    web_port: WebPort = None,
    service_url: ServiceUrl = None,
    port: Port = None,
    workers: Workers = None,
    forwarded_allow_ips: ForwardedAllowIps = None,
) -> None:
    """Start the web app for people alone (the seed's Roulette web application).

    It talks to the REST service over HTTP only (--service-url), so the two may
    run on different hosts. Several workers share PARLOR_WEB_SECRET, which signs
    the visit cookie; set it to keep visits across restarts.
    """
    from parlor.serve import PortInUse, run_web

    settings = _settings(
        host=host,
        web_port=web_port,
        service_url=service_url,
        port=port,
        workers=workers,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    try:
        run_web(settings)
    except PortInUse as error:
        typer.echo(f"parlor: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def desktop(database: Database = None) -> None:
    """Play in your browser: start parlor on free local ports and open the game.

    The seed's desktop application. Without a browser it prints the address to
    open. Ctrl+C stops it.
    """
    from parlor.desktop import run_desktop

    raise typer.Exit(run_desktop(_settings(database_url=database)))


@app.command()
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
        [(record.spin, pocket(record.result.number)) for record in records],
        wheel.pocket_count,
    )
    console.print(f"Session {session} ({state.wheel} wheel, client seed {state.client_seed!r})")
    console.print(result.describe())
    console.print("[green]fair[/]" if result.ok else "[red]NOT fair[/]")
    raise typer.Exit(0 if result.ok else 1)


def _register_tools() -> None:
    # Commands that live in their own modules, each registered here so
    # that `parlor --help` lists everything in one place.
    from parlor.play_cli import play
    from parlor.simulate_cli import simulate

    app.command()(simulate)
    app.command()(play)


_register_tools()


def main() -> None:
    app()
