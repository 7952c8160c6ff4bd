"""The tables in the REST service: listed, read, and a closed table's record, read-only.

The tables are played over TCP (``parlor.tcp``); here anyone may see which
are open, their wheels, rounds and seats, and each one's seed commitment;
once a table closes, its record (``parlor.wire.records``' format: the seeds and
every round's pocket) lets ``parlor verify`` check every round offline.
"""

from __future__ import annotations

import re
from datetime import datetime

import falcon

from parlor.house.errors import UnknownTable
from parlor.house.tables import TablesHouse, TableState
from parlor.roulette.wheel import json_number
from parlor.service.api import PREFIX
from parlor.wire import records
from parlor.wire import tables as wire

TABLES = f"{PREFIX}/tables"
#: What a table's name may be (the house's rule); anything else names no table.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


def represent(state: TableState) -> wire.Table:
    return wire.Table(
        name=state.name,
        wheel=state.wheel,
        status="closed" if state.closed else "open",
        round=state.round,
        seated=state.seated,
        server_seed_hash=state.server_seed_hash,
        client_seed=state.client_seed,
        server_seed=state.server_seed,
        opened_at=datetime.fromisoformat(state.opened_at),
        closed_at=None if state.closed_at is None else datetime.fromisoformat(state.closed_at),
        version=state.version,
    )


def _named(name: str) -> str:
    if _NAME.fullmatch(name) is None:
        raise UnknownTable(name)
    return name


class Tables:
    """GET: the open tables."""

    def __init__(self, house: TablesHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = wire.TableList(tables=tuple(represent(t) for t in self._house.tables()))


class OneTable:
    """GET: one table (the open one of the name, else the one that closed last)."""

    def __init__(self, house: TablesHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        resp.media = represent(self._house.table(_named(name)))


class TableRecord:
    """GET: a closed table's seeds and rounds, as a game record (409 while it is open)."""

    def __init__(self, house: TablesHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        state, rounds = self._house.record(_named(name))
        assert state.server_seed is not None  # a closed table's is revealed
        resp.media = records.GameRecord(
            format=records.FORMAT,
            wheel=state.wheel,
            client_seed=state.client_seed,
            server_seed=state.server_seed,
            server_seed_hash=state.server_seed_hash,
            spins=tuple(records.RecordedSpin(spin=n, number=json_number(p)) for n, p in rounds),
        )


def add_table_routes(app: falcon.App[falcon.Request, falcon.Response], house: TablesHouse) -> None:
    app.add_route(TABLES, Tables(house))
    app.add_route(f"{TABLES}/{{name}}", OneTable(house))
    app.add_route(f"{TABLES}/{{name}}/record", TableRecord(house))
