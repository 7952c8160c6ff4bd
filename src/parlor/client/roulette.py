"""A typed client for the roulette REST service (``/api/v1``), with safe retries.

One ``RouletteClient`` wraps one ``httpx.Client``, so its requests share a
connection pool and keep-alive connections; use it as a context manager (or
call ``close()``) to release them. Every method returns a small frozen
dataclass read from the JSON answer, or raises one of ``parlor.client.errors``.

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
``OutcomeUnknown`` is raised: the caller must look at the session before
trying again, because a blind retry could spin the wheel twice.
"""

from __future__ import annotations

import email.utils
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, NamedTuple, Self, TypeVar
from urllib.parse import quote

import httpx

from parlor import __version__
from parlor.client.errors import (
    OutcomeUnknown,
    ProtocolMismatch,
    ServiceUnavailable,
    problem_error,
)

__all__ = [
    "MAX_DELAY",
    "Bet",
    "BetReceipt",
    "Mismatch",
    "RouletteClient",
    "Session",
    "Settlement",
    "SpinOutcome",
    "SpinRecord",
    "SpinResult",
    "Verification",
]

API = "/api/v1"
#: The longest pause between two attempts, whatever Retry-After or the backoff says:
#: a caller with a person waiting would rather see an error than hang.
MAX_DELAY = 5.0

T = TypeVar("T")

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


# -- reading JSON documents ------------------------------------------------------------


class _Doc:
    """Typed access to one JSON object; a missing or mistyped member is a ProtocolMismatch."""

    def __init__(self, value: object, where: str = "the answer") -> None:
        if not isinstance(value, dict):
            raise ProtocolMismatch(f"{where} is not a JSON object")
        self._value: dict[str, Any] = value
        self._where = where

    @property
    def mapping(self) -> dict[str, Any]:
        return self._value

    def raw(self, key: str) -> Any:
        """The member as decoded, unchecked: for a parser that checks it itself."""
        if key not in self._value:
            raise ProtocolMismatch(f"{self._where} has no {key!r}")
        return self._value[key]

    def _wrong(self, key: str, wanted: str) -> ProtocolMismatch:
        return ProtocolMismatch(
            f"{self._where}'s {key!r} should be {wanted}, not {self._value[key]!r}"
        )

    def whole(self, key: str) -> int:
        value = self.raw(key)
        # bool is an int subclass in Python, but true is not a number in JSON.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        return value

    def whole_or_none(self, key: str) -> int | None:
        return None if self.raw(key) is None else self.whole(key)

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self._wrong(key, "text")
        return value

    def text_or_none(self, key: str) -> str | None:
        return None if self.raw(key) is None else self.text(key)

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def flag_or_none(self, key: str) -> bool | None:
        return None if self.raw(key) is None else self.flag(key)

    def pocket(self, key: str) -> int | str:
        value: int | str = self.raw(key)
        if not _is_pocket(value):
            raise self._wrong(key, 'a pocket (a number, "0" or "00")')
        return value

    def moment(self, key: str) -> datetime:
        text = self.text(key)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise self._wrong(key, "an ISO 8601 time") from None

    def moment_or_none(self, key: str) -> datetime | None:
        return None if self.raw(key) is None else self.moment(key)

    def docs(self, key: str) -> list[_Doc]:
        return [_Doc(item, f"an item of {self._where}'s {key!r}") for item in self.items(key)]

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value


def _is_pocket(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


# -- the values ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    """One roulette session as the service last described it."""

    id: str
    name: str
    #: "open" or "ended".
    status: str
    #: "american" or "european".
    wheel: str
    la_partage: bool
    table_min: int
    table_max: int
    bankroll: int
    #: Chips the player holds; open bets are already taken off it.
    balance: int
    #: Chips on the table in open bets.
    open_stake: int
    bet_count: int
    spin_count: int
    #: The SHA-256 commitment to the server seed, published when the session opened.
    server_seed_hash: str
    client_seed: str
    #: None while the session is open: the seed is revealed when it ends.
    server_seed: str | None
    opened_at: datetime
    ended_at: datetime | None
    #: Grows with every change: what ``session(id, wait=…, since=version)`` waits past.
    version: int

    @property
    def ended(self) -> bool:
        return self.status == "ended"

    @classmethod
    def from_json(cls, value: object) -> Session:
        doc = _Doc(value, "the session")
        return cls(
            id=doc.text("session"),
            name=doc.text("name"),
            status=doc.text("status"),
            wheel=doc.text("wheel"),
            la_partage=doc.flag("la_partage"),
            table_min=doc.whole("table_min"),
            table_max=doc.whole("table_max"),
            bankroll=doc.whole("bankroll"),
            balance=doc.whole("balance"),
            open_stake=doc.whole("open_stake"),
            bet_count=doc.whole("bet_count"),
            spin_count=doc.whole("spin_count"),
            server_seed_hash=doc.text("server_seed_hash"),
            client_seed=doc.text("client_seed"),
            server_seed=doc.text_or_none("server_seed"),
            opened_at=doc.moment("opened_at"),
            ended_at=doc.moment_or_none("ended_at"),
            version=doc.whole("version"),
        )


@dataclass(frozen=True, slots=True)
class Bet:
    """One bet of a session."""

    #: The bet's number within its session, from 1: what withdraw_bet and bet take.
    confirmation: int
    #: The bet kind: "straight", "split", "red", "dozen", ...
    proposition: str
    #: The pockets chosen, as the API writes them: ints, with "0" and "00" as strings.
    numbers: tuple[int | str, ...]
    #: A short human name, such as "split 17-20".
    description: str
    amount: int
    #: The payout odds: 35 for 35 to 1.
    odds: int
    #: "open", "settled", "withdrawn" or "refunded".
    status: str
    #: The spin that settled the bet; None until then.
    spin: int | None
    #: Chips paid back at settlement (stake plus winnings); None until settled.
    returned: int | None
    #: Net chips won (negative: lost) once settled or refunded; None while open.
    outcome: int | None
    placed_at: datetime

    @classmethod
    def from_json(cls, value: object) -> Bet:
        doc = _Doc(value, "the bet")
        numbers = doc.items("numbers")
        if not all(_is_pocket(n) for n in numbers):
            raise ProtocolMismatch(f"the bet's 'numbers' should be pockets, not {numbers!r}")
        return cls(
            confirmation=doc.whole("confirmation"),
            proposition=doc.text("proposition"),
            numbers=tuple(numbers),
            description=doc.text("description"),
            amount=doc.whole("amount"),
            odds=doc.whole("odds"),
            status=doc.text("status"),
            spin=doc.whole_or_none("spin"),
            returned=doc.whole_or_none("returned"),
            outcome=doc.whole_or_none("outcome"),
            placed_at=doc.moment("placed_at"),
        )


@dataclass(frozen=True, slots=True)
class BetReceipt:
    """The answer to placing or withdrawing a bet: the bet, and the balance right after."""

    confirmation: int
    bet: Bet
    balance: int

    @classmethod
    def from_json(cls, value: object) -> BetReceipt:
        doc = _Doc(value, "the receipt")
        return cls(
            confirmation=doc.whole("confirmation"),
            bet=Bet.from_json(doc.raw("bet")),
            balance=doc.whole("balance"),
        )


@dataclass(frozen=True, slots=True)
class SpinResult:
    """Where the ball landed, and what that pocket means to a bettor (the seed's /json/)."""

    #: 1–36 as an int; the zeros as the strings "0" and "00".
    number: int | str
    #: "red", "black" or "green".
    color: str
    even: bool
    #: 19–36; None for the zeros, which are neither high nor low.
    high: bool | None
    #: The dozen, 1–3; None for the zeros.
    twelve: int | None
    #: The column, 1–3; None for the zeros.
    column: int | None

    @property
    def label(self) -> str:
        """The pocket as people write it: "00", "0", "17"."""
        return str(self.number)

    @classmethod
    def from_json(cls, value: object) -> SpinResult:
        doc = _Doc(value, "the spin result")
        return cls(
            number=doc.pocket("number"),
            color=doc.text("color"),
            even=doc.flag("even"),
            high=doc.flag_or_none("high"),
            twelve=doc.whole_or_none("twelve"),
            column=doc.whole_or_none("column"),
        )


class Settlement(NamedTuple):
    """One bet a spin settled: its confirmation and the net chips won (negative: lost)."""

    confirmation: int
    outcome: int


@dataclass(frozen=True, slots=True)
class SpinOutcome:
    """The answer to a spin: the result, every bet it settled, and the new balance."""

    #: The spin's number within its session, from 1.
    spin: int
    result: SpinResult
    settled: tuple[Settlement, ...]
    balance: int

    @classmethod
    def from_json(cls, value: object) -> SpinOutcome:
        doc = _Doc(value, "the spin")
        return cls(
            spin=doc.whole("spin"),
            result=SpinResult.from_json(doc.raw("result")),
            settled=tuple(
                Settlement(item.whole("confirmation"), item.whole("outcome"))
                for item in doc.docs("settled")
            ),
            balance=doc.whole("balance"),
        )


@dataclass(frozen=True, slots=True)
class SpinRecord:
    """One past spin of a session."""

    spin: int
    result: SpinResult
    spun_at: datetime

    @classmethod
    def from_json(cls, value: object) -> SpinRecord:
        doc = _Doc(value, "the spin record")
        return cls(
            spin=doc.whole("spin"),
            result=SpinResult.from_json(doc.raw("result")),
            spun_at=doc.moment("spun_at"),
        )


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A recorded spin whose pocket index differs from the one the seeds determine."""

    spin: int
    recorded: int
    expected: int


@dataclass(frozen=True, slots=True)
class Verification:
    """The service's re-derivation of an ended session's spins from its revealed seed."""

    ok: bool
    seed_matches_hash: bool
    spins_checked: int
    mismatches: tuple[Mismatch, ...]
    #: One paragraph for a person, naming every mismatch.
    summary: str

    @classmethod
    def from_json(cls, value: object) -> Verification:
        doc = _Doc(value, "the verification")
        return cls(
            ok=doc.flag("ok"),
            seed_matches_hash=doc.flag("seed_matches_hash"),
            spins_checked=doc.whole("spins_checked"),
            mismatches=tuple(
                Mismatch(item.whole("spin"), item.whole("recorded"), item.whole("expected"))
                for item in doc.docs("mismatches")
            ),
            summary=doc.text("summary"),
        )


def _bets(value: object) -> list[Bet]:
    return [Bet.from_json(item) for item in _Doc(value, "the bet list").items("bets")]


def _bet_detail(value: object) -> Bet:
    return Bet.from_json(_Doc(value, "the answer").raw("bet"))


def _spin_records(value: object) -> list[SpinRecord]:
    return [SpinRecord.from_json(item) for item in _Doc(value, "the spin list").items("spins")]


def _rules(value: object) -> dict[str, Any]:
    # Checking the one member every rules document has is a cheap "is this parlor?".
    doc = _Doc(value, "the rules")
    _Doc(doc.raw("wheels"), "the rules' 'wheels'")
    return doc.mapping


# -- the client ------------------------------------------------------------------------


def _segment(value: str | int) -> str:
    """One path segment, percent-encoded.

    An id holding "/" is refused rather than encoded: WSGI servers decode
    %2F in PATH_INFO, so "x/end" would reach the route for ending session x.
    Empty, "." and ".." would likewise name a different resource.
    """
    text = str(value)
    if text in ("", ".", "..") or "/" in text:
        raise ValueError(f"{text!r} is not an id that can be sent in a URL path")
    return quote(text, safe="")


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


class RouletteClient:
    """The roulette service's REST API as Python calls.

    ``base_url`` is where ``parlor serve`` listens (``http://127.0.0.1:36000``),
    optionally with a path prefix when a proxy mounts it elsewhere. ``timeout``
    bounds each phase of each attempt (connect, read, write, waiting for a
    pooled connection). ``retries`` is how many times a request that is safe to
    repeat is sent again (see the module docstring), pausing ``backoff``
    seconds and doubling; ``sleep`` is how the pause happens, so tests can
    skip it. ``transport`` replaces the network, e.g. with
    ``httpx.WSGITransport(app=...)`` to call an app in-process.

    An id that cannot be a path segment ("", ".", "..", or one holding "/")
    raises ValueError before anything is sent. The client is safe to share
    between threads: ``httpx.Client`` is, and this adds no state.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
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
        return f"RouletteClient({self.base_url!r})"

    # -- sessions --------------------------------------------------------------------

    def open_session(
        self,
        name: str,
        *,
        bankroll: int | None = None,
        table_min: int | None = None,
        table_max: int | None = None,
        wheel: str = "american",
        la_partage: bool = False,
        client_seed: str | None = None,
    ) -> Session:
        """Open a session funded with ``bankroll`` chips; None leaves a field to the house."""
        fields: dict[str, Any] = {
            "name": name,
            "bankroll": bankroll,
            "table_min": table_min,
            "table_max": table_max,
            "wheel": wheel,
            "la_partage": la_partage,
            "client_seed": client_seed,
        }
        # Omitted rather than null, so the house's defaults apply.
        body = {key: value for key, value in fields.items() if value is not None}
        return self._call("POST", f"{API}/sessions", Session.from_json, repeatable=False, json=body)

    def session(
        self, session_id: str, *, wait: float | None = None, since: int | None = None
    ) -> Session:
        """The session's current state; with ``wait``, once it has changed past ``since``.

        A long poll: the service answers as soon as the session's version passes
        ``since`` (default: the version it has now), or after ``wait`` seconds
        (at most 30) with the session unchanged. The attempt's timeout grows by
        ``wait``.
        """
        params: dict[str, str | int] = {}
        if wait is not None:
            params["wait"] = f"{wait:g}"
            if since is not None:
                params["since"] = since
        return self._call(
            "GET",
            f"{API}/sessions/{_segment(session_id)}",
            Session.from_json,
            repeatable=True,
            params=params or None,
            extra_time=wait or 0.0,
        )

    def end_session(self, session_id: str) -> Session:
        """End the session: open bets are refunded and the server seed is revealed."""
        return self._call(
            "POST",
            f"{API}/sessions/{_segment(session_id)}/end",
            Session.from_json,
            repeatable=False,
            json={},
        )

    def verification(self, session_id: str) -> Verification:
        """The service's check of an ended session's spins against its revealed seed."""
        return self._call(
            "GET",
            f"{API}/sessions/{_segment(session_id)}/verification",
            Verification.from_json,
            repeatable=True,
        )

    # -- bets ------------------------------------------------------------------------

    def place_bet(
        self,
        session_id: str,
        proposition: str,
        amount: int,
        numbers: Sequence[int | str] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BetReceipt:
        """Place a bet; its stake leaves the balance at once.

        The request always carries an ``Idempotency-Key`` (a fresh random one
        unless given), so a retry after a lost answer returns the first bet
        rather than placing a second. Pass your own key to carry that safety
        across process restarts; reusing it for a different bet raises
        ``InvalidInput`` with code ``idempotency_key_reused``.
        """
        body: dict[str, Any] = {"proposition": proposition, "amount": amount}
        if numbers is not None:
            body["numbers"] = list(numbers)
        key = idempotency_key if idempotency_key is not None else uuid.uuid4().hex
        return self._call(
            "POST",
            f"{API}/sessions/{_segment(session_id)}/bets",
            BetReceipt.from_json,
            repeatable=True,
            json=body,
            headers={"Idempotency-Key": key},
        )

    def bets(
        self, session_id: str, status: str | None = None, after: int = 0, limit: int = 100
    ) -> list[Bet]:
        """The session's bets in the order placed: those after confirmation ``after``, at most
        ``limit`` (up to 1000), only those with ``status`` when given."""
        params: dict[str, str | int] = {"after": after, "limit": limit}
        if status is not None:
            params["status"] = status
        return self._call(
            "GET",
            f"{API}/sessions/{_segment(session_id)}/bets",
            _bets,
            repeatable=True,
            params=params,
        )

    def bet(self, session_id: str, confirmation: int) -> Bet:
        """One bet of the session, by its confirmation number."""
        return self._call(
            "GET",
            f"{API}/sessions/{_segment(session_id)}/bets/{_segment(confirmation)}",
            _bet_detail,
            repeatable=True,
        )

    def withdraw_bet(self, session_id: str, confirmation: int) -> BetReceipt:
        """Take an open bet back and refund its stake.

        Not repeated after a lost answer: a second withdrawal would be refused
        with 409 ``bet_not_open``, hiding that the first one worked.
        """
        return self._call(
            "DELETE",
            f"{API}/sessions/{_segment(session_id)}/bets/{_segment(confirmation)}",
            BetReceipt.from_json,
            repeatable=False,
        )

    # -- spins -----------------------------------------------------------------------

    def spin(self, session_id: str, *, number: int | None = None) -> SpinOutcome:
        """Spin the session's wheel, settling every open bet.

        Never repeated once sent: if the answer is lost, ``OutcomeUnknown`` is
        raised and ``session(id).spin_count`` tells whether the spin happened.
        ``number`` (the session's ``spin_count`` + 1) makes sending it again
        safe even while the first may still be under way: if that spin has been
        drawn meanwhile, the service refuses with ``Conflict`` and code
        ``spin_out_of_turn`` rather than drawing another.
        """
        return self._call(
            "POST",
            f"{API}/sessions/{_segment(session_id)}/spins",
            SpinOutcome.from_json,
            repeatable=False,
            json={} if number is None else {"spin": number},
        )

    def spins(self, session_id: str, last: int | None = None) -> list[SpinRecord]:
        """The session's spins, oldest first; only the newest ``last`` (up to 1000) when given."""
        params: dict[str, str | int] = {} if last is None else {"last": last}
        return self._call(
            "GET",
            f"{API}/sessions/{_segment(session_id)}/spins",
            _spin_records,
            repeatable=True,
            params=params,
        )

    # -- documents -------------------------------------------------------------------

    def rules(self) -> dict[str, Any]:
        """Wheels, propositions, odds, house edges and limits, as the service documents them."""
        return self._call("GET", f"{API}/rules", _rules, repeatable=True)

    def house_spin(self) -> SpinResult:
        """One spin of the stateless house wheel (the seed's ``GET /json/``)."""
        return self._call("GET", "/json/", SpinResult.from_json, repeatable=True)

    # -- plumbing --------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[object], T],
        *,
        repeatable: bool,
        json: dict[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        extra_time: float = 0.0,
    ) -> T:
        """Send the request, retrying as far as ``repeatable`` allows; parse the answer.

        ``repeatable`` is True when sending the request twice has the effect
        of sending it once (a GET, a bet with an idempotency key).
        ``extra_time`` lengthens each attempt's read timeout (a long poll).
        """
        timeout: Any = httpx.USE_CLIENT_DEFAULT
        if extra_time:
            timeout = httpx.Timeout(self.timeout, read=self.timeout + extra_time)
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    method, path, json=json, params=params, headers=headers, timeout=timeout
                )
            except httpx.TransportError as error:
                delay = self._after_transport_error(error, method, url, attempt, repeatable)
            else:
                if response.status_code not in _UNAVAILABLE:
                    return self._parse(response, method, url, parse)
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
                    f"the roulette service at {self.base_url} did not answer {method} {url}"
                    f" within {self.timeout:g} s ({tries}): is `parlor serve` running there,"
                    " and not overloaded?"
                )
            else:
                message = (
                    f"cannot reach the roulette service at {self.base_url} ({reason}; {tries}):"
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
                f"the roulette service at {self.base_url} answered {method} {url} with"
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

    def _parse(
        self, response: httpx.Response, method: str, url: str, parse: Callable[[object], T]
    ) -> T:
        status = response.status_code
        hint = f"is {self.base_url} a parlor roulette service?"
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
            document = response.json()
        except ValueError as error:
            raise ProtocolMismatch(
                f"{method} {url} answered {_phrase(status)} with a body that is not valid JSON"
                f" ({error}): {hint}",
                url=url,
            ) from None
        if status >= 400:
            if not isinstance(document, dict):
                raise ProtocolMismatch(
                    f"{method} {url} answered {_phrase(status)} with JSON that is not a problem"
                    f" document: {hint}",
                    url=url,
                )
            raise problem_error(status, document, url=url)
        try:
            return parse(document)
        except ProtocolMismatch as error:
            raise ProtocolMismatch(
                f"{method} {url} answered JSON of an unexpected shape ({error}):"
                f" is {self.base_url} a parlor roulette service of a compatible version?",
                url=url,
            ) from None
