"""A game's record: downloaded from the fairness page, uploaded to the verify page (the
uploads pipe in place), and checked by ``parlor verify --record``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from falcon import testing
from typer.testing import CliRunner

from parlor.cli import app as cli
from parlor.house.roulette import RouletteHouse
from parlor.store.db import Database
from tests.web.web_support import COOKIE, Browser

BOUNDARY = "parlorboundary7MA4YWxk"


def multipart(filename: str, content: bytes, token: str) -> bytes:
    return (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n"
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="record"; filename="{filename}"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def upload(browser: Browser, content: bytes, filename: str = "game.json") -> testing.Result:
    browser.get("/verify")
    assert browser.token is not None
    return browser.client.simulate_post(
        "/verify",
        body=multipart(filename, content, browser.token),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        cookies={COOKIE: browser.cookie or ""},
    )


def notice(browser: Browser, result: testing.Result) -> str:
    assert result.status_code == 303, result.text
    page = browser.get(result.headers["location"])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


@pytest.fixture
def record(playing: Browser, house: RouletteHouse, database: Database) -> bytes:
    """The record of a game of three spins, downloaded as a player would."""
    for n in (1, 2, 3):
        playing.bet(10, proposition="red")
        playing.submit("/spin", {"spin": str(n)})
    playing.submit("/end", {})
    page = playing.get("/fairness")
    assert 'href="/fairness/record"' in page.text
    download = playing.get("/fairness/record")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    assert download.headers["content-disposition"].startswith("attachment; filename=")
    with database.transaction(write=False) as tx:
        (session_id,) = tx.one("SELECT id FROM sessions") or ("",)
    assert str(session_id) not in download.text  # the id is a credential; a record is shared
    return download.content


def test_the_record_of_an_ended_game_checks_out(
    record: bytes, playing: Browser, uploads: Path
) -> None:
    document = json.loads(record)
    assert document["format"] == "parlor-roulette-record/1"
    assert [s["spin"] for s in document["spins"]] == [1, 2, 3]
    said = notice(playing, upload(playing, record))
    assert "Verified 3 spins" in said
    assert "File SHA-256" in said
    assert list(uploads.glob("*")) == []  # read, checked, deleted


def test_a_tampered_record_fails_and_says_which_spin(
    record: bytes, playing: Browser, uploads: Path
) -> None:
    document = json.loads(record)
    first = document["spins"][0]
    first["number"] = 5 if first["number"] != 5 else 6
    said = notice(playing, upload(playing, json.dumps(document).encode()))
    assert "Verification FAILED over 3 spins" in said
    assert "spin 1: recorded pocket" in said
    assert list(uploads.glob("*")) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json at all", "it is not JSON"),
        (b'{"format": "something else"}', "not a parlor game record"),
        (b"[]", "not a parlor game record"),
    ],
)
def test_a_file_that_is_no_record_is_refused_beside_the_field(
    browser: Browser, uploads: Path, content: bytes, message: str
) -> None:
    result = upload(browser, content, filename="../../etc/passwd")
    page = browser.get(result.headers["location"])
    assert 'id="record-error"' in page.text
    assert message in page.text
    assert list(uploads.glob("*")) == []


def test_no_file_is_asked_for(browser: Browser) -> None:
    browser.get("/verify")
    said = notice(browser, browser.post("/verify", {}))
    assert "Choose a record file to check." in said


def test_a_record_too_large_is_413_and_leaves_no_file(browser: Browser, uploads: Path) -> None:
    from parlor.web.records import MAX_RECORD

    result = upload(browser, b"x" * (MAX_RECORD + 1))
    assert result.status_code == 413
    assert result.headers["content-type"].startswith("text/html")
    assert list(uploads.glob("*")) == []


def test_an_open_game_has_no_record_yet(playing: Browser) -> None:
    result = playing.get("/fairness/record")
    assert result.status_code == 303
    assert "End the game first" in notice(playing, result)


def test_parlor_verify_checks_a_record_file(record: bytes, tmp_path: Path) -> None:
    path = tmp_path / "game.json"
    path.write_bytes(record)
    result = CliRunner().invoke(cli, ["verify", "--record", str(path)])
    assert result.exit_code == 0, result.output
    assert "Verified 3 spins" in result.output
    document = json.loads(record)
    document["server_seed"] = "0" * 64
    path.write_text(json.dumps(document))
    result = CliRunner().invoke(cli, ["verify", "--record", str(path)])
    assert result.exit_code == 1
    assert "does not match the published hash" in " ".join(result.output.split())
    path.write_text("{}")
    assert CliRunner().invoke(cli, ["verify", "--record", str(path)]).exit_code == 2
    assert CliRunner().invoke(cli, ["verify"]).exit_code == 2
