"""Fixtures of the bot tests: one real ``parlor serve`` on a free loopback port.

The server (and its SQLite file) lives for the whole run of these tests; each
test opens sessions of its own, and ``audit()`` checks the whole ledger.
``ParlorProcess`` comes from the end-to-end suite (``pythonpath`` in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from parlor.client import RouletteClient
from parlor.house.ledger import LedgerReport, check_ledger
from parlor.store.db import open_database
from tests.e2e.e2e_support import ParlorProcess


@pytest.fixture(scope="session")
def parlor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    data = tmp_path_factory.mktemp("bot-data")
    process = ParlorProcess(f"sqlite:///{data / 'parlor.db'}", cwd=tmp_path_factory.mktemp("cwd"))
    try:
        process.wait_ready()
        yield process
        process.stop()
    finally:
        process.close()


@pytest.fixture
def client(parlor: ParlorProcess) -> Iterator[RouletteClient]:
    with RouletteClient(parlor.base_url, backoff=0.01) as client:
        yield client


@pytest.fixture
def audit(parlor: ParlorProcess) -> Callable[[], LedgerReport]:
    """Check the whole ledger now: it must balance, and every bet be debited exactly once."""

    def check() -> LedgerReport:
        db = open_database(parlor.database_url)
        try:
            report = check_ledger(db)
        finally:
            db.close()
        assert report.ok, report.problems
        return report

    return check
