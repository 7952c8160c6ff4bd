"""Which name and password a tool sends to a host: the URL's, ``--user``'s, or ``~/.netrc``'s.

The order is curl's: credentials in the URL (``ftp://user:pass@host/``, percent-decoded) win,
then ``--user NAME[:PASSWORD]``, then the ``machine`` (or ``default``) entry of the netrc file
(``$NETRC`` or ``~/.netrc``, read with the standard library's :mod:`netrc`). Nothing found is
None: anonymous FTP, or no ``Authorization`` for HTTP. A ``--user`` without a password takes
the URL's or netrc's password for that name when there is one, else the empty password; the
command line asks for one interactively before it gets here.
"""

from __future__ import annotations

import netrc
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=…)"  # never the password in a log


def netrc_path() -> Path:
    """``$NETRC`` if set, else ``~/.netrc``."""
    return Path(os.environ.get("NETRC") or Path.home() / ".netrc")


def from_netrc(host: str, path: Path | None = None) -> Credentials | None:
    """The netrc entry for ``host`` (or its ``default``); None when there is no usable one."""
    path = path or netrc_path()
    try:
        entries = netrc.netrc(str(path))
    except (FileNotFoundError, netrc.NetrcParseError, PermissionError):
        # A broken or unreadable netrc is treated as absent rather than fatal, as curl does.
        return None
    found = entries.authenticators(host)
    if found is None:
        return None
    login, _account, password = found
    return Credentials(login, password or "")


def split_user_option(option: str) -> tuple[str, str | None]:
    """``NAME:PASSWORD`` → (name, password); ``NAME`` → (name, None), split at the first colon."""
    name, colon, password = option.partition(":")
    return name, (password if colon else None)


def resolve(
    url: SplitResult, user_option: str | None = None, *, netrc_file: Path | None = None
) -> Credentials | None:
    """The credentials to send to ``url``'s host, by the order above."""
    if url.username is not None:
        return Credentials(unquote(url.username), unquote(url.password or ""))
    host = url.hostname or ""
    if user_option is not None:
        name, password = split_user_option(user_option)
        if password is None:
            entry = from_netrc(host, netrc_file)
            password = entry.password if entry is not None and entry.user == name else ""
        return Credentials(name, password)
    return from_netrc(host, netrc_file)
