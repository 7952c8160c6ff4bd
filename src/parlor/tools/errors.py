"""What can go wrong in a network tool, each with its own exit code.

Every failure of ``parlor fetch`` and ``parlor ftp`` is one of these: a one-line message that
says what happened and what to do next, and an exit code a script can branch on. The codes are
fixed (they are part of the commands' interface, documented in ``--help`` and docs/tools.md)::

    ToolError                 1  anything else that stopped the transfer
     ├── UnknownScheme        3  not http, https, ftp or file
     ├── UnknownHost          4  the name does not resolve
     ├── Refused              5  nothing listens there (or the connection was reset at once)
     ├── TimedOut             6  no answer in time
     ├── TlsFailure           7  the TLS handshake or certificate check failed
     ├── NotFound             8  HTTP 404 or 410, FTP 550, no such file
     ├── RemoteError          9  any other HTTP 4xx/5xx, or FTP 4yz/5yz reply
     ├── LoginRefused        10  HTTP 401/403 after the credentials, FTP 530
     ├── ChecksumMismatch    11  --sha256 did not match; the download was not kept
     ├── Truncated           12  the peer closed before the whole body arrived
     └── CannotWrite         13  the output file cannot be written

Exit code 2 is the command line's own (a usage error, from Typer/Click).
"""

from __future__ import annotations

from typing import ClassVar


class ToolError(Exception):
    """A failure the user can act on; ``str()`` is the one-line message.

    The first line of each class's docstring is its meaning in ``--help``'s exit-code list.
    """

    exit_code: ClassVar[int] = 1


class UnknownScheme(ToolError):
    """Not http, https, ftp or file."""

    exit_code = 3


class UnknownHost(ToolError):
    """Unknown host."""

    exit_code = 4


class Refused(ToolError):
    """Connection refused."""

    exit_code = 5


class TimedOut(ToolError):
    """Timed out."""

    exit_code = 6


class TlsFailure(ToolError):
    """TLS failure."""

    exit_code = 7


class NotFound(ToolError):
    """Not found (HTTP 404/410, FTP 550)."""

    exit_code = 8


class RemoteError(ToolError):
    """Other HTTP or FTP error."""

    exit_code = 9


class LoginRefused(ToolError):
    """Credentials needed or refused."""

    exit_code = 10


class ChecksumMismatch(ToolError):
    """SHA-256 mismatch."""

    exit_code = 11


class Truncated(ToolError):
    """Transfer cut short."""

    exit_code = 12


class CannotWrite(ToolError):
    """Cannot write the output."""

    exit_code = 13


#: Every failure class, for the documentation table and the test that it is complete.
FAILURES: tuple[type[ToolError], ...] = (ToolError, *ToolError.__subclasses__())


def exit_codes() -> str:
    """The exit codes for ``--help``: ``3 not http, …; 4 unknown host; …``."""
    meanings = {ToolError: "any other failure"}
    listed = sorted(FAILURES, key=lambda cls: cls.exit_code)
    return "; ".join(f"{cls.exit_code} {meanings.get(cls) or _meaning(cls)}" for cls in listed)


def _meaning(cls: type[ToolError]) -> str:
    text = (cls.__doc__ or "").strip().rstrip(".")
    return text if text[:3].isupper() else text[:1].lower() + text[1:]


def from_os_error(error: OSError, where: str) -> ToolError:
    """The failure a socket-level ``error`` means, reaching ``where`` (``host:port``)."""
    # Order matters: SSLError and gaierror are OSErrors too, and TimeoutError before the rest.
    import socket
    import ssl

    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or error.reason or "verification failed"
        return TlsFailure(
            f"{where}: the TLS certificate is not trusted ({reason}); give --cacert PEM to"
            " trust it, or --insecure to check nothing"
        )
    if isinstance(error, ssl.SSLError):
        return TlsFailure(f"{where}: the TLS handshake failed ({error.reason or error})")
    if isinstance(error, socket.gaierror):
        return UnknownHost(f"{where}: unknown host; check the name in the URL")
    if isinstance(error, TimeoutError):
        return TimedOut(f"{where}: no answer in time; try again or raise --timeout")
    if isinstance(error, ConnectionRefusedError):
        return Refused(f"{where}: connection refused; is the server running on that port?")
    if isinstance(error, ConnectionError):
        return Truncated(f"{where}: the connection was cut ({error.strerror or error})")
    return ToolError(f"{where}: {error.strerror or error}")
