"""``parlor echo serve`` and ``parlor echo send``: the seed's first socket example."""

from __future__ import annotations

from typing import Annotated

import typer

from parlor.tcp.limits import DEFAULT_MAX_SENDQ
from parlor.tcp.limits import ECHO_IDLE as DEFAULT_IDLE
from parlor.tcp.limits import ECHO_PORT as DEFAULT_PORT

echo_app = typer.Typer(
    help="The chapter's echo server and client: each line is answered with Heard: 'TEXT'.",
    no_args_is_help=True,
)

EchoHost = Annotated[str, typer.Option(help="The address of the echo server.")]
EchoPort = Annotated[int, typer.Option(min=0, max=65535, help="Its port.")]


@echo_app.command()
def serve(
    host: EchoHost = "127.0.0.1",
    port: EchoPort = DEFAULT_PORT,
    idle: Annotated[
        float, typer.Option(min=0.1, help="Seconds a silent client is kept before it is closed.")
    ] = DEFAULT_IDLE,
    max_sendq: Annotated[
        int,
        typer.Option(
            "--max-sendq", min=1024, help="Bytes of unread answers after which a client is dropped."
        ),
    ] = DEFAULT_MAX_SENDQ,
) -> None:
    """Answer every line of every client with Heard: 'TEXT', until Ctrl+C."""
    import asyncio

    from parlor.tcp.echo import EchoServer

    def ready(bound_host: str, bound_port: int) -> None:
        typer.echo(f"parlor echo listening on {bound_host}:{bound_port} (Ctrl+C stops it)")

    server = EchoServer(idle=idle, max_sendq=max_sendq)
    try:
        asyncio.run(server.serve(host, port, ready=ready))
    except OSError as error:
        typer.echo(
            f"parlor echo: cannot listen on {host}:{port} ({error.strerror or error}):"
            " choose another --port",
            err=True,
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("parlor echo stopped")


@echo_app.command()
def send(
    text: Annotated[str, typer.Argument(help="The line to send.")],
    host: EchoHost = "127.0.0.1",
    port: EchoPort = DEFAULT_PORT,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the answer.")] = 5.0,
) -> None:
    """Send one line to an echo server and print its answer."""
    from parlor.tcp.echo import EchoUnreachable
    from parlor.tcp.echo import send as send_line

    try:
        typer.echo(send_line(text, host, port, timeout))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'TEXT'") from None
    except EchoUnreachable as error:
        typer.echo(f"parlor echo: {error}", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.add_typer(echo_app, name="echo")
