"""Fixtures of the in-process web tests: the web app in front, the real service behind.

``web`` is the web app with its pipeline under wsgiref's PEP 3333 validator,
driven by Falcon's test client; its SDK client reaches a real service app
(its pipes too) over ``httpx.WSGITransport``, on a SQLite file that also holds
the visits, and whose ledger must balance after each test. The clock is a
``Clock`` the test can move.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from falcon import testing

from parlor import passwords
from parlor.client import RouletteClient
from parlor.house.accounts import AccountsHouse
from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_app as create_service
from parlor.store.db import Database, open_database
from parlor.store.schema import migrate
from parlor.store.web_sessions import DatabaseSessions
from tests.web.web_support import SERVICE, Browser, Clock, make_web


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'web.db'}")
    migrate(db)
    yield db
    report = check_ledger(db)
    db.close()
    assert report.ok, report.problems


@pytest.fixture
def house(database: Database) -> RouletteHouse:
    return RouletteHouse(database)


@pytest.fixture
def sdk(house: RouletteHouse) -> Iterator[RouletteClient]:
    accounts = AccountsHouse(house.db, hasher=passwords.new_hasher(fast=True))
    transport = httpx.WSGITransport(app=create_service(house, accounts=accounts))
    with RouletteClient(SERVICE, transport=transport, sleep=lambda _: None) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: Database) -> DatabaseSessions:
    """The visits, in the same database as the game, as a server keeps them."""
    return DatabaseSessions(database)


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def web(
    sdk: RouletteClient, clock: Clock, store: DatabaseSessions, uploads: Path
) -> testing.TestClient:
    return make_web(sdk, clock, store, uploads)


@pytest.fixture
def browser(web: testing.TestClient) -> Browser:
    return Browser(web)


@pytest.fixture
def playing(browser: Browser) -> Browser:
    """A browser that has started a game on the American wheel."""
    browser.start()
    return browser
