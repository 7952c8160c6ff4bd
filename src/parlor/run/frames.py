"""Frames between a front door and its app process: length-prefixed ``marshal`` values.

Sans-I/O: ``encode(value)`` gives the bytes of one frame, and a
``FrameReader`` takes bytes as they arrive and hands back whole values.
``marshal`` writes the plain values that cross (tuples, lists, dicts, str,
bytes, int, float, None) several times faster than pickle, and, unlike pickle,
cannot be made to run code when read. Both ends are parlor processes of the
same interpreter, which is all ``marshal`` asks.
"""

from __future__ import annotations

import marshal
import struct
from typing import Any

_LENGTH = struct.Struct("!I")
#: No frame is larger: a body is at most the front door's limit, 1 MiB by default.
MAX_FRAME = 256 * 1024 * 1024


class FrameError(Exception):
    """The other end wrote something that is not a frame: the channel is unusable."""


def encode(value: Any) -> bytes:
    data = marshal.dumps(value)
    if len(data) > MAX_FRAME:
        raise FrameError(f"a frame of {len(data):,} bytes is over the {MAX_FRAME:,} allowed")
    return _LENGTH.pack(len(data)) + data


class FrameReader:
    """Whole frames out of a byte stream that arrives in arbitrary pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        buffer = self._buffer
        buffer += data
        values = []
        start = 0
        while len(buffer) - start >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(buffer, start)
            if size > MAX_FRAME:
                raise FrameError(f"a frame claims {size:,} bytes, over the {MAX_FRAME:,} allowed")
            end = start + _LENGTH.size + size
            if len(buffer) < end:
                break
            try:
                # Read only from our own app process or front door, over a socketpair.
                values.append(marshal.loads(buffer[start + _LENGTH.size : end]))  # noqa: S302
            except (EOFError, ValueError, TypeError) as error:
                raise FrameError(f"an unreadable frame: {error}") from None
            start = end
        if start:
            del buffer[:start]
        return values
