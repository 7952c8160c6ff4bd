"""An FTP client over the standard library's ftplib: ``parlor ftp ls``, and ``parlor fetch``'s FTP.

The seed's exercise is "a special-purpose FTP client that establishes a connection with an FTP
server, gets a directory and ends the connection", ready for "many lines of a response". This
module is that client, made safe to point at any server.

The conversation (RFC 959, with RFC 2228/4217 for TLS and RFC 2428 for EPSV)
---------------------------------------------------------------------------
::

    < 220 greeting                          (a multi-line 220-… 220 … is read whole)
    > AUTH TLS   < 234 …                    --tls only: the control connection becomes TLS
    > USER name  < 331 …
    > PASS ****  < 230 …                    530 here is LoginRefused
    > PBSZ 0     > PROT P                   --tls only: every data connection is TLS too
    > TYPE A                                listings; TYPE I for SIZE and RETR
    > EPSV       < 229 (|||port|)           passive: the server opens a port, the client
    > PASV       < 227 (h,h,h,h,p,p)          connects (PASV only when EPSV is refused)
    > PORT h,h,h,h,p,p                      active: the client listens, the server connects
    > LIST path  < 150 …  data…  < 226 …    or NLST, MLSD, RETR (after REST n to resume)
    > QUIT       < 221 …

Using it::

    target = parse_url("ftp://ftp.example.org/pub/")
    with Session(target, timeout=30) as ftp:
        for line in ftp.list(target.path):
            print(printable(line))
        size = ftp.size("pub/big.iso")              # None when the server will not say
        with ftp.retrieve("pub/big.iso", offset=0) as chunks:
            for chunk in chunks:
                sink.write(chunk)

Rules
-----
1. Every socket operation (connect, each read, each write) has the session's timeout; closing
   (ABOR, QUIT) waits at most :data:`CLOSE_TIMEOUT`. Nothing here can wait forever.
2. A server's reply is bounded: a line of at most :data:`MAX_LINE` bytes, a multi-line reply of
   at most :data:`MAX_REPLY_LINES` lines, a listing line of at most :data:`MAX_LISTING_LINE`.
3. One transfer at a time, as FTP has it. A :class:`Transfer` closed before its end sends ABOR
   and then NOOP, reading replies until NOOP's 200: whatever the server said about the aborted
   transfer (426, 226, 225, or nothing), the conversation is back in step.
4. Failures leave through :mod:`parlor.tools.errors` only. An FTP error reply (4yz, 5yz) leaves
   the session usable; a broken socket or a reply that is not FTP closes it, since nothing
   after it can be trusted to line up.
5. A transfer ends well only with the server's 2yz final reply, and, when the size is known
   (from :meth:`Session.size` or the 150 reply), with that many bytes; otherwise it raises
   :class:`~parlor.tools.errors.Truncated`.

Why a subclass of ftplib
------------------------
ftplib speaks the protocol well but is made for trusted servers: it reads the control
connection as strict UTF-8 text (one stray byte is a ``UnicodeDecodeError``), reads multi-line
replies without end, uses EPSV only over IPv6, and shows the conversation only as a debug
``print``. :class:`_Control` overrides exactly its line-level methods (``putline``,
``getline``, ``getmultiline``, ``makepasv``, ``makeport``, ``ntransfercmd``) and keeps the rest
(login, the transfer handshakes, parse227/229/150). Data connections under ``--tls`` reuse the
control connection's TLS session, which servers such as vsftpd and FileZilla require and ftplib
does not do (bpo-19500).
"""

# FTP is this module's subject (bandit's S321 warns against using it at all); --tls is offered.
# ruff: noqa: S321

from __future__ import annotations

import contextlib
import ftplib
import io
import posixpath
import re
import socket
import ssl
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from parlor.tools import errors
from parlor.tools.credentials import Credentials, resolve
from parlor.tools.ftp_listing import (
    Entry,
    LineTooLong,
    decode,
    parse_features,
    parse_list_line,
    parse_mlsd_line,
    split_lines,
)
from parlor.tools.terminal import printable, shown_url, url_problem

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "Direction",
    "Session",
    "Target",
    "Trace",
    "Transfer",
    "listing",
    "parse_url",
]

DEFAULT_PORT: Final = 21
DEFAULT_TIMEOUT: Final = 30.0
#: How long closing (ABOR, QUIT) waits for the server, at most.
CLOSE_TIMEOUT: Final = 5.0
#: One control line, CRLF included: ftplib's own limit.
MAX_LINE: Final = ftplib.MAXLINE
#: A FEAT or a banner runs to a few dozen lines; past this the server is stalling the client.
MAX_REPLY_LINES: Final = 1000
#: One listing line; a name may be long, but not this long.
MAX_LISTING_LINE: Final = 64 * 1024
#: How deep ``walk`` goes before it concludes the server shows it a loop.
MAX_DEPTH: Final = 64
#: Bytes asked of a data connection at a time.
CHUNK: Final = 64 * 1024

#: ``>`` for a line the client sent, ``<`` for one it received.
Direction = Literal[">", "<"]
#: Called with every control line as it goes or comes (PASS masked).
Trace = Callable[[Direction, str], None]

_ANONYMOUS = Credentials("anonymous", "anonymous@")
# RFC 1738 §3.2.2: ";type=a|i|d" ends an FTP URL's path; it says how, not what.
_TYPECODE = re.compile(r";type=[aidAID]$")
# Replies that say "this server has no such command" (RFC 959 §4.2), as opposed to "not now".
_NOT_IMPLEMENTED = frozenset({"500", "501", "502", "504"})
# The MLSD facts a walk asks for when it must ask (OPTS MLST): enough to tell and size entries.
_FACTS = frozenset({"type", "size", "modify", "unique", "perm"})


# -- where to go ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An FTP URL, read: where to connect, as whom, and which path."""

    host: str
    port: int
    #: The URL's path, percent-decoded, relative to the login directory (RFC 1738 §3.2.2); a
    #: leading "/" (``ftp://host/%2Fetc``) makes it absolute. "" is the login directory.
    path: str
    credentials: Credentials = _ANONYMOUS

    @property
    def where(self) -> str:
        """``host:port`` (``[addr]:port`` for IPv6), as messages name the server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url: str, user: str | None = None, *, netrc_file: Path | None = None) -> Target:
    """The :class:`Target` of ``ftp://[user[:pass]@]host[:port]/path``.

    Credentials come from the URL, then ``user`` (``--user NAME[:PASSWORD]``), then the netrc
    file (:func:`parlor.tools.credentials.resolve`); with none, the login is anonymous.
    """
    shown = shown_url(url)  # a message never shows the password
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise errors.ToolError(
            f"{shown}: not a valid URL{url_problem(url, error)}; write ftp://host[:port]/path"
        ) from None
    if parts.scheme.lower() != "ftp":
        hint = " (implicit FTPS); use ftp:// with --tls" if parts.scheme.lower() == "ftps" else ""
        raise errors.UnknownScheme(
            f"{shown}: not an ftp:// URL{hint}; write ftp://host[:port]/path"
        )
    if not parts.hostname:
        raise errors.ToolError(f"{shown}: the URL names no host; write ftp://host/path")
    path = unquote(_TYPECODE.sub("", parts.path.removeprefix("/")), errors="surrogateescape")
    credentials = resolve(parts, user, netrc_file=netrc_file) or _ANONYMOUS
    return Target(parts.hostname, port or DEFAULT_PORT, path, credentials)


# -- the control connection ---------------------------------------------------------------


class _Violation(ftplib.Error):
    """The server broke a rule of the protocol or a limit of this client."""


def _masked(line: str) -> str:
    verb = line.partition(" ")[0].upper()
    return f"{line[:4]} ****" if verb in ("PASS", "ACCT") else line


class _Control(ftplib.FTP):
    """ftplib's FTP with every line traced, bounded and decoded, and EPSV tried before PASV."""

    maxline = MAX_LINE

    def __init__(self, where: str, trace: Trace | None, timeout: float) -> None:
        ftplib.FTP.__init__(self, timeout=timeout)
        self._setup(where, trace)

    def _setup(self, where: str, trace: Trace | None) -> None:
        self.where = where
        self.trace = trace
        self.epsv = True
        self.last_verb = ""
        self.reader: io.BufferedReader | None = None

    def connect(
        self,
        host: str = "",
        port: int = 0,
        timeout: float = -999,
        source_address: tuple[str, int] | None = None,
    ) -> str:
        # ftplib's connect, but the control connection is read as bytes (see getline).
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), self.timeout)
        # Commands are small and each waits for its reply (ABOR and NOOP go back to back):
        # no Nagle delay on the control connection, as curl does.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.af = self.sock.family
        self.reader = self.sock.makefile("rb")
        welcome = self.getresp()
        # RFC 959 §5.4: "120 ready in nnn minutes" comes before the 220 it promises.
        while welcome.startswith("1"):
            welcome = self.getresp()
        self.welcome = welcome
        return welcome

    def putline(self, line: str) -> None:
        verb = line.partition(" ")[0].upper()
        if "\r" in line or "\n" in line:
            # A CR or LF would end the command early and start another the user never wrote.
            raise errors.ToolError(
                f"{self.where}: cannot send {printable(verb)} with a line break in its argument;"
                " FTP commands are one line"
            )
        if self.trace is not None:
            self.trace(">", _masked(line))
        if self.sock is None:
            raise EOFError
        self.last_verb = verb
        self.sock.sendall((line + "\r\n").encode(self.encoding, "surrogateescape"))

    def getline(self) -> str:
        if self.reader is None:
            raise EOFError
        raw = self.reader.readline(self.maxline + 1)
        if len(raw) > self.maxline:
            raise _Violation(f"a reply line is longer than {self.maxline} bytes")
        if not raw:
            raise EOFError
        line = decode(raw.removesuffix(b"\n").removesuffix(b"\r"))
        if self.trace is not None:
            self.trace("<", line)
        return line

    def getmultiline(self) -> str:
        # RFC 959 §4.2: "123-first" … "123 last"; lines between may say anything.
        lines = [self.getline()]
        code = lines[0][:3]
        if not (code.isascii() and code.isdigit()):
            # Not a reply at all ("SSH-2.0-…" would otherwise open a multi-line one that
            # never ends): say so now rather than wait for the timeout.
            raise ftplib.error_proto(lines[0])
        if lines[0][3:4] != "-":
            return lines[0]
        while True:
            if len(lines) >= MAX_REPLY_LINES:
                raise _Violation(f"a {printable(code)} reply ran past {MAX_REPLY_LINES} lines")
            line = self.getline()
            lines.append(line)
            if line[:3] == code and line[3:4] != "-":
                return "\n".join(lines)

    def makepasv(self) -> tuple[str, int]:
        if self.sock is None:
            raise EOFError
        peer = self.sock.getpeername()
        if self.epsv:
            try:
                return ftplib.parse229(self.sendcmd("EPSV"), peer)
            except ftplib.error_perm as refusal:
                if str(refusal)[:3] not in _NOT_IMPLEMENTED:
                    raise
                self.epsv = False  # an older server: PASV from now on, without asking again
        if self.af != socket.AF_INET:
            raise _Violation("the server refused EPSV, and PASV cannot work over IPv6")
        _untrusted, port = ftplib.parse227(self.sendcmd("PASV"))
        # The address PASV names is ignored, as ftplib does by default: a server (or whoever
        # sits between) could otherwise point the client at a third host (bpo-43285).
        return peer[0], port

    def makeport(self) -> socket.socket:
        # ftplib listens on every interface; the one the control connection uses is enough.
        if self.sock is None:
            raise EOFError
        local = self.sock.getsockname()[0]
        listener = socket.create_server((local, 0), family=self.af, backlog=1)
        try:
            port = listener.getsockname()[1]
            if self.af == socket.AF_INET:
                self.sendport(local, port)
            else:
                self.sendeprt(local, port)
        except BaseException:
            listener.close()
            raise
        listener.settimeout(self.timeout)
        return listener

    def ntransfercmd(
        self, cmd: str, rest: int | str | None = None
    ) -> tuple[socket.socket, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        try:
            # In active mode anyone could connect to the port first; only the server may.
            if (
                not self.passiveserver
                and self.sock is not None
                and conn.getpeername()[0] != self.sock.getpeername()[0]
            ):
                raise _Violation("the data connection came from an address not the server's")
            return self.secure(conn), size
        except BaseException:
            conn.close()
            raise

    def secure(self, conn: socket.socket) -> socket.socket:
        """The data connection as it is used: here, as it is."""
        return conn

    def close(self) -> None:
        reader, self.reader = self.reader, None
        try:
            if reader is not None:
                reader.close()
        finally:
            ftplib.FTP.close(self)


class _ControlTLS(_Control, ftplib.FTP_TLS):
    """The same, over explicit TLS (RFC 4217): AUTH TLS, then PROT P for the data connections."""

    def __init__(
        self, where: str, trace: Trace | None, timeout: float, context: ssl.SSLContext
    ) -> None:
        ftplib.FTP_TLS.__init__(self, context=context, timeout=timeout)
        self._setup(where, trace)
        self.protected = False

    def prot_p(self) -> str:
        reply = ftplib.FTP_TLS.prot_p(self)
        self.protected = True
        return reply

    def auth(self) -> str:
        reply = self.voidcmd("AUTH TLS")
        if self.sock is None:
            raise EOFError
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)
        reader, self.reader = self.reader, self.sock.makefile("rb")
        if reader is not None:
            reader.close()
        return reply

    def secure(self, conn: socket.socket) -> socket.socket:
        if not self.protected:
            return conn
        # Resuming the control connection's TLS session proves to the server that the data
        # connection comes from the same client (RFC 4217 §10.2); many servers insist on it.
        session = self.sock.session if isinstance(self.sock, ssl.SSLSocket) else None
        return self.context.wrap_socket(conn, server_hostname=self.host, session=session)


# -- replies to errors --------------------------------------------------------------------


def _first_line(reply: object) -> str:
    return printable(str(reply).partition("\n")[0])[:200]


def _from_reply(
    reply: str, where: str, doing: str, *, anonymous: bool, login: bool
) -> errors.ToolError:
    """The failure an FTP error reply (4yz or 5yz) to ``doing`` means."""
    code, said = reply[:3], _first_line(reply)
    if code == "530":
        hint = (
            "give --user NAME[:PASSWORD] or put them in the URL"
            if anonymous
            else "check the user name and password (URL, --user or ~/.netrc)"
        )
        return errors.LoginRefused(f"{where}: login refused ({said}); {hint}")
    if login and ("TLS" in said or "SSL" in said):
        # A server that takes logins only over TLS says so with 550 or 534 to USER.
        return errors.RemoteError(f"{where}: {doing}: the server answered {said}; try --tls")
    if code == "550" and not login:
        return errors.NotFound(f"{where}: {doing}: {said}; check the path")
    if code == "426":
        return errors.Truncated(f"{where}: {doing}: the transfer was cut ({said}); try again")
    later = "try again later" if code.startswith("4") else "the server will not do it"
    return errors.RemoteError(f"{where}: {doing}: the server answered {said}; {later}")


# -- the session ----------------------------------------------------------------------------


class Session:
    """One logged-in FTP control connection: list, size and retrieve; QUIT when closed.

    ``with Session(target) as ftp:`` connects and logs in (:meth:`open`) and quits at the end
    (:meth:`close`). ``active`` uses PORT instead of EPSV/PASV; ``tls`` is explicit FTPS,
    verified against ``tls_context`` (the system's CAs, or ``$SSL_CERT_FILE``, by default).
    ``timeout`` bounds every connect, read and write. ``trace`` sees every control line.
    """

    def __init__(
        self,
        target: Target,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        active: bool = False,
        tls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        trace: Trace | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.target = target
        self.where = target.where
        self._timeout = timeout
        self._active = active
        self._tls = tls
        self._tls_context = tls_context
        self._trace = trace
        self._control: _Control | None = None
        self._transfer: Transfer | None = None
        self._type: str | None = None
        self._features: dict[str, str] | None = None
        self._sizes: dict[str, int] = {}

    def __enter__(self) -> Session:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- opening and closing

    def open(self) -> None:
        """Connect, read the greeting, (AUTH TLS,) log in (, PBSZ 0, PROT P)."""
        if self._control is not None:
            return
        host, port = self.target.host, self.target.port
        control: _Control
        if self._tls:
            context = self._tls_context or ssl.create_default_context()
            control = _ControlTLS(self.where, self._trace, self._timeout, context)
        else:
            control = _Control(self.where, self._trace, self._timeout)
        control.set_pasv(not self._active)
        self._control = control
        credentials = self.target.credentials
        try:
            with self._guard(f"connecting to {printable(host)}"):
                control.connect(host, port)
                if isinstance(control, _ControlTLS):
                    with self._tls_refused("AUTH TLS"):
                        control.auth()
            with self._guard(f"logging in as {printable(credentials.user)}", login=True):
                control.login(credentials.user, credentials.password)
            if isinstance(control, _ControlTLS):
                with self._guard("protecting data connections"), self._tls_refused("PROT P"):
                    control.prot_p()
        except BaseException:
            self.close()  # QUIT if the server is still there: a refused login ends politely
            raise

    @contextlib.contextmanager
    def _tls_refused(self, command: str) -> Iterator[None]:
        try:
            yield
        except (ftplib.error_perm, ftplib.error_temp) as refusal:
            raise errors.TlsFailure(
                f"{self.where}: the server refused {command} ({_first_line(refusal)});"
                " it does not offer FTPS: leave out --tls to use it in clear"
            ) from None

    def close(self) -> None:
        """End the session: abort an open transfer, send QUIT and read its reply, close."""
        if self._transfer is not None:
            self._transfer.close()
        control, self._control = self._control, None
        if control is None:
            return
        try:
            if control.sock is not None:
                control.sock.settimeout(min(self._timeout, CLOSE_TIMEOUT))
            control.putcmd("QUIT")
            # The 221 (or whatever the server says as it goes) is read, so the server sees an
            # orderly end rather than a reset; its content changes nothing.
            control.getmultiline()
        except (OSError, EOFError, ftplib.Error, UnicodeError):
            pass
        finally:
            control.close()

    @property
    def closed(self) -> bool:
        """True before :meth:`open` and after :meth:`close` or a failure that ended the session."""
        return self._control is None

    def _drop(self) -> None:
        """Close the control connection without a word: after a failure nothing lines up."""
        control, self._control = self._control, None
        self._transfer = None
        if control is not None:
            control.close()

    def _require(self) -> _Control:
        if self._transfer is not None:
            raise RuntimeError("a transfer is open: read it to the end or close it first")
        if self._control is None:
            raise errors.ToolError(
                f"{self.where}: not connected (an earlier failure closed the connection);"
                " connect again"
            )
        return self._control

    @contextlib.contextmanager
    def _guard(self, doing: str, *, login: bool = False) -> Iterator[None]:
        """Turn what ftplib and sockets raise while ``doing`` into this package's errors."""
        anonymous = self.target.credentials.user == "anonymous"
        try:
            yield
        except (ftplib.error_perm, ftplib.error_temp) as reply:
            # A well-formed refusal: the conversation is still in step. 421 means the server
            # is closing the connection, though.
            if str(reply).startswith("421"):
                self._drop()
            raise _from_reply(
                str(reply), self.where, doing, anonymous=anonymous, login=login
            ) from None
        except _Violation as violation:
            self._drop()
            raise errors.ToolError(
                f"{self.where}: {doing}: {violation}; this is not an FTP server, or not a sound one"
            ) from None
        except (ftplib.error_reply, ftplib.error_proto) as reply:
            self._drop()
            raise errors.ToolError(
                f"{self.where}: {doing}: unexpected reply {_first_line(reply)};"
                " is this an FTP server?"
            ) from None
        except EOFError:
            self._drop()
            raise errors.Truncated(
                f"{self.where}: {doing}: the server closed the connection; try again later"
            ) from None
        except OSError as error:
            self._drop()
            raise errors.from_os_error(error, self.where) from None
        except UnicodeError:  # a name that cannot be sent (a lone surrogate not from the server)
            self._drop()
            raise errors.ToolError(
                f"{self.where}: {doing}: the path cannot be encoded for the server"
            ) from None

    def _set_type(self, control: _Control, code: str) -> None:
        # RFC 959 §3.1.1: A for listings (CRLF lines), I for files (bytes as they are).
        if self._type != code:
            control.voidcmd(f"TYPE {code}")
            self._type = code

    def _start(self, command: str, code: str, doing: str, rest: int | None = None) -> Transfer:
        control = self._require()
        with self._guard(doing):
            self._set_type(control, code)
            try:
                conn, announced = control.ntransfercmd(command, rest)
            except ftplib.error_perm as refusal:
                if control.last_verb == "REST" and str(refusal)[:3] in _NOT_IMPLEMENTED:
                    raise errors.RemoteError(
                        f"{self.where}: {doing}: the server cannot resume ({_first_line(refusal)});"
                        " fetch the whole file again"
                    ) from None
                raise
        transfer = Transfer(self, conn, doing, announced)
        self._transfer = transfer
        return transfer

    # -- what a server has

    def features(self) -> dict[str, str]:
        """FEAT's answer, asked once: feature name → parameters (empty for an old server)."""
        if self._features is None:
            control = self._require()
            with self._guard("asking for the server's features"):
                try:
                    self._features = parse_features(control.sendcmd("FEAT"))
                except ftplib.error_perm as refusal:
                    if str(refusal)[:3] not in _NOT_IMPLEMENTED:
                        raise
                    self._features = {}
        return self._features

    # -- listings

    def list(self, path: str = "") -> Generator[str, None, None]:
        """``LIST path``: each line as the server wrote it (the seed's DIR)."""
        return self._lines("LIST", path)

    def nlst(self, path: str = "") -> Generator[str, None, None]:
        """``NLST path``: one name a line (the seed's LS)."""
        return self._lines("NLST", path)

    def mlsd(self, path: str = "") -> Generator[Entry, None, None]:
        """``MLSD path``: each entry with its facts (RFC 3659); other lines are skipped."""
        for line in self._lines("MLSD", path):
            entry = parse_mlsd_line(line)
            if entry is not None:
                yield entry

    def _lines(self, verb: str, path: str) -> Generator[str, None, None]:
        # A path that starts with "-" would be read as ls options by many servers' LIST.
        argument = f"./{path}" if path.startswith("-") and verb != "MLSD" else path
        doing = f"listing {printable(path) or 'the login directory'}"
        with self._start(f"{verb} {argument}" if path else verb, "A", doing) as transfer:
            try:
                yield from split_lines(transfer, MAX_LISTING_LINE)
            except LineTooLong as error:
                self._drop()
                raise errors.ToolError(
                    f"{self.where}: {doing}: {error}; this is not a directory listing"
                ) from None

    def walk(
        self, path: str = "", *, unreadable: Callable[[str, errors.ToolError], None] | None = None
    ) -> Iterator[tuple[str, Entry]]:
        """Every entry under ``path``, a directory at a time, as (path below ``path``, entry).

        A directory below ``path`` that cannot be listed (a 550: no permission, or gone since
        its parent was listed) is passed to ``unreadable`` with the error, and the walk goes on,
        as ``ls -R`` does; without ``unreadable`` it ends the walk. ``path`` itself always must be.

        MLSD when FEAT lists MLST, else LIST lines read by
        :func:`~parlor.tools.ftp_listing.parse_list_line` (a line it cannot read is an entry
        of kind ``unknown``, not descended into). Links are never followed; ``.``, ``..``,
        ``cdir`` and ``pdir`` never descended into; a directory whose MLSD ``unique`` fact was
        seen before is listed but not entered again; past :data:`MAX_DEPTH` levels the walk
        stops with an error rather than follow a loop the server does not show.
        """
        by_mlsd = "MLST" in self.features()
        seen: set[str] = set()
        if by_mlsd:
            self._ask_for_unique()
            root = self._mlst(path)
            if root is not None and "unique" in root.facts:
                seen.add(root.facts["unique"])
        pending: list[tuple[str, int]] = [("", 0)]
        while pending:
            relative, depth = pending.pop()
            remote = posixpath.join(path, relative) if relative else path
            # A directory is read whole before the next command: one transfer at a time.
            try:
                entries = list(self.mlsd(remote) if by_mlsd else self._list_entries(remote))
            except errors.NotFound as error:
                if not relative or unreadable is None:
                    raise
                unreadable(relative, error)
                continue
            below: list[str] = []
            for entry in entries:
                if entry.kind in ("self", "parent") or entry.name in ("", ".", ".."):
                    if entry.kind == "self" and "unique" in entry.facts:
                        seen.add(entry.facts["unique"])
                    continue
                name = posixpath.join(relative, entry.name) if relative else entry.name
                yield name, entry
                if entry.kind != "dir" or "/" in entry.name:
                    continue
                unique = entry.facts.get("unique")
                if unique is not None:
                    if unique in seen:
                        continue
                    seen.add(unique)
                below.append(name)
            if below and depth >= MAX_DEPTH:
                raise errors.ToolError(
                    f"{self.where}: {printable(remote)} is {MAX_DEPTH} directories deep (a loop?);"
                    " list a directory further down instead"
                )
            pending.extend((name, depth + 1) for name in reversed(below))

    def _list_entries(self, path: str) -> Iterator[Entry]:
        for line in self.list(path):
            entry = parse_list_line(line)
            if entry is not None:
                yield entry
            elif not line.startswith("total "):
                yield Entry(line, "unknown")

    def _ask_for_unique(self) -> None:
        # RFC 3659 §7.9: FEAT lists the facts, starred when sent; ask for "unique" if it is
        # offered but off, since it is what tells a loop from a tree.
        offered = self.features().get("MLST", "")
        facts = [fact for fact in offered.split(";") if fact]
        if "unique" in (fact.lower() for fact in facts) and "unique*" not in offered.lower():
            wanted = [fact.rstrip("*") for fact in facts if fact.rstrip("*").lower() in _FACTS]
            control = self._require()
            with self._guard("choosing MLSD facts"), contextlib.suppress(ftplib.error_perm):
                control.sendcmd("OPTS MLST " + "".join(f"{fact};" for fact in wanted))

    def _mlst(self, path: str) -> Entry | None:
        control = self._require()
        with self._guard(f"looking at {printable(path) or 'the login directory'}"):
            try:
                reply = control.sendcmd(f"MLST {path}" if path else "MLST")
            except ftplib.error_perm:
                return None
        lines = reply.split("\n")
        return parse_mlsd_line(lines[1].lstrip(" ")) if len(lines) > 2 else None

    # -- files

    def size(self, path: str) -> int | None:
        """``SIZE path`` in binary mode (RFC 3659 §4); None when the server will not say.

        None covers a server without SIZE, a path that is not a plain file, and one that does
        not exist: :meth:`retrieve` then gives the reason. A refused login still raises.
        """
        control = self._require()
        with self._guard(f"asking the size of {printable(path)}"):
            self._set_type(control, "I")
            try:
                reply = control.sendcmd(f"SIZE {path}")
            except (ftplib.error_perm, ftplib.error_temp) as refusal:
                if str(refusal)[:3] in ("421", "530"):
                    raise
                return None
        text = reply[4:].strip()
        if reply[:3] != "213" or not (text.isascii() and text.isdigit()):
            return None
        self._sizes[path] = int(text)
        return int(text)

    def retrieve(self, path: str, offset: int = 0) -> Transfer:
        """``RETR path`` (after ``REST offset`` when ``offset`` > 0): the file's bytes from there.

        The command is sent now, so a missing file raises :class:`~parlor.tools.errors.NotFound`
        here, before anything is read. Iterate the :class:`Transfer` for chunks; close it (or
        leave its ``with``) to stop early. If :meth:`size` gave this path's size, fewer bytes
        than that (less ``offset``) raise :class:`~parlor.tools.errors.Truncated`.
        """
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        if not path or path.endswith("/"):
            raise errors.NotFound(f"{self.where}: the URL names a directory, not a file")
        doing = f"fetching {printable(path)}"
        transfer = self._start(f"RETR {path}", "I", doing, rest=offset or None)
        known = self._sizes.get(path)
        if known is not None:
            transfer.expected = max(0, known - offset)
        elif offset:
            transfer.expected = None  # what a 150 says after REST differs from server to server
        return transfer

    def _abort(self) -> None:
        """After a transfer closed early: ABOR, then NOOP, and read until NOOP's 200."""
        control = self._control
        if control is None:
            return
        try:
            if control.sock is not None:
                control.sock.settimeout(min(self._timeout, CLOSE_TIMEOUT))
            control.putcmd("ABOR")
            control.putcmd("NOOP")
            # At most: the transfer's reply (426 or 226), ABOR's (225 or 226), NOOP's 200.
            for _ in range(4):
                if control.getmultiline()[:3] == "200":
                    break
            else:
                raise _Violation("no reply to NOOP")
            if control.sock is not None:
                control.sock.settimeout(self._timeout)
        except (OSError, EOFError, ftplib.Error, UnicodeError):
            self._drop()


class Transfer:
    """One data connection's bytes as they arrive: iterate for chunks, close to stop early.

    Iteration ends once the data connection has closed and the server's final 2yz reply has
    been read. A cut connection, a 426, or fewer bytes than :attr:`expected` raise
    :class:`~parlor.tools.errors.Truncated`. :meth:`close` before the end aborts the transfer
    (ABOR) and leaves the session usable, or closed if the server did not answer in time.
    """

    def __init__(
        self, session: Session, conn: socket.socket, doing: str, expected: int | None
    ) -> None:
        self._session = session
        self._conn: socket.socket | None = conn
        self._doing = doing
        #: The bytes the server said it would send, when it said so; checked at the end.
        self.expected = expected
        #: The bytes received so far.
        self.received = 0

    def __iter__(self) -> Transfer:
        return self

    def __enter__(self) -> Transfer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def done(self) -> bool:
        """True once the transfer has ended, well or not."""
        return self._conn is None

    def __next__(self) -> bytes:
        conn = self._conn
        if conn is None:
            raise StopIteration
        session = self._session
        with session._guard(self._doing):
            try:
                chunk = conn.recv(CHUNK)
            except ConnectionError as error:
                self._end(conn)
                raise errors.Truncated(
                    f"{session.where}: {self._doing}: the data connection was cut after"
                    f" {self.received:,} bytes ({error.strerror or error}); try again"
                ) from None
            except BaseException:
                self._end(conn)
                raise
        if chunk:
            self.received += len(chunk)
            return chunk
        self._finish(conn)
        raise StopIteration

    def _end(self, conn: socket.socket) -> None:
        """The data connection is gone before its end: so is the session."""
        self._conn = None
        conn.close()
        self._session._drop()

    def _finish(self, conn: socket.socket) -> None:
        self._conn = None
        session = self._session
        session._transfer = None
        try:
            if isinstance(conn, ssl.SSLSocket):
                # The peer's close_notify has arrived; answer it. Servers that just close are
                # common, and the 226 and the byte count below judge the transfer anyway.
                with contextlib.suppress(OSError, ValueError):
                    conn.unwrap()
        finally:
            conn.close()
        control = session._control
        if control is None:  # pragma: no cover - only if closed from another thread
            raise errors.Truncated(f"{session.where}: {self._doing}: the session was closed")
        with session._guard(self._doing):
            control.voidresp()
        if self.expected is not None and self.received < self.expected:
            raise errors.Truncated(
                f"{session.where}: {self._doing}: {self.received:,} of {self.expected:,} bytes"
                " arrived before the server closed the data connection; try again"
            )

    def close(self) -> None:
        """Stop here: close the data connection and abort the transfer (nothing if it ended)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.close()
        self._session._transfer = None
        self._session._abort()


# -- what ``parlor ftp ls`` prints ----------------------------------------------------------

_KIND_MARK = {"file": "-", "dir": "d", "link": "l"}


def listing(
    session: Session,
    path: str,
    *,
    names: bool = False,
    recursive: bool = False,
    unreadable: Callable[[str, errors.ToolError], None] | None = None,
) -> Iterator[str]:
    """The lines ``parlor ftp ls`` prints for ``path``, not yet escaped for a terminal.

    LIST's lines, or NLST's with ``names``. With ``recursive``, one line per entry of the tree
    (:meth:`Session.walk`): its path below ``path``, a ``/`` after a directory's; without
    ``names`` the path follows a kind mark (``-`` file, ``d`` directory, ``l`` link, ``?``) and
    the size, when known. ``unreadable``: see :meth:`Session.walk`.
    """
    if not recursive:
        return session.nlst(path) if names else session.list(path)
    return _tree(session.walk(path, unreadable=unreadable), names)


def _tree(entries: Iterator[tuple[str, Entry]], names: bool) -> Iterator[str]:
    for name, entry in entries:
        shown = name + "/" if entry.kind == "dir" else name
        if names:
            yield shown
        else:
            size = "-" if entry.size is None or entry.kind == "dir" else str(entry.size)
            yield f"{_KIND_MARK.get(entry.kind, '?')} {size:>12} {shown}"
