"""The live bot: one strategy ``Player`` at a house table, through the client SDK.

Rule 1: the strategy decides, the house settles, the bot carries messages.
Every bet is the one ``Player.next_bet()`` names (kind, numbers and amount),
and after every spin the player hears the house's word: the pocket, whether
the bet won, the balance. No strategy is written here a second time.

Rule 2: nothing happens twice and nothing is guessed. Bets carry an
Idempotency-Key (the SDK's), so the SDK may send one again after a lost
answer. A spin is never sent blindly twice: when its answer is lost
(``OutcomeUnknown``), the session's spin count says whether it happened; if
it did, the round is read back from the history, and only if it did not is
the wheel spun again. Ending the session goes the same way.

Rule 3: the bot keeps its place in attributes, not in a generator's locals,
so that after a Ctrl+C anywhere, ``interrupt()`` can settle the round in
flight and ``finish()`` can end the session.

A round::

    next_bet() ──▶ place_bet (a Wager; none to Watch) ──▶ spin ──▶ record() ──▶ Round

The bot does not raise for what the house or the network does: a refused bet
or an unreachable service becomes the ``stop`` reason (``REFUSED``,
``UNAVAILABLE``) with a sentence in ``detail``, and ``finish()`` still ends
the session if it can. Opening the table (``open_table``) raises the SDK's
errors, as there is no session yet to finish.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from parlor.client import (
    ClientError,
    Conflict,
    OutcomeUnknown,
    ProblemError,
    ProtocolMismatch,
    RouletteClient,
    ServiceUnavailable,
    Session,
)
from parlor.roulette.plans import Stopped, Strategy
from parlor.roulette.strategies import Player, Wager
from parlor.roulette.wheel import parse_pocket, wheel_for

__all__ = ["FAILURES", "Bot", "Round", "Stop", "Summary", "open_table"]

T = TypeVar("T")


class Stop(StrEnum):
    """Why a bot stopped. The first five are the strategy's own results."""

    MAX_SPINS = "max-spins"
    BUSTED = Stopped.BUSTED.value
    SHORT = Stopped.SHORT.value
    ABOVE_MAX = Stopped.ABOVE_MAX.value
    LIST_DONE = Stopped.LIST_DONE.value
    INTERRUPTED = "interrupted"
    #: The house refused a request (a problem+json answer): the bot cannot play on.
    REFUSED = "refused"
    #: No usable answer from the service after the SDK's retries, or one that makes no sense
    #: (not parlor's, or a session someone else is spinning).
    UNAVAILABLE = "unavailable"


#: Stops that are not a result of the strategy but a failure to play it.
FAILURES = frozenset({Stop.REFUSED, Stop.UNAVAILABLE})


@dataclass(frozen=True, slots=True)
class Round:
    """One spin the bot played, as the house settled it."""

    #: The session's spin number, from 1.
    spin: int
    #: The bet placed; None when the strategy watched the spin without betting.
    wager: Wager | None
    #: The bet's confirmation number; None when watching.
    confirmation: int | None
    #: The pocket as the API writes it: 1–36, "0" or "00".
    number: int | str
    won: bool
    #: Chips won on the round (negative: lost; 0 when watching).
    net: int
    #: The house's balance after the spin.
    balance: int


@dataclass(frozen=True, slots=True)
class Summary:
    """How a bot's session went, in the house's figures."""

    session_id: str
    strategy: Strategy
    stop: Stop
    #: Why it stopped, as a sentence for a person.
    detail: str
    spins: int
    bets: int
    wagered: int
    largest_bet: int
    #: Chips the session opened with, and held at the end.
    bankroll: int
    balance: int
    #: True when the session was ended here (its server seed is revealed).
    ended: bool

    @property
    def net(self) -> int:
        return self.balance - self.bankroll

    @property
    def failed(self) -> bool:
        return self.stop in FAILURES


def open_table(
    client: RouletteClient,
    strategy: Strategy,
    *,
    budget: int,
    base: int | None = None,
    table_max: int | None = None,
    wheel: str = "american",
) -> Session:
    """Open a session for ``strategy`` with ``budget`` chips.

    The table minimum is ``base`` when given (the bot bets in units of it);
    otherwise it, like the table maximum when ``table_max`` is None, is the
    house's default. The house refuses what its limits do not allow
    (``InvalidInput`` naming ``bankroll``, ``table_min`` or ``table_max``).
    """
    return client.open_session(
        f"{strategy} bot",
        bankroll=budget,
        table_min=base,
        table_max=table_max,
        wheel=wheel,
    )


class Bot:
    """Plays ``player`` at the open ``session`` until it stops or ``max_spins`` are played.

    ``player`` must be playing the session's table: its plan's wheel and
    table maximum are the session's, its bankroll the session's balance.
    """

    def __init__(
        self,
        client: RouletteClient,
        session: Session,
        player: Player,
        *,
        max_spins: int | None = None,
    ) -> None:
        if player.plan.wheel is not wheel_for(session.wheel):
            raise ValueError(f"the player's wheel is not the session's {session.wheel} wheel")
        if player.plan.table_max != session.table_max:
            raise ValueError("the player's table maximum is not the session's")
        self.client = client
        self.session = session
        self.player = player
        self.max_spins = max_spins
        self.rounds: list[Round] = []
        self.stop: Stop | None = None
        self.detail = ""
        self.balance = session.balance
        #: Spins the house has made in this session, as far as the bot knows.
        self._spun = session.spin_count
        #: The round whose spin may have been sent: its wager and confirmation.
        self._in_flight: tuple[Wager | None, int | None] | None = None

    # -- playing ---------------------------------------------------------------------

    def play(self) -> Iterator[Round]:
        """Play round after round, yielding each; ``stop`` says why it ended."""
        while (played := self.step()) is not None:
            yield played

    def step(self) -> Round | None:
        """Play one round; None once stopped (``stop`` and ``detail`` say why)."""
        if self.stop is not None:
            return None
        try:
            return self._round()
        except ProblemError as error:
            self._stop(Stop.REFUSED, f"the house refused: {error}")
        except ClientError as error:  # ServiceUnavailable, ProtocolMismatch
            self._stop(Stop.UNAVAILABLE, str(error))
        return None

    def _round(self) -> Round | None:
        if self.max_spins is not None and len(self.rounds) >= self.max_spins:
            self._stop(Stop.MAX_SPINS, f"played the {self.max_spins} spins allowed")
            return None
        decision = self.player.next_bet()
        if decision is None:
            self._strategy_stopped()
            return None
        wager = decision if isinstance(decision, Wager) else None
        confirmation = None
        if wager is not None:
            if wager.amount < self.session.table_min:  # only all-in bets are ever below it
                self._stop(
                    Stop.SHORT,
                    f"the {wager.amount} chips left are below the table minimum of"
                    f" {self.session.table_min}",
                )
                return None
            numbers = wager.bet.numbers_json()
            receipt = self.client.place_bet(
                self.session.id, wager.bet.kind.value, wager.amount, numbers or None
            )
            confirmation = receipt.confirmation
        self._in_flight = (wager, confirmation)
        return self._spin(wager, confirmation)

    def _spin(self, wager: Wager | None, confirmation: int | None) -> Round:
        def spin() -> Round:
            # By number: if an earlier attempt whose answer was lost is still under
            # way, this one is refused (spin_out_of_turn) instead of spinning again.
            outcome = self.client.spin(self.session.id, number=self._spun + 1)
            nets = {bet.confirmation: bet.outcome for bet in outcome.settled}
            if confirmation is not None and confirmation not in nets:
                # Another spin settled it first: another client's, or a lost one the house
                # had not yet recorded when the bot looked. The rounds no longer line up.
                raise ProtocolMismatch(
                    f"spin {outcome.spin} did not settle bet {confirmation}, an earlier spin"
                    " did: is another client spinning this session?"
                )
            net = 0 if confirmation is None else nets[confirmation]
            number = outcome.result.pocket
            return self._record(wager, confirmation, outcome.spin, number, net, outcome.balance)

        return self._at_most_once("the spin", spin, lambda: self._look_up(wager, confirmation))

    def _at_most_once(self, what: str, act: Callable[[], T], look: Callable[[], T | None]) -> T:
        """``act()``, which the SDK never repeats; when its answer is lost, ``look()`` at the house.

        ``look`` returns what the act did, or None when the house shows it never happened,
        and then (only then) the act is tried again.
        """
        attempts = self.client.retries + 1
        for _ in range(attempts):
            try:
                return act()
            except OutcomeUnknown:
                pass
            except Conflict as refused:
                if refused.code != "spin_out_of_turn":
                    raise
                # A lost earlier attempt was drawn after all: the house has the round.
            found = look()
            if found is not None:
                return found
        raise ServiceUnavailable(
            f"the answer to {what} was lost {attempts} times in a row, and the house never"
            f" acted on it: is the network to {self.client.base_url} working?"
        )

    def _look_up(self, wager: Wager | None, confirmation: int | None) -> Round | None:
        """The round whose spin answer was lost, from the house's records; None if never spun."""
        state = self.client.session(self.session.id)
        if state.spin_count == self._spun:
            return None
        record = self.client.spins(self.session.id, last=1)[0]
        net = 0
        if confirmation is not None:
            net = self.client.bet(self.session.id, confirmation).outcome or 0
        return self._record(
            wager, confirmation, record.spin, record.result.pocket, net, state.balance
        )

    def _record(
        self,
        wager: Wager | None,
        confirmation: int | None,
        spin: int,
        number: int | str,
        net: int,
        balance: int,
    ) -> Round:
        pocket = parse_pocket(number, self.player.plan.wheel)
        won = net > 0
        self.player.record(won, pocket, bankroll=balance)
        played = Round(spin, wager, confirmation, number, won, net, balance)
        self.rounds.append(played)
        self._spun = spin
        self.balance = balance
        self._in_flight = None
        return played

    def _strategy_stopped(self) -> None:
        player = self.player
        plan = player.plan
        reason = player.stop_reason
        if reason is Stopped.BUSTED:
            self._stop(Stop.BUSTED, "busted: no chips left")
        elif reason is Stopped.LIST_DONE:
            self._stop(
                Stop.LIST_DONE, "the cancellation list is all crossed out: its 21 units are won"
            )
        elif reason is Stopped.ABOVE_MAX:
            self._stop(
                Stop.ABOVE_MAX,
                f"the next bet, {player.wanted}, is above the table maximum of"
                f" {plan.table_max} (--at-limit {plan.at_limit})",
            )
        else:
            self._stop(
                Stop.SHORT,
                f"the next bet, {player.wanted}, is more than the {player.bankroll} chips left"
                f" (--when-short {plan.when_short})",
            )

    def _stop(self, stop: Stop, detail: str) -> None:
        self.stop = stop
        self.detail = detail

    # -- stopping --------------------------------------------------------------------

    def interrupt(self) -> None:
        """Stop after a Ctrl+C: a round whose spin the house made is still recorded."""
        if self.stop is None:
            self._stop(Stop.INTERRUPTED, "interrupted (Ctrl+C)")
        if self._in_flight is not None:
            # If the house cannot say, finish() still reports its final balance, or says why not.
            with contextlib.suppress(ClientError):
                self._look_up(*self._in_flight)

    def finish(self) -> Summary:
        """End the session (refunding any bet left open) and sum it up.

        When the service cannot be reached, the session stays open and the
        summary gives the last balance the bot knew.
        """
        if self.stop is None:  # finished before it stopped: the caller's choice
            self._stop(Stop.INTERRUPTED, "stopped before the strategy did")
        ended = False
        try:
            state = self._end()
            ended = state.ended
            self.balance = state.balance
        except ClientError as error:
            if self.stop not in FAILURES:  # a failure already said what went wrong first
                self._stop(Stop.UNAVAILABLE, f"the session could not be ended: {error}")
        stakes = [r.wager.amount for r in self.rounds if r.wager is not None]
        return Summary(
            session_id=self.session.id,
            strategy=self.player.plan.strategy,
            stop=self.stop or Stop.INTERRUPTED,
            detail=self.detail,
            spins=len(self.rounds),
            bets=len(stakes),
            wagered=sum(stakes),
            largest_bet=max(stakes, default=0),
            bankroll=self.session.bankroll,
            balance=self.balance,
            ended=ended,
        )

    def _end(self) -> Session:
        def end() -> Session:
            try:
                return self.client.end_session(self.session.id)
            except Conflict:  # already ended, by someone else
                return self.client.session(self.session.id)

        def look() -> Session | None:
            state = self.client.session(self.session.id)
            return state if state.ended else None

        return self._at_most_once("ending the session", end, look)
