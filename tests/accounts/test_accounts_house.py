"""Player accounts in the house: one balance, moved only through the ledger, on both engines."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from parlor import passwords
from parlor.house.accounts import AccountsHouse, digest_hash
from parlor.house.errors import (
    AccountShort,
    HouseError,
    InvalidRequest,
    UnknownAccount,
    UsernameTaken,
    WrongPassword,
)
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.store.db import Database

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(db: Database) -> AccountsHouse:
    return AccountsHouse(db, hasher=passwords.new_hasher(fast=True))


def test_a_new_account_holds_the_starting_chips_granted_by_the_house(
    accounts: AccountsHouse, db: Database
) -> None:
    account = accounts.create("Alice", PASSWORD)
    assert (account.username, account.balance) == ("Alice", 1000)
    assert accounts.by_name("ALICE") == accounts.account(account.id)
    report = check_ledger(db)
    assert report.ok, report.problems
    assert (report.accounts, report.house_balance) == (1, -1000)


def test_names_are_one_account_whatever_their_case_or_width(accounts: AccountsHouse) -> None:
    accounts.create("alice", PASSWORD)
    for twin in ("ALICE", "Ａｌｉｃｅ"):
        with pytest.raises(UsernameTaken):
            accounts.create(twin, PASSWORD)


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("p\u0430ypal", PASSWORD, "username"),
        ("a", PASSWORD, "username"),
        ("bob", "short", "password"),
        ("bob", "password123", "password"),
        ("bob", None, "password"),
    ],
)
def test_bad_names_and_weak_passwords_change_nothing(
    accounts: AccountsHouse, db: Database, username: str, password: object, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        accounts.create(username, password)
    assert caught.value.field == field
    assert accounts.accounts() == []
    assert check_ledger(db).entries == 0


def test_the_stored_secrets_are_argon2id_and_the_digest_hashes(accounts: AccountsHouse) -> None:
    accounts.create("Mufasa", "Circle of Life")
    found = accounts.check_password("mufasa", "Circle of Life")
    assert found is not None
    assert found.password_hash.startswith("$argon2id$")
    assert found.digest_ha1["MD5"] == digest_hash("MD5", "Mufasa:parlor:Circle of Life")
    assert found.digest_ha1["SHA-256"] == digest_hash("SHA-256", "Mufasa:parlor:Circle of Life")
    userhash = digest_hash("SHA-256", "Mufasa:parlor")
    assert accounts.credentials_by_userhash(userhash, "SHA-256") == found
    assert accounts.credentials_by_userhash(userhash, "SHA-512") is None
    assert accounts.check_password("mufasa", "circle of life") is None
    assert accounts.check_password("nobody", "Circle of Life") is None


def test_grants_move_chips_both_ways_but_never_below_zero(
    accounts: AccountsHouse, db: Database
) -> None:
    accounts.create("carol", PASSWORD)
    assert accounts.grant("Carol", 500).balance == 1500
    assert accounts.grant("carol", -1500).balance == 0
    with pytest.raises(InvalidRequest):
        accounts.grant("carol", -1)
    with pytest.raises(InvalidRequest):
        accounts.grant("carol", 0)
    with pytest.raises(UnknownAccount):
        accounts.grant("nobody", 5)
    assert check_ledger(db).ok


def test_a_session_is_funded_from_the_account_and_pays_back_when_it_ends(
    accounts: AccountsHouse, db: Database
) -> None:
    roulette = RouletteHouse(db)
    account = accounts.create("dave", PASSWORD)
    session = roulette.open_session("dave", bankroll=300, account_id=account.id)
    assert session.account_id == account.id
    seen = accounts.account(account.id)
    assert (seen.balance, seen.in_play, seen.open_sessions) == (700, 300, (session.id,))
    roulette.place_bet(session.id, "red", None, 20)
    roulette.spin(session.id)
    roulette.place_bet(session.id, "black", None, 10)  # open when the session ends: refunded
    left = roulette.session(session.id).balance + 10
    ended = roulette.end_session(session.id)
    assert (ended.balance, ended.cashed_out) == (0, left)
    after = accounts.account(account.id)
    assert (after.balance, after.in_play, after.open_sessions) == (700 + left, 0, ())
    report = check_ledger(db)
    assert report.ok, report.problems


def test_a_session_cannot_take_more_than_the_account_holds(
    accounts: AccountsHouse, db: Database
) -> None:
    roulette = RouletteHouse(db)
    account = accounts.create("erin", PASSWORD, chips=100)
    with pytest.raises(AccountShort) as caught:
        roulette.open_session("erin", bankroll=101, account_id=account.id)
    assert caught.value.field == "bankroll"
    assert accounts.account(account.id).balance == 100
    assert check_ledger(db).ok


def test_passwords_change_only_with_the_current_one_and_resets_revoke_tokens(
    accounts: AccountsHouse,
) -> None:
    account = accounts.create("frank", PASSWORD)
    with pytest.raises(WrongPassword):
        accounts.change_password(account.id, "not it at all", "a brand new passphrase")
    with pytest.raises(InvalidRequest):
        accounts.change_password(account.id, PASSWORD, "short")
    accounts.change_password(account.id, PASSWORD, "a brand new passphrase")
    assert accounts.check_password("frank", "a brand new passphrase") is not None
    token, _ = accounts.issue_token(account.id, lifetime=60)
    assert accounts.token_account(token) == (account.id, "frank")
    accounts.reset_password("FRANK", "the operator's choice")
    assert accounts.token_account(token) is None
    assert accounts.check_password("frank", "the operator's choice") is not None


def test_tokens_expire_and_can_be_revoked(db: Database) -> None:
    now = [1000.0]
    accounts = AccountsHouse(db, hasher=passwords.new_hasher(fast=True), wall_clock=lambda: now[0])
    account = accounts.create("gina", PASSWORD)
    token, expires = accounts.issue_token(account.id, lifetime=60)
    assert expires == 1060.0
    assert accounts.token_account(token) is not None
    assert accounts.token_account(token + "x") is None
    now[0] = 1061.0
    assert accounts.token_account(token) is None
    second, _ = accounts.issue_token(account.id, lifetime=60)
    accounts.revoke_token(second)
    assert accounts.token_account(second) is None


def _at_once(count: int, action: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except HouseError as error:
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.slow
def test_one_name_registered_at_the_same_instant_makes_one_account(
    accounts: AccountsHouse, db: Database
) -> None:
    results = _at_once(8, lambda i: accounts.create("Henry" if i % 2 else "henry", PASSWORD))
    assert sum(not isinstance(r, HouseError) for r in results) == 1
    assert all(isinstance(r, UsernameTaken) for r in results if isinstance(r, HouseError))
    assert check_ledger(db).ok


@pytest.mark.slow
def test_sessions_opened_at_once_never_overspend_the_account(
    accounts: AccountsHouse, db: Database
) -> None:
    roulette = RouletteHouse(db)
    account = accounts.create("ivy", PASSWORD, chips=1000)
    results = _at_once(
        12, lambda i: roulette.open_session("ivy", bankroll=300, account_id=account.id)
    )
    opened = [r for r in results if not isinstance(r, HouseError)]
    assert len(opened) == 3
    assert all(isinstance(r, AccountShort) for r in results if isinstance(r, HouseError))
    assert accounts.account(account.id).balance == 100
    assert check_ledger(db).ok


@pytest.mark.slow
def test_two_changes_with_the_same_current_password_cannot_both_win(
    accounts: AccountsHouse,
) -> None:
    account = accounts.create("jack", PASSWORD)
    news = [f"a new passphrase number {i}" for i in range(6)]
    results = _at_once(6, lambda i: accounts.change_password(account.id, PASSWORD, news[i]))
    assert sum(not isinstance(r, HouseError) for r in results) == 1
    assert all(isinstance(r, WrongPassword) for r in results if isinstance(r, HouseError))
    winner = news[next(i for i, r in enumerate(results) if not isinstance(r, HouseError))]
    assert accounts.check_password("jack", winner) is not None


def test_with_no_bankroll_asked_a_session_takes_what_the_account_can_give(
    accounts: AccountsHouse, db: Database
) -> None:
    roulette = RouletteHouse(db)
    account = accounts.create("lena", PASSWORD, chips=250)
    assert roulette.open_session("lena", account_id=account.id).bankroll == 250
    with pytest.raises(AccountShort, match="no chips left"):
        roulette.open_session("lena", account_id=account.id)
    rich = accounts.create("mona", PASSWORD, chips=5000)
    assert roulette.open_session("mona", account_id=rich.id).bankroll == 1000
    assert check_ledger(db).ok
