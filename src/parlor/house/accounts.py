"""Player accounts: a name, a password, and a balance of chips in the ledger.

Every operation is one transaction, as in the roulette house, and every
movement of chips is a double entry (``parlor.house.ledger.transfer``):

- an account opens with ``starting_chips`` granted by the house (reason
  ``grant``), and the operator can grant more (``grant``, positive or, to take
  chips back, negative down to zero);
- a roulette session opened by an account holder is funded from the account
  (``fund``) and pays its balance back when it ends (``cashout``): that is
  ``RouletteHouse``'s side, under the same row locks.

Names follow ``parlor.names`` (NFKC, compared casefolded, one script);
passwords ``parlor.passwords`` (argon2id). HTTP Digest needs more than the
argon2 hash: H(username:realm:password) for each algorithm, kept beside it for
``realm`` (docs/security.md says what that trades), and H(username:realm) to
find an account from a Digest ``userhash`` (RFC 7616 §3.4.4).

Bearer tokens (``issue_token``) are what a program, or the web app on a
person's behalf, holds instead of the password: 256 random bits, of which the
store keeps only a SHA-256, with an expiry.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import argon2
import psycopg

from parlor import names, passwords
from parlor.house.errors import (
    InvalidRequest,
    UnknownAccount,
    UsernameTaken,
    WrongPassword,
    committed,
)
from parlor.house.ledger import HOUSE_ACCOUNT, LEDGER_INSERT, account_key, transfer
from parlor.store.db import Database, Transaction

T = TypeVar("T")

#: The Digest algorithms an account keeps a secret for, strongest first (RFC 7616 §3.2).
DIGEST_ALGORITHMS: tuple[str, ...] = ("SHA-256", "MD5")
_HASHES: Mapping[str, Callable[[bytes], hashlib._Hash]] = {
    "SHA-256": hashlib.sha256,
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False),
}
#: The largest grant the operator can make at once (and the largest balance's order).
MAX_GRANT = 10**12
_ACCOUNT_COLUMNS = "id, username, balance, created_at"


def digest_hash(algorithm: str, text: str) -> str:
    """H(text) of RFC 7616 §3.4.1 for ``algorithm``: lowercase hex of the UTF-8 bytes."""
    return _HASHES[algorithm](text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    balance: int
    created_at: str
    #: Chips out in the account's open roulette sessions (balances and open bets).
    in_play: int = 0
    #: The ids of those sessions, oldest first.
    open_sessions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Credentials:
    """What checking a login needs: never shown to anyone."""

    account_id: int
    username: str
    password_hash: str
    #: Realm the Digest secrets were made for.
    digest_realm: str
    #: Algorithm -> H(username:realm:password).
    digest_ha1: Mapping[str, str]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountsHouse:
    """Accounts over one database (the roulette house's)."""

    def __init__(
        self,
        db: Database,
        *,
        realm: str = "parlor",
        hasher: argon2.PasswordHasher | None = None,
        starting_chips: int = 1000,
        clock: Callable[[], datetime] = _utc_now,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.realm = realm
        self.hasher = hasher or passwords.new_hasher()
        self.starting_chips = starting_chips
        self._clock = clock
        self._wall_clock = wall_clock

    def _now(self) -> str:
        return self._clock().isoformat(timespec="microseconds")

    def _write(self, work: Callable[[Transaction], T]) -> T:
        return committed(self.db, work)

    # -- names and secrets -------------------------------------------------------

    @staticmethod
    def clean_username(username: object) -> str:
        problem = names.username_problem(username)
        if problem is not None:
            raise InvalidRequest("username", f"username {problem}")
        assert isinstance(username, str)
        return names.canonical(username)

    def _secret_columns(self, username: str, password: str) -> tuple[str, ...]:
        """password_hash, digest_realm, digest_sha256, digest_md5, userhash_sha256, userhash_md5."""
        plain = passwords.normalized(password)
        ha1 = [digest_hash(a, f"{username}:{self.realm}:{plain}") for a in DIGEST_ALGORITHMS]
        userhash = [digest_hash(a, f"{username}:{self.realm}") for a in DIGEST_ALGORITHMS]
        return (self.hasher.hash(plain), self.realm, *ha1, *userhash)

    @staticmethod
    def _check_password(field: str, password: object, username: str) -> str:
        problem = passwords.password_problem(password, username)
        if problem is not None:
            raise InvalidRequest(field, f"the password {problem}")
        assert isinstance(password, str)
        return password

    # -- accounts ------------------------------------------------------------------

    def create(self, username: object, password: object, *, chips: int | None = None) -> Account:
        """Open an account funded with ``chips`` (default ``starting_chips``) from the house."""
        name = self.clean_username(username)
        secret = self._check_password("password", password, name)
        grant = self.starting_chips if chips is None else chips
        if isinstance(grant, bool) or not isinstance(grant, int) or not 0 <= grant <= MAX_GRANT:
            raise InvalidRequest("chips", f"chips must be a whole number from 0 to {MAX_GRANT}")
        columns = self._secret_columns(name, secret)  # argon2 runs outside the transaction
        now = self._now()

        def work(tx: Transaction) -> Account:
            if tx.one("SELECT 1 FROM accounts WHERE username_key = ?", (names.key(name),)):
                raise UsernameTaken(name)
            account_id = tx.insert(
                "INSERT INTO accounts (username, username_key, password_hash, digest_realm,"
                " digest_sha256, digest_md5, userhash_sha256, userhash_md5, balance,"
                " created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, names.key(name), *columns, grant, now, now),
            )
            if grant:
                self._grant_entries(tx, account_id, grant, now)
            return Account(account_id, name, grant, now)

        try:
            return self._write(work)
        except (sqlite3.IntegrityError, psycopg.IntegrityError) as error:
            # Two registrations of one name at the same instant on PostgreSQL:
            # both saw the name free, and the UNIQUE key refused the second.
            raise UsernameTaken(name) from error

    @staticmethod
    def _grant_entries(tx: Transaction, account_id: int, chips: int, now: str) -> None:
        tx.executemany(
            LEDGER_INSERT,
            transfer(account_key(account_id), HOUSE_ACCOUNT, chips, "grant", now, session_id=None),
        )

    def account(self, account_id: int) -> Account:
        with self.db.transaction(write=False) as tx:
            row = tx.one(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = ?", (account_id,))
            if row is None:
                raise UnknownAccount(f"#{account_id}")
            return self._with_play(tx, row)

    def by_name(self, username: str) -> Account:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE username_key = ?",
                (names.key(username),),
            )
            if row is None:
                raise UnknownAccount(username)
            return self._with_play(tx, row)

    @staticmethod
    def _with_play(tx: Transaction, row: tuple[object, ...]) -> Account:
        account_id, username, balance, created_at = row
        sessions = tx.all(
            "SELECT id, balance + open_stake FROM sessions"
            " WHERE account_id = ? AND status = 'open' ORDER BY opened_at, id",
            (account_id,),
        )
        return Account(
            int(account_id),  # type: ignore[call-overload]
            str(username),
            int(balance),  # type: ignore[call-overload]
            str(created_at),
            in_play=sum(int(chips) for _, chips in sessions),
            open_sessions=tuple(str(sid) for sid, _ in sessions),
        )

    def accounts(self, *, offset: int = 0, limit: int = 100) -> list[Account]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY id LIMIT ? OFFSET ?",
                (limit, offset),
            )
            return [self._with_play(tx, row) for row in rows]

    def grant(self, username: str, chips: int) -> Account:
        """Move ``chips`` from the house to the account (negative: back, down to zero)."""
        if isinstance(chips, bool) or not isinstance(chips, int) or not 0 < abs(chips) <= MAX_GRANT:
            raise InvalidRequest(
                "chips",
                f"chips must be a whole number from 1 to {MAX_GRANT:,} to give, or from"
                f" -1 to -{MAX_GRANT:,} to take back",
            )
        now = self._now()

        def work(tx: Transaction) -> int:
            row = tx.one(
                "SELECT id, balance FROM accounts WHERE username_key = ?" + tx.dialect.lock_rows,
                (names.key(username),),
            )
            if row is None:
                raise UnknownAccount(username)
            account_id, balance = int(row[0]), int(row[1])
            if balance + chips < 0:
                raise InvalidRequest(
                    "chips",
                    f"the account holds {balance:,} chips, so at most {balance:,} can be"
                    f" taken back, not {-chips:,}",
                )
            tx.execute(
                "UPDATE accounts SET balance = balance + ? WHERE id = ?", (chips, account_id)
            )
            self._grant_entries(tx, account_id, chips, now)
            return account_id

        return self.account(self._write(work))

    # -- passwords -------------------------------------------------------------------

    def credentials(self, username: str) -> Credentials | None:
        """The login secrets of the account ``username`` names (any case), if there is one."""
        return self._credentials("username_key = ?", names.key(username))

    def credentials_by_userhash(self, userhash: str, algorithm: str) -> Credentials | None:
        """The account whose H(username:realm) for ``algorithm`` is ``userhash``."""
        column = {"SHA-256": "userhash_sha256", "MD5": "userhash_md5"}.get(algorithm)
        if column is None:
            return None
        return self._credentials(f"{column} = ?", userhash.lower())

    def _credentials(self, where: str, value: str) -> Credentials | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT id, username, password_hash, digest_realm, digest_sha256, digest_md5"
                f" FROM accounts WHERE {where}",
                (value,),
            )
        if row is None:
            return None
        account_id, username, password_hash, realm, sha256, md5 = row
        return Credentials(
            int(account_id),
            str(username),
            str(password_hash),
            str(realm),
            {"SHA-256": str(sha256), "MD5": str(md5)},
        )

    def check_password(self, username: str, password: str) -> Credentials | None:
        """The account's credentials when ``password`` is its password; None otherwise."""
        found = self.credentials(username)
        if found is None or not passwords.verify(self.hasher, found.password_hash, password):
            return None
        return found

    def change_password(self, account_id: int, current: object, new: object) -> None:
        """Set a new password, given the current one (WrongPassword otherwise)."""
        with self.db.transaction(write=False) as tx:
            row = tx.one("SELECT username, password_hash FROM accounts WHERE id = ?", (account_id,))
        if row is None:
            raise UnknownAccount(f"#{account_id}")
        if not isinstance(current, str) or not passwords.verify(self.hasher, str(row[1]), current):
            raise WrongPassword()
        self._set_password(account_id, str(row[0]), new, replacing=str(row[1]))

    def reset_password(self, username: str, new: object) -> None:
        """The operator's reset: a new password, and every token of the account revoked."""
        found = self.credentials(username)
        if found is None:
            raise UnknownAccount(username)
        self._set_password(found.account_id, found.username, new)

    def _set_password(
        self, account_id: int, username: str, new: object, *, replacing: str | None = None
    ) -> None:
        """Store ``new``; with ``replacing``, only if that is still the stored hash.

        A change checks the current password in one transaction and writes in
        another (argon2 runs between them, holding no lock): of two changes
        made with the same current password at once, the second must fail.
        """
        secret = self._check_password("password", new, username)
        columns = self._secret_columns(username, secret)
        now = self._now()

        def work(tx: Transaction) -> None:
            guard = "" if replacing is None else " AND password_hash = ?"
            changed = tx.one(
                "UPDATE accounts SET password_hash = ?, digest_realm = ?, digest_sha256 = ?,"
                " digest_md5 = ?, userhash_sha256 = ?, userhash_md5 = ?,"
                f" password_changed_at = ? WHERE id = ?{guard} RETURNING id",
                (*columns, now, account_id, *(() if replacing is None else (replacing,))),
            )
            if changed is None:
                raise WrongPassword()  # changed meanwhile: the current password is another
            # A new password ends every session held with the old one.
            tx.execute("DELETE FROM account_tokens WHERE account_id = ?", (account_id,))

        self._write(work)

    # -- tokens ------------------------------------------------------------------------

    def issue_token(self, account_id: int, *, lifetime: float) -> tuple[str, float]:
        """A new bearer token for the account and when it expires (a Unix time)."""
        token = secrets.token_urlsafe(32)
        now = self._wall_clock()
        expires = now + lifetime

        def work(tx: Transaction) -> None:
            tx.execute("DELETE FROM account_tokens WHERE expires_at < ?", (now,))
            tx.execute(
                "INSERT INTO account_tokens (token_hash, account_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (_token_hash(token), account_id, now, expires),
            )

        self._write(work)
        return token, expires

    def token_account(self, token: str) -> tuple[int, str] | None:
        """(account id, username) of a live token; None for an unknown or expired one."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT a.id, a.username FROM account_tokens t JOIN accounts a"
                " ON a.id = t.account_id WHERE t.token_hash = ? AND t.expires_at > ?",
                (_token_hash(token), self._wall_clock()),
            )
        return None if row is None else (int(row[0]), str(row[1]))

    def revoke_token(self, token: str) -> None:
        self._write(
            lambda tx: tx.execute(
                "DELETE FROM account_tokens WHERE token_hash = ?", (_token_hash(token),)
            )
        )
