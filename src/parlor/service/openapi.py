"""The OpenAPI 3.1 document of the service, served at ``/api/v1/openapi.json``.

Only the table of operations is written here: paths, parameters, which
statuses each operation answers, examples. Every body's schema comes from its
one definition in ``parlor.wire`` (``components/schemas``), the same structs
the service decodes and encodes and the client decodes, so the document cannot
drift from what the service checks. Links from the operations that open a
session to those that take its id let a tool (schemathesis, a generated
client) follow a real session through the API.

Statuses are listed per operation, and only those the operation can answer:
the schemathesis run in ``tests/service/test_openapi.py`` fails on any other.
405 (a method a route does not answer) is the same everywhere and is not
repeated on each operation.
"""

from __future__ import annotations

from typing import Any

from parlor.house.chess import PAGE_MAX as CHESS_PAGE_MAX
from parlor.service.api import PAGE_MAX
from parlor.service.api import PREFIX as API
from parlor.service.bodies import MAX_BODY, MAX_IDEMPOTENCY_KEY
from parlor.service.chess import COMPUTER, GAMES, MY_GAMES, PGN, VERSIONS
from parlor.service.problems import PROBLEM_JSON
from parlor.service.tables import TABLES
from parlor.settings import MAX_ID
from parlor.wire import accounts as accounts_wire
from parlor.wire import chess as chess_wire
from parlor.wire import records
from parlor.wire import roulette as wire
from parlor.wire import tables as tables_wire
from parlor.wsgi.waiting import MAX_WAIT

JSON = "application/json"
HTML = "text/html"
OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

#: The largest integer SQLite and PostgreSQL store (a signed 64-bit BIGINT).
INT64_MAX = MAX_ID

Json = dict[str, Any]


# -- building blocks ---------------------------------------------------------------


def _ref(section: str, name: str) -> Json:
    return {"$ref": f"#/components/{section}/{name}"}


def _schema(name: str) -> Json:
    return _ref("schemas", name)


def _integer(minimum: int | None = None, maximum: int | None = None, **extra: Any) -> Json:
    schema: Json = {"type": "integer", **extra}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _string(**extra: Any) -> Json:
    return {"type": "string", **extra}


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
    headers: Json | None = None
    if status in (429, 503):
        headers = {"Retry-After": _ref("headers", "RetryAfter")}
    elif status == 401:
        headers = {
            "WWW-Authenticate": {
                "description": "The challenges, one per header: Digest SHA-256, Digest MD5,"
                " then Basic; for a chess seat, Bearer.",
                "required": True,
                "schema": _string(),
            }
        }
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
    security: list[Json] | None = None,
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
    if security is not None:
        operation["security"] = security
    operation["responses"] = responses
    return operation


# Error responses, by the name each has under components/responses.
BAD_REQUEST = "BadRequest"
NOT_FOUND = "NotFound"
CONFLICT = "Conflict"
CONTENT_TOO_LARGE = "ContentTooLarge"
UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
UNPROCESSABLE = "UnprocessableContent"
UNAUTHORIZED = "Unauthorized"
FORBIDDEN = "Forbidden"
THROTTLED = "TooManyRequests"
BUSY = "ServiceUnavailable"

_ERROR_STATUS = {
    BAD_REQUEST: "400",
    NOT_FOUND: "404",
    CONFLICT: "409",
    CONTENT_TOO_LARGE: "413",
    UNSUPPORTED_MEDIA_TYPE: "415",
    UNPROCESSABLE: "422",
    UNAUTHORIZED: "401",
    FORBIDDEN: "403",
    THROTTLED: "429",
    BUSY: "503",
}

#: What any operation answers to credentials that were sent and refused, or to too
#: many failed logins: the authentication and authorization pipes, before any route.
_AUTH_ERRORS = (UNAUTHORIZED, THROTTLED)
#: Who may call an operation: anyone (``{}``), or an account by any of its schemes.
_ANYONE_OR_ACCOUNT: list[Json] = [{}, {"basic": []}, {"digest": []}, {"bearer": []}]
_ACCOUNT: list[Json] = [{"basic": []}, {"digest": []}, {"bearer": []}]

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
    """Every body's schema from its one definition (``parlor.wire``), and this document's."""
    return {
        **wire.schemas(
            *accounts_wire.structs(),
            *chess_wire.structs(),
            *tables_wire.structs(),
            records.GameRecord,
        ),
        "OpenApiDocument": {
            "type": "object",
            "properties": {
                "openapi": _string(),
                "info": {"type": "object"},
                "paths": {"type": "object"},
            },
            "required": ["openapi", "info", "paths"],
        },
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
            "schema": _string(enum=list(wire.BET_STATUSES)),
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
            "description": "Long poll: answer as soon as the version passes `since`, or after"
            f" this many seconds (at most {MAX_WAIT:g}) with the resource unchanged."
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
        "GameId": {
            "name": "game_id",
            "in": "path",
            "required": True,
            "description": "The game's id, from the answer that created it.",
            "schema": _string(minLength=1),
        },
        "GameStatus": {
            "name": "status",
            "in": "query",
            "required": False,
            "description": "Only games with this status.",
            "schema": _string(enum=list(chess_wire.STATUSES)),
        },
        "GamesLimit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "The most games to return.",
            "schema": _integer(1, CHESS_PAGE_MAX, default=50),
        },
        "Cursor": {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The previous page's `next`: the page after it (400 bad_cursor for"
            " one this service did not give).",
            "schema": _string(minLength=1, pattern="^[A-Za-z0-9_-]+$"),
        },
        "IfNoneMatch": {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "The ETag of the version you hold: 304 while it is still the game's.",
            "schema": _string(),
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
            ("malformed_json", "bad_idempotency_key", "bad_cursor", "bad_request"),
        ),
        NOT_FOUND: _problem_response(
            404,
            "No such session, no such bet, no such chess game, no such table, or a path that"
            " is no route.",
            ("unknown_session", "unknown_bet", "unknown_game", "unknown_table", "not_found"),
        ),
        CONFLICT: _problem_response(
            409,
            "Valid, but not possible now: the session has ended, the balance is too low, the"
            " amount is outside this session's table limits, the bet is of the other wheel's"
            " layout, the bet is no longer open, the seed is not revealed yet, the spin asked"
            " for is not the next one, or the session plays at a TCP table (which bets, spins"
            " and is verified for it), or the table asked for is still open; in chess, it is"
            " the other player's turn, the ply is not"
            " the game's, the game is waiting or over, or the draw, abort or seat asked for is"
            " not possible now.",
            (
                "insufficient_balance",
                "account_short",
                "username_taken",
                "wrong_password",
                "not_a_token",
                "outside_table_limits",
                "not_on_this_wheel",
                "session_ended",
                "bet_not_open",
                "seed_not_revealed",
                "table_still_open",
                "spin_out_of_turn",
                "plays_at_table",
                "not_your_turn",
                "stale_ply",
                "game_not_active",
                "not_allowed",
                "no_engine",
                "computer_busy",
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
            " field names it), an Idempotency-Key was reused for a different bet or move, or a"
            " chess move is not legal in the position (the problem's legal_moves lists those"
            " that are).",
            ("invalid_request", "invalid_bet", "idempotency_key_reused", "illegal_move"),
        ),
        UNAUTHORIZED: _problem_response(
            401,
            "No account signed in where one must be, or credentials that were sent and refused"
            " (a wrong password, a stale or replayed Digest nonce, an unknown token); for a"
            " chess player's action, no seat token and no account holding a seat.",
            ("unauthorized", "no_seat_token"),
        ),
        FORBIDDEN: _problem_response(
            403,
            "The seat token (or account) sent holds no seat at this game: watchers read, players"
            " play.",
            ("not_a_player",),
        ),
        THROTTLED: _problem_response(
            429,
            "Too many failed logins for this account or from this address, or too many"
            " accounts opened from this address: wait Retry-After seconds.",
            ("login_throttled", "too_many_accounts"),
        ),
        BUSY: _problem_response(
            503, "The store stayed busy; the same request may succeed later.", ("busy",)
        ),
    }


def _components() -> Json:
    return {
        "securitySchemes": {
            "digest": {
                "type": "http",
                "scheme": "digest",
                "description": "RFC 7616, qop=auth, SHA-256 (or MD5), userhash optional.",
            },
            "basic": {"type": "http", "scheme": "basic", "description": "RFC 7617, UTF-8."},
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from POST /api/v1/accounts/me/tokens.",
            },
            "seat": {
                "type": "http",
                "scheme": "bearer",
                "description": "A chess seat's token (chess_…), from creating or joining a game.",
            },
        },
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
                "Open a session funded with a bankroll from the house, or, sent with an"
                " account's credentials, from the account (409 account_short when it holds"
                " less); such a session pays its balance back to the account when it ends. The"
                " answer's Location is the session's URL; its server_seed_hash commits the house"
                " to the draws.",
                _responses(
                    {
                        "201": _response(
                            "The session, open.",
                            _schema("Session"),
                            headers=_location("The new session's URL."),
                        )
                    },
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    CONFLICT,
                    BUSY,
                ),
                request_body=_ref("requestBodies", "OpenSession"),
                security=_ANYONE_OR_ACCOUNT,
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
        **_account_paths(),
        **_chess_paths(),
        **_table_paths(),
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


def _account_paths() -> Json:
    account = _schema("Account")
    return {
        f"{API}/accounts": {
            "post": _operation(
                "registerAccount",
                "accounts",
                "Register an account",
                "Open a player account with a username and a password; it starts with the"
                " house's grant of chips. Names compare without case (NFKC, casefolded) and use"
                " one script; 409 username_taken if the name is taken, 422 with the reason for"
                " a name or password that will not do. Then sign in with HTTP Basic or Digest"
                " (Digest takes the name as registered).",
                _responses(
                    {
                        "201": _response(
                            "The account.", account, headers=_location("/api/v1/accounts/me.")
                        )
                    },
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    CONFLICT,
                    BUSY,
                ),
                request_body={"required": True, "content": _content(_schema("AccountRequest"))},
                security=[{}],
            ),
        },
        f"{API}/accounts/me": {
            "get": _operation(
                "getMyAccount",
                "accounts",
                "Read your account",
                "The signed-in account: its balance, the chips out in its open sessions, and"
                " their ids.",
                _responses(
                    {"200": _response("The account.", account)}, *_AUTH_ERRORS, NOT_FOUND, BUSY
                ),
                security=_ACCOUNT,
            ),
        },
        f"{API}/accounts/me/password": {
            "post": _operation(
                "changePassword",
                "accounts",
                "Change your password",
                "A new password, given the current one (409 wrong_password otherwise). Every"
                " token of the account is revoked.",
                _responses(
                    {"204": {"description": "Changed."}},
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                request_body={"required": True, "content": _content(_schema("PasswordChange"))},
                security=_ACCOUNT,
            ),
        },
        f"{API}/accounts/me/tokens": {
            "post": _operation(
                "createToken",
                "accounts",
                "Get a token",
                "A bearer token for the account, for a program to hold instead of the password:"
                " send `Authorization: Bearer <token>`.",
                _responses(
                    {"201": _response("The token.", _schema("Token"))},
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    BUSY,
                ),
                request_body=_ref("requestBodies", "NoFields"),
                security=_ACCOUNT,
            ),
        },
        f"{API}/accounts/me/tokens/current": {
            "delete": _operation(
                "revokeToken",
                "accounts",
                "Revoke this token",
                "Revoke the bearer token the request was sent with (a program's logout); 409"
                " when it was sent with a password instead.",
                _responses({"204": {"description": "Revoked."}}, *_AUTH_ERRORS, CONFLICT, BUSY),
                security=[{"bearer": []}],
            ),
        },
    }


#: Who may act for a chess seat: its token, or the account that took it.
_PLAYER: list[Json] = [{"seat": []}, *_ACCOUNT]
_PLAYER_ERRORS = (UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, BUSY)


def _game_answer(description: str, status: str = "200") -> Json:
    return {status: _response(description, _schema("Game"), headers=_etag())}


def _etag() -> Json:
    return {
        "ETag": {
            "description": "The game's version, weak: send it as If-None-Match.",
            "required": True,
            "schema": _string(),
        }
    }


def _player_action(operation_id: str, summary: str, description: str, body: Json) -> Json:
    return {
        "post": _operation(
            operation_id,
            "chess",
            summary,
            description,
            _responses(
                {"200": _response("The game, after it.", _schema("Game"))},
                *_BODY_ERRORS,
                *_PLAYER_ERRORS,
                THROTTLED,
            ),
            parameters=[_ref("parameters", "GameId")],
            request_body=body,
            security=_PLAYER,
        )
    }


def _chess_paths() -> Json:
    game_id = [_ref("parameters", "GameId")]
    page = [
        _ref("parameters", "GameStatus"),
        _ref("parameters", "GamesLimit"),
        _ref("parameters", "Cursor"),
    ]
    seat = _response("Your seat, its token, and the game.", _schema("SeatGrant"))
    no_fields = _ref("requestBodies", "NoFields")
    return {
        GAMES: {
            "post": _operation(
                "createGame",
                "chess",
                "Start a chess game",
                "Start a game and take a seat (`color`, or `random`); it waits for a second"
                " player to join. The answer's token is the seat's credential, shown only now:"
                " send it as `Authorization: Bearer <token>`. Sent signed in, the seat is the"
                " account's too, and its games are listed under /accounts/me/chess/games."
                " Untimed unless `clock` is given (Fischer: initial seconds, increment)."
                " `opening` continues a game from the position after its moves; `computer`"
                " (a skill level) seats the computer opposite at once, on a server that has an"
                " engine (409 no_engine otherwise).",
                _responses(
                    {
                        "201": _response(
                            "Your seat, its token, and the game.",
                            _schema("SeatGrant"),
                            headers=_location("The game's URL."),
                        )
                    },
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    CONFLICT,
                    BUSY,
                ),
                request_body={
                    "required": False,
                    "content": _content(
                        _schema("CreateGame"),
                        examples={
                            "untimed": {"value": {"color": "white"}},
                            "blitz": {
                                "value": {
                                    "color": "random",
                                    "clock": {"initial": 300, "increment": 2},
                                    "name": "alice",
                                }
                            },
                            "continued": {"value": {"opening": ["e4", "e5", "Nf3"]}},
                        },
                    ),
                },
                security=_ANYONE_OR_ACCOUNT,
            ),
            "get": _operation(
                "listGames",
                "chess",
                "List chess games",
                "Games newest first, a page at a time: waiting ones to join, active ones to"
                " watch, finished ones to replay.",
                _responses(
                    {"200": _response("One page of games.", _schema("GameList"))},
                    BAD_REQUEST,
                    BUSY,
                ),
                parameters=page,
            ),
        },
        MY_GAMES: {
            "get": _operation(
                "listMyGames",
                "chess",
                "List your chess games",
                "The games whose seats the signed-in account took, newest first: resume any"
                " of them from anywhere, with the account's credentials instead of the token.",
                _responses(
                    {"200": _response("One page of games.", _schema("GameList"))},
                    *_AUTH_ERRORS,
                    BAD_REQUEST,
                    BUSY,
                ),
                parameters=page,
                security=_ACCOUNT,
            ),
        },
        COMPUTER: {
            "get": _operation(
                "getComputer",
                "chess",
                "Whether the computer plays",
                "Whether this server plays chess against people (its operator started it with"
                " --chess-engine), at which skill levels, and how long it thinks a move. Start"
                " such a game with `computer` (a level) in the new game's body.",
                {"200": _response("The computer's offer.", _schema("ComputerOffer"))},
            ),
        },
        VERSIONS: {
            "get": _operation(
                "getGameVersions",
                "chess",
                "The versions of many games",
                "The current version of each game named (`game`, repeated, at most"
                f" {chess_wire.MAX_VERSIONS}); games that do not exist are left out. What a"
                " watcher of many games compares to know which of them changed.",
                _responses(
                    {"200": _response("The versions.", _schema("GameVersions"))},
                    BAD_REQUEST,
                    BUSY,
                ),
                parameters=[
                    {
                        "name": "game",
                        "in": "query",
                        "required": False,
                        "description": "A game's id; repeat it for more (one that names no"
                        " game, the empty one included, is left out of the answer).",
                        "schema": {
                            "type": "array",
                            "items": _string(),
                            "maxItems": chess_wire.MAX_VERSIONS,
                        },
                        "style": "form",
                        "explode": True,
                    }
                ],
            ),
        },
        f"{GAMES}/{{game_id}}": {
            "get": _operation(
                "getGame",
                "chess",
                "Read a chess game",
                "Everything a client needs to draw the game and repair itself: the position,"
                " the moves (SAN and UCI), whose turn, status and result, a pending draw offer,"
                " the clocks, the legal moves and the version. Anyone may watch. 304 for an"
                " If-None-Match naming the current version. With `wait`, a long poll: the answer"
                " comes as soon as the version passes `since`, or after `wait` seconds with the"
                " game unchanged. A clock's flag falls on the read after it runs out.",
                _responses(
                    {
                        **_game_answer("The game."),
                        "304": {"description": "Unchanged since the ETag you sent."},
                    },
                    BAD_REQUEST,
                    NOT_FOUND,
                    BUSY,
                ),
                parameters=[
                    *game_id,
                    _ref("parameters", "Wait"),
                    _ref("parameters", "Since"),
                    _ref("parameters", "IfNoneMatch"),
                ],
            ),
        },
        f"{GAMES}/{{game_id}}/join": {
            "post": _operation(
                "joinGame",
                "chess",
                "Join a chess game",
                "Take the free seat of a waiting game; the game begins (and white's clock"
                " runs). A third player is 409 not_allowed.",
                _responses(
                    {"200": seat},
                    *_BODY_ERRORS,
                    *_AUTH_ERRORS,
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=game_id,
                request_body={"required": False, "content": _content(_schema("JoinGame"))},
                security=_ANYONE_OR_ACCOUNT,
            ),
        },
        f"{GAMES}/{{game_id}}/moves": {
            "post": _operation(
                "makeMove",
                "chess",
                "Make a move",
                "Play a move (UCI or SAN) in the position after `ply` half-moves, the one you"
                " saw. Checks run in this order, each refusal its own: the game (404), the seat"
                " (401 no token, 403 not this game's), the game's state, the turn and the ply"
                " (409), the move (422, with the legal moves). With an Idempotency-Key, a retry"
                " answers 201 with the game as it stands and plays nothing twice.",
                _responses(
                    _game_answer("The game, after the move.", "201"),
                    *_BODY_ERRORS,
                    *_PLAYER_ERRORS,
                    THROTTLED,
                ),
                parameters=[*game_id, _ref("parameters", "IdempotencyKey")],
                request_body={
                    "required": True,
                    "content": _content(
                        _schema("MoveRequest"),
                        examples={
                            "uci": {"value": {"move": "e2e4", "ply": 0}},
                            "san": {"value": {"move": "Nf3", "ply": 0}},
                        },
                    ),
                },
                security=_PLAYER,
            ),
        },
        f"{GAMES}/{{game_id}}/seat": {
            "get": _operation(
                "getSeat",
                "chess",
                "Which side is mine",
                "The side the seat token sent (or the signed-in account) holds in the game:"
                " what a client that kept only the token needs to resume.",
                _responses(
                    {"200": _response("Your side.", _schema("SeatView"))},
                    UNAUTHORIZED,
                    FORBIDDEN,
                    NOT_FOUND,
                    THROTTLED,
                    BUSY,
                ),
                parameters=game_id,
                security=_PLAYER,
            ),
        },
        f"{GAMES}/{{game_id}}/resign": _player_action(
            "resignGame", "Resign", "Resign the game: the opponent wins.", no_fields
        ),
        f"{GAMES}/{{game_id}}/draw": _player_action(
            "draw",
            "Offer, accept, decline or claim a draw",
            "`offer` a draw (it lapses when your opponent moves instead of answering),"
            " `accept` or `decline` your opponent's, or `claim` one the rules allow now"
            " (threefold repetition, fifty moves).",
            {
                "required": True,
                "content": _content(
                    _schema("DrawRequest"),
                    examples={
                        "offer": {"value": {"action": "offer"}},
                        "claim": {"value": {"action": "claim"}},
                    },
                ),
            },
        ),
        f"{GAMES}/{{game_id}}/abort": _player_action(
            "abortGame",
            "Abort",
            "Call the game off, unrated and without a result: while it waits for a player, or"
            " before its second move.",
            no_fields,
        ),
        f"{GAMES}/{{game_id}}/pgn": {
            "get": _operation(
                "getPgn",
                "chess",
                "The game in PGN",
                "The game in PGN, its Result and Termination tags right however it ended. A"
                " finished game's PGN never changes, and may be kept a day.",
                _responses(
                    {
                        "200": _response("The PGN.", _string(), media_type=PGN, headers=_etag()),
                        "304": {"description": "Unchanged since the ETag you sent."},
                    },
                    NOT_FOUND,
                    BUSY,
                ),
                parameters=[*game_id, _ref("parameters", "IfNoneMatch")],
            ),
        },
    }


_SEED_BODY = (
    " A JSON body labelled application/x-www-form-urlencoded, or not labelled at all (as"
    " urllib sends it), is read as JSON too."
)


def _table_paths() -> Json:
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "The table's name, as `parlor tables serve --table NAME:WHEEL` gave it.",
        "schema": _string(pattern="^[A-Za-z0-9_-]{1,32}$"),
    }
    return {
        TABLES: {
            "get": _operation(
                "listTables",
                "tables",
                "List the open tables",
                "The tables open now, by name: each one's wheel, rounds spun, players"
                " seated, and its seed's commitment (the SHA-256 of the server seed it"
                " revealed when it closes). Play them over TCP: docs/protocol.md.",
                _responses({"200": _response("The tables.", _schema("TableList"))}, BUSY),
            ),
        },
        f"{TABLES}/{{name}}": {
            "get": _operation(
                "getTable",
                "tables",
                "Read a table",
                "The open table of that name, or the one of that name that closed last"
                " (its server seed revealed).",
                _responses({"200": _response("The table.", _schema("Table"))}, NOT_FOUND, BUSY),
                parameters=[name],
            ),
        },
        f"{TABLES}/{{name}}/record": {
            "get": _operation(
                "getTableRecord",
                "tables",
                "A closed table's record",
                "The seeds and every round's pocket of the table of that name that closed"
                " last, in the game record format `parlor verify --record` checks (each"
                " round is a spin, numbered from 1). 409 while the table is open: its seed"
                " is secret until it closes.",
                _responses(
                    {"200": _response("The record.", _schema("GameRecord"))},
                    NOT_FOUND,
                    CONFLICT,
                    BUSY,
                ),
                parameters=[name],
            ),
        },
    }


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
    ("accounts", "Player accounts: register, sign in, balance, password, tokens."),
    ("chess", "Chess for two: start, join, watch (long polls), move, draw, resign, PGN."),
    ("tables", "The roulette tables played over TCP (docs/protocol.md), read-only."),
    ("reference", "The rules and this document."),
    ("seed", "The chapter's original routes, as its clients call them."),
)


#: What each kind of 201 answer makes, as the path parameter that names it and where the
#: answer holds its value.
_MADE = {
    "Session": (("session_id", "session"), "$response.body#/session"),
    "BetReceipt": (("confirmation",), "$response.body#/confirmation"),
    "SeatGrant": (("game_id",), "$response.body#/game/game"),
}


def _add_links(paths: Json) -> None:
    """Link each operation that makes a session or a bet to every operation that takes it.

    Derived from the table above, so a new operation on a session is linked
    without being listed twice: a client (or schemathesis' stateful run)
    follows ``session`` from the answer to open a session into the next call.
    """
    operations = [
        (path, method, operation)
        for path, item in paths.items()
        for method, operation in item.items()
    ]
    for path, _, operation in operations:
        created = operation["responses"].get("201")
        if created is None:
            continue
        made = created["content"][JSON]["schema"]["$ref"].rsplit("/", 1)[1]
        if made not in _MADE:
            continue
        names, value = _MADE[made]
        seed = not path.startswith(API)
        links: Json = {}
        for other_path, _, other in operations:
            if other_path.startswith(API) == seed:
                continue  # the seed's routes link to the seed's, /api/v1 to /api/v1
            taken = [name for name in names if f"{{{name}}}" in other_path]
            if not taken:
                continue
            parameters = {taken[0]: value}
            # A bet's operations take its session too: the one this bet was placed in.
            # (A chess game's token is a credential, not a parameter: links do not carry it.)
            for session_name in ("session_id", "session"):
                if f"{{{session_name}}}" in other_path and session_name not in parameters:
                    parameters[session_name] = f"$request.path.{session_name}"
            links[other["operationId"]] = {
                "operationId": other["operationId"],
                "parameters": parameters,
            }
        if links:
            created["links"] = links


def openapi_document() -> dict[str, Any]:
    """The whole document, as a fresh dict (callers may keep or change their copy)."""
    paths = {**_api_paths(), **_seed_paths()}
    _add_links(paths)
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
        "paths": paths,
        "components": _components(),
    }
