"""``parlor simulate``: the Monte Carlo of a betting strategy, as a Typer command.

The work happens in
``parlor.roulette.simulation`` (and ``exact`` for ``--exact``); this module
reads options, shows progress, and writes the report as a table, JSON or a plot.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parlor.cli.strategy import (
    AtLimitOption,
    FibonacciWinOption,
    PropositionOption,
    StrategyArgument,
    WheelOption,
    WhenEmptyOption,
    WhenShortOption,
    usage_error,
)
from parlor.roulette.plans import (
    AtLimit,
    FibonacciWin,
    Plan,
    PlanError,
    Strategy,
    WhenEmpty,
    WhenShort,
)
from parlor.roulette.wheel import WheelKind, wheel_for
from parlor.settings import HouseLimits

if TYPE_CHECKING:
    from rich.console import Console

    from parlor.roulette.exact import Exact
    from parlor.roulette.simulation import Report, Simulation

#: What each figure means, in the order they are shown.
MEANINGS = {
    "sessions": "sessions simulated",
    "mean_duration": "spins played per session",
    "sd_duration": "standard deviation of the spins played",
    "p_full": "fraction of sessions that played every spin",
    "p_ahead": "fraction of sessions that ended above their bankroll",
    "mean_final": "bankroll at the end",
    "mean_max": "highest bankroll after any spin (not the initial one)",
    "total_wagered": "chips staked, all sessions",
    "net": "chips won (negative: lost), all sessions",
    "edge": "net / wagered",
    "theoretical_edge": "the bets' expected return per chip",
}

#: What --plot draws: the paths of the first sessions, the final bankrolls of (about) the first.
PLOT_PATHS = 40
PLOT_FINALS = 1_000_000


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def simulate(
    strategy: StrategyArgument,
    sessions: Annotated[int, typer.Option(min=1, help="How many sessions to play.")] = 10_000,
    spins: Annotated[
        int, typer.Option(min=1, max=100_000, help="Spins per session, at most.")
    ] = 250,
    bankroll: Annotated[
        int, typer.Option(min=1, max=10**12, help="Chips each session starts with.")
    ] = 100,
    base: Annotated[
        int, typer.Option(min=1, help="The base bet (one unit): the table minimum.")
    ] = 1,
    table_max: Annotated[
        int, typer.Option("--max", min=1, help="The table maximum for one bet.")
    ] = HouseLimits().default_table_max,
    wheel: WheelOption = WheelKind.AMERICAN,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seed of the random spins; the same seed gives the same numbers for any"
            " --workers. Default: a fresh one, reported.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes to share the work. Default: one per CPU.", show_default=False
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on stdout.")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Write a PNG: sample bankroll paths and a histogram of final bankrolls.",
            show_default=False,
        ),
    ] = None,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Also compute every figure exactly (dynamic programming over bankroll,"
            " strategy state and spins left) and show how far the simulation is from it."
            " Works for flat and martingale, and for others while their states stay few.",
        ),
    ] = False,
    proposition: PropositionOption = None,
    at_limit: AtLimitOption = AtLimit.CAP,
    when_short: WhenShortOption = WhenShort.LEAVE,
    when_empty: WhenEmptyOption = WhenEmpty.LEAVE,
    fibonacci_win: FibonacciWinOption = FibonacciWin.RESET,
) -> None:
    """Monte Carlo of a betting strategy: many sessions, locally and fast.

    Each session starts with --bankroll chips and plays until its --spins run
    out or its strategy stops (busted, or leaving by policy). The report gives,
    with 95% confidence intervals: spins played per session (mean, standard
    deviation), the fraction that played every spin and that ended ahead, the
    final and the highest bankroll, chips wagered and net, and net / wagered
    beside the wheel's house edge. Strategies and their defaults:
    docs/strategies.md.
    """
    from parlor.roulette.simulation import Simulation, warm_up
    from parlor.roulette.simulation import simulate as run

    seed = secrets.randbits(64) if seed is None else seed
    workers = _default_workers() if workers is None else workers
    try:
        plan = Plan(
            strategy,
            base=base,
            table_max=table_max,
            wheel=wheel_for(wheel),
            proposition=proposition,
            at_limit=at_limit,
            when_short=when_short,
            when_empty=when_empty,
            fibonacci_win=fibonacci_win,
        )
        sim = Simulation(plan, sessions=sessions, spins=spins, bankroll=bankroll, seed=seed)
    except PlanError as error:
        raise usage_error(error) from None

    solved = _solve(sim) if exact else None
    started = time.perf_counter()
    warm_up(plan)  # timed apart: loading compiled code is a start-up cost, not throughput
    loaded = time.perf_counter()
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    errors = Console(stderr=True)
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task("chunks", total=sim.chunks)
        report = run(
            sim,
            workers=workers,
            finals=PLOT_FINALS if plot is not None else 0,
            paths=PLOT_PATHS if plot is not None else 0,
            progress=lambda _: progress.advance(task),
        )
        seconds = time.perf_counter() - loaded

    document = to_json(report, solved, workers=workers, seconds=seconds, load=loaded - started)
    if json_output:
        typer.echo(json.dumps(document, indent=2))
    else:
        _print_table(Console(), document)
    if plot is not None:
        plot_report(report, plot)
        if not json_output:
            typer.echo(f"Plot written to {plot}")


def _solve(sim: Simulation) -> Exact:
    from parlor.roulette.exact import ExactTooLarge, solve

    try:
        return solve(sim.plan, sim.bankroll, sim.spins)
    except ExactTooLarge as error:
        raise typer.BadParameter(
            f"{sim.plan.strategy} with these options has too many states to solve exactly"
            f" ({error}); try fewer --spins or a smaller --bankroll",
            param_hint="'--exact'",
        ) from None


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def to_json(
    report: Report, solved: Exact | None, *, workers: int, seconds: float, load: float = 0.0
) -> dict[str, Any]:
    """The report as one JSON document: every figure, its CI and SE, and how the run went.

    ``seconds`` is the simulation's time, ``load`` the time it took to load its compiled code.
    """
    sim = report.simulation
    plan = sim.plan
    document: dict[str, Any] = {
        "strategy": str(plan.strategy),
        "config": {
            "sessions": sim.sessions,
            "spins": sim.spins,
            "bankroll": sim.bankroll,
            "base": plan.base,
            "max": plan.table_max,
            "wheel": str(plan.wheel.kind),
            "seed": sim.seed,
            "proposition": None if plan.strategy is Strategy.RANDOM else str(plan.side),
            "at_limit": str(plan.at_limit),
            "when_short": str(plan.when_short),
            "when_empty": str(plan.when_empty),
            "fibonacci_win": str(plan.fibonacci_win),
        },
        "sessions": sim.sessions,
    }
    for name, estimate in report.estimates.items():
        document[name] = _number(estimate.value)
    document["ci95"] = {
        name: [_number(low), _number(high)]
        for name, estimate in report.estimates.items()
        for low, high in [estimate.ci95]
    }
    document["se"] = {name: _number(e.se) for name, e in report.estimates.items()}
    if solved is not None:
        figures = solved.figures(sim.sessions)
        document["exact"] = {name: _number(value) for name, value in figures.items()}
        document["exact"]["states"] = solved.states
        document["z"] = {
            name: _number((report.estimates[name].value - value) / report.estimates[name].se)
            for name, value in figures.items()
            if report.estimates[name].se > 0
        }
    document["run"] = {
        "workers": workers,
        "load_seconds": load,
        "seconds": seconds,
        "spins_played": report.spins_played,
        "spins_per_second": report.spins_played / seconds if seconds > 0 else None,
    }
    return document


def _format(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 10_000 or (value == int(value) and abs(value) < 1e15):
        return f"{value:,.0f}"
    return f"{value:.6g}"


def _print_table(console: Console, document: dict[str, Any]) -> None:
    from rich.table import Table

    config = document["config"]
    console.print(
        f"[bold]{document['strategy']}[/] on the {config['wheel']} wheel:"
        f" {config['sessions']:,} sessions × {config['spins']:,} spins, bankroll"
        f" {config['bankroll']:,}, base {config['base']:,}, max {config['max']:,},"
        f" seed {config['seed']}"
    )
    options = ", ".join(
        f"--{name.replace('_', '-')} {config[name]}"
        for name in ("proposition", "at_limit", "when_short", "when_empty", "fibonacci_win")
        if config[name] is not None
    )
    console.print(options, highlight=False)
    exact = document.get("exact")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("figure", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("95% CI", justify="right", no_wrap=True)
    if exact is not None:
        table.add_column("exact", justify="right", no_wrap=True)
        table.add_column("z", justify="right", no_wrap=True)
    for name in MEANINGS:
        se = document["se"].get(name)
        low, high = document["ci95"].get(name, [None, None])
        interval = f"{_format(low)} … {_format(high)}" if se else ""
        row = [name, _format(document[name]), interval]
        if exact is not None:
            z = document["z"].get(name)
            row.append(_format(exact[name]) if name in exact else "")
            row.append("" if z is None else f"{z:+.2f}")
        table.add_row(*row)
    console.print(table)
    run = document["run"]
    rate = run["spins_per_second"]
    console.print(
        f"{run['spins_played']:,} spins played in {run['seconds']:.2f} s by"
        f" {run['workers']} worker(s)" + (f": {rate / 1e6:,.1f} million spins/s" if rate else ""),
        highlight=False,
    )


def plot_report(report: Report, path: Path) -> None:
    """Write a PNG: sample bankroll paths beside a histogram of the final bankrolls."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if report.paths is None or report.finals is None:
        raise ValueError("plot_report needs a report simulated with paths and finals kept")
    sim = report.simulation
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)  # draw off-screen: no display, no global pyplot state
    paths_axes, final_axes = figure.subplots(1, 2)
    for row in report.paths:
        played = row[row >= 0]
        (line,) = paths_axes.plot(np.arange(len(played)), played, linewidth=0.8, alpha=0.7)
        if len(played) < len(row):  # stopped early: mark where
            paths_axes.plot(len(played) - 1, played[-1], "x", color=line.get_color())
    paths_axes.axhline(sim.bankroll, color="black", linewidth=0.8, linestyle="--", label="start")
    paths_axes.plot([], [], "x", color="gray", label="stopped (busted or left)")
    paths_axes.legend(loc="upper left")
    paths_axes.set(
        title=f"Bankroll of the first {len(report.paths)} sessions",
        xlabel="spin",
        ylabel="bankroll (chips)",
    )
    # Whole-chip bins, so that no bin holds more integers than its neighbours.
    low, high = int(report.finals.min()), int(report.finals.max())
    width = max(1, -(-(high - low + 1) // 100))
    edges = np.arange(low, high + width + 1, width) - 0.5
    final_axes.hist(report.finals, bins=edges, color="tab:blue")
    mean_final = report.estimates["mean_final"].value
    final_axes.axvline(
        sim.bankroll, color="black", linewidth=0.8, linestyle="--", label=f"start {sim.bankroll:,}"
    )
    final_axes.axvline(mean_final, color="tab:red", linewidth=1.0, label=f"mean {mean_final:,.1f}")
    final_axes.legend()
    final_axes.set(
        title=f"Final bankroll of {len(report.finals):,} sessions",
        xlabel="final bankroll (chips)",
        ylabel="sessions",
    )
    plan = sim.plan
    figure.suptitle(
        f"{plan.strategy} on the {plan.wheel.kind} wheel: bankroll {sim.bankroll:,},"
        f" base {plan.base:,}, max {plan.table_max:,}, {sim.spins:,} spins"
    )
    figure.savefig(path, dpi=110)


def register(app: typer.Typer) -> None:
    app.command()(simulate)
