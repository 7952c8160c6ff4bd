"""``parlor dump``, ``parlor environ`` and ``parlor convert``: the chapter's small web servers."""

from __future__ import annotations

from typing import Annotated

import typer

ToolHost = Annotated[
    str | None,
    typer.Option(
        help="Address to listen on \\[env PARLOR_HOST; default 127.0.0.1]", show_default=False
    ),
]
ToolPort = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]


def _serve(command: str, host: str | None, port: int, **overrides: object) -> None:
    from parlor.cli.options import settings_from
    from parlor.run.serve import PortInUse
    from parlor.run.tooldoor import TOOLS, run_tool

    settings = settings_from(host=host, **overrides)
    try:
        run_tool(command, settings, port)
    except PortInUse as error:
        typer.echo(f"parlor {command}: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"parlor {TOOLS[command].label} stopped", err=True)


def dump(
    host: ToolHost = None,
    port: ToolPort = 8008,
    max_body: Annotated[
        int | None,
        typer.Option(
            "--max-body",
            min=0,
            help="The largest request body shown, in bytes; a larger one is answered 413"
            " \\[env PARLOR_MAX_BODY_BYTES; default 1048576]",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show every request back: method, path, version, headers and body.

    The chapter's BaseHTTPServer example, for any method and any path, like
    httpbin's /anything on your own machine. Each request is answered with an
    HTML page (every value escaped), or JSON with ?format=json (or Accept:
    application/json), and logged as one line on stderr. Try:

        curl -s 'http://127.0.0.1:8008/any/path?x=1&format=json' -d hello

    Ctrl+C stops it.
    """
    _serve("dump", host, port, max_body_bytes=max_body)


def environ(host: ToolHost = None, port: ToolPort = 8008) -> None:
    """Show the WSGI environ of each request, each key marked with its pipe.

    The chapter's dump_all_app: every environ key and value, sorted and
    escaped, as HTML (or JSON with ?format=json), served behind the same pipes
    as parlor's own apps (access log, errors, cache, sessions, authentication,
    authorization, forms), so you can see what each one adds. Ctrl+C stops it.
    """
    _serve("environ", host, port)


def convert(
    host: ToolHost = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on \\[default: a free one]"),
    ] = None,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser/--no-browser",
            help="Open the converter in your browser once it answers (--no-browser: only"
            " serve it, and say where)",
        ),
    ] = True,
) -> None:
    """Convert Fahrenheit to Celsius and back in your browser (the desktop app).

    The chapter's desktop web application: a small server on a free local
    port, and the browser opened on it (without a browser, it prints the
    address to open). Type a temperature in either field and press Convert.
    Ctrl+C stops it.
    """
    from parlor.cli.options import settings_from

    settings = settings_from(host=host)
    from parlor.run.desktop import free_port
    from parlor.run.tooldoor import run_converter

    if not browser:
        _serve("convert", host, port or free_port(settings.host))
        return

    raise typer.Exit(run_converter(host=settings.host, port=port))


def register(app: typer.Typer) -> None:
    for command in (dump, environ, convert):
        app.command()(command)
