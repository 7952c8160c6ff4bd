"""``parlor fetch URL``: the seed's urlreader (http, https, ftp, file), as a downloader.

``parlor ftp get`` saves through :func:`run_fetch` too, with the same options.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from parlor.tools.errors import exit_codes

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from parlor.tools.fetch import Fetched
    from parlor.tools.sources import Request

Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Save the body to FILE (through FILE.part, renamed when whole), with a progress"
        " bar; '-' writes it to standard output. Without -o, print its length in bytes.",
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--continue",
        "-C",
        help="Resume a partial download: FILE.part, or FILE itself (HTTP Range, FTP REST).",
    ),
]


def _hex_digest(value: str | None) -> str | None:
    from parlor.tools.errors import ToolError
    from parlor.tools.fetch import normalise_sha256

    try:
        normalise_sha256(value)
    except ToolError as error:
        raise typer.BadParameter(str(error)) from None
    return value


Sha256 = Annotated[
    str | None,
    typer.Option(
        "--sha256",
        metavar="HEX",
        callback=_hex_digest,
        help="Check the result's SHA-256; on a mismatch keep nothing and exit 11.",
    ),
]
User = Annotated[
    str | None,
    typer.Option(
        "--user",
        "-u",
        metavar="NAME[:PASSWORD]",
        help="Credentials, when the URL has none (before ~/.netrc or $NETRC); without"
        " :PASSWORD, netrc's for NAME, else a prompt on a terminal.",
        show_default=False,
    ),
]
Cacert = Annotated[
    Path | None,
    typer.Option(
        exists=True, dir_okay=False, help="Trust this PEM certificate (a self-signed server)."
    ),
]
Insecure = Annotated[
    bool,
    typer.Option("--insecure", "-k", help="Do not check the server's TLS certificate."),
]
Timeout = Annotated[
    float, typer.Option(min=0.1, help="Seconds to wait for a connection or for more data.")
]
MaxTime = Annotated[
    float | None,
    typer.Option(
        "--max-time",
        min=0.1,
        metavar="S",
        help="Give up once the transfer has taken S seconds in all (exit 6, the part kept),"
        " however steadily a slow server trickles.",
        show_default=False,
    ),
]
NetrcFile = Annotated[
    Path | None,
    typer.Option(help="The netrc file to read credentials from \\[default: $NETRC or ~/.netrc]."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]


class _Bar:
    """A Rich progress bar (size, rate, time left) on standard error, drawn only on a terminal.

    Chunks are counted here and handed to Rich every 256 KiB: Rich takes a lock per update,
    and a gigabyte arrives in some sixteen thousand chunks.
    """

    STEP = 1 << 18

    def __init__(self, label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(stderr=True)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._label = label
        self._pending = 0
        if console.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._flush()
        if self._progress is not None:
            self._progress.stop()

    def start(self, total: int | None, done: int) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(self._label, total=total, completed=done)

    def advance(self, size: int) -> None:
        self._pending += size
        if self._pending >= self.STEP:
            self._flush()

    def _flush(self) -> None:
        if self._progress is not None and self._task is not None and self._pending:
            self._progress.advance(self._task, self._pending)
        self._pending = 0


def _rate(size: int, seconds: float) -> str:
    from rich.filesize import decimal

    return f"{decimal(int(size / seconds) if seconds > 0 else 0)}/s"


def ask_password(url: str, user: str | None, netrc_file: Path | None = None) -> str | None:
    """``--user NAME`` on a terminal, with no password anywhere else: ask for it, hidden."""
    from urllib.parse import urlsplit

    from parlor.tools.credentials import from_netrc, split_user_option

    if user is None or not sys.stdin.isatty():
        return user
    name, password = split_user_option(user)
    parts = urlsplit(url)
    if password is not None or parts.username is not None:
        return user
    entry = from_netrc(parts.hostname or "", netrc_file)
    if entry is not None and entry.user == name:
        return user
    return f"{name}:{typer.prompt(f'Password for {name}', hide_input=True, default='')}"


def _summary(fetched: Fetched, target: str, seconds: float) -> str:
    resumed = f", resumed at {fetched.resumed_from:,}" if fetched.resumed_from else ""
    checked = ", SHA-256 matches" if fetched.sha256 is not None else ""
    elapsed = f"{seconds:.2f} s, {_rate(fetched.size - fetched.resumed_from, seconds)}"
    return f"saved {target}: {fetched.size:,} bytes{resumed}{checked} ({elapsed})"


def run_fetch(
    request: Request,
    output: str | None,
    *,
    resume: bool,
    sha256: str | None,
    quiet: bool,
    program: str = "parlor fetch",
) -> None:
    """Fetch ``request`` as the options say, and exit with the failure's code if it fails."""
    from parlor.tools import fetch
    from parlor.tools.errors import TimedOut, ToolError, Truncated

    if resume and (output is None or output == "-"):
        raise typer.BadParameter("--continue needs -o FILE", param_hint="'--continue'")
    started = time.perf_counter()
    try:
        if output is None:
            fetched = fetch.count(request, sha256=sha256)
            typer.echo(str(fetched.size))
        elif output == "-":
            fetched = fetch.copy_to(request, sys.stdout.buffer, sha256=sha256)
            sys.stdout.buffer.flush()
        else:
            target = Path(output)
            bar = None if quiet else _Bar(target.name)
            with bar or contextlib.nullcontext():
                fetched = fetch.save(request, target, resume=resume, sha256=sha256, progress=bar)
            if not quiet:
                typer.echo(_summary(fetched, output, time.perf_counter() - started), err=True)
    except ToolError as error:
        hint = _resume_hint(output) if isinstance(error, Truncated | TimedOut) else ""
        typer.echo(f"{program}: {error}{hint}", err=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo(f"{program}: interrupted{_resume_hint(output)}", err=True)
        raise typer.Exit(130) from None


def _resume_hint(output: str | None) -> str:
    """How to go on, when a part file was left behind."""
    from parlor.tools.fetch import part_path

    if output in (None, "-") or not part_path(Path(output)).is_file():
        return ""
    return f"; what arrived is in {output}.part: run again with --continue"


def fetch_command(
    url: Annotated[str, typer.Argument(help="An http, https, ftp or file URL.")],
    output: Output = None,
    resume: Resume = False,
    sha256: Sha256 = None,
    user: User = None,
    auth: Annotated[
        str,
        typer.Option(
            help="HTTP authentication: 'any' answers the strongest challenge offered (Digest"
            " SHA-512-256, SHA-256, then MD5, before Basic); 'basic' sends Basic at once;"
            " 'digest' never falls back to Basic."
        ),
    ] = "any",
    timeout: Timeout = 30.0,
    max_time: MaxTime = None,
    cacert: Cacert = None,
    insecure: Insecure = False,
    netrc_file: NetrcFile = None,
    ftp_active: Annotated[
        bool, typer.Option(help="FTP: active mode (PORT) instead of passive (EPSV, PASV).")
    ] = False,
    ftp_tls: Annotated[bool, typer.Option(help="FTP: explicit TLS (AUTH TLS).")] = False,
    quiet: Quiet = False,
) -> None:
    """Fetch URL: print its length in bytes, or save it with -o FILE.

    The chapter's urlreader, for http, https, ftp and file URLs. With -o
    the body arrives in FILE.part and is renamed when whole, so FILE is
    never a truncated download. Credentials come from the URL, then
    --user, then ~/.netrc; HTTP Digest (SHA-512-256, SHA-256, MD5) and
    Basic are answered.

    Exit codes: 0 done; 2 a usage error; 130 interrupted; {codes}.
    """
    from parlor.tools.sources import AUTH_MODES, Request

    if auth not in AUTH_MODES:
        raise typer.BadParameter(f"choose one of {', '.join(AUTH_MODES)}", param_hint="'--auth'")
    request = Request(
        url,
        user=ask_password(url, user, netrc_file),
        auth=auth,  # checked against AUTH_MODES just above
        timeout=timeout,
        max_time=max_time,
        cacert=cacert,
        insecure=insecure,
        netrc_file=netrc_file,
        ftp_active=ftp_active,
        ftp_tls=ftp_tls,
    )
    run_fetch(request, output, resume=resume, sha256=sha256, quiet=quiet)


fetch_command.__doc__ = (fetch_command.__doc__ or "").replace("{codes}", exit_codes())


def register(app: typer.Typer) -> None:
    app.command("fetch")(fetch_command)
