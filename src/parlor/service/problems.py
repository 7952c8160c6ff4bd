"""RFC 9457 problem details: every error the service answers, as one shape.

``Problem`` is a Falcon HTTPError carrying the extension members parlor adds
(``code``, a stable machine name, and ``field``, the request field at fault).
``serialize_problem`` renders any Falcon error — ours, or Falcon's own 404, 405
and friends — as ``application/problem+json``. ``house_error`` maps the house's
exception tree to statuses by class, in one table.
"""

from __future__ import annotations

import sys
import traceback
from http import HTTPStatus
from typing import Any

import falcon
import msgspec

from parlor.chess import errors as chess_errors
from parlor.house import chess, errors
from parlor.wire import roulette as wire

PROBLEM_JSON = "application/problem+json"


class Problem(falcon.HTTPError):
    """An HTTP error with a problem+json body."""

    def __init__(
        self,
        status: str | int,
        detail: str,
        *,
        code: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        legal_moves: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(status, description=detail, headers=headers)
        self.problem_code = code
        self.field = field
        self.legal_moves = legal_moves


def problem_body(error: falcon.HTTPError) -> wire.Problem:
    status = int(error.status_code)
    # With type "about:blank" the title must be the status's phrase (RFC 9457 §4.2.1).
    title = HTTPStatus(status).phrase
    legal: tuple[str, ...] | msgspec.UnsetType = msgspec.UNSET
    if isinstance(error, Problem):
        code = error.problem_code
        field: str | msgspec.UnsetType = msgspec.UNSET if error.field is None else error.field
        if error.legal_moves is not None:
            legal = error.legal_moves
    else:
        code, field = title.lower().replace(" ", "_").replace("-", "_"), msgspec.UNSET
    return wire.Problem(
        title=title,
        status=status,
        detail=error.description or _DEFAULT_DETAIL.get(status, title),
        code=code,
        field=field,
        legal_moves=legal,
    )


_DEFAULT_DETAIL = {
    404: "no such resource: see /api/v1/openapi.json for the routes",
    405: "this resource does not answer that method: see the Allow header",
}


def serialize_problem(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    resp.content_type = PROBLEM_JSON
    resp.data = msgspec.json.encode(problem_body(error))


# Statuses by class; the first match in this order wins, so subclasses come first.
_STATUS: tuple[tuple[type[errors.HouseError], str, str], ...] = (
    (errors.IdempotencyMismatch, falcon.HTTP_422, "idempotency_key_reused"),
    (errors.InvalidBet, falcon.HTTP_422, "invalid_bet"),
    (errors.InvalidRequest, falcon.HTTP_422, "invalid_request"),
    (errors.UnknownSession, falcon.HTTP_404, "unknown_session"),
    (errors.UnknownBet, falcon.HTTP_404, "unknown_bet"),
    (errors.InsufficientBalance, falcon.HTTP_409, "insufficient_balance"),
    (errors.OutsideTableLimits, falcon.HTTP_409, "outside_table_limits"),
    (errors.NotOnThisWheel, falcon.HTTP_409, "not_on_this_wheel"),
    (errors.SessionEnded, falcon.HTTP_409, "session_ended"),
    (errors.BetNotOpen, falcon.HTTP_409, "bet_not_open"),
    (errors.SpinOutOfTurn, falcon.HTTP_409, "spin_out_of_turn"),
    (errors.SeedNotRevealed, falcon.HTTP_409, "seed_not_revealed"),
    (errors.PlaysAtTable, falcon.HTTP_409, "plays_at_table"),
    (errors.UnknownTable, falcon.HTTP_404, "unknown_table"),
    (errors.TableStillOpen, falcon.HTTP_409, "table_still_open"),
    (errors.UnknownAccount, falcon.HTTP_404, "unknown_account"),
    (errors.UsernameTaken, falcon.HTTP_409, "username_taken"),
    (errors.AccountShort, falcon.HTTP_409, "account_short"),
    (errors.WrongPassword, falcon.HTTP_409, "wrong_password"),
    (chess.UnknownGame, falcon.HTTP_404, "unknown_game"),
    (chess.NoSeatCredential, falcon.HTTP_401, "no_seat_token"),
    (chess.NotAPlayer, falcon.HTTP_403, "not_a_player"),
    (chess.MoveKeyReused, falcon.HTTP_422, "idempotency_key_reused"),
    (errors.HouseBusy, falcon.HTTP_503, "busy"),
)

#: How a seat's token is sent, as a 401 for want of it says.
SEAT_CHALLENGE = 'Bearer realm="parlor chess"'

# The chess rules' refusals (parlor.chess.errors), by class as above.
_CHESS_STATUS: tuple[tuple[type[chess_errors.ChessError], str, str], ...] = (
    (chess_errors.IllegalMove, falcon.HTTP_422, "illegal_move"),
    (chess_errors.NotYourTurn, falcon.HTTP_409, "not_your_turn"),
    (chess_errors.StalePly, falcon.HTTP_409, "stale_ply"),
    (chess_errors.GameNotActive, falcon.HTTP_409, "game_not_active"),
    (chess_errors.NotAllowed, falcon.HTTP_409, "not_allowed"),
)


def house_error(error: errors.HouseError) -> Problem:
    for cls, status, code in _STATUS:
        if isinstance(error, cls):
            field = error.field
            headers = None
            if status == falcon.HTTP_503:
                headers = {"Retry-After": "1"}
            elif status == falcon.HTTP_401:
                headers = {"WWW-Authenticate": SEAT_CHALLENGE}
            return Problem(status, error.message, code=code, field=field, headers=headers)
    return Problem(falcon.HTTP_409, error.message, code="conflict")


def chess_error(error: chess_errors.ChessError) -> Problem:
    legal = error.legal if isinstance(error, chess_errors.IllegalMove) else None
    for cls, status, code in _CHESS_STATUS:
        if isinstance(error, cls):
            field = "move" if legal is not None else ("ply" if code == "stale_ply" else None)
            return Problem(status, error.message, code=code, field=field, legal_moves=legal)
    return Problem(falcon.HTTP_409, error.message, code="conflict")


def handle_chess_error(
    req: falcon.Request,
    resp: falcon.Response,
    error: chess_errors.ChessError,
    params: dict[str, Any],
) -> None:
    raise chess_error(error)


def handle_house_error(
    req: falcon.Request, resp: falcon.Response, error: errors.HouseError, params: dict[str, Any]
) -> None:
    raise house_error(error)


def handle_unexpected(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict[str, Any]
) -> None:
    """Last resort: log the traceback on the server, never show it to the client."""
    if isinstance(error, falcon.HTTPError):
        raise error
    traceback.print_exception(error, file=sys.stderr)
    raise Problem(
        falcon.HTTP_500,
        "the server hit an unexpected error; it has been logged",
        code="internal_error",
    )
