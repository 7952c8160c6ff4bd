"""What the table page shows, read from the service through the client SDK, read once.

Every page starts with one read of the session. What else the page shows —
the last result, open bets, the last 20 spins, the balance chart over every
spin — comes from the session's bets and spins, and most of that can never
change: a settled, withdrawn or refunded bet and a recorded spin are final.
So each web worker keeps, per session (a bounded LRU), what it has already
read and summed, and asks the service only for what is new:

* **bets after ``through``**: every bet up to confirmation ``through`` is
  final and already counted (its net outcome added to its spin's total); the
  bets after it (the open ones, placed since the last spin) are read again;
* **spins after the newest kept**: at most the 20 the page lists.

Rule: the cache is used as is only when the session read shows the same
``(bet_count, spin_count, open_stake, status)`` as when it was filled. Every
house operation changes that key (a bet adds to ``bet_count``, a spin to
``spin_count``, a withdrawal lowers ``open_stake``, ending changes
``status``), and none undoes another's change, so an equal key means nothing
happened since. Lists are always read after the session, so they are never
older than the key they are stored with. Workers keep separate caches; each
is checked against the service on every page, so none can show stale chips.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from parlor.client import Bet, RouletteClient, Session, SpinRecord
from parlor.web.chart import balance_chart, balance_history

#: Spins listed on the table page.
RECENT = 20
#: Spins the balance chart covers, at most (the newest).
CHART_SPINS = 500
#: Sessions whose history one worker keeps.
CACHED_SESSIONS = 1024
_PAGE = 1000

Key = tuple[int, int, int, str]


@dataclass(frozen=True, slots=True)
class Known:
    """What a worker has read of one session, as of ``key``."""

    key: Key
    #: Every bet with a confirmation up to this one is final and summed into ``nets``.
    through: int = 0
    #: Net chips won (negative: lost) on spin k, at index k - 1.
    nets: tuple[int, ...] = ()
    #: The counted bets settled by the newest spin any counted bet was settled by.
    last_settled: tuple[Bet, ...] = ()
    #: The bets after ``through``, as last read: the open ones, and any placed after them.
    pending: tuple[Bet, ...] = ()
    #: The newest spins, newest first, at most ``RECENT``.
    recent: tuple[SpinRecord, ...] = ()
    #: The balance chart (SVG) as of ``key``; "" before the second point.
    chart: str = ""


@dataclass(frozen=True, slots=True)
class TableView:
    session: Session
    known: Known

    @property
    def recent(self) -> tuple[SpinRecord, ...]:
        return self.known.recent

    @property
    def open_bets(self) -> tuple[Bet, ...]:
        return tuple(b for b in self.known.pending if b.status == "open")

    @property
    def last_spin(self) -> SpinRecord | None:
        if self.recent and self.recent[0].spin == self.session.spin_count:
            return self.recent[0]
        return None

    @property
    def last_results(self) -> tuple[Bet, ...]:
        """The bets the last spin settled, each won or lost with its net outcome."""
        last = self.session.spin_count
        return tuple(b for b in self.known.last_settled if b.spin == last)

    @property
    def last_net(self) -> int:
        return sum(b.outcome or 0 for b in self.last_results)

    @property
    def chart(self) -> str:
        return self.known.chart


def chart_of(session: Session, nets: tuple[int, ...]) -> str:
    """The balance after each of the newest ``CHART_SPINS`` spins, drawn; "" before a spin."""
    spins = session.spin_count
    if spins == 0:
        return ""
    settled = ((k + 1, nets[k]) for k in range(min(len(nets), spins)))
    full = balance_history(session.bankroll, settled, spins)
    first = max(0, len(full) - 1 - CHART_SPINS)
    return balance_chart(full[first:], first_spin=first)


def session_key(session: Session) -> Key:
    return (session.bet_count, session.spin_count, session.open_stake, session.status)


def count_final(known: Known, bets: list[Bet], key: Key) -> Known:
    """``known`` with ``bets`` (every bet after ``known.through``, in order) taken in.

    The final bets before the first open one are summed and never read again;
    the rest are kept as ``pending``, to be read again next time.
    """
    nets = list(known.nets)
    last = list(known.last_settled)
    through = known.through
    for index, bet in enumerate(bets):
        if bet.status == "open":
            return Known(key, through, tuple(nets), tuple(last), tuple(bets[index:]))
        through = bet.confirmation
        if bet.status == "settled" and bet.spin is not None:
            if len(nets) < bet.spin:
                nets.extend([0] * (bet.spin - len(nets)))
            nets[bet.spin - 1] += bet.outcome or 0
            newest = last[0].spin if last else None
            if newest is None or bet.spin > newest:
                last = [bet]
            elif bet.spin == newest:
                last.append(bet)
    return Known(key, through, tuple(nets), tuple(last), ())


def merge_spins(kept: tuple[SpinRecord, ...], new: list[SpinRecord]) -> tuple[SpinRecord, ...]:
    """The newest ``RECENT`` spins of both, newest first (``new`` is oldest first)."""
    newest = kept[0].spin if kept else 0
    fresh = [record for record in reversed(new) if record.spin > newest]
    return (*fresh, *kept)[:RECENT]


class TableReader:
    """Reads table views through ``client``, keeping what cannot change (thread-safe).

    ``pool`` runs the bets read beside the spins read; no task it runs waits
    for another task of the pool.
    """

    def __init__(
        self, client: RouletteClient, pool: Executor, *, capacity: int = CACHED_SESSIONS
    ) -> None:
        self._client = client
        self._pool = pool
        self._capacity = capacity
        self._views: OrderedDict[str, TableView] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, session_id: str) -> TableView:
        """The session as the service has it now, with what the page shows of it."""
        session = self._client.session(session_id)
        with self._lock:
            kept = self._views.get(session_id)
        return self._view(session_id, session, kept)

    def _view(self, session_id: str, session: Session, kept: TableView | None) -> TableView:
        if kept is not None and kept.session == session:
            view = kept
        elif kept is not None and kept.known.key == session_key(session):
            view = TableView(session, kept.known)
        else:
            known = kept.known if kept is not None else Known(session_key(session))
            view = TableView(session, self._refresh(session, known))
        with self._lock:
            self._views[session_id] = view
            self._views.move_to_end(session_id)
            while len(self._views) > self._capacity:
                self._views.popitem(last=False)
        return view

    def _refresh(self, session: Session, known: Known) -> Known:
        key = session_key(session)
        newest = known.recent[0].spin if known.recent else 0
        more_bets = session.bet_count > known.through or known.pending
        bets: Future[list[Bet]] | None = None
        if more_bets:
            bets = self._pool.submit(self._bets_after, session.id, known.through)
        spins: list[SpinRecord] = []
        if session.spin_count > newest:
            spins = self._client.spins(session.id, last=min(session.spin_count - newest, RECENT))
        updated = count_final(known, bets.result(), key) if bets is not None else known
        return Known(
            key,
            updated.through,
            updated.nets,
            updated.last_settled,
            updated.pending,
            merge_spins(known.recent, spins),
            chart_of(session, updated.nets),
        )

    def _bets_after(self, session_id: str, through: int) -> list[Bet]:
        bets: list[Bet] = []
        while True:
            after = bets[-1].confirmation if bets else through
            page = self._client.bets(session_id, after=after, limit=_PAGE)
            bets.extend(page)
            if len(page) < _PAGE:
                return bets
