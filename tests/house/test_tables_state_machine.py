"""The tables house as a state machine, on both engines, against a model of tables and players.

Hypothesis opens tables (again with the same wheel, or refused with the other),
opens sessions of either wheel, sits them down (at tables of the wrong wheel,
closed or unknown tables, while seated elsewhere or with bets open elsewhere),
stands them up, places bets at tables (valid ones, and bets refused for their
amount, proposition, wheel, limits, balance, or for want of a seat), withdraws
them, spins (by round, and out of turn), closes tables, ends sessions, and asks
the roulette house to play a table session alone. A model predicts each answer:
what a success returns, and that a refusal raises the right ``HouseError`` and
changes nothing at all. After every step the ledger balances and every table and
session holds what the model says; each change raises the versions it should.

Each example gets a database of its own, as in ``test_house_state_machine``.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.house.tables import TablesHouse
from parlor.roulette import fairness
from parlor.roulette.bets import RuleViolation, parse_kind, settle
from parlor.roulette.wheel import Wheel, WheelKind
from parlor.store.db import PostgresDatabase, SQLiteDatabase, open_database
from parlor.store.schema import migrate
from tests.house.test_house_state_machine import (
    BAD_AMOUNTS,
    LAYOUT,
    NOT_A_BET,
    OTHER_WHEEL,
    WHEELS,
    BetModel,
    _with_search_path,
)

pytestmark = pytest.mark.slow

NAMES = ("main", "euro", "side")
#: Sessions open at once, and in all, per example.
MAX_OPEN_PLAYERS = 4
MAX_PLAYERS = 7


@dataclass
class TableModel:
    id: int
    name: str
    wheel: Wheel
    server_seed: str
    client_seed: str
    round: int = 0
    status: str = "open"
    version: int = 1


@dataclass
class PlayerModel:
    """What the house should say about one session."""

    wheel: Wheel
    la_partage: bool
    bankroll: int
    table_min: int
    table_max: int
    balance: int
    status: str = "open"
    bet_count: int = 0
    spin_count: int = 0
    version: int = 1
    table: int | None = None
    seated: bool = False
    bets: dict[int, BetModel] = field(default_factory=dict)

    @property
    def open_stake(self) -> int:
        return sum(b.amount for b in self.bets.values() if b.status == "open")

    @property
    def sits(self) -> bool:
        return self.seated and self.status == "open"


def _is_chips(amount: object) -> bool:
    return isinstance(amount, int) and not isinstance(amount, bool) and amount > 0


def _names_a_kind(proposition: object) -> bool:
    try:
        parse_kind(proposition)
    except RuleViolation:
        return False
    return True


class TablesMachine(RuleBasedStateMachine):
    """Tables, seats, bets and rounds on one fresh database, checked against a model."""

    base_url: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._schema: str | None = None
        self._directory: str | None = None
        if urlsplit(self.base_url).scheme in ("postgresql", "postgres"):
            self._schema = f"tm_{secrets.token_hex(6)}"
            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {self._schema}")
            url = _with_search_path(self.base_url, self._schema)
        else:
            parent = Path(self.base_url.removeprefix("sqlite:///")).parent
            self._directory = tempfile.mkdtemp(prefix="tables-machine-", dir=parent)
            url = f"sqlite:///{self._directory}/parlor.db"
        self.db: SQLiteDatabase | PostgresDatabase = open_database(url)
        migrate(self.db)
        self.house = RouletteHouse(self.db)
        # Known seeds, so that every pocket replays when an example shrinks.
        self._seeds_drawn = 0
        self.tables = TablesHouse(
            self.house,
            new_server_seed=self._next_server_seed,
            new_client_seed=lambda: f"client {self._seeds_drawn}",
        )
        self.table_models: dict[int, TableModel] = {}
        #: By session id, in the order opened: ids are random, so draws go by this order.
        self.players: dict[str, PlayerModel] = {}

    def teardown(self) -> None:
        self.db.close()
        if self._schema is not None:
            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {self._schema} CASCADE")
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def _next_server_seed(self) -> str:
        self._seeds_drawn += 1
        return hashlib.sha256(f"table seed {self._seeds_drawn}".encode()).hexdigest()

    # -- the model's lookups ------------------------------------------------------------

    def _open_model(self, name: str) -> TableModel | None:
        return next(
            (t for t in self.table_models.values() if t.name == name and t.status == "open"), None
        )

    def _newest_model(self, name: str) -> TableModel | None:
        """The open table of that name, or else the one that closed last (as the house says)."""
        named = [t for t in self.table_models.values() if t.name == name]
        return self._open_model(name) or max(named, key=lambda t: t.id, default=None)

    def _missing(self, name: str) -> type[errors.HouseError]:
        """Why there is no open table of that name."""
        return errors.UnknownTable if self._newest_model(name) is None else errors.TableClosed

    def _name(self, data: st.DataObject, likely: list[str]) -> str:
        """Mostly one of the ``likely`` names (when there are any); now and then any name."""
        if likely and data.draw(st.integers(0, 7), label="likely") > 0:
            return data.draw(st.sampled_from(likely), label="table")
        return data.draw(st.sampled_from(NAMES), label="table")

    def _open_names(self, wheel: Wheel | None = None) -> list[str]:
        return [
            t.name
            for t in self.table_models.values()
            if t.status == "open" and (wheel is None or t.wheel is wheel)
        ]

    def _seated_at(self, table: TableModel) -> int:
        return sum(p.table == table.id and p.sits for p in self.players.values())

    # -- refusals -----------------------------------------------------------------------

    def _snapshot(self) -> tuple[Any, ...]:
        """Everything an operation could change: tables, rounds, sessions, bets, the ledger."""
        return (
            self.tables.tables(),
            [self.tables.table(t.name) for t in self.table_models.values()],
            [self.tables.last(t.name, 1000) for t in self.table_models.values()],
            [
                (self.house.session(s), self.house.bets(s, limit=10_000), self.house.spins(s))
                for s in self.players
            ],
            check_ledger(self.db),
        )

    def _refused(
        self, expected: type[errors.HouseError], call: Callable[[], object]
    ) -> errors.HouseError:
        before = self._snapshot()
        with pytest.raises(expected) as refused:
            call()
        assert isinstance(refused.value, errors.HouseError)
        assert refused.value.message
        assert self._snapshot() == before
        return refused.value

    # -- tables -------------------------------------------------------------------------

    def _open_table(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(NAMES), label="table")
        found = self._open_model(name)
        wheel = data.draw(st.sampled_from(sorted(WHEELS)), label="wheel")
        if found is not None and data.draw(st.booleans(), label="same wheel"):
            wheel = found.wheel.kind  # opened again as it is: the same table back
        if found is not None and found.wheel.kind is not wheel:
            self._refused(
                errors.TableNameTaken, lambda: self.tables.open_table(name.upper(), wheel)
            )
            return
        state = self.tables.open_table(name.upper(), wheel.value)
        if found is None:
            found = TableModel(
                state.id, name, WHEELS[wheel], self._next_seed_seen(), f"client {self._seeds_drawn}"
            )
            assert state.id not in self.table_models
            self.table_models[state.id] = found
        assert (state.id, state.name, state.wheel, state.status) == (found.id, name, wheel, "open")
        assert (state.round, state.version, state.server_seed) == (found.round, found.version, None)
        assert state.server_seed_hash == fairness.hash_server_seed(found.server_seed)
        assert state.client_seed == found.client_seed

    def _next_seed_seen(self) -> str:
        return hashlib.sha256(f"table seed {self._seeds_drawn}".encode()).hexdigest()

    @initialize(data=st.data())
    def first_table_and_players(self, data: st.DataObject) -> None:
        """Every example plays from its first step: a table, and two players seated at it."""
        self._open_table(data)
        for _ in range(2):
            self.open_session(data)
            self.sit(data)

    @rule(data=st.data())
    def open_table(self, data: st.DataObject) -> None:
        self._open_table(data)

    @precondition(lambda self: any(t.round >= 2 for t in self.table_models.values()))
    @rule(data=st.data())
    def close_table(self, data: st.DataObject) -> None:
        if data.draw(st.integers(0, 5), label="close now") > 0:
            return  # closing ends a table's play: keep it rarer than the rest
        name = self._name(data, self._open_names())
        table = self._open_model(name)
        if table is None:
            missing = self._missing(name)
            self._refused(missing, lambda: self.tables.close_table(name))
            return
        closed = self.tables.close_table(name)
        for player in self.players.values():
            if player.table != table.id or player.status != "open":
                continue
            if not (player.open_stake or player.seated):
                continue
            player.balance += player.open_stake
            for placed in player.bets.values():
                if placed.status == "open":
                    placed.status, placed.returned, placed.outcome = "refunded", placed.amount, 0
            player.seated = False
            player.version += 1
        table.status = "closed"
        table.version += 1
        assert (closed.status, closed.round, closed.seated) == ("closed", table.round, 0)
        assert closed.server_seed == table.server_seed
        verification = self.tables.verify(name)
        assert verification.ok
        assert verification.spins_checked == table.round

    # -- players ------------------------------------------------------------------------

    @precondition(
        lambda self: (
            len(self.players) < MAX_PLAYERS
            and sum(p.status == "open" for p in self.players.values()) < MAX_OPEN_PLAYERS
        )
    )
    @rule(data=st.data())
    def open_session(self, data: st.DataObject) -> None:
        at_tables = sorted({t.wheel.kind for t in self.table_models.values() if t.status == "open"})
        wheel = data.draw(st.sampled_from(at_tables or sorted(WHEELS)), label="wheel")
        if data.draw(st.integers(0, 4), label="any wheel") == 0:
            wheel = data.draw(st.sampled_from(sorted(WHEELS)), label="wheel")
        la_partage = wheel is WheelKind.EUROPEAN and data.draw(st.booleans(), label="la_partage")
        table_min = data.draw(st.integers(1, 20), label="table_min")
        table_max = data.draw(st.integers(table_min, 30 * table_min), label="table_max")
        # Mostly enough for a few rounds; now and then so little that it runs out.
        bankroll = data.draw(
            st.integers(table_max, 20 * table_max) | st.integers(1, table_max), label="bankroll"
        )
        state = self.house.open_session(
            "player",
            bankroll=bankroll,
            table_min=table_min,
            table_max=table_max,
            wheel=wheel.value,
            la_partage=la_partage,
        )
        self.players[state.id] = PlayerModel(
            WHEELS[wheel], la_partage, bankroll, table_min, table_max, bankroll
        )

    def _player(
        self, data: st.DataObject, likely: Callable[[PlayerModel], bool] | None = None
    ) -> tuple[str, PlayerModel]:
        """A player; mostly one for whom ``likely`` holds, if there is one."""
        preferred = [s for s, p in self.players.items() if likely is not None and likely(p)]
        if preferred and data.draw(st.integers(0, 7), label="likely player") > 0:
            session_id = data.draw(st.sampled_from(preferred), label="session")
        else:
            session_id = data.draw(st.sampled_from(list(self.players)), label="session")
        return session_id, self.players[session_id]

    def _sit_refusal(self, name: str, player: PlayerModel) -> type[errors.HouseError] | None:
        """What sitting at ``name`` earns, in the house's order; None: it sits (or sits already)."""
        table = self._open_model(name)
        if table is None:
            return self._missing(name)
        if player.table == table.id and player.sits:
            return None
        if player.status == "ended":
            return errors.SessionEnded
        if player.wheel.kind is not table.wheel.kind:
            return errors.WrongWheelForTable
        if player.table == table.id:
            return None
        if player.table is not None and player.sits:
            return errors.SeatedElsewhere
        if player.open_stake:
            return errors.BetsStillOpen
        return None

    @precondition(lambda self: self.players)
    @rule(data=st.data())
    def sit(self, data: st.DataObject) -> None:
        session_id, player = self._player(data, lambda p: p.status == "open" and not p.sits)
        name = self._name(data, self._open_names(player.wheel))
        refusal = self._sit_refusal(name, player)
        if refusal is not None:
            self._refused(refusal, lambda: self.tables.sit(name, session_id))
            return
        table = self._open_model(name)
        assert table is not None
        if not (player.table == table.id and player.sits):
            player.table, player.seated = table.id, True
            player.version += 1
            table.version += 1
        state = self.tables.sit(name, session_id)
        assert (state.id, state.seated, state.version) == (
            table.id,
            self._seated_at(table),
            table.version,
        )

    @precondition(lambda self: self.players)
    @rule(data=st.data())
    def stand(self, data: st.DataObject) -> None:
        session_id, player = self._player(data, lambda p: p.sits)
        if player.table is None:
            self._refused(errors.NotSeated, lambda: self.tables.stand(session_id))
            return
        table = self.table_models[player.table]
        if player.sits:
            player.seated = False
            player.version += 1
            table.version += 1
        state = self.tables.stand(session_id)
        assert (state.id, state.seated, state.version) == (
            table.id,
            self._seated_at(table),
            table.version,
        )

    @precondition(lambda self: any(p.status == "open" for p in self.players.values()))
    @rule(data=st.data())
    def end_session(self, data: st.DataObject) -> None:
        if data.draw(st.integers(0, 5), label="end now") > 0:
            return  # an ended session plays no more: keep it rare
        session_id = data.draw(
            st.sampled_from([s for s, p in self.players.items() if p.status == "open"]),
            label="session",
        )
        player = self.players[session_id]
        refund = player.open_stake
        ended = self.house.end_session(session_id)
        for placed in player.bets.values():
            if placed.status == "open":
                placed.status, placed.returned, placed.outcome = "refunded", placed.amount, 0
        player.balance += refund
        player.status = "ended"
        player.version += 1
        assert (ended.status, ended.balance, ended.seated) == ("ended", player.balance, False)

    @precondition(lambda self: any(p.table is not None for p in self.players.values()))
    @rule(data=st.data())
    def play_alone(self, data: st.DataObject) -> None:
        """A table session asked to spin, bet, withdraw or be verified by the roulette house."""
        session_id, player = self._player(data, lambda p: p.table is not None and p.sits)
        if player.table is None:
            return  # a solo session: the roulette house's own machine plays those
        operation = data.draw(st.sampled_from(["spin", "bet", "withdraw", "verify"]), label="op")
        calls: dict[str, Callable[[], object]] = {
            "spin": lambda: self.house.spin(session_id),
            "bet": lambda: self.house.place_bet(session_id, "red", None, player.table_min),
            "withdraw": lambda: self.house.withdraw_bet(session_id, 1),
            "verify": lambda: self.house.verify(session_id),
        }
        ended_first = player.status == "ended" and operation != "verify"
        self._refused(errors.SessionEnded if ended_first else errors.PlaysAtTable, calls[operation])

    # -- bets ---------------------------------------------------------------------------

    def _bet_request(self, player: PlayerModel, data: st.DataObject) -> tuple[Any, ...]:
        """(proposition, numbers, amount), and whether the proposition is one of the layout's."""
        room = max(player.table_min, min(player.table_max - player.open_stake, player.balance))
        choice = data.draw(
            st.sampled_from(["valid"] * 6 + ["over balance", "over max", "bad amount", "bad"]),
            label="request",
        )
        amount: object = data.draw(st.integers(player.table_min, room), label="amount")
        if choice == "bad":
            proposition, numbers = data.draw(
                st.sampled_from(NOT_A_BET + OTHER_WHEEL[player.wheel.kind]), label="proposition"
            )
            return proposition, numbers, amount, False
        bet = data.draw(st.sampled_from(LAYOUT[player.wheel.kind]), label="bet")
        if choice == "over balance":
            amount = player.balance + data.draw(st.integers(1, player.table_max), label="over")
        elif choice == "over max":
            amount = player.table_max + data.draw(st.integers(1, 50), label="over")
        elif choice == "bad amount":
            amount = data.draw(st.sampled_from(BAD_AMOUNTS), label="amount")
        return bet.kind.value, bet.numbers_json(), amount, True

    def _bet_refusal(
        self, name: str, player: PlayerModel, proposition: object, amount: object, valid: bool
    ) -> type[errors.HouseError] | None:
        """What the bet earns, in the house's order of checks; None: it is placed."""
        if not _is_chips(amount) or not _names_a_kind(proposition):
            return errors.InvalidRequest
        table = self._newest_model(name)
        if table is None:
            return errors.UnknownTable
        if not valid:
            return errors.HouseError  # bad geometry (InvalidBet) or the other wheel's bet
        if player.status == "ended":
            return errors.SessionEnded
        if table.status == "closed":
            return errors.TableClosed
        if player.table != table.id or not player.sits:
            return errors.NotSeated
        assert isinstance(amount, int)
        if amount < player.table_min or player.open_stake + amount > player.table_max:
            return errors.OutsideTableLimits
        if amount > player.balance:
            return errors.InsufficientBalance
        return None

    def _target(self, player: PlayerModel, data: st.DataObject) -> str:
        """Mostly the player's own table; now and then any name at all."""
        own = None if player.table is None else self.table_models[player.table].name
        if own is not None and data.draw(st.integers(0, 7), label="elsewhere") > 0:
            return own
        return data.draw(st.sampled_from(NAMES), label="table")

    @precondition(lambda self: self.players)
    @rule(data=st.data())
    def place_bets(self, data: st.DataObject) -> None:
        session_id, player = self._player(data, lambda p: p.sits)
        self._place_bets(session_id, player, self._target(player, data), data)

    def _place_bets(
        self, session_id: str, player: PlayerModel, name: str, data: st.DataObject
    ) -> None:
        for _ in range(data.draw(st.integers(1, 4), label="bets")):
            proposition, numbers, amount, valid = self._bet_request(player, data)
            refusal = self._bet_refusal(name, player, proposition, amount, valid)

            def place(p: object = proposition, n: Any = numbers, a: object = amount) -> object:
                return self.tables.place_bet(name, session_id, p, n, a)

            if refusal is not None:
                self._refused(refusal, place)
                continue
            receipt = self.tables.place_bet(name, session_id, proposition, numbers, amount)
            assert isinstance(amount, int)
            player.bet_count += 1
            player.balance -= amount
            player.version += 1
            player.bets[player.bet_count] = BetModel(receipt.bet.bet, amount)
            assert (receipt.bet.confirmation, receipt.bet.amount) == (player.bet_count, amount)
            assert receipt.balance == player.balance

    @precondition(lambda self: any(p.bets for p in self.players.values()))
    @rule(data=st.data())
    def withdraw_bet(self, data: st.DataObject) -> None:
        session_id, player = self._player(data, lambda p: p.sits and p.open_stake > 0)
        name = self._target(player, data)
        still_open = [c for c, b in player.bets.items() if b.status == "open"]
        confirmation = data.draw(
            (st.sampled_from(still_open) if still_open else st.nothing())
            | st.sampled_from([*player.bets, player.bet_count + 1]),
            label="confirmation",
        )
        table = self._newest_model(name)
        placed = player.bets.get(confirmation)
        refusal: type[errors.HouseError] | None = None
        if table is None:
            refusal = errors.UnknownTable
        elif player.status == "ended":
            refusal = errors.SessionEnded
        elif table.status == "closed":
            refusal = errors.TableClosed
        elif player.table != table.id or not player.sits:
            refusal = errors.NotSeated
        elif placed is None:
            refusal = errors.UnknownBet
        elif placed.status != "open":
            refusal = errors.BetNotOpen
        if refusal is not None:
            self._refused(refusal, lambda: self.tables.withdraw_bet(name, session_id, confirmation))
            return
        assert placed is not None
        receipt = self.tables.withdraw_bet(name, session_id, confirmation)
        placed.status = "withdrawn"
        player.balance += placed.amount
        player.version += 1
        assert (receipt.bet.status, receipt.balance) == ("withdrawn", player.balance)

    # -- rounds -------------------------------------------------------------------------

    @rule(data=st.data())
    def spin(self, data: st.DataObject) -> None:
        self._spin(self._name(data, self._open_names()), data)

    @precondition(lambda self: any(p.sits for p in self.players.values()))
    @rule(data=st.data())
    def play_a_round(self, data: st.DataObject) -> None:
        """Seated players bet, then their table spins: most rounds have chips on the table."""
        seated = [p for p in self.players.values() if p.sits]
        player = data.draw(st.sampled_from(seated), label="player")
        assert player.table is not None
        name = self.table_models[player.table].name
        for other_id, other in self.players.items():
            if other.table == player.table and other.sits and data.draw(st.booleans(), label="in"):
                self._place_bets(other_id, other, name, data)
        self._spin(name, data)

    def _spin(self, name: str, data: st.DataObject) -> None:
        table = self._open_model(name)
        if table is None:
            missing = self._missing(name)
            self._refused(missing, lambda: self.tables.spin(name))
            return
        number = table.round + 1
        turn = data.draw(st.sampled_from(["any", "numbered", "out of turn"]), label="turn")
        if turn == "out of turn":
            wrong = data.draw(st.sampled_from([n for n in (number - 1, number + 1) if n >= 1]))
            self._refused(
                errors.RoundOutOfTurn, lambda: self.tables.spin(name, expected_round=wrong)
            )
            return
        spun = self.tables.spin(name, expected_round=number if turn == "numbered" else None)
        pocket = fairness.draw(
            table.server_seed, table.client_seed, number, table.wheel.pocket_count
        )
        assert (spun.round, spun.result.pocket) == (number, pocket)
        betting = {
            s: p
            for s, p in self.players.items()
            if p.table == table.id and p.status == "open" and p.open_stake
        }
        assert {s.session_id for s in spun.settlements} == set(betting)
        for settlement in spun.settlements:
            player = betting[settlement.session_id]
            opened = sorted(c for c, b in player.bets.items() if b.status == "open")
            assert [b.confirmation for b in settlement.bets] == opened
            player.spin_count += 1
            for settled in settlement.bets:
                placed = player.bets[settled.confirmation]
                returned = settle(placed.bet, placed.amount, pocket, la_partage=player.la_partage)
                placed.status, placed.spin = "settled", player.spin_count
                placed.returned, placed.outcome = returned, returned - placed.amount
                assert (settled.returned, settled.spin) == (returned, player.spin_count)
                player.balance += returned
            player.version += 1
            assert settlement.balance == player.balance
            assert settlement.staked == sum(b.amount for b in settlement.bets)
        table.round = number
        table.version += 1
        assert self.tables.last(name, 1)[0].pocket == pocket

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self) -> None:
        report = check_ledger(self.db)
        assert report.ok, report.problems
        assert report.house_balance == -sum(p.balance for p in self.players.values())

    @invariant()
    def every_table_matches_its_model(self) -> None:
        opened = [t for t in self.table_models.values() if t.status == "open"]
        assert [(t.id, t.seated) for t in self.tables.tables()] == [
            (t.id, self._seated_at(t)) for t in sorted(opened, key=lambda t: t.name)
        ]
        for name in {t.name for t in self.table_models.values()}:
            model = self._newest_model(name)
            assert model is not None
            state = self.tables.table(name)
            assert (state.id, state.round, state.status, state.version) == (
                model.id,
                model.round,
                model.status,
                model.version,
            )
            assert state.seated == self._seated_at(model)

    @invariant()
    def every_session_matches_its_model(self) -> None:
        for session_id, player in self.players.items():
            state = self.house.session(session_id)
            assert (state.balance, state.open_stake) == (player.balance, player.open_stake)
            assert (state.bet_count, state.spin_count) == (player.bet_count, player.spin_count)
            assert (state.status, state.version) == (player.status, player.version)
            assert (state.table_id, state.seated) == (player.table, player.sits)
            bets = self.house.bets(session_id, limit=10_000)
            assert [(b.confirmation, b.status, b.returned) for b in bets] == [
                (c, b.status, b.returned) for c, b in sorted(player.bets.items())
            ]


#: Examples per engine: about 7 s on SQLite and 15 s on PostgreSQL (two cores).
EXAMPLES = {"sqlite": 30, "postgresql": 10}

MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES["sqlite"],
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.no_cover
def test_tables_state_machine(db_url: str) -> None:
    """The tables house agrees with the model on SQLite and on PostgreSQL."""

    class Machine(TablesMachine):
        base_url = db_url

    engine = "postgresql" if urlsplit(db_url).scheme.startswith("postgres") else "sqlite"
    run_state_machine_as_test(
        Machine, settings=settings(MACHINE_SETTINGS, max_examples=EXAMPLES[engine])
    )
