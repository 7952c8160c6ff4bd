"""Fixtures shared by every test: a fresh database on each engine.

Tests that take ``db`` (or ``house``) run twice: on a SQLite file in a temporary
directory and on PostgreSQL, each test in a schema of its own. Without a
reachable PostgreSQL the second run skips with the reason, except under
CI=true, where a missing server fails the run: CI must exercise both engines.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from parlor.house.ledger import check_ledger
from parlor.house.roulette import RouletteHouse
from parlor.store.db import PostgresDatabase, SQLiteDatabase, open_database
from parlor.store.schema import migrate
from tests.e2e.e2e_support import cannot_run

POSTGRES_URL = os.environ.get(
    "PARLOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return (
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({error}); set PARLOR_TEST_POSTGRES_URL"
        )


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_problem()
    if problem is not None:
        cannot_run("PostgreSQL", problem)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_admin_url else "?"
    yield f"{postgres_admin_url}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'parlor.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[SQLiteDatabase | PostgresDatabase]:
    database = open_database(db_url)
    migrate(database)
    yield database
    database.close()


@pytest.fixture
def house(db: SQLiteDatabase | PostgresDatabase) -> Iterator[RouletteHouse]:
    """A house whose ledger is audited after the test, whatever the test did."""
    yield RouletteHouse(db)
    report = check_ledger(db)
    assert report.ok, report.problems
