"""Reading FTP listings without a socket: LIST lines, MLSD facts, FEAT, lines, escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor.tools.ftp_listing import (
    Entry,
    LineTooLong,
    decode,
    parse_features,
    parse_list_line,
    parse_mlsd_line,
    printable,
    split_lines,
)


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ("drwxr-xr-x   2 ftp      ftp          4096 Mar 07 12:00 pub", Entry("pub", "dir", 4096)),
        (
            "-rw-r--r--   1 ftp      ftp        104857 Mar 07  2023 notes  two.txt",
            Entry("notes  two.txt", "file", 104857),
        ),
        ("lrwxrwxrwx 1 ftp ftp 4 Mar 07 12:00 latest -> pub", Entry("latest", "link", 4)),
        ("-rw-r--r--   1 1000 1000 5 Jan  1 09:30 x", Entry("x", "file", 5)),  # numeric ids
        ("-rw-r--r--   1 owner 5 Mar 07 12:00 no group", Entry("no group", "file", 5)),
        ("drwxr-xr-x+  3 ftp ftp 0 Mar 07 12:00 acl", Entry("acl", "dir", 0)),
        ("crw-rw-rw-   1 root root 0 Mar 07 12:00 null", Entry("null", "other", 0)),
        ("-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00  leading", Entry(" leading", "file", 1)),
        ("03-07-24  12:00PM       <DIR>          pub", Entry("pub", "dir")),
        ("03-07-2024  09:15       104857 notes.txt", Entry("notes.txt", "file", 104857)),
    ],
)
def test_list_lines_in_unix_and_dos_shapes(line: str, entry: Entry) -> None:
    assert parse_list_line(line) == entry


@pytest.mark.parametrize(
    "line", ["total 12", "", "hello", "drwxr-xr-x 2 ftp ftp x Mar 07 12:00 pub", "226 done"]
)
def test_other_lines_are_not_entries(line: str) -> None:
    assert parse_list_line(line) is None


@pytest.mark.parametrize(
    ("line", "name", "kind", "size"),
    [
        ("type=file;size=12;modify=20240307120000; a file", "a file", "file", 12),
        ("Type=DIR;Size=4096; pub", "pub", "dir", 4096),
        ("type=cdir;unique=1; .", ".", "self", None),
        ("type=pdir; ..", "..", "parent", None),
        ("type=OS.unix=slink:/pub;size=3; latest", "latest", "link", 3),
        ("type=OS.unix=symlink; latest", "latest", "link", None),
        ("type=OS.unix=chr-1/3; null", "null", "other", None),
        ("size=x;perm=r; no type", "no type", "unknown", None),
        ("type=file;size=١٢; arabic digits", "arabic digits", "file", None),
    ],
)
def test_mlsd_lines(line: str, name: str, kind: str, size: int | None) -> None:
    entry = parse_mlsd_line(line)
    assert entry is not None
    assert (entry.name, entry.kind, entry.size) == (name, kind, size)


def test_mlsd_facts_are_kept_with_lowered_names() -> None:
    entry = parse_mlsd_line("Type=file;Modify=20240307120000;UNIQUE=803g21; x")
    assert entry is not None
    assert entry.facts == {"type": "file", "modify": "20240307120000", "unique": "803g21"}


@pytest.mark.parametrize("line", ["", "type=file;", "type=file; "])
def test_mlsd_lines_without_a_name_are_not_entries(line: str) -> None:
    assert parse_mlsd_line(line) is None


def test_features_from_a_feat_reply() -> None:
    reply = "211-Features supported:\n EPSV\n MLST type*;size*;modify*;\n REST STREAM\n211 End."
    assert parse_features(reply) == {
        "EPSV": "",
        "MLST": "type*;size*;modify*;",
        "REST": "STREAM",
    }
    assert parse_features("211 No features.") == {}


def test_lines_split_across_chunks_and_line_ends() -> None:
    chunks = [b"one\r", b"\ntwo\nthr", b"ee\r\n", b"", b"last without end"]
    assert list(split_lines(chunks, 100)) == ["one", "two", "three", "last without end"]
    assert list(split_lines([], 100)) == []
    assert list(split_lines([b"\r\n\r\n"], 100)) == ["", ""]


def test_an_overlong_line_stops_without_waiting_for_its_end() -> None:
    def endless() -> Iterator[bytes]:
        yield b"fine\n"
        while True:
            yield b"x" * 1000

    lines = split_lines(endless(), 4096)
    assert next(lines) == "fine"
    with pytest.raises(LineTooLong):
        next(lines)
    with pytest.raises(LineTooLong):
        list(split_lines([b"y" * 5000 + b"\n"], 4096))


def test_bytes_that_are_not_utf8_survive_a_round_trip() -> None:
    raw = b"caf\xe9 \xff"
    assert decode(raw).encode("utf-8", "surrogateescape") == raw
    assert printable(decode(raw)) == "caf\\xe9 \\xff"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain name.txt", "plain name.txt"),
        ("naïve – ok 名前", "naïve – ok 名前"),
        ("\x1b]0;owned\x07", "\\e]0;owned\\x07"),
        ("a\rb\nc\td", "a\\rb\\nc\\td"),
        ("\x00\x7f\x9b", "\\x00\\x7f\\x9b"),  # NUL, DEL, and the 8-bit CSI
        ("bidi\u202etxt.exe\u2066", "bidi\\u202etxt.exe\\u2066"),
        ("line\u2028sep", "line\\u2028sep"),
        ("back\\slash", "back\\slash"),
    ],
)
def test_printable_escapes_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert printable(text) == shown


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


@given(st.binary(max_size=200))
def test_nothing_a_server_sends_reaches_the_terminal_raw(raw: bytes) -> None:
    shown = printable(decode(raw))
    assert _CONTROL.search(shown) is None
    shown.encode("utf-8")  # and it can always be written out


@given(st.text(max_size=100))
def test_printable_output_needs_no_second_escaping(text: str) -> None:
    once = printable(text)
    assert printable(once) == once
    assert _CONTROL.search(once) is None
