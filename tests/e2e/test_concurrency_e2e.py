"""Many clients at once against a live `parlor serve`, then an audit of its database."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from parlor.house.ledger import LedgerReport, check_ledger
from parlor.store.db import open_database
from tests.e2e.e2e_support import SAMPLE_BETS, ParlorProcess, check_spin_fields, expected_outcome

pytestmark = pytest.mark.slow


@dataclass
class Player:
    """What one client saw: its session, every bet's outcome, and the final state."""

    index: int
    session: str = ""
    bankroll: int = 0
    outcomes: dict[int, int] = field(default_factory=dict)
    final: dict[str, Any] = field(default_factory=dict)


def play(base_url: str, index: int, bets: int, spin_every: int, start: threading.Barrier) -> Player:
    """Open a session, bet ``bets`` times, spinning after every ``spin_every``; read the end."""
    player = Player(index)
    chooser = random.Random(index)  # each player's bets are reproducible
    with httpx.Client(base_url=base_url, timeout=60) as client:
        start.wait(timeout=60)
        opened = client.post("/session/", json={"name": f"player {index}"})
        assert opened.status_code == 201, opened.text
        player.session, player.bankroll = opened.json()["session"], opened.json()["bankroll"]
        open_bets: dict[int, dict[str, Any]] = {}
        for placed in range(1, bets + 1):
            bet = chooser.choice(SAMPLE_BETS)
            receipt = client.post(f"/bet/{player.session}/", json=bet)
            assert receipt.status_code == 201, receipt.text
            open_bets[receipt.json()["confirmation"]] = bet
            if placed % spin_every == 0 or placed == bets:
                spun = client.post(f"/spin/{player.session}/")
                assert spun.status_code == 201, spun.text
                spin = spun.json()
                check_spin_fields(spin["result"])
                number = spin["result"]["number"]
                settled = {s["confirmation"]: s["outcome"] for s in spin["settled"]}
                # Each spin settles exactly this session's open bets, each by the rules.
                assert settled == {c: expected_outcome(b, number) for c, b in open_bets.items()}
                player.outcomes |= settled
                open_bets.clear()
        state = client.get(f"/api/v1/sessions/{player.session}")
        assert state.status_code == 200, state.text
        player.final = state.json()
    return player


def run_players(server: ParlorProcess, players: int, bets: int, spin_every: int) -> list[Player]:
    start = threading.Barrier(players)
    with ThreadPoolExecutor(max_workers=players) as pool:
        futures = [
            pool.submit(play, server.base_url, i, bets, spin_every, start) for i in range(players)
        ]
        return [future.result(timeout=120) for future in futures]


def audit(database_url: str) -> LedgerReport:
    db = open_database(database_url)
    try:
        return check_ledger(db)
    finally:
        db.close()


def check_players(results: list[Player], bets: int, spins: int) -> int:
    """Every final balance is its bankroll plus its outcomes; returns the players' net result."""
    assert len({p.session for p in results}) == len(results)
    for player in results:
        assert len(player.outcomes) == bets, player
        final = player.final
        assert final["balance"] == player.bankroll + sum(player.outcomes.values()), player
        assert (final["open_stake"], final["bet_count"], final["spin_count"]) == (0, bets, spins)
    return sum(sum(p.outcomes.values()) for p in results)


def test_sixteen_clients_at_once(server: ParlorProcess) -> None:
    players, bets, spin_every = 16, 30, 5
    results = run_players(server, players, bets, spin_every)
    net = check_players(results, bets, spins=bets // spin_every)

    report = audit(server.database_url)
    assert report.ok, report.problems
    assert report.sessions == players
    # The house paid every bankroll out and took back exactly what the players lost.
    assert report.house_balance == -sum(p.bankroll for p in results) - net
    # No request failed on the way.
    statuses = {m["status"] for m in server.wait_for_access_lines(players * (bets + 8))}
    assert statuses <= {"200", "201"}, statuses


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def test_two_workers_share_one_sqlite_file(
    running_parlor: Callable[..., ParlorProcess], sqlite_url: str
) -> None:
    server = running_parlor(sqlite_url, workers=2)
    # parlor serve -> parlor service (Granian) -> two worker processes; parlor web and the
    # TCP tables beside it.
    children = child_pids(server.process.pid)
    assert len(children) == 3
    (service,) = [
        pid for pid in children if b"\0service\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert len(child_pids(service)) == 2

    players, bets, spin_every = 6, 12, 4
    results = run_players(server, players, bets, spin_every)
    check_players(results, bets, spins=bets // spin_every)
    report = audit(sqlite_url)
    assert report.ok, report.problems
    assert report.sessions == players
