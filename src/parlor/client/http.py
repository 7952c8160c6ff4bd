"""The SDK's HTTP core: one ``httpx.Client``, safe retries, answers decoded into wire structs.

``ServiceClient`` is what every parlor client is built on (``RouletteClient``
today; the chess and tables clients next): it owns the connection pool, sends
each request, retries only what is safe to retry, and decodes each answer
straight into its ``parlor.wire`` struct, or raises one of
``parlor.client.errors``.

Retries
-------
A request is repeated (at most ``retries`` times, waiting ``backoff``, then
twice that, ... or what ``Retry-After`` asks, capped at ``MAX_DELAY``) only
when repeating it cannot do anything twice:

* any request whose connection was never made (``ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout``): the service never saw it;
* any request answered 503 with the problem code ``busy``: the house refuses
  a busy operation before its first write, so nothing happened;
* reads (GET) and bets (POST with an ``Idempotency-Key``, which
  ``place_bet`` always sends) also after a lost answer (read/write errors,
  a dropped connection, a read timeout) and after 502, 503 or 504: a GET
  changes nothing, and the service answers a repeated key with the first
  bet instead of placing a second one.

Everything else (spin, open or end a session, withdraw a bet) is sent once
more only if it surely never left. If it was sent and the answer was lost,
``OutcomeUnknown`` is raised: the caller must look at the resource before
trying again, because a blind retry could spin the wheel twice.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from parlor import __version__
from parlor.client.errors import (
    OutcomeUnknown,
    ProtocolMismatch,
    ServiceUnavailable,
    TooManyAttempts,
    problem_error,
)

__all__ = ["MAX_DELAY", "ServiceClient", "long_poll", "segment"]

#: The longest pause between two attempts, whatever Retry-After or the backoff says:
#: a caller with a person waiting would rather see an error than hang.
MAX_DELAY = 5.0

T = TypeVar("T")
_ENCODER = msgspec.json.Encoder()

# The request never reached the service, so any request may be sent again.
_NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# The request may have reached the service (and been acted on) before the answer was lost.
_MAYBE_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)
# Statuses a gateway (or the service, when busy) uses for "not now": worth another try.
_UNAVAILABLE = frozenset({502, 503, 504})


def segment(value: str | int) -> str:
    """One path segment, percent-encoded.

    An id holding "/" is refused rather than encoded: WSGI servers decode
    %2F in PATH_INFO, so "x/end" would reach the route for ending session x.
    Empty, "." and ".." would likewise name a different resource.
    """
    text = str(value)
    if text in ("", ".", "..") or "/" in text:
        raise ValueError(f"{text!r} is not an id that can be sent in a URL path")
    return quote(text, safe="")


def long_poll(wait: float | None, since: int | None) -> dict[str, str | int] | None:
    """The query of a long poll: wait up to ``wait`` s for a version past ``since``."""
    if wait is None:
        return None
    params: dict[str, str | int] = {"wait": f"{wait:g}"}
    if since is not None:
        params["since"] = since
    return params


def _is_json(response: httpx.Response) -> bool:
    media = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the Retry-After header asks for (delay-seconds or an HTTP-date), if usable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_DELAY)


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class ServiceClient:
    """One parlor HTTP service as Python calls: the plumbing every client shares.

    ``base_url`` is where the service listens (``http://127.0.0.1:36000``),
    optionally with a path prefix when a proxy mounts it elsewhere. ``timeout``
    bounds each phase of each attempt (connect, read, write, waiting for a
    pooled connection). ``retries`` is how many times a request that is safe to
    repeat is sent again (see the module docstring), pausing ``backoff``
    seconds and doubling; ``sleep`` is how the pause happens, so tests can
    skip it. ``transport`` replaces the network, e.g. with
    ``httpx.WSGITransport(app=...)`` to call an app in-process. ``auth``
    signs every request as an account (``httpx.DigestAuth``, ``BasicAuth``,
    or ``parlor.client.auth.Bearer``); a method's own ``auth`` overrides it.

    The client is safe to share between threads: ``httpx.Client`` is, and
    this adds no state.
    """

    #: How messages name the service: "the roulette service at http://…".
    service = "parlor service"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL as error:
            raise ValueError(f"base_url {base_url!r} is not a URL: {error}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(
                f"base_url must be an http:// or https:// URL with a host, not {base_url!r}"
            )
        if url.query or url.fragment:
            raise ValueError(f"base_url must not have a query or fragment: {base_url!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be more than 0 seconds, not {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, not {retries!r}")
        if not backoff >= 0:
            raise ValueError(f"backoff must be 0 seconds or more, not {backoff!r}")
        #: The base URL without a trailing slash, as messages show it.
        self.base_url = str(url).rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=url,
            timeout=httpx.Timeout(connect=timeout, read=timeout, write=timeout, pool=timeout),
            transport=transport,
            headers={
                "Accept": "application/json, application/problem+json",
                "User-Agent": f"parlor-client/{__version__}",
            },
            auth=auth,
            # A redirect means base_url is wrong (http vs https, a moved service): say so
            # rather than silently re-sending a POST somewhere else.
            follow_redirects=False,
        )

    # -- lifetime --------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections; the client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    # -- plumbing --------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        into: type[T],
        *,
        repeatable: bool,
        body: object = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        extra_time: float = 0.0,
        auth: httpx.Auth | None = None,
    ) -> T:
        """Send the request, retrying as far as ``repeatable`` allows; decode the answer.

        ``body``, when given, goes as JSON (a wire struct or plain values); the
        answer is decoded into ``into``, a wire struct (or, for ``str``, a
        successful answer's text as it came).

        ``repeatable`` is True when sending the request twice has the effect
        of sending it once (a GET, a bet with an idempotency key).
        ``extra_time`` lengthens each attempt's read timeout (a long poll).
        ``auth`` signs this request (the client's own ``auth`` otherwise). A 204
        answers None, whatever ``into`` is.
        """
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        if extra_time:
            timeout = httpx.Timeout(self.timeout, read=self.timeout + extra_time)
        url = f"{self.base_url}{path}"
        content = None if body is None else _ENCODER.encode(body)
        sent_headers = dict(headers or {})
        if content is not None:
            sent_headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    method,
                    path,
                    content=content,
                    params=params,
                    headers=sent_headers,
                    timeout=timeout,
                    auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth,
                )
            except httpx.TransportError as error:
                delay = self._after_transport_error(error, method, url, attempt, repeatable)
            else:
                if response.status_code not in _UNAVAILABLE:
                    return self._decode(response, method, url, into)
                delay = self._after_unavailable(response, method, url, attempt, repeatable)
            self._sleep(delay)

    def _backoff_delay(self, attempt: int) -> float:
        return min(self._backoff * 2.0 ** (attempt - 1), MAX_DELAY)

    def _after_transport_error(
        self, error: httpx.TransportError, method: str, url: str, attempt: int, repeatable: bool
    ) -> float:
        """The pause before the next attempt, or the exception that ends the call."""
        reason = str(error) or type(error).__name__
        if not isinstance(error, _NOT_SENT) and not repeatable:
            raise OutcomeUnknown(
                f"{method} {url} was sent, but its answer was lost ({reason}); the service may"
                " have acted on it, so check the session's state before repeating it",
                url=url,
                attempts=attempt,
            ) from error
        if attempt > self.retries or not isinstance(error, _NOT_SENT + _MAYBE_SENT):
            tries = "1 attempt" if attempt == 1 else f"{attempt} attempts"
            if isinstance(error, httpx.TimeoutException):
                message = (
                    f"the {self.service} at {self.base_url} did not answer {method} {url}"
                    f" within {self.timeout:g} s ({tries}): is `parlor serve` running there,"
                    " and not overloaded?"
                )
            else:
                message = (
                    f"cannot reach the {self.service} at {self.base_url} ({reason}; {tries}):"
                    " is `parlor serve` running there, and is the URL right?"
                )
            raise ServiceUnavailable(message, url=url, attempts=attempt) from error
        return self._backoff_delay(attempt)

    def _after_unavailable(
        self, response: httpx.Response, method: str, url: str, attempt: int, repeatable: bool
    ) -> float:
        """As ``_after_transport_error``, for a 502, 503 or 504 answer."""
        status = response.status_code
        code, detail = self._problem_summary(response)
        # The house refuses a busy operation before its first write, so even a spin
        # answered "busy" did not happen and may be sent again.
        busy = status == 503 and code == "busy"
        said = f": {detail}" if detail else ""
        if not repeatable and not busy:
            raise OutcomeUnknown(
                f"{method} {url} was answered {_phrase(status)}{said}; a gateway may have"
                " passed it on before failing, so check the session's state before repeating it",
                url=url,
                attempts=attempt,
                status=status,
            )
        if attempt > self.retries:
            tries = "once" if attempt == 1 else f"{attempt} times"
            raise ServiceUnavailable(
                f"the {self.service} at {self.base_url} answered {method} {url} with"
                f" {_phrase(status)} {tries}{said}; try again shortly",
                url=url,
                attempts=attempt,
                status=status,
            )
        asked = _retry_after(response)
        return self._backoff_delay(attempt) if asked is None else asked

    @staticmethod
    def _problem_summary(response: httpx.Response) -> tuple[str | None, str | None]:
        """The problem code and detail of an error answer, when it has them."""
        if not _is_json(response):
            return None, None
        try:
            body = response.json()
        except ValueError:
            return None, None
        if not isinstance(body, dict):
            return None, None
        code, detail = body.get("code"), body.get("detail")
        return (
            code if isinstance(code, str) else None,
            detail if isinstance(detail, str) else None,
        )

    def _decode(self, response: httpx.Response, method: str, url: str, into: type[T]) -> T:
        status = response.status_code
        if status == 204:
            return None  # type: ignore[return-value]
        hint = f"is {self.base_url} a parlor {self.service}?"
        if into is str and 200 <= status < 300:  # a text document (a game's PGN)
            return response.text  # type: ignore[return-value]
        if 300 <= status < 400:
            where = response.headers.get("location", "elsewhere")
            raise ProtocolMismatch(
                f"{method} {url} was redirected ({_phrase(status)}) to {where}:"
                " point the client at the final address instead",
                url=url,
            )
        media = response.headers.get("content-type") or "no content type"
        if not _is_json(response):
            raise ProtocolMismatch(
                f"{method} {url} answered {_phrase(status)} with {media}, not JSON: {hint}",
                url=url,
            )
        try:
            if status >= 400:
                document = msgspec.json.decode(response.content)
            else:
                answer: T = msgspec.json.decode(response.content, type=into)
                return answer
        except msgspec.ValidationError as error:
            raise ProtocolMismatch(
                f"{method} {url} answered JSON of an unexpected shape ({error}):"
                f" is {self.base_url} a parlor {self.service} of a compatible version?",
                url=url,
            ) from None
        except msgspec.DecodeError as error:
            raise ProtocolMismatch(
                f"{method} {url} answered {_phrase(status)} with a body that is not valid JSON"
                f" ({error}): {hint}",
                url=url,
            ) from None
        if not isinstance(document, dict):
            raise ProtocolMismatch(
                f"{method} {url} answered {_phrase(status)} with JSON that is not a problem"
                f" document: {hint}",
                url=url,
            )
        refusal = problem_error(status, document, url=url)
        if isinstance(refusal, TooManyAttempts):
            refusal.retry_after = _retry_after(response)
        raise refusal
