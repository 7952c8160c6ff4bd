"""House values as JSON documents, one function per shape, shared by every route."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from parlor.house.roulette import BetReceipt, PlacedBet, SessionState, SpinRecord, SpinResult
from parlor.roulette.bets import EVEN_MONEY, PAYOUTS, all_bets, house_edge, kinds_for
from parlor.roulette.fairness import Verification
from parlor.roulette.wheel import RED_NUMBERS, WHEELS, describe, json_number
from parlor.settings import HouseLimits


def session_json(state: SessionState) -> dict[str, Any]:
    return {
        "session": state.id,
        "name": state.name,
        "status": state.status,
        "wheel": state.wheel.value,
        "la_partage": state.la_partage,
        "table_min": state.table_min,
        "table_max": state.table_max,
        "bankroll": state.bankroll,
        "balance": state.balance,
        "open_stake": state.open_stake,
        "bet_count": state.bet_count,
        "spin_count": state.spin_count,
        "server_seed_hash": state.server_seed_hash,
        "client_seed": state.client_seed,
        "server_seed": state.server_seed,
        "opened_at": state.opened_at,
        "ended_at": state.ended_at,
        "version": state.version,
    }


def bet_json(placed: PlacedBet) -> dict[str, Any]:
    return {
        "confirmation": placed.confirmation,
        "proposition": placed.bet.kind.value,
        "numbers": placed.bet.numbers_json(),
        "description": placed.bet.describe(),
        "amount": placed.amount,
        "odds": placed.bet.payout,
        "status": placed.status,
        "spin": placed.spin,
        "returned": placed.payout,
        "outcome": placed.outcome,
        "placed_at": placed.placed_at,
    }


def receipt_json(receipt: BetReceipt) -> dict[str, Any]:
    return {
        "confirmation": receipt.bet.confirmation,
        "bet": bet_json(receipt.bet),
        "balance": receipt.balance,
    }


def spin_json(result: SpinResult) -> dict[str, Any]:
    return {
        "spin": result.number,
        "result": result.result.to_json(),
        "settled": [{"confirmation": b.confirmation, "outcome": b.outcome} for b in result.settled],
        "balance": result.balance,
    }


def spin_record_json(record: SpinRecord) -> dict[str, Any]:
    return {
        "spin": record.number,
        "result": describe(record.pocket).to_json(),
        "spun_at": record.spun_at,
    }


def verification_json(verification: Verification) -> dict[str, Any]:
    return {
        "ok": verification.ok,
        "seed_matches_hash": verification.seed_matches_hash,
        "spins_checked": verification.spins_checked,
        "mismatches": [
            {"spin": m.nonce, "recorded": m.recorded, "expected": m.expected}
            for m in verification.mismatches
        ],
        "summary": verification.describe(),
    }


def _edge(value: Fraction) -> dict[str, Any]:
    return {
        "fraction": f"{value.numerator}/{value.denominator}",
        "percent": round(float(value) * 100, 3),
    }


def rules_json(limits: HouseLimits) -> dict[str, Any]:
    """Wheels, bet kinds, payouts, house edges and limits: everything a client needs to play."""
    wheels = {}
    for kind, wheel in WHEELS.items():
        edges: dict[str, Any] = {}
        for bet in all_bets(wheel):
            edges.setdefault(bet.kind.value, _edge(house_edge(bet, wheel)))
        entry: dict[str, Any] = {
            "pockets": [json_number(p) for p in wheel.pockets],
            "rim": [json_number(p) for p in wheel.rim],
            "bets": [
                {"proposition": k.value, "odds": PAYOUTS[k], "house_edge": edges[k.value]}
                for k in kinds_for(wheel)
            ],
        }
        if kind == "european":
            entry["la_partage_edge"] = _edge(
                house_edge(
                    next(b for b in all_bets(wheel) if b.kind in EVEN_MONEY), wheel, la_partage=True
                )
            )
        wheels[kind.value] = entry
    return {
        "wheels": wheels,
        "red": sorted(RED_NUMBERS),
        "numbers": {
            "straight": '1 pocket: 0-36 as a number, or "0" / "00" as a string',
            "split": "2 neighbours across or down, e.g. [17, 20]",
            "street": "3 numbers of one row, e.g. [4, 5, 6]",
            "corner": "4 numbers of a 2x2 square, e.g. [1, 2, 4, 5]",
            "six_line": "6 numbers of two neighbouring rows, e.g. [1, 2, 3, 4, 5, 6]",
            "five": '[0, "00", 1, 2, 3] (American)',
            "first_four": "[0, 1, 2, 3] (European)",
            "dozen": "[1], [2] or [3]",
            "column": "[1], [2] or [3]",
            "red, black, even, odd, low, high": "no numbers",
        },
        "limits": {
            "default_bankroll": limits.default_bankroll,
            "max_bankroll": limits.max_bankroll,
            "default_table_min": limits.default_table_min,
            "default_table_max": limits.default_table_max,
            "min_bet": limits.min_bet,
            "max_bet": limits.max_bet,
            "table_max_applies_to": "each bet and the sum of a session's open bets",
        },
    }
