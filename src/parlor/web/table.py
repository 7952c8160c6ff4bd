"""What the table page shows, read from the service through the client SDK.

``load_table`` makes at most three reads: the session, its bets (open ones to
list and withdraw, settled ones for the last result and the balance chart) and
its last 20 spins; it skips the reads a new session does not need. The two
list reads go out together, on the client's pooled connections, once the
session read has said they are needed. ``TableView`` derives the rest as pure
properties.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from parlor.client import Bet, RouletteClient, Session, SpinRecord
from parlor.web.chart import balance_history

#: Spins listed on the table page.
RECENT = 20
#: Spins the balance chart covers, at most (the newest).
CHART_SPINS = 500
_PAGE = 1000
#: Past this many bets the chart is left out rather than the page made slow.
_MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class TableView:
    session: Session
    #: Every bet of the session in the order placed, or None when there were too many to read.
    bets: tuple[Bet, ...] | None
    #: The newest spins, newest first.
    recent: tuple[SpinRecord, ...]
    open_bets: tuple[Bet, ...]

    @property
    def last_spin(self) -> SpinRecord | None:
        if self.recent and self.recent[0].spin == self.session.spin_count:
            return self.recent[0]
        return None

    @property
    def last_results(self) -> tuple[Bet, ...]:
        """The bets the last spin settled, each won or lost with its net outcome."""
        last = self.session.spin_count
        return tuple(b for b in self.bets or () if b.spin == last and b.status == "settled")

    @property
    def last_net(self) -> int:
        return sum(b.outcome or 0 for b in self.last_results)

    def history(self) -> tuple[int, list[int]] | None:
        """(first spin, balance after each spin from it), or None with no spin or no bets read."""
        if self.bets is None or self.session.spin_count == 0:
            return None
        settled = (
            (b.spin, b.outcome or 0)
            for b in self.bets
            if b.status == "settled" and b.spin is not None
        )
        full = balance_history(self.session.bankroll, settled, self.session.spin_count)
        first = max(0, len(full) - 1 - CHART_SPINS)
        return first, full[first:]


def _all_bets(client: RouletteClient, session_id: str) -> tuple[Bet, ...] | None:
    bets: list[Bet] = []
    for _ in range(_MAX_PAGES):
        page = client.bets(session_id, after=bets[-1].confirmation if bets else 0, limit=_PAGE)
        bets.extend(page)
        if len(page) < _PAGE:
            return tuple(bets)
    return None


def load_table(client: RouletteClient, session_id: str, pool: Executor) -> TableView:
    """The session and what the table page shows of it (``pool`` runs the two list reads)."""
    session = client.session(session_id)
    if session.bet_count == 0 and session.spin_count == 0:
        return TableView(session, (), (), ())
    bets = pool.submit(_all_bets, client, session_id) if session.bet_count else None
    recent = client.spins(session_id, last=RECENT) if session.spin_count else []
    listed = bets.result() if bets is not None else ()
    open_bets: tuple[Bet, ...]
    if listed is None:
        open_bets = tuple(client.bets(session_id, status="open", limit=_PAGE))
    else:
        open_bets = tuple(b for b in listed if b.status == "open")
    return TableView(session, listed, tuple(reversed(recent)), open_bets)
