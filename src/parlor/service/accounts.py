"""The accounts API under /api/v1/accounts: register, read, change password, tokens.

Who is asking comes from the authentication pipe (``environ[USER]``), and
whether they may is decided by the authorization pipe's table (``RULES``):
these resources only read the request, call the accounts house, and answer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

import falcon

from parlor.house.accounts import Account, AccountsHouse
from parlor.house.errors import WrongPassword
from parlor.service.api import PREFIX
from parlor.service.bodies import read_body
from parlor.service.problems import Problem
from parlor.wire import accounts as wire
from parlor.wire.base import NoFields
from parlor.wsgi.auth import USER, Identity
from parlor.wsgi.authz import Rule
from parlor.wsgi.throttle import Throttle, wait_words, whole_seconds

ACCOUNTS = f"{PREFIX}/accounts"
ME = f"{ACCOUNTS}/me"
#: How long a token from ``POST /api/v1/accounts/me/tokens`` lasts.
TOKEN_LIFETIME = 12 * 3600.0

#: The service's authorization table: the account's own resources need its holder.
RULES = (Rule(ME), Rule(f"{ME}/"))


def identity(req: falcon.Request) -> Identity | None:
    """Who sent the request, as the authentication pipe found (None: nobody said)."""
    found: Identity | None = req.env.get(USER)
    return found


def _me(req: falcon.Request) -> Identity:
    found = identity(req)
    if found is None:  # the authorization pipe lets no stranger this far
        raise falcon.HTTPUnauthorized(description="sign in to use your account")
    return found


def represent(account: Account) -> wire.Account:
    return wire.Account(
        id=account.id,
        username=account.username,
        balance=account.balance,
        in_play=account.in_play,
        open_sessions=account.open_sessions,
        created_at=datetime.fromisoformat(account.created_at),
    )


def too_many(wait: float, detail: str, code: str) -> Problem:
    return Problem(
        falcon.HTTP_429,
        f"{detail}: try again in {wait_words(wait)}",
        code=code,
        headers={"Retry-After": str(whole_seconds(wait))},
    )


class Accounts:
    """POST: register an account (a few per client address, then one at a time)."""

    def __init__(
        self, accounts: AccountsHouse, registrations: Throttle, front_ends: Collection[str]
    ) -> None:
        self._accounts = accounts
        self._registrations = registrations
        self._front_ends = front_ends

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, wire.AccountRequest)
        # A front end (the web app) counts its own clients' registrations.
        address = req.remote_addr
        keys = () if address in self._front_ends else (f"address:{address}",)
        wait = self._registrations.check(keys)
        if wait:
            raise too_many(wait, "too many accounts opened from this address", "too_many_accounts")
        account = self._accounts.create(body.username, body.password)
        self._registrations.failed(keys)  # counted once it is made: every one is counted
        resp.status = falcon.HTTP_201
        resp.location = ME
        resp.media = represent(account)


class Me:
    """GET: the signed-in account, with its balance."""

    def __init__(self, accounts: AccountsHouse) -> None:
        self._accounts = accounts

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.cache_control = ["private", "no-store"]
        resp.media = represent(self._accounts.account(_me(req).account_id))


class Password:
    """POST: change the password, given the current one; every token is revoked.

    A wrong current password counts as a failed login of the account: a stolen
    token must not make this an oracle for guessing the password.
    """

    def __init__(self, accounts: AccountsHouse, logins: Throttle) -> None:
        self._accounts = accounts
        self._logins = logins

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req, wire.PasswordChange)
        me = _me(req)
        keys = (f"account:{me.username.casefold()}",)
        with self._logins.attempt(keys) as wait:
            if wait:
                raise too_many(wait, "too many failed logins for this account", "login_throttled")
            try:
                self._accounts.change_password(me.account_id, body.current_password, body.password)
            except WrongPassword:
                self._logins.failed(keys)
                raise
        resp.status = falcon.HTTP_204


class Tokens:
    """POST: a new bearer token for the account, for a program to hold instead of a password."""

    def __init__(self, accounts: AccountsHouse) -> None:
        self._accounts = accounts

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        read_body(req, NoFields)
        token, expires = self._accounts.issue_token(_me(req).account_id, lifetime=TOKEN_LIFETIME)
        resp.status = falcon.HTTP_201
        resp.cache_control = ["no-store"]
        resp.media = wire.Token(token=token, expires_at=datetime.fromtimestamp(expires, UTC))


class CurrentToken:
    """DELETE: revoke the bearer token this request was sent with (a logout)."""

    def __init__(self, accounts: AccountsHouse) -> None:
        self._accounts = accounts

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        if _me(req).scheme != "bearer" or scheme.lower() != "bearer":
            raise Problem(
                falcon.HTTP_409,
                "this request was not sent with a token: there is none to revoke",
                code="not_a_token",
            )
        self._accounts.revoke_token(token.strip())
        resp.status = falcon.HTTP_204


def add_account_routes(
    app: falcon.App[falcon.Request, falcon.Response],
    accounts: AccountsHouse,
    *,
    logins: Throttle,
    registrations: Throttle,
    front_ends: Collection[str],
) -> None:
    """``logins`` is the authentication pipe's throttle: one count per account."""
    app.add_route(ACCOUNTS, Accounts(accounts, registrations, front_ends))
    app.add_route(ME, Me(accounts))
    app.add_route(f"{ME}/password", Password(accounts, logins))
    app.add_route(f"{ME}/tokens", Tokens(accounts))
    app.add_route(f"{ME}/tokens/current", CurrentToken(accounts))
