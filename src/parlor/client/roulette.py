"""A typed client for the roulette REST service (``/api/v1``), with safe retries.

One ``RouletteClient`` wraps one ``httpx.Client``, so its requests share a
connection pool and keep-alive connections; use it as a context manager (or
call ``close()``) to release them. Every method returns the service's answer
as its ``parlor.wire.roulette`` struct (the same definition the service
encodes from), or raises one of ``parlor.client.errors``.

Which requests are retried, and when, is the SDK core's one discipline
(``parlor.client.http``): reads and bets (which always carry an
``Idempotency-Key``) may be repeated after a lost answer; a spin, opening or
ending a session and a withdrawal are sent again only if they surely never
left, and otherwise raise ``OutcomeUnknown``.

The service reads requests strictly (``parlor.wire``); this client is lenient
for its callers and writes what the service reads: a proposition in any
spelling the rules know ("Six line", "basket"), pockets as ints or strings in
any order, a wheel in any case.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx

from parlor.client.http import MAX_DELAY, ServiceClient, long_poll, segment
from parlor.roulette.bets import RuleViolation, parse_kind
from parlor.roulette.wheel import AMERICAN, JsonPocket, json_number, parse_pocket
from parlor.wire.accounts import Account, Token
from parlor.wire.records import GameRecord
from parlor.wire.roulette import (
    Bet,
    BetDetail,
    BetList,
    BetReceipt,
    Mismatch,
    Rules,
    Session,
    Settlement,
    SpinList,
    SpinOutcome,
    SpinRecord,
    Verification,
    WheelResult,
    in_order,
)
from parlor.wire.tables import Table, TableList

__all__ = [
    "MAX_DELAY",
    "Bet",
    "BetReceipt",
    "Mismatch",
    "RouletteClient",
    "Rules",
    "Session",
    "Settlement",
    "SpinOutcome",
    "SpinRecord",
    "Verification",
    "WheelResult",
]

API = "/api/v1"


def _proposition(value: str) -> str:
    """The kind's one spelling on the wire; what the rules do not know goes as given."""
    try:
        return parse_kind(value).value
    except RuleViolation:
        return value  # the service's refusal will say what is wrong with it


def _numbers(values: Sequence[int | str]) -> list[int | str]:
    """Pockets as the wire writes them, in its order; anything else goes as given."""
    written: list[JsonPocket] = []
    for value in values:
        try:
            written.append(json_number(parse_pocket(value, AMERICAN)))
        except ValueError:
            return list(values)
    return list(in_order(tuple(written)))


class RouletteClient(ServiceClient):
    """The roulette service's REST API as Python calls.

    An id that cannot be a path segment ("", ".", "..", or one holding "/")
    raises ValueError before anything is sent.
    """

    service = "roulette service"

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
        auth: httpx.Auth | None = None,
    ) -> Session:
        """Open a session funded with ``bankroll`` chips; None leaves a field to the house.

        Signed as an account (``auth``, or the client's own), the chips come from
        the account, and go back to it when the session ends.
        """
        fields: dict[str, Any] = {
            "name": name,
            "bankroll": bankroll,
            "table_min": table_min,
            "table_max": table_max,
            "wheel": wheel.lower() if isinstance(wheel, str) else wheel,
            "la_partage": la_partage,
            "client_seed": client_seed,
        }
        # Omitted rather than null, so the house's defaults apply.
        body = {key: value for key, value in fields.items() if value is not None}
        return self._call(
            "POST", f"{API}/sessions", Session, repeatable=False, body=body, auth=auth
        )

    def session(
        self, session_id: str, *, wait: float | None = None, since: int | None = None
    ) -> Session:
        """The session's current state; with ``wait``, once it has changed past ``since``.

        A long poll: the service answers as soon as the session's version passes
        ``since`` (default: the version it has now), or after ``wait`` seconds
        (at most 30) with the session unchanged. The attempt's timeout grows by
        ``wait``.
        """
        return self._call(
            "GET",
            f"{API}/sessions/{segment(session_id)}",
            Session,
            repeatable=True,
            params=long_poll(wait, since),
            extra_time=wait or 0.0,
        )

    def end_session(self, session_id: str) -> Session:
        """End the session: open bets are refunded and the server seed is revealed."""
        return self._call(
            "POST",
            f"{API}/sessions/{segment(session_id)}/end",
            Session,
            repeatable=False,
            body={},
        )

    def verification(self, session_id: str) -> Verification:
        """The service's check of an ended session's spins against its revealed seed."""
        return self._call(
            "GET",
            f"{API}/sessions/{segment(session_id)}/verification",
            Verification,
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
        body: dict[str, Any] = {"proposition": _proposition(proposition), "amount": amount}
        if numbers is not None:
            body["numbers"] = _numbers(numbers)
        key = idempotency_key if idempotency_key is not None else uuid.uuid4().hex
        return self._call(
            "POST",
            f"{API}/sessions/{segment(session_id)}/bets",
            BetReceipt,
            repeatable=True,
            body=body,
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
        answer = self._call(
            "GET",
            f"{API}/sessions/{segment(session_id)}/bets",
            BetList,
            repeatable=True,
            params=params,
        )
        return list(answer.bets)

    def bet(self, session_id: str, confirmation: int) -> Bet:
        """One bet of the session, by its confirmation number."""
        answer = self._call(
            "GET",
            f"{API}/sessions/{segment(session_id)}/bets/{segment(confirmation)}",
            BetDetail,
            repeatable=True,
        )
        return answer.bet

    def withdraw_bet(self, session_id: str, confirmation: int) -> BetReceipt:
        """Take an open bet back and refund its stake.

        Not repeated after a lost answer: a second withdrawal would be refused
        with 409 ``bet_not_open``, hiding that the first one worked.
        """
        return self._call(
            "DELETE",
            f"{API}/sessions/{segment(session_id)}/bets/{segment(confirmation)}",
            BetReceipt,
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
            f"{API}/sessions/{segment(session_id)}/spins",
            SpinOutcome,
            repeatable=False,
            body={} if number is None else {"spin": number},
        )

    def spins(self, session_id: str, last: int | None = None) -> list[SpinRecord]:
        """The session's spins, oldest first; only the newest ``last`` (up to 1000) when given."""
        params: dict[str, str | int] = {} if last is None else {"last": last}
        answer = self._call(
            "GET",
            f"{API}/sessions/{segment(session_id)}/spins",
            SpinList,
            repeatable=True,
            params=params,
        )
        return list(answer.spins)

    # -- the tables (played over TCP; read here) ----------------------------------------

    def tables(self) -> list[Table]:
        """The roulette tables open now."""
        return list(self._call("GET", f"{API}/tables", TableList, repeatable=True).tables)

    def table_record(self, name: str) -> GameRecord:
        """A closed table's seeds and rounds, as ``parlor verify`` checks them (a 409
        ``Conflict`` while the table is open)."""
        return self._call(
            "GET", f"{API}/tables/{segment(name)}/record", GameRecord, repeatable=True
        )

    # -- accounts --------------------------------------------------------------------

    def register(self, username: str, password: str) -> Account:
        """Open a player account (Conflict ``username_taken``, InvalidInput for a weak password)."""
        # Not repeated after a lost answer: the second try would say the name is taken.
        body = {"username": username, "password": password}
        return self._call("POST", f"{API}/accounts", Account, repeatable=False, body=body)

    def account(self, *, auth: httpx.Auth | None = None) -> Account:
        """The signed-in account, with its balance (Unauthorized without credentials)."""
        return self._call("GET", f"{API}/accounts/me", Account, repeatable=True, auth=auth)

    def new_token(self, *, auth: httpx.Auth | None = None) -> Token:
        """A bearer token for the signed-in account (sign with a password: Basic or Digest)."""
        # Repeating it after a lost answer only leaves an unused token to expire.
        return self._call(
            "POST", f"{API}/accounts/me/tokens", Token, repeatable=True, body={}, auth=auth
        )

    def revoke_token(self, *, auth: httpx.Auth | None = None) -> None:
        """Revoke the bearer token the request is signed with (``auth`` must be one)."""
        self._call(
            "DELETE", f"{API}/accounts/me/tokens/current", type(None), repeatable=False, auth=auth
        )

    def change_password(self, current: str, new: str, *, auth: httpx.Auth | None = None) -> None:
        """Set a new password; every token of the account stops working."""
        body = {"current_password": current, "password": new}
        self._call(
            "POST", f"{API}/accounts/me/password", type(None), repeatable=False, body=body,
            auth=auth,
        )  # fmt: skip

    # -- documents -------------------------------------------------------------------

    def rules(self) -> Rules:
        """Wheels, propositions, odds, house edges and limits, as the service documents them."""
        return self._call("GET", f"{API}/rules", Rules, repeatable=True)

    def house_spin(self) -> WheelResult:
        """One spin of the stateless house wheel (the seed's ``GET /json/``)."""
        return self._call("GET", "/json/", WheelResult, repeatable=True)
