"""Starting and stopping parlor the ways people do: Ctrl+C, SIGTERM, a busy port, no flags."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from parlor.run.serve import PortInUse, ensure_port_free
from parlor.settings import Settings
from tests.e2e.e2e_support import READY, ParlorProcess, cannot_run

pytestmark = pytest.mark.slow


def assert_serves(server: ParlorProcess) -> None:
    with httpx.Client(base_url=server.base_url, timeout=15) as client:
        assert client.get("/json/").status_code == 200
    with httpx.Client(base_url=server.web_url, timeout=15) as client:
        assert client.get("/").status_code == 200


def test_it_says_where_it_listens_and_sigint_stops_it(server: ParlorProcess) -> None:
    lines = server.lines
    listening = [line for line in lines if "listening on" in line]
    assert sorted(listening) == [
        f"parlor REST service listening on {server.base_url}/",
        f"parlor tables listening on {server.host}:{server.tcp_port}"
        " (plain TCP; tables main (american), euro (european))",
        f"parlor web app listening on {server.web_url}/",
    ]
    ready_at = next(i for i, line in enumerate(lines) if READY in line)
    assert all(lines.index(line) < ready_at for line in listening)
    assert server.stdout_lines == []
    assert_serves(server)
    server.stop(signal.SIGINT)  # exit 0, "parlor stopped", nothing left behind


def test_ctrl_c_in_a_terminal_stops_it_cleanly(
    running_parlor: Callable[..., ParlorProcess], sqlite_url: str
) -> None:
    """A terminal's Ctrl+C sends SIGINT to the whole foreground group: supervisor and children."""
    server = running_parlor(sqlite_url)
    with httpx.Client(base_url=server.base_url, timeout=15) as client:
        for _ in range(30):
            assert client.get("/json/").status_code == 200
    # A clean stop takes well under a second; give up (and kill the group) after 5.
    server.stop(signal.SIGINT, group=True, timeout=5)
    assert not [line for line in server.lines if "Traceback" in line or "KeyboardInterrupt" in line]
    assert len(server.access_lines()) == 30, "\n".join(server.lines)


def test_a_second_server_on_the_same_port_is_refused(
    running_parlor: Callable[..., ParlorProcess],
    sqlite_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    first = running_parlor(sqlite_url)
    other_db = tmp_path_factory.mktemp("second") / "other.db"
    second = running_parlor(f"sqlite:///{other_db}", port=first.port, wait=False)
    code = second.expect_exit()
    assert code != 0, second.describe()
    said = "\n".join(second.lines)
    assert str(first.port) in said, said
    assert "--port" in said, said
    assert READY not in said
    assert not second.left_behind, second.describe()
    # The first server is untouched, and still answers every request itself.
    assert_serves(first)
    requests_before = len(first.access_lines())
    with httpx.Client(base_url=first.base_url, timeout=15) as client:
        for _ in range(20):
            assert client.get("/json/").status_code == 200
    first.wait_for_access_lines(requests_before + 20)


def place_a_bet(base_url: str) -> None:
    """The seed's flow in three requests: a session, a bet, a spin that settles it."""
    with httpx.Client(base_url=base_url, timeout=15) as client:
        opened = client.post("/session/", json={"name": "lifecycle"})
        assert opened.status_code == 201, opened.text
        session = opened.json()["session"]
        bet = client.post(f"/bet/{session}/", json={"proposition": "red", "amount": 10})
        assert bet.status_code == 201, bet.text
        spin = client.post(f"/spin/{session}/")
        assert spin.status_code == 201, spin.text
        assert [s["confirmation"] for s in spin.json()["settled"]] == [1]


def test_the_service_alone_says_where_it_listens_and_sigterm_stops_it(
    running_parlor: Callable[..., ParlorProcess], sqlite_url: str
) -> None:
    """`parlor service`: the REST service without the web app or a supervisor."""
    service = running_parlor(sqlite_url, command="service")
    assert [line for line in service.lines if "listening on" in line] == [
        f"parlor REST service listening on {service.base_url}/"
    ]
    place_a_bet(service.base_url)
    logged = service.wait_for_access_lines(3)
    assert [(m["method"], m["status"]) for m in logged] == [
        ("POST", "201"),
        ("POST", "201"),
        ("POST", "201"),
    ]
    service.stop(signal.SIGTERM)  # exit 0, nothing left behind
    assert not [line for line in service.lines if "Traceback" in line]


def _taken(port: int) -> bool:
    try:
        ensure_port_free("127.0.0.1", port)
    except PortInUse:
        return True
    return False


def test_with_no_flags_at_all_it_serves_on_sqlite(tmp_path: Path) -> None:
    """What `make run` starts: `parlor serve` alone, on its default ports and ./var/parlor.db."""
    defaults = Settings()
    busy = [port for port in (defaults.port, defaults.web_port, defaults.tcp_port) if _taken(port)]
    if busy:
        cannot_run("the default ports", f"ports {busy} are taken here (another parlor running?)")
    server = ParlorProcess(
        "", cwd=tmp_path, port=defaults.port, web_port=defaults.web_port, bare=True
    )
    try:
        server.wait_ready()
        assert server.argv[3:] == ["serve"]
        assert_serves(server)
        place_a_bet(server.base_url)
        assert (tmp_path / "var" / "parlor.db").is_file()
        server.stop(signal.SIGINT)
    finally:
        server.close()
