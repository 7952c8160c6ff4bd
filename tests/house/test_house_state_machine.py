"""The roulette house as a state machine, on both engines, against a model of each session.

Hypothesis opens sessions, places bets (valid ones from the layout, and bets
refused for their amount, the table limits, the balance or their numbers),
withdraws bets (open or not), spins, ends sessions and tries again on ended
ones. A model of every session predicts each answer: what a success returns,
and that a refusal raises a ``HouseError`` and changes nothing at all. After
every step the ledger audit must pass and each session must hold what its
model says; each successful change raises the session's version.

Each example gets a database of its own: a fresh SQLite file, or a fresh
PostgreSQL schema, made when the machine starts and dropped when it stops.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from parlor.house import errors
from parlor.house.ledger import check_ledger
from parlor.house.roulette import MAX_ID, RouletteHouse
from parlor.roulette import fairness
from parlor.roulette.bets import EVEN_MONEY, Bet, all_bets, settle
from parlor.roulette.wheel import AMERICAN, EUROPEAN, ZERO_POCKETS, Wheel, WheelKind
from parlor.store.db import PostgresDatabase, SQLiteDatabase, open_database
from parlor.store.schema import migrate

pytestmark = pytest.mark.slow

#: Sessions open at once, and in all, per example: enough to interleave, few enough
#: that each is played a while.
MAX_OPEN_SESSIONS = 3
MAX_SESSIONS = 5

WHEELS: dict[WheelKind, Wheel] = {AMERICAN.kind: AMERICAN, EUROPEAN.kind: EUROPEAN}
LAYOUT: dict[WheelKind, list[Bet]] = {kind: list(all_bets(wheel)) for kind, wheel in WHEELS.items()}
#: Even-money bets (which la partage concerns), and dozens and columns: drawn more often
#: than their share of the layout, so that bets win.
EVEN_MONEY_BETS: dict[WheelKind, list[Bet]] = {
    kind: [bet for bet in bets if bet.kind in EVEN_MONEY] for kind, bets in LAYOUT.items()
}
DOZENS_AND_COLUMNS: dict[WheelKind, list[Bet]] = {
    kind: [bet for bet in bets if len(bet.covers) == 12] for kind, bets in LAYOUT.items()
}
#: The bets a zero wins (straights on 0 and 00, the five, the first four): drawn often too.
ON_ZERO: dict[WheelKind, list[Bet]] = {
    kind: [bet for bet in bets if bet.covers & ZERO_POCKETS] for kind, bets in LAYOUT.items()
}

#: Propositions no layout has: unknown kinds, shapes that are not on it, bad pockets.
NOT_A_BET: list[tuple[object, object]] = [
    ("purple", None),
    ("split", [17, 21]),
    ("split", [3, 4]),
    ("split", [17]),
    ("split", "17,20"),
    ("street", [3, 4, 5]),
    ("corner", [3, 4, 6, 7]),
    ("six line", [1, 2, 3, 7, 8, 9]),
    ("straight", [37]),
    ("straight", [-1]),
    ("straight", ["07"]),
    ("straight", [True]),
    ("dozen", [4]),
    ("column", [0]),
    ("red", [1]),
]
#: Bets of the other wheel's layout. Refused, but the class is the house's to choose
#: (InvalidBet once, now a Conflict), so only HouseError is asserted.
OTHER_WHEEL: dict[WheelKind, list[tuple[object, object]]] = {
    WheelKind.AMERICAN: [("first four", [0, 1, 2, 3])],
    WheelKind.EUROPEAN: [("five", [0, "00", 1, 2, 3]), ("straight", ["00"])],
}

#: Options open_session must refuse (InvalidRequest), opening nothing.
BAD_SESSION_OPTIONS: list[dict[str, Any]] = [
    {"wheel": "american", "la_partage": True},
    {"wheel": "european", "la_partage": "yes"},
    {"table_min": 20, "table_max": 10},
    {"table_min": 0},
    {"bankroll": 0},
    {"bankroll": 10.5},
    {"wheel": "french"},
]

#: What a drawn bet request aims at: half of them a bet the table takes.
REQUESTS = [
    *["valid"] * 6,
    "over balance",
    "over table max",
    "over room",
    "below table min",
    "bad amount",
    "bad proposition",
]

#: Amounts that are not a whole, positive number of chips, whatever the table.
BAD_AMOUNTS: list[object] = [0, -1, -10, 10.0, 12.5, "10", True, None]


def server_seed(n: int) -> str:
    """The server seed of the n-th session a machine opens (known, so pockets replay)."""
    return hashlib.sha256(f"server seed {n}".encode()).hexdigest()


@cache
def zero_client_seeds(n: int, wheel: WheelKind) -> tuple[str, ...]:
    """Client seeds with which the n-th session's first two spins both land on a zero.

    A zero comes up one spin in 37 (or 19 on the American wheel); left to
    chance, la partage and the bets on the zeros would seldom be settled.
    """
    pockets = WHEELS[wheel].pocket_count
    found = (
        seed
        for seed in (f"zero {i}" for i in range(200_000))
        if all(fairness.draw(server_seed(n), seed, k, pockets) in ZERO_POCKETS for k in (1, 2))
    )
    return tuple(itertools.islice(found, 3))


@dataclass
class BetModel:
    bet: Bet
    amount: int
    status: str = "open"
    spin: int | None = None
    returned: int | None = None
    outcome: int | None = None


@dataclass
class SessionModel:
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
    #: Net result of every settled bet: the session holds its bankroll plus this.
    net: int = 0
    bets: dict[int, BetModel] = field(default_factory=dict)

    @property
    def open_stake(self) -> int:
        return sum(b.amount for b in self.bets.values() if b.status == "open")

    def confirmations(self, *, opened: bool) -> list[int]:
        return sorted(c for c, b in self.bets.items() if (b.status == "open") is opened)


def _is_chips(amount: object) -> bool:
    return isinstance(amount, int) and not isinstance(amount, bool) and amount > 0


def expected_bet_refusal(
    model: SessionModel, proposition: type[errors.HouseError] | None, amount: object
) -> type[errors.HouseError] | None:
    """The refusal the model predicts for a bet on an open session; None: it is placed.

    ``proposition`` is the refusal the proposition itself earns, if any. An
    amount that is not chips is a bad request; a stake the table limits
    forbid is refused somehow (the class may move, so only HouseError is
    asserted); a stake within them but over the balance is InsufficientBalance.
    """
    if not _is_chips(amount):
        return errors.InvalidRequest
    if proposition is not None:
        return proposition
    assert isinstance(amount, int)
    if (
        amount < model.table_min
        or amount > model.table_max
        or model.open_stake + amount > model.table_max
    ):
        return errors.HouseError
    if amount > model.balance:
        return errors.InsufficientBalance
    return None


def _with_search_path(url: str, schema: str) -> str:
    """``url`` with its connections confined to ``schema`` (replacing any search_path given).

    Commits need not wait for the disk: the database is thrown away anyway.
    """
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema} -csynchronous_commit=off"))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


class HouseMachine(RuleBasedStateMachine):
    """Sessions, bets and spins on one fresh database, checked step by step against a model."""

    #: The test's database URL: each example's own database is made beside it.
    base_url: ClassVar[str] = ""

    open_sessions: Bundle[str] = Bundle("open_sessions")
    ended_sessions: Bundle[str] = Bundle("ended_sessions")

    def __init__(self) -> None:
        super().__init__()
        self._schema: str | None = None
        self._directory: str | None = None
        if urlsplit(self.base_url).scheme in ("postgresql", "postgres"):
            self._schema = f"sm_{secrets.token_hex(6)}"
            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {self._schema}")
            url = _with_search_path(self.base_url, self._schema)
        else:
            parent = Path(self.base_url.removeprefix("sqlite:///")).parent
            self._directory = tempfile.mkdtemp(prefix="machine-", dir=parent)
            url = f"sqlite:///{self._directory}/parlor.db"
        self.db: SQLiteDatabase | PostgresDatabase = open_database(url)
        migrate(self.db)
        # A known server seed per session, and a client seed Hypothesis draws: each
        # example's pockets are then fixed, so a failure replays and shrinks.
        self._sessions_opened = 0
        self.house = RouletteHouse(self.db, new_server_seed=self._next_server_seed)
        self.models: dict[str, SessionModel] = {}
        #: The version each session was last seen at, and the sessions changed since.
        self.seen_versions: dict[str, int] = {}
        self.changed: set[str] = set()
        #: Snapshots taken since the last successful change, so still the current state.
        self._unchanged: dict[str, tuple[Any, ...]] = {}

    def teardown(self) -> None:
        self.db.close()
        if self._schema is not None:
            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {self._schema} CASCADE")
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def _next_server_seed(self) -> str:
        self._sessions_opened += 1
        return server_seed(self._sessions_opened)

    # -- helpers ----------------------------------------------------------------------------

    def _snapshot(self, session_id: str) -> tuple[Any, ...]:
        """Everything an operation could change: the session, its bets and spins, the ledger."""
        return (
            self.house.session(session_id),
            self.house.bets(session_id, limit=10_000),
            self.house.spins(session_id),
            check_ledger(self.db),
        )

    def _refused(
        self, session_id: str, expected: type[errors.HouseError], call: Callable[[], object]
    ) -> errors.HouseError:
        """Run ``call``, which must raise ``expected`` and leave everything as it was."""
        before = self._unchanged.get(session_id) or self._snapshot(session_id)
        with pytest.raises(expected) as refused:
            call()
        assert isinstance(refused.value, errors.HouseError)
        assert refused.value.message
        after = self._snapshot(session_id)
        assert after == before
        self._unchanged[session_id] = after
        return refused.value

    def _changed(self, session_id: str) -> None:
        """Note a successful change: the session's version must have grown at the next check."""
        self.changed.add(session_id)
        self._unchanged.clear()  # the ledger, at least, is not what any snapshot says

    def _bet_request(
        self, model: SessionModel, data: st.DataObject
    ) -> tuple[object, object, object, Bet | None, type[errors.HouseError] | None]:
        """What to send (proposition, numbers, amount), the bet it names, and its refusal.

        The refusal is the one the proposition alone earns; the amount's is the model's.
        """
        room = min(model.table_max - model.open_stake, model.balance)
        # Mostly small stakes, so that several bets fit on the table before a spin.
        within = (
            st.integers(model.table_min, min(room, 3 * model.table_min))
            | st.integers(model.table_min, room)
            if room >= model.table_min
            else st.integers(model.table_min, model.table_max)
        )
        choice = data.draw(st.sampled_from(REQUESTS), label="request")
        kind = model.wheel.kind
        if choice == "bad proposition":
            refusal: type[errors.HouseError]
            proposition, numbers, refusal = data.draw(
                st.sampled_from([(p, n, errors.InvalidRequest) for p, n in NOT_A_BET])
                | st.sampled_from([(p, n, errors.HouseError) for p, n in OTHER_WHEEL[kind]]),
                label="proposition",
            )
            return proposition, numbers, data.draw(within, label="amount"), None, refusal
        bet = data.draw(
            st.sampled_from(EVEN_MONEY_BETS[kind])
            | st.sampled_from(DOZENS_AND_COLUMNS[kind])
            | st.sampled_from(ON_ZERO[kind])
            | st.sampled_from(LAYOUT[kind]),
            label="bet",
        )
        amount: object
        if choice == "over balance":
            amount = data.draw(st.integers(model.balance + 1, model.balance + model.table_max))
        elif choice == "over table max":
            amount = data.draw(st.integers(model.table_max + 1, 2 * model.table_max + 10))
        elif choice == "over room" and model.open_stake:
            amount = data.draw(st.integers(model.table_max - model.open_stake + 1, model.table_max))
        elif choice == "below table min" and model.table_min > 1:
            amount = data.draw(st.integers(1, model.table_min - 1))
        elif choice == "bad amount":
            amount = data.draw(st.sampled_from([*BAD_AMOUNTS, 10**30]))
        else:
            amount = data.draw(within, label="amount")
        return bet.kind.value, bet.numbers_json(), amount, bet, None

    # -- sessions ---------------------------------------------------------------------------

    def _open(self, data: st.DataObject) -> str:
        if data.draw(st.integers(0, 3), label="a refused open first") == 0:
            options = data.draw(st.sampled_from(BAD_SESSION_OPTIONS), label="bad options")
            before = check_ledger(self.db)
            with pytest.raises(errors.InvalidRequest):
                self.house.open_session("mallory", **options)
            assert check_ledger(self.db) == before
        wheel = data.draw(st.sampled_from(sorted(WHEELS)), label="wheel")
        la_partage = wheel is WheelKind.EUROPEAN and data.draw(st.booleans(), label="la_partage")
        table_min = data.draw(st.integers(1, 25), label="table_min")
        table_max = data.draw(st.integers(table_min, 40 * table_min), label="table_max")
        # Small bankrolls run out (InsufficientBalance); large ones meet the table limits.
        bankroll = data.draw(
            st.integers(1, table_max) | st.integers(table_max, 20 * table_max), label="bankroll"
        )
        client_seed = data.draw(
            st.integers(0, 10**9).map(lambda i: f"client {i}")
            | st.sampled_from(zero_client_seeds(self._sessions_opened + 1, wheel)),
            label="client_seed",
        )
        state = self.house.open_session(
            "alice",
            bankroll=bankroll,
            table_min=table_min,
            table_max=table_max,
            wheel=wheel.value,
            la_partage=la_partage,
            client_seed=client_seed,
        )
        assert (state.wheel, state.la_partage, state.client_seed) == (
            wheel,
            la_partage,
            client_seed,
        )
        assert (state.table_min, state.table_max) == (table_min, table_max)
        assert (state.bankroll, state.balance, state.open_stake) == (bankroll, bankroll, 0)
        assert (state.status, state.version, state.server_seed) == ("open", 1, None)
        assert state.id not in self.models
        self.models[state.id] = SessionModel(
            wheel=WHEELS[wheel],
            la_partage=la_partage,
            bankroll=bankroll,
            table_min=table_min,
            table_max=table_max,
            balance=bankroll,
        )
        self._changed(state.id)
        return state.id

    @initialize(target=open_sessions, data=st.data())
    def first_session(self, data: st.DataObject) -> str:
        """Every example plays from its first step."""
        return self._open(data)

    @precondition(
        lambda self: (
            len(self.models) < MAX_SESSIONS
            and sum(m.status == "open" for m in self.models.values()) < MAX_OPEN_SESSIONS
        )
    )
    @rule(target=open_sessions, data=st.data())
    def open_session(self, data: st.DataObject) -> str:
        return self._open(data)

    # Sessions end only once something has been spun, so that most steps are play.
    @precondition(lambda self: any(m.spin_count for m in self.models.values()))
    @rule(target=ended_sessions, session_id=consumes(open_sessions))
    def end_session(self, session_id: str) -> str:
        model = self.models[session_id]
        refund = model.open_stake
        ended = self.house.end_session(session_id)
        for placed in model.bets.values():
            if placed.status == "open":
                placed.status, placed.returned, placed.outcome = "refunded", placed.amount, 0
        model.balance += refund
        model.status = "ended"
        model.version += 1
        self._changed(session_id)
        assert (ended.status, ended.balance, ended.open_stake) == ("ended", model.balance, 0)
        assert ended.version == model.version
        assert ended.server_seed is not None
        verification = self.house.verify(session_id)
        assert verification.ok
        assert verification.spins_checked == model.spin_count
        return session_id

    # -- bets -------------------------------------------------------------------------------

    @rule(session_id=open_sessions, data=st.data())
    def place_bets(self, session_id: str, data: st.DataObject) -> None:
        """A few bets in a row, as a player puts chips down before a spin."""
        for _ in range(data.draw(st.integers(1, 5), label="bets")):
            self._place_bet(session_id, data)

    def _place_bet(self, session_id: str, data: st.DataObject) -> None:
        model = self.models[session_id]
        proposition, numbers, amount, bet, refusal = self._bet_request(model, data)
        refusal = expected_bet_refusal(model, refusal, amount)

        def place() -> object:
            return self.house.place_bet(session_id, proposition, numbers, amount)  # type: ignore[arg-type]

        if refusal is not None:
            self._refused(session_id, refusal, place)
            return
        assert bet is not None
        assert isinstance(amount, int)
        receipt = self.house.place_bet(session_id, proposition, numbers, amount)  # type: ignore[arg-type]
        model.bet_count += 1
        model.balance -= amount
        model.version += 1
        model.bets[model.bet_count] = BetModel(bet, amount)
        self._changed(session_id)
        assert receipt.bet.confirmation == model.bet_count
        assert (receipt.bet.bet, receipt.bet.amount, receipt.bet.status) == (bet, amount, "open")
        assert receipt.balance == model.balance
        assert not receipt.replayed

    @rule(session_id=open_sessions, data=st.data())
    def withdraw_bet(self, session_id: str, data: st.DataObject) -> None:
        model = self.models[session_id]
        names: list[st.SearchStrategy[object]] = [
            st.sampled_from(found)
            for found in (model.confirmations(opened=True), model.confirmations(opened=False))
            if found
        ]
        names.append(st.sampled_from([0, -1, model.bet_count + 1, MAX_ID + 1, "1", True, None]))
        confirmation = data.draw(st.one_of(names), label="confirmation")

        def withdraw() -> object:
            return self.house.withdraw_bet(session_id, confirmation)

        # (True == 1, so a bool must not find bet 1 in the model.)
        placed = (
            None
            if isinstance(confirmation, bool) or not isinstance(confirmation, int)
            else model.bets.get(confirmation)
        )
        if placed is None:
            self._refused(session_id, errors.UnknownBet, withdraw)
            return
        if placed.status != "open":
            refused = self._refused(session_id, errors.BetNotOpen, withdraw)
            assert isinstance(refused, errors.BetNotOpen)
            assert refused.status == placed.status
            return
        receipt = self.house.withdraw_bet(session_id, confirmation)
        placed.status = "withdrawn"
        model.balance += placed.amount
        model.version += 1
        self._changed(session_id)
        assert (receipt.bet.confirmation, receipt.bet.status) == (confirmation, "withdrawn")
        assert (receipt.bet.bet, receipt.bet.amount) == (placed.bet, placed.amount)
        assert receipt.balance == model.balance

    # -- spins ------------------------------------------------------------------------------

    @rule(session_id=open_sessions, data=st.data())
    def spin(self, session_id: str, data: st.DataObject) -> None:
        self._spin(session_id, data)

    @rule(session_id=open_sessions, data=st.data())
    def play_a_round(self, session_id: str, data: st.DataObject) -> None:
        """Bets, then the spin that settles them: most spins should have chips on the table."""
        self.place_bets(session_id, data)
        self._spin(session_id, data)

    def _spin(self, session_id: str, data: st.DataObject) -> None:
        model = self.models[session_id]
        number = model.spin_count + 1
        turn = data.draw(st.sampled_from(["any", "numbered", "any", "out of turn"]), label="turn")
        if turn == "out of turn":
            wrong = data.draw(
                st.sampled_from([n for n in (number - 1, number + 1, number + 5) if n >= 1])
            )
            self._refused(
                session_id,
                errors.SpinOutOfTurn,
                lambda: self.house.spin(session_id, expected=wrong),
            )
            return
        balance_before = model.balance
        result = self.house.spin(session_id, expected=number if turn == "numbered" else None)
        pocket = result.result.pocket
        assert (result.session_id, result.spin) == (session_id, number)
        assert model.wheel.has(pocket)
        # Every open bet is settled, once, by the rules: settle() on the drawn pocket.
        assert [b.confirmation for b in result.settled] == model.confirmations(opened=True)
        for settled in result.settled:
            placed = model.bets[settled.confirmation]
            assert (settled.bet, settled.amount) == (placed.bet, placed.amount)
            returned = settle(placed.bet, placed.amount, pocket, la_partage=model.la_partage)
            placed.status, placed.spin = "settled", number
            placed.returned, placed.outcome = returned, returned - placed.amount
            assert (settled.status, settled.spin) == ("settled", number)
            assert (settled.returned, settled.outcome) == (placed.returned, placed.outcome)
            model.net += placed.outcome
        paid = sum(settled.returned or 0 for settled in result.settled)
        model.balance += paid
        model.spin_count = number
        model.version += 1
        self._changed(session_id)
        assert result.balance == balance_before + paid == model.balance
        assert self.house.spins(session_id, last=1)[0].pocket == pocket

    # -- ended sessions ---------------------------------------------------------------------

    @rule(session_id=ended_sessions, data=st.data())
    def refused_on_ended(self, session_id: str, data: st.DataObject) -> None:
        model = self.models[session_id]
        operation = data.draw(st.sampled_from(["bet", "spin", "withdraw", "end"]), label="op")
        call: Callable[[], object]
        if operation == "bet":
            bet = data.draw(st.sampled_from(LAYOUT[model.wheel.kind]), label="bet")
            amount = data.draw(st.integers(model.table_min, model.table_max), label="amount")
            call = lambda: self.house.place_bet(  # noqa: E731
                session_id, bet.kind.value, bet.numbers_json(), amount
            )
        elif operation == "spin":
            call = lambda: self.house.spin(session_id)  # noqa: E731
        elif operation == "withdraw":
            if not model.bets:  # no bet to name: refused, for whichever reason the house says
                self._refused(
                    session_id, errors.HouseError, lambda: self.house.withdraw_bet(session_id, 1)
                )
                return
            confirmation = data.draw(st.sampled_from(sorted(model.bets)), label="confirmation")
            call = lambda: self.house.withdraw_bet(session_id, confirmation)  # noqa: E731
        else:
            call = lambda: self.house.end_session(session_id)  # noqa: E731
        self._refused(session_id, errors.SessionEnded, call)

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def the_ledger_balances(self) -> None:
        report = check_ledger(self.db)
        assert report.ok, report.problems
        assert report.total == 0
        assert report.sessions == len(self.models)
        # Every chip a session holds came from the house.
        assert report.house_balance == -sum(m.balance for m in self.models.values())

    @invariant()
    def every_session_matches_its_model(self) -> None:
        for session_id, model in self.models.items():
            state = self.house.session(session_id)
            assert state.balance >= 0
            assert state.balance + state.open_stake == model.balance + model.open_stake
            assert state.balance + state.open_stake == model.bankroll + model.net
            assert (state.balance, state.open_stake) == (model.balance, model.open_stake)
            assert (state.bet_count, state.spin_count) == (model.bet_count, model.spin_count)
            assert state.status == model.status
            assert state.version == model.version
            seen = self.seen_versions.get(session_id)
            if session_id not in self.changed:
                assert state.version == seen  # refused, or another session's step
                continue
            # A successful change raises the version; its bets and spins are then read in
            # full (a refusal was already shown to leave them as they were).
            assert seen is None or state.version > seen
            self.seen_versions[session_id] = state.version
            bets = self.house.bets(session_id, limit=10_000)
            assert [
                (b.confirmation, b.bet, b.amount, b.status, b.spin, b.returned, b.outcome)
                for b in bets
            ] == [
                (c, b.bet, b.amount, b.status, b.spin, b.returned, b.outcome)
                for c, b in sorted(model.bets.items())
            ]
            assert len(self.house.spins(session_id)) == model.spin_count
        self.changed.clear()


#: Examples per engine: each takes about 50 ms on SQLite and 300 ms on PostgreSQL
#: (two cores), so about 3 s and 7 s in all.
EXAMPLES = {"sqlite": 50, "postgresql": 20}

MACHINE_SETTINGS = settings(
    max_examples=EXAMPLES["sqlite"],
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# Its worth is in its checks, not its coverage (the house's own tests cover the same
# lines): without the tracer it runs twice as fast.
@pytest.mark.no_cover
def test_house_state_machine(db_url: str) -> None:
    """The house agrees with the model on SQLite and on PostgreSQL."""

    class Machine(HouseMachine):
        base_url = db_url

    engine = "postgresql" if urlsplit(db_url).scheme.startswith("postgres") else "sqlite"
    run_state_machine_as_test(
        Machine, settings=settings(MACHINE_SETTINGS, max_examples=EXAMPLES[engine])
    )
