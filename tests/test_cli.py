"""The `parlor` command: help, and `parlor verify` against a live service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.house.roulette import RouletteHouse
from parlor.service.app import create_falcon_app
from parlor.store.db import Database

runner = CliRunner()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def live_url(house: RouletteHouse) -> Iterator[str]:
    server: WSGIServer = make_server(
        "127.0.0.1", 0, create_falcon_app(house), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "service", "web", "desktop", "verify"):
        assert command in result.output


@pytest.mark.parametrize("command", ["serve", "service", "web", "desktop", "verify"])
def test_each_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--" in result.output


def test_help_shows_each_options_variable_and_default() -> None:
    # Rich markup took "[env …]" for a style tag and dropped it from every option.
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    output = " ".join(result.output.replace("│", " ").split())
    for variable in ("PARLOR_HOST", "PARLOR_PORT", "PARLOR_WORKERS", "PARLOR_FORWARDED_ALLOW_IPS"):
        assert f"[env {variable}" in output, output


def test_verify_a_fair_session(house: RouletteHouse, live_url: str) -> None:
    state = house.open_session("alice", wheel="european")
    for _ in range(5):
        house.spin(state.id)
    house.end_session(state.id)
    result = runner.invoke(app, ["verify", "--server", live_url, "--session", state.id])
    assert result.exit_code == 0, result.output
    assert "fair" in result.output
    assert "NOT" not in result.output


def test_verify_names_a_forged_spin(house: RouletteHouse, db: Database, live_url: str) -> None:
    state = house.open_session("alice")
    for _ in range(4):
        house.spin(state.id)
    house.end_session(state.id)
    real = house.spins(state.id)[2].pocket
    with db.transaction() as tx:
        tx.execute(
            "UPDATE spins SET pocket = ? WHERE session_id = ? AND n = 3",
            ((real + 5) % 38, state.id),
        )
    result = runner.invoke(app, ["verify", "--server", live_url, "--session", state.id])
    assert result.exit_code == 1
    assert "spin 3" in result.output
    assert "NOT fair" in result.output


def test_verify_refuses_an_open_session(house: RouletteHouse, live_url: str) -> None:
    state = house.open_session("alice")
    result = runner.invoke(app, ["verify", "--server", live_url, "--session", state.id])
    assert result.exit_code == 2
    assert "still open" in result.output


def test_verify_unknown_session_and_dead_server(live_url: str) -> None:
    result = runner.invoke(app, ["verify", "--server", live_url, "--session", "nope"])
    assert result.exit_code == 2
    assert "Cannot verify" in result.output
    dead = runner.invoke(app, ["verify", "--server", "http://127.0.0.1:9", "--session", "x"])
    assert dead.exit_code == 2
    assert "Cannot verify" in dead.output
    assert "Traceback" not in dead.output


def test_version() -> None:
    from parlor import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"parlor {__version__}\n"


def test_a_bad_forwarded_allow_ips_is_refused_before_anything_starts() -> None:
    result = runner.invoke(app, ["service", "--forwarded-allow-ips", "10.0.0.0/8,proxy.local"])
    assert result.exit_code == 2
    assert "proxy.local" in result.output


def _played_table(house: RouletteHouse, *, close: bool) -> str:
    from parlor.house.tables import TablesHouse

    tables = TablesHouse(house)
    tables.open_table("main", "american")
    state = house.open_session("alice", wheel="american")
    tables.sit("main", state.id)
    for _ in range(4):
        tables.place_bet("main", state.id, "red", None, 10)
        tables.spin("main")
    if close:
        tables.close_table("main")
    return "main"


def test_verify_a_closed_table_and_a_forged_round(
    house: RouletteHouse, db: Database, live_url: str
) -> None:
    name = _played_table(house, close=True)
    result = runner.invoke(app, ["verify", "--server", live_url, "--table", name])
    assert result.exit_code == 0, result.output
    assert "Table main" in result.output
    assert "NOT" not in result.output
    with db.transaction() as tx:
        tx.execute("UPDATE table_spins SET pocket = (pocket + 1) % 38 WHERE round = 2")
    forged = runner.invoke(app, ["verify", "--server", live_url, "--table", name])
    assert forged.exit_code == 1
    assert "NOT fair" in forged.output


def test_verify_refuses_an_open_table_and_an_unknown_one(
    house: RouletteHouse, live_url: str
) -> None:
    name = _played_table(house, close=False)
    result = runner.invoke(app, ["verify", "--server", live_url, "--table", name])
    assert result.exit_code == 2
    assert "still open" in result.output
    unknown = runner.invoke(app, ["verify", "--server", live_url, "--table", "nowhere"])
    assert unknown.exit_code == 2
    assert "Cannot verify" in unknown.output
