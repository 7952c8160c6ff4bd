"""``parlor fetch``: the seed's urlreader, as the downloader one would reach for instead of curl.

Three ways to take a body (:mod:`parlor.tools.sources` opens it, whatever the scheme):

- :func:`count`: read it to the end and return its length, the seed's
  ``print len(dictXML.read())``, without keeping it;
- :func:`copy_to`: write it to a stream (``-o -``, standard output);
- :func:`save`: write it to a file, safely.

Saving
------
The body goes to ``FILE.part`` beside ``FILE`` and is renamed over ``FILE`` (``os.replace``,
atomic on one file system) only once it is whole and, with ``sha256``, verified. So an
interrupted fetch never leaves a truncated ``FILE`` that looks complete, and a failed one never
touches a ``FILE`` the user already had. What was interrupted stays in ``FILE.part``.

``resume=True`` (``--continue``) starts at the size of ``FILE.part``, or, when there is no part
but ``FILE`` exists, at the size of ``FILE`` (copied to the part first, so a failure still
leaves ``FILE`` as it was): the source is asked for the rest (HTTP ``Range``, FTP ``REST``). A
server that answers with the whole body instead is taken at its word: the part starts over.
A part that is already whole (HTTP 416 naming its size) is renamed as it is.

``sha256`` is checked over the whole result, resumed prefix included; on a mismatch the part is
deleted (it is not the user's) and :class:`~parlor.tools.errors.ChecksumMismatch` raised.
A body shorter than the size its source announced raises
:class:`~parlor.tools.errors.Truncated` and keeps the part for ``--continue``.

Progress is reported to a :class:`Progress` (the command line's is a Rich bar): ``start`` once
with the total (or None) and the bytes already there, then ``advance`` per chunk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from parlor.tools.errors import CannotWrite, ChecksumMismatch, TimedOut, ToolError, Truncated
from parlor.tools.sources import Body, Request, local_source, open_body

PART_SUFFIX = ".part"
T = TypeVar("T")


class Progress(Protocol):
    def start(self, total: int | None, done: int) -> None: ...

    def advance(self, size: int) -> None: ...


class NoProgress:
    """A Progress that shows nothing."""

    def start(self, total: int | None, done: int) -> None:
        pass

    def advance(self, size: int) -> None:
        pass


@dataclass(frozen=True)
class Fetched:
    """What a fetch did: bytes in the result, the bytes it started from, and the hash if asked."""

    size: int
    resumed_from: int
    sha256: str | None
    path: Path | None = None


def part_path(target: Path) -> Path:
    return target.with_name(target.name + PART_SUFFIX)


def normalise_sha256(expected: str | None) -> str | None:
    """``expected`` as 64 lower-case hex digits, or ToolError; None stays None."""
    if expected is None:
        return None
    digest = expected.strip().casefold()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ToolError(f"--sha256 {expected!r} is not 64 hex digits")
    return digest


def _check(hasher: hashlib._Hash | None, expected: str | None, where: str) -> str | None:
    if hasher is None:
        return None
    found = hasher.hexdigest()
    if expected is not None and found != expected:
        raise ChecksumMismatch(f"{where}: SHA-256 is {found}, not {expected}; nothing was kept")
    return found


def _drain(
    body: Body,
    sink: BinaryIO | None,
    hasher: hashlib._Hash | None,
    progress: Progress,
    request: Request,
) -> int:
    """Copy the body's chunks to ``sink`` (or nowhere), hashing them; return the bytes read.
    Past ``request.max_time`` (counted from here), TimedOut."""
    read = 0
    deadline = None if request.max_time is None else time.monotonic() + request.max_time
    for chunk in body.chunks():
        if deadline is not None and time.monotonic() > deadline:
            raise TimedOut(
                f"{request.shown_url}: not done after --max-time {request.max_time:g} s"
                f" ({read:,} bytes read)"
            )
        if sink is not None:
            try:
                sink.write(chunk)
            except OSError as error:
                raise CannotWrite(f"cannot write the output: {error.strerror or error}") from None
        if hasher is not None:
            hasher.update(chunk)
        read += len(chunk)
        progress.advance(len(chunk))
    return read


def _expect_whole(body: Body, size: int, url: str) -> None:
    if body.total is not None and size != body.total:
        raise Truncated(f"{url}: the body ended at {size} of {body.total} bytes")


def count(
    request: Request, *, sha256: str | None = None, progress: Progress | None = None
) -> Fetched:
    """Read the whole body and return how long it is (and its hash when ``sha256`` is given)."""
    return copy_to(request, None, sha256=sha256, progress=progress)


def copy_to(
    request: Request,
    sink: BinaryIO | None,
    *,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Write the whole body to ``sink`` (None: nowhere) and return what was done."""
    expected = normalise_sha256(sha256)
    progress = progress or NoProgress()
    hasher = hashlib.sha256() if expected is not None else None
    with open_body(request) as body:
        progress.start(body.total, 0)
        size = _drain(body, sink, hasher, progress, request)
        _expect_whole(body, size, request.shown_url)
    return Fetched(size, 0, _check(hasher, expected, request.shown_url))


def _hash_prefix(handle: BinaryIO, size: int, hasher: hashlib._Hash) -> None:
    handle.seek(0)
    left = size
    while left > 0:
        block = handle.read(min(left, 1 << 20))
        if not block:
            break
        hasher.update(block)
        left -= len(block)
    handle.seek(size)


def _prepare_part(target: Path, part: Path, resume: bool) -> int:
    """The offset to resume from: the part's size, else a copy of the target's, else 0."""
    if part.is_symlink() or (part.exists() and not part.is_file()):
        # In a shared folder anyone may plant FILE.part: never write through it.
        raise CannotWrite(f"{part} is not a plain file; remove it, then fetch again")
    if not resume:
        return 0
    if part.is_file():
        return part.stat().st_size
    if target.is_file():
        shutil.copyfile(target, part)
        return part.stat().st_size
    return 0


def _check_target(target: Path) -> None:
    if target.is_dir():
        raise CannotWrite(f"{target} is a directory; give -o a file name")
    if not target.parent.is_dir():
        raise CannotWrite(f"{target.parent} does not exist; create it or choose another -o")


def _is_special(target: Path) -> bool:
    """A device, a FIFO or a socket (``-o /dev/null``): written to, never replaced."""
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _same_file(request: Request, path: Path) -> bool:
    """Whether ``request`` reads the very file ``path`` (a file URL of it)."""
    source = local_source(request)
    try:
        return source is not None and path.exists() and os.path.samefile(source, path)
    except OSError:
        return False


def save(
    request: Request,
    target: Path,
    *,
    resume: bool = False,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> Fetched:
    """Fetch into ``target`` through ``target.part``; see the module docstring."""
    expected = normalise_sha256(sha256)
    progress = progress or NoProgress()
    try:
        _check_target(target)
        special = _is_special(target)
    except ValueError:  # a NUL in the name
        raise CannotWrite(f"{target!r} is not a file name; choose another -o") from None
    if special:
        if resume:
            raise ToolError(f"--continue cannot resume into {target}, which is not a file")
        with _writing(target, lambda: target.open("wb")) as sink:
            fetched = copy_to(request, sink, sha256=sha256, progress=progress)
        return Fetched(fetched.size, 0, fetched.sha256, target)
    part = part_path(target)
    if _same_file(request, part):
        raise CannotWrite(f"{part} is what the URL reads; save it under another -o")
    offset = _writing(part, lambda: _prepare_part(target, part, resume))
    with open_body(request, offset) as body:
        start = body.offset
        hasher = hashlib.sha256() if expected is not None else None
        with _writing(part, lambda: _open_part(part, start)) as out:
            if hasher is not None and start:
                _hash_prefix(out, start, hasher)
            progress.start(body.total, start)
            size = start + _drain(body, out, hasher, progress, request)
        _expect_whole(body, size, request.shown_url)
    try:
        found = _check(hasher, expected, request.shown_url)
    except ChecksumMismatch:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, target)
    return Fetched(size, start, found, target)


def _writing(part: Path, action: Callable[[], T]) -> T:
    """``action()``, with an OSError (a full disk, a read-only folder) said as CannotWrite."""
    try:
        return action()
    except OSError as error:
        raise CannotWrite(f"{part}: {error.strerror or error}") from None
    except ValueError:  # a NUL in the name
        raise CannotWrite(f"{part!r} is not a file name; choose another -o") from None


def _open_part(part: Path, start: int) -> BinaryIO:
    """``FILE.part`` opened to append at ``start`` (cut back to it), or made anew at 0;
    never through a symbolic link (``O_NOFOLLOW``), and a new one only if none is there."""
    if start:
        flags = os.O_RDWR
    else:
        part.unlink(missing_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL
    descriptor = os.open(part, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
    handle = os.fdopen(descriptor, "r+b")
    handle.truncate(start)
    handle.seek(start)
    return handle
