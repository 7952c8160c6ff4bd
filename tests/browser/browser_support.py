"""Helpers of the browser tests: a real ``parlor serve``, and the service's JSON beside it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.e2e_support import ParlorProcess

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = Path(os.environ.get("PARLOR_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var" / "screenshots"
#: Headless Chromium as root in a container: no sandbox, no GPU, no phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class Parlor:
    """A running ``parlor serve``, its database, and a look at the service's own JSON."""

    def __init__(self, process: ParlorProcess, database: Path) -> None:
        self.process = process
        self.database = database
        self.web_url = process.web_url
        self.service = httpx.Client(base_url=process.base_url, timeout=15)

    def session_id(self, name: str) -> str:
        """The session a player of ``name`` opened (the browser never sees its id)."""
        with sqlite3.connect(self.database) as db:
            rows = db.execute("SELECT id FROM sessions WHERE name = ?", (name,)).fetchall()
        assert len(rows) == 1, rows
        return str(rows[0][0])

    def json(self, path: str) -> Any:
        answer = self.service.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()


def start_parlor(tmp: Path, env: dict[str, str] | None = None) -> Iterator[Parlor]:
    database = tmp / "browser.db"
    cwd = tmp / "cwd"
    cwd.mkdir()
    process = ParlorProcess(f"sqlite:///{database}", cwd=cwd, env=env)
    try:
        process.wait_ready()
        parlor = Parlor(process, database)
        yield parlor
        parlor.service.close()
        process.stop()
    finally:
        process.close()
