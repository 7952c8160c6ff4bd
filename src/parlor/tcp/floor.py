"""The tables' floor: what each command means, the rounds, and who hears what.

``Floor`` holds the server's tables (``Room``) and makes one ``Player``
conversation per connection (``parlor.tcp.server`` does the framing and the
limits). Chips move only in the house (``TablesHouse``, ``RouletteHouse``),
whose calls block on the database and so run on worker threads
(``asyncio.to_thread``); the floor itself runs on the event loop and keeps no
money of its own.

A round, at each table:

1. ``closed``: no betting. The first ``SPIN`` opens the window for everyone
   (``630``), for ``window`` seconds.
2. ``open``: players ``BET`` and ``WDRW``. When the window's time is up the
   floor says so (``631``) and the table is ``spinning``: new bets are refused
   (``450``) until the result is out.
3. The house spins the table in one transaction that settles every open bet
   of every session at the table, seated or not (a player who left or lost
   the connection is settled all the same). A bet the house took before that
   transaction is in the round; one it took after (a bet sent just as the
   window closed) stays open, for the next: never lost, never settled twice.
4. Everyone seated hears the result (``640``), and each settled player their
   own settlement (``641``). Players who quit during the round are cashed out
   now. The table is ``closed`` again.

Who you are: ``USER name`` alone plays anonymously, with a bankroll from the
house. ``USER`` of an account asks for ``PASS`` (``331``); a password in
clear is refused (``533``) except on TLS, from loopback, or where the
operator allows it, and failed ones are throttled as the web throttles them.
Either way ``230`` gives a resume token: after a lost connection,
``USER name token`` gives the seat and the chips back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from parlor.house.accounts import AccountsHouse
from parlor.house.errors import (
    AccountShort,
    HouseBusy,
    HouseError,
    InsufficientBalance,
    InvalidRequest,
    NotFound,
)
from parlor.house.roulette import RouletteHouse, SessionState
from parlor.house.tables import TablesHouse, TableSpin
from parlor.roulette.wheel import WheelKind, describe, label
from parlor.store.db import StoreBusy
from parlor.tcp.commands import COMMANDS, Needs, help_lines
from parlor.tcp.protocol import MAX_LINE, Command, Event, Reply
from parlor.tcp.server import Link
from parlor.text import line_problem
from parlor.wsgi.throttle import Throttle, wait_words

T = TypeVar("T")

DEFAULT_WINDOW = 10.0
#: The longest chat line, in characters (and it must fit one event line in bytes).
MAX_CHAT = 400
#: The most digits a number a command takes may have (amounts, bet numbers, counts).
_NUMBER = re.compile(r"[0-9]{1,12}")


def number(text: str) -> int | None:
    """``text`` as a whole number of ASCII digits (at most 12), or None."""
    return int(text) if _NUMBER.fullmatch(text) else None


def shown(text: str, most: int = 40) -> str:
    """What a client sent, as a reply quotes it: at most ``most`` characters."""
    return text if len(text) <= most else text[: most - 3] + "..."


_log = logging.getLogger(__name__)
_OK = Reply.of(200, "ok")


class Phase(Enum):
    CLOSED = "closed"
    OPEN = "open"
    SPINNING = "spinning"


def pocket_words(pocket: int) -> str:
    spin = describe(pocket)
    return f"{label(pocket)} {spin.color}"


@dataclass(eq=False)
class Room:
    """One table as the floor runs it: who is here, and where its round stands."""

    name: str
    wheel: WheelKind
    #: The table's id in the house (a session's ``table_id``).
    table_id: int
    here: dict[str, Player] = field(default_factory=dict)
    phase: Phase = Phase.CLOSED
    #: The loop's time when the open window closes.
    closes_at: float = 0.0
    #: The round the window is open for (the table's spins so far, plus one).
    round: int = 0
    #: Sessions of players who quit with bets in this round: cashed out after the spin.
    leaving: set[str] = field(default_factory=set)

    def tell(self, event: Event, *, besides: Player | None = None) -> None:
        for player in list(self.here.values()):
            if player is not besides:
                player.link.send(event)

    def names(self, *, besides: Player | None = None) -> list[str]:
        return sorted(p.name for p in self.here.values() if p is not besides)


class Floor:
    """The server's tables, and a conversation for each connection."""

    def __init__(
        self,
        tables: TablesHouse,
        roulette: RouletteHouse,
        accounts: AccountsHouse,
        *,
        window: float = DEFAULT_WINDOW,
        throttle: Throttle,
        clear_passwords: bool = False,
        run: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        self.tables = tables
        self.roulette = roulette
        self.accounts = accounts
        self.window = window
        self.throttle = throttle
        #: Passwords are taken in clear from anywhere, not only loopback and TLS.
        self.clear_passwords = clear_passwords
        self._run = run or asyncio.to_thread
        self.rooms: dict[str, Room] = {}
        #: Who plays each session now, so that a resumed game leaves one connection only.
        self.online: dict[str, Player] = {}
        self._spins: set[asyncio.Task[None]] = set()

    async def house(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a house call off the loop."""
        result: T = await self._run(call, *args, **kwargs)
        return result

    async def open(self, tables: Sequence[tuple[str, WheelKind]]) -> None:
        """Open (or find again) each table, as ``--table NAME:WHEEL`` names them."""
        for name, wheel in tables:
            state = await self.house(self.tables.open_table, name, wheel)
            self.rooms[state.name] = Room(state.name, state.wheel, state.id, round=state.round + 1)

    def room_of(self, table_id: int | None) -> Room | None:
        return next((r for r in self.rooms.values() if r.table_id == table_id), None)

    def conversation(self, link: Link) -> Player:
        return Player(self, link)

    async def stop(self) -> None:
        for task in list(self._spins):
            task.cancel()
        for task in list(self._spins):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- rounds ---------------------------------------------------------------------------

    def open_window(self, room: Room) -> None:
        loop = asyncio.get_running_loop()
        room.phase = Phase.OPEN
        room.closes_at = loop.time() + self.window
        room.tell(Event(630, f"betting opens for {self.window:g} s (round {room.round})"))
        task = asyncio.create_task(self._round(room))
        self._spins.add(task)
        task.add_done_callback(self._spins.discard)

    async def _round(self, room: Room) -> None:
        await asyncio.sleep(max(0.0, room.closes_at - asyncio.get_running_loop().time()))
        room.phase = Phase.SPINNING
        room.tell(Event(631, f"betting closes (round {room.round})"))
        try:
            result = await self._spin(room)
        except Exception as error:  # whatever it was, the table must not stay spinning
            _log.exception("table %s: round %s could not be spun", room.name, room.round)
            await self._recover(room, error)
            return
        room.tell(Event(640, f"round {result.round}: {pocket_words(result.result.pocket)}"))
        by_session = {player.session_id: player for player in room.here.values()}
        for settled in result.settlements:
            player = by_session.get(settled.session_id)
            if player is not None:
                player.link.send(
                    Event(
                        641,
                        f"round {result.round}: staked {settled.staked}, returned"
                        f" {settled.returned}, {settled.balance} chips",
                    )
                )
        room.round = result.round + 1
        room.phase = Phase.CLOSED
        leaving, room.leaving = room.leaving, set()
        for session_id in leaving:
            if session_id in self.online:
                continue  # resumed meanwhile: the player is back
            with contextlib.suppress(HouseError, StoreBusy):
                await self.house(self.roulette.end_session, session_id)

    async def _spin(self, room: Room) -> TableSpin:
        """The house's spin of the round, tried again while the house is busy."""
        for pause in (0.05, 0.2, 1.0, 2.0, 5.0):
            try:
                return await self.house(self.tables.spin, room.name, expected_round=room.round)
            except (HouseBusy, StoreBusy):
                await asyncio.sleep(pause)
        return await self.house(self.tables.spin, room.name, expected_round=room.round)

    async def _recover(self, room: Room, error: Exception) -> None:
        """After a spin that failed: say so, and take the round up from the house's count
        (another server on the database may have spun it). Open bets stay open."""
        reason = str(error) if isinstance(error, HouseError) else "the house could not spin"
        failed = room.round
        with contextlib.suppress(Exception):
            state = await self.house(self.tables.table, room.name)
            room.round = state.round + 1
        room.phase = Phase.CLOSED  # before the news: a SPIN that answers it opens a window
        room.tell(Event(632, f"round {failed} was not spun ({shown(reason, 200)}): bets stay open"))


@dataclass(eq=False)
class Player:
    """One connection's conversation: who it is, where it sits, and the replies it gets."""

    floor: Floor
    link: Link
    name: str = ""
    session_id: str | None = None
    account_id: int | None = None
    #: After ``USER`` of an account: its name, until ``PASS``.
    asked: str | None = None
    room: Room | None = None

    def greeting(self) -> Reply:
        return Reply.of(220, "parlor tables ready: HELP lists the commands")

    async def answer(self, command: Command) -> Reply:
        spec = COMMANDS[command.verb]
        if not spec.fits(len(command.args)):
            return Reply.of(501, f"syntax: {spec.syntax}")
        if spec.needs is not Needs.NOTHING and self.session_id is None:
            return Reply.of(503, "log in first: USER name")
        if spec.needs is Needs.TABLE and self.room is None:
            return Reply.of(503, "sit at a table first: TABL lists them, JOIN one")
        handler = getattr(self, f"_do_{command.verb.lower()}")
        try:
            reply: Reply = await (handler(command.rest) if spec.raw else handler(*command.args))
        except (HouseBusy, StoreBusy):
            return Reply.of(451, "the house is busy: try again in a moment")
        except (InsufficientBalance, AccountShort) as error:
            return Reply.of(553, str(error))
        except InvalidRequest as error:
            return Reply.of(501, f"{error} (syntax: {spec.syntax})")
        except HouseError as error:
            return Reply.of(550, str(error))
        return reply

    async def gone(self) -> None:
        """The connection ended without QUIT. A player who sat at a table keeps the session
        (its token resumes it, seat and all), and open bets stay in the round; one who
        never sat down is cashed out (an account gets its chips back)."""
        room, self.room = self.room, None
        if room is not None and room.here.get(self.session_id or "") is self:
            del room.here[self.session_id or ""]
            room.tell(Event(611, f"{self.name} left {room.name}"))
        if self.session_id is None or self.floor.online.get(self.session_id) is not self:
            return  # not logged in, or the game was resumed on another connection
        del self.floor.online[self.session_id]
        with contextlib.suppress(HouseError, StoreBusy):
            state = await self.floor.house(self.floor.roulette.session, self.session_id)
            if state.table_id is None and not state.open_stake and not state.ended:
                await self.floor.house(self.floor.roulette.end_session, state.id)

    # -- who you are ----------------------------------------------------------------------

    async def _do_user(self, name: str, token: str | None = None) -> Reply:
        if self.session_id is not None:
            return Reply.of(503, f"you are {self.name} already: QUIT, then connect again")
        if token is not None:
            return await self._resume(name, token)
        credentials = await self.floor.house(self.floor.accounts.credentials, name)
        if credentials is not None:
            self.asked = credentials.username
            return Reply.of(331, f"{credentials.username} has an account: send PASS")
        state = await self.floor.house(
            self.floor.roulette.open_session, name, wheel=WheelKind.AMERICAN
        )
        return self._logged_in(state, f"{state.name} plays anonymously")

    async def _resume(self, name: str, token: str) -> Reply:
        try:
            state = await self.floor.house(self.floor.roulette.session, token)
        except NotFound:
            state = None
        if (
            state is None
            or state.ended
            or not hmac.compare_digest(state.name.encode(), name.encode())
        ):
            return Reply.of(530, f"no game of {shown(name)}'s to resume with that token")
        self._take_over(state.id)
        reply = self._logged_in(state, f"welcome back, {state.name}")
        room = self.floor.room_of(state.table_id)
        if room is not None:
            await self._sit(room)
            return Reply.of(230, f"{reply.lines[0]}, at {room.name}")
        return reply

    async def _do_pass(self, password: str) -> Reply:
        if self.session_id is not None:
            return Reply.of(503, f"you are logged in as {self.name} already")
        if self.asked is None:
            return Reply.of(503, "send USER with your account's name first")
        if not (self.link.secure or self.link.loopback or self.floor.clear_passwords):
            return Reply.of(533, "a password in clear is refused here: connect with TLS")
        username = self.asked
        keys = (f"account:{username.casefold()}", f"address:{self.link.address}")
        with self.floor.throttle.attempt(keys) as wait:
            if wait > 0:
                return Reply.of(530, f"too many failed logins: try again in {wait_words(wait)}")
            found = await self.floor.house(self.floor.accounts.check_password, username, password)
            if found is None:
                self.floor.throttle.failed(keys)
                return Reply.of(530, "that password is not right: USER again to retry")
            self.floor.throttle.succeeded(keys[0])
        self.account_id = found.account_id
        state = await self.floor.house(self._account_session, found.account_id, found.username)
        self._take_over(state.id)
        reply = self._logged_in(state, f"{found.username} logged in")
        room = self.floor.room_of(state.table_id) if state.seated else None
        if room is not None:  # the account's game, seated when its connection was lost
            await self._sit(room)
            return Reply.of(230, f"{reply.lines[0]}, at {room.name}")
        return reply

    def _take_over(self, session_id: str) -> None:
        """The game comes to this connection: one that held it is closed (421), and a
        cash-out waiting for the round is called off."""
        earlier = self.floor.online.get(session_id)
        if earlier is not None and earlier is not self:
            if earlier.room is not None and earlier.room.here.get(session_id) is earlier:
                del earlier.room.here[session_id]
            earlier.room = None
            earlier.link.close(Reply.of(421, "your game was taken up on another connection"))
        for each in self.floor.rooms.values():
            each.leaving.discard(session_id)

    def _account_session(self, account_id: int, username: str) -> SessionState:
        """The account's table session left open by a lost connection, or a new one."""
        account = self.floor.accounts.account(account_id)
        for session_id in reversed(account.open_sessions):
            found = self.floor.roulette.session(session_id)
            if found.table_id is not None:
                return found
        return self.floor.roulette.open_session(
            username, account_id=account_id, wheel=WheelKind.AMERICAN
        )

    def _logged_in(self, state: SessionState, said: str) -> Reply:
        self.session_id, self.name, self.asked = state.id, state.name, None
        self.floor.online[state.id] = self
        return Reply.of(230, f"{said}: {state.balance} chips; resume token {state.id}")

    # -- the tables -----------------------------------------------------------------------

    async def _do_tabl(self) -> Reply:
        lines = [f"{len(self.floor.rooms)} tables"]
        for state in await self.floor.house(self.floor.tables.tables):
            room = self.floor.rooms.get(state.name)
            if room is None:
                continue
            lines.append(
                f"{room.name}  {room.wheel.value}  {len(room.here)} seated"
                f"  window {self.floor.window:g} s  {room.phase.value}"
            )
        return Reply(211, (*lines, "end"))

    async def _do_join(self, name: str) -> Reply:
        room = self.floor.rooms.get(name)
        if room is None:
            return Reply.of(550, f"no table {shown(name)!r}: TABL lists them")
        if self.room is room:
            return Reply.of(250, f"you sit at {room.name} already")
        if self.room is not None:
            return Reply.of(503, f"you sit at {self.room.name}: LEAV it first")
        moved = await self._to_wheel(room.wheel)
        if isinstance(moved, Reply):
            return moved
        others = await self._sit(room)
        said = f"you sit at {room.name}" + (f" with {others}" if others else "")
        return Reply.of(250, said + (f"; your resume token is now {moved}" if moved else ""))

    async def _to_wheel(self, wheel: WheelKind) -> Reply | str | None:
        """Carry the player's chips to a session on ``wheel`` if theirs is on the other
        (a session's bets are of one wheel): the new session's id, or None if no move."""
        assert self.session_id is not None
        state = await self.floor.house(self.floor.roulette.session, self.session_id)
        if state.wheel is wheel:
            return None
        if state.open_stake:
            return Reply.of(503, "your open bets are on the other wheel: wait for their spin")
        most = self.floor.roulette.limits.max_bankroll
        if not 1 <= state.balance <= most:
            return Reply.of(
                553,
                f"{state.balance} chips cannot be carried to the other wheel's tables"
                f" (a bankroll is 1 to {most}): play on at a table of this wheel",
            )
        ended = await self.floor.house(self.floor.roulette.end_session, state.id)
        chips = ended.cashed_out if ended.cashed_out is not None else ended.balance
        if chips <= 0:
            return Reply.of(553, "you have no chips left to carry to that table")
        fresh = await self.floor.house(
            self.floor.roulette.open_session,
            state.name,
            bankroll=chips,
            wheel=wheel,
            account_id=state.account_id,
        )
        if self.floor.online.get(state.id) is self:
            del self.floor.online[state.id]
        self.floor.online[fresh.id] = self
        self.session_id = fresh.id
        return str(fresh.id)

    async def _sit(self, room: Room) -> str:
        session_id = self.session_id
        assert session_id is not None
        await self.floor.house(self.floor.tables.sit, room.name, session_id)
        if self.floor.online.get(session_id) is not self or not self.link.open():
            return ""  # the game moved to another connection meanwhile: it sits there
        others = " and ".join(room.names()) if len(room.here) < 6 else f"{len(room.here)} others"
        room.here[session_id] = self
        self.room = room
        room.tell(Event(610, f"{self.name} joins {room.name}"), besides=self)
        return others

    async def _do_leav(self) -> Reply:
        assert self.session_id is not None
        room = await self._stand_up(self.session_id)
        return Reply.of(200, f"you stand up from {room.name}; open bets stay in the round")

    async def _stand_up(self, session_id: str) -> Room:
        room = self.room
        assert room is not None
        await self.floor.house(self.floor.tables.stand, session_id)
        room.here.pop(session_id, None)
        self.room = None
        room.tell(Event(611, f"{self.name} left {room.name}"))
        return room

    # -- betting --------------------------------------------------------------------------

    def _not_betting(self, room: Room) -> Reply | None:
        if room.phase is Phase.CLOSED:
            return Reply.of(450, "the betting window is closed: SPIN opens it")
        if room.phase is Phase.SPINNING:
            return Reply.of(450, f"round {room.round} is spinning: bet when it is out")
        return None

    async def _do_bet(self, amount: str, proposition: str, *numbers: str) -> Reply:
        room = self.room
        assert room is not None
        assert self.session_id is not None
        chips = number(amount)
        if chips is None:
            return Reply.of(
                501, f"syntax: {COMMANDS['BET'].syntax}: amount is a whole number of chips"
            )
        refused = self._not_betting(room)
        if refused is not None:
            return refused
        receipt = await self.floor.house(
            self.floor.tables.place_bet,
            room.name,
            self.session_id,
            proposition,
            list(numbers) or None,
            chips,
        )
        placed = receipt.bet
        return Reply.of(
            250,
            f"bet {placed.confirmation}: {placed.amount} on {placed.bet.describe()}, pays"
            f" {placed.bet.odds} to 1 ({receipt.balance} chips)",
        )

    async def _do_wdrw(self, which: str) -> Reply:
        room = self.room
        assert room is not None
        assert self.session_id is not None
        confirmation = number(which)
        if confirmation is None:
            return Reply.of(501, f"syntax: {COMMANDS['WDRW'].syntax}: n is a bet's number")
        refused = self._not_betting(room)
        if refused is not None:
            return refused
        receipt = await self.floor.house(
            self.floor.tables.withdraw_bet, room.name, self.session_id, confirmation
        )
        return Reply.of(
            250,
            f"bet {receipt.bet.confirmation} withdrawn: {receipt.bet.amount} back"
            f" ({receipt.balance} chips)",
        )

    async def _do_bets(self) -> Reply:
        assert self.session_id is not None
        bets = await self.floor.house(self.floor.roulette.bets, self.session_id, status="open")
        lines = [f"{len(bets)} open bets"]
        lines += [f"bet {b.confirmation}: {b.amount} on {b.bet.describe()}" for b in bets]
        return Reply(211, (*lines, "end"))

    async def _do_spin(self) -> Reply:
        room = self.room
        assert room is not None
        if room.phase is Phase.SPINNING:
            return Reply.of(450, f"round {room.round} is spinning already")
        if room.phase is Phase.OPEN:
            left = room.closes_at - asyncio.get_running_loop().time()
            return Reply.of(250, f"the window is open: {max(0.0, left):.0f} s left")
        self.floor.open_window(room)
        return Reply.of(250, f"the window is open for {self.floor.window:g} s")

    # -- information ----------------------------------------------------------------------

    async def _do_stat(self) -> Reply:
        assert self.session_id is not None
        state = await self.floor.house(self.floor.roulette.session, self.session_id)
        lines = [f"{self.name}: {state.balance} chips, {state.open_stake} in open bets"]
        room = self.room
        if room is None:
            lines.append("standing: TABL lists the tables, JOIN one")
        else:
            lines.append(
                f"at {room.name} ({room.wheel.value}): round {room.round} {room.phase.value},"
                f" {len(room.here)} seated, bets {state.table_min} to {state.table_max}"
            )
        return Reply(211, (*lines, "end"))

    async def _do_last(self, count: str = "10") -> Reply:
        room = self.room
        assert room is not None
        wanted = number(count)
        if wanted is None or not 1 <= wanted <= 100:
            return Reply.of(501, f"syntax: {COMMANDS['LAST'].syntax}: n is 1 to 100")
        spins = await self.floor.house(self.floor.tables.last, room.name, wanted)
        lines = [f"last {len(spins)} results"]
        lines += [f"round {s.round}  {pocket_words(s.pocket)}" for s in spins]
        return Reply(211, (*lines, "end"))

    async def _do_chat(self, text: str) -> Reply:
        room = self.room
        assert room is not None
        problem = line_problem(text, MAX_CHAT)
        said = f"620 {self.name} {text}"
        if problem is None and len(said.encode()) > MAX_LINE:
            problem = f"must fit one line: at most {MAX_LINE} bytes with your name"
        if problem is not None:
            return Reply.of(501, f"a chat line {problem}")
        room.tell(Event(620, f"{self.name} {text}"), besides=self)
        return Reply.of(200, "said")

    async def _do_who(self) -> Reply:
        room = self.room
        assert room is not None
        names = room.names()
        return Reply(211, (f"{len(names)} at {room.name}", *names, "end"))

    async def _do_cred(self) -> Reply:
        assert self.session_id is not None
        state = await self.floor.house(self.floor.roulette.session, self.session_id)
        return Reply.of(231, f"{state.balance} chips ({state.open_stake} more in open bets)")

    async def _do_help(self, verb: str | None = None) -> Reply:
        lines = help_lines(verb)
        if lines is None:
            return Reply.of(501, f"{shown(verb or '')} is no command: HELP lists them")
        return Reply(214, lines)

    async def _do_noop(self) -> Reply:
        return _OK

    async def _do_quit(self) -> Reply:
        """Goodbye, always 221: bets in a round being played stay in it, and the session is
        cashed out once it is settled; otherwise now."""
        session_id, self.session_id = self.session_id, None
        if session_id is None or self.floor.online.get(session_id) is not self:
            return Reply.of(221, "goodbye")
        del self.floor.online[session_id]
        try:
            if self.room is not None:
                await self._stand_up(session_id)
            state = await self.floor.house(self.floor.roulette.session, session_id)
            room = self.floor.room_of(state.table_id)
            if state.open_stake and room is not None and room.phase is not Phase.CLOSED:
                room.leaving.add(session_id)  # cashed out once the round is settled
                said = f"{state.balance} chips, {state.open_stake} in this round's bets"
            else:
                state = await self.floor.house(self.floor.roulette.end_session, session_id)
                chips = state.cashed_out if state.cashed_out is not None else state.balance
                said = f"{chips} chips"
        except (HouseError, StoreBusy):
            said = "your chips stay where they are"
        return Reply.of(221, f"goodbye, {self.name}: {said}")
