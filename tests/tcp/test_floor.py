"""Two players on the floor in memory, no sockets: each conversation driven command by
command, what each hears collected from its link."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from parlor.house.accounts import AccountsHouse
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.house.tables import TablesHouse
from parlor.roulette.wheel import WheelKind
from parlor.store.db import open_database
from parlor.store.schema import migrate
from parlor.tcp.floor import Floor, Player
from parlor.tcp.protocol import Command, Event, Reply
from parlor.wsgi.throttle import Throttle


class MemoryLink:
    """What a player's connection would carry, kept in a list."""

    def __init__(self, address: str = "127.0.0.1", *, secure: bool = False) -> None:
        self.address, self.secure = address, secure
        self.heard: list[Reply | Event] = []
        self.closed = False

    @property
    def loopback(self) -> bool:
        return self.address.startswith("127.")

    def send(self, message: Reply | Event) -> None:
        self.heard.append(message)

    def open(self) -> bool:
        return not self.closed

    def close(self, last: Reply) -> None:
        self.send(last)
        self.closed = True

    def events(self, code: int) -> list[str]:
        return [m.text for m in self.heard if isinstance(m, Event) and m.code == code]


def _floor(tmp_path: Path) -> Floor:
    db = open_database(f"sqlite:///{tmp_path / 'floor.db'}")
    migrate(db)
    roulette = RouletteHouse(db)
    return Floor(
        TablesHouse(roulette),
        roulette,
        AccountsHouse(db),
        window=0.2,
        throttle=Throttle(clock=time.monotonic),
    )


async def _say(player: Player, line: str) -> Reply:
    verb, *args = line.split()
    rest = line.split(" ", 1)[1] if " " in line else ""
    return await player.answer(Command(verb.upper(), tuple(args), rest))


def test_two_players_in_memory_play_a_round(tmp_path: Path) -> None:
    floor = _floor(tmp_path)

    async def play() -> tuple[MemoryLink, MemoryLink]:
        await floor.open([("main", WheelKind.AMERICAN)])
        alice_link, bob_link = MemoryLink(), MemoryLink()
        alice = floor.conversation(alice_link)  # type: ignore[arg-type]
        bob = floor.conversation(bob_link)  # type: ignore[arg-type]
        assert (await _say(alice, "USER alice")).code == 230
        assert (await _say(bob, "USER bob")).code == 230
        assert (await _say(alice, "JOIN main")).code == 250
        assert (await _say(bob, "JOIN main")).text == "you sit at main with alice"
        assert (await _say(bob, "CHAT hello")).code == 200
        assert (await _say(alice, "SPIN")).code == 250
        assert (await _say(alice, "BET 10 red")).code == 250
        assert (await _say(bob, "BET 10 black")).code == 250
        assert (await _say(bob, "WDRW 1")).code == 250
        assert (await _say(bob, "BET 20 low")).code == 250
        await asyncio.sleep(0.6)  # the window closes, the wheel spins
        assert (await _say(alice, "QUIT")).code == 221
        await bob.gone()
        return alice_link, bob_link

    alice_heard, bob_heard = asyncio.run(play())
    assert alice_heard.events(610) == ["bob joins main"]
    assert alice_heard.events(620) == ["bob hello"]
    assert bob_heard.events(620) == []  # one does not hear oneself
    for heard in (alice_heard, bob_heard):
        assert heard.events(630) == ["betting opens for 0.2 s (round 1)"]
        assert heard.events(631) == ["betting closes (round 1)"]
        assert len(heard.events(640)) == 1
        (settled,) = heard.events(641)
        assert settled.startswith("round 1: staked")
    (bob_settled,) = bob_heard.events(641)
    assert "staked 20" in bob_settled  # the withdrawn bet was not in the round
    assert bob_heard.events(611) == ["alice left main"]
    assert check_ledger(floor.roulette.db).ok
    floor.roulette.db.close()
