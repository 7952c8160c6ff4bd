"""Player accounts on the web: register, log in, log out, the account page, a new password.

The web app holds no passwords and checks none: it asks the REST service, as
any client would. Logging in trades the name and password (HTTP Basic, one
request, server to server) for a bearer token, which the visit keeps on the
server (``visits.sign_in``: a new visit id, so an id planted before the login
is worth nothing after). Every later call for the player is signed with it.

==============================  =============================================
``GET /login?next=…``           the login form; ``next`` is where it returns
``POST /login``                 log in, then back to ``next`` (a local path)
``GET /register``               the register form
``POST /register``              open an account, and log in
``POST /logout``                log out: the token is revoked, the visit ends
``GET /account``                name, balance, chips in play (login needed)
``POST /account/password``      a new password, given the current one
==============================  =============================================

Which pages need a login is the authorization pipe's table (``RULES``);
``VisitIdentity`` tells it who the visit's player is. Failed logins are
throttled by the service per account and per address, and here per browser
address too: the service sees every web login come from this app's address.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import falcon
import httpx

from parlor.client import Bearer, Conflict, InvalidInput, TooManyAttempts, Unauthorized
from parlor.web import visits
from parlor.web.formbody import read_form
from parlor.web.forms import FormInvalid, read_login, read_password_change, read_register
from parlor.web.pages import Page
from parlor.wsgi.auth import USER, Identity
from parlor.wsgi.authz import Rule, safe_next
from parlor.wsgi.sessions import SESSION
from parlor.wsgi.throttle import Throttle, wait_words
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment

LOGIN_PATH = "/login"
#: The web app's authorization table: the account pages need a signed-in player.
RULES = (Rule("/account", page=True), Rule("/account/", page=True))


class VisitIdentity:
    """A pipe: the visit's signed-in player as ``environ[USER]``, for the authorization pipe."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        session = environ[SESSION]
        name, account_id = session.get("account"), session.get("account_id")
        if isinstance(name, str) and isinstance(account_id, int):
            environ[USER] = Identity(account_id, name, "bearer")
        return self.app(environ, start_response)


class _AccountPage(Page):
    """What the account resources share: a throttle, and logging in."""

    def __init__(self, deps: Any, throttle: Throttle) -> None:
        super().__init__(deps)
        self.throttle = throttle

    def log_in(self, req: falcon.Request, username: str, password: str) -> None:
        """Trade the password for a token, and sign the visit in (errors: the service's)."""
        token = self.client.new_token(auth=httpx.BasicAuth(username, password)).token
        account = self.client.account(auth=Bearer(token))
        visits.sign_in(req, account.id, account.username, token)


class Login(_AccountPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.show(req, resp, "login.html", next=safe_next(req.get_param("next"), ""))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = read_form(req)
        back = safe_next(fields.get("next"), "")
        again = LOGIN_PATH + (f"?next={falcon.uri.encode_value(back)}" if back else "")
        keys = (f"address:{req.remote_addr}",)
        try:
            order = read_login(fields)
            if wait := self.throttle.check(keys):
                self._too_many(req, wait)
                raise falcon.HTTPSeeOther(again)
            self.log_in(req, order.username, order.password)
        except FormInvalid as error:
            visits.form_errors(req, "login", error.errors, error.values)
            raise falcon.HTTPSeeOther(again) from None
        except Unauthorized:
            self.throttle.failed(keys)
            visits.form_errors(
                req,
                "login",
                {"password": "That username and password do not match."},
                {"username": fields.get("username", "")[:80]},
            )
            raise falcon.HTTPSeeOther(again) from None
        except TooManyAttempts as error:
            self._too_many(req, error.retry_after)
            raise falcon.HTTPSeeOther(again) from None
        player = visits.account(req)
        visits.notice(req, f"Welcome back, {player.username if player else 'player'}.")
        raise falcon.HTTPSeeOther(back or "/account")

    @staticmethod
    def _too_many(req: falcon.Request, wait: float | None) -> None:
        text = f"Too many failed logins: try again in {wait_words(wait or 1)}."
        visits.notice(req, text, tone="error")


class Register(_AccountPage):
    """Opening accounts is throttled per browser address: the service, which sees this
    app's address alone, leaves that count to this page (``for_registrations``)."""

    def __init__(self, deps: Any, throttle: Throttle, registrations: Throttle) -> None:
        super().__init__(deps, throttle)
        self.registrations = registrations

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.show(req, resp, "register.html")

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = read_form(req)
        shown = {"username": fields.get("username", "")[:80]}
        keys = (f"address:{req.remote_addr}",)
        try:
            order = read_register(fields)
            if wait := self.registrations.check(keys):
                visits.notice(
                    req,
                    f"Too many accounts opened from here: try again in {wait_words(wait)}.",
                    tone="error",
                )
                raise falcon.HTTPSeeOther("/register")
            account = self.client.register(order.username, order.password)
            self.registrations.failed(keys)  # every account made is counted
            self.log_in(req, account.username, order.password)
        except FormInvalid as error:
            visits.form_errors(req, "register", error.errors, error.values)
            raise falcon.HTTPSeeOther("/register") from None
        except (Conflict, InvalidInput) as error:
            field = error.field if error.field in ("username", "password") else "username"
            visits.form_errors(req, "register", {field: error.detail}, shown)
            raise falcon.HTTPSeeOther("/register") from None
        visits.notice(
            req, f"Welcome, {account.username}: your account holds {account.balance:,} chips."
        )
        raise falcon.HTTPSeeOther("/account")


class Logout(_AccountPage):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        player = visits.account(req)
        if player is not None:
            with contextlib.suppress(Unauthorized):  # expired already: nothing to revoke
                self.client.revoke_token(auth=Bearer(player.token))
        visits.sign_out(req)
        visits.notice(req, "You are signed out.")
        raise falcon.HTTPSeeOther("/")


class AccountPage(_AccountPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        player = visits.account(req)
        if player is None:  # the authorization pipe lets no stranger in
            raise falcon.HTTPSeeOther(LOGIN_PATH)
        try:
            account = self.client.account(auth=Bearer(player.token))
        except Unauthorized:
            # The token lapsed or was revoked (a password changed elsewhere).
            visits.sign_out(req)
            visits.notice(req, "Your login has ended: log in again.", tone="error")
            raise falcon.HTTPSeeOther(f"{LOGIN_PATH}?next=/account") from None
        playing = visits.session_id(req) is not None
        self.show(req, resp, "account.html", account=account, playing=playing)


class ChangePassword(_AccountPage):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        player = visits.account(req)
        if player is None:
            raise falcon.HTTPSeeOther(LOGIN_PATH)
        fields = read_form(req)
        try:
            current, new = read_password_change(fields, player.username)
            self.client.change_password(current, new, auth=Bearer(player.token))
        except FormInvalid as error:
            visits.form_errors(req, "password", error.errors, error.values)
            raise falcon.HTTPSeeOther("/account#password") from None
        except (Conflict, InvalidInput) as error:
            field = "current_password" if error.code == "wrong_password" else "password"
            visits.form_errors(req, "password", {field: error.detail}, {})
            raise falcon.HTTPSeeOther("/account#password") from None
        except TooManyAttempts as error:
            text = f"Too many wrong passwords: try again in {wait_words(error.retry_after or 1)}."
            visits.form_errors(req, "password", {"current_password": text}, {})
            raise falcon.HTTPSeeOther("/account#password") from None
        # The change revoked every token, ours too: log in again with the new password.
        self.log_in(req, player.username, new)
        visits.notice(req, "Your password is changed; other logins have ended.")
        raise falcon.HTTPSeeOther("/account")
