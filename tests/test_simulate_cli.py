"""The `parlor simulate` command, registered on a Typer app of its own as cli.py registers it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parlor.cli.simulate import MEANINGS, _format, simulate

app = typer.Typer()
app.command()(simulate)
runner = CliRunner()

REQUIRED = (
    "sessions",
    "mean_duration",
    "sd_duration",
    "p_full",
    "mean_final",
    "mean_max",
    "total_wagered",
    "net",
    "edge",
    "theoretical_edge",
)
SMALL = ["--sessions", "3000", "--spins", "30", "--seed", "7", "--workers", "1"]


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_help_documents_every_option_and_its_default() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in (
        "--sessions",
        "--spins",
        "--bankroll",
        "--base",
        "--max",
        "--wheel",
        "--seed",
        "--workers",
        "--json",
        "--plot",
        "--exact",
        "--proposition",
        "--at-limit",
        "--when-short",
        "--when-empty",
        "--fibonacci-win",
    ):
        assert option in result.output
    for default in ("[default: cap]", "[default: leave]", "[default: 250]", "[default: 500]"):
        assert default in result.output
    assert "martingale" in result.output


def test_json_has_every_figure_with_its_interval() -> None:
    document = run_json("martingale", *SMALL)
    for key in REQUIRED:
        assert isinstance(document[key], int | float), key
    assert document["sessions"] == 3000
    assert 0 < document["mean_duration"] <= 30
    assert 0 <= document["p_full"] <= 1
    assert document["edge"] == pytest.approx(document["net"] / document["total_wagered"])
    assert document["theoretical_edge"] == pytest.approx(-1 / 19)
    low, high = document["ci95"]["mean_final"]
    assert low < document["mean_final"] < high
    assert document["config"] == {
        "sessions": 3000,
        "spins": 30,
        "bankroll": 100,
        "base": 1,
        "max": 500,
        "wheel": "american",
        "seed": 7,
        "proposition": "red",
        "at_limit": "cap",
        "when_short": "leave",
        "when_empty": "leave",
        "fibonacci_win": "reset",
    }
    assert document["run"]["spins_played"] == pytest.approx(3000 * document["mean_duration"])


def test_text_shows_the_same_figures() -> None:
    document = run_json("paroli", *SMALL)
    result = runner.invoke(app, ["paroli", *SMALL], terminal_width=120)
    assert result.exit_code == 0, result.output
    for name in MEANINGS:
        line = next(line for line in result.stdout.splitlines() if line.startswith(name + " "))
        assert _format(document[name]) in line, name
        if document["se"].get(name):
            low, high = document["ci95"][name]
            assert f"{_format(low)} … {_format(high)}" in line, name


def test_workers_do_not_change_the_numbers() -> None:
    args = ["sevenreds", "--sessions", "20000", "--spins", "40", "--seed", "3"]
    one = run_json(*args, "--workers", "1")
    two = run_json(*args, "--workers", "2")
    one.pop("run")
    two.pop("run")
    assert one == two


def test_without_a_seed_each_run_reports_its_own() -> None:
    first = run_json("flat", "--sessions", "10", "--spins", "5", "--workers", "1")
    second = run_json("flat", "--sessions", "10", "--spins", "5", "--workers", "1")
    assert first["config"]["seed"] != second["config"]["seed"]


def test_exact_beside_the_simulation() -> None:
    document = run_json("martingale", *SMALL, "--max", "16", "--exact")
    exact = document["exact"]
    for key in REQUIRED:
        if key != "sessions":
            assert key in exact
    assert exact["edge"] == pytest.approx(-1 / 19)
    assert all(abs(z) < 4 for z in document["z"].values())
    text = runner.invoke(app, ["martingale", *SMALL, "--exact"], terminal_width=120)
    assert "exact" in text.stdout
    assert " z" in text.stdout


def test_plot_writes_a_png(tmp_path: Path) -> None:
    target = tmp_path / "paths.png"
    result = runner.invoke(app, ["martingale", *SMALL, "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000
    assert str(target) in result.stdout


def test_json_and_plot_together(tmp_path: Path) -> None:
    target = tmp_path / "quiet.png"
    document = run_json("flat", *SMALL, "--plot", str(target))
    assert target.exists()
    assert document["sessions"] == 3000


def test_plot_needs_paths_and_finals(tmp_path: Path) -> None:
    from parlor.cli.simulate import plot_report
    from parlor.roulette.plans import Plan, Strategy
    from parlor.roulette.simulation import Simulation
    from parlor.roulette.simulation import simulate as run

    report = run(Simulation(Plan(Strategy.FLAT), 10, 5, 10, seed=1))
    with pytest.raises(ValueError, match="paths"):
        plot_report(report, tmp_path / "never.png")


def test_default_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from parlor.cli import simulate as simulate_cli

    document = run_json("flat", "--sessions", "10", "--spins", "5", "--seed", "1")
    assert document["run"]["workers"] == simulate_cli._default_workers() >= 1
    monkeypatch.delattr(os, "sched_getaffinity")
    assert simulate_cli._default_workers() == (os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["martingale", "--sessions", "-5"], "'--sessions'"),
        (["martingale", "--spins", "0"], "'--spins'"),
        (["martingale", "--bankroll", "-1"], "'--bankroll'"),
        (["martingale", "--workers", "0"], "'--workers'"),
        (["martingale", "--seed", "-3"], "'--seed'"),
        (["martingale", "--base", "600"], "'--base'"),  # above the table maximum of 500
        (["martingale", "--base", "200"], "'--base'"),  # above the bankroll of 100
        (["martingale", "--max", "0"], "'--max'"),
        (["roulette-wheel-of-fortune"], "STRATEGY"),
        (["martingale", "--wheel", "french"], "'--wheel'"),
        (["martingale", "--proposition", "green"], "'--proposition'"),
        (["random", "--proposition", "red"], "'--proposition'"),
        (["martingale", "--at-limit", "pray"], "'--at-limit'"),
        (["random", "--spins", "250", "--exact"], "'--exact'"),
    ],
)
def test_bad_options_are_usage_errors_that_name_the_option(args: list[str], named: str) -> None:
    result = runner.invoke(
        app, [*args, "--workers", "1"] if "--workers" not in args else args, terminal_width=200
    )
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_format() -> None:
    assert _format(None) == "—"
    assert _format(1234.0) == "1,234"
    assert _format(-2_167_973.4) == "-2,167,973"
    assert _format(0.0526315) == "0.0526315"
    assert _format(111.92234) == "111.922"
