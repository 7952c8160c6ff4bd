"""Uploads: files from a form, streamed to a directory under names the server makes.

A client's filename is a claim, never a path. Each file is written under
``secrets.token_hex(16)`` plus a suffix from a small allowlist mapped from the
client's extension (``.PGN`` -> ``.pgn``; ``.html``, ``.svg``, ``.php`` or none
-> no suffix), so no upload can choose where it lands, overwrite another, or
be handed to a browser or an interpreter as a type its sender chose. The
client's name is kept only as metadata, sanitized (``sanitize_filename``).

The directory must not be under any path the server serves: a file in it
would be one URL away from the world, with content a stranger wrote.
``UploadStore(directory, served=[...])`` refuses such a directory (ValueError).

Writing is all or nothing. A file is created with ``O_CREAT | O_EXCL``, mode
0o600, under a temporary ``.part`` name, hashed with SHA-256 as it streams,
and renamed into place only when it is complete; on every failure — a file
over ``max_file_bytes``, a truncated body, a client gone, any exception — the
partial is deleted (``Upload.abort``), so no half file is ever left behind.

Usage, with the forms pipe (``parlor.wsgi.forms.Forms(app, uploads=store)``)
or alone, e.g. in a resource reading a body of its own:

    store = UploadStore(directory, served=[static_dir])
    with store.batch() as batch:        # one request's files; deleted on an exception
        with batch.begin("game.pgn", "application/x-chess-pgn") as upload:
            for chunk in chunks:
                upload.write(chunk)     # UploadTooLarge past max_file_bytes
            stored = upload.finish()    # a StoredFile; ``batch.files`` lists it

Who owns a stored file: the app, from the moment its handler is given it. It
moves the file into its own storage (``os.replace``) or deletes it
(``discard``); nothing deletes a file behind its back, except that the forms
pipe deletes a request's files when its handler raises.

Exceptions:

    UploadError              (never raised itself)
    └── UploadTooLarge       a file over max_file_bytes, or more than max_files (413)
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Self

#: The suffixes a stored file may have, by the client's (lower-cased) extension.
SUFFIXES: Mapping[str, str] = MappingProxyType(
    {
        ".pgn": ".pgn",
        ".fen": ".fen",
        ".txt": ".txt",
        ".csv": ".csv",
        ".json": ".json",
        ".png": ".png",
        ".jpg": ".jpg",
        ".jpeg": ".jpg",
        ".gif": ".gif",
        ".webp": ".webp",
    }
)
#: The longest client filename kept as metadata, in characters.
MAX_FILENAME = 128
_TEMPORARY = ".part"
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class UploadError(Exception):
    """An upload refused; ``status`` is the HTTP status that says why."""

    status = 400


class UploadTooLarge(UploadError):
    """A file larger than the store takes, or one file more than a request may bring."""

    status = 413


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A complete upload: where it is, what it holds, and what the client said it was."""

    path: Path
    size: int
    sha256: str
    filename: str
    content_type: str


def sanitize_filename(name: str) -> str:
    """The client's filename, safe to keep and show (never to use as a path).

    Only the last segment of either kind of path survives (a browser may send
    ``C:\\dir\\x``); controls and other non-characters (NUL, bidi overrides
    that make ``exe.txt`` read ``txt.exe``) are dropped; the rest is NFC and
    at most MAX_FILENAME characters, keeping a short extension. "" if nothing
    is left.
    """
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        name = name[2:]  # "C:x", a drive-relative Windows path
    name = name.strip()
    if name in (".", ".."):
        return ""
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        keep = dot + extension if stem and len(extension) <= 16 else ""
        name = name[: MAX_FILENAME - len(keep)] + keep
    return name


def _content_type(claimed: str | None) -> str:
    """The client's media type, lower-cased and without parameters, if it is one."""
    media = (claimed or "").split(";", 1)[0].strip().lower()
    kind, slash, subtype = media.partition("/")
    plausible = slash and kind and subtype and (kind + subtype).isascii()
    if not plausible or not all(c.isalnum() or c in "!#$&-^_.+" for c in kind + subtype):
        return "application/octet-stream"
    return media


def discard(files: Iterable[StoredFile]) -> None:
    """Delete stored files (those already moved or deleted are skipped)."""
    for stored in files:
        stored.path.unlink(missing_ok=True)


class UploadStore:
    """Where uploads go, and how large and how many they may be."""

    def __init__(
        self,
        directory: Path,
        *,
        max_file_bytes: int = 1024 * 1024,
        max_files: int = 8,
        served: Iterable[Path] = (),
        suffixes: Mapping[str, str] = SUFFIXES,
    ) -> None:
        if max_file_bytes < 0 or max_files < 0:
            raise ValueError("max_file_bytes and max_files are counts, never negative")
        directory = Path(directory).resolve()
        for path in served:
            root = Path(path).resolve()
            if directory.is_relative_to(root):
                raise ValueError(f"{directory} is served (under {root}): uploads must not be")
        self.directory = directory
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self._suffixes = dict(suffixes)

    def begin(self, filename: str = "", content_type: str | None = None) -> Upload:
        """Start one file (``filename`` as the client gave it, unsanitized)."""
        name = sanitize_filename(filename)
        suffix = self._suffixes.get(os.path.splitext(name)[1].lower(), "")
        # Made with the first upload, not before: a server that is never sent a
        # file leaves nothing behind in its working directory.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Upload(self, name, _content_type(content_type), suffix)

    def batch(self) -> UploadBatch:
        """A new batch: one request's files, at most ``max_files`` of them."""
        return UploadBatch(self)


class Upload:
    """One file being written; ``finish`` makes it a StoredFile, ``abort`` leaves nothing."""

    def __init__(self, store: UploadStore, filename: str, content_type: str, suffix: str) -> None:
        self._store = store
        self._filename = filename
        self._content_type = content_type
        self._token = secrets.token_hex(16)
        self._final = store.directory / (self._token + suffix)
        self._partial = store.directory / (self._token + _TEMPORARY)
        self._hash = hashlib.sha256()
        self._size = 0
        #: The complete file, once ``finish`` has renamed it into place.
        self.stored: StoredFile | None = None
        # O_EXCL: the name is new, or this fails; no link or file of anyone's is followed.
        descriptor = os.open(self._partial, _FLAGS, 0o600)
        try:
            self._file: IO[bytes] | None = os.fdopen(descriptor, "wb")
        except BaseException:
            os.close(descriptor)
            self._partial.unlink(missing_ok=True)
            raise

    def write(self, data: bytes) -> None:
        """Append ``data``; UploadTooLarge (and nothing left on disk) past the limit."""
        if self._file is None:
            raise ValueError("this upload is finished or aborted")
        if self._size + len(data) > self._store.max_file_bytes:
            self.abort()
            raise UploadTooLarge(f"a file may be at most {self._store.max_file_bytes} bytes")
        try:
            self._file.write(data)
        except BaseException:
            self.abort()
            raise
        self._hash.update(data)
        self._size += len(data)

    def finish(self) -> StoredFile:
        """Flush, sync and rename the file into place; on any failure nothing is left."""
        if self._file is None:
            raise ValueError("this upload is finished or aborted")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())  # the name appears only once the bytes are on disk
            self._file.close()
            self._file = None
            os.replace(self._partial, self._final)
        except BaseException:
            self.abort()
            raise
        self.stored = StoredFile(
            self._final, self._size, self._hash.hexdigest(), self._filename, self._content_type
        )
        return self.stored

    def abort(self) -> None:
        """Close and delete the partial file (safe to call more than once, or after finish)."""
        file, self._file = self._file, None
        try:
            if file is not None:
                file.close()
        finally:
            if self.stored is None:
                self._partial.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()  # a finished upload stays; any other is deleted


class UploadBatch:
    """One request's files: at most ``max_files``; ``discard`` deletes them all."""

    def __init__(self, store: UploadStore) -> None:
        self._store = store
        self._uploads: list[Upload] = []

    @property
    def files(self) -> list[StoredFile]:
        """The batch's finished files, in the order they were begun."""
        return [upload.stored for upload in self._uploads if upload.stored is not None]

    def begin(self, filename: str = "", content_type: str | None = None) -> Upload:
        """Start the batch's next file; UploadTooLarge if it would be one too many."""
        if len(self._uploads) >= self._store.max_files:
            raise UploadTooLarge(f"a request may bring at most {self._store.max_files} files")
        upload = self._store.begin(filename, content_type)
        self._uploads.append(upload)
        return upload

    def discard(self) -> None:
        """Abort every file still being written and delete every finished one."""
        try:
            for upload in self._uploads:
                upload.abort()
        finally:
            discard(self.files)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if error is not None:
            self.discard()
