"""The tables' wire: what ``GET /api/v1/tables`` answers, defined once.

The tables are played over TCP (docs/protocol.md); the REST service only lists
them, read-only, and gives a closed table's record (seeds and rounds, the
session record's format: ``parlor.wire.records``) to ``parlor verify``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from parlor.roulette.wheel import WheelKind
from parlor.wire.base import Answer

Timestamp = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]


class Table(Answer, frozen=True):
    """A roulette table: its wheel, its rounds, who sits at it, and its seed's commitment."""

    name: str
    wheel: WheelKind
    status: Literal["open", "closed"]
    #: Rounds spun so far; the next is ``round + 1``.
    round: int
    seated: int
    server_seed_hash: str
    client_seed: str
    #: Revealed when the table closes; null while it is open.
    server_seed: str | None
    opened_at: Timestamp
    closed_at: Timestamp | None
    version: int


class TableList(Answer, frozen=True):
    tables: tuple[Table, ...]


def structs() -> tuple[type[msgspec.Struct], ...]:
    return (Table, TableList)
