"""What an FTP server's listings say, read without a socket: LIST lines, MLSD facts, FEAT.

An FTP server describes a directory three ways, and this module reads each as values:

``LIST`` (RFC 959 §4.1.3, the seed's DIR)
    Lines meant for people, in whatever format the server's ``ls`` has. There is no standard,
    but almost every server writes the Unix ``ls -l`` shape, and Windows servers the DOS one::

        drwxr-xr-x   2 ftp      ftp          4096 Mar 07 12:00 pub
        -rw-r--r--   1 ftp      ftp        104857 Mar 07  2023 notes.txt
        lrwxrwxrwx   1 ftp      ftp             4 Mar 07 12:00 latest -> pub
        03-07-24  12:00PM       <DIR>          pub
        03-07-24  12:00PM               104857 notes.txt

    :func:`parse_list_line` reads those two shapes into an :class:`Entry` and gives None for
    anything else (``total 12``, a banner line), so a tree walk can tell directories only where
    the line says so plainly.

``NLST`` (RFC 959 §4.1.3, the seed's LS)
    One name a line, nothing else: nothing to parse.

``MLSD`` (RFC 3659 §7)
    One entry a line as machine-readable facts, then one space, then the name::

        type=dir;size=4096;modify=20240307120000;unique=803g21; pub

    :func:`parse_mlsd_line` reads it. Fact names are case-insensitive (lowered here); values
    are kept as sent. ``type=cdir`` and ``type=pdir`` are the directory itself and its parent:
    :attr:`Entry.kind` says so, so a walk never descends into them.

``FEAT`` (RFC 2389 §3.2) says which of these a server has: :func:`parse_features`.

Lines on the wire are bytes. :func:`split_lines` cuts a data connection's chunks into lines of
at most a given length and decodes them as UTF-8 (RFC 2640) with ``surrogateescape``, so a name
in another encoding survives a round trip back to the server unchanged. Whatever a server sends
may hold terminal controls; :func:`parlor.tools.terminal.printable` is what a terminal may
be shown.

This module is pure: no I/O, no clock, no module state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from parlor.tools.terminal import printable

__all__ = [
    "Entry",
    "Kind",
    "LineTooLong",
    "decode",
    "parse_features",
    "parse_list_line",
    "parse_mlsd_line",
    "printable",
    "split_lines",
]

#: What an entry is. ``self`` and ``parent`` are MLSD's ``cdir`` and ``pdir``; ``unknown`` is a
#: line that said nothing parseable about its entry.
Kind = Literal["file", "dir", "link", "other", "self", "parent", "unknown"]


@dataclass(frozen=True)
class Entry:
    """One entry of a directory listing."""

    name: str
    kind: Kind
    size: int | None = None
    #: MLSD's facts, names lowered (``{"type": "file", "modify": "20240307120000", …}``);
    #: empty for an entry read from a LIST line.
    facts: Mapping[str, str] = field(default_factory=dict)


class LineTooLong(ValueError):
    """A line longer than the limit: the peer is not sending a listing (or not FTP)."""


def decode(raw: bytes) -> str:
    """One line's bytes as text: UTF-8, with any other byte kept as a lone surrogate."""
    return raw.decode("utf-8", "surrogateescape")


def split_lines(chunks: Iterable[bytes], max_line: int) -> Iterator[str]:
    """The lines of a data connection's ``chunks``, without their CRLF or LF.

    A last line without a line end is still a line. A line longer than ``max_line`` bytes
    raises :class:`LineTooLong` as soon as that many bytes have arrived without a line end,
    so a peer cannot make a listing grow memory without bound.
    """
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if len(raw) > max_line:
                raise LineTooLong(f"a listing line is longer than {max_line} bytes")
            yield decode(raw[:-1] if raw.endswith(b"\r") else raw)
        if len(pending) > max_line:
            raise LineTooLong(f"a listing line is longer than {max_line} bytes")
    if pending:
        yield decode(pending[:-1] if pending.endswith(b"\r") else pending)


# -- LIST ---------------------------------------------------------------------------------

# The Unix shape: mode, links, owner, [group,] size, month, day, time or year, one space, name.
# The owner and group may be numbers, so "one or two words before the size" is the only rule
# that holds; the date anchors the name, which may contain spaces (but begins after exactly
# one, as ls and every FTP server write it).
_UNIX = re.compile(
    r"(?P<mode>[-dlbcpsD])[-rwxsStTl]{9}[.+@]?\s+\d+\s+(?:\S+\s+){1,2}?(?P<size>\d+)\s+"
    r"[A-Za-z]{3}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4})\s(?P<name>.+)"
)
# The DOS shape (IIS and others): date, time, then <DIR> or a size, then the name.
_DOS = re.compile(
    r"\d{2}-\d{2}-\d{2,4}\s+\d{1,2}:\d{2}(?:[AaPp][Mm])?\s+(?:(?P<dir><DIR>)|(?P<size>\d+))\s+"
    r"(?P<name>.+)"
)
_UNIX_KINDS: dict[str, Kind] = {"-": "file", "d": "dir", "l": "link"}


def parse_list_line(line: str) -> Entry | None:
    """The entry a Unix- or DOS-style LIST line describes; None for any other line."""
    unix = _UNIX.fullmatch(line)
    if unix is not None:
        kind = _UNIX_KINDS.get(unix["mode"], "other")
        name = unix["name"]
        if kind == "link":
            # "name -> target": the name is what comes before the arrow (a name holding
            # " -> " itself is ambiguous in LIST; MLSD has no such problem).
            name = name.partition(" -> ")[0]
        return Entry(name, kind, int(unix["size"]))
    dos = _DOS.fullmatch(line)
    if dos is not None:
        if dos["dir"]:
            return Entry(dos["name"], "dir")
        return Entry(dos["name"], "file", int(dos["size"]))
    return None


# -- MLSD ---------------------------------------------------------------------------------


def _mlsd_kind(value: str) -> Kind:
    value = value.lower()
    if value == "file":
        return "file"
    if value == "dir":
        return "dir"
    if value == "cdir":
        return "self"
    if value == "pdir":
        return "parent"
    # RFC 3659 §7.5.1 leaves the rest to "OS." names; Unix servers say OS.unix=symlink or
    # OS.unix=slink:TARGET for a link.
    if value.startswith(("os.unix=slink", "os.unix=symlink")):
        return "link"
    return "other"


def parse_mlsd_line(line: str) -> Entry | None:
    """The entry an MLSD line (``fact=value;…; name``) describes; None if it is not one."""
    facts_text, space, name = line.partition(" ")
    if not space or not name:
        return None
    facts: dict[str, str] = {}
    for fact in facts_text.split(";"):
        key, equals, value = fact.partition("=")
        if equals:
            facts[key.lower()] = value
    size_text = facts.get("size", "")
    size = int(size_text) if size_text.isdigit() and size_text.isascii() else None
    kind = _mlsd_kind(facts["type"]) if "type" in facts else "unknown"
    return Entry(name, kind, size, facts)


# -- FEAT ---------------------------------------------------------------------------------


def parse_features(reply: str) -> dict[str, str]:
    """The features a 211 FEAT reply lists: upper-cased name → its parameters (maybe "")."""
    features: dict[str, str] = {}
    lines = reply.split("\n")
    # RFC 2389 §3.2: the first and last lines are the 211 frame; each line between is one
    # feature, indented by a space.
    for line in lines[1:-1]:
        name, _, parameters = line.strip().partition(" ")
        if name:
            features[name.upper()] = parameters
    return features
