"""The tables protocol's codec (docs/protocol.md): framing, refusals, telnet, replies, events.

Round trips are checked by hypothesis, fed whole and a byte at a time; random
bytes either parse or are refused, never raise; the standard library's FTP
reply rule (``ftplib``) reads every multi-line reply as this codec writes it.
"""

from __future__ import annotations

import ftplib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parlor.tcp.protocol import (
    MAX_LINE,
    Command,
    CommandReader,
    Event,
    LineRefused,
    ProtocolError,
    Reply,
    ServerReader,
)

IAC, DO, WILL, SB, SE = 255, 253, 251, 250, 240


def commands(data: bytes) -> list[Command | LineRefused]:
    return CommandReader().feed(data)


def a_byte_at_a_time(reader: CommandReader | ServerReader, data: bytes) -> list[object]:
    out: list[object] = []
    for i in range(len(data)):
        out += reader.feed(data[i : i + 1])
    return out


# -- from a client -----------------------------------------------------------------


def test_a_line_is_a_verb_in_any_case_and_its_arguments() -> None:
    assert commands(b"bet 10 split 17 20\r\n") == [Command("BET", ("10", "split", "17", "20"))]
    assert commands(b"Noop\n") == [Command("NOOP")]
    assert commands(b"  CHAT   hello\tthere  \n") == [Command("CHAT", ("hello", "there"))]


def test_an_incomplete_line_waits_and_a_partial_one_at_close_is_no_command() -> None:
    reader = CommandReader()
    assert reader.feed(b"BET 10 r") == []
    assert reader.pending == 8
    assert reader.feed(b"ed\r\nSPI") == [Command("BET", ("10", "red"))]
    assert reader.close() is True  # "SPI" was left: dropped, not a command
    assert CommandReader().close() is False


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"\n", "empty line"),
        (b"   \r\n", "empty line"),
        (b"\xfe\xfd\n", "not UTF-8"),
        (b"BET \xc3\x28 red\n", "not UTF-8"),
        (b"NOOP\x00\n", "NUL"),
        (b"NO\x1bOP\n", "control character"),
        (b"FROBS\n", "1 to 4 letters"),
        (b"B3T 10 red\n", "1 to 4 letters"),
        (b"\xc3\xa9t\xc3\xa9 x\n", "1 to 4 letters"),
    ],
)
def test_lines_that_are_no_command_say_why(line: bytes, reason: str) -> None:
    (refused,) = commands(line)
    assert isinstance(refused, LineRefused)
    assert reason in refused.reason


def test_a_line_too_long_is_refused_once_and_the_next_line_is_read() -> None:
    reader = CommandReader()
    data = b"CHAT " + b"x" * 5000 + b"\r\nNOOP\r\n"
    out = reader.feed(data)
    assert out == [LineRefused(f"the line is longer than {MAX_LINE} bytes"), Command("NOOP")]
    fed = a_byte_at_a_time(CommandReader(), data)
    assert fed == out
    exact = b"CHAT " + b"x" * (MAX_LINE - 5) + b"\r\n"  # 1,024 bytes before CRLF: allowed
    assert commands(exact) == [Command("CHAT", ("x" * (MAX_LINE - 5),))]
    assert isinstance(commands(b"CHAT " + b"x" * (MAX_LINE - 4) + b"\n")[0], LineRefused)


def test_telnet_negotiation_is_dropped_wherever_it_falls() -> None:
    opening = bytes([IAC, DO, 3, IAC, WILL, 1, IAC, SB, 24, 1, 0xFF, 0xFF, IAC, SE])
    data = opening + b"NO" + bytes([IAC, 241]) + b"OP\r\n"  # IAC NOP inside the word
    assert commands(data) == [Command("NOOP")]
    assert a_byte_at_a_time(CommandReader(), data) == [Command("NOOP")]
    # IAC IAC is a data byte 255, which is no UTF-8: refused, and the reader goes on.
    out = commands(b"CHAT " + bytes([IAC, IAC]) + b"\nNOOP\n")
    assert isinstance(out[0], LineRefused)
    assert out[1] == Command("NOOP")


@given(
    st.text(alphabet=st.characters(categories=("Lu", "Ll")), min_size=1, max_size=4).filter(
        str.isascii
    ),
    st.lists(
        st.text(
            alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
            min_size=1,
            max_size=20,
        ),
        max_size=5,
    ),
)
def test_commands_round_trip(verb: str, args: list[str]) -> None:
    command = Command(verb.upper(), tuple(args))
    line = command.encode()
    if len(line) - 2 > MAX_LINE:
        return
    assert commands(line) == [command]
    assert a_byte_at_a_time(CommandReader(), line) == [command]


@given(st.binary(max_size=3000))
def test_random_bytes_parse_or_are_refused_never_raise(data: bytes) -> None:
    whole = CommandReader()
    out = whole.feed(data)
    assert all(isinstance(item, Command | LineRefused) for item in out)
    assert a_byte_at_a_time(CommandReader(), data) == out
    whole.close()


# -- from the server -----------------------------------------------------------------

line_text = st.text(
    alphabet=st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]),
    max_size=40,
)


@given(st.integers(100, 599), st.lists(line_text, min_size=1, max_size=6))
def test_replies_round_trip_whole_and_a_byte_at_a_time(code: int, lines: list[str]) -> None:
    reply = Reply(code, tuple(lines))
    data = reply.encode()
    if any(len(line.encode()) > MAX_LINE - 5 for line in lines):
        return
    assert ServerReader().feed(data) == [reply]
    assert a_byte_at_a_time(ServerReader(), data) == [reply]


@given(st.integers(600, 699), line_text)
def test_events_round_trip(code: int, text: str) -> None:
    event = Event(code, text)
    assert ServerReader().feed(event.encode()) == [event]


def test_a_middle_line_that_looks_like_the_end_is_padded() -> None:
    reply = Reply.of(211, "2 tables", "211 end", " indented", "main american")
    data = reply.encode()
    assert data == b"211-2 tables\r\n 211 end\r\n  indented\r\n211 main american\r\n"
    assert ServerReader().feed(data) == [reply]


def test_an_event_between_a_command_and_its_reply_is_told_apart() -> None:
    data = Event(620, "bob hello").encode() + Reply.of(250, "bet 1: 10 on red").encode()
    assert ServerReader().feed(data) == [Event(620, "bob hello"), Reply.of(250, "bet 1: 10 on red")]
    assert Reply.of(250, "x").completed
    assert not Reply.of(550, "x").completed


@pytest.mark.parametrize(
    "line",
    [b"hello\r\n", b"700 nope\r\n", b"20 short\r\n", b"200\r\n", b"\xff\r\n", b"x" * 2000 + b"\n"],
)
def test_what_no_server_of_this_protocol_writes_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        ServerReader().feed(line)


def test_values_refuse_what_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="code is 100 to 599"):
        Reply(99, ("x",))
    with pytest.raises(ValueError, match="code is 100 to 599"):
        Reply(600, ("x",))
    with pytest.raises(ValueError, match="at least one line"):
        Reply(200, ())
    with pytest.raises(ValueError, match="line break"):
        Reply.of(200, "two\r\nlines")
    with pytest.raises(ValueError, match="600 to 699"):
        Event(599, "x")
    with pytest.raises(ValueError, match="one line"):
        Event(620, "a\nb")


@given(st.integers(100, 599), st.lists(line_text, min_size=2, max_size=6))
def test_ftplib_reads_every_multi_line_reply_to_its_end(code: int, lines: list[str]) -> None:
    """The standard library's rule (RFC 959 §4.2, ``FTP.getmultiline``), on this codec's
    bytes followed by another reply: it stops where this reply ends."""
    if any(len(line.encode()) > MAX_LINE - 5 for line in lines):
        return
    data = Reply(code, tuple(lines)).encode() + Reply.of(200, "next").encode()
    ftp = ftplib.FTP()
    ftp.file = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    got = ftp.getmultiline()
    assert got.split("\n")[-1] == f"{code} {lines[-1]}"
    assert ftp.getmultiline() == "200 next"
