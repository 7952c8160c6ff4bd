"""The tables protocol's codec, sans I/O: bytes in, values out, and values that write themselves.

docs/protocol.md is the specification; this module is its framing, shared
by the server and the client. Nothing here reads a socket or a clock: a peer
feeds whatever bytes arrived and gets back what they complete.

**From a client** (``CommandReader``): lines end with LF or CRLF. A complete
line becomes a ``Command`` (a verb of 1–4 letters, upper-cased, and its
space-separated arguments) or a ``LineRefused`` saying why not: longer than
``MAX_LINE`` bytes (the rest of it is skipped to the next newline, so the
connection resynchronises), not UTF-8, holding a NUL or another control
character, empty, or not shaped like a command. Telnet negotiation (``IAC``
commands, options and subnegotiations) is dropped wherever it falls, so
``telnet`` and ``nc`` both work. An incomplete line waits for more bytes;
whatever is left when the client closes is not a command (``close``).

**From the server** (``Reply``, ``Event``): a reply is ``NNN text``, or over
several lines ``NNN-first`` … ``NNN last`` (RFC 959 §4.2) with every line in
between that begins with a digit (or a space) padded with one space, so no
line inside a reply reads as its end and the padding comes off exactly. An
event is one line whose code begins with 6, which no reply uses: a client
tells them apart by the first digit alone.
``ServerReader`` is the client's side: lines in, ``Reply`` and ``Event`` out,
multi-line replies gathered whole, anything else a ``ProtocolError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The longest line either side reads, in bytes, before its end.
MAX_LINE = 1024
#: The most telnet IAC bytes a peer may send in all; a telnet client sends a handful, and
#: each costs the reader a step of Python, where text is read whole.
MAX_TELNET = 1_000
#: The longest command verb.
MAX_VERB = 4

# Telnet (RFC 854): IAC introduces a command; WILL, WONT, DO and DONT take an option
# byte, SB opens a subnegotiation that IAC SE closes; IAC IAC is a literal 255.
_IAC, _SB, _SE = 255, 250, 240
_WITH_OPTION = frozenset({251, 252, 253, 254})

_VERB = re.compile(r"[A-Za-z]{1,4}")
#: How a line inside a multi-line reply may not begin: it is written with a space before.
_PADDED = frozenset("0123456789 ")
_REPLY = re.compile(r"([1-5][0-9][0-9])([ -])(.*)")
_EVENT = re.compile(r"(6[0-9][0-9]) (.*)")
# Characters no command line may hold: C0 controls but tab, DEL, C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Command:
    """A complete command line: its verb in upper case, its arguments as sent."""

    verb: str
    args: tuple[str, ...] = ()
    #: Everything after the verb and the space that ends it, exactly as sent: what a
    #: password or a chat line is (their spaces are theirs). Not part of the value.
    rest: str = field(default="", compare=False)

    def encode(self) -> bytes:
        """The line a client sends (CRLF)."""
        return (" ".join((self.verb, *self.args)) + "\r\n").encode()


@dataclass(frozen=True, slots=True)
class LineRefused:
    """A complete line that is no command; ``reason`` is for the 500 reply."""

    reason: str


class ProtocolError(Exception):
    """The server wrote something that is not a reply or an event of this protocol."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The one final answer to a command: a code 100–599, and one or more lines of text."""

    code: int
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 100 <= self.code <= 599:
            raise ValueError(f"a reply's code is 100 to 599, not {self.code}")
        if not self.lines:
            raise ValueError("a reply has at least one line")
        for line in self.lines:
            if "\r" in line or "\n" in line:
                raise ValueError(f"a reply's line holds a line break: {line!r}")

    @classmethod
    def of(cls, code: int, *lines: str) -> Reply:
        return cls(code, lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def completed(self) -> bool:
        return 200 <= self.code < 300

    def encode(self) -> bytes:
        code = str(self.code)
        if len(self.lines) == 1:
            return f"{code} {self.lines[0]}\r\n".encode()
        first, *middle, last = self.lines
        written = [f"{code}-{first}"]
        written += [
            f" {line}" if line[:1].isdigit() or line[:1] == " " else line for line in middle
        ]
        written.append(f"{code} {last}")
        return ("\r\n".join(written) + "\r\n").encode()


@dataclass(frozen=True, slots=True)
class Event:
    """Something another player or the table did: one line, its code 600–699."""

    code: int
    text: str

    def __post_init__(self) -> None:
        if not 600 <= self.code <= 699:
            raise ValueError(f"an event's code is 600 to 699, not {self.code}")
        if "\r" in self.text or "\n" in self.text:
            raise ValueError(f"an event is one line: {self.text!r}")

    def encode(self) -> bytes:
        return f"{self.code} {self.text}\r\n".encode()


def fitted(message: Reply | Event, limit: int = MAX_LINE) -> Reply | Event:
    """``message`` with every line cut to fit ``limit`` bytes as written, code and all: a
    reply that quotes what a client sent never writes a line its reader must refuse."""
    room = limit - 4  # "NNN " or "NNN-"
    lines = message.lines if isinstance(message, Reply) else (message.text,)
    # -1: a middle line's padding. A line of n characters is at most 4n bytes: most are
    # known to fit without encoding them.
    if all(len(line) * 4 <= room - 1 or len(line.encode()) <= room - 1 for line in lines):
        return message
    cut = tuple(_cut(line, room - 1) for line in lines)
    return Reply(message.code, cut) if isinstance(message, Reply) else Event(message.code, cut[0])


def _cut(line: str, room: int) -> str:
    data = line.encode()
    if len(data) <= room:
        return line
    return data[: room - 3].decode("utf-8", errors="ignore") + "..."


class Lines:
    """Bytes in, complete lines out: LF or CRLF, telnet negotiation dropped, a bound kept.

    The framing every line protocol here shares (the tables, echo); ``None`` in
    its output stands for a line refused as longer than ``max_line``.
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buffer = bytearray()
        self._skipping = False  # inside a line already refused as too long
        self._telnet = 0  # 0: text; 1: after IAC; 2: its option byte; 3: in SB; 4: IAC in SB
        #: IAC bytes seen: past ``MAX_TELNET`` the peer is flooding with negotiation.
        self.telnet_bytes = 0
        self.closed = False

    def feed(self, data: bytes) -> list[bytes | None]:
        """Each complete line (without its end), or None for a line refused as too long."""
        # The usual case, no telnet in sight, is read without a look at each byte.
        plain = self._telnet == 0 and _IAC not in data
        if not plain:
            self.telnet_bytes += data.count(b"\xff")
            if self.telnet_bytes > MAX_TELNET:
                return []  # a real telnet negotiates a handful: the reader ends this
        text = data if plain else self._without_telnet(data)
        lines: list[bytes | None] = []
        start = 0
        while True:
            end = text.find(b"\n", start)
            if end < 0:
                if not self._skipping:
                    self._buffer += text[start:]
                    if len(self._buffer) > self.max_line + 1:  # +1: a CR may precede the LF
                        self._buffer.clear()
                        self._skipping = True
                        lines.append(None)
                return lines
            if self._skipping:  # the end of a line refused already
                self._skipping = False
            else:
                self._buffer += text[start:end]
                line = bytes(self._buffer)
                line = line[:-1] if line.endswith(b"\r") else line
                lines.append(None if len(line) > self.max_line else line)
            self._buffer.clear()
            start = end + 1

    def _without_telnet(self, data: bytes) -> bytes:
        """``data`` with telnet's commands taken out; the text between them is copied
        whole, so a chunk with one IAC costs little more than one without."""
        out = bytearray()
        index, end = 0, len(data)
        while index < end:
            state = self._telnet
            if state == 0:
                found = data.find(b"\xff", index)
                if found < 0:
                    out += data[index:]
                    break
                out += data[index:found]
                self._telnet, index = 1, found + 1
                continue
            byte = data[index]
            index += 1
            if state == 1:  # the byte after IAC
                if byte == _IAC:
                    self._telnet = 0
                    out.append(byte)  # IAC IAC: a data byte 255 (never UTF-8: refused later)
                elif byte in _WITH_OPTION:
                    self._telnet = 2
                elif byte == _SB:
                    self._telnet = 3
                else:
                    self._telnet = 0  # NOP, GA, AYT...: dropped
            elif state == 2:  # the option of WILL/WONT/DO/DONT
                self._telnet = 0
            elif state == 3:  # inside a subnegotiation, until IAC SE: skipped in bulk
                found = data.find(b"\xff", index - 1)
                if found < 0:
                    break
                self._telnet, index = 4, found + 1
            else:  # IAC inside a subnegotiation
                self._telnet = 0 if byte == _SE else 3
        return bytes(out)

    @property
    def pending(self) -> int:
        """Bytes of a line not yet ended (what a slow client holds)."""
        return len(self._buffer)

    def close(self) -> bool:
        """The peer is gone: True if it left a partial line (dropped, never a command)."""
        self.closed = True
        partial = bool(self._buffer)
        self._buffer.clear()
        return partial


class CommandReader:
    """The server's side: bytes from a client in, ``Command`` and ``LineRefused`` out."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._lines = Lines(max_line)
        self.max_line = max_line

    def feed(self, data: bytes) -> list[Command | LineRefused]:
        return [self._parse(line) for line in self._lines.feed(data)]

    @property
    def pending(self) -> int:
        return self._lines.pending

    @property
    def negotiation_flood(self) -> bool:
        """The client has sent more telnet negotiation than any telnet sends."""
        return self._lines.telnet_bytes > MAX_TELNET

    def close(self) -> bool:
        """The client closed: True if it left a partial line, which is not a command."""
        return self._lines.close()

    def _parse(self, raw: bytes | None) -> Command | LineRefused:
        if raw is None:
            return LineRefused(f"the line is longer than {self.max_line} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return LineRefused("the line is not UTF-8 text")
        if "\x00" in text:
            return LineRefused("the line holds a NUL byte")
        if _CONTROL.search(text):
            return LineRefused("the line holds a control character")
        words = text.replace("\t", " ").split(" ")
        words = [word for word in words if word]
        if not words:
            return LineRefused("an empty line is no command")
        verb, *args = words
        if not _VERB.fullmatch(verb):
            return LineRefused(
                f"{verb[:20]!r} is no command: a command is a word of 1 to {MAX_VERB} letters"
            )
        start = text.index(verb[0]) + len(verb)
        rest = text[start + 1 :] if text[start : start + 1] in (" ", "\t") else ""
        return Command(verb.upper(), tuple(args), rest.rstrip("\r"))


class ServerReader:
    """The client's side: bytes from the server in, ``Reply`` and ``Event`` out.

    A multi-line reply is gathered until its last line; a line that is neither
    a reply's nor an event's, or a reply that ends with another code than it
    began, is a ``ProtocolError`` (the server is not speaking this protocol).
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._lines = Lines(max_line)
        self._open: tuple[int, list[str]] | None = None  # a multi-line reply being read

    def feed(self, data: bytes) -> list[Reply | Event]:
        out: list[Reply | Event] = []
        for raw in self._lines.feed(data):
            if raw is None:
                raise ProtocolError(f"the server wrote a line longer than {self._lines.max_line}")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("the server wrote a line that is not UTF-8") from None
            answer = self._line(line)
            if answer is not None:
                out.append(answer)
        return out

    def _line(self, line: str) -> Reply | Event | None:
        if self._open is not None:
            code, lines = self._open
            ended = _REPLY.fullmatch(line)
            if ended and int(ended.group(1)) == code and ended.group(2) == " ":
                self._open = None
                return Reply(code, (*lines, ended.group(3)))
            lines.append(line[1:] if line.startswith(" ") else line)  # the padding, off
            return None
        event = _EVENT.fullmatch(line)
        if event:
            return Event(int(event.group(1)), event.group(2))
        reply = _REPLY.fullmatch(line)
        if not reply:
            raise ProtocolError(f"the server wrote {line[:60]!r}: not a reply or an event")
        code, dash, text = int(reply.group(1)), reply.group(2), reply.group(3)
        if dash == "-":
            self._open = (code, [text])
            return None
        return Reply(code, (text,))

    @property
    def in_reply(self) -> bool:
        """Whether a multi-line reply has begun and not ended."""
        return self._open is not None


__all__ = [
    "MAX_LINE",
    "Command",
    "CommandReader",
    "Event",
    "LineRefused",
    "Lines",
    "ProtocolError",
    "Reply",
    "ServerReader",
]
