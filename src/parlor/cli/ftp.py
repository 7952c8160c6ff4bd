"""``parlor ftp ls`` and ``parlor ftp get``: the seed's FTP exercise as commands.

``ls`` is thin: it reads the options, opens a :class:`parlor.tools.ftp.Session`, prints what
:func:`parlor.tools.ftp.listing` yields, and turns a :class:`parlor.tools.errors.ToolError`
into one line on stderr and its exit code. ``get`` saves through ``parlor fetch``'s own code
(:func:`parlor.cli.fetch.run_fetch`). Everything a server sends is escaped
(:func:`parlor.tools.terminal.printable`) before a terminal sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from parlor.cli.fetch import (
    Cacert,
    Insecure,
    MaxTime,
    NetrcFile,
    Quiet,
    Resume,
    Sha256,
    User,
    ask_password,
    run_fetch,
)
from parlor.tools.errors import exit_codes

if TYPE_CHECKING:
    from parlor.tools.ftp import Direction, Trace

ftp_app = typer.Typer(
    help="FTP: list a directory, or fetch a file.",
    no_args_is_help=True,
)

EXIT_CODES = f"Exit status: 0 done; 2 bad usage; 130 interrupted; {exit_codes()}."


Url = Annotated[
    str,
    typer.Argument(
        metavar="URL",
        help="ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH; the path is relative to the login"
        " directory (%2F at its start makes it absolute).",
        show_default=False,
    ),
]
Active = Annotated[
    bool,
    typer.Option(
        "--active", help="Active mode (PORT: the server connects back) instead of EPSV/PASV."
    ),
]
Tls = Annotated[
    bool,
    typer.Option(
        "--tls",
        help="Explicit FTPS (AUTH TLS, then PROT P): the control and data connections encrypted,"
        " the certificate checked against the system's CAs or $SSL_CERT_FILE.",
    ),
]
TraceOption = Annotated[
    bool,
    typer.Option(
        "--trace",
        help="Show the control conversation on stderr: '> ' each command, '< ' each reply line"
        " as the server sent it (PASS masked).",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(min=0.1, help="Seconds to wait to connect and for each read or write."),
]


def _tracer() -> Trace:
    """Where --trace writes: stderr, colored by reply class when it is a terminal."""
    from rich.console import Console
    from rich.text import Text

    from parlor.tools.terminal import printable

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    styles = {"1": "cyan", "2": "green", "3": "yellow", "4": "red", "5": "bold red"}

    def show(direction: Direction, line: str) -> None:
        shown = f"{direction} {printable(line)}"
        if not console.is_terminal:
            typer.echo(shown, err=True)
            return
        # Text, never markup: a reply saying "[red]" is shown as it is.
        style = "bold" if direction == ">" else styles.get(line[:1], "")
        console.print(Text(shown, style=style))

    return show


@ftp_app.command(epilog=EXIT_CODES)
def ls(
    url: Url,
    names: Annotated[
        bool, typer.Option("--names", help="Names only (NLST, the seed's LS) instead of LIST.")
    ] = False,
    recursive: Annotated[
        bool,
        typer.Option(
            "--recursive",
            "-R",
            help="Walk the tree (MLSD where the server has it, else LIST lines): one line per"
            " entry, its path below URL, directories ending in /; one that cannot be listed"
            " is reported and skipped (exit 8 at the end).",
        ),
    ] = False,
    active: Active = False,
    tls: Tls = False,
    user: User = None,
    cacert: Cacert = None,
    insecure: Insecure = False,
    netrc_file: NetrcFile = None,
    trace: TraceOption = False,
    timeout: Timeout = 30.0,
) -> None:
    """List a directory: LIST's lines as the server sends them, or names.

    The seed's FTP exercise: connect, log in (anonymously unless credentials
    come from the URL, --user or ~/.netrc), list in passive mode (EPSV, then
    PASV if the server refuses it) unless --active, read every reply to its
    end, and quit. LIST is the seed's DIR, --names (NLST) its LS. Control
    characters from the server are printed escaped (\\e, \\r, \\x07).
    """
    import sys

    from parlor.tools.errors import ToolError
    from parlor.tools.ftp import Session, listing, parse_url
    from parlor.tools.sources import tls_context
    from parlor.tools.terminal import printable

    try:
        target = parse_url(url, ask_password(url, user, netrc_file), netrc_file=netrc_file)
        with Session(
            target,
            timeout=timeout,
            active=active,
            tls=tls,
            tls_context=tls_context(cacert, insecure) if tls else None,
            trace=_tracer() if trace else None,
        ) as session:
            out = sys.stdout
            skipped: list[ToolError] = []

            def unreadable(below: str, error: ToolError) -> None:
                out.flush()  # so the message lands after the lines before it
                typer.echo(f"parlor ftp: cannot list {printable(below)}/: {error}", err=True)
                skipped.append(error)

            lines = listing(
                session, target.path, names=names, recursive=recursive, unreadable=unreadable
            )
            for line in lines:
                out.write(printable(line) + "\n")
            out.flush()
        if skipped:  # listed what could be, as ls -R does, and say so in the exit status
            raise typer.Exit(skipped[0].exit_code)
    except ToolError as error:
        typer.echo(f"parlor ftp: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    except BrokenPipeError:
        # The reader stopped (`parlor ftp ls URL | head`): the session has ended politely on
        # the way out; stop quietly, and keep Python's final flush from failing again.
        _silence_stdout()


def _silence_stdout() -> None:
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        pass


@ftp_app.command(epilog=EXIT_CODES)
def get(
    url: Url,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to save it (through FILE.part) \\[default: the file's own name];"
            " '-' writes it to standard output.",
            show_default=False,
        ),
    ] = None,
    resume: Resume = False,
    sha256: Sha256 = None,
    active: Active = False,
    tls: Tls = False,
    user: User = None,
    cacert: Cacert = None,
    insecure: Insecure = False,
    netrc_file: NetrcFile = None,
    trace: TraceOption = False,
    timeout: Timeout = 30.0,
    max_time: MaxTime = None,
    quiet: Quiet = False,
) -> None:
    """Download a file, by default to its own name in this folder.

    The same code as parlor fetch: the file arrives in FILE.part and is
    renamed when whole; --continue resumes it with REST; a progress bar
    is drawn on a terminal; -o - writes the file to standard output.
    """
    import posixpath

    from parlor.tools.errors import ToolError
    from parlor.tools.ftp import parse_url
    from parlor.tools.sources import Request

    try:
        target = parse_url(url)  # an ftp:// URL naming a file, or say why not now
    except ToolError as error:
        typer.echo(f"parlor ftp: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    name = posixpath.basename(target.path)
    if output is None and "\x00" in name:
        typer.echo("parlor ftp: the file's name holds a NUL; give -o FILE", err=True)
        raise typer.Exit(2)
    if name == "-":  # its own name, not standard output
        name = "./-"
    if output is None and name in ("", ".", ".."):
        typer.echo(
            "parlor ftp: the URL names a directory: list it with parlor ftp ls, or name a file",
            err=True,
        )
        raise typer.Exit(2)
    request = Request(
        url,
        user=ask_password(url, user, netrc_file),
        netrc_file=netrc_file,
        timeout=timeout,
        max_time=max_time,
        cacert=cacert,
        insecure=insecure,
        ftp_active=active,
        ftp_tls=tls,
        ftp_trace=_tracer() if trace else None,
    )
    run_fetch(
        request, output or name, resume=resume, sha256=sha256, quiet=quiet, program="parlor ftp"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(ftp_app, name="ftp")
