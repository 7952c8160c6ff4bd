"""The roulette service's wire: every request and response body, defined once.

These msgspec Structs are the one definition of what crosses HTTP between the
service and its clients. The service decodes request bodies into them and
encodes its answers from them (``parlor.service``); the client SDK decodes the
answers into the same structs (``parlor.client``), so the web app and the bots
hold exactly what the service sent; and the OpenAPI document takes its
``components/schemas`` from them (``schemas()``), so the document cannot say
one thing while the service checks another.

JSON names are the published ones (the seed's, and those of /api/v1 since
it was first documented). Where a JSON name could mean two things, the Python
name says which: ``Session.id`` is JSON ``session``; ``WheelResult.pocket`` is
JSON ``number`` (where the ball landed, not which spin it was); a bet's
``odds`` are its payout to one, and ``returned`` the chips a settled bet paid
back.

Requests are strict, and say so in the document: unknown members, a number
where text belongs, a whole number written ``10.0``, a pocket written ``"17"``
or numbers out of order are refused with the member named. Two rules JSON
Schema can state only as alternatives are added to the generated schemas in
``schemas()``: which numbers each proposition takes (from the rules' own list
of every bet, ``all_bets``), and that la partage needs the European wheel.
One rule no schema can state is left to the house: ``table_max`` at least
``table_min``.

Bounds come from ``HouseLimits``: the document states the defaults the house
runs with.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType, field

from parlor.roulette.bets import EVEN_MONEY, BetKind, all_bets
from parlor.roulette.wheel import AMERICAN, EUROPEAN, JsonPocket, WheelKind
from parlor.settings import MAX_ID, HouseLimits
from parlor.text import LINE_PATTERN
from parlor.wire.base import Answer, NoFields, Request

LIMITS = HouseLimits()

# -- small shapes ----------------------------------------------------------------------

Pocket = Annotated[
    Annotated[int, Meta(ge=1, le=36)] | Literal["0", "00"],  # JsonPocket, bounded
    Meta(description='A pocket: 1–36 as a number, "0" and "00" as strings.'),
]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Chips = Annotated[int, Meta(ge=0, le=MAX_ID)]
Timestamp = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]
SessionStatus = Literal["open", "ended"]
BetStatus = Literal["open", "settled", "withdrawn", "refunded"]
#: Every status a bet can have, in the order they are documented.
BET_STATUSES: tuple[BetStatus, ...] = ("open", "settled", "withdrawn", "refunded")


_LINE_RULE = "One line of text, no space at either end, no control or invisible characters."
Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=LIMITS.max_name_length,
        pattern=LINE_PATTERN,
        description=_LINE_RULE,
    ),
]
ClientSeed = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=LIMITS.max_client_seed_length,
        pattern=LINE_PATTERN,
        description="Your part of the provably-fair draw; one is made up if omitted. " + _LINE_RULE,
    ),
]
BetAmount = Annotated[
    int,
    Meta(
        ge=LIMITS.min_bet,
        le=LIMITS.max_bet,
        description="Chips; the session's table_min and table_max apply too (409 outside them).",
    ),
]
TableLimit = Annotated[int, Meta(ge=LIMITS.min_bet, le=LIMITS.max_bet)]


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in word)


def _proposition_pattern(kinds: tuple[BetKind, ...]) -> str:
    return "^(?:" + "|".join(_any_case(kind.value) for kind in kinds) + ")$"


PROPOSITION_PATTERN = _proposition_pattern(tuple(BetKind))
#: A bet kind as answers write it, in any letter case ("red", "Red": the seed's form).
Proposition = Annotated[
    str,
    Meta(
        pattern=PROPOSITION_PATTERN,
        description="A bet kind, in any letter case: " + ", ".join(BetKind) + ".",
    ),
]


# -- requests ------------------------------------------------------------------------


class SessionRequest(Request, frozen=True, kw_only=True):
    """Open a session. Every member but ``name`` may be omitted (or null) for the default."""

    name: Name
    bankroll: Annotated[int, Meta(ge=1, le=LIMITS.max_bankroll)] | None = None
    #: Defaults to the house's default, or table_max when that is lower.
    table_min: TableLimit | None = None
    #: At least table_min (422 otherwise, the one rule the schema cannot state); defaults to the
    #: house's default, or table_min when that is higher.
    table_max: TableLimit | None = None
    wheel: WheelKind = WheelKind.AMERICAN
    #: Half an even-money stake back on zero; European wheel only.
    la_partage: bool = False
    client_seed: ClientSeed | None = None


class BetRequest(Request, frozen=True, kw_only=True):
    """Place a bet: ``numbers`` in ascending order, "0" first and "00" last, as answers have them.

    Which numbers each proposition takes is in the document's ``anyOf``; the
    house refuses any other with 422 ``invalid_bet``, and a bet of the other
    wheel's layout (the five, the first four, a straight on "00") with 409.
    """

    proposition: Proposition
    numbers: Annotated[tuple[Pocket, ...], Meta(max_length=6)] | None = None
    amount: BetAmount

    def problem(self) -> tuple[str, str] | None:
        """(member, why) when the request breaks a rule msgspec's checks leave to this struct."""
        if self.proposition.lower() not in BetKind.__members__.values():
            # Python's "$" lets "red\n" through the pattern; the document's does not.
            return "proposition", "proposition must be one of " + ", ".join(BetKind)
        if self.numbers and self.numbers != in_order(self.numbers):
            return (
                "numbers",
                'numbers must be in ascending order, "0" first and "00" last:'
                f" {list(in_order(self.numbers))}",
            )
        return None

    @property
    def kind(self) -> BetKind:
        return BetKind(self.proposition.lower())


class SpinRequest(Request, frozen=True):
    """Spin; with ``spin``, only if it is that spin (the session's spin_count + 1)."""

    spin: Id | None = None


# -- answers -------------------------------------------------------------------------


class Session(Answer, frozen=True):
    """A player's session at one table."""

    #: The session id, its only credential.
    id: str = field(name="session")
    name: str
    status: SessionStatus
    wheel: WheelKind
    la_partage: bool
    table_min: int
    table_max: int
    bankroll: int
    #: Chips the player holds; open bets are already taken off it.
    balance: Chips
    #: Chips on the table in open bets.
    open_stake: Chips
    bet_count: Annotated[int, Meta(ge=0)]
    spin_count: Annotated[int, Meta(ge=0)]
    #: SHA-256 of the server seed, published when the session opened.
    server_seed_hash: Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
    client_seed: str
    #: Revealed when the session ends; null until then.
    server_seed: str | None
    opened_at: Timestamp
    ended_at: Timestamp | None
    #: 1 when opened, one more with every bet, withdrawal, spin and the end: pass it as
    #: ``since`` to wait for the next change.
    version: Id
    #: True when a player account funded the session: its balance goes back there at the end.
    from_account: bool = False
    #: Chips paid back to that account when the session ended; null until then, and for
    #: anonymous sessions.
    cashed_out: Chips | None = None

    @property
    def ended(self) -> bool:
        return self.status == "ended"


class Bet(Answer, frozen=True):
    """One bet of a session."""

    #: The bet's number within its session, from 1.
    confirmation: Id
    proposition: BetKind
    #: The pockets an inside bet covers, the dozen or column for those, [] for even money.
    numbers: tuple[Pocket, ...]
    #: A short name for people, such as "split 17-20".
    description: str
    amount: Annotated[int, Meta(ge=1)]
    #: Winnings per chip, to one: 35 for a straight.
    odds: Annotated[int, Meta(ge=1)]
    status: BetStatus
    #: The spin that settled it; null until then.
    spin: Id | None
    #: Chips paid back at settlement (stake and winnings, half under la partage, or 0).
    returned: Chips | None
    #: Net chips won (negative: lost) once settled or refunded; null while open.
    outcome: int | None
    placed_at: Timestamp


class BetReceipt(Answer, frozen=True):
    """The bet as it now stands, and the session's balance right after."""

    confirmation: Id
    bet: Bet
    balance: Chips


class BetDetail(Answer, frozen=True):
    bet: Bet
    outcome: int | None


class BetList(Answer, frozen=True):
    bets: tuple[Bet, ...]


class WheelResult(Answer, frozen=True):
    """Where the ball landed, and what that pocket means to a bettor (the seed's /json/)."""

    pocket: Pocket = field(name="number")
    color: Literal["red", "black", "green"]
    #: False for the zeros.
    even: bool
    #: 19–36; null for the zeros, which are neither high nor low.
    high: bool | None
    #: The dozen, 1–3; null for the zeros.
    twelve: Annotated[int, Meta(ge=1, le=3)] | None
    #: The column, 1–3; null for the zeros.
    column: Annotated[int, Meta(ge=1, le=3)] | None

    @property
    def label(self) -> str:
        """The pocket as people write it: "00", "0", "17"."""
        return str(self.pocket)


class Settlement(Answer, frozen=True):
    """One bet a spin settled: its confirmation and the net chips won (negative: lost)."""

    confirmation: Id
    outcome: int


class SpinOutcome(Answer, frozen=True):
    """A spin: where the ball landed, every bet it settled, and the new balance."""

    #: The spin's number within its session, from 1.
    spin: Id
    result: WheelResult
    settled: tuple[Settlement, ...]
    balance: Chips


class SpinRecord(Answer, frozen=True):
    """One past spin of a session."""

    spin: Id
    result: WheelResult
    spun_at: Timestamp


class SpinList(Answer, frozen=True):
    spins: tuple[SpinRecord, ...]


class Mismatch(Answer, frozen=True):
    """A recorded spin whose pocket index differs from the one the seeds determine."""

    spin: Id
    #: Pocket index; 37 is 00.
    recorded: Annotated[int, Meta(ge=0, le=37)]
    #: Pocket index; 37 is 00.
    expected: Annotated[int, Meta(ge=0, le=37)]


class Verification(Answer, frozen=True):
    """An ended session's spins, recomputed from its revealed seed."""

    ok: bool
    seed_matches_hash: bool
    spins_checked: Annotated[int, Meta(ge=0)]
    mismatches: tuple[Mismatch, ...]
    #: One paragraph for a person, naming every mismatch.
    summary: str


class HouseEdge(Answer, frozen=True):
    """The house's exact advantage per chip staked."""

    fraction: Annotated[str, Meta(pattern="^-?[0-9]+/[0-9]+$")]
    percent: float


class BetRules(Answer, frozen=True):
    proposition: BetKind
    odds: Annotated[int, Meta(ge=1)]
    house_edge: HouseEdge


class WheelRules(Answer, frozen=True):
    """One wheel's pockets, rim order and bets; la_partage_edge on the European wheel only."""

    pockets: tuple[Pocket, ...]
    #: In order around the wheel.
    rim: tuple[Pocket, ...]
    bets: tuple[BetRules, ...]
    la_partage_edge: HouseEdge | UnsetType = UNSET


class Wheels(Answer, frozen=True):
    american: WheelRules
    european: WheelRules


class Limits(Answer, frozen=True):
    default_bankroll: int
    max_bankroll: int
    default_table_min: int
    default_table_max: int
    min_bet: int
    max_bet: int
    table_max_applies_to: str


class Rules(Answer, frozen=True):
    """Wheels, bet kinds, odds, house edges and limits: everything a client needs to play."""

    wheels: Wheels
    red: tuple[Annotated[int, Meta(ge=1, le=36)], ...]
    #: How to write numbers for each proposition.
    numbers: dict[str, str]
    limits: Limits


class Problem(Answer, frozen=True, kw_only=True):
    """RFC 9457 problem details, with parlor's code and field members."""

    type: str = "about:blank"
    #: The status's reason phrase.
    title: str
    status: Annotated[int, Meta(ge=400, le=599)]
    #: What went wrong, for the person who asked.
    detail: str
    #: A stable machine name for the error.
    code: str
    #: The request member at fault, when there is one.
    field: str | UnsetType = UNSET
    #: A refused chess move's position: its legal moves, in UCI.
    legal_moves: tuple[str, ...] | UnsetType = UNSET


#: Every body the service reads, and every body it answers with.
REQUESTS: tuple[type[Struct], ...] = (SessionRequest, BetRequest, SpinRequest, NoFields)
ANSWERS: tuple[type[Struct], ...] = (
    Session,
    BetReceipt,
    BetDetail,
    BetList,
    SpinOutcome,
    SpinList,
    Verification,
    Rules,
    Problem,
)


# -- the numbers of a bet ------------------------------------------------------------


def _order(pocket: JsonPocket) -> int:
    return {"0": -1, "00": 37}[pocket] if isinstance(pocket, str) else pocket


def in_order(numbers: tuple[JsonPocket, ...]) -> tuple[JsonPocket, ...]:
    """``numbers`` as the service writes them: ascending, "0" first and "00" last."""
    return tuple(sorted(numbers, key=_order))


def numbers_by_proposition() -> dict[BetKind, list[list[JsonPocket]]]:
    """Every inside bet's numbers as the wire writes them, on either wheel's layout."""
    choices: dict[BetKind, list[list[JsonPocket]]] = {}
    for wheel in (AMERICAN, EUROPEAN):
        for bet in all_bets(wheel):
            if bet.kind not in EVEN_MONEY:
                written = bet.numbers_json()
                if written not in choices.setdefault(bet.kind, []):
                    choices[bet.kind].append(written)
    return choices


# -- JSON Schema ---------------------------------------------------------------------

REF_TEMPLATE = "#/components/schemas/{name}"


def _bet_alternatives(base: dict[str, Any]) -> list[dict[str, Any]]:
    """``base`` (BetRequest's generated schema) once per proposition, with the numbers it takes.

    Each alternative is a whole object schema rather than a refinement of
    ``base``: tools that generate requests from the document (schemathesis,
    hypothesis) model a ``oneOf`` of whole objects, not one merged into its parent.
    """
    alternatives: list[dict[str, Any]] = []
    choices = numbers_by_proposition()
    for kind in BetKind:
        properties = {
            **base["properties"],
            "proposition": {"type": "string", "pattern": _proposition_pattern((kind,))},
        }
        required = list(base["required"])
        if kind in EVEN_MONEY:
            properties["numbers"] = {
                "anyOf": [{"type": "null"}, {"type": "array", "maxItems": 0}],
                "description": "None: null, [] or absent.",
            }
        else:
            properties["numbers"] = {"enum": choices[kind]}
            required.append("numbers")
        alternatives.append(
            {
                "title": kind.value,
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            }
        )
    return alternatives


def schemas(*others: type[Struct]) -> dict[str, Any]:
    """``components/schemas`` of the OpenAPI document: every struct above, ``others`` (the
    other wire modules'), and what they use.

    Every object is closed (``additionalProperties: false``): requests refuse
    other members, and an answer that grew a member the document does not name
    fails the conformance tests.
    """
    _, components = msgspec.json.schema_components(
        (*REQUESTS, *ANSWERS, *others), ref_template=REF_TEMPLATE
    )
    for schema in components.values():
        schema.pop("title", None)
        if "description" in schema:  # docstrings use reST literals; the document, Markdown
            schema["description"] = schema["description"].replace("``", "`")
        if schema.get("type") == "object":
            schema["additionalProperties"] = False
    bet = components["BetRequest"]
    components["BetRequest"] = {
        "description": bet["description"],
        "anyOf": _bet_alternatives(bet),
    }
    components["SessionRequest"]["if"] = {
        "properties": {"la_partage": {"const": True}},
        "required": ["la_partage"],
    }
    components["SessionRequest"]["then"] = {
        "properties": {"wheel": {"const": WheelKind.EUROPEAN.value}},
        "required": ["wheel"],
    }
    components["NoFields"]["description"] = "No members; the body may be empty or absent."
    return components
