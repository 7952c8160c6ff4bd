"""Starting and stopping `parlor serve` the ways people do: Ctrl+C, SIGTERM, a busy port."""

from __future__ import annotations

import signal
from collections.abc import Callable

import httpx
import pytest
from e2e_support import READY, ParlorProcess

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
