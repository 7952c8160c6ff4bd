"""The client SDK's exceptions: one tree, so a caller can catch as broadly as it needs.

::

    ClientError                   base of everything the SDK raises on purpose
    ├── ServiceUnavailable        no usable answer: cannot connect, timed out, or 502/503/504
    │   │                         still there after the retries
    │   └── OutcomeUnknown        a request that must not be repeated (spin, open or end a
    │                             session, withdraw) was sent but its answer was lost: the
    │                             service may have acted, so look before trying again
    ├── ProtocolMismatch          the answer is not what a parlor roulette service says (not
    │                             JSON, wrong shape, a redirect): probably the wrong base URL
    └── ProblemError              the service refused the request with an RFC 9457
        │                         problem+json body; any status without a subclass below
        │                         (405, 413, 415, 500, ...) is raised as this class
        ├── BadRequest            400: malformed JSON, a bad Idempotency-Key header
        ├── Unauthorized          401: no account signed in, or credentials refused
        ├── Forbidden             403: the credentials hold no right here (another game's
        │                         chess seat)
        ├── NotFound              404: unknown session, unknown bet, unknown route
        ├── Conflict              409: insufficient balance, session ended, bet not open, ...
        ├── InvalidInput          422: a bad field (``field`` names it), a reused
        │                         idempotency key, or an illegal chess move
        │                         (``legal_moves`` lists the legal ones)
        └── TooManyAttempts       429: too many failed logins; ``retry_after`` seconds

``str(error)`` is always a sentence for a person: for a ``ProblemError`` it is
the service's ``detail``. Machines should branch on the class, then on
``ProblemError.code`` (a stable name such as ``insufficient_balance``), never
on the text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "ClientError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "OutcomeUnknown",
    "ProblemError",
    "ProtocolMismatch",
    "ServiceUnavailable",
    "TooManyAttempts",
    "Unauthorized",
    "problem_error",
]


class ClientError(Exception):
    """Base of every error the SDK raises; ``url`` is the request's, when there was one."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return self.message


class ServiceUnavailable(ClientError):
    """No usable answer from the service, after the retries the request allowed.

    ``attempts`` counts the requests sent (or tried); ``status`` is the last
    HTTP status when the service (or a proxy in front of it) answered at all.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        attempts: int = 1,
        status: int | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.attempts = attempts
        self.status = status


class OutcomeUnknown(ServiceUnavailable):
    """A request that is unsafe to repeat was sent, but no answer arrived.

    Raised instead of retrying, because a second spin (say) would be a second
    spin. The caller should read the state (``session(id).spin_count``, the
    bet list) to learn whether the first one took effect.
    """


class ProtocolMismatch(ClientError):
    """The answer is not a parlor roulette answer: wrong server, wrong path, or wrong version."""


class ProblemError(ClientError):
    """The service refused the request; the fields are the problem+json members.

    ``code`` is parlor's stable machine name for the refusal (``unknown_session``,
    ``invalid_bet``, ...) and ``field`` names the request field at fault, if any.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        type: str = "about:blank",  # the RFC 9457 member's name
        url: str | None = None,
        legal_moves: tuple[str, ...] = (),
    ) -> None:
        super().__init__(detail, url=url)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.field = field
        self.type = type
        #: A refused chess move's position: its legal moves (UCI).
        self.legal_moves = legal_moves

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, code={self.code!r},"
            f" field={self.field!r}, detail={self.detail!r})"
        )


class BadRequest(ProblemError):
    """400: the request itself was malformed (not JSON, a bad header)."""


class NotFound(ProblemError):
    """404: no such session, bet or route."""


class Conflict(ProblemError):
    """409: a valid request the current state does not allow (balance, ended session, ...)."""


class InvalidInput(ProblemError):
    """422: a field's value is not acceptable; ``field`` names it."""


class Unauthorized(ProblemError):
    """401: the operation needs an account, or the credentials sent were refused."""


class Forbidden(ProblemError):
    """403: the credentials are known, but hold no right here (a token of another game)."""


class TooManyAttempts(ProblemError):
    """429: too many failed logins for the account or from this address.

    ``retry_after`` is how many seconds the service asked to wait, when it said.
    """

    retry_after: float | None = None


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: TooManyAttempts,
}


def problem_error(status: int, body: dict[str, Any], *, url: str | None = None) -> ProblemError:
    """The exception for a problem+json ``body`` answered with HTTP ``status``.

    The class comes from the HTTP status line rather than the body's
    ``status`` member: the status line is what every proxy and log agrees on.
    Raises ``ProtocolMismatch`` when the body is not a problem document, so a
    JSON error page from some other server is not mistaken for a refusal.
    """
    title = body.get("title")
    detail = body.get("detail")
    if not isinstance(title, str) and not isinstance(detail, str):
        raise ProtocolMismatch(
            f"{url or 'the service'} answered {status} with JSON that is not a problem document"
            " (no title or detail): is this a parlor roulette service?",
            url=url,
        )
    title_text = title if isinstance(title, str) else f"HTTP {status}"
    detail_text = detail if isinstance(detail, str) else title_text
    code = body.get("code")
    field = body.get("field")
    kind = body.get("type")
    legal = body.get("legal_moves")
    cls = _BY_STATUS.get(status, ProblemError)
    return cls(
        status,
        title_text,
        detail_text,
        code=code if isinstance(code, str) else None,
        field=field if isinstance(field, str) else None,
        type=kind if isinstance(kind, str) else "about:blank",
        url=url,
        legal_moves=(
            tuple(m for m in legal if isinstance(m, str)) if isinstance(legal, list) else ()
        ),
    )
