"""A game's record: what anyone needs to check an ended roulette session, as one JSON file.

The web app's fairness page offers it for download once a game has ended; its
verify page (an upload) and ``parlor verify --record FILE`` check one, here,
offline, with nothing from the house but the file::

    {"format": "parlor-roulette-record/1", "wheel": "american",
     "client_seed": "…", "server_seed": "…", "server_seed_hash": "…",
     "spins": [{"spin": 1, "number": 17}, {"spin": 2, "number": "00"}]}

It holds no session id: that id is the session's credential, and a record
is meant to be shared. ``check`` is ``parlor.roulette.fairness.verify`` on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from parlor.roulette import fairness
from parlor.roulette.wheel import WheelKind, parse_pocket, wheel_for
from parlor.wire.base import Request
from parlor.wire.roulette import Id, Pocket, Session, SpinRecord

FORMAT: Literal["parlor-roulette-record/1"] = "parlor-roulette-record/1"
#: The largest record anyone needs: a session of 25,000 spins.
MAX_SPINS = 25_000
Seed = Annotated[str, Meta(min_length=1, max_length=256)]


class RecordedSpin(Request, frozen=True):
    spin: Id
    number: Pocket


class GameRecord(Request, frozen=True):
    """An ended session's seeds and spins."""

    format: Literal["parlor-roulette-record/1"]
    wheel: WheelKind
    client_seed: Seed
    server_seed: Seed
    server_seed_hash: Annotated[str, Meta(pattern="^[0-9a-fA-F]{64}$")]
    spins: Annotated[tuple[RecordedSpin, ...], Meta(max_length=MAX_SPINS)]


def record_of(session: Session, spins: Sequence[SpinRecord]) -> GameRecord:
    """The record of an ended session (ValueError while its seed is still secret)."""
    if session.server_seed is None:
        raise ValueError("the session is still open: its server seed is secret until it ends")
    return GameRecord(
        format=FORMAT,
        wheel=session.wheel,
        client_seed=session.client_seed,
        server_seed=session.server_seed,
        server_seed_hash=session.server_seed_hash,
        spins=tuple(RecordedSpin(spin=r.spin, number=r.result.pocket) for r in spins),
    )


def encode(record: GameRecord) -> bytes:
    return msgspec.json.encode(record)


def decode(data: bytes) -> GameRecord:
    """The record in ``data``; ValueError saying what is wrong with it otherwise."""
    try:
        return msgspec.json.decode(data, type=GameRecord)
    except msgspec.ValidationError as error:
        raise ValueError(f"this is not a parlor game record: {error}") from None
    except msgspec.DecodeError:
        raise ValueError("this is not a parlor game record: it is not JSON") from None


def check(record: GameRecord) -> fairness.Verification:
    """Recompute every spin of ``record`` from its seeds."""
    wheel = wheel_for(record.wheel)

    def pocket(number: int | str) -> int:
        try:
            return parse_pocket(number, wheel)
        except ValueError:
            return -1  # not a pocket of this wheel: certainly a mismatch

    return fairness.verify(
        record.server_seed,
        record.server_seed_hash,
        record.client_seed,
        [(s.spin, pocket(s.number)) for s in record.spins],
        wheel.pocket_count,
    )
