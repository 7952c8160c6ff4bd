"""The OpenAPI 3.1 document of the service, served at ``/api/v1/openapi.json``.

It is built from small helpers so each shape is written once, under
``components``, and referenced with ``$ref`` everywhere else. The schemas
mirror ``represent.py`` (success bodies), ``problems.py`` (every error, as
``application/problem+json``), ``bodies.py`` (413, 415, 400, 422 for bodies)
and the house's argument checks; request bounds come from the default
``HouseLimits`` (``GET /api/v1/rules`` answers with the live ones).

Statuses are listed per operation, and only those the operation can answer:
the schemathesis run in ``tests/service/test_openapi.py`` fails on any other.
405 (a method a route does not answer) is the same everywhere and is not
repeated on each operation.
"""

from __future__ import annotations

from typing import Any

from parlor.house.roulette import MAX_ID
from parlor.roulette.bets import BetKind
from parlor.roulette.wheel import WheelKind
from parlor.service.api import BET_STATUSES, PAGE_MAX
from parlor.service.api import PREFIX as API
from parlor.service.bodies import MAX_BODY, MAX_IDEMPOTENCY_KEY
from parlor.service.problems import PROBLEM_JSON
from parlor.settings import HouseLimits
from parlor.wsgi.waiting import MAX_WAIT

JSON = "application/json"
HTML = "text/html"
OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

#: The largest integer SQLite and PostgreSQL store (a signed 64-bit BIGINT).
INT64_MAX = MAX_ID

_LIMITS = HouseLimits()

Json = dict[str, Any]


# -- building blocks ---------------------------------------------------------------


def _ref(section: str, name: str) -> Json:
    return {"$ref": f"#/components/{section}/{name}"}


def _schema(name: str) -> Json:
    return _ref("schemas", name)


def _nullable(schema: Json) -> Json:
    """The 3.1 spelling of "this or null": a type list, not ``nullable: true``."""
    kind = schema["type"]
    return {**schema, "type": [kind, "null"]}


def _integer(minimum: int | None = None, maximum: int | None = None, **extra: Any) -> Json:
    schema: Json = {"type": "integer", **extra}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _string(**extra: Any) -> Json:
    return {"type": "string", **extra}


def _array(items: Json, **extra: Any) -> Json:
    return {"type": "array", "items": items, **extra}


def _object(
    properties: Json,
    *,
    optional: tuple[str, ...] = (),
    closed: bool = True,
    description: str | None = None,
) -> Json:
    """An object whose properties are all required except ``optional``.

    ``closed`` objects (every response body) allow no other members, so a field
    the service starts sending without documenting it fails the conformance run.
    """
    schema: Json = {"type": "object"}
    if description is not None:
        schema["description"] = description
    schema["properties"] = properties
    required = [name for name in properties if name not in optional]
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _content(schema: Json, media_type: str = JSON, **extra: Any) -> Json:
    return {media_type: {"schema": schema, **extra}}


def _response(
    description: str, schema: Json, *, media_type: str = JSON, headers: Json | None = None
) -> Json:
    response: Json = {"description": description}
    if headers:
        response["headers"] = headers
    response["content"] = _content(schema, media_type)
    return response


def _problem_response(status: int, description: str, codes: tuple[str, ...]) -> Json:
    schema: Json = {
        "allOf": [_schema("Problem")],
        "properties": {"status": {"const": status}, "code": {"enum": list(codes)}},
    }
    headers = {"Retry-After": _ref("headers", "RetryAfter")} if status == 503 else None
    return _response(description, schema, media_type=PROBLEM_JSON, headers=headers)


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    responses: Json,
    *,
    parameters: list[Json] | None = None,
    request_body: Json | None = None,
) -> Json:
    operation: Json = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
    }
    if parameters:
        operation["parameters"] = parameters
    if request_body is not None:
        operation["requestBody"] = request_body
    operation["responses"] = responses
    return operation


# Error responses, by the name each has under components/responses.
BAD_REQUEST = "BadRequest"
NOT_FOUND = "NotFound"
CONFLICT = "Conflict"
CONTENT_TOO_LARGE = "ContentTooLarge"
UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
UNPROCESSABLE = "UnprocessableContent"
BUSY = "ServiceUnavailable"

_ERROR_STATUS = {
    BAD_REQUEST: "400",
    NOT_FOUND: "404",
    CONFLICT: "409",
    CONTENT_TOO_LARGE: "413",
    UNSUPPORTED_MEDIA_TYPE: "415",
    UNPROCESSABLE: "422",
    BUSY: "503",
}

#: What every operation that reads a JSON body can answer about the body itself.
_BODY_ERRORS = (BAD_REQUEST, CONTENT_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, UNPROCESSABLE)


def _responses(success: dict[str, Json], *errors: str) -> Json:
    """Success responses, then the named error responses, in status order."""
    responses: Json = dict(success)
    for name in sorted(set(errors), key=_ERROR_STATUS.__getitem__):
        responses[_ERROR_STATUS[name]] = _ref("responses", name)
    return responses


def _location(description: str) -> Json:
    return {"Location": {"description": description, "required": True, "schema": _string()}}


# -- components ----------------------------------------------------------------------


def _schemas() -> Json:
    limits = _LIMITS
    pocket = {
        "description": 'A pocket as the service writes it: 1–36 as a number, "0" and "00" as'
        " strings.",
        "oneOf": [_integer(1, 36), _string(enum=["0", "00"])],
    }
    pocket_choice = {
        "description": 'A pocket (0–36 as a number or a string, "00" as a string), or for a'
        " dozen or column bet its index 1–3.",
        "oneOf": [_integer(0, 36), _string(pattern="^(00|0|[1-9]|[12][0-9]|3[0-6])$")],
    }
    wheel_result = _object(
        {
            "number": _schema("Pocket"),
            "color": _string(enum=["red", "black", "green"]),
            "even": {"type": "boolean", "description": "false for the zeros"},
            "high": _nullable({"type": "boolean", "description": "19–36; null for the zeros"}),
            "twelve": _nullable(_integer(1, 3, description="the dozen; null for the zeros")),
            "column": _nullable(_integer(1, 3, description="the column; null for the zeros")),
        },
        description="Where the ball landed, and what that pocket means to a bettor.",
    )
    timestamp = _string(format="date-time")
    session = _object(
        {
            "session": _string(description="The session id, its only credential."),
            "name": _string(),
            "status": _string(enum=["open", "ended"]),
            "wheel": _string(enum=[kind.value for kind in WheelKind]),
            "la_partage": {"type": "boolean"},
            "table_min": _integer(1),
            "table_max": _integer(1),
            "bankroll": _integer(1),
            "balance": _integer(0, description="Chips not on the table."),
            "open_stake": _integer(0, description="Chips in open bets."),
            "bet_count": _integer(0),
            "spin_count": _integer(0),
            "server_seed_hash": _string(
                pattern="^[0-9a-f]{64}$", description="SHA-256 of the server seed."
            ),
            "client_seed": _string(),
            "server_seed": _nullable(_string(description="Revealed when the session ends.")),
            "opened_at": timestamp,
            "ended_at": _nullable(timestamp),
            "version": _integer(
                1,
                INT64_MAX,
                description="1 when opened, one more with every bet, withdrawal, spin and the"
                " end: pass it as `since` to wait for the next change.",
            ),
        },
        description="A player's session at one table.",
    )
    session_request = _object(
        {
            "name": _string(
                minLength=1,
                maxLength=limits.max_name_length,
                description="One line of text; surrounding space is trimmed; no control"
                " characters.",
            ),
            "bankroll": _integer(
                1, limits.max_bankroll, default=limits.default_bankroll, description="Chips."
            ),
            "table_min": _integer(limits.min_bet, limits.max_bet, default=limits.default_table_min),
            "table_max": _integer(
                limits.min_bet,
                limits.max_bet,
                default=limits.default_table_max,
                description="At least table_min; applies to each bet and to the open bets"
                " together. Defaults to the larger of table_min and"
                f" {limits.default_table_max}.",
            ),
            "wheel": _string(
                pattern="^([Aa][Mm][Ee][Rr][Ii][Cc][Aa][Nn]|[Ee][Uu][Rr][Oo][Pp][Ee][Aa][Nn])$",
                default=WheelKind.AMERICAN.value,
                description="american or european, in any case.",
            ),
            "la_partage": {
                "type": "boolean",
                "default": False,
                "description": "Half an even-money stake back on zero; european wheel only.",
            },
            "client_seed": _string(
                minLength=1,
                maxLength=limits.max_client_seed_length,
                description="Your part of the provably-fair draw; one is made up if omitted.",
            ),
        },
        optional=("bankroll", "table_min", "table_max", "wheel", "la_partage", "client_seed"),
        closed=False,
        description="Other members are ignored.",
    )
    bet_request = _object(
        {
            "proposition": _string(
                minLength=1,
                examples=[kind.value for kind in BetKind],
                description='A bet kind, in any case and spelling ("Six line", "six-line")'
                ", or an alias: line, basket, topline, manque, passe. five is American only,"
                " first_four European only.",
            ),
            "numbers": _nullable(
                _array(
                    _schema("PocketChoice"),
                    maxItems=6,
                    description="The pockets an inside bet covers, in a shape the layout has;"
                    " [1], [2] or [3] for a dozen or column; empty, null or absent for an"
                    " even-money bet.",
                )
            ),
            "amount": _integer(
                1, description="Chips; within the session's table_min and table_max."
            ),
        },
        optional=("numbers",),
        closed=False,
        description="Other members are ignored.",
    )
    bet = _object(
        {
            "confirmation": _integer(1, INT64_MAX),
            "proposition": _string(enum=[kind.value for kind in BetKind]),
            "numbers": _array(_schema("Pocket")),
            "description": _string(),
            "amount": _integer(1),
            "odds": _integer(1, description="Winnings per chip, to one."),
            "status": _string(enum=list(BET_STATUSES)),
            "spin": _nullable(_integer(1, description="The spin that settled it.")),
            "returned": _nullable(_integer(0, description="Chips paid back at settlement.")),
            "outcome": _nullable(_integer(description="Net result once settled or refunded.")),
            "placed_at": timestamp,
        },
    )
    spin_outcome = _object(
        {
            "spin": _integer(1),
            "result": _schema("WheelResult"),
            "settled": _array(
                _object({"confirmation": _integer(1), "outcome": _integer()}),
                description="Every bet this spin settled, with its net result.",
            ),
            "balance": _integer(0),
        },
    )
    edge = _object(
        {
            "fraction": _string(pattern="^-?[0-9]+/[0-9]+$"),
            "percent": {"type": "number"},
        },
        description="The house's exact advantage per chip staked.",
    )
    wheel_rules = _object(
        {
            "pockets": _array(_schema("Pocket")),
            "rim": _array(_schema("Pocket"), description="In order around the wheel."),
            "bets": _array(
                _object(
                    {
                        "proposition": _string(enum=[kind.value for kind in BetKind]),
                        "odds": _integer(1),
                        "house_edge": _schema("HouseEdge"),
                    }
                )
            ),
            "la_partage_edge": _schema("HouseEdge"),
        },
        optional=("la_partage_edge",),
        description="la_partage_edge is given for the european wheel only.",
    )
    limits_schema = _object(
        {
            "default_bankroll": _integer(1),
            "max_bankroll": _integer(1),
            "default_table_min": _integer(1),
            "default_table_max": _integer(1),
            "min_bet": _integer(1),
            "max_bet": _integer(1),
            "table_max_applies_to": _string(),
        },
    )
    rules = _object(
        {
            "wheels": _object({kind.value: _schema("WheelRules") for kind in WheelKind}),
            "red": _array(_integer(1, 36)),
            "numbers": {
                "type": "object",
                "description": "How to write numbers for each proposition.",
                "additionalProperties": _string(),
            },
            "limits": limits_schema,
        },
    )
    verification = _object(
        {
            "ok": {"type": "boolean"},
            "seed_matches_hash": {"type": "boolean"},
            "spins_checked": _integer(0),
            "mismatches": _array(
                _object(
                    {
                        "spin": _integer(1),
                        "recorded": _integer(0, 37, description="Pocket index; 37 is 00."),
                        "expected": _integer(0, 37, description="Pocket index; 37 is 00."),
                    }
                )
            ),
            "summary": _string(),
        },
    )
    problem = _object(
        {
            "type": _string(format="uri-reference", default="about:blank"),
            "title": _string(description="The status's reason phrase."),
            "status": _integer(400, 599),
            "detail": _string(description="What went wrong, for the person who asked."),
            "code": _string(description="A stable machine name for the error."),
            "field": _string(description="The request field at fault, when there is one."),
        },
        optional=("field",),
        description="RFC 9457 problem details, with parlor's code and field members.",
    )
    return {
        "Problem": problem,
        "Pocket": pocket,
        "PocketChoice": pocket_choice,
        "WheelResult": wheel_result,
        "SessionRequest": session_request,
        "Session": session,
        "BetRequest": bet_request,
        "Bet": bet,
        "BetReceipt": _object(
            {"confirmation": _integer(1), "bet": _schema("Bet"), "balance": _integer(0)},
            description="The bet as it now stands, and the session's balance after it.",
        ),
        "BetDetail": _object(
            {"bet": _schema("Bet"), "outcome": _nullable(_integer())},
        ),
        "BetList": _object({"bets": _array(_schema("Bet"))}),
        "SpinOutcome": spin_outcome,
        "SpinRecord": _object(
            {"spin": _integer(1), "result": _schema("WheelResult"), "spun_at": timestamp}
        ),
        "SpinList": _object({"spins": _array(_schema("SpinRecord"))}),
        "Verification": verification,
        "HouseEdge": edge,
        "WheelRules": wheel_rules,
        "Rules": rules,
        "NoFields": {
            "type": "object",
            "description": "No members are read; the body may be empty or absent.",
        },
        "SpinRequest": _object(
            {
                "spin": _integer(
                    1,
                    INT64_MAX,
                    description="The number this spin must have: the session's spin_count"
                    " + 1. Sent again after a lost answer, it is refused with 409"
                    " spin_out_of_turn if that spin was drawn, instead of drawing another.",
                )
            },
            optional=("spin",),
            closed=False,
            description="The body may be empty or absent: then the next spin is drawn.",
        ),
        "OpenApiDocument": _object(
            {"openapi": _string(), "info": {"type": "object"}, "paths": {"type": "object"}},
            closed=False,
        ),
    }


def _parameters() -> Json:
    session_id = {
        "in": "path",
        "required": True,
        "description": "The id the session was opened with.",
        "schema": _string(minLength=1),
    }
    return {
        "SessionId": {"name": "session_id", **session_id},
        "SeedSession": {"name": "session", **session_id},
        "Confirmation": {
            "name": "confirmation",
            "in": "path",
            "required": True,
            "description": "The bet's confirmation number, counting from 1 in each session.",
            "schema": _integer(1, INT64_MAX),
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Send the same key to retry a bet safely: a repeat answers exactly as"
            " the first did and places nothing. Reusing a key for a different bet is 422.",
            "schema": _string(
                minLength=1, maxLength=MAX_IDEMPOTENCY_KEY, pattern="^[\\x20-\\x7e]+$"
            ),
        },
        "BetStatus": {
            "name": "status",
            "in": "query",
            "required": False,
            "description": "Only bets with this status.",
            "schema": _string(enum=list(BET_STATUSES)),
        },
        "After": {
            "name": "after",
            "in": "query",
            "required": False,
            "description": "Only bets with a higher confirmation number: the cursor of the next"
            " page is the last confirmation seen.",
            "schema": _integer(0, INT64_MAX, default=0),
        },
        "Limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "The most bets to return.",
            "schema": _integer(1, PAGE_MAX, default=100),
        },
        "Wait": {
            "name": "wait",
            "in": "query",
            "required": False,
            "description": "Long poll: answer as soon as the session's version passes `since`,"
            f" or after this many seconds (at most {MAX_WAIT:g}) with the unchanged session."
            " The wait holds no server thread.",
            "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT},
        },
        "Since": {
            "name": "since",
            "in": "query",
            "required": False,
            "description": "With `wait`: the version you have seen (default: the current one,"
            " so the answer comes with the next change).",
            "schema": _integer(0, INT64_MAX),
        },
        "Last": {
            "name": "last",
            "in": "query",
            "required": False,
            "description": "Only the newest spins, this many (still oldest first); all if absent.",
            "schema": _integer(1, PAGE_MAX),
        },
    }


def _error_responses() -> Json:
    return {
        BAD_REQUEST: _problem_response(
            400,
            "The body is not valid JSON, a query parameter is out of range, or the"
            " Idempotency-Key header is not 1–255 printable ASCII characters.",
            ("malformed_json", "bad_idempotency_key", "bad_request"),
        ),
        NOT_FOUND: _problem_response(
            404,
            "No such session, no such bet, or a path that is no route.",
            ("unknown_session", "unknown_bet", "not_found"),
        ),
        CONFLICT: _problem_response(
            409,
            "Valid, but not possible now: the session has ended, the balance is too low, the"
            " bet is no longer open, the seed is not revealed yet, or the spin asked for is not"
            " the next one.",
            (
                "insufficient_balance",
                "session_ended",
                "bet_not_open",
                "seed_not_revealed",
                "spin_out_of_turn",
            ),
        ),
        CONTENT_TOO_LARGE: _problem_response(
            413, f"The body is over {MAX_BODY} bytes.", ("body_too_large",)
        ),
        UNSUPPORTED_MEDIA_TYPE: _problem_response(
            415, "The body is not labelled application/json.", ("unsupported_media_type",)
        ),
        UNPROCESSABLE: _problem_response(
            422,
            "The body is JSON but not an object, a field is missing or invalid (the problem's"
            " field names it), or an Idempotency-Key was reused for a different bet.",
            ("invalid_request", "invalid_bet", "idempotency_key_reused"),
        ),
        BUSY: _problem_response(
            503, "The store stayed busy; the same request may succeed later.", ("busy",)
        ),
    }


def _components() -> Json:
    return {
        "schemas": _schemas(),
        "parameters": _parameters(),
        "responses": _error_responses(),
        "headers": {
            "RetryAfter": {
                "description": "Seconds to wait before trying again.",
                "required": True,
                "schema": _string(pattern="^[0-9]+$"),
            },
        },
        "requestBodies": {
            "OpenSession": {
                "required": True,
                "content": _content(
                    _schema("SessionRequest"),
                    examples={
                        "defaults": {"value": {"name": "alice"}},
                        "european": {
                            "value": {
                                "name": "bob",
                                "bankroll": 500,
                                "table_min": 5,
                                "table_max": 100,
                                "wheel": "european",
                                "la_partage": True,
                                "client_seed": "lucky",
                            }
                        },
                    },
                ),
            },
            "PlaceBet": {
                "required": True,
                "content": _content(
                    _schema("BetRequest"),
                    examples={
                        "red": {"value": {"proposition": "red", "amount": 10}},
                        "straight": {
                            "value": {"proposition": "straight", "numbers": ["00"], "amount": 10}
                        },
                        "split": {
                            "value": {"proposition": "split", "numbers": [17, 20], "amount": 10}
                        },
                        "dozen": {"value": {"proposition": "dozen", "numbers": [2], "amount": 20}},
                    },
                ),
            },
            "NoFields": {
                "required": False,
                "content": _content(_schema("NoFields")),
            },
            "Spin": {
                "required": False,
                "content": _content(
                    _schema("SpinRequest"),
                    examples={"next": {"value": {}}, "spin 3": {"value": {"spin": 3}}},
                ),
            },
        },
    }


# -- paths ------------------------------------------------------------------------


def _api_paths() -> Json:
    session_id = [_ref("parameters", "SessionId")]
    bet_path = [*session_id, _ref("parameters", "Confirmation")]
    return {
        f"{API}/sessions": {
            "post": _operation(
                "openSession",
                "sessions",
                "Open a session",
                "Open a session funded with a bankroll from the house. The answer's Location is"
                " the session's URL; its server_seed_hash commits the house to the draws.",
                _responses(
                    {
                        "201": _response(
                            "The session, open.",
                            _schema("Session"),
                            headers=_location("The new session's URL."),
                        )
                    },
                    *_BODY_ERRORS,
                    BUSY,
                ),
                request_body=_ref("requestBodies", "OpenSession"),
            ),
        },
        f"{API}/sessions/{{session_id}}": {
            "get": _operation(
                "getSession",
                "sessions",
                "Read a session",
                "The session's balance, limits, counts and seeds; with `wait`, once it"
                " has changed past `since` (a long poll).",
                _responses(
                    {"200": _response("The session.", _schema("Session"))},
                    BAD_REQUEST,
                    NOT_FOUND,
                    BUSY,
                ),
                parameters=[
                    *session_id,
                    _ref("parameters", "Wait"),
                    _ref("parameters", "Since"),
                ],
            ),
        },
        f"{API}/sessions/{{session_id}}/end": {
            "post": _operation(
                "endSession",
                "sessions",
                "End a session",
                "End the session: its open bets are refunded and its server seed revealed, so"
                " its spins can be verified. A session ends once; a second time is 409.",
                _responses(
                    {"200": _response("The session, ended.", _schema("Session"))},
                    *_BODY_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=session_id,
                request_body=_ref("requestBodies", "NoFields"),
            ),
        },
        f"{API}/sessions/{{session_id}}/verification": {
            "get": _operation(
                "verifySession",
                "sessions",
                "Verify an ended session's spins",
                "Recompute every spin of an ended session from its revealed server seed and"
                " check the seed against the hash published when it opened. 409 while the"
                " session is still open.",
                _responses(
                    {"200": _response("The verification.", _schema("Verification"))},
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=session_id,
            ),
        },
        f"{API}/sessions/{{session_id}}/bets": {
            "post": _operation(
                "placeBet",
                "bets",
                "Place a bet",
                "Place a bet; its stake leaves the balance at once. It is settled by the next"
                " spin. With an Idempotency-Key, a retry answers as the first request did"
                " (201 again) and places nothing new.",
                _responses(
                    {
                        "201": _response(
                            "The bet, open.",
                            _schema("BetReceipt"),
                            headers=_location("The bet's URL."),
                        )
                    },
                    *_BODY_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=[*session_id, _ref("parameters", "IdempotencyKey")],
                request_body=_ref("requestBodies", "PlaceBet"),
            ),
            "get": _operation(
                "listBets",
                "bets",
                "List bets",
                "The session's bets in the order placed, a page at a time.",
                _responses(
                    {"200": _response("One page of bets.", _schema("BetList"))},
                    BAD_REQUEST,
                    NOT_FOUND,
                    BUSY,
                ),
                parameters=[
                    *session_id,
                    _ref("parameters", "BetStatus"),
                    _ref("parameters", "After"),
                    _ref("parameters", "Limit"),
                ],
            ),
        },
        f"{API}/sessions/{{session_id}}/bets/{{confirmation}}": {
            "get": _operation(
                "getBet",
                "bets",
                "Read a bet",
                "One bet, and its net outcome once settled.",
                _responses({"200": _response("The bet.", _schema("BetDetail"))}, NOT_FOUND, BUSY),
                parameters=bet_path,
            ),
            "delete": _operation(
                "withdrawBet",
                "bets",
                "Withdraw a bet",
                "Take an open bet back off the table; its stake returns to the balance.",
                _responses(
                    {"200": _response("The bet, withdrawn.", _schema("BetReceipt"))},
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=bet_path,
            ),
        },
        f"{API}/sessions/{{session_id}}/spins": {
            "post": _operation(
                "spin",
                "spins",
                "Spin the wheel",
                "Draw the session's next pocket and settle every open bet exactly once."
                " With `spin`, only if it is that spin: a retry after a lost answer is then safe.",
                _responses(
                    {"201": _response("The spin and what it settled.", _schema("SpinOutcome"))},
                    *_BODY_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=session_id,
                request_body=_ref("requestBodies", "Spin"),
            ),
            "get": _operation(
                "listSpins",
                "spins",
                "List spins",
                "The session's spins, oldest first.",
                _responses(
                    {"200": _response("The spins.", _schema("SpinList"))},
                    BAD_REQUEST,
                    NOT_FOUND,
                    BUSY,
                ),
                parameters=[*session_id, _ref("parameters", "Last")],
            ),
        },
        f"{API}/rules": {
            "get": _operation(
                "getRules",
                "reference",
                "The rules",
                "Wheels, bet kinds, payouts, exact house edges and the house's limits.",
                {"200": _response("The rules.", _schema("Rules"))},
            ),
        },
        f"{API}/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "reference",
                "This document",
                "The OpenAPI 3.1 document of the service.",
                {"200": _response("This document.", _schema("OpenApiDocument"))},
            ),
        },
    }


_SEED_BODY = (
    " A JSON body labelled application/x-www-form-urlencoded, or not labelled at all (as"
    " urllib sends it), is read as JSON too."
)


def _seed_paths() -> Json:
    session = [_ref("parameters", "SeedSession")]
    return {
        "/json/": {
            "get": _operation(
                "seedWheelJson",
                "seed",
                "Spin the house wheel",
                "The chapter's stateless wheel service: one spin of an American wheel, not"
                " tied to any session. Also answers without the trailing slash.",
                {"200": _response("The spin.", _schema("WheelResult"))},
            ),
        },
        "/html/": {
            "get": _operation(
                "seedWheelHtml",
                "seed",
                "The wheel service's page",
                "A small HTML page saying how many spins /json/ has served. Also answers"
                " without the trailing slash.",
                {"200": _response("The page.", _string(), media_type=HTML)},
            ),
        },
        "/session/": {
            "post": _operation(
                "seedOpenSession",
                "seed",
                "Open a session (seed client)",
                "As POST /api/v1/sessions, for the chapter's clients. Also answers without the"
                " trailing slash." + _SEED_BODY,
                _responses(
                    {
                        "201": _response(
                            "The session, open.",
                            _schema("Session"),
                            headers=_location("The session's URL under /api/v1."),
                        )
                    },
                    *_BODY_ERRORS,
                    BUSY,
                ),
                request_body=_ref("requestBodies", "OpenSession"),
            ),
        },
        "/bet/{session}/": {
            "post": _operation(
                "seedPlaceBet",
                "seed",
                "Place a bet (seed client)",
                "As POST /api/v1/sessions/{session_id}/bets, for the chapter's clients. Also"
                " answers without the trailing slash." + _SEED_BODY,
                _responses(
                    {
                        "201": _response(
                            "The bet, open.",
                            _schema("BetReceipt"),
                            headers=_location("The bet's URL, /bet/{session}/{confirmation}/."),
                        )
                    },
                    *_BODY_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=[*session, _ref("parameters", "IdempotencyKey")],
                request_body=_ref("requestBodies", "PlaceBet"),
            ),
        },
        "/bet/{session}/{confirmation}/": {
            "get": _operation(
                "seedGetBet",
                "seed",
                "Read a bet (seed client)",
                "As GET /api/v1/sessions/{session_id}/bets/{confirmation}. Also answers"
                " without the trailing slash.",
                _responses({"200": _response("The bet.", _schema("BetDetail"))}, NOT_FOUND, BUSY),
                parameters=[*session, _ref("parameters", "Confirmation")],
            ),
        },
        "/spin/{session}/": {
            "post": _operation(
                "seedSpin",
                "seed",
                "Spin the wheel (seed client)",
                "As POST /api/v1/sessions/{session_id}/spins. Also answers without the"
                " trailing slash." + _SEED_BODY,
                _responses(
                    {"201": _response("The spin and what it settled.", _schema("SpinOutcome"))},
                    *_BODY_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=session,
                request_body=_ref("requestBodies", "Spin"),
            ),
        },
    }


_TAGS = (
    ("sessions", "Open, read, end and verify sessions."),
    ("bets", "Place, list, read and withdraw bets."),
    ("spins", "Spin a session's wheel and read its history."),
    ("reference", "The rules and this document."),
    ("seed", "The chapter's original routes, as its clients call them."),
)


def openapi_document() -> dict[str, Any]:
    """The whole document, as a fresh dict (callers may keep or change their copy)."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "parlor roulette service",
            "version": API_VERSION,
            "description": "Roulette sessions over REST: open a session with a bankroll, place"
            " bets, spin a provably-fair wheel, and verify every spin once the session ends."
            " Every error is an RFC 9457 problem (application/problem+json) with a stable"
            " `code`; a method a route does not answer is 405 with an Allow header. Chips are"
            " whole numbers. The routes tagged seed keep the URLs of the book chapter the"
            " service grew from, trailing slash included.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": text} for name, text in _TAGS],
        "paths": {**_api_paths(), **_seed_paths()},
        "components": _components(),
    }
