"""parlor's client SDK: the roulette REST service as typed Python calls.

Used by the web app (server to server), the betting bots and ``parlor verify``::

    with RouletteClient("http://127.0.0.1:36000") as client:
        session = client.open_session("alice")
        client.place_bet(session.id, "split", 10, [17, 20])
        outcome = client.spin(session.id)

``ChessClient`` does the same for chess (``parlor.client.chess``).

Errors are ``ClientError`` and its subclasses (see ``parlor.client.errors``).
"""

from parlor.client.auth import Bearer
from parlor.client.chess import ChessClient
from parlor.client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    ProblemError,
    ProtocolMismatch,
    ServiceUnavailable,
    TooManyAttempts,
    Unauthorized,
)
from parlor.client.roulette import (
    MAX_DELAY,
    Bet,
    BetReceipt,
    Mismatch,
    RouletteClient,
    Rules,
    Session,
    Settlement,
    SpinOutcome,
    SpinRecord,
    Verification,
    WheelResult,
)

__all__ = [
    "MAX_DELAY",
    "BadRequest",
    "Bearer",
    "Bet",
    "BetReceipt",
    "ChessClient",
    "ClientError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "Mismatch",
    "NotFound",
    "OutcomeUnknown",
    "ProblemError",
    "ProtocolMismatch",
    "RouletteClient",
    "Rules",
    "ServiceUnavailable",
    "Session",
    "Settlement",
    "SpinOutcome",
    "SpinRecord",
    "TooManyAttempts",
    "Unauthorized",
    "Verification",
    "WheelResult",
]
