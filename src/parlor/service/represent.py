"""House values as the wire's answers (``parlor.wire.roulette``), one function per shape."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import cast

from msgspec import UNSET

from parlor.house.roulette import BetReceipt, PlacedBet, SessionState, SpinRecord, SpinResult
from parlor.roulette.bets import EVEN_MONEY, ODDS, all_bets, house_edge, kinds_for
from parlor.roulette.fairness import Verification
from parlor.roulette.wheel import AMERICAN, EUROPEAN, RED_NUMBERS, Wheel, describe, json_number
from parlor.settings import HouseLimits
from parlor.wire import roulette as wire


def session(state: SessionState) -> wire.Session:
    return wire.Session(
        id=state.id,
        name=state.name,
        status="ended" if state.ended else "open",
        wheel=state.wheel,
        la_partage=state.la_partage,
        table_min=state.table_min,
        table_max=state.table_max,
        bankroll=state.bankroll,
        balance=state.balance,
        open_stake=state.open_stake,
        bet_count=state.bet_count,
        spin_count=state.spin_count,
        server_seed_hash=state.server_seed_hash,
        client_seed=state.client_seed,
        server_seed=state.server_seed,
        opened_at=datetime.fromisoformat(state.opened_at),
        ended_at=None if state.ended_at is None else datetime.fromisoformat(state.ended_at),
        version=state.version,
        from_account=state.account_id is not None,
        cashed_out=state.cashed_out,
    )


def bet(placed: PlacedBet) -> wire.Bet:
    return wire.Bet(
        confirmation=placed.confirmation,
        proposition=placed.bet.kind,
        numbers=tuple(placed.bet.numbers_json()),
        description=placed.bet.describe(),
        amount=placed.amount,
        odds=placed.bet.odds,
        status=cast(wire.BetStatus, placed.status),
        spin=placed.spin,
        returned=placed.returned,
        outcome=placed.outcome,
        placed_at=datetime.fromisoformat(placed.placed_at),
    )


def receipt(value: BetReceipt) -> wire.BetReceipt:
    return wire.BetReceipt(
        confirmation=value.bet.confirmation, bet=bet(value.bet), balance=value.balance
    )


def bet_detail(placed: PlacedBet) -> wire.BetDetail:
    return wire.BetDetail(bet=bet(placed), outcome=placed.outcome)


def wheel_result(pocket: int) -> wire.WheelResult:
    spin = describe(pocket)
    return wire.WheelResult(
        pocket=json_number(pocket),
        color=spin.color,
        even=spin.even,
        high=spin.high,
        twelve=spin.twelve,
        column=spin.column,
    )


def spin_outcome(result: SpinResult) -> wire.SpinOutcome:
    return wire.SpinOutcome(
        spin=result.spin,
        result=wheel_result(result.result.pocket),
        settled=tuple(
            wire.Settlement(confirmation=b.confirmation, outcome=b.outcome or 0)
            for b in result.settled
        ),
        balance=result.balance,
    )


def spin_record(record: SpinRecord) -> wire.SpinRecord:
    return wire.SpinRecord(
        spin=record.spin,
        result=wheel_result(record.pocket),
        spun_at=datetime.fromisoformat(record.spun_at),
    )


def verification(value: Verification) -> wire.Verification:
    return wire.Verification(
        ok=value.ok,
        seed_matches_hash=value.seed_matches_hash,
        spins_checked=value.spins_checked,
        mismatches=tuple(
            wire.Mismatch(spin=m.nonce, recorded=m.recorded, expected=m.expected)
            for m in value.mismatches
        ),
        summary=value.describe(),
    )


def _edge(value: Fraction) -> wire.HouseEdge:
    return wire.HouseEdge(
        fraction=f"{value.numerator}/{value.denominator}",
        percent=round(float(value) * 100, 3),
    )


def _wheel_rules(wheel: Wheel) -> wire.WheelRules:
    edges: dict[str, wire.HouseEdge] = {}
    for one in all_bets(wheel):
        edges.setdefault(one.kind.value, _edge(house_edge(one, wheel)))
    la_partage = None
    if wheel is EUROPEAN:
        even_money = next(b for b in all_bets(wheel) if b.kind in EVEN_MONEY)
        la_partage = _edge(house_edge(even_money, wheel, la_partage=True))
    return wire.WheelRules(
        pockets=tuple(json_number(p) for p in wheel.pockets),
        rim=tuple(json_number(p) for p in wheel.rim),
        bets=tuple(
            wire.BetRules(proposition=kind, odds=ODDS[kind], house_edge=edges[kind.value])
            for kind in kinds_for(wheel)
        ),
        la_partage_edge=UNSET if la_partage is None else la_partage,
    )


def rules(limits: HouseLimits) -> wire.Rules:
    """Wheels, bet kinds, odds, house edges and limits: everything a client needs to play."""
    return wire.Rules(
        wheels=wire.Wheels(american=_wheel_rules(AMERICAN), european=_wheel_rules(EUROPEAN)),
        red=tuple(sorted(RED_NUMBERS)),
        numbers={
            "straight": '1 pocket: 1-36 as a number, "0" or "00" as a string',
            "split": "2 neighbours across or down, ascending, e.g. [17, 20]",
            "street": "3 numbers of one row, e.g. [4, 5, 6]",
            "corner": "4 numbers of a 2x2 square, ascending, e.g. [1, 2, 4, 5]",
            "six_line": "6 numbers of two neighbouring rows, e.g. [1, 2, 3, 4, 5, 6]",
            "five": '["0", 1, 2, 3, "00"] (American)',
            "first_four": '["0", 1, 2, 3] (European)',
            "dozen": "[1], [2] or [3]",
            "column": "[1], [2] or [3]",
            "red, black, even, odd, low, high": "no numbers",
        },
        limits=wire.Limits(
            default_bankroll=limits.default_bankroll,
            max_bankroll=limits.max_bankroll,
            default_table_min=limits.default_table_min,
            default_table_max=limits.default_table_max,
            min_bet=limits.min_bet,
            max_bet=limits.max_bet,
            table_max_applies_to="each bet and the sum of a session's open bets",
        ),
    )
