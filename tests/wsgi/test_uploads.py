"""The upload store: server-made names, all-or-nothing writes, never under a served path."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from parlor.wsgi.uploads import (
    MAX_FILENAME,
    StoredFile,
    UploadStore,
    UploadTooLarge,
    discard,
    sanitize_filename,
)


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_a_file_is_stored_whole_under_a_server_made_name(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "up")
    with store.begin("../my game.PGN", "application/x-chess-pgn; charset=utf-8") as upload:
        upload.write(b"1. e4 e5 ")
        upload.write(b"2. Nf3 *")
        stored = upload.finish()
    assert stored.path.parent == store.directory
    assert stored.path.read_bytes() == b"1. e4 e5 2. Nf3 *"
    assert stored.size == 17
    assert stored.sha256 == hashlib.sha256(b"1. e4 e5 2. Nf3 *").hexdigest()
    assert stored.filename == "my game.PGN"
    assert stored.content_type == "application/x-chess-pgn"
    assert len(stored.path.stem) == 32
    assert stored.path.suffix == ".pgn"
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o600
    assert listing(store.directory) == [stored.path.name]  # no .part left


def test_the_directory_is_made_private_by_the_first_upload(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "a" / "b")
    assert not store.directory.exists()  # a server never sent a file writes nothing
    with store.begin("x.txt") as upload:
        upload.write(b"x")
        upload.finish()
    assert store.directory.is_dir()
    assert stat.S_IMODE(store.directory.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("game.pgn", ".pgn"),
        ("GAME.PGN", ".pgn"),
        ("photo.jpeg", ".jpg"),
        ("notes.txt", ".txt"),
        ("page.html", ""),
        ("image.svg", ""),
        ("shell.php", ""),
        ("archive.tar.gz", ""),
        ("x.pgn.html", ""),
        ("x.html.pgn", ".pgn"),
        ("noextension", ""),
        (".pgn", ""),  # a dot file, not an extension
        ("", ""),
    ],
)
def test_the_suffix_comes_from_an_allowlist(tmp_path: Path, filename: str, suffix: str) -> None:
    store = UploadStore(tmp_path)
    with store.begin(filename) as upload:
        stored = upload.finish()
    assert stored.path.suffix == suffix
    assert stored.path.name == stored.path.stem + suffix


@pytest.mark.parametrize(
    ("client", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x", "x"),
        ("/abs", "abs"),
        ("C:\\x", "x"),
        ("C:x.txt", "x.txt"),
        ("a\x00b.txt", "ab.txt"),
        ("line\r\nbreak.txt", "linebreak.txt"),
        ("\u202etxt.exe", "txt.exe"),  # a right-to-left override would show "exe.txt"
        ("e\u0301chec.pgn", "\u00e9chec.pgn"),  # NFC
        ("棋譜.pgn", "棋譜.pgn"),
        ("..", ""),
        (".", ""),
        ("dir/", ""),
        ("  spaced.txt  ", "spaced.txt"),
        ("a" * 1000 + ".pgn", "a" * (MAX_FILENAME - 4) + ".pgn"),
        ("a" * 1000, "a" * MAX_FILENAME),
        ("a" * 1000 + "." + "b" * 40, "a" * MAX_FILENAME),  # too long to be an extension
    ],
)
def test_sanitize_filename(client: str, kept: str) -> None:
    assert sanitize_filename(client) == kept
    assert len(sanitize_filename(client)) <= MAX_FILENAME


@pytest.mark.parametrize(
    ("claimed", "kept"),
    [
        (None, "application/octet-stream"),
        ("", "application/octet-stream"),
        ("Text/Plain; charset=utf-8", "text/plain"),
        ("image/png", "image/png"),
        ("nonsense", "application/octet-stream"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("tëxt/plain", "application/octet-stream"),
    ],
)
def test_the_content_type_is_a_media_type_or_octet_stream(
    tmp_path: Path, claimed: str | None, kept: str
) -> None:
    with UploadStore(tmp_path).begin("x", claimed) as upload:
        assert upload.finish().content_type == kept


def test_two_files_of_the_same_name_are_stored_apart(tmp_path: Path) -> None:
    store = UploadStore(tmp_path)
    stored = []
    for content in (b"one", b"two"):
        with store.begin("same.txt") as upload:
            upload.write(content)
            stored.append(upload.finish())
    assert stored[0].path != stored[1].path
    assert [s.path.read_bytes() for s in stored] == [b"one", b"two"]


def test_a_file_over_the_limit_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    store = UploadStore(tmp_path, max_file_bytes=10)
    upload = store.begin("big.txt")
    upload.write(b"0123456789")  # exactly the limit is fine
    with pytest.raises(UploadTooLarge):
        upload.write(b"!")
    assert listing(tmp_path) == []
    with pytest.raises(ValueError, match="finished or aborted"):
        upload.write(b"more")


@pytest.mark.parametrize("how", ["abort", "exception", "never-finished"])
def test_an_unfinished_upload_leaves_nothing(tmp_path: Path, how: str) -> None:
    store = UploadStore(tmp_path)
    if how == "abort":
        upload = store.begin("x.txt")
        upload.write(b"half")
        upload.abort()
        upload.abort()  # twice is fine
    elif how == "exception":
        with pytest.raises(ConnectionError), store.begin("x.txt") as upload:
            upload.write(b"half")
            raise ConnectionError("client gone")
    else:
        with store.begin("x.txt") as upload:
            upload.write(b"half")
    assert listing(tmp_path) == []


def test_finish_twice_is_refused_and_the_file_stays(tmp_path: Path) -> None:
    with UploadStore(tmp_path).begin("x.txt") as upload:
        stored = upload.finish()
        with pytest.raises(ValueError, match="finished or aborted"):
            upload.finish()
    assert stored.path.exists()


def test_a_failing_rename_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_replace(source: object, target: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", failing_replace)
    upload = UploadStore(tmp_path).begin("x.txt")
    upload.write(b"data")
    with pytest.raises(OSError, match="disk gone"):
        upload.finish()
    assert listing(tmp_path) == []


def test_an_existing_name_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # O_EXCL: even a symlink planted at the very name the store picks is not followed.
    target = tmp_path / "target"
    target.write_bytes(b"precious")
    store = UploadStore(tmp_path / "up")
    store.directory.mkdir()
    (store.directory / ("0" * 32 + ".part")).symlink_to(target)
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0" * 32)
    with pytest.raises(FileExistsError):
        store.begin("x.txt")
    assert target.read_bytes() == b"precious"


@pytest.mark.parametrize(
    "inside",
    [
        pytest.param(lambda served: served, id="the-served-path-itself"),
        pytest.param(lambda served: served / "uploads", id="under-it"),
        pytest.param(lambda served: served / "a" / ".." / "b", id="under-it-after-dots"),
    ],
)
def test_a_directory_under_a_served_path_is_refused(
    tmp_path: Path, inside: Callable[[Path], Path]
) -> None:
    served = tmp_path / "static"
    served.mkdir()
    with pytest.raises(ValueError, match="served"):
        UploadStore(inside(served), served=[tmp_path / "elsewhere", served])
    assert listing(served) == []  # refused before anything was made


def test_a_symlink_into_a_served_path_is_refused(tmp_path: Path) -> None:
    served = tmp_path / "static"
    (served / "up").mkdir(parents=True)
    (tmp_path / "link").symlink_to(served / "up")
    with pytest.raises(ValueError, match="served"):
        UploadStore(tmp_path / "link", served=[served])


def test_a_directory_beside_a_served_path_is_fine(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", served=[tmp_path / "static", tmp_path / "up"])
    assert store.directory == (tmp_path / "uploads").resolve()


def test_negative_limits_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="never negative"):
        UploadStore(tmp_path, max_files=-1)


def test_a_batch_takes_at_most_max_files(tmp_path: Path) -> None:
    store = UploadStore(tmp_path, max_files=2)
    batch = store.batch()
    for name in ("a.txt", "b.txt"):
        with batch.begin(name) as upload:
            upload.finish()
    with pytest.raises(UploadTooLarge, match="at most 2 files"):
        batch.begin("c.txt")
    assert [f.filename for f in batch.files] == ["a.txt", "b.txt"]
    assert len(listing(tmp_path)) == 2


def test_a_batch_discards_finished_and_unfinished_files(tmp_path: Path) -> None:
    batch = UploadStore(tmp_path).batch()
    with batch.begin("done.txt") as upload:
        upload.write(b"done")
        upload.finish()
    batch.begin("half.txt").write(b"half")
    assert len(listing(tmp_path)) == 2  # one file, one .part
    batch.discard()
    assert listing(tmp_path) == []


def test_a_batch_left_by_an_exception_discards_its_files(tmp_path: Path) -> None:
    store = UploadStore(tmp_path)
    with pytest.raises(RuntimeError), store.batch() as batch:
        with batch.begin("x.txt") as upload:
            upload.finish()
        raise RuntimeError("handler failed")
    assert listing(tmp_path) == []
    with store.batch() as batch, batch.begin("y.txt") as upload:
        kept = upload.finish()
    assert kept.path.exists()  # no exception: the files are the caller's


def test_discard_deletes_and_skips_what_is_gone(tmp_path: Path) -> None:
    store = UploadStore(tmp_path)
    with store.begin("x.txt") as upload:
        stored = upload.finish()
    gone = StoredFile(tmp_path / "gone", 0, hashlib.sha256().hexdigest(), "gone", "text/plain")
    discard([stored, gone])
    assert listing(tmp_path) == []
    assert not os.path.exists(stored.path)


def test_a_failing_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Full(io.BytesIO):
        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    opened = os.fdopen

    def full(descriptor: int, mode: str) -> IO[bytes]:
        os.close(descriptor)
        return Full()

    monkeypatch.setattr(os, "fdopen", full)
    upload = UploadStore(tmp_path).begin("x.txt")
    monkeypatch.setattr(os, "fdopen", opened)
    with pytest.raises(OSError, match="No space"):
        upload.write(b"data")
    assert listing(tmp_path) == []


def test_a_file_that_cannot_be_opened_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(descriptor: int, mode: str) -> IO[bytes]:
        raise OSError("cannot")

    store = UploadStore(tmp_path)
    monkeypatch.setattr(os, "fdopen", failing)
    with pytest.raises(OSError, match="cannot"):
        store.begin("x.txt")
    assert listing(tmp_path) == []
