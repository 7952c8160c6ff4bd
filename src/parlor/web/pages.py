"""The web app's resources: one class per page or action, each a thin translation.

GETs read through the client SDK and render a template. Every POST ends in a
303 See Other (PRG), so a reload or the back button never sends it again:
to the next page on success, or back to the form's page with the errors and
the entered values carried once in the visit's flash, where they are shown
beside their fields. Nothing changes when a form is refused.

==========================  =====================================================
``GET /``                   start page: a name and a wheel
``POST /``                  open a session, then the table
``GET /table``              balance, last result, bet form and layout, open bets,
                            the last 20 spins, the balance chart
``POST /bets``              place a bet (the form's select, or a layout button)
``POST /withdraw``          take an open bet back
``POST /spin``              spin the wheel, settling every open bet
``GET /rules``              payouts and house edge of the session's wheel
``GET /fairness``           the seed hash; once ended, the seed and its verification
``POST /end``               end the session: refunds open bets, reveals the seed
``GET /expired``            what a lapsed visit sees, with a way to start again
==========================  =====================================================
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import falcon
from markupsafe import Markup

from parlor.client import Bearer, Conflict, InvalidInput, NotFound, RouletteClient, Session
from parlor.roulette.bets import BetKind, all_bets, house_edge, make_bet
from parlor.roulette.wheel import WHEELS, WheelKind, wheel_for
from parlor.web import visits
from parlor.web.formbody import read_form
from parlor.web.forms import SELECT_CHOICES, FormInvalid, Table, echo, read_bet, read_start
from parlor.web.layout import build_layout, layout_html, open_stakes
from parlor.web.render import Renderer
from parlor.web.table import RECENT, Key, TableReader, TableView
from parlor.web.visits import Flash
from parlor.wire import roulette as wire_roulette

_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: How long the rules page may be kept by a cache.
RULES_MAX_AGE = 300
_CONFIRMATION = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class Deps:
    """What every resource needs: the SDK client, the renderer, the table reader."""

    client: RouletteClient
    render: Renderer
    tables: TableReader


@lru_cache(maxsize=2)
def wheel_edge(kind: WheelKind) -> Fraction:
    """The house edge of an even-money bet on the wheel: the figure a start page quotes."""
    wheel = WHEELS[kind]
    return house_edge(make_bet(BetKind.RED, None, wheel), wheel)


def _percent(edge: Fraction) -> str:
    return f"{float(edge) * 100:.2f}%"


def _redirect(to: str) -> falcon.HTTPSeeOther:
    return falcon.HTTPSeeOther(to)


class Page:
    """Base of every resource: rendering with the visit's token and flash."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.client = deps.client

    def show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        template: str,
        *,
        status: str = falcon.HTTP_200,
        **context: Any,
    ) -> None:
        context.setdefault("flash", visits.take_flash(req))
        resp.status = status
        resp.content_type = falcon.MEDIA_HTML
        player = visits.account(req)
        resp.text = self.deps.render(
            template,
            root=req.root_path,
            csrf=visits.csrf(req),
            player=player.username if player else None,
            **context,
        )


class Start(Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        wheels = [
            {
                "value": kind.value,
                "name": kind.value.capitalize(),
                "pockets": WHEELS[kind].pocket_count,
                "zeros": "0 and 00" if kind is WheelKind.AMERICAN else "a single 0",
                "edge": _percent(wheel_edge(kind)),
            }
            for kind in WheelKind
        ]
        playing = visits.session_id(req) is not None
        self.show(req, resp, "start.html", wheels=wheels, playing=playing)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = read_form(req)
        player = visits.account(req)
        try:
            order = read_start(fields)
            if player is None:
                session = self.client.open_session(order.name, wheel=order.wheel)
            else:
                # Funded from the account: 1,000 chips, or all it holds if less.
                auth = Bearer(player.token)
                session = self.client.open_session(order.name, wheel=order.wheel, auth=auth)
        except FormInvalid as error:
            visits.form_errors(req, "start", error.errors, error.values)
            raise _redirect("/") from None
        except Conflict as error:  # the account cannot fund a game: not a field's fault
            visits.notice(req, error.detail[:1].upper() + error.detail[1:] + ".", tone="error")
            raise _redirect("/") from None
        except InvalidInput as error:
            field = error.field if error.field in ("name", "wheel") else "name"
            visits.form_errors(
                req, "start", {field: error.detail}, {"name": fields.get("name", "")}
            )
            raise _redirect("/") from None
        # A new game gets a new form token: pages of the old game cannot act on it.
        visits.play(req, session.id)
        visits.new_csrf(req)
        source = "from your account" if session.from_account else "from the house"
        visits.notice(
            req,
            f"Welcome, {session.name}. You have {session.balance:,} chips {source}; table"
            f" limits {session.table_min:,}–{session.table_max:,}.",
        )
        raise _redirect("/table")


def form_nonce(csrf: str, session_id: str, key: Key) -> str:
    """The bet form's nonce: one per visit and state of the table.

    It goes into each bet's Idempotency-Key, so the same form sent twice (a
    double click, a resubmitted old page, two tabs showing the same table)
    is one bet. Any bet changes the state, so the next page's form is new.
    """
    digest = hmac.new(csrf.encode(), f"{session_id}:{key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


class TablePage(Page):
    """The table. A page shown again unchanged (same visit, same table, nothing to
    say) is the page drawn last time: the table reader returns the very same view
    when the service reports no change, and this keeps the few latest drawings."""

    def __init__(self, deps: Deps, *, keep: int = 256) -> None:
        super().__init__(deps)
        self._drawn: OrderedDict[tuple[str, str], tuple[TableView, str]] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        # A game just ended still shows, as over, until the next one starts.
        session_id = visits.ended_session_id(req) or visits.require_session(req)
        flash = visits.take_flash(req)
        view = self.deps.tables.load(session_id)
        slot = (session_id, visits.csrf(req))
        with self._lock:
            drawn = self._drawn.get(slot)
        if flash == Flash() and drawn is not None and drawn[0] is view:
            page = drawn[1]
        else:
            page = self._draw(req, view, flash)
            if flash == Flash():
                with self._lock:
                    self._drawn[slot] = (view, page)
                    self._drawn.move_to_end(slot)
                    while len(self._drawn) > self._keep:
                        self._drawn.popitem(last=False)
        resp.content_type = falcon.MEDIA_HTML
        resp.text = page

    def _draw(self, req: falcon.Request, view: TableView, flash: Flash) -> str:
        session = view.session
        csrf = visits.csrf(req)
        stakes = open_stakes([(b.proposition, list(b.numbers), b.amount) for b in view.open_bets])
        last = view.last_spin
        layout = build_layout(wheel_for(session.wheel))
        player = visits.account(req)
        return self.deps.render(
            "table.html",
            root=req.root_path,
            player=player.username if player else None,
            csrf=csrf,
            flash=flash,
            view=view,
            session=session,
            layout=layout,
            layout_html=layout_html(
                layout, hit=f"straight:{last.result.label}" if last else "", stakes=stakes
            ),
            # The chart is numbers and fixed words, escaped where it is drawn (chart.py).
            chart=Markup(view.chart) if view.chart else None,  # noqa: S704
            amount=flash.values.get("amount", str(session.table_min)),
            choices=SELECT_CHOICES,
            recent_count=RECENT,
            nonce=form_nonce(csrf, session.id, view.known.key),
        )


def _session_or_back(client: RouletteClient, req: falcon.Request, session_id: str) -> Session:
    """The session, if it is still open; otherwise a notice and back to the table."""
    session = client.session(session_id)
    if session.ended:
        visits.notice(req, "This game has ended. Start a new one to play on.", tone="error")
        raise _redirect("/table")
    return session


class PlaceBet(Page):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.require_session(req)
        fields = read_form(req)
        session = _session_or_back(self.client, req, session_id)
        table = Table(
            wheel_for(session.wheel),
            session.table_min,
            session.table_max,
            session.balance,
            session.open_stake,
        )
        shown = echo(fields, "amount", "proposition", "bet")
        try:
            order = read_bet(fields, table)
            nonce = fields.get("nonce", "")
            key = nonce if _NONCE.fullmatch(nonce) else uuid.uuid4().hex
            receipt = self.client.place_bet(
                session_id,
                order.bet.kind.value,
                order.amount,
                order.numbers,
                idempotency_key=f"web:{key}:{order.value}:{order.amount}",
            )
        except FormInvalid as error:
            visits.form_errors(req, "bet", error.errors, error.values)
        except InvalidInput as error:
            field = "amount" if error.field == "amount" else "proposition"
            visits.form_errors(req, "bet", {field: error.detail}, shown)
        except Conflict as error:
            if error.field == "amount":  # too much for the balance, or outside the table
                visits.form_errors(req, "bet", {"amount": error.detail}, shown)
            else:
                visits.notice(req, error.detail, tone="error")
        else:
            visits.set_flash(
                req,
                Flash(
                    notice=f"Bet placed: {receipt.bet.description}, {receipt.bet.amount:,}"
                    f" chips. Balance {receipt.balance:,}.",
                    values={"amount": str(order.amount)},
                ),
            )
        raise _redirect("/table#bet")


class Withdraw(Page):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.require_session(req)
        text = read_form(req).get("confirmation", "").strip()
        if not _CONFIRMATION.fullmatch(text):
            visits.notice(req, "Choose a bet to withdraw from your open bets.", tone="error")
            raise _redirect("/table#open-bets")
        try:
            receipt = self.client.withdraw_bet(session_id, int(text))
        except (Conflict, NotFound) as error:
            if isinstance(error, NotFound) and error.code == "unknown_session":
                raise
            visits.notice(req, "That bet is no longer open.", tone="error")
        else:
            visits.notice(
                req,
                f"Withdrawn: {receipt.bet.description}, {receipt.bet.amount:,} chips back."
                f" Balance {receipt.balance:,}.",
            )
        raise _redirect("/table#open-bets")


class Spin(Page):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.require_session(req)
        expected = read_form(req).get("spin", "").strip()
        session = _session_or_back(self.client, req, session_id)
        number = session.spin_count + 1
        if expected and expected != str(number):
            raise self._stale(req)
        try:
            # The house draws spin ``number`` only if it is still the next one: of
            # two clicks that both passed the check above, one spins, the other is
            # told the spin happened (a check here alone let both spin).
            outcome = self.client.spin(session_id, number=number)
        except Conflict as refused:
            if refused.code == "spin_out_of_turn":
                raise self._stale(req) from None
            visits.notice(req, "This game has ended. Start a new one to play on.", tone="error")
        else:
            result = outcome.result
            visits.notice(req, f"Spin {outcome.spin}: {result.label} {result.color}.")
        raise _redirect("/table#result")

    @staticmethod
    def _stale(req: falcon.Request) -> falcon.HTTPSeeOther:
        # The form came from a page older than the last spin: a double click, or
        # another tab. Spinning again would not be what was asked for.
        visits.notice(req, "That spin already happened; here is the table now.")
        return _redirect("/table#result")


class EndSession(Page):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.require_session(req)
        try:
            ended = self.client.end_session(session_id)
        except Conflict:
            visits.end_game(req, session_id)
            visits.notice(req, "This game had already ended.")
        else:
            # The visit's game is over: it goes on under a new id (visits.end_game).
            visits.end_game(req, session_id)
            if ended.cashed_out is not None:
                visits.notice(
                    req,
                    f"Game over: {ended.cashed_out:,} chips went back to your account.",
                )
            else:
                visits.notice(req, f"Game over: you leave with {ended.balance:,} chips.")
        raise _redirect("/fairness")


class Rules(Page):
    """Payouts and house edges, from the service's rules document (read once)."""

    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self._rules: wire_roulette.Rules | None = None
        self._lock = threading.Lock()

    def rules(self) -> wire_roulette.Rules:
        with self._lock:
            if self._rules is None:
                self._rules = self.client.rules()
            return self._rules

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        kind = req.get_param("wheel") or "american"
        if kind not in ("american", "european"):
            kind = "american"
        wheel = wheel_for(kind)
        covers = {bet.kind.value: len(bet.covers) for bet in all_bets(wheel)}
        wheels = self.rules().wheels
        document = wheels.european if kind == "european" else wheels.american
        rows = [
            {
                "name": entry.proposition.replace("_", " "),
                "covers": covers[entry.proposition],
                "odds": entry.odds,
                "edge": entry.house_edge,
            }
            for entry in document.bets
        ]
        # The same page for everyone (no visit, no token, no flash), so shared caches and
        # parlor's own (parlor.wsgi.cache) may keep it: the rules change only on a restart.
        resp.cache_control = ["public", f"max-age={RULES_MAX_AGE}"]
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.deps.render(
            "rules.html",
            root=req.root_path,
            public=True,
            wheel=kind,
            rows=rows,
            pockets=wheel.pocket_count,
            la_partage=document.la_partage_edge or None,
        )


class Fairness(Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.ended_session_id(req) or visits.require_session(req)
        session = self.client.session(session_id)
        verification = self.client.verification(session_id) if session.ended else None
        self.show(req, resp, "fairness.html", session=session, verification=verification)


class Expired(Page):
    def __init__(self, deps: Deps, *, idle: float, max_age: float) -> None:
        super().__init__(deps)
        self._limits = {"idle": _duration(idle), "max_age": _duration(max_age)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.show(req, resp, "expired.html", **self._limits)


def _duration(seconds: float) -> str:
    """Seconds as people say them: "20 minutes", "12 hours", "90 seconds"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    count = round(seconds)
    return f"{count} second{'' if count == 1 else 's'}"
