"""`parlor desktop`: free ports, both servers, the browser opened on the game (or the URL said)."""

from __future__ import annotations

import io
import os
import signal
import webbrowser
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.run.desktop import free_port, open_browser


def test_a_browser_that_opens_hears_nothing_more() -> None:
    out = io.StringIO()
    assert open_browser("http://127.0.0.1:1/table", opener=lambda url: True, out=out)
    assert out.getvalue() == ""


def refuse(url: str) -> bool:
    raise webbrowser.Error("could not locate runnable browser")


@pytest.mark.parametrize("opener", [lambda url: False, refuse])
def test_without_a_browser_the_url_is_printed(opener: object) -> None:
    out = io.StringIO()
    assert not open_browser("http://127.0.0.1:1/table", opener=opener, out=out)  # type: ignore[arg-type]
    assert "open http://127.0.0.1:1/table in one" in out.getvalue()


def test_free_ports_are_free() -> None:
    assert 1024 <= free_port() < 65536


def test_parlor_desktop_serves_the_game_and_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The whole command: real servers on free ports; the "browser" fetches the page it is given."""
    opened: list[tuple[str, int, str]] = []

    def browser(url: str) -> bool:
        with httpx.Client(timeout=15, follow_redirects=True) as client:
            page = client.get(url)
        opened.append((url, page.status_code, page.text))
        os.kill(os.getpid(), signal.SIGTERM)  # the person closes parlor: Ctrl+C
        return False  # ...and say there was no browser, so the URL is printed too

    monkeypatch.setattr(webbrowser, "open", browser)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["desktop", "--database", f"sqlite:///{tmp_path}/d.db"])
    assert result.exit_code == 0, result.output
    (url, status, text) = opened[0]
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/table")
    assert ":8008/" not in url
    assert status == 200
    assert "Take a seat at the wheel" in text  # a new player lands on the start page
    # The servers write to the terminal; the command's own lines go through the runner.
    err = capfd.readouterr().err + result.output
    assert f"your table is at {url}" in err
    assert f"open {url} in one" in err
    assert "parlor web app listening on" in err
    assert "parlor stopped" in err
