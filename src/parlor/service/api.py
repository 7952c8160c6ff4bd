"""The versioned REST API under /api/v1: sessions, bets, spins, rules.

Every resource is a thin translation: read the request, call one house
operation, write its value as JSON. Errors are raised, never rendered here:
``problems.py`` turns them into problem+json.
"""

from __future__ import annotations

import math
from typing import Any

import falcon

from parlor.house.roulette import RouletteHouse
from parlor.service import codec, represent
from parlor.service.bodies import idempotency_key, read_body
from parlor.service.problems import Problem
from parlor.settings import MAX_ID
from parlor.wire import roulette as wire
from parlor.wire.base import NoFields
from parlor.wsgi.auth import USER, Identity
from parlor.wsgi.waiting import MAX_WAIT, ask_to_wait

PREFIX = "/api/v1"
PAGE_MAX = 1000


class OpenSession:
    """POST: open a session. ``lenient`` accepts JSON labelled as a form (the seed's routes)."""

    lenient = False

    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, wire.SessionRequest, lenient=self.lenient)
        # A signed-in player's session is funded from their account.
        player: Identity | None = req.env.get(USER)
        state = self._house.open_session(
            body.name,
            bankroll=body.bankroll,
            table_min=body.table_min,
            table_max=body.table_max,
            wheel=body.wheel,
            la_partage=body.la_partage,
            client_seed=body.client_seed,
            account_id=None if player is None else player.account_id,
        )
        resp.status = falcon.HTTP_201
        resp.location = f"{PREFIX}/sessions/{state.id}"
        resp.media = represent.session(state)


def long_poll(req: falcon.Request) -> tuple[float | None, int | None]:
    """A long poll's ``wait`` (0 to MAX_WAIT seconds) and ``since`` (a version), if given."""
    wait = req.get_param_as_float("wait", min_value=0, max_value=MAX_WAIT)
    if wait is not None and not math.isfinite(wait):
        raise falcon.HTTPInvalidParam(f"wait at most {MAX_WAIT:g} seconds", "wait")
    return wait, req.get_param_as_int("since", min_value=0, max_value=MAX_ID)


def parked(
    req: falcon.Request,
    resp: falcon.Response,
    topic: tuple[str, str],
    version: int,
    wait: float | None,
    since: int | None,
    final: bool,
) -> bool:
    """Whether the request asked its front door to hold it until ``topic`` passes the
    version the client has seen (``since``, else ``version``); its answer is then discarded.

    Not for a ``final`` resource, which changes no more, nor when the client has not seen
    the current version yet: that is answered at once.
    """
    seen = version if since is None else since
    if wait and not final and version <= seen and ask_to_wait(req.env, topic, seen, wait):
        resp.status = falcon.HTTP_204  # discarded: the front door asks again
        return True
    return False


def session_topic(session_id: str) -> tuple[str, str]:
    """What a long poll on a session waits on (``parlor.run.changes``)."""
    return ("session", session_id)


class Session:
    """GET: the session; with ``wait``, once its version has passed ``since``."""

    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        wait, since = long_poll(req)
        state = self._house.session(session_id)
        # An ended session changes no more.
        if parked(req, resp, session_topic(session_id), state.version, wait, since, state.ended):
            return
        resp.media = represent.session(state)


class SessionEnd:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        read_body(req, NoFields)
        resp.media = represent.session(self._house.end_session(session_id))


class Verification:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_get(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        resp.media = represent.verification(self._house.verify(session_id))


Sessions = OpenSession


class PlaceBet:
    """POST: place a bet. ``lenient`` accepts JSON labelled as a form (the seed's routes)."""

    lenient = False

    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def location(self, session_id: str, confirmation: int) -> str:
        return f"{PREFIX}/sessions/{session_id}/bets/{confirmation}"

    def on_post(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        body = read_body(req, wire.BetRequest, lenient=self.lenient, code="invalid_bet")
        problem = body.problem()
        if problem is not None:
            field, detail = problem
            raise Problem(falcon.HTTP_422, detail, code="invalid_bet", field=field)
        receipt = self._house.place_bet(
            session_id,
            body.kind,
            body.numbers,
            body.amount,
            idempotency_key=idempotency_key(req),
        )
        # A replayed request answers exactly as the first did (RFC draft
        # "The Idempotency-Key HTTP Header Field"), so the status stays 201.
        resp.status = falcon.HTTP_201
        resp.location = self.location(session_id, receipt.bet.confirmation)
        resp.media = represent.receipt(receipt)


class Bets(PlaceBet):
    """POST places a bet; GET lists the session's bets."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        status = req.get_param("status")
        if status is not None and status not in wire.BET_STATUSES:
            raise falcon.HTTPInvalidParam(f"use one of {', '.join(wire.BET_STATUSES)}", "status")
        after = req.get_param_as_int("after", min_value=0, max_value=MAX_ID, default=0)
        limit = req.get_param_as_int("limit", min_value=1, max_value=PAGE_MAX, default=100)
        bets = self._house.bets(session_id, status=status, after=after, limit=limit)
        resp.media = wire.BetList(bets=tuple(represent.bet(b) for b in bets))


class ReadBet:
    """GET: one bet and its outcome (null until the spin)."""

    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, session_id: str, confirmation: int
    ) -> None:
        resp.media = represent.bet_detail(self._house.bet(session_id, confirmation))


class Bet(ReadBet):
    """GET reads a bet; DELETE withdraws it."""

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, session_id: str, confirmation: int
    ) -> None:
        resp.media = represent.receipt(self._house.withdraw_bet(session_id, confirmation))


class SpinWheel:
    """POST: spin the session's wheel and settle its open bets."""

    lenient = False

    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        body = read_body(req, wire.SpinRequest, lenient=self.lenient)
        resp.status = falcon.HTTP_201
        resp.media = represent.spin_outcome(self._house.spin(session_id, expected=body.spin))


class Spins(SpinWheel):
    """POST spins; GET lists the session's spins."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        last = req.get_param_as_int("last", min_value=1, max_value=PAGE_MAX)
        records = self._house.spins(session_id, last=last)
        resp.media = wire.SpinList(spins=tuple(represent.spin_record(r) for r in records))


class Document:
    """A fixed JSON document, encoded once at start-up (rules, OpenAPI)."""

    #: Each is the same until a restart: shared caches (and parlor's own,
    #: ``parlor.wsgi.cache``) may keep it this long.
    MAX_AGE = 300

    def __init__(self, document: object) -> None:
        self._body = codec.encode(document)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_JSON
        resp.cache_control = ["public", f"max-age={self.MAX_AGE}"]
        resp.data = self._body


def add_api_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    house: RouletteHouse,
    rules: wire.Rules,
    openapi: dict[str, Any],
) -> None:
    app.add_route(f"{PREFIX}/sessions", Sessions(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}", Session(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}/end", SessionEnd(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}/verification", Verification(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}/bets", Bets(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}/bets/{{confirmation:id}}", Bet(house))
    app.add_route(f"{PREFIX}/sessions/{{session_id}}/spins", Spins(house))
    app.add_route(f"{PREFIX}/rules", Document(rules))
    app.add_route(f"{PREFIX}/openapi.json", Document(openapi))
